/**
 * Every bad input gets a 4xx with a stable `code` in `{ code, message, details }` and changes
 * nothing: head height, balances, nonces and the mempool are checked after each group.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { encode } from "../../src/codec/index.js";
import { intrinsicGas } from "../../src/execution/gas.js";
import { txHash } from "../../src/ledger/tx.js";
import type { SignedTx } from "../../src/ledger/tx.js";
import { toHex } from "../../src/util/bytes.js";
import { DevNode, hexOf, newAccount, sleep } from "./helpers/devnode.js";
import type { HttpResult, TestAccount } from "./helpers/devnode.js";
import { builtinModules } from "../../src/modules/index.js";

const T = { timeout: 30_000 };

/** Asserts an error answer: the status, the code, and exactly the documented shape. */
function expectError(r: HttpResult, status: number, code: string, what = ""): void {
  assert.equal(r.status, status, `${what}: status (body ${r.text.slice(0, 300)})`);
  assert.ok(r.body && typeof r.body === "object", `${what}: JSON body`);
  assert.deepEqual(Object.keys(r.body).sort(), ["code", "details", "message"], `${what}: {code, message, details}`);
  assert.equal(r.body.code, code, `${what}: code (message: ${r.body.message})`);
  assert.equal(typeof r.body.message, "string");
  assert.ok(r.body.message.length > 0);
  assert.ok(r.body.details !== null && typeof r.body.details === "object" && !Array.isArray(r.body.details));
}

interface Snapshot {
  head: number;
  pending: number;
  accounts: Array<{ address: string; nonce: number; balance: string }>;
}

async function snapshot(dev: DevNode): Promise<Snapshot> {
  const status = await dev.client.status();
  const accounts = [];
  for (const a of dev.accounts) {
    const acct = await dev.client.getAccount(a.address);
    accounts.push({ address: a.address, nonce: acct.nonce, balance: acct.balance });
  }
  return { head: status.head.height, pending: (status.mempool as { pending: number }).pending, accounts };
}

/** Waits out a few block intervals, then requires that nothing moved. */
async function assertUnchanged(dev: DevNode, before: Snapshot): Promise<void> {
  await sleep(4 * dev.genesis.blockIntervalMs);
  assert.deepEqual(await snapshot(dev), before, "rejected input changed nothing");
}

function withSignature(tx: SignedTx, signature: Uint8Array, publicKey = tx.publicKey): string {
  return toHex(encode([1, tx.bodyBytes, publicKey, signature]));
}

