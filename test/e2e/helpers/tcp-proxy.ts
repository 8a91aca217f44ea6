/**
 * A byte-level TCP proxy for fault tests: it listens on 127.0.0.1 and forwards every accepted
 * connection to a fixed target, copying bytes both ways unchanged (so TLS passes through and the
 * peers still authenticate each other end to end).
 *
 * `cut()` destroys every connection in flight and refuses new ones (accepted, then destroyed at
 * once: the dialler sees a reset and backs off as it would when the link is down); `heal()` lets
 * connections through again. A cut proxy never forwards a single byte in either direction.
 */
import { connect, createServer } from "node:net";
import type { Server, Socket } from "node:net";

export interface ProxyStats {
  accepted: number;
  refused: number;
  bytesUp: number;
  bytesDown: number;
}

export class TcpProxy {
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  private cutNow = false;
  private closed = false;
  readonly stats: ProxyStats = { accepted: 0, refused: 0, bytesUp: 0, bytesDown: 0 };

  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly target: { host: string; port: number },
    readonly label: string,
  ) {}

  /** Listens on `listenPort` (0 = any free port) and forwards to target. */
  static async start(target: { host: string; port: number }, o: { listenPort?: number; label?: string } = {}): Promise<TcpProxy> {
    const holder: { proxy?: TcpProxy } = {};
    const server = createServer({ pauseOnConnect: true, noDelay: true }, (client) => {
      if (holder.proxy) holder.proxy.onClient(client);
      else client.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(o.listenPort ?? 0, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    server.on("error", () => undefined);
    const a = server.address();
    const port = typeof a === "object" && a ? a.port : 0;
    holder.proxy = new TcpProxy(server, port, target, o.label ?? `proxy:${port}->${target.port}`);
    return holder.proxy;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get isCut(): boolean {
    return this.cutNow;
  }

  /** Connections currently forwarded. */
  get active(): number {
    return this.pairs.size;
  }

  private onClient(client: Socket): void {
    client.on("error", () => undefined);
    if (this.cutNow || this.closed) {
      this.stats.refused++;
      client.resetAndDestroy();
      return;
    }
    this.stats.accepted++;
    const upstream = connect({ host: this.target.host, port: this.target.port, noDelay: true });
    upstream.on("error", () => undefined);
    const pair = { client, upstream };
    this.pairs.add(pair);
    let done = false;
    const end = (): void => {
      if (done) return;
      done = true;
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end);
    upstream.on("close", end);
    client.on("data", (d: Buffer) => {
      if (this.cutNow) return end();
      this.stats.bytesUp += d.length;
      if (!upstream.write(d)) client.pause();
    });
    upstream.on("data", (d: Buffer) => {
      if (this.cutNow) return end();
      this.stats.bytesDown += d.length;
      if (!client.write(d)) upstream.pause();
    });
    upstream.on("drain", () => client.resume());
    client.on("drain", () => upstream.resume());
    upstream.once("connect", () => client.resume());
  }

  /** Drops every forwarded connection and refuses new ones until heal(). */
  cut(): void {
    this.cutNow = true;
    for (const p of [...this.pairs]) {
      p.client.resetAndDestroy();
      p.upstream.resetAndDestroy();
    }
    this.pairs.clear();
  }

  heal(): void {
    this.cutNow = false;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
