/**
 * RFC 9162 (Certificate Transparency v2) Merkle trees: tree hash, inclusion and consistency
 * proofs. Pure and hash-agnostic; the caller supplies a HashFn with a 32-byte output.
 *
 * Producers throw TypeError on out-of-range arguments (a caller bug). Verifiers never throw:
 * their inputs come from untrusted peers, and every malformed input simply fails verification.
 */
import { concatBytes, equalBytes, fromHex, toHex } from "../util/bytes.js";

export type HashFn = (data: Uint8Array) => Uint8Array;

/** Verifiers insist on this length so a truncated or padded hash can never be fed to H. */
const HASH_LEN = 32;
const LEAF_PREFIX = Uint8Array.of(0x00);
const EMPTY = new Uint8Array(0);

/** RFC 9162 §2.1.1: the 0x00/0x01 prefixes keep a leaf from ever being mistaken for a node. */
export function leafHash(h: HashFn, entry: Uint8Array): Uint8Array {
  return h(concatBytes(LEAF_PREFIX, entry));
}

export function nodeHash(h: HashFn, left: Uint8Array, right: Uint8Array): Uint8Array {
  // Hand-rolled rather than concatBytes: this is the hot path of every root and proof.
  const buf = new Uint8Array(1 + left.length + right.length);
  buf[0] = 0x01;
  buf.set(left, 1);
  buf.set(right, 1 + left.length);
  return h(buf);
}

/** Largest power of two strictly less than n (n >= 2). Arithmetic, not bit ops: sizes may exceed 2^31. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}

/** Right shift by one that stays exact up to 2^53 (`>>` would truncate to 32 bits). */
const half = (x: number): number => Math.floor(x / 2);
const isOdd = (x: number): boolean => x % 2 === 1;
const isSize = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const isHash = (x: unknown): x is Uint8Array => x instanceof Uint8Array && x.length === HASH_LEN;

/**
 * MTH(D[lo:hi]) without recursion, in n-1 hashes. Pairing level by level and carrying an odd last
 * node up unchanged gives exactly the RFC's recursive MTH: with k = splitPoint(n), the first k
 * leaves (a power of two, so pairs never straddle the split) collapse to MTH(D[0:k]) in log2(k)
 * rounds; the n-k <= k others reduce on their own, by induction to MTH(D[k:n]), within those same
 * rounds, idling as the carried odd node once done; the next round joins the two.
 */
function rangeRoot(h: HashFn, leaves: Uint8Array[], lo: number, hi: number): Uint8Array {
  if (hi === lo) return h(EMPTY);
  // Copied so that callers mutating a returned hash cannot corrupt their own leaf list (and not
  // with .slice(), which on a Node Buffer returns a view rather than a copy).
  if (hi - lo === 1) return new Uint8Array(leaves[lo]);
  let level = leaves.slice(lo, hi);
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(nodeHash(h, level[i], level[i + 1]));
    if (level.length % 2 === 1) next.push(level[level.length - 1]);
    level = next;
  }
  return level[0];
}

function requireLeafList(leafHashes: unknown): asserts leafHashes is Uint8Array[] {
  if (!Array.isArray(leafHashes)) throw new TypeError("leaf hashes must be an array");
}

/** RFC 9162 §2.1.1 MTH; the empty tree hashes to H(""). */
export function rootFromLeafHashes(h: HashFn, leafHashes: Uint8Array[]): Uint8Array {
  requireLeafList(leafHashes);
  return rangeRoot(h, leafHashes, 0, leafHashes.length);
}

export function merkleRootOf(h: HashFn, entries: Uint8Array[]): Uint8Array {
  requireLeafList(entries);
  return rootFromLeafHashes(h, entries.map((e) => leafHash(h, e)));
}

/**
 * RFC 9162 §2.1.3.1 PATH(m, D[n]), ordered leaf-to-root as the RFC's concatenation produces it.
 * Walked top-down (the recursion appends each level's sibling after the deeper ones), then reversed.
 */
