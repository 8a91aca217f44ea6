/** JSON <-> call arguments: bigints travel as decimal strings with an "n" suffix ("1000n"). */
import type { CborValue } from "../codec/index.js";

const BIG = /^(0|[1-9][0-9]{0,19})n$/;

export function jsonToArgs(v: unknown): CborValue {
  if (typeof v === "string" && BIG.test(v)) return BigInt(v.slice(0, -1));
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) throw new TypeError(`argument ${v} is not a safe integer; write large integers as "<digits>n"`);
    return v;
  }
  if (v === null || typeof v === "string" || typeof v === "boolean" || typeof v === "bigint" || v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return v.map(jsonToArgs);
  if (typeof v === "object") return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, jsonToArgs(x)]));
  throw new TypeError(`unsupported argument value ${String(v)}`);
}
