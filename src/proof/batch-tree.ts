/**
 * RFC 9162 trees for aggregated registration, built for volume: leaf hashes live in one
 * contiguous buffer, each level is computed in one pass (pairs hashed, an odd last node carried
 * up unchanged, which is exactly MTH: see src/ledger/merkle.ts rangeRoot), and every inclusion
 * path is read off the level arrays without hashing again, O(n log n) word copies for all n
 * paths. Level ranges aligned to 2^k can be filled independently (worker threads, see
 * parallel-batch.ts). Portable (the caller passes the hash); tests check it against merkle.ts.
 */
import type { HashFn } from "../ledger/merkle.js";

const H = 32;
const W = H / 4;

export interface BatchTree {
  readonly size: number;
  /** levels[0]: leaf hashes (size × 32 bytes); each next level half as long (rounded up); the last holds the root. */
  readonly levels: Uint8Array[];
}

/** All paths of leaves [from, to) in one buffer: path of leaf i = data[offsets[i-from]*32 .. offsets[i-from+1]*32). */
export interface PathTable {
  from: number;
  offsets: Uint32Array;
  data: Uint8Array;
}

export type Alloc = (bytes: number) => Uint8Array;
/** Fresh ArrayBuffers: offset 0, so 32-bit views line up. */
export const plainAlloc: Alloc = (bytes) => new Uint8Array(bytes);

/** Node counts of every level of a tree of `n` leaves, leaves first. */
export function levelSizes(n: number): number[] {
  if (!Number.isSafeInteger(n) || n < 1) throw new TypeError("a batch tree needs at least one leaf");
  const sizes = [n];
  while (sizes[sizes.length - 1] > 1) sizes.push(Math.ceil(sizes[sizes.length - 1] / 2));
  return sizes;
}

/** Empty levels for `n` leaves; levels[0] is `leaves` when given (n × 32 bytes). */
export function allocLevels(n: number, alloc: Alloc = plainAlloc, leaves?: Uint8Array): Uint8Array[] {
  return levelSizes(n).map((len, k) => (k === 0 && leaves ? leaves : alloc(len * H)));
}

/** H(0x00 ‖ entry) of entries [from, to) (32-byte fingerprints) into `out` at the same positions. */
export function hashLeaves(h: HashFn, entries: Uint8Array, out: Uint8Array, from = 0, to = entries.length / H): void {
  const scratch = new Uint8Array(1 + H);
  for (let i = from; i < to; i++) {
    scratch.set(entries.subarray(i * H, i * H + H), 1);
    out.set(h(scratch), i * H);
  }
}

/** Nodes [jFrom, jTo) of level k ≥ 1 from level k-1. */
export function fillLevel(h: HashFn, levels: Uint8Array[], k: number, jFrom: number, jTo: number): void {
  const prev = levels[k - 1];
  const next = levels[k];
  const prevLen = prev.length / H;
  const scratch = new Uint8Array(1 + 2 * H);
  scratch[0] = 0x01;
  for (let j = jFrom; j < jTo; j++) {
    if (2 * j + 1 < prevLen) {
      scratch.set(prev.subarray(2 * j * H, 2 * j * H + 2 * H), 1);
      next.set(h(scratch), j * H);
    } else {
      next.set(prev.subarray(2 * j * H, 2 * j * H + H), j * H);
    }
  }
}

/**
 * Levels 1..upTo over leaves [from, to): the nodes whose leaves all lie in the range. With
 * `from` a multiple of 2^upTo and `to` a multiple of it or the tree size, disjoint ranges fill
 * disjoint nodes, so workers can share the level buffers.
 */
export function fillRange(h: HashFn, levels: Uint8Array[], from: number, to: number, upTo: number): void {
  for (let k = 1; k <= Math.min(upTo, levels.length - 1); k++) {
    const span = 2 ** k;
    fillLevel(h, levels, k, Math.floor(from / span), Math.min(levels[k].length / H, Math.ceil(to / span)));
  }
}

/** Levels from `fromLevel` to the root, complete. */
export function fillTop(h: HashFn, levels: Uint8Array[], fromLevel: number): void {
  for (let k = Math.max(1, fromLevel); k < levels.length; k++) fillLevel(h, levels, k, 0, levels[k].length / H);
}

/** The whole tree over `leaves` (n × 32 bytes of leaf hashes) on this thread. */
export function buildTree(h: HashFn, leaves: Uint8Array, alloc: Alloc = plainAlloc): BatchTree {
  if (leaves.length === 0 || leaves.length % H !== 0) throw new TypeError("a batch tree needs at least one 32-byte leaf hash");
  const levels = allocLevels(leaves.length / H, alloc, leaves);
  fillTop(h, levels, 1);
  return { size: leaves.length / H, levels };
}

export function treeRoot(tree: BatchTree): Uint8Array {
  return tree.levels[tree.levels.length - 1].slice(0, H);
}

/** Number of hashes in the inclusion path of leaf `index`. */
export function pathLength(tree: BatchTree, index: number): number {
  let p = index;
  let count = 0;
  for (let k = 0; k < tree.levels.length - 1; k++) {
    if (p % 2 === 1 || p + 1 < tree.levels[k].length / H) count++;
    p = Math.floor(p / 2);
  }
  return count;
}

function words(b: Uint8Array): Uint32Array {
  if (b.byteOffset % 4 !== 0) throw new TypeError("tree buffers must be 4-byte aligned");
  return new Uint32Array(b.buffer, b.byteOffset, b.length / 4);
}

/** Every path of leaves [from, to) in one table (leaf-to-root order, RFC 9162 §2.1.3.1). */
export function pathsOf(tree: BatchTree, from = 0, to = tree.size, alloc: Alloc = plainAlloc): PathTable {
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || to > tree.size || from > to) throw new TypeError(`path range [${from}, ${to}) outside tree size ${tree.size}`);
  const offsets = new Uint32Array(to - from + 1);
  for (let i = from; i < to; i++) offsets[i - from + 1] = offsets[i - from] + pathLength(tree, i);
  const data = alloc(offsets[to - from] * H);
  const out = words(data);
  const lv = tree.levels.map(words);
  const lens = tree.levels.map((l) => l.length / H);
  let o = 0;
  for (let i = from; i < to; i++) {
    let p = i;
    for (let k = 0; k < lv.length - 1; k++) {
      // An odd node's sibling is on its left; an even one's on its right unless it is the carried last node.
      const s = (p & 1) === 1 ? p - 1 : p + 1 < lens[k] ? p + 1 : -1;
      if (s >= 0) {
        const level = lv[k];
        const f = s * W;
        for (let w = 0; w < W; w++) out[o + w] = level[f + w];
        o += W;
      }
      // Leaf indices stay below 2^32 (maxBatchLeaves), so the unsigned shift is exact.
      p >>>= 1;
    }
  }
  return { from, offsets, data };
}

/** The path of one leaf from a table (views, not copies). */
export function pathFromTable(t: PathTable, index: number): Uint8Array[] {
  const a = t.offsets[index - t.from];
  const b = t.offsets[index - t.from + 1];
  return Array.from({ length: b - a }, (_, i) => t.data.subarray((a + i) * H, (a + i + 1) * H));
}
