/**
 * verifyChain: a chain built in-process verifies with the right counts, and each kind of
 * corruption of the stored chain (altered block bytes, altered header, missing block, tampered
 * state table, receipt or tx index, wrong genesis) makes it fail naming what failed.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open } from "lmdb";
import type { Database, RootDatabase } from "lmdb";
import { blockHash, decodeBlock } from "../../src/ledger/block.js";
import { parseGenesis } from "../../src/ledger/genesis.js";
import { decodeSignedTx } from "../../src/ledger/tx.js";
import { verifyChain } from "../../src/node/verify-chain.js";
import { ChainStore } from "../../src/storage/chain-store.js";
import { u64be } from "../../src/storage/keys.js";
import { fromUtf8, toHex, utf8 } from "../../src/util/bytes.js";
import type { Fixture } from "../e2e/helpers/proc-chain.js";
import { ChainDriver, makeFixture, sampleWorkload } from "../e2e/helpers/proc-chain.js";

let root: string;
let base: string;
let fx: Fixture;
let expected: { head: number; headHash: string; stateRoot: string; txs: number; stateEntries: number };

before(async () => {
  root = await mkdtemp(join(tmpdir(), "civitas-verify-test-"));
  base = join(root, "base");
  fx = makeFixture();
  const d = await ChainDriver.open(base, fx);
  try {
    const { blocks, txCount } = await sampleWorkload(d);
    const last = blocks[blocks.length - 1];
    let entries = 0;
    for (const _ of d.chain.store.stateEntries()) entries++;
    expected = { head: last.header.height, headHash: toHex(blockHash(fx.suite, last.header)), stateRoot: toHex(last.header.stateRoot), txs: txCount, stateEntries: entries };
  } finally {
    await d.close();
  }
});

after(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

let copies = 0;
/** A fresh copy of the chain's LMDB folder. */
async function copyChain(): Promise<string> {
  const dir = join(root, `copy-${copies++}`);
  await cp(base, dir, { recursive: true });
  return dir;
}

type Bin = Database<Uint8Array, Uint8Array>;
/** Opens one sub-database of a store with raw LMDB, runs `f`, and closes it. */
async function rawEdit(dir: string, name: string, f: (db: Bin, env: RootDatabase) => Promise<void>): Promise<void> {
  const env = open({ path: dir, maxDbs: 16 });
  try {
    await f(env.openDB<Uint8Array, Uint8Array>({ name, encoding: "binary", keyEncoding: "binary" }), env);
  } finally {
    await env.close();
  }
}

function getBin(db: Bin, key: Uint8Array): Uint8Array {
  const v = db.getBinary(key);
  assert.ok(v, "raw key not found");
  return new Uint8Array(v).slice();
}

test("an intact chain verifies: every block replayed, counts and state root reported", async () => {
  const progress: Array<[number, number]> = [];
  const r = await verifyChain(base, fx.genesis, (done, total) => progress.push([done, total]));
  assert.deepEqual(r.problems, []);
  assert.equal(r.ok, true);
  assert.equal(r.blocks, expected.head + 1);
  assert.equal(r.headHeight, expected.head);
  assert.equal(r.headHash, expected.headHash);
  assert.equal(r.txs, expected.txs);
  assert.equal(r.stateRoot, expected.stateRoot);
  assert.equal(r.stateEntries, expected.stateEntries);
  assert.ok(r.stateEntries > 5, "the workload wrote state");
  assert.deepEqual(progress, Array.from({ length: expected.head }, (_, i) => [i + 1, expected.head]));
  // verify-chain reads only: running it twice gives the same answer.
  assert.deepEqual(await verifyChain(base, fx.genesis), r);
});

test("(a) a transaction byte altered inside a stored block fails that block's verification", async () => {
  const dir = await copyChain();
  const height = 2;
  await rawEdit(dir, "blocks", async (db) => {
    const raw = getBin(db, u64be(height));
    const block = decodeBlock(raw);
    assert.ok(block.txs.length > 0);
    const tx = block.txs[0];
    const at = Buffer.from(raw).indexOf(Buffer.from(tx));
    assert.ok(at > 0, "transaction bytes found in the stored block");
    raw[at + tx.length - 1] ^= 0x01; // last byte of the signature
    assert.equal(decodeBlock(raw).txs.length, block.txs.length, "the altered block still decodes");
    await db.put(u64be(height), raw);
  });
  await assert.rejects(verifyChain(dir, fx.genesis), (e: Error) => {
    assert.match(e.message, /block 2 fails verification/);
    assert.match(e.message, /transaction 0 has a bad signature/);
    return true;
  });
});

test("(a') an altered header in a stored block no longer matches its commit certificate", async () => {
  const dir = await copyChain();
  const height = 3;
  await rawEdit(dir, "blocks", async (db) => {
    const raw = getBin(db, u64be(height));
    const root = toHex(decodeBlock(raw).header.stateRoot);
    const at = Buffer.from(raw).indexOf(Buffer.from(root, "hex"));
    assert.ok(at > 0);
    raw[at] ^= 0xff;
    assert.notEqual(toHex(decodeBlock(raw).header.stateRoot), root);
    await db.put(u64be(height), raw);
  });
  await assert.rejects(verifyChain(dir, fx.genesis), /block 3 fails verification: .*commit certificate invalid: certificate is for another block/);
});

