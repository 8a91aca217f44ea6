import { test } from "node:test";
import assert from "node:assert/strict";
import { hash as nodeHash } from "node:crypto";
import fc from "fast-check";
import { compareBytes, concatBytes, equalBytes, fromHex, toHex, utf8 } from "../../src/util/bytes.js";
import { CivitasError, ErrorCode } from "../../src/util/errors.js";
import type { HashFn, SmtNodeStore, SmtProof } from "../../src/ledger/smt.js";
import { EMPTY_ROOT, MemoryNodeStore, SparseMerkleTree, verifySmtProof } from "../../src/ledger/smt.js";

// One-shot crypto.hash measured ~2x faster than createHash().update().digest() on Node 20.
const sha256: HashFn = (d) => new Uint8Array(nodeHash("sha256", d, "buffer"));
// Zeroing the top 24 bits makes every key hash share a 24-bit prefix, so every tree is a long
// chain of (Empty, Internal) nodes: the shape the canonical-collapse rules are most fragile on.
const deepHash: HashFn = (d) => {
  const h = sha256(d);
  h[0] = 0;
  h[1] = 0;
  h[2] = 0;
  return h;
};

type Batch = Array<{ key: Uint8Array; value: Uint8Array | undefined }>;
type Model = Map<string, Uint8Array>; // hex(key) -> value

const ZERO32 = new Uint8Array(32);
const bit = (kh: Uint8Array, i: number): number => (kh[i >> 3] >> (7 - (i & 7))) & 1;
const leafH = (h: HashFn, kh: Uint8Array, value: Uint8Array): Uint8Array => h(concatBytes(Uint8Array.of(0x10), kh, h(value)));
const nodeH = (h: HashFn, l: Uint8Array, r: Uint8Array): Uint8Array => h(concatBytes(Uint8Array.of(0x11), l, r));

/** Independent reference: the root straight from the definition, no store, no incremental logic. */
function refRoot(h: HashFn, model: Model): Uint8Array {
  const leaves = [...model].map(([k, v]) => ({ kh: h(fromHex(k)), v })).sort((a, b) => compareBytes(a.kh, b.kh));
  const go = (items: typeof leaves, depth: number): Uint8Array => {
    if (items.length === 0) return ZERO32;
    if (items.length === 1) return leafH(h, items[0].kh, items[0].v);
    const left = items.filter((x) => bit(x.kh, depth) === 0);
    const right = items.filter((x) => bit(x.kh, depth) === 1);
    return nodeH(h, go(left, depth + 1), go(right, depth + 1));
  };
  return go(leaves, 0);
}

/**
 * Walks every stored node under `root` and checks what the tree promises: each node's bytes hash
 * to its address, leaves sit on their own path, and no internal node could have collapsed.
 */
function checkStructure(h: HashFn, store: SmtNodeStore, root: Uint8Array): number {
  let leaves = 0;
  const walk = (node: Uint8Array, depth: number, prefix: Uint8Array): "empty" | "leaf" | "internal" => {
    if (equalBytes(node, ZERO32)) return "empty";
    const enc = store.get(node);
    assert.ok(enc, `node ${toHex(node)} missing`);
    if (enc[0] === 0x10) {
      const kh = enc.subarray(1, 33);
      const keyLen = new DataView(enc.buffer, enc.byteOffset).getUint32(33);
      const key = enc.subarray(37, 37 + keyLen);
      const value = enc.subarray(37 + keyLen);
      assert.ok(value.length > 0);
      assert.deepEqual(h(key), new Uint8Array(kh));
      assert.deepEqual(leafH(h, kh, value), node);
      for (let i = 0; i < depth; i++) assert.equal(bit(kh, i), bit(prefix, i), "leaf off its path");
      leaves++;
      return "leaf";
    }
    assert.equal(enc[0], 0x11);
    assert.equal(enc.length, 65);
    assert.deepEqual(nodeH(h, enc.subarray(1, 33), enc.subarray(33)), node);
    const lp = prefix.slice();
    const rp = prefix.slice();
    rp[depth >> 3] |= 0x80 >> (depth & 7);
    const lk = walk(enc.slice(1, 33), depth + 1, lp);
    const rk = walk(enc.slice(33), depth + 1, rp);
    assert.ok(!(lk === "empty" && rk === "empty"), "internal (Empty, Empty)");
    assert.ok(!(lk === "empty" && rk === "leaf"), "internal (Empty, Leaf)");
    assert.ok(!(lk === "leaf" && rk === "empty"), "internal (Leaf, Empty)");
    return "internal";
  };
  walk(root, 0, new Uint8Array(32));
  return leaves;
}

