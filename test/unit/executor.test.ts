/**
 * The executor with the built-in token and kv modules over an in-memory state: balances,
 * atomicity, gas, nonces and expiry, events, the canonical change set, and failures inside a
 * block that must become failed receipts rather than crashes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { asBigInt, decode, encode } from "../../src/codec/index.js";
import type { Obj } from "../../src/codec/index.js";
import { getNodeSuite } from "../../src/crypto/node-suites.js";
import type { BlockContext, StateChange, StateReader, TxOutcome } from "../../src/execution/executor.js";
import { accountKey, decodeAccount, execCrypto, Executor } from "../../src/execution/executor.js";
import { GAS, intrinsicGas } from "../../src/execution/gas.js";
import type { Module } from "../../src/execution/module.js";
import { ModuleRegistry } from "../../src/execution/registry.js";
import type { Receipt } from "../../src/ledger/receipt.js";
import { decodeReceipt, encodeReceipt } from "../../src/ledger/receipt.js";
import type { Call, SignedTx, TxBody } from "../../src/ledger/tx.js";
import { signTx, txHash } from "../../src/ledger/tx.js";
import { builtinModules } from "../../src/modules/index.js";
import { ACCESS_GAS_PER_CALL } from "../../src/modules/access/index.js";
import { compareBytes, fromHex, fromUtf8, toHex } from "../../src/util/bytes.js";
import { CivitasError, ErrorCode } from "../../src/util/errors.js";

const suite = getNodeSuite("ed25519-sha256");
const CHAIN = "exec-chain";
const TIME = 1_700_000_000_000;
const MAX_BLOCK_GAS = 10_000_000;

interface Account {
  sk: Uint8Array;
  addr: string;
  from: Uint8Array;
}
function account(label: string): Account {
  const sk = new Uint8Array(createHash("sha256").update(label).digest());
  const addr = suite.address(suite.publicKeyFromSecret(sk));
  return { sk, addr, from: fromHex(addr) };
}
const AUTH = account("authority");
const ALICE = account("alice");
const BOB = account("bob");
const CAROL = account("carol");

class MemState implements StateReader {
  readonly m = new Map<string, Uint8Array>();
  get(key: string): Uint8Array | undefined {
    return this.m.get(key);
  }
  apply(changes: StateChange[]): void {
    for (const c of changes) {
      const k = fromUtf8(c.key);
      if (c.value === undefined) this.m.delete(k);
      else this.m.set(k, c.value);
    }
  }
}

const registry = new ModuleRegistry(builtinModules());
const executor = new Executor(registry, execCrypto(getNodeSuite("ed25519-sha256")));

function chainState(balances: Array<[Account, bigint]> = [[ALICE, 1000n], [BOB, 50n]]): MemState {
  const s = new MemState();
  s.apply(executor.genesisChanges({ authority: AUTH.addr, validators: [], balances: balances.map(([a, amount]) => ({ address: a.addr, amount: amount.toString() })) }));
  return s;
}

const ctx = (over: Partial<BlockContext> = {}): BlockContext => ({ chain: CHAIN, height: 5, time: TIME, authority: AUTH.addr, ...over });

function tx(who: Account, calls: Call[], over: Partial<TxBody> = {}): { stx: SignedTx; hash: Uint8Array } {
  const body: TxBody = { chain: CHAIN, from: who.from, nonce: 0, expires: TIME + 60_000, gasLimit: 200_000, calls, memo: "", ...over };
  const stx = signTx(suite, body, who.sk);
  return { stx, hash: txHash(suite, stx) };
}
const transfer = (to: Account, amount: bigint | number): Call => ({ module: "token", method: "transfer", args: { to: to.addr, amount } });

function included(out: TxOutcome): Receipt {
  assert.ok(out.included, out.included ? "" : `not included: ${out.error.code} ${out.error.message}`);
  return out.receipt;
}
function notIncluded(out: TxOutcome, code: string): void {
  assert.ok(!out.included, "expected the transaction not to be included");
  assert.equal(out.error.code, code, out.error.message);
}

const bal = (s: StateReader, a: Account): bigint => {
  const v = s.get(`token/bal/${a.addr}`);
  return v ? (asBigInt(decode(v)) as bigint) : 0n;
};
const supply = (s: StateReader): bigint => {
  const v = s.get("token/supply");
  return v ? (asBigInt(decode(v)) as bigint) : 0n;
};
const nonce = (s: StateReader, a: Account): number => decodeAccount(s.get(accountKey(a.addr))).nonce;
const keysOf = (changes: StateChange[]): string[] => changes.map((c) => fromUtf8(c.key));

/** Runs one block over `s` and applies its changes; returns the outcomes. */
function runBlock(s: MemState, txs: Array<{ stx: SignedTx; hash: Uint8Array }>, maxBlockGas = MAX_BLOCK_GAS, c = ctx()): { outs: TxOutcome[]; changes: StateChange[]; gasUsed: number } {
  const run = executor.beginBlock(s, c);
  const outs = txs.map((t) => run.applyTx(t.stx, t.hash, maxBlockGas));
  const changes = run.finish();
  s.apply(changes);
  return { outs, changes, gasUsed: run.gasUsed };
}

