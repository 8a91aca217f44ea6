/**
 * Canonical encoding: deterministic CBOR (RFC 8949 section 4.2.1, core deterministic encoding)
 * over a deliberately small value model, so that one value has exactly one encoding:
 * integers (JS safe integers, or bigint within the 64-bit CBOR range), byte strings
 * (Uint8Array), UTF-8 text, booleans, null, arrays, and maps with text keys (plain objects).
 * No floats, no undefined, no tags, no indefinite lengths.
 *
 * The decoder accepts only canonical input: minimal-length heads, map keys in strictly
 * increasing bytewise order of their encodings (which also rules out duplicates), valid UTF-8,
 * and no trailing bytes. Why hand-written rather than cborg: admission decodes every
 * transaction several times on the hot path and cborg (with its RFC 8949 sorter plus the
 * re-encode check strictness needs) cost ~100 µs per transaction here; this codec is an order
 * of magnitude faster and strict by construction. cborg stays as the test oracle: the property
 * tests check both produce identical bytes (docs/adr/0003-canonical-cbor-codec.md).
 */
import { CivitasError, ErrorCode } from "../util/errors.js";

export type CborValue =
  | number
  | bigint
  | string
  | boolean
  | null
  | Uint8Array
  | CborValue[]
  | { [key: string]: CborValue };

const MAX_DEPTH = 32;
const MAX_U64 = (1n << 64n) - 1n;
const MIN_NEG64 = -(1n << 64n);
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function malformed(message: string): CivitasError {
  return new CivitasError(ErrorCode.CODEC_MALFORMED, message);
}

function nonCanonical(message: string): CivitasError {
  return new CivitasError(ErrorCode.CODEC_NON_CANONICAL, message);
}

// ---------------------------------------------------------------- encoder