export function inclusionPath(h: HashFn, leafHashes: Uint8Array[], index: number): Uint8Array[] {
  requireLeafList(leafHashes);
  const n = leafHashes.length;
  if (!isSize(index) || index >= n) {
    throw new TypeError(`leaf index ${String(index)} out of range for tree size ${n}`);
  }
  const siblings: Uint8Array[] = [];
  let lo = 0;
  let hi = n;
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (index < lo + k) {
      siblings.push(rangeRoot(h, leafHashes, lo + k, hi));
      hi = lo + k;
    } else {
      siblings.push(rangeRoot(h, leafHashes, lo, lo + k));
      lo += k;
    }
  }
  return siblings.reverse();
}

/**
 * RFC 9162 §2.1.4.1 PROOF(m, D[n]) = SUBPROOF(m, D[n], true). Sizes 0 and n yield the empty
 * proof: every tree extends the empty tree and itself, so there is nothing to prove.
 */
export function consistencyPath(h: HashFn, leafHashes: Uint8Array[], size1: number): Uint8Array[] {
  requireLeafList(leafHashes);
  const n = leafHashes.length;
  if (!isSize(size1) || size1 > n) {
    throw new TypeError(`old tree size ${String(size1)} out of range for tree size ${n}`);
  }
  if (size1 === 0 || size1 === n) return [];
  const out: Uint8Array[] = [];
  let lo = 0;
  let hi = n;
  let m = size1;
  // b of SUBPROOF: true while the old tree is still a left-edge prefix whose root the verifier knows.
  let known = true;
  for (;;) {
    if (m === hi - lo) {
      if (!known) out.push(rangeRoot(h, leafHashes, lo, hi));
      break;
    }
    const k = splitPoint(hi - lo);
    if (m <= k) {
      out.push(rangeRoot(h, leafHashes, lo + k, hi));
      hi = lo + k;
    } else {
      out.push(rangeRoot(h, leafHashes, lo, lo + k));
      lo += k;
      m -= k;
      known = false;
    }
  }
  return out.reverse();
}

function isHashList(path: unknown): path is Uint8Array[] {
  return Array.isArray(path) && path.every(isHash);
}

/** RFC 9162 §2.1.3.2, step for step. */
export function verifyInclusionPath(
  h: HashFn,
  leafHash: Uint8Array,
  index: number,
  treeSize: number,
  path: Uint8Array[],
  root: Uint8Array,
): boolean {
  try {
    if (!isSize(index) || !isSize(treeSize) || index >= treeSize) return false;
    if (!isHash(leafHash) || !isHash(root) || !isHashList(path)) return false;
    let fn = index;
    let sn = treeSize - 1;
    let r = leafHash;
    for (const p of path) {
      if (sn === 0) return false;
      if (isOdd(fn) || fn === sn) {
        r = nodeHash(h, p, r);
        // Right-edge nodes with no right sibling are promoted, so skip the levels they skip.
        if (!isOdd(fn)) {
          while (!isOdd(fn) && fn !== 0) {
            fn = half(fn);
            sn = half(sn);
          }
        }
      } else {
        r = nodeHash(h, r, p);
      }
      fn = half(fn);
      sn = half(sn);
    }
    return sn === 0 && equalBytes(r, root);
  } catch {
    return false;
  }
}

/**
 * RFC 9162 §2.1.4.2, step for step, plus the cases the RFC leaves outside 0 < size1 < size2.
 *
 * size1 == 0: the RFC defines no proof here; any tree is an extension of the empty tree, so the
 * only acceptable proof is the empty one. We additionally require root1 to be the empty-tree hash
 * H("") (RFC 9162 §2.1.1), because a size-0 tree head carrying any other root is itself bogus and
 * accepting it would let a malformed checkpoint pass as consistent. root2 cannot be checked
 * against anything without the data, so only its format is validated.
 */
