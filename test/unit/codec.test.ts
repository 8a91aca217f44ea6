/**
 * Property tests of the canonical codec over its whole value model: round trips, byte-identity
 * with cborg's RFC 8949 deterministic encoder (an independent oracle), and "one value, one
 * encoding": every non-canonical or out-of-model variant of a valid encoding is refused.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { encode as cborgEncode, rfc8949EncodeOptions } from "cborg";
import { decode, encode } from "../../src/codec/index.js";
import type { CborValue } from "../../src/codec/index.js";
import { compareBytes, concatBytes, equalBytes, toHex, utf8 } from "../../src/util/bytes.js";
import { CivitasError, ErrorCode } from "../../src/util/errors.js";

const MAX_U64 = (1n << 64n) - 1n;
const MIN_NEG64 = -(1n << 64n);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const RUNS = { numRuns: 200 };
const CODEC_CODES: string[] = [ErrorCode.CODEC_MALFORMED, ErrorCode.CODEC_NON_CANONICAL];

// ---------------------------------------------------------------------------------------------
// helpers

/** The value decode returns for `v`: integers are numbers when safe, bigints otherwise; no -0. */
function norm(v: CborValue): CborValue {
  if (typeof v === "bigint") return v >= MIN_SAFE && v <= MAX_SAFE ? Number(v) : v;
  if (typeof v === "number") return v === 0 ? 0 : v;
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (Array.isArray(v)) return v.map(norm);
  if (v !== null && typeof v === "object") {
    const o: { [k: string]: CborValue } = {};
    // defineProperty: a "__proto__" key must stay an own property.
    for (const k of Object.keys(v)) Object.defineProperty(o, k, { value: norm(v[k]), enumerable: true, writable: true, configurable: true });
    return o;
  }
  return v;
}

function rejects(bytes: Uint8Array, codes: string[] = CODEC_CODES, label = ""): void {
  assert.throws(
    () => decode(bytes),
    (e: unknown) => {
      assert.ok(e instanceof CivitasError, `${label} ${toHex(bytes)}: expected CivitasError, got ${String(e)}`);
      assert.ok(codes.includes(e.code), `${label} ${toHex(bytes)}: got ${e.code} (${e.message})`);
      return true;
    },
    `${label}: decode accepted ${toHex(bytes)}`,
  );
}

function encodeRejects(v: unknown, label: string): void {
  assert.throws(
    () => encode(v as CborValue),
    (e: unknown) => e instanceof CivitasError && e.code === ErrorCode.CODEC_MALFORMED,
    label,
  );
}

