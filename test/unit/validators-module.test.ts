/**
 * The `validators` module on a real BFT chain (LMDB in a tmp folder, blocks proposed by
 * `Chain.propose`, certified by the test with the validators' keys and committed by
 * `Chain.commit`): set changes by the chain authority take effect exactly at `atHeight` (state,
 * headers, and which certificates the chain accepts), every refused change is a failed receipt
 * with a typed code and no state change, and `reportEvidence` records two conflicting signed
 * votes once while refusing everything that is not an equivocation.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { KeyPair } from "../../src/crypto/suite.js";
import type { Block, Vote } from "../../src/ledger/block.js";
import { encodeSignedVote, voteSigningMessage } from "../../src/ledger/block.js";
import type { Receipt } from "../../src/ledger/receipt.js";
import type { SignedTx } from "../../src/ledger/tx.js";
import type { Validator } from "../../src/ledger/validators.js";
import { validatorSetHash } from "../../src/ledger/validators.js";
import { MAX_CHANGE_DELAY, MAX_TOTAL_POWER } from "../../src/modules/validators/index.js";
import type { CallInput } from "../../src/sdk/wallet.js";
import { fromHex, fromUtf8, toHex } from "../../src/util/bytes.js";
import { ErrorCode } from "../../src/util/errors.js";
import { addressOf, BftChainDriver, certificate, makeBftFixture } from "../e2e/helpers/bft-chain.js";
import type { BftFixture } from "../e2e/helpers/bft-chain.js";

const T = { timeout: 60_000 };

// ---- helpers ----------------------------------------------------------------------------------

async function withChain(fn: (d: BftChainDriver, f: BftFixture) => Promise<void>): Promise<void> {
  const f = makeBftFixture({ chainId: "validators-test", validators: 4, power: 10, wallets: 3 });
  const d = await BftChainDriver.open(f);
  try {
    await fn(d, f);
  } finally {
    await d.close();
  }
}

const schedule = (k: KeyPair | Uint8Array, power: number, atHeight: number): CallInput => ({
  module: "validators",
  method: "schedule",
  args: { publicKey: toHex(k instanceof Uint8Array ? k : k.publicKey), power, atHeight },
});

const report = (first: Uint8Array, second: Uint8Array): CallInput => ({ module: "validators", method: "reportEvidence", args: { first, second } });

/** Submits the transactions, produces one block (signed by the whole set) and returns it with the receipts in submission order. */
async function block(d: BftChainDriver, txs: SignedTx[]): Promise<{ block: Block; receipts: Receipt[] }> {
  const hashes = txs.length ? await d.submit(txs) : [];
  const b = await d.produce();
  const receipts = hashes.map((h) => {
    const t = d.chain.getTx(fromHex(h));
    assert.ok(t, `transaction ${h} was included`);
    assert.equal(t.height, b.header.height, "included in the block just produced");
    return t.receipt;
  });
  return { block: b, receipts };
}

function ok(r: Receipt): void {
  assert.equal(r.status, "ok", `expected ok, got ${r.code}: ${r.message}`);
  assert.equal(r.code, null);
}

function failed(r: Receipt, code: string, message: RegExp): void {
  assert.equal(r.status, "failed", `expected a failed receipt (${message})`);
  assert.equal(r.code, code, r.message);
  assert.match(r.message, message);
  assert.deepEqual(r.events, [], "a failed call emits no events");
}

/** Every committed `validators/` state entry, as hex: what a refused change or report must leave alone. */
function validatorsState(d: BftChainDriver): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { key, value } of d.chain.store.stateEntries()) {
    const k = fromUtf8(key);
    if (k.startsWith("validators/")) out[k] = toHex(value);
  }
  return out;
}

function evidenceKeys(d: BftChainDriver): string[] {
  return Object.keys(validatorsState(d)).filter((k) => k.startsWith("validators/evidence/"));
}

const addrHex = (f: BftFixture, k: KeyPair): string => f.suite.address(k.publicKey);

/** The set `vs` as the chain would hold it (address order, hash over address, key, power). */
function setOf(f: BftFixture, entries: Array<[KeyPair, number]>): Validator[] {
  return entries.map(([k, power]) => ({ address: addressOf(f.suite, k), publicKey: k.publicKey, power }));
}

