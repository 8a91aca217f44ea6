/**
 * ChainStore on a real LMDB environment in a temporary folder: one atomic write per block in
 * height order, durability across reopen, the account and event indexes, and state iteration.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BlockWrite } from "../../src/storage/chain-store.js";
import { ChainStore, requireBlock } from "../../src/storage/chain-store.js";
import { compareBytes, fromUtf8, toHex, utf8 } from "../../src/util/bytes.js";
import { CivitasError, ErrorCode } from "../../src/util/errors.js";

const root = mkdtempSync(join(tmpdir(), "civitas-store-"));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => join(root, `db${dirs++}`);
const open = (dir: string): ChainStore => ChainStore.open(dir, { mapSizeBytes: 64 * 1024 * 1024 });

const bytes = (...xs: number[]): Uint8Array => Uint8Array.from(xs);
const h32 = (tag: number, n: number): Uint8Array => new Uint8Array(32).fill(tag).map((b, i) => (i === 31 ? n : b));
const A = new Uint8Array(20).fill(0x0a);
const B = new Uint8Array(20).fill(0x0b);
const C = new Uint8Array(20).fill(0x0c);

/** A block at `height` with `n` transactions; tx i concerns A, and B when i is odd. */
function block(height: number, n: number, extra: Partial<BlockWrite> = {}): BlockWrite {
  const txHashes = Array.from({ length: n }, (_, i) => h32(0x70 + (height % 16), i));
  return {
    height,
    hash: h32(0xb0, height),
    blockBytes: utf8(`block ${height}`),
    txHashes,
    receipts: txHashes.map((_, i) => utf8(`receipt ${height}/${i}`)),
    stateChanges: [{ key: utf8(`s/height`), value: utf8(String(height)) }],
    smtNodes: [[h32(0x5e, height), utf8(`node ${height}`)]],
    accountIndex: txHashes.flatMap((_, i) => (i % 2 ? [{ address: A, txIndex: i }, { address: B, txIndex: i }] : [{ address: A, txIndex: i }])),
    eventIndex: txHashes.map((_, i) => ({ type: i % 2 ? "token.Transfer" : "kv.Put", txIndex: i, eventIndex: 0 })),
    ...extra,
  };
}

const isInternal = (e: unknown): boolean => e instanceof CivitasError && e.code === ErrorCode.INTERNAL;
const stateMap = (s: ChainStore): Map<string, string> => new Map([...s.stateEntries()].map((e) => [fromUtf8(e.key), fromUtf8(e.value)]));

// ---------------------------------------------------------------------------------------------

test("commitBlock writes block, hash index, tx locations, receipts, state, tree nodes and head", async () => {
  const s = open(freshDir());
  try {
    assert.equal(s.headHeight(), undefined);
    assert.equal(s.getBlockBytes(0), undefined);
    const b0 = block(0, 0);
    await s.commitBlock(b0);
    const b1 = block(1, 3, { stateChanges: [{ key: utf8("s/a"), value: bytes(1) }, { key: utf8("s/b"), value: bytes(2) }] });
    await s.commitBlock(b1);
    assert.equal(s.headHeight(), 1);
    assert.equal(fromUtf8(s.getBlockBytes(1) as Uint8Array), "block 1");
    assert.equal(fromUtf8(requireBlock(s, 0)), "block 0");
    assert.equal(s.heightOfHash(b1.hash), 1);
    assert.equal(s.heightOfHash(b0.hash), 0);
    assert.equal(s.heightOfHash(h32(0xee, 0)), undefined);
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(s.txLocation(b1.txHashes[i]), { height: 1, index: i });
      assert.equal(fromUtf8(s.getReceiptBytes(b1.txHashes[i]) as Uint8Array), `receipt 1/${i}`);
    }
    assert.equal(s.txLocation(h32(0xee, 1)), undefined);
    assert.deepEqual(s.getState(utf8("s/a")), bytes(1));
    assert.equal(fromUtf8(s.getSmtNode(h32(0x5e, 1)) as Uint8Array), "node 1");
    assert.deepEqual(s.describe(), { path: s.path, head: 1 });
    assert.throws(() => requireBlock(s, 2), (e: unknown) => e instanceof CivitasError && e.code === ErrorCode.CHAIN_CORRUPT);
    // Values handed out are copies: mutating one does not touch the store.
    const v = s.getState(utf8("s/a")) as Uint8Array;
    v[0] = 99;
    assert.deepEqual(s.getState(utf8("s/a")), bytes(1));
  } finally {
    await s.close();
  }
});

