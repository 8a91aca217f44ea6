/**
 * The node's proxy to a PostgreSQL indexer's query API (`/v1/explorer/index/*`, node.json
 * `api.indexerUrl`), against real nodes and a scripted HTTP server in the indexer's place, so
 * the failures a real indexer does not produce on demand (slow, oversized, not JSON, another
 * chain, its database down) can be shown: only the allowlisted GET routes and query parameters
 * reach the indexer, its answers and 4xx errors pass through, everything else is the node's
 * 503 API_UNAVAILABLE with a reason, and a node without an indexer answers 404 saying how to
 * configure one. test/e2e/console-indexer.test.ts covers the proxy in front of a real indexer.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { DevNode } from "./helpers/devnode.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let upstream: Server;
let upstreamUrl = "";
/** Requests the scripted indexer received (path and query). */
const seen: string[] = [];
let handler: Handler = () => undefined;
let withIndex: DevNode;
let withoutIndex: DevNode;

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};

/** The status a real indexer of `dev`'s chain would give, caught up to its head. */
async function honestStatus(dev: DevNode): Promise<Record<string, unknown>> {
  const head = (await dev.get("/v1/blocks/latest")).body as { hash: string; header: { height: number } };
  return { chainId: dev.chainId, height: head.header.height, hash: head.hash, updatedAt: new Date().toISOString(), blocks: head.header.height + 1, transactions: 1, events: 1, accounts: 2 };
}

/** Answers /v1/indexer/status honestly and the rest with `rest`. */
function indexerOf(dev: DevNode, rest: Handler): Handler {
  return (req, res) => {
    if (req.url === "/v1/indexer/status") void honestStatus(dev).then((s) => json(res, 200, s));
    else rest(req, res);
  };
}

