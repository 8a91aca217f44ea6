/**
 * The indexer's input checks and helpers that need no database: every bad query parameter is an
 * API_BAD_REQUEST before any SQL runs (the pool here fails the test if it is touched), and
 * mapLimit keeps order and its concurrency bound. The SQL itself is tested against real
 * PostgreSQL in test/e2e/indexer.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type pg from "pg";
import { heightParam, IndexerQueries, limitParam, MAX_LIMIT } from "../../src/indexer/queries.js";
import { mapLimit } from "../../src/indexer/source.js";
import { MIGRATIONS } from "../../src/indexer/migrations.js";
import { CivitasError, ErrorCode } from "../../src/util/errors.js";

const untouchable = new Proxy({} as pg.Pool, {
  get() {
    throw new Error("bad input reached the database");
  },
});
const qs = new IndexerQueries(untouchable);

function badRequest(param: string): (e: unknown) => boolean {
  return (e) => e instanceof CivitasError && e.code === ErrorCode.API_BAD_REQUEST && e.details.param === param;
}

test("limit and height parameters: defaults, bounds, text or numbers", () => {
  assert.equal(limitParam(undefined), 20);
  assert.equal(limitParam("", 7), 7);
  assert.equal(limitParam("5"), 5);
  assert.equal(limitParam(MAX_LIMIT), MAX_LIMIT);
  for (const v of [0, MAX_LIMIT + 1, "-1", "1.5", "abc", "99999", 2.5, null, {}]) assert.throws(() => limitParam(v), badRequest("limit"), String(v));
  assert.equal(heightParam(undefined, "before"), undefined);
  assert.equal(heightParam("0", "before"), 0);
  assert.equal(heightParam(42, "before"), 42);
  for (const v of [-1, "x", "1e3", 1.5, "12345678901234567"]) assert.throws(() => heightParam(v, "before"), badRequest("before"), String(v));
});

test("malformed hashes, addresses, event types and searches are refused before any query", async () => {
  await assert.rejects(qs.tx("zz"), badRequest("hash"));
  await assert.rejects(qs.tx("ab".repeat(31)), badRequest("hash"));
  await assert.rejects(qs.block("latest"), badRequest("block"));
  await assert.rejects(qs.account("0x1234"), badRequest("address"));
  await assert.rejects(qs.account("ab".repeat(20)), badRequest("address"), "an address needs its 0x");
  await assert.rejects(qs.txsByAccount("0x" + "ab".repeat(20), "0"), badRequest("limit"));
  await assert.rejects(qs.txsByAccount("nope"), badRequest("address"));
  for (const t of ["Transfer", "token.", "Token.Transfer", "token.Trans-fer", "a.b.c", ""]) await assert.rejects(qs.eventsByType(t), badRequest("type"), t);
  await assert.rejects(qs.eventsByType("token.Transfer", 10, "-3"), badRequest("fromHeight"));
  for (const q of ["", "   ", "hello", "0x12", "x".repeat(81)]) await assert.rejects(qs.search(q), badRequest("q"), JSON.stringify(q));
});

test("mapLimit keeps input order and never exceeds its bound", async () => {
  let inFlight = 0;
  let peak = 0;
  const out = await mapLimit([50, 10, 30, 0, 20, 40, 5], 3, async (ms, i) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((r) => setTimeout(r, ms));
    inFlight--;
    return i * 2;
  });
  assert.deepEqual(out, [0, 2, 4, 6, 8, 10, 12]);
  assert.equal(peak, 3);
  assert.deepEqual(await mapLimit([], 4, async () => 1), []);
  await assert.rejects(mapLimit([1, 2, 3], 2, async (x) => {
    if (x === 2) throw new Error("boom");
    return x;
  }), /boom/);
});

test("migrations are numbered 1, 2, … without gaps and each creates what the indexer writes", () => {
  assert.deepEqual(MIGRATIONS.map((m) => m.version), MIGRATIONS.map((_, i) => i + 1));
  const all = MIGRATIONS.map((m) => m.sql).join("\n");
  for (const t of ["indexer_state", "blocks", "transactions", "events", "accounts", "account_txs"]) assert.match(all, new RegExp(`CREATE TABLE ${t} \\(`), t);
});

test("PostgreSQL failures become INDEXER_DB_ERROR with a next step; other errors pass through", async () => {
  const { asIndexerError } = await import("../../src/indexer/queries.js");
  const pgMod = (await import("pg")).default;
  const missing = new pgMod.DatabaseError('relation "indexer_state" does not exist', 0, "error");
  missing.code = "42P01";
  const m = asIndexerError(missing);
  assert.ok(m instanceof CivitasError && m.code === ErrorCode.INDEXER_DB_ERROR && /holds no index yet/.test(m.message));
  const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED", syscall: "connect" });
  const r = asIndexerError(refused);
  assert.ok(r instanceof CivitasError && r.code === ErrorCode.INDEXER_DB_ERROR && r.details.cause === "ECONNREFUSED");
  const own = new CivitasError(ErrorCode.TX_NOT_FOUND, "x");
  assert.equal(asIndexerError(own), own);
  const plain = new Error("--pg is required");
  assert.equal(asIndexerError(plain), plain);
});
