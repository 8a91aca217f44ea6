/**
 * The `civitas` CLI as a user runs it: spawned as `node dist/src/cli/main.js …` with its own
 * environment, checking exit codes, stdout and stderr. Covers help, keys, init and start
 * errors, the client commands against a running node, verify-chain, and `civitas up`.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Proc } from "./helpers/proc-node.js";
import { describeRun, freePort, getJson, killAll, mapLimit, runCli, spawnCli, startNode } from "./helpers/proc-node.js";
import type { RunResult } from "./helpers/proc-node.js";
import { freePortRange } from "../../src/util/ports.js";

const PASS = "cli-test-passphrase";
let root: string;
let keysDir: string;
let passFile: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), "civitas-cli-"));
  keysDir = join(root, "keys");
  passFile = join(root, "passphrase.txt");
  await writeFile(passFile, PASS + "\n", { mode: 0o600 });
});

after(async () => {
  await killAll();
  if (root) await rm(root, { recursive: true, force: true });
});

/** Runs the CLI and checks the exit code; returns the result. */
async function cli(args: string[], expectCode: number | "nonzero", env: Record<string, string | undefined> = {}, cwd?: string): Promise<RunResult> {
  const r = await runCli(args, { env, cwd });
  if (expectCode === "nonzero") assert.ok(r.code !== 0 && r.code !== null, `expected a failure\n${describeRun(args, r)}`);
  else assert.equal(r.code, expectCode, describeRun(args, r));
  return r;
}

function json<T = Record<string, unknown>>(r: RunResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON:\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
}

test("--help works for the root and every subcommand and lists its options", async () => {
  const cases: Array<[string[], string[]]> = [
    [[], ["--json", "--url <url>", "--keys-dir <dir>", "--passphrase-file <file>", "--version", "init", "start", "up", "status", "tx", "query", "block", "keys", "verify-chain", "console"]],
    [["init"], ["--home <dir>", "--from <file>", "--genesis <file>", "--chain-id <id>", "--crypto-suite <suite>", "--consensus <engine>", "--block-interval-ms <ms>", "--max-block-txs <n>", "--authority <address>", "--balance <address=amount>", "--api-host <host>", "--api-port <port>", "--moniker <name>"]],
    [["start"], ["--home <dir>"]],
    [["up"], ["--dir <dir>", "--port <port>", "--validators <n>"]],
    [["status"], ["-h, --help"]],
    [["tx"], ["send", "transfer", "status"]],
    [["tx", "send"], ["--key <name>", "--module <module>", "--method <method>", "--args <json>", "--memo <text>", "--gas-limit <gas>", "--nonce <n>", "--no-wait"]],
    [["tx", "transfer"], ["--key <name>", "--to <address>", "--amount <n>", "--memo <text>", "--no-wait"]],
    [["tx", "status"], ["<hash>", "--wait <ms>"]],
    [["query"], ["<module>", "<query>", "[args...]", "--height <h>"]],
    [["block"], ["<id>"]],
    [["keys"], ["new", "list", "show", "export-public"]],
    [["keys", "new"], ["<name>", "--suite <suite>"]],
    [["keys", "list"], ["-h, --help"]],
    [["keys", "show"], ["<name>", "--check"]],
    [["keys", "export-public"], ["<name>"]],
    [["verify-chain"], ["--home <dir>"]],
  ];
  await mapLimit(cases, 4, async ([cmd, expected]) => {
    const args = [...cmd, "--help"];
    const r = await cli(args, 0);
    assert.match(r.stdout, new RegExp(`^Usage: civitas${cmd.length ? " " + cmd.join(" ") : ""} `), describeRun(args, r));
    for (const e of expected) assert.ok(r.stdout.includes(e), `'civitas ${args.join(" ")}' does not list ${e}:\n${r.stdout}`);
    assert.equal(r.stderr, "");
  });
  // The root's command list, each as an entry of its Commands section (a bare substring such as
  // "up" or "console" would also match inside another command's description).
  const root = await cli(["--help"], 0);
  const commands = root.stdout.slice(root.stdout.indexOf("\nCommands:\n"));
  for (const c of ["init", "start", "up", "status", "tx", "query", "block", "keys", "verify-chain", "backup", "restore", "console"]) {
    assert.match(commands, new RegExp(`\n  ${c} `), `'civitas --help' lists no command ${c}:\n${root.stdout}`);
  }
});

