/**
 * Writes verified blocks into PostgreSQL. A block and the `indexer_state` row that records it
 * are written in ONE transaction, so after a crash the index holds exactly the blocks up to
 * `last_height`: the next run resumes at last_height + 1 and nothing is half-written. The state
 * row is locked (FOR UPDATE) for the transaction, so two indexers on one database cannot both
 * append, and primary keys with ON CONFLICT DO NOTHING are the second guard against duplicates.
 */
import type pg from "pg";
import { CivitasError, ErrorCode } from "../util/errors.js";
import type { IndexedBlock } from "./source.js";

export interface IndexerState {
  chainId: string;
  lastHeight: number;
  lastHash: string;
}

export async function readState(db: pg.Pool | pg.PoolClient): Promise<IndexerState | undefined> {
  const r = await db.query<{ chain_id: string; last_height: string; last_hash: string }>("SELECT chain_id, last_height, last_hash FROM indexer_state WHERE id = 1");
  if (r.rows.length === 0) return undefined;
  return { chainId: r.rows[0].chain_id, lastHeight: Number(r.rows[0].last_height), lastHash: r.rows[0].last_hash };
}

export function chainMismatch(message: string, details: Record<string, unknown>): CivitasError {
  return new CivitasError(ErrorCode.INDEXER_CHAIN_MISMATCH, `${message}. The node follows another chain than the one indexed (or its chain was reset): point --node at a node of the indexed chain, or index into a fresh database`, details);
}

/**
 * Appends `b` on top of the indexed chain. Returns false when it is already indexed (same hash:
 * nothing changes); throws INDEXER_CHAIN_MISMATCH when it does not link to the indexed chain.
 */
export async function writeBlock(pool: pg.Pool, chainId: string, b: IndexedBlock): Promise<boolean> {
  const c = await pool.connect();
  try {
    await c.query("BEGIN");
    try {
      const written = await writeInTx(c, chainId, b);
      await c.query("COMMIT");
      return written;
    } catch (e) {
      await c.query("ROLLBACK").catch(() => undefined);
      throw e;
    }
  } finally {
    c.release();
  }
}

async function writeInTx(c: pg.PoolClient, chainId: string, b: IndexedBlock): Promise<boolean> {
  const st = await c.query<{ chain_id: string; last_height: string; last_hash: string }>("SELECT chain_id, last_height, last_hash FROM indexer_state WHERE id = 1 FOR UPDATE");
  const state = st.rows[0];
  if (state) {
    if (state.chain_id !== chainId) throw chainMismatch(`the index holds chain '${state.chain_id}', the node serves '${chainId}'`, { indexed: state.chain_id, node: chainId });
    const last = Number(state.last_height);
    if (b.height <= last) {
      const have = await c.query<{ hash: string }>("SELECT hash FROM blocks WHERE height = $1", [b.height]);
      if (have.rows[0]?.hash !== b.hash) throw chainMismatch(`block ${b.height} is ${b.hash} at the node but ${have.rows[0]?.hash ?? "missing"} in the index`, { height: b.height, node: b.hash, indexed: have.rows[0]?.hash ?? null });
      return false;
    }
    if (b.height !== last + 1) throw new CivitasError(ErrorCode.INTERNAL, `block ${b.height} would leave a gap after indexed height ${last}`, { height: b.height, last });
    if (b.prevHash !== state.last_hash) throw chainMismatch(`block ${b.height} links to ${b.prevHash}, but the indexed block ${last} is ${state.last_hash}`, { height: b.height, prevHash: b.prevHash, indexed: state.last_hash });
  } else if (b.height !== 0) {
    throw new CivitasError(ErrorCode.INTERNAL, `an empty index starts at block 0, not ${b.height}`, { height: b.height });
  }

  const ins = await c.query(
    `INSERT INTO blocks (height, hash, prev_hash, time_ms, proposer, tx_count, state_root, header, commit, last_commit)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING RETURNING height`,
    [b.height, b.hash, b.prevHash, b.time, b.proposer, b.txs.length, b.stateRoot, JSON.stringify(b.header), JSON.stringify(b.commit), b.lastCommit === null ? null : JSON.stringify(b.lastCommit)],
  );
  // Only a block inserted now adds to the per-account aggregates, so they are never counted twice.
  if (ins.rowCount === 1 && b.txs.length > 0) await writeContents(c, b);
  await c.query(
    `INSERT INTO indexer_state (id, chain_id, last_height, last_hash) VALUES (1, $1, $2, $3)
     ON CONFLICT (id) DO UPDATE SET last_height = EXCLUDED.last_height, last_hash = EXCLUDED.last_hash, updated_at = now()`,
    [chainId, b.height, b.hash],
  );
  return ins.rowCount === 1;
}

