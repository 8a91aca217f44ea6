/**
 * Negative controls: runs that must break an invariant, to show the checkers catch it. Each
 * searches a small seed range, asserts the checker reports the violation for the seed found,
 * and that the seed replays to the same verdict. The matching positive runs (same scenarios
 * with the fault removed) must pass, so the violation is the fault's doing.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkAgreement, checkAll, checkRuntime } from "./checkers.js";
import { findFailingSeed } from "./helpers.js";
import { fingerprint, lockScenario, replayCommand, runSeed, scenario } from "./scenarios.js";
import { SimStorage, Simulation } from "./simulator.js";
import type { SimOptions } from "./simulator.js";

const run = (o: SimOptions): Simulation => new Simulation(o).run();

test("f+1 Byzantine validators (a coalition of equivocators or Twins) break agreement, and the checkers say so", (t) => {
  for (const coalition of ["equivocate", "twins"] as const) {
    const found = findFailingSeed(1, 60, (seed) => {
      const o = scenario(seed, "f+1");
      if (o.byzantine?.[0]?.mode !== coalition) return [];
      return checkAgreement(run(o));
    });
    assert.ok(found, `no agreement violation with f+1 ${coalition} validators in seeds 1..60`);
    t.diagnostic(`f+1 ${coalition}: seed ${found.seed} (${found.tried} seeds searched): ${found.violations[0]}; replay: ${replayCommand(found.seed, "f+1")}`);
    assert.match(found.violations[0], new RegExp(`^seed=${found.seed} \\[f\\+1\\]: agreement violated at height \\d+`));
    const again = runSeed(found.seed, "f+1");
    assert.deepEqual(checkAgreement(again.sim), found.violations, "the failing seed must replay to the same violations");
    assert.ok(again.violations.some((v) => v.includes("state commitments differ")), "diverging chains must also show as diverging state commitments");
  }
});

test("a broken locking rule (test-only ignoreLock) lets two rounds decide different values; the correct lock does not", (t) => {
  const found = findFailingSeed(1, 30, (seed) => checkAgreement(run(lockScenario(seed, true))));
  assert.ok(found, "ignoreLock produced no agreement violation in seeds 1..30 of the lock scenario");
  t.diagnostic(`ignore-lock: seed ${found.seed} (${found.tried} searched): ${found.violations[0]}; replay: ${replayCommand(found.seed, "ignore-lock")}`);
  assert.match(found.violations[0], new RegExp(`^seed=${found.seed} \\[ignore-lock\\]: agreement violated at height 1`));
  assert.equal(fingerprint(run(lockScenario(found.seed, true))), fingerprint(run(lockScenario(found.seed, true))));
  // The same network schedules with the real lock pass every checker, liveness included.
  for (let seed = 1; seed <= 30; seed++) assert.deepEqual(checkAll(run(lockScenario(seed, false))), [], `correct lock, lock scenario seed=${seed}`);
});

test("simulated storage: a crash keeps synced writes and loses unsynced ones (or flushes them in the lenient mode)", () => {
  const s = new SimStorage();
  s.put("a", 1);
  s.sync(["a"]);
  s.put("a", 2);
  s.put("b", 3);
  assert.equal(s.get("a"), 2);
  s.crash(10, true);
  assert.equal(s.get("a"), 1);
  assert.equal(s.get("b"), undefined);
  assert.deepEqual(s.lost, [{ key: "a", at: 10 }, { key: "b", at: 10 }]);
  s.put("b", 4);
  s.crash(11, false);
  assert.equal(s.get("b"), 4);
});

/** The crash-heavy scenarios of the send-before-sync control with the correct policy. */
const syncFirst = (seed: number): SimOptions => ({ ...scenario(seed, "send-before-sync"), label: "crash-heavy sync-before-send", wal: { policy: "syncBeforeSend", syncDelayMs: 40, loseUnsyncedOnCrash: true } });

test("fsync before broadcast: crashes that lose unsynced writes never lose a signature, so nothing is double-signed", () => {
  let crashes = 0;
  for (let seed = 1; seed <= 25; seed++) {
    const sim = run(syncFirst(seed));
    assert.deepEqual(checkAll(sim), [], `seed=${seed}`);
    for (const p of sim.nodes) assert.deepEqual(p.storage.lost.filter((l) => l.key === "wal"), [], `seed=${seed}: process ${p.index} lost WAL writes`);
    crashes += sim.nodes.reduce((s, p) => s + p.crashes, 0);
  }
  assert.ok(crashes >= 75, `only ${crashes} crashes: the control would be vacuous`);
});

test("a driver that broadcasts before its WAL is synced double-signs after a crash, and the detector catches it", (t) => {
  const found = findFailingSeed(1, 30, (seed) => checkRuntime(runSeed(seed, "send-before-sync").sim));
  assert.ok(found, "no double signing in seeds 1..30 of send-before-sync");
  t.diagnostic(`send-before-sync: seed ${found.seed} (${found.tried} searched): ${found.violations[0]}; replay: ${replayCommand(found.seed, "send-before-sync")}`);
  assert.match(found.violations[0], new RegExp(`^seed=${found.seed} \\[send-before-sync\\]: honest validator \\d+ double-signed \\d+/\\d+/\\d+/(prevote|precommit|proposal)`));
  const sim = runSeed(found.seed, "send-before-sync").sim;
  assert.ok(sim.nodes.some((p) => p.storage.lost.some((l) => l.key === "wal")), "the double sign must come from a lost WAL write");
  // The same seed with fsync-before-send is clean.
  assert.deepEqual(checkAll(run(syncFirst(found.seed))), []);
});
