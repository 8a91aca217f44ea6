/**
 * The indexer loop: from the last indexed height + 1 it fetches verified blocks in batches
 * (a bounded number in memory at a time), writes each in its own PostgreSQL transaction, and
 * once it has reached the node's head waits for the next committed block: the node's WebSocket
 * block stream wakes it, and a poll covers a dropped socket. It stops with
 * INDEXER_CHAIN_MISMATCH when the node's chain no longer extends the indexed one.
 */
import pg from "pg";
import WebSocket from "ws";
import { ApiError } from "../sdk/client.js";
import { CivitasError, ErrorCode } from "../util/errors.js";
import { migrate } from "./migrations.js";
import type { IndexedBlock, SourceOptions } from "./source.js";
import { mapLimit, NodeSource } from "./source.js";
import { chainMismatch, readState, writeBlock } from "./store.js";

export interface IndexerOptions extends SourceOptions {
  node: string;
  pg: string;
  /** Blocks fetched ahead of the writer, at most (default 16): bounds memory. */
  batchSize?: number;
  /** Poll interval while caught up, in ms (default 1000); the block stream usually wakes it first. */
  pollMs?: number;
  /** Progress callback after each written batch. */
  onProgress?: (p: { height: number; head: number; blocks: number; txs: number }) => void;
  log?: (msg: string) => void;
}

export interface RunResult {
  height: number;
  blocks: number;
  txs: number;
}

export class Indexer {
  readonly pool: pg.Pool;
  readonly source: NodeSource;
  private stopping = false;
  private wake: (() => void) | undefined;
  private socket: WebSocket | undefined;

  constructor(private readonly o: IndexerOptions) {
    this.pool = new pg.Pool({ connectionString: o.pg, max: 4 });
    // An idle client losing its server must not crash the process; the next query reports it.
    this.pool.on("error", () => undefined);
    this.source = new NodeSource(o.node, o);
  }

  /** Asks a running `run` to stop after the block it is writing. */
  stop(): void {
    this.stopping = true;
    this.wake?.();
    this.socket?.close();
  }

  async close(): Promise<void> {
    this.stop();
    await this.pool.end();
  }

  /**
   * Indexes up to the node's head, then (unless `once`) follows new blocks until `stop()`.
   * Returns the last indexed height and what this run added.
   */
  async run(once = false): Promise<RunResult> {
    try {
      await migrate(this.pool);
    } catch (e) {
      if (e instanceof CivitasError) throw e;
      throw new CivitasError(ErrorCode.INDEXER_DB_ERROR, `cannot prepare the PostgreSQL schema: ${(e as Error).message}`);
    }
    const { chainId } = await this.retry(() => this.source.connect(), once);
    let height = await this.retry(() => this.checkStart(chainId, once), once);
    const added = { blocks: 0, txs: 0 };
    const batch = Math.max(1, this.o.batchSize ?? 16);
    if (!once) this.listen();
    while (!this.stopping) {
      const head = await this.retry(() => this.source.head(), once);
      if (height < head) {
        const from = height + 1;
        const to = Math.min(head, from + batch - 1);
        const heights = Array.from({ length: to - from + 1 }, (_, i) => from + i);
        // A few blocks in flight at once; each block's own requests are limited in the source.
        const blocks: IndexedBlock[] = await this.retry(() => mapLimit(heights, 4, (h) => this.source.block(h)), once);
        for (const b of blocks) {
          if (this.stopping) break;
          if (await writeBlock(this.pool, chainId, b)) {
            added.blocks++;
            added.txs += b.txs.length;
          }
          height = b.height;
        }
        this.o.onProgress?.({ height, head, ...added });
        continue;
      }
      if (once) break;
      await this.idle();
    }
    return { height, ...added };
  }

  /**
   * The height to continue from, after checking that the node still has the indexed chain: its
   * block at min(its head, the indexed height) must be the indexed one. A node below the index
   * with a matching block is still syncing: wait for it (or, with `once`, stop there).
   */
  private async checkStart(chainId: string, once: boolean): Promise<number> {
    const st = await readState(this.pool);
    if (!st) return -1;
    if (st.chainId !== chainId) throw chainMismatch(`the index holds chain '${st.chainId}', the node at ${this.o.node} serves '${chainId}'`, { indexed: st.chainId, node: chainId });
    let logged = false;
    for (;;) {
      const h = Math.min(await this.source.head(), st.lastHeight);
      const node = await this.source.hashAt(h);
      const indexed = h === st.lastHeight ? st.lastHash : (await this.pool.query<{ hash: string }>("SELECT hash FROM blocks WHERE height = $1", [h])).rows[0]?.hash;
      if (node !== undefined && node !== indexed) throw chainMismatch(`block ${h} is ${node} at the node but ${indexed ?? "missing"} in the index`, { height: h, node, indexed: indexed ?? null });
      if (h === st.lastHeight || once || this.stopping) return st.lastHeight;
      if (!logged) this.o.log?.(`the node is at height ${h}, below the indexed height ${st.lastHeight}; waiting for it to catch up`);
      logged = true;
      await this.idle();
    }
  }

  /**
   * Runs `f`; while following, an unreachable or overloaded node (network error, 429, 502-504)
   * is waited out with a growing pause instead of ending the indexer. Anything else (a block
   * that fails verification, another chain, a database error) is final.
   */
  private async retry<T>(f: () => Promise<T>, once: boolean): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await f();
      } catch (e) {
        const transient = e instanceof ApiError && (e.status === 0 || e.status === 429 || (e.status >= 502 && e.status <= 504));
        if (!transient || once || this.stopping) throw e;
        if (attempt === 0) this.o.log?.(`node unavailable (${e.code}: ${e.message}); retrying`);
        await this.idle(Math.min(30_000, 500 * 2 ** Math.min(attempt, 6)));
      }
    }
  }

  private idle(ms = this.o.pollMs ?? 1000): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }

  /** Subscribes to the node's block stream to wake up at each commit; reconnects while running. */
  private listen(): void {
    if (this.stopping) return;
    const url = this.o.node.replace(/^http/, "ws").replace(/\/+$/, "") + "/v1/events?blocks=true";
    const ws = new WebSocket(url);
    this.socket = ws;
    ws.on("message", (data: WebSocket.RawData) => {
      // Events arrive too; only a block wakes the loop, which then fetches and verifies it.
      if (data.toString().startsWith('{"kind":"block"')) this.wake?.();
    });
    ws.on("error", () => undefined);
    ws.on("close", () => {
      if (this.socket === ws) this.socket = undefined;
      if (!this.stopping) setTimeout(() => this.listen(), 2000).unref();
    });
  }
}
