/**
 * The registering transaction of a bundle: its bytes sit in the block's txRoot, it is signed by
 * the record's registrant, it carries the `proof` call that wrote the record (same fingerprint,
 * owner signature), and its receipt, at the same index in the receiptRoot, says ok and
 * `proof.Registered` for that fingerprint.
 */
import type { CryptoSuite } from "../../crypto/suite.js";
import { leafHash, verifyInclusionPath } from "../../ledger/merkle.js";
import type { Receipt } from "../../ledger/receipt.js";
import { decodeReceipt } from "../../ledger/receipt.js";
import type { SignedTx } from "../../ledger/tx.js";
import { decodeSignedTx, txSigningMessage } from "../../ledger/tx.js";
import type { ProofRecord } from "../../modules/proof/record.js";
import { fromHex, toHex } from "../../util/bytes.js";
import type { CertifiedBlock } from "./chain.js";
import { BundleError } from "./errors.js";
import type { BundlePart, InclusionJson, ProofBundle } from "./format.js";

/** The argument that names the new record in each registering method. */
const FINGERPRINT_ARG: Record<string, string> = { register: "fingerprint", registerBatch: "root", supersede: "newFingerprint" };

function included(suite: CryptoSuite, raw: Uint8Array, p: InclusionJson, root: Uint8Array, count: number, part: BundlePart, what: string): void {
  const H = (d: Uint8Array): Uint8Array => suite.hash(d);
  if (p.leafHash !== toHex(leafHash(H, raw))) throw new BundleError(part, `the ${what} bytes are not the proof's leaf`);
  if (p.root !== toHex(root)) throw new BundleError(part, `the ${what} proof's root is not the block's`);
  if (p.treeSize !== count) throw new BundleError(part, `the ${what} proof is for a tree of ${p.treeSize}, the block has ${count} transactions`);
  if (!verifyInclusionPath(H, fromHex(p.leafHash), p.index, p.treeSize, p.proof.map(fromHex), root)) throw new BundleError(part, `the RFC 9162 inclusion proof of the ${what} does not verify`);
}

export function checkRegistrationTx(suite: CryptoSuite, b: ProofBundle, reg: CertifiedBlock, rec: ProofRecord, regHex: string): { hash: string; index: number; from: string } {
  const raw = fromHex(b.registration.tx.raw);
  const p = b.registration.tx.proof;
  included(suite, raw, p, reg.header.txRoot, reg.header.txCount, "transaction", "transaction");
  let tx: SignedTx;
  try {
    tx = decodeSignedTx(raw);
  } catch (e) {
    throw new BundleError("transaction", `the transaction bytes do not decode: ${(e as Error).message}`);
  }
  const hash = toHex(suite.hash(tx.bodyBytes));
  const from = "0x" + toHex(tx.body.from);
  if (tx.body.chain !== b.chainId) throw new BundleError("transaction", `the transaction is for chain '${tx.body.chain}'`);
  if (suite.address(tx.publicKey) !== from || !suite.verify(txSigningMessage(tx.bodyBytes), tx.signature, tx.publicKey)) throw new BundleError("transaction", `the transaction's signature does not verify for its sender ${from}`);
  if (from !== rec.registrant) throw new BundleError("transaction", `the transaction is from ${from}, the record's registrant is ${rec.registrant}`);
  const call = tx.body.calls.find((c) => c.module === "proof" && FINGERPRINT_ARG[c.method] !== undefined && c.args[FINGERPRINT_ARG[c.method]] === regHex);
  if (!call) throw new BundleError("transaction", `the transaction has no proof.register/registerBatch/supersede call for ${regHex}`);
  if (call.args.signature !== toHex(rec.signature)) throw new BundleError("transaction", "the registering call carries another owner signature than the record");

  const rraw = fromHex(b.registration.receipt.raw);
  const rp = b.registration.receipt.proof;
  if (rp.index !== p.index) throw new BundleError("receipt", `the receipt is at index ${rp.index}, the transaction at ${p.index}`);
  included(suite, rraw, rp, reg.header.receiptRoot, reg.header.txCount, "receipt", "receipt");
  let receipt: Receipt;
  try {
    receipt = decodeReceipt(rraw);
  } catch (e) {
    throw new BundleError("receipt", `the receipt bytes do not decode: ${(e as Error).message}`);
  }
  if (toHex(receipt.txHash) !== hash) throw new BundleError("receipt", "the receipt belongs to another transaction");
  if (receipt.status !== "ok") throw new BundleError("receipt", `the transaction failed (${receipt.code}): ${receipt.message}`);
  if (!receipt.events.some((e) => e.module === "proof" && e.type === "Registered" && e.attrs.fingerprint === regHex)) throw new BundleError("receipt", `the receipt has no proof.Registered event for ${regHex}`);
  return { hash, index: p.index, from };
}
