/**
 * Aggregation of many in-memory documents on all cores (Node only): worker threads hash the
 * documents, their leaf hashes and the tree levels of aligned leaf ranges into shared buffers;
 * this thread joins the few top levels; the workers then write every inclusion path. Same trees
 * and paths as batch-tree.ts on one thread (the tests compare them).
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { hash } from "node:crypto";
import type { HashAlgorithm } from "./hash.js";
import type { BatchTree, PathTable } from "./batch-tree.js";
import { fillTop, levelSizes } from "./batch-tree.js";
import type { BatchTask } from "./batch-worker.js";

/** Leaves per task: a power of two, so tasks fill disjoint nodes of levels 1..CHUNK_LOG2. */
const CHUNK_LOG2 = 13;
const CHUNK = 2 ** CHUNK_LOG2;

export interface SharedDocuments {
  /** Document i = data[offsets[i] .. offsets[i+1]). */
  data: SharedArrayBuffer;
  offsets: SharedArrayBuffer;
  count: number;
}

/** Packs documents into shared memory once, so every worker reads them without a copy. */
export function shareDocuments(docs: Uint8Array[]): SharedDocuments {
  let total = 0;
  for (const d of docs) total += d.length;
  const data = new SharedArrayBuffer(total);
  const offsets = new SharedArrayBuffer((docs.length + 1) * 8);
  const bytes = new Uint8Array(data);
  const off = new Float64Array(offsets);
  let o = 0;
  docs.forEach((d, i) => {
    off[i] = o;
    bytes.set(d, o);
    o += d.length;
  });
  off[docs.length] = o;
  return { data, offsets, count: docs.length };
}

export interface ParallelBatch {
  /** n × 32 bytes: fingerprint i at i*32. */
  fingerprints: Uint8Array;
  tree: BatchTree;
  root: Uint8Array;
  /** Path tables covering leaves 0..n in order. */
  paths: PathTable[];
}

type Reply = { id: number; error?: string; offsets?: Uint32Array; data?: SharedArrayBuffer };

export class BatchPool {
  private readonly waiting = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private turn = 0;

  private constructor(private readonly workers: Worker[]) {
    for (const w of workers) {
      w.on("message", (r: Reply) => {
        const p = this.waiting.get(r.id);
        this.waiting.delete(r.id);
        if (r.error) p?.reject(new Error(r.error));
        else p?.resolve(r);
      });
      w.on("error", (e) => {
        for (const p of this.waiting.values()) p.reject(e);
        this.waiting.clear();
      });
    }
  }

  static open(threads = availableParallelism()): BatchPool {
    const url = new URL("./batch-worker.js", import.meta.url);
    return new BatchPool(Array.from({ length: Math.max(1, threads) }, () => new Worker(url)));
  }

  private run(task: Omit<BatchTask, "id">): Promise<Reply> {
    const id = this.nextId++;
    const w = this.workers[this.turn++ % this.workers.length];
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      w.postMessage({ ...task, id });
    });
  }

  /** Fingerprints H(doc) (or H(salt ‖ doc)), the RFC 9162 tree over them and every inclusion path. */
  async build(docs: SharedDocuments, alg: HashAlgorithm, salt: Uint8Array | null = null): Promise<ParallelBatch> {
    const n = docs.count;
    const nodeAlg = alg === "sm3" ? "sm3" : "sha256";
    const sizes = levelSizes(n);
    const levelBufs = sizes.map((len) => new SharedArrayBuffer(len * 32));
    const fingerprints = new SharedArrayBuffer(n * 32);
    const ranges: Array<[number, number]> = [];
    for (let a = 0; a < n; a += CHUNK) ranges.push([a, Math.min(n, a + CHUNK)]);
    await Promise.all(ranges.map(([from, to]) => this.run({ kind: "leaves", alg: nodeAlg, data: docs.data, offsets: docs.offsets, salt, fingerprints, levels: levelBufs, from, to, upTo: CHUNK_LOG2 } as Omit<BatchTask, "id">)));
    const levels = levelBufs.map((b) => new Uint8Array(b));
    fillTop((d) => hash(nodeAlg, d, "buffer"), levels, CHUNK_LOG2 + 1);
    const tree: BatchTree = { size: n, levels };
    const replies = await Promise.all(ranges.map(([from, to]) => this.run({ kind: "paths", levels: levelBufs, size: n, from, to } as Omit<BatchTask, "id">)));
    const paths = replies.map((r, i) => ({ from: ranges[i][0], offsets: r.offsets as Uint32Array, data: new Uint8Array(r.data as SharedArrayBuffer) }));
    return { fingerprints: new Uint8Array(fingerprints), tree, root: levels[levels.length - 1].slice(0, 32), paths };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