function applyModel(model: Model, batch: Batch): Model {
  const next = new Map(model);
  for (const { key, value } of batch) {
    if (value === undefined) next.delete(toHex(key));
    else next.set(toHex(key), value);
  }
  return next;
}

/** Checks get and proofs for every key in `keys` against `model` at `root`. */
function checkAgainstModel(h: HashFn, tree: SparseMerkleTree, root: Uint8Array, model: Model, keys: Uint8Array[]): void {
  for (const key of keys) {
    const want = model.get(toHex(key));
    const got = tree.get(root, key);
    assert.deepEqual(got, want, `get ${toHex(key)}`);
    const proof = tree.prove(root, key);
    assert.equal(proof.key, toHex(key));
    assert.equal(proof.value, want === undefined ? null : toHex(want));
    assert.ok(verifySmtProof(h, root, proof), `proof for ${toHex(key)}`);
    // The opposite claim must never verify.
    const flipped: SmtProof = { ...proof, value: want === undefined ? "01" : null };
    assert.equal(verifySmtProof(h, root, flipped), false);
  }
}

function buildFromScratch(h: HashFn, model: Model): Uint8Array {
  const tree = new SparseMerkleTree(h, new MemoryNodeStore());
  return tree.update(EMPTY_ROOT, [...model].map(([k, v]) => ({ key: fromHex(k), value: v })));
}

/** Deterministic xorshift32 for reproducible fixtures and shuffles. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

function shuffled<T>(xs: T[], seed: number): T[] {
  const r = rng(seed);
  const out = xs.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function sharedBits(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  while (n < 256 && bit(a, n) === bit(b, n)) n++;
  return n;
}

/** Two keys whose SHA-256 hashes share at least `bits` leading bits (found by birthday search). */
function keysSharingPrefix(bits: number): { a: Uint8Array; b: Uint8Array; shared: number } {
  const items = Array.from({ length: 1 << 14 }, (_, i) => {
    const key = utf8(`prefix/${i}`);
    return { key, kh: sha256(key) };
  }).sort((x, y) => compareBytes(x.kh, y.kh));
  let best = { a: items[0].key, b: items[1].key, shared: -1 };
  for (let i = 1; i < items.length; i++) {
    const s = sharedBits(items[i - 1].kh, items[i].kh);
    if (s > best.shared) best = { a: items[i - 1].key, b: items[i].key, shared: s };
  }
  assert.ok(best.shared >= bits, `birthday search found only ${best.shared} shared bits`);
  return best;
}

const k = (s: string): Uint8Array => utf8(s);

test("smt: empty tree", () => {
  const tree = new SparseMerkleTree(sha256, new MemoryNodeStore());
  assert.deepEqual(EMPTY_ROOT, new Uint8Array(32));
  assert.equal(tree.get(EMPTY_ROOT, k("a")), undefined);
  const proof = tree.prove(EMPTY_ROOT, k("a"));
  assert.deepEqual(proof, { key: toHex(k("a")), value: null, siblings: [], terminal: { kind: "empty" } });
  assert.ok(verifySmtProof(sha256, EMPTY_ROOT, proof));
  assert.deepEqual(tree.update(EMPTY_ROOT, []), EMPTY_ROOT);
  // Deleting absent keys from an empty tree leaves it empty.
  assert.deepEqual(tree.update(EMPTY_ROOT, [{ key: k("a"), value: undefined }]), EMPTY_ROOT);
});

test("smt: single key is its own leaf at the root", () => {
  const store = new MemoryNodeStore();
  const tree = new SparseMerkleTree(sha256, store);
  const root = tree.update(EMPTY_ROOT, [{ key: k("token/bal/alice"), value: k("100") }]);
  assert.deepEqual(root, leafH(sha256, sha256(k("token/bal/alice")), k("100")));
  assert.deepEqual(tree.get(root, k("token/bal/alice")), k("100"));
  assert.equal(tree.get(root, k("token/bal/bob")), undefined);
  const p = tree.prove(root, k("token/bal/alice"));
  assert.equal(p.siblings.length, 0);
  assert.ok(verifySmtProof(sha256, root, p));
  const np = tree.prove(root, k("token/bal/bob"));
  assert.equal(np.terminal.kind, "leaf");
  assert.equal(np.value, null);
  assert.ok(verifySmtProof(sha256, root, np));
  assert.deepEqual(tree.update(root, [{ key: k("token/bal/alice"), value: undefined }]), EMPTY_ROOT);
  assert.equal(store.size, 1);
});

