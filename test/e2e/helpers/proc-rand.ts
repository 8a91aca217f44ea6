/**
 * A small seeded PRNG (mulberry32) so randomised tests can be replayed: the seed comes from
 * CIVITAS_TEST_SEED when set, else from the clock, and is always printed.
 */

import { mulberry32 as prng } from "../../../src/util/prng.js";

export interface Rng {
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [min, max] (inclusive). */
  int(min: number, max: number): number;
}

export function mulberry32(seed: number): Rng {
  const next = prng(seed);
  return { seed: seed >>> 0, next, int: (min, max) => min + Math.floor(next() * (max - min + 1)) };
}

/** A seeded PRNG for `name`, seeded from CIVITAS_TEST_SEED or the clock; logs the seed. */
export function testRng(name: string): Rng {
  const env = process.env.CIVITAS_TEST_SEED;
  const seed = env !== undefined && /^[0-9]+$/.test(env) ? Number(env) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
  process.stdout.write(`# ${name}: seed ${seed} (replay with CIVITAS_TEST_SEED=${seed})\n`);
  return mulberry32(seed);
}
