import assert from "node:assert/strict";
import { test } from "node:test";
import { commitTime } from "../../src/consensus/bft/messages.js";
import { assertCommitted, assertSafe, simulate } from "./helpers.js";

test("4 validators, no faults: heights 1..20 commit everywhere with verifying certificates", () => {
  const sim = simulate({ seed: 1, powers: [1, 1, 1, 1], heights: 20, maxTime: 60_000 });
  assertSafe(sim);
  assertCommitted(sim, [0, 1, 2, 3], 20);
  // Without faults every height should decide in round 0.
  for (const n of sim.nodes) for (const c of n.commits.values()) assert.equal(c.certificate.round, 0, `seed=1 height ${c.certificate.height}`);
  // Block times from the weighted-median rule strictly increase along the chain.
  const times = [...Array(20).keys()].map((i) => commitTime(sim.nodes[0].commits.get(i + 1)!.certificate, sim.validators));
  for (let i = 1; i < times.length; i++) assert.ok(times[i] > times[i - 1], `commit time not increasing at height ${i + 1} (seed=1)`);
});

const SEEDS = Array.from({ length: 30 }, (_, i) => 1000 + i);

test("random delays, drops, duplicates over 30 seeds x 10 heights: safety and liveness", () => {
  for (const seed of SEEDS) {
    const sim = simulate({ seed, powers: [1, 1, 1, 1], heights: 10, maxTime: 120_000, delay: { min: 1, max: 120 }, dropRate: 0.15, dupRate: 0.1 });
    assertSafe(sim);
    assertCommitted(sim, [0, 1, 2, 3], 10);
  }
});

test("7 validators under heavy loss (30% drops): safety and liveness over 10 seeds", () => {
  for (let seed = 2000; seed < 2010; seed++) {
    const sim = simulate({ seed, powers: [1, 1, 1, 1, 1, 1, 1], heights: 5, maxTime: 200_000, delay: { min: 1, max: 200 }, dropRate: 0.3, dupRate: 0.2 });
    assertSafe(sim);
    assertCommitted(sim, [0, 1, 2, 3, 4, 5, 6], 5);
  }
});
