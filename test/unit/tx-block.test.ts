/**
 * Transactions, blocks and commit certificates: round trips, structural rejection with stable
 * codes, hashing rules, and the >2/3 commit rule checked exactly at its boundary.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fc from "fast-check";
import { decode, encode } from "../../src/codec/index.js";
import type { CborValue } from "../../src/codec/index.js";
import { getNodeSuite } from "../../src/crypto/node-suites.js";
import type { CryptoSuite } from "../../src/crypto/suite.js";
import type { Block, BlockHeader, CommitCertificate, Vote } from "../../src/ledger/block.js";
import { blockHash, decodeBlock, decodeHeader, decodeVote, encodeBlock, encodeHeader, encodeVote, lastCommitHash, verifyCommit, voteSigningMessage } from "../../src/ledger/block.js";
import type { TxBody } from "../../src/ledger/tx.js";
import { decodeSignedTx, decodeTxBody, encodeTxBody, signTx, TX_LIMITS, TX_VERSION, txHash, txSigningMessage } from "../../src/ledger/tx.js";
import type { Validator } from "../../src/ledger/validators.js";
import { fromHex, toHex } from "../../src/util/bytes.js";
import { CivitasError, ErrorCode } from "../../src/util/errors.js";

const ED = getNodeSuite("ed25519-sha256");
const SM = getNodeSuite("sm2-sm3");
const seed = (label: string): Uint8Array => new Uint8Array(createHash("sha256").update(label).digest());
const addrBytes = (s: CryptoSuite, pk: Uint8Array): Uint8Array => fromHex(s.address(pk));

function throwsCode(fn: () => unknown, code: string, field?: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CivitasError, `expected CivitasError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (typeof field === "string") assert.ok(e.message.includes(field), `message should name ${field}: ${e.message}`);
    else if (field) assert.match(e.message, field);
    return true;
  });
}

const SK = seed("tx-block sender");
const PK = ED.publicKeyFromSecret(SK);
const FROM = addrBytes(ED, PK);

function body(over: Partial<TxBody> = {}): TxBody {
  return {
    chain: "test-chain",
    from: FROM,
    nonce: 3,
    expires: 1_800_000_000_000,
    gasLimit: 100_000,
    calls: [{ module: "token", method: "transfer", args: { to: "0x" + "22".repeat(20), amount: 5 } }],
    memo: "hello",
    ...over,
  };
}

/** The body as a raw map (v included) so tests can break it field by field. */
function rawBody(over: Record<string, CborValue | undefined> = {}): Record<string, CborValue> {
  const b = decode(encodeTxBody(body())) as Record<string, CborValue>;
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) delete b[k];
    else b[k] = v;
  }
  return b;
}

/** Wire bytes around an arbitrary body map (signature irrelevant to structural decoding). */
const wire = (b: CborValue, version: CborValue = TX_VERSION): Uint8Array => encode([version, encode(b), PK, new Uint8Array(64)]);

// ---------------------------------------------------------------------------------------------
// transactions

const nameArb = fc.string({ minLength: 1, maxLength: TX_LIMITS.maxNameChars });
const argsArb = fc.dictionary(
  fc.string({ maxLength: 10 }),
  fc.oneof(fc.string({ maxLength: 20 }), fc.nat(), fc.bigInt({ min: 1n << 53n, max: (1n << 64n) - 1n }), fc.uint8Array({ maxLength: 20 }), fc.boolean(), fc.constant(null)),
  { maxKeys: 4, noNullPrototype: true },
);
const bodyArb: fc.Arbitrary<TxBody> = fc.record({
  chain: fc.string({ maxLength: TX_LIMITS.maxNameChars }),
  from: fc.uint8Array({ minLength: 20, maxLength: 20 }),
  nonce: fc.nat(),
  expires: fc.maxSafeNat(),
  gasLimit: fc.maxSafeNat(),
  calls: fc.array(fc.record({ module: nameArb, method: nameArb, args: argsArb }, { noNullPrototype: true }), { minLength: 1, maxLength: TX_LIMITS.maxCalls }),
  memo: fc.string({ maxLength: TX_LIMITS.maxMemoChars }),
}, { noNullPrototype: true });

