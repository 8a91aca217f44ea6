/** Parsing of path and query parameters into typed values, or API_BAD_REQUEST. */
import { CivitasError, ErrorCode } from "../util/errors.js";

const HASH = /^(0x)?[0-9a-f]{64}$/;
const ADDRESS = /^0x[0-9a-f]{40}$/;

export function hashParam(v: unknown, name: string): Uint8Array {
  if (typeof v !== "string" || !HASH.test(v)) throw new CivitasError(ErrorCode.API_BAD_REQUEST, `${name} must be 64 lowercase hex characters`, { param: name });
  return new Uint8Array(Buffer.from(v.replace(/^0x/, ""), "hex"));
}

export function addressParam(v: unknown, name: string): string {
  if (typeof v !== "string" || !ADDRESS.test(v)) throw new CivitasError(ErrorCode.API_BAD_REQUEST, `${name} must be an address: 0x + 40 lowercase hex`, { param: name });
  return v;
}

export function intParam(v: unknown, name: string, min: number, max: number, dflt: number): number {
  if (v === undefined || v === "") return dflt;
  const n = typeof v === "string" && /^[0-9]{1,16}$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new CivitasError(ErrorCode.API_BAD_REQUEST, `${name} must be an integer in [${min}, ${max}]`, { param: name });
  return n;
}
