/**
 * Argument schemas of module methods and queries. Checked at admission (so a bad call is a 4xx,
 * not a failed receipt) and again at execution (blocks from other proposers are not trusted).
 */
import type { CborValue, Obj } from "../codec/index.js";
import { CivitasError, ErrorCode } from "../util/errors.js";

export type FieldSchema =
  | { type: "address"; optional?: boolean; doc?: string }
  | { type: "uint"; optional?: boolean; doc?: string }
  | { type: "string"; maxLength: number; pattern?: RegExp; optional?: boolean; doc?: string }
  | { type: "bytes"; maxLength: number; optional?: boolean; doc?: string };

export type ArgsSchema = Record<string, FieldSchema>;

const ADDRESS = /^0x[0-9a-f]{40}$/;
const MAX_U64 = (1n << 64n) - 1n;

export type ArgValue = string | bigint | Uint8Array | undefined;

export function validateArgs(schema: ArgsSchema, args: Obj, where: string): Record<string, ArgValue> {
  const out: Record<string, ArgValue> = {};
  for (const k of Object.keys(args)) {
    if (!(k in schema)) throw new CivitasError(ErrorCode.TX_BAD_ARGS, `${where}: unknown argument '${k}'`, { argument: k, expected: Object.keys(schema) });
  }
  for (const [k, s] of Object.entries(schema)) {
    const v: CborValue | undefined = args[k];
    if (v === undefined) {
      if (!s.optional) throw new CivitasError(ErrorCode.TX_BAD_ARGS, `${where}: missing argument '${k}' (${s.type})`, { argument: k });
      out[k] = undefined;
      continue;
    }
    out[k] = checkField(s, v, `${where}.${k}`, k);
  }
  return out;
}

function checkField(s: FieldSchema, v: CborValue, where: string, argument: string): ArgValue {
  const fail = (what: string): never => {
    throw new CivitasError(ErrorCode.TX_BAD_ARGS, `${where}: expected ${what}`, { argument });
  };
  switch (s.type) {
    case "address":
      if (typeof v !== "string" || !ADDRESS.test(v)) fail("an address (0x + 40 lowercase hex)");
      return v as string;
    case "uint": {
      const b = typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? BigInt(v) : typeof v === "bigint" && v >= 0n ? v : undefined;
      if (b === undefined || b > MAX_U64) fail("a non-negative integer below 2^64");
      return b;
    }
    case "string":
      if (typeof v !== "string" || v.length > s.maxLength || (s.pattern !== undefined && !s.pattern.test(v))) fail(`a string of at most ${s.maxLength} characters${s.pattern ? ` matching ${s.pattern}` : ""}`);
      return v as string;
    case "bytes":
      if (!(v instanceof Uint8Array) || v.length > s.maxLength) fail(`bytes of at most ${s.maxLength}`);
      return v as Uint8Array;
  }
}

/** JSON description of a schema for the API and CLI help. */
export function describeSchema(schema: ArgsSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(schema)) {
    out[k] = { type: s.type, optional: s.optional ?? false, ...("maxLength" in s ? { maxLength: s.maxLength } : {}), ...("pattern" in s && s.pattern ? { pattern: s.pattern.source } : {}), ...(s.doc ? { doc: s.doc } : {}) };
  }
  return out;
}
