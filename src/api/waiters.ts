/** Lets requests wait for a transaction's commit without polling. Bounded in count and time. */
import type { CommittedBlock } from "../node/chain.js";
import { toHex } from "../util/bytes.js";
import { CivitasError, ErrorCode } from "../util/errors.js";

type Resolve = (height: number | undefined) => void;

export class CommitWaiters {
  private readonly waiting = new Map<string, Set<Resolve>>();
  private count = 0;
  /** Set by cancelAll (node stopping): later waits resolve at once instead of holding the server open. */
  private closed = false;

  constructor(private readonly maxWaiters = 100_000) {}

  onCommit(b: CommittedBlock): void {
    if (this.count === 0) return;
    for (const h of b.txHashes) {
      const key = toHex(h);
      const set = this.waiting.get(key);
      if (!set) continue;
      this.waiting.delete(key);
      this.count -= set.size;
      for (const r of set) r(b.block.header.height);
    }
  }

  /** Resolves with the commit height, or undefined when `timeoutMs` passes first. */
  wait(hashHex: string, timeoutMs: number): Promise<number | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    if (this.count >= this.maxWaiters) throw new CivitasError(ErrorCode.API_UNAVAILABLE, "too many clients are waiting for commits; retry without waiting");
    return new Promise((resolve) => {
      let set = this.waiting.get(hashHex);
      if (!set) this.waiting.set(hashHex, (set = new Set()));
      const s = set;
      const done: Resolve = (h) => {
        clearTimeout(timer);
        resolve(h);
      };
      const timer = setTimeout(() => {
        if (s.delete(done)) this.count--;
        if (s.size === 0 && this.waiting.get(hashHex) === s) this.waiting.delete(hashHex);
        resolve(undefined);
      }, timeoutMs);
      s.add(done);
      this.count++;
    });
  }

  cancelAll(): void {
    this.closed = true;
    for (const set of this.waiting.values()) for (const r of set) r(undefined);
    this.waiting.clear();
    this.count = 0;
  }
}