test("tx body: decode(encode(body)) round-trips for arbitrary valid bodies", () => {
  fc.assert(
    fc.property(bodyArb, (b) => {
      const bytes = encodeTxBody(b);
      assert.deepEqual(decodeTxBody(bytes), b);
      assert.deepEqual(encodeTxBody(decodeTxBody(bytes)), bytes);
    }),
    { numRuns: 200 },
  );
});

test("signed tx: decodeSignedTx(signTx(...).bytes) gives back body, key and signature, for both suites", () => {
  for (const s of [ED, SM]) {
    const sk = s.id === "ed25519-sha256" ? SK : s.generateKeyPair().secretKey;
    const pk = s.publicKeyFromSecret(sk);
    const b = body({ from: addrBytes(s, pk) });
    const stx = signTx(s, b, sk);
    const d = decodeSignedTx(stx.bytes);
    assert.deepEqual(d.body, b);
    assert.deepEqual(d.bodyBytes, encodeTxBody(b));
    assert.deepEqual(d.publicKey, pk);
    assert.deepEqual(d.signature, stx.signature);
    assert.deepEqual(d.bytes, stx.bytes);
    assert.equal(d.signature.length, s.signatureLength);
    assert.ok(s.verify(txSigningMessage(d.bodyBytes), d.signature, d.publicKey), s.id);
  }
});

test("decodeSignedTx: wrong version is CODEC_BAD_VERSION (wire and body)", () => {
  throwsCode(() => decodeSignedTx(wire(rawBody(), 2)), ErrorCode.CODEC_BAD_VERSION);
  throwsCode(() => decodeSignedTx(wire(rawBody(), 0)), ErrorCode.CODEC_BAD_VERSION);
  throwsCode(() => decodeSignedTx(wire(rawBody(), "1")), ErrorCode.CODEC_BAD_VERSION);
  throwsCode(() => decodeSignedTx(wire(rawBody({ v: 2 }))), ErrorCode.CODEC_BAD_VERSION);
  throwsCode(() => decodeTxBody(encode(rawBody({ v: 0 }))), ErrorCode.CODEC_BAD_VERSION);
});

test("decodeSignedTx: wrong arity or wrong item types is TX_MALFORMED", () => {
  const bb = encodeTxBody(body());
  throwsCode(() => decodeSignedTx(encode([TX_VERSION, bb, PK])), ErrorCode.TX_MALFORMED);
  throwsCode(() => decodeSignedTx(encode([TX_VERSION, bb, PK, new Uint8Array(64), new Uint8Array(0)])), ErrorCode.TX_MALFORMED);
  throwsCode(() => decodeSignedTx(encode([])), ErrorCode.TX_MALFORMED);
  throwsCode(() => decodeSignedTx(encode({ v: 1, body: bb })), ErrorCode.TX_MALFORMED);
  throwsCode(() => decodeSignedTx(encode([TX_VERSION, decode(bb), PK, new Uint8Array(64)])), ErrorCode.TX_MALFORMED, "byte strings");
  throwsCode(() => decodeSignedTx(encode([TX_VERSION, bb, toHex(PK), new Uint8Array(64)])), ErrorCode.TX_MALFORMED);
  throwsCode(() => decodeSignedTx(encode([TX_VERSION, bb, PK, null])), ErrorCode.TX_MALFORMED);
  // The body must itself be a map.
  throwsCode(() => decodeSignedTx(encode([TX_VERSION, encode([1, 2]), PK, new Uint8Array(64)])), ErrorCode.TX_MALFORMED, "tx.body");
});

test("decodeSignedTx: non-canonical wire or body bytes are codec errors", () => {
  const stx = signTx(ED, body(), SK);
  throwsCode(() => decodeSignedTx(new Uint8Array([...stx.bytes, 0])), ErrorCode.CODEC_MALFORMED);
  // The body with its keys reversed: same fields, non-canonical bytes.
  const entries = Object.entries(rawBody()).reverse();
  const bad = new Uint8Array([0xa8, ...entries.flatMap(([k, v]) => [...encode(k), ...encode(v)])]);
  assert.throws(() => decodeSignedTx(encode([TX_VERSION, bad, PK, new Uint8Array(64)])), (e: unknown) => e instanceof CivitasError && e.code === ErrorCode.CODEC_NON_CANONICAL);
});

