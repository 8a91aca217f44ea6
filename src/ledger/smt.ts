/**
 * The ledger's state commitment: a binary Sparse Merkle Tree over 256-bit key hashes.
 * Hashing rules, canonical shape and the proof format live in ./smt-proof.ts.
 *
 * Stored node encoding (the store maps node hash -> these bytes; Empty is never stored):
 *   Leaf:     0x10 || kh (32) || keyLen (u32 big-endian) || key || value   (value non-empty)
 *   Internal: 0x11 || left (32) || right (32)                             (= its hash preimage)
 * Leaves keep the key and value themselves so any past root can answer `get` and `prove`
 * without a side table. The store is append-only, so old roots stay readable forever.
 */
import { compareBytes, equalBytes, toHex } from "../util/bytes.js";
import { assert, CivitasError, ErrorCode } from "../util/errors.js";
import type { HashFn, SmtProof } from "./smt-proof.js";
import { HASH_LEN, INTERNAL_TAG, KEY_BITS, LEAF_TAG, bitAt, isZeroHash, sharesPrefix } from "./smt-proof.js";

export type { HashFn, SmtProof } from "./smt-proof.js";
export { EMPTY_ROOT, verifySmtProof } from "./smt-proof.js";

/** Content-addressed, append-only: nodes are never deleted, so every past root stays provable. */
export interface SmtNodeStore {
  /** Encoded node bytes; the tree never mutates them. */
  get(hash: Uint8Array): Uint8Array | undefined;
  /** May buffer; the caller commits. The tree never touches `encoded` again, so it may be kept. */
  put(hash: Uint8Array, encoded: Uint8Array): void;
}

const SLAB_BYTES = 1 << 20;
const RECORD_HEADER = HASH_LEN + 4;

/**
 * In-memory store for tests, devnets and benchmarks. Each node is copied into a 1 MiB slab as
 * hash (32) || length (u32 BE) || encoding, and an open-addressing table of slab positions
 * (linear probing on the hash's first four bytes, which are uniform, kept beside each position
 * so probing and growth rarely touch the slabs) finds it again. This keeps
 * a million-node tree at a handful of JS objects: a Map of strings to typed arrays measured about
 * 3x the heap and spent most of a batch update in Map operations and GC.
 * `get` returns a view into a slab: callers must not mutate it.
 */
export class MemoryNodeStore implements SmtNodeStore {
  private readonly slabs: Uint8Array[] = [];
  private current: Uint8Array = new Uint8Array(0);
  private used = 0;
  /** Slab position + 1 per slot, 0 = free; a Float64Array holds positions beyond 2^32 exactly. */
  private table: Float64Array = new Float64Array(1 << 10);
  /** First four hash bytes of the node in the same slot. */
  private tags: Uint32Array = new Uint32Array(1 << 10);
  private count = 0;

  get(hash: Uint8Array): Uint8Array | undefined {
    if (hash.length !== HASH_LEN) return undefined;
    const pos = this.table[this.find(hash)];
    return pos === 0 ? undefined : this.body(pos - 1);
  }

  put(hash: Uint8Array, encoded: Uint8Array): void {
    assert(hash.length === HASH_LEN, "smt store: hash must be 32 bytes");
    const slot = this.find(hash);
    const existing = this.table[slot];
    if (existing !== 0) {
      // Same hash, different bytes means a hash collision or a bug in the caller's encoding.
      checkNode(equalBytes(this.body(existing - 1), encoded), "smt store: different content under one hash", hash);
      return;
    }
    const need = RECORD_HEADER + encoded.length;
    if (this.used + need > this.current.length) {
      // Oversized nodes get a slab of their own; positions stay slab * SLAB_BYTES + offset.
      this.current = new Uint8Array(Math.max(SLAB_BYTES, need));
      this.slabs.push(this.current);
      this.used = 0;
    }
    const slab = this.current;
    const off = this.used;
    const n = encoded.length;
    slab.set(hash, off);
    slab[off + HASH_LEN] = n >>> 24;
    slab[off + HASH_LEN + 1] = (n >>> 16) & 0xff;
    slab[off + HASH_LEN + 2] = (n >>> 8) & 0xff;
    slab[off + HASH_LEN + 3] = n & 0xff;
    slab.set(encoded, off + RECORD_HEADER);
    this.used += need;
    this.table[slot] = (this.slabs.length - 1) * SLAB_BYTES + off + 1;
    this.tags[slot] = tagOf(hash);
    if (++this.count * 2 > this.table.length) this.grow();
  }

