/**
 * The credential itself (W3C VC Data Model 2.0), as carried in the payload of a VC-JWT: its
 * fields, the rules a well-formed one follows, and the status entry pointing into a Bitstring
 * Status List on the ledger. Parsing is strict: a verifier must not guess what a field meant.
 */
import { CivitasError, ErrorCode } from "../util/errors.js";
import { assertDid, isCivitasDid } from "./did.js";

export const VC_CONTEXT_V2 = "https://www.w3.org/ns/credentials/v2";
export const VC_BASE_TYPE = "VerifiableCredential";
export const VC_JWT_TYP = "vc+jwt";
export const VC_JWT_ALG = "EdDSA";
export const STATUS_ENTRY_TYPE = "BitstringStatusListEntry";
export const STATUS_PURPOSE = "revocation";
/** Largest VC-JWT accepted (compact form, characters): the most `identity.attestClaims` takes. */
export const MAX_VC_JWT_LENGTH = 8192;
/** Status list ids as the identity module names them. */
export const LIST_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const TYPE_NAME = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;
const INDEX = /^(0|[1-9][0-9]{0,9})$/;
// VCDM 2.0 requires xsd:dateTimeStamp: a date-time with a time zone.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const STATUS_LIST_PATH = /\/v1\/identity\/status-lists\/([^/]+)\/([^/]+)$/;

export interface CredentialStatusEntry {
  id: string;
  type: typeof STATUS_ENTRY_TYPE;
  statusPurpose: typeof STATUS_PURPOSE;
  /** A decimal integer as a string, per Bitstring Status List v1.0. */
  statusListIndex: string;
  statusListCredential: string;
}

export interface CredentialSubject {
  id: string;
  [claim: string]: unknown;
}

export interface Credential {
  "@context": string[];
  id?: string;
  type: string[];
  issuer: string;
  validFrom: string;
  validUntil?: string;
  credentialSubject: CredentialSubject;
  credentialStatus?: CredentialStatusEntry;
}

/** A status entry, resolved to the list on the ledger it points into. */
export interface StatusPointer {
  issuer: string;
  listId: string;
  index: number;
  statusListCredential: string;
}

export function invalidCredential(message: string, details: Record<string, unknown> = {}): CivitasError {
  return new CivitasError(ErrorCode.CREDENTIAL_INVALID, message, details);
}

export function isTypeName(value: unknown): value is string {
  return typeof value === "string" && TYPE_NAME.test(value) && value !== VC_BASE_TYPE;
}

/** Milliseconds since the epoch of a VCDM date-time, or throws CREDENTIAL_INVALID naming `field`. */
export function parseDateTime(value: unknown, field: string): number {
  const ms = typeof value === "string" && DATE_TIME.test(value) ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) throw invalidCredential(`${field} must be an ISO 8601 date-time with a time zone, e.g. 2030-01-01T00:00:00Z`, { field, value: typeof value === "string" ? value.slice(0, 64) : typeof value });
  return ms;
}

/** `<node url>/v1/identity/status-lists/<issuer>/<listId>`: where the list of a credential lives. */
export function statusListUrl(nodeUrl: string, issuer: string, listId: string): string {
  return `${nodeUrl.replace(/\/+$/, "")}/v1/identity/status-lists/${issuer}/${encodeURIComponent(listId)}`;
}

/** The status entry of a credential in list `listId` of `issuer` at `index`. */
export function statusEntry(nodeUrl: string, issuer: string, listId: string, index: number): CredentialStatusEntry {
  if (!Number.isSafeInteger(index) || index < 0 || index > 0xffffffff) throw invalidCredential(`status index must be a non-negative integer, got ${String(index)}`, { index });
  if (typeof listId !== "string" || !LIST_ID.test(listId)) throw invalidCredential(`status list id must be 1-64 of a-z 0-9 . _ - (starting with a letter or digit), got '${String(listId)}'`, { listId });
  const url = statusListUrl(nodeUrl, issuer, listId);
  return { id: `${url}#${index}`, type: STATUS_ENTRY_TYPE, statusPurpose: STATUS_PURPOSE, statusListIndex: String(index), statusListCredential: url };
}

/**
 * Which list and bit a status entry names. Only the path counts: every node of a chain serves
 * the same lists, so a verifier asks its own node rather than the host written in the credential.
 */