test("smt: two keys sharing a long prefix, and collapse on delete", () => {
  const { a, b, shared } = keysSharingPrefix(18);
  const store = new MemoryNodeStore();
  const tree = new SparseMerkleTree(sha256, store);
  const va = k("va");
  const vb = k("vb");
  const rootA = tree.update(EMPTY_ROOT, [{ key: a, value: va }]);
  const root = tree.update(rootA, [{ key: b, value: vb }]);

  // Expected shape: (Leaf, Leaf) at depth `shared`, then `shared` internals with Empty siblings.
  const kha = sha256(a);
  const khb = sha256(b);
  const [l, r] = bit(kha, shared) === 0 ? [leafH(sha256, kha, va), leafH(sha256, khb, vb)] : [leafH(sha256, khb, vb), leafH(sha256, kha, va)];
  let want = nodeH(sha256, l, r);
  for (let d = shared - 1; d >= 0; d--) want = bit(kha, d) === 0 ? nodeH(sha256, want, ZERO32) : nodeH(sha256, ZERO32, want);
  assert.deepEqual(root, want);
  assert.equal(checkStructure(sha256, store, root), 2);

  const p = tree.prove(root, a);
  assert.equal(p.siblings.length, shared + 1);
  assert.ok(p.siblings.slice(0, shared).every((s) => s === "00".repeat(32)));
  assert.equal(p.siblings[shared], toHex(leafH(sha256, khb, vb)));
  assert.ok(verifySmtProof(sha256, root, p));

  // A key off the shared path ends at Empty right below the root chain.
  let off = 0;
  while (sharedBits(sha256(k(`off/${off}`)), kha) === 0) off++;
  const offKey = k(`off/${off}`);
  const np = tree.prove(root, offKey);
  assert.equal(np.terminal.kind, "empty");
  assert.ok(np.siblings.length > 0);
  assert.ok(verifySmtProof(sha256, root, np));

  // Deleting either key collapses the other all the way back up to the root.
  assert.deepEqual(tree.update(root, [{ key: b, value: undefined }]), rootA);
  assert.deepEqual(tree.update(root, [{ key: a, value: undefined }]), leafH(sha256, khb, vb));
  assert.deepEqual(tree.update(root, [{ key: a, value: undefined }, { key: b, value: undefined }]), EMPTY_ROOT);
});

test("smt: insert then delete returns the exact previous root", () => {
  const store = new MemoryNodeStore();
  const tree = new SparseMerkleTree(sha256, store);
  const base = tree.update(
    EMPTY_ROOT,
    Array.from({ length: 200 }, (_, i) => ({ key: k(`acct/${i}`), value: k(`v${i}`) })),
  );
  for (let i = 0; i < 40; i++) {
    const key = k(`new/${i}`);
    const with1 = tree.update(base, [{ key, value: k("x") }]);
    assert.notDeepEqual(with1, base);
    assert.deepEqual(tree.update(with1, [{ key, value: undefined }]), base);
  }
  // Same for an existing key: delete then re-insert.
  const gone = tree.update(base, [{ key: k("acct/7"), value: undefined }]);
  assert.deepEqual(tree.update(gone, [{ key: k("acct/7"), value: k("v7") }]), base);
  // A no-op batch (rewrite same value, delete absent key) keeps the root.
  assert.deepEqual(tree.update(base, [{ key: k("acct/3"), value: k("v3") }, { key: k("absent"), value: undefined }]), base);
  assert.equal(checkStructure(sha256, store, base), 200);
});

