/**
 * Admission and the pending-transaction pool.
 *
 * Admission order: size -> decode -> chain id -> call schemas, gas and sender key (stateless)
 * -> signature (worker pool, batched) -> expiry and nonce against committed state -> per-account
 * and global caps -> dedup. Each rejection is a CivitasError with a stable code and nothing is
 * stored. Accepted transactions wait in arrival order; the proposer walks that order.
 */
import type { CryptoSuite } from "../crypto/suite.js";
import type { ModuleRegistry } from "../execution/registry.js";
import { intrinsicGas } from "../execution/gas.js";
import type { SignedTx } from "../ledger/tx.js";
import { decodeSignedTx, txSigningMessage } from "../ledger/tx.js";
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
  suite: CryptoSuite;
  registry: ModuleRegistry;
  pool: VerifyPool;
  /** Next nonce of an account in committed state. */
  accountNonce(address: string): number;
  now(): number;
}

export interface PendingTx {
  tx: SignedTx;
  hash: Uint8Array;
  hashHex: string;
  sender: string;
  seq: number;
  removed: boolean;
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

  has(hashHex: string): boolean {
    return this.byHash.has(hashHex);
  }

  get(hashHex: string): PendingTx | undefined {
    return this.byHash.get(hashHex);
  }

  /** Stateless checks on one raw transaction; throws the first failure. */
  private precheck(raw: Uint8Array): SignedTx {
    if (!(raw instanceof Uint8Array)) throw new CivitasError(ErrorCode.TX_MALFORMED, "transaction must be bytes");
    if (raw.length > this.opts.maxTxBytes) throw new CivitasError(ErrorCode.TX_TOO_LARGE, `transaction is ${raw.length} bytes; the limit is ${this.opts.maxTxBytes}`, { size: raw.length, limit: this.opts.maxTxBytes });
    let tx: SignedTx;
    try {
      tx = decodeSignedTx(raw);
    } catch (e) {
      // Transaction-level codes (too many calls, memo too large) pass through; encoding faults
      // are all TX_MALFORMED with the codec's code as the cause.
      if (isCivitasError(e) && !e.code.startsWith("TX_")) throw new CivitasError(ErrorCode.TX_MALFORMED, e.message, { cause: e.code, ...e.details });
      throw e;
    }
    if (tx.body.chain !== this.opts.chain) throw new CivitasError(ErrorCode.TX_WRONG_CHAIN, `transaction is for chain '${tx.body.chain}', this is '${this.opts.chain}'`, { expected: this.opts.chain, got: tx.body.chain });
    for (const call of tx.body.calls) this.deps.registry.checkCall(call);
    if (tx.body.gasLimit > this.opts.maxTxGas) throw new CivitasError(ErrorCode.TX_GAS_LIMIT_TOO_HIGH, `gas limit ${tx.body.gasLimit} exceeds the per-transaction maximum ${this.opts.maxTxGas}`, { limit: this.opts.maxTxGas });
    const intrinsic = intrinsicGas(raw.length, tx.body.calls.length);
    if (tx.body.gasLimit < intrinsic) throw new CivitasError(ErrorCode.TX_GAS_LIMIT_TOO_LOW, `gas limit ${tx.body.gasLimit} is below the intrinsic cost ${intrinsic}`, { intrinsic });
    if (tx.publicKey.length !== this.deps.suite.publicKeyLength || tx.signature.length !== this.deps.suite.signatureLength) {
      throw new CivitasError(ErrorCode.TX_BAD_SIGNATURE, `public key or signature has the wrong length for ${this.deps.suite.id}`);
    }
    if (this.deps.suite.address(tx.publicKey) !== "0x" + hex(tx.body.from)) throw new CivitasError(ErrorCode.TX_BAD_SENDER, "the public key does not belong to the `from` address");
    return tx;
  }

