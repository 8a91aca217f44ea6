/**
 * Block validation skips the signature check of a transaction only when this node's mempool
 * admitted exactly the same bytes (body, public key and signature): the pending pool is the
 * cache of verified transactions. A block that carries a pending body under another signature,
 * or a transaction the node never saw, is verified as before.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encode } from "../../src/codec/index.js";
import type { BlockBody } from "../../src/ledger/block.js";
import { decodeSignedTx, TX_VERSION } from "../../src/ledger/tx.js";
import { toHex } from "../../src/util/bytes.js";
import type { Fixture } from "../e2e/helpers/proc-chain.js";
import { ChainDriver, makeFixture } from "../e2e/helpers/proc-chain.js";

let root: string;
let fx: Fixture;
const opened: ChainDriver[] = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), "civitas-verified-"));
  fx = makeFixture({ wallets: 3 });
});

after(async () => {
  for (const d of opened) await d.close().catch(() => undefined);
  if (root) await rm(root, { recursive: true, force: true });
});

async function driver(name: string): Promise<ChainDriver> {
  const d = await ChainDriver.open(join(root, name), fx);
  opened.push(d);
  return d;
}

/** The same transaction with one bit of its signature flipped. */
function withBadSignature(raw: Uint8Array): Uint8Array {
  const tx = decodeSignedTx(raw);
  const sig = tx.signature.slice();
  sig[5] ^= 0x10;
  return encode([TX_VERSION, tx.bodyBytes, tx.publicKey, sig]);
}

test("admittedExactly: true only for the exact pending bytes", async () => {
  const a = await driver("a0");
  const [w0, w1] = fx.wallets;
  const tx = a.tx(w0, [{ module: "token", method: "transfer", args: { to: w1.address, amount: "3n" } }]);
  const [hash] = await a.submit([tx]);
  assert.equal(a.mempool.admittedExactly(hash, tx.bytes), true);
  assert.equal(a.mempool.admittedExactly(hash, new Uint8Array(tx.bytes)), true, "a copy of the bytes");
  assert.equal(a.mempool.admittedExactly(hash, withBadSignature(tx.bytes)), false, "same body, other signature");
  assert.equal(a.mempool.admittedExactly(hash, tx.bytes.subarray(0, tx.bytes.length - 1)), false, "truncated");
  assert.equal(a.mempool.admittedExactly("00".repeat(32), tx.bytes), false, "unknown hash");
  a.mempool.remove(hash);
  assert.equal(a.mempool.admittedExactly(hash, tx.bytes), false, "removed");
});

test("validation skips signatures of transactions admitted byte for byte, and checks all others", async () => {
  const a = await driver("a1");
  const b = await driver("b1");
  const [w0, w1, w2] = fx.wallets;
  const t1 = a.tx(w0, [{ module: "token", method: "transfer", args: { to: w1.address, amount: "5n" } }]);
  const t2 = a.tx(w2, [{ module: "token", method: "transfer", args: { to: w1.address, amount: "7n" } }]);
  await a.submit([t1, t2]);
  // B has seen t1 (as gossip would bring it) but not t2.
  await b.submit([t1]);
  const head = a.chain.head();
  const proposer = fx.suite.address(fx.suite.publicKeyFromSecret(fx.validatorSecret));
  const p = await a.chain.propose({ height: head.height + 1, time: head.time + 1000, proposer: Buffer.from(proposer.slice(2), "hex") });
  assert.equal(p.txs.length, 2);
  const body: BlockBody = { header: p.header, txs: p.txs, lastCommit: p.lastCommit };

  const before = { ...b.chain.verifyStats };
  assert.deepEqual(await b.chain.validate(body), { ok: true });
  assert.equal(b.chain.verifyStats.skipped - before.skipped, 1, "t1 was admitted by B: its signature is not checked again");
  assert.equal(b.chain.verifyStats.verified - before.verified, 1, "t2 was not: checked");

  // The pending body of t1 under a corrupted signature: B must verify it and refuse the block.
  const forged: BlockBody = { ...body, txs: [withBadSignature(p.txs[0]), p.txs[1]] };
  const r = await b.chain.validate(forged);
  assert.equal(r.ok, false);
  assert.match((r as { reason: string }).reason, /transaction 0 has a bad signature/);

  // A chain without a mempool (replay, verify-chain) verifies every signature.
  const c = await driver("c1");
  c.chain.mempool = undefined;
  assert.deepEqual(await c.chain.validate(body), { ok: true });
  assert.equal(c.chain.verifyStats.verified, 2);
  assert.equal(c.chain.verifyStats.skipped, 0);
  assert.equal(toHex(p.txs[0]), toHex(t1.bytes));
});
