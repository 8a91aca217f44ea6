/**
 * Canonical encoding: deterministic CBOR (RFC 8949 section 4.2.1 core deterministic encoding).
 *
 * The value model is deliberately small so that one value has exactly one encoding:
 * unsigned/negative integers (JS safe integers or bigint within 64 bits), byte strings
 * (Uint8Array), text strings, booleans, null, arrays, and maps with text keys (plain objects).
 * No floats, no undefined, no tags, no indefinite lengths. Decoding is strict and re-encodes the
 * result: input whose bytes differ from the canonical encoding of what it decodes to is
 * rejected, which rules out every alternative encoding at once.
 */
import { decode as cborDecode, encode as cborEncode, rfc8949EncodeOptions } from "cborg";
import { CivitasError, ErrorCode } from "../util/errors.js";
import { equalBytes } from "../util/bytes.js";

export type CborValue =
  | number
  | bigint
  | string
  | boolean
  | null
  | Uint8Array
  | CborValue[]
  | { [key: string]: CborValue };

const MAX_U64 = (1n << 64n) - 1n;
const MIN_NEG64 = -(1n << 64n);
const MAX_DEPTH = 32;

const decodeOptions = {
  strict: true,
  rejectDuplicateMapKeys: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowInfinity: false,
  allowNaN: false,
  allowBigInt: true,
  useMaps: false,
} as const;

function check(v: unknown, depth: number): void {
  if (depth > MAX_DEPTH) throw new CivitasError(ErrorCode.CODEC_MALFORMED, "value nested too deeply", { maxDepth: MAX_DEPTH });
  if (v === null || typeof v === "string" || typeof v === "boolean" || v instanceof Uint8Array) return;
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) throw new CivitasError(ErrorCode.CODEC_MALFORMED, "numbers must be safe integers (use bigint for larger values)", { value: String(v) });
    return;
  }
  if (typeof v === "bigint") {
    if (v > MAX_U64 || v < MIN_NEG64) throw new CivitasError(ErrorCode.CODEC_MALFORMED, "integer outside the 64-bit CBOR range");
    return;
  }
  if (Array.isArray(v)) {
    for (const x of v) check(x, depth + 1);
    return;
  }
  if (typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    for (const x of Object.values(v as Record<string, unknown>)) check(x, depth + 1);
    return;
  }
  throw new CivitasError(ErrorCode.CODEC_MALFORMED, `unsupported value type: ${typeof v}`);
}

export function encode(value: CborValue): Uint8Array {
  check(value, 0);
  return cborEncode(value, rfc8949EncodeOptions);
}

export function decode(bytes: Uint8Array): CborValue {
  let value: unknown;
  try {
    value = cborDecode(bytes, decodeOptions);
  } catch (e) {
    throw new CivitasError(ErrorCode.CODEC_MALFORMED, `malformed CBOR: ${(e as Error).message}`);
  }
  check(value, 0);
  // Buffer subclasses from the decoder are normalised so equality checks see plain bytes.
  let again: Uint8Array;
  try {
    again = cborEncode(value, rfc8949EncodeOptions);
  } catch (e) {
    throw new CivitasError(ErrorCode.CODEC_MALFORMED, `undecodable CBOR value: ${(e as Error).message}`);
  }
  if (!equalBytes(again, bytes)) throw new CivitasError(ErrorCode.CODEC_NON_CANONICAL, "bytes are not the canonical encoding of their value");
  return value as CborValue;
}
