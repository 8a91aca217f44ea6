/**
 * The PostgreSQL indexer's query API (`civitas indexer --serve`), proxied under this node's
 * origin at `/v1/explorer/index/*` when node.json sets `api.indexerUrl`. The console runs under
 * a CSP that allows this origin only, so its explorer reaches the index through here rather than
 * by widening the CSP to another host.
 *
 * Only the indexer's GET routes below are forwarded (each with its own path and query schema);
 * answers are cut off after INDEX_TIMEOUT_MS and INDEX_MAX_BYTES. Before it forwards anything
 * the node checks that the index follows *this* chain (same chain id, and the index's block
 * hash at a height both have equals the node's), at most every CHECK_EVERY_MS: an indexer
 * pointed at another chain must not make the explorer show that chain's data as this one's.
 *
 * Errors: not configured → 404 API_NOT_FOUND (with how to configure it); indexer unreachable,
 * slow, oversized, not an indexer, another chain, or its database down → 503 API_UNAVAILABLE
 * (details.reason says which); the indexer's own 4xx answers (bad query, not indexed) pass
 * through unchanged.
 *
 * Reads are decided by the chain's policies exactly as the node's own routes for the same data
 * (routes/access.ts READS): status as GET /v1/status (read.status), blocks as GET /v1/blocks
 * (read.blocks), a transaction as GET /v1/txs (read.txs on the Tx), an account and its history
 * as GET /v1/accounts (read.account on the Account), events as GET /v1/events (read.events on
 * the type's Module); a search is decided by what it found (or, when nothing, by what it asked
 * for) before the answer leaves the node. Under the baseline policy all of them are public; a
 * network that closes /v1/txs closes its index view too. The node's rate limit applies.
 */
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { blockHash } from "../../ledger/block.js";
import { toHex } from "../../util/bytes.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import type { ApiContext } from "../context.js";

export const INDEX_TIMEOUT_MS = 5_000;
export const INDEX_MAX_BYTES = 4 * 1024 * 1024;
const CHECK_EVERY_MS = 10_000;

const SEGMENT = { type: "string", pattern: "^[0-9A-Za-z]{1,80}$" } as const;
const LIMIT = { type: "string", pattern: "^[0-9]{1,4}$", description: "1 to 200 (the indexer's limit); default 20" } as const;
const HEIGHT = { type: "string", pattern: "^[0-9]{1,15}$" } as const;

type Query = Record<string, string | undefined>;
type Uid = { type: string; id: string };
/** The policy question a read asks (as routes/access.ts READS asks it for the node's own routes). */
type Read = { action: string; resource: Uid };

const chainRes = (ctx: ApiContext): Uid => ({ type: "Chain", id: ctx.chain.genesis.chainId });
const txRes = (hash: string): Uid => ({ type: "Tx", id: hash.replace(/^0x/i, "").toLowerCase() });
const accountRes = (address: string): Uid => ({ type: "Account", id: address.toLowerCase() });

/** Path (after /v1/explorer/index) → the indexer route it forwards to, with its schemas. */
interface Forward {
  path: string;
  summary: string;
  params?: Record<string, typeof SEGMENT>;
  query?: Record<string, unknown>;
  target: (p: Record<string, string>) => string;
  /** What the policies decide before forwarding; undefined = decided on the answer (search). */
  read?: (ctx: ApiContext, p: Record<string, string>, q: Query) => Read;
}

