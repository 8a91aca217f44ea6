/**
 * A small seeded PRNG (mulberry32) so randomised tests can be replayed: the seed comes from
 * CIVITAS_TEST_SEED when set, else from the clock, and is always printed.
 */

export interface Rng {
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [min, max] (inclusive). */
  int(min: number, max: number): number;
}

export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { seed: seed >>> 0, next, int: (min, max) => min + Math.floor(next() * (max - min + 1)) };
}

/** A seeded PRNG for `name`, seeded from CIVITAS_TEST_SEED or the clock; logs the seed. */
export function testRng(name: string): Rng {
  const env = process.env.CIVITAS_TEST_SEED;
  const seed = env !== undefined && /^[0-9]+$/.test(env) ? Number(env) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
  process.stdout.write(`# ${name}: seed ${seed} (replay with CIVITAS_TEST_SEED=${seed})\n`);
  return mulberry32(seed);
}
