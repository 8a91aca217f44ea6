/**
 * The simulator driving the production engine: BftEngine (WAL, relay, block sync) over real
 * chains (LMDB files, real signed transactions executed by the real modules), with simulated
 * time and network. Every checker of the core sweep applies; in addition each honest node's data
 * folder is replayed from genesis by verify-chain, which must reach the state root the node
 * reported: execution is a pure function of (state, block).
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { join } from "node:path";
import { verifyChain } from "../../src/node/verify-chain.js";
import { checkAll } from "./checkers.js";
import { removeWorld } from "./engine-node.js";
import { closeEnginePool, engineReplayCommand, runEngineSeed, runEngineSim } from "./engine-scenarios.js";
import { fingerprint } from "./scenarios.js";
import type { SimOptions } from "./simulator.js";

/** CI runs seeds 1..ENGINE_SIM_SEEDS; `npm run sim -- --engine --seeds N` runs more. */
const SEEDS = Number(process.env.ENGINE_SIM_SEEDS ?? 24);

after(closeEnginePool);

test("engine nodes over real chains: a crash, a 2|2 partition and lossy links; every checker passes and every data folder replays", async () => {
  const opts: SimOptions = {
    seed: 77,
    label: "engine-fixed",
    powers: [1, 1, 1, 1],
    maxTime: 60_000,
    delay: { min: 2, max: 40 },
    dropRate: 0.1,
    crashes: [{ node: 1, at: 700, restartAt: 2_500 }],
    partitions: [{ at: 3_000, healAt: 4_500, groups: [[0, 1], [2, 3]] }],
    txs: Array.from({ length: 12 }, (_, k) => ({ at: 100 + 400 * k, node: k % 4, tx: `e${k}` })),
    liveness: { after: 5_000, heights: 3, within: 30_000 },
  };
  const { sim, world } = await runEngineSim(opts, true);
  try {
    assert.deepEqual(checkAll(sim), []);
    assert.ok(sim.acks.size >= 8, `only ${sim.acks.size} of 12 transactions acknowledged`);
    const during = sim.commitLog.filter((c) => c.time > 3_100 && c.time < 4_500).length;
    assert.equal(during, 0, "no block may commit while no side of the 2|2 partition has a quorum");
    for (const p of sim.honest) {
      const top = Math.max(...p.commits.keys());
      const report = await verifyChain(join(world.root, `p${p.index}`, "data"), world.genesis);
      assert.ok(report.ok, `process ${p.index}: ${report.problems.join("; ")}`);
      assert.equal(report.headHeight, top);
      assert.equal(report.stateRoot, p.commits.get(top)?.stateCommitment, `process ${p.index} replays to another state root`);
    }
  } finally {
    removeWorld(world);
  }
});

test(`engine nodes, random scenarios seeds 1..${SEEDS}: every checker passes`, async (t) => {
  const failures: string[] = [];
  let crashes = 0;
  let byzantine = 0;
  let acked = 0;
  const started = performance.now();
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = await runEngineSeed(seed);
    if (r.violations.length) failures.push(`seed ${seed}: ${r.violations.slice(0, 5).join("\n  ")}\n  scenario: ${r.summary}\n  replay: ${engineReplayCommand(seed)}`);
    crashes += r.sim.nodes.reduce((s, p) => s + p.crashes, 0);
    byzantine += r.sim.nodes.some((p) => !p.honest) ? 1 : 0;
    acked += r.acked;
  }
  t.diagnostic(`${SEEDS} engine seeds in ${((performance.now() - started) / 1000).toFixed(1)}s: ${crashes} crashes, ${byzantine} runs with a Byzantine validator, ${acked} acknowledged txs`);
  assert.deepEqual(failures, [], `${failures.length} failing seeds:\n${failures.join("\n")}`);
  assert.ok(crashes > 0 && byzantine > 0 && acked > SEEDS, "the sweep must include crashes, Byzantine validators and acknowledged transactions");
});

test("an engine seed replays exactly", async () => {
  const a = await runEngineSeed(5);
  const b = await runEngineSeed(5);
  assert.equal(fingerprint(a.sim), fingerprint(b.sim));
});