const FORWARDS: Forward[] = [
  { path: "/blocks", summary: "Newest indexed blocks first; `before` pages down.", query: { limit: LIMIT, before: HEIGHT }, target: () => "/blocks", read: (c) => ({ action: "read.blocks", resource: chainRes(c) }) },
  { path: "/blocks/:id", summary: "An indexed block by height or hash, with its transactions.", params: { id: SEGMENT }, target: (p) => `/blocks/${p.id}`, read: (c) => ({ action: "read.blocks", resource: chainRes(c) }) },
  { path: "/txs/:hash", summary: "An indexed transaction with its receipt fields and events.", params: { hash: SEGMENT }, target: (p) => `/txs/${p.hash}`, read: (_c, p) => ({ action: "read.txs", resource: txRes(p.hash) }) },
  {
    path: "/accounts/:address",
    summary: "An indexed account: next nonce, balance, first/last height, transaction count.",
    params: { address: SEGMENT },
    target: (p) => `/accounts/${p.address}`,
    read: (_c, p) => ({ action: "read.account", resource: accountRes(p.address) }),
  },
  {
    path: "/accounts/:address/txs",
    summary: "The account's full transaction history (sent by it or naming it in an event), newest first; `before` (a height) pages back.",
    params: { address: SEGMENT },
    query: { limit: LIMIT, before: HEIGHT },
    target: (p) => `/accounts/${p.address}/txs`,
    read: (_c, p) => ({ action: "read.account", resource: accountRes(p.address) }),
  },
  {
    path: "/events",
    summary: "Events of one type (`module.Type`, e.g. token.Transfer), oldest first from `fromHeight`.",
    query: { type: { type: "string", minLength: 1, maxLength: 100 }, limit: LIMIT, fromHeight: HEIGHT },
    target: () => "/events",
    read: (_c, _p, q) => {
      const module = q.type?.includes(".") ? q.type.slice(0, q.type.indexOf(".")) : undefined;
      return { action: "read.events", resource: module ? { type: "Module", id: module } : { type: "Chain", id: "events" } };
    },
  },
  { path: "/search", summary: "One search box over the index: a height, a block or transaction hash, or an address.", query: { q: { type: "string", minLength: 1, maxLength: 80 } }, target: () => "/search" },
];

/** The policy question of a search, by what it found, or by what it asked for when nothing. */
function searchRead(ctx: ApiContext, q: string, found: unknown): Read {
  const f = found as { kind?: unknown; tx?: { hash?: unknown }; account?: { address?: unknown } };
  if (f?.kind === "tx" && typeof f.tx?.hash === "string") return { action: "read.txs", resource: txRes(f.tx.hash) };
  if (f?.kind === "account" && typeof f.account?.address === "string") return { action: "read.account", resource: accountRes(f.account.address) };
  const s = q.trim();
  if (f?.kind === "block" || /^[0-9]+$/.test(s)) return { action: "read.blocks", resource: chainRes(ctx) };
  if (/^0x[0-9a-fA-F]{40}$/.test(s)) return { action: "read.account", resource: accountRes(s) };
  return { action: "read.txs", resource: txRes(s) };
}

function unavailable(reason: string, message: string, details: Record<string, unknown> = {}): CivitasError {
  return new CivitasError(ErrorCode.API_UNAVAILABLE, message, { reason, ...details });
}

const notConfigured = (): CivitasError =>
  new CivitasError(ErrorCode.API_NOT_FOUND, "this node has no indexer configured: run `civitas indexer --pg <url> --node <this node> --serve <port>` and set api.indexerUrl in node.json to its URL (e.g. http://127.0.0.1:8090), then restart the node", {
    setting: "api.indexerUrl",
  });

/** An indexer answer: its HTTP status and parsed JSON body. */
interface Answer {
  status: number;
  body: unknown;
}

