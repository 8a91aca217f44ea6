/** P2PNode's options, what it reports, and their validation. */
import { CivitasError, ErrorCode } from "../util/errors.js";
import type { Logger } from "pino";
import { MAX_FRAME_LIMIT } from "./frame.js";
import { ROLES } from "./messages.js";
import type { Role } from "./messages.js";
import type { DialTarget } from "./peer.js";
import type { PeerCertInfo } from "./certs.js";

export const MIN_BACKOFF_MS = 200;
export const MAX_BACKOFF_MS = 5000;

export interface P2POptions {
  listen: { host: string; port: number };
  /** "host:port" to dial; redialled with capped exponential backoff while not connected. */
  peers: string[];
  tls: { caPem: string; certPem: string; keyPem: string };
  hello: { chainId: string; genesisHash: Uint8Array; role: Role; version: string };
  /** Largest frame accepted or sent (type byte included, so an app payload may be one byte less). */
  maxFrameBytes: number;
  /** Default 64 MiB. Above it, app frames to that peer are dropped (counted); gossip repeats them. */
  maxSendBufferBytes?: number;
  /** Default 60 s. A banned node id is refused, inbound and outbound, until then. */
  banMs?: number;
  /** Default 100 penalty points: disconnect + ban. */
  scoreLimit?: number;
  /** Default 5 s. */
  pingIntervalMs?: number;
  /** Default 20 s: a peer silent that long (e.g. SIGSTOPped) is dropped. */
  idleTimeoutMs?: number;
  /** Default 10 s, for TLS and hello together. */
  handshakeTimeoutMs?: number;
  /**
   * Consulted at every handshake (and by `recheckRevocations`): a reason string refuses the
   * peer with P2P_CERT_REVOKED. The node wires it to the chain's revocation records.
   */
  isRevoked?: (peer: PeerCertInfo) => string | undefined;
  logger?: Logger;
}

export interface PeerInfo {
  id: string;
  address: string;
  direction: "in" | "out";
  role: string;
  score: number;
  connectedAt: number;
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  dropped: number;
}

/** A handshake that did not complete because one side refused the other. */
export interface Refusal {
  peerId?: string;
  address: string;
  code: string;
  message: string;
  /** "us": this node refused the peer; "peer": the peer refused this node (its bye). */
  by: "us" | "peer";
}

export function parseTarget(address: string): DialTarget {
  const i = address.lastIndexOf(":");
  const host = address.slice(0, i).replace(/^\[(.*)\]$/, "$1");
  const port = Number(address.slice(i + 1));
  if (i <= 0 || !host || !Number.isInteger(port) || port < 1 || port > 65535) throw new CivitasError(ErrorCode.CONFIG_INVALID, `p2p peer address '${address}' is not host:port`);
  return { address, host, port, self: false, backoffMs: MIN_BACKOFF_MS };
}

export function validateOptions(o: P2POptions): void {
  const bad = (what: string): never => {
    throw new CivitasError(ErrorCode.CONFIG_INVALID, `p2p: ${what}`);
  };
  if (!Number.isSafeInteger(o.maxFrameBytes) || o.maxFrameBytes < 2 || o.maxFrameBytes > MAX_FRAME_LIMIT) bad(`maxFrameBytes must be in [2, ${MAX_FRAME_LIMIT}]`);
  if (!Number.isInteger(o.listen.port) || o.listen.port < 0 || o.listen.port > 65535) bad("listen.port must be in [0, 65535]");
  if (!(ROLES as readonly string[]).includes(o.hello.role)) bad(`hello.role must be one of ${ROLES.join(", ")}`);
  for (const [k, v] of [["banMs", o.banMs], ["scoreLimit", o.scoreLimit], ["pingIntervalMs", o.pingIntervalMs], ["idleTimeoutMs", o.idleTimeoutMs], ["handshakeTimeoutMs", o.handshakeTimeoutMs], ["maxSendBufferBytes", o.maxSendBufferBytes]] as const) {
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) bad(`${k} must be a positive number`);
  }
  for (const p of o.peers) parseTarget(p);
}