/** A CBOR head with an explicit argument width (0 = inline, else 1, 2, 4 or 8 bytes). */
function head(major: number, n: bigint, width: 0 | 1 | 2 | 4 | 8): Uint8Array {
  if (width === 0) {
    assert.ok(n < 24n);
    return Uint8Array.of((major << 5) | Number(n));
  }
  const ai = { 1: 24, 2: 25, 4: 26, 8: 27 }[width];
  const out = new Uint8Array(1 + width);
  out[0] = (major << 5) | ai;
  for (let i = 0; i < width; i++) out[width - i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
}

function minimalWidth(n: bigint): 0 | 1 | 2 | 4 | 8 {
  return n < 24n ? 0 : n < 0x100n ? 1 : n < 0x10000n ? 2 : n < 0x100000000n ? 4 : 8;
}

const WIDTHS = [0, 1, 2, 4, 8] as const;
const fits = (n: bigint, w: number): boolean => (w === 0 ? n < 24n : n < 1n << BigInt(8 * w));

/** Encoded entries of a map in the given order, under a (possibly wrong) map head. */
function rawMap(entries: Array<[string, CborValue]>): Uint8Array {
  return concatBytes(head(5, BigInt(entries.length), minimalWidth(BigInt(entries.length))), ...entries.flatMap(([k, v]) => [encode(k), encode(v)]));
}

const encodedKeyOrder = (a: [string, CborValue], b: [string, CborValue]): number => compareBytes(encode(a[0]), encode(b[0]));

// ---------------------------------------------------------------------------------------------
// arbitraries

const boundaryInts = fc.constantFrom<CborValue>(0, 1, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER, -1, -24, -25, -256, -257, -65536, -65537, -(2 ** 32), -(2 ** 32) - 1, Number.MIN_SAFE_INTEGER, MAX_SAFE + 1n, MIN_SAFE - 1n, MAX_U64, MIN_NEG64, 5n, -5n, 0n);
const text = fc.oneof(fc.string({ unit: "binary", maxLength: 30 }), fc.string({ unit: "grapheme", maxLength: 8 }), fc.string({ unit: "binary-ascii", minLength: 20, maxLength: 300 }));
const leaf: fc.Arbitrary<CborValue> = fc.oneof(
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  fc.bigInt({ min: MIN_NEG64, max: MAX_U64 }),
  boundaryInts,
  fc.uint8Array({ maxLength: 40 }),
  fc.uint8Array({ minLength: 250, maxLength: 300 }),
  text,
  fc.boolean(),
  fc.constant(null),
);
const mapKey = fc.oneof(fc.string({ unit: "binary", maxLength: 8 }), fc.constantFrom("a", "b", "aa", "z", "", "__proto__", "constructor", "é", "v"));
const tree = fc.letrec<{ value: CborValue; arr: CborValue[]; map: { [k: string]: CborValue } }>((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, tie("arr"), tie("map")),
  arr: fc.array(tie("value"), { maxLength: 5 }),
  map: fc.dictionary(mapKey, tie("value"), { maxKeys: 6, noNullPrototype: true }),
}));
const value = tree.value;

// ---------------------------------------------------------------------------------------------
// round trips and the oracle

test("decode(encode(x)) deep-equals x (small bigints normalised to numbers)", () => {
  fc.assert(
    fc.property(value, (x) => {
      assert.deepEqual(decode(encode(x)), norm(x));
    }),
    { numRuns: 500 },
  );
});

test("encode is byte-identical to cborg's RFC 8949 deterministic encoder", () => {
  fc.assert(
    fc.property(value, (x) => {
      const mine = encode(x);
      const oracle = cborgEncode(norm(x), rfc8949EncodeOptions);
      assert.equal(toHex(mine), toHex(oracle));
    }),
    { numRuns: 500 },
  );
});

test("re-encoding a decoded value gives the same bytes; equal values give equal bytes", () => {
  fc.assert(
    fc.property(value, (x) => {
      const b = encode(x);
      assert.ok(equalBytes(encode(decode(b)), b));
      assert.ok(equalBytes(encode(norm(x)), b), "bigint vs number spelling of one integer must not matter");
    }),
    RUNS,
  );
});

test("integers: the normalisation boundary between number and bigint", () => {
  assert.equal(decode(encode(5n)), 5);
  assert.equal(toHex(encode(5n)), toHex(encode(5)));
  assert.equal(decode(encode(Number.MAX_SAFE_INTEGER)), Number.MAX_SAFE_INTEGER);
  assert.equal(decode(encode(MAX_SAFE + 1n)), MAX_SAFE + 1n);
  assert.equal(decode(encode(Number.MIN_SAFE_INTEGER)), Number.MIN_SAFE_INTEGER);
  assert.equal(decode(encode(MIN_SAFE - 1n)), MIN_SAFE - 1n);
  assert.equal(decode(encode(MAX_U64)), MAX_U64);
  assert.equal(decode(encode(MIN_NEG64)), MIN_NEG64);
  assert.equal(toHex(encode(-0)), "00");
});

