/**
 * Seeded scenarios on engine nodes (test/sim/engine-node.ts): the same random scenarios as the
 * core sweep, run by the production BftEngine over real chains. Shared by the test and
 * `npm run sim -- --engine`.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VerifyPool } from "../../src/mempool/verify-pool.js";
import type { EngineWorld } from "./engine-node.js";
import { engineGenesis, engineOptions, removeWorld } from "./engine-node.js";
import type { SeedResult } from "./scenarios.js";
import { scenario, seedResult } from "./scenarios.js";
import type { SimOptions } from "./simulator.js";
import { makeKeys, Simulation } from "./simulator.js";

let sharedPool: VerifyPool | undefined;

/** One verify-worker thread serves every engine simulation of this process (admission only). */
export function enginePool(): VerifyPool {
  sharedPool ??= new VerifyPool("ed25519-sha256", 1);
  return sharedPool;
}

export async function closeEnginePool(): Promise<void> {
  await sharedPool?.close();
  sharedPool = undefined;
}

/** Runs `opts` on engine nodes in a fresh data folder, removed afterwards unless `keep`. */
export async function runEngineSim(opts: SimOptions, keep = false): Promise<{ sim: Simulation; world: EngineWorld }> {
  const world: EngineWorld = { root: mkdtempSync(join(tmpdir(), "civitas-engine-sim-")), genesis: engineGenesis(makeKeys(opts.powers)), pool: enginePool(), txNames: new Map() };
  try {
    const sim = await new Simulation(engineOptions(world, opts)).runAsync();
    // Release every live node's files (the same path a crash takes).
    for (const p of sim.nodes) if (p.alive) await p.node?.crash?.();
    return { sim, world };
  } finally {
    if (!keep) removeWorld(world);
  }
}

export async function runEngineSeed(seed: number): Promise<SeedResult & { sim: Simulation }> {
  const t0 = performance.now();
  const opts = { ...scenario(seed, "random"), label: "engine" };
  const { sim } = await runEngineSim(opts);
  return seedResult(sim, seed, "random", opts, t0);
}

export function engineReplayCommand(seed: number): string {
  return `npm run sim -- --engine --seed ${seed} --verbose`;
}
