/**
 * Verifying a VC-JWT, in the order a verifier can trust each step: the JOSE envelope, the
 * signature against the key the issuer's DID document lists under `kid`, the credential's
 * shape, the issuer's registration for the credential's type, the validity window against a
 * supplied clock, and the revocation bit in the issuer's status list. The first failure throws
 * a CivitasError whose code names the check (CREDENTIAL_*, ISSUER_UNTRUSTED, DID_*).
 */
import { base64url, compactVerify, decodeProtectedHeader, errors as joseErrors, importJWK } from "jose";
import { getPortableSuite } from "../crypto/portable-suites.js";
import { fromUtf8, utf8 } from "../util/bytes.js";
import { CivitasError, ErrorCode } from "../util/errors.js";
import type { Credential } from "./credential.js";
import { MAX_VC_JWT_LENGTH, VC_JWT_ALG, VC_JWT_TYP, credentialTypes, invalidCredential, parseCredential, parseDateTime, parseStatusEntry } from "./credential.js";
import { parseDidUrl } from "./did.js";
import { ed25519PublicJwk } from "./jwk.js";
import type { IdentityResolver } from "./resolver.js";
import { assertionKey } from "./resolver.js";
import { decodeStatusList, getStatusBit } from "./status-list.js";

export interface VerifyOptions {
  resolver: IdentityResolver;
  /** The verifier's clock (ms since epoch or a Date); default the wall clock. */
  now?: Date | number;
  /** Refuse credentials that are not of this type (CREDENTIAL_INVALID). */
  expectedType?: string;
  /** Check the revocation bit (default true). */
  checkStatus?: boolean;
}

export interface VerifiedCredential {
  credential: Credential;
  issuer: string;
  subject: string;
  kid: string;
  types: string[];
  /** The credential types the issuer is registered for. */
  trustedTypes: string[];
  validFrom: number;
  validUntil?: number;
  status?: { issuer: string; listId: string; index: number; revoked: false };
}

const ed25519 = getPortableSuite("ed25519-sha256");

function header(jwt: string): { kid: string } {
  let h: Record<string, unknown>;
  try {
    h = decodeProtectedHeader(jwt) as Record<string, unknown>;
  } catch (e) {
    throw invalidCredential(`the JWS protected header is malformed: ${(e as Error).message}`);
  }
  if (h.alg !== VC_JWT_ALG) throw invalidCredential(`alg must be '${VC_JWT_ALG}', got '${String(h.alg)}'`, { alg: h.alg });
  if (h.typ !== VC_JWT_TYP) throw invalidCredential(`typ must be '${VC_JWT_TYP}', got '${String(h.typ)}'`, { typ: h.typ });
  if (h.crit !== undefined || h.b64 !== undefined) throw invalidCredential("crit and b64 header parameters are not supported", { crit: h.crit });
  if (typeof h.kid !== "string") throw invalidCredential("the header has no kid naming the issuer's key");
  try {
    parseDidUrl(h.kid);
  } catch (e) {
    throw invalidCredential((e as Error).message, { kid: h.kid });
  }
  return { kid: h.kid };
}

async function checkSignature(jwt: string, kid: string, publicKey: Uint8Array): Promise<Uint8Array> {
  const key = await importJWK(ed25519PublicJwk(publicKey), VC_JWT_ALG);
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(jwt, key, { algorithms: [VC_JWT_ALG] }));
  } catch (e) {
    if (e instanceof joseErrors.JWSSignatureVerificationFailed) throw new CivitasError(ErrorCode.CREDENTIAL_BAD_SIGNATURE, `the signature does not verify with the issuer's key '${kid}'`, { kid });
    throw invalidCredential(`the JWS is malformed: ${(e as Error).message}`, { kid });
  }
  // The ledger verifies with the chain's strict Ed25519 rules (docs/adr/0002); a signature only
  // a lenient library accepts would verify here and fail on chain, so hold it to the same rules.
  const [h, p, s] = jwt.split(".");
  if (!ed25519.verify(utf8(`${h}.${p}`), base64url.decode(s), publicKey)) {
    throw new CivitasError(ErrorCode.CREDENTIAL_BAD_SIGNATURE, `the signature is not canonical Ed25519 for key '${kid}'`, { kid });
  }
  return payload;
}