function powers(vs: Validator[]): Record<string, number> {
  return Object.fromEntries(vs.map((v) => ["0x" + toHex(v.address), v.power]));
}

/** Proposes the next block and tries to commit it with a certificate signed by exactly `signers`. */
async function commitSignedBy(d: BftChainDriver, f: BftFixture, signers: KeyPair[]): Promise<Block> {
  const height = d.chain.head().height + 1;
  const proposer = d.chain.validatorsAt(height)[0].address;
  const p = await d.chain.propose({ height, time: Date.now(), proposer });
  const b: Block = { header: p.header, txs: p.txs, lastCommit: p.lastCommit, commit: certificate(f.suite, f.genesis.chainId, p.header, signers) };
  await d.chain.commit(b);
  return b;
}

// ---- schedule ---------------------------------------------------------------------------------

test("schedule by the authority: pending until the end of block atHeight-1, block atHeight is the first signed by the new set, headers announce it one block ahead", T, async () => {
  await withChain(async (d, f) => {
    await d.produceMany(2);
    const auth = f.wallets[0];
    const added = f.suite.generateKeyPair();
    d.addKey(added);
    const h = d.chain.head().height + 1; // the block that carries the schedule
    const at = h + 2; // the earliest allowed
    const oldSet = d.chain.validatorsAt(h);
    const oldHash = validatorSetHash(f.suite, oldSet);
    assert.equal(oldSet.length, 4);

    const { block: b, receipts } = await block(d, [d.tx(auth, [schedule(added, 7, at)])]);
    ok(receipts[0]);
    assert.equal(receipts[0].events.length, 1);
    const ev = receipts[0].events[0];
    assert.equal(ev.module, "validators");
    assert.equal(ev.type, "ChangeScheduled");
    assert.deepEqual(ev.attrs, { address: addrHex(f, added), publicKey: toHex(added.publicKey), power: "7", atHeight: String(at) });
    assert.deepEqual(ev.accounts, [addressOf(f.suite, added)]);

    // Block h: the change is only pending; the set and the headers do not move yet.
    assert.deepEqual(d.chain.query("validators", "pending", {}).value, [{ height: at, publicKey: toHex(added.publicKey), power: 7 }]);
    assert.deepEqual(b.header.validatorSetHash, oldHash);
    assert.deepEqual(b.header.nextValidatorSetHash, oldHash, "block h does not announce a change");
    assert.deepEqual(d.chain.validatorsAt(h + 1), oldSet);
    assert.equal(d.chain.committedState.get(`validators/key/${addrHex(f, added)}`), undefined, "no key record before the change applies");

    // Block at-1 is still signed by the old set: a certificate counting the new key is refused.
    await assert.rejects(commitSignedBy(d, f, [...f.validators, added]), /is not in the validator set/);
    assert.equal(d.chain.head().height, h, "the refused block was not committed");
    const pre = (await commitSignedBy(d, f, f.validators)).header;
    assert.equal(pre.height, at - 1);
    const newSet = setOf(f, [...f.validators.map((k): [KeyPair, number] => [k, 10]), [added, 7]]);
    const newHash = validatorSetHash(f.suite, newSet);
    assert.deepEqual(pre.validatorSetHash, oldHash, "block at-1 is signed by the old set");
    assert.deepEqual(pre.nextValidatorSetHash, newHash, "block at-1 announces the new set");
    assert.notDeepEqual(newHash, oldHash);

    // State after block at-1: the new set, no pending change, the key recorded.
    assert.deepEqual(d.chain.query("validators", "pending", {}).value, []);
    assert.equal(d.chain.committedState.get("validators/pending"), undefined, "an empty pending list is deleted");
    assert.deepEqual(d.chain.committedState.get(`validators/key/${addrHex(f, added)}`), added.publicKey);
    const stateSet = d.chain.query("validators", "set", {}).value as Array<{ publicKey: string; power: number }>;
    assert.equal(stateSet.length, 5);
    assert.ok(stateSet.some((v) => v.publicKey === toHex(added.publicKey) && v.power === 7));
    assert.deepEqual(powers(d.chain.validatorsAt(at)), powers(newSet));
    assert.deepEqual(d.chain.validatorSet(at).hash, newHash);
    // The state at heights before the change still answers with the old set.
    assert.deepEqual(powers(d.chain.validatorsAt(at - 1)), powers(oldSet));

    // Block at: signed by the new set (the added key's signature is accepted), and stable after.
    const atBlock = await commitSignedBy(d, f, d.signersOf(at));
    assert.equal(atBlock.header.height, at);
    assert.deepEqual(atBlock.header.validatorSetHash, pre.nextValidatorSetHash, "validatorSetHash of block at = nextValidatorSetHash of block at-1");
    assert.deepEqual(atBlock.header.nextValidatorSetHash, newHash);
    assert.ok(atBlock.commit.signatures.some((s) => toHex(s.validator) === toHex(addressOf(f.suite, added))));
    const next = await d.produce();
    assert.deepEqual(next.header.validatorSetHash, newHash);
  });
});

