/**
 * A strict JSON parser for text that execution reads (DID documents, VC-JWT headers and
 * payloads). `JSON.parse` is deterministic but lenient in ways that matter on a ledger: a
 * duplicate member silently wins, `__proto__` members are special, and depth is unbounded. Two
 * verifiers could then read one credential differently. This parser accepts RFC 8259 only,
 * refuses duplicate member names and lone surrogates, and bounds nesting depth; `canonicalJson`
 * prints a value in RFC 8785 form (members sorted by UTF-16 code units, ECMAScript numbers).
 */
import { CivitasError } from "../../util/errors.js";
import type { ErrorCode } from "../../util/errors.js";

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export const MAX_JSON_DEPTH = 8;

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

class Parser {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly code: ErrorCode,
    private readonly where: string,
  ) {}

  fail(what: string): never {
    throw new CivitasError(this.code, `${this.where}: ${what} at offset ${this.pos}`, { offset: this.pos });
  }

  parseDocument(): JsonValue {
    const v = this.value(0);
    this.ws();
    if (this.pos !== this.text.length) this.fail("trailing characters after the JSON value");
    return v;
  }

  private ws(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.pos++;
      else break;
    }
  }

  private value(depth: number): JsonValue {
    this.ws();
    const c = this.text[this.pos];
    if (c === "{") return this.object(depth + 1);
    if (c === "[") return this.array(depth + 1);
    if (c === '"') return this.string();
    if (c === "t") return this.literal("true", true);
    if (c === "f") return this.literal("false", false);
    if (c === "n") return this.literal("null", null);
    return this.number();
  }

  private literal<T extends JsonValue>(word: string, v: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail("unexpected token");
    this.pos += word.length;
    return v;
  }

  private number(): number {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (!m || m[0].length === 0) this.fail(this.pos >= this.text.length ? "unexpected end of text" : "unexpected token");
    this.pos += m[0].length;
    const n = Number(m[0]);
    if (!Number.isFinite(n)) this.fail("number out of range");
    return n;
  }

  private string(): string {
    const t = this.text;
    this.pos++; // opening quote
    let out = "";
    let start = this.pos;
    for (;;) {
      if (this.pos >= t.length) this.fail("unterminated string");
      const c = t.charCodeAt(this.pos);
      if (c === 0x22) {
        out += t.slice(start, this.pos);
        this.pos++;
        break;
      }
      if (c < 0x20) this.fail("control character in string");
      if (c === 0x5c) {
        out += t.slice(start, this.pos);
        out += this.escape();
        start = this.pos;
        continue;
      }
      this.pos++;
    }
    if (!out.isWellFormed()) this.fail("lone surrogate in string");
    return out;
  }

  private escape(): string {
    const e = this.text[this.pos + 1];
    this.pos += 2;
    switch (e) {
      case '"':
        return '"';
      case "\\":
        return "\\";
      case "/":
        return "/";
      case "b":
        return "\b";
      case "f":
        return "\f";
      case "n":
        return "\n";
      case "r":
        return "\r";
      case "t":
        return "\t";
      case "u": {
        const hex = this.text.slice(this.pos, this.pos + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail("bad \\u escape");
        this.pos += 4;
        return String.fromCharCode(parseInt(hex, 16));
      }
      default:
        return this.fail("bad escape");
    }
  }

  private array(depth: number): JsonValue[] {
    if (depth > MAX_JSON_DEPTH) this.fail(`nesting deeper than ${MAX_JSON_DEPTH}`);
    this.pos++;
    const out: JsonValue[] = [];
    this.ws();
    if (this.text[this.pos] === "]") {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth));
      this.ws();
      const c = this.text[this.pos++];
      if (c === "]") return out;
      if (c !== ",") this.fail("expected ',' or ']'");
    }
  }

  private object(depth: number): JsonObject {
    if (depth > MAX_JSON_DEPTH) this.fail(`nesting deeper than ${MAX_JSON_DEPTH}`);
    this.pos++;
    // No prototype: a member named "__proto__" is then an ordinary member.
    const out = Object.create(null) as JsonObject;
    this.ws();
    if (this.text[this.pos] === "}") {
      this.pos++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.text[this.pos] !== '"') this.fail("expected a member name");
      const k = this.string();
      if (Object.prototype.hasOwnProperty.call(out, k)) this.fail(`duplicate member '${k.slice(0, 64)}'`);
      this.ws();
      if (this.text[this.pos++] !== ":") this.fail("expected ':'");
      out[k] = this.value(depth);
      this.ws();
      const c = this.text[this.pos++];
      if (c === "}") return out;
      if (c !== ",") this.fail("expected ',' or '}'");
    }
  }
}

/** Parses `text` strictly; every defect is a `code` error naming `where` and the offset. */
export function parseStrictJson(text: string, code: ErrorCode, where: string): JsonValue {
  return new Parser(text, code, where).parseDocument();
}

export function isJsonObject(v: JsonValue | undefined): v is JsonObject {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** RFC 8785 serialisation: the same value always prints to the same text. */
export function canonicalJson(v: JsonValue): string {
  if (v === null || typeof v === "boolean" || typeof v === "number" || typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  const keys = Object.keys(v).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(",")}}`;
}
