/**
 * DID syntax: the generic W3C DID grammar for subjects (any method) and the stricter
 * `did:civitas:<chainId>:<id>` form for DIDs this ledger resolves and issuers it trusts.
 */
import { CivitasError, ErrorCode } from "../util/errors.js";

/** Longest DID accepted anywhere; bounds every regex and every map key built from one. */
export const MAX_DID_LENGTH = 256;

const CIVITAS_DID = /^did:civitas:([a-z0-9][a-z0-9-]{0,62}):([a-z0-9][a-z0-9._-]{0,63})$/;
// W3C DID Core 3.1: did:<method-name>:<method-specific-id>, idchar = ALPHA / DIGIT / "." / "-" / "_" / pct-encoded.
const GENERIC_DID = /^did:[a-z0-9]+:(?:(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})*:)*(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})+$/;
const FRAGMENT = /^[A-Za-z0-9._~-]{1,64}$/;

export interface CivitasDid {
  did: string;
  chainId: string;
  id: string;
}

function invalid(message: string, did: unknown): CivitasError {
  return new CivitasError(ErrorCode.DID_INVALID, message, { did: typeof did === "string" ? did.slice(0, MAX_DID_LENGTH) : typeof did });
}

export function isDid(value: unknown): value is string {
  return typeof value === "string" && value.length <= MAX_DID_LENGTH && GENERIC_DID.test(value);
}

export function isCivitasDid(value: unknown): value is string {
  return typeof value === "string" && CIVITAS_DID.test(value);
}

/** Splits a `did:civitas:` DID into chain id and local id, or throws DID_INVALID. */
export function parseCivitasDid(did: unknown): CivitasDid {
  const m = typeof did === "string" ? CIVITAS_DID.exec(did) : null;
  if (!m) throw invalid(`'${String(did).slice(0, 80)}' is not a Civitas DID (did:civitas:<chainId>:<id>, id of a-z 0-9 . _ -, at most 64)`, did);
  return { did: did as string, chainId: m[1], id: m[2] };
}

/** Any DID per W3C DID syntax (used for credential subjects, which may live elsewhere). */
export function assertDid(did: unknown, what = "DID"): string {
  if (!isDid(did)) throw invalid(`${what} '${String(did).slice(0, 80)}' is not a valid DID (did:<method>:<id>)`, did);
  return did;
}

/** `did#fragment` (a verification method id such as a JWS `kid`) into its DID and fragment. */
export function parseDidUrl(url: unknown): { did: string; fragment: string } {
  if (typeof url !== "string" || url.length > MAX_DID_LENGTH + 65) throw invalid("a key id must be a DID URL '<did>#<fragment>'", url);
  const hash = url.indexOf("#");
  const did = hash < 0 ? url : url.slice(0, hash);
  const fragment = hash < 0 ? "" : url.slice(hash + 1);
  if (!isDid(did) || !FRAGMENT.test(fragment)) throw invalid(`key id '${url.slice(0, 120)}' is not a DID URL '<did>#<fragment>'`, url);
  return { did, fragment };
}