async function readLimited(res: Response, max: number): Promise<string> {
  const declared = Number(res.headers.get("content-length") ?? NaN);
  const tooLarge = (): CivitasError => unavailable("too-large", `the indexer's answer is larger than the node relays (${max} bytes)`, { maxBytes: max });
  if (declared > max) {
    await res.body?.cancel();
    throw tooLarge();
  }
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export class IndexProxy {
  private checkedAt = -Infinity;
  private checking: Promise<void> | undefined;
  /** Why the indexer last failed ("" = it answered): the log gets one line per change, not one per request. */
  private lastReason = "";

  constructor(
    private readonly ctx: ApiContext,
    private readonly base: string,
    private readonly timeoutMs = INDEX_TIMEOUT_MS,
    private readonly maxBytes = INDEX_MAX_BYTES,
  ) {}

  /** GET `<indexerUrl>/v1/indexer<path>`; network failures, timeouts and junk become API_UNAVAILABLE. */
  async get(path: string, query: Query = {}): Promise<Answer> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) qs.set(k, v);
    const url = `${this.base}/v1/indexer${path}${qs.size ? `?${qs}` : ""}`;
    let text: string;
    let status: number;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs), redirect: "error", headers: { accept: "application/json" } });
      status = res.status;
      text = await readLimited(res, this.maxBytes);
    } catch (e) {
      if (e instanceof CivitasError) throw e;
      const timeout = e instanceof DOMException && e.name === "TimeoutError";
      if (timeout) throw unavailable("timeout", `the indexer (api.indexerUrl) did not answer within ${this.timeoutMs} ms`, { timeoutMs: this.timeoutMs });
      const cause = (e as { cause?: { code?: unknown } }).cause?.code;
      throw unavailable("unreachable", "the indexer (api.indexerUrl) cannot be reached: is `civitas indexer --serve` running?", { cause: typeof cause === "string" ? cause : null });
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw unavailable("not-an-indexer", `api.indexerUrl answered HTTP ${status} with something that is not JSON: it does not look like a civitas indexer's query API`, { status });
    }
    return { status, body };
  }

  /**
   * The index's status after checking that it indexes this node's chain. Also run (at most every
   * CHECK_EVERY_MS, one at a time) before forwarding anything else.
   */
  async status(): Promise<Record<string, unknown>> {
    // Until this check passes again, every forward re-checks: a failed check must not leave the
    // previous success standing for the rest of CHECK_EVERY_MS.
    this.checkedAt = -Infinity;
    const a = await this.get("/status");
    const st = this.expectOk(a) as { chainId?: unknown; height?: unknown; hash?: unknown };
    if (typeof st !== "object" || st === null || !("chainId" in st) || !("height" in st)) throw unavailable("not-an-indexer", "api.indexerUrl answered /v1/indexer/status without chainId and height: it does not look like a civitas indexer");
    const chainId = this.ctx.chain.genesis.chainId;
    if (st.chainId !== null && st.chainId !== chainId) throw unavailable("other-chain", `the indexer at api.indexerUrl indexes chain '${String(st.chainId)}', not this node's '${chainId}'`, { indexChainId: st.chainId, chainId });
    const head = this.ctx.chain.head().height;
    if (typeof st.height === "number" && st.height >= 0) {
      // Same chain id is not enough (two test chains may share one): compare a block hash both have.
      const h = Math.min(st.height, head);
      const theirs = h === st.height ? st.hash : ((this.expectOk(await this.get(`/blocks/${h}`)) as { hash?: unknown }).hash ?? null);
      const block = this.ctx.chain.getBlock(h);
      const ours = block ? toHex(blockHash(this.ctx.chain.suite, block.header)) : undefined;
      if (ours !== undefined && (typeof theirs !== "string" || theirs.replace(/^0x/, "").toLowerCase() !== ours))
        throw unavailable("other-chain", `the indexer at api.indexerUrl holds block ${h} with hash ${String(theirs)}, but this node's block ${h} is ${ours}: it indexes another chain`, { height: h, indexHash: theirs, hash: ours });
    }
    this.checkedAt = Date.now();
    return { ...st, nodeHeight: head };
  }

  /** An API_UNAVAILABLE answer is logged when the reason changes; an answer after failures is logged once too. */
  note(log: FastifyBaseLogger, e?: CivitasError): void {
    const reason = e ? String(e.details.reason) : "";
    if (reason === this.lastReason) return;
    if (e) log.warn({ reason, details: e.details }, `explorer index unavailable: ${e.message}`);
    else log.warn("explorer index answers again");
    this.lastReason = reason;
  }

  /** Runs the chain check unless one passed less than CHECK_EVERY_MS ago. */
  async ensureChecked(): Promise<void> {
    if (Date.now() - this.checkedAt < CHECK_EVERY_MS) return;
    this.checking ??= this.status()
      .then(() => undefined)
      .finally(() => {
        this.checking = undefined;
      });
    await this.checking;
  }

  /** A 2xx body, or the failure as the node reports it (see the file comment). */
  private expectOk(a: Answer): unknown {
    if (a.status >= 200 && a.status < 300) return a.body;
    throw this.failure(a);
  }

  failure(a: Answer): CivitasError | { status: number; body: { code: string; message: string; details: unknown } } {
    const b = a.body as { code?: unknown; message?: unknown; details?: unknown };
    const shaped = typeof b === "object" && b !== null && typeof b.code === "string" && /^[A-Z][A-Z0-9_]{0,63}$/.test(b.code) && typeof b.message === "string";
    if (!shaped) return unavailable("not-an-indexer", `api.indexerUrl answered HTTP ${a.status} without a {code, message} error: it does not look like a civitas indexer`, { status: a.status });
    const code = b.code as string;
    // Every forwarded route exists on an indexer: a 404 for the route itself means api.indexerUrl points elsewhere.
    if (code === ErrorCode.API_NOT_FOUND) return unavailable("not-an-indexer", "api.indexerUrl does not serve the indexer's query API (/v1/indexer/...)", { status: a.status });
    if (a.status >= 500 || a.status < 400) return unavailable("index-down", `the indexer cannot answer (${code}): its PostgreSQL database may be down`, { indexerCode: code });
    return { status: a.status, body: { code, message: (b.message as string).slice(0, 2000), details: typeof b.details === "object" && b.details !== null ? b.details : {} } };
  }
}