// ---------------------------------------------------------------------------------------------

test("genesis changes set balances and the total supply, sorted by key bytes, zero balances skipped", () => {
  const changes = executor.genesisChanges({ authority: AUTH.addr, validators: [], balances: [{ address: BOB.addr, amount: "50" }, { address: ALICE.addr, amount: "18446744073709551000" }, { address: CAROL.addr, amount: "0" }] });
  for (let i = 1; i < changes.length; i++) assert.ok(compareBytes(changes[i - 1].key, changes[i].key) < 0);
  assert.deepEqual(keysOf(changes).filter((k) => !k.startsWith("access/")).sort(), [`token/bal/${ALICE.addr}`, `token/bal/${BOB.addr}`, "token/supply", "validators/set"].sort());
  const s = new MemState();
  s.apply(changes);
  assert.equal(bal(s, ALICE), 18446744073709551000n);
  assert.equal(bal(s, BOB), 50n);
  assert.equal(bal(s, CAROL), 0n);
  assert.equal(supply(s), 18446744073709551050n);
  // The access module's baseline policies are genesis state too (see test/unit/access-module.test.ts).
  assert.deepEqual(keysOf(executor.genesisChanges({ authority: AUTH.addr, validators: [], balances: [] })).filter((k) => !k.startsWith("access/")), ["validators/set"]);
});

test("transfer moves balances, consumes the nonce and emits a Transfer event", () => {
  const s = chainState();
  const t = tx(ALICE, [transfer(BOB, 10n)]);
  const { outs, changes } = runBlock(s, [t]);
  const r = included(outs[0]);
  assert.equal(r.status, "ok");
  assert.equal(r.code, null);
  assert.deepEqual(r.txHash, t.hash);
  assert.equal(bal(s, ALICE), 990n);
  assert.equal(bal(s, BOB), 60n);
  assert.equal(supply(s), 1050n, "a transfer does not change the supply");
  assert.equal(nonce(s, ALICE), 1);
  assert.equal(nonce(s, BOB), 0);
  assert.deepEqual(keysOf(changes).sort(), [accountKey(ALICE.addr), `token/bal/${ALICE.addr}`, `token/bal/${BOB.addr}`].sort());
  assert.equal(r.events.length, 1);
  assert.equal(r.events[0].module, "token");
  assert.equal(r.events[0].type, "Transfer");
  assert.deepEqual(r.events[0].accounts, [ALICE.from, BOB.from]);
  // Event amounts are decimal strings (u64 must survive JSON clients).
  assert.deepEqual(r.events[0].attrs, { from: ALICE.addr, to: BOB.addr, amount: "10" });
  // The receipt survives its own encoding.
  assert.deepEqual(decodeReceipt(encodeReceipt(r)), r);
});

test("transferring a whole balance deletes the key; a self-transfer changes nothing but the nonce", () => {
  const s = chainState();
  const { outs, changes } = runBlock(s, [tx(BOB, [transfer(ALICE, 50n)])]);
  assert.equal(included(outs[0]).status, "ok");
  const del = changes.find((c) => fromUtf8(c.key) === `token/bal/${BOB.addr}`);
  assert.ok(del && del.value === undefined, "an emptied balance is deleted, not stored as 0");
  assert.equal(s.get(`token/bal/${BOB.addr}`), undefined);
  const self = runBlock(s, [tx(ALICE, [transfer(ALICE, 7n)])]);
  const r = included(self.outs[0]);
  assert.equal(r.status, "ok");
  assert.equal(bal(s, ALICE), 1050n);
  assert.deepEqual(r.events[0].accounts, [ALICE.from], "the account is listed once");
});

