/**
 * Blocks, headers, votes and commit certificates.
 *
 * blockHash = H(encode(header)). A block is final when it carries a commit certificate: the
 * precommit signatures of validators holding more than 2/3 of the voting power of the set the
 * header names. The solo engine's certificate is its one validator's precommit.
 */
import { decode, encode, FieldReader } from "../codec/index.js";
import type { CborValue } from "../codec/index.js";
import type { CryptoSuite } from "../crypto/suite.js";
import { concatBytes, equalBytes, toHex, utf8 } from "../util/bytes.js";
import { CivitasError, ErrorCode } from "../util/errors.js";
import type { Validator } from "./validators.js";
import { totalPower } from "./validators.js";

export const BLOCK_VERSION = 1;
export const PROTOCOL_VERSION = 1;

export interface BlockHeader {
  chain: string;
  height: number;
  /** Milliseconds since the Unix epoch; strictly increasing. */
  time: number;
  prevHash: Uint8Array;
  txRoot: Uint8Array;
  receiptRoot: Uint8Array;
  stateRoot: Uint8Array;
  validatorSetHash: Uint8Array;
  nextValidatorSetHash: Uint8Array;
  proposer: Uint8Array;
  protocolVersion: number;
  txCount: number;
  /** H(canonical lastCommit) of the block, or 32 zero bytes when it carries none (height 1). */
  lastCommitHash: Uint8Array;
}

export interface Vote {
  chain: string;
  type: "prevote" | "precommit";
  height: number;
  round: number;
  blockHash: Uint8Array;
  time: number;
  validator: Uint8Array;
}

export interface CommitSignature {
  validator: Uint8Array;
  time: number;
  signature: Uint8Array;
}

export interface CommitCertificate {
  height: number;
  round: number;
  blockHash: Uint8Array;
  signatures: CommitSignature[];
}

export interface Block {
  header: BlockHeader;
  /** Wire bytes of each signed transaction, in execution order. */
  txs: Uint8Array[];
  /**
   * The certificate for the previous block that the proposer saw. Committed by the header's
   * lastCommitHash, so the BFT block time (the weighted median of its vote times) is checkable
   * by anyone from the block alone.
   */
  lastCommit: CommitCertificate | null;
  commit: CommitCertificate;
}

export const NO_COMMIT_HASH: Uint8Array = new Uint8Array(32);

export function encodeHeader(h: BlockHeader): Uint8Array {
  return encode({
    v: BLOCK_VERSION,
    chain: h.chain,
    height: h.height,
    time: h.time,
    prevHash: h.prevHash,
    txRoot: h.txRoot,
    receiptRoot: h.receiptRoot,
    stateRoot: h.stateRoot,
    validatorSetHash: h.validatorSetHash,
    nextValidatorSetHash: h.nextValidatorSetHash,
    proposer: h.proposer,
    protocolVersion: h.protocolVersion,
    txCount: h.txCount,
    lastCommitHash: h.lastCommitHash,
  });
}

export function decodeHeader(v: CborValue): BlockHeader {
  const f = FieldReader.of(v, "header").knownFields("v", "chain", "height", "time", "prevHash", "txRoot", "receiptRoot", "stateRoot", "validatorSetHash", "nextValidatorSetHash", "proposer", "protocolVersion", "txCount", "lastCommitHash");
  if (f.uint("v") !== BLOCK_VERSION) throw new CivitasError(ErrorCode.CODEC_BAD_VERSION, "unsupported header version");
  return {
    chain: f.str("chain"),
    height: f.uint("height"),
    time: f.uint("time"),
    prevHash: f.bytes("prevHash", 32),
    txRoot: f.bytes("txRoot", 32),
    receiptRoot: f.bytes("receiptRoot", 32),
    stateRoot: f.bytes("stateRoot", 32),
    validatorSetHash: f.bytes("validatorSetHash", 32),
    nextValidatorSetHash: f.bytes("nextValidatorSetHash", 32),
    proposer: f.bytes("proposer", 20),
    protocolVersion: f.uint("protocolVersion"),
    txCount: f.uint("txCount"),
    lastCommitHash: f.bytes("lastCommitHash", 32),
  };
}

