/**
 * The offline proof bundle (docs/spec/proof-bundle.md, "Offline proof bundle"): everything a
 * third party needs to check, with no network, that a document was registered on a Civitas
 * chain. Every field is either checked or recomputed by the verifier: there is no free text a
 * forger could change without the check failing. Portable (no node: imports).
 */
import type { SuiteId } from "../../crypto/suite.js";

export const BUNDLE_TYPE = "civitas.proof.bundle/v1";
export const BUNDLE_VERSION = 1;

/** A header as the API prints it (headerToJson): `hash` must be the hash of the other fields. */
export interface HeaderJson {
  hash: string;
  chain: string;
  height: number;
  time: number;
  prevHash: string;
  txRoot: string;
  receiptRoot: string;
  stateRoot: string;
  validatorSetHash: string;
  nextValidatorSetHash: string;
  /** "0x" + 40 hex. */
  proposer: string;
  protocolVersion: number;
  txCount: number;
  lastCommitHash: string;
}

export interface CommitJson {
  height: number;
  round: number;
  blockHash: string;
  /** validator: "0x" + 40 hex. */
  signatures: Array<{ validator: string; time: number; signature: string }>;
}

export interface CertifiedHeader {
  header: HeaderJson;
  commit: CommitJson;
}

/** A validator as the sets are hashed; lists are in address order (the order of validatorSetHash). */
export interface ValidatorJson {
  publicKey: string;
  power: number;
}

/** A sparse-Merkle state proof (src/ledger/smt-proof.ts); `key` is the hex of the UTF-8 state key. */
export interface SmtProofJson {
  key: string;
  value: string | null;
  siblings: string[];
  terminal: { kind: "empty" } | { kind: "leaf"; keyHash: string; valueHash: string };
}

/** An RFC 9162 inclusion proof of a transaction or receipt in its block. */
export interface InclusionJson {
  leafHash: string;
  index: number;
  treeSize: number;
  proof: string[];
  root: string;
}

export interface ProofBundle {
  type: typeof BUNDLE_TYPE;
  version: typeof BUNDLE_VERSION;
  chainId: string;
  suite: SuiteId;
  /** The document's fingerprint F = H(document) or H(salt ‖ document); the salt is needed to recompute it. */
  document: { fingerprint: string; salt: string | null };
  /** The document's place in an aggregated registration (RFC 9162 path from H(0x00 ‖ F) to the registered root). */
  aggregation: { leafIndex: number; treeSize: number; path: string[]; root: string } | null;
  /**
   * Where trust starts: a header (block 0 by default) and the validator set that signs the block
   * after it (must hash to its nextValidatorSetHash). Pin it with `--trusted-hash` / `--genesis`.
   */
  trust: { header: HeaderJson; validators: ValidatorJson[] };
  /** Every header between the trust anchor and the newest block of the bundle whose set changes, with the new set. */
  validatorChanges: Array<CertifiedHeader & { nextValidators: ValidatorJson[] }>;
  /** The block that registered the record: the record's state, the transaction and its receipt are proved against it. */
  registration: CertifiedHeader & {
    record: SmtProofJson;
    tx: { raw: string; proof: InclusionJson };
    receipt: { raw: string; proof: InclusionJson };
    /** `proof/tsaroots` at that block (the roots the token was checked against); null when the record has no token. */
    tsaRoots: SmtProofJson | null;
  };
  /** The record as of a later block (its current status when the bundle was made); null if that is the registration block. */
  status: (CertifiedHeader & { record: SmtProofJson }) | null;
}

/** The parts a check can fail on; a failure names one of them. */
export type BundlePart =
  | "format"
  | "trust"
  | "validator-set"
  | "header"
  | "commit"
  | "document"
  | "aggregation"
  | "record"
  | "owner-signature"
  | "transaction"
  | "receipt"
  | "tsa"
  | "status";
