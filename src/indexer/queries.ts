/**
 * Read-only queries over the index, for `civitas indexer query`, the indexer's HTTP API and the
 * console's explorer. Inputs are checked here (API_BAD_REQUEST); a missing block, transaction
 * or account is BLOCK_NOT_FOUND, TX_NOT_FOUND or ACCOUNT_NOT_FOUND. Results are plain JSON:
 * heights and counts as numbers, balances as decimal strings, hashes as the node API shows them.
 */
import pg from "pg";
import { CivitasError, ErrorCode } from "../util/errors.js";
import type { AccountRow, BlockRow, EventRow, IndexStatusRow, SearchResult, TxRow } from "./rows.js";

const HASH = /^(0x)?[0-9a-fA-F]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const HEIGHT = /^[0-9]{1,15}$/;
const EVENT_TYPE = /^[a-z][a-z0-9]{0,31}\.[A-Za-z][A-Za-z0-9]{0,63}$/;
export const MAX_LIMIT = 200;

export type { AccountRow, BlockRow, EventRow, IndexStatusRow, SearchResult, TxRow } from "./rows.js";

function bad(message: string, param: string): CivitasError {
  return new CivitasError(ErrorCode.API_BAD_REQUEST, message, { param });
}

/** A limit given as a number or query-string text, 1..MAX_LIMIT. */
export function limitParam(v: unknown, dflt = 20): number {
  if (v === undefined || v === "") return dflt;
  const n = typeof v === "number" ? v : typeof v === "string" && /^[0-9]{1,4}$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) throw bad(`limit must be an integer from 1 to ${MAX_LIMIT}`, "limit");
  return n;
}

/** An optional height given as a number or text. */
export function heightParam(v: unknown, name: string): number | undefined {
  if (v === undefined || v === "") return undefined;
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v === "string" && HEIGHT.test(v)) return Number(v);
  throw bad(`${name} must be a non-negative integer`, name);
}

function normHash(v: string, name: string): string {
  if (!HASH.test(v)) throw bad(`${name} must be a 32-byte hash in hex`, name);
  return v.replace(/^0x/, "").toLowerCase();
}

function normAddress(v: string, name: string): string {
  if (!ADDRESS.test(v)) throw bad(`${name} must be an address: 0x and 40 hex digits`, name);
  return v.toLowerCase();
}

const BLOCK_COLS = "height, hash, prev_hash, time_ms, proposer, tx_count, state_root";
type BlockDb = { height: string; hash: string; prev_hash: string; time_ms: string; proposer: string; tx_count: number; state_root: string };
const toBlock = (r: BlockDb): BlockRow => ({ height: Number(r.height), hash: r.hash, prevHash: r.prev_hash, time: Number(r.time_ms), proposer: r.proposer, txCount: r.tx_count, stateRoot: r.state_root });

const TX_COLS = "t.hash, t.height, t.tx_index, t.sender, t.nonce, t.status, t.code, t.message, t.gas_used, t.gas_limit, t.memo, t.calls, b.time_ms";
type TxDb = { hash: string; height: string; tx_index: number; sender: string; nonce: string; status: string; code: string | null; message: string; gas_used: string; gas_limit: string; memo: string; calls: unknown; time_ms: string };
const toTx = (r: TxDb): TxRow => ({
  hash: r.hash,
  height: Number(r.height),
  index: r.tx_index,
  from: r.sender,
  nonce: Number(r.nonce),
  status: r.status,
  code: r.code,
  message: r.message,
  gasUsed: Number(r.gas_used),
  gasLimit: Number(r.gas_limit),
  memo: r.memo,
  calls: r.calls,
  time: Number(r.time_ms),
});

type EventDb = { height: string; tx_index: number; event_index: number; tx_hash: string; module: string; type: string; accounts: string[]; attrs: unknown };
const toEvent = (r: EventDb): EventRow => ({ height: Number(r.height), txIndex: r.tx_index, eventIndex: r.event_index, txHash: r.tx_hash, module: r.module, type: r.type, accounts: r.accounts, attrs: r.attrs });

