/**
 * Monitoring on a real node (solo, in-process, real sockets and files): a burst of transactions
 * crosses a TPS threshold and a webhook receiver in the test gets the alert JSON (firing, then
 * resolved when the burst leaves the window); the node stops getting blocks and height_stalled
 * fires; /metrics reflects the committed work; alerts, rules and logs are operator routes
 * decided by the chain's policies; rules put through the API are validated and persist across
 * a restart; node, host and system logs land in separate files.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getNodeSuite } from "../../src/crypto/node-suites.js";
import { signTx } from "../../src/ledger/tx.js";
import { initHome, loadHome, loadValidatorKey } from "../../src/node/home.js";
import { createNetwork } from "../../src/node/network.js";
import { CivitasNode } from "../../src/node/node.js";
import { createNetworkCa, issueNodeCert, writeNodeTls } from "../../src/p2p/certs.js";
import { jsonToArgs } from "../../src/sdk/json.js";
import { signedFetch } from "../../src/sdk/signed-fetch.js";
import { Wallet } from "../../src/sdk/wallet.js";
import { fromHex, toHex } from "../../src/util/bytes.js";
import { freePortRange } from "../../src/util/ports.js";
import { ErrorCode } from "../../src/util/errors.js";
import { parseMetrics } from "../unit/metrics-helpers.js";

const PASS = "monitoring-e2e";
const suite = getNodeSuite("ed25519-sha256");
const key = (): { secretKey: Uint8Array; wallet: Wallet } => {
  const { secretKey } = suite.generateKeyPair();
  return { secretKey, wallet: Wallet.fromSecretKey(secretKey, "ed25519-sha256") };
};
const authority = key();
const alice = key();
let home: string;
let node: CivitasNode;
let hook: Server;
const received: Array<{ event: string; alert: { rule: string; key: string; value: number; threshold: number; severity: string; message: string }; node: string; chain: string }> = [];

const RULES = [
  { id: "tps-burst", kind: "tps_above", tps: 20, windowSeconds: 3, severity: "critical" },
  { id: "stalled", kind: "height_stalled", seconds: 2, severity: "critical" },
  { id: "disk-full", kind: "disk_free_below", percent: 0 },
];

async function startNode(): Promise<void> {
  const h = loadHome(home);
  node = await CivitasNode.start({ config: h.config, genesis: h.genesis, dataPath: h.dataPath, home, secretKey: loadValidatorKey(h, PASS) });
}

async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function tx(from: { secretKey: Uint8Array; wallet: Wallet }, nonce: number, calls: Array<{ module: string; method: string; args: Record<string, unknown> }>): string {
  const t = signTx(suite, { chain: "monitoring-e2e", from: fromHex(from.wallet.address), nonce, expires: Date.now() + 600_000, gasLimit: 1_000_000, calls: calls.map((c) => ({ ...c, args: jsonToArgs(c.args) as never })), memo: "" }, from.secretKey);
  return toHex(t.bytes);
}

async function post(path: string, body: unknown, method = "POST"): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(node.url + path, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function signed(who: Wallet, path: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await signedFetch(who, node.url + path, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

before(async () => {
  hook = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      received.push(JSON.parse(body));
      res.statusCode = 200;
      res.end("{}");
    });
  });
  await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
  home = mkdtempSync(join(tmpdir(), "civitas-monitoring-"));
  initHome({
    home,
    chainId: "monitoring-e2e",
    cryptoSuite: "ed25519-sha256",
    consensus: "solo",
    blockIntervalMs: 100,
    createEmptyBlocks: true,
    authority: authority.wallet.address,
    balances: [authority, alice].map((a) => ({ address: a.wallet.address, amount: "1000000000" })),
    passphrase: PASS,
    scryptN: 1024,
    config: { moniker: "mon-0", api: { host: "127.0.0.1", port: 0 } },
  });
  // A node certificate valid for one year (a solo node does not use it; monitoring still watches it).
  const ca = await createNetworkCa({ name: "monitoring-ca" });
  writeNodeTls(join(home, "tls"), ca, await issueNodeCert(ca, { nodeName: "mon-0", validYears: 1 }));
  const cfgPath = join(home, "node.json");
  const cfg = JSON.parse(readFileSync(cfgPath, "utf8"));
  Object.assign(cfg, {
    verifyWorkers: 1,
    metrics: { tpsWindowSeconds: 3 },
    alerts: { ...cfg.alerts, evalIntervalMs: 200, rules: RULES, webhook: { ...cfg.alerts.webhook, url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`, timeoutMs: 2000, backoffMs: 100 } },
  });
  writeFileSync(cfgPath, JSON.stringify(cfg, null, 2));
  await startNode();
});

after(async () => {
  await node?.stop().catch(() => undefined);
  hook?.closeAllConnections();
  await new Promise((r) => hook?.close(r));
  if (home) rmSync(home, { recursive: true, force: true });
});

test("a TPS burst fires the threshold alert to the webhook, then resolves; /metrics counts the work", { timeout: 60_000 }, async () => {
  // Make the authority an operator (the baseline lets Role::"operator" read alerts and logs).
  const grant = await post("/v1/txs", { tx: tx(authority, 0, [{ module: "access", method: "grantRole", args: { role: "operator", member: authority.wallet.address } }]), waitMs: 10_000 });
  assert.equal(grant.body.status, "committed", JSON.stringify(grant.body));
  assert.equal(received.length, 0, "nothing fired before the burst");

  const burst = Array.from({ length: 150 }, (_, i) => tx(alice, i, [{ module: "token", method: "transfer", args: { to: authority.wallet.address, amount: "1n" } }]));
  const sent = await post("/v1/txs", { txs: burst });
  assert.deepEqual([sent.status, sent.body.accepted, sent.body.rejected], [202, 150, 0]);
  const firing = await until("the tps-burst alert at the webhook", () => received.find((r) => r.alert.rule === "tps-burst" && r.event === "firing"));
  assert.equal(firing.node, "mon-0");
  assert.equal(firing.chain, "monitoring-e2e");
  assert.equal(firing.alert.severity, "critical");
  assert.equal(firing.alert.threshold, 20);
  assert.ok(firing.alert.value > 20, `value ${firing.alert.value}`);
  assert.match(firing.alert.message, /over 3 s is above 20/);
  const resolved = await until("the tps-burst alert to resolve", () => received.find((r) => r.alert.rule === "tps-burst" && r.event === "resolved"));
  assert.equal(resolved.alert.key, "tps-burst");

  const m = await fetch(node.url + "/metrics");
  assert.equal(m.status, 200, "Prometheus scrapes without signing");
  assert.match(m.headers.get("content-type") ?? "", /^text\/plain/);
  const s = parseMetrics(await m.text());
  assert.equal(s.get("civitas_txs_committed_total"), 151);
  assert.equal(s.get("civitas_commit_latency_seconds_count"), 151, "every transaction was submitted to this node");
  assert.ok((s.get("civitas_block_height") ?? 0) >= 2);
  assert.equal(s.get("civitas_blocks_committed_total"), s.get("civitas_block_height"), "every block since genesis was committed by this process");
  assert.ok((s.get("civitas_block_interval_seconds_count") ?? 0) >= 1);
  assert.equal(s.get("civitas_mempool_txs"), 0);
  assert.ok((s.get('civitas_disk_bytes{kind="store"}') ?? 0) > 0);
  const certSeconds = s.get('civitas_cert_expiry_seconds{cert="node-tls"}') ?? 0;
  assert.ok(Math.abs(certSeconds - 365.25 * 86_400) < 600, `node-tls expires in ${certSeconds} s`);

  // Operator routes: unsigned → 401, signed by a non-operator → 403, by the operator → 200.
  const anon = await fetch(node.url + "/v1/alerts");
  assert.equal(anon.status, 401);
  assert.equal(((await anon.json()) as { code: string }).code, ErrorCode.AUTH_REQUIRED);
  const denied = await signed(alice.wallet, "/v1/alerts");
  assert.equal(denied.status, 403);
  assert.equal(denied.body.code, ErrorCode.ACCESS_DENIED);
  const alerts = await signed(authority.wallet, "/v1/alerts");
  assert.equal(alerts.status, 200);
  const history = alerts.body.history as Array<{ event: string; alert: { rule: string } }>;
  assert.deepEqual(history.filter((h) => h.alert.rule === "tps-burst").map((h) => h.event), ["resolved", "firing"]);
  assert.deepEqual(alerts.body.webhook, { sent: received.length, failed: 0, dropped: 0, retries: 0, queued: 0 });
});

test("rules: validated, applied, persisted in the home and loaded after a restart", { timeout: 60_000 }, async () => {
  const put = (body: unknown, who = authority.wallet): Promise<{ status: number; body: Record<string, unknown> }> => signed(who, "/v1/alerts/rules", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const before = await signed(authority.wallet, "/v1/alerts/rules");
  assert.deepEqual((before.body.rules as Array<{ id: string }>).map((r) => r.id), ["tps-burst", "stalled", "disk-full"]);
  assert.equal(before.body.persisted, false);
  assert.ok((before.body.kinds as Record<string, unknown>).cert_expiry);

  const bad = await put({ rules: [{ id: "x", kind: "tps_above", tps: -5, windowSeconds: 10 }] });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.code, ErrorCode.ALERT_RULES_INVALID);
  assert.deepEqual(bad.body.details, { field: "rules[0].tps" });
  assert.equal((await put({ rules: "none" })).status, 400);
  assert.equal((await put({ rules: [] }, alice.wallet)).status, 403, "only operators change rules");
  const unsigned = await post("/v1/alerts/rules", { rules: [] }, "PUT");
  assert.equal(unsigned.status, 401);
  assert.equal(existsSync(join(home, "alert-rules.json")), false, "refused changes wrote nothing");

  const next = [...RULES.slice(0, 2), { id: "cert-soon", kind: "cert_expiry", days: 3650, severity: "info" }];
  const ok = await put({ rules: next });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(ok.body.persisted, true);
  assert.ok(existsSync(join(home, "alert-rules.json")));
  // The node certificate (one year) expires within 3650 days: the new rule fires at once.
  const certAlert = await signed(authority.wallet, "/v1/alerts");
  const cert = (certAlert.body.firing as Array<{ key: string; severity: string; message: string }>).find((a) => a.key === "cert-soon/node-tls");
  assert.ok(cert, JSON.stringify(certAlert.body.firing));
  assert.equal(cert.severity, "info");
  assert.match(cert.message, /certificate node-tls \(CN=mon-0.*\) expires in 36[56]\.\d days/);

  await node.stop();
  await startNode();
  const after = await signed(authority.wallet, "/v1/alerts/rules");
  assert.equal(after.body.persisted, true);
  assert.deepEqual((after.body.rules as Array<{ id: string }>).map((r) => r.id), ["tps-burst", "stalled", "cert-soon"]);
});

test("height_stalled fires when the node stops getting blocks; logs are separated and filterable", { timeout: 60_000 }, async () => {
  const before = received.length;
  await node.engine.stop(); // the API stays up; no block comes any more
  const stalled = await until("the stalled alert at the webhook", () => received.slice(before).find((r) => r.alert.rule === "stalled" && r.event === "firing"), 15_000);
  assert.match(stalled.alert.message, /has not advanced for [2-9] s/);
  const alerts = await signed(authority.wallet, "/v1/alerts");
  assert.ok((alerts.body.firing as Array<{ key: string }>).some((a) => a.key === "stalled"));

  const logs = async (q: string): Promise<{ status: number; body: Record<string, unknown> }> => signed(authority.wallet, `/v1/logs${q}`);
  const sys = await logs("?source=system&keyword=not%20advanced");
  assert.equal(sys.status, 200);
  const entries = sys.body.entries as Array<{ source: string; level: string; msg: string; alert: string }>;
  assert.ok(entries.length >= 1);
  assert.deepEqual([entries[0].source, entries[0].level, entries[0].alert], ["system", "error", "stalled"]);
  const errors = (await logs("?level=error&limit=1000")).body.entries as Array<{ level: string }>;
  assert.ok(errors.length >= 1 && errors.every((e) => e.level === "error" || e.level === "fatal"));
  const nodeLines = (await logs("?source=node&keyword=node%20started")).body.entries as Array<{ source: string; msg: string }>;
  assert.equal(nodeLines.length, 1, "the ring starts afresh with each start");
  assert.equal(nodeLines[0].source, "node");
  const host = (await logs("?source=host")).body.entries as Array<{ msg: string; memTotalBytes: number }>;
  assert.equal(host[0].msg, "host sample");
  for (const q of ["?level=loud", "?source=kernel", "?limit=0", "?limit=1001", `?keyword=${"k".repeat(201)}`]) {
    const r = await logs(q);
    assert.equal(r.status, 400, q);
    assert.equal(r.body.code, ErrorCode.API_BAD_REQUEST, q);
  }
  assert.equal((await fetch(node.url + "/v1/logs")).status, 401);

  const files = readdirSync(join(home, "logs")).sort();
  for (const source of ["host", "node", "system"]) assert.ok(files.some((f) => new RegExp(`^${source}\\.\\d+\\.log$`).test(f)), `${source} log file in ${files.join(", ")}`);
  const systemText = files.filter((f) => f.startsWith("system.")).map((f) => readFileSync(join(home, "logs", f), "utf8")).join("");
  assert.match(systemText, /"msg":"alert firing: committed TPS/);
  assert.match(systemText, /"msg":"alert rules replaced"/);
  const nodeText = files.filter((f) => f.startsWith("node.")).map((f) => readFileSync(join(home, "logs", f), "utf8")).join("");
  assert.ok(!nodeText.includes("alert firing"), "alerts are in the system log, not the node log");
});

test("on a BFT network, a full node alerts when its validator peer goes down (node_down, peers_below, height_stalled)", { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "civitas-monitoring-net-"));
  const base = await freePortRange(4);
  const info = await createNetwork({ dir, chainId: "monitoring-net", validators: 1, fullNodes: 1, host: "127.0.0.1", apiBasePort: base, p2pBasePort: base + 2, passphrase: PASS, accounts: ["authority"], balance: "1000", genesis: { createEmptyBlocks: true, blockIntervalMs: 200 }, scryptN: 1024, verifyWorkers: 1, logLevel: "warn" });
  const full = join(dir, info.nodes[1].home);
  const cfg = JSON.parse(readFileSync(join(full, "node.json"), "utf8"));
  cfg.alerts = {
    ...cfg.alerts,
    evalIntervalMs: 200,
    rules: [
      { id: "validator-down", kind: "node_down", seconds: 2, severity: "critical" },
      // forSeconds 1: the moments before the first peer connects at start are not an outage.
      { id: "peers-low", kind: "peers_below", peers: 1, forSeconds: 1 },
      { id: "stalled", kind: "height_stalled", seconds: 2 },
    ],
    webhook: { ...cfg.alerts.webhook, url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/net`, backoffMs: 100 },
  };
  writeFileSync(join(full, "node.json"), JSON.stringify(cfg));
  const start = async (h: string): Promise<CivitasNode> => {
    const home = loadHome(h);
    return CivitasNode.start({ config: home.config, genesis: home.genesis, dataPath: home.dataPath, home: h, secretKey: home.config.role === "validator" ? loadValidatorKey(home, PASS) : undefined });
  };
  const validator = await start(join(dir, info.nodes[0].home));
  let follower: CivitasNode | undefined;
  let validatorUp = true;
  try {
    follower = await start(full);
    const f = follower;
    await until("the full node to follow the chain", () => f.chain.head().height >= 3 || undefined, 30_000);
    const m = parseMetrics(await (await fetch(f.url + "/metrics")).text());
    assert.equal(m.get("civitas_peers"), 1);
    assert.ok((m.get('civitas_cert_expiry_seconds{cert="node-tls"}') ?? 0) > 86_400, "createNetwork issues multi-year node certificates");
    assert.ok((m.get('civitas_cert_expiry_seconds{cert="tsa"}') ?? 0) > 86_400, "and a TSA certificate");
    const mine = (): typeof received => received.filter((r) => r.chain === "monitoring-net");
    assert.deepEqual(mine(), [], "no alert while the validator is up");

    await validator.stop();
    validatorUp = false;
    const down = await until("node_down at the webhook", () => mine().find((r) => r.alert.rule === "validator-down" && r.event === "firing"), 20_000);
    assert.equal(down.alert.key, `validator-down/${info.nodes[0].nodeId}`);
    assert.equal(down.alert.severity, "critical");
    assert.match(down.alert.message, /not seen for [2-9] s/);
    assert.equal(down.node, "node1");
    const rules = new Set(mine().filter((r) => r.event === "firing").map((r) => r.alert.rule));
    assert.ok(rules.has("peers-low"), [...rules].join(","));
    await until("height_stalled at the webhook", () => mine().find((r) => r.alert.rule === "stalled" && r.event === "firing"), 20_000);
    assert.equal(parseMetrics(await (await fetch(f.url + "/metrics")).text()).get("civitas_peers"), 0);
  } finally {
    await follower?.stop().catch(() => undefined);
    if (validatorUp) await validator.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});
