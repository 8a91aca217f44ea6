/**
 * A structural check of BER/DER bytes that the ASN.1 parser is too forgiving for: every
 * definite length must exactly cover its contents, down to the leaves. Without it a flipped
 * length byte in an unsigned part of a token (the CMS wrapper) could go unnoticed.
 */
const MAX_DEPTH = 64;

function walk(b: Uint8Array, start: number, end: number, depth: number): number {
  if (depth > MAX_DEPTH) throw new TypeError("nesting too deep");
  let p = start;
  if (p >= end) throw new TypeError(`truncated at ${p}`);
  const tag = b[p++];
  if ((tag & 0x1f) === 0x1f) {
    // High tag number: base-128 continuation bytes.
    while (p < end && b[p] & 0x80) p++;
    p++;
  }
  if (p >= end) throw new TypeError(`truncated tag at ${start}`);
  const first = b[p++];
  const constructed = (tag & 0x20) !== 0;
  if (first === 0x80) {
    if (!constructed) throw new TypeError(`indefinite length on a primitive at ${start}`);
    while (true) {
      if (p + 1 < end && b[p] === 0 && b[p + 1] === 0) return p + 2;
      p = walk(b, p, end, depth + 1);
    }
  }
  let len = first;
  if (first & 0x80) {
    const k = first & 0x7f;
    if (k > 4 || p + k > end) throw new TypeError(`bad length at ${start}`);
    len = 0;
    for (let i = 0; i < k; i++) len = len * 256 + b[p++];
  }
  const stop = p + len;
  if (stop > end) throw new TypeError(`element at ${start} runs past its container`);
  if (constructed) {
    while (p < stop) p = walk(b, p, stop, depth + 1);
    if (p !== stop) throw new TypeError(`children of the element at ${start} overrun it`);
  }
  return stop;
}

/** Throws TypeError unless `b` is exactly one well-nested BER element. */
export function checkStructure(b: Uint8Array): void {
  const end = walk(b, 0, b.length, 0);
  if (end !== b.length) throw new TypeError(`${b.length - end} bytes after the element`);
}