type AccountDb = { address: string; next_nonce: string; first_seen_height: string; last_seen_height: string; balance: string | null; balance_height: string | null; tx_count: string };
const toAccount = (r: AccountDb): AccountRow => ({
  address: r.address,
  nextNonce: Number(r.next_nonce),
  firstSeenHeight: Number(r.first_seen_height),
  lastSeenHeight: Number(r.last_seen_height),
  balance: r.balance,
  balanceHeight: r.balance_height === null ? null : Number(r.balance_height),
  txCount: Number(r.tx_count),
});

/**
 * A PostgreSQL failure (a server error, or a refused connection) as INDEXER_DB_ERROR, with a
 * next step for an uninitialised database; anything else is returned unchanged.
 */
export function asIndexerError(e: unknown): unknown {
  if (e instanceof pg.DatabaseError) {
    if (e.code === "42P01") return new CivitasError(ErrorCode.INDEXER_DB_ERROR, "this database holds no index yet: run 'civitas indexer --pg <url>' against it first", { pgCode: e.code });
    return new CivitasError(ErrorCode.INDEXER_DB_ERROR, `PostgreSQL: ${e.message}`, { pgCode: e.code ?? null });
  }
  const syscall = (e as { syscall?: unknown })?.syscall;
  if (e instanceof Error && (syscall === "connect" || syscall === "getaddrinfo" || syscall === "read" || syscall === "write")) return new CivitasError(ErrorCode.INDEXER_DB_ERROR, `cannot reach PostgreSQL: ${e.message}`, { cause: (e as { code?: unknown }).code ?? null });
  return e;
}

export class IndexerQueries {
  constructor(private readonly db: pg.Pool) {}

  /** What is indexed: chain, last height and hash, and table counts. */
  async status(): Promise<IndexStatusRow> {
    const st = await this.db.query<{ chain_id: string; last_height: string; last_hash: string; updated_at: Date }>("SELECT chain_id, last_height, last_hash, updated_at FROM indexer_state WHERE id = 1");
    const c = await this.db.query<{ b: string; t: string; e: string; a: string }>("SELECT (SELECT count(*) FROM blocks) b, (SELECT count(*) FROM transactions) t, (SELECT count(*) FROM events) e, (SELECT count(*) FROM accounts) a");
    const s = st.rows[0];
    const n = c.rows[0];
    return { chainId: s?.chain_id ?? null, height: s ? Number(s.last_height) : null, hash: s?.last_hash ?? null, updatedAt: s ? s.updated_at.toISOString() : null, blocks: Number(n.b), transactions: Number(n.t), events: Number(n.e), accounts: Number(n.a) };
  }

  /** Newest blocks first; `before` pages down (blocks below that height). */
  async latestBlocks(limit?: number | string, before?: number | string): Promise<BlockRow[]> {
    const n = limitParam(limit);
    const b = heightParam(before, "before");
    const r = await this.db.query<BlockDb>(`SELECT ${BLOCK_COLS} FROM blocks WHERE ($2::bigint IS NULL OR height < $2) ORDER BY height DESC LIMIT $1`, [n, b ?? null]);
    return r.rows.map(toBlock);
  }

  /** A block by height or hash, with its transactions' hashes and statuses. */
  async block(id: number | string): Promise<BlockRow & { txs: Array<{ hash: string; index: number; from: string; status: string }> }> {
    const s = String(id);
    const byHeight = HEIGHT.test(s);
    const key = byHeight ? Number(s) : normHash(s, "block");
    const r = await this.db.query<BlockDb>(`SELECT ${BLOCK_COLS} FROM blocks WHERE ${byHeight ? "height" : "hash"} = $1`, [key]);
    if (r.rows.length === 0) throw new CivitasError(ErrorCode.BLOCK_NOT_FOUND, `block ${s} is not indexed`, { id: s });
    const blk = toBlock(r.rows[0]);
    const txs = await this.db.query<{ hash: string; tx_index: number; sender: string; status: string }>("SELECT hash, tx_index, sender, status FROM transactions WHERE height = $1 ORDER BY tx_index", [blk.height]);
    return { ...blk, txs: txs.rows.map((t) => ({ hash: t.hash, index: t.tx_index, from: t.sender, status: t.status })) };
  }