test("insufficient balance: failed receipt, balances untouched, only the nonce changes", () => {
  const s = chainState();
  const { outs, changes } = runBlock(s, [tx(BOB, [transfer(ALICE, 51n)])]);
  const r = included(outs[0]);
  assert.equal(r.status, "failed");
  assert.equal(r.code, ErrorCode.EXEC_INSUFFICIENT_BALANCE);
  assert.match(r.message, /balance 50 is less than 51/);
  assert.deepEqual(r.events, []);
  assert.ok(r.gasUsed > 0);
  assert.deepEqual(keysOf(changes), [accountKey(BOB.addr)]);
  assert.equal(nonce(s, BOB), 1);
  assert.equal(bal(s, BOB), 50n);
  assert.equal(bal(s, ALICE), 1000n);
});

test("multi-call transactions are atomic: a failing later call reverts the earlier ones and their events", () => {
  const s = chainState();
  const failing = tx(ALICE, [transfer(BOB, 100n), { module: "kv", method: "createNamespace", args: { namespace: "alice" } }, transfer(CAROL, 5000n)]);
  const { outs, changes } = runBlock(s, [failing]);
  const r = included(outs[0]);
  assert.equal(r.status, "failed");
  assert.equal(r.code, ErrorCode.EXEC_INSUFFICIENT_BALANCE);
  assert.deepEqual(r.events, [], "events of the successful calls are dropped too");
  assert.deepEqual(keysOf(changes), [accountKey(ALICE.addr)]);
  assert.equal(bal(s, ALICE), 1000n);
  assert.equal(bal(s, BOB), 50n);
  assert.equal(s.get("kv/ns/alice"), undefined);
  // The same calls without the bad one all apply, in order, with one event each.
  const ok = tx(ALICE, [transfer(BOB, 100n), { module: "kv", method: "createNamespace", args: { namespace: "alice" } }, transfer(CAROL, 5n)], { nonce: 1 });
  const r2 = included(runBlock(s, [ok]).outs[0]);
  assert.equal(r2.status, "ok");
  assert.deepEqual(r2.events.map((e) => `${e.module}.${e.type}`), ["token.Transfer", "kv.NamespaceCreated", "token.Transfer"]);
  assert.equal(bal(s, ALICE), 895n);
  assert.equal(bal(s, BOB), 150n);
  assert.equal(bal(s, CAROL), 5n);
  assert.deepEqual(decode(s.get("kv/ns/alice") as Uint8Array), { owner: ALICE.addr, created: 5 });
});

test("out of gas reverts every call, charges exactly the limit and keeps the nonce consumed", () => {
  const s = chainState();
  // Probe the exact cost, then run the same transaction shape with one unit of gas too few.
  // The gas limit's own encoding length feeds the intrinsic cost, so probe twice: the second
  // probe's limit has the same CBOR width as cost - 1.
  const costWith = (gasLimit: number): { cost: number; len: number } => {
    const p = tx(ALICE, [transfer(BOB, 10n), transfer(CAROL, 10n)], { gasLimit });
    return { cost: included(executor.beginBlock(s, ctx()).applyTx(p.stx, p.hash, MAX_BLOCK_GAS)).gasUsed, len: p.stx.bytes.length };
  };
  const { cost } = costWith(costWith(100_000).cost);
  const short = tx(ALICE, [transfer(BOB, 10n), transfer(CAROL, 10n)], { gasLimit: cost - 1 });
  assert.equal(costWith(cost).cost, cost, "cost is a fixed point of its own limit width");
  assert.equal(short.stx.bytes.length, costWith(cost).len, "same byte length, so the same intrinsic cost");
  const { outs, changes } = runBlock(s, [short]);
  const r = included(outs[0]);
  assert.equal(r.status, "failed");
  assert.equal(r.code, ErrorCode.EXEC_OUT_OF_GAS);
  assert.equal(r.gasUsed, cost - 1);
  assert.deepEqual(r.events, []);
  assert.deepEqual(keysOf(changes), [accountKey(ALICE.addr)]);
  assert.equal(bal(s, ALICE), 1000n);
  assert.equal(bal(s, BOB), 50n);
  // With exactly the cost it succeeds.
  const exact = tx(ALICE, [transfer(BOB, 10n), transfer(CAROL, 10n)], { gasLimit: cost, nonce: 1 });
  const r2 = included(runBlock(s, [exact]).outs[0]);
  assert.equal(r2.status, "ok");
  assert.equal(r2.gasUsed, cost);
});

