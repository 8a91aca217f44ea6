/** A network spec after validation, with every default filled in. */
import type { SuiteId } from "../../crypto/suite.js";
import type { EngineId } from "../../ledger/genesis.js";
import type { NodeConfig } from "../config.js";

export type Hardware = NodeConfig["resources"];

export interface NetworkSpec {
  version: 1;
  name: string;
  chainId: string;
  cryptoSuite: SuiteId;
  consensus: {
    algorithm: EngineId;
    allowNoFaultTolerance: boolean;
    timeouts: { proposeMs: number; proposeDeltaMs: number; prevoteMs: number; prevoteDeltaMs: number; precommitMs: number; precommitDeltaMs: number; gossipMs: number; statusMs: number };
  };
  block: { intervalMs: number; createEmptyBlocks: boolean; maxBytes: number; maxTxs: number; maxGas: number; maxTxBytes: number };
  nodes: {
    validators: number;
    fullNodes: number;
    host: string;
    hardware: Hardware;
    overrides: Record<string, { hardware?: Partial<Hardware>; apiPort?: number; p2pPort?: number }>;
  };
  ports: { apiBase: number; p2pBase: number };
  accounts: Array<{ name: string; balance: string }>;
  logLevel: NodeConfig["logLevel"];
  /** Genesis moduleParams (absent = module defaults). */
  moduleParams?: Record<string, Record<string, number>>;
}

export interface PlannedNode {
  name: string;
  role: "validator" | "full";
  host: string;
  apiPort: number;
  p2pPort: number;
  resources: Hardware;
}

export interface NetworkPlan {
  spec: NetworkSpec;
  nodes: PlannedNode[];
  /** Faulty validators the network tolerates: floor((n - 1) / 3) for bft, 0 for solo. */
  faultTolerance: number;
}
