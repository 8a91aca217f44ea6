/**
 * A network's life through the CLI: created from a YAML spec and started, it commits; list shows
 * it running; stopped, list shows it stopped; started again, the same chain continues; deleted
 * with --yes, its folder and record are gone. Real processes and sockets.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePortRange } from "../../src/util/ports.js";
import { describeRun, runCli } from "./helpers/proc-node.js";

let root: string;
let apiBase: number;
const NAME = "lifecycle-net";
const SOLO = "storage-net";

before(async () => {
  root = await mkdtemp(join(tmpdir(), "civitas-netlife-"));
  apiBase = await freePortRange(8);
});

after(async () => {
  // Whatever the outcome, no node process outlives the test.
  for (const name of [NAME, SOLO]) {
    if (root && existsSync(join(root, "home", "networks", `${name}.json`))) await runCli(["network", "delete", name, "--yes"], { env: { CIVITAS_HOME: join(root, "home") }, timeoutMs: 40_000 });
  }
  if (root) await rm(root, { recursive: true, force: true });
});

async function cli(args: string[], expectCode = 0): Promise<{ stdout: string; stderr: string }> {
  const r = await runCli(args, { env: { CIVITAS_HOME: join(root, "home") }, timeoutMs: 90_000 });
  assert.equal(r.code, expectCode, describeRun(args, r));
  return r;
}

async function height(api: string): Promise<number> {
  return ((await (await fetch(`${api}/v1/status`)).json()) as { head: { height: number } }).head.height;
}

async function waitHeight(api: string, min: number): Promise<number> {
  const end = Date.now() + 30_000;
  for (;;) {
    const h = await height(api).catch(() => -1);
    if (h >= min) return h;
    if (Date.now() > end) throw new Error(`${api} did not reach height ${min} (at ${h})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function blockHash(api: string, h: number): Promise<string> {
  return ((await (await fetch(`${api}/v1/blocks/${h}`)).json()) as { hash: string }).hash;
}

interface ListRow {
  name: string;
  status: string;
  nodes: number;
  apis: string[];
  chainId: string;
}
async function list(): Promise<ListRow[]> {
  return (JSON.parse((await cli(["--json", "network", "list"])).stdout) as { networks: ListRow[] }).networks;
}

test("create from a YAML spec with --start, commit, stop, start again on the same chain, delete --yes", async () => {
  const spec = join(root, "net.yaml");
  await writeFile(spec, [`name: ${NAME}`, "chainId: lifecycle-chain", "consensus: { algorithm: bft }", "block: { intervalMs: 100, createEmptyBlocks: true }", "nodes:", "  validators: 4", "  hardware: { memoryMiB: 256, storageMiB: 1024 }", `ports: { apiBase: ${apiBase}, p2pBase: ${apiBase + 4} }`, "accounts: [{ name: authority }, { name: alice, balance: 500 }]", ""].join("\n"));

  const created = JSON.parse((await cli(["--json", "network", "create", spec, "--start"])).stdout) as { status: string; faultTolerance: number; nodes: Array<{ api: string; role: string }>; dir: string };
  assert.equal(created.status, "running");
  assert.equal(created.faultTolerance, 1);
  assert.deepEqual(created.nodes.map((n) => n.role), ["validator", "validator", "validator", "validator"]);
  const api = created.nodes[0].api;
  assert.equal(api, `http://127.0.0.1:${apiBase}`);
  await waitHeight(api, 2);
  const first = await blockHash(api, 1);

  // The same spec again: the name is taken (and so are the ports).
  const again = await cli(["network", "create", spec], 1);
  assert.match(again.stderr, /CONFIG_INVALID/);

  let rows = await list();
  assert.equal(rows.length, 1);
  assert.deepEqual([rows[0].name, rows[0].chainId, rows[0].status, rows[0].nodes], [NAME, "lifecycle-chain", "running", 4]);
  assert.equal(rows[0].apis[3], `http://127.0.0.1:${apiBase + 3}`);

  await cli(["network", "stop", NAME]);
  rows = await list();
  assert.equal(rows[0].status, "stopped");
  await assert.rejects(fetch(`${api}/v1/health`, { signal: AbortSignal.timeout(1_000) }));

  const restartedAt = await (async () => {
    await cli(["network", "start", NAME]);
    return height(api);
  })();
  // Restarted from its data, not from genesis: block 1 is the same block and the chain grows.
  assert.equal(await blockHash(api, 1), first);
  assert.ok(restartedAt >= 2, `height after restart ${restartedAt}`);
  await waitHeight(api, restartedAt + 2);
  assert.equal((await list())[0].status, "running");

  const refused = await cli(["network", "delete", NAME], 1);
  assert.match(refused.stderr, /--yes/);
  assert.equal((await list())[0].status, "running", "delete without --yes changes nothing");

  await cli(["network", "delete", NAME, "--yes"]);
  assert.deepEqual(await list(), []);
  assert.equal(existsSync(created.dir), false);
  await assert.rejects(fetch(`${api}/v1/health`, { signal: AbortSignal.timeout(1_000) }));
});

test("a node whose data folder outgrows its hardware profile's storageMiB stops committing, with a clear error", async () => {
  const ports = await freePortRange(2);
  const spec = join(root, "solo.json");
  await writeFile(spec, JSON.stringify({ name: SOLO, consensus: { algorithm: "solo" }, block: { intervalMs: 50, createEmptyBlocks: true }, nodes: { validators: 1, hardware: { storageMiB: 1 } }, ports: { apiBase: ports, p2pBase: ports + 1 } }));
  const created = JSON.parse((await cli(["--json", "network", "create", spec, "--start"])).stdout) as { dir: string; nodes: Array<{ api: string }> };
  const api = created.nodes[0].api;
  await waitHeight(api, 3);
  await cli(["network", "stop", SOLO]);
  // The disk fills up (here: another 2 MiB in the data folder) while the node is down.
  await writeFile(join(created.dir, "node0", "data", "filler.bin"), Buffer.alloc(2 * 1024 * 1024, 1));
  await cli(["network", "start", SOLO]);
  const stuck = await height(api);
  await new Promise((r) => setTimeout(r, 1_500));
  assert.equal(await height(api), stuck, "no block is committed above the storage limit");
  const log = await readFile(join(created.dir, "node0", "node.log"), "utf8");
  assert.match(log, /STORAGE_LIMIT_EXCEEDED/);
  assert.match(log, /above the node's storage limit of 1 MiB \(resources.storageMiB\): refusing to commit/);
  assert.equal(log.match(/"alert":"storage_limit_exceeded"/g)?.length, 1, "one alert for the crossing, not one per refused block");
  await cli(["network", "delete", SOLO, "--yes"]);
});