/** Optional JWT claims (RFC 7519) a VC-JWT may carry beside the credential; honoured when present, as on chain. */
export interface JwtClaims {
  nbf?: number;
  exp?: number;
}

function parsePayload(payload: Uint8Array): { credential: Credential; jwtClaims: JwtClaims } {
  let json: unknown;
  try {
    json = JSON.parse(fromUtf8(payload));
  } catch {
    throw invalidCredential("the payload is not JSON");
  }
  const credential = parseCredential(json);
  const raw = json as Record<string, unknown>;
  if (raw.iss !== undefined && raw.iss !== credential.issuer) throw invalidCredential("the JWT claim iss differs from the credential's issuer", { iss: raw.iss });
  if (raw.sub !== undefined && raw.sub !== credential.credentialSubject.id) throw invalidCredential("the JWT claim sub differs from the credential's subject", { sub: raw.sub });
  const jwtClaims: JwtClaims = {};
  for (const name of ["nbf", "exp"] as const) {
    const v = raw[name];
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw invalidCredential(`the JWT claim ${name} must be a NumericDate (seconds)`, { [name]: v });
    jwtClaims[name] = v * 1000;
  }
  return { credential, jwtClaims };
}

/**
 * The first half of verification: the envelope, the issuer's DID and key, the signature and the
 * credential's shape. Enough to trust what the credential says (e.g. which status bit is its
 * own before revoking it), not that it is currently valid: for that, `verifyCredential`.
 */
export async function verifyCredentialSignature(jwt: unknown, resolver: IdentityResolver): Promise<{ kid: string; credential: Credential; jwtClaims: JwtClaims }> {
  if (typeof jwt !== "string") throw invalidCredential("a credential must be a VC-JWT string");
  const compact = jwt.trim();
  if (compact.length > MAX_VC_JWT_LENGTH) throw invalidCredential(`the credential is longer than ${MAX_VC_JWT_LENGTH} characters`, { length: compact.length });
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(compact)) throw invalidCredential("not a JWS in compact form (three base64url parts separated by dots)");
  const { kid } = header(compact);
  const issuerDid = parseDidUrl(kid).did;
  const resolution = await resolver.resolveDid(issuerDid);
  if (resolution.didDocumentMetadata.deactivated === true) throw new CivitasError(ErrorCode.DID_DEACTIVATED, `the issuer's DID ${issuerDid} is deactivated`, { did: issuerDid });
  const { publicKey } = assertionKey(resolution.didDocument, kid);
  const { credential, jwtClaims } = parsePayload(await checkSignature(compact, kid, publicKey));
  if (credential.issuer !== issuerDid) throw invalidCredential(`the header's kid names ${issuerDid} but the credential's issuer is ${credential.issuer}`, { kid, issuer: credential.issuer });
  return { kid, credential, jwtClaims };
}