test("blocks are committed in height order: gaps, repeats and a missing genesis are refused and write nothing", async () => {
  const s = open(freshDir());
  try {
    await assert.rejects(s.commitBlock(block(1, 1)), isInternal, "height 1 on an empty store");
    assert.equal(s.headHeight(), undefined);
    await s.commitBlock(block(0, 0));
    await assert.rejects(s.commitBlock(block(2, 1)), isInternal, "height 2 before 1");
    await assert.rejects(s.commitBlock(block(0, 0)), isInternal, "height 0 again");
    assert.equal(s.headHeight(), 0);
    assert.equal(s.getBlockBytes(2), undefined);
    assert.equal(s.heightOfHash(block(2, 1).hash), undefined);
    assert.equal(s.txLocation(block(2, 1).txHashes[0]), undefined);
    await s.commitBlock(block(1, 1));
    await s.commitBlock(block(2, 1));
    assert.equal(s.headHeight(), 2);
    // One receipt per transaction.
    await assert.rejects(s.commitBlock({ ...block(3, 2), receipts: [utf8("only one")] }), isInternal);
    assert.equal(s.headHeight(), 2);
  } finally {
    await s.close();
  }
  await assert.rejects(s.commitBlock(block(3, 0)), isInternal, "commit after close");
  await s.close(); // idempotent
});

test("a commit that fails half-way leaves no trace of the block, in this process or after reopen", async () => {
  const dir = freshDir();
  const s = open(dir);
  const bad = block(1, 2, {
    // LMDB refuses keys over 1978 bytes: the write fails after the block, hash, txs and the first
    // state change are already in the transaction.
    stateChanges: [{ key: utf8("s/partial"), value: bytes(1) }, { key: new Uint8Array(4000), value: bytes(2) }],
  });
  try {
    await s.commitBlock(block(0, 0));
    await assert.rejects(s.commitBlock(bad));
    const noTrace = (st: ChainStore, when: string): void => {
      assert.equal(st.headHeight(), 0, when);
      assert.equal(st.getBlockBytes(1), undefined, `${when}: block bytes`);
      assert.equal(st.heightOfHash(bad.hash), undefined, `${when}: hash index`);
      assert.equal(st.txLocation(bad.txHashes[0]), undefined, `${when}: tx location`);
      assert.equal(st.getReceiptBytes(bad.txHashes[0]), undefined, `${when}: receipt`);
      assert.equal(st.getState(utf8("s/partial")), undefined, `${when}: state`);
      assert.deepEqual(st.accountHistory(A, 10), [], `${when}: account index`);
    };
    noTrace(s, "same process");
    // The next, valid block at the same height commits on its own, without the failed writes.
    const good = block(1, 1, { hash: h32(0xc0, 1) });
    await s.commitBlock(good);
    assert.equal(s.heightOfHash(good.hash), 1);
    assert.equal(s.heightOfHash(bad.hash), undefined, "the failed block's hash is not indexed");
    assert.equal(s.getState(utf8("s/partial")), undefined, "the failed block's state is not applied");
    assert.equal(s.getReceiptBytes(bad.txHashes[1]), undefined);
  } finally {
    await s.close();
  }
  const r = open(dir);
  try {
    assert.equal(r.headHeight(), 1);
    assert.equal(r.heightOfHash(bad.hash), undefined, "after reopen: hash index");
    assert.equal(r.getState(utf8("s/partial")), undefined, "after reopen: state");
    assert.equal(r.getReceiptBytes(bad.txHashes[1]), undefined, "after reopen: receipt");
  } finally {
    await r.close();
  }
});

test("reopening the store sees exactly the committed data", async () => {
  const dir = freshDir();
  const s = open(dir);
  const blocks = [block(0, 0), block(1, 2), block(2, 3)];
  for (const b of blocks) await s.commitBlock(b);
  await s.putMeta("genesis", bytes(7, 7));
  const before = { head: s.headHeight(), state: stateMap(s), hist: s.accountHistory(A, 100), events: s.eventsOfType("token.Transfer", 100) };
  await s.close();
  const r = open(dir);
  try {
    assert.equal(r.headHeight(), 2);
    assert.deepEqual({ head: r.headHeight(), state: stateMap(r), hist: r.accountHistory(A, 100), events: r.eventsOfType("token.Transfer", 100) }, before);
    for (const b of blocks) {
      assert.equal(fromUtf8(r.getBlockBytes(b.height) as Uint8Array), `block ${b.height}`);
      assert.equal(r.heightOfHash(b.hash), b.height);
      b.txHashes.forEach((t, i) => assert.deepEqual(r.txLocation(t), { height: b.height, index: i }));
    }
    assert.deepEqual(r.getMeta("genesis"), bytes(7, 7));
    assert.equal(r.getMeta("nothing"), undefined);
    await r.commitBlock(block(3, 1));
    assert.equal(r.headHeight(), 3);
  } finally {
    await r.close();
  }
  const ro = ChainStore.open(dir, { readOnly: true });
  try {
    assert.equal(ro.headHeight(), 3);
  } finally {
    await ro.close();
  }
});