  get size(): number {
    return this.count;
  }

  /** The slot holding `hash`, or the free slot where it would go. */
  private find(hash: Uint8Array): number {
    const table = this.table;
    const tags = this.tags;
    const mask = table.length - 1;
    const tag = tagOf(hash);
    let slot = tag & mask;
    for (;;) {
      const pos = table[slot];
      if (pos === 0 || (tags[slot] === tag && this.hashAt(pos - 1, hash))) return slot;
      slot = (slot + 1) & mask;
    }
  }

  private hashAt(pos: number, hash: Uint8Array): boolean {
    const i = Math.floor(pos / SLAB_BYTES);
    const off = pos - i * SLAB_BYTES;
    const slab = this.slabs[i];
    for (let j = 0; j < HASH_LEN; j++) if (slab[off + j] !== hash[j]) return false;
    return true;
  }

  private body(pos: number): Uint8Array {
    const i = Math.floor(pos / SLAB_BYTES);
    const off = pos - i * SLAB_BYTES;
    const slab = this.slabs[i];
    const h = off + HASH_LEN;
    const n = ((slab[h] << 24) >>> 0) + (slab[h + 1] << 16) + (slab[h + 2] << 8) + slab[h + 3];
    return slab.subarray(off + RECORD_HEADER, off + RECORD_HEADER + n);
  }

  private grow(): void {
    const oldTable = this.table;
    const oldTags = this.tags;
    const table = new Float64Array(oldTable.length * 2);
    const tags = new Uint32Array(oldTable.length * 2);
    const mask = table.length - 1;
    for (let s = 0; s < oldTable.length; s++) {
      const p = oldTable[s];
      if (p === 0) continue;
      const tag = oldTags[s];
      let slot = tag & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = p;
      tags[slot] = tag;
    }
    this.table = table;
    this.tags = tags;
  }
}

function tagOf(hash: Uint8Array): number {
  return ((hash[0] << 24) | (hash[1] << 16) | (hash[2] << 8) | hash[3]) >>> 0;
}

interface Change {
  kh: Uint8Array;
  /** kh's first 48 bits as an exact integer: most sort comparisons end here. */
  prefix: number;
  key: Uint8Array;
  value: Uint8Array | undefined;
}

// Kind of the node a recursive step returned (nonzero hashes only). UNKNOWN marks an untouched
// subtree: it is read only if a sibling collapse needs to know whether it is a leaf.
const K_UNKNOWN = 0;
const K_LEAF = 1;
const K_INTERNAL = 2;

const LEAF_HEADER = 1 + HASH_LEN + 4;
const ZERO: Uint8Array = new Uint8Array(HASH_LEN);
const ALLOC_CHUNK = 1 << 14;

export class SparseMerkleTree {
  private readonly hash: HashFn;
  private readonly store: SmtNodeStore;
  // Per-update state, held on the instance so the recursion passes only integers.
  private changes: Change[] = [];
  /** insertsBefore[i] = number of non-delete changes among changes[0..i). */
  private insertsBefore: Int32Array = new Int32Array(1);
  /** Kind of the node the last updateNode/build/join call returned. */
  private kind = K_UNKNOWN;
  private readonly leafPre = new Uint8Array(1 + 2 * HASH_LEN);
  private chunk: Uint8Array = new Uint8Array(0);
  private chunkUsed = 0;