export function blockHash(suite: Pick<CryptoSuite, "hash">, h: BlockHeader): Uint8Array {
  return suite.hash(encodeHeader(h));
}

export function encodeVote(v: Vote): Uint8Array {
  return encode({ v: BLOCK_VERSION, chain: v.chain, type: v.type, height: v.height, round: v.round, blockHash: v.blockHash, time: v.time, validator: v.validator });
}

export function decodeVote(bytes: Uint8Array): Vote {
  const f = FieldReader.of(decode(bytes), "vote").knownFields("v", "chain", "type", "height", "round", "blockHash", "time", "validator");
  if (f.uint("v") !== BLOCK_VERSION) throw new CivitasError(ErrorCode.CODEC_BAD_VERSION, "unsupported vote version");
  const type = f.str("type");
  if (type !== "prevote" && type !== "precommit") throw new CivitasError(ErrorCode.CODEC_MALFORMED, "vote.type must be prevote or precommit");
  return { chain: f.str("chain"), type, height: f.uint("height"), round: f.uint("round"), blockHash: f.bytes("blockHash", 32), time: f.uint("time"), validator: f.bytes("validator", 20) };
}

const VOTE_PREFIX = utf8("civitas/vote/v1\n");
export function voteSigningMessage(v: Vote): Uint8Array {
  return concatBytes(VOTE_PREFIX, encodeVote(v));
}

export function encodeCommit(c: CommitCertificate): CborValue {
  return { height: c.height, round: c.round, blockHash: c.blockHash, signatures: c.signatures.map((s) => ({ validator: s.validator, time: s.time, signature: s.signature })) };
}

export function decodeCommit(v: CborValue): CommitCertificate {
  const f = FieldReader.of(v, "commit").knownFields("height", "round", "blockHash", "signatures");
  return {
    height: f.uint("height"),
    round: f.uint("round"),
    blockHash: f.bytes("blockHash", 32),
    signatures: f.array("signatures", 10_000).map((s, i) => {
      const sf = FieldReader.of(s, `commit.signatures[${i}]`).knownFields("validator", "time", "signature");
      return { validator: sf.bytes("validator", 20), time: sf.uint("time"), signature: sf.bytes("signature") };
    }),
  };
}

/** The hash a header carries for its lastCommit. */
export function lastCommitHash(suite: Pick<CryptoSuite, "hash">, c: CommitCertificate | null): Uint8Array {
  return c ? suite.hash(encode(encodeCommit(c))) : NO_COMMIT_HASH;
}

/** A block without its own certificate: what a proposer proposes and validators vote on. */
export interface BlockBody {
  header: BlockHeader;
  txs: Uint8Array[];
  lastCommit: CommitCertificate | null;
}

function bodyFields(b: BlockBody): Record<string, CborValue> {
  return { v: BLOCK_VERSION, header: decode(encodeHeader(b.header)), txs: b.txs, lastCommit: b.lastCommit ? [encodeCommit(b.lastCommit)] : [] };
}

function readBody(f: FieldReader, what: string): BlockBody {
  if (f.uint("v") !== BLOCK_VERSION) throw new CivitasError(ErrorCode.CODEC_BAD_VERSION, `unsupported ${what} version`);
  const txs = f.array("txs").map((t) => {
    if (!(t instanceof Uint8Array)) throw new CivitasError(ErrorCode.CODEC_MALFORMED, `${what}.txs items must be byte strings`);
    return new Uint8Array(t);
  });
  const lc = f.array("lastCommit", 1);
  return { header: decodeHeader(f.raw("header")), txs, lastCommit: lc.length ? decodeCommit(lc[0]) : null };
}

