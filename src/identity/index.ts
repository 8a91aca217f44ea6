/**
 * Verifiable credentials for Civitas: VC Data Model 2.0 secured as VC-JWT (EdDSA, `typ:
 * vc+jwt`), W3C Bitstring Status List revocation, issuer DIDs resolved from the ledger. No
 * Node-only dependencies (jose + web crypto + compression streams), so the SDK re-exports it.
 * The format is specified in docs/spec/credentials.md.
 */
export { MAX_DID_LENGTH, assertDid, isCivitasDid, isDid, parseCivitasDid, parseDidUrl } from "./did.js";
export type { CivitasDid } from "./did.js";
export { ed25519PrivateJwk, ed25519PublicJwk, ed25519PublicKeyFromJwk } from "./jwk.js";
export type { Ed25519PrivateJwk, Ed25519PublicJwk } from "./jwk.js";
export { MAX_STATUS_LIST_BITS, createBitstring, decodeStatusList, encodeStatusList, getStatusBit, setStatusBit } from "./status-list.js";
export {
  LIST_ID,
  MAX_VC_JWT_LENGTH,
  STATUS_ENTRY_TYPE,
  STATUS_PURPOSE,
  VC_BASE_TYPE,
  VC_CONTEXT_V2,
  VC_JWT_ALG,
  VC_JWT_TYP,
  credentialTypes,
  parseCredential,
  parseStatusEntry,
  statusEntry,
  statusListUrl,
} from "./credential.js";
export type { Credential, CredentialStatusEntry, CredentialSubject, StatusPointer } from "./credential.js";
export { assertionKey, keyIdFor } from "./resolver.js";
export type { DidDocument, DidDocumentMetadata, DidResolution, IdentityResolver, IssuerRecord, StatusListRecord, VerificationMethod } from "./resolver.js";
export { NodeApiResolver } from "./api-resolver.js";
export { issueCredential } from "./issue.js";
export type { IssueOptions, IssuedCredential, TimeInput } from "./issue.js";
export { decodeCredentialUnverified, verifyCredential, verifyCredentialSignature } from "./verify.js";
export type { VerifiedCredential, VerifyOptions } from "./verify.js";
