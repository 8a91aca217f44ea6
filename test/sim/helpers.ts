/** Assertions shared by the simulation tests; every message names the seed to replay. */
import assert from "node:assert/strict";
import { verifyCommit } from "../../src/ledger/block.js";
import { fromHex } from "../../src/util/bytes.js";
import { checkAll, checkSafety } from "./checkers.js";
import { CHAIN, Simulation, suite, valueId } from "./simulator.js";
import type { SimOptions } from "./simulator.js";

export function simulate(opts: SimOptions): Simulation {
  return new Simulation(opts).run();
}

/** Every safety checker passes (agreement, certificates, state, acknowledged txs, no double signing). */
export function assertSafe(sim: Simulation): void {
  assert.deepEqual(checkSafety(sim), [], `safety violated (${sim.describe()})`);
}

/** Safety and, when the run has a liveness window, liveness. */
export function assertAllChecks(sim: Simulation): void {
  assert.deepEqual(checkAll(sim), [], `checks failed (${sim.describe()})`);
}

/** Every listed node committed heights 1..upTo, all with verifying certificates for the agreed value. */
export function assertCommitted(sim: Simulation, nodes: number[], upTo: number): void {
  for (const i of nodes) {
    const n = sim.nodes[i];
    for (let h = 1; h <= upTo; h++) {
      const c = n.commits.get(h);
      assert.ok(c, `node ${i} did not commit height ${h} by t=${sim.now} (${sim.describe()})`);
      assert.equal(c.valueHex, sim.firstCommit.get(h), `node ${i} disagrees at height ${h} (${sim.describe()})`);
      const res = verifyCommit(suite, CHAIN, valueId(fromHex(c.valueHex)), c.certificate, sim.validators);
      assert.deepEqual(res, { ok: true }, `certificate of node ${i} at height ${h} (${sim.describe()})`);
      assert.equal(c.certificate.height, h);
    }
  }
}

/** The first seed in [from, from + count) for which `run` reports a violation, with the violations. */
export function findFailingSeed(from: number, count: number, run: (seed: number) => string[]): { seed: number; violations: string[]; tried: number } | undefined {
  for (let seed = from; seed < from + count; seed++) {
    const violations = run(seed);
    if (violations.length > 0) return { seed, violations, tried: seed - from + 1 };
  }
  return undefined;
}
