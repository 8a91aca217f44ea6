/**
 * What a verifier needs to know from the ledger, as an interface: the issuer's DID document,
 * the issuer registry entry and the status list. The node API implements it
 * (`NodeApiResolver`); tests and offline verifiers can bring their own.
 */
import { CivitasError, ErrorCode } from "../util/errors.js";
import { ed25519PublicKeyFromJwk } from "./jwk.js";

export interface VerificationMethod {
  id: string;
  type: string;
  controller: string;
  publicKeyJwk?: Record<string, unknown>;
  publicKeyMultibase?: string;
  [k: string]: unknown;
}

export interface DidDocument {
  "@context"?: unknown;
  id: string;
  controller?: string | string[];
  verificationMethod?: VerificationMethod[];
  /** References (`did#key-1`, or relative `#key-1`) or embedded methods. */
  assertionMethod?: Array<string | VerificationMethod>;
  authentication?: Array<string | VerificationMethod>;
  service?: unknown[];
  [k: string]: unknown;
}

export interface DidDocumentMetadata {
  versionId?: string | number;
  created?: string;
  updated?: string;
  deactivated?: boolean;
  [k: string]: unknown;
}

export interface DidResolution {
  didDocument: DidDocument;
  didDocumentMetadata: DidDocumentMetadata;
}

export interface IssuerRecord {
  did: string;
  types: string[];
  status: string;
  [k: string]: unknown;
}

export interface StatusListRecord {
  issuer: string;
  listId: string;
  statusPurpose: string;
  size: number;
  encodedList: string;
  height?: number;
  [k: string]: unknown;
}

export interface IdentityResolver {
  /** Throws DID_NOT_FOUND / DID_INVALID; a deactivated DID resolves with `deactivated: true`. */
  resolveDid(did: string): Promise<DidResolution>;
  /** undefined when the DID was never registered as an issuer. */
  getIssuer(did: string): Promise<IssuerRecord | undefined>;
  /** Throws CREDENTIAL_INVALID when the list does not exist. */
  getStatusList(issuer: string, listId: string): Promise<StatusListRecord>;
}

function absolute(id: string, did: string): string {
  return id.startsWith("#") ? did + id : id;
}

/**
 * The Ed25519 public key behind `kid` in `doc`, if the document lists it as a verification
 * method allowed to make assertions. When the document has no `assertionMethod` section every
 * listed verification method counts, since Civitas documents may list keys only once.
 */
export function assertionKey(doc: DidDocument, kid: string): { method: VerificationMethod; publicKey: Uint8Array } {
  const methods = Array.isArray(doc.verificationMethod) ? doc.verificationMethod : [];
  const embedded = (doc.assertionMethod ?? []).filter((m): m is VerificationMethod => typeof m === "object" && m !== null);
  const method = [...methods, ...embedded].find((m) => typeof m?.id === "string" && absolute(m.id, doc.id) === kid);
  if (!method) {
    throw new CivitasError(ErrorCode.CREDENTIAL_BAD_SIGNATURE, `the issuer's DID document has no key '${kid}' (never added, or rotated out)`, {
      kid,
      keys: methods.map((m) => (typeof m?.id === "string" ? absolute(m.id, doc.id) : null)),
    });
  }
  if (Array.isArray(doc.assertionMethod)) {
    const allowed = doc.assertionMethod.some((m) => absolute(typeof m === "string" ? m : String(m?.id), doc.id) === kid);
    if (!allowed) throw new CivitasError(ErrorCode.CREDENTIAL_BAD_SIGNATURE, `key '${kid}' is not an assertion method of the issuer, so it cannot sign credentials`, { kid });
  }
  const publicKey = ed25519PublicKeyFromJwk(method.publicKeyJwk);
  if (!publicKey) throw new CivitasError(ErrorCode.CREDENTIAL_INVALID, `key '${kid}' is not an Ed25519 JWK (kty OKP, crv Ed25519); Civitas credentials are EdDSA only`, { kid, type: method.type });
  return { method, publicKey };
}

/**
 * The id of the verification method in `doc` whose Ed25519 key is `publicKey`, or undefined:
 * how an issuer holding a key finds the `kid` to sign with.
 */
export function keyIdFor(doc: DidDocument, publicKey: Uint8Array): string | undefined {
  const methods = Array.isArray(doc.verificationMethod) ? doc.verificationMethod : [];
  for (const m of methods) {
    const k = ed25519PublicKeyFromJwk(m?.publicKeyJwk);
    if (k && k.length === publicKey.length && k.every((b, i) => b === publicKey[i]) && typeof m.id === "string") return absolute(m.id, doc.id);
  }
  return undefined;
}
