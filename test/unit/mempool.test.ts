/**
 * Admission and the pending pool, with a real two-worker VerifyPool, for both crypto suites:
 * every rejection code in admission order (each case also carries the next gate's defect, so
 * the order itself is checked), rejected transactions leave no trace, batches answer in input
 * order, candidates() is an arrival-ordered snapshot that tolerates removal, and the worker
 * pool shuts down cleanly.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { encode } from "../../src/codec/index.js";
import { getNodeSuite } from "../../src/crypto/node-suites.js";
import type { CryptoSuite, KeyPair, SuiteId } from "../../src/crypto/suite.js";
import type { Call, TxBody } from "../../src/ledger/tx.js";
import { encodeTxBody, signTx, TX_VERSION, txHash } from "../../src/ledger/tx.js";
import type { AdmitResult, MempoolOptions } from "../../src/mempool/mempool.js";
import { Mempool } from "../../src/mempool/mempool.js";
import { VerifyPool } from "../../src/mempool/verify-pool.js";
import { fromHex, toHex } from "../../src/util/bytes.js";
import { CivitasError, ErrorCode } from "../../src/util/errors.js";

const NOW = 1_700_000_000_000;
const CHAIN = "mp-chain";
const SUITES: SuiteId[] = ["ed25519-sha256", "sm2-sm3"];

const pools = new Map<SuiteId, VerifyPool>();
function poolFor(id: SuiteId): VerifyPool {
  let p = pools.get(id);
  if (!p) {
    p = new VerifyPool(id, 2);
    pools.set(id, p);
  }
  return p;
}
after(async () => {
  for (const p of pools.values()) await p.close();
});

const OPTS: MempoolOptions = { chain: CHAIN, maxTxBytes: 2048, maxTxGas: 1_000_000, maxTxExpiryMs: 60_000, maxPendingPerAccount: 3, maxPendingTotal: 5 };

interface Env {
  suite: CryptoSuite;
  pool: VerifyPool;
  mp: Mempool;
  nonces: Map<string, number>;
}

function env(id: SuiteId, opts: Partial<MempoolOptions> = {}): Env {
  const suite = getNodeSuite(id);
  const pool = poolFor(id);
  const nonces = new Map<string, number>();
  const mp = new Mempool({ ...OPTS, ...opts }, { pool, accountNonce: (a) => nonces.get(a) ?? 0, now: () => NOW });
  return { suite, pool, mp, nonces };
}

const TO = "0x" + "99".repeat(20);
const transfer: Call = { module: "token", method: "transfer", args: { to: TO, amount: 1 } };

function keyOf(e: Env): KeyPair {
  return e.suite.generateKeyPair();
}
const addr = (e: Env, k: KeyPair): string => e.suite.address(k.publicKey);

function body(e: Env, k: KeyPair, over: Partial<TxBody> = {}): TxBody {
  return { chain: CHAIN, from: fromHex(addr(e, k)), nonce: 0, expires: NOW + 30_000, gasLimit: 100_000, calls: [transfer], memo: "", ...over };
}
const signed = (e: Env, k: KeyPair, over: Partial<TxBody> = {}): Uint8Array => signTx(e.suite, body(e, k, over), k.secretKey).bytes;

function rejected(r: AdmitResult, code: string, label = ""): CivitasError {
  assert.ok(!r.ok, `${label}: expected ${code}, was admitted`);
  assert.ok(r.error instanceof CivitasError);
  assert.equal(r.error.code, code, `${label}: ${r.error.message}`);
  return r.error;
}
function accepted(r: AdmitResult, label = ""): string {
  assert.ok(r.ok, r.ok ? "" : `${label}: rejected ${r.error.code}: ${r.error.message}`);
  return r.hash;
}

/** What a caller can observe of the pool: size and arrival-ordered hashes. */
const snapshot = (mp: Mempool): { size: number; order: string[] } => ({ size: mp.size, order: [...mp.candidates()].map((p) => p.hashHex) });

// ---------------------------------------------------------------------------------------------

