/**
 * `solo`: one validator, for development and single-node deployments. It builds a block when
 * the block interval has elapsed since the last one and transactions are waiting (or always,
 * with createEmptyBlocks), or sooner when the mempool already holds a full block. Its commit
 * certificate is its own precommit signature, so blocks verify like any other chain's.
 */
import type { Block } from "../ledger/block.js";
import { voteSigningMessage } from "../ledger/block.js";
import { assert } from "../util/errors.js";
import type { Application, ConsensusEngine, EngineStatus, Timers, ValidatorSigner } from "./engine.js";

export interface SoloOptions {
  chain: string;
  blockIntervalMs: number;
  maxBlockTxs: number;
  createEmptyBlocks: boolean;
}

export interface SoloHooks {
  onError?(e: unknown): void;
}

export class SoloEngine implements ConsensusEngine {
  private timer: unknown;
  private running = false;
  private building: Promise<void> | undefined;
  private lastBuildAt = 0;

  constructor(
    private readonly opts: SoloOptions,
    private readonly deps: { app: Application; timers: Timers; signer: ValidatorSigner; hooks?: SoloHooks },
  ) {}

  async start(): Promise<void> {
    const vs = this.deps.app.validatorsAt(this.deps.app.head().height + 1);
    assert(vs.length === 1, "solo needs exactly one validator");
    assert(vs[0].address.every((b, i) => b === this.deps.signer.address[i]), "solo signer is not the chain's validator");
    this.running = true;
    this.lastBuildAt = this.deps.timers.now();
    this.schedule(this.opts.blockIntervalMs);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) this.deps.timers.clearTimeout(this.timer);
    this.timer = undefined;
    await this.building;
  }

  notifyTxs(): void {
    if (!this.running || this.building) return;
    if (this.deps.app.pendingTxs() >= this.opts.maxBlockTxs) this.buildNow();
  }

  status(): EngineStatus {
    const head = this.deps.app.head();
    return { engine: "solo", height: head.height, round: 0, lastBlockTime: head.time };
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    if (this.timer !== undefined) this.deps.timers.clearTimeout(this.timer);
    this.timer = this.deps.timers.setTimeout(() => {
      this.timer = undefined;
      this.tick();
    }, Math.max(0, ms));
  }

  private tick(): void {
    if (!this.running || this.building) return;
    if (this.deps.app.pendingTxs() > 0 || this.opts.createEmptyBlocks) this.buildNow();
    else this.schedule(this.opts.blockIntervalMs);
  }

  private buildNow(): void {
    this.lastBuildAt = this.deps.timers.now();
    this.building = this.buildOne()
      .catch((e) => this.deps.hooks?.onError?.(e))
      .finally(() => {
        this.building = undefined;
        if (!this.running) return;
        // A full mempool goes straight into the next block; otherwise wait out the interval.
        if (this.deps.app.pendingTxs() >= this.opts.maxBlockTxs) this.buildNow();
        else this.schedule(this.opts.blockIntervalMs - (this.deps.timers.now() - this.lastBuildAt));
      });
  }

  private async buildOne(): Promise<void> {
    const { app, timers, signer } = this.deps;
    const head = app.head();
    const height = head.height + 1;
    // Block time is strictly increasing even if the wall clock steps back.
    const time = Math.max(timers.now(), head.time + 1);
    const proposed = await app.propose({ height, time, proposer: signer.address });
    assert(proposed.header.height === height, "proposal at the wrong height");
    const vote = { chain: this.opts.chain, type: "precommit" as const, height, round: 0, blockHash: proposed.hash, time: Math.max(time, proposed.header.time), validator: signer.address };
    const block: Block = {
      header: proposed.header,
      txs: proposed.txs,
      lastCommit: proposed.lastCommit,
      commit: { height, round: 0, blockHash: proposed.hash, signatures: [{ validator: signer.address, time: vote.time, signature: signer.sign(voteSigningMessage(vote)) }] },
    };
    await app.commit(block);
  }
}
