/** Assertions shared by the simulation tests; every message names the seed to replay. */
import assert from "node:assert/strict";
import { verifyCommit } from "../../src/ledger/block.js";
import { fromHex } from "../../src/util/bytes.js";
import { CHAIN, Simulation, suite, valueId } from "./simulator.js";
import type { SimOptions } from "./simulator.js";

export function simulate(opts: SimOptions): Simulation {
  const sim = new Simulation(opts);
  sim.run();
  return sim;
}

export function assertSafe(sim: Simulation): void {
  assert.deepEqual(sim.violations, [], `safety violated (${sim.describe()})`);
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
