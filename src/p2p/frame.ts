/**
 * Wire framing: a 4-byte big-endian length, then that many payload bytes. The first payload
 * byte is the frame type (see messages.ts); the length counts it.
 */
import { CivitasError, ErrorCode } from "../util/errors.js";

export const HEADER_BYTES = 4;
/** The length field is a u32; beyond this no configuration makes sense. */
export const MAX_FRAME_LIMIT = 0xffff_ffff;

/**
 * Incremental decoder for a TCP byte stream. Chunks are queued as they come; a frame that
 * lies inside one chunk is returned as a view of it (no copy), and only a frame spanning
 * chunks is assembled. The length prefix is checked before anything is allocated for the
 * body, so a hostile prefix costs nothing. After it throws the stream is unusable.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private head = 0; // read offset into chunks[0]
  private buffered = 0;
  private need = -1; // body length of the frame being read, -1 while reading a header

  constructor(private readonly maxFrameBytes: number) {
    if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes < 1 || maxFrameBytes > MAX_FRAME_LIMIT) {
      throw new CivitasError(ErrorCode.CONFIG_INVALID, `maxFrameBytes must be in [1, ${MAX_FRAME_LIMIT}], got ${maxFrameBytes}`);
    }
  }

  /** Bytes received but not yet returned as a frame. */
  get pending(): number {
    return this.buffered;
  }

  /** Feeds one chunk; returns the frames it completed, in order. */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    if (chunk.length === 0) return out;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.need < 0) {
        if (this.buffered < HEADER_BYTES) break;
        const len = this.take(HEADER_BYTES).readUInt32BE(0);
        if (len === 0) throw new CivitasError(ErrorCode.P2P_BAD_FRAME, "frame of length 0");
        if (len > this.maxFrameBytes) throw new CivitasError(ErrorCode.P2P_FRAME_TOO_LARGE, `frame of ${len} bytes exceeds the limit of ${this.maxFrameBytes}`, { length: len, limit: this.maxFrameBytes });
        this.need = len;
      }
      if (this.buffered < this.need) break;
      out.push(this.take(this.need));
      this.need = -1;
    }
    return out;
  }

  /** Removes n bytes (n <= buffered) from the front of the queue. */
  private take(n: number): Buffer {
    const first = this.chunks[0];
    const avail = first.length - this.head;
    if (avail >= n) {
      const b = first.subarray(this.head, this.head + n);
      this.advance(n);
      return b;
    }
    const b = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[0];
      const k = Math.min(c.length - this.head, n - off);
      c.copy(b, off, this.head, this.head + k);
      off += k;
      this.advance(k);
    }
    return b;
  }

  private advance(n: number): void {
    this.head += n;
    this.buffered -= n;
    if (this.head === this.chunks[0].length) {
      this.chunks.shift();
      this.head = 0;
    }
  }
}

/** Header for a frame whose payload (type byte included) is `length` bytes. */
export function frameHeader(length: number): Buffer {
  const h = Buffer.allocUnsafe(HEADER_BYTES);
  h.writeUInt32BE(length, 0);
  return h;
}
