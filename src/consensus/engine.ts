/**
 * The consensus engine interface. An engine decides which block comes next and when it is
 * final; it knows execution only through `Application` (propose, validate, commit) and the
 * outside world only through injected timers and network, so a simulator can drive the same
 * engine with virtual time and a virtual network.
 */
import type { Block, BlockBody, BlockHeader, CommitCertificate } from "../ledger/block.js";
import type { Validator } from "../ledger/validators.js";

export interface ProposedBlock {
  header: BlockHeader;
  hash: Uint8Array;
  txs: Uint8Array[];
  lastCommit: CommitCertificate | null;
}

export interface Application {
  /** Height and time of the last committed block. */
  head(): { height: number; hash: Uint8Array; time: number };
  /** Validators who may sign the block at `height`. */
  validatorsAt(height: number): Validator[];
  /** Whether transactions are waiting, and how many (engines may build early when full). */
  pendingTxs(): number;
  /**
   * Builds and executes a candidate block on top of the head. `time` is the proposer's clock
   * (used as block time by solo; BFT chains derive block time from the last commit). `empty`
   * builds a block without transactions.
   */
  propose(args: { height: number; time: number; proposer: Uint8Array; empty?: boolean }): Promise<ProposedBlock>;
  /** Re-executes a block proposed by someone else; resolves false (with a reason) if invalid. */
  validate(block: BlockBody): Promise<{ ok: true } | { ok: false; reason: string }>;
  /** Makes a validated or self-proposed block final with its certificate. */
  commit(block: Block): Promise<void>;
}

export interface Timers {
  /** Wall-clock milliseconds (virtual in the simulator). */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface ConsensusNetwork {
  broadcast(message: Uint8Array): void;
  onMessage(handler: (from: string, message: Uint8Array) => void): void;
}

/** The engine's signing key; the engine never sees the raw secret. */
export interface ValidatorSigner {
  address: Uint8Array;
  publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

export interface EngineStatus {
  engine: string;
  height: number;
  round: number;
  lastBlockTime: number;
}

export interface ConsensusEngine {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Hint from the mempool that transactions arrived (engines may build early when full). */
  notifyTxs(): void;
  status(): EngineStatus;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};