export function verifyConsistencyPath(
  h: HashFn,
  size1: number,
  size2: number,
  root1: Uint8Array,
  root2: Uint8Array,
  path: Uint8Array[],
): boolean {
  try {
    if (!isSize(size1) || !isSize(size2) || size1 > size2) return false;
    if (!isHash(root1) || !isHash(root2) || !isHashList(path)) return false;
    if (size1 === 0) {
      if (path.length !== 0 || !equalBytes(root1, h(EMPTY))) return false;
      return size2 !== 0 || equalBytes(root1, root2);
    }
    if (size1 === size2) return path.length === 0 && equalBytes(root1, root2);
    if (path.length === 0) return false;
    // A power-of-two old tree is a complete subtree of the new one, so its root is omitted from the proof.
    const proof = isPowerOfTwo(size1) ? [root1, ...path] : path;
    let fn = size1 - 1;
    let sn = size2 - 1;
    while (isOdd(fn)) {
      fn = half(fn);
      sn = half(sn);
    }
    let fr = proof[0];
    let sr = proof[0];
    for (let i = 1; i < proof.length; i++) {
      const c = proof[i];
      if (sn === 0) return false;
      if (isOdd(fn) || fn === sn) {
        fr = nodeHash(h, c, fr);
        sr = nodeHash(h, c, sr);
        if (!isOdd(fn)) {
          while (!isOdd(fn) && fn !== 0) {
            fn = half(fn);
            sn = half(sn);
          }
        }
      } else {
        sr = nodeHash(h, sr, c);
      }
      fn = half(fn);
      sn = half(sn);
    }
    return fn === 0 && sn === 0 && equalBytes(fr, root1) && equalBytes(sr, root2);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Hex layer for the SDK. Entries are hex of the entry bytes (leaf hashing happens here); hashes
// are lowercase hex.

export interface HexInclusionProof {
  leafHash: string;
  index: number;
  treeSize: number;
  proof: string[];
  root: string;
}

export interface HexConsistencyProof {
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[];
}

/** Exactly one spelling per hash (no 0x, no upper case), so a proof has one canonical encoding. */
const HASH_HEX = /^[0-9a-f]{64}$/;

function hashFromHex(s: unknown): Uint8Array | null {
  return typeof s === "string" && HASH_HEX.test(s) ? fromHex(s) : null;
}

function hashListFromHex(list: unknown): Uint8Array[] | null {
  if (!Array.isArray(list)) return null;
  const out: Uint8Array[] = [];
  for (const s of list) {
    const b = hashFromHex(s);
    if (b === null) return null;
    out.push(b);
  }
  return out;
}

function leafHashesFromHex(h: HashFn, leavesHex: string[]): Uint8Array[] {
  requireLeafList(leavesHex);
  return leavesHex.map((x) => leafHash(h, fromHex(x)));
}

export function merkleRootHex(h: HashFn, leavesHex: string[]): string {
  return toHex(rootFromLeafHashes(h, leafHashesFromHex(h, leavesHex)));
}

export function inclusionProofHex(h: HashFn, leavesHex: string[], index: number): HexInclusionProof {
  const leaves = leafHashesFromHex(h, leavesHex);
  const proof = inclusionPath(h, leaves, index);
  return {
    leafHash: toHex(leaves[index]),
    index,
    treeSize: leaves.length,
    proof: proof.map(toHex),
    root: toHex(rootFromLeafHashes(h, leaves)),
  };
}

export function consistencyProofHex(h: HashFn, leavesHex: string[], size1: number): HexConsistencyProof {
  const leaves = leafHashesFromHex(h, leavesHex);
  const proof = consistencyPath(h, leaves, size1);
  return {
    size1,
    size2: leaves.length,
    root1: toHex(rangeRoot(h, leaves, 0, size1)),
    root2: toHex(rootFromLeafHashes(h, leaves)),
    proof: proof.map(toHex),
  };
}

export function verifyInclusionHex(h: HashFn, p: HexInclusionProof): boolean {
  try {
    if (typeof p !== "object" || p === null) return false;
    const leaf = hashFromHex(p.leafHash);
    const root = hashFromHex(p.root);
    const proof = hashListFromHex(p.proof);
    if (leaf === null || root === null || proof === null) return false;
    return verifyInclusionPath(h, leaf, p.index, p.treeSize, proof, root);
  } catch {
    return false;
  }
}

export function verifyConsistencyHex(h: HashFn, p: HexConsistencyProof): boolean {
  try {
    if (typeof p !== "object" || p === null) return false;
    const root1 = hashFromHex(p.root1);
    const root2 = hashFromHex(p.root2);
    const proof = hashListFromHex(p.proof);
    if (root1 === null || root2 === null || proof === null) return false;
    return verifyConsistencyPath(h, p.size1, p.size2, root1, root2, proof);
  } catch {
    return false;
  }
}
