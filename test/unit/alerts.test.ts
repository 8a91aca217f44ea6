/**
 * The alert engine with a fake clock and fake observations: every rule kind fires and resolves,
 * `forSeconds` holds an alert pending, rule changes resolve what they replace, history is
 * bounded, and rule sets are validated field by field.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AlertEvent, AlertInputs } from "../../src/node/alerts/engine.js";
import { AlertEngine } from "../../src/node/alerts/engine.js";
import { PeerWatch } from "../../src/node/alerts/peer-watch.js";
import type { AlertRule } from "../../src/node/alerts/rules.js";
import { DEFAULT_RULES, parseRules, ruleToJson } from "../../src/node/alerts/rules.js";
import { loadStoredRules, RULES_FILE, storeRules } from "../../src/node/alerts/store.js";
import type { CertExpiry, DiskUsage } from "../../src/node/metrics/host-probes.js";
import { TpsWindow } from "../../src/node/metrics/tps-window.js";
import { CivitasError, ErrorCode } from "../../src/util/errors.js";

const DAY = 86_400_000;

/** A world the test controls: clock, TPS from a real TpsWindow, height, peers, disk, certificates. */
class World implements AlertInputs {
  t = 1_000_000;
  readonly window = new TpsWindow(3_600_000);
  h = 5;
  expected = true;
  peerCount: number | undefined = 3;
  readonly watch = new PeerWatch();
  diskUsage: DiskUsage | undefined = { storeBytes: 1, freeBytes: 50, totalBytes: 100 };
  certList: CertExpiry[] = [{ name: "node-tls", subject: "CN=n0", notAfter: this.t + 365 * DAY }];
  now = (): number => this.t;
  tps = (w: number): number => this.window.tps(this.t, w * 1000);
  height = (): number => this.h;
  blocksExpected = (): boolean => this.expected;
  peers = (): number | undefined => this.peerCount;
  validatorPeersDown = (): Array<{ id: string; address: string; downSince: number }> => this.watch.down();
  disk = (): DiskUsage | undefined => this.diskUsage;
  certs = (): CertExpiry[] => this.certList;
  advance(ms: number): void {
    this.t += ms;
  }
}

const rule = (json: Record<string, unknown>): AlertRule => parseRules([json])[0];

function setup(rules: AlertRule[], historySize = 100): { w: World; e: AlertEngine; events: AlertEvent[]; firing: () => string[] } {
  const w = new World();
  const e = new AlertEngine(w, { node: "n0", chain: "c", historySize }, rules);
  const events: AlertEvent[] = [];
  e.addSink((ev) => events.push(ev));
  return { w, e, events, firing: () => e.current().map((a) => a.key) };
}

test("tps_above and tps_below fire and resolve over their windows", () => {
  const { w, e, events, firing } = setup([rule({ id: "hi", kind: "tps_above", tps: 100, windowSeconds: 10 }), rule({ id: "lo", kind: "tps_below", tps: 5, windowSeconds: 10 })]);
  e.evaluate();
  assert.deepEqual(firing(), [], "tps_below waits until the node has run one window");
  w.advance(10_000);
  e.evaluate();
  assert.deepEqual(firing(), ["lo"]);
  w.window.record(w.t, 2_000); // 200 tx/s over 10 s
  e.evaluate();
  assert.deepEqual(firing(), ["hi"]);
  assert.deepEqual(events.map((x) => `${x.event} ${x.alert.rule}`), ["firing lo", "firing hi", "resolved lo"]);
  const hi = e.current()[0];
  assert.equal(hi.value, 200);
  assert.equal(hi.threshold, 100);
  assert.equal(hi.severity, "warning");
  assert.match(hi.message, /200\.0 over 10 s is above 100/);
  w.advance(10_000); // the burst leaves the window
  e.evaluate();
  assert.deepEqual(firing(), ["lo"]);
  assert.deepEqual(events.slice(3).map((x) => `${x.event} ${x.alert.rule}`), ["firing lo", "resolved hi"]);
  assert.equal(events.at(-1)?.alert.endsAt, w.t);
  assert.equal(events.at(-1)?.alert.startsAt, w.t - 10_000);
});

test("height_stalled fires only while blocks are expected, and resolves on the next block", () => {
  const { w, e, firing } = setup([rule({ id: "stall", kind: "height_stalled", seconds: 30, severity: "critical" })]);
  e.evaluate();
  w.advance(29_000);
  e.evaluate();
  assert.deepEqual(firing(), []);
  w.advance(1_000);
  w.expected = false; // an idle chain without empty blocks is not stalled
  e.evaluate();
  assert.deepEqual(firing(), []);
  w.expected = true;
  e.evaluate();
  assert.deepEqual(firing(), ["stall"]);
  assert.equal(e.current()[0].severity, "critical");
  w.h = 6;
  e.evaluate();
  assert.deepEqual(firing(), []);
  w.advance(29_999);
  e.evaluate();
  assert.deepEqual(firing(), [], "the stall clock restarted at the new height");
});