test("(a'') a missing block is reported by height", async () => {
  const dir = await copyChain();
  await rawEdit(dir, "blocks", async (db) => {
    assert.ok(await db.remove(u64be(4)));
  });
  await assert.rejects(verifyChain(dir, fx.genesis), /block 4 is missing/);
});

test("(a''') a stored block that no longer decodes is reported by height", async () => {
  const dir = await copyChain();
  await rawEdit(dir, "blocks", async (db) => {
    const raw = getBin(db, u64be(2));
    await db.put(u64be(2), raw.subarray(0, raw.length - 7)); // truncated
  });
  await assert.rejects(verifyChain(dir, fx.genesis), (e: Error & { code?: string }) => {
    assert.equal(e.code, "CHAIN_CORRUPT");
    assert.match(e.message, /^block 2 cannot be decoded: /);
    return true;
  });
});

test("(b) a tampered current-state value: the state table differs from the replay", async () => {
  const dir = await copyChain();
  let tampered = "";
  await rawEdit(dir, "state", async (db) => {
    for (const { key, value } of db.getRange({})) {
      const k = fromUtf8(new Uint8Array(key as Uint8Array));
      if (!k.startsWith("token/")) continue;
      const v = new Uint8Array(value).slice();
      v[v.length - 1] ^= 0x01;
      await db.put(new Uint8Array(key as Uint8Array), v);
      tampered = k;
      break;
    }
  });
  assert.ok(tampered, "found a token state entry");
  const r = await verifyChain(dir, fx.genesis);
  assert.equal(r.ok, false);
  assert.equal(r.problems.length, 1, r.problems.join("; "));
  assert.equal(r.problems[0], `state table differs from the replay at key '${tampered}'`);
  // Everything else about the chain is still fine and reported.
  assert.equal(r.blocks, expected.head + 1);
  assert.equal(r.stateRoot, expected.stateRoot);
});

test("(b') an extra or missing state entry is caught too", async () => {
  const extra = await copyChain();
  await rawEdit(extra, "state", async (db) => {
    await db.put(utf8("zzz/injected"), utf8("x"));
  });
  const r1 = await verifyChain(extra, fx.genesis);
  assert.equal(r1.ok, false);
  assert.deepEqual(r1.problems, ["state table differs from the replay at key 'zzz/injected'"]);

  const missing = await copyChain();
  let removed = "";
  await rawEdit(missing, "state", async (db) => {
    for (const { key } of db.getRange({})) {
      removed = fromUtf8(new Uint8Array(key as Uint8Array));
      if (removed.startsWith("kv/")) {
        await db.remove(new Uint8Array(key as Uint8Array));
        break;
      }
    }
  });
  assert.ok(removed.startsWith("kv/"));
  const r2 = await verifyChain(missing, fx.genesis);
  assert.equal(r2.ok, false);
  assert.equal(r2.problems.length, 1);
  assert.match(r2.problems[0], /^state table differs from the replay at key '/);
});

test("(c) a wrong genesis is refused at block 0", async () => {
  const other = parseGenesis({ ...fx.genesis, balances: [...fx.genesis.balances, { address: "0x" + "ab".repeat(20), amount: "1" }] });
  await assert.rejects(verifyChain(base, other), /block 0 does not match the genesis file/);
  const otherChain = parseGenesis({ ...fx.genesis, chainId: "another-chain" });
  await assert.rejects(verifyChain(base, otherChain), /block 0 does not match the genesis file/);
  // The store was left untouched by the failed runs.
  assert.equal((await verifyChain(base, fx.genesis)).ok, true);
});

test("(d) a tampered stored receipt and a wrong transaction index are reported", async () => {
  const dir = await copyChain();
  const block = decodeBlock(await (async () => {
    const s = ChainStore.open(dir);
    try {
      return s.getBlockBytes(3) as Uint8Array;
    } finally {
      await s.close();
    }
  })());
  const h0 = fx.suite.hash(decodeSignedTx(block.txs[0]).bodyBytes);
  const h1 = fx.suite.hash(decodeSignedTx(block.txs[1]).bodyBytes);
  // `txs` maps a transaction hash to height (8 bytes) || index (4 bytes) || receipt.
  await rawEdit(dir, "txs", async (db) => {
    const e0 = getBin(db, h0);
    assert.ok(e0.length > 12);
    e0[e0.length - 1] ^= 0x01; // inside the receipt
    await db.put(h0, e0);
    const e1 = getBin(db, h1);
    e1[11] ^= 0x07; // another index in the block
    await db.put(h1, e1);
  });
  const r = await verifyChain(dir, fx.genesis);
  assert.equal(r.ok, false);
  assert.deepEqual(r.problems, ["block 3 tx 0: stored receipt differs from the replay", "block 3 tx 1: transaction index is wrong"]);
});
