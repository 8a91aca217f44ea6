/** Shared pieces of the proof module: key layout, argument schemas and error shorthands. */
import type { FieldSchema } from "../../execution/schema.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";

export const PROOF_MODULE = "proof";

export const HASH_HEX = /^[0-9a-f]{64}$/;
export const SIGNATURE_HEX = /^(?:[0-9a-f]{2}){1,256}$/;
export const DOC_TYPE = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/;
/** Printable text without control characters: it is one line of the signed message. */
export const ONE_LINE = /^[^\u0000-\u001f\u007f]*$/u;

export const recordKey = (fingerprintHex: string): string => `rec/${fingerprintHex}`;
export const historyKey = (fingerprintHex: string, seq: number): string => `hist/${fingerprintHex}/${String(seq).padStart(6, "0")}`;
export const quotaKey = (address: string): string => `quota/${address}`;

export const hashArg = (doc: string): FieldSchema => ({ type: "string", maxLength: 64, pattern: HASH_HEX, doc });
export const signatureArg: FieldSchema = { type: "string", maxLength: 512, pattern: SIGNATURE_HEX, doc: "owner's signature over the registration message, hex" };
export const didArg: FieldSchema = { type: "string", maxLength: 128, doc: "did:civitas:<chainId>:<id>" };

export function proofInvalid(message: string, details: Record<string, unknown> = {}): CivitasError {
  return new CivitasError(ErrorCode.PROOF_INVALID, message, details);
}

export function proofNotFound(fingerprint: string): CivitasError {
  return new CivitasError(ErrorCode.PROOF_NOT_FOUND, `no proof record for fingerprint ${fingerprint}`, { fingerprint });
}

export function proofRevoked(fingerprint: string): CivitasError {
  return new CivitasError(ErrorCode.PROOF_REVOKED, `record ${fingerprint} is revoked`, { fingerprint });
}
