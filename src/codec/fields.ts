/**
 * Typed readers for decoded CBOR. Every structure in the ledger is decoded through these so a
 * malformed field is reported by name, with one error code, instead of surfacing as a crash.
 */
import type { CborValue } from "./cbor.js";
import { CivitasError, ErrorCode } from "../util/errors.js";

export type Obj = { [key: string]: CborValue };

export class FieldReader {
  constructor(
    private readonly o: Obj,
    private readonly where: string,
    private readonly code: ErrorCode = ErrorCode.CODEC_MALFORMED,
  ) {}

  static of(v: CborValue, where: string, code: ErrorCode = ErrorCode.CODEC_MALFORMED): FieldReader {
    if (v === null || typeof v !== "object" || Array.isArray(v) || v instanceof Uint8Array) throw new CivitasError(code, `${where}: expected a map`);
    return new FieldReader(v as Obj, where, code);
  }

  private fail(field: string, what: string): never {
    throw new CivitasError(this.code, `${this.where}.${field}: ${what}`, { field: `${this.where}.${field}` });
  }

  /** Rejects unknown fields so two encodings cannot differ by an ignored extra key. */
  knownFields(...fields: string[]): this {
    for (const k of Object.keys(this.o)) if (!fields.includes(k)) this.fail(k, "unknown field");
    return this;
  }

  raw(field: string): CborValue {
    if (!(field in this.o)) this.fail(field, "missing");
    return this.o[field];
  }

  uint(field: string, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.raw(field);
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0 || v > max) this.fail(field, `expected an integer in [0, ${max}]`);
    return v;
  }

  big(field: string): bigint {
    const v = this.raw(field);
    if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
    if (typeof v === "bigint" && v >= 0n) return v;
    return this.fail(field, "expected a non-negative integer");
  }

  str(field: string, maxLength = 1 << 20): string {
    const v = this.raw(field);
    if (typeof v !== "string" || v.length > maxLength) this.fail(field, `expected a string of at most ${maxLength} characters`);
    return v;
  }

  bytes(field: string, length?: number): Uint8Array {
    const v = this.raw(field);
    if (!(v instanceof Uint8Array) || (length !== undefined && v.length !== length)) this.fail(field, length === undefined ? "expected bytes" : `expected ${length} bytes`);
    return v;
  }

  bool(field: string): boolean {
    const v = this.raw(field);
    if (typeof v !== "boolean") this.fail(field, "expected a boolean");
    return v;
  }

  array(field: string, maxLength = 1 << 20): CborValue[] {
    const v = this.raw(field);
    if (!Array.isArray(v) || v.length > maxLength) this.fail(field, `expected an array of at most ${maxLength} items`);
    return v;
  }

  map(field: string): Obj {
    const v = this.raw(field);
    if (v === null || typeof v !== "object" || Array.isArray(v) || v instanceof Uint8Array) this.fail(field, "expected a map");
    return v as Obj;
  }

  nullableStr(field: string, maxLength = 1 << 20): string | null {
    return this.raw(field) === null ? null : this.str(field, maxLength);
  }
}

/** Unsigned integers decode as number when small and bigint when large; amounts are bigint. */
export function asBigInt(v: CborValue): bigint | undefined {
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === "bigint" && v >= 0n) return v;
  return undefined;
}
