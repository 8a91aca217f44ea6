/**
 * The node-to-node network: mutually authenticated TLS 1.3 between nodes holding certificates
 * of one network CA, length-prefixed frames, a hello that pins chain id and genesis, one
 * connection per node pair, keepalive, penalties and bans (ADR 0007).
 *
 * Nothing a peer sends can throw out of a socket callback: every failure ends in closing that
 * one connection, and the process carries on serving the others.
 */
import { connect, createServer } from "node:tls";
import type { Server, TLSSocket } from "node:tls";
import type { Socket, AddressInfo } from "node:net";
import { pino } from "pino";
import type { Logger } from "pino";
import { CivitasError, ErrorCode, isCivitasError } from "../util/errors.js";
import { equalBytes, toHex } from "../util/bytes.js";
import { checkNodeTls, peerCertInfo } from "./certs.js";
import { HEADER_BYTES } from "./frame.js";
import { FrameType, PING_FRAME, decodeBye, decodeHello, helloFrame } from "./messages.js";
import type { Hello } from "./messages.js";
import { MAX_BACKOFF_MS, MIN_BACKOFF_MS, parseTarget, validateOptions } from "./options.js";
import type { P2POptions, PeerInfo, Refusal } from "./options.js";
import { Connection } from "./peer.js";
import type { DialTarget, Outgoing } from "./peer.js";

export type { P2POptions, PeerInfo, Refusal } from "./options.js";

// Up to this payload size a frame is copied once into a single buffer; larger payloads are
// written as header + payload so a multi-megabyte batch is never copied.
const COPY_BELOW = 16 * 1024;
// TLS verification failures as reported by OpenSSL/Node, either side of the handshake.
const TLS_REFUSAL = /^ERR_SSL_|CERT|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO/;

export class P2PNode {
  private readonly conns = new Set<Connection>();
  /** The one connection in use per peer id. */
  private readonly current = new Map<string, Connection>();
  /** Peer ids whose connection closed while a replacement was in its hello: "down" waits for it. */
  private readonly handover = new Set<string>();
  private readonly rawSockets = new Set<Socket>();
  private readonly targets: DialTarget[];
  private readonly bans = new Map<string, number>();
  private readonly scores = new Map<string, number>();
  private messageHandler?: (peerId: string, payload: Uint8Array) => void;
  private readonly peerHandlers: ((peerId: string, event: "up" | "down") => void)[] = [];
  private readonly refusedHandlers: ((r: Refusal) => void)[] = [];
  private refusedHandshakes = 0;
  private badFrames = 0;
  private stopped = false;
  private keepalive?: NodeJS.Timeout;
  private readonly log: Logger;
  private readonly maxSendBufferBytes: number;
  private readonly banMs: number;
  private readonly scoreLimit: number;
  private readonly pingIntervalMs: number;
  private readonly idleTimeoutMs: number;
  private readonly handshakeTimeoutMs: number;
  private readonly hello: Hello;

  private constructor(
    private readonly opts: P2POptions,
    readonly nodeId: string,
    private readonly server: Server,
  ) {
    this.log = (opts.logger ?? pino({ level: "silent" })).child({ p2p: nodeId.slice(0, 8) });
    this.maxSendBufferBytes = opts.maxSendBufferBytes ?? 64 * 1024 * 1024;
    this.banMs = opts.banMs ?? 60_000;
    this.scoreLimit = opts.scoreLimit ?? 100;
    this.pingIntervalMs = opts.pingIntervalMs ?? 5000;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 20_000;
    this.handshakeTimeoutMs = opts.handshakeTimeoutMs ?? 10_000;
    this.hello = { ...opts.hello };
    this.targets = [...new Set(opts.peers)].map(parseTarget);
  }

  static async start(opts: P2POptions): Promise<P2PNode> {
    validateOptions(opts);
    const nodeId = checkNodeTls(opts.tls);
    const server = createServer({
      key: opts.tls.keyPem,
      cert: opts.tls.certPem,
      ca: [opts.tls.caPem],
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: "TLSv1.3",
      handshakeTimeout: opts.handshakeTimeoutMs ?? 10_000,
    });
    const node = new P2PNode(opts, nodeId, server);
    await node.listen();
    node.keepalive = setInterval(() => node.tick(), node.pingIntervalMs);
    for (const t of node.targets) node.schedule(t, 0);
    node.log.info({ nodeId, address: node.address(), peers: opts.peers }, "p2p listening");
    return node;
  }