export function parseStatusEntry(entry: CredentialStatusEntry): StatusPointer {
  let url: URL;
  try {
    url = new URL(entry.statusListCredential);
  } catch {
    throw invalidCredential("credentialStatus.statusListCredential is not a URL", { statusListCredential: entry.statusListCredential });
  }
  const m = STATUS_LIST_PATH.exec(url.pathname);
  if (!m) throw invalidCredential("credentialStatus.statusListCredential is not a Civitas status list URL (…/v1/identity/status-lists/<issuer>/<listId>)", { statusListCredential: entry.statusListCredential });
  let issuer: string;
  let listId: string;
  try {
    issuer = decodeURIComponent(m[1]);
    listId = decodeURIComponent(m[2]);
  } catch {
    throw invalidCredential("credentialStatus.statusListCredential has a malformed percent-encoding", { statusListCredential: entry.statusListCredential });
  }
  return { issuer, listId, index: Number(entry.statusListIndex), statusListCredential: entry.statusListCredential };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function parseStatus(v: unknown): CredentialStatusEntry {
  if (!isObject(v)) throw invalidCredential("credentialStatus must be an object");
  if (v.type !== STATUS_ENTRY_TYPE) throw invalidCredential(`credentialStatus.type must be '${STATUS_ENTRY_TYPE}'`, { type: v.type });
  if (v.statusPurpose !== STATUS_PURPOSE) throw invalidCredential(`credentialStatus.statusPurpose must be '${STATUS_PURPOSE}'`, { statusPurpose: v.statusPurpose });
  if (typeof v.statusListIndex !== "string" || !INDEX.test(v.statusListIndex) || Number(v.statusListIndex) > 0xffffffff) throw invalidCredential("credentialStatus.statusListIndex must be a decimal integer string", { statusListIndex: v.statusListIndex });
  if (typeof v.statusListCredential !== "string" || v.statusListCredential.length > 1024) throw invalidCredential("credentialStatus.statusListCredential must be a URL string");
  if (typeof v.id !== "string" || v.id.length > 1100) throw invalidCredential("credentialStatus.id must be a string");
  return { id: v.id, type: STATUS_ENTRY_TYPE, statusPurpose: STATUS_PURPOSE, statusListIndex: v.statusListIndex, statusListCredential: v.statusListCredential };
}

/** Checks the shape of a decoded VC-JWT payload and returns it typed; CREDENTIAL_INVALID names the field. */
export function parseCredential(payload: unknown): Credential {
  if (!isObject(payload)) throw invalidCredential("the payload is not a JSON object");
  const ctx = payload["@context"];
  if (!Array.isArray(ctx) || ctx[0] !== VC_CONTEXT_V2 || !ctx.every((c) => typeof c === "string")) throw invalidCredential(`@context must be an array of strings starting with '${VC_CONTEXT_V2}' (VC Data Model 2.0)`);
  const type = payload.type;
  if (!Array.isArray(type) || type[0] !== VC_BASE_TYPE || type.length < 2 || type.length > 8 || !type.slice(1).every(isTypeName)) {
    throw invalidCredential(`type must be ['${VC_BASE_TYPE}', '<TypeName>', …] with type names of letters, digits, . _ -`, { type });
  }
  if (new Set(type).size !== type.length) throw invalidCredential("type lists a name twice", { type });
  // VCDM allows the issuer as a string or an object with an id; Civitas issues the string form.
  const issuer = isObject(payload.issuer) ? payload.issuer.id : payload.issuer;
  if (!isCivitasDid(issuer)) throw invalidCredential("issuer must be a Civitas DID (did:civitas:<chainId>:<id>)", { issuer: typeof issuer === "string" ? issuer.slice(0, 120) : typeof issuer });
  if (payload.id !== undefined && (typeof payload.id !== "string" || payload.id.length === 0 || payload.id.length > 256 || !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(payload.id))) throw invalidCredential("id must be a URI such as urn:uuid:…");
  const validFrom = parseDateTime(payload.validFrom, "validFrom");
  if (payload.validUntil !== undefined && parseDateTime(payload.validUntil, "validUntil") <= validFrom) throw invalidCredential("validUntil must be later than validFrom", { validFrom: payload.validFrom, validUntil: payload.validUntil });
  const subject = payload.credentialSubject;
  if (!isObject(subject)) throw invalidCredential("credentialSubject must be one object (Civitas credentials have one subject)");
  try {
    assertDid(subject.id, "credentialSubject.id");
  } catch (e) {
    throw invalidCredential((e as Error).message, { field: "credentialSubject.id" });
  }
  const credential: Credential = {
    "@context": ctx as string[],
    ...(payload.id !== undefined ? { id: payload.id as string } : {}),
    type: type as string[],
    issuer,
    validFrom: payload.validFrom as string,
    ...(payload.validUntil !== undefined ? { validUntil: payload.validUntil as string } : {}),
    credentialSubject: subject as CredentialSubject,
    ...(payload.credentialStatus !== undefined ? { credentialStatus: parseStatus(payload.credentialStatus) } : {}),
  };
  return credential;
}

/** The credential's own types, without the base type every credential has. */
export function credentialTypes(c: Credential): string[] {
  return c.type.filter((t) => t !== VC_BASE_TYPE);
}