test("decodeTxBody: unknown or missing fields are TX_MALFORMED naming the field", () => {
  throwsCode(() => decodeSignedTx(wire(rawBody({ extra: 1 }))), ErrorCode.TX_MALFORMED, "tx.body.extra");
  throwsCode(() => decodeSignedTx(wire(rawBody({ fee: 0 }))), ErrorCode.TX_MALFORMED, "tx.body.fee");
  for (const f of ["v", "chain", "from", "nonce", "expires", "gasLimit", "calls", "memo"]) {
    throwsCode(() => decodeSignedTx(wire(rawBody({ [f]: undefined }))), ErrorCode.TX_MALFORMED, `tx.body.${f}`);
  }
  const call = { module: "token", method: "transfer", args: {} };
  throwsCode(() => decodeSignedTx(wire(rawBody({ calls: [{ ...call, gas: 1 }] }))), ErrorCode.TX_MALFORMED, "tx.body.calls[0].gas");
  throwsCode(() => decodeSignedTx(wire(rawBody({ calls: [{ module: "token", method: "transfer" }] }))), ErrorCode.TX_MALFORMED, "tx.body.calls[0].args");
  throwsCode(() => decodeSignedTx(wire(rawBody({ calls: [{ ...call, args: [1] }] }))), ErrorCode.TX_MALFORMED, "tx.body.calls[0].args");
  throwsCode(() => decodeSignedTx(wire(rawBody({ calls: [call, "x"] }))), ErrorCode.TX_MALFORMED, "tx.body.calls[1]");
  throwsCode(() => decodeSignedTx(wire(rawBody({ calls: [{ ...call, module: "m".repeat(65) }] }))), ErrorCode.TX_MALFORMED, "tx.body.calls[0].module");
  throwsCode(() => decodeSignedTx(wire(rawBody({ chain: "c".repeat(65) }))), ErrorCode.TX_MALFORMED, "tx.body.chain");
});

test("decodeTxBody: wrong field types are TX_MALFORMED naming the field", () => {
  throwsCode(() => decodeSignedTx(wire(rawBody({ nonce: -1 }))), ErrorCode.TX_MALFORMED, "tx.body.nonce");
  throwsCode(() => decodeSignedTx(wire(rawBody({ nonce: 1n << 60n }))), ErrorCode.TX_MALFORMED, "tx.body.nonce");
  throwsCode(() => decodeSignedTx(wire(rawBody({ nonce: "3" }))), ErrorCode.TX_MALFORMED, "tx.body.nonce");
  throwsCode(() => decodeSignedTx(wire(rawBody({ expires: null }))), ErrorCode.TX_MALFORMED, "tx.body.expires");
  throwsCode(() => decodeSignedTx(wire(rawBody({ gasLimit: true }))), ErrorCode.TX_MALFORMED, "tx.body.gasLimit");
  throwsCode(() => decodeSignedTx(wire(rawBody({ memo: 5 }))), ErrorCode.TX_MALFORMED, "tx.body.memo");
  throwsCode(() => decodeSignedTx(wire(rawBody({ calls: {} }))), ErrorCode.TX_MALFORMED, "tx.body.calls");
});

test("decodeTxBody: from must be exactly 20 bytes", () => {
  for (const n of [0, 19, 21, 32]) throwsCode(() => decodeSignedTx(wire(rawBody({ from: new Uint8Array(n) }))), ErrorCode.TX_MALFORMED, "tx.body.from");
  throwsCode(() => decodeSignedTx(wire(rawBody({ from: "0x" + "11".repeat(20) }))), ErrorCode.TX_MALFORMED, "tx.body.from");
  assert.equal(decodeSignedTx(wire(rawBody({ from: new Uint8Array(20) }))).body.from.length, 20);
});