test("smt: batch misuse and unknown roots", () => {
  const tree = new SparseMerkleTree(sha256, new MemoryNodeStore());
  const isCode = (code: string) => (e: unknown) => e instanceof CivitasError && e.code === code;
  assert.throws(() => tree.update(EMPTY_ROOT, [{ key: k("a"), value: k("1") }, { key: k("a"), value: undefined }]), isCode(ErrorCode.INTERNAL));
  assert.throws(() => tree.update(EMPTY_ROOT, [{ key: k("a"), value: new Uint8Array(0) }]), isCode(ErrorCode.INTERNAL));
  assert.throws(() => tree.update(new Uint8Array(31), []), isCode(ErrorCode.INTERNAL));
  const unknown = sha256(k("nowhere"));
  assert.throws(() => tree.get(unknown, k("a")), isCode(ErrorCode.STATE_NOT_AVAILABLE));
  assert.throws(() => tree.prove(unknown, k("a")), isCode(ErrorCode.STATE_NOT_AVAILABLE));
  assert.throws(() => tree.update(unknown, []), isCode(ErrorCode.STATE_NOT_AVAILABLE));
  assert.throws(() => tree.update(unknown, [{ key: k("a"), value: k("1") }]), isCode(ErrorCode.STATE_NOT_AVAILABLE));
});

test("smt: a missing or corrupt inner node is an invariant failure", () => {
  const store = new MemoryNodeStore();
  const tree = new SparseMerkleTree(sha256, store);
  const root = tree.update(EMPTY_ROOT, Array.from({ length: 16 }, (_, i) => ({ key: k(`c/${i}`), value: k("v") })));
  const enc = store.get(root);
  assert.ok(enc);
  // A store that lost the root's left child.
  const lossy: SmtNodeStore = {
    get: (h) => (equalBytes(h, enc.subarray(1, 33)) ? undefined : store.get(h)),
    put: (h, e) => store.put(h, e),
  };
  const t2 = new SparseMerkleTree(sha256, lossy);
  const leftKey = Array.from({ length: 16 }, (_, i) => k(`c/${i}`)).find((key) => bit(sha256(key), 0) === 0);
  assert.ok(leftKey);
  const isInternal = (e: unknown) => e instanceof CivitasError && e.code === ErrorCode.INTERNAL;
  assert.throws(() => t2.get(root, leftKey), isInternal);
  assert.throws(() => t2.update(root, [{ key: leftKey, value: k("w") }]), isInternal);
  // A store that returns (Empty, Empty) for the root.
  const bogus: SmtNodeStore = {
    get: (h) => (equalBytes(h, root) ? concatBytes(Uint8Array.of(0x11), ZERO32, ZERO32) : store.get(h)),
    put: () => undefined,
  };
  assert.throws(() => new SparseMerkleTree(sha256, bogus).update(root, [{ key: leftKey, value: k("w") }]), isInternal);
});

for (const [name, h] of [["sha256", sha256], ["deep prefix hash", deepHash]] as const) {
  test(`smt: property — random batches agree with a Map model (${name})`, () => {
    const pool = Array.from({ length: 40 }, (_, i) => k(`token/bal/${i}`));
    const never = Array.from({ length: 8 }, (_, i) => k(`never/${i}`));
    const op = fc.record({
      idx: fc.nat({ max: pool.length - 1 }),
      // A tiny value alphabet makes same-value rewrites (the no-op fast path) common.
      value: fc.option(fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 6 }), fc.constantFrom(Uint8Array.of(1), Uint8Array.of(2))), { nil: undefined, freq: 3 }),
    });
    const batchArb = fc.uniqueArray(op, { selector: (o) => o.idx, minLength: 0, maxLength: 25 });
    fc.assert(
      fc.property(fc.array(batchArb, { minLength: 1, maxLength: 7 }), (batches) => {
        const store = new MemoryNodeStore();
        const tree = new SparseMerkleTree(h, store);
        let root: Uint8Array = EMPTY_ROOT;
        let model: Model = new Map();
        const history: Array<{ root: Uint8Array; model: Model }> = [{ root, model }];
        for (const ops of batches) {
          const batch: Batch = ops.map((o) => ({ key: pool[o.idx], value: o.value }));
          root = tree.update(root, batch);
          model = applyModel(model, batch);
          history.push({ root, model });
          checkAgainstModel(h, tree, root, model, [...pool, ...never]);
          assert.deepEqual(root, refRoot(h, model));
          assert.deepEqual(root, buildFromScratch(h, model));
          assert.equal(checkStructure(h, store, root), model.size);
        }
        // Every past root still answers with its own state (proofs for a sample, to bound runtime).
        for (const past of history) {
          for (const key of pool) assert.deepEqual(tree.get(past.root, key), past.model.get(toHex(key)));
          checkAgainstModel(h, tree, past.root, past.model, pool.slice(0, 6));
        }
      }),
      { numRuns: name === "sha256" ? 60 : 30, seed: name === "sha256" ? 0x5eed : 0xdee9 },
    );
  });
}