test("keys: new, list, show --check, export-public, and their errors", async () => {
  const k = ["--keys-dir", keysDir];
  const alice = json<{ name: string; address: string; publicKey: string; suite: string }>(await cli([...k, "--json", "keys", "new", "alice"], 0, { CIVITAS_PASSPHRASE: PASS }));
  assert.equal(alice.name, "alice");
  assert.equal(alice.suite, "ed25519-sha256");
  assert.match(alice.address, /^0x[0-9a-f]{40}$/);
  // The passphrase from a file, and the human output.
  const bobOut = await cli([...k, "--passphrase-file", passFile, "keys", "new", "bob"], 0);
  assert.match(bobOut.stdout, /created key 'bob'/);
  const bobAddr = /address\s+(0x[0-9a-f]{40})/.exec(bobOut.stdout)?.[1];
  assert.ok(bobAddr, bobOut.stdout);
  assert.ok(existsSync(join(keysDir, "alice.json")) && existsSync(join(keysDir, "bob.json")));
  const file = await readFile(join(keysDir, "alice.json"), "utf8");
  assert.ok(!file.includes(PASS), "the key file does not contain the passphrase");

  const aliceFileBefore = await readFile(join(keysDir, "alice.json"), "utf8");
  const [list, showOk, showBad, exportHuman, noPass, dupName] = await mapLimit(
    [
      [[...k, "--json", "keys", "list"], 0, {}],
      [[...k, "--json", "keys", "show", "alice", "--check"], 0, { CIVITAS_PASSPHRASE_FILE: passFile }],
      [[...k, "keys", "show", "alice", "--check"], "nonzero", { CIVITAS_PASSPHRASE: "not-the-passphrase" }],
      [[...k, "keys", "export-public", "alice"], 0, {}],
      [[...k, "keys", "new", "erin"], "nonzero", {}],
      [[...k, "keys", "new", "alice"], "nonzero", { CIVITAS_PASSPHRASE: PASS }],
    ] as Array<[string[], number | "nonzero", Record<string, string>]>,
    4,
    ([args, code, env]) => cli(args, code, env),
  );
  assert.deepEqual(json<Array<{ name: string; address: string }>>(list).map((x) => [x.name, x.address]), [["alice", alice.address], ["bob", bobAddr]]);
  const shown = json<{ address: string; passphrase: string; kdf: string; cipher: string }>(showOk);
  assert.equal(shown.address, alice.address);
  assert.equal(shown.passphrase, "ok");
  assert.equal(shown.kdf, "scrypt");
  assert.match(showBad.stderr, /error KEY_BAD_PASSPHRASE/);
  assert.equal(showBad.stdout, "");
  assert.equal(exportHuman.stdout.trim(), alice.publicKey);
  assert.match(noPass.stderr, /KEY_BAD_PASSPHRASE/, "no passphrase and no terminal");
  assert.ok(!existsSync(join(keysDir, "erin.json")));
  assert.ok(dupName.stderr.length > 0, "overwriting an existing key is refused");
  assert.equal(await readFile(join(keysDir, "alice.json"), "utf8"), aliceFileBefore, "alice's key file was not replaced");
});

/** A home initialised once by the CLI, shared by the init and start tests. */
let initialised: Promise<string> | undefined;
function initialisedHome(): Promise<string> {
  initialised ??= (async () => {
    const home = join(root, "init-home");
    const r = await cli(["init", "--home", home, "--chain-id", "cli-init"], 0, { CIVITAS_PASSPHRASE: PASS });
    assert.match(r.stdout, /initialised .*init-home\n\s+chain\s+cli-init \(ed25519-sha256, solo\)/);
    return home;
  })();
  return initialised;
}

