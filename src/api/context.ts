import type { FastifyRequest } from "fastify";
import type { ConsensusEngine } from "../consensus/engine.js";
import type { Mempool } from "../mempool/mempool.js";
import type { Chain } from "../node/chain.js";
import type { NodeConfig } from "../node/config.js";
import type { NodeTsa } from "../proof/tsa/home.js";
import type { NoteSigner } from "../proof/checkpoint/note.js";
import type { CommitWaiters } from "./waiters.js";
import type { MonitoringApi } from "../node/metrics/monitoring.js";

/** What the API needs from a running node: nothing it could use to bypass consensus. */
export interface ApiContext {
  chain: Chain;
  mempool: Mempool;
  engine: ConsensusEngine;
  config: NodeConfig;
  waiters: CommitWaiters;
  version: string;
  startedAt: number;
  /** Connected peers and network counters (BFT nodes). */
  network?: () => Record<string, unknown>;
  /**
   * Authenticated reads. A route that serves anything but public data calls `authorize`; with
   * no `access` configured such routes refuse (deny by default).
   */
  access?: ApiAccess;
  /** The node's RFC 3161 time-stamping authority (POST /v1/tsa), when its home has one. */
  tsa?: NodeTsa;
  /** The proof log's signing key and checkpoint interval (GET /v1/proofs/checkpoint), when the node publishes them. */
  proofLog?: { signer: NoteSigner; everyBlocks: number };
  /** Metrics, alerts and recent logs (GET /metrics, /v1/alerts, /v1/logs), when the node runs them. */
  monitoring?: MonitoringApi;
  /** The node's home folder (GET /v1/backup packs its genesis and node.json), when it has one. */
  home?: string;
}

export interface ApiPrincipal {
  /** 0x address of the key that signed the request. */
  address: string;
  /** The DID the account is bound to, if any. */
  did?: string;
}

export interface ApiAccess {
  /**
   * Authenticates the request (signed by the caller's account key) and decides `action` on
   * `resource` with the chain's policies as of the head block. Throws AUTH_REQUIRED /
   * AUTH_INVALID / AUTH_EXPIRED / AUTH_REPLAYED (401) or ACCESS_DENIED (403).
   */
  authorize(req: FastifyRequest, action: string, resource: { type: string; id: string }): Promise<ApiPrincipal>;
}
