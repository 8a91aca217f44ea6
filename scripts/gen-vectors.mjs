#!/usr/bin/env node
// Generates the committed canonical-encoding vectors in test/spec/vectors/ from the compiled
// sources in dist/ (run `npm run build` first). Run it ONCE when the wire format is created or
// deliberately changed, review the diff by hand, and commit the JSON: the spec test then fails
// on any accidental change to how a ledger structure is encoded or hashed.
//
//   node scripts/gen-vectors.mjs           writes test/spec/vectors/ledger-v1.json
//   node scripts/gen-vectors.mjs --check   exits 1 if the committed file differs
//
// Typed JSON: {"$bytes": "<hex>"} is a byte string, {"$bigint": "<decimal>"} a bigint; every other
// JSON value stands for itself. The RFC 8949 vectors (rfc8949-appendix-a.json) are hand-typed
// from the RFC and are NOT produced here.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dist = new URL("../dist/src/", import.meta.url);
const load = (p) => import(new URL(p, dist).href);
const { getNodeSuite } = await load("crypto/node-suites.js");
const { encodeTxBody, signTx, txHash } = await load("ledger/tx.js");
const { encodeHeader, blockHash, encodeVote, voteSigningMessage, encodeBlock, lastCommitHash } = await load("ledger/block.js");
const { encodeReceipt } = await load("ledger/receipt.js");
const { merkleRootOf } = await load("ledger/merkle.js");
const { validatorSetHash } = await load("ledger/validators.js");

const hex = (b) => Buffer.from(b).toString("hex");
const bytes = (h) => new Uint8Array(Buffer.from(h, "hex"));
const fill = (n, len = 32) => new Uint8Array(len).fill(n);

/** Value -> typed JSON (the inverse of the test's `revive`). */
function typed(v) {
  if (v instanceof Uint8Array) return { $bytes: hex(v) };
  if (typeof v === "bigint") return { $bigint: v.toString() };
  if (Array.isArray(v)) return v.map(typed);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typed(x)]));
  return v;
}

const suite = getNodeSuite("ed25519-sha256");
// RFC 8032 section 7.1, TEST 1: the secret key is the 32-byte seed.
const SEED = bytes("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
const PUB = suite.publicKeyFromSecret(SEED);
if (hex(PUB) !== "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a") throw new Error("RFC 8032 TEST 1 public key mismatch");
const FROM = bytes(suite.address(PUB).slice(2));

const body = {
  chain: "civitas-vectors",
  from: FROM,
  nonce: 7,
  expires: 1_767_225_600_000,
  gasLimit: 250_000,
  calls: [
    { module: "token", method: "transfer", args: { to: "0x" + "ab".repeat(20), amount: 1152921504606846976n } },
    { module: "kv", method: "put", args: { namespace: "vectors", key: "greeting", value: "grüße, 世界 🌍" } },
  ],
  memo: "canonical encoding vector",
};
const bodyBytes = encodeTxBody(body);
const stx = signTx(suite, body, SEED);
const tHash = txHash(suite, stx);

const receiptOk = {
  txHash: tHash,
  status: "ok",
  code: null,
  message: "",
  gasUsed: 5432,
  events: [
    { module: "token", type: "Transfer", accounts: [FROM, fill(0xab, 20)], attrs: { from: "0x" + hex(FROM), to: "0x" + "ab".repeat(20), amount: 1152921504606846976n } },
    { module: "kv", type: "Put", accounts: [FROM], attrs: { namespace: "vectors", key: "greeting" } },
  ],
};
const receiptFailed = { txHash: fill(0x11), status: "failed", code: "EXEC_INSUFFICIENT_BALANCE", message: "balance 0 is less than 5", gasUsed: 1800, events: [] };

const validators = [{ address: FROM, publicKey: PUB, power: 10 }];
const prevVote = { chain: "civitas-vectors", type: "precommit", height: 41, round: 1, blockHash: fill(0x01), time: 1_767_225_000_001, validator: FROM };
const lastCommit = { height: 41, round: 1, blockHash: fill(0x01), signatures: [{ validator: FROM, time: prevVote.time, signature: suite.sign(voteSigningMessage(prevVote), SEED) }] };
const header = {
  chain: "civitas-vectors",
  height: 42,
  time: 1_767_225_000_123,
  prevHash: fill(0x01),
  txRoot: merkleRootOf(suite.hash, [stx.bytes]),
  receiptRoot: merkleRootOf(suite.hash, [encodeReceipt(receiptOk)]),
  stateRoot: fill(0x03),
  validatorSetHash: validatorSetHash(suite, validators),
  nextValidatorSetHash: validatorSetHash(suite, validators),
  proposer: FROM,
  protocolVersion: 1,
  txCount: 1,
  lastCommitHash: lastCommitHash(suite, lastCommit),
};
const bHash = blockHash(suite, header);

const vote = { chain: "civitas-vectors", type: "precommit", height: 42, round: 0, blockHash: bHash, time: 1_767_225_000_456, validator: FROM };
const voteSig = suite.sign(voteSigningMessage(vote), SEED);

const commit = { height: 42, round: 0, blockHash: bHash, signatures: [{ validator: FROM, time: vote.time, signature: voteSig }] };
const block = { header, txs: [stx.bytes], lastCommit, commit };
const blockBytes = encodeBlock(block);

const out = {
  description: "Canonical (RFC 8949 core deterministic) encodings of Civitas v1 ledger structures, suite ed25519-sha256. Generated once by scripts/gen-vectors.mjs and reviewed by hand; a change here is a wire-format change. Typed JSON: {\"$bytes\": hex}, {\"$bigint\": decimal}.",
  suite: "ed25519-sha256",
  key: { source: "RFC 8032 section 7.1 TEST 1", seed: hex(SEED), publicKey: hex(PUB), address: suite.address(PUB) },
  txBody: { input: typed(body), hex: hex(bodyBytes), hash: hex(suite.hash(bodyBytes)) },
  signedTx: { input: typed(body), publicKey: hex(stx.publicKey), signature: hex(stx.signature), hex: hex(stx.bytes), hash: hex(tHash) },
  header: { input: typed(header), hex: hex(encodeHeader(header)), hash: hex(bHash) },
  vote: { input: typed(vote), hex: hex(encodeVote(vote)), hash: hex(suite.hash(encodeVote(vote))), signature: hex(voteSig) },
  receipts: [receiptOk, receiptFailed].map((r) => ({ input: typed(r), hex: hex(encodeReceipt(r)), hash: hex(suite.hash(encodeReceipt(r))) })),
  block: { input: typed(block), validators: typed(validators), hex: hex(blockBytes), hash: hex(bHash) },
};

const target = fileURLToPath(new URL("../test/spec/vectors/ledger-v1.json", import.meta.url));
const text = JSON.stringify(out, null, 2) + "\n";
if (process.argv.includes("--check")) {
  const same = readFileSync(target, "utf8") === text;
  console.log(same ? "vectors match the current encoder" : "vectors DIFFER from the current encoder");
  process.exit(same ? 0 : 1);
}
writeFileSync(target, text);
console.log(`wrote ${target}`);