test("map keys are emitted in bytewise order of their encodings (shorter first, then bytes)", () => {
  assert.equal(toHex(encode({ b: 1, a: 2, aa: 3, "": 4 })), "a4" + "6004" + "616102" + "616201" + "62616103");
  // "z" (61 7a) sorts before "aa" (62 61 61): length comes first because it is in the head.
  assert.deepEqual(Object.keys(decode(encode({ aa: 1, z: 2 })) as object), ["z", "aa"]);
  // UTF-8 bytes, not UTF-16 code units: U+FF61 (ef bd a1) sorts before U+1F600 (f0 9f 98 80).
  assert.equal(toHex(encode({ "\u{1F600}": 1, "\uFF61": 2 })), "a2" + "63efbda102" + "64f09f988001");
  fc.assert(
    fc.property(fc.dictionary(mapKey, fc.constant(0), { minKeys: 2, maxKeys: 8, noNullPrototype: true }), (o) => {
      const keys = Object.keys(decode(encode(o)) as object).map((k) => encode(k));
      for (let i = 1; i < keys.length; i++) assert.ok(compareBytes(keys[i - 1], keys[i]) < 0);
    }),
    RUNS,
  );
});

test("lengths at every head-width boundary round-trip and match cborg", () => {
  for (const n of [23, 24, 255, 256, 65535, 65536]) {
    for (const v of [new Uint8Array(n).fill(7), "x".repeat(n), new Array<CborValue>(n).fill(1)]) {
      const b = encode(v);
      assert.equal(toHex(b), toHex(cborgEncode(v, rfc8949EncodeOptions)));
      assert.deepEqual(decode(b), v);
    }
  }
  const big: { [k: string]: CborValue } = {};
  for (let i = 0; i < 300; i++) big[`k${i}`] = i;
  assert.deepEqual(decode(encode(big)), big);
});

test("a __proto__ key is an ordinary own property in both directions", () => {
  const o = JSON.parse('{"__proto__": 1, "a": 2}') as { [k: string]: CborValue };
  const d = decode(encode(o)) as { [k: string]: CborValue };
  assert.equal(Object.getPrototypeOf(d), Object.prototype);
  assert.deepEqual(Object.keys(d).sort(), ["__proto__", "a"]);
  assert.equal(Object.getOwnPropertyDescriptor(d, "__proto__")?.value, 1);
});

// ---------------------------------------------------------------------------------------------
// one value, one encoding: non-canonical variants are refused

test("non-minimal integer heads are rejected (as values and nested)", () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: MAX_U64 }), fc.constantFrom(0, 1), fc.constantFrom(...WIDTHS), (n, major, w) => {
      fc.pre(fits(n, w) && w !== minimalWidth(n));
      const bad = head(major, n, w);
      if (w < minimalWidth(n)) return; // cannot hold n at all
      rejects(bad, CODEC_CODES, "int");
      rejects(concatBytes(Uint8Array.of(0x82, 0x01), bad), CODEC_CODES, "in array");
      rejects(concatBytes(Uint8Array.of(0xa1, 0x61, 0x61), bad), CODEC_CODES, "in map");
      // The minimal head of the same number decodes fine.
      const ok = decode(head(major, n, minimalWidth(n)));
      const expected = major === 0 ? n : -1n - n;
      assert.equal(BigInt(ok as number | bigint), expected);
    }),
    { numRuns: 500 },
  );
  rejects(Uint8Array.of(0x18, 0x17)); // 23 in one extra byte
  rejects(Uint8Array.of(0x19, 0x00, 0xff));
  rejects(Uint8Array.of(0x1a, 0x00, 0x00, 0xff, 0xff));
  rejects(Uint8Array.of(0x1b, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff));
  rejects(Uint8Array.of(0x38, 0x00)); // -1 as 38 00
});

test("non-minimal length heads of strings, byte strings, arrays and maps are rejected", () => {
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.string({ maxLength: 300 }), fc.array(fc.integer({ min: 0, max: 23 }), { maxLength: 300 })), fc.constantFrom(1, 2, 4, 8), (v, w) => {
      const n = BigInt(v instanceof Uint8Array ? v.length : Array.isArray(v) ? v.length : utf8(v).length);
      fc.pre(w > minimalWidth(n));
      const good = encode(v);
      const hl = 1 + (minimalWidth(n) || 0);
      const major = good[0] >> 5;
      rejects(concatBytes(head(major, n, w as 1 | 2 | 4 | 8), good.subarray(hl)));
    }),
    RUNS,
  );
  rejects(Uint8Array.of(0xb8, 0x00)); // empty map with a one-byte length
  rejects(Uint8Array.of(0x98, 0x01, 0x01)); // [1] with a one-byte length
});