test("schedule by anyone but the authority is refused with EXEC_UNAUTHORIZED and changes nothing", T, async () => {
  await withChain(async (d, f) => {
    await d.produce();
    const mallory = f.wallets[1];
    const intruder = f.suite.generateKeyPair();
    d.addKey(intruder);
    const h = d.chain.head().height + 1;
    const before = validatorsState(d);
    const set = d.chain.validatorsAt(h);
    const { receipts } = await block(d, [d.tx(mallory, [schedule(intruder, 100, h + 2)]), d.tx(mallory, [schedule(f.validators[0], 0, h + 3)])]);
    failed(receipts[0], ErrorCode.EXEC_UNAUTHORIZED, /only the chain authority/);
    failed(receipts[1], ErrorCode.EXEC_UNAUTHORIZED, /only the chain authority/);
    assert.equal(d.chain.accountNonce(mallory.address), 2, "the failed transactions still consume their nonces");
    assert.deepEqual(validatorsState(d), before, "no validators state changed");
    await d.produceMany(3);
    for (let x = h; x <= h + 3; x++) {
      const hdr = d.chain.getBlock(x)!.header;
      assert.deepEqual(hdr.nextValidatorSetHash, hdr.validatorSetHash, `height ${x}: no change announced`);
    }
    assert.deepEqual(d.chain.validatorsAt(h + 4), set);
  });
});

test("schedule refuses atHeight below h+2 or beyond the maximum delay, too much power, invalid keys and removing a non-validator (EXEC_INVALID, nothing written)", T, async () => {
  await withChain(async (d, f) => {
    await d.produce();
    const auth = f.wallets[0];
    const k = f.suite.generateKeyPair();
    const h = d.chain.head().height + 1;
    const before = validatorsState(d);
    const { receipts } = await block(d, [
      d.tx(auth, [schedule(k, 10, h + 1)]),
      d.tx(auth, [schedule(k, 10, h)]),
      d.tx(auth, [schedule(k, 10, 0)]),
      d.tx(auth, [schedule(k, 10, h + MAX_CHANGE_DELAY + 1)]),
      d.tx(auth, [schedule(k, MAX_TOTAL_POWER + 1, h + 2)]),
      d.tx(auth, [schedule(new Uint8Array(31).fill(0xab), 10, h + 2)]),
      d.tx(auth, [schedule(k, 0, h + 2)]), // removing a key that is not a validator
    ]);
    for (const r of receipts.slice(0, 4)) failed(r, ErrorCode.EXEC_INVALID, new RegExp(`atHeight must be between ${h + 2} and ${h + MAX_CHANGE_DELAY}`));
    failed(receipts[4], ErrorCode.EXEC_INVALID, /power must be at most/);
    failed(receipts[5], ErrorCode.EXEC_INVALID, /not a valid key/);
    failed(receipts[6], ErrorCode.EXEC_INVALID, new RegExp(`not in the validator set at height ${h + 2}`));
    assert.equal(receipts[6].events.length, 0, "no ChangeScheduled event");
    assert.deepEqual(validatorsState(d), before);

    // The bounds themselves are accepted: h'+2 and h'+MAX_CHANGE_DELAY.
    const h2 = d.chain.head().height + 1;
    const edge = await block(d, [d.tx(auth, [schedule(k, 10, h2 + 2)]), d.tx(auth, [schedule(f.validators[1], 11, h2 + MAX_CHANGE_DELAY)])]);
    ok(edge.receipts[0]);
    ok(edge.receipts[1]);
    assert.deepEqual(
      (d.chain.query("validators", "pending", {}).value as Array<{ height: number }>).map((c) => c.height),
      [h2 + 2, h2 + MAX_CHANGE_DELAY],
    );
  });
});

