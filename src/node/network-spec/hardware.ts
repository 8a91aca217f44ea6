/**
 * Hardware profile at run time. Storage is enforced here: once the data folder is larger than
 * resources.storageMiB the node refuses to commit (consensus and block sync both stop at that
 * height, with STORAGE_LIMIT_EXCEEDED in the log) rather than fill the disk and corrupt LMDB.
 * Memory is enforced by the launcher (V8 heap flag, container or unit limit); cpus is reported.
 */
import { readdirSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { getHeapStatistics } from "node:v8";
import type { Block } from "../../ledger/block.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import type { NodeConfig } from "../config.js";

const MiB = 1024 * 1024;

interface Log {
  info(o: object, msg: string): void;
  warn(o: object, msg: string): void;
  error(o: object, msg: string): void;
}

/** Bytes the folder occupies on disk (allocated blocks, so a sparse LMDB map counts what it uses). */
export function folderBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += folderBytes(p);
    else if (e.isFile()) {
      const st = statSync(p);
      total += Math.min(st.size, st.blocks * 512);
    }
  }
  return total;
}

/** Throws STORAGE_LIMIT_EXCEEDED when `dataPath` holds more than `limitMiB`. */
export function checkStorage(dataPath: string, limitMiB: number): void {
  if (limitMiB <= 0) return;
  const used = folderBytes(dataPath);
  if (used > limitMiB * MiB) {
    throw new CivitasError(ErrorCode.STORAGE_LIMIT_EXCEEDED, `data folder ${dataPath} holds ${(used / MiB).toFixed(1)} MiB, above the node's storage limit of ${limitMiB} MiB (resources.storageMiB): refusing to commit; free space or raise the limit and restart`, { usedBytes: used, limitMiB, dataPath });
  }
}

/**
 * Puts the storage check in front of every commit of `chain` (consensus and sync both go through
 * Chain.commit). `onExceeded` is the alert hook; it fires once per crossing, not per refused block.
 */
export function enforceHardwareProfile(chain: { commit(block: Block): Promise<void> }, o: { dataPath: string; resources: NodeConfig["resources"]; log: Log; onExceeded?: (e: CivitasError) => void }): void {
  const r = o.resources;
  // The heap limit shows whether the launcher applied memoryMiB (--max-old-space-size).
  o.log.info({ resources: r, hostCpus: availableParallelism(), heapLimitMiB: Math.round(getHeapStatistics().heap_size_limit / MiB) }, "hardware profile");
  if (r.cpus > 0 && availableParallelism() < r.cpus) o.log.warn({ cpus: r.cpus, hostCpus: availableParallelism() }, "host has fewer CPUs than the node's hardware profile");
  if (r.storageMiB <= 0) return;
  const commit = chain.commit.bind(chain);
  let alerted = false;
  chain.commit = async (block: Block): Promise<void> => {
    try {
      checkStorage(o.dataPath, r.storageMiB);
      alerted = false;
    } catch (e) {
      if (!alerted) {
        alerted = true;
        o.log.error({ alert: "storage_limit_exceeded", err: e, ...(e as CivitasError).details }, (e as Error).message);
        o.onExceeded?.(e as CivitasError);
      }
      throw e;
    }
    await commit(block);
  };
}