for (const id of SUITES) {
  test(`${id}: every admission rejection code, in admission order, leaving the pool unchanged`, async () => {
    const e = env(id);
    const { suite, mp } = e;
    const k = keyOf(e);
    const other = keyOf(e);
    // Two accepted transactions first, so "unchanged" is checked against a non-empty pool.
    const seedHashes = (await mp.admit([signed(e, other, { nonce: 0 }), signed(e, other, { nonce: 1 })])).map((r) => accepted(r));
    const before = snapshot(mp);
    assert.deepEqual(before.order, seedHashes);

    const wrongLen = (bodyOver: Partial<TxBody>, pk: Uint8Array, sig: Uint8Array): Uint8Array => encode([TX_VERSION, encodeTxBody(body(e, k, bodyOver)), pk, sig]);
    const goodSig = (over: Partial<TxBody>): Uint8Array => signed(e, k, over);
    const flipSig = (over: Partial<TxBody>): Uint8Array => {
      const s = signTx(suite, body(e, k, over), k.secretKey);
      const sig = new Uint8Array(s.signature);
      sig[5] ^= 0x40;
      return encode([TX_VERSION, s.bodyBytes, s.publicKey, sig]);
    };
    const past = NOW - 1;
    const cases: Array<[string, Uint8Array, string]> = [
      // size is checked before anything is decoded: garbage of maxTxBytes + 1 bytes is "too large"
      ["too large", new Uint8Array(OPTS.maxTxBytes + 1).fill(0xff), ErrorCode.TX_TOO_LARGE],
      ["too large (valid tx, huge memo)", goodSig({ memo: "x".repeat(200), calls: new Array(16).fill({ module: "kv", method: "put", args: { namespace: "n", key: "k", value: "v".repeat(100) } }) }), ErrorCode.TX_TOO_LARGE],
      ["garbage", Uint8Array.of(0xff, 0x00), ErrorCode.TX_MALFORMED],
      ["trailing byte", new Uint8Array([...goodSig({ chain: "other" }), 0]), ErrorCode.TX_MALFORMED],
      ["wrong version", encode([2, encodeTxBody(body(e, k, { chain: "other" })), k.publicKey, new Uint8Array(suite.signatureLength)]), ErrorCode.TX_MALFORMED],
      ["too many calls", goodSig({ chain: "other", calls: new Array(17).fill(transfer) }), ErrorCode.TX_TOO_MANY_CALLS],
      ["wrong chain (and unknown module)", goodSig({ chain: "other", calls: [{ module: "nope", method: "x", args: {} }] }), ErrorCode.TX_WRONG_CHAIN],
      ["unknown module (and gas too high)", goodSig({ calls: [{ module: "nope", method: "x", args: {} }], gasLimit: 2_000_000 }), ErrorCode.TX_UNKNOWN_MODULE],
      ["unknown method", goodSig({ calls: [{ module: "token", method: "steal", args: {} }], gasLimit: 2_000_000 }), ErrorCode.TX_UNKNOWN_METHOD],
      ["bad args", goodSig({ calls: [{ module: "token", method: "transfer", args: { to: "bob", amount: 1 } }], gasLimit: 2_000_000 }), ErrorCode.TX_BAD_ARGS],
      ["gas too high (and bad sender)", signTx(suite, { ...body(e, k), from: fromHex(addr(e, other)), gasLimit: 2_000_000 }, k.secretKey).bytes, ErrorCode.TX_GAS_LIMIT_TOO_HIGH],
      ["gas too low (and bad sender)", signTx(suite, { ...body(e, k), from: fromHex(addr(e, other)), gasLimit: 1000 }, k.secretKey).bytes, ErrorCode.TX_GAS_LIMIT_TOO_LOW],
      ["key of the wrong length", wrongLen({}, k.publicKey.subarray(1), new Uint8Array(suite.signatureLength)), ErrorCode.TX_BAD_SIGNATURE],
      ["signature of the wrong length", wrongLen({}, k.publicKey, new Uint8Array(suite.signatureLength + 1)), ErrorCode.TX_BAD_SIGNATURE],
      ["bad sender (and expired)", signTx(suite, { ...body(e, k, { expires: past }), from: fromHex(addr(e, other)) }, k.secretKey).bytes, ErrorCode.TX_BAD_SENDER],
      ["bad signature (and expired)", flipSig({ expires: past }), ErrorCode.TX_BAD_SIGNATURE],
      ["signature by another key", encode([TX_VERSION, encodeTxBody(body(e, k)), k.publicKey, suite.sign(new Uint8Array([1]), k.secretKey)]), ErrorCode.TX_BAD_SIGNATURE],
      ["expired (and nonce too high)", goodSig({ expires: past, nonce: 99 }), ErrorCode.TX_EXPIRED],
      ["expiry too far (and nonce too high)", goodSig({ expires: NOW + OPTS.maxTxExpiryMs + 1, nonce: 99 }), ErrorCode.TX_EXPIRY_TOO_FAR],
      ["nonce too high", goodSig({ nonce: OPTS.maxPendingPerAccount }), ErrorCode.TX_NONCE_TOO_HIGH],
    ];
    const results = await mp.admit(cases.map((c) => c[1]));
    assert.equal(results.length, cases.length);
    cases.forEach(([label, , code], i) => rejected(results[i], code, label));
    assert.deepEqual(snapshot(mp), before, "rejections leave the pool unchanged");
    // Each case alone gives the same answer as inside the batch.
    for (const [label, raw, code] of cases.slice(0, 4)) rejected((await mp.admit([raw]))[0], code, `${label} alone`);
    // Wrapped codec errors keep their cause.
    const wrong = rejected((await mp.admit([cases[4][1]]))[0], ErrorCode.TX_MALFORMED);
    assert.equal(wrong.details.cause, ErrorCode.CODEC_BAD_VERSION);

    // Boundaries that are accepted: expiry exactly now and exactly now + max; the last nonce in the window.
    accepted((await mp.admit([goodSig({ expires: NOW, nonce: 0 })]))[0], "expires == now");
    accepted((await mp.admit([goodSig({ expires: NOW + OPTS.maxTxExpiryMs, nonce: 2 })]))[0], "expires == now + max, nonce at the window's end");
    assert.equal(mp.size, 4);

    // State-dependent gates: nonce too low after the account moved on.
    const k2 = keyOf(e);
    e.nonces.set(addr(e, k2), 5);
    rejected((await mp.admit([signed(e, k2, { nonce: 4 })]))[0], ErrorCode.TX_NONCE_TOO_LOW);
    rejected((await mp.admit([signed(e, k2, { nonce: 8 })]))[0], ErrorCode.TX_NONCE_TOO_HIGH);
    assert.equal(mp.size, 4);
  });

  test(`${id}: caps and duplicates: account limit, full pool, duplicate, nonce pending`, async () => {
    const e = env(id);
    const { mp } = e;
    const a = keyOf(e);
    const b = keyOf(e);
    const c = keyOf(e);
    const aTxs = [0, 1, 2].map((n) => signed(e, a, { nonce: n }));
    for (const r of await mp.admit(aTxs)) accepted(r);
    // TX_ACCOUNT_PENDING_LIMIT: the account's committed nonce moved to 1 while its 3 txs are
    // still pending, so nonce 3 is inside the window but the account is at its cap.
    e.nonces.set(addr(e, a), 1);
    rejected((await mp.admit([signed(e, a, { nonce: 3 })]))[0], ErrorCode.TX_ACCOUNT_PENDING_LIMIT);
    // A resend from the full account reports the cap first (admission order: caps before dedup).
    e.nonces.set(addr(e, a), 0);
    rejected((await mp.admit([aTxs[1]]))[0], ErrorCode.TX_ACCOUNT_PENDING_LIMIT);

    const b0 = signed(e, b, { nonce: 0 });
    accepted((await mp.admit([b0]))[0]);
    // TX_DUPLICATE and TX_NONCE_PENDING while there is still room.
    rejected((await mp.admit([b0]))[0], ErrorCode.TX_DUPLICATE);
    rejected((await mp.admit([signed(e, b, { nonce: 0, memo: "different" })]))[0], ErrorCode.TX_NONCE_PENDING);
    accepted((await mp.admit([signed(e, b, { nonce: 1 })]))[0]);
    assert.equal(mp.size, 5);
    const before = snapshot(mp);
    // TX_MEMPOOL_FULL for a new sender, and (caps before dedup) for a resend too.
    rejected((await mp.admit([signed(e, c, { nonce: 0 })]))[0], ErrorCode.TX_MEMPOOL_FULL);
    rejected((await mp.admit([b0]))[0], ErrorCode.TX_MEMPOOL_FULL);
    assert.deepEqual(snapshot(mp), before);
    // Room again after a removal.
    mp.remove(before.order[0]);
    accepted((await mp.admit([signed(e, c, { nonce: 0 })]))[0]);
    assert.equal(mp.size, 5);
  });

  test(`${id}: a batch answers in input order with good and bad mixed, consecutive nonces included`, async () => {
    const e = env(id, { maxPendingTotal: 100, maxPendingPerAccount: 10 });
    const { mp, suite } = e;
    const a = keyOf(e);
    const b = keyOf(e);
    const goodA0 = signed(e, a, { nonce: 0 });
    const goodA1 = signed(e, a, { nonce: 1 });
    const goodB0 = signed(e, b, { nonce: 0 });
    const s = signTx(suite, body(e, b, { nonce: 1 }), b.secretKey);
    const badSig = encode([TX_VERSION, s.bodyBytes, s.publicKey, new Uint8Array(s.signature).reverse()]);
    const batch = [goodA1, Uint8Array.of(1, 2, 3), goodA0, badSig, goodB0, goodA0, signed(e, b, { nonce: 2, chain: "x" }), signed(e, a, { nonce: 2 })];
    const rs = await mp.admit(batch);
    assert.equal(rs.length, batch.length);
    // goodA1 before goodA0 in the batch: pipelined nonces do not need to arrive in order.
    const hA1 = accepted(rs[0]);
    rejected(rs[1], ErrorCode.TX_MALFORMED);
    const hA0 = accepted(rs[2]);
    rejected(rs[3], ErrorCode.TX_BAD_SIGNATURE);
    const hB0 = accepted(rs[4]);
    rejected(rs[5], ErrorCode.TX_DUPLICATE, "second copy in the same batch");
    rejected(rs[6], ErrorCode.TX_WRONG_CHAIN);
    const hA2 = accepted(rs[7]);
    assert.equal(hA0, toHex(txHash(suite, { bodyBytes: encodeTxBody(body(e, a, { nonce: 0 })) })));
    assert.deepEqual(snapshot(mp).order, [hA1, hA0, hB0, hA2], "arrival order is batch order among the accepted");
    assert.ok(mp.has(hA0) && !mp.has(toHex(s.bodyBytes)));
    assert.equal(mp.get(hB0)?.sender, addr(e, b));
    assert.deepEqual(await mp.admit([]), []);
  });
}