test("smt: history independence — order and intermediate deletes do not matter", () => {
  const entries = Array.from({ length: 300 }, (_, i) => ({ key: k(`hist/${i}`), value: k(`v${i % 7}`) }));
  const model: Model = new Map(entries.map((e) => [toHex(e.key), e.value]));
  const want = refRoot(sha256, model);
  for (let seed = 1; seed <= 5; seed++) {
    const tree = new SparseMerkleTree(sha256, new MemoryNodeStore());
    const order = shuffled(entries, seed);
    let root: Uint8Array = EMPTY_ROOT;
    // Insert in uneven batches, with junk keys inserted and removed and values overwritten.
    for (let i = 0; i < order.length; i += 17 + seed) {
      const part = order.slice(i, i + 17 + seed);
      const junk = part.map((e) => ({ key: concatBytes(e.key, k("/junk")), value: k("junk") }));
      const wrong = part.map((e) => ({ key: e.key, value: k("stale") }));
      root = tree.update(root, [...wrong, ...junk]);
      root = tree.update(root, [...part, ...junk.map((j) => ({ key: j.key, value: undefined }))]);
    }
    assert.deepEqual(root, want);
  }
});

test("smt: old roots stay queryable and provable after later updates", () => {
  const store = new MemoryNodeStore();
  const tree = new SparseMerkleTree(sha256, store);
  const keys = Array.from({ length: 120 }, (_, i) => k(`old/${i}`));
  const r = rng(7);
  let root: Uint8Array = EMPTY_ROOT;
  let model: Model = new Map();
  const history: Array<{ root: Uint8Array; model: Model }> = [];
  for (let block = 0; block < 12; block++) {
    const batch: Batch = shuffled(keys, block + 100)
      .slice(0, 40)
      .map((key) => ({ key, value: r() < 0.3 ? undefined : k(`b${block}/${Math.floor(r() * 1000)}`) }));
    root = tree.update(root, batch);
    model = applyModel(model, batch);
    history.push({ root, model });
  }
  for (const past of history) checkAgainstModel(sha256, tree, past.root, past.model, keys);
  // A proof for an old root does not verify against the newest one once the value changed.
  const first = history[0];
  const key = keys.find((key) => toHex(tree.get(first.root, key) ?? new Uint8Array(0)) !== toHex(tree.get(root, key) ?? new Uint8Array(0)));
  assert.ok(key);
  const oldProof = tree.prove(first.root, key);
  assert.ok(verifySmtProof(sha256, first.root, oldProof));
  assert.equal(verifySmtProof(sha256, root, oldProof), false);
});

