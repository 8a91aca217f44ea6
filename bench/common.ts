/**
 * Pieces shared by the solo benchmark (run.ts) and the BFT network benchmark (bft.ts): free
 * ports, /proc stats, percentiles, transfer signing and the WebSocket block watcher.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import WebSocket from "ws";
import { getNodeSuite } from "../src/crypto/node-suites.js";
import type { KeyPair } from "../src/crypto/suite.js";
import { signTx } from "../src/ledger/tx.js";
import { fromHex, toHex } from "../src/util/bytes.js";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

export { freePortRange } from "../src/util/ports.js";

export interface ProcStats {
  cpuSeconds: number;
  rssBytes: number;
  peakRssBytes: number;
}

export function procStats(pid: number): ProcStats {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) * 1024;
  return { cpuSeconds: ticks / 100, rssBytes: kb("VmRSS"), peakRssBytes: kb("VmHWM") };
}

/** Busy and total jiffies of the whole machine (/proc/stat), for machine-wide CPU use. */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = v[3] + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export const round = (x: number): number => Math.round(x * 100) / 100;

export const latencyJson = (l: number[]): { p50: number; p95: number; p99: number; max: number } => ({
  p50: round(percentile(l, 50)),
  p95: round(percentile(l, 95)),
  p99: round(percentile(l, 99)),
  max: round(l[l.length - 1]),
});

export interface SignedTransfer {
  hex: string;
  hash: string;
  bytes: number;
}

/**
 * Signs `perSender` transfers of 1 unit (to `to(sender)`) for each sender starting at `firstNonce`, nonce-major
 * (nonce n of every sender, then n + 1 ...), so any prefix keeps each sender's nonces in order.
 */
export function signTransfers(chain: string, wallets: KeyPair[], addresses: string[], to: (sender: number) => string, firstNonce: number, perSender: number, onSigned?: (n: number) => void): SignedTransfer[] {
  const suite = getNodeSuite("ed25519-sha256");
  const expires = Date.now() + 30 * 60_000;
  const out: SignedTransfer[] = [];
  const recipients = wallets.map((_, s) => to(s));
  for (let n = firstNonce; n < firstNonce + perSender; n++) {
    for (let s = 0; s < wallets.length; s++) {
      const tx = signTx(suite, { chain, from: fromHex(addresses[s]), nonce: n, expires, gasLimit: 100_000, calls: [{ module: "token", method: "transfer", args: { to: recipients[s], amount: 1 } }], memo: "" }, wallets[s].secretKey);
      out.push({ hex: toHex(tx.bytes), hash: toHex(suite.hash(tx.bodyBytes)), bytes: tx.bytes.length });
      if (onSigned && out.length % 500 === 0) onSigned(out.length);
    }
  }
  onSigned?.(out.length);
  return out;
}

/** Follows committed blocks over a node's WebSocket: arrival time per height and tx count. */
export class BlockWatcher {
  readonly arrival = new Map<number, number>();
  committed = 0;
  lastCommitAt = 0;
  private waiters: Array<{ target: number; resolve: () => void }> = [];
  private constructor(private readonly ws: WebSocket) {
    ws.on("message", (data) => {
      const m = JSON.parse(String(data)) as { kind: string; header?: { height: number }; txCount?: number };
      if (m.kind !== "block" || !m.header) return;
      const now = performance.now();
      this.arrival.set(m.header.height, now);
      this.committed += m.txCount ?? 0;
      if ((m.txCount ?? 0) > 0) this.lastCommitAt = now;
      this.waiters = this.waiters.filter((w) => (this.committed >= w.target ? (w.resolve(), false) : true));
    });
    ws.on("error", () => undefined);
  }
  static async open(url: string): Promise<BlockWatcher> {
    // A module filter that matches nothing: blocks only, no per-event messages.
    const ws = new WebSocket(`${url.replace(/^http/, "ws")}/v1/events?module=none`);
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    return new BlockWatcher(ws);
  }
  /** Resolves when `target` transactions have committed, or after `timeoutMs`. */
  until(target: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      if (this.committed >= target) {
        clearTimeout(timer);
        resolve();
      } else this.waiters.push({ target, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }
  close(): void {
    this.ws.close();
  }
}

export interface BlockInfo {
  height: number;
  txCount: number;
  /** Consensus round the block was decided in (0 = no timeout on the way). */
  round: number;
}

/** Height of every transaction in the blocks `heights`, read from one node; `blocks` gets each block's summary. */
export async function txHeights(url: string, heights: Iterable<number>, blocks?: BlockInfo[]): Promise<Map<string, number>> {
  const heightOf = new Map<string, number>();
  for (const h of [...heights].sort((a, b) => a - b)) {
    const b = (await (await fetch(`${url}/v1/blocks/${h}`)).json()) as { txs: string[]; commit?: { round?: number } };
    for (const t of b.txs) heightOf.set(t, h);
    blocks?.push({ height: h, txCount: b.txs.length, round: b.commit?.round ?? 0 });
  }
  return heightOf;
}