/** Runs `f`; the indexer's unavailability is answered here (503) and logged on change, not as a failed request per call. */
async function guarded(reply: FastifyReply, proxy: IndexProxy, f: () => Promise<unknown>): Promise<unknown> {
  try {
    const out = await f();
    proxy.note(reply.log);
    return out;
  } catch (e) {
    if (!(e instanceof CivitasError && e.code === ErrorCode.API_UNAVAILABLE)) throw e;
    proxy.note(reply.log, e);
    return reply.status(503).header("cache-control", "no-store").send(e.toJSON());
  }
}

function sendAnswer(reply: FastifyReply, proxy: IndexProxy, a: Answer): FastifyReply {
  void reply.header("cache-control", "no-store");
  if (a.status >= 200 && a.status < 300) return reply.send(a.body);
  const f = proxy.failure(a);
  if (f instanceof CivitasError) throw f;
  return reply.status(f.status).send(f.body);
}

export function explorerIndexRoutes(app: FastifyInstance, ctx: ApiContext, o: { timeoutMs?: number; maxBytes?: number } = {}): void {
  // Without an access layer (test harnesses) the node serves what it serves on its own routes then: everything.
  const decide = async (req: FastifyRequest, r: Read): Promise<void> => {
    if (ctx.access) await ctx.access.authorize(req, r.action, r.resource);
  };
  const base = ctx.config.api.indexerUrl;
  const proxy = base ? new IndexProxy(ctx, base, o.timeoutMs, o.maxBytes) : undefined;
  const tags = ["explorer index"];
  const need = (): IndexProxy => {
    if (!proxy) throw notConfigured();
    return proxy;
  };

  app.get(
    "/v1/explorer/index/status",
    { schema: { tags, summary: "Whether this node has a PostgreSQL index (api.indexerUrl) and how far it is: the indexer's status (chainId, height, hash, counts) plus nodeHeight, after checking it indexes this chain. 404 when none is configured, 503 when it is unavailable." } },
    async (req, reply) => {
      const p = need();
      await decide(req, { action: "read.status", resource: chainRes(ctx) });
      void reply.header("cache-control", "no-store");
      return guarded(reply, p, () => p.status());
    },
  );

  for (const f of FORWARDS) {
    const schema: Record<string, unknown> = { tags, summary: `${f.summary} Forwarded to the indexer's /v1/indexer${f.path}.` };
    if (f.params) schema.params = { type: "object", properties: f.params, required: Object.keys(f.params) };
    schema.querystring = { type: "object", properties: f.query ?? {}, additionalProperties: false };
    app.get<{ Params: Record<string, string>; Querystring: Query }>(`/v1/explorer/index${f.path}`, { schema }, async (req, reply) => {
      const p = need();
      if (f.read) await decide(req, f.read(ctx, req.params, req.query));
      const target = f.target(Object.fromEntries(Object.entries(req.params).map(([k, v]) => [k, encodeURIComponent(v)])));
      return guarded(reply, p, async () => {
        await p.ensureChecked();
        const a = await p.get(target, req.query);
        if (!f.read && a.status >= 200 && a.status < 300) await decide(req, searchRead(ctx, req.query.q ?? "", a.body));
        return sendAnswer(reply, p, a);
      });
    });
  }
}
