/**
 * The PostgreSQL indexer against a real PostgreSQL server (installed and started by
 * scripts/ensure-postgres.sh; if that fails, the test fails with its reason) and a real dev
 * node carrying a few hundred transactions with events, some of them failed. The indexer runs
 * as its own process (`civitas indexer`), is SIGKILLed mid-run and resumed, re-run over indexed
 * heights, pointed at a node of another chain, and queried over its HTTP API.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { decodeReceipt, encodeReceipt } from "../../src/ledger/receipt.js";
import { fromHex, toHex } from "../../src/util/bytes.js";
import type { TestAccount } from "./helpers/devnode.js";
import { DevNode, hexOf, sleep } from "./helpers/devnode.js";
import type { Proc } from "./helpers/proc-node.js";
import { describeRun, getJson, killAll, runCli, spawnCli } from "./helpers/proc-node.js";

const T = { timeout: 60_000 };
const SCRIPT = fileURLToPath(new URL("../../../scripts/ensure-postgres.sh", import.meta.url));
const TABLES: Array<[string, string]> = [
  ["blocks", "height"],
  ["transactions", "hash"],
  ["events", "height, tx_index, event_index"],
  ["accounts", "address"],
  ["account_txs", "address, height, tx_index"],
];

let baseUrl = "";
let admin: pg.Pool;
const dbs: string[] = [];
let dev: DevNode;
let other: DevNode | undefined;
const txHashes: string[] = [];

async function freshDb(tag: string): Promise<string> {
  const name = `civitas_idx_${tag}_${process.pid}`;
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  dbs.push(name);
  const u = new URL(baseUrl);
  u.pathname = "/" + name;
  return u.toString();
}

/** One digest per table over every row in key order: equal digests, equal tables. */
async function digest(url: string): Promise<Record<string, string>> {
  const p = new pg.Pool({ connectionString: url, max: 1 });
  try {
    const out: Record<string, string> = {};
    for (const [t, key] of TABLES) {
      const r = await p.query<{ n: string; d: string | null }>(`SELECT count(*) n, md5(string_agg(x::text, '|' ORDER BY ${key})) d FROM ${t} x`);
      out[t] = `${r.rows[0].n}:${r.rows[0].d ?? "-"}`;
    }
    const s = await p.query<{ last_height: string; last_hash: string }>("SELECT last_height, last_hash FROM indexer_state");
    out.state = s.rows.length ? `${s.rows[0].last_height}:${s.rows[0].last_hash}` : "-";
    return out;
  } finally {
    await p.end();
  }
}

async function lastHeight(url: string): Promise<number> {
  const p = new pg.Pool({ connectionString: url, max: 1 });
  try {
    const r = await p.query<{ last_height: string }>("SELECT last_height FROM indexer_state").catch(() => ({ rows: [] as Array<{ last_height: string }> }));
    return r.rows.length ? Number(r.rows[0].last_height) : -1;
  } finally {
    await p.end();
  }
}

const indexArgs = (db: string, node: string, ...more: string[]): string[] => ["indexer", "--pg", db, "--node", node, "--json", ...more];

/** A few hundred transactions in many small blocks: transfers (Transfer events) and some that fail. */
async function makeTraffic(d: DevNode): Promise<void> {
  const nonces = new Map<TestAccount, number>();
  for (const a of d.accounts) nonces.set(a, await d.nonceOf(a.address));
  const next = (a: TestAccount): number => {
    const n = nonces.get(a) as number;
    nonces.set(a, n + 1);
    return n;
  };
  for (let round = 0; round < 30; round++) {
    const batch = [];
    for (let i = 0; i < 10; i++) {
      const from = d.accounts[(round + i) % d.accounts.length];
      const to = d.accounts[(round + i + 1) % d.accounts.length];
      // Every 7th transfer asks for more than anyone holds: a committed, failed receipt.
      const amount = (round * 10 + i) % 7 === 6 ? 10n ** 15n : BigInt(1 + i + round);
      batch.push(hexOf(d.transfer(from, to.address, amount, next(from), { memo: `r${round}i${i}` })));
    }
    const r = await d.client.submitBatch(batch, 5_000);
    assert.equal(r.accepted, 10, JSON.stringify(r.results.filter((x) => x.error)));
    for (const x of r.results) txHashes.push(x.hash as string);
  }
  // Every transaction has committed before the indexer starts.
  await d.client.waitForTx(txHashes[txHashes.length - 1], 10_000);
}

