import type { ConsensusEngine } from "../consensus/engine.js";
import type { Mempool } from "../mempool/mempool.js";
import type { Chain } from "../node/chain.js";
import type { NodeConfig } from "../node/config.js";
import type { CommitWaiters } from "./waiters.js";

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
}
