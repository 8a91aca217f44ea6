/**
 * Committed transactions per second over a sliding window of local commit times. Local wall
 * time, not block time: TPS is what this node observed committing, which is what an operator's
 * threshold (Y.3530 8.2 items 7, 8) is about, and block times of a synced backlog would all
 * fall in the past.
 */
export class TpsWindow {
  /** (local ms, transactions) per committed block, oldest first. */
  private readonly commits: Array<[number, number]> = [];

  constructor(
    /** Longest window any reader asks for; older commits are dropped. */
    private readonly maxWindowMs: number,
  ) {}

  record(atMs: number, txs: number): void {
    this.commits.push([atMs, txs]);
    this.prune(atMs);
  }

  /** Transactions committed in (now - windowMs, now], divided by the window in seconds. */
  tps(nowMs: number, windowMs: number): number {
    this.prune(nowMs);
    let n = 0;
    for (let i = this.commits.length - 1; i >= 0 && this.commits[i][0] > nowMs - windowMs; i--) n += this.commits[i][1];
    return n / (windowMs / 1000);
  }

  private prune(nowMs: number): void {
    let drop = 0;
    while (drop < this.commits.length && this.commits[drop][0] <= nowMs - this.maxWindowMs) drop++;
    if (drop) this.commits.splice(0, drop);
  }
}