test("changes must be scheduled in height order; a transaction with one bad call reverts its good calls", T, async () => {
  await withChain(async (d, f) => {
    await d.produce();
    const auth = f.wallets[0];
    const [a, b, c, x] = [0, 1, 2, 3].map(() => f.suite.generateKeyPair());
    const h = d.chain.head().height + 1;
    const { receipts } = await block(d, [
      d.tx(auth, [schedule(a, 5, h + 10)]),
      d.tx(auth, [schedule(b, 5, h + 5)]), // before the last pending change
      d.tx(auth, [schedule(c, 5, h + 10)]), // same height as the last: allowed
      d.tx(auth, [schedule(x, 5, h + 12)]),
    ]);
    ok(receipts[0]);
    failed(receipts[1], ErrorCode.EXEC_INVALID, new RegExp(`already scheduled for height ${h + 10}.*height order`));
    ok(receipts[2]);
    ok(receipts[3]);
    const pending = () => (d.chain.query("validators", "pending", {}).value as Array<{ height: number; publicKey: string }>).map((p) => [p.height, p.publicKey]);
    const expected = [
      [h + 10, toHex(a.publicKey)],
      [h + 10, toHex(c.publicKey)],
      [h + 12, toHex(x.publicKey)],
    ];
    assert.deepEqual(pending(), expected);

    const before = validatorsState(d);
    const h2 = d.chain.head().height + 1;
    const atomic = await block(d, [d.tx(auth, [schedule(b, 5, h2 + 20), schedule(b, 5, h2 + 1)])]);
    failed(atomic.receipts[0], ErrorCode.EXEC_INVALID, /atHeight must be between/);
    assert.deepEqual(validatorsState(d), before, "the valid first call was reverted with the transaction");
    assert.deepEqual(pending(), expected);
  });
});

test("a change that would leave no validators is refused, also when earlier pending changes are what empties the set", T, async () => {
  await withChain(async (d, f) => {
    await d.produce();
    const auth = f.wallets[0];
    const [v0, v1, v2, v3] = f.validators;
    const fresh = f.suite.generateKeyPair();
    d.addKey(fresh);
    const h = d.chain.head().height + 1;
    const { receipts } = await block(d, [
      d.tx(auth, [schedule(v0, 0, h + 3)]),
      d.tx(auth, [schedule(v1, 0, h + 3)]),
      d.tx(auth, [schedule(v2, 0, h + 3)]),
      d.tx(auth, [schedule(v3, 0, h + 3)]), // the last one at the same height
      d.tx(auth, [schedule(v3, 0, h + 4)]), // the last one later: the projected set is still empty
      d.tx(auth, [schedule(fresh, 10, h + 4)]),
      d.tx(auth, [schedule(v3, 0, h + 4)]), // now the fresh key remains
    ]);
    ok(receipts[0]);
    ok(receipts[1]);
    ok(receipts[2]);
    failed(receipts[3], ErrorCode.EXEC_INVALID, new RegExp(`leaves no validators at height ${h + 3}`));
    failed(receipts[4], ErrorCode.EXEC_INVALID, new RegExp(`leaves no validators at height ${h + 4}`));
    ok(receipts[5]);
    ok(receipts[6]);

    // The chain follows the plan: v3 alone signs block h+3, the fresh key alone from h+4 on.
    while (d.chain.head().height < h + 5) await d.produce();
    assert.deepEqual(powers(d.chain.validatorsAt(h + 2)), powers(setOf(f, [[v0, 10], [v1, 10], [v2, 10], [v3, 10]])));
    assert.deepEqual(powers(d.chain.validatorsAt(h + 3)), powers(setOf(f, [[v3, 10]])));
    assert.deepEqual(powers(d.chain.validatorsAt(h + 4)), powers(setOf(f, [[fresh, 10]])));
    assert.equal(d.chain.getBlock(h + 3)!.commit.signatures.length, 1);
    assert.deepEqual(d.chain.getBlock(h + 4)!.commit.signatures[0].validator, addressOf(f.suite, fresh));
  });
});