test("decodeTxBody: 1 to 16 calls; zero calls and more than 16 are refused", () => {
  const call = { module: "token", method: "transfer", args: {} };
  assert.equal(decodeSignedTx(wire(rawBody({ calls: [call] }))).body.calls.length, 1);
  assert.equal(decodeSignedTx(wire(rawBody({ calls: new Array(16).fill(call) }))).body.calls.length, 16);
  throwsCode(() => decodeSignedTx(wire(rawBody({ calls: [] }))), ErrorCode.TX_MALFORMED, "tx.body.calls");
  throwsCode(() => decodeSignedTx(wire(rawBody({ calls: new Array(17).fill(call) }))), ErrorCode.TX_TOO_MANY_CALLS, "at most 16");
  throwsCode(() => decodeSignedTx(wire(rawBody({ calls: new Array(100).fill(call) }))), ErrorCode.TX_TOO_MANY_CALLS, "at most 16");
  // The count is checked before the calls themselves: 17 malformed calls are still "too many".
  throwsCode(() => decodeSignedTx(wire(rawBody({ calls: new Array(17).fill("x") }))), ErrorCode.TX_TOO_MANY_CALLS);
});

test("decodeTxBody: memo of at most 256 characters", () => {
  assert.equal(decodeSignedTx(wire(rawBody({ memo: "m".repeat(256) }))).body.memo.length, 256);
  assert.equal(decodeSignedTx(wire(rawBody({ memo: "" }))).body.memo, "");
  throwsCode(() => decodeSignedTx(wire(rawBody({ memo: "m".repeat(257) }))), ErrorCode.TX_MEMO_TOO_LARGE, "at most 256");
  throwsCode(() => decodeSignedTx(wire(rawBody({ memo: "m".repeat(5000) }))), ErrorCode.TX_MEMO_TOO_LARGE, "at most 256");
  // The limit counts UTF-16 code units: 128 astral characters (256 units) fit, 129 do not.
  assert.equal(decodeSignedTx(wire(rawBody({ memo: "\u{1F600}".repeat(128) }))).body.memo.length, 256);
  throwsCode(() => decodeSignedTx(wire(rawBody({ memo: "\u{1F600}".repeat(129) }))), ErrorCode.TX_MEMO_TOO_LARGE);
});

test("tx hash is H(body bytes): independent of the signature and the public key bytes", () => {
  const stx = signTx(ED, body(), SK);
  const h = txHash(ED, stx);
  assert.deepEqual(h, ED.hash(encodeTxBody(body())));
  const otherSig = new Uint8Array(stx.signature);
  otherSig[0] ^= 1;
  const forged = decodeSignedTx(encode([TX_VERSION, stx.bodyBytes, stx.publicKey, otherSig]));
  assert.notDeepEqual(forged.bytes, stx.bytes);
  assert.deepEqual(txHash(ED, forged), h);
  // sm2 signatures are randomised: two signatures, one transaction hash.
  const kp = SM.generateKeyPair();
  const b = body({ from: addrBytes(SM, kp.publicKey) });
  const s1 = signTx(SM, b, kp.secretKey);
  const s2 = signTx(SM, b, kp.secretKey);
  assert.notDeepEqual(s1.signature, s2.signature);
  assert.deepEqual(txHash(SM, s1), txHash(SM, s2));
  // Any change to the body changes the hash.
  assert.notDeepEqual(txHash(ED, signTx(ED, body({ nonce: 4 }), SK)), h);
  assert.notDeepEqual(txHash(ED, signTx(ED, body({ memo: "hello!" }), SK)), h);
});

test("the signed message is domain-separated and names the chain", () => {
  const a = signTx(ED, body(), SK);
  const b = signTx(ED, body({ chain: "other-chain" }), SK);
  assert.ok(!ED.verify(txSigningMessage(b.bodyBytes), a.signature, PK));
  assert.ok(!ED.verify(a.bodyBytes, a.signature, PK), "the raw body is not the signed message");
  assert.ok(ED.verify(txSigningMessage(a.bodyBytes), a.signature, PK));
});

// ---------------------------------------------------------------------------------------------
// blocks

const h32 = (n: number): Uint8Array => new Uint8Array(32).fill(n);

function header(over: Partial<BlockHeader> = {}): BlockHeader {
  return {
    chain: "test-chain",
    height: 9,
    time: 1_700_000_000_000,
    prevHash: h32(1),
    txRoot: h32(2),
    receiptRoot: h32(3),
    stateRoot: h32(4),
    validatorSetHash: h32(5),
    nextValidatorSetHash: h32(6),
    proposer: new Uint8Array(20).fill(7),
    protocolVersion: 1,
    txCount: 2,
    lastCommitHash: h32(10),
    ...over,
  };
}

