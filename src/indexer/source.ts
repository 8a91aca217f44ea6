/**
 * Reads committed blocks from a node's API and checks them before the indexer stores anything:
 * the header hashes to the claimed hash and names this chain and height, every transaction's
 * wire bytes hash to its hash and together rebuild the header's txRoot, and the receipts (their
 * canonical bytes, not the node's JSON) rebuild its receiptRoot. With a light client (trusted
 * genesis) each header must also be the one its commit certificates certify. Balances are read
 * at the block's height and their state proofs checked against its stateRoot.
 */
import { asBigInt, decode } from "../codec/index.js";
import type { CryptoSuite, SuiteId } from "../crypto/suite.js";
import { SUITE_IDS } from "../crypto/suite.js";
import { getPortableSuite } from "../crypto/portable-suites.js";
import { blockHash } from "../ledger/block.js";
import { merkleRootOf } from "../ledger/merkle.js";
import type { Receipt } from "../ledger/receipt.js";
import { decodeReceipt, receiptToJson } from "../ledger/receipt.js";
import { decodeSignedTx, txHash, txToJson } from "../ledger/tx.js";
import type { SmtProof } from "../ledger/smt-proof.js";
import { ApiError, CivitasClient } from "../sdk/client.js";
import type { LightClient } from "../sdk/light-client.js";
import { headerFromJson, verifyStateProof } from "../sdk/proofs.js";
import { equalBytes, fromHex, isHex, toHex } from "../util/bytes.js";
import { CivitasError, ErrorCode } from "../util/errors.js";

export interface IndexedEvent {
  index: number;
  module: string;
  type: string;
  accounts: string[];
  attrs: unknown;
}

export interface IndexedTx {
  hash: string;
  index: number;
  sender: string;
  nonce: number;
  gasLimit: number;
  memo: string;
  calls: unknown;
  raw: string;
  status: "ok" | "failed";
  code: string | null;
  message: string;
  gasUsed: number;
  events: IndexedEvent[];
}

export interface IndexedBlock {
  height: number;
  hash: string;
  prevHash: string;
  time: number;
  proposer: string;
  stateRoot: string;
  header: Record<string, unknown>;
  commit: unknown;
  lastCommit: unknown;
  txs: IndexedTx[];
  /** Balance (decimal string) at this height of every account the block touches; null where unknown. */
  balances: Map<string, string | null>;
}

export interface SourceOptions {
  /** Parallel requests for one block's transactions (default 8). */
  concurrency?: number;
  /** Read balances with the token module's balance query (default true; off when the chain has no token module). */
  balances?: boolean;
  lightClient?: LightClient;
  timeoutMs?: number;
}

interface BlockJson {
  hash: string;
  header: Record<string, unknown>;
  txs: string[];
  lastCommit: unknown;
  commit: unknown;
}