test("gas is charged deterministically and matches the published schedule", () => {
  const t = tx(ALICE, [transfer(BOB, 10n)]);
  const used = (): { gas: number; receipt: string; changes: string } => {
    const s = chainState();
    const run = executor.beginBlock(s, ctx());
    const r = included(run.applyTx(t.stx, t.hash, MAX_BLOCK_GAS));
    return { gas: r.gasUsed, receipt: toHex(encodeReceipt(r)), changes: JSON.stringify(run.finish().map((c) => [toHex(c.key), c.value && toHex(c.value)])) };
  };
  const a = used();
  const b = used();
  assert.deepEqual(a, b, "same tx, same state: same gas, receipt and changes");
  // Independent computation: alice 1000 -> 990 (3-byte values), bob 50 -> 60 (2-byte values).
  const keyLen = `bal/${ALICE.addr}`.length;
  const attrs = encode({ from: ALICE.addr, to: BOB.addr, amount: "10" }).length;
  const expected =
    intrinsicGas(t.stx.bytes.length, 1) +
    200 + // token.transfer
    ACCESS_GAS_PER_CALL + // the access guard's check of the call
    (GAS.readBase + GAS.readPerByte * encode(1000n).length) +
    (GAS.writeBase + GAS.writePerByte * (keyLen + encode(990n).length)) +
    (GAS.readBase + GAS.readPerByte * encode(50n).length) +
    (GAS.writeBase + GAS.writePerByte * (keyLen + encode(60n).length)) +
    (GAS.eventBase + GAS.eventPerByte * attrs);
  assert.equal(a.gas, expected);
  assert.equal(intrinsicGas(t.stx.bytes.length, 1), GAS.txBase + GAS.txPerByte * t.stx.bytes.length + GAS.callBase);
});

test("nonce too low, nonce too high and expired transactions are not included and change nothing", () => {
  const s = chainState();
  runBlock(s, [tx(ALICE, [transfer(BOB, 1n)])]);
  assert.equal(nonce(s, ALICE), 1);
  const run = executor.beginBlock(s, ctx({ height: 6 }));
  notIncluded(run.applyTx(tx(ALICE, [transfer(BOB, 1n)], { nonce: 0 }).stx, new Uint8Array(32), MAX_BLOCK_GAS), ErrorCode.TX_NONCE_TOO_LOW);
  notIncluded(run.applyTx(tx(ALICE, [transfer(BOB, 1n)], { nonce: 2 }).stx, new Uint8Array(32), MAX_BLOCK_GAS), ErrorCode.TX_NONCE_TOO_HIGH);
  notIncluded(run.applyTx(tx(ALICE, [transfer(BOB, 1n)], { nonce: 1, expires: TIME - 1 }).stx, new Uint8Array(32), MAX_BLOCK_GAS), ErrorCode.TX_EXPIRED);
  notIncluded(run.applyTx(tx(ALICE, [transfer(BOB, 1n)], { nonce: 1, chain: "other" }).stx, new Uint8Array(32), MAX_BLOCK_GAS), ErrorCode.TX_WRONG_CHAIN);
  notIncluded(run.applyTx(tx(BOB, [transfer(ALICE, 1n)], { gasLimit: 1500 }).stx, new Uint8Array(32), MAX_BLOCK_GAS), ErrorCode.TX_GAS_LIMIT_TOO_LOW);
  assert.equal(run.gasUsed, 0);
  assert.deepEqual(run.finish(), [], "nothing was written");
  // expires == block time is still valid (expired means strictly before the block).
  const run2 = executor.beginBlock(s, ctx({ height: 6 }));
  assert.equal(included(run2.applyTx(tx(ALICE, [transfer(BOB, 1n)], { nonce: 1, expires: TIME }).stx, new Uint8Array(32), MAX_BLOCK_GAS)).status, "ok");
});