test("block: encode/decode round trip with transactions and a commit", () => {
  const txs = [signTx(ED, body(), SK).bytes, signTx(ED, body({ nonce: 4 }), SK).bytes];
  const hd = header();
  const hash = blockHash(ED, hd);
  const lastCommit = { height: 8, round: 0, blockHash: h32(1), signatures: [{ validator: new Uint8Array(20).fill(8), time: 100, signature: new Uint8Array(64).fill(3) }] };
  const block: Block = { header: { ...hd, lastCommitHash: lastCommitHash(ED, lastCommit) }, txs, lastCommit, commit: { height: 9, round: 2, blockHash: hash, signatures: [{ validator: new Uint8Array(20).fill(8), time: 123, signature: new Uint8Array(64).fill(9) }] } };
  const bytes = encodeBlock(block);
  const d = decodeBlock(bytes);
  assert.deepEqual(d, block);
  assert.deepEqual(encodeBlock(d), bytes);
  assert.deepEqual(blockHash(ED, d.header), blockHash(ED, block.header));
  assert.deepEqual(decodeSignedTx(d.txs[1]).body.nonce, 4);
  // Empty block, empty certificate.
  const empty: Block = { header: header({ txCount: 0 }), txs: [], lastCommit: null, commit: { height: 9, round: 0, blockHash: hash, signatures: [] } };
  assert.deepEqual(decodeBlock(encodeBlock(empty)), empty);
});

test("block hash is H(encode(header)) and changes with every header field", () => {
  const base = header();
  const h = blockHash(ED, base);
  assert.deepEqual(h, ED.hash(encodeHeader(base)));
  assert.deepEqual(decodeHeader(decode(encodeHeader(base))), base);
  const changes: Partial<BlockHeader>[] = [{ chain: "x" }, { height: 10 }, { time: 1 }, { prevHash: h32(9) }, { txRoot: h32(9) }, { receiptRoot: h32(9) }, { stateRoot: h32(9) }, { validatorSetHash: h32(9) }, { nextValidatorSetHash: h32(9) }, { proposer: new Uint8Array(20) }, { protocolVersion: 2 }, { txCount: 3 }, { lastCommitHash: h32(11) }];
  const seen = new Set([toHex(h)]);
  for (const c of changes) seen.add(toHex(blockHash(ED, header(c))));
  assert.equal(seen.size, changes.length + 1);
});

test("block decoding refuses bad versions, lengths and item types", () => {
  const hd = header();
  const good = { v: 1, header: decode(encodeHeader(hd)), txs: [] as CborValue[], lastCommit: [] as CborValue[], commit: { height: 9, round: 0, blockHash: h32(0), signatures: [] as CborValue[] } };
  assert.deepEqual(decodeBlock(encode(good)).header, hd);
  throwsCode(() => decodeBlock(encode({ ...good, v: 2 })), ErrorCode.CODEC_BAD_VERSION);
  throwsCode(() => decodeBlock(encode({ ...good, header: { ...(good.header as Record<string, CborValue>), v: 2 } })), ErrorCode.CODEC_BAD_VERSION);
  throwsCode(() => decodeBlock(encode({ ...good, header: { ...(good.header as Record<string, CborValue>), prevHash: h32(1).subarray(0, 31) } })), ErrorCode.CODEC_MALFORMED, "header.prevHash");
  throwsCode(() => decodeBlock(encode({ ...good, header: { ...(good.header as Record<string, CborValue>), proposer: h32(1) } })), ErrorCode.CODEC_MALFORMED, "header.proposer");
  throwsCode(() => decodeBlock(encode({ ...good, txs: ["not bytes"] })), ErrorCode.CODEC_MALFORMED);
  throwsCode(() => decodeBlock(encode({ ...good, extra: 1 })), ErrorCode.CODEC_MALFORMED, "block.extra");
  throwsCode(() => decodeBlock(encode({ ...good, commit: { ...good.commit, signatures: [{ validator: new Uint8Array(19), time: 0, signature: new Uint8Array(64) }] } })), ErrorCode.CODEC_MALFORMED, "commit.signatures[0].validator");
});