test("total voting power is capped: a change that would exceed it is refused, one that reaches it exactly is accepted", T, async () => {
  await withChain(async (d, f) => {
    await d.produce();
    const auth = f.wallets[0];
    const big = f.suite.generateKeyPair();
    const h = d.chain.head().height + 1;
    const before = validatorsState(d);
    const over = await block(d, [
      d.tx(auth, [schedule(big, MAX_TOTAL_POWER - 40 + 1, h + 2)]), // 40 + that = cap + 1
      d.tx(auth, [schedule(f.validators[0], MAX_TOTAL_POWER - 30 + 1, h + 2)]), // re-weight to cap + 1
    ]);
    failed(over.receipts[0], ErrorCode.EXEC_INVALID, new RegExp(`total voting power ${MAX_TOTAL_POWER + 1} exceeds ${MAX_TOTAL_POWER}`));
    failed(over.receipts[1], ErrorCode.EXEC_INVALID, new RegExp(`total voting power ${MAX_TOTAL_POWER + 1} exceeds ${MAX_TOTAL_POWER}`));
    assert.deepEqual(validatorsState(d), before);

    // Pending changes count: first +20 (total 60), then a key that would take it to cap + 1.
    const h2 = d.chain.head().height + 1;
    const r = await block(d, [d.tx(auth, [schedule(f.validators[1], 30, h2 + 2)]), d.tx(auth, [schedule(big, MAX_TOTAL_POWER - 60 + 1, h2 + 3)]), d.tx(auth, [schedule(big, MAX_TOTAL_POWER - 60, h2 + 3)])]);
    ok(r.receipts[0]);
    failed(r.receipts[1], ErrorCode.EXEC_INVALID, new RegExp(`exceeds ${MAX_TOTAL_POWER} at height ${h2 + 3}`));
    ok(r.receipts[2]);
  });
});

test("power 0 removes a validator and power > 0 re-weights one: certificates are counted with the new powers from atHeight on", T, async () => {
  await withChain(async (d, f) => {
    await d.produce();
    const auth = f.wallets[0];
    const [v0, v1, v2, v3] = f.validators;
    const h = d.chain.head().height + 1;
    const at = h + 3;
    const { receipts } = await block(d, [d.tx(auth, [schedule(v3, 0, at), schedule(v0, 30, at)])]);
    ok(receipts[0]);
    assert.deepEqual(
      receipts[0].events.map((e) => [e.type, e.attrs.power]),
      [
        ["ChangeScheduled", "0"],
        ["ChangeScheduled", "30"],
      ],
    );
    while (d.chain.head().height < at - 1) await d.produce();
    // Block at-1: old set, equal powers; v3 still signs, 2 of 4 are not enough.
    assert.deepEqual(powers(d.chain.validatorsAt(at - 1)), powers(setOf(f, [[v0, 10], [v1, 10], [v2, 10], [v3, 10]])));
    assert.deepEqual(powers(d.chain.validatorsAt(at)), powers(setOf(f, [[v0, 30], [v1, 10], [v2, 10]])));
    assert.notDeepEqual(d.chain.getBlock(at - 1)!.header.nextValidatorSetHash, d.chain.getBlock(at - 1)!.header.validatorSetHash);

    // Block at: v3 is out, v0 weighs 30 of 50.
    await assert.rejects(commitSignedBy(d, f, [v1, v2, v3]), /is not in the validator set/);
    await assert.rejects(commitSignedBy(d, f, [v0]), /hold 30 of 50 voting power/);
    await assert.rejects(commitSignedBy(d, f, [v1, v2]), /hold 20 of 50 voting power/);
    const b = await commitSignedBy(d, f, [v0, v1]); // 40 of 50: more than 2/3, where 2 of 4 equal votes were not
    assert.equal(b.header.height, at);
    assert.deepEqual(b.header.validatorSetHash, validatorSetHash(f.suite, setOf(f, [[v0, 30], [v1, 10], [v2, 10]])));

    // The removed validator's key stays on record, so its old equivocations can still be reported.
    assert.deepEqual(d.chain.committedState.get(`validators/key/${addrHex(f, v3)}`), v3.publicKey);
    const vote = (hash: number): Uint8Array => signVote(f, v3, { height: at - 1, blockHash: new Uint8Array(32).fill(hash) });
    const ev = await block(d, [d.tx(f.wallets[1], [report(vote(1), vote(2))])]);
    ok(ev.receipts[0]);
    assert.deepEqual(evidenceKeys(d), [`validators/evidence/${addrHex(f, v3)}/${at - 1}/0/prevote`]);
  });
});