test("map keys out of order are rejected (NON_CANONICAL)", () => {
  fc.assert(
    fc.property(fc.uniqueArray(mapKey, { minLength: 2, maxLength: 6 }), fc.array(leaf, { minLength: 6, maxLength: 6 }), fc.nat(), (keys, vals, pick) => {
      const entries = keys.map((k, i): [string, CborValue] => [k, vals[i]]).sort(encodedKeyOrder);
      const obj = norm(Object.fromEntries(entries)) as { [k: string]: CborValue };
      assert.equal(toHex(rawMap(entries)), toHex(encode(obj)), "the raw builder reproduces the canonical form");
      const i = pick % (entries.length - 1);
      const swapped = [...entries];
      [swapped[i], swapped[i + 1]] = [swapped[i + 1], swapped[i]];
      rejects(rawMap(swapped), [ErrorCode.CODEC_NON_CANONICAL], "swapped");
      rejects(rawMap([...entries].reverse()), [ErrorCode.CODEC_NON_CANONICAL], "reversed");
    }),
    RUNS,
  );
  // {"b": 1, "a": 2}
  rejects(Uint8Array.of(0xa2, 0x61, 0x62, 0x01, 0x61, 0x61, 0x02), [ErrorCode.CODEC_NON_CANONICAL]);
  // {"aa": 1, "b": 2}: alphabetical but not canonical (the longer key must come last)
  rejects(Uint8Array.of(0xa2, 0x62, 0x61, 0x61, 0x01, 0x61, 0x62, 0x02), [ErrorCode.CODEC_NON_CANONICAL]);
});

test("duplicate map keys are rejected, even with equal values", () => {
  fc.assert(
    fc.property(fc.uniqueArray(mapKey, { minLength: 1, maxLength: 5 }), leaf, fc.nat(), (keys, v, pick) => {
      const entries = keys.map((k): [string, CborValue] => [k, v]).sort(encodedKeyOrder);
      const i = pick % entries.length;
      const dup = [...entries.slice(0, i + 1), entries[i], ...entries.slice(i + 1)];
      rejects(rawMap(dup), CODEC_CODES, "duplicate");
    }),
    RUNS,
  );
  rejects(Uint8Array.of(0xa2, 0x61, 0x61, 0x01, 0x61, 0x61, 0x01));
});

test("indefinite-length items and stray breaks are rejected", () => {
  fc.assert(
    fc.property(fc.array(leaf, { maxLength: 4 }), fc.array(fc.uint8Array({ maxLength: 8 }), { maxLength: 3 }), fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }), (items, chunks, texts) => {
      rejects(concatBytes(Uint8Array.of(0x9f), ...items.map((x) => encode(x)), Uint8Array.of(0xff)), CODEC_CODES, "array");
      const entries = items.map((x, i): [string, CborValue] => [`k${i}`, x]);
      rejects(concatBytes(Uint8Array.of(0xbf), ...entries.flatMap(([k, x]) => [encode(k), encode(x)]), Uint8Array.of(0xff)), CODEC_CODES, "map");
      rejects(concatBytes(Uint8Array.of(0x5f), ...chunks.map((c) => encode(c)), Uint8Array.of(0xff)), CODEC_CODES, "bytes");
      rejects(concatBytes(Uint8Array.of(0x7f), ...texts.map((t) => encode(t)), Uint8Array.of(0xff)), CODEC_CODES, "text");
      // nested inside an otherwise valid array
      rejects(concatBytes(Uint8Array.of(0x81, 0x9f), ...items.map((x) => encode(x)), Uint8Array.of(0xff)), CODEC_CODES, "nested");
    }),
    RUNS,
  );
  rejects(Uint8Array.of(0xff));
  rejects(Uint8Array.of(0x82, 0x01, 0xff));
});