test("node_down fires per validator peer not seen for N s; full nodes are not watched", () => {
  const { w, e, firing, events } = setup([rule({ id: "down", kind: "node_down", seconds: 20 })]);
  w.watch.onPeer("aaaa", "up", w.t, { role: "validator", address: "10.0.0.1:26656" });
  w.watch.onPeer("bbbb", "up", w.t, { role: "validator", address: "10.0.0.2:26656" });
  w.watch.onPeer("ffff", "up", w.t, { role: "full", address: "10.0.0.9:26656" });
  w.watch.onPeer("aaaa", "down", w.t);
  w.watch.onPeer("ffff", "down", w.t);
  w.advance(19_000);
  e.evaluate();
  assert.deepEqual(firing(), []);
  w.watch.onPeer("bbbb", "down", w.t);
  w.advance(1_000);
  e.evaluate();
  assert.deepEqual(firing(), ["down/aaaa"]);
  assert.match(e.current()[0].message, /10\.0\.0\.1:26656\) not seen for 20 s/);
  w.advance(19_000);
  e.evaluate();
  assert.deepEqual(firing(), ["down/aaaa", "down/bbbb"]);
  w.watch.onPeer("aaaa", "up", w.t, { role: "validator", address: "10.0.0.1:26656" });
  e.evaluate();
  assert.deepEqual(firing(), ["down/bbbb"]);
  assert.deepEqual(events.map((x) => `${x.event} ${x.alert.key}`), ["firing down/aaaa", "firing down/bbbb", "resolved down/aaaa"]);
});

test("peers_below, disk_free_below and cert_expiry fire and resolve; forSeconds holds them pending", () => {
  const { w, e, firing } = setup([
    rule({ id: "peers", kind: "peers_below", peers: 2, forSeconds: 30 }),
    rule({ id: "disk", kind: "disk_free_below", percent: 10 }),
    rule({ id: "cert", kind: "cert_expiry", days: 30 }),
  ]);
  e.evaluate();
  assert.deepEqual(firing(), []);
  w.peerCount = 1;
  e.evaluate();
  w.advance(29_000);
  e.evaluate();
  assert.deepEqual(firing(), [], "pending until forSeconds passed");
  w.peerCount = 3; // recovered within forSeconds: nothing fires, the clock restarts
  e.evaluate();
  w.peerCount = 1;
  w.advance(1_000);
  e.evaluate();
  assert.deepEqual(firing(), []);
  w.advance(30_000);
  e.evaluate();
  assert.deepEqual(firing(), ["peers"]);
  w.peerCount = undefined; // a node without p2p: the rule does not apply
  e.evaluate();
  assert.deepEqual(firing(), []);

  w.diskUsage = { storeBytes: 1, freeBytes: 9, totalBytes: 100 };
  w.certList = [
    { name: "node-tls", subject: "CN=n0", notAfter: w.t + 29 * DAY },
    { name: "tsa", subject: "CN=tsa", notAfter: w.t - DAY },
  ];
  e.evaluate();
  assert.deepEqual(firing(), ["disk", "cert/node-tls", "cert/tsa"]);
  const byKey = new Map(e.current().map((a) => [a.key, a]));
  assert.equal(byKey.get("disk")?.value, 9);
  assert.match(byKey.get("cert/node-tls")?.message ?? "", /expires in 29\.0 days/);
  assert.match(byKey.get("cert/tsa")?.message ?? "", /expired 1\.0 days ago/);
  w.diskUsage = { storeBytes: 1, freeBytes: 11, totalBytes: 100 };
  w.certList = [{ name: "node-tls", subject: "CN=n0", notAfter: w.t + 400 * DAY }];
  e.evaluate();
  assert.deepEqual(firing(), []);
});

test("disabled rules never fire; replacing a rule resolves its alerts; history is bounded, newest first", () => {
  const { w, e, firing, events } = setup([rule({ id: "disk", kind: "disk_free_below", percent: 60 }), rule({ id: "off", kind: "disk_free_below", percent: 90, enabled: false })], 3);
  e.evaluate();
  assert.deepEqual(firing(), ["disk"]);
  e.setRules([rule({ id: "disk", kind: "disk_free_below", percent: 40 })]);
  assert.deepEqual(firing(), []);
  assert.equal(events.at(-1)?.event, "resolved");
  e.evaluate();
  assert.deepEqual(firing(), []);
  e.setRules([rule({ id: "disk", kind: "disk_free_below", percent: 40 })]); // same rule: nothing changes
  for (let i = 0; i < 3; i++) {
    w.diskUsage = { storeBytes: 1, freeBytes: i % 2 === 0 ? 30 : 50, totalBytes: 100 };
    w.advance(1000);
    e.evaluate();
  }
  assert.equal(events.length, 5);
  const h = e.history();
  assert.equal(h.length, 3);
  assert.deepEqual(h.map((x) => x.event), ["firing", "resolved", "firing"]);
  assert.ok(h[0].at > h[2].at);
  assert.equal(e.history(1).length, 1);
});

