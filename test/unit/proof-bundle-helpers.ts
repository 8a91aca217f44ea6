/**
 * A real BFT chain (4 validators, LMDB in a tmp folder, blocks certified by the test) serving
 * the real API, on which a university DID registers an aggregated batch of certificates and a
 * salted single transcript after the validator set changed (a fifth validator joins), and more
 * blocks follow: the material the bundle and report tests build bundles from over HTTP.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { KeyPair } from "../../src/crypto/suite.js";
import { registrationMessage } from "../../src/modules/proof/message.js";
import type { ProofReceipt } from "../../src/proof/receipt.js";
import { RECEIPT_TYPE } from "../../src/proof/receipt.js";
import { batchReceipts, batchTree } from "../../src/sdk/proofs-client.js";
import { Wallet } from "../../src/sdk/wallet.js";
import { toHex } from "../../src/util/bytes.js";
import { treeRoot } from "../../src/proof/batch-tree.js";
import type { BftFixture, Served } from "../e2e/helpers/bft-chain.js";
import { BftChainDriver, makeBftFixture } from "../e2e/helpers/bft-chain.js";

export const CHAIN = "bundle-test";
export const OWNER = `did:civitas:${CHAIN}:university`;

export const sha256 = (d: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(d).digest());

export interface BundleChain {
  f: BftFixture;
  d: BftChainDriver;
  served: Served;
  docs: Uint8Array[];
  receipts: ProofReceipt[];
  batchHeight: number;
  /** The salted single document and its salt. */
  transcript: { doc: Uint8Array; salt: Uint8Array; fingerprint: Uint8Array; height: number };
  /** Height of the header that announces the fifth validator. */
  changeHeight: number;
  ownerKey: KeyPair;
  close(): Promise<void>;
}

function txOk(d: BftChainDriver, hash: string): number {
  const t = d.chain.getTx(Buffer.from(hash, "hex"));
  assert.ok(t, `transaction ${hash} committed`);
  assert.equal(t.receipt.status, "ok", `${t.receipt.code}: ${t.receipt.message}`);
  return t.height;
}

export async function openBundleChain(): Promise<BundleChain> {
  const f = makeBftFixture({ chainId: CHAIN, validators: 4, power: 10, wallets: 2 });
  const d = await BftChainDriver.open(f);
  await d.produce();
  const ownerKey = f.suite.generateKeyPair();
  const wallet = Wallet.fromSecretKey(ownerKey.secretKey, "ed25519-sha256");
  const [didTx] = await d.submit([d.tx(wallet, [{ module: "identity", method: "createDid", args: { did: OWNER, kind: "organisation", document: JSON.stringify({ keys: [toHex(ownerKey.publicKey)] }) } }])]);
  await d.produce();
  txOk(d, didTx);

  const docs = ["alice", "bob", "carol", "dave", "erin"].map((n) => new TextEncoder().encode(`%PDF-1.7 Diploma of ${n}: MSc Computer Science, 2024\n`));
  const fps = docs.map(sha256);
  const tree = batchTree(sha256, fps);
  const root = toHex(treeRoot(tree));
  const sig = (kind: "document" | "batch", fingerprint: string, count: number, salted: boolean): string =>
    toHex(f.suite.sign(registrationMessage({ chain: CHAIN, kind, fingerprint, count, salted, owner: OWNER, docType: "academic-certificate", metadata: '{"faculty":"science"}' }), ownerKey.secretKey));
  const [batchTx] = await d.submit([d.tx(wallet, [{ module: "proof", method: "registerBatch", args: { root, count: 5, salted: 0, docType: "academic-certificate", metadata: '{"faculty":"science"}', owner: OWNER, keyId: 1, signature: sig("batch", root, 5, false) } }])]);
  await d.produce();
  const batchHeight = txOk(d, batchTx);
  const time = d.chain.getBlock(batchHeight)?.header.time ?? 0;
  const receipts = batchReceipts(tree, fps, (base) => ({ type: RECEIPT_TYPE, chain: CHAIN, hashAlgorithm: "sha-256", ...base, salt: null, owner: OWNER, docType: "academic-certificate", txHash: batchTx, height: batchHeight, time }) as ProofReceipt);

  // A fifth validator joins: the bundles must follow the set change.
  const added = f.suite.generateKeyPair();
  d.addKey(added);
  const at = d.chain.head().height + 3;
  const [schedTx] = await d.submit([d.tx(f.wallets[0], [{ module: "validators", method: "schedule", args: { publicKey: toHex(added.publicKey), power: 7, atHeight: at } }])]);
  await d.produce();
  txOk(d, schedTx);
  await d.produceMany(3);
  assert.equal(d.chain.validatorsAt(d.chain.head().height).length, 5, "the set changed");
  const doc = new TextEncoder().encode("Transcript of records: grade A\n");
  const salt = sha256(new TextEncoder().encode("transcript salt"));
  const fingerprint = sha256(new Uint8Array([...salt, ...doc]));
  const [singleTx] = await d.submit([d.tx(wallet, [{ module: "proof", method: "register", args: { fingerprint: toHex(fingerprint), salted: 1, docType: "academic-certificate", metadata: '{"faculty":"science"}', owner: OWNER, keyId: 1, signature: sig("document", toHex(fingerprint), 1, true) } }])]);
  await d.produce();
  const singleHeight = txOk(d, singleTx);

  await d.produceMany(2);
  const served = await d.serve();
  return {
    f,
    d,
    served,
    docs,
    receipts,
    batchHeight,
    transcript: { doc, salt, fingerprint, height: singleHeight },
    changeHeight: at - 1,
    ownerKey,
    close: async () => {
      await served.close();
      await d.close();
    },
  };
}
