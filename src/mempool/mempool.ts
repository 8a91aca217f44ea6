/**
 * Admission and the pending-transaction pool.
 *
 * Admission order: size -> decode -> chain id -> call schemas, gas and sender key (stateless)
 * -> signature (worker pool, batched) -> expiry and nonce against committed state -> per-account
 * and global caps -> dedup. Each rejection is a CivitasError with a stable code and nothing is
 * stored. Accepted transactions wait in arrival order; the proposer walks that order.
 */
import type { SignedTx } from "../ledger/tx.js";
import { decodeSignedTx } from "../ledger/tx.js";
import { assert, CivitasError, ErrorCode, isCivitasError } from "../util/errors.js";
import type { VerifyPool } from "./verify-pool.js";

export interface MempoolOptions {
  chain: string;
  maxTxBytes: number;
  maxTxGas: number;
  maxTxExpiryMs: number;
  /** Pending transactions per sender; also how far ahead of the account's nonce one may be. */
  maxPendingPerAccount: number;
  maxPendingTotal: number;
}

export interface MempoolDeps {
  /** Runs the stateless checks and signatures; its workers use the built-in module set. */
  pool: VerifyPool;
  /** Next nonce of an account in committed state. */
  accountNonce(address: string): number;
  /** Throws when the account may not send transactions now (frozen, cancelled): refused at admission. */
  checkSender?(address: string): void;
  now(): number;
}

/** A pending transaction: the facts admission established, and its bytes. */
export class PendingTx {
  removed = false;
  private decoded: SignedTx | undefined;
  constructor(
    readonly bytes: Uint8Array,
    readonly hash: Uint8Array,
    readonly hashHex: string,
    readonly sender: string,
    readonly nonce: number,
    readonly seq: number,
  ) {}

  /** Decoded on first use (block building, API): admission decoded it in a worker already. */
  get tx(): SignedTx {
    this.decoded ??= decodeSignedTx(this.bytes);
    return this.decoded;
  }
}

export type AdmitResult = { ok: true; hash: string } | { ok: false; error: CivitasError };

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString("hex");

export class Mempool {
  private readonly byHash = new Map<string, PendingTx>();
  private readonly bySender = new Map<string, Map<number, PendingTx>>();
  private queue: PendingTx[] = [];
  private head = 0;
  private seq = 0;

  constructor(
    private readonly opts: MempoolOptions,
    private readonly deps: MempoolDeps,
  ) {
    assert(opts.maxPendingPerAccount >= 1 && opts.maxPendingTotal >= 1, "mempool caps must be positive");
  }

  get size(): number {
    return this.byHash.size;
  }

  /** How many transactions of `sender` are pending (their nonces are consecutive from the account's next). */
  pendingCount(sender: string): number {
    return this.bySender.get(sender)?.size ?? 0;
  }

  has(hashHex: string): boolean {
    return this.byHash.has(hashHex);
  }

  get(hashHex: string): PendingTx | undefined {
    return this.byHash.get(hashHex);
  }