async function writeContents(c: pg.PoolClient, b: IndexedBlock): Promise<void> {
  const t = b.txs;
  await c.query(
    `INSERT INTO transactions (hash, height, tx_index, sender, nonce, status, code, message, gas_used, gas_limit, memo, calls, raw)
     SELECT x.hash, $1::bigint, x.idx, x.sender, x.nonce, x.status, x.code, x.message, x.gas_used, x.gas_limit, x.memo, x.calls, x.raw
     FROM unnest($2::text[], $3::int[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::bigint[], $11::text[], $12::jsonb[], $13::text[])
       AS x(hash, idx, sender, nonce, status, code, message, gas_used, gas_limit, memo, calls, raw)
     ON CONFLICT DO NOTHING`,
    [b.height, t.map((x) => x.hash), t.map((x) => x.index), t.map((x) => x.sender), t.map((x) => x.nonce), t.map((x) => x.status), t.map((x) => x.code), t.map((x) => x.message), t.map((x) => x.gasUsed), t.map((x) => x.gasLimit), t.map((x) => x.memo), t.map((x) => JSON.stringify(x.calls)), t.map((x) => x.raw)],
  );
  const ev = t.flatMap((x) => x.events.map((e) => ({ tx: x, e })));
  if (ev.length > 0) {
    await c.query(
      `INSERT INTO events (height, tx_index, event_index, tx_hash, module, type, accounts, attrs)
       SELECT $1::bigint, x.tx_index, x.event_index, x.tx_hash, x.module, x.type, x.accounts, x.attrs
       FROM unnest($2::int[], $3::int[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::jsonb[]) AS x(tx_index, event_index, tx_hash, module, type, accounts, attrs)
       ON CONFLICT DO NOTHING`,
      [b.height, ev.map((v) => v.tx.index), ev.map((v) => v.e.index), ev.map((v) => v.tx.hash), ev.map((v) => v.e.module), ev.map((v) => v.e.type), ev.map((v) => JSON.stringify(v.e.accounts)), ev.map((v) => JSON.stringify(v.e.attrs))],
    );
  }

  // Per account: the transactions that concern it, and the sender's next nonce.
  const links: Array<{ address: string; index: number; hash: string }> = [];
  const nextNonce = new Map<string, number>();
  for (const x of t) {
    const concerned = new Set<string>([x.sender]);
    for (const e of x.events) for (const a of e.accounts) concerned.add(a);
    for (const a of concerned) links.push({ address: a, index: x.index, hash: x.hash });
    nextNonce.set(x.sender, Math.max(nextNonce.get(x.sender) ?? 0, x.nonce + 1));
  }
  await c.query(
    `INSERT INTO account_txs (address, height, tx_index, tx_hash)
     SELECT x.address, $1::bigint, x.idx, x.hash FROM unnest($2::text[], $3::int[], $4::text[]) AS x(address, idx, hash)
     ON CONFLICT DO NOTHING`,
    [b.height, links.map((l) => l.address), links.map((l) => l.index), links.map((l) => l.hash)],
  );
  const counts = new Map<string, number>();
  for (const l of links) counts.set(l.address, (counts.get(l.address) ?? 0) + 1);
  const addrs = [...counts.keys()].sort();
  await c.query(
    `INSERT INTO accounts (address, next_nonce, first_seen_height, last_seen_height, balance, balance_height, tx_count)
     SELECT x.address, x.next_nonce, $1::bigint, $1::bigint, x.balance, CASE WHEN x.balance IS NULL THEN NULL ELSE $1::bigint END, x.n
     FROM unnest($2::text[], $3::bigint[], $4::numeric[], $5::bigint[]) AS x(address, next_nonce, balance, n)
     ON CONFLICT (address) DO UPDATE SET
       next_nonce = GREATEST(accounts.next_nonce, EXCLUDED.next_nonce),
       last_seen_height = EXCLUDED.last_seen_height,
       balance = COALESCE(EXCLUDED.balance, accounts.balance),
       balance_height = COALESCE(EXCLUDED.balance_height, accounts.balance_height),
       tx_count = accounts.tx_count + EXCLUDED.tx_count`,
    [b.height, addrs, addrs.map((a) => nextNonce.get(a) ?? 0), addrs.map((a) => b.balances.get(a) ?? null), addrs.map((a) => counts.get(a) ?? 0)],
  );
}
