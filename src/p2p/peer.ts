/** One TLS connection to another node: its state, counters and the write path. */
import type { TLSSocket } from "node:tls";
import { FrameDecoder } from "./frame.js";
import { byeFrame } from "./messages.js";
import type { Bye, Hello } from "./messages.js";
import type { PeerCertInfo } from "./certs.js";

/** tls: handshake running; hello: TLS done, peer id known, waiting for its hello; up: usable. */
export type ConnState = "tls" | "hello" | "up" | "closing" | "closed";

/** An application frame prepared once and written to any number of connections. */
export interface Outgoing {
  /** Header and payload in one buffer (small payloads: one copy beats two writes). */
  whole?: Buffer;
  header?: Buffer;
  payload?: Uint8Array;
  size: number;
}

export interface DialTarget {
  readonly address: string;
  readonly host: string;
  readonly port: number;
  /** Learned from the certificate at the first successful TLS handshake. */
  knownId?: string;
  /** The address is this node itself: never dialled again. */
  self: boolean;
  backoffMs: number;
  timer?: NodeJS.Timeout;
  conn?: Connection;
}

// After a graceful close (bye + FIN), how long queued frames and the peer's own FIN get before
// the socket is cut. Generous: a dropped duplicate may still be flushing a large batch.
const CLOSE_GRACE_MS = 5000;

export class Connection {
  id = "";
  /** Serial and DID of the peer's certificate, for revocation checks. */
  cert: PeerCertInfo | undefined;
  state: ConnState = "tls";
  hello?: Hello;
  connectedAt = 0;
  lastSeen = Date.now();
  framesIn = 0;
  framesOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  dropped = 0;
  readonly decoder: FrameDecoder;
  readonly closed: Promise<void>;
  handshakeTimer?: NodeJS.Timeout;
  /**
   * Closed as the duplicate of another connection to the same node: frames the peer sent before
   * it learned that are still delivered until its FIN, so the swap loses nothing.
   */
  draining = false;
  private markClosed!: () => void;

  constructor(
    readonly socket: TLSSocket,
    readonly direction: "in" | "out",
    readonly address: string,
    maxFrameBytes: number,
    private readonly maxSendBufferBytes: number,
    readonly target?: DialTarget,
  ) {
    this.decoder = new FrameDecoder(maxFrameBytes);
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
  }

  get open(): boolean {
    return (this.state === "hello" || this.state === "up") && this.socket.writable;
  }

  /** Control frames are tiny and bypass the send-buffer limit: a ping must not be dropped. */
  writeControl(frame: Buffer): void {
    if (!this.open) return;
    this.socket.write(frame);
    this.framesOut++;
    this.bytesOut += frame.length;
  }

  /** False when the frame was dropped because the peer is not draining its socket. */
  writeApp(f: Outgoing): boolean {
    if (this.state !== "up" || !this.socket.writable) return false;
    const queued = this.socket.writableLength;
    if (queued > 0 && queued + f.size > this.maxSendBufferBytes) {
      this.dropped++;
      return false;
    }
    if (f.whole) {
      this.socket.write(f.whole);
    } else {
      this.socket.cork();
      this.socket.write(f.header!);
      this.socket.write(f.payload!);
      this.socket.uncork();
    }
    this.framesOut++;
    this.bytesOut += f.size;
    return true;
  }

  /**
   * Graceful (a bye, or `flush` when answering the peer's bye): frames already queued are sent,
   * then the FIN; the peer gets a grace period to close its side. Otherwise the socket is cut.
   */
  close(bye?: Bye, flush = false): void {
    if (this.state === "closing" || this.state === "closed") return;
    const canSay = this.open;
    this.state = "closing";
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    if ((bye || flush) && canSay) {
      if (bye) this.socket.end(byeFrame(bye));
      else this.socket.end();
      setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
    } else {
      this.socket.destroy();
    }
  }

  /** Called from the socket's 'close' event. */
  onClosed(): void {
    this.state = "closed";
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.markClosed();
  }
}
