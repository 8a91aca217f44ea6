/**
 * Issuing a credential: build the VC Data Model 2.0 document and sign it as a VC-JWT
 * (JWS compact, `alg: EdDSA`, `typ: vc+jwt`, `kid` = the issuer's verification method).
 */
import { CompactSign, importJWK } from "jose";
import type { SuiteId } from "../crypto/suite.js";
import { utf8 } from "../util/bytes.js";
import { CivitasError, ErrorCode } from "../util/errors.js";
import type { Credential, CredentialStatusEntry } from "./credential.js";
import { MAX_VC_JWT_LENGTH, VC_BASE_TYPE, VC_CONTEXT_V2, VC_JWT_ALG, VC_JWT_TYP, invalidCredential, isTypeName, parseCredential, statusEntry } from "./credential.js";
import { assertDid, parseCivitasDid, parseDidUrl } from "./did.js";
import { ed25519PrivateJwk } from "./jwk.js";

/** Claim names the credential subject itself uses; claims may not overwrite them. */
const RESERVED_CLAIMS = new Set(["id", "@context", "type"]);
// What identity.attestClaims stores at most (canonical JSON) and how deep its parser nests
// (the payload is depth 1, credentialSubject 2): every credential issued here can be attested.
const MAX_CLAIMS_JSON = 2048;
const MAX_CLAIMS_DEPTH = 7;

function depth(v: unknown): number {
  if (v === null || typeof v !== "object") return 0;
  const children = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>);
  return 1 + children.reduce<number>((m, c) => Math.max(m, depth(c)), 0);
}

export type TimeInput = Date | number | string;

export interface IssueOptions {
  /** Issuer DID, `did:civitas:<chainId>:<id>`. */
  issuer: string;
  /** Verification method of the issuer that signs: `<issuer>#key-<n>` (or just `#key-<n>`). */
  kid: string;
  /** The 32-byte Ed25519 seed of that key. */
  secretKey: Uint8Array;
  /** Suite of the key; credentials are refused for anything but ed25519-sha256. */
  suite?: SuiteId;
  /** One credential type name, or several. */
  type: string | string[];
  subject: string;
  claims?: Record<string, unknown>;
  /** Default: now. */
  validFrom?: TimeInput;
  validUntil?: TimeInput;
  /** Where the credential's revocation bit lives. */
  status?: { nodeUrl: string; listId: string; index: number };
  /** Default: a random urn:uuid. */
  id?: string;
}

export interface IssuedCredential {
  jwt: string;
  credential: Credential;
}

function toIso(t: TimeInput, field: string): string {
  const ms = t instanceof Date ? t.getTime() : typeof t === "number" ? t : Date.parse(t);
  if (!Number.isFinite(ms)) throw invalidCredential(`${field} is not a valid time: '${String(t)}'`, { field });
  // Whole seconds, as in the VCDM examples; sub-second precision adds nothing to a validity window.
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

function checkClaims(claims: Record<string, unknown>): void {
  if (claims === null || typeof claims !== "object" || Array.isArray(claims)) throw invalidCredential("claims must be a JSON object");
  for (const k of Object.keys(claims)) if (RESERVED_CLAIMS.has(k)) throw invalidCredential(`claim name '${k}' is reserved (the subject id is --subject)`, { claim: k });
  let json: string;
  try {
    json = JSON.stringify(claims);
  } catch (e) {
    throw invalidCredential(`claims are not JSON: ${(e as Error).message}`);
  }
  if (depth(claims) > MAX_CLAIMS_DEPTH) throw invalidCredential(`claims nest deeper than ${MAX_CLAIMS_DEPTH} levels`);
  if (utf8(json).length > MAX_CLAIMS_JSON) throw invalidCredential(`claims are larger than ${MAX_CLAIMS_JSON} bytes of JSON; put a hash or a reference on the credential instead`, { bytes: utf8(json).length });
}

/** Signs a new credential. Throws CREDENTIAL_INVALID / DID_INVALID / KEY_INVALID naming the bad input. */
export async function issueCredential(o: IssueOptions): Promise<IssuedCredential> {
  if ((o.suite ?? "ed25519-sha256") !== "ed25519-sha256") {
    throw new CivitasError(ErrorCode.KEY_INVALID, `credentials are signed with EdDSA (Ed25519) only; key suite '${o.suite}' cannot issue them (VC-JOSE has no SM2 algorithm)`, { suite: o.suite });
  }
  parseCivitasDid(o.issuer);
  const kid = o.kid.startsWith("#") ? o.issuer + o.kid : o.kid;
  if (parseDidUrl(kid).did !== o.issuer) throw new CivitasError(ErrorCode.DID_INVALID, `key id '${kid}' does not belong to the issuer ${o.issuer}`, { kid, issuer: o.issuer });
  const types = typeof o.type === "string" ? [o.type] : o.type;
  if (types.length === 0 || types.length > 7 || !types.every(isTypeName)) throw invalidCredential("a credential type is a name of letters, digits, . _ - (1-64, starting with a letter), not 'VerifiableCredential'", { type: o.type });
  assertDid(o.subject, "subject");
  const claims = o.claims ?? {};
  checkClaims(claims);
  const validFrom = toIso(o.validFrom ?? Date.now(), "validFrom");
  const validUntil = o.validUntil !== undefined ? toIso(o.validUntil, "validUntil") : undefined;
  const status: CredentialStatusEntry | undefined = o.status ? statusEntry(o.status.nodeUrl, o.issuer, o.status.listId, o.status.index) : undefined;
  const draft: Credential = {
    "@context": [VC_CONTEXT_V2],
    id: o.id ?? `urn:uuid:${crypto.randomUUID()}`,
    type: [VC_BASE_TYPE, ...types],
    issuer: o.issuer,
    validFrom,
    ...(validUntil !== undefined ? { validUntil } : {}),
    credentialSubject: { id: o.subject, ...claims },
    ...(status ? { credentialStatus: status } : {}),
  };
  // Issue only what a verifier will accept: the same parser checks both sides.
  const credential = parseCredential(draft);
  const key = await importJWK(ed25519PrivateJwk(o.secretKey), VC_JWT_ALG);
  const jwt = await new CompactSign(utf8(JSON.stringify(credential))).setProtectedHeader({ alg: VC_JWT_ALG, typ: VC_JWT_TYP, kid }).sign(key);
  if (jwt.length > MAX_VC_JWT_LENGTH) throw invalidCredential(`the signed credential is ${jwt.length} characters, more than the ${MAX_VC_JWT_LENGTH} a verifier accepts`);
  return { jwt, credential };
}