test("init refuses bad flags, a second init and a malformed genesis, naming the field", async () => {
  const env = { CIVITAS_PASSPHRASE: PASS };
  const badGenesis = join(root, "genesis-bad.json");
  await writeFile(badGenesis, JSON.stringify({ chainId: "x-chain", genesisTime: 1_700_000_000_000, authority: "0x" + "11".repeat(20), validators: [{ name: "v", publicKey: "ab".repeat(32), power: 1 }], balances: [{ address: "0x" + "22".repeat(20), amount: "-5" }] }));
  const otherValidator = join(root, "genesis-other-validator.json");
  await writeFile(otherValidator, JSON.stringify({ chainId: "x-chain", genesisTime: 1_700_000_000_000, authority: "0x" + "11".repeat(20), validators: [{ name: "v", publicKey: "ab".repeat(32), power: 1 }] }));
  const cases: Array<[string[], RegExp]> = [
    [["--balance", "0x1234=5"], /--balance '0x1234=5' must be <0x address>=<amount>/],
    [["--crypto-suite", "rot13"], /--crypto-suite must be one of ed25519-sha256, sm2-sm3/],
    [["--chain-id", "Not_A_Chain"], /GENESIS_INVALID: genesis\.chainId: /],
    [["--api-port", "http"], /--api-port must be a non-negative integer/],
    [["--genesis", badGenesis], /GENESIS_INVALID: genesis\.balances\[0\]\.amount: /],
    [["--genesis", otherValidator], /GENESIS_INVALID: .*genesis\.validators/],
  ];
  await mapLimit(cases, 4, async ([flags, msg], i) => {
    const h = join(root, `bad-init-${i}`);
    const args = ["init", "--home", h, ...flags];
    const r = await cli(args, "nonzero", env);
    assert.match(r.stderr, msg, describeRun(args, r));
    assert.ok(!existsSync(join(h, "node.json")) && !existsSync(join(h, "genesis.json")), `${args.join(" ")} left a half-initialised home`);
  });

  const home = await initialisedHome();
  const genesisBefore = await readFile(join(home, "genesis.json"), "utf8");
  assert.equal((JSON.parse(genesisBefore) as { chainId: string }).chainId, "cli-init");
  const second = await cli(["init", "--home", home, "--chain-id", "cli-init-2"], "nonzero", env);
  assert.match(second.stderr, /CONFIG_INVALID: .*already initialised/);
  assert.equal(await readFile(join(home, "genesis.json"), "utf8"), genesisBefore, "the second init changed nothing");
});

test("start refuses a node.json with a bad field, naming config.<field>", async () => {
  const env = { CIVITAS_PASSPHRASE: PASS };
  const template = await initialisedHome();
  const config = JSON.parse(await readFile(join(template, "node.json"), "utf8")) as Record<string, unknown> & { api: Record<string, unknown> };
  const cases: Array<[string, unknown, RegExp]> = [
    ["port", { ...config, api: { ...config.api, port: "eighty" } }, /CONFIG_INVALID: .*config\.api\.port: expected an integer/],
    ["unknown", { ...config, colour: "blue" }, /CONFIG_INVALID: .*config\.colour: unknown field/],
  ];
  const results = await mapLimit(cases, 3, async ([name, cfg, msg]) => {
    const home = join(root, `start-bad-${name}`);
    await mkdir(home);
    for (const f of ["genesis.json", "validator.key.json"]) await writeFile(join(home, f), await readFile(join(template, f)));
    await writeFile(join(home, "node.json"), JSON.stringify(cfg));
    const args = ["start", "--home", home];
    const r = await cli(args, "nonzero", env);
    assert.match(r.stderr, msg, describeRun(args, r));
    assert.match(r.stderr, /node\.json/, "the message names the file");
    return r;
  });
  assert.equal(results.length, 2);
  // A wrong passphrase for the validator key is refused too.
  const wrong = await cli(["start", "--home", template], "nonzero", { CIVITAS_PASSPHRASE: "wrong-passphrase" });
  assert.match(wrong.stderr, /KEY_BAD_PASSPHRASE/);
});