before(async () => {
  let url: string;
  try {
    url = execFileSync("sh", [SCRIPT], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 900_000 }).trim();
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`PostgreSQL could not be installed or started by scripts/ensure-postgres.sh: ${err.stderr || err.message}`);
  }
  baseUrl = url.split("\n").pop() as string;
  admin = new pg.Pool({ connectionString: baseUrl, max: 1 });
  dev = await DevNode.start({ chainId: "idx-test", blockIntervalMs: 30 });
  await makeTraffic(dev);
});

after(async () => {
  await killAll();
  await dev?.stop();
  await other?.stop();
  if (admin) {
    for (const d of dbs) await admin.query(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
});

let reference = "";
let refDigest: Record<string, string>;

test("indexes a node's chain: blocks, transactions, events and accounts match the node API", T, async () => {
  reference = await freshDb("ref");
  const args = indexArgs(reference, dev.url, "--once");
  const r = await runCli(args, { timeoutMs: 40_000 });
  assert.equal(r.code, 0, describeRun(args, r));
  const head = JSON.parse(r.stdout) as { height: number; blocks: number; txs: number };
  const nodeHead = await dev.headHeight();
  assert.ok(head.height >= 30 && head.height <= nodeHead, `indexed to ${head.height}, node head ${nodeHead}`);
  assert.equal(head.blocks, head.height + 1, "every block from 0 was added once");
  assert.equal(head.txs, txHashes.length);

  const db = new pg.Pool({ connectionString: reference, max: 1 });
  try {
    const blocks = await db.query<{ height: string; hash: string; tx_count: number }>("SELECT height, hash, tx_count FROM blocks ORDER BY height");
    assert.equal(blocks.rows.length, head.height + 1);
    for (const b of blocks.rows) {
      const nb = await dev.get(`/v1/blocks/${b.height}`);
      assert.equal(b.hash, nb.body.hash, `block ${b.height}`);
      assert.equal(b.tx_count, nb.body.txs.length);
    }
    const txs = await db.query<{ hash: string; height: string; tx_index: number; status: string; code: string | null; gas_used: string; memo: string; sender: string }>("SELECT hash, height, tx_index, status, code, gas_used, memo, sender FROM transactions");
    assert.equal(txs.rows.length, txHashes.length);
    assert.deepEqual(new Set(txs.rows.map((t) => t.hash)), new Set(txHashes));
    const failed = txs.rows.filter((t) => t.status === "failed");
    assert.ok(failed.length >= 30 && failed.every((t) => t.code === "EXEC_INSUFFICIENT_BALANCE"), `failed: ${failed.length}`);
    for (const t of txs.rows.filter((_, i) => i % 15 === 0)) {
      const n = (await dev.get(`/v1/txs/${t.hash}`)).body;
      assert.equal(Number(t.height), n.height);
      assert.equal(t.tx_index, n.index);
      assert.equal(t.status, n.receipt.status);
      assert.equal(Number(t.gas_used), n.receipt.gasUsed);
      assert.equal(t.memo, n.tx.memo);
      assert.equal(t.sender, n.tx.from);
      const ev = await db.query<{ module: string; type: string; accounts: string[]; attrs: unknown }>("SELECT module, type, accounts, attrs FROM events WHERE tx_hash = $1 ORDER BY event_index", [t.hash]);
      assert.deepEqual(ev.rows, n.receipt.events, `events of ${t.hash}`);
    }
    const transfers = await db.query<{ n: string }>("SELECT count(*) n FROM events WHERE module = 'token' AND type = 'Transfer'");
    const nodeTransfers = (await dev.get("/v1/events?type=token.Transfer&limit=1000")).body.events.length;
    assert.equal(Number(transfers.rows[0].n), nodeTransfers);
    assert.equal(nodeTransfers, txHashes.length - failed.length, "one Transfer per successful transfer");
    for (const a of dev.accounts) {
      const acc = (await db.query<{ next_nonce: string; balance: string; tx_count: string }>("SELECT next_nonce, balance::text, tx_count FROM accounts WHERE address = $1", [a.address])).rows[0];
      assert.ok(acc, `account ${a.address} indexed`);
      assert.equal(Number(acc.next_nonce), await dev.nonceOf(a.address));
      assert.equal(acc.balance, (await dev.balanceOf(a.address)).toString());
      const hist = (await dev.get(`/v1/accounts/${a.address}/txs?limit=1000`)).body.txs.length;
      assert.equal(Number(acc.tx_count), hist, `tx count of ${a.address}`);
    }
  } finally {
    await db.end();
  }
  refDigest = await digest(reference);
});

test("SIGKILL in the middle of a run, twice: the restarted indexer resumes with no gap or duplicate and the same tables", T, async () => {
  assert.ok(refDigest, "needs the reference index");
  const db = await freshDb("crash");
  const head = Number(refDigest.state.split(":")[0]);
  // Follow mode (no --once), small batches; killed as soon as it has made some progress.
  for (const killAt of [3, Math.floor(head / 2)]) {
    const p: Proc = spawnCli(indexArgs(db, dev.url, "--batch", "2"));
    let h = -1;
    const deadline = Date.now() + 20_000;
    while ((h = await lastHeight(db)) < killAt && Date.now() < deadline && p.running) await sleep(5);
    await p.kill();
    const at = await lastHeight(db);
    assert.ok(at >= killAt && at < head, `killed at height ${at} (wanted ${killAt}..${head - 1}; last seen ${h})\n${p.stderr}`);
  }
  const args = indexArgs(db, dev.url, "--once");
  const r = await runCli(args, { timeoutMs: 40_000 });
  assert.equal(r.code, 0, describeRun(args, r));
  const got = await digest(db);
  assert.deepEqual(got, refDigest);
  const p = new pg.Pool({ connectionString: db, max: 1 });
  try {
    const gaps = await p.query<{ n: string; mx: string }>("SELECT count(*) n, max(height) mx FROM blocks");
    assert.equal(Number(gaps.rows[0].n), Number(gaps.rows[0].mx) + 1, "heights 0..max with no gap");
  } finally {
    await p.end();
  }
});

test("re-running over indexed heights changes nothing", T, async () => {
  assert.ok(refDigest, "needs the reference index");
  const args = indexArgs(reference, dev.url, "--once");
  const r = await runCli(args, { timeoutMs: 30_000 });
  assert.equal(r.code, 0, describeRun(args, r));
  assert.equal(JSON.parse(r.stdout).blocks, 0);
  assert.deepEqual(await digest(reference), refDigest);

  // Writing an already indexed block again (as after a crash between commit and bookkeeping) is a no-op.
  const { NodeSource } = await import("../../src/indexer/source.js");
  const { writeBlock } = await import("../../src/indexer/store.js");
  const src = new NodeSource(dev.url);
  const { chainId } = await src.connect();
  const pool = new pg.Pool({ connectionString: reference, max: 2 });
  try {
    for (const h of [0, 5, 12]) assert.equal(await writeBlock(pool, chainId, await src.block(h)), false, `block ${h} again`);
    // A next block that does not link to the last indexed one is refused inside the transaction.
    const last = Number(refDigest.state.split(":")[0]);
    const b = await src.block(last);
    await assert.rejects(writeBlock(pool, chainId, { ...b, height: last + 1, hash: "ee".repeat(32), prevHash: "dd".repeat(32) }), (e: Error & { code?: string }) => e.code === "INDEXER_CHAIN_MISMATCH" && /links to d{64}/.test(e.message));
    // So is an indexed height whose hash differs.
    await assert.rejects(writeBlock(pool, chainId, { ...b, hash: "ee".repeat(32) }), (e: Error & { code?: string }) => e.code === "INDEXER_CHAIN_MISMATCH");
  } finally {
    await pool.end();
  }
  assert.deepEqual(await digest(reference), refDigest);
});

test("a node of another chain is refused loudly and nothing is written", T, async () => {
  assert.ok(refDigest, "needs the reference index");
  // Same chain id, different genesis (validator and accounts): only the hashes tell them apart.
  other = await DevNode.start({ chainId: "idx-test", blockIntervalMs: 30 });
  await other.commit(other.transfer(other.accounts[0], other.accounts[1].address, 1, 0));
  const args = indexArgs(reference, other.url, "--once");
  const r = await runCli(args, { timeoutMs: 30_000 });
  assert.equal(r.code, 1, describeRun(args, r));
  assert.match(r.stderr, /INDEXER_CHAIN_MISMATCH/);
  assert.match(r.stderr, /another chain/);
  assert.deepEqual(await digest(reference), refDigest);

  // With a trusted genesis, a fresh index refuses a node whose certificates are not the genesis set's.
  const fresh = await freshDb("lc");
  const lcArgs = indexArgs(fresh, other.url, "--once", "--genesis", join(dev.dir, "genesis.json"));
  const lc = await runCli(lcArgs, { timeoutMs: 30_000 });
  assert.equal(lc.code, 1, describeRun(lcArgs, lc));
  assert.match(lc.stderr, /BLOCK_INVALID: light client: height [01]: (genesis|headerHash|prevHash|commit|validatorSetHash) check failed/);
  assert.ok((await lastHeight(fresh)) <= 0, "nothing past genesis block 0 was indexed");
});

/** An HTTP proxy to `target` that lets `edit` rewrite JSON answers by path. */
async function tamperingProxy(target: string, edit: (path: string, body: Record<string, unknown>) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    void (async () => {
      const r = await fetch(target + (req.url ?? "/"));
      const text = await r.text();
      let out = text;
      if (r.status === 200) {
        const body = JSON.parse(text) as Record<string, unknown>;
        edit(req.url ?? "/", body);
        out = JSON.stringify(body);
      }
      res.writeHead(r.status, { "content-type": "application/json" });
      res.end(out);
    })().catch((e: Error) => {
      res.writeHead(502);
      res.end(e.message);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

test("a node serving altered headers, receipts, balances or tx lists is refused (BLOCK_INVALID) and nothing is written", T, async () => {
  const db = await freshDb("tamper");
  const withTx = txHashes[40];
  const { height } = (await dev.get(`/v1/txs/${withTx}`)).body as { height: number };
  const cases: Array<[string, (path: string, body: Record<string, unknown>) => void, RegExp]> = [
    ["a header field", (path, body) => {
      if (path === "/v1/blocks/3") (body.header as Record<string, unknown>).time = ((body.header as { time: number }).time + 1);
    }, /BLOCK_INVALID: block 3 from the node fails verification: its header hashes to/],
    ["a receipt's status", (path, body) => {
      if (path === `/v1/proofs/receipt/${withTx}`) {
        const r = decodeReceipt(fromHex(body.raw as string));
        body.raw = toHex(encodeReceipt({ ...r, status: r.status === "ok" ? "failed" : "ok", code: r.status === "ok" ? "EXEC_INSUFFICIENT_BALANCE" : null, events: [] }));
      }
    }, new RegExp(`BLOCK_INVALID: block ${height} from the node fails verification: the receipts do not rebuild the header's receiptRoot`)],
    ["a balance", (path, body) => {
      if (path.startsWith("/v1/query/token/balance") && path.includes(`height=${height}`)) body.value = String(BigInt(body.value as string) + 1n);
    }, new RegExp(`BLOCK_INVALID: block ${height} from the node fails verification: the balance of 0x[0-9a-f]{40} \\([0-9]+\\) is not the proven value`)],
    ["a dropped transaction", (path, body) => {
      if (path === `/v1/blocks/${height}`) (body.txs as string[]).pop();
    }, new RegExp(`BLOCK_INVALID: block ${height} from the node fails verification: the header counts`)],
  ];
  for (const [what, edit, expect] of cases) {
    const proxy = await tamperingProxy(dev.url, edit);
    try {
      const args = indexArgs(db, proxy.url, "--once", "--batch", "100");
      const r = await runCli(args, { timeoutMs: 30_000 });
      assert.equal(r.code, 1, `${what}: ${describeRun(args, r)}`);
      assert.match(r.stderr, expect, what);
      assert.equal(await lastHeight(db), -1, `${what}: the batch holding the altered block wrote nothing`);
    } finally {
      await proxy.close();
    }
  }
});

test("follows new blocks live, certificates checked from genesis, and serves the query API; bad queries get 4xx", T, async () => {
  assert.ok(reference, "needs the reference index");
  const p = spawnCli(indexArgs(reference, dev.url, "--serve", "0", "--poll-ms", "5000", "--genesis", join(dev.dir, "genesis.json")));
  const m = await p.waitFor(/query API on (http:\/\/[0-9.:]+)\//, "stderr");
  const api = m[1];
  const a = dev.accounts[0];
  const b = dev.accounts[2];
  const sent = await dev.commit(dev.transfer(a, b.address, 77, await dev.nonceOf(a.address), { memo: "live" }));
  // The block stream wakes the indexer well before the 5 s poll would.
  const t0 = Date.now();
  let st = (await getJson<{ height: number }>(`${api}/v1/indexer/status`)).body;
  while (st.height < (sent.height as number) && Date.now() - t0 < 4_000) {
    await sleep(50);
    st = (await getJson<{ height: number }>(`${api}/v1/indexer/status`)).body;
  }
  assert.ok(st.height >= (sent.height as number), `indexed to ${st.height}, the transfer is in ${sent.height}`);

  const tx = await getJson<{ hash: string; memo: string; status: string; events: Array<{ type: string; attrs: { amount: string } }> }>(`${api}/v1/indexer/txs/${sent.hash}`);
  assert.equal(tx.status, 200);
  assert.equal(tx.body.memo, "live");
  assert.equal(tx.body.events[0].type, "Transfer");
  assert.equal(tx.body.events[0].attrs.amount, "77");
  const byAcct = await getJson<{ txs: Array<{ hash: string }> }>(`${api}/v1/indexer/accounts/${b.address}/txs?limit=5`);
  assert.equal(byAcct.body.txs[0].hash, sent.hash, "newest first");
  const acct = await getJson<{ balance: string }>(`${api}/v1/indexer/accounts/${b.address}`);
  assert.equal(acct.body.balance, (await dev.balanceOf(b.address)).toString());
  const blocks = await getJson<{ blocks: Array<{ height: number }> }>(`${api}/v1/indexer/blocks?limit=3`);
  assert.deepEqual(blocks.body.blocks.map((x) => x.height), [st.height, st.height - 1, st.height - 2]);
  const ev = await getJson<{ events: Array<{ height: number }> }>(`${api}/v1/indexer/events?type=token.Transfer&limit=200`);
  assert.equal(ev.body.events.length, 200);
  for (const [q, kind] of [[String(sent.height), "block"], [sent.hash, "tx"], [sent.blockHash as string, "block"], [b.address, "account"], ["0x" + "ab".repeat(20), "none"]]) {
    const s = await getJson<{ kind: string }>(`${api}/v1/indexer/search?q=${q}`);
    assert.equal(s.body.kind, kind, `search ${q}`);
  }
  for (const [path, status, code] of [
    ["/v1/indexer/txs/" + "00".repeat(32), 404, "TX_NOT_FOUND"],
    ["/v1/indexer/txs/nothex", 400, "API_BAD_REQUEST"],
    ["/v1/indexer/blocks?limit=100000", 400, "API_BAD_REQUEST"],
    ["/v1/indexer/events?type=Transfer", 400, "API_BAD_REQUEST"],
    ["/v1/indexer/search?q=what", 400, "API_BAD_REQUEST"],
    ["/v1/indexer/nope", 404, "API_NOT_FOUND"],
  ] as const) {
    const r = await getJson<{ code: string }>(api + path);
    assert.equal(r.status, status, path);
    assert.equal(r.body.code, code, path);
  }
  const post = await fetch(`${api}/v1/indexer/status`, { method: "POST" });
  assert.equal(post.status, 400, "read-only");

  // The CLI query layer reads the same index.
  const q = await runCli(["indexer", "query", "tx", sent.hash, "--pg", reference]);
  assert.equal(q.code, 0, describeRun(["indexer", "query", "tx"], q));
  assert.equal(JSON.parse(q.stdout).hash, sent.hash);
  const stopped = await p.stop("SIGTERM");
  assert.equal(stopped.code, 0, p.stderr);
});
