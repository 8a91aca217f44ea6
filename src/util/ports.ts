/**
 * Loopback port helpers for tools that lay out several nodes on consecutive ports (tests,
 * benchmarks). Bases are drawn below Linux's ephemeral range (32768+), where outgoing
 * connections take their local ports, so a chosen range is not taken a moment later by a
 * client socket of another process.
 */
import { createServer } from "node:net";

export function portIsFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

/** A base port such that base .. base+count-1 are all free on 127.0.0.1 right now. */
export async function freePortRange(count: number, random: () => number = Math.random): Promise<number> {
  const low = 20_000;
  const high = 32_000;
  if (!Number.isInteger(count) || count < 1 || count > high - low) throw new RangeError(`count must be in [1, ${high - low}]`);
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = low + Math.floor(random() * (high - low - count));
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = await portIsFree(p);
    if (ok) return base;
  }
  throw new Error(`no ${count} consecutive free ports found on 127.0.0.1`);
}