test("client commands against a running node, then verify-chain", { timeout: 120_000 }, async () => {
  const env = { CIVITAS_PASSPHRASE: PASS };
  const k = ["--keys-dir", keysDir];
  // Keys from the keys test when run together; create them here if this test runs alone.
  const address = async (name: string): Promise<string> => {
    if (!existsSync(join(keysDir, `${name}.json`))) await cli([...k, "keys", "new", name], 0, env);
    return (JSON.parse(await readFile(join(keysDir, `${name}.json`), "utf8")) as { address: string }).address;
  };
  const alice = await address("alice");
  const bob = await address("bob");

  const home = join(root, "running");
  const port = await freePort();
  await cli(["init", "--home", home, "--chain-id", "cli-chain", "--api-port", String(port), "--block-interval-ms", "50", "--balance", `${alice}=1000000`], 0, env);
  const { proc, url } = await startNode(home, env);
  assert.equal(url, `http://127.0.0.1:${port}`);
  const g = [...k, "--url", url];
  let node: Proc | undefined = proc;
  try {
    // A transfer (passphrase from CIVITAS_PASSPHRASE_FILE) alongside status.
    const [statusRun, transferRun] = await mapLimit(
      [
        [[...g, "--json", "status"], 0, {}],
        [[...g, "--json", "tx", "transfer", "--key", "alice", "--to", bob, "--amount", "100"], 0, { CIVITAS_PASSPHRASE_FILE: passFile }],
      ] as Array<[string[], number, Record<string, string>]>,
      2,
      ([args, code, e]) => cli(args, code, e),
    );
    const status = json<{ chain: { chainId: string; cryptoSuite: string }; head: { height: number }; validators: unknown[] }>(statusRun);
    assert.equal(status.chain.chainId, "cli-chain");
    assert.equal(status.chain.cryptoSuite, "ed25519-sha256");
    assert.equal(status.validators.length, 1);
    const tr = json<{ hash: string; status: string; height: number; receipt: { status: string; events: Array<{ type: string }> } }>(transferRun);
    assert.equal(tr.status, "committed");
    assert.equal(tr.receipt.status, "ok");
    assert.deepEqual(tr.receipt.events.map((e) => e.type), ["Transfer"]);
    assert.ok(tr.height >= 1);

    const [unknown, kvSend, overspend, txStatus, query, block] = await mapLimit(
      [
        [[...g, "tx", "send", "--key", "alice", "--module", "nosuch", "--method", "frob"], "nonzero"],
        [[...g, "--json", "tx", "send", "--key", "alice", "--module", "kv", "--method", "createNamespace", "--args", '{"namespace":"cli-ns"}'], 0],
        [[...g, "--json", "tx", "transfer", "--key", "bob", "--to", alice, "--amount", "5000"], 3],
        [[...g, "--json", "tx", "status", tr.hash], 0],
        [[...g, "--json", "query", "token", "balance", `address=${bob}`], 0],
        [[...g, "--json", "block", "latest"], 0],
      ] as Array<[string[], number | "nonzero"]>,
      3,
      ([args, code]) => cli(args, code, env),
    );
    assert.match(unknown.stderr, /error TX_UNKNOWN_MODULE: unknown module 'nosuch'/);
    assert.equal(json<{ receipt: { status: string } }>(kvSend).receipt.status, "ok");
    const os = json<{ receipt: { status: string; code: string } }>(overspend);
    assert.equal(os.receipt.status, "failed", "an executed-but-failed transaction exits 3");
    assert.equal(os.receipt.code, "EXEC_INSUFFICIENT_BALANCE");
    const ts = json<{ status: string; height: number; proofVerified: boolean; receipt: { status: string } }>(txStatus);
    assert.equal(ts.status, "committed");
    assert.equal(ts.height, tr.height);
    assert.equal(ts.receipt.status, "ok");
    assert.equal(ts.proofVerified, true);
    const q = json<{ value: string; proofVerified: boolean; height: number }>(query);
    assert.equal(q.value, "100");
    assert.equal(q.proofVerified, true);
    const latest = json<{ hash: string; header: { height: number; stateRoot: string }; commit: { signatures: unknown[] } }>(block);
    assert.ok(latest.header.height >= tr.height);
    assert.equal(latest.commit.signatures.length, 1);

    // Stop the node (SIGINT, as Ctrl-C) and verify the chain it wrote.
    const last = (await getJson<{ head: { height: number; hash: string }; mempool: { pending: number } }>(`${url}/v1/status`)).body;
    assert.equal(last.mempool.pending, 0);
    const lastBlock = (await getJson<{ header: { stateRoot: string } }>(`${url}/v1/blocks/latest`)).body;
    const exit = await proc.stop("SIGINT");
    node = undefined;
    assert.equal(exit.code, 0, `node exit ${JSON.stringify(exit)}\n${proc.stderr}`);
    assert.match(proc.stderr, /SIGINT: stopping/);

    const [verifyRun, down] = await mapLimit(
      [
        [["--json", "verify-chain", "--home", home], 0],
        [[...g, "status"], "nonzero"],
      ] as Array<[string[], number | "nonzero"]>,
      2,
      ([args, code]) => cli(args, code),
    );
    const v = json<{ ok: boolean; blocks: number; txs: number; headHash: string; stateRoot: string; problems: string[] }>(verifyRun);
    assert.equal(v.ok, true, v.problems.join("; "));
    assert.equal(v.blocks, last.head.height + 1);
    assert.equal(v.headHash, last.head.hash);
    assert.equal(v.stateRoot, lastBlock.header.stateRoot);
    assert.equal(v.txs, 3, "transfer, kv namespace and the failed overspend");
    assert.match(down.stderr, /error NETWORK_ERROR: .*\n.*hint: start a node/);
  } finally {
    await node?.kill();
  }
});