test("consecutive nonces of one sender apply in order within a block", () => {
  const s = chainState();
  const { outs } = runBlock(s, [tx(ALICE, [transfer(BOB, 1n)], { nonce: 0 }), tx(ALICE, [transfer(BOB, 2n)], { nonce: 1 }), tx(ALICE, [transfer(BOB, 3n)], { nonce: 1 })]);
  assert.equal(included(outs[0]).status, "ok");
  assert.equal(included(outs[1]).status, "ok");
  notIncluded(outs[2], ErrorCode.TX_NONCE_TOO_LOW);
  assert.equal(bal(s, BOB), 53n);
  assert.equal(nonce(s, ALICE), 2);
});

test("events appear only on success", () => {
  const s = chainState();
  const { outs } = runBlock(s, [tx(ALICE, [transfer(BOB, 1n)]), tx(BOB, [transfer(ALICE, 1_000_000n)]), tx(CAROL, [{ module: "token", method: "mint", args: { to: CAROL.addr, amount: 5 } }])]);
  const [ok, poor, unauthorised] = outs.map(included);
  assert.equal(ok.events.length, 1);
  assert.equal(poor.status, "failed");
  assert.deepEqual(poor.events, []);
  assert.equal(unauthorised.code, ErrorCode.EXEC_UNAUTHORIZED);
  assert.deepEqual(unauthorised.events, []);
});

test("mint and burn are for the authority only and move the supply", () => {
  const s = chainState();
  const { outs } = runBlock(s, [tx(AUTH, [{ module: "token", method: "mint", args: { to: CAROL.addr, amount: 500 } }]), tx(AUTH, [{ module: "token", method: "burn", args: { from: ALICE.addr, amount: 200 } }], { nonce: 1 }), tx(ALICE, [{ module: "token", method: "burn", args: { from: BOB.addr, amount: 1 } }])]);
  assert.equal(included(outs[0]).status, "ok");
  assert.equal(included(outs[1]).status, "ok");
  assert.equal(included(outs[2]).code, ErrorCode.EXEC_UNAUTHORIZED);
  assert.equal(bal(s, CAROL), 500n);
  assert.equal(bal(s, ALICE), 800n);
  assert.equal(bal(s, BOB), 50n);
  assert.equal(supply(s), 1050n + 500n - 200n);
});

test("balances and supply cannot exceed 2^64 - 1 (EXEC_OVERFLOW, reverted)", () => {
  const s = chainState([[ALICE, (1n << 64n) - 10n]]);
  const { outs } = runBlock(s, [tx(AUTH, [{ module: "token", method: "mint", args: { to: BOB.addr, amount: 10n } }])]);
  const r = included(outs[0]);
  assert.equal(r.code, ErrorCode.EXEC_OVERFLOW);
  assert.equal(supply(s), (1n << 64n) - 10n);
  assert.equal(bal(s, BOB), 0n);
  assert.equal(included(runBlock(s, [tx(AUTH, [{ module: "token", method: "mint", args: { to: BOB.addr, amount: 9n } }], { nonce: 1 })]).outs[0]).status, "ok");
  assert.equal(supply(s), (1n << 64n) - 1n);
});

test("kv: namespaces are owned; only the owner writes; delete removes the state key", () => {
  const s = chainState();
  const kv = (method: string, args: Obj): Call => ({ module: "kv", method, args });
  let r = runBlock(s, [tx(ALICE, [kv("createNamespace", { namespace: "docs" }), kv("put", { namespace: "docs", key: "readme", value: "hi" })]), tx(BOB, [kv("put", { namespace: "docs", key: "evil", value: "x" })]), tx(BOB, [kv("createNamespace", { namespace: "docs" })], { nonce: 1 })]);
  assert.equal(included(r.outs[0]).status, "ok");
  assert.equal(included(r.outs[1]).code, ErrorCode.EXEC_UNAUTHORIZED);
  assert.equal(included(r.outs[2]).code, ErrorCode.EXEC_INVALID);
  assert.deepEqual(decode(s.get("kv/rec/docs/readme") as Uint8Array), { value: "hi", updated: 5, by: ALICE.addr });
  assert.equal(s.get("kv/rec/docs/evil"), undefined);
  r = runBlock(s, [tx(ALICE, [kv("delete", { namespace: "docs", key: "readme" })], { nonce: 1 }), tx(ALICE, [kv("delete", { namespace: "docs", key: "readme" })], { nonce: 2 })]);
  assert.equal(included(r.outs[0]).status, "ok");
  assert.equal(included(r.outs[1]).code, ErrorCode.EXEC_NOT_FOUND);
  const del = r.changes.find((c) => fromUtf8(c.key) === "kv/rec/docs/readme");
  assert.ok(del && del.value === undefined);
  assert.equal(s.get("kv/rec/docs/readme"), undefined);
});

