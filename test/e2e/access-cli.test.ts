/**
 * `civitas access` against a real node process: a policy that does not parse is refused
 * (POLICY_INVALID, non-zero exit, nothing stored); a role policy plus a grant changes the
 * decision of `access decide` (exit 0 allow, 4 deny) and of real transactions; history lists
 * every change; removing the policy takes the permission away again.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Proc, RunResult } from "./helpers/proc-node.js";
import { describeRun, freePort, killAll, runCli, startNode } from "./helpers/proc-node.js";

const PASS = "access-cli-passphrase";
const env = { CIVITAS_PASSPHRASE: PASS };
let root: string;
let node: Proc | undefined;
let g: string[];
const keys: Record<string, { address: string }> = {};

async function cli(args: string[], expectCode: number): Promise<RunResult> {
  const r = await runCli([...g, ...args], { env, timeoutMs: 60_000 });
  assert.equal(r.code, expectCode, describeRun([...g, ...args], r));
  return r;
}
const json = <T>(r: RunResult): T => JSON.parse(r.stdout) as T;

before(async () => {
  root = await mkdtemp(join(tmpdir(), "civitas-accesscli-"));
  g = ["--keys-dir", join(root, "keys")];
  for (const name of ["authority", "clerk", "stranger"]) {
    const r = await runCli([...g, "--json", "keys", "new", name], { env });
    assert.equal(r.code, 0, describeRun(["keys", "new", name], r));
    keys[name] = JSON.parse(r.stdout) as { address: string };
  }
  const home = join(root, "node");
  const port = await freePort();
  const balances = Object.values(keys).flatMap((k) => ["--balance", `${k.address}=1000000`]);
  const init = await runCli(["init", "--home", home, "--chain-id", "access-cli", "--api-port", String(port), "--block-interval-ms", "50", "--authority", keys.authority.address, ...balances], { env });
  assert.equal(init.code, 0, describeRun(["init"], init));
  const started = await startNode(home, env);
  node = started.proc;
  g.push("--url", started.url);
});

after(async () => {
  await node?.kill();
  await killAll();
  if (root) await rm(root, { recursive: true, force: true });
});

test("civitas access: --help, invalid policy refused, role policy + grant decide calls, history, removal", { timeout: 120_000 }, async () => {
  const help = await cli(["access", "--help"], 0);
  for (const sub of ["policy", "role", "decide", "history"]) assert.match(help.stdout, new RegExp(`\\b${sub}\\b`));

  const bad = join(root, "bad.cedar");
  await writeFile(bad, "permit(principal, action == Action::\"kv.put\" resource);");
  const refused = await runCli([...g, "--json", "access", "policy", "set", "broken", bad, "--key", "authority"], { env });
  assert.notEqual(refused.code, 0, describeRun(["access", "policy", "set", "broken"], refused));
  assert.match(refused.stdout + refused.stderr, /POLICY_INVALID/);
  const missing = await runCli([...g, "access", "policy", "show", "broken"], { env });
  assert.notEqual(missing.code, 0, "the broken policy was not stored");

  // Only members of the 'clerk' role may create kv namespaces named clerk-*: first forbid it to
  // everyone else, then grant the role.
  const policy = join(root, "clerks.cedar");
  await writeFile(
    policy,
    [
      'forbid(principal, action == Action::"kv.createNamespace", resource) unless { principal in Role::"clerk" };',
    ].join("\n"),
  );
  const set = json<{ receipt: { status: string } }>(await cli(["--json", "access", "policy", "set", "clerks-only", policy, "--key", "authority"], 0));
  assert.equal(set.receipt.status, "ok");
  const shown = await cli(["access", "policy", "show", "clerks-only"], 0);
  assert.match(shown.stdout, /Role::"clerk"/);

  const decide = (who: string): string[] => ["--json", "access", "decide", "--principal", keys[who].address, "--action", "kv.createNamespace", "--resource", 'Module::"kv"'];
  const denied = json<{ decision: string; reasons: string[] }>(await cli(decide("clerk"), 4));
  assert.equal(denied.decision, "deny");
  assert.deepEqual(denied.reasons, ["clerks-only"]);

  const grant = json<{ receipt: { status: string } }>(await cli(["--json", "access", "role", "grant", "clerk", keys.clerk.address, "--key", "authority"], 0));
  assert.equal(grant.receipt.status, "ok");
  const roles = await cli(["--json", "access", "role", "show", keys.clerk.address], 0);
  assert.match(roles.stdout, /clerk/);
  assert.equal(json<{ decision: string }>(await cli(decide("clerk"), 0)).decision, "allow");
  assert.equal(json<{ decision: string }>(await cli(decide("stranger"), 4)).decision, "deny");

  // The guard agrees with the decision on real transactions.
  const send = (who: string, ns: string, code: number): Promise<RunResult> => cli(["--json", "tx", "send", "--key", who, "--module", "kv", "--method", "createNamespace", "--args", JSON.stringify({ namespace: ns })], code);
  assert.equal(json<{ receipt: { status: string } }>(await send("clerk", "clerk-a", 0)).receipt.status, "ok");
  const strangerTx = json<{ receipt: { status: string; code: string } }>(await send("stranger", "stranger-a", 3));
  assert.equal(strangerTx.receipt.code, "ACCESS_DENIED");

  // A stranger cannot change the policies.
  const hijack = json<{ receipt: { status: string; code: string } }>(await cli(["--json", "access", "policy", "remove", "clerks-only", "--key", "stranger"], 3));
  assert.equal(hijack.receipt.status, "failed");

  const history = json<{ changes?: unknown[]; entries?: unknown[] }>(await cli(["--json", "access", "history"], 0));
  const text = JSON.stringify(history);
  assert.match(text, /clerks-only/);
  assert.match(text, /clerk/);

  assert.equal(json<{ receipt: { status: string } }>(await cli(["--json", "access", "policy", "remove", "clerks-only", "--key", "authority"], 0)).receipt.status, "ok");
  assert.equal(json<{ decision: string }>(await cli(decide("stranger"), 0)).decision, "allow", "the baseline permits again once the forbid is gone");

  const badResource = await runCli([...g, "access", "decide", "--principal", "anonymous", "--action", "read.status", "--resource", "nonsense"], { env });
  assert.notEqual(badResource.code, 0);
  assert.match(badResource.stderr, /Type::"id"/);
});