test("floats are rejected in every width, including integral values (1.0 as float16)", () => {
  rejects(Uint8Array.of(0xf9, 0x3c, 0x00), CODEC_CODES, "1.0 float16");
  rejects(Uint8Array.of(0xfa, 0x3f, 0x80, 0x00, 0x00), CODEC_CODES, "1.0 float32");
  rejects(Uint8Array.of(0xfb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0), CODEC_CODES, "1.0 float64");
  rejects(Uint8Array.of(0xf9, 0x00, 0x00), CODEC_CODES, "0.0 float16");
  rejects(Uint8Array.of(0xf9, 0x80, 0x00), CODEC_CODES, "-0.0 float16");
  // Every one of the 65536 half-precision encodings (stack traces off: 65536 throws).
  const b = Uint8Array.of(0xf9, 0, 0);
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  const accepted: number[] = [];
  try {
    for (let h = 0; h < 0x10000; h++) {
      b[1] = h >> 8;
      b[2] = h & 0xff;
      try {
        decode(b);
        accepted.push(h);
      } catch (e) {
        if (!(e instanceof CivitasError) || !CODEC_CODES.includes(e.code)) accepted.push(h);
      }
    }
  } finally {
    Error.stackTraceLimit = limit;
  }
  assert.deepEqual(accepted, [], "float16 encodings accepted or failing with a non-codec error");
  fc.assert(
    fc.property(fc.double(), fc.float(), (d, f) => {
      const b64 = new Uint8Array(9);
      b64[0] = 0xfb;
      new DataView(b64.buffer).setFloat64(1, d);
      rejects(b64, CODEC_CODES, `double ${d}`);
      const b32 = new Uint8Array(5);
      b32[0] = 0xfa;
      new DataView(b32.buffer).setFloat32(1, f);
      rejects(b32, CODEC_CODES, `float ${f}`);
      rejects(concatBytes(Uint8Array.of(0xa1, 0x61, 0x78), b64), CODEC_CODES, "float in a map");
    }),
    RUNS,
  );
});

test("simple values: only false, true and null are accepted; undefined and the rest are rejected", () => {
  for (let ib = 0xe0; ib <= 0xff; ib++) {
    if (ib === 0xf8 || ib === 0xf9 || ib === 0xfa || ib === 0xfb) continue; // multi-byte forms below
    const b = Uint8Array.of(ib);
    if (ib === 0xf4) assert.equal(decode(b), false);
    else if (ib === 0xf5) assert.equal(decode(b), true);
    else if (ib === 0xf6) assert.equal(decode(b), null);
    else rejects(b, CODEC_CODES, `simple 0x${ib.toString(16)}`);
  }
  for (let x = 0; x < 256; x++) rejects(Uint8Array.of(0xf8, x), CODEC_CODES, `f8 ${x}`);
  rejects(Uint8Array.of(0xf7), CODEC_CODES, "undefined");
  rejects(Uint8Array.of(0x82, 0xf6, 0xf7), CODEC_CODES, "undefined in an array");
});

test("tags are rejected, whatever the tag number and content", () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: MAX_U64 }), leaf, (tag, inner) => {
      rejects(concatBytes(head(6, tag, minimalWidth(tag)), encode(inner)), CODEC_CODES, `tag ${tag}`);
    }),
    RUNS,
  );
  rejects(Uint8Array.of(0xc2, 0x41, 0x01)); // bignum 1
  rejects(Uint8Array.of(0xd9, 0xd9, 0xf7, 0x01)); // self-described CBOR
});

