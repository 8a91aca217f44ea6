/**
 * Committed canonical-encoding vectors. Any change to how a value or a ledger structure is
 * encoded or hashed fails here: that is a wire-format change and needs a new version, not a
 * silent edit. ledger-v1.json was produced once by scripts/gen-vectors.mjs and reviewed by hand;
 * rfc8949-appendix-a.json is copied from RFC 8949 Appendix A.
 *
 * On top of byte equality, every vector is walked by a small independent CBOR reader that checks
 * the core deterministic rules directly (minimal heads, definite lengths, map keys in bytewise
 * order of their encodings), so a vector that was wrong when generated would not pass either.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { decode, encode } from "../../src/codec/index.js";
import type { CborValue } from "../../src/codec/index.js";
import { getNodeSuite } from "../../src/crypto/node-suites.js";
import type { Block, BlockHeader, Vote } from "../../src/ledger/block.js";
import { blockHash, decodeBlock, decodeHeader, decodeVote, encodeBlock, encodeHeader, encodeVote, verifyCommit, voteSigningMessage } from "../../src/ledger/block.js";
import { merkleRootOf } from "../../src/ledger/merkle.js";
import type { Receipt } from "../../src/ledger/receipt.js";
import { decodeReceipt, encodeReceipt } from "../../src/ledger/receipt.js";
import type { TxBody } from "../../src/ledger/tx.js";
import { decodeSignedTx, decodeTxBody, encodeTxBody, signTx, txHash, txSigningMessage } from "../../src/ledger/tx.js";
import type { Validator } from "../../src/ledger/validators.js";
import { compareBytes, fromHex, toHex, utf8 } from "../../src/util/bytes.js";
import { CivitasError, ErrorCode } from "../../src/util/errors.js";

const VECTORS = new URL("../../../test/spec/vectors/", import.meta.url);
const readJson = <T>(name: string): T => JSON.parse(readFileSync(new URL(name, VECTORS), "utf8")) as T;

type Typed = null | boolean | number | string | Typed[] | { [k: string]: Typed };

/** Typed JSON -> value: {"$bytes": hex} is a byte string, {"$bigint": decimal} a bigint. */
function revive(v: Typed): CborValue {
  if (Array.isArray(v)) return v.map(revive);
  if (v !== null && typeof v === "object") {
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === "$bytes") return fromHex(v.$bytes as string);
    if (keys.length === 1 && keys[0] === "$bigint") return BigInt(v.$bigint as string);
    const o: { [k: string]: CborValue } = {};
    for (const k of keys) o[k] = revive(v[k]);
    return o;
  }
  return v;
}

interface Vec {
  input: Typed;
  hex: string;
  hash: string;
}
interface LedgerVectors {
  suite: string;
  key: { seed: string; publicKey: string; address: string };
  txBody: Vec;
  signedTx: Vec & { publicKey: string; signature: string };
  header: Vec;
  vote: Vec & { signature: string };
  receipts: Vec[];
  block: Vec & { validators: Typed };
}
interface RfcVectors {
  valid: Array<{ value: Typed; hex: string }>;
  rejected: Array<{ what: string; hex: string }>;
}

const L = readJson<LedgerVectors>("ledger-v1.json");
const RFC = readJson<RfcVectors>("rfc8949-appendix-a.json");
const suite = getNodeSuite("ed25519-sha256");
const SEED = fromHex(L.key.seed);

/** Rejection is what matters; which of the two codec codes applies is the codec's choice. */
const REJECT_CODES: string[] = [ErrorCode.CODEC_MALFORMED, ErrorCode.CODEC_NON_CANONICAL];
function throwsCode(fn: () => unknown, codes: string[], label?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CivitasError, `${label ?? ""}: expected a CivitasError, got ${String(e)}`);
    assert.ok(codes.includes(e.code), `${label ?? ""}: got ${e.code}: ${e.message}`);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------
// An independent reader for the deterministic rules (RFC 8949 section 4.2.1), sharing no code
// with the codec under test.

interface Head {
  major: number;
  arg: bigint;
  next: number;
}

function readHead(b: Uint8Array, i: number): Head {
  assert.ok(i < b.length, "truncated item");
  const major = b[i] >> 5;
  const ai = b[i] & 31;
  if (ai < 24) return { major, arg: BigInt(ai), next: i + 1 };
  const len = ai === 24 ? 1 : ai === 25 ? 2 : ai === 26 ? 4 : ai === 27 ? 8 : 0;
  assert.ok(len > 0, `indefinite length or reserved additional info ${ai} at ${i}`);
  assert.ok(i + 1 + len <= b.length, "truncated head");
  let arg = 0n;
  for (let k = 0; k < len; k++) arg = (arg << 8n) | BigInt(b[i + 1 + k]);
  const min = len === 1 ? 24n : 1n << BigInt(8 * (len / 2));
  assert.ok(arg >= min, `non-minimal head at ${i}`);
  return { major, arg, next: i + 1 + len };
}

