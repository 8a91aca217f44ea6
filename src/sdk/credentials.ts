/**
 * Verifiable credentials from the SDK: issue and verify VC-JWTs against a node, and the
 * transactions that manage their status. Browser-safe like the rest of the SDK.
 * Format and checks: docs/spec/credentials.md.
 */
import type { IssueOptions, IssuedCredential, VerifiedCredential, VerifyOptions } from "../identity/index.js";
import { NodeApiResolver, decodeCredentialUnverified, issueCredential, keyIdFor, parseStatusEntry, verifyCredential } from "../identity/index.js";
import { getPortableSuite } from "../crypto/portable-suites.js";
import { CivitasError, ErrorCode } from "../util/errors.js";
import { CivitasClient } from "./client.js";
import type { TxResponse } from "./client.js";
import type { CallInput, Wallet } from "./wallet.js";

export {
  NodeApiResolver,
  assertionKey,
  createBitstring,
  decodeCredentialUnverified,
  decodeStatusList,
  encodeStatusList,
  getStatusBit,
  issueCredential,
  keyIdFor,
  parseCredential,
  setStatusBit,
  statusListUrl,
  verifyCredential,
  verifyCredentialSignature,
} from "../identity/index.js";
export type { Credential, CredentialStatusEntry, DidDocument, DidResolution, IdentityResolver, IssueOptions, IssuedCredential, IssuerRecord, StatusListRecord, VerifiedCredential, VerifyOptions } from "../identity/index.js";

function clientOf(node: string | CivitasClient): CivitasClient {
  return typeof node === "string" ? new CivitasClient(node) : node;
}

/**
 * Issues a credential whose issuer key is looked up in the issuer's DID document on `node` (so
 * the `kid` is the one verifiers will find) and whose status entry, when `status` is given,
 * points at the issuer's list on that node.
 */
export async function issueCredentialWithNode(
  node: string,
  o: Omit<IssueOptions, "kid" | "status"> & { kid?: string; status?: { listId: string; index: number } },
): Promise<IssuedCredential> {
  let kid = o.kid;
  if (kid === undefined) {
    const publicKey = getPortableSuite("ed25519-sha256").publicKeyFromSecret(o.secretKey);
    const { didDocument } = await new NodeApiResolver(node).resolveDid(o.issuer);
    kid = keyIdFor(didDocument, publicKey);
    if (!kid) throw new CivitasError(ErrorCode.KEY_INVALID, `this key is not a key of ${o.issuer}; add it with identity.updateDid or pass kid`, { issuer: o.issuer });
  }
  const { status, ...rest } = o;
  return issueCredential({ ...rest, kid, ...(status ? { status: { nodeUrl: node.replace(/\/+$/, ""), ...status } } : {}) });
}

/** Verifies a VC-JWT with the DID documents, issuer registry and status lists of `node`. */
export function verifyCredentialWithNode(node: string | CivitasClient, jwt: string, o: Omit<VerifyOptions, "resolver"> = {}): Promise<VerifiedCredential> {
  return verifyCredential(jwt, { ...o, resolver: new NodeApiResolver(clientOf(node)) });
}

/** The `identity.setCredentialStatus` call that revokes this credential (its status entry names the bit). */
export function revocationCall(jwt: string, reason = ""): CallInput {
  const { credential } = decodeCredentialUnverified(jwt);
  if (!credential.credentialStatus) throw new CivitasError(ErrorCode.CREDENTIAL_INVALID, "the credential has no credentialStatus, so it cannot be revoked", { id: credential.id });
  const p = parseStatusEntry(credential.credentialStatus);
  if (p.issuer !== credential.issuer) throw new CivitasError(ErrorCode.CREDENTIAL_INVALID, `the status list belongs to ${p.issuer}, not to the issuer ${credential.issuer}`);
  // W3C "revocation" is irreversible; the module takes revoked = 1 and nothing else.
  return { module: "identity", method: "setCredentialStatus", args: { issuer: p.issuer, listId: p.listId, index: p.index, revoked: 1, reason } };
}

/** Revokes a credential: `wallet` must control the issuer DID. Resolves with the committed receipt. */
export function revokeCredential(node: string | CivitasClient, wallet: Wallet, jwt: string, o: { reason?: string; timeoutMs?: number } = {}): Promise<TxResponse> {
  return clientOf(node).send(wallet, [revocationCall(jwt, o.reason)], { timeoutMs: o.timeoutMs });
}