test("accountHistory: newest first, `before` is exclusive, limit applies, other accounts stay out", async () => {
  const s = open(freshDir());
  try {
    // Heights 0..4 with 0,3,1,4,2 transactions.
    const counts = [0, 3, 1, 4, 2];
    const blocks = counts.map((n, h) => block(h, n));
    for (const b of blocks) await s.commitBlock(b);
    // Expected for A: every tx, newest first (height desc, then index desc).
    const all = blocks.flatMap((b) => b.txHashes.map((t, i) => ({ height: b.height, txIndex: i, txHash: t }))).reverse();
    assert.deepEqual(s.accountHistory(A, 100), all);
    assert.deepEqual(s.accountHistory(A, 3), all.slice(0, 3));
    assert.deepEqual(s.accountHistory(A, 100, 3), all.filter((e) => e.height < 3));
    assert.deepEqual(s.accountHistory(A, 2, 3), all.filter((e) => e.height < 3).slice(0, 2));
    assert.deepEqual(s.accountHistory(A, 100, 1), [], "height 0 has no transactions");
    assert.deepEqual(s.accountHistory(A, 100, 0), []);
    // B: only odd indexes.
    assert.deepEqual(s.accountHistory(B, 100), all.filter((e) => e.txIndex % 2 === 1));
    assert.deepEqual(s.accountHistory(C, 100), []);
    // Neighbouring addresses do not bleed into each other's range.
    const justBelowB = new Uint8Array(B);
    justBelowB[19] -= 1;
    assert.deepEqual(s.accountHistory(justBelowB, 100), []);
    for (const e of s.accountHistory(A, 100)) assert.equal(toHex(e.txHash), toHex(blocks[e.height].txHashes[e.txIndex]));
    assert.throws(() => s.accountHistory(new Uint8Array(19), 10), isInternal);
  } finally {
    await s.close();
  }
});

test("eventsOfType: oldest first, from a height, with a limit, and only that exact type", async () => {
  const s = open(freshDir());
  try {
    await s.commitBlock(block(0, 0));
    for (let h = 1; h <= 4; h++) {
      await s.commitBlock(
        block(h, 4, {
          eventIndex: [
            { type: "token.Transfer", txIndex: 0, eventIndex: 0 },
            { type: "token.Transfer", txIndex: 0, eventIndex: 1 },
            { type: "token.TransferX", txIndex: 1, eventIndex: 0 },
            { type: "token.Transfe", txIndex: 2, eventIndex: 0 },
            { type: "token.Transfer", txIndex: 3, eventIndex: 2 },
          ],
        }),
      );
    }
    const all = s.eventsOfType("token.Transfer", 100);
    assert.equal(all.length, 12);
    assert.deepEqual(all.slice(0, 3).map((e) => [e.height, e.txIndex, e.eventIndex]), [[1, 0, 0], [1, 0, 1], [1, 3, 2]]);
    for (let i = 1; i < all.length; i++) {
      const [p, q] = [all[i - 1], all[i]];
      assert.ok(p.height < q.height || (p.height === q.height && (p.txIndex < q.txIndex || (p.txIndex === q.txIndex && (p.eventIndex as number) < (q.eventIndex as number)))), "oldest first");
    }
    for (const e of all) assert.equal(toHex(e.txHash), toHex(h32(0x70 + e.height, e.txIndex)));
    assert.deepEqual(s.eventsOfType("token.Transfer", 100, 3).map((e) => e.height), [3, 3, 3, 4, 4, 4]);
    assert.deepEqual(s.eventsOfType("token.Transfer", 4, 2).map((e) => [e.height, e.txIndex]), [[2, 0], [2, 0], [2, 3], [3, 0]]);
    assert.deepEqual(s.eventsOfType("token.Transfer", 100, 5), []);
    assert.equal(s.eventsOfType("token.TransferX", 100).length, 4);
    assert.equal(s.eventsOfType("token.Transfe", 100).length, 4);
    assert.deepEqual(s.eventsOfType("token", 100), []);
    assert.deepEqual(s.eventsOfType("kv.Put", 100), []);
  } finally {
    await s.close();
  }
});

test("stateEntries iterates in key byte order; deletes remove keys; later blocks overwrite", async () => {
  const s = open(freshDir());
  try {
    const keys = ["b", "a", "ab", "B", "a/x", "\u00e9", "z", "a0"].map(utf8);
    await s.commitBlock(block(0, 0, { stateChanges: keys.map((k, i) => ({ key: k, value: bytes(i) })) }));
    const first = [...s.stateEntries()];
    assert.equal(first.length, keys.length);
    for (let i = 1; i < first.length; i++) assert.ok(compareBytes(first[i - 1].key, first[i].key) < 0, "key order");
    assert.deepEqual(first.map((e) => fromUtf8(e.key)), ["B", "a", "a/x", "a0", "ab", "b", "z", "\u00e9"]);
    await s.commitBlock(
      block(1, 0, {
        stateChanges: [
          { key: utf8("a"), value: undefined },
          { key: utf8("ab"), value: bytes(42) },
          { key: utf8("never-existed"), value: undefined },
          { key: utf8("new"), value: bytes(1, 2, 3) },
        ],
      }),
    );
    const m = stateMap(s);
    assert.ok(!m.has("a") && !m.has("never-existed"));
    assert.equal(s.getState(utf8("a")), undefined);
    assert.deepEqual(s.getState(utf8("ab")), bytes(42));
    assert.deepEqual(s.getState(utf8("new")), bytes(1, 2, 3));
    assert.deepEqual([...m.keys()], ["B", "a/x", "a0", "ab", "b", "new", "z", "\u00e9"]);
  } finally {
    await s.close();
  }
});