/** Walks one item from `i`, asserting canonical form; returns its end. Counts maps checked. */
function walk(b: Uint8Array, i: number, stats: { maps: number }): number {
  const h = readHead(b, i);
  switch (h.major) {
    case 0:
    case 1:
      return h.next;
    case 2:
    case 3:
      assert.ok(h.next + Number(h.arg) <= b.length, "truncated string");
      return h.next + Number(h.arg);
    case 4: {
      let p = h.next;
      for (let k = 0n; k < h.arg; k++) p = walk(b, p, stats);
      return p;
    }
    case 5: {
      stats.maps++;
      let p = h.next;
      let prev: Uint8Array | undefined;
      for (let k = 0n; k < h.arg; k++) {
        assert.equal(b[p] >> 5, 3, "map keys must be text strings");
        const keyEnd = walk(b, p, stats);
        const key = b.subarray(p, keyEnd);
        if (prev) assert.ok(compareBytes(prev, key) < 0, `map keys out of order: ${toHex(prev)} then ${toHex(key)}`);
        prev = key;
        p = walk(b, keyEnd, stats);
      }
      return p;
    }
    case 6:
      assert.fail("tags are outside the value model");
      break;
    case 7:
      assert.ok(h.arg >= 20n && h.arg <= 22n && b[i] < 0xf8, "only false, true and null are allowed");
      return h.next;
  }
  return assert.fail("unreachable");
}

function assertCanonical(hex: string, label: string): number {
  const b = fromHex(hex);
  const stats = { maps: 0 };
  assert.equal(walk(b, 0, stats), b.length, `${label}: trailing bytes`);
  return stats.maps;
}

// ---------------------------------------------------------------------------------------------

test("RFC 8949 Appendix A: the encoder produces exactly the published bytes", () => {
  assert.ok(RFC.valid.length >= 30);
  for (const { value, hex } of RFC.valid) {
    const v = revive(value);
    assert.equal(toHex(encode(v)), hex, `encode(${JSON.stringify(value)})`);
    assert.deepEqual(decode(fromHex(hex)), v, `decode(${hex})`);
    assertCanonical(hex, hex);
  }
});

test("RFC 8949 Appendix A: items outside the value model are rejected", () => {
  assert.ok(RFC.rejected.length >= 15);
  for (const { what, hex } of RFC.rejected) throwsCode(() => decode(fromHex(hex)), REJECT_CODES, what);
});

test("the vector key is RFC 8032 TEST 1 and the suite signs with it deterministically", () => {
  assert.equal(L.suite, "ed25519-sha256");
  assert.equal(toHex(suite.publicKeyFromSecret(SEED)), L.key.publicKey);
  assert.equal(suite.address(fromHex(L.key.publicKey)), L.key.address);
  // RFC 8032 section 7.1 TEST 1: signature of the empty message.
  const rfcSig = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
  assert.equal(toHex(suite.sign(new Uint8Array(0), SEED)), rfcSig);
  assert.equal(toHex(suite.sign(new Uint8Array(0), SEED)), rfcSig);
});

test("transaction body vector: bytes, hash and decode", () => {
  const body = revive(L.txBody.input) as unknown as TxBody;
  const bytes = encodeTxBody(body);
  assert.equal(toHex(bytes), L.txBody.hex);
  assert.equal(toHex(suite.hash(bytes)), L.txBody.hash);
  assert.deepEqual(decodeTxBody(fromHex(L.txBody.hex)), body);
  assert.equal(assertCanonical(L.txBody.hex, "tx body"), 5, "body, two calls, two args maps");
});

test("signed transaction vector: deterministic signature, wire bytes, hash over the body", () => {
  const body = revive(L.signedTx.input) as unknown as TxBody;
  const stx = signTx(suite, body, SEED);
  assert.equal(toHex(stx.publicKey), L.signedTx.publicKey);
  assert.equal(toHex(stx.signature), L.signedTx.signature);
  assert.equal(toHex(stx.bytes), L.signedTx.hex);
  assert.equal(toHex(txHash(suite, stx)), L.signedTx.hash);
  assert.equal(L.signedTx.hash, L.txBody.hash, "the tx hash is the hash of the body bytes");
  const d = decodeSignedTx(fromHex(L.signedTx.hex));
  assert.deepEqual(d.body, body);
  assert.equal(toHex(d.bodyBytes), L.txBody.hex);
  assert.equal(toHex(d.publicKey), L.signedTx.publicKey);
  assert.equal(toHex(d.signature), L.signedTx.signature);
  assert.ok(suite.verify(txSigningMessage(d.bodyBytes), d.signature, d.publicKey));
  // The signed message is domain-separated: the bare body does not verify.
  assert.ok(!suite.verify(d.bodyBytes, d.signature, d.publicKey));
  assertCanonical(L.signedTx.hex, "signed tx");
});