test("candidates() yields arrival order; remove() works while iterating and is idempotent", async () => {
  const e = env("ed25519-sha256", { maxPendingTotal: 100, maxPendingPerAccount: 20 });
  const { mp } = e;
  const keys = [keyOf(e), keyOf(e), keyOf(e)];
  const hashes: string[] = [];
  for (let round = 0; round < 4; round++) for (const k of keys) hashes.push(accepted((await mp.admit([signed(e, k, { nonce: round })]))[0]));
  assert.deepEqual([...mp.candidates()].map((p) => p.hashHex), hashes);
  assert.deepEqual([...mp.candidates()].map((p) => p.seq), [...hashes.keys()], "seq numbers follow arrival");

  // Remove the current entry and one not yet reached while iterating.
  const seen: string[] = [];
  for (const p of mp.candidates()) {
    seen.push(p.hashHex);
    if (seen.length === 2) mp.remove(p.hashHex);
    if (seen.length === 3) mp.remove(hashes[7]);
  }
  assert.deepEqual(seen, hashes.filter((h) => h !== hashes[7]), "a removed later entry is skipped");
  assert.equal(mp.size, hashes.length - 2);
  assert.ok(!mp.has(hashes[1]) && !mp.has(hashes[7]));
  mp.remove(hashes[1]);
  mp.remove("00".repeat(32));
  assert.equal(mp.size, hashes.length - 2);
  // The snapshot does not include transactions admitted during the iteration.
  const it = mp.candidates();
  const first = it.next();
  assert.equal(first.done, false);
  const late = accepted((await mp.admit([signed(e, keyOf(e), { nonce: 0 })]))[0]);
  const rest = [...it].map((p) => p.hashHex);
  assert.ok(!rest.includes(late));
  assert.equal([...mp.candidates()].at(-1)?.hashHex, late);
  // Removing frees the nonce: the same nonce can be admitted again with another body.
  mp.remove(hashes[0]);
  accepted((await mp.admit([signed(e, keys[0], { nonce: 0, memo: "replacement" })]))[0]);
});