test("vote: encode/decode round trip; type must be prevote or precommit", () => {
  const v: Vote = { chain: "test-chain", type: "prevote", height: 5, round: 1, blockHash: h32(3), time: 99, validator: new Uint8Array(20).fill(1) };
  assert.deepEqual(decodeVote(encodeVote(v)), v);
  assert.deepEqual(decodeVote(encodeVote({ ...v, type: "precommit" })).type, "precommit");
  const raw = decode(encodeVote(v)) as Record<string, CborValue>;
  throwsCode(() => decodeVote(encode({ ...raw, type: "commit" })), ErrorCode.CODEC_MALFORMED, "vote.type");
  throwsCode(() => decodeVote(encode({ ...raw, v: 3 })), ErrorCode.CODEC_BAD_VERSION);
  assert.notDeepEqual(voteSigningMessage(v), voteSigningMessage({ ...v, type: "precommit" }));
});

// ---------------------------------------------------------------------------------------------
// commit certificates

interface Signer {
  v: Validator;
  sk: Uint8Array;
}

function makeSet(s: CryptoSuite, powers: number[]): Signer[] {
  return powers.map((power, i) => {
    const sk = s.id === "ed25519-sha256" ? seed(`validator-${i}`) : s.generateKeyPair().secretKey;
    const publicKey = s.publicKeyFromSecret(sk);
    return { v: { address: addrBytes(s, publicKey), publicKey, power }, sk };
  });
}

const CHAIN = "test-chain";
const HASH = h32(0xaa);

function certificate(s: CryptoSuite, signers: Signer[], over: Partial<Vote> = {}, hash = HASH): CommitCertificate {
  const height = over.height ?? 9;
  const round = over.round ?? 1;
  return {
    height: 9,
    round: 1,
    blockHash: hash,
    signatures: signers.map((x, i) => {
      const vote: Vote = { chain: CHAIN, type: "precommit", height, round, blockHash: hash, time: 1000 + i, validator: x.v.address, ...over };
      return { validator: x.v.address, time: vote.time, signature: s.sign(voteSigningMessage(vote), x.sk) };
    }),
  };
}

const vals = (xs: Signer[]): Validator[] => xs.map((x) => x.v);

test("verifyCommit: more than 2/3 of the power passes; exactly 2/3 fails (powers 1,1,2,2)", () => {
  const set = makeSet(ED, [1, 1, 2, 2]);
  const [a, b, c, d] = set;
  const ok = (signers: Signer[]): boolean => verifyCommit(ED, CHAIN, HASH, certificate(ED, signers), vals(set)).ok;
  assert.equal(ok([a, c, d]), true, "5 of 6");
  assert.equal(ok([b, c, d]), true, "5 of 6");
  assert.equal(ok([a, b, c, d]), true, "6 of 6");
  assert.equal(ok([c, d]), false, "4 of 6 is exactly 2/3");
  assert.equal(ok([a, b, c]), false, "4 of 6 is exactly 2/3");
  assert.equal(ok([a, b]), false, "2 of 6");
  assert.equal(ok([]), false, "no signatures");
  const r = verifyCommit(ED, CHAIN, HASH, certificate(ED, [c, d]), vals(set));
  assert.ok(!r.ok && /4 of 6/.test(r.reason), JSON.stringify(r));
  // Signature order does not matter.
  assert.equal(ok([d, a, c]), true);
});

test("verifyCommit: equal powers (3 of 4 passes, 2 of 4 fails) and a 3-validator set at 2/3", () => {
  const four = makeSet(ED, [1, 1, 1, 1]);
  assert.equal(verifyCommit(ED, CHAIN, HASH, certificate(ED, four.slice(0, 3)), vals(four)).ok, true);
  assert.equal(verifyCommit(ED, CHAIN, HASH, certificate(ED, four.slice(0, 2)), vals(four)).ok, false);
  const three = makeSet(ED, [1, 1, 1]);
  assert.equal(verifyCommit(ED, CHAIN, HASH, certificate(ED, three.slice(0, 2)), vals(three)).ok, false, "2 of 3 is exactly 2/3");
  assert.equal(verifyCommit(ED, CHAIN, HASH, certificate(ED, three), vals(three)).ok, true);
});