test("smt: tampered proofs are rejected", () => {
  const tree = new SparseMerkleTree(sha256, new MemoryNodeStore());
  const root = tree.update(EMPTY_ROOT, Array.from({ length: 500 }, (_, i) => ({ key: k(`t/${i}`), value: k(`value-${i}`) })));
  const other = tree.update(root, [{ key: k("t/0"), value: k("changed") }]);
  const key = k("t/42");
  const p = tree.prove(root, key);
  assert.ok(verifySmtProof(sha256, root, p));
  assert.equal(p.terminal.kind, "leaf");
  const clone = (): SmtProof => structuredClone(p);
  const reject = (q: SmtProof, r: Uint8Array = root) => assert.equal(verifySmtProof(sha256, r, q), false, JSON.stringify(q));

  reject({ ...clone(), value: toHex(k("value-43")) }); // wrong value
  reject({ ...clone(), value: null }); // claim absent for a present key
  reject({ ...clone(), key: toHex(k("t/43")) }); // someone else's proof
  reject(p, other); // proof under another root
  reject(p, new Uint8Array(32));
  for (let i = 0; i < p.siblings.length; i++) {
    const q = clone();
    const s = fromHex(q.siblings[i]);
    s[31] ^= 1;
    q.siblings[i] = toHex(s);
    reject(q);
  }
  reject({ ...clone(), siblings: p.siblings.slice(1) }); // dropped a level
  reject({ ...clone(), siblings: [...p.siblings, "00".repeat(32)] }); // invented an Empty level
  reject({ ...clone(), siblings: ["00".repeat(32), ...p.siblings] });
  reject({ ...clone(), terminal: { kind: "empty" } }); // swap terminal
  reject({ ...clone(), value: null, terminal: { kind: "empty" } });
  const q43 = tree.prove(root, k("t/43"));
  reject({ ...clone(), terminal: q43.terminal }); // swap in another leaf
  if (p.terminal.kind === "leaf") {
    reject({ ...clone(), terminal: { ...p.terminal, valueHash: toHex(sha256(k("value-43"))) } });
    reject({ ...clone(), terminal: { ...p.terminal, keyHash: toHex(sha256(k("t/43"))) } });
    reject({ ...clone(), terminal: { ...p.terminal, keyHash: p.terminal.keyHash.toUpperCase() } });
  }
  reject({ ...clone(), key: "0x" + p.key });

  // Non-membership: ending at another key's leaf, which must share kh's path.
  let absent: Uint8Array | undefined;
  let np: SmtProof | undefined;
  for (let i = 0; np === undefined || np.terminal.kind !== "leaf"; i++) {
    absent = k(`absent/${i}`);
    np = tree.prove(root, absent);
  }
  assert.ok(absent && np && np.terminal.kind === "leaf");
  assert.ok(verifySmtProof(sha256, root, np));
  reject({ ...np, value: toHex(k("anything")) }); // claim present
  reject({ ...np, key: toHex(sha256(k("t/1"))) }); // same path bits unlikely: a different key
  // The terminal leaf's own proof, relabelled as non-membership of its key, must fail.
  const ownerKey = Array.from({ length: 500 }, (_, i) => k(`t/${i}`)).find((kk) => toHex(sha256(kk)) === (np!.terminal as { keyHash: string }).keyHash);
  assert.ok(ownerKey);
  reject({ ...tree.prove(root, ownerKey), value: null });
  // A leaf that is not on the absent key's path: take a proof for some key whose path goes the
  // other way at the top and relabel it.
  const khAbsent = sha256(absent);
  const farKey = Array.from({ length: 500 }, (_, i) => k(`t/${i}`)).find((kk) => bit(sha256(kk), 0) !== bit(khAbsent, 0));
  assert.ok(farKey);
  const far = tree.prove(root, farKey);
  reject({ ...far, key: toHex(absent), value: null });

  // Non-membership ending at Empty: cannot be turned into a membership claim.
  const deep = new SparseMerkleTree(deepHash, new MemoryNodeStore());
  const droot = deep.update(EMPTY_ROOT, [{ key: k("x"), value: k("1") }, { key: k("y"), value: k("2") }]);
  let ep: SmtProof | undefined;
  for (let i = 0; ep === undefined || ep.terminal.kind !== "empty"; i++) ep = deep.prove(droot, k(`e/${i}`));
  assert.ok(ep.siblings.length >= 24);
  assert.ok(verifySmtProof(deepHash, droot, ep));
  assert.equal(verifySmtProof(deepHash, droot, { ...ep, value: "01" }), false);
  assert.equal(verifySmtProof(deepHash, droot, { ...ep, siblings: ep.siblings.slice(0, -1) }), false);
  assert.equal(verifySmtProof(sha256, droot, ep), false); // wrong hash function
});