test("trailing bytes after the value are rejected; so is every truncation", () => {
  fc.assert(
    fc.property(value, fc.uint8Array({ minLength: 1, maxLength: 8 }), (x, extra) => {
      const b = encode(x);
      rejects(concatBytes(b, extra), CODEC_CODES, "trailing");
      // Every prefix of short encodings; an even sample of up to ~64 prefixes of long ones.
      const step = Math.max(1, Math.floor(b.length / 64));
      for (let n = 0; n < b.length; n += n + step < b.length ? step : 1) rejects(b.subarray(0, n), CODEC_CODES, `prefix ${n}`);
    }),
    { numRuns: 100 },
  );
  rejects(new Uint8Array(0), [ErrorCode.CODEC_MALFORMED], "empty input");
  rejects(Uint8Array.of(0x00, 0x00), CODEC_CODES, "two items");
});

test("text must be valid UTF-8", () => {
  for (const bad of ["61ff", "61c3", "62c0af", "63eda080", "64f4908080", "62c3c3", "a161ff01"]) {
    rejects(Uint8Array.from(Buffer.from(bad, "hex")), CODEC_CODES, bad);
  }
  assert.equal(decode(Uint8Array.of(0x63, 0xef, 0xbb, 0xbf)), "\ufeff", "a BOM is content, not stripped");
});

test("map keys must be text strings", () => {
  rejects(Uint8Array.of(0xa1, 0x01, 0x02), CODEC_CODES, "int key");
  rejects(Uint8Array.of(0xa1, 0x41, 0x61, 0x02), CODEC_CODES, "bytes key");
  rejects(Uint8Array.of(0xa1, 0xf6, 0x02), CODEC_CODES, "null key");
  rejects(Uint8Array.of(0xa1, 0x80, 0x02), CODEC_CODES, "array key");
});

test("any accepted input is exactly the canonical encoding of what it decodes to (mutation fuzz)", () => {
  let accepted = 0;
  fc.assert(
    fc.property(value, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom("set", "insert", "delete")), { minLength: 1, maxLength: 3 }), (x, edits) => {
      const b = Array.from(encode(x));
      for (const [pos, byte, op] of edits) {
        const i = b.length === 0 ? 0 : pos % (b.length + (op === "insert" ? 1 : 0));
        if (op === "set" && b.length) b[i] = byte;
        else if (op === "insert") b.splice(i, 0, byte);
        else if (b.length) b.splice(i, 1);
      }
      const m = Uint8Array.from(b);
      let d: CborValue;
      try {
        d = decode(m);
      } catch (e) {
        assert.ok(e instanceof CivitasError && CODEC_CODES.includes(e.code), `non-codec error ${String(e)} for ${toHex(m)}`);
        return;
      }
      accepted++;
      assert.equal(toHex(encode(d)), toHex(m), "accepted bytes must be canonical");
    }),
    { numRuns: 1000 },
  );
  assert.ok(accepted > 0, "some mutations should still be valid encodings");
});

// ---------------------------------------------------------------------------------------------
// encode refuses everything outside the model

test("encode rejects floats, NaN, infinities and unsafe numbers", () => {
  fc.assert(
    fc.property(
      fc.double().filter((d) => !Number.isSafeInteger(d)),
      (d) => encodeRejects(d, `number ${d}`),
    ),
    RUNS,
  );
  for (const v of [1.5, -0.1, NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 53), 1e300, Number.MAX_VALUE, Number.EPSILON]) encodeRejects(v, String(v));
  encodeRejects([1, 2.5], "float in an array");
  encodeRejects({ a: { b: 0.5 } }, "float in a map");
});

test("encode rejects bigints outside the 64-bit CBOR range", () => {
  encodeRejects(MAX_U64 + 1n, "2^64");
  encodeRejects(MIN_NEG64 - 1n, "-2^64 - 1");
  encodeRejects([1n << 100n], "nested");
  assert.equal(toHex(encode(MAX_U64)), "1bffffffffffffffff");
  assert.equal(toHex(encode(MIN_NEG64)), "3bffffffffffffffff");
});