test("verifyCommit: a certificate for another block hash is refused", () => {
  const set = makeSet(ED, [1, 1, 2, 2]);
  const r = verifyCommit(ED, CHAIN, h32(0xbb), certificate(ED, set), vals(set));
  assert.ok(!r.ok && /another block/.test(r.reason), JSON.stringify(r));
  // blockHash field relabelled to match, but the signatures are over another hash.
  const cert = { ...certificate(ED, set, {}, h32(0xbb)), blockHash: HASH };
  const r2 = verifyCommit(ED, CHAIN, HASH, cert, vals(set));
  assert.ok(!r2.ok && /bad signature/.test(r2.reason), JSON.stringify(r2));
});

test("verifyCommit: a duplicate signer is refused even when the power would suffice", () => {
  const set = makeSet(ED, [1, 1, 2, 2]);
  const [, , c, d] = set;
  const cert = certificate(ED, [c, d]);
  cert.signatures.push({ ...cert.signatures[1] });
  const r = verifyCommit(ED, CHAIN, HASH, cert, vals(set));
  assert.ok(!r.ok && /duplicate/.test(r.reason), JSON.stringify(r));
  // Same validator, two different (both valid) signatures: still a duplicate.
  const cert2 = certificate(ED, [c, d, d]);
  assert.notDeepEqual(cert2.signatures[1].signature, cert2.signatures[2].signature);
  const r2 = verifyCommit(ED, CHAIN, HASH, cert2, vals(set));
  assert.ok(!r2.ok && /duplicate/.test(r2.reason));
});

test("verifyCommit: a signer outside the validator set is refused", () => {
  const set = makeSet(ED, [1, 1, 2, 2]);
  const outsider = makeSet(ED, [1, 1, 1, 1, 5])[4];
  const r = verifyCommit(ED, CHAIN, HASH, certificate(ED, [...set, outsider]), vals(set));
  assert.ok(!r.ok && /not in the validator set/.test(r.reason), JSON.stringify(r));
});

test("verifyCommit: bad signatures are refused (flipped bit, wrong chain/height/round/type/time)", () => {
  const set = makeSet(ED, [1, 1, 2, 2]);
  const bad = (cert: CommitCertificate, label: string): void => {
    const r = verifyCommit(ED, CHAIN, HASH, cert, vals(set));
    assert.ok(!r.ok && /bad signature/.test(r.reason), `${label}: ${JSON.stringify(r)}`);
  };
  const flipped = certificate(ED, set);
  flipped.signatures[2].signature[10] ^= 0x01;
  bad(flipped, "flipped bit");
  bad(certificate(ED, set, { chain: "other-chain" }), "other chain");
  bad(certificate(ED, set, { height: 10 }), "other height");
  bad(certificate(ED, set, { round: 0 }), "other round");
  bad(certificate(ED, set, { type: "prevote" }), "prevote");
  const wrongTime = certificate(ED, set);
  wrongTime.signatures[0].time += 1;
  bad(wrongTime, "time not as signed");
  const swapped = certificate(ED, set);
  swapped.signatures[0].signature = swapped.signatures[1].signature;
  bad(swapped, "another validator's signature");
  const short = certificate(ED, set);
  short.signatures[0].signature = short.signatures[0].signature.subarray(0, 63);
  bad(short, "truncated");
});

test("verifyCommit works the same way with the sm2-sm3 suite", () => {
  const set = makeSet(SM, [1, 1, 2, 2]);
  const [a, b, c, d] = set;
  assert.deepEqual(verifyCommit(SM, CHAIN, HASH, certificate(SM, [a, c, d]), vals(set)), { ok: true });
  assert.equal(verifyCommit(SM, CHAIN, HASH, certificate(SM, [a, b, c]), vals(set)).ok, false);
  // An ed25519 signature does not verify under sm2.
  const edSet = makeSet(ED, [1]);
  assert.equal(verifyCommit(SM, CHAIN, HASH, certificate(ED, edSet), vals(edSet)).ok, false);
});