/** Runs `fn` over `items` with at most `limit` calls in flight, results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function invalid(height: number, what: string, details: Record<string, unknown> = {}): CivitasError {
  return new CivitasError(ErrorCode.BLOCK_INVALID, `block ${height} from the node fails verification: ${what}`, { height, ...details });
}

export class NodeSource {
  readonly api: CivitasClient;
  private suite!: CryptoSuite;
  private chain = "";
  private balances: boolean;
  private readonly concurrency: number;

  constructor(
    readonly url: string,
    private readonly opts: SourceOptions = {},
  ) {
    this.api = new CivitasClient(url, { timeoutMs: opts.timeoutMs ?? 30_000 });
    this.balances = opts.balances ?? true;
    this.concurrency = Math.max(1, opts.concurrency ?? 8);
  }

  get chainId(): string {
    return this.chain;
  }

  /** Reads the chain's id and crypto suite; call once before fetching. */
  async connect(): Promise<{ chainId: string; head: number }> {
    const s = await this.api.status();
    const suite = s.chain.cryptoSuite as SuiteId;
    if (!SUITE_IDS.includes(suite)) throw new CivitasError(ErrorCode.BLOCK_INVALID, `the node reports an unknown crypto suite '${String(suite)}'`);
    this.suite = getPortableSuite(suite);
    this.chain = s.chain.chainId;
    if (this.opts.lightClient && this.opts.lightClient.chainId !== this.chain) {
      throw new CivitasError(ErrorCode.INDEXER_CHAIN_MISMATCH, `the node serves chain '${this.chain}', the trusted genesis is for '${this.opts.lightClient.chainId}'`, { node: this.chain, genesis: this.opts.lightClient.chainId });
    }
    return { chainId: this.chain, head: s.head.height };
  }

  async head(): Promise<number> {
    return (await this.api.health()).height;
  }

  /** The hash the node reports for the block at `height` (checked against its header), or undefined past its head. */
  async hashAt(height: number): Promise<string | undefined> {
    let b: BlockJson;
    try {
      b = await this.api.request<BlockJson>("GET", `/v1/blocks/${height}`);
    } catch (e) {
      if (e instanceof ApiError && e.code === ErrorCode.BLOCK_NOT_FOUND) return undefined;
      throw e;
    }
    return this.checkHeader(height, b).hash;
  }

  private checkHeader(height: number, b: BlockJson): { hash: string; header: ReturnType<typeof headerFromJson>["header"] } {
    if (!b || typeof b !== "object" || !b.header || typeof b.header !== "object" || !Array.isArray(b.txs)) throw invalid(height, "malformed block JSON");
    let parsed;
    try {
      parsed = headerFromJson(b.header);
    } catch (e) {
      throw invalid(height, (e as Error).message);
    }
    const hash = toHex(blockHash(this.suite, parsed.header));
    if (hash !== b.hash || parsed.hash !== b.hash) throw invalid(height, `its header hashes to ${hash}, the node says ${String(b.hash)}`);
    if (parsed.header.height !== height) throw invalid(height, `the node returned block ${parsed.header.height}`);
    if (parsed.header.chain !== this.chain) throw invalid(height, `the header names chain '${parsed.header.chain}', not '${this.chain}'`);
    return { hash, header: parsed.header };
  }

  /** Fetches and verifies block `height` with its transactions, receipts and touched balances. */
  async block(height: number): Promise<IndexedBlock> {
    const b = await this.api.request<BlockJson>("GET", `/v1/blocks/${height}`);
    const { hash, header } = this.checkHeader(height, b);
    if (this.opts.lightClient && height > 0) {
      const v = await this.opts.lightClient.header(height);
      if (v.hash !== hash) throw invalid(height, `the commit certificates certify ${v.hash} at this height, the node serves ${hash}`);
    }
    if (b.txs.length !== header.txCount) throw invalid(height, `the header counts ${header.txCount} transactions, the block lists ${b.txs.length}`);
    const fetched = await mapLimit(b.txs, this.concurrency, async (h, i) => {
      if (!isHex(h, 32)) throw invalid(height, `transaction ${i} is not a 32-byte hash`);
      const [t, r] = await Promise.all([
        this.api.request<{ raw?: string; height?: number; index?: number }>("GET", `/v1/txs/${h}`),
        this.api.request<{ raw?: string; height?: number; index?: number }>("GET", `/v1/proofs/receipt/${h}`),
      ]);
      if (t.height !== height || t.index !== i || r.height !== height || r.index !== i) throw invalid(height, `transaction ${h} is placed elsewhere by the node`, { tx: h });
      if (typeof t.raw !== "string" || typeof r.raw !== "string") throw invalid(height, `transaction ${h} came without its bytes`, { tx: h });
      const raw = fromHex(t.raw);
      const tx = decodeSignedTx(raw);
      if (toHex(txHash(this.suite, tx)) !== h) throw invalid(height, `the bytes of transaction ${i} do not hash to ${h}`, { tx: h });
      const receiptBytes = fromHex(r.raw);
      const receipt = decodeReceipt(receiptBytes);
      if (toHex(receipt.txHash) !== h) throw invalid(height, `receipt ${i} is for another transaction`, { tx: h });
      return { tx, raw, receipt, receiptBytes, hash: h };
    });
    const hashFn = (d: Uint8Array): Uint8Array => this.suite.hash(d);
    if (!equalBytes(merkleRootOf(hashFn, fetched.map((f) => f.raw)), header.txRoot)) throw invalid(height, "the transactions do not rebuild the header's txRoot");
    if (!equalBytes(merkleRootOf(hashFn, fetched.map((f) => f.receiptBytes)), header.receiptRoot)) throw invalid(height, "the receipts do not rebuild the header's receiptRoot");

    const txs: IndexedTx[] = fetched.map((f, i) => toIndexedTx(f.hash, i, txToJson(f.tx, fromHex(f.hash)), f.raw, f.receipt));
    const touched = new Set<string>();
    for (const t of txs) {
      touched.add(t.sender);
      for (const e of t.events) for (const a of e.accounts) touched.add(a);
    }
    const stateRoot = toHex(header.stateRoot);
    const list = [...touched].sort();
    const values = await mapLimit(list, this.concurrency, (a) => this.balanceAt(a, height, stateRoot));
    const balances = new Map<string, string | null>(list.map((a, i) => [a, values[i]]));
    return { height, hash, prevHash: toHex(header.prevHash), time: header.time, proposer: "0x" + toHex(header.proposer), stateRoot, header: b.header, commit: b.commit, lastCommit: b.lastCommit ?? null, txs, balances };
  }

  private async balanceAt(address: string, height: number, stateRoot: string): Promise<string | null> {
    if (!this.balances) return null;
    let q: { height: number; key: string; value: unknown; proof: SmtProof };
    try {
      q = await this.api.query("token", "balance", { address }, height);
    } catch (e) {
      // A chain without the token module has no balances to index: stop asking.
      if (e instanceof ApiError && (e.code === ErrorCode.QUERY_UNKNOWN || e.code === ErrorCode.TX_UNKNOWN_MODULE)) {
        this.balances = false;
        return null;
      }
      if (e instanceof ApiError && e.code === ErrorCode.STATE_NOT_AVAILABLE) return null;
      throw e;
    }
    if (q.height !== height || typeof q.value !== "string" || !/^[0-9]+$/.test(q.value)) throw invalid(height, `the balance of ${address} came back malformed`);
    if (!verifyStateProof(q, stateRoot, this.suite.id)) throw invalid(height, `the balance proof of ${address} does not verify against the stateRoot`);
    // The proof is about the stored bytes (a CBOR integer, absent = 0): the decimal must be theirs.
    const proven = q.proof.value === null ? 0n : asBigInt(decode(fromHex(q.proof.value)));
    if (proven === undefined || proven.toString() !== q.value) throw invalid(height, `the balance of ${address} (${q.value}) is not the proven value`);
    return q.value;
  }
}

function toIndexedTx(hash: string, index: number, json: Record<string, unknown>, raw: Uint8Array, r: Receipt): IndexedTx {
  const rj = receiptToJson(r) as { events: Array<{ module: string; type: string; accounts: string[]; attrs: unknown }> };
  return {
    hash,
    index,
    sender: json.from as string,
    nonce: json.nonce as number,
    gasLimit: json.gasLimit as number,
    memo: json.memo as string,
    calls: json.calls,
    raw: toHex(raw),
    status: r.status,
    code: r.code,
    message: r.message,
    gasUsed: r.gasUsed,
    events: rj.events.map((e, i) => ({ index: i, module: e.module, type: e.type, accounts: e.accounts, attrs: e.attrs })),
  };
}
