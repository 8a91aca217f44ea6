/**
 * Integrity proofs from code (docs/spec/proof.md): register single documents or aggregated
 * batches (one RFC 9162 root per transaction, one receipt per document), verify by fingerprint,
 * receipt or upload, and read provenance with signed requests. Browser-safe; on Node, large
 * in-memory batches can be built on all cores with src/proof/parallel-batch.ts and passed to
 * `registerRoot`.
 *
 *   const proofs = new ProofsClient("http://127.0.0.1:8080");
 *   const signer = proofSigner(wallet.suite, secretKey);           // a key of the owner DID
 *   const { receipts } = await proofs.registerBatch(wallet, { owner, keyId: 1, signer, fingerprints, docType: "academic-certificate" });
 */
import type { CryptoSuite, SuiteId } from "../crypto/suite.js";
import type { HashFn } from "../ledger/merkle.js";
import { registrationMessage } from "../modules/proof/message.js";
import type { BatchTree } from "../proof/batch-tree.js";
import { buildTree, hashLeaves, pathFromTable, pathsOf, treeRoot } from "../proof/batch-tree.js";
import type { HashAlgorithm } from "../proof/hash.js";
import { hashAlgorithmOf, portableHash } from "../proof/hash.js";
import type { ProofReceipt } from "../proof/receipt.js";
import { RECEIPT_TYPE } from "../proof/receipt.js";
import { toHex } from "../util/bytes.js";
import type { TxResponse } from "./client.js";
import { ApiError, CivitasClient, readApiJson } from "./client.js";
import { signedFetch } from "./signed-fetch.js";
import type { CallInput, Wallet } from "./wallet.js";

export { registrationMessage, registrationText } from "../modules/proof/message.js";
export type { ProofReceipt } from "../proof/receipt.js";
export { checkReceipt, parseReceipt, RECEIPT_TYPE } from "../proof/receipt.js";

/** Signs registration messages with a key of the owner DID (kept by the caller, not by the SDK). */
export type ProofSigner = (message: Uint8Array) => Uint8Array;

export function proofSigner(suite: CryptoSuite, secretKey: Uint8Array): ProofSigner {
  return (m) => suite.sign(m, secretKey);
}

export interface OwnerInput {
  owner: string;
  keyId: number;
  signer: ProofSigner;
  docType: string;
  metadata?: string;
  salted?: boolean;
  /**
   * Obtains an RFC 3161 token (DER) for the registered fingerprint or root, e.g. from the
   * node's TSA with `requestTimestamp`; the chain verifies it against its trusted TSA roots.
   */
  timestamp?: (imprint: Uint8Array) => Promise<Uint8Array>;
}

export interface DocumentInfo {
  name?: string;
  size?: number;
  /** Salt of a salted commitment (hex is written to the receipt). */
  salt?: Uint8Array | null;
}

export interface ChainInfo {
  chainId: string;
  suite: SuiteId;
  hashAlgorithm: HashAlgorithm;
  hash: HashFn;
}

export interface RootRegistration {
  root: Uint8Array;
  count: number;
  tx: TxResponse;
}

export class ProofsClient {
  private info?: ChainInfo;
  readonly client: CivitasClient;
  private readonly base: string;

  /** `o.hash`: a faster implementation of the chain's hash (e.g. node:crypto) for large batches. */
  constructor(url: string, private readonly o: { hash?: HashFn; timeoutMs?: number } = {}) {
    this.base = url.replace(/\/+$/, "");
    this.client = new CivitasClient(this.base);
  }

  /** The chain's id, suite and hash (portable unless a faster one was given). */
  async chain(): Promise<ChainInfo> {
    if (!this.info) {
      const s = await this.client.status();
      const suite = s.chain.cryptoSuite as SuiteId;
      this.info = { chainId: s.chain.chainId, suite, hashAlgorithm: hashAlgorithmOf(suite), hash: this.o.hash ?? portableHash(suite) };
    }
    return this.info;
  }