test("a throwing sink does not stop the others", () => {
  const { w, e, events } = setup([rule({ id: "disk", kind: "disk_free_below", percent: 60 })]);
  e.addSink(() => {
    throw new Error("sink down");
  });
  const late: AlertEvent[] = [];
  e.addSink((x) => late.push(x));
  e.evaluate();
  assert.equal(events.length, 1);
  assert.equal(late.length, 1);
  assert.equal(w.t, late[0].at);
});

function invalid(input: unknown, field: string): void {
  assert.throws(
    () => parseRules(input),
    (err: unknown) => err instanceof CivitasError && err.code === ErrorCode.ALERT_RULES_INVALID && err.details.field === field,
    `expected ALERT_RULES_INVALID on ${field}`,
  );
}

test("rule validation names the field", () => {
  invalid({}, "rules");
  invalid([5], "rules[0]");
  invalid([{ kind: "tps_above", tps: 1, windowSeconds: 1 }], "rules[0].id");
  invalid([{ id: "Bad Id", kind: "tps_above", tps: 1, windowSeconds: 1 }], "rules[0].id");
  invalid([{ id: "a", kind: "tps_over", tps: 1 }], "rules[0].kind");
  invalid([{ id: "a", kind: "tps_above", windowSeconds: 10 }], "rules[0].tps");
  invalid([{ id: "a", kind: "tps_above", tps: -1, windowSeconds: 10 }], "rules[0].tps");
  invalid([{ id: "a", kind: "tps_above", tps: "5", windowSeconds: 10 }], "rules[0].tps");
  invalid([{ id: "a", kind: "tps_above", tps: 5, windowSeconds: 1.5 }], "rules[0].windowSeconds");
  invalid([{ id: "a", kind: "tps_above", tps: 5, windowSeconds: 0 }], "rules[0].windowSeconds");
  invalid([{ id: "a", kind: "tps_above", tps: 5, windowSeconds: 10, seconds: 3 }], "rules[0].seconds");
  invalid([{ id: "a", kind: "node_down", seconds: 10, severity: "fatal" }], "rules[0].severity");
  invalid([{ id: "a", kind: "node_down", seconds: 10, enabled: "yes" }], "rules[0].enabled");
  invalid([{ id: "a", kind: "node_down", seconds: 10, forSeconds: -1 }], "rules[0].forSeconds");
  invalid([{ id: "a", kind: "disk_free_below", percent: 101 }], "rules[0].percent");
  invalid([{ id: "a", kind: "peers_below", peers: 1 }, { id: "a", kind: "cert_expiry", days: 3 }], "rules[1].id");
  invalid(Array.from({ length: 101 }, (_, i) => ({ id: `r${i}`, kind: "peers_below", peers: 1 })), "rules");
  assert.deepEqual(parseRules([]), []);
  // The defaults round-trip through their JSON form.
  assert.deepEqual(parseRules(DEFAULT_RULES.map(ruleToJson)), DEFAULT_RULES);
});

test("rules persist in the node home and load back; a corrupt file is refused", () => {
  const home = mkdtempSync(join(tmpdir(), "civitas-alert-rules-"));
  try {
    assert.equal(loadStoredRules(home), undefined);
    const rules = [rule({ id: "hi", kind: "tps_above", tps: 5, windowSeconds: 10, severity: "critical", forSeconds: 3 })];
    storeRules(home, rules);
    assert.deepEqual(loadStoredRules(home), rules);
    assert.deepEqual(JSON.parse(readFileSync(join(home, RULES_FILE), "utf8")), { rules: [{ id: "hi", kind: "tps_above", severity: "critical", enabled: true, forSeconds: 3, tps: 5, windowSeconds: 10 }] });
    writeFileSync(join(home, RULES_FILE), "{not json");
    assert.throws(() => loadStoredRules(home), (err: unknown) => err instanceof CivitasError && err.code === ErrorCode.CONFIG_INVALID);
    writeFileSync(join(home, RULES_FILE), JSON.stringify({ rules: [{ id: "x", kind: "peers_below" }] }));
    assert.throws(() => loadStoredRules(home), (err: unknown) => err instanceof CivitasError && err.code === ErrorCode.ALERT_RULES_INVALID);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
