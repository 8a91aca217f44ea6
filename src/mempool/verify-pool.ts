/**
 * A pool of worker threads that verify signatures, so admission uses every core while the main
 * thread keeps executing blocks and serving the API. Batches are split evenly across workers.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { Genesis } from "../ledger/genesis.js";
import type { SuiteId } from "../crypto/suite.js";
import type { AdmissionLimits } from "./precheck.js";
import type { AdmitCheck } from "./verify-worker.js";
import { assert, CivitasError, ErrorCode } from "../util/errors.js";

interface Pending {
  resolve(r: unknown): void;
  reject(e: Error): void;
}

export interface VerifyItem {
  message: Uint8Array;
  signature: Uint8Array;
  publicKey: Uint8Array;
}

export class VerifyPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private next = 0;
  private closed = false;

  /**
   * `moduleParams`: the chain's genesis `moduleParams`, so the workers check call arguments
   * against the same module schemas as the chain (a limit raised in genesis must not be refused
   * at admission).
   */
  constructor(suite: SuiteId, size = Math.max(1, availableParallelism()), moduleParams?: Genesis["moduleParams"]) {
    assert(size >= 1 && size <= 64, "verify pool size out of range", { size });
    const url = new URL("./verify-worker.js", import.meta.url);
    for (let i = 0; i < size; i++) {
      const w = new Worker(url, { workerData: { suite, ...(moduleParams ? { moduleParams } : {}) } });
      w.on("message", (m: { id: number; results: unknown }) => {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (this.pending.size === 0 && !this.closed) for (const x of this.workers) x.unref();
        p?.resolve(m.results);
      });
      w.on("error", (e) => this.failAll(e));
      w.unref();
      this.workers.push(w);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  private send<T>(message: Record<string, unknown>): Promise<T> {
    const id = this.nextId++;
    const w = this.workers[this.next++ % this.workers.length];
    // Workers keep the process alive only while they owe an answer.
    if (this.pending.size === 0) for (const x of this.workers) x.ref();
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: unknown) => void, reject });
      w.postMessage({ ...message, id });
    });
  }

  /** Splits work into at most one chunk per worker (and no chunk under 16 items). */
  private chunks<T>(items: T[]): T[][] {
    const n = Math.min(this.workers.length, Math.ceil(items.length / 16));
    const per = Math.ceil(items.length / n);
    const out: T[][] = [];
    for (let i = 0; i < items.length; i += per) out.push(items.slice(i, i + per));
    return out;
  }

  /** Stateless admission checks and signature verification of raw transactions, in order. */
  async admit(raws: Uint8Array[], limits: AdmissionLimits): Promise<AdmitCheck[]> {
    if (this.closed) throw new CivitasError(ErrorCode.API_UNAVAILABLE, "node is shutting down");
    if (raws.length === 0) return [];
    const parts = await Promise.all(this.chunks(raws).map((c) => this.send<AdmitCheck[]>({ kind: "admit", raws: c, limits })));
    const out = parts.flat();
    assert(out.length === raws.length, "admission pool returned the wrong number of results");
    return out;
  }

  /** One boolean per item, in order. */
  async verify(items: VerifyItem[]): Promise<boolean[]> {
    if (this.closed) throw new CivitasError(ErrorCode.API_UNAVAILABLE, "node is shutting down");
    if (items.length === 0) return [];
    const results = await Promise.all(
      this.chunks(items).map((c) => this.send<Uint8Array>({ kind: "verify", messages: c.map((i) => i.message), signatures: c.map((i) => i.signature), publicKeys: c.map((i) => i.publicKey) })),
    );
    const out: boolean[] = [];
    for (const r of results) for (const b of r) out.push(b === 1);
    assert(out.length === items.length, "verify pool returned the wrong number of results");
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.failAll(new CivitasError(ErrorCode.API_UNAVAILABLE, "node is shutting down"));
    // Referenced while terminating: a late answer must not unref them and let the process exit
    // with terminate() still pending.
    for (const w of this.workers) w.ref();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
