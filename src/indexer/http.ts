/**
 * The indexer's tiny read-only HTTP API (`civitas indexer --serve <port>`): GET only, JSON
 * answers, errors as `{code, message, details}` with the node API's statuses. It serves only
 * what the chain already makes public (blocks, transactions, events), so it allows any origin:
 * the console's explorer calls it from the browser.
 */
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { statusFor } from "../api/errors.js";
import { CivitasError, ErrorCode, isCivitasError } from "../util/errors.js";
import type { IndexerQueries } from "./queries.js";
import { asIndexerError } from "./queries.js";

type Handler = (m: RegExpMatchArray, q: URLSearchParams) => Promise<unknown>;

function routes(qs: IndexerQueries): Array<[RegExp, Handler]> {
  const p = (q: URLSearchParams, k: string): string | undefined => q.get(k) ?? undefined;
  return [
    [/^\/v1\/indexer\/status$/, () => qs.status()],
    [/^\/v1\/indexer\/blocks$/, async (_m, q) => ({ blocks: await qs.latestBlocks(p(q, "limit"), p(q, "before")) })],
    [/^\/v1\/indexer\/blocks\/([^/]+)$/, (m) => qs.block(decodeURIComponent(m[1]))],
    [/^\/v1\/indexer\/txs\/([^/]+)$/, (m) => qs.tx(decodeURIComponent(m[1]))],
    [/^\/v1\/indexer\/accounts\/([^/]+)$/, (m) => qs.account(decodeURIComponent(m[1]))],
    [/^\/v1\/indexer\/accounts\/([^/]+)\/txs$/, async (m, q) => ({ address: m[1].toLowerCase(), txs: await qs.txsByAccount(decodeURIComponent(m[1]), p(q, "limit"), p(q, "before")) })],
    [/^\/v1\/indexer\/events$/, async (_m, q) => ({ type: p(q, "type"), events: await qs.eventsByType(p(q, "type") ?? "", p(q, "limit"), p(q, "fromHeight")) })],
    [/^\/v1\/indexer\/search$/, (_m, q) => qs.search(p(q, "q") ?? "")],
  ];
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "access-control-allow-origin": "*", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

export function serveQueries(qs: IndexerQueries, port: number, host = "127.0.0.1"): Promise<{ server: Server; url: string }> {
  const table = routes(qs);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      try {
        if (req.method !== "GET" && req.method !== "HEAD") throw new CivitasError(ErrorCode.API_BAD_REQUEST, "the indexer API is read-only: GET only", { method: req.method });
        const url = new URL(req.url ?? "/", "http://indexer");
        for (const [re, h] of table) {
          const m = url.pathname.match(re);
          if (m) return send(res, 200, await h(m, url.searchParams));
        }
        throw new CivitasError(ErrorCode.API_NOT_FOUND, `no indexer route ${url.pathname}`, { path: url.pathname });
      } catch (e) {
        const mapped = asIndexerError(e);
        const err = isCivitasError(mapped) ? mapped : new CivitasError(ErrorCode.INTERNAL, "internal error");
        // A database failure is the operator's to see, not the browser's: the client gets the code only.
        if (err.code === ErrorCode.INDEXER_DB_ERROR || err.code === ErrorCode.INTERNAL) {
          process.stderr.write(`indexer API: ${req.method} ${req.url}: ${(e as Error)?.message ?? String(e)}\n`);
          send(res, 503, { code: err.code, message: "the index is not available", details: {} });
          return;
        }
        send(res, statusFor(err.code), err.toJSON());
      }
    })();
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const a = server.address() as AddressInfo;
      resolve({ server, url: `http://${host}:${a.port}` });
    });
  });
}