export function encodeBlockBody(b: BlockBody): Uint8Array {
  return encode(bodyFields(b));
}

export function decodeBlockBody(bytes: Uint8Array): BlockBody {
  return readBody(FieldReader.of(decode(bytes), "proposal").knownFields("v", "header", "txs", "lastCommit"), "proposal");
}

export function encodeBlock(b: Block): Uint8Array {
  return encode({ ...bodyFields(b), commit: encodeCommit(b.commit) });
}

export function decodeBlock(bytes: Uint8Array): Block {
  const f = FieldReader.of(decode(bytes), "block").knownFields("v", "header", "txs", "lastCommit", "commit");
  return { ...readBody(f, "block"), commit: decodeCommit(f.raw("commit")) };
}

/**
 * Checks a commit certificate against a validator set: every signature is a valid precommit for
 * this block by a distinct member, and together they hold more than 2/3 of the power.
 */
export function verifyCommit(suite: CryptoSuite, chain: string, hash: Uint8Array, commit: CommitCertificate, validators: Validator[]): { ok: true } | { ok: false; reason: string } {
  if (!equalBytes(commit.blockHash, hash)) return { ok: false, reason: "certificate is for another block" };
  const seen = new Set<string>();
  let power = 0;
  for (const s of commit.signatures) {
    const key = toHex(s.validator);
    if (seen.has(key)) return { ok: false, reason: `duplicate signature from ${key}` };
    seen.add(key);
    const v = validators.find((x) => equalBytes(x.address, s.validator));
    if (!v) return { ok: false, reason: `signer 0x${key} is not in the validator set` };
    const vote: Vote = { chain, type: "precommit", height: commit.height, round: commit.round, blockHash: hash, time: s.time, validator: s.validator };
    if (!suite.verify(voteSigningMessage(vote), s.signature, v.publicKey)) return { ok: false, reason: `bad signature from 0x${key}` };
    power += v.power;
  }
  if (3 * power <= 2 * totalPower(validators)) return { ok: false, reason: `signatures hold ${power} of ${totalPower(validators)} voting power, need more than 2/3` };
  return { ok: true };
}

export function headerToJson(h: BlockHeader, hash: Uint8Array): Record<string, unknown> {
  return {
    hash: toHex(hash),
    chain: h.chain,
    height: h.height,
    time: h.time,
    prevHash: toHex(h.prevHash),
    txRoot: toHex(h.txRoot),
    receiptRoot: toHex(h.receiptRoot),
    stateRoot: toHex(h.stateRoot),
    validatorSetHash: toHex(h.validatorSetHash),
    nextValidatorSetHash: toHex(h.nextValidatorSetHash),
    proposer: "0x" + toHex(h.proposer),
    protocolVersion: h.protocolVersion,
    txCount: h.txCount,
    lastCommitHash: toHex(h.lastCommitHash),
  };
}

export function commitToJson(c: CommitCertificate): Record<string, unknown> {
  return { height: c.height, round: c.round, blockHash: toHex(c.blockHash), signatures: c.signatures.map((s) => ({ validator: "0x" + toHex(s.validator), time: s.time, signature: toHex(s.signature) })) };
}

/** A vote with its signature: what validators gossip and what equivocation evidence holds. */
export interface SignedVoteBytes {
  vote: Vote;
  signature: Uint8Array;
}

export function encodeSignedVote(sv: SignedVoteBytes): Uint8Array {
  return encode({ vote: encodeVote(sv.vote), signature: sv.signature });
}

export function decodeSignedVote(bytes: Uint8Array): SignedVoteBytes {
  const f = FieldReader.of(decode(bytes), "signedVote").knownFields("vote", "signature");
  const signature = f.bytes("signature");
  if (signature.length > 128) throw new CivitasError(ErrorCode.CODEC_MALFORMED, "signedVote.signature longer than 128 bytes");
  return { vote: decodeVote(f.bytes("vote")), signature };
}
