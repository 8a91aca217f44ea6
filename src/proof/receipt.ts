/**
 * Per-document receipts of a registration (docs/spec/proof.md, "Receipts") and their offline
 * check: document (and salt) → fingerprint → leaf hash → RFC 9162 path → root. Portable.
 */
import type { HashFn } from "../ledger/merkle.js";
import { leafHash, verifyInclusionPath } from "../ledger/merkle.js";
import { equalBytes, fromHex, toHex } from "../util/bytes.js";
import type { HashAlgorithm } from "./hash.js";

export const RECEIPT_TYPE = "civitas.proof.receipt/v1";
const HASH_HEX = /^[0-9a-f]{64}$/;

export interface ProofReceipt {
  type: typeof RECEIPT_TYPE;
  chain: string;
  hashAlgorithm: HashAlgorithm;
  kind: "document" | "batch-leaf";
  document?: { name: string; size: number };
  fingerprint: string;
  salt: string | null;
  leafIndex?: number;
  treeSize?: number;
  leafHash?: string;
  path?: string[];
  root: string;
  owner: string;
  docType: string;
  txHash: string;
  height: number;
  time: number;
}

export interface ReceiptCheck {
  ok: boolean;
  /** What failed, for people: "fingerprint", "leafHash", "path", "format". */
  failed?: "format" | "fingerprint" | "leafHash" | "path";
  reason?: string;
}

const bad = (failed: ReceiptCheck["failed"], reason: string): ReceiptCheck => ({ ok: false, failed, reason });

/** Parses untrusted JSON into a receipt, or says which field is wrong. */
export function parseReceipt(v: unknown): { receipt?: ProofReceipt; error?: string } {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return { error: "a receipt is a JSON object" };
  const r = v as Record<string, unknown>;
  if (r.type !== RECEIPT_TYPE) return { error: `type must be ${RECEIPT_TYPE}` };
  if (r.kind !== "document" && r.kind !== "batch-leaf") return { error: "kind must be document or batch-leaf" };
  if (r.hashAlgorithm !== "sha-256" && r.hashAlgorithm !== "sm3") return { error: "hashAlgorithm must be sha-256 or sm3" };
  for (const k of ["fingerprint", "root"]) if (typeof r[k] !== "string" || !HASH_HEX.test(r[k] as string)) return { error: `${k} must be 64 lowercase hex` };
  if (r.salt !== null && (typeof r.salt !== "string" || !/^(?:[0-9a-f]{2}){1,64}$/.test(r.salt))) return { error: "salt must be null or hex" };
  if (r.kind === "batch-leaf") {
    if (!Number.isSafeInteger(r.leafIndex) || !Number.isSafeInteger(r.treeSize)) return { error: "leafIndex and treeSize must be integers" };
    if (typeof r.leafHash !== "string" || !HASH_HEX.test(r.leafHash)) return { error: "leafHash must be 64 lowercase hex" };
    if (!Array.isArray(r.path) || r.path.length > 64 || !r.path.every((p) => typeof p === "string" && HASH_HEX.test(p))) return { error: "path must be an array of at most 64 hashes (64 lowercase hex each)" };
  }
  return { receipt: r as unknown as ProofReceipt };
}

/**
 * Checks the receipt's internal chain: `fingerprint` (when given: recomputed from the document)
 * equals the receipt's, its leaf hash, and the path to `root`. Says nothing about whether the
 * root is on a ledger: that is the node's (or an offline bundle's) part.
 */
export function checkReceipt(h: HashFn, r: ProofReceipt, fingerprint?: Uint8Array): ReceiptCheck {
  const fp = fromHex(r.fingerprint);
  if (fingerprint && !equalBytes(fingerprint, fp)) return bad("fingerprint", `the document hashes to ${toHex(fingerprint)}, the receipt is for ${r.fingerprint}`);
  if (r.kind === "document") return r.root === r.fingerprint ? { ok: true } : bad("format", "a document receipt's root is its fingerprint");
  const leaf = leafHash(h, fp);
  if (toHex(leaf) !== r.leafHash) return bad("leafHash", "leafHash is not H(0x00 ‖ fingerprint)");
  const ok = verifyInclusionPath(h, leaf, r.leafIndex as number, r.treeSize as number, (r.path as string[]).map(fromHex), fromHex(r.root));
  return ok ? { ok: true } : bad("path", `the inclusion path of leaf ${r.leafIndex} does not lead to root ${r.root}`);
}
