/**
 * Prometheus metrics of a node after real blocks: a Chain on real LMDB driven by ChainDriver,
 * the node's NodeMonitoring hooked to its commit listener and mempool exactly as CivitasNode
 * wires it, and the exposition text parsed back into series.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConsensusEngine } from "../../src/consensus/engine.js";
import { buildApi } from "../../src/api/server.js";
import { CommitWaiters } from "../../src/api/waiters.js";
import { parseNodeConfig } from "../../src/node/config.js";
import { createLogging } from "../../src/node/logging.js";
import { NodeMonitoring } from "../../src/node/metrics/monitoring.js";
import { createNetworkCa, issueNodeCert, writeNodeTls } from "../../src/p2p/certs.js";
import { ChainDriver, makeFixture } from "../e2e/helpers/proc-chain.js";
import { parseMetrics } from "./metrics-helpers.js";

function get(s: Map<string, number>, key: string): number {
  const v = s.get(key);
  assert.ok(v !== undefined, `series ${key} missing`);
  return v;
}

test("metric values follow real blocks, submissions and the host", { timeout: 60_000 }, async () => {
  const root = await mkdtemp(join(tmpdir(), "civitas-metrics-"));
  const f = makeFixture({ chainId: "metrics-test", wallets: 3 });
  const d = await ChainDriver.open(join(root, "data"), f);
  const ca = await createNetworkCa({ name: "metrics-ca" });
  writeNodeTls(join(root, "tls"), ca, await issueNodeCert(ca, { nodeName: "n0", validYears: 20 / 365.25 }));
  const logging = await createLogging({ level: "info", moniker: "n0", maxFileBytes: 1 << 20, maxFiles: 1, ringSize: 100, stdout: false });
  let round = 0;
  const engine: ConsensusEngine = { start: async () => undefined, stop: async () => undefined, notifyTxs: () => undefined, status: () => ({ engine: "driver", height: d.chain.head().height + 1, round, lastBlockTime: d.chain.head().time }) };
  const config = parseNodeConfig({ moniker: "n0", metrics: { tpsWindowSeconds: 30 } });
  const mon = new NodeMonitoring({ config, chain: d.chain, mempool: d.mempool, engine, dataPath: join(root, "data"), home: root, logging });
  mon.start();
  try {
    const scrape = async (): Promise<Map<string, number>> => {
      const { contentType, text } = await mon.metrics();
      assert.match(contentType, /^text\/plain; version=0\.0\.4/);
      assert.match(text, /\ncivitas_block_height\{node="n0",chain="metrics-test"\} \d+\n/);
      return parseMetrics(text);
    };
    let s = await scrape();
    assert.equal(get(s, "civitas_block_height"), 0);
    assert.equal(get(s, "civitas_blocks_committed_total"), 0);
    assert.equal(get(s, "civitas_peers"), 0, "a node without p2p has no peers");

    const [a, b, c] = f.wallets;
    const transfer = (to: string): { module: string; method: string; args: Record<string, unknown> } => ({ module: "token", method: "transfer", args: { to, amount: "1n" } });
    await d.submit([d.tx(a, [transfer(b.address)]), d.tx(a, [transfer(c.address)]), d.tx(b, [transfer(a.address)])]);
    s = await scrape();
    assert.equal(get(s, "civitas_mempool_txs"), 3);
    const t0 = d.chain.head().time;
    await d.produce(t0 + 500);
    await d.submit([d.tx(c, [transfer(a.address)]), d.tx(a, [transfer(b.address)])]);
    await d.produce(t0 + 2000);
    await d.produce(t0 + 2100); // an empty block
    round = 2;

    s = await scrape();
    // Block intervals from header times: 0.5 s, 1.5 s, 0.1 s.
    const expected: Array<[string, number]> = [
      ["civitas_block_height", 3],
      ["civitas_blocks_committed_total", 3],
      ["civitas_txs_committed_total", 5],
      ["civitas_mempool_txs", 0],
      ["civitas_consensus_round", 2],
      ["civitas_block_interval_seconds_count", 3],
      ['civitas_block_interval_seconds_bucket{le="0.1"}', 1],
      ['civitas_block_interval_seconds_bucket{le="0.5"}', 2],
      ['civitas_block_interval_seconds_bucket{le="1"}', 2],
      ['civitas_block_interval_seconds_bucket{le="2"}', 3],
    ];
    assert.deepEqual(expected.map(([k]) => [k, get(s, k)]), expected);
    assert.ok(Math.abs(get(s, "civitas_block_interval_seconds_sum") - 2.1) < 1e-9);
    // Every transaction was submitted to this node: each has a latency, all well under 30 s.
    assert.equal(get(s, "civitas_commit_latency_seconds_count"), 5);
    assert.equal(get(s, 'civitas_commit_latency_seconds_bucket{le="30"}'), 5);
    assert.ok(get(s, "civitas_commit_latency_seconds_sum") >= 0);
    // 5 transactions committed within the 30 s window.
    assert.ok(Math.abs(get(s, "civitas_tps") - 5 / 30) < 1e-9, `tps ${get(s, "civitas_tps")}`);
    assert.equal(get(s, "civitas_tps_window_seconds"), 30);
    assert.ok(get(s, 'civitas_disk_bytes{kind="store"}') > 0);
    assert.ok(get(s, 'civitas_disk_bytes{kind="total"}') >= get(s, 'civitas_disk_bytes{kind="free"}'));
    const expiry = get(s, 'civitas_cert_expiry_seconds{cert="node-tls"}');
    assert.ok(Math.abs(expiry - 20 * 86_400) < 120, `node-tls expires in ${expiry} s`);
    // Process metrics from prom-client's default collectors.
    assert.ok(get(s, "process_resident_memory_bytes") > 0);
    assert.ok(s.has("nodejs_eventloop_lag_seconds"));

    // The Grafana dashboard queries only series this node exports (plus Prometheus' own `up`).
    const dashboard = JSON.parse(await readFile(new URL("../../../deploy/grafana/civitas-dashboard.json", import.meta.url), "utf8"));
    const exprs: string[] = dashboard.panels.flatMap((p: { targets?: Array<{ expr: string }> }) => (p.targets ?? []).map((t) => t.expr));
    assert.ok(exprs.length >= 15);
    const exported = new Set([...s.keys()].map((k) => k.replace(/\{.*$/, "")));
    for (const name of new Set(exprs.flatMap((e) => e.match(/\b(civitas|process|nodejs)_[a-z0-9_]+/g) ?? []))) assert.ok(exported.has(name), `dashboard series ${name} is not exported`);
  } finally {
    mon.stop();
    await logging.close();
    await d.close();
    await rm(root, { recursive: true, force: true });
  }
});

test("API without an access layer: /metrics is served, operator routes are refused", { timeout: 60_000 }, async () => {
  const root = await mkdtemp(join(tmpdir(), "civitas-metrics-api-"));
  const f = makeFixture({ chainId: "metrics-api", wallets: 1 });
  const d = await ChainDriver.open(join(root, "data"), f);
  const logging = await createLogging({ level: "info", moniker: "n0", maxFileBytes: 1 << 20, maxFiles: 1, ringSize: 100, stdout: false });
  const engine: ConsensusEngine = { start: async () => undefined, stop: async () => undefined, notifyTxs: () => undefined, status: () => ({ engine: "driver", height: d.chain.head().height + 1, round: 0, lastBlockTime: d.chain.head().time }) };
  const config = parseNodeConfig({ moniker: "n0" });
  const mon = new NodeMonitoring({ config, chain: d.chain, mempool: d.mempool, engine, dataPath: join(root, "data"), logging });
  const api = await buildApi({ chain: d.chain, mempool: d.mempool, engine, config, waiters: new CommitWaiters(), version: "test", startedAt: 0, monitoring: mon });
  mon.start();
  try {
    await d.produce();
    const m = await api.inject({ method: "GET", url: "/metrics" });
    assert.equal(m.statusCode, 200);
    assert.equal(parseMetrics(m.body).get("civitas_block_height"), 1);
    for (const [method, url] of [["GET", "/v1/alerts"], ["GET", "/v1/alerts/rules"], ["GET", "/v1/logs"]] as const) {
      const r = await api.inject({ method, url });
      assert.equal(r.statusCode, 403, url);
      assert.equal(r.json().code, "ACCESS_DENIED", url);
    }
    const put = await api.inject({ method: "PUT", url: "/v1/alerts/rules", payload: { rules: [] } });
    assert.equal(put.statusCode, 403);
    assert.equal(mon.rules().rules.length, 7, "the refused PUT changed nothing");
  } finally {
    await api.close();
    mon.stop();
    await logging.close();
    await d.close();
    await rm(root, { recursive: true, force: true });
  }
});