  /** The `proof.register` call for one fingerprint, signed by the owner. */
  async documentCall(fingerprint: Uint8Array, o: OwnerInput): Promise<CallInput> {
    const c = await this.chain();
    const fields = { chain: c.chainId, kind: "document" as const, fingerprint: toHex(fingerprint), count: 1, salted: o.salted === true, owner: o.owner, docType: o.docType, metadata: o.metadata ?? "" };
    return { module: "proof", method: "register", args: { fingerprint: fields.fingerprint, salted: fields.salted ? 1 : 0, docType: fields.docType, metadata: fields.metadata, owner: o.owner, keyId: o.keyId, signature: toHex(o.signer(registrationMessage(fields))), ...(await tokenArg(o, fingerprint)) } };
  }

  /** The `proof.registerBatch` call for a root over `count` fingerprints, signed by the owner. */
  async batchCall(root: Uint8Array, count: number, o: OwnerInput): Promise<CallInput> {
    const c = await this.chain();
    const fields = { chain: c.chainId, kind: "batch" as const, fingerprint: toHex(root), count, salted: o.salted === true, owner: o.owner, docType: o.docType, metadata: o.metadata ?? "" };
    return { module: "proof", method: "registerBatch", args: { root: fields.fingerprint, count, salted: fields.salted ? 1 : 0, docType: fields.docType, metadata: fields.metadata, owner: o.owner, keyId: o.keyId, signature: toHex(o.signer(registrationMessage(fields))), ...(await tokenArg(o, root)) } };
  }

  private async sendOk(wallet: Wallet, call: CallInput, wait: boolean): Promise<TxResponse> {
    const r = await this.client.send(wallet, [call], { wait, timeoutMs: this.o.timeoutMs });
    if (wait && r.receipt?.status !== "ok") throw new ApiError(0, r.receipt?.code ?? "TX_FAILED", `${call.module}.${call.method} failed: ${r.receipt?.message ?? "no receipt"}`, { txHash: r.hash });
    return r;
  }

  /** Registers one document fingerprint; the receipt is for that document alone. */
  async registerDocument(wallet: Wallet, fingerprint: Uint8Array, o: OwnerInput, doc: DocumentInfo = {}): Promise<{ tx: TxResponse; receipt: ProofReceipt }> {
    const c = await this.chain();
    const tx = await this.sendOk(wallet, await this.documentCall(fingerprint, o), true);
    const hex = toHex(fingerprint);
    return { tx, receipt: this.receipt(c, tx, o, { kind: "document", fingerprint: hex, root: hex }, doc) };
  }

  /** Registers a root already computed (e.g. by parallel-batch.ts); `wait: false` returns once the node accepted it. */
  async registerRoot(wallet: Wallet, root: Uint8Array, count: number, o: OwnerInput, wait = true, nonce?: number): Promise<RootRegistration> {
    const call = await this.batchCall(root, count, o);
    const tx = wait ? await this.sendOk(wallet, call, true) : await this.client.send(wallet, [call], { wait: false, nonce });
    return { root, count, tx };
  }

  /**
   * Builds one RFC 9162 tree over `fingerprints` (client order), registers its root in one
   * transaction and returns one receipt per fingerprint with its inclusion path.
   */
  async registerBatch(wallet: Wallet, fingerprints: Uint8Array[], o: OwnerInput, docs: DocumentInfo[] = []): Promise<{ tx: TxResponse; tree: BatchTree; receipts: ProofReceipt[] }> {
    const c = await this.chain();
    const tree = batchTree(c.hash, fingerprints);
    const root = treeRoot(tree);
    const { tx } = await this.registerRoot(wallet, root, fingerprints.length, o);
    return { tx, tree, receipts: batchReceipts(tree, fingerprints, (base) => this.receipt(c, tx, o, base, docs[base.leafIndex ?? 0] ?? {})) };
  }

  private receipt(c: ChainInfo, tx: TxResponse, o: OwnerInput, base: Pick<ProofReceipt, "kind" | "fingerprint" | "root"> & Partial<ProofReceipt>, doc: DocumentInfo): ProofReceipt {
    return {
      type: RECEIPT_TYPE,
      chain: c.chainId,
      hashAlgorithm: c.hashAlgorithm,
      ...base,
      ...(doc.name !== undefined ? { document: { name: doc.name, size: doc.size ?? 0 } } : {}),
      salt: doc.salt ? toHex(doc.salt) : null,
      owner: o.owner,
      docType: o.docType,
      txHash: tx.hash,
      height: tx.height ?? 0,
      time: Number((tx.header as { time?: number } | undefined)?.time ?? 0),
      // Fixed key order for stable files: base fields first, then identity of the registration.
    } as ProofReceipt;
  }