  address(): { host: string; port: number } {
    const a = this.server.address() as AddressInfo | null;
    return a ? { host: a.address, port: a.port } : { host: this.opts.listen.host, port: this.opts.listen.port };
  }

  /** The payload must not be modified afterwards: it may still be queued for sending. */
  broadcast(payload: Uint8Array): void {
    const f = this.prepare(payload);
    for (const c of this.current.values()) c.writeApp(f);
  }

  send(peerId: string, payload: Uint8Array): boolean {
    const f = this.prepare(payload);
    return this.current.get(peerId)?.writeApp(f) ?? false;
  }

  /** Payloads are views of received socket buffers, not copies: copy what is kept for long. */
  onMessage(handler: (peerId: string, payload: Uint8Array) => void): void {
    this.messageHandler = handler;
  }

  onPeer(handler: (peerId: string, event: "up" | "down") => void): void {
    this.peerHandlers.push(handler);
  }

  onRefused(handler: (r: Refusal) => void): void {
    this.refusedHandlers.push(handler);
  }

  penalize(peerId: string, points: number, reason: string): void {
    if (this.stopped || !(points > 0)) return;
    const score = (this.scores.get(peerId) ?? 0) + points;
    if (score < this.scoreLimit) {
      this.scores.set(peerId, score);
      this.log.debug({ peer: peerId, points, score, reason }, "peer penalised");
      return;
    }
    this.scores.delete(peerId);
    this.bans.set(peerId, Date.now() + this.banMs);
    this.log.warn({ peer: peerId, reason, banMs: this.banMs }, `peer ${peerId} banned: ${reason}`);
    for (const c of this.conns) if (c.id === peerId) c.close({ code: ErrorCode.P2P_BANNED, message: `banned for ${this.banMs} ms: ${reason}` });
  }

  peers(): PeerInfo[] {
    return [...this.current.values()].map((c) => ({
      id: c.id,
      address: c.address,
      direction: c.direction,
      role: c.hello?.role ?? "",
      score: this.scores.get(c.id) ?? 0,
      connectedAt: c.connectedAt,
      framesIn: c.framesIn,
      framesOut: c.framesOut,
      bytesIn: c.bytesIn,
      bytesOut: c.bytesOut,
      dropped: c.dropped,
    }));
  }