before(async () => {
  upstream = createServer((req, res) => {
    seen.push(req.url ?? "");
    handler(req, res);
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  withIndex = await DevNode.start({ chainId: "idx-proxy", api: { indexerUrl: upstreamUrl + "/" } });
  withoutIndex = await DevNode.start({ chainId: "idx-proxy" });
  await withIndex.commit(withIndex.transfer(withIndex.accounts[0], withIndex.accounts[1].address, 5, 0));
});

after(async () => {
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
  await withIndex?.stop();
  await withoutIndex?.stop();
});

test("without api.indexerUrl every index route is 404 API_NOT_FOUND saying how to configure one", async () => {
  for (const path of ["/v1/explorer/index/status", "/v1/explorer/index/events?type=token.Transfer", "/v1/explorer/index/search?q=1"]) {
    const r = await withoutIndex.get(path);
    assert.equal(r.status, 404, path);
    assert.equal(r.body.code, "API_NOT_FOUND", path);
    assert.match(r.body.message, /api\.indexerUrl in node\.json/);
    assert.equal(r.body.details.setting, "api.indexerUrl");
  }
  const paths = (await withoutIndex.get("/docs/json")).body.paths as Record<string, Record<string, unknown>>;
  for (const p of ["status", "blocks", "blocks/{id}", "txs/{hash}", "accounts/{address}", "accounts/{address}/txs", "events", "search"]) assert.ok(paths[`/v1/explorer/index/${p}`]?.get, `OpenAPI lists GET /v1/explorer/index/${p}`);
});

test("status is the indexer's status plus nodeHeight, after the chain check; answers pass through unchanged", async () => {
  const events = { type: "token.Transfer", events: [{ height: 1, txIndex: 0, eventIndex: 0, txHash: "ab".repeat(32), module: "token", type: "Transfer", accounts: [], attrs: { amount: "5" } }] };
  handler = indexerOf(withIndex, (req, res) => json(res, 200, req.url?.startsWith("/v1/indexer/events") ? events : { path: req.url }));
  seen.length = 0;
  const st = await withIndex.get("/v1/explorer/index/status");
  assert.equal(st.status, 200, st.text);
  assert.equal(st.body.chainId, "idx-proxy");
  assert.equal(st.body.nodeHeight, await withIndex.headHeight());
  assert.equal(st.headers.get("cache-control"), "no-store");

  const ev = await withIndex.get("/v1/explorer/index/events?type=token.Transfer&limit=5&fromHeight=1");
  assert.equal(ev.status, 200, ev.text);
  assert.deepEqual(ev.body, events);
  const addr = withIndex.accounts[1].address;
  for (const [path, forwarded] of [
    [`/v1/explorer/index/accounts/${addr}/txs?limit=20&before=9`, `/v1/indexer/accounts/${addr}/txs?limit=20&before=9`],
    [`/v1/explorer/index/accounts/${addr}`, `/v1/indexer/accounts/${addr}`],
    ["/v1/explorer/index/blocks?limit=3", "/v1/indexer/blocks?limit=3"],
    ["/v1/explorer/index/blocks/7", "/v1/indexer/blocks/7"],
    [`/v1/explorer/index/txs/0x${"cd".repeat(32)}`, `/v1/indexer/txs/0x${"cd".repeat(32)}`],
    ["/v1/explorer/index/search?q=%200x12%20", "/v1/indexer/search?q=+0x12+"],
  ]) {
    const r = await withIndex.get(path);
    assert.equal(r.status, 200, `${path}: ${r.text}`);
    assert.deepEqual(r.body, { path: forwarded }, path);
  }
  // One status check (from the status route) covers the forwarded requests that follow it.
  assert.equal(seen.filter((s) => s === "/v1/indexer/status").length, 1, seen.join(", "));
});

test("only the allowlisted routes and query parameters reach the indexer", async () => {
  handler = indexerOf(withIndex, (req, res) => json(res, 200, { path: req.url }));
  seen.length = 0;
  for (const [method, path, status, code] of [
    ["GET", "/v1/explorer/index/nope", 404, "API_NOT_FOUND"],
    ["GET", "/v1/explorer/index/accounts/0x12/txs/extra", 404, "API_NOT_FOUND"],
    ["GET", "/v1/explorer/index/txs/..%2Fstatus", 400, "API_BAD_REQUEST"],
    ["GET", "/v1/explorer/index/blocks/a%20b", 400, "API_BAD_REQUEST"],
    ["GET", "/v1/explorer/index/events?type=token.Transfer&sql=1", 400, "API_BAD_REQUEST"],
    ["GET", "/v1/explorer/index/blocks?limit=-1", 400, "API_BAD_REQUEST"],
    ["GET", `/v1/explorer/index/search?q=${"1".repeat(81)}`, 400, "API_BAD_REQUEST"],
    ["POST", "/v1/explorer/index/status", 404, "API_NOT_FOUND"],
    ["DELETE", "/v1/explorer/index/blocks/1", 404, "API_NOT_FOUND"],
  ] as const) {
    const r = await withIndex.http(method, path, method === "POST" ? {} : undefined);
    assert.equal(r.status, status, `${method} ${path}: ${r.text}`);
    assert.equal(r.body.code, code, `${method} ${path}`);
  }
  assert.deepEqual(seen, [], "nothing was forwarded");
});

test("the indexer's 4xx errors pass through; its database failures, junk and oversized answers are 503 API_UNAVAILABLE", async () => {
  handler = indexerOf(withIndex, (req, res) => {
    if (req.url?.startsWith("/v1/indexer/txs/")) return json(res, 404, { code: "TX_NOT_FOUND", message: "transaction 00 is not indexed", details: { hash: "00" } });
    if (req.url?.startsWith("/v1/indexer/events")) return json(res, 400, { code: "API_BAD_REQUEST", message: "type must be module.Type, for example token.Transfer", details: { param: "type" } });
    if (req.url === "/v1/indexer/blocks/1") return json(res, 503, { code: "INDEXER_DB_ERROR", message: "the index is not available", details: {} });
    if (req.url === "/v1/indexer/blocks/2") {
      res.writeHead(200, { "content-type": "text/html" });
      return res.end("<html>a web server</html>");
    }
    if (req.url === "/v1/indexer/blocks/3") {
      // 5 MiB without a content-length: the node counts the bytes as they come.
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"pad":"');
      for (let i = 0; i < 5; i++) res.write("x".repeat(1024 * 1024));
      return res.end('"}');
    }
    if (req.url === "/v1/indexer/blocks/4") return json(res, 404, { code: "API_NOT_FOUND", message: "no route", details: {} });
    json(res, 500, { oops: true });
  });
  const tx = await withIndex.get(`/v1/explorer/index/txs/${"00".repeat(32)}`);
  assert.equal(tx.status, 404);
  assert.deepEqual(tx.body, { code: "TX_NOT_FOUND", message: "transaction 00 is not indexed", details: { hash: "00" } });
  const ev = await withIndex.get("/v1/explorer/index/events?type=Transfer");
  assert.equal(ev.status, 400);
  assert.equal(ev.body.details.param, "type");
  for (const [id, reason] of [
    ["1", "index-down"],
    ["2", "not-an-indexer"],
    ["3", "too-large"],
    ["4", "not-an-indexer"],
    ["5", "not-an-indexer"],
  ]) {
    const r = await withIndex.get(`/v1/explorer/index/blocks/${id}`);
    assert.equal(r.status, 503, `block ${id}: ${r.text}`);
    assert.equal(r.body.code, "API_UNAVAILABLE", `block ${id}`);
    assert.equal(r.body.details.reason, reason, `block ${id}: ${r.text}`);
  }
});

test("an index of another chain is refused before anything is shown", async () => {
  const honest = await honestStatus(withIndex);
  for (const [what, status, pattern] of [
    ["another chain id", { ...honest, chainId: "elsewhere" }, /indexes chain 'elsewhere', not this node's 'idx-proxy'/],
    ["another block hash at the same height", { ...honest, hash: "ee".repeat(32) }, /holds block \d+ with hash e{64}, but this node's block/],
  ] as const) {
    handler = (req, res) => json(res, 200, req.url === "/v1/indexer/status" ? status : { path: req.url });
    const r = await withIndex.get("/v1/explorer/index/status");
    assert.equal(r.status, 503, `${what}: ${r.text}`);
    assert.equal(r.body.details.reason, "other-chain", what);
    assert.match(r.body.message, pattern, what);
  }
  // An index ahead of the node is compared at the node's head.
  const head = (await withIndex.get("/v1/blocks/latest")).body as { hash: string; header: { height: number } };
  let wrong = true;
  handler = (req, res) => {
    if (req.url === "/v1/indexer/status") return json(res, 200, { ...honest, height: head.header.height + 50, hash: "ff".repeat(32) });
    if (req.url === `/v1/indexer/blocks/${head.header.height}`) return json(res, 200, { height: head.header.height, hash: wrong ? "aa".repeat(32) : head.hash });
    json(res, 200, { path: req.url });
  };
  assert.equal((await withIndex.get("/v1/explorer/index/status")).body.details?.reason, "other-chain");
  wrong = false;
  const ok = await withIndex.get("/v1/explorer/index/status");
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.height, head.header.height + 50);
});

test("reads are decided by the chain's policies as the node's own routes for the same data", async () => {
  handler = indexerOf(withIndex, (req, res) => {
    if (req.url?.startsWith("/v1/indexer/search")) return json(res, 200, { kind: "account", account: { address: owner.address } });
    json(res, 200, { path: req.url });
  });
  const [authority, owner, other] = withIndex.accounts;
  const hash = "ab".repeat(32);
  const paths = {
    history: `/v1/explorer/index/accounts/${owner.address}/txs?limit=5`,
    account: `/v1/explorer/index/accounts/${owner.address.toUpperCase().replace("0X", "0x")}`,
    tx: `/v1/explorer/index/txs/${hash}`,
    events: "/v1/explorer/index/events?type=token.Transfer",
    search: `/v1/explorer/index/search?q=${owner.address}`,
    status: "/v1/explorer/index/status",
    blocks: "/v1/explorer/index/blocks?limit=2",
  };
  for (const [what, path] of Object.entries(paths)) assert.equal((await withIndex.get(path)).status, 200, `${what} is public under the baseline`);
  const r = await withIndex.client.send(authority.wallet, [
    { module: "access", method: "removePolicy", args: { id: "baseline-chain-data-reads" } },
    { module: "access", method: "setPolicy", args: { id: "own-account-reads", text: `permit (principal is Account, action == Action::"read.account", resource is Account) when { principal == resource };` } },
  ]);
  assert.equal(r.receipt?.status, "ok", JSON.stringify(r.receipt));
  seen.length = 0;
  for (const what of ["history", "account", "tx", "events"] as const) {
    const anon = await withIndex.get(paths[what]);
    assert.deepEqual([anon.status, anon.body.code], [401, "AUTH_REQUIRED"], what);
  }
  assert.deepEqual(seen, [], "a refused read forwards nothing");
  // A search is decided on what it found: an account that is not the caller's.
  const found = await withIndex.get(paths.search);
  assert.deepEqual([found.status, found.body.code], [401, "AUTH_REQUIRED"]);
  const { signedFetch } = await import("../../src/sdk/signed-fetch.js");
  for (const what of ["history", "account", "search"] as const) {
    const mine = await signedFetch(owner.wallet, withIndex.url + paths[what]);
    assert.equal(mine.status, 200, `${what} signed by its owner: ${await mine.clone().text()}`);
    const theirs = await signedFetch(other.wallet, withIndex.url + paths[what]);
    assert.equal(theirs.status, 403, `${what} signed by someone else`);
    assert.equal(((await theirs.json()) as { code: string }).code, "ACCESS_DENIED");
  }
  for (const what of ["status", "blocks"] as const) assert.equal((await withIndex.get(paths[what])).status, 200, `${what} stays public`);
});

test("a slow indexer times out and a stopped one is unreachable: 503 API_UNAVAILABLE", { timeout: 30_000 }, async () => {
  handler = indexerOf(withIndex, () => undefined);
  assert.equal((await withIndex.get("/v1/explorer/index/status")).status, 200);
  const t0 = Date.now();
  const slow = await withIndex.get("/v1/explorer/index/blocks/9");
  assert.equal(slow.status, 503, slow.text);
  assert.equal(slow.body.details.reason, "timeout");
  assert.ok(Date.now() - t0 >= 4_500 && Date.now() - t0 < 10_000, `gave up after ${Date.now() - t0} ms`);

  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
  for (const path of ["/v1/explorer/index/status", "/v1/explorer/index/blocks/9"]) {
    const r = await withIndex.get(path);
    assert.equal(r.status, 503, `${path}: ${r.text}`);
    assert.equal(r.body.code, "API_UNAVAILABLE");
    assert.equal(r.body.details.reason, "unreachable");
    assert.equal(r.body.details.cause, "ECONNREFUSED");
    assert.doesNotMatch(r.body.message, /127\.0\.0\.1/, "the indexer's address is not shown to API clients");
  }
});