  /** Verification by fingerprint, receipt, or fingerprint + aggregation path (public). */
  verify(q: { fingerprint: string } | { receipt: ProofReceipt } | { fingerprint: string; leafIndex: number; treeSize: number; path: string[]; root: string }): Promise<VerifyAnswer> {
    return this.client.request("POST", "/v1/proofs/verify", q);
  }

  /** Verification of a document the caller holds, hashed by the node. */
  async verifyDocument(document: Uint8Array, salt?: Uint8Array): Promise<VerifyAnswer> {
    const res = await fetch(`${this.base}/v1/proofs/verify${salt ? `?salt=${toHex(salt)}` : ""}`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: document as unknown as BodyInit });
    return readApiJson(res);
  }

  /** A record's history (signed by `wallet` when given; policies decide who may read it). */
  async history(fingerprint: string, wallet?: Wallet): Promise<Record<string, unknown>> {
    return this.read(`/v1/proofs/${fingerprint}/history`, wallet);
  }

  async list(q: { owner?: string; type?: string; from?: number; to?: number; limit?: number; fromHeight?: number }, wallet?: Wallet): Promise<{ records: Array<Record<string, unknown>>; scannedToHeight: number; next?: number }> {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined) p.set(k, String(v));
    return this.read(`/v1/proofs?${p.toString()}`, wallet) as never;
  }

  private async read(path: string, wallet?: Wallet): Promise<Record<string, unknown>> {
    const url = this.base + path;
    return readApiJson(wallet ? await signedFetch(wallet, url) : await fetch(url));
  }
}

export type VerifyAnswer = {
  registered: boolean;
  fingerprint: string;
  hashAlgorithm: HashAlgorithm;
  match: "document" | "batch-leaf" | null;
  reason?: string;
  owner?: string;
  status?: "active" | "superseded" | "revoked";
  record?: Record<string, unknown>;
  registeredAt?: { height: number; time: number; timeIso: string; txHash: string | null; blockHash: string | null };
  tsaTime?: number | null;
  final?: boolean;
  confirmations?: number;
  aggregation?: { leafIndex: number; treeSize: number; leafHash: string; root: string; valid: boolean };
  head: { height: number };
  stateProof?: Record<string, unknown>;
};


/** The tree over fingerprints in order (one thread). */
export function batchTree(h: HashFn, fingerprints: Uint8Array[]): BatchTree {
  if (fingerprints.length === 0) throw new TypeError("a batch needs at least one fingerprint");
  const entries = new Uint8Array(fingerprints.length * 32);
  fingerprints.forEach((f, i) => {
    if (f.length !== 32) throw new TypeError(`fingerprint ${i} is not 32 bytes`);
    entries.set(f, i * 32);
  });
  const leaves = new Uint8Array(entries.length);
  hashLeaves(h, entries, leaves);
  return buildTree(h, leaves);
}

/** Receipt bases (kind, fingerprint, leaf, path, root) of every leaf, finished by `finish`. */
export function batchReceipts(tree: BatchTree, fingerprints: Uint8Array[], finish: (base: Pick<ProofReceipt, "kind" | "fingerprint" | "root"> & Partial<ProofReceipt>) => ProofReceipt): ProofReceipt[] {
  const table = pathsOf(tree);
  const root = toHex(treeRoot(tree));
  return fingerprints.map((f, i) =>
    finish({
      kind: "batch-leaf",
      fingerprint: toHex(f),
      leafIndex: i,
      treeSize: tree.size,
      leafHash: toHex(tree.levels[0].subarray(i * 32, i * 32 + 32)),
      path: pathFromTable(table, i).map(toHex),
      root,
    }),
  );
}

async function tokenArg(o: OwnerInput, imprint: Uint8Array): Promise<{ tsaToken?: string }> {
  return o.timestamp ? { tsaToken: toHex(await o.timestamp(imprint)) } : {};
}
