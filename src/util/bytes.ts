/** Byte helpers that work in Node and browsers (no Buffer in the public surface). */
const HEX = /^(?:[0-9a-f]{2})*$/;
const BYTE_TO_HEX: string[] = Array.from({ length: 256 }, (_, i) => (i < 16 ? "0" : "") + i.toString(16));
const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) NIBBLE[97 + i] = 10 + i;

export function toHex(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += BYTE_TO_HEX[b[i]];
  return s;
}

/** Strict lowercase hex (an optional 0x prefix is accepted); throws TypeError otherwise. */
export function fromHex(h: string): Uint8Array {
  const off = h.startsWith("0x") ? 2 : 0;
  const n = h.length - off;
  if (n % 2 !== 0) throw new TypeError("not lowercase even-length hex");
  const out = new Uint8Array(n / 2);
  for (let i = 0; i < out.length; i++) {
    const a = h.charCodeAt(off + 2 * i);
    const b = h.charCodeAt(off + 2 * i + 1);
    const hi = a < 128 ? NIBBLE[a] : -1;
    const lo = b < 128 ? NIBBLE[b] : -1;
    if (hi < 0 || lo < 0) throw new TypeError("not lowercase even-length hex");
    out[i] = (hi << 4) | lo;
  }
  return out;
}

export function isHex(h: unknown, bytes?: number): h is string {
  if (typeof h !== "string") return false;
  const s = h.startsWith("0x") ? h.slice(2) : h;
  return HEX.test(s) && (bytes === undefined || s.length === bytes * 2);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lexicographic byte order: the one order used wherever state keys are sorted. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });
export const utf8 = (s: string): Uint8Array => enc.encode(s);
export const fromUtf8 = (b: Uint8Array): string => dec.decode(b);