test("smt: verifier rejects proofs that only a non-canonical tree could produce", () => {
  // Hand-built roots: proofs against them hash correctly, so only the shape checks stop them.
  const absent = k("absent-key");
  const kh = sha256(absent);
  const b0 = bit(kh, 0);
  let i = 0;
  const findKey = (pred: (h: Uint8Array) => boolean): Uint8Array => {
    for (; ; i++) if (pred(sha256(k(`shape/${i}`)))) return k(`shape/${i++}`);
  };
  const vh = sha256(k("v"));
  const leafOf = (key: Uint8Array) => ({ kind: "leaf" as const, keyHash: toHex(sha256(key)), valueHash: toHex(vh) });
  const sides = (onPath: Uint8Array, other: Uint8Array) => (b0 === 0 ? nodeH(sha256, onPath, other) : nodeH(sha256, other, onPath));

  // A leaf placed on kh's side at depth 1 although its own key hash goes the other way.
  const offPath = findKey((h) => bit(h, 0) !== b0);
  const filler = findKey((h) => bit(h, 0) !== b0);
  const bad = sides(leafH(sha256, sha256(offPath), k("v")), leafH(sha256, sha256(filler), k("v")));
  const offProof: SmtProof = { key: toHex(absent), value: null, siblings: [toHex(leafH(sha256, sha256(filler), k("v")))], terminal: leafOf(offPath) };
  assert.equal(verifySmtProof(sha256, bad, offProof), false);

  // A leaf next to an Empty sibling (should have collapsed upward).
  const onPath = findKey((h) => bit(h, 0) === b0);
  const lonely = sides(leafH(sha256, sha256(onPath), k("v")), ZERO32);
  assert.equal(verifySmtProof(sha256, lonely, { key: toHex(onPath), value: toHex(k("v")), siblings: ["00".repeat(32)], terminal: leafOf(onPath) }), false);
  assert.equal(verifySmtProof(sha256, lonely, { key: toHex(absent), value: null, siblings: ["00".repeat(32)], terminal: leafOf(onPath) }), false);
  // Empty next to an Empty sibling.
  const bothEmpty = nodeH(sha256, ZERO32, ZERO32);
  assert.equal(verifySmtProof(sha256, bothEmpty, { key: toHex(absent), value: null, siblings: ["00".repeat(32)], terminal: { kind: "empty" } }), false);
  // A leaf holding an empty value (which the tree never stores).
  const emptyValued = leafH(sha256, sha256(onPath), new Uint8Array(0));
  const emptyLeaf = { kind: "leaf" as const, keyHash: toHex(sha256(onPath)), valueHash: toHex(sha256(new Uint8Array(0))) };
  assert.equal(verifySmtProof(sha256, emptyValued, { key: toHex(onPath), value: "", siblings: [], terminal: emptyLeaf }), false);
  // The same shapes built canonically do verify.
  const good = leafH(sha256, sha256(onPath), k("v"));
  assert.ok(verifySmtProof(sha256, good, { key: toHex(onPath), value: toHex(k("v")), siblings: [], terminal: leafOf(onPath) }));
});

test("smt: verifier never throws on junk", () => {
  const tree = new SparseMerkleTree(sha256, new MemoryNodeStore());
  const root = tree.update(EMPTY_ROOT, Array.from({ length: 50 }, (_, i) => ({ key: k(`j/${i}`), value: k("v") })));
  const real = tree.prove(root, k("j/3"));
  const hex32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(toHex);
  const hexAny = fc.uint8Array({ maxLength: 40 }).map(toHex);
  const str = fc.oneof(hexAny, hex32, fc.string(), fc.constant("0x"), fc.constant("ZZ"));
  const junkProof = fc.oneof(
    fc.anything(),
    fc.record({
      key: fc.oneof(str, fc.anything()),
      value: fc.oneof(fc.constant(null), str, fc.anything()),
      siblings: fc.oneof(fc.array(fc.oneof(hex32, str, fc.anything()), { maxLength: 300 }), fc.anything()),
      terminal: fc.oneof(
        fc.constant({ kind: "empty" }),
        fc.record({ kind: fc.constantFrom("leaf", "empty", "other"), keyHash: fc.oneof(hex32, str), valueHash: fc.oneof(hex32, str) }),
        fc.anything(),
      ),
    }),
    // Mutations of a real proof: mostly well-formed, so the hashing path is exercised.
    fc.record({
      key: fc.constantFrom(real.key, toHex(k("j/4"))),
      value: fc.constantFrom(real.value, null, "00"),
      siblings: fc.shuffledSubarray(real.siblings),
      terminal: fc.constantFrom(real.terminal, { kind: "empty" }),
    }),
  );
  const rootArb = fc.oneof(fc.constant(root), fc.uint8Array({ minLength: 0, maxLength: 40 }), fc.anything());
  fc.assert(
    fc.property(junkProof, rootArb, (proof, r) => {
      const ok = verifySmtProof(sha256, r as Uint8Array, proof as SmtProof);
      assert.equal(typeof ok, "boolean");
      if (ok) assert.ok(r === root && equalBytes(fromHex((proof as SmtProof).key), k("j/3")));
    }),
    { numRuns: 1500, seed: 0x1ee7 },
  );
  const throwing: HashFn = () => {
    throw new Error("boom");
  };
  assert.equal(verifySmtProof(throwing, root, real), false);
  assert.equal(verifySmtProof(() => new Uint8Array(31), root, real), false);
  assert.equal(verifySmtProof(sha256, root, null as unknown as SmtProof), false);
  assert.equal(verifySmtProof(sha256, undefined as unknown as Uint8Array, real), false);
});