class Writer {
  buf: Uint8Array;
  view: DataView;
  pos = 0;
  constructor(size = 256) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  head(major: number, n: number): void {
    this.ensure(9);
    const m = major << 5;
    if (n < 24) this.buf[this.pos++] = m | n;
    else if (n < 0x100) {
      this.buf[this.pos++] = m | 24;
      this.buf[this.pos++] = n;
    } else if (n < 0x10000) {
      this.buf[this.pos++] = m | 25;
      this.view.setUint16(this.pos, n);
      this.pos += 2;
    } else if (n < 0x100000000) {
      this.buf[this.pos++] = m | 26;
      this.view.setUint32(this.pos, n);
      this.pos += 4;
    } else {
      this.buf[this.pos++] = m | 27;
      this.view.setBigUint64(this.pos, BigInt(n));
      this.pos += 8;
    }
  }
  headBig(major: number, n: bigint): void {
    if (n <= BigInt(Number.MAX_SAFE_INTEGER)) return this.head(major, Number(n));
    this.ensure(9);
    this.buf[this.pos++] = (major << 5) | 27;
    this.view.setBigUint64(this.pos, n);
    this.pos += 8;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
}

const keyCache = new Map<string, Uint8Array>();
function encodedKey(k: string): Uint8Array {
  let e = keyCache.get(k);
  if (e) return e;
  const w = new Writer(k.length + 9);
  writeString(w, k);
  e = w.buf.slice(0, w.pos);
  if (keyCache.size < 4096) keyCache.set(k, e);
  return e;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function writeString(w: Writer, s: string): void {
  // ASCII fast path: one byte per character, no TextEncoder call.
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    w.head(3, s.length);
    w.ensure(s.length);
    for (let i = 0; i < s.length; i++) w.buf[w.pos++] = s.charCodeAt(i);
    return;
  }
  if (!s.isWellFormed()) throw malformed("text contains a lone surrogate: not valid UTF-8");
  const b = utf8Encoder.encode(s);
  w.head(3, b.length);
  w.bytes(b);
}

function write(w: Writer, v: unknown, depth: number): void {
  if (depth > MAX_DEPTH) throw malformed(`value nested deeper than ${MAX_DEPTH}`);
  switch (typeof v) {
    case "number":
      if (!Number.isSafeInteger(v)) throw malformed(`numbers must be safe integers (use bigint for larger values), got ${v}`);
      if (v >= 0) w.head(0, v);
      else w.head(1, -1 - v);
      return;
    case "bigint":
      if (v > MAX_U64 || v < MIN_NEG64) throw malformed("integer outside the 64-bit CBOR range");
      if (v >= 0n) w.headBig(0, v);
      else w.headBig(1, -1n - v);
      return;
    case "string":
      writeString(w, v);
      return;
    case "boolean":
      w.ensure(1);
      w.buf[w.pos++] = v ? 0xf5 : 0xf4;
      return;
    case "object": {
      if (v === null) {
        w.ensure(1);
        w.buf[w.pos++] = 0xf6;
        return;
      }
      if (v instanceof Uint8Array) {
        w.head(2, v.length);
        w.bytes(v);
        return;
      }
      if (Array.isArray(v)) {
        w.head(4, v.length);
        for (const x of v) write(w, x, depth + 1);
        return;
      }
      if (Object.getPrototypeOf(v) !== Object.prototype && Object.getPrototypeOf(v) !== null) throw malformed(`unsupported object type ${(v as object).constructor?.name ?? "?"}`);
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      const entries = keys.map((k) => ({ k, e: encodedKey(k) }));
      entries.sort((a, b) => compareBytes(a.e, b.e));
      w.head(5, entries.length);
      for (const { k, e } of entries) {
        if (o[k] === undefined) throw malformed(`map value for '${k}' is undefined`);
        w.bytes(e);
        write(w, o[k], depth + 1);
      }
      return;
    }
    default:
      throw malformed(`unsupported value type: ${typeof v}`);
  }
}

// One scratch writer, reused: encoding never re-enters itself, and a fresh buffer per call was
// a measurable share of allocation (GC) on the block-building path.
const scratch = new Writer(64 * 1024);

export function encode(value: CborValue): Uint8Array {
  scratch.pos = 0;
  try {
    write(scratch, value, 0);
    return scratch.buf.slice(0, scratch.pos);
  } finally {
    // A huge value must not pin a huge scratch buffer for the life of the process.
    if (scratch.buf.length > 1024 * 1024) {
      scratch.buf = new Uint8Array(64 * 1024);
      scratch.view = new DataView(scratch.buf.buffer);
    }
  }
}

// ---------------------------------------------------------------- decoder

class Reader {
  pos = 0;
  // No DataView: creating one per decode cost more than decoding a small value.
  constructor(readonly buf: Uint8Array) {}
  need(n: number): void {
    if (this.pos + n > this.buf.length) throw malformed("unexpected end of input");
  }
  u16(): number {
    const b = this.buf;
    const v = (b[this.pos] << 8) | b[this.pos + 1];
    this.pos += 2;
    return v;
  }
  u32(): number {
    const b = this.buf;
    const v = b[this.pos] * 0x1000000 + ((b[this.pos + 1] << 16) | (b[this.pos + 2] << 8) | b[this.pos + 3]);
    this.pos += 4;
    return v;
  }
}

/** Reads a head; returns [major, argument]; the argument is a number when safe, else bigint. */
function readHead(r: Reader): [number, number | bigint] {
  r.need(1);
  const ib = r.buf[r.pos++];
  const major = ib >> 5;
  const ai = ib & 0x1f;
  if (ai < 24) return [major, ai];
  switch (ai) {
    case 24: {
      r.need(1);
      const n = r.buf[r.pos++];
      if (n < 24) throw nonCanonical("integer encoded in more bytes than necessary");
      return [major, n];
    }
    case 25: {
      r.need(2);
      const n = r.u16();
      if (n < 0x100) throw nonCanonical("integer encoded in more bytes than necessary");
      return [major, n];
    }
    case 26: {
      r.need(4);
      const n = r.u32();
      if (n < 0x10000) throw nonCanonical("integer encoded in more bytes than necessary");
      return [major, n];
    }
    case 27: {
      r.need(8);
      const hi = r.u32();
      const lo = r.u32();
      const n = (BigInt(hi) << 32n) | BigInt(lo);
      if (n < 0x100000000n) throw nonCanonical("integer encoded in more bytes than necessary");
      return [major, n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n];
    }
    case 31:
      throw malformed("indefinite-length items are not allowed");
    default:
      throw malformed(`reserved additional information ${ai}`);
  }
}

function length(n: number | bigint, r: Reader, unit: number): number {
  if (typeof n === "bigint" || n * unit > r.buf.length - r.pos) throw malformed("length exceeds the input");
  return n;
}

function read(r: Reader, depth: number): CborValue {
  if (depth > MAX_DEPTH) throw malformed(`value nested deeper than ${MAX_DEPTH}`);
  const start = r.pos;
  const [major, arg] = readHead(r);
  switch (major) {
    case 0:
      return arg;
    case 1:
      if (typeof arg === "number" && arg < Number.MAX_SAFE_INTEGER) return -1 - arg;
      {
        const v = -1n - BigInt(arg);
        return v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
      }
    case 2: {
      const n = length(arg, r, 1);
      const b = r.buf.subarray(r.pos, r.pos + n);
      r.pos += n;
      return b;
    }
    case 3: {
      const n = length(arg, r, 1);
      const b = r.buf.subarray(r.pos, r.pos + n);
      r.pos += n;
      if (n <= 64) {
        // Short ASCII text (field names, addresses) is the common case: no decoder call.
        let s = "";
        let i = 0;
        for (; i < n; i++) {
          const c = b[i];
          if (c > 0x7f) break;
          s += String.fromCharCode(c);
        }
        if (i === n) return s;
      }
      try {
        return utf8Decoder.decode(b);
      } catch {
        throw malformed("text is not valid UTF-8");
      }
    }
    case 4: {
      const n = length(arg, r, 1);
      const out: CborValue[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = read(r, depth + 1);
      return out;
    }
    case 5: {
      const n = length(arg, r, 2);
      const out: { [key: string]: CborValue } = {};
      let prevStart = -1;
      let prevEnd = -1;
      for (let i = 0; i < n; i++) {
        const keyStart = r.pos;
        if (r.pos >= r.buf.length) throw malformed("unexpected end of input");
        if (r.buf[r.pos] >> 5 !== 3) throw malformed("map keys must be text strings");
        const key = read(r, depth + 1) as string;
        const keyEnd = r.pos;
        if (prevStart >= 0 && compareBytes(r.buf.subarray(prevStart, prevEnd), r.buf.subarray(keyStart, keyEnd)) >= 0) {
          throw nonCanonical("map keys are not in canonical order or are duplicated");
        }
        prevStart = keyStart;
        prevEnd = keyEnd;
        const value = read(r, depth + 1);
        // __proto__ as a plain property, never the prototype setter.
        if (key === "__proto__") Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
        else out[key] = value;
      }
      return out;
    }
    case 6:
      throw malformed("tags are not allowed");
    default: {
      const ib = r.buf[start];
      if (ib === 0xf4) return false;
      if (ib === 0xf5) return true;
      if (ib === 0xf6) return null;
      throw malformed(ib >= 0xf9 && ib <= 0xfb ? "floating-point values are not allowed" : `simple value 0x${ib.toString(16)} is not allowed`);
    }
  }
}

export function decode(bytes: Uint8Array): CborValue {
  if (!(bytes instanceof Uint8Array)) throw malformed("input must be bytes");
  const r = new Reader(bytes);
  const v = read(r, 0);
  if (r.pos !== bytes.length) throw malformed(`${bytes.length - r.pos} trailing bytes after the value`);
  return v;
}
