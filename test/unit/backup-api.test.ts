/**
 * GET /v1/backup on a real node (solo, real socket, in-process): refused to anonymous callers and
 * to accounts no policy permits `admin.backup`; for an operator the chain authority permitted, a
 * backup of the running node that passes every check, restores to the chain the node has, holds
 * no key, and leaves no staging folder in the home. `downloadBackup` (the CLI's URL mode) writes
 * the same checked file. Alert rules an operator set with PUT /v1/alerts/rules are in the backup,
 * and a node started from the restored home serves them.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { blockHash } from "../../src/ledger/block.js";
import { downloadBackup } from "../../src/node/backup/download.js";
import { checkBackup } from "../../src/node/backup/read.js";
import { restoreBackup } from "../../src/node/backup/restore.js";
import { pino } from "pino";
import { loadHome, loadValidatorKey } from "../../src/node/home.js";
import { CivitasNode } from "../../src/node/node.js";
import { ApiError, CivitasClient } from "../../src/sdk/client.js";
import { signedFetch } from "../../src/sdk/signed-fetch.js";
import type { CallInput } from "../../src/sdk/wallet.js";
import { toHex } from "../../src/util/bytes.js";
import { ErrorCode } from "../../src/util/errors.js";
import { RULES_FILE } from "../../src/node/alerts/store.js";
import { DevNode } from "../e2e/helpers/devnode.js";
import type { TestAccount } from "../e2e/helpers/devnode.js";

const T = { timeout: 60_000 };
let dn: DevNode;
let operator: TestAccount;
let other: TestAccount;
let root: string;

async function send(by: TestAccount, calls: CallInput[]): Promise<void> {
  const tx = dn.sign(by, { nonce: dn.node.chain.accountNonce(by.address), calls });
  const r = await dn.commit(tx);
  assert.equal(r.receipt?.status, "ok", `${r.receipt?.code}: ${r.receipt?.message}`);
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), "civitas-backup-api-"));
  dn = await DevNode.start({ chainId: "backup-api", accounts: 3, verifyWorkers: 1 });
  // DevNode runs its node without `home` (no TSA, no proof log); the route needs it, so the
  // same home is started again as `civitas start` does. DevNode's passphrase for its keys:
  await dn.node.stop();
  const home = loadHome(dn.dir);
  dn.node = await CivitasNode.start({ config: home.config, genesis: home.genesis, dataPath: home.dataPath, home: home.dir, secretKey: loadValidatorKey(home, "e2e-test-passphrase"), logger: pino({ level: "silent" }) });
  dn.client = new CivitasClient(dn.node.url, { timeoutMs: 30_000 });
  [, operator, other] = dn.accounts;
  await send(other, [{ module: "token", method: "transfer", args: { to: operator.address, amount: "5n" } }]);
});

after(async () => {
  await dn?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

test("GET /v1/backup: anonymous 401, an account without a policy 403", T, async () => {
  const anon = await dn.get("/v1/backup");
  assert.equal(anon.status, 401);
  assert.equal(anon.body.code, ErrorCode.AUTH_REQUIRED);
  const res = await signedFetch(operator.wallet, `${dn.url}/v1/backup`);
  assert.equal(res.status, 403);
  assert.equal(((await res.json()) as { code: string }).code, ErrorCode.ACCESS_DENIED);
  await assert.rejects(downloadBackup(dn.url, operator.wallet, join(root, "denied.cvb")), (e: unknown) => e instanceof ApiError && e.status === 403 && e.code === ErrorCode.ACCESS_DENIED);
  assert.deepEqual(await readdir(root), [], "a refused download left a file");
  const spec = await dn.get("/docs/json");
  assert.ok((spec.body.paths as Record<string, Record<string, unknown>>)["/v1/backup"]?.get, "OpenAPI lists GET /v1/backup");
});

test("an operator permitted admin.backup downloads a checked backup of the running node that restores to its chain", T, async () => {
  await send(dn.authority, [
    { module: "access", method: "setPolicy", args: { id: "ops-backup", text: `permit (principal in Role::"operator", action == Action::"admin.backup", resource);` } },
    { module: "access", method: "grantRole", args: { role: "operator", member: operator.address } },
  ]);
  const res = await signedFetch(operator.wallet, `${dn.url}/v1/backup`);
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(res.headers.get("content-type"), "application/octet-stream");
  const bytes = Buffer.from(await res.arrayBuffer());
  assert.equal(Number(res.headers.get("content-length")), bytes.length);
  const file = join(root, "api.cvb");
  await writeFile(file, bytes);
  const b = await checkBackup(file);
  assert.equal(b.checksum, res.headers.get("civitas-backup-checksum"));
  assert.equal(String(b.manifest.height), res.headers.get("civitas-backup-height"));
  assert.equal(b.manifest.chainId, "backup-api");
  assert.equal(b.manifest.includesKeys, false);
  assert.ok(!b.manifest.files.some((f) => f.path.includes("key")), `a key in ${b.manifest.files.map((f) => f.path)}`);
  const block = dn.node.chain.getBlock(b.manifest.height);
  assert.ok(block && b.manifest.height >= 2);
  assert.equal(b.manifest.blockHash, toHex(blockHash(dn.node.chain.suite, block.header)));
  assert.deepEqual((await readdir(dn.dir)).filter((n) => n.startsWith(".api-backup-")), [], "staging left in the node home");

  const home = join(root, "restored");
  const r = await restoreBackup(file, home, { verify: true });
  assert.ok(r.verified?.ok);
  assert.equal(r.verified?.headHash, b.manifest.blockHash);

  // The CLI's URL mode: the same, checked before it is named.
  await send(other, [{ module: "token", method: "transfer", args: { to: operator.address, amount: "6n" } }]);
  const d = await downloadBackup(dn.url, operator.wallet, join(root, "cli.cvb"));
  assert.ok(d.manifest.height > b.manifest.height);
  assert.equal((await checkBackup(d.file)).checksum, d.checksum);
  await assert.rejects(downloadBackup(dn.url, operator.wallet, d.file), (e: unknown) => (e as { code?: string }).code === ErrorCode.BACKUP_TARGET_NOT_EMPTY);
});

test("alert rules set with PUT /v1/alerts/rules are in the API backup; a node started from the restored home serves them", T, async () => {
  // The operator role from the previous test; the baseline lets operators set rules.
  const rules = [
    { id: "tps-burst", kind: "tps_above", tps: 20, windowSeconds: 3, severity: "critical", enabled: true, forSeconds: 0 },
    { id: "stalled", kind: "height_stalled", seconds: 5, severity: "warning", enabled: false, forSeconds: 2 },
  ];
  const put = await signedFetch(operator.wallet, `${dn.url}/v1/alerts/rules`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ rules }) });
  assert.equal(put.status, 200, await put.clone().text());
  assert.equal(((await put.json()) as { persisted: boolean }).persisted, true);

  const d = await downloadBackup(dn.url, operator.wallet, join(root, "rules.cvb"));
  assert.equal(d.manifest.version, 2);
  assert.ok(d.manifest.files.some((f) => f.path === RULES_FILE && f.kind === "alert-rules"), `files: ${d.manifest.files.map((f) => f.path)}`);
  const home = join(root, "restored-rules");
  const r = await restoreBackup(d.file, home);
  assert.ok(r.written.includes(RULES_FILE));

  // The restored home, started as `civitas start` would (the validator key is not in a backup over the API).
  const h = loadHome(home);
  const restored = await CivitasNode.start({ config: h.config, genesis: h.genesis, dataPath: h.dataPath, home: h.dir, secretKey: loadValidatorKey(loadHome(dn.dir), "e2e-test-passphrase"), logger: pino({ level: "silent" }) });
  try {
    assert.equal(restored.chain.head().height, d.manifest.height);
    const res = await signedFetch(operator.wallet, `${restored.url}/v1/alerts/rules`);
    assert.equal(res.status, 200, await res.clone().text());
    const got = (await res.json()) as { rules: unknown[]; persisted: boolean };
    assert.deepEqual(got.rules, rules);
    assert.equal(got.persisted, true);
  } finally {
    await restored.stop();
  }
});
