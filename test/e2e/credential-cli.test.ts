/**
 * `civitas credential` as a user runs it, against a real node process: an issuer DID, its
 * registration and status list set up through `civitas tx send`; then issue, verify (ok),
 * revoke, verify again (CREDENTIAL_REVOKED, exit 4), and the errors of each command; verify
 * --genesis, which proves every record it reads with a light client (a node that hides a
 * revocation is caught).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decryptKey, loadKeyFile } from "../../src/crypto/keystore.js";
import { CivitasClient, LightClient, LightClientError, LightClientResolver, Wallet, issueCredentialWithNode, revokeCredential, verifyCredentialWithNode } from "../../src/sdk/index.js";
import { verifyCredential } from "../../src/identity/index.js";
import { isCivitasError } from "../../src/util/errors.js";
import type { Proc, RunResult } from "./helpers/proc-node.js";
import { describeRun, freePort, killAll, runCli, startNode } from "./helpers/proc-node.js";

const PASS = "credential-cli-passphrase";
const CHAIN = "cred-cli";
const ISSUER = `did:civitas:${CHAIN}:city-registry`;
const SUBJECT = `did:civitas:${CHAIN}:alice`;
let root: string;
let node: Proc | undefined;
let g: string[];
let url: string;
let keysDir: string;
let home: string;
const env = { CIVITAS_PASSPHRASE: PASS };

async function cli(args: string[], expectCode: number, extraEnv: Record<string, string> = {}): Promise<RunResult> {
  const r = await runCli([...g, ...args], { env: { ...env, ...extraEnv }, timeoutMs: 60_000 });
  assert.equal(r.code, expectCode, describeRun([...g, ...args], r));
  return r;
}

function json<T = Record<string, unknown>>(r: RunResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON:\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
}

async function send(key: string, method: string, args: Record<string, unknown>): Promise<void> {
  const r = json<{ receipt: { status: string; code: string | null; message: string } }>(await cli(["--json", "tx", "send", "--key", key, "--module", "identity", "--method", method, "--args", JSON.stringify(args)], 0));
  assert.equal(r.receipt.status, "ok", `identity.${method}: ${r.receipt.code} ${r.receipt.message}`);
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), "civitas-credcli-"));
  keysDir = join(root, "keys");
  g = ["--keys-dir", keysDir];
  const made: Record<string, { address: string; publicKey: string }> = {};
  for (const name of ["authority", "issuer", "stranger"]) {
    const r = await runCli([...g, "--json", "keys", "new", name], { env });
    assert.equal(r.code, 0, describeRun(["keys", "new", name], r));
    made[name] = JSON.parse(r.stdout) as { address: string; publicKey: string };
  }
  home = join(root, "node");
  const port = await freePort();
  const balances = Object.values(made).flatMap((k) => ["--balance", `${k.address}=1000000000`]);
  const init = await runCli(["init", "--home", home, "--chain-id", CHAIN, "--api-port", String(port), "--block-interval-ms", "50", "--authority", made.authority.address, ...balances], { env });
  assert.equal(init.code, 0, describeRun(["init"], init));
  const started = await startNode(home, env);
  node = started.proc;
  url = started.url;
  g.push("--url", url);
  await send("issuer", "createDid", { did: ISSUER, kind: "organisation", document: JSON.stringify({ keys: [made.issuer.publicKey] }) });
  await send("authority", "registerIssuer", { did: ISSUER, types: "ResidentCredential" });
  await send("issuer", "createStatusList", { issuer: ISSUER, listId: "main", size: 131072 });
});

after(async () => {
  await node?.kill();
  await killAll();
  if (root) await rm(root, { recursive: true, force: true });
});

test("credential commands have --help listing their options", async () => {
  for (const [cmd, expected] of [
    [["credential"], ["issue", "verify", "revoke", "show"]],
    [["credential", "issue"], ["--issuer <did>", "--key <name>", "--type <type>", "--subject <did>", "--claims <json|@file>", "--valid-until <time>", "--status-list <id>", "--status-index <n>", "-o, --output <file>"]],
    [["credential", "verify"], ["<file>", "--at <time>", "--type <type>", "--no-status", "--genesis <file>"]],
    [["credential", "revoke"], ["<file>", "--key <name>", "--reason <text>"]],
  ] as Array<[string[], string[]]>) {
    const r = await cli([...cmd, "--help"], 0);
    for (const e of expected) assert.ok(r.stdout.includes(e), `civitas ${cmd.join(" ")} --help lacks ${e}:\n${r.stdout}`);
  }
});

test("issue, verify ok, revoke, verify fails with CREDENTIAL_REVOKED and exit 4", async () => {
  const file = join(root, "alice.jwt");
  const claimsFile = join(root, "claims.json");
  await writeFile(claimsFile, JSON.stringify({ district: "north", householdSize: 3 }));
  const issued = json<{ jwt: string; kid: string; credential: { id: string; credentialStatus: { statusListIndex: string } }; file: string }>(
    await cli(["--json", "credential", "issue", "--issuer", ISSUER, "--key", "issuer", "--type", "ResidentCredential", "--subject", SUBJECT, "--claims", `@${claimsFile}`, "--valid-until", "2099-01-01T00:00:00Z", "--status-list", "main", "--status-index", "42", "-o", file], 0),
  );
  assert.equal(issued.kid, `${ISSUER}#key-1`, "the kid is found in the issuer's DID document");
  assert.equal((await readFile(file, "utf8")).trim(), issued.jwt);
  assert.equal(issued.credential.credentialStatus.statusListIndex, "42");

  const human = await cli(["credential", "verify", file], 0);
  assert.match(human.stdout, /^valid ResidentCredential credential urn:uuid:/);
  assert.match(human.stdout, /claim +district = "north"/);
  assert.match(human.stdout, /not revoked \(list 'main' index 42\)/);
  const ok = json<{ valid: boolean; issuer: string; subject: string; types: string[]; status: { index: number } }>(await cli(["--json", "credential", "verify", file], 0));
  assert.deepEqual([ok.valid, ok.issuer, ok.subject, ok.types, ok.status.index], [true, ISSUER, SUBJECT, ["ResidentCredential"], 42]);

  // Verifying as of a time outside the window fails with the precise code, without touching the chain.
  const early = await cli(["credential", "verify", file, "--at", "2000-01-01T00:00:00Z"], 4);
  assert.match(early.stderr, /invalid CREDENTIAL_NOT_YET_VALID/);
  const late = json<{ valid: boolean; error: { code: string } }>(await cli(["--json", "credential", "verify", file, "--at", "2099-01-01T00:00:00Z"], 4));
  assert.deepEqual([late.valid, late.error.code], [false, "CREDENTIAL_EXPIRED"]);
  const wrongType = await cli(["credential", "verify", file, "--type", "ParkingPermit"], 4);
  assert.match(wrongType.stderr, /invalid CREDENTIAL_INVALID: the credential is of type ResidentCredential, not ParkingPermit/);

  // Someone who does not control the issuer DID cannot revoke it: the receipt fails, exit 3.
  const denied = json<{ receipt: { status: string; code: string } }>(await cli(["--json", "credential", "revoke", file, "--key", "stranger", "--reason", "not mine"], 3));
  assert.deepEqual([denied.receipt.status, denied.receipt.code], ["failed", "EXEC_UNAUTHORIZED"]);
  await cli(["credential", "verify", file], 0);

  const revoked = await cli(["credential", "revoke", file, "--key", "issuer", "--reason", "moved away"], 0);
  assert.match(revoked.stdout, /^revoked urn:uuid:\S+ \(list 'main' index 42 of did:civitas:cred-cli:city-registry\) in block \d+/);
  const after = await cli(["credential", "verify", file], 4);
  assert.match(after.stderr, /^invalid CREDENTIAL_REVOKED: the credential is revoked \(bit 42 of status list 'main' is set\)/);
  const afterJson = json<{ valid: boolean; error: { code: string; details: { index: number; listId: string } } }>(await cli(["--json", "credential", "verify", file], 4));
  assert.deepEqual([afterJson.valid, afterJson.error.code, afterJson.error.details.listId, afterJson.error.details.index], [false, "CREDENTIAL_REVOKED", "main", 42]);
  // Without the status check the rest still holds.
  await cli(["credential", "verify", file, "--no-status"], 0);
  // Revocation is irreversible and one-shot: a second revoke is refused by the module.
  await cli(["credential", "revoke", file, "--key", "issuer"], 3);
});

test("verify --genesis proves every record with a light client; a node hiding the revocation is caught, not believed", async () => {
  const file = join(root, "alice.jwt");
  const genesis = join(home, "genesis.json");
  // The revoked credential of the previous test: revoked according to proved state too.
  const revoked = json<{ valid: boolean; error: { code: string } }>(await cli(["--json", "credential", "verify", file, "--genesis", genesis], 4));
  assert.deepEqual([revoked.valid, revoked.error.code], [false, "CREDENTIAL_REVOKED"]);
  const ok = json<{ valid: boolean; provedAtHeight: number }>(await cli(["--json", "credential", "verify", file, "--genesis", genesis, "--no-status"], 0));
  assert.equal(ok.valid, true);
  assert.ok(ok.provedAtHeight > 0, JSON.stringify(ok));
  const human = await cli(["credential", "verify", file, "--genesis", genesis, "--no-status"], 0);
  assert.match(human.stdout, /proved\s+every record against the light-client-verified header at height \d+/);

  // A node that hides the revocation: it answers the status list's chunks as all zero.
  const genesisText = await readFile(genesis, "utf8");
  const lying: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    const u = new URL(String(input instanceof Request ? input.url : input));
    const key = u.searchParams.get("key") ?? "";
    if (!(u.pathname === "/v1/proofs/state" && key.startsWith("identity/slist/") && key.split("/").length > 4)) return res;
    const body = (await res.json()) as { value: string | null; proof: { value: string | null } };
    if (body.value) body.value = body.proof.value = "00".repeat(body.value.length / 2);
    return new Response(JSON.stringify(body), { status: res.status, headers: { "content-type": "application/json" } });
  };
  const jwt = (await readFile(file, "utf8")).trim();
  const lc = LightClient.fromGenesis(new CivitasClient(url, { fetch: lying }), genesisText);
  await assert.rejects(verifyCredential(jwt, { resolver: new LightClientResolver(lc) }), (e: unknown) => e instanceof LightClientError && e.check === "stateProof");
  // The honest node, proved, still says revoked.
  const honest = new LightClientResolver(LightClient.fromGenesis(new CivitasClient(url), genesisText));
  await assert.rejects(verifyCredential(jwt, { resolver: honest }), (e: unknown) => isCivitasError(e) && e.code === "CREDENTIAL_REVOKED");
  // A DID that does not exist is proved absent.
  await assert.rejects(honest.resolveDid(`did:civitas:${CHAIN}:nobody`), (e: unknown) => isCivitasError(e) && e.code === "DID_NOT_FOUND");
});

test("issue refuses what would never verify; verify names the failure", async () => {
  const base = ["credential", "issue", "--issuer", ISSUER, "--type", "ResidentCredential", "--subject", SUBJECT];
  const notHisKey = await cli([...base, "--key", "stranger"], 1);
  assert.match(notHisKey.stderr, /error KEY_INVALID: key 'stranger' \(0x[0-9a-f]{40}\) is not a key of did:civitas:cred-cli:city-registry/);
  const noList = await cli([...base, "--key", "issuer", "--status-list", "nope", "--status-index", "1"], 1);
  assert.match(noList.stderr, /error CREDENTIAL_INVALID: status list 'nope' of did:civitas:cred-cli:city-registry does not exist/);
  const outside = await cli([...base, "--key", "issuer", "--status-list", "main", "--status-index", "131072"], 1);
  assert.match(outside.stderr, /outside status list 'main' \(size 131072\)/);
  const half = await cli([...base, "--key", "issuer", "--status-list", "main"], 1);
  assert.match(half.stderr, /--status-list and --status-index go together/);
  const badClaims = await cli([...base, "--key", "issuer", "--claims", "[1,2]"], 1);
  assert.match(badClaims.stderr, /error CREDENTIAL_INVALID: --claims must be a JSON object/);
  const badSubject = await cli([...base.slice(0, -1), "alice", "--key", "issuer"], 1);
  assert.match(badSubject.stderr, /error DID_INVALID: subject 'alice' is not a valid DID/);
  const unknownIssuer = await cli(["credential", "issue", "--issuer", `did:civitas:${CHAIN}:nobody`, "--type", "X", "--subject", SUBJECT, "--key", "issuer"], 1);
  assert.match(unknownIssuer.stderr, /error DID_NOT_FOUND/);
  const badTime = await cli([...base, "--key", "issuer", "--valid-until", "tomorrow"], 1);
  assert.match(badTime.stderr, /--valid-until must be an ISO 8601/);

  // An unregistered type is issued (registration may follow) with a warning, and does not verify.
  const file = join(root, "parking.jwt");
  const warned = await cli([...base.slice(0, 4), "--type", "ParkingPermit", "--subject", SUBJECT, "--key", "issuer", "-o", file], 0);
  assert.match(warned.stderr, /warning: did:civitas:cred-cli:city-registry is not registered for ParkingPermit/);
  const untrusted = await cli(["credential", "verify", file], 4);
  assert.match(untrusted.stderr, /invalid ISSUER_UNTRUSTED: issuer did:civitas:cred-cli:city-registry is not trusted for ParkingPermit \(registered for: ResidentCredential\)/);
  // No status entry: nothing to revoke.
  const cannot = await cli(["credential", "revoke", file, "--key", "issuer"], 1);
  assert.match(cannot.stderr, /error CREDENTIAL_INVALID: the credential has no credentialStatus/);

  // A tampered file: a changed claim under the issuer's signature.
  const jwt = (await readFile(file, "utf8")).trim();
  const [h, p, s] = jwt.split(".");
  const payload = JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as { type: string[] };
  payload.type = ["VerifiableCredential", "ResidentCredential"];
  const tampered = join(root, "tampered.jwt");
  await writeFile(tampered, `${h}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${s}\n`);
  const bad = await cli(["credential", "verify", tampered], 4);
  assert.match(bad.stderr, /invalid CREDENTIAL_BAD_SIGNATURE: the signature does not verify with the issuer's key 'did:civitas:cred-cli:city-registry#key-1'/);
  // A tampered credential is not revoked either: that would let a forger set another holder's bit.
  const forgedRevoke = await cli(["credential", "revoke", tampered, "--key", "issuer"], 1);
  assert.match(forgedRevoke.stderr, /error CREDENTIAL_BAD_SIGNATURE/);

  const garbage = join(root, "garbage.jwt");
  await writeFile(garbage, "this is not a jwt\n");
  const malformed = json<{ valid: boolean; error: { code: string } }>(await cli(["--json", "credential", "verify", garbage], 4));
  assert.deepEqual([malformed.valid, malformed.error.code], [false, "CREDENTIAL_INVALID"]);
  const missing = await cli(["credential", "verify", join(root, "missing.jwt")], 1);
  assert.match(missing.stderr, /cannot read credential file .*missing\.jwt': ENOENT/);
  const shown = json<{ verified: boolean; credential: { type: string[] } }>(await cli(["--json", "credential", "show", tampered], 0));
  assert.deepEqual([shown.verified, shown.credential.type[1]], [false, "ResidentCredential"]);
});

test("SDK: issue with the node's DID document, verify, attest on chain, revoke, verify fails", async () => {
  const keyFile = loadKeyFile(keysDir, "issuer");
  const { secretKey } = decryptKey(keyFile, PASS);
  const { jwt, credential } = await issueCredentialWithNode(url, { issuer: ISSUER, secretKey, type: "ResidentCredential", subject: SUBJECT, claims: { floor: 3 }, status: { listId: "main", index: 100 } });
  assert.equal(credential.credentialStatus?.statusListCredential, `${url}/v1/identity/status-lists/${ISSUER}/main`);
  const v = await verifyCredentialWithNode(url, jwt);
  assert.deepEqual([v.kid, v.subject, v.status?.index], [`${ISSUER}#key-1`, SUBJECT, 100]);
  // The module's own (synchronous, deterministic) verifier accepts what this library issues.
  await send("issuer", "createDid", { did: SUBJECT, kind: "person", document: JSON.stringify({ keys: [keyFile.publicKey] }) });
  const attest = await new CivitasClient(url).send(Wallet.fromSecretKey(secretKey), [{ module: "identity", method: "attestClaims", args: { jwt } }]);
  assert.equal(attest.receipt?.status, "ok", `${attest.receipt?.code} ${attest.receipt?.message}`);
  assert.deepEqual(attest.receipt?.events.map((e) => e.type), ["ClaimsAttested"]);
  const r = await revokeCredential(url, Wallet.fromSecretKey(secretKey), jwt, { reason: "sdk test" });
  assert.equal(r.receipt?.status, "ok");
  assert.deepEqual(r.receipt?.events.map((e) => e.type), ["CredentialStatusChanged"]);
  await assert.rejects(verifyCredentialWithNode(url, jwt), (e) => isCivitasError(e) && e.code === "CREDENTIAL_REVOKED");
  await assert.rejects(issueCredentialWithNode(url, { issuer: ISSUER, secretKey: new Uint8Array(32).fill(7), type: "ResidentCredential", subject: SUBJECT }), (e) => isCivitasError(e) && e.code === "KEY_INVALID");
});