test("smt: determinism — independent trees, same batches in different orders", () => {
  const r = rng(99);
  const keys = Array.from({ length: 400 }, (_, i) => k(`det/${i}`));
  const batches: Batch[] = [];
  for (let b = 0; b < 10; b++) {
    batches.push(shuffled(keys, b).slice(0, 150).map((key) => ({ key, value: r() < 0.25 ? undefined : k(`${b}:${Math.floor(r() * 50)}`) })));
  }
  const sa = new MemoryNodeStore();
  const sb = new MemoryNodeStore();
  const ta = new SparseMerkleTree(sha256, sa);
  const tb = new SparseMerkleTree(sha256, sb);
  let ra: Uint8Array = EMPTY_ROOT;
  let rb: Uint8Array = EMPTY_ROOT;
  for (let b = 0; b < batches.length; b++) {
    ra = ta.update(ra, batches[b]);
    rb = tb.update(rb, shuffled(batches[b], 1000 + b).reverse());
    assert.deepEqual(ra, rb, `batch ${b}`);
  }
  assert.equal(sa.size, sb.size);
  // Same result as applying the whole history as one batch of final values.
  let model: Model = new Map();
  for (const b of batches) model = applyModel(model, b);
  assert.deepEqual(ra, refRoot(sha256, model));
});

test("smt: one read per existing node, one hash per new node", () => {
  const inner = new MemoryNodeStore();
  let reads = new Map<string, number>();
  let puts = 0;
  let leafPuts = 0;
  const counting: SmtNodeStore = {
    get: (h) => {
      const key = toHex(h);
      reads.set(key, (reads.get(key) ?? 0) + 1);
      return inner.get(h);
    },
    put: (h, e) => {
      puts++;
      if (e[0] === 0x10) leafPuts++;
      inner.put(h, e);
    },
  };
  let hashes = 0;
  const countingHash: HashFn = (d) => {
    hashes++;
    return sha256(d);
  };
  const tree = new SparseMerkleTree(countingHash, counting);
  const keys = Array.from({ length: 3000 }, (_, i) => k(`rw/${i}`));
  let root = tree.update(EMPTY_ROOT, keys.map((key) => ({ key, value: k("0") })));
  const r = rng(5);
  for (let round = 0; round < 5; round++) {
    // Heavy deletes force collapses; inserts force leaf pushdowns; updates rewrite paths.
    const batch: Batch = shuffled(keys, round)
      .slice(0, 1200)
      .map((key) => ({ key, value: r() < 0.5 ? undefined : k(`${round}`) }));
    for (let i = 0; i < 200; i++) batch.push({ key: k(`rw/new/${round}/${i}`), value: k("n") });
    reads = new Map();
    puts = 0;
    leafPuts = 0;
    hashes = 0;
    root = tree.update(root, batch);
    const maxReads = Math.max(...reads.values());
    assert.equal(maxReads, 1, "some node was read twice");
    // Key hashes, one hash per stored node, plus a value hash per new leaf: nothing else.
    assert.equal(hashes, batch.length + puts + leafPuts);
    assert.ok(leafPuts <= batch.filter((c) => c.value !== undefined).length);
  }
  // A batch that changes nothing hashes only its keys and writes nothing.
  const noop: Batch = [
    ...keys.slice(0, 300).flatMap((key) => {
      const v = tree.get(root, key);
      return v === undefined ? [] : [{ key, value: v }];
    }),
    ...Array.from({ length: 50 }, (_, i) => ({ key: k(`rw/absent/${i}`), value: undefined })),
  ];
  assert.ok(noop.length > 100);
  puts = 0;
  hashes = 0;
  assert.deepEqual(tree.update(root, noop), root);
  assert.equal(puts, 0);
  assert.equal(hashes, noop.length);
});