  /**
   * Admits a batch; results are in input order. Signatures of the whole batch are verified
   * together in the worker pool; state checks run after, in order, so a batch may carry several
   * consecutive nonces of one sender.
   */
  async admit(raws: Uint8Array[]): Promise<AdmitResult[]> {
    const results: AdmitResult[] = new Array(raws.length);
    const checked: Array<{ i: number; tx: SignedTx }> = [];
    for (let i = 0; i < raws.length; i++) {
      try {
        checked.push({ i, tx: this.precheck(raws[i]) });
      } catch (e) {
        results[i] = { ok: false, error: toError(e) };
      }
    }
    const valid = await this.deps.pool.verify(checked.map(({ tx }) => ({ message: txSigningMessage(tx.bodyBytes), signature: tx.signature, publicKey: tx.publicKey })));
    const now = this.deps.now();
    for (let k = 0; k < checked.length; k++) {
      const { i, tx } = checked[k];
      try {
        if (!valid[k]) throw new CivitasError(ErrorCode.TX_BAD_SIGNATURE, "signature does not verify for this transaction and public key");
        results[i] = { ok: true, hash: this.insert(tx, now) };
      } catch (e) {
        results[i] = { ok: false, error: toError(e) };
      }
    }
    return results;
  }

  private insert(tx: SignedTx, now: number): string {
    if (tx.body.expires < now) throw new CivitasError(ErrorCode.TX_EXPIRED, `transaction expired at ${new Date(tx.body.expires).toISOString()}`, { expires: tx.body.expires, now });
    if (tx.body.expires > now + this.opts.maxTxExpiryMs) throw new CivitasError(ErrorCode.TX_EXPIRY_TOO_FAR, `expiry may be at most ${this.opts.maxTxExpiryMs} ms ahead`, { maxTxExpiryMs: this.opts.maxTxExpiryMs });
    const sender = "0x" + hex(tx.body.from);
    const next = this.deps.accountNonce(sender);
    if (tx.body.nonce < next) throw new CivitasError(ErrorCode.TX_NONCE_TOO_LOW, `nonce ${tx.body.nonce} was already used; the account's next nonce is ${next}`, { expected: next, got: tx.body.nonce });
    if (tx.body.nonce >= next + this.opts.maxPendingPerAccount) {
      throw new CivitasError(ErrorCode.TX_NONCE_TOO_HIGH, `nonce ${tx.body.nonce} is too far ahead; the account's next nonce is ${next} and at most ${this.opts.maxPendingPerAccount} may be pending`, { expected: next, got: tx.body.nonce });
    }
    const mine = this.bySender.get(sender);
    // The admission order: nonce and expiry, then the caps, then dedup. With the nonce
    // window equal to the per-account cap, a resend from a full account reports the cap.
    if (mine && mine.size >= this.opts.maxPendingPerAccount) throw new CivitasError(ErrorCode.TX_ACCOUNT_PENDING_LIMIT, `account already has ${mine.size} pending transactions`, { limit: this.opts.maxPendingPerAccount });
    if (this.byHash.size >= this.opts.maxPendingTotal) throw new CivitasError(ErrorCode.TX_MEMPOOL_FULL, "the mempool is full; retry later", { limit: this.opts.maxPendingTotal });
    const hash = this.deps.suite.hash(tx.bodyBytes);
    const hashHex = hex(hash);
    if (this.byHash.has(hashHex)) throw new CivitasError(ErrorCode.TX_DUPLICATE, "transaction is already pending", { hash: hashHex });
    if (mine?.has(tx.body.nonce)) throw new CivitasError(ErrorCode.TX_NONCE_PENDING, `another transaction with nonce ${tx.body.nonce} is already pending`, { nonce: tx.body.nonce });
    const entry: PendingTx = { tx, hash, hashHex, sender, seq: this.seq++, removed: false };
    this.byHash.set(hashHex, entry);
    if (mine) mine.set(tx.body.nonce, entry);
    else this.bySender.set(sender, new Map([[tx.body.nonce, entry]]));
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
    mine?.delete(e.tx.body.nonce);
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