test("candidates() survives removing thousands of entries while iterating (queue compaction)", async () => {
  // The proposer removes expired and stale transactions while it walks candidates(); once more
  // than 4096 entries at the head are removed the queue is compacted.
  const N = 5000;
  const e = env("ed25519-sha256", { maxPendingTotal: N, maxPendingPerAccount: N });
  const { mp } = e;
  const k = keyOf(e);
  const raws: Uint8Array[] = [];
  for (let n = 0; n < N; n++) raws.push(signed(e, k, { nonce: n }));
  const rs = await mp.admit(raws);
  const hashes = rs.map((r) => accepted(r));
  assert.equal(mp.size, N);
  let yielded = 0;
  for (const p of mp.candidates()) {
    assert.equal(p.hashHex, hashes[yielded], `entry ${yielded} out of order`);
    yielded++;
    mp.remove(p.hashHex);
  }
  assert.equal(yielded, N, "every candidate is yielded exactly once");
  assert.equal(mp.size, 0);
  assert.deepEqual([...mp.candidates()], []);
  // Still usable afterwards, in order.
  const again = [N, N + 1].map((n) => signed(e, k, { nonce: n }));
  e.nonces.set(addr(e, k), N);
  const hs = (await mp.admit(again)).map((r) => accepted(r));
  assert.deepEqual([...mp.candidates()].map((p) => p.hashHex), hs);
});