test("block header vector: bytes, block hash and decode", () => {
  const h = revive(L.header.input) as unknown as BlockHeader;
  assert.equal(toHex(encodeHeader(h)), L.header.hex);
  assert.equal(toHex(blockHash(suite, h)), L.header.hash);
  assert.deepEqual(decodeHeader(decode(fromHex(L.header.hex))), h);
  assertCanonical(L.header.hex, "header");
});

test("header vector: the same entries with the first two swapped are refused as non-canonical", () => {
  // Swap "v": 1 (first) and "time": ... (second) and keep the map head: same value, wrong order.
  const b = fromHex(L.header.hex);
  const first = b.subarray(1, 4); // 61 76 01
  assert.equal(toHex(first), "617601");
  const second = b.subarray(4, 4 + 5 + 9); // 64 "time" 1b <8 bytes>
  assert.equal(toHex(second.subarray(0, 5)), "6474696d65");
  const swapped = new Uint8Array(b);
  swapped.set(second, 1);
  swapped.set(first, 1 + second.length);
  assert.notEqual(toHex(swapped), L.header.hex);
  throwsCode(() => decode(swapped), [ErrorCode.CODEC_NON_CANONICAL]);
});

test("vote vector: bytes, hash, decode and a verifying precommit signature", () => {
  const v = revive(L.vote.input) as unknown as Vote;
  const bytes = encodeVote(v);
  assert.equal(toHex(bytes), L.vote.hex);
  assert.equal(toHex(suite.hash(bytes)), L.vote.hash);
  assert.deepEqual(decodeVote(fromHex(L.vote.hex)), v);
  assert.equal(toHex(suite.sign(voteSigningMessage(v), SEED)), L.vote.signature);
  assert.ok(suite.verify(voteSigningMessage(v), fromHex(L.vote.signature), fromHex(L.key.publicKey)));
  assert.equal(toHex(v.blockHash), L.header.hash, "the vote is for the header vector");
  assertCanonical(L.vote.hex, "vote");
});

test("receipt vectors: bytes, hash and decode (ok with events, failed with a code)", () => {
  assert.equal(L.receipts.length, 2);
  for (const [i, vec] of L.receipts.entries()) {
    const r = revive(vec.input) as unknown as Receipt;
    const bytes = encodeReceipt(r);
    assert.equal(toHex(bytes), vec.hex, `receipt ${i}`);
    assert.equal(toHex(suite.hash(bytes)), vec.hash);
    assert.deepEqual(decodeReceipt(fromHex(vec.hex)), r);
    assertCanonical(vec.hex, `receipt ${i}`);
  }
  assert.equal((revive(L.receipts[0].input) as unknown as Receipt).events.length, 2);
  assert.equal((revive(L.receipts[1].input) as unknown as Receipt).code, "EXEC_INSUFFICIENT_BALANCE");
});

test("block + commit vector: bytes, decode, roots, and the certificate verifies", () => {
  const block = revive(L.block.input) as unknown as Block;
  const validators = revive(L.block.validators) as unknown as Validator[];
  const bytes = encodeBlock(block);
  assert.equal(toHex(bytes), L.block.hex);
  assert.equal(toHex(blockHash(suite, block.header)), L.block.hash);
  assert.equal(L.block.hash, L.header.hash);
  assert.deepEqual(decodeBlock(fromHex(L.block.hex)), block);
  assertCanonical(L.block.hex, "block");
  // The header's roots commit to the vector's own transaction and receipt.
  assert.equal(toHex(block.txs[0]), L.signedTx.hex);
  assert.deepEqual(block.header.txRoot, merkleRootOf(suite.hash, block.txs));
  assert.deepEqual(block.header.receiptRoot, merkleRootOf(suite.hash, [fromHex(L.receipts[0].hex)]));
  assert.deepEqual(verifyCommit(suite, block.header.chain, fromHex(L.block.hash), block.commit, validators), { ok: true });
  assert.equal(toHex(block.commit.signatures[0].signature), L.vote.signature);
  // The same certificate does not verify for another chain name (signatures are domain-separated).
  assert.equal(verifyCommit(suite, "other-chain", fromHex(L.block.hash), block.commit, validators).ok, false);
});

test("every string in the vectors is valid UTF-8 and survives decode", () => {
  const body = decodeTxBody(fromHex(L.txBody.hex));
  assert.equal(body.calls[1].args.value, "grüße, 世界 🌍");
  assert.equal(utf8(body.calls[1].args.value as string).length, 20);
});