describe("API errors on a producing node", () => {
  let dev: DevNode;
  let a1: TestAccount;
  let a2: TestAccount;
  let snap: Snapshot;

  const submit = (tx: SignedTx | string): Promise<HttpResult> => dev.post("/v1/txs", { tx: typeof tx === "string" ? tx : hexOf(tx) });
  const transferCall = (to: string, amount = "1n"): { module: string; method: string; args: Record<string, unknown> } => ({ module: "token", method: "transfer", args: { to, amount } });

  before(async () => {
    dev = await DevNode.start({
      chainId: "e2e-errors",
      accounts: 3,
      maxTxBytes: 2048,
      maxTxExpiryMs: 60_000,
      api: { maxBatchTxs: 10, bodyLimitBytes: 16_384, maxWaitMs: 10_000 },
    });
    [, a1, a2] = dev.accounts;
    snap = await snapshot(dev);
  });

  after(async () => {
    await dev?.stop();
  });

  test("request shape: malformed JSON, neither or both of tx/txs, wrong types, bad waitMs", T, async () => {
    const tx = hexOf(dev.transfer(a1, a2.address, 1n, 0));
    expectError(await dev.http("POST", "/v1/txs", undefined, { raw: '{"tx": "00' }), 400, "API_BAD_REQUEST", "truncated JSON");
    expectError(await dev.http("POST", "/v1/txs", undefined, { raw: "not json at all" }), 400, "API_BAD_REQUEST", "not JSON");
    expectError(await dev.http("POST", "/v1/txs", undefined, { raw: tx, contentType: "text/plain" }), 400, "API_BAD_REQUEST", "text/plain body");
    expectError(await dev.http("POST", "/v1/txs"), 400, "API_BAD_REQUEST", "no body");
    expectError(await dev.post("/v1/txs", {}), 400, "API_BAD_REQUEST", "neither tx nor txs");
    expectError(await dev.post("/v1/txs", { tx, txs: [tx] }), 400, "API_BAD_REQUEST", "both tx and txs");
    expectError(await dev.post("/v1/txs", { tx, extra: 1 }), 400, "API_BAD_REQUEST", "unknown field");
    expectError(await dev.post("/v1/txs", { tx: 42 }), 400, "API_BAD_REQUEST", "tx not a string");
    expectError(await dev.post("/v1/txs", { txs: tx }), 400, "API_BAD_REQUEST", "txs not an array");
    expectError(await dev.post("/v1/txs", { txs: [] }), 400, "API_BAD_REQUEST", "empty txs");
    expectError(await dev.post("/v1/txs", { tx, waitMs: -1 }), 400, "API_BAD_REQUEST", "negative waitMs");
    expectError(await dev.post("/v1/txs", { tx, waitMs: 1.5 }), 400, "API_BAD_REQUEST", "fractional waitMs");
    const tooLong = await dev.post("/v1/txs", { tx, waitMs: 10_001 });
    expectError(tooLong, 400, "API_BAD_REQUEST", "waitMs over maxWaitMs");
    assert.equal(tooLong.body.details.max, 10_000);
    await assertUnchanged(dev, snap);
  });

  test("undecodable transactions: non-hex, garbage CBOR, wrong structure → TX_MALFORMED", T, async () => {
    const good = dev.transfer(a1, a2.address, 1n, 0);
    const cases: Array<[string, string]> = [
      ["not hex", "zz"],
      ["upper-case hex", hexOf(good).toUpperCase()],
      ["odd length", "abc"],
      ["empty", ""],
      ["truncated CBOR", hexOf(good).slice(0, 40)],
      ["garbage CBOR", "ff00ff00ff00"],
      ["a CBOR integer", "00"],
      ["trailing bytes", hexOf(good) + "00"],
      ["array of 3", toHex(encode([1, good.bodyBytes, good.publicKey]))],
      ["body not bytes", toHex(encode([1, "body", good.publicKey, good.signature]))],
      ["version 2", toHex(encode([2, good.bodyBytes, good.publicKey, good.signature]))],
      ["body not a tx body", toHex(encode([1, encode({ v: 1, chain: dev.chainId }), good.publicKey, good.signature]))],
      ["random bytes", toHex(crypto.getRandomValues(new Uint8Array(80)))],
    ];
    for (const [what, hex] of cases) expectError(await submit(hex), 400, "TX_MALFORMED", what);
    const r = await submit("0xzz");
    expectError(r, 400, "TX_MALFORMED", "0x-prefixed non-hex");
    // Limits enforced while decoding the body are reported as malformed too.
    const manyCalls = dev.sign(a1, { nonce: 0, calls: Array.from({ length: 17 }, () => transferCall(a2.address)) });
    expectError(await submit(manyCalls), 400, "TX_TOO_MANY_CALLS", "17 calls");
    expectError(await submit(dev.sign(a1, { nonce: 0, calls: [] })), 400, "TX_MALFORMED", "no calls");
    expectError(await submit(dev.transfer(a1, a2.address, 1n, 0, { memo: "m".repeat(257) })), 400, "TX_MEMO_TOO_LARGE", "memo of 257 chars");
    await assertUnchanged(dev, snap);
  });

  test("calls: unknown module, unknown method, bad arguments", T, async () => {
    const one = (call: { module: string; method: string; args: Record<string, unknown> }): SignedTx => dev.sign(a1, { nonce: 0, calls: [call] });
    const r1 = await submit(one({ module: "bank", method: "transfer", args: {} }));
    expectError(r1, 400, "TX_UNKNOWN_MODULE", "unknown module");
    assert.deepEqual(r1.body.details.known, builtinModules().map((m) => m.name).sort());
    const r2 = await submit(one({ module: "token", method: "steal", args: {} }));
    expectError(r2, 400, "TX_UNKNOWN_METHOD", "unknown method");
    assert.deepEqual(r2.body.details.known, ["burn", "mint", "transfer"]);
    expectError(await submit(one({ module: "token", method: "toString", args: {} })), 400, "TX_UNKNOWN_METHOD", "inherited property name");
    const bad: Array<[string, Record<string, unknown>]> = [
      ["amount as text", { to: a2.address, amount: "ten" }],
      ["negative amount", { to: a2.address, amount: -5 }],
      ["address upper-case", { to: a2.address.toUpperCase().replace("0X", "0x"), amount: "1n" }],
      ["address too short", { to: "0x1234", amount: "1n" }],
      ["address as bytes", { to: new Uint8Array(20), amount: "1n" }],
      ["missing to", { amount: "1n" }],
      ["missing amount", { to: a2.address }],
      ["extra argument", { to: a2.address, amount: "1n", note: "hi" }],
    ];
    for (const [what, args] of bad) {
      const r = await submit(one({ module: "token", method: "transfer", args }));
      expectError(r, 400, "TX_BAD_ARGS", what);
      assert.equal(typeof r.body.details.argument, "string", `${what}: names the argument`);
    }
    // The second call of a transaction is checked as strictly as the first.
    const second = dev.sign(a1, { nonce: 0, calls: [transferCall(a2.address), { module: "kv", method: "put", args: { namespace: "Bad Name", key: "k", value: "v" } }] });
    expectError(await submit(second), 400, "TX_BAD_ARGS", "bad second call");
    await assertUnchanged(dev, snap);
  });

  test("signatures and senders: flipped signature byte, foreign key, wrong lengths, wrong chain", T, async () => {
    const tx = dev.transfer(a1, a2.address, 1n, 0);
    for (const i of [0, 31, 32, 63]) {
      const sig = new Uint8Array(tx.signature);
      sig[i] ^= 0x01;
      expectError(await submit(withSignature(tx, sig)), 400, "TX_BAD_SIGNATURE", `flipped signature byte ${i}`);
    }
    // A signature by a2 over a1's body.
    const other = dev.transfer(a2, a2.address, 1n, 0);
    expectError(await submit(withSignature(tx, dev.suite.sign(new Uint8Array([1, 2, 3]), a2.secretKey), tx.publicKey)), 400, "TX_BAD_SIGNATURE", "signature over other bytes");
    expectError(await submit(withSignature(tx, other.signature)), 400, "TX_BAD_SIGNATURE", "signature of another tx");
    expectError(await submit(withSignature(tx, tx.signature.subarray(0, 63))), 400, "TX_BAD_SIGNATURE", "63-byte signature");
    expectError(await submit(withSignature(tx, new Uint8Array(64))), 400, "TX_BAD_SIGNATURE", "zero signature");
    // a2 signs a body that claims to come from a1: the key does not belong to `from`.
    const spoof = dev.sign(a2, { nonce: 0, from: a1.address, calls: [transferCall(a2.address, "1000n")] });
    expectError(await submit(spoof), 400, "TX_BAD_SENDER", "key not matching from");
    // a1's body with a2's public key attached (and a2's valid signature over it).
    expectError(await submit(withSignature(tx, spoof.signature, a2.wallet.publicKey)), 400, "TX_BAD_SENDER", "swapped public key");
    // An SM2 key on an ed25519 chain.
    const sm = newAccount("sm2-sm3");
    expectError(await submit(withSignature(tx, tx.signature, sm.wallet.publicKey)), 400, "TX_BAD_SIGNATURE", "public key of another suite");
    const wrong = await submit(dev.sign(a1, { nonce: 0, chain: "other-chain", calls: [transferCall(a2.address)] }));
    expectError(wrong, 400, "TX_WRONG_CHAIN", "wrong chain id");
    assert.deepEqual(wrong.body.details, { expected: "e2e-errors", got: "other-chain" });
    await assertUnchanged(dev, snap);
  });

  test("expiry and gas limits", T, async () => {
    expectError(await submit(dev.sign(a1, { nonce: 0, expires: Date.now() - 60_000, calls: [transferCall(a2.address)] })), 400, "TX_EXPIRED", "expired");
    expectError(await submit(dev.sign(a1, { nonce: 0, expires: Date.now() + 60_000 + 120_000, calls: [transferCall(a2.address)] })), 400, "TX_EXPIRY_TOO_FAR", "expiry beyond maxTxExpiryMs");
    const high = await submit(dev.transfer(a1, a2.address, 1n, 0, { gasLimit: 10_000_001 }));
    expectError(high, 400, "TX_GAS_LIMIT_TOO_HIGH", "gas over maxTxGas");
    assert.equal(high.body.details.limit, 10_000_000);
    expectError(await submit(dev.transfer(a1, a2.address, 1n, 0, { gasLimit: 100 })), 400, "TX_GAS_LIMIT_TOO_LOW", "gas 100");
    // One below the intrinsic cost of its own bytes.
    let gasLimit = 5_000;
    let tx = dev.transfer(a1, a2.address, 1n, 0, { gasLimit });
    for (let i = 0; i < 5 && gasLimit !== intrinsicGas(tx.bytes.length, 1) - 1; i++) {
      gasLimit = intrinsicGas(tx.bytes.length, 1) - 1;
      tx = dev.transfer(a1, a2.address, 1n, 0, { gasLimit });
    }
    const low = await submit(tx);
    expectError(low, 400, "TX_GAS_LIMIT_TOO_LOW", "intrinsic - 1");
    assert.equal(low.body.details.intrinsic, gasLimit + 1);
    await assertUnchanged(dev, snap);
  });

  test("sizes: oversized tx (413 TX_TOO_LARGE), oversized batch, body over bodyLimitBytes", T, async () => {
    const big = dev.sign(a1, { nonce: 0, calls: [{ module: "kv", method: "put", args: { namespace: "ns", key: "k", value: "x".repeat(3000) } }] });
    assert.ok(big.bytes.length > 2048);
    const r = await submit(big);
    expectError(r, 413, "TX_TOO_LARGE", "tx over maxTxBytes");
    assert.equal(r.body.details.limit, 2048);
    const eleven = Array.from({ length: 11 }, (_, i) => hexOf(dev.transfer(a1, a2.address, 1n, i)));
    const b = await dev.post("/v1/txs", { txs: eleven });
    expectError(b, 413, "TX_BATCH_TOO_LARGE", "11 txs with maxBatchTxs 10");
    assert.deepEqual(b.body.details, { limit: 10, got: 11 });
    const huge = await dev.http("POST", "/v1/txs", undefined, { raw: JSON.stringify({ tx: "00".repeat(9000) }) });
    expectError(huge, 413, "API_BODY_TOO_LARGE", "body over 16 KiB");
    await assertUnchanged(dev, snap);
  });

  test("nonces: replay after commit (TX_NONCE_TOO_LOW), too far ahead (TX_NONCE_TOO_HIGH)", T, async () => {
    const tx = dev.transfer(a1, a2.address, 10n, 0);
    const ok = await dev.post("/v1/txs", { tx: hexOf(tx), waitMs: 10_000 });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.status, "committed");
    snap = await snapshot(dev);
    assert.equal(snap.accounts[1].nonce, 1);

    const replay = await submit(tx);
    expectError(replay, 400, "TX_NONCE_TOO_LOW", "same tx again after commit");
    assert.deepEqual(replay.body.details, { expected: 1, got: 0 });
    expectError(await submit(dev.transfer(a1, a2.address, 11n, 0)), 400, "TX_NONCE_TOO_LOW", "new tx with a used nonce");
    const ahead = await submit(dev.transfer(a1, a2.address, 1n, 1 + 1000));
    expectError(ahead, 400, "TX_NONCE_TOO_HIGH", "nonce next + maxPendingPerAccount");
    assert.deepEqual(ahead.body.details, { expected: 1, got: 1001 });
    await assertUnchanged(dev, snap);
  });

  test("a batch answers good and bad entries one by one; only the good ones commit", T, async () => {
    const n = snap.accounts[1].nonce;
    const good1 = dev.transfer(a1, a2.address, 5n, n);
    const good2 = dev.transfer(a1, a2.address, 6n, n + 1);
    const badSig = new Uint8Array(dev.transfer(a2, a1.address, 1n, 0).bytes);
    badSig[badSig.length - 1] ^= 0xff;
    const entries = [
      hexOf(good1),
      "zz",
      hexOf(dev.sign(a2, { nonce: 0, calls: [{ module: "bank", method: "x", args: {} }] })),
      hexOf(good2),
      hexOf(good1),
      hexOf(badSig),
      hexOf(dev.transfer(a2, a1.address, 1n, 0, { gasLimit: 10 })),
    ];
    const r = await dev.post("/v1/txs", { txs: entries, waitMs: 10_000 });
    assert.equal(r.status, 202);
    assert.equal(r.body.accepted, 2);
    assert.equal(r.body.rejected, 5);
    assert.equal(r.body.committed, 2);
    const res = r.body.results as Array<{ hash?: string; error?: { code: string; message: string; details: object } }>;
    assert.equal(res.length, entries.length);
    assert.deepEqual(res[0], { hash: toHex(txHash(dev.suite, good1)) });
    assert.deepEqual(res[3], { hash: toHex(txHash(dev.suite, good2)) });
    const codes = res.map((x) => x.error?.code ?? "ok");
    assert.deepEqual(codes, ["ok", "TX_MALFORMED", "TX_UNKNOWN_MODULE", "ok", "TX_DUPLICATE", "TX_BAD_SIGNATURE", "TX_GAS_LIMIT_TOO_LOW"]);
    for (const x of res) if (x.error) assert.deepEqual(Object.keys(x.error).sort(), ["code", "details", "message"]);
    assert.equal(res[1].error?.details && (res[1].error.details as { index: number }).index, 1, "malformed entry names its index");

    const now = await snapshot(dev);
    assert.equal(now.accounts[1].nonce, n + 2);
    assert.equal(BigInt(now.accounts[1].balance), BigInt(snap.accounts[1].balance) - 11n);
    assert.equal(BigInt(now.accounts[2].balance), BigInt(snap.accounts[2].balance) + 11n);
    assert.equal(now.accounts[2].nonce, 0);
    snap = now;

    // Nothing acceptable: 400, still answered per item.
    const none = await dev.post("/v1/txs", { txs: ["zz", hexOf(good1)] });
    assert.equal(none.status, 400);
    assert.equal(none.body.accepted, 0);
    assert.equal(none.body.rejected, 2);
    assert.deepEqual(none.body.results.map((x: { error: { code: string } }) => x.error.code), ["TX_MALFORMED", "TX_NONCE_TOO_LOW"]);
    await assertUnchanged(dev, snap);
  });

  test("reads: unknown or malformed tx hashes, blocks, routes, queries, accounts, events", T, async () => {
    const zero = "00".repeat(32);
    const nf = await dev.get(`/v1/txs/${zero}`);
    expectError(nf, 404, "TX_NOT_FOUND", "unknown tx");
    assert.equal(nf.body.details.hash, zero);
    expectError(await dev.get(`/v1/txs/${zero}?waitMs=200`), 404, "TX_NOT_FOUND", "unknown tx does not wait");
    expectError(await dev.get("/v1/txs/xyz"), 400, "API_BAD_REQUEST", "short hash");
    expectError(await dev.get(`/v1/txs/${"AB".repeat(32)}`), 400, "API_BAD_REQUEST", "upper-case hash");
    expectError(await dev.get(`/v1/txs/${zero}00`), 400, "API_BAD_REQUEST", "33-byte hash");
    expectError(await dev.get(`/v1/txs/${zero}?waitMs=abc`), 400, "API_BAD_REQUEST", "waitMs not a number");
    expectError(await dev.get(`/v1/txs/${zero}?waitMs=10001`), 400, "API_BAD_REQUEST", "waitMs over max");

    expectError(await dev.get("/v1/blocks/999999"), 404, "BLOCK_NOT_FOUND", "future height");
    expectError(await dev.get(`/v1/blocks/${"ab".repeat(32)}`), 404, "BLOCK_NOT_FOUND", "unknown block hash");
    expectError(await dev.get("/v1/blocks/nope"), 400, "API_BAD_REQUEST", "not a height or hash");
    expectError(await dev.get("/v1/blocks/-1"), 400, "API_BAD_REQUEST", "negative height");

    expectError(await dev.get("/v1/nothing"), 404, "API_NOT_FOUND", "unknown route");
    expectError(await dev.get("/"), 404, "API_NOT_FOUND", "root");
    expectError(await dev.http("DELETE", "/v1/txs"), 404, "API_NOT_FOUND", "unknown method");
    expectError(await dev.http("PUT", "/v1/blocks/1", {}), 404, "API_NOT_FOUND", "PUT on a GET route");

    expectError(await dev.get("/v1/query/token/nope"), 404, "QUERY_UNKNOWN", "unknown query");
    expectError(await dev.get("/v1/query/bank/balance"), 404, "QUERY_UNKNOWN", "unknown module");
    expectError(await dev.get("/v1/query/token/constructor"), 404, "QUERY_UNKNOWN", "inherited property name");
    expectError(await dev.get("/v1/query/token/balance?address=xyz"), 400, "TX_BAD_ARGS", "bad address argument");
    expectError(await dev.get("/v1/query/token/balance"), 400, "TX_BAD_ARGS", "missing argument");
    expectError(await dev.get(`/v1/query/token/balance?address=${a1.address}&foo=1`), 400, "TX_BAD_ARGS", "extra argument");
    expectError(await dev.get(`/v1/query/token/balance?address=${a1.address}&height=999999`), 400, "API_BAD_REQUEST", "height beyond head");
    expectError(await dev.get(`/v1/query/token/balance?address=${a1.address}&height=-1`), 400, "API_BAD_REQUEST", "negative height");
    expectError(await dev.get(`/v1/query/token/balance?address=${a1.address}&height=1.5`), 400, "API_BAD_REQUEST", "fractional height");

    expectError(await dev.get("/v1/accounts/xyz"), 400, "API_BAD_REQUEST", "bad address");
    expectError(await dev.get(`/v1/accounts/${a1.address.toUpperCase().replace("0X", "0x")}`), 400, "API_BAD_REQUEST", "upper-case address");
    expectError(await dev.get(`/v1/accounts/${a1.address}?limit=101`), 400, "API_BAD_REQUEST", "limit over 100");
    expectError(await dev.get(`/v1/accounts/${a1.address}/txs?limit=0`), 400, "API_BAD_REQUEST", "limit 0");
    expectError(await dev.get(`/v1/accounts/${a1.address}/txs?before=x`), 400, "API_BAD_REQUEST", "before not a number");

    expectError(await dev.get("/v1/events"), 400, "API_BAD_REQUEST", "events without type");
    expectError(await dev.get("/v1/events?type=Transfer"), 400, "API_BAD_REQUEST", "type without module");
    expectError(await dev.get("/v1/events?type=token.Transfer&limit=0"), 400, "API_BAD_REQUEST", "limit 0");
    expectError(await dev.get("/v1/events?type=token.Transfer&fromHeight=x"), 400, "API_BAD_REQUEST", "fromHeight not a number");
    await assertUnchanged(dev, snap);
  });
});

