/**
 * Seeded random scenarios (test/sim/scenarios.ts) against every checker (test/sim/checkers.ts):
 * agreement, certificates, state commitments, acknowledged transactions, no double signing and
 * liveness after the last heal. A failure prints the seed and the command that replays it;
 * `npm run sim -- --seeds 10000` runs the same scenarios at scale.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ByzantineMode } from "./simulator.js";
import { fingerprint, replayCommand, runSeed, scenario } from "./scenarios.js";

/** CI runs seeds 1..SWEEP_SEEDS (override with SIM_SWEEP_SEEDS for a longer local run). */
const SWEEP_SEEDS = Number(process.env.SIM_SWEEP_SEEDS ?? 300);

test(`random scenarios, seeds 1..${SWEEP_SEEDS}: every checker passes`, (t) => {
  const started = performance.now();
  const failures: string[] = [];
  const sizes = new Map<number, number>();
  const modes = new Set<ByzantineMode>();
  let weighted = 0;
  let asym = 0;
  let sym = 0;
  let crashes = 0;
  let acked = 0;
  let multiRound = 0;
  let maxHeight = 0;
  for (let seed = 1; seed <= SWEEP_SEEDS; seed++) {
    const r = runSeed(seed);
    if (r.violations.length) failures.push(`seed ${seed}: ${r.violations.slice(0, 5).join("\n  ")}\n  scenario: ${r.summary}\n  replay: ${replayCommand(seed)}`);
    const o = r.sim.opts;
    sizes.set(o.powers.length, (sizes.get(o.powers.length) ?? 0) + 1);
    if (o.powers.some((p) => p !== 1)) weighted++;
    for (const b of o.byzantine ?? []) modes.add(b.mode);
    for (const p of o.partitions ?? []) if ("groups" in p) sym++;
    else asym++;
    crashes += r.sim.nodes.reduce((s, p) => s + p.crashes, 0);
    acked += r.acked;
    maxHeight = Math.max(maxHeight, r.height);
    for (const c of r.sim.nodes[0].commits.values()) if (c.certificate.round > 0) multiRound++;
  }
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  t.diagnostic(`${SWEEP_SEEDS} seeds in ${secs}s; validators ${JSON.stringify([...sizes].sort())}, weighted ${weighted}, partitions ${sym} symmetric / ${asym} asymmetric, ${crashes} crashes, ${acked} acknowledged txs, ${multiRound} multi-round commits, top height ${maxHeight}`);
  assert.deepEqual(failures, [], `${failures.length} failing seeds:\n${failures.join("\n")}`);
  // Guards against a vacuous sweep: the scenarios must cover what the acceptance text names.
  for (const n of [4, 7, 10]) assert.ok((sizes.get(n) ?? 0) >= SWEEP_SEEDS / 10, `too few runs with ${n} validators`);
  for (const m of ["equivocateVotes", "equivocateProposals", "equivocate", "twins"] as const) assert.ok(modes.has(m), `no run with a ${m} validator`);
  assert.ok(weighted > 0 && sym > 0 && asym > 0 && crashes > 0 && acked > SWEEP_SEEDS && multiRound > 0);
});

test("a seed replays exactly: same scenario, same run, same verdict", () => {
  for (const seed of [3, 17, 42]) {
    assert.deepEqual(scenario(seed), scenario(seed));
    const a = runSeed(seed);
    const b = runSeed(seed);
    assert.equal(fingerprint(a.sim), fingerprint(b.sim), `seed=${seed} did not replay exactly`);
    assert.deepEqual(a.violations, b.violations);
  }
  // Different seeds give different runs (the fingerprint is not constant).
  assert.notEqual(fingerprint(runSeed(3).sim), fingerprint(runSeed(4).sim));
});