// ---- reportEvidence ---------------------------------------------------------------------------

function signVote(f: BftFixture, k: KeyPair, o: Partial<Vote> = {}, signer: KeyPair = k): Uint8Array {
  const vote: Vote = { chain: f.genesis.chainId, type: "prevote", height: 2, round: 0, blockHash: new Uint8Array(32).fill(1), time: 1_700_000_001_000, validator: addressOf(f.suite, k), ...o };
  return encodeSignedVote({ vote, signature: f.suite.sign(voteSigningMessage(vote), signer.secretKey) });
}

const H1 = new Uint8Array(32).fill(0x11);
const H2 = new Uint8Array(32).fill(0x22);

test("reportEvidence records two conflicting signed votes at evidence/<addr>/<h>/<r>/<type> with an Equivocation event; anyone may report; a second report is refused", T, async () => {
  await withChain(async (d, f) => {
    await d.produceMany(3);
    const v1 = f.validators[1];
    const reporter = f.wallets[2]; // not the authority, not a validator
    const a = signVote(f, v1, { blockHash: H1 });
    const b = signVote(f, v1, { blockHash: H2 });
    const { block: blk, receipts } = await block(d, [d.tx(reporter, [report(a, b)])]);
    ok(receipts[0]);
    assert.equal(receipts[0].events.length, 1);
    const ev = receipts[0].events[0];
    assert.deepEqual([ev.module, ev.type], ["validators", "Equivocation"]);
    assert.deepEqual(ev.attrs, { validator: addrHex(f, v1), height: 2, round: 0, type: "prevote", reporter: reporter.address });
    assert.deepEqual(ev.accounts, [addressOf(f.suite, v1), fromHex(reporter.address)]);
    const indexed = d.chain.store.eventsOfType("validators.Equivocation", 10);
    assert.equal(indexed.length, 1);
    assert.equal(indexed[0].height, blk.header.height);

    const key = `validators/evidence/${addrHex(f, v1)}/2/0/prevote`;
    assert.deepEqual(evidenceKeys(d), [key]);
    const q = d.chain.query("validators", "evidence", { address: addrHex(f, v1), height: 2, round: 0, type: "prevote" });
    assert.equal(q.key, key);
    const [lo, hi] = toHex(a) < toHex(b) ? [a, b] : [b, a];
    assert.deepEqual(q.value, { first: toHex(lo), second: toHex(hi), reporter: reporter.address, reportedAt: blk.header.height });

    // The same pair again, in the other order and by someone else: already recorded.
    const before = validatorsState(d);
    const again = await block(d, [d.tx(f.wallets[1], [report(b, a)]), d.tx(reporter, [report(a, b)])]);
    failed(again.receipts[0], ErrorCode.EXEC_INVALID, /already recorded/);
    failed(again.receipts[1], ErrorCode.EXEC_INVALID, /already recorded/);
    assert.deepEqual(validatorsState(d), before, "the first record (and its reporter) is kept");
    // A third conflicting vote of the same (validator, height, round, type) is the same equivocation.
    const third = await block(d, [d.tx(reporter, [report(a, signVote(f, v1, { blockHash: new Uint8Array(32).fill(0x33) }))])]);
    failed(third.receipts[0], ErrorCode.EXEC_INVALID, /already recorded/);

    // Precommits and other rounds are separate records; a nil vote against a block vote conflicts too.
    const more = await block(d, [
      d.tx(reporter, [report(signVote(f, v1, { type: "precommit", blockHash: H1 }), signVote(f, v1, { type: "precommit", blockHash: H2 }))]),
      d.tx(reporter, [report(signVote(f, v1, { round: 1, blockHash: new Uint8Array(32) }), signVote(f, v1, { round: 1, blockHash: H2 }))]),
    ]);
    ok(more.receipts[0]);
    ok(more.receipts[1]);
    assert.deepEqual(evidenceKeys(d).sort(), [key, `validators/evidence/${addrHex(f, v1)}/2/0/precommit`, `validators/evidence/${addrHex(f, v1)}/2/1/prevote`].sort());
    assert.equal(d.chain.store.eventsOfType("validators.Equivocation", 10).length, 3);
  });
});

