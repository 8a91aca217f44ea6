/**
 * Transaction gossip: transactions clients submit to this node are batched and sent to every
 * peer, which admits them through its own mempool (signature and all). A peer that sends
 * transactions with bad signatures or garbage is penalised; stale nonces are normal races and
 * are not.
 */
import { decode, encode, FieldReader } from "../codec/index.js";
import type { Mempool } from "../mempool/mempool.js";
import { ErrorCode } from "../util/errors.js";

export interface TxGossipNetwork {
  broadcast(payload: Uint8Array): void;
  penalize(peer: string, points: number, reason: string): void;
}

/** Most transactions in one gossip message (the frame limit bounds bytes). */
export const MAX_GOSSIP_TXS = 5_000;

const CULPABLE: ReadonlySet<string> = new Set([ErrorCode.TX_BAD_SIGNATURE, ErrorCode.TX_MALFORMED, ErrorCode.TX_BAD_SENDER, ErrorCode.TX_WRONG_CHAIN, ErrorCode.TX_TOO_LARGE]);

export class TxGossip {
  private batch: Uint8Array[] = [];
  private bytes = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  readonly stats = { sentTxs: 0, receivedTxs: 0, rejectedTxs: 0 };

  constructor(
    private readonly mempool: Mempool,
    private readonly net: TxGossipNetwork,
    private readonly opts: { flushMs: number; maxBytes: number },
  ) {
    mempool.onAdmitted((raws) => this.queue(raws));
  }

  private queue(raws: Uint8Array[]): void {
    for (const r of raws) {
      if (this.batch.length >= MAX_GOSSIP_TXS || this.bytes + r.length > this.opts.maxBytes) this.flush();
      this.batch.push(r);
      this.bytes += r.length;
    }
    if (!this.timer && this.batch.length) this.timer = setTimeout(() => this.flush(), this.opts.flushMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.batch.length === 0) return;
    this.net.broadcast(encode({ txs: this.batch }));
    this.stats.sentTxs += this.batch.length;
    this.batch = [];
    this.bytes = 0;
  }

  async onMessage(peer: string, payload: Uint8Array): Promise<void> {
    let txs: Uint8Array[];
    try {
      txs = FieldReader.of(decode(payload), "txGossip")
        .knownFields("txs")
        .array("txs", MAX_GOSSIP_TXS)
        .map((t) => {
          if (!(t instanceof Uint8Array)) throw new Error("txs items must be byte strings");
          return t;
        });
    } catch (e) {
      this.net.penalize(peer, 50, `malformed transaction gossip: ${(e as Error).message}`);
      return;
    }
    this.stats.receivedTxs += txs.length;
    const results = await this.mempool.admit(txs, "peer");
    const bad = results.filter((r) => !r.ok && CULPABLE.has(r.error.code)).length;
    this.stats.rejectedTxs += results.filter((r) => !r.ok).length;
    if (bad > 0) this.net.penalize(peer, Math.min(100, 10 * bad), `${bad} invalid transactions in gossip`);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
