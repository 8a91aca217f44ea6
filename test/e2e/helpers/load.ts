/**
 * Steady transaction load for multi-node fault tests: several funded senders, each submitting
 * one signed transfer at a time to a randomly chosen node with `waitMs`, and recording every
 * hash a node answered "committed" (with the height it gave). Anything else (a refusal, a
 * timeout, a connection reset, "pending" after the wait) is counted but promises nothing: the
 * sender re-reads its account nonce from a node and carries on.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { getNodeSuite } from "../../../src/crypto/node-suites.js";
import { txHash } from "../../../src/ledger/tx.js";
import type { Wallet } from "../../../src/sdk/wallet.js";
import { toHex } from "../../../src/util/bytes.js";
import type { Rng } from "./proc-rand.js";

export interface Ack {
  hash: string;
  height: number;
  /** Node index that answered. */
  node: number;
  sender: number;
  nonce: number;
  at: number;
}

export interface LoadTarget {
  /** API base URLs of the nodes worth trying now (index into the network's node list). */
  targets(): Array<{ index: number; api: string }>;
}

export interface LoadStats {
  submitted: number;
  committed: number;
  pending: number;
  refused: number;
  errors: number;
}

export class LoadGenerator {
  readonly acks = new Map<string, Ack>();
  readonly stats: LoadStats = { submitted: 0, committed: 0, pending: 0, refused: 0, errors: 0 };
  private stopped = true;
  private loops: Array<Promise<void>> = [];
  private readonly nonces: Array<number | undefined>;
  private readonly suite = getNodeSuite("ed25519-sha256");
  /** Called for every acknowledged commit (tests check heights against faults as they happen). */
  onAck?: (a: Ack) => void;

  constructor(
    private readonly o: {
      chainId: string;
      senders: Wallet[];
      sink: string;
      net: LoadTarget;
      rng: Rng;
      waitMs: number;
      /** Pause between a sender's transactions. */
      pauseMs?: number;
    },
  ) {
    this.nonces = o.senders.map(() => undefined);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loops = this.o.senders.map((_, s) => this.loop(s));
  }

  /** Stops submitting and waits for the requests in flight to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
    this.loops = [];
  }

  /** Acks so far, in the order they arrived. */
  list(): Ack[] {
    return [...this.acks.values()];
  }

  private pick(): { index: number; api: string } | undefined {
    const t = this.o.net.targets();
    return t.length ? t[Math.floor(this.o.rng.next() * t.length)] : undefined;
  }

  private async syncNonce(s: number): Promise<boolean> {
    const t = this.pick();
    if (!t) return false;
    try {
      const r = await fetch(`${t.api}/v1/accounts/${this.o.senders[s].address}`, { signal: AbortSignal.timeout(2_000) });
      if (!r.ok) return false;
      this.nonces[s] = ((await r.json()) as { nonce: number }).nonce;
      return true;
    } catch {
      return false;
    }
  }

  private async loop(s: number): Promise<void> {
    const w = this.o.senders[s];
    let k = 0;
    while (!this.stopped) {
      if (this.nonces[s] === undefined && !(await this.syncNonce(s))) {
        await sleep(100);
        continue;
      }
      const t = this.pick();
      if (!t) {
        await sleep(100);
        continue;
      }
      const nonce = this.nonces[s] as number;
      const tx = w.buildTx({ chain: this.o.chainId, nonce, calls: [{ module: "token", method: "transfer", args: { to: this.o.sink, amount: `${1 + (k++ % 97)}n` } }] });
      const hash = toHex(txHash(this.suite, tx));
      this.stats.submitted++;
      let ok = false;
      try {
        const r = await fetch(`${t.api}/v1/txs`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ tx: toHex(tx.bytes), waitMs: this.o.waitMs }),
          signal: AbortSignal.timeout(this.o.waitMs + 3_000),
        });
        const body = (await r.json()) as { hash?: string; status?: string; height?: number | null };
        if (r.status === 200 && body.status === "committed" && typeof body.height === "number") {
          if (body.hash !== hash) throw new Error(`node ${t.index} reported hash ${body.hash} for ${hash}`);
          const a: Ack = { hash, height: body.height, node: t.index, sender: s, nonce, at: Date.now() };
          this.acks.set(hash, a);
          this.stats.committed++;
          this.nonces[s] = nonce + 1;
          ok = true;
          this.onAck?.(a);
        } else if (r.status === 202) this.stats.pending++;
        else this.stats.refused++;
      } catch (e) {
        if ((e as Error).message.startsWith("node ")) throw e;
        this.stats.errors++;
      }
      if (!ok) {
        // Unknown fate: whatever is pending may still commit. Start again from the chain's nonce.
        this.nonces[s] = undefined;
        await sleep(200);
      } else if (this.o.pauseMs) await sleep(this.o.pauseMs);
    }
  }
}