  /**
   * True when exactly these bytes are pending: they passed admission, signature included, on
   * this node. The hash covers only the body, so the bytes (body, public key and signature) are
   * compared in full: a block that carries a pending body with another signature is verified.
   */
  admittedExactly(hashHex: string, raw: Uint8Array): boolean {
    const p = this.byHash.get(hashHex);
    if (!p) return false;
    const a = p.bytes;
    if (a.length !== raw.length) return false;
    return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(raw.buffer, raw.byteOffset, raw.length));
  }

  /**
   * Admits a batch; results are in input order. The stateless checks and signatures of the
   * whole batch run in the worker pool; state checks run after, in order, so a batch may carry
   * several consecutive nonces of one sender.
   */
  async admit(raws: Uint8Array[], source: "client" | "peer" = "client"): Promise<AdmitResult[]> {
    const checks = await this.deps.pool.admit(raws, { chain: this.opts.chain, maxTxBytes: this.opts.maxTxBytes, maxTxGas: this.opts.maxTxGas });
    const now = this.deps.now();
    const accepted: Uint8Array[] = [];
    // Committed state cannot change during this synchronous loop: one nonce read per sender.
    const nonces = new Map<string, number>();
    const accountNonce = (sender: string): number => {
      let n = nonces.get(sender);
      if (n === undefined) {
        this.deps.checkSender?.(sender);
        nonces.set(sender, (n = this.deps.accountNonce(sender)));
      }
      return n;
    };
    const out = checks.map((c, i): AdmitResult => {
      if (!c.ok) return { ok: false, error: new CivitasError(c.error.code, c.error.message, c.error.details) };
      try {
        const hash = this.insert(raws[i], c, now, accountNonce);
        accepted.push(raws[i]);
        return { ok: true, hash };
      } catch (e) {
        return { ok: false, error: toError(e) };
      }
    });
    // Transactions from clients are passed on to peers; those from peers are not (every
    // validator is connected to every other, so one hop reaches them all).
    if (accepted.length && source === "client") for (const l of this.admittedListeners) l(accepted);
    return out;
  }

  private readonly admittedListeners: Array<(raws: Uint8Array[]) => void> = [];

  /** Called with the transactions a client submitted and the mempool accepted. */
  onAdmitted(listener: (raws: Uint8Array[]) => void): void {
    this.admittedListeners.push(listener);
  }

  private insert(raw: Uint8Array, c: { hash: Uint8Array; sender: string; nonce: number; expires: number }, now: number, accountNonce: (sender: string) => number): string {
    if (c.expires < now) throw new CivitasError(ErrorCode.TX_EXPIRED, `transaction expired at ${new Date(c.expires).toISOString()}`, { expires: c.expires, now });
    if (c.expires > now + this.opts.maxTxExpiryMs) throw new CivitasError(ErrorCode.TX_EXPIRY_TOO_FAR, `expiry may be at most ${this.opts.maxTxExpiryMs} ms ahead`, { maxTxExpiryMs: this.opts.maxTxExpiryMs });
    const sender = c.sender;
    const next = accountNonce(sender);
    if (c.nonce < next) throw new CivitasError(ErrorCode.TX_NONCE_TOO_LOW, `nonce ${c.nonce} was already used; the account's next nonce is ${next}`, { expected: next, got: c.nonce });
    if (c.nonce >= next + this.opts.maxPendingPerAccount) {
      throw new CivitasError(ErrorCode.TX_NONCE_TOO_HIGH, `nonce ${c.nonce} is too far ahead; the account's next nonce is ${next} and at most ${this.opts.maxPendingPerAccount} may be pending`, { expected: next, got: c.nonce });
    }
    const mine = this.bySender.get(sender);
    // The admission order: nonce and expiry, then the caps, then dedup. With the nonce
    // window equal to the per-account cap, a resend from a full account reports the cap.
    if (mine && mine.size >= this.opts.maxPendingPerAccount) throw new CivitasError(ErrorCode.TX_ACCOUNT_PENDING_LIMIT, `account already has ${mine.size} pending transactions`, { limit: this.opts.maxPendingPerAccount });
    if (this.byHash.size >= this.opts.maxPendingTotal) throw new CivitasError(ErrorCode.TX_MEMPOOL_FULL, "the mempool is full; retry later", { limit: this.opts.maxPendingTotal });
    const hashHex = hex(c.hash);
    if (this.byHash.has(hashHex)) throw new CivitasError(ErrorCode.TX_DUPLICATE, "transaction is already pending", { hash: hashHex });
    if (mine?.has(c.nonce)) throw new CivitasError(ErrorCode.TX_NONCE_PENDING, `another transaction with nonce ${c.nonce} is already pending`, { nonce: c.nonce });
    const entry = new PendingTx(raw, c.hash, hashHex, sender, c.nonce, this.seq++);
    this.byHash.set(hashHex, entry);
    if (mine) mine.set(c.nonce, entry);
    else this.bySender.set(sender, new Map([[c.nonce, entry]]));
    this.queue.push(entry);
    return hashHex;
  }

  /** Pending transactions in arrival order (a snapshot; safe to remove while iterating). */
  *candidates(): Generator<PendingTx> {
    // Iterate the array as it is now: compact() (run by remove()) replaces this.queue with a
    // shorter array, and indexing the new one with old positions would skip or crash.
    const queue = this.queue;
    const end = queue.length;
    for (let i = this.head; i < end; i++) {
      const e = queue[i];
      if (!e.removed) yield e;
    }
  }

  remove(hashHex: string): void {
    const e = this.byHash.get(hashHex);
    if (!e) return;
    e.removed = true;
    this.byHash.delete(hashHex);
    const mine = this.bySender.get(e.sender);
    mine?.delete(e.nonce);
    if (mine && mine.size === 0) this.bySender.delete(e.sender);
    this.compact();
  }

  private compact(): void {
    while (this.head < this.queue.length && this.queue[this.head].removed) this.head++;
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head).filter((e) => !e.removed);
      this.head = 0;
    }
  }
}

function toError(e: unknown): CivitasError {
  return isCivitasError(e) ? e : new CivitasError(ErrorCode.TX_MALFORMED, (e as Error).message);
}
