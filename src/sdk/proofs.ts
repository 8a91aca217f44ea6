/**
 * Verification a client can do without trusting the node it talks to: header hashes, commit
 * certificates, transaction inclusion (RFC 9162) and state (sparse Merkle) proofs.
 */
import type { BlockHeader, CommitCertificate } from "../ledger/block.js";
import { blockHash, verifyCommit } from "../ledger/block.js";
import type { HexInclusionProof, HexConsistencyProof } from "../ledger/merkle.js";
import { inclusionProofHex, merkleRootHex, consistencyProofHex, verifyConsistencyHex, verifyInclusionHex, leafHash } from "../ledger/merkle.js";
import type { SmtProof } from "../ledger/smt-proof.js";
import { verifySmtProof } from "../ledger/smt-proof.js";
import type { Validator } from "../ledger/validators.js";
import type { CryptoSuite, SuiteId } from "../crypto/suite.js";
import { getPortableSuite } from "../crypto/portable-suites.js";
import { fromHex, isHex, toHex, utf8 } from "../util/bytes.js";

export type { HexInclusionProof, HexConsistencyProof, SmtProof };

function hasher(suite: SuiteId | CryptoSuite = "ed25519-sha256"): (d: Uint8Array) => Uint8Array {
  const s = typeof suite === "string" ? getPortableSuite(suite) : suite;
  return (d) => s.hash(d);
}

/** RFC 9162 root of entries given as hex bytes (SHA-256 unless another suite is named). */
export function merkleRoot(leaves: string[], suite?: SuiteId): string {
  return merkleRootHex(hasher(suite), leaves);
}

export function inclusionProof(leaves: string[], index: number, suite?: SuiteId): HexInclusionProof {
  return inclusionProofHex(hasher(suite), leaves, index);
}

export function consistencyProof(leaves: string[], size1: number, suite?: SuiteId): HexConsistencyProof {
  return consistencyProofHex(hasher(suite), leaves, size1);
}

/** True iff `proof` shows `leafHash` at `index` in the tree of `treeSize` with `root`. Never throws. */
export function verifyInclusion(p: HexInclusionProof, suite?: SuiteId): boolean {
  try {
    return verifyInclusionHex(hasher(suite), p);
  } catch {
    return false; // an unknown suite name, too, is a failed verification
  }
}

export function verifyConsistency(p: HexConsistencyProof, suite?: SuiteId): boolean {
  try {
    return verifyConsistencyHex(hasher(suite), p);
  } catch {
    return false;
  }
}

/** Leaf hash of raw entry bytes given as hex. */
export function merkleLeafHash(entryHex: string, suite?: SuiteId): string {
  return toHex(leafHash(hasher(suite), fromHex(entryHex)));
}

/** Parses a header as the API returns it and checks that it hashes to its claimed hash. */
export function headerFromJson(j: Record<string, unknown>): { header: BlockHeader; hash: string } {
  const b = (k: string, n: number): Uint8Array => {
    const v = j[k];
    if (!isHex(v, n)) throw new TypeError(`header.${k} must be ${n} bytes of hex`);
    return fromHex(v as string);
  };
  const num = (k: string): number => {
    const v = j[k];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw new TypeError(`header.${k} must be a non-negative integer`);
    return v;
  };
  if (typeof j.chain !== "string") throw new TypeError("header.chain must be a string");
  const header: BlockHeader = {
    chain: j.chain,
    height: num("height"),
    time: num("time"),
    prevHash: b("prevHash", 32),
    txRoot: b("txRoot", 32),
    receiptRoot: b("receiptRoot", 32),
    stateRoot: b("stateRoot", 32),
    validatorSetHash: b("validatorSetHash", 32),
    nextValidatorSetHash: b("nextValidatorSetHash", 32),
    proposer: b("proposer", 20),
    protocolVersion: num("protocolVersion"),
    txCount: num("txCount"),
    lastCommitHash: b("lastCommitHash", 32),
  };
  return { header, hash: typeof j.hash === "string" ? j.hash : "" };
}

/** Recomputes a header's hash; false if the JSON was altered. */
export function verifyHeaderHash(headerJson: Record<string, unknown>, suite: SuiteId = "ed25519-sha256"): boolean {
  try {
    const { header, hash } = headerFromJson(headerJson);
    return toHex(blockHash(getPortableSuite(suite), header)) === hash;
  } catch {
    return false;
  }
}

/** Checks a commit certificate (API JSON form) against a validator set the caller trusts. */
export function verifyCommitCertificate(
  headerJson: Record<string, unknown>,
  commitJson: { height: number; round: number; blockHash: string; signatures: Array<{ validator: string; time: number; signature: string }> },
  validators: Array<{ address: string; publicKey: string; power: number }>,
  suite: SuiteId = "ed25519-sha256",
): { ok: true } | { ok: false; reason: string } {
  try {
    const s = getPortableSuite(suite);
    const { header } = headerFromJson(headerJson);
    const hash = blockHash(s, header);
    const commit: CommitCertificate = {
      height: commitJson.height,
      round: commitJson.round,
      blockHash: fromHex(commitJson.blockHash),
      signatures: commitJson.signatures.map((x) => ({ validator: fromHex(x.validator), time: x.time, signature: fromHex(x.signature) })),
    };
    if (commit.height !== header.height) return { ok: false, reason: "certificate height differs from the header" };
    const vs: Validator[] = validators.map((v) => ({ address: fromHex(v.address), publicKey: fromHex(v.publicKey), power: v.power }));
    return verifyCommit(s, header.chain, hash, commit, vs);
  } catch (e) {
    return { ok: false, reason: `malformed input: ${(e as Error).message}` };
  }
}

/**
 * Verifies the answer of GET /v1/txs/:hash: the transaction bytes' leaf is in the header's
 * txRoot and the header hashes to the block hash given. Never throws.
 */
export function verifyTxInclusion(
  txResponse: { proof: HexInclusionProof; header: Record<string, unknown> },
  txBytesHex: string,
  suite: SuiteId = "ed25519-sha256",
): boolean {
  try {
    const h = hasher(suite);
    if (!verifyHeaderHash(txResponse.header, suite)) return false;
    const { header } = headerFromJson(txResponse.header);
    if (toHex(leafHash(h, fromHex(txBytesHex))) !== txResponse.proof.leafHash) return false;
    if (txResponse.proof.root !== toHex(header.txRoot)) return false;
    // The tree size must come from the header, never from the proof (RFC 9162 verification
    // only sees the size through the proof's shape).
    if (txResponse.proof.treeSize !== header.txCount) return false;
    return verifyInclusionHex(h, txResponse.proof);
  } catch {
    return false;
  }
}

/**
 * Verifies a state answer (module query or account balance): the proof is for `key`, proves
 * `valueHex` (or absence when null) and its root is the given header's stateRoot. Never throws.
 */
export function verifyStateProof(answer: { key: string; proof: SmtProof }, stateRootHex: string, suite: SuiteId = "ed25519-sha256"): boolean {
  try {
    if (answer.proof.key !== toHex(utf8(answer.key))) return false;
    return verifySmtProof(hasher(suite), fromHex(stateRootHex), answer.proof);
  } catch {
    return false;
  }
}