  /** A transaction with its receipt fields and events. */
  async tx(hash: string): Promise<TxRow> {
    const h = normHash(hash, "hash");
    const r = await this.db.query<TxDb>(`SELECT ${TX_COLS} FROM transactions t JOIN blocks b ON b.height = t.height WHERE t.hash = $1`, [h]);
    if (r.rows.length === 0) throw new CivitasError(ErrorCode.TX_NOT_FOUND, `transaction ${h} is not indexed`, { hash: h });
    const tx = toTx(r.rows[0]);
    const ev = await this.db.query<EventDb>("SELECT height, tx_index, event_index, tx_hash, module, type, accounts, attrs FROM events WHERE height = $1 AND tx_index = $2 ORDER BY event_index", [tx.height, tx.index]);
    return { ...tx, events: ev.rows.map(toEvent) };
  }

  /** Transactions that concern an account (sent by it or naming it in an event), newest first. */
  async txsByAccount(address: string, limit?: number | string, before?: number | string): Promise<TxRow[]> {
    const a = normAddress(address, "address");
    const n = limitParam(limit);
    const b = heightParam(before, "before");
    const r = await this.db.query<TxDb>(
      `SELECT ${TX_COLS} FROM account_txs x JOIN transactions t ON t.hash = x.tx_hash JOIN blocks b ON b.height = t.height
       WHERE x.address = $1 AND ($3::bigint IS NULL OR x.height < $3) ORDER BY x.height DESC, x.tx_index DESC LIMIT $2`,
      [a, n, b ?? null],
    );
    return r.rows.map(toTx);
  }

  /** Events of one type (`module.Type`, e.g. token.Transfer), oldest first from `fromHeight`. */
  async eventsByType(type: string, limit?: number | string, fromHeight?: number | string): Promise<EventRow[]> {
    if (typeof type !== "string" || !EVENT_TYPE.test(type)) throw bad("type must be module.Type, for example token.Transfer", "type");
    const [module, t] = type.split(".");
    const n = limitParam(limit);
    const from = heightParam(fromHeight, "fromHeight") ?? 0;
    const r = await this.db.query<EventDb>(
      "SELECT height, tx_index, event_index, tx_hash, module, type, accounts, attrs FROM events WHERE module = $1 AND type = $2 AND height >= $3 ORDER BY height, tx_index, event_index LIMIT $4",
      [module, t, from, n],
    );
    return r.rows.map(toEvent);
  }

  async account(address: string): Promise<AccountRow> {
    const a = normAddress(address, "address");
    const r = await this.db.query<AccountDb>("SELECT address, next_nonce, first_seen_height, last_seen_height, balance::text AS balance, balance_height, tx_count FROM accounts WHERE address = $1", [a]);
    if (r.rows.length === 0) throw new CivitasError(ErrorCode.ACCOUNT_NOT_FOUND, `account ${a} appears in no indexed transaction`, { address: a });
    return toAccount(r.rows[0]);
  }

  /** One search box: a height, a block or transaction hash, or an account address. */
  async search(q: string): Promise<SearchResult> {
    const s = typeof q === "string" ? q.trim() : "";
    if (s === "" || s.length > 80) throw bad("q must be a height, a hash or an address", "q");
    const miss = (e: unknown): undefined => {
      if (e instanceof CivitasError && (e.code === ErrorCode.BLOCK_NOT_FOUND || e.code === ErrorCode.TX_NOT_FOUND || e.code === ErrorCode.ACCOUNT_NOT_FOUND)) return undefined;
      throw e;
    };
    if (HEIGHT.test(s)) {
      const b = await this.block(s).catch(miss);
      return b ? { kind: "block", block: b } : { kind: "none", query: s };
    }
    if (HASH.test(s)) {
      const t = await this.tx(s).catch(miss);
      if (t) return { kind: "tx", tx: t };
      const b = await this.block(s).catch(miss);
      return b ? { kind: "block", block: b } : { kind: "none", query: s };
    }
    if (ADDRESS.test(s)) {
      const a = await this.account(s).catch(miss);
      return a ? { kind: "account", account: a } : { kind: "none", query: s };
    }
    throw bad("q must be a height, a 64-hex-digit hash or a 0x address", "q");
  }
}