  stats(): { bannedIds: string[]; refusedHandshakes: number; badFrames: number } {
    return { bannedIds: [...this.bans.keys()].filter((id) => this.banned(id)), refusedHandshakes: this.refusedHandshakes, badFrames: this.badFrames };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.keepalive);
    for (const t of this.targets) clearTimeout(t.timer);
    const serverClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const conns = [...this.conns];
    for (const c of conns) c.socket.destroy();
    // Sockets still in the TLS handshake are not connections yet; the server waits for them.
    for (const s of this.rawSockets) s.destroy();
    await Promise.all([serverClosed, ...conns.map((c) => c.closed)]);
    this.log.info("p2p stopped");
  }

  // ---- listening and dialling

  private listen(): Promise<void> {
    const { host, port } = this.opts.listen;
    this.server.on("connection", (s: Socket) => {
      this.rawSockets.add(s);
      s.once("close", () => this.rawSockets.delete(s));
    });
    this.server.on("secureConnection", (socket: TLSSocket) => {
      const c = this.adopt(socket, "in", `${socket.remoteAddress}:${socket.remotePort}`);
      if (c) this.onSecure(c);
    });
    this.server.on("tlsClientError", (err: Error & { code?: string }, socket: TLSSocket) => {
      socket.destroy();
      if (this.stopped) return;
      const address = `${socket.remoteAddress}:${socket.remotePort}`;
      if (TLS_REFUSAL.test(err.code ?? "") || /certificate|alert/i.test(err.message)) {
        this.refused({ address, code: ErrorCode.P2P_HANDSHAKE_REFUSED, message: `TLS: ${err.message}`, by: "us" });
        this.log.warn({ address, err: err.message }, `TLS handshake from ${address} refused: ${err.message} (its certificate is not issued by this network's CA?)`);
      } else {
        this.log.debug({ address, err: err.message }, "TLS handshake failed");
      }
    });
    return new Promise((resolve, reject) => {
      const onError = (e: Error): void => reject(new CivitasError(ErrorCode.CONFIG_INVALID, `p2p cannot listen on ${host}:${port}: ${e.message}`, { host, port }));
      this.server.once("error", onError);
      this.server.listen(port, host, () => {
        this.server.off("error", onError);
        this.server.on("error", (e) => this.log.error({ err: e }, "p2p server error"));
        resolve();
      });
    });
  }

  private schedule(t: DialTarget, delayMs: number): void {
    if (this.stopped || t.self) return;
    clearTimeout(t.timer);
    t.timer = setTimeout(() => this.dial(t), delayMs);
  }

  private dial(t: DialTarget): void {
    t.timer = undefined;
    if (this.stopped || t.self || t.conn) return;
    if (t.knownId) {
      // Already connected to that node (it dialled us, or another address of it): look again later.
      if (this.current.has(t.knownId)) return this.schedule(t, MAX_BACKOFF_MS);
      if (this.pendingFor(t.knownId)) return this.schedule(t, MIN_BACKOFF_MS);
      const until = this.bans.get(t.knownId);
      if (until !== undefined && this.banned(t.knownId)) return this.schedule(t, until - Date.now() + 1);
    }
    const { tls } = this.opts;
    const socket = connect({
      host: t.host,
      port: t.port,
      key: tls.keyPem,
      cert: tls.certPem,
      ca: [tls.caPem],
      minVersion: "TLSv1.3",
      rejectUnauthorized: true,
      // Node certificates name a node, not a host: nodes are dialled by IP or by whatever name
      // the operator wrote, so hostname checks would fail or prove nothing. A node's identity is
      // its certificate key (nodeIdOfCert), and the chain to the network CA is still verified.
      checkServerIdentity: () => undefined,
    });
    const c = this.adopt(socket, "out", t.address, t);
    if (!c) return;
    t.conn = c;
    socket.once("secureConnect", () => this.onSecure(c));
  }

  private redialAfterClose(t: DialTarget, wasUp: boolean): void {
    if (t.conn) return;
    if (wasUp) t.backoffMs = MIN_BACKOFF_MS;
    const delay = t.backoffMs;
    t.backoffMs = Math.min(t.backoffMs * 2, MAX_BACKOFF_MS);
    this.schedule(t, delay);
  }

  // ---- connection lifecycle

  /** Wraps a socket; every socket gets its error and close handlers here, before anything else. */
  private adopt(socket: TLSSocket, direction: "in" | "out", address: string, target?: DialTarget): Connection | undefined {
    const c = new Connection(socket, direction, address, this.opts.maxFrameBytes, this.maxSendBufferBytes, target);
    socket.on("error", (e: Error & { code?: string }) => this.onSocketError(c, e));
    socket.on("close", () => this.guard(c, () => this.onClose(c)));
    socket.on("data", (chunk: Buffer) => this.guard(c, () => this.onData(c, chunk)));
    if (this.stopped) {
      socket.destroy();
      return undefined;
    }
    this.conns.add(c);
    c.handshakeTimer = setTimeout(() => {
      this.log.warn({ address, peer: c.id || undefined }, `handshake with ${address} timed out`);
      c.close();
    }, this.handshakeTimeoutMs);
    return c;
  }

  private onSecure(c: Connection): void {
    this.guard(c, () => {
      if (c.state !== "tls") return;
      const { socket } = c;
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 10_000);
      const raw = socket.getPeerCertificate()?.raw;
      if (!socket.authorized || !raw) {
        this.log.warn({ address: c.address, err: socket.authorizationError?.message }, "peer certificate not authorised");
        return c.close();
      }
      // Identity comes from the key the peer proved it holds, never from anything it says.
      c.cert = peerCertInfo(raw);
      c.id = c.cert.nodeId;
      if (c.target) c.target.knownId = c.id;
      if (c.id === this.nodeId) {
        if (c.target) {
          c.target.self = true;
          this.log.warn({ address: c.address }, `peer address ${c.address} is this node itself; not dialling it again`);
        }
        return c.close();
      }
      if (this.banned(c.id)) {
        this.refused({ peerId: c.id, address: c.address, code: ErrorCode.P2P_BANNED, message: "banned", by: "us" });
        return c.close({ code: ErrorCode.P2P_BANNED, message: `node ${this.nodeId} has banned you until ${new Date(this.bans.get(c.id)!).toISOString()}` });
      }
      const revoked = this.opts.isRevoked?.(c.cert);
      if (revoked !== undefined) return this.refuseRevoked(c, revoked);
      c.state = "hello";
      c.writeControl(helloFrame(this.hello));
    });
  }

  private refuseRevoked(c: Connection, reason: string): void {
    const message = `certificate of node ${c.id}${c.cert?.did ? ` (${c.cert.did})` : ""} is revoked: ${reason}`;
    this.refused({ peerId: c.id, address: c.address, code: ErrorCode.P2P_CERT_REVOKED, message, by: "us" });
    c.close({ code: ErrorCode.P2P_CERT_REVOKED, message });
  }

  /** Drops connected peers whose certificate has been revoked since their handshake. */
  recheckRevocations(): void {
    for (const c of [...this.conns]) {
      if (!c.cert || c.state === "closing" || c.state === "closed") continue;
      const revoked = this.opts.isRevoked?.(c.cert);
      if (revoked !== undefined) this.refuseRevoked(c, revoked);
    }
  }

  private readable(c: Connection): boolean {
    return c.state === "hello" || c.state === "up" || (c.state === "closing" && c.draining);
  }

  private onData(c: Connection, chunk: Buffer): void {
    if (!this.readable(c)) return;
    c.bytesIn += chunk.length;
    c.lastSeen = Date.now();
    let frames: Buffer[];
    try {
      frames = c.decoder.push(chunk);
    } catch (e) {
      return this.badFrame(c, e);
    }
    for (const f of frames) {
      if (!this.readable(c)) return;
      c.framesIn++;
      this.onFrame(c, f);
    }
  }

  private onFrame(c: Connection, f: Buffer): void {
    const type = f[0];
    const body = f.subarray(1);
    if (c.draining && type !== FrameType.APP) return;
    if (c.state === "hello") {
      if (type === FrameType.HELLO) return this.onHello(c, body);
      if (type === FrameType.BYE) return this.onBye(c, body);
      return this.badFrame(c, new CivitasError(ErrorCode.P2P_BAD_FRAME, `frame of type ${type} before hello`));
    }
    switch (type) {
      case FrameType.APP:
        if (!this.messageHandler) return;
        try {
          this.messageHandler(c.id, body);
        } catch (e) {
          this.log.error({ err: e, peer: c.id }, "p2p message handler threw");
        }
        return;
      case FrameType.PING:
        return;
      case FrameType.BYE:
        return this.onBye(c, body);
      default:
        return this.badFrame(c, new CivitasError(ErrorCode.P2P_BAD_FRAME, type === FrameType.HELLO ? "second hello" : `unknown frame type ${type}`));
    }
  }

  private onHello(c: Connection, body: Uint8Array): void {
    let h: Hello;
    try {
      h = decodeHello(body);
    } catch (e) {
      if (isCivitasError(e) && e.code === ErrorCode.P2P_HANDSHAKE_REFUSED) return this.refuse(c, e.code, e.message);
      return this.badFrame(c, e);
    }
    const ours = this.hello;
    if (h.chainId !== ours.chainId || !equalBytes(h.genesisHash, ours.genesisHash)) {
      const theirs = `genesis ${toHex(h.genesisHash)} (chain '${h.chainId}')`;
      const mine = `${toHex(ours.genesisHash)} (chain '${ours.chainId}')`;
      this.log.error({ peer: c.id, address: c.address }, `peer ${c.id} at ${c.address} is on another network: ${theirs} != ours ${mine}; were both nodes initialised from the same genesis file?`);
      return this.refuse(c, ErrorCode.P2P_GENESIS_MISMATCH, `another network: yours is ${theirs}, node ${this.nodeId} is on ${mine}`);
    }
    c.hello = h;
    this.promote(c);
  }

  private onBye(c: Connection, body: Uint8Array): void {
    let code: string, message: string;
    try {
      ({ code, message } = decodeBye(body));
    } catch (e) {
      return this.badFrame(c, e);
    }
    const text = `peer ${c.id} at ${c.address} closed the connection: ${code}: ${message}`;
    if (c.state === "hello") {
      this.refused({ peerId: c.id, address: c.address, code, message, by: "peer" });
      if (code === ErrorCode.P2P_DUPLICATE_CONNECTION) this.log.debug({ peer: c.id, code }, text);
      else if (code === ErrorCode.P2P_GENESIS_MISMATCH) this.log.error({ peer: c.id, code }, text);
      else this.log.warn({ peer: c.id, code }, text);
    } else {
      this.log[code === ErrorCode.P2P_DUPLICATE_CONNECTION ? "debug" : "info"]({ peer: c.id, code }, text);
    }
    // Flush, not cut: after a duplicate's bye, what we queued on it is still worth delivering.
    c.close(undefined, true);
  }

  /** The hello checked out: make this the peer's connection, resolving duplicates. */
  private promote(c: Connection): void {
    clearTimeout(c.handshakeTimer);
    const id = c.id;
    const cur = this.current.get(id);
    if (c.target) c.target.backoffMs = MIN_BACKOFF_MS;
    if (cur) {
      const keep = this.preferred(cur, c);
      const drop = keep === cur ? c : cur;
      if (keep === c) {
        c.state = "up";
        c.connectedAt = cur.connectedAt;
        this.current.set(id, c);
      }
      this.log.debug({ peer: id, kept: keep.direction, closed: drop.direction }, "duplicate connection closed");
      drop.draining = true;
      drop.close({ code: ErrorCode.P2P_DUPLICATE_CONNECTION, message: "already connected to this node by another connection" });
      return;
    }
    c.state = "up";
    c.connectedAt = Date.now();
    this.current.set(id, c);
    // Its predecessor closed while this one was in its hello: swap without a visible gap.
    if (this.handover.delete(id)) return;
    this.log.info({ peer: id, address: c.address, direction: c.direction, role: c.hello?.role, version: c.hello?.version }, "peer up");
    this.emitPeer(id, "up");
  }

  /**
   * Both ends must keep the same connection without talking about it: the one dialled by the
   * node with the smaller id. Two connections in the same direction (a restarted peer whose
   * old socket has not timed out yet) keep the newer one.
   */
  private preferred(a: Connection, b: Connection): Connection {
    const smaller = this.nodeId < a.id ? this.nodeId : a.id;
    const dialer = (c: Connection): string => (c.direction === "out" ? this.nodeId : c.id);
    const aOk = dialer(a) === smaller;
    if (aOk !== (dialer(b) === smaller)) return aOk ? a : b;
    return b;
  }

  private onClose(c: Connection): void {
    c.onClosed();
    this.conns.delete(c);
    if (this.stopped) return;
    if (c.target && c.target.conn === c) {
      c.target.conn = undefined;
      this.redialAfterClose(c.target, c.connectedAt > 0);
    }
    if (!c.id) return;
    if (this.current.get(c.id) === c) {
      this.current.delete(c.id);
      if (this.pendingFor(c.id)) {
        this.handover.add(c.id);
        return;
      }
      this.peerDown(c);
    } else if (this.handover.has(c.id) && !this.current.has(c.id) && !this.pendingFor(c.id)) {
      // The replacement we were waiting for failed too: now the peer is down.
      this.handover.delete(c.id);
      this.peerDown(c);
    }
  }

  private peerDown(c: Connection): void {
    this.log.info({ peer: c.id, address: c.address }, "peer down");
    this.emitPeer(c.id, "down");
    // Addresses not dialled because this node was connected another way get dialled now.
    for (const t of this.targets) if (t.knownId === c.id && !t.conn) this.schedule(t, MIN_BACKOFF_MS);
  }

  private onSocketError(c: Connection, e: Error & { code?: string }): void {
    if (this.stopped) return;
    const handshaking = c.state === "tls" || c.state === "hello";
    if (handshaking && TLS_REFUSAL.test(e.code ?? "")) {
      this.refused({ peerId: c.id || undefined, address: c.address, code: ErrorCode.P2P_HANDSHAKE_REFUSED, message: `TLS: ${e.message}`, by: c.state === "tls" ? "us" : "peer" });
      this.log.warn({ address: c.address, code: e.code }, `TLS handshake with ${c.address} failed: ${e.message} (are both certificates issued by this network's CA?)`);
    } else {
      this.log.debug({ address: c.address, peer: c.id || undefined, code: e.code }, `p2p socket error: ${e.message}`);
    }
  }

  // ---- penalties, refusals, keepalive

  private badFrame(c: Connection, e: unknown): void {
    this.badFrames++;
    const reason = isCivitasError(e) ? `${e.code}: ${e.message}` : String(e);
    this.log.warn({ peer: c.id, address: c.address }, `bad frame from ${c.id || c.address}: ${reason}`);
    if (c.id) this.penalize(c.id, this.scoreLimit, `bad frame (${reason})`);
    c.close();
  }

  private refuse(c: Connection, code: string, message: string): void {
    this.refused({ peerId: c.id, address: c.address, code, message, by: "us" });
    c.close({ code, message });
  }

  private refused(r: Refusal): void {
    this.refusedHandshakes++;
    for (const h of this.refusedHandlers) {
      try {
        h(r);
      } catch (e) {
        this.log.error({ err: e }, "p2p refusal handler threw");
      }
    }
  }

  private emitPeer(id: string, event: "up" | "down"): void {
    for (const h of this.peerHandlers) {
      try {
        h(id, event);
      } catch (e) {
        this.log.error({ err: e, peer: id }, "p2p peer handler threw");
      }
    }
  }

  private tick(): void {
    const now = Date.now();
    for (const c of this.current.values()) {
      if (now - c.lastSeen > this.idleTimeoutMs) {
        this.log.warn({ peer: c.id, address: c.address }, `peer ${c.id} silent for ${Math.round((now - c.lastSeen) / 1000)} s; disconnecting`);
        c.close();
      } else {
        c.writeControl(PING_FRAME);
      }
    }
    for (const [id, until] of this.bans) if (until <= now) this.bans.delete(id);
  }

  private banned(id: string): boolean {
    const until = this.bans.get(id);
    return until !== undefined && until > Date.now();
  }

  private pendingFor(id: string): boolean {
    for (const c of this.conns) if (c.id === id && c.state === "hello") return true;
    return false;
  }

  private prepare(payload: Uint8Array): Outgoing {
    const n = payload.length + 1;
    if (n > this.opts.maxFrameBytes) throw new CivitasError(ErrorCode.P2P_FRAME_TOO_LARGE, `payload of ${payload.length} bytes exceeds maxFrameBytes - 1 (${this.opts.maxFrameBytes - 1})`, { length: payload.length, limit: this.opts.maxFrameBytes - 1 });
    if (payload.length < COPY_BELOW) {
      const whole = Buffer.allocUnsafe(HEADER_BYTES + n);
      whole.writeUInt32BE(n, 0);
      whole[HEADER_BYTES] = FrameType.APP;
      whole.set(payload, HEADER_BYTES + 1);
      return { whole, size: whole.length };
    }
    const header = Buffer.allocUnsafe(HEADER_BYTES + 1);
    header.writeUInt32BE(n, 0);
    header[HEADER_BYTES] = FrameType.APP;
    return { header, payload, size: HEADER_BYTES + n };
  }

  /** Runs socket-callback work so that nothing thrown escapes into the event loop. */
  private guard(c: Connection, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.log.error({ err: e, peer: c.id || undefined, address: c.address }, "p2p internal error; closing the connection");
      c.close();
    }
  }
}