describe("API errors that need transactions to stay pending", () => {
  let dev: DevNode;

  before(async () => {
    // No block for ten minutes: whatever is admitted stays in the mempool for the whole test.
    dev = await DevNode.start({ chainId: "e2e-pending", accounts: 3, blockIntervalMs: 600_000, mempool: { maxPendingPerAccount: 3 } });
  });

  after(async () => {
    await dev?.stop();
  });

  test("TX_DUPLICATE, TX_NONCE_PENDING, TX_ACCOUNT_PENDING_LIMIT and TX_NONCE_TOO_HIGH against pending txs", T, async () => {
    const [, a1, a2] = dev.accounts;
    const tx0 = dev.transfer(a1, a2.address, 1n, 0);
    const first = await dev.post("/v1/txs", { tx: hexOf(tx0) });
    assert.equal(first.status, 202);
    const hash0 = toHex(txHash(dev.suite, tx0));
    assert.deepEqual(first.body, { hash: hash0, status: "pending" });

    const dup = await dev.post("/v1/txs", { tx: hexOf(tx0) });
    expectError(dup, 409, "TX_DUPLICATE", "same tx twice");
    assert.equal(dup.body.details.hash, hash0);
    const samenonce = await dev.post("/v1/txs", { tx: hexOf(dev.transfer(a1, a2.address, 2n, 0)) });
    expectError(samenonce, 409, "TX_NONCE_PENDING", "same nonce, other tx");
    assert.equal(samenonce.body.details.nonce, 0);

    // Pending lookups, with and without a (timed-out) wait.
    const p = await dev.get(`/v1/txs/${hash0}`);
    assert.equal(p.status, 200);
    assert.equal(p.body.status, "pending");
    assert.equal(p.body.raw, hexOf(tx0));
    assert.equal(p.body.receipt, undefined);
    const t0 = Date.now();
    const waited = await dev.get(`/v1/txs/${hash0}?waitMs=200`);
    assert.ok(Date.now() - t0 >= 190, "the request waited");
    assert.equal(waited.body.status, "pending");
    const sw = await dev.post("/v1/txs", { tx: hexOf(dev.transfer(a1, a2.address, 1n, 1)), waitMs: 150 });
    assert.equal(sw.status, 202);
    assert.equal(sw.body.status, "pending");
    assert.equal(sw.body.height, null);

    // Nonces 0..2 fill the account's three slots.
    assert.equal((await dev.post("/v1/txs", { tx: hexOf(dev.transfer(a1, a2.address, 1n, 2)) })).status, 202);
    const full = await dev.post("/v1/txs", { tx: hexOf(dev.transfer(a1, a2.address, 9n, 1)) });
    expectError(full, 400, "TX_ACCOUNT_PENDING_LIMIT", "fourth pending tx of one account");
    assert.equal(full.body.details.limit, 3);
    const ahead = await dev.post("/v1/txs", { tx: hexOf(dev.transfer(a1, a2.address, 1n, 3)) });
    expectError(ahead, 400, "TX_NONCE_TOO_HIGH", "nonce beyond the pending window");

    // Batches see the same rules, in order, and the cap is per account.
    const batch = await dev.post("/v1/txs", {
      txs: [hexOf(dev.transfer(a2, a1.address, 1n, 0)), hexOf(dev.transfer(a2, a1.address, 2n, 0)), hexOf(dev.transfer(a2, a1.address, 3n, 1)), hexOf(dev.transfer(a1, a2.address, 4n, 2))],
    });
    assert.equal(batch.status, 202);
    assert.deepEqual(batch.body.results.map((x: { hash?: string; error?: { code: string } }) => x.error?.code ?? "ok"), ["ok", "TX_NONCE_PENDING", "ok", "TX_ACCOUNT_PENDING_LIMIT"]);

    const status = await dev.client.status();
    assert.equal((status.mempool as { pending: number }).pending, 5);
    assert.equal(status.head.height, 0, "nothing committed");
    for (const a of [a1, a2]) {
      const acct = await dev.client.getAccount(a.address);
      assert.equal(acct.nonce, 0);
      assert.equal(acct.balance, "1000000");
    }
  });
});

describe("API rate limit", () => {
  let dev: DevNode;

  before(async () => {
    dev = await DevNode.start({ chainId: "e2e-rate", accounts: 2, api: { rateLimitMax: 5, rateLimitWindowMs: 60_000 } });
  });

  after(async () => {
    await dev?.stop();
  });

  test("the request after rateLimitMax gets 429 API_RATE_LIMITED", T, async () => {
    for (let i = 0; i < 5; i++) assert.equal((await dev.get("/v1/health")).status, 200, `request ${i + 1}`);
    const r = await dev.get("/v1/health");
    expectError(r, 429, "API_RATE_LIMITED", "sixth request");
    assert.ok(r.headers.get("retry-after"), "says when to retry");
    expectError(await dev.post("/v1/txs", { tx: hexOf(dev.transfer(dev.accounts[1], dev.accounts[0].address, 1n, 0)) }), 429, "API_RATE_LIMITED", "POST after the limit");
    // The rejected POST was not admitted.
    assert.equal(dev.node.mempool.size, 0);
    assert.equal(dev.node.chain.head().height, 0);
  });
});
