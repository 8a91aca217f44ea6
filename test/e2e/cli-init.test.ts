/**
 * `civitas init` from a file of options (--from) and from an existing genesis with an existing
 * validator key (--genesis + --validator-key): the node starts on what was asked for.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeRun, freePort, getJson, killAll, runCli, startNode } from "./helpers/proc-node.js";

const PASS = "init-test-passphrase";
let root: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), "civitas-init-"));
});

after(async () => {
  await killAll();
  if (root) await rm(root, { recursive: true, force: true });
});

const env = (): Record<string, string> => ({ CIVITAS_PASSPHRASE: PASS, CIVITAS_KEYS_DIR: join(root, "keys") });

async function ok(args: string[]): Promise<string> {
  const r = await runCli(args, { env: env() });
  assert.equal(r.code, 0, describeRun(args, r));
  return r.stdout;
}

test("init --from a JSON file of options: the genesis and the running node reflect every option", async () => {
  const home = join(root, "from-home");
  const port = await freePort();
  const funded = "0x" + "ab".repeat(20);
  const opts = join(root, "init-options.json");
  await writeFile(opts, JSON.stringify({ chainId: "from-file-chain", cryptoSuite: "sm2-sm3", blockIntervalMs: "120", maxBlockTxs: "77", balance: [`${funded}=12345`], apiPort: String(port), moniker: "filed" }));
  await ok(["init", "--home", home, "--from", opts]);
  const genesis = JSON.parse(await readFile(join(home, "genesis.json"), "utf8")) as Record<string, unknown>;
  assert.equal(genesis.chainId, "from-file-chain");
  assert.equal(genesis.cryptoSuite, "sm2-sm3");
  assert.equal(genesis.blockIntervalMs, 120);
  assert.equal(genesis.maxBlockTxs, 77);
  assert.deepEqual(genesis.balances, [{ address: funded, amount: "12345" }]);
  const { url } = await startNode(home, env());
  const status = (await getJson<{ chain: Record<string, unknown>; node: { moniker: string } }>(`${url}/v1/status`)).body;
  assert.equal(url, `http://127.0.0.1:${port}`);
  assert.equal(status.chain.chainId, "from-file-chain");
  assert.equal(status.chain.cryptoSuite, "sm2-sm3");
  assert.equal(status.node.moniker, "filed");
  const bal = (await getJson<{ value: string }>(`${url}/v1/query/token/balance?address=${funded}`)).body;
  assert.equal(bal.value, "12345");
});

test("init --from with a malformed file names the flag and the file", async () => {
  const bad = join(root, "bad-options.json");
  await writeFile(bad, "{ not json");
  const r = await runCli(["init", "--home", join(root, "never"), "--from", bad], { env: env() });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /CONFIG_INVALID: --from .*bad-options\.json: not valid JSON/);
});

test("init --genesis with --validator-key: a prepared genesis starts with the named key as validator", async () => {
  await ok(["keys", "new", "val"]);
  const pub = JSON.parse(await ok(["--json", "keys", "export-public", "val"])) as { publicKey: string; address: string };
  const port = await freePort();
  const genesisFile = join(root, "prepared-genesis.json");
  await writeFile(genesisFile, JSON.stringify({ chainId: "prepared", genesisTime: 1_700_000_000_000, authority: pub.address, validators: [{ name: "val", publicKey: pub.publicKey, power: 5 }], balances: [{ address: pub.address, amount: "1000" }] }));
  const home = join(root, "prepared-home");
  await ok(["init", "--home", home, "--genesis", genesisFile, "--validator-key", "val", "--api-port", String(port)]);
  const { url } = await startNode(home, env());
  const status = (await getJson<{ chain: { chainId: string }; validators: Array<{ address: string; power: number }> }>(`${url}/v1/status`)).body;
  assert.equal(status.chain.chainId, "prepared");
  assert.deepEqual(status.validators.map((v) => [v.address, v.power]), [[pub.address, 5]]);
  // The validator key signs blocks: a transfer from the authority commits.
  const tx = await runCli(["--url", url, "tx", "transfer", "--key", "val", "--to", "0x" + "cd".repeat(20), "--amount", "10"], { env: env() });
  assert.equal(tx.code, 0, describeRun(["tx", "transfer"], tx));
  assert.match(tx.stdout, /committed [0-9a-f]{64} in block 1: ok/);
});

test("init --genesis without the matching key, or with a key of the wrong suite, is refused", async () => {
  const pub = JSON.parse(await ok(["--json", "keys", "export-public", "val"])) as { publicKey: string; address: string };
  const genesisFile = join(root, "prepared-genesis-2.json");
  await writeFile(genesisFile, JSON.stringify({ chainId: "prepared-two", genesisTime: 1_700_000_000_000, authority: pub.address, validators: [{ publicKey: pub.publicKey, power: 1 }] }));
  const noKey = await runCli(["init", "--home", join(root, "p2"), "--genesis", genesisFile], { env: env() });
  assert.notEqual(noKey.code, 0);
  assert.match(noKey.stderr, /GENESIS_INVALID: .*validator key/);
  const smGenesis = join(root, "prepared-sm2.json");
  await writeFile(smGenesis, JSON.stringify({ chainId: "prepared-sm2", cryptoSuite: "sm2-sm3", genesisTime: 1, authority: pub.address, validators: [{ publicKey: "04" + "11".repeat(64), power: 1 }] }));
  const wrongSuite = await runCli(["init", "--home", join(root, "p3"), "--genesis", smGenesis, "--validator-key", "val"], { env: env() });
  assert.notEqual(wrongSuite.code, 0);
  assert.match(wrongSuite.stderr, /KEY_INVALID: key 'val' is ed25519-sha256 but the chain uses sm2-sm3/);
});
