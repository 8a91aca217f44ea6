/**
 * Shared pieces of the identity module: identifier patterns, limits, the read function type the
 * helpers take (so the access module can pass its cross-module reader), and error shorthands.
 */
import type { FieldSchema } from "../../execution/schema.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";

/** Reads one key of the identity key space (module-relative), e.g. `(k) => ctx.read("identity", k)`. */
export type IdentityRead = (key: string) => Uint8Array | undefined;

export const DID_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const DID_PATTERN = /^did:civitas:[a-z0-9][a-z0-9-]{0,62}:[a-z0-9][a-z0-9._-]{0,63}$/;
export const MAX_DID_LENGTH = 128;
export const LIST_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const LINK_CHAIN = /^[a-z0-9][a-z0-9:._-]{0,63}$/;
export const TYPE_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
export const HEX = /^(?:[0-9a-f]{2})+$/;

export const KINDS = ["person", "organisation", "device", "node", "chain"] as const;
export type DidKind = (typeof KINDS)[number];
/** DIDs of these kinds describe infrastructure: the chain authority creates and co-controls them. */
export const AUTHORITY_KINDS: readonly DidKind[] = ["node", "chain"];

export const MAX_REASON = 256;
export const MAX_DOCUMENT_CHARS = 8192;
export const MAX_KEYS = 8;
export const MAX_CONTROLLERS = 8;
export const MAX_SERVICES = 16;
export const MAX_ISSUER_TYPES = 16;
export const MAX_JWT_CHARS = 8192;
export const MAX_CLAIMS_CHARS = 2048;
export const MAX_CREDENTIALS_PER_SUBJECT = 16;
export const MAX_LINKS_PER_DID = 32;

export const didArg: FieldSchema = { type: "string", maxLength: MAX_DID_LENGTH, doc: "did:civitas:<chainId>:<id>" };
export const reasonArg: FieldSchema = { type: "string", maxLength: MAX_REASON, doc: "why (recorded in the event)" };
export const listIdArg: FieldSchema = { type: "string", maxLength: 64, pattern: LIST_ID, doc: "status list id: a-z, 0-9, '.', '_', '-'" };

export function didInvalid(message: string, details: Record<string, unknown> = {}): CivitasError {
  return new CivitasError(ErrorCode.DID_INVALID, message, details);
}

export function unauthorized(message: string, details: Record<string, unknown> = {}): CivitasError {
  return new CivitasError(ErrorCode.EXEC_UNAUTHORIZED, message, details);
}

export function invalid(message: string, details: Record<string, unknown> = {}): CivitasError {
  return new CivitasError(ErrorCode.EXEC_INVALID, message, details);
}

/** Checks a DID's syntax and that it names this chain. */
export function checkDid(did: string, chain: string, what = "DID"): string {
  if (did.length > MAX_DID_LENGTH || !DID_PATTERN.test(did)) throw didInvalid(`${what} '${did.slice(0, 140)}' is not did:civitas:<chainId>:<id> (id: a-z, 0-9, '.', '_', '-', at most 64)`, { did: did.slice(0, 140) });
  const chainOf = did.split(":")[2];
  if (chainOf !== chain) throw didInvalid(`${what} '${did}' belongs to chain '${chainOf}', not '${chain}'`, { did, chain });
  return did;
}
