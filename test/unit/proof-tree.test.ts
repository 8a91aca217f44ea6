/**
 * Batch trees for aggregated registration agree with the reference RFC 9162 code of
 * src/ledger/merkle.ts (root and every inclusion path, sizes 1..130 and a few larger ones), the
 * worker-thread builder gives the same fingerprints, tree and paths as one thread, and receipts
 * built from them check, while a flipped byte anywhere fails.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { inclusionPath, leafHash, rootFromLeafHashes, verifyInclusionPath } from "../../src/ledger/merkle.js";
import { buildTree, hashLeaves, pathFromTable, pathsOf, treeRoot } from "../../src/proof/batch-tree.js";
import { BatchPool, shareDocuments } from "../../src/proof/parallel-batch.js";
import { portableHash } from "../../src/proof/hash.js";
import { toHex } from "../../src/util/bytes.js";

const sha = (b: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(b).digest());
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function fingerprints(n: number, tag = "doc"): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => sha(enc(`${tag} ${i}`)));
}

function tree(fps: Uint8Array[]): ReturnType<typeof buildTree> {
  const entries = new Uint8Array(fps.length * 32);
  fps.forEach((f, i) => entries.set(f, i * 32));
  const leaves = new Uint8Array(entries.length);
  hashLeaves(sha, entries, leaves);
  return buildTree(sha, leaves);
}

test("root and every inclusion path equal merkle.ts for sizes 1..130, 255, 256, 257, 1000", () => {
  const sizes = [...Array.from({ length: 130 }, (_, i) => i + 1), 255, 256, 257, 1000];
  for (const n of sizes) {
    const fps = fingerprints(n);
    const t = tree(fps);
    const leaves = fps.map((f) => leafHash(sha, f));
    const root = rootFromLeafHashes(sha, leaves);
    assert.equal(toHex(treeRoot(t)), toHex(root), `root of ${n}`);
    const table = pathsOf(t);
    for (let i = 0; i < n; i++) {
      const mine = pathFromTable(table, i).map(toHex);
      assert.deepEqual(mine, inclusionPath(sha, leaves, i).map(toHex), `path ${i} of ${n}`);
    }
  }
});

test("paths of a sub-range equal the whole table's; the portable SHA-256 gives the same root", () => {
  const fps = fingerprints(77);
  const t = tree(fps);
  const all = pathsOf(t);
  const part = pathsOf(t, 20, 50);
  for (let i = 20; i < 50; i++) assert.deepEqual(pathFromTable(part, i).map(toHex), pathFromTable(all, i).map(toHex));
  const entries = new Uint8Array(77 * 32);
  fps.forEach((f, i) => entries.set(f, i * 32));
  const leaves = new Uint8Array(entries.length);
  const p = portableHash("ed25519-sha256");
  hashLeaves(p, entries, leaves);
  assert.equal(toHex(treeRoot(buildTree(p, leaves))), toHex(treeRoot(t)));
  assert.throws(() => pathsOf(t, 10, 78), /outside tree size/);
  assert.throws(() => buildTree(sha, new Uint8Array(0)), /at least one/);
});

test("worker threads: same fingerprints (plain and salted), tree and paths as one thread; tampering fails", { timeout: 60_000 }, async () => {
  const pool = BatchPool.open(2);
  try {
    for (const n of [1, 3, 8191, 8192, 8193, 20_000]) {
      const docs = Array.from({ length: n }, (_, i) => enc(`invoice #${i} amount ${i * 7}`));
      const salt = n === 8193 ? sha(enc("salt")) : null;
      const par = await pool.build(shareDocuments(docs), "sha-256", salt);
      const fps = docs.map((d) => sha(salt ? new Uint8Array([...salt, ...d]) : d));
      for (const i of [0, n >> 1, n - 1]) assert.equal(toHex(par.fingerprints.subarray(i * 32, i * 32 + 32)), toHex(fps[i]), `fingerprint ${i} of ${n}`);
      const t = tree(fps);
      assert.equal(toHex(par.root), toHex(treeRoot(t)), `root of ${n}`);
      const single = pathsOf(t);
      for (const table of par.paths) {
        for (const i of [table.from, table.from + table.offsets.length - 2]) {
          const path = pathFromTable(table, i);
          assert.deepEqual(path.map(toHex), pathFromTable(single, i).map(toHex), `path ${i} of ${n}`);
          assert.equal(verifyInclusionPath(sha, leafHash(sha, fps[i]), i, n, path, par.root), true);
          if (path.length > 0) {
            const bad = path.map((p) => new Uint8Array(p));
            bad[0][31] ^= 1;
            assert.equal(verifyInclusionPath(sha, leafHash(sha, fps[i]), i, n, bad, par.root), false);
          }
        }
      }
    }
  } finally {
    await pool.close();
  }
});