/** Verifies a VC-JWT completely or throws the first failure. */
export async function verifyCredential(jwt: unknown, o: VerifyOptions): Promise<VerifiedCredential> {
  const { kid, credential, jwtClaims } = await verifyCredentialSignature(jwt, o.resolver);
  const issuerDid = credential.issuer;
  const types = credentialTypes(credential);
  if (o.expectedType !== undefined && !types.includes(o.expectedType)) throw invalidCredential(`the credential is of type ${types.join(", ")}, not ${o.expectedType}`, { expected: o.expectedType, types });

  const registration = await o.resolver.getIssuer(issuerDid);
  if (!registration) throw new CivitasError(ErrorCode.ISSUER_UNTRUSTED, `${issuerDid} is not a registered credential issuer`, { issuer: issuerDid });
  if (registration.status !== "active") throw new CivitasError(ErrorCode.ISSUER_UNTRUSTED, `issuer ${issuerDid} is ${registration.status}`, { issuer: issuerDid, status: registration.status });
  const trustedTypes = types.filter((t) => registration.types.includes(t));
  if (trustedTypes.length === 0) throw new CivitasError(ErrorCode.ISSUER_UNTRUSTED, `issuer ${issuerDid} is not trusted for ${types.join(", ")} (registered for: ${registration.types.join(", ") || "nothing"})`, { issuer: issuerDid, types, registered: registration.types });

  const now = o.now instanceof Date ? o.now.getTime() : (o.now ?? Date.now());
  // The stricter of validFrom/nbf and validUntil/exp wins.
  const validFrom = Math.max(parseDateTime(credential.validFrom, "validFrom"), jwtClaims.nbf ?? -Infinity);
  const untilField = credential.validUntil !== undefined ? parseDateTime(credential.validUntil, "validUntil") : undefined;
  const validUntil = jwtClaims.exp !== undefined ? Math.min(untilField ?? Infinity, jwtClaims.exp) : untilField;
  const iso = (ms: number): string => new Date(ms).toISOString();
  if (now < validFrom) throw new CivitasError(ErrorCode.CREDENTIAL_NOT_YET_VALID, `the credential is valid from ${iso(validFrom)}`, { validFrom: iso(validFrom), now: iso(now) });
  if (validUntil !== undefined && now >= validUntil) throw new CivitasError(ErrorCode.CREDENTIAL_EXPIRED, `the credential expired at ${iso(validUntil)}`, { validUntil: iso(validUntil), now: iso(now) });

  const result: VerifiedCredential = { credential, issuer: issuerDid, subject: credential.credentialSubject.id, kid, types, trustedTypes, validFrom, ...(validUntil !== undefined ? { validUntil } : {}) };
  if (credential.credentialStatus && o.checkStatus !== false) {
    const pointer = parseStatusEntry(credential.credentialStatus);
    // A list of another issuer would let the issuer point at a bit it can never be made to set.
    if (pointer.issuer !== issuerDid) throw invalidCredential(`the status list belongs to ${pointer.issuer}, not to the issuer ${issuerDid}`, { statusIssuer: pointer.issuer, issuer: issuerDid });
    const list = await o.resolver.getStatusList(pointer.issuer, pointer.listId);
    if (list.statusPurpose !== undefined && list.statusPurpose !== "revocation") throw invalidCredential(`status list '${pointer.listId}' has purpose '${list.statusPurpose}', not revocation`);
    if (pointer.index >= list.size) throw invalidCredential(`status index ${pointer.index} is outside list '${pointer.listId}' (size ${list.size})`, { index: pointer.index, size: list.size });
    const bits = await decodeStatusList(list.encodedList, list.size);
    const details = { issuer: issuerDid, listId: pointer.listId, index: pointer.index, ...(list.height !== undefined ? { height: list.height } : {}) };
    if (getStatusBit(bits, pointer.index)) throw new CivitasError(ErrorCode.CREDENTIAL_REVOKED, `the credential is revoked (bit ${pointer.index} of status list '${pointer.listId}' is set)`, details);
    result.status = { issuer: issuerDid, listId: pointer.listId, index: pointer.index, revoked: false };
  }
  return result;
}

/**
 * The credential inside a VC-JWT WITHOUT verifying anything: for tools that must read one
 * before they can act on it (revoke, show). Never base a decision on its answer.
 */
export function decodeCredentialUnverified(jwt: unknown): { kid: string; credential: Credential } {
  if (typeof jwt !== "string" || jwt.trim().length > MAX_VC_JWT_LENGTH) throw invalidCredential("a credential must be a VC-JWT string");
  const compact = jwt.trim();
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(compact)) throw invalidCredential("not a JWS in compact form (three base64url parts separated by dots)");
  const { kid } = header(compact);
  let payload: Uint8Array;
  try {
    payload = base64url.decode(compact.split(".")[1]);
  } catch {
    throw invalidCredential("the payload is not base64url");
  }
  return { kid, credential: parsePayload(payload).credential };
}
