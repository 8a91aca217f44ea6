import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fc from "fast-check";
import {
  consistencyPath,
  consistencyProofHex,
  inclusionPath,
  inclusionProofHex,
  leafHash,
  merkleRootHex,
  merkleRootOf,
  nodeHash,
  rootFromLeafHashes,
  verifyConsistencyHex,
  verifyConsistencyPath,
  verifyInclusionHex,
  verifyInclusionPath,
} from "../../src/ledger/merkle.js";
import type { HashFn, HexConsistencyProof, HexInclusionProof } from "../../src/ledger/merkle.js";
import { CT_LEAVES, CT_ROOTS } from "./vectors/rfc9162.js";

// Local hex helpers keep the expected values independent of the project's own byte utilities.
const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"));

const sha256: HashFn = (d) => new Uint8Array(createHash("sha256").update(d).digest());
const sha3: HashFn = (d) => new Uint8Array(createHash("sha3-256").update(d).digest());

// Independent of the module under test, so the reference and the vectors cannot share its bugs.
const refLeaf = (e: Uint8Array): Uint8Array =>
  new Uint8Array(createHash("sha256").update(Uint8Array.of(0)).update(e).digest());
const refNode = (l: Uint8Array, r: Uint8Array): Uint8Array =>
  new Uint8Array(createHash("sha256").update(Uint8Array.of(1)).update(l).update(r).digest());
const EMPTY_ROOT = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

