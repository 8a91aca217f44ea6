/**
 * Civitas SDK: connect to a node, build and sign transactions, wait for commits, and verify
 * what the node returns (inclusion and state proofs, header hashes, commit certificates)
 * without trusting it. No Node-only dependencies: usable from browsers through a bundler.
 */
export { CivitasClient, ApiError } from "./client.js";
export type { TxResponse, SubmitResult } from "./client.js";
export { Wallet } from "./wallet.js";
export type { CallInput, TxOptions } from "./wallet.js";
export { jsonToArgs } from "./json.js";
export { signedFetch, signRequestHeaders } from "./signed-fetch.js";
export type { SignOptions } from "./signed-fetch.js";
export {
  merkleRoot,
  inclusionProof,
  consistencyProof,
  verifyInclusion,
  verifyConsistency,
  merkleLeafHash,
  verifyTxInclusion,
  verifyStateProof,
  verifyHeaderHash,
  verifyCommitCertificate,
  headerFromJson,
} from "./proofs.js";
export type { HexInclusionProof, HexConsistencyProof, SmtProof } from "./proofs.js";
export { LightClient, LightClientError, LIGHT_CLIENT_BATCH } from "./light-client.js";
export { LightClientResolver } from "../identity/light-resolver.js";
export type { TrustedCheckpoint, LightClientOptions, LightClientCheck, VerifiedHeader, VerifiedTx, VerifiedState, VerifiedQuery, SyncResult } from "./light-client.js";
export * from "./credentials.js";
export { requestTimestamp, getTsaCertificates } from "./tsa.js";
export type { TimestampResult, TimestampRequestOptions } from "./tsa.js";
export { ProofsClient, proofSigner, batchTree, batchReceipts, registrationMessage, registrationText, checkReceipt, parseReceipt, RECEIPT_TYPE } from "./proofs-client.js";
export type { ProofSigner, OwnerInput, DocumentInfo, ChainInfo, RootRegistration, VerifyAnswer, ProofReceipt } from "./proofs-client.js";
export { buildProofBundle } from "./bundle.js";
export type { BundleRequest } from "./bundle.js";
export { checkBundle, checkBundleText, parseBundle, bundleText, BundleError, BUNDLE_TYPE } from "../proof/bundle/index.js";
export type { ProofBundle, BundleCheck, BundleFacts, BundlePart, CheckOptions } from "../proof/bundle/index.js";
export { getPortableSuite } from "../crypto/portable-suites.js";
export type { CryptoSuite, SuiteId } from "../crypto/suite.js";
export { decodeSignedTx, txHash, encodeTxBody } from "../ledger/tx.js";
export type { SignedTx, TxBody, Call } from "../ledger/tx.js";
export { toHex, fromHex } from "../util/bytes.js";
