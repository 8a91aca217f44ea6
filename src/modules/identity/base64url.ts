/**
 * Strict base64url (RFC 4648 section 5, no padding) for JWS parts, in plain TypeScript so the
 * module also runs in the browser SDK. A canonical round trip is required: lenient decoders
 * skip invalid characters and ignore non-zero trailing bits, so two different strings could
 * decode to the same bytes.
 */
const ALPHABET = /^[A-Za-z0-9_-]*$/;
const CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const VALUE = new Int16Array(128).fill(-1);
for (let i = 0; i < CHARS.length; i++) VALUE[CHARS.charCodeAt(i)] = i;

/** Decoded bytes, or undefined when `s` is not canonical unpadded base64url. */
export function decodeBase64Url(s: string): Uint8Array | undefined {
  if (!ALPHABET.test(s) || s.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    acc = (acc << 6) | VALUE[s.charCodeAt(i)];
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  // Leftover bits must be zero for the encoding to be canonical.
  if ((acc & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}

export function encodeBase64Url(bytes: Uint8Array): string {
  let s = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    s += CHARS[n >> 18] + CHARS[(n >> 12) & 63] + CHARS[(n >> 6) & 63] + CHARS[n & 63];
  }
  if (i < bytes.length) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8);
    s += CHARS[n >> 18] + CHARS[(n >> 12) & 63];
    if (i + 1 < bytes.length) s += CHARS[(n >> 6) & 63];
  }
  return s;
}