test("reportEvidence refuses what is not an equivocation, with EXEC_INVALID and no state change", T, async () => {
  await withChain(async (d, f) => {
    await d.produceMany(3);
    const [v0, v1, v2, v3] = f.validators;
    const stranger = f.suite.generateKeyPair();
    const flipSig = (bytes: Uint8Array): Uint8Array => {
      const c = bytes.slice();
      c[c.length - 1] ^= 0x01; // the signature is the last field of the encoding
      return c;
    };
    const same = signVote(f, v0, { blockHash: H1 });
    const cases: Array<[string, Uint8Array, Uint8Array, RegExp]> = [
      ["identical votes", same, same.slice(), /identical/],
      ["different heights", signVote(f, v1, { height: 2, blockHash: H1 }), signVote(f, v1, { height: 3, blockHash: H2 }), /not for the same validator, height, round and type/],
      ["different rounds", signVote(f, v1, { round: 0, blockHash: H1 }), signVote(f, v1, { round: 1, blockHash: H2 }), /not for the same/],
      ["different types", signVote(f, v1, { type: "prevote", blockHash: H1 }), signVote(f, v1, { type: "precommit", blockHash: H2 }), /not for the same/],
      ["different validators", signVote(f, v1, { blockHash: H1 }), signVote(f, v2, { blockHash: H2 }), /not for the same/],
      ["a corrupted signature", signVote(f, v2, { blockHash: H1 }), flipSig(signVote(f, v2, { blockHash: H2 })), /signature does not verify/],
      ["a vote signed by another validator's key", signVote(f, v3, { blockHash: H1 }), signVote(f, v3, { blockHash: H2 }, v0), /signature does not verify/],
      ["a key that was never a validator", signVote(f, stranger, { blockHash: H1 }), signVote(f, stranger, { blockHash: H2 }), /has never been a validator/],
      ["votes of another chain", signVote(f, v1, { chain: "other-chain", blockHash: H1 }), signVote(f, v1, { chain: "other-chain", blockHash: H2 }), /another chain/],
      ["a height not reached yet", signVote(f, v1, { height: 99, blockHash: H1 }), signVote(f, v1, { height: 99, blockHash: H2 }), /outside the accepted window/],
      ["bytes that are not a signed vote", new Uint8Array([1, 2, 3]), signVote(f, v1, { blockHash: H2 }), /does not decode/],
    ];
    const before = validatorsState(d);
    const reporter = f.wallets[1];
    const { receipts } = await block(
      d,
      cases.map(([, a, b]) => d.tx(reporter, [report(a, b)])),
    );
    receipts.forEach((r, i) => {
      const [what, , , msg] = cases[i];
      assert.equal(r.status, "failed", `${what}: must be refused`);
      failed(r, ErrorCode.EXEC_INVALID, msg);
      assert.match(r.message, /^evidence rejected: /, what);
    });
    assert.deepEqual(validatorsState(d), before, "no evidence (or anything else) recorded");
    assert.deepEqual(evidenceKeys(d), []);
    assert.equal(d.chain.store.eventsOfType("validators.Equivocation", 10).length, 0);
    assert.equal(d.chain.query("validators", "evidence", { address: addrHex(f, v1), height: 2, round: 0, type: "prevote" }).value, null);
  });
});

test("two votes for the same block that differ only in their time are not conflicting: reportEvidence refuses them", T, async () => {
  await withChain(async (d, f) => {
    await d.produceMany(3);
    const v1 = f.validators[1];
    const a = signVote(f, v1, { blockHash: H1, time: 1_700_000_001_000 });
    const b = signVote(f, v1, { blockHash: H1, time: 1_700_000_002_000 });
    const before = validatorsState(d);
    const { receipts } = await block(d, [d.tx(f.wallets[1], [report(a, b)])]);
    assert.equal(receipts[0].status, "failed", "same block hash is not an equivocation (Tendermint: DuplicateVoteEvidence needs different block IDs)");
    assert.equal(receipts[0].code, ErrorCode.EXEC_INVALID);
    assert.deepEqual(validatorsState(d), before);
  });
});
