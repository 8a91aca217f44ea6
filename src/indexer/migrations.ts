/**
 * The indexer's PostgreSQL schema as an ordered list of versioned migrations. Each one runs in
 * its own transaction and is recorded in `schema_migrations`, so a restarted (or a second)
 * indexer applies only what is missing; an applied migration is never edited, a change is a new
 * version. Hashes are lowercase hex without 0x, addresses 0x-prefixed, as the node API shows them.
 */
import type pg from "pg";
import { CivitasError, ErrorCode } from "../util/errors.js";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "chain tables",
    sql: `
      CREATE TABLE indexer_state (
        id smallint PRIMARY KEY CHECK (id = 1),
        chain_id text NOT NULL,
        last_height bigint NOT NULL,
        last_hash text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE blocks (
        height bigint PRIMARY KEY,
        hash text NOT NULL UNIQUE,
        prev_hash text NOT NULL,
        time_ms bigint NOT NULL,
        proposer text NOT NULL,
        tx_count integer NOT NULL,
        state_root text NOT NULL,
        header jsonb NOT NULL,
        commit jsonb NOT NULL,
        last_commit jsonb
      );
      CREATE TABLE transactions (
        hash text PRIMARY KEY,
        height bigint NOT NULL REFERENCES blocks(height),
        tx_index integer NOT NULL,
        sender text NOT NULL,
        nonce bigint NOT NULL,
        status text NOT NULL,
        code text,
        message text NOT NULL,
        gas_used bigint NOT NULL,
        gas_limit bigint NOT NULL,
        memo text NOT NULL,
        calls jsonb NOT NULL,
        raw text NOT NULL,
        UNIQUE (height, tx_index)
      );
      CREATE INDEX transactions_sender ON transactions (sender, height DESC, tx_index DESC);
      CREATE TABLE events (
        height bigint NOT NULL REFERENCES blocks(height),
        tx_index integer NOT NULL,
        event_index integer NOT NULL,
        tx_hash text NOT NULL REFERENCES transactions(hash),
        module text NOT NULL,
        type text NOT NULL,
        accounts jsonb NOT NULL,
        attrs jsonb NOT NULL,
        PRIMARY KEY (height, tx_index, event_index)
      );
      CREATE INDEX events_type ON events (module, type, height, tx_index, event_index);
      CREATE TABLE accounts (
        address text PRIMARY KEY,
        next_nonce bigint NOT NULL DEFAULT 0,
        first_seen_height bigint NOT NULL,
        last_seen_height bigint NOT NULL,
        balance numeric,
        balance_height bigint,
        tx_count bigint NOT NULL DEFAULT 0
      );
      -- Every transaction that concerns an account: sent by it or naming it in an event.
      CREATE TABLE account_txs (
        address text NOT NULL,
        height bigint NOT NULL,
        tx_index integer NOT NULL,
        tx_hash text NOT NULL REFERENCES transactions(hash),
        PRIMARY KEY (address, height, tx_index)
      );
    `,
  },
];

/** Brings the schema up to the newest version; returns the versions it applied. */
export async function migrate(pool: pg.Pool): Promise<number[]> {
  const c = await pool.connect();
  try {
    // One indexer migrating at a time: a second one waits here, then finds nothing to do.
    await c.query("SELECT pg_advisory_lock(7261001)");
    await c.query("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
    const done = new Set((await c.query<{ version: number }>("SELECT version FROM schema_migrations")).rows.map((r) => r.version));
    const newest = MIGRATIONS[MIGRATIONS.length - 1].version;
    const unknown = [...done].filter((v) => v > newest);
    if (unknown.length > 0) throw new CivitasError(ErrorCode.INDEXER_DB_ERROR, `the database has schema version ${Math.max(...unknown)}, newer than this indexer knows (${newest}); run a newer civitas`, { versions: unknown });
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await c.query("BEGIN");
      try {
        await c.query(m.sql);
        await c.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [m.version, m.name]);
        await c.query("COMMIT");
      } catch (e) {
        await c.query("ROLLBACK");
        throw new CivitasError(ErrorCode.INDEXER_DB_ERROR, `migration ${m.version} (${m.name}) failed: ${(e as Error).message}`, { version: m.version });
      }
      applied.push(m.version);
    }
    return applied;
  } finally {
    await c.query("SELECT pg_advisory_unlock(7261001)").catch(() => undefined);
    c.release();
  }
}