test("finish() returns the block's changes sorted by key bytes, once", () => {
  const s = chainState();
  const run = executor.beginBlock(s, ctx());
  const txs = [tx(BOB, [transfer(CAROL, 1n), { module: "kv", method: "createNamespace", args: { namespace: "zz" } }]), tx(ALICE, [{ module: "kv", method: "createNamespace", args: { namespace: "aa" } }, transfer(BOB, 3n)]), tx(CAROL, [transfer(ALICE, 1n)])];
  for (const t of txs) included(run.applyTx(t.stx, t.hash, MAX_BLOCK_GAS));
  const changes = run.finish();
  assert.ok(changes.length >= 8);
  for (let i = 1; i < changes.length; i++) assert.ok(compareBytes(changes[i - 1].key, changes[i].key) < 0, `${fromUtf8(changes[i - 1].key)} !< ${fromUtf8(changes[i].key)}`);
  assert.ok(keysOf(changes).includes("kv/ns/aa") && keysOf(changes).includes("kv/ns/zz") && keysOf(changes).includes(accountKey(CAROL.addr)));
  assert.throws(() => run.finish(), (e: unknown) => e instanceof CivitasError && e.code === ErrorCode.INTERNAL);
  assert.throws(() => run.applyTx(txs[0].stx, txs[0].hash, MAX_BLOCK_GAS), (e: unknown) => e instanceof CivitasError && e.code === ErrorCode.INTERNAL);
  // Application order does not change the change set when the transactions commute.
  const s2 = chainState();
  const run2 = executor.beginBlock(s2, ctx());
  for (const t of [txs[1], txs[0]]) included(run2.applyTx(t.stx, t.hash, MAX_BLOCK_GAS));
  const s3 = chainState();
  const run3 = executor.beginBlock(s3, ctx());
  for (const t of [txs[0], txs[1]]) included(run3.applyTx(t.stx, t.hash, MAX_BLOCK_GAS));
  assert.deepEqual(run2.finish(), run3.finish());
});

test("the block gas limit is enforced against the transaction's gas limit", () => {
  const s = chainState();
  const BLOCK = 100_000;
  const a = tx(ALICE, [transfer(BOB, 1n)], { gasLimit: 60_000 });
  const run = executor.beginBlock(s, ctx());
  const ra = included(run.applyTx(a.stx, a.hash, BLOCK));
  assert.equal(run.gasUsed, ra.gasUsed, "the block accumulates gas used, not gas limits");
  const remaining = BLOCK - run.gasUsed;
  // One unit over the remaining gas: not included, nothing charged; exactly the remainder: included.
  notIncluded(run.applyTx(tx(BOB, [transfer(ALICE, 1n)], { gasLimit: remaining + 1 }).stx, new Uint8Array(32), BLOCK), ErrorCode.TX_GAS_LIMIT_TOO_HIGH);
  assert.equal(run.gasUsed, ra.gasUsed);
  const rb = included(run.applyTx(tx(BOB, [transfer(ALICE, 1n)], { gasLimit: remaining }).stx, new Uint8Array(32), BLOCK));
  assert.equal(rb.status, "ok");
  assert.equal(run.gasUsed, ra.gasUsed + rb.gasUsed);
  // A limit above the whole block can never fit.
  const run2 = executor.beginBlock(chainState(), ctx());
  notIncluded(run2.applyTx(a.stx, a.hash, 59_999), ErrorCode.TX_GAS_LIMIT_TOO_HIGH);
  included(run2.applyTx(a.stx, a.hash, 60_000));
  notIncluded(run2.applyTx(tx(BOB, [transfer(ALICE, 1n)], { gasLimit: 60_000 }).stx, new Uint8Array(32), 60_000), ErrorCode.TX_GAS_LIMIT_TOO_HIGH);
  assert.deepEqual(keysOf(run2.finish()).filter((k) => k.startsWith("core/")), [accountKey(ALICE.addr)]);
});