test("civitas up: 4 validator processes; a transfer commits after one is killed; SIGINT stops them all with exit code 0", { timeout: 90_000 }, async () => {
  const cwd = join(root, "up-cwd");
  await mkdir(cwd);
  // Four consecutive API ports and four p2p ports, all free, below the ephemeral range.
  const port = await freePortRange(8);
  const p2pPort = port + 4;
  const up = spawnCli(["up", "--port", String(port), "--p2p-port", String(p2pPort)], { cwd });
  try {
    const m = await up.waitFor(/node0\s+validator API (http:\/\/\S+)/, "stdout", 60_000);
    assert.equal(m[1], `http://127.0.0.1:${port}`);
    assert.match(up.stderr, /creating a local network in .*up-cwd\/\.civitas: 4 validators, 0 full nodes, network CA, keys authority, alice, bob/);
    const pids = (JSON.parse(await readFile(join(cwd, ".civitas", "pids.json"), "utf8")) as { nodes: Array<{ name: string; pid: number }> }).nodes;
    assert.equal(pids.length, 4);
    process.kill(pids[3].pid, "SIGKILL");
    const s = await getJson<{ chain: { chainId: string }; head: { height: number } }>(`${m[1]}/v1/status`);
    assert.equal(s.status, 200);
    assert.equal(s.body.chain.chainId, "civitas-local");
    // The printed instructions work: the keys are there and the dev passphrase unlocks them.
    const devEnv = { CIVITAS_KEYS_DIR: join(cwd, ".civitas", "keys"), CIVITAS_PASSPHRASE_FILE: join(cwd, ".civitas", "dev-passphrase") };
    const names = json<Array<{ name: string }>>(await cli(["--json", "keys", "list"], 0, devEnv)).map((x) => x.name);
    assert.deepEqual(names.sort(), ["alice", "authority", "bob"]);
    const bob = (JSON.parse(await readFile(join(cwd, ".civitas", "keys", "bob.json"), "utf8")) as { address: string }).address;
    const sent = await cli(["--url", m[1], "tx", "transfer", "--key", "alice", "--to", bob, "--amount", "7"], 0, devEnv);
    assert.match(sent.stdout, /committed [0-9a-f]{64} in block \d+: ok/);
    const exit = await up.stop("SIGINT");
    assert.equal(exit.code, 0, `up exited ${JSON.stringify(exit)}\n${up.stderr}`);
    assert.equal(exit.signal, null);
    await assert.rejects(fetch(`${m[1]}/v1/status`, { signal: AbortSignal.timeout(2_000) }), "the API is down after SIGINT");
  } finally {
    await up.kill();
  }
});
