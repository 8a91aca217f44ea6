/**
 * Worker thread of parallel-batch.ts: hashes documents into fingerprints and leaf hashes, fills
 * the tree levels of its aligned leaf range, and later writes the inclusion paths of a range.
 * All buffers are SharedArrayBuffers owned by the pool; nothing is copied between threads.
 */
import { hash } from "node:crypto";
import { parentPort } from "node:worker_threads";
import type { HashFn } from "../ledger/merkle.js";
import { fillRange, hashLeaves, pathsOf } from "./batch-tree.js";

export interface LeavesTask {
  kind: "leaves";
  id: number;
  alg: "sha256" | "sm3";
  /** Documents: bytes of document i = data[offsets[i] .. offsets[i+1]). */
  data: SharedArrayBuffer;
  offsets: SharedArrayBuffer;
  /** Optional salt prepended to every document (salted commitments). */
  salt: Uint8Array | null;
  fingerprints: SharedArrayBuffer;
  levels: SharedArrayBuffer[];
  from: number;
  to: number;
  upTo: number;
}

export interface PathsTask {
  kind: "paths";
  id: number;
  levels: SharedArrayBuffer[];
  size: number;
  from: number;
  to: number;
}

export type BatchTask = LeavesTask | PathsTask;

const port = parentPort;
if (port) {
  port.on("message", (t: BatchTask) => {
    try {
      if (t.kind === "leaves") {
        const h: HashFn = (d) => hash(t.alg, d, "buffer");
        const data = new Uint8Array(t.data);
        const offsets = new Float64Array(t.offsets);
        const fps = new Uint8Array(t.fingerprints);
        const levels = t.levels.map((b) => new Uint8Array(b));
        const salt = t.salt;
        for (let i = t.from; i < t.to; i++) {
          const doc = data.subarray(offsets[i], offsets[i + 1]);
          fps.set(h(salt ? Buffer.concat([salt, doc]) : doc), i * 32);
        }
        hashLeaves(h, fps, levels[0], t.from, t.to);
        fillRange(h, levels, t.from, t.to, t.upTo);
        port.postMessage({ id: t.id });
      } else {
        const levels = t.levels.map((b) => new Uint8Array(b));
        const table = pathsOf({ size: t.size, levels }, t.from, t.to, (n) => new Uint8Array(new SharedArrayBuffer(n)));
        port.postMessage({ id: t.id, offsets: table.offsets, data: table.data.buffer });
      }
    } catch (e) {
      port.postMessage({ id: t.id, error: (e as Error).message });
    }
  });
}