test("encode rejects undefined, symbols, functions, Map, Set, Date, class instances and other typed arrays", () => {
  class Point {
    constructor(
      readonly x: number,
      readonly y: number,
    ) {}
  }
  const bad: Array<[string, unknown]> = [
    ["undefined", undefined],
    ["map value undefined", { a: undefined }],
    ["array item undefined", [undefined]],
    ["symbol", Symbol("s")],
    ["function", () => 1],
    ["Map", new Map([["a", 1]])],
    ["empty Map", new Map()],
    ["Set", new Set([1])],
    ["Date", new Date(0)],
    ["class instance", new Point(1, 2)],
    ["RegExp", /x/],
    ["Uint16Array", new Uint16Array(2)],
    ["Int8Array", new Int8Array(2)],
    ["ArrayBuffer", new ArrayBuffer(2)],
    ["DataView", new DataView(new ArrayBuffer(2))],
    ["boxed string", Object("s")],
    ["nested Map", { a: [new Map()] }],
  ];
  for (const [label, v] of bad) encodeRejects(v, label);
});

test("encode rejects text that is not valid Unicode (lone surrogates), in values and keys", () => {
  encodeRejects("\ud800", "lone high surrogate");
  encodeRejects("a\udc00b", "lone low surrogate");
  encodeRejects({ "\ud800": 1 }, "lone surrogate key");
  assert.equal(toHex(encode("\ud83d\ude00")), "64f09f9880", "a proper pair is fine");
});

test("nesting: depth 32 is accepted, depth 33 is refused by both encode and decode", () => {
  const nestArr = (d: number): CborValue => {
    let v: CborValue = 1;
    for (let i = 0; i < d; i++) v = [v];
    return v;
  };
  const nestMap = (d: number): CborValue => {
    let v: CborValue = 1;
    for (let i = 0; i < d; i++) v = { k: v };
    return v;
  };
  for (const nest of [nestArr, nestMap]) {
    const ok = nest(32);
    assert.deepEqual(decode(encode(ok)), ok);
    encodeRejects(nest(33), `${nest.name} 33`);
    encodeRejects(nest(1000), `${nest.name} 1000`);
  }
  // Hand-built deep inputs (the encoder would refuse to make them).
  rejects(Uint8Array.from([...new Array<number>(33).fill(0x81), 0x01]), [ErrorCode.CODEC_MALFORMED], "33 arrays");
  rejects(Uint8Array.from([...new Array<number>(100_000).fill(0x81), 0x01]), [ErrorCode.CODEC_MALFORMED], "100k arrays");
  const deepMap = [...new Array(33).fill(null).flatMap(() => [0xa1, 0x61, 0x6b]), 0x01];
  rejects(Uint8Array.from(deepMap), [ErrorCode.CODEC_MALFORMED], "33 maps");
  assert.deepEqual(decode(Uint8Array.from([...new Array<number>(32).fill(0x81), 0x01])), nestArr(32));
});

test("decode refuses lengths larger than the input without allocating them", () => {
  rejects(Uint8Array.of(0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), [ErrorCode.CODEC_MALFORMED], "2^64-1 byte string");
  rejects(Uint8Array.of(0x9b, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00), [ErrorCode.CODEC_MALFORMED], "2^32 array");
  rejects(Uint8Array.of(0xba, 0x7f, 0xff, 0xff, 0xff), [ErrorCode.CODEC_MALFORMED], "huge map");
  rejects(Uint8Array.of(0x44, 0x01, 0x02), [ErrorCode.CODEC_MALFORMED], "short byte string");
});

test("decode accepts any Uint8Array view (offset into a larger buffer) and rejects non-bytes", () => {
  const b = encode({ a: [1, "x", new Uint8Array([9])] });
  const big = new Uint8Array(b.length + 10);
  big.set(b, 5);
  assert.deepEqual(decode(big.subarray(5, 5 + b.length)), { a: [1, "x", new Uint8Array([9])] });
  assert.throws(() => decode("a0" as unknown as Uint8Array), CivitasError);
});
