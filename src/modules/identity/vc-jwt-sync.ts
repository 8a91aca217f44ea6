/**
 * Synchronous, deterministic verification of a VC-JWT (W3C VC Data Model 2.0 secured with JOSE,
 * compact JWS, EdDSA) inside execution: every node must reach the same verdict from the same
 * state, so nothing here reads a clock (block time comes in), a network, or a lenient parser.
 * The format and the order of checks are in docs/spec/identity.md ("VC-JWT").
 */
import type { ExecCrypto } from "../../execution/module.js";
import { utf8 } from "../../util/bytes.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import { decodeBase64Url } from "./base64url.js";
import type { IdentityRead } from "./common.js";
import { checkDid, LIST_ID, MAX_CLAIMS_CHARS, MAX_JWT_CHARS, TYPE_NAME } from "./common.js";
import { keyOf, requireActiveDid } from "./did.js";
import { readIssuer } from "./issuers.js";
import type { JsonObject, JsonValue } from "./json.js";
import { canonicalJson, isJsonObject, parseStrictJson } from "./json.js";
import { isRevoked, readStatusList } from "./status-list.js";

export const VC_CONTEXT_V2 = "https://www.w3.org/ns/credentials/v2";
const ED25519_KEY_BYTES = 32;
const ED25519_SIG_BYTES = 64;
const STATUS_PATH = /\/v1\/identity\/status-lists\/([^/?#]+)\/([^/?#]+)$/;
const INDEX = /^(0|[1-9][0-9]{0,9})$/;
const KEY_NUMBER = /^[1-9][0-9]{0,8}$/;
const ISO_TIME = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$/;

export interface VerifiedCredential {
  /** The credential's `id` (empty when it has none). */
  id: string;
  issuer: string;
  subject: string;
  /** The credential's types (without VerifiableCredential) the issuer is registered for. */
  trustedTypes: string[];
  /** credentialSubject without `id`. */
  claims: JsonObject;
  validFrom: number;
  validUntil: number | null;
  listId: string;
  index: number;
}

const bad = (message: string, details: Record<string, unknown> = {}): CivitasError => new CivitasError(ErrorCode.CREDENTIAL_INVALID, `credential: ${message}`, details);
const utf8Strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function jsonPart(part: string, name: string): JsonObject {
  const bytes = decodeBase64Url(part);
  if (!bytes) throw bad(`the JWS ${name} is not canonical unpadded base64url`);
  let text: string;
  try {
    text = utf8Strict.decode(bytes);
  } catch {
    throw bad(`the JWS ${name} is not UTF-8`);
  }
  const v = parseStrictJson(text, ErrorCode.CREDENTIAL_INVALID, `credential ${name}`);
  if (!isJsonObject(v)) throw bad(`the JWS ${name} is not a JSON object`);
  return v;
}

function str(o: JsonObject, field: string, max: number, where: string): string {
  const v = o[field];
  if (typeof v !== "string" || v.length === 0 || v.length > max) throw bad(`${where}.${field} must be a string of 1 to ${max} characters`, { field: `${where}.${field}` });
  return v;
}

/** Milliseconds since the epoch of an XML Schema dateTimeStamp (the form VC 2.0 requires). */
export function parseIsoTime(v: JsonValue | undefined, field: string): number {
  const m = typeof v === "string" ? ISO_TIME.exec(v) : null;
  if (!m) throw bad(`${field} must be a date-time like 2025-01-31T12:00:00Z`, { field });
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const daysInMonth = [31, year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth[month - 1] || hour > 23 || minute > 59 || second > 59) throw bad(`${field} is not a valid date-time`, { field });
  const ms = m[7] ? Number(m[7].slice(1, 4).padEnd(3, "0")) : 0;
  let offset = 0;
  if (m[8] !== "Z") {
    const oh = Number(m[8].slice(1, 3));
    const om = Number(m[8].slice(4, 6));
    if (oh > 23 || om > 59) throw bad(`${field} has an invalid UTC offset`, { field });
    offset = (m[8][0] === "-" ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999.
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, ms);
  return d.getTime() - offset;
}

function numericDate(v: JsonValue | undefined, field: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw bad(`${field} must be a NumericDate (integer seconds)`, { field });
  return v * 1000;
}

interface VerifyContext {
  chain: string;
  time: number;
  crypto: Pick<ExecCrypto, "verify">;
}

/** Verifies `jwt` against the state `read` sees; throws the precise typed error of the first failed check. */
export function verifyVcJwt(read: IdentityRead, ctx: VerifyContext, jwt: string): VerifiedCredential {
  if (jwt.length > MAX_JWT_CHARS) throw bad(`longer than ${MAX_JWT_CHARS} characters`);
  const parts = jwt.split(".");
  if (parts.length !== 3) throw bad("not a compact JWS (header.payload.signature)");
  const header = jsonPart(parts[0], "header");
  const payload = jsonPart(parts[1], "payload");
  const signature = decodeBase64Url(parts[2]);
  if (!signature || signature.length !== ED25519_SIG_BYTES) throw bad(`the JWS signature must be ${ED25519_SIG_BYTES} bytes of base64url`);

  // ---- syntax of header and credential
  if (header.alg !== "EdDSA") throw bad("header.alg must be EdDSA (Ed25519)", { alg: typeof header.alg === "string" ? header.alg : null });
  if (header.typ !== "vc+jwt") throw bad("header.typ must be vc+jwt");
  if ("crit" in header || "b64" in header) throw bad("header.crit and header.b64 are not supported");
  const kid = str(header, "kid", 200, "header");
  const context = payload["@context"];
  if (!Array.isArray(context) || context[0] !== VC_CONTEXT_V2) throw bad(`@context must be an array starting with ${VC_CONTEXT_V2}`);
  const type = payload.type;
  if (!Array.isArray(type) || type.length > 16 || !type.includes("VerifiableCredential")) throw bad("type must be an array (at most 16) containing VerifiableCredential");
  const types = type.filter((t) => t !== "VerifiableCredential");
  if (types.length === 0) throw bad("type must name a credential type besides VerifiableCredential");
  for (const t of types) if (typeof t !== "string" || !TYPE_NAME.test(t)) throw bad(`credential type ${JSON.stringify(t).slice(0, 70)} must match ${TYPE_NAME}`);
  const issuerValue = isJsonObject(payload.issuer) ? payload.issuer.id : payload.issuer;
  if (typeof issuerValue !== "string") throw bad("issuer must be a DID string or an object with id");
  const id = payload.id === undefined ? "" : str(payload, "id", 256, "credential");
  const validFrom = parseIsoTime(payload.validFrom, "validFrom");
  const validUntil = payload.validUntil === undefined ? null : parseIsoTime(payload.validUntil, "validUntil");
  if (validFrom < 0) throw bad("validFrom lies before 1970");
  if (validUntil !== null && validUntil <= validFrom) throw bad("validUntil must be after validFrom");
  const subjectObject = payload.credentialSubject;
  if (!isJsonObject(subjectObject)) throw bad("credentialSubject must be one object");
  const subjectId = str(subjectObject, "id", 128, "credentialSubject");
  const claims = Object.create(null) as JsonObject;
  for (const k of Object.keys(subjectObject)) if (k !== "id") claims[k] = subjectObject[k];
  if (canonicalJson(claims).length > MAX_CLAIMS_CHARS) throw bad(`the claims take more than ${MAX_CLAIMS_CHARS} characters as canonical JSON`);
  const status = payload.credentialStatus;
  if (!isJsonObject(status)) throw bad("credentialStatus (one BitstringStatusListEntry) is required");
  if (status.type !== "BitstringStatusListEntry" || status.statusPurpose !== "revocation") throw bad("credentialStatus must be a BitstringStatusListEntry with statusPurpose revocation");
  const indexText = status.statusListIndex;
  if (typeof indexText !== "string" || !INDEX.test(indexText)) throw bad("credentialStatus.statusListIndex must be a decimal string");
  const listUrl = str(status, "statusListCredential", 512, "credentialStatus");
  const pathMatch = STATUS_PATH.exec(listUrl);
  let listIssuer: string;
  try {
    listIssuer = pathMatch ? decodeURIComponent(pathMatch[1]) : "";
  } catch {
    listIssuer = "";
  }
  const listId = pathMatch ? pathMatch[2] : "";
  if (!pathMatch || !LIST_ID.test(listId)) throw bad("credentialStatus.statusListCredential must end in /v1/identity/status-lists/<issuer>/<listId>");
  const jwtExp = numericDate(payload.exp, "exp");
  const jwtNbf = numericDate(payload.nbf, "nbf");

  // ---- identifiers
  const issuer = checkDid(issuerValue, ctx.chain, "issuer");
  const subject = checkDid(subjectId, ctx.chain, "credentialSubject.id");
  if (listIssuer !== issuer) throw bad("the status list belongs to another issuer than the credential's");
  if (payload.iss !== undefined && payload.iss !== issuer) throw bad("iss differs from issuer");
  if (payload.sub !== undefined && payload.sub !== subject) throw bad("sub differs from credentialSubject.id");
  const keyNumber = kid.startsWith(`${issuer}#key-`) ? kid.slice(issuer.length + 5) : "";
  if (!KEY_NUMBER.test(keyNumber)) throw bad(`header.kid must be '${issuer}#key-<n>'`, { kid });

  // ---- signature with the issuer's current key
  const issuerDid = requireActiveDid(read, issuer, "issuer");
  const key = keyOf(issuerDid, Number(keyNumber));
  if (!key) throw new CivitasError(ErrorCode.CREDENTIAL_BAD_SIGNATURE, `${kid} is not a current key of the issuer (rotated away or never existed)`, { kid });
  if (key.publicKey.length !== ED25519_KEY_BYTES) throw bad("the issuer's key is not an Ed25519 key: VC-JWT needs a chain on the ed25519-sha256 suite", { kid });
  if (!ctx.crypto.verify(utf8(`${parts[0]}.${parts[1]}`), signature, key.publicKey)) throw new CivitasError(ErrorCode.CREDENTIAL_BAD_SIGNATURE, `the signature does not verify with ${kid}`, { kid });

  // ---- issuer trust, validity period, status
  const reg = readIssuer(read, issuer);
  if (!reg) throw new CivitasError(ErrorCode.ISSUER_UNTRUSTED, `'${issuer}' is not a registered issuer`, { issuer });
  if (reg.status !== "active") throw new CivitasError(ErrorCode.ISSUER_UNTRUSTED, `issuer '${issuer}' is suspended`, { issuer });
  const trustedTypes = (types as string[]).filter((t) => reg.types.includes(t)).sort();
  if (trustedTypes.length === 0) throw new CivitasError(ErrorCode.ISSUER_UNTRUSTED, `issuer '${issuer}' is not registered for ${types.join(", ")}`, { issuer, types, registered: reg.types });
  const notBefore = Math.max(validFrom, jwtNbf ?? validFrom);
  if (ctx.time < notBefore) throw new CivitasError(ErrorCode.CREDENTIAL_NOT_YET_VALID, `the credential is valid from ${new Date(notBefore).toISOString()}; block time is ${new Date(ctx.time).toISOString()}`, { validFrom: notBefore, time: ctx.time });
  const until = validUntil === null ? jwtExp : Math.min(validUntil, jwtExp ?? validUntil);
  if (until !== undefined && ctx.time >= until) throw new CivitasError(ErrorCode.CREDENTIAL_EXPIRED, `the credential expired at ${new Date(until).toISOString()}`, { validUntil: until, time: ctx.time });
  const list = readStatusList(read, issuer, listId);
  if (!list) throw bad(`status list '${listId}' of '${issuer}' does not exist`, { listId });
  const index = Number(indexText);
  if (index >= list.size) throw bad(`statusListIndex ${index} is outside the list (size ${list.size})`, { index });
  if (isRevoked(read, issuer, listId, index)) throw new CivitasError(ErrorCode.CREDENTIAL_REVOKED, `the credential is revoked (list '${listId}', index ${index})`, { listId, index });

  return { id, issuer, subject, trustedTypes, claims, validFrom, validUntil: until ?? null, listId, index };
}
