/**
 * Sparse Merkle Tree hashing rules and the stand-alone proof verifier.
 *
 * Kept apart from the tree so light clients (SDK, browsers) can verify state proofs without
 * pulling in a node store. Everything here is consensus-critical: changing a tag, the bit order
 * or the preimage layout changes every state root.
 *
 * Hashing (H is the chain's 32-byte hash, SHA-256 or SM3):
 *   kh(key)        = H(key)                                   tree position, bit i MSB-first, 0 = left
 *   Empty          = 32 zero bytes                            no preimage; never stored
 *   Leaf(kh, v)    = H(0x10 || kh || H(v))                    independent of depth, so leaves move freely
 *   Internal(l, r) = H(0x11 || l || r)
 * Canonical shape: a subtree holding one leaf is that leaf, so no internal node has children
 * (Empty, Empty), (Empty, Leaf) or (Leaf, Empty). The root is therefore a function of the
 * key/value set alone, and every position along a key's path has exactly one valid proof.
 */
import { equalBytes, fromHex } from "../util/bytes.js";

/**
 * The chain's hash: returns 32 fresh bytes. `data` is often a view into a larger buffer, so the
 * function must hash exactly data[0..length), honouring byteOffset (the tree checks this once).
 */
export type HashFn = (data: Uint8Array) => Uint8Array;

export const HASH_LEN = 32;
export const KEY_BITS = 256;
export const LEAF_TAG = 0x10;
export const INTERNAL_TAG = 0x11;

/**
 * 32 zero bytes. A Uint8Array cannot be frozen, so the tree never reads this constant; a caller
 * mutating it only hurts itself.
 */
export const EMPTY_ROOT: Uint8Array = new Uint8Array(HASH_LEN);

/**
 * A proof that `key` maps to `value` (membership) or is absent (value null) under some root.
 *
 * `siblings` lists every sibling along kh's path from the root downwards, Empty siblings
 * included as 64 zeros (no bitmap: with hashed keys the path to a leaf among n keys is about
 * log2(n) deep, so compression would save little and add a malleable field). The path depth is
 * `siblings.length`; `terminal` is the node found at that depth.
 */
export interface SmtProof {
  key: string;
  value: string | null;
  siblings: string[];
  terminal: { kind: "empty" } | { kind: "leaf"; keyHash: string; valueHash: string };
}

export function bitAt(kh: Uint8Array, i: number): number {
  return (kh[i >> 3] >> (7 - (i & 7))) & 1;
}

export function isZeroHash(h: Uint8Array): boolean {
  for (let i = 0; i < h.length; i++) if (h[i] !== 0) return false;
  return true;
}

/** True iff a and b agree on their first `bits` bits. */
export function sharesPrefix(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  const whole = bits >> 3;
  for (let i = 0; i < whole; i++) if (a[i] !== b[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (a[whole] & mask) === (b[whole] & mask);
}

export function leafHash(hash: HashFn, kh: Uint8Array, valueHash: Uint8Array): Uint8Array {
  const pre = new Uint8Array(1 + 2 * HASH_LEN);
  pre[0] = LEAF_TAG;
  pre.set(kh, 1);
  pre.set(valueHash, 1 + HASH_LEN);
  return hash(pre);
}

export function internalHash(hash: HashFn, left: Uint8Array, right: Uint8Array): Uint8Array {
  const pre = new Uint8Array(1 + 2 * HASH_LEN);
  pre[0] = INTERNAL_TAG;
  pre.set(left, 1);
  pre.set(right, 1 + HASH_LEN);
  return hash(pre);
}

function hex32(h: unknown): Uint8Array | undefined {
  if (typeof h !== "string" || h.length !== 2 * HASH_LEN) return undefined;
  try {
    return fromHex(h);
  } catch {
    return undefined;
  }
}

/**
 * Pure verifier; never throws (anything malformed, including a throwing hash function, is
 * `false`). True iff the proof shows `proof.key` maps to `proof.value`, or is absent when
 * `proof.value` is null, in the tree whose root is `root`.
 */
export function verifySmtProof(hash: HashFn, root: Uint8Array, proof: SmtProof): boolean {
  try {
    return verify(hash, root, proof);
  } catch {
    return false;
  }
}

function verify(hash: HashFn, root: Uint8Array, proof: SmtProof): boolean {
  if (!(root instanceof Uint8Array) || root.length !== HASH_LEN) return false;
  if (typeof proof !== "object" || proof === null) return false;
  const { key: keyHex, value: valueHex, siblings, terminal } = proof;
  if (typeof keyHex !== "string" || keyHex.startsWith("0x")) return false;
  const key = fromHex(keyHex);
  let value: Uint8Array | null = null;
  if (valueHex !== null) {
    if (typeof valueHex !== "string" || valueHex.startsWith("0x")) return false;
    value = fromHex(valueHex);
    if (value.length === 0) return false;
  }
  if (!Array.isArray(siblings) || siblings.length > KEY_BITS) return false;
  const depth = siblings.length;
  const sibs: Uint8Array[] = new Array(depth);
  for (let i = 0; i < depth; i++) {
    const s = hex32(siblings[i]);
    if (s === undefined) return false;
    sibs[i] = s;
  }
  // Canonical shape: whatever ends the path (a leaf, or Empty below the root) has a non-empty
  // sibling, else its parent would have collapsed. Rejecting the rest keeps proofs unique.
  if (depth > 0 && isZeroHash(sibs[depth - 1])) return false;
  if (typeof terminal !== "object" || terminal === null) return false;

  const kh = hash(key);
  if (!(kh instanceof Uint8Array) || kh.length !== HASH_LEN) return false;
  let node: Uint8Array;
  if (terminal.kind === "empty") {
    if (value !== null) return false;
    node = new Uint8Array(HASH_LEN);
  } else if (terminal.kind === "leaf") {
    const tkh = hex32(terminal.keyHash);
    const tvh = hex32(terminal.valueHash);
    if (tkh === undefined || tvh === undefined) return false;
    if (value !== null) {
      if (!equalBytes(tkh, kh) || !equalBytes(tvh, hash(value))) return false;
    } else {
      // Another key's leaf proves absence only if it sits on kh's own path: it is then alone in
      // the subtree kh would have to be in.
      if (equalBytes(tkh, kh) || !sharesPrefix(tkh, kh, depth)) return false;
    }
    node = leafHash(hash, tkh, tvh);
  } else {
    return false;
  }
  for (let d = depth - 1; d >= 0; d--) {
    node = bitAt(kh, d) === 0 ? internalHash(hash, node, sibs[d]) : internalHash(hash, sibs[d], node);
  }
  return equalBytes(node, root);
}
