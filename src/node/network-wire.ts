/**
 * What the management API of `civitas console` answers about this machine's networks, as JSON.
 * Kept free of imports so the browser console type-checks against the same shapes.
 */

/** A network in the list (also `civitas network list --json`). */
export interface NetworkRow {
  name: string;
  chainId: string;
  dir: string;
  nodes: number;
  validators: number;
  status: "running" | "partial" | "stopped";
  running: number;
  apis: string[];
  height?: number;
}

export type NodeHealth = "healthy" | "idle" | "syncing" | "lagging" | "starting" | "unreachable" | "stopped";

export interface NodeDetail {
  name: string;
  role: "validator" | "full";
  api: string;
  p2p: string;
  pid?: number;
  process: "running" | "stopped";
  health: NodeHealth;
  /** Why the node is not healthy, in words. */
  reason?: string;
  version?: string;
  height?: number;
  lastBlockTime?: number;
  round?: number;
  peers?: number;
  mempool?: number;
  uptimeMs?: number;
  /** Percent of one core over the time since the previous poll; absent on the first poll. */
  cpuPercent?: number;
  /** Mean block interval and commit latency of what this node committed since the previous poll. */
  blockTimeSeconds?: number;
  commitLatencySeconds?: number;
  rssBytes?: number;
  heapUsedBytes?: number;
  storeBytes?: number;
  diskFreeBytes?: number;
  diskTotalBytes?: number;
  tps?: number;
  hardware: { cpus: number; memoryMiB: number; storageMiB: number };
  logDir?: string;
}

export interface NetworkDetail {
  name: string;
  chainId: string;
  dir: string;
  status: "running" | "partial" | "stopped";
  consensus?: string;
  faultTolerance?: number;
  platform?: { consensus: string; cryptoSuite: string; blockIntervalMs: number; maxBlockTxs: number; maxBlockBytes: number; maxTxBytes: number; maxTxGas: number; genesisHash: string; authority: string };
  /** The network's spec as created (docs/spec/network-spec.md). */
  spec?: object;
  accounts: Array<{ name: string; address: string }>;
  nodes: NodeDetail[];
}