function refSplit(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** RFC 9162 §2.1.1 MTH, transcribed literally (recursive, slicing). Input: leaf hashes. */
function refMth(d: Uint8Array[]): Uint8Array {
  if (d.length === 0) return fromHex(EMPTY_ROOT);
  if (d.length === 1) return d[0];
  const k = refSplit(d.length);
  return refNode(refMth(d.slice(0, k)), refMth(d.slice(k)));
}

/** RFC 9162 §2.1.3.1 PATH(m, D[n]), literally. */
function refPath(m: number, d: Uint8Array[]): Uint8Array[] {
  if (d.length === 1) return [];
  const k = refSplit(d.length);
  return m < k
    ? [...refPath(m, d.slice(0, k)), refMth(d.slice(k))]
    : [...refPath(m - k, d.slice(k)), refMth(d.slice(0, k))];
}

/** RFC 9162 §2.1.4.1 SUBPROOF(m, D[n], b), literally. */
function refSubproof(m: number, d: Uint8Array[], b: boolean): Uint8Array[] {
  if (m === d.length) return b ? [] : [refMth(d)];
  const k = refSplit(d.length);
  return m <= k
    ? [...refSubproof(m, d.slice(0, k), b), refMth(d.slice(k))]
    : [...refSubproof(m - k, d.slice(k), false), refMth(d.slice(0, k))];
}

/** For each PATH element, whether the sibling sits to the left: all the verifier learns from (index, size). */
function refShape(m: number, n: number): boolean[] {
  if (n === 1) return [];
  const k = refSplit(n);
  return m < k ? [...refShape(m, k), false] : [...refShape(m - k, n - k), true];
}

const hexList = (xs: Uint8Array[]): string[] => xs.map(toHex);
const sameShape = (a: boolean[], b: boolean[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

function flipBit(b: Uint8Array, bit: number): Uint8Array {
  const c = new Uint8Array(b);
  c[bit >> 3] ^= 1 << (bit & 7);
  return c;
}

function replaceAt(path: Uint8Array[], i: number, v: Uint8Array): Uint8Array[] {
  const c = path.slice();
  c[i] = v;
  return c;
}

/** Asserting only on failure keeps the message formatting out of the hot loops. */
function mustFail(ok: boolean, why: () => string): void {
  if (ok) assert.fail(`unexpectedly verified: ${why()}`);
}

// ---------------------------------------------------------------------------------------------
// 1. Published Certificate Transparency vectors: transparency-dev/merkle testonly/constants.go and
// proof/verify_test.go (the same data as the CT C++ merkle_tree_test.cc). Note the Go inclusion
// vectors use 1-based leaf numbers; they are converted to 0-based indices below.


/** NodeHashes()[level][index]: every complete subtree of the 8-leaf tree. */
const CT_NODES: string[][] = [
  [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
  ],
  [
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
  ],
  [
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
  ],
  ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
];


const CT_INCLUSION: { index: number; size: number; path: string[] }[] = [
  { index: 0, size: 1, path: [] },
  {
    index: 0,
    size: 8,
    path: [
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
  },
  {
    index: 5,
    size: 8,
    path: [
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
  },
  { index: 2, size: 3, path: ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"] },
  {
    index: 1,
    size: 5,
    path: [
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
  },
];

const CT_CONSISTENCY: { size1: number; size2: number; path: string[] }[] = [
  { size1: 1, size2: 1, path: [] },
  {
    size1: 1,
    size2: 8,
    path: [
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
  },
  {
    size1: 6,
    size2: 8,
    path: [
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
  },
  {
    size1: 2,
    size2: 5,
    path: [
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
  },
  {
    size1: 6,
    size2: 7,
    path: [
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
  },
];

const ctEntries = CT_LEAVES.map(fromHex);
const ctLeafHashes = CT_NODES[0].map(fromHex);
const ctRoot = (s: number): Uint8Array => fromHex(CT_ROOTS[s]);

test("CT vectors: leaf hashes, every complete subtree and every prefix root", () => {
  ctEntries.forEach((e, i) => assert.equal(toHex(leafHash(sha256, e)), CT_NODES[0][i], `leaf ${i}`));
  for (let level = 1; level < CT_NODES.length; level++) {
    CT_NODES[level].forEach((want, i) => {
      const got = nodeHash(sha256, fromHex(CT_NODES[level - 1][2 * i]), fromHex(CT_NODES[level - 1][2 * i + 1]));
      assert.equal(toHex(got), want, `node ${level}/${i}`);
    });
  }
  for (let s = 0; s <= 8; s++) {
    assert.equal(toHex(merkleRootOf(sha256, ctEntries.slice(0, s))), CT_ROOTS[s], `merkleRootOf size ${s}`);
    assert.equal(toHex(rootFromLeafHashes(sha256, ctLeafHashes.slice(0, s))), CT_ROOTS[s], `root size ${s}`);
  }
});

test("CT vectors: published inclusion paths are produced and verify; corruptions fail", () => {
  const someHash = fromHex("abacaba000000000000000000000000000000000000000000060061e00123456");
  for (const v of CT_INCLUSION) {
    const leaves = ctLeafHashes.slice(0, v.size);
    const path = v.path.map(fromHex);
    const root = ctRoot(v.size);
    const leaf = ctLeafHashes[v.index];
    const tag = `(${v.index}, ${v.size})`;
    assert.deepEqual(hexList(inclusionPath(sha256, leaves, v.index)), v.path, `path ${tag}`);
    assert.equal(verifyInclusionPath(sha256, leaf, v.index, v.size, path, root), true, `verify ${tag}`);

    // The probe set of transparency-dev/merkle corruptInclusionProof.
    const probes: [string, number, number, Uint8Array[], Uint8Array, Uint8Array][] = [
      ["index - 1", v.index - 1, v.size, path, root, leaf],
      ["index + 1", v.index + 1, v.size, path, root, leaf],
      ["index ^ 2", v.index ^ 2, v.size, path, root, leaf],
      ["size * 2", v.index, v.size * 2, path, root, leaf],
      ["size / 2", v.index, Math.floor(v.size / 2), path, root, leaf],
      ["wrong leaf", v.index, v.size, path, root, new TextEncoder().encode("WrongLeaf")],
      ["empty root", v.index, v.size, path, fromHex(EMPTY_ROOT), leaf],
      ["random root", v.index, v.size, path, someHash, leaf],
      ["trailing garbage", v.index, v.size, [...path, new Uint8Array(0)], root, leaf],
      ["trailing root", v.index, v.size, [...path, root], root, leaf],
      ["preceding garbage", v.index, v.size, [new Uint8Array(0), ...path], root, leaf],
      ["preceding root", v.index, v.size, [root, ...path], root, leaf],
    ];
    path.forEach((p, i) => probes.push([`proof[${i}] bit 3`, v.index, v.size, replaceAt(path, i, flipBit(p, 3)), root, leaf]));
    if (path.length > 0) probes.push(["removed component", v.index, v.size, path.slice(0, -1), root, leaf]);
    if (path.length > 1) probes.push(["inserted component", v.index, v.size, [path[0], someHash, ...path.slice(1)], root, leaf]);
    for (const [desc, index, size, p, r, l] of probes) {
      assert.equal(verifyInclusionPath(sha256, l, index, size, p, r), false, `${tag}: ${desc}`);
    }
  }
});

test("CT vectors: published consistency paths are produced and verify; corruptions fail", () => {
  for (const v of CT_CONSISTENCY) {
    const leaves = ctLeafHashes.slice(0, v.size2);
    const path = v.path.map(fromHex);
    const root1 = ctRoot(v.size1);
    const root2 = ctRoot(v.size2);
    const tag = `(${v.size1}, ${v.size2})`;
    assert.deepEqual(hexList(consistencyPath(sha256, leaves, v.size1)), v.path, `path ${tag}`);
    assert.equal(verifyConsistencyPath(sha256, v.size1, v.size2, root1, root2, path), true, `verify ${tag}`);
    if (path.length === 0) continue;

    // The probe set of transparency-dev/merkle corruptConsistencyProof.
    const wrong = new TextEncoder().encode("WrongRoot");
    const probes: [string, number, number, Uint8Array, Uint8Array, Uint8Array[]][] = [
      ["size1 - 1", v.size1 - 1, v.size2, root1, root2, path],
      ["size1 + 1", v.size1 + 1, v.size2, root1, root2, path],
      ["size1 ^ 2", v.size1 ^ 2, v.size2, root1, root2, path],
      ["size2 * 2", v.size1, v.size2 * 2, root1, root2, path],
      ["size2 / 2", v.size1, Math.floor(v.size2 / 2), root1, root2, path],
      ["wrong root1", v.size1, v.size2, wrong, root2, path],
      ["wrong root2", v.size1, v.size2, root1, wrong, path],
      ["swapped roots", v.size1, v.size2, root2, root1, path],
      ["empty proof", v.size1, v.size2, root1, root2, []],
      ["trailing garbage", v.size1, v.size2, root1, root2, [...path, new Uint8Array(0)]],
      ["trailing root1", v.size1, v.size2, root1, root2, [...path, root1]],
      ["trailing root2", v.size1, v.size2, root1, root2, [...path, root2]],
      ["preceding garbage", v.size1, v.size2, root1, root2, [new Uint8Array(0), ...path]],
      ["preceding root1", v.size1, v.size2, root1, root2, [root1, ...path]],
      ["preceding root2", v.size1, v.size2, root1, root2, [root2, ...path]],
      ["preceding proof[0]", v.size1, v.size2, root1, root2, [path[0], ...path]],
      ["truncated proof", v.size1, v.size2, root1, root2, path.slice(0, -1)],
    ];
    path.forEach((p, i) => probes.push([`proof[${i}] bit 4`, v.size1, v.size2, root1, root2, replaceAt(path, i, flipBit(p, 4))]));
    for (const [desc, s1, s2, r1, r2, p] of probes) {
      assert.equal(verifyConsistencyPath(sha256, s1, s2, r1, r2, p), false, `${tag}: ${desc}`);
    }
  }
});

test("CT vectors: proof shapes of transparency-dev/merkle proof_test.go over the published node hashes", () => {
  const N = (level: number, i: number): string => CT_NODES[level][i];
  // The [4,7) subtree is the one node of the 7-leaf tree that is not a complete subtree, so it
  // is not among the published hashes; it is derived independently and pinned to the published root.
  const l7 = toHex(refNode(fromHex(N(1, 2)), fromHex(N(0, 6))));
  assert.equal(toHex(refNode(fromHex(N(2, 0)), fromHex(l7))), CT_ROOTS[7]);

  const inclusion: [number, number, string[]][] = [
    [2, 0, [N(0, 1)]],
    [2, 1, [N(0, 0)]],
    [3, 1, [N(0, 0), N(0, 2)]],
    [7, 0, [N(0, 1), N(1, 1), l7]],
    [7, 1, [N(0, 0), N(1, 1), l7]],
    [7, 2, [N(0, 3), N(1, 0), l7]],
    [7, 3, [N(0, 2), N(1, 0), l7]],
    [7, 4, [N(0, 5), N(0, 6), N(2, 0)]],
    [7, 5, [N(0, 4), N(0, 6), N(2, 0)]],
    [7, 6, [N(1, 2), N(2, 0)]],
    [4, 2, [N(0, 3), N(1, 0)]],
    [5, 3, [N(0, 2), N(1, 0), N(0, 4)]],
    [6, 3, [N(0, 2), N(1, 0), N(1, 2)]],
    [6, 4, [N(0, 5), N(2, 0)]],
  ];
  for (const [size, index, want] of inclusion) {
    const got = inclusionPath(sha256, ctLeafHashes.slice(0, size), index);
    assert.deepEqual(hexList(got), want, `inclusion (${index}, ${size})`);
    assert.ok(verifyInclusionPath(sha256, ctLeafHashes[index], index, size, want.map(fromHex), ctRoot(size)));
  }

  const consistency: [number, number, string[]][] = [
    [1, 2, [N(0, 1)]],
    [1, 4, [N(0, 1), N(1, 1)]],
    [1, 6, [N(0, 1), N(1, 1), N(1, 2)]],
    [2, 3, [N(0, 2)]],
    [2, 8, [N(1, 1), N(2, 1)]],
    [3, 7, [N(0, 2), N(0, 3), N(1, 0), l7]],
    [4, 7, [l7]],
    [5, 7, [N(0, 4), N(0, 5), N(0, 6), N(2, 0)]],
    [6, 7, [N(1, 2), N(0, 6), N(2, 0)]],
    [7, 8, [N(0, 6), N(0, 7), N(1, 2), N(2, 0)]],
    [2, 4, [N(1, 1)]],
    [3, 5, [N(0, 2), N(0, 3), N(1, 0), N(0, 4)]],
    [3, 6, [N(0, 2), N(0, 3), N(1, 0), N(1, 2)]],
    [4, 6, [N(1, 2)]],
    [1, 7, [N(0, 1), N(1, 1), l7]],
    [5, 5, []],
    [8, 8, []],
  ];
  for (const [s1, s2, want] of consistency) {
    const got = consistencyPath(sha256, ctLeafHashes.slice(0, s2), s1);
    assert.deepEqual(hexList(got), want, `consistency (${s1}, ${s2})`);
    assert.ok(verifyConsistencyPath(sha256, s1, s2, ctRoot(s1), ctRoot(s2), want.map(fromHex)));
  }
});

// ---------------------------------------------------------------------------------------------
// 2. Every tree up to 64 leaves, every index, every pair of sizes.

const MAX = 64;
const entries64 = Array.from({ length: MAX }, (_, i) => new TextEncoder().encode(`entry #${i}`));
const leaves64 = entries64.map(refLeaf);
const roots64 = Array.from({ length: MAX + 1 }, (_, n) => refMth(leaves64.slice(0, n)));
const ZERO = new Uint8Array(32);

const ALL_BITS = Array.from({ length: 256 }, (_, b) => b);

/**
 * Every bit of every element for trees up to 8 leaves; beyond that, one bit in each 64-bit word
 * at a position that rotates with the tree, index and element, so that across the sweep every
 * bit position is still exercised while the test stays within its time budget.
 */
function bitsToFlip(n: number, index: number, element: number): number[] {
  if (n <= 8) return ALL_BITS;
  const offset = (n * 7 + index * 13 + element * 5) % 64;
  return [offset, 64 + offset, 128 + offset, 192 + offset];
}

/** Every other index for small trees; for larger ones the neighbours and bit-twiddled relatives. */
function wrongIndices(i: number, n: number): number[] {
  const all = n <= 24 ? Array.from({ length: n }, (_, j) => j) : [0, 1, i - 1, i + 1, i ^ 1, i ^ 2, i ^ 4, i ^ 8, i ^ 16, n - 1 - i, n - 2, n - 1, (i * 7 + 3) % n];
  return [...new Set(all)].filter((j) => j !== i && j >= 0 && j < n);
}

/** Sizes near n and the doubled/halved ones; all of them when the tree is small. */
function otherSizes(i: number, n: number): number[] {
  const all = n <= 16 ? Array.from({ length: 2 * n + 4 }, (_, m) => m) : [...Array.from({ length: 17 }, (_, d) => n - 8 + d), 2 * n, 2 * n + 1, n >> 1, (n >> 1) + 1];
  return [...new Set(all)].filter((m) => m !== n && m > i);
}

test("inclusion, sizes 1..64: matches the literal RFC PATH, verifies, and every tampering fails", () => {
  let aliasedSizes = 0;
  for (let n = 1; n <= MAX; n++) {
    const leaves = leaves64.slice(0, n);
    const root = roots64[n];
    for (let i = 0; i < n; i++) {
      const tag = (): string => `(index ${i}, size ${n})`;
      const path = inclusionPath(sha256, leaves, i);
      assert.deepEqual(path, refPath(i, leaves), `reference path ${tag()}`);
      assert.equal(verifyInclusionPath(sha256, leaves[i], i, n, path, root), true, `verify ${tag()}`);

      path.forEach((p, e) => {
        for (const bit of bitsToFlip(n, i, e)) {
          mustFail(verifyInclusionPath(sha256, leaves[i], i, n, replaceAt(path, e, flipBit(p, bit)), root), () => `${tag()} element ${e} bit ${bit}`);
        }
      });
      for (const j of wrongIndices(i, n)) {
        mustFail(verifyInclusionPath(sha256, leaves[i], j, n, path, root), () => `${tag()} claimed index ${j}`);
      }
      for (const j of new Set([0, i - 1, i + 1, i ^ 1, n - 1])) {
        if (j !== i && j >= 0 && j < n) mustFail(verifyInclusionPath(sha256, leaves[j], i, n, path, root), () => `${tag()} leaf of ${j}`);
      }
      for (const j of [n, n + 1, -1, 0.5, NaN, Infinity]) {
        mustFail(verifyInclusionPath(sha256, leaves[i], j, n, path, root), () => `${tag()} index ${j}`);
      }
      // The RFC verifier only learns (index, size) through the left/right pattern they imply, so
      // a size with an identical pattern recomputes the same root. No real tree of that size can
      // have that root (it would need a leaf/node hash collision), but the verifier cannot tell:
      // such a proof is accepted if and only if the pattern matches exactly.
      const shape = refShape(i, n);
      for (const m of otherSizes(i, n)) {
        const aliased = sameShape(shape, refShape(i, m));
        if (aliased) aliasedSizes++;
        assert.equal(verifyInclusionPath(sha256, leaves[i], i, m, path, root), aliased, `${tag()} claimed size ${m}`);
      }
      for (const m of [0, -1, i, n - 0.5, NaN, 2 ** 53]) {
        mustFail(verifyInclusionPath(sha256, leaves[i], i, m, path, root), () => `${tag()} size ${m}`);
      }
      const truncations = [path.slice(0, -1), path.slice(1)].filter((p) => p.length < path.length);
      for (const p of truncations) mustFail(verifyInclusionPath(sha256, leaves[i], i, n, p, root), () => `${tag()} truncated`);
      for (const p of [[...path, ZERO], [...path, root], [root, ...path], [ZERO, ...path]]) {
        mustFail(verifyInclusionPath(sha256, leaves[i], i, n, p, root), () => `${tag()} extended`);
      }
      for (const r of [roots64[n - 1], n < MAX ? roots64[n + 1] : ZERO, ZERO, flipBit(root, 255)]) {
        mustFail(verifyInclusionPath(sha256, leaves[i], i, n, path, r), () => `${tag()} wrong root`);
      }
    }
  }
  // Guards the aliasing comment above against silently becoming vacuous.
  assert.ok(aliasedSizes > 0);
});

test("consistency, 1 <= m <= n <= 64: matches the literal RFC PROOF, verifies, and tampering fails", () => {
  for (let n = 1; n <= MAX; n++) {
    const leaves = leaves64.slice(0, n);
    const root2 = roots64[n];
    for (let m = 1; m <= n; m++) {
      const tag = (): string => `(${m}, ${n})`;
      const root1 = roots64[m];
      const path = consistencyPath(sha256, leaves, m);
      assert.deepEqual(path, refSubproof(m, leaves, true), `reference proof ${tag()}`);
      assert.equal(verifyConsistencyPath(sha256, m, n, root1, root2, path), true, `verify ${tag()}`);

      if (m === n) {
        assert.equal(path.length, 0);
        mustFail(verifyConsistencyPath(sha256, m, n, root1, roots64[n - 1], path), () => `${tag()} other root`);
        mustFail(verifyConsistencyPath(sha256, m, n, root1, root2, [root1]), () => `${tag()} non-empty`);
        continue;
      }
      path.forEach((p, e) => {
        // Two bits per element, rotating so that the sweep still touches every bit position.
        const r = (e * 37 + m * 11 + n) % 128;
        for (const bit of [r, r + 128]) {
          mustFail(verifyConsistencyPath(sha256, m, n, root1, root2, replaceAt(path, e, flipBit(p, bit))), () => `${tag()} element ${e} bit ${bit}`);
        }
        mustFail(verifyConsistencyPath(sha256, m, n, root1, root2, replaceAt(path, e, ZERO)), () => `${tag()} element ${e} zeroed`);
      });
      for (const r of [roots64[m - 1], roots64[m + 1], ZERO, flipBit(root1, 0), root2]) {
        mustFail(verifyConsistencyPath(sha256, m, n, r, root2, path), () => `${tag()} wrong root1`);
      }
      for (const r of [roots64[n - 1], ZERO, flipBit(root2, 0), root1]) {
        mustFail(verifyConsistencyPath(sha256, m, n, root1, r, path), () => `${tag()} wrong root2`);
      }
      mustFail(verifyConsistencyPath(sha256, n, m, root2, root1, path), () => `${tag()} swapped sizes and roots`);
      mustFail(verifyConsistencyPath(sha256, n, m, root1, root2, path), () => `${tag()} swapped sizes`);
      mustFail(verifyConsistencyPath(sha256, m, n, root2, root1, path), () => `${tag()} swapped roots`);
      mustFail(verifyConsistencyPath(sha256, m, n, root1, root2, []), () => `${tag()} empty`);
      mustFail(verifyConsistencyPath(sha256, m, n, root1, root2, path.slice(0, -1)), () => `${tag()} truncated`);
      mustFail(verifyConsistencyPath(sha256, m, n, root1, root2, path.slice(1)), () => `${tag()} head dropped`);
      for (const p of [[...path, ZERO], [...path, root2], [root1, ...path], [path[0], ...path]]) {
        mustFail(verifyConsistencyPath(sha256, m, n, root1, root2, p), () => `${tag()} extended`);
      }
      if (path.length > 1) {
        const swapped = [path[1], path[0], ...path.slice(2)];
        mustFail(verifyConsistencyPath(sha256, m, n, root1, root2, swapped), () => `${tag()} reordered`);
      }
    }
  }
});

test("consistency with the empty tree: empty proof, and root1 must be H(\"\")", () => {
  const empty = fromHex(EMPTY_ROOT);
  for (let n = 0; n <= 9; n++) {
    assert.deepEqual(consistencyPath(sha256, leaves64.slice(0, n), 0), []);
    assert.equal(verifyConsistencyPath(sha256, 0, n, empty, roots64[n], []), true, `(0, ${n})`);
    assert.equal(verifyConsistencyPath(sha256, 0, n, empty, roots64[n], [empty]), false);
    assert.equal(verifyConsistencyPath(sha256, 0, n, ZERO, roots64[n], []), false);
  }
  assert.equal(verifyConsistencyPath(sha256, 0, 0, empty, ZERO, []), false);
  assert.equal(verifyConsistencyPath(sha256, 1, 0, roots64[1], empty, []), false);
});

test("sizes beyond 2^32 use exact arithmetic, not 32-bit bit operations", () => {
  const big = 2 ** 40;
  const left = sha256(Uint8Array.of(1)); // stands in for MTH(D[0:2^40])
  const last = refLeaf(Uint8Array.of(2));
  const root = refNode(left, last);
  assert.equal(verifyInclusionPath(sha256, last, big, big + 1, [left], root), true);
  assert.equal(verifyInclusionPath(sha256, last, big - 1, big + 1, [left], root), false);
  assert.equal(verifyInclusionPath(sha256, last, big, big + 2, [left], root), false);
  assert.equal(verifyConsistencyPath(sha256, big, big + 1, left, root, [last]), true);
  // The verifier cannot tell 2^40 + 1 from 2^40 + 2 here (same proof shape), but it can tell 2^41 + 1.
  assert.equal(verifyConsistencyPath(sha256, big, 2 * big + 1, left, root, [last]), false);
  assert.equal(verifyConsistencyPath(sha256, big + 1, big + 1, root, root, []), true);
});

test("producers throw TypeError on out-of-range arguments", () => {
  const leaves = leaves64.slice(0, 5);
  for (const i of [-1, 5, 6, 0.5, NaN, Infinity, 2 ** 53]) {
    assert.throws(() => inclusionPath(sha256, leaves, i), TypeError, `index ${i}`);
  }
  assert.throws(() => inclusionPath(sha256, [], 0), TypeError);
  for (const s of [-1, 6, 2.5, NaN, -Infinity]) {
    assert.throws(() => consistencyPath(sha256, leaves, s), TypeError, `size1 ${s}`);
  }
  assert.deepEqual(consistencyPath(sha256, [], 0), []);
  assert.throws(() => inclusionProofHex(sha256, ["00"], 1), TypeError);
  assert.throws(() => consistencyProofHex(sha256, ["00"], 2), TypeError);
  assert.throws(() => merkleRootHex(sha256, ["zz"]), TypeError);
});

test("returned hashes never alias the caller's leaf list", () => {
  const leaves = [new Uint8Array(leaves64[0]), new Uint8Array(leaves64[1])];
  inclusionPath(sha256, leaves, 1)[0][0] ^= 0xff;
  rootFromLeafHashes(sha256, leaves.slice(0, 1))[0] ^= 0xff;
  assert.deepEqual(leaves, leaves64.slice(0, 2));
});

test("hash-agnostic: another 32-byte hash works, and proofs do not cross hash functions", () => {
  const leaves = entries64.slice(0, 13).map((e) => leafHash(sha3, e));
  const root = rootFromLeafHashes(sha3, leaves);
  assert.notDeepEqual(root, roots64[13]);
  for (let i = 0; i < 13; i++) {
    const path = inclusionPath(sha3, leaves, i);
    assert.equal(verifyInclusionPath(sha3, leaves[i], i, 13, path, root), true);
    assert.equal(verifyInclusionPath(sha256, leaves[i], i, 13, path, root), false);
  }
  for (let m = 1; m <= 13; m++) {
    const p = consistencyPath(sha3, leaves, m);
    assert.equal(verifyConsistencyPath(sha3, m, 13, rootFromLeafHashes(sha3, leaves.slice(0, m)), root, p), true);
  }
});

// ---------------------------------------------------------------------------------------------
// 3. The level-by-level root against the literal recursive definition.

test("iterative root equals the literal recursive RFC definition for sizes 0..200", () => {
  const entries = Array.from({ length: 200 }, (_, i) => Uint8Array.of(i, i >> 3, 0xa5));
  const leaves = entries.map(refLeaf);
  for (let n = 0; n <= 200; n++) {
    const want = toHex(refMth(leaves.slice(0, n)));
    assert.equal(toHex(rootFromLeafHashes(sha256, leaves.slice(0, n))), want, `size ${n}`);
    assert.equal(toHex(merkleRootOf(sha256, entries.slice(0, n))), want, `merkleRootOf size ${n}`);
  }
});

test("20,000 leaves: root, proofs and verification agree with the reference", () => {
  const n = 20_000;
  const leaves = Array.from({ length: n }, (_, i) => refLeaf(new TextEncoder().encode(String(i))));
  const root = rootFromLeafHashes(sha256, leaves);
  assert.deepEqual(root, refMth(leaves));
  for (const i of [0, 1, 12_345, 16_383, 16_384, n - 1]) {
    const path = inclusionPath(sha256, leaves, i);
    assert.ok(verifyInclusionPath(sha256, leaves[i], i, n, path, root), `index ${i}`);
  }
  for (const m of [1, 7, 16_384, 16_385, 19_999]) {
    const p = consistencyPath(sha256, leaves, m);
    assert.ok(verifyConsistencyPath(sha256, m, n, rootFromLeafHashes(sha256, leaves.slice(0, m)), root, p), `size1 ${m}`);
  }
});

// ---------------------------------------------------------------------------------------------
// 4. Verifiers never throw.

const hashLike = fc.oneof(
  fc.uint8Array({ minLength: 32, maxLength: 32 }),
  fc.uint8Array({ maxLength: 40 }),
  fc.constantFrom(...leaves64.slice(0, 8), ...roots64.slice(0, 9)),
  fc.anything(),
);
const sizeLike = fc.oneof(
  fc.integer({ min: -2, max: 70 }),
  fc.constantFrom(0, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, -0, NaN, Infinity, -Infinity, 1.5),
  fc.double(),
  fc.anything(),
);
const pathLike = fc.oneof(fc.array(hashLike, { maxLength: 12 }), fc.anything());

test("verifiers return a boolean and never throw, whatever they are given", () => {
  fc.assert(
    fc.property(hashLike, sizeLike, sizeLike, pathLike, hashLike, (leaf, index, size, path, root) => {
      const r = verifyInclusionPath(sha256, leaf as Uint8Array, index as number, size as number, path as Uint8Array[], root as Uint8Array);
      assert.equal(typeof r, "boolean");
    }),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(sizeLike, sizeLike, hashLike, hashLike, pathLike, (s1, s2, r1, r2, path) => {
      const r = verifyConsistencyPath(sha256, s1 as number, s2 as number, r1 as Uint8Array, r2 as Uint8Array, path as Uint8Array[]);
      assert.equal(typeof r, "boolean");
    }),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(fc.anything(), (p) => {
      assert.equal(verifyInclusionHex(sha256, p as HexInclusionProof), false);
      assert.equal(verifyConsistencyHex(sha256, p as HexConsistencyProof), false);
    }),
  );
});

test("random garbage never verifies against real roots", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: MAX }),
      fc.nat(),
      fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 8 }),
      (n, k, path) => {
        const i = k % n;
        assert.equal(verifyInclusionPath(sha256, leaves64[i], i, n, path, roots64[n]), n === 1 && path.length === 0);
        const m = 1 + (k % n);
        assert.equal(verifyConsistencyPath(sha256, m, n, roots64[m], roots64[n], path), m === n && path.length === 0);
      },
    ),
    { numRuns: 2000 },
  );
});

test("hostile inputs: throwing hash, throwing proxy path, sparse arrays, Buffers", () => {
  const boom: HashFn = () => {
    throw new Error("boom");
  };
  const path = inclusionPath(sha256, leaves64.slice(0, 5), 2);
  assert.equal(verifyInclusionPath(boom, leaves64[2], 2, 5, path, roots64[5]), false);
  const cpath = consistencyPath(sha256, leaves64.slice(0, 5), 3);
  assert.equal(verifyConsistencyPath(boom, 3, 5, roots64[3], roots64[5], cpath), false);
  assert.equal(verifyConsistencyPath(boom, 0, 5, roots64[0], roots64[5], []), false);

  const trap = new Proxy(path, {
    get() {
      throw new Error("trap");
    },
  });
  assert.equal(verifyInclusionPath(sha256, leaves64[2], 2, 5, trap, roots64[5]), false);
  assert.equal(verifyConsistencyPath(sha256, 3, 5, roots64[3], roots64[5], trap), false);
  const sparse: Uint8Array[] = new Array<Uint8Array>(path.length);
  assert.equal(verifyInclusionPath(sha256, leaves64[2], 2, 5, sparse, roots64[5]), false);

  // Node Buffers are Uint8Arrays, so they are accepted like any other.
  const asBuf = path.map((p) => Buffer.from(p));
  assert.equal(verifyInclusionPath(sha256, Buffer.from(leaves64[2]), 2, 5, asBuf, Buffer.from(roots64[5])), true);
});

// ---------------------------------------------------------------------------------------------
// 5. Hex layer.

test("hex layer: CT vectors, round trips for every index and size", () => {
  for (let s = 0; s <= 8; s++) assert.equal(merkleRootHex(sha256, CT_LEAVES.slice(0, s)), CT_ROOTS[s]);
  for (const v of CT_INCLUSION) {
    const p = inclusionProofHex(sha256, CT_LEAVES.slice(0, v.size), v.index);
    assert.deepEqual(p, { leafHash: CT_NODES[0][v.index], index: v.index, treeSize: v.size, proof: v.path, root: CT_ROOTS[v.size] });
    assert.equal(verifyInclusionHex(sha256, p), true);
  }
  for (const v of CT_CONSISTENCY) {
    const p = consistencyProofHex(sha256, CT_LEAVES.slice(0, v.size2), v.size1);
    assert.deepEqual(p, { size1: v.size1, size2: v.size2, root1: CT_ROOTS[v.size1], root2: CT_ROOTS[v.size2], proof: v.path });
    assert.equal(verifyConsistencyHex(sha256, p), true);
  }
  const hexLeaves = entries64.slice(0, 20).map(toHex);
  for (let n = 1; n <= 20; n++) {
    for (let i = 0; i < n; i++) {
      const p = inclusionProofHex(sha256, hexLeaves.slice(0, n), i);
      assert.equal(verifyInclusionHex(sha256, JSON.parse(JSON.stringify(p)) as HexInclusionProof), true);
    }
    for (let m = 0; m <= n; m++) {
      const p = consistencyProofHex(sha256, hexLeaves.slice(0, n), m);
      assert.equal(verifyConsistencyHex(sha256, JSON.parse(JSON.stringify(p)) as HexConsistencyProof), true);
    }
  }
  const zero = consistencyProofHex(sha256, hexLeaves, 0);
  assert.equal(zero.root1, EMPTY_ROOT);
  assert.deepEqual(zero.proof, []);
});

test("hex layer: malformed hex is rejected with false, never an exception", () => {
  const inc = inclusionProofHex(sha256, CT_LEAVES, 5);
  const con = consistencyProofHex(sha256, CT_LEAVES, 6);
  const badHashes: unknown[] = [
    inc.root.toUpperCase(),
    `0x${inc.root}`,
    inc.root.slice(1),
    inc.root.slice(2),
    `${inc.root}00`,
    `${inc.root.slice(0, 63)}g`,
    ` ${inc.root.slice(1)}`,
    "",
    null,
    undefined,
    42,
    fromHex(inc.root),
  ];
  for (const bad of badHashes) {
    const tag = `${typeof bad}: ${String(bad)}`;
    assert.equal(verifyInclusionHex(sha256, { ...inc, root: bad } as HexInclusionProof), false, `root ${tag}`);
    assert.equal(verifyInclusionHex(sha256, { ...inc, leafHash: bad } as HexInclusionProof), false, `leaf ${tag}`);
    assert.equal(verifyInclusionHex(sha256, { ...inc, proof: [bad, ...inc.proof.slice(1)] } as HexInclusionProof), false, `proof ${tag}`);
    assert.equal(verifyConsistencyHex(sha256, { ...con, root1: bad } as HexConsistencyProof), false, `root1 ${tag}`);
    assert.equal(verifyConsistencyHex(sha256, { ...con, root2: bad } as HexConsistencyProof), false, `root2 ${tag}`);
    assert.equal(verifyConsistencyHex(sha256, { ...con, proof: [bad, ...con.proof.slice(1)] } as HexConsistencyProof), false, `cproof ${tag}`);
  }
  for (const proof of [null, "abc", inc.proof.join(""), { length: 3 }]) {
    assert.equal(verifyInclusionHex(sha256, { ...inc, proof } as unknown as HexInclusionProof), false);
    assert.equal(verifyConsistencyHex(sha256, { ...con, proof } as unknown as HexConsistencyProof), false);
  }
  for (const index of ["5", null, 5.5, -1, 8]) {
    assert.equal(verifyInclusionHex(sha256, { ...inc, index } as unknown as HexInclusionProof), false);
  }
  for (const size1 of ["6", null, 9, -6]) {
    assert.equal(verifyConsistencyHex(sha256, { ...con, size1 } as unknown as HexConsistencyProof), false);
  }
  for (const p of [null, undefined, 0, "proof", [], {}]) {
    assert.equal(verifyInclusionHex(sha256, p as unknown as HexInclusionProof), false);
    assert.equal(verifyConsistencyHex(sha256, p as unknown as HexConsistencyProof), false);
  }
  // The untouched proofs still verify, so the failures above are due to the damage alone.
  assert.equal(verifyInclusionHex(sha256, inc), true);
  assert.equal(verifyConsistencyHex(sha256, con), true);
});