test("unknown module, unknown method and bad arguments inside a block give failed receipts, not crashes", () => {
  const s = chainState();
  const bad: Array<[Call, string]> = [
    [{ module: "nope", method: "x", args: {} }, ErrorCode.TX_UNKNOWN_MODULE],
    [{ module: "token", method: "steal", args: {} }, ErrorCode.TX_UNKNOWN_METHOD],
    [{ module: "token", method: "toString", args: {} }, ErrorCode.TX_UNKNOWN_METHOD],
    [{ module: "token", method: "__proto__", args: {} }, ErrorCode.TX_UNKNOWN_METHOD],
    [{ module: "token", method: "transfer", args: { to: BOB.addr } }, ErrorCode.TX_BAD_ARGS],
    [{ module: "token", method: "transfer", args: { to: BOB.addr, amount: -1 } }, ErrorCode.TX_BAD_ARGS],
    [{ module: "token", method: "transfer", args: { to: BOB.addr.toUpperCase(), amount: 1 } }, ErrorCode.TX_BAD_ARGS],
    [{ module: "token", method: "transfer", args: { to: BOB.addr, amount: 1, extra: 1 } }, ErrorCode.TX_BAD_ARGS],
    [{ module: "kv", method: "put", args: { namespace: "Bad NS", key: "k", value: "v" } }, ErrorCode.TX_BAD_ARGS],
    [{ module: "token", method: "transfer", args: { to: BOB.addr, amount: 0 } }, ErrorCode.EXEC_INVALID],
  ];
  const txs = bad.map(([call], i) => tx(ALICE, [transfer(BOB, 1n), call], { nonce: i }));
  const { outs } = runBlock(s, txs);
  outs.forEach((o, i) => {
    const r = included(o);
    assert.equal(r.status, "failed", `case ${i}`);
    assert.equal(r.code, bad[i][1], `case ${i}: ${r.message}`);
    assert.deepEqual(r.events, []);
  });
  assert.equal(nonce(s, ALICE), bad.length);
  assert.equal(bal(s, ALICE), 1000n, "the good first call was reverted each time");
});

test("a module that throws a non-Civitas error or misuses emit yields a failed receipt", () => {
  const weird: Module = {
    name: "weird",
    doc: "test module",
    queries: {},
    methods: {
      boom: {
        doc: "",
        gas: 1,
        args: {},
        run() {
          throw new TypeError("kaboom");
        },
      },
      badEvent: {
        doc: "",
        gas: 1,
        args: {},
        run(c) {
          c.emit("not valid!", {}, []);
        },
      },
      spam: {
        doc: "",
        gas: 1,
        args: {},
        run(c) {
          for (let i = 0; i < 300; i++) c.emit("Spam", { i }, []);
        },
      },
      write: {
        doc: "",
        gas: 1,
        args: {},
        run(c) {
          c.set("k", new Uint8Array([1]));
          c.emit("Wrote", {}, [c.sender]);
        },
      },
    },
  };
  const exec = new Executor(new ModuleRegistry([...builtinModules(), weird]), execCrypto(getNodeSuite("ed25519-sha256")));
  const s = chainState();
  const run = exec.beginBlock(s, ctx());
  const call = (method: string): Call => ({ module: "weird", method, args: {} });
  const outs = ["boom", "badEvent", "spam", "write"].map((m, i) => tx(ALICE, [call(m)], { nonce: i, gasLimit: 1_000_000 })).map((t) => included(run.applyTx(t.stx, t.hash, MAX_BLOCK_GAS)));
  assert.equal(outs[0].code, ErrorCode.INTERNAL);
  assert.match(outs[0].message, /kaboom/);
  assert.equal(outs[1].code, ErrorCode.INTERNAL);
  assert.equal(outs[2].code, ErrorCode.EXEC_INVALID);
  assert.deepEqual(outs[2].events, []);
  assert.equal(outs[3].status, "ok");
  const changes = run.finish();
  assert.ok(keysOf(changes).includes("weird/k"), "module writes land under the module's prefix");
  assert.throws(() => new ModuleRegistry([weird, weird]), CivitasError);
  assert.throws(() => new ModuleRegistry([{ ...weird, name: "core" }]), CivitasError);
});
