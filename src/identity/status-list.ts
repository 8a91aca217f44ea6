/**
 * W3C Bitstring Status List v1.0: a list of `size` status bits, bit i being the (i mod 8)-th most
 * significant bit of byte floor(i / 8); on the wire the bytes are GZIP-compressed and written
 * as multibase base64url (prefix `u`, no padding). Uses the web-standard Compression Streams so
 * that the same code runs in browsers and in Node.
 */
import { base64url } from "jose";
import { CivitasError, ErrorCode } from "../util/errors.js";

/** Largest list decoded: 2^24 bits (2 MiB). Bounds what a hostile gzip stream can make us allocate. */
export const MAX_STATUS_LIST_BITS = 2 ** 24;

function malformed(message: string, details: Record<string, unknown> = {}): CivitasError {
  return new CivitasError(ErrorCode.CREDENTIAL_INVALID, `status list: ${message}`, details);
}

function checkSize(size: number): void {
  if (!Number.isSafeInteger(size) || size < 1 || size > MAX_STATUS_LIST_BITS) throw malformed(`size must be an integer from 1 to ${MAX_STATUS_LIST_BITS}`, { size });
}

/** A bitstring of `size` bits, all clear. */
export function createBitstring(size: number): Uint8Array {
  checkSize(size);
  return new Uint8Array(Math.ceil(size / 8));
}

function checkIndex(bits: Uint8Array, index: number): void {
  if (!Number.isSafeInteger(index) || index < 0 || index >= bits.length * 8) throw malformed(`index ${index} is outside the list (${bits.length * 8} bits)`, { index });
}

export function getStatusBit(bits: Uint8Array, index: number): boolean {
  checkIndex(bits, index);
  return (bits[index >> 3] & (0x80 >> (index & 7))) !== 0;
}

export function setStatusBit(bits: Uint8Array, index: number, value: boolean): void {
  checkIndex(bits, index);
  if (value) bits[index >> 3] |= 0x80 >> (index & 7);
  else bits[index >> 3] &= ~(0x80 >> (index & 7));
}

async function transform(data: Uint8Array, stream: CompressionStream | DecompressionStream, maxBytes: number): Promise<Uint8Array> {
  const writer = stream.writable.getWriter();
  // Failures surface on the read side; the write-side promises must not go unhandled.
  writer.write(new Uint8Array(data)).catch(() => undefined);
  writer.close().catch(() => undefined);
  const reader = stream.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw malformed(`decompresses to more than ${maxBytes} bytes`, { maxBytes });
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** `encodedList` of a bitstring: "u" + base64url(gzip(bits)). */
export async function encodeStatusList(bits: Uint8Array): Promise<string> {
  if (bits.length === 0 || bits.length * 8 > MAX_STATUS_LIST_BITS) throw malformed(`a list has 1 to ${MAX_STATUS_LIST_BITS / 8} bytes, got ${bits.length}`);
  const gz = await transform(bits, new CompressionStream("gzip"), MAX_STATUS_LIST_BITS);
  return "u" + base64url.encode(gz);
}

/**
 * Decodes `encodedList`. With `size`, the result must hold at least `size` bits (the spec pads
 * to whole bytes and may pad further, so a longer list is fine; a shorter one is corrupt).
 */
export async function decodeStatusList(encoded: unknown, size?: number): Promise<Uint8Array> {
  if (typeof encoded !== "string" || encoded.length < 2) throw malformed("encodedList must be a non-empty string");
  if (encoded[0] !== "u") throw malformed(`encodedList must be multibase base64url (prefix 'u'), got prefix '${encoded[0]}'`);
  // Base64url of gzip of the largest list, with slack for gzip's worst case, bounds the input.
  if (encoded.length > (MAX_STATUS_LIST_BITS / 8) * 2) throw malformed("encodedList is too long");
  if (!/^[A-Za-z0-9_-]+$/.test(encoded.slice(1))) throw malformed("encodedList has characters outside base64url (or padding)");
  let gz: Uint8Array;
  try {
    gz = base64url.decode(encoded.slice(1));
  } catch {
    throw malformed("encodedList is not valid base64url");
  }
  let bits: Uint8Array;
  try {
    bits = await transform(gz, new DecompressionStream("gzip"), MAX_STATUS_LIST_BITS / 8);
  } catch (e) {
    if (e instanceof CivitasError) throw e;
    throw malformed(`encodedList is not valid GZIP data: ${(e as Error).message}`);
  }
  if (bits.length === 0) throw malformed("encodedList decodes to an empty list");
  if (size !== undefined) {
    checkSize(size);
    if (bits.length * 8 < size) throw malformed(`list holds ${bits.length * 8} bits but its size is ${size}`, { size, bits: bits.length * 8 });
  }
  return bits;
}