test("the verify pool answers in order (a batch split across both workers) and closes cleanly", async () => {
  const suite = getNodeSuite("ed25519-sha256");
  const pool = new VerifyPool("ed25519-sha256", 2);
  assert.equal(pool.size, 2);
  const kp = suite.generateKeyPair();
  const items = Array.from({ length: 100 }, (_, i) => {
    const message = new Uint8Array([i, i + 1]);
    const signature = suite.sign(message, kp.secretKey);
    if (i % 7 === 3) signature[0] ^= 1;
    return { message, signature, publicKey: kp.publicKey };
  });
  const out = await pool.verify(items);
  assert.deepEqual(out, items.map((_, i) => i % 7 !== 3));
  assert.deepEqual(await pool.verify([]), []);
  // A verification in flight when the pool closes fails instead of hanging.
  const inFlight = assert.rejects(pool.verify(items), (err: unknown) => err instanceof CivitasError && err.code === ErrorCode.API_UNAVAILABLE);
  await pool.close();
  await inFlight;
  await assert.rejects(pool.verify(items), (err: unknown) => err instanceof CivitasError && err.code === ErrorCode.API_UNAVAILABLE);
  // A mempool over a closed pool refuses work without touching its state.
  const mp = new Mempool(OPTS, { pool, accountNonce: () => 0, now: () => NOW });
  const k = suite.generateKeyPair();
  const raw = signTx(suite, { chain: CHAIN, from: fromHex(suite.address(k.publicKey)), nonce: 0, expires: NOW + 1000, gasLimit: 100_000, calls: [transfer], memo: "" }, k.secretKey).bytes;
  await assert.rejects(mp.admit([raw]), (err: unknown) => err instanceof CivitasError && err.code === ErrorCode.API_UNAVAILABLE);
  assert.equal(mp.size, 0);
  await pool.close(); // idempotent
});
