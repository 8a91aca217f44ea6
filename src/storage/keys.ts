/** Fixed-width big-endian key parts: LMDB sorts keys bytewise, so these sort numerically. */
export function u64be(n: number): Uint8Array {
  const b = new Uint8Array(8);
  const hi = Math.floor(n / 0x100000000);
  const lo = n >>> 0;
  b[0] = hi >>> 24;
  b[1] = hi >>> 16;
  b[2] = hi >>> 8;
  b[3] = hi;
  b[4] = lo >>> 24;
  b[5] = lo >>> 16;
  b[6] = lo >>> 8;
  b[7] = lo;
  return b;
}

export function u32be(n: number): Uint8Array {
  const b = new Uint8Array(4);
  b[0] = n >>> 24;
  b[1] = n >>> 16;
  b[2] = n >>> 8;
  b[3] = n;
  return b;
}

export function readU64be(b: Uint8Array, offset = 0): number {
  return Number(new DataView(b.buffer, b.byteOffset + offset, 8).getBigUint64(0));
}

export function readU32be(b: Uint8Array, offset = 0): number {
  return new DataView(b.buffer, b.byteOffset + offset, 4).getUint32(0);
}