  constructor(hash: HashFn, store: SmtNodeStore) {
    this.hash = hash;
    this.store = store;
    assert(hash(new Uint8Array(0)).length === HASH_LEN, "smt: hash function must return 32 bytes");
    // Node encodings, stored values and caller keys reach the hash as views into larger buffers;
    // a hash that read `data.buffer` whole would make roots depend on unrelated memory.
    const probe = Uint8Array.of(0xa5, 1, 2, 3, 0x5a);
    assert(equalBytes(hash(probe.subarray(1, 4)), hash(Uint8Array.of(1, 2, 3))), "smt: hash function must honour typed-array views");
    this.leafPre[0] = LEAF_TAG;
  }

  /**
   * Applies all changes at once (value undefined = delete) on top of `root`, writes the new
   * nodes to the store and returns the new root. The order of `changes` does not matter; a key
   * appearing twice is an error. Deleting an absent key and rewriting the same value are no-ops.
   *
   * One pass over the kh-sorted changes: each level splits the current slice by the bit at that
   * depth, so each existing node on a changed path is read once (plus at most one read of an
   * untouched sibling when a collapse needs its kind) and each new node is hashed once.
   *
   * Measured with the opt-in benchmark in test/unit/smt.test.ts (MemoryNodeStore, one-shot
   * node:crypto SHA-256, Node 20, a shared 2-vCPU VM whose load average sat at 6-11, so these
   * are upper bounds). A 30k-change batch (20k updates, 5k deletes, 5k inserts):
   *   100k keys: ~170k hash calls, 0.6-1.0 s wall, of which SHA-256 alone 0.3-0.4 s; with a
   *              trivial hash (tree + store overhead only) 0.3-0.45 s.
   *   1M keys:   ~268k hash calls, 1.9-4.0 s wall (SHA-256 alone 1.0-1.3 s); tree + store
   *              overhead only ~0.6-0.9 s CPU. 5.3M stored nodes took ~0.93 GB RSS.
   * Hashing is about half the cost, so the chain's HashFn should be a one-shot call
   * (crypto.hash is ~2x faster than createHash().update().digest()).
   */
  update(root: Uint8Array, changes: ReadonlyArray<{ key: Uint8Array; value: Uint8Array | undefined }>): Uint8Array {
    checkRoot(root);
    const n = changes.length;
    const sorted: Change[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const { key, value } = changes[i];
      if (!(key instanceof Uint8Array)) assert(false, "smt: key must be bytes", { index: i });
      if (!(value === undefined || (value instanceof Uint8Array && value.length > 0))) assert(false, "smt: value must be non-empty bytes or undefined", { index: i });
      const kh = this.hashKey(key);
      const prefix = (kh[0] * 0x100 + kh[1]) * 0x100000000 + (((kh[2] << 24) | (kh[3] << 16) | (kh[4] << 8) | kh[5]) >>> 0);
      sorted[i] = { kh, prefix, key, value };
    }
    sorted.sort((a, b) => a.prefix - b.prefix || compareBytes(a.kh, b.kh));
    const ins = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) {
      if (i > 0 && compareBytes(sorted[i - 1].kh, sorted[i].kh) === 0) assert(false, "smt: duplicate key in one batch", { key: toHex(sorted[i].key) });
      ins[i + 1] = ins[i] + (sorted[i].value === undefined ? 0 : 1);
    }
    if (n === 0) {
      if (!isZeroHash(root)) this.readNode(root, 0);
      return root.slice();
    }
    this.changes = sorted;
    this.insertsBefore = ins;
    try {
      return this.updateNode(root, 0, 0, n).slice();
    } finally {
      this.changes = [];
      this.insertsBefore = new Int32Array(1);
    }
  }

  get(root: Uint8Array, key: Uint8Array): Uint8Array | undefined {
    checkRoot(root);
    const kh = this.hashKey(key);
    let h = root;
    for (let depth = 0; ; depth++) {
      if (isZeroHash(h)) return undefined;
      const enc = this.readNode(h, depth);
      if (enc[0] === LEAF_TAG) {
        const lkh = enc.subarray(1, 1 + HASH_LEN);
        checkNode(sharesPrefix(lkh, kh, depth), "smt: leaf off its path", h, depth);
        if (!equalBytes(lkh, kh)) return undefined;
        const keyLen = leafKeyLen(enc);
        checkNode(equalBytes(enc.subarray(LEAF_HEADER, LEAF_HEADER + keyLen), key), "smt: leaf key does not match its key hash", h);
        return enc.slice(LEAF_HEADER + keyLen);
      }
      checkNode(depth < KEY_BITS, "smt: internal node below the last bit", h);
      h = bitAt(kh, depth) === 0 ? enc.subarray(1, 1 + HASH_LEN) : enc.subarray(1 + HASH_LEN);
    }
  }

  prove(root: Uint8Array, key: Uint8Array): SmtProof {
    checkRoot(root);
    const kh = this.hashKey(key);
    const siblings: string[] = [];
    let h = root;
    for (let depth = 0; ; depth++) {
      if (isZeroHash(h)) return { key: toHex(key), value: null, siblings, terminal: { kind: "empty" } };
      const enc = this.readNode(h, depth);
      if (enc[0] === LEAF_TAG) {
        const lkh = enc.subarray(1, 1 + HASH_LEN);
        checkNode(sharesPrefix(lkh, kh, depth), "smt: leaf off its path", h, depth);
        const value = enc.subarray(LEAF_HEADER + leafKeyLen(enc));
        const terminal = { kind: "leaf" as const, keyHash: toHex(lkh), valueHash: toHex(this.hash(value)) };
        return { key: toHex(key), value: equalBytes(lkh, kh) ? toHex(value) : null, siblings, terminal };
      }
      checkNode(depth < KEY_BITS, "smt: internal node below the last bit", h);
      const left = enc.subarray(1, 1 + HASH_LEN);
      const right = enc.subarray(1 + HASH_LEN);
      if (bitAt(kh, depth) === 0) {
        siblings.push(toHex(right));
        h = left;
      } else {
        siblings.push(toHex(left));
        h = right;
      }
    }
  }

  private hashKey(key: Uint8Array): Uint8Array {
    const kh = this.hash(key);
    assert(kh.length === HASH_LEN, "smt: hash function must return 32 bytes");
    return kh;
  }

  /** Rewrites the subtree `h` at `depth` with changes[lo..hi), all of which lie under it. */
  private updateNode(h: Uint8Array, depth: number, lo: number, hi: number): Uint8Array {
    if (lo === hi) {
      this.kind = K_UNKNOWN;
      return h;
    }
    if (isZeroHash(h)) return this.build(depth, lo, hi, null, null, -1);
    const enc = this.readNode(h, depth);
    if (enc[0] === LEAF_TAG) {
      const kh = enc.subarray(1, 1 + HASH_LEN);
      checkNode(sharesPrefix(kh, this.changes[lo].kh, depth), "smt: leaf off its path", h, depth);
      const m = this.findKh(kh, lo, hi);
      if (m < 0) return this.build(depth, lo, hi, h, kh, -1);
      const value = this.changes[m].value;
      // Rewriting the value a key already has is common in execution: keep the stored leaf
      // (no hashes, no put) and let it stand in for that change.
      if (value !== undefined && equalBytes(value, enc.subarray(LEAF_HEADER + leafKeyLen(enc)))) return this.build(depth, lo, hi, h, kh, m);
      return this.build(depth, lo, hi, null, null, -1);
    }
    checkNode(depth < KEY_BITS, "smt: internal node below the last bit", h);
    const left = enc.subarray(1, 1 + HASH_LEN);
    const right = enc.subarray(1 + HASH_LEN);
    checkNode(!(isZeroHash(left) && isZeroHash(right)), "smt: internal node with two empty children", h);
    const mid = this.splitPoint(depth, lo, hi);
    const nl = this.updateNode(left, depth + 1, lo, mid);
    const lk = this.kind;
    const nr = this.updateNode(right, depth + 1, mid, hi);
    const rk = this.kind;
    if (equalBytes(nl, left) && equalBytes(nr, right)) {
      this.kind = K_INTERNAL;
      return h;
    }
    return this.join(nl, lk, nr, rk, depth);
  }

  /**
   * Builds the subtree at `depth` holding the inserts among changes[lo..hi) plus, if given, one
   * existing leaf (`exHash`/`exKh`) whose key has no change here, or whose change is the no-op at
   * index `skip`. Deletes here are of absent keys.
   */
  private build(depth: number, lo: number, hi: number, exHash: Uint8Array | null, exKh: Uint8Array | null, skip: number): Uint8Array {
    const inserts = this.insertsBefore[hi] - this.insertsBefore[lo] - (skip >= lo && skip < hi ? 1 : 0);
    const total = inserts + (exHash === null ? 0 : 1);
    if (total === 0) {
      this.kind = K_UNKNOWN;
      return ZERO;
    }
    if (total === 1) {
      this.kind = K_LEAF;
      if (exHash !== null) return exHash;
      // With no existing leaf here, `skip` (which travels with it) is outside [lo, hi).
      let i = lo;
      while (this.changes[i].value === undefined) i++;
      return this.makeLeaf(this.changes[i]);
    }
    // Two distinct 256-bit key hashes always split before the last bit.
    assert(depth < KEY_BITS, "smt: two leaves share every key-hash bit");
    const mid = this.splitPoint(depth, lo, hi);
    const exBit = exKh === null ? -1 : bitAt(exKh, depth);
    const l = exBit === 0 ? this.build(depth + 1, lo, mid, exHash, exKh, skip) : this.build(depth + 1, lo, mid, null, null, -1);
    const lk = this.kind;
    const r = exBit === 1 ? this.build(depth + 1, mid, hi, exHash, exKh, skip) : this.build(depth + 1, mid, hi, null, null, -1);
    const rk = this.kind;
    return this.join(l, lk, r, rk, depth);
  }

  /** The node at `depth` with children l and r, in canonical shape (collapses a lone leaf). */
  private join(l: Uint8Array, lk: number, r: Uint8Array, rk: number, depth: number): Uint8Array {
    const le = isZeroHash(l);
    const re = isZeroHash(r);
    if (le && re) {
      this.kind = K_UNKNOWN;
      return ZERO;
    }
    if (le || re) {
      const only = le ? r : l;
      let k = le ? rk : lk;
      if (k === K_UNKNOWN) k = this.readNode(only, depth + 1)[0] === LEAF_TAG ? K_LEAF : K_INTERNAL;
      if (k === K_LEAF) {
        this.kind = K_LEAF;
        return only;
      }
    }
    const enc = this.alloc(1 + 2 * HASH_LEN);
    enc[0] = INTERNAL_TAG;
    enc.set(l, 1);
    enc.set(r, 1 + HASH_LEN);
    const h = this.hash(enc);
    assert(h.length === HASH_LEN && !isZeroHash(h), "smt: node hash is zero or malformed");
    this.store.put(h, enc);
    this.kind = K_INTERNAL;
    return h;
  }

  private makeLeaf(c: Change): Uint8Array {
    const value = c.value;
    assert(value !== undefined, "smt: leaf for a delete");
    const pre = this.leafPre;
    pre.set(c.kh, 1);
    pre.set(this.hash(value), 1 + HASH_LEN);
    const h = this.hash(pre);
    assert(h.length === HASH_LEN && !isZeroHash(h), "smt: node hash is zero or malformed");
    const enc = this.alloc(LEAF_HEADER + c.key.length + value.length);
    enc[0] = LEAF_TAG;
    enc.set(c.kh, 1);
    const kl = c.key.length;
    enc[1 + HASH_LEN] = kl >>> 24;
    enc[2 + HASH_LEN] = (kl >>> 16) & 0xff;
    enc[3 + HASH_LEN] = (kl >>> 8) & 0xff;
    enc[4 + HASH_LEN] = kl & 0xff;
    enc.set(c.key, LEAF_HEADER);
    enc.set(value, LEAF_HEADER + c.key.length);
    this.store.put(h, enc);
    return h;
  }

  /**
   * Fresh bytes for a node encoding, carved from 16 KiB chunks: V8 puts typed arrays over 64 bytes
   * off-heap, and one allocation per node measured as the largest cost of join(). Regions are
   * never reused, so a store may keep the view it was given.
   */
  private alloc(n: number): Uint8Array {
    if (n > ALLOC_CHUNK / 4) return new Uint8Array(n);
    if (this.chunkUsed + n > this.chunk.length) {
      this.chunk = new Uint8Array(ALLOC_CHUNK);
      this.chunkUsed = 0;
    }
    const out = this.chunk.subarray(this.chunkUsed, this.chunkUsed + n);
    this.chunkUsed += n;
    return out;
  }

  /** First index in [lo, hi) whose kh has bit `depth` set; the slice shares all earlier bits. */
  private splitPoint(depth: number, lo: number, hi: number): number {
    const ch = this.changes;
    let a = lo;
    let b = hi;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (bitAt(ch[m].kh, depth) === 1) b = m;
      else a = m + 1;
    }
    return a;
  }

  /** Index in [lo, hi) of the change whose kh equals `kh`, or -1. */
  private findKh(kh: Uint8Array, lo: number, hi: number): number {
    const ch = this.changes;
    let a = lo;
    let b = hi;
    while (a < b) {
      const m = (a + b) >>> 1;
      const c = compareBytes(ch[m].kh, kh);
      if (c === 0) return m;
      if (c < 0) a = m + 1;
      else b = m;
    }
    return -1;
  }

  private readNode(h: Uint8Array, depth: number): Uint8Array {
    const enc = this.store.get(h);
    if (enc === undefined) {
      // An unknown root is the caller asking for state this node does not have; a missing child
      // of a stored node means the store lost data.
      if (depth === 0) throw new CivitasError(ErrorCode.STATE_NOT_AVAILABLE, "unknown state root", { root: toHex(h) });
      assert(false, "smt: node missing from store", { node: toHex(h), depth });
    }
    if (enc[0] === INTERNAL_TAG) {
      checkNode(enc.length === 1 + 2 * HASH_LEN, "smt: malformed internal node", h);
    } else {
      checkNode(enc[0] === LEAF_TAG && enc.length > LEAF_HEADER, "smt: malformed node", h);
      checkNode(enc.length > LEAF_HEADER + leafKeyLen(enc), "smt: malformed leaf", h);
    }
    return enc;
  }
}

function leafKeyLen(enc: Uint8Array): number {
  return ((enc[1 + HASH_LEN] << 24) >>> 0) + (enc[2 + HASH_LEN] << 16) + (enc[3 + HASH_LEN] << 8) + enc[4 + HASH_LEN];
}

/**
 * `assert` for per-node checks: the hex dump in the details is built only on failure, since these
 * run for every node visited and eager toHex dominated the profile.
 */
function checkNode(condition: boolean, message: string, node: Uint8Array, depth?: number): asserts condition {
  if (!condition) assert(false, message, depth === undefined ? { node: toHex(node) } : { node: toHex(node), depth });
}

function checkRoot(root: Uint8Array): void {
  assert(root instanceof Uint8Array && root.length === HASH_LEN, "smt: root must be 32 bytes");
}
