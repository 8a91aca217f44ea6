/**
 * The management API of `civitas console` (src/api/manage.ts) in-process with a temporary
 * CIVITAS_HOME: refusals of foreign Host names, foreign origins and non-JSON POSTs; a bad spec
 * refused with 400 and its field, recording nothing; a good spec recorded and listed as stopped;
 * start/stop of an unknown network refused by name; a stopped network's page (nodes stopped
 * with their hardware profile, accounts in the spec's order); a node's log files filtered by
 * level, keyword and source (the process output with a crash's stack trace); export as a
 * .tar.gz of the deployment files; delete only with the name repeated. Starting real nodes is
 * covered by test/e2e/console-flow.test.ts.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { gunzipSync } from "node:zlib";
import { Parser } from "tar";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { buildManageApi } from "../../src/api/manage.js";
import { freePortRange } from "../../src/util/ports.js";

const PORT = 8700;
const HOST = `127.0.0.1:${PORT}`;
const TOKEN = "t0ken-of-this-console-session";
const AUTH = { authorization: `Bearer ${TOKEN}` };
let home: string;
let saved: string | undefined;
let app: FastifyInstance;

before(async () => {
  home = await mkdtemp(join(tmpdir(), "civitas-manage-"));
  saved = process.env.CIVITAS_HOME;
  process.env.CIVITAS_HOME = home;
  app = await buildManageApi({ host: "127.0.0.1", port: PORT, token: TOKEN });
});

after(async () => {
  await app.close();
  if (saved === undefined) delete process.env.CIVITAS_HOME;
  else process.env.CIVITAS_HOME = saved;
  await rm(home, { recursive: true, force: true });
});

const json = { "content-type": "application/json", host: HOST, ...AUTH };

test("foreign Host names and origins get 403, non-JSON POSTs 400, before any route runs", async () => {
  const rebound = await app.inject({ method: "GET", url: "/v1/manage/networks", headers: { host: `evil.example:${PORT}` } });
  assert.equal(rebound.statusCode, 403);
  assert.equal(rebound.json().code, "ACCESS_DENIED");
  const otherPort = await app.inject({ method: "GET", url: "/v1/manage/networks", headers: { host: "127.0.0.1:9999" } });
  assert.equal(otherPort.statusCode, 403);
  const cross = await app.inject({ method: "POST", url: "/v1/manage/networks/x/stop", headers: { ...json, origin: "https://evil.example" }, payload: "{}" });
  assert.equal(cross.statusCode, 403);
  const form = await app.inject({ method: "POST", url: "/v1/manage/networks/x/stop", headers: { host: HOST, ...AUTH, "content-type": "text/plain" }, payload: "x" });
  assert.equal(form.statusCode, 400);
  assert.equal(form.json().details.field, "content-type");
  const ok = await app.inject({ method: "GET", url: "/v1/manage/networks", headers: { host: `localhost:${PORT}`, origin: `http://localhost:${PORT}`, ...AUTH } });
  assert.equal(ok.statusCode, 200);
  assert.deepEqual(ok.json(), { networks: [] });
});

test("every /v1/manage request needs the session token; the console's static files do not", async () => {
  for (const authorization of [undefined, "Bearer wrong-token-of-same-shape", `Bearer ${TOKEN}x`, TOKEN, `Basic ${TOKEN}`]) {
    const r = await app.inject({ method: "GET", url: "/v1/manage/networks", headers: { host: HOST, ...(authorization ? { authorization } : {}) } });
    assert.equal(r.statusCode, 401, String(authorization));
    assert.equal(r.json().code, "AUTH_REQUIRED");
    assert.match(r.json().message, /open the link `civitas console` printed/);
  }
  const post = await app.inject({ method: "POST", url: "/v1/manage/networks", headers: { host: HOST, "content-type": "application/json" }, payload: JSON.stringify({ version: 1, name: "sneaky", nodes: { validators: 4 } }) });
  assert.equal(post.statusCode, 401);
  assert.equal(existsSync(join(home, "networks")), false, "nothing created without the token");
  const page = await app.inject({ method: "GET", url: "/console", headers: { host: HOST } });
  assert.notEqual(page.statusCode, 401);
  await assert.rejects(buildManageApi({ host: "127.0.0.1", port: PORT, token: "short" }), /16-128 base64url/);
});

test("a bad spec is refused with 400 and its field, and nothing is recorded", async () => {
  const cases: Array<[unknown, string]> = [
    [{ version: 1, name: "two", nodes: { validators: 2 } }, "nodes.validators"],
    [{ version: 1, name: "typo", nodes: { validators: 4, fullnodes: 1 } }, "nodes.fullnodes"],
    [{ version: 1, name: "Bad Name", nodes: { validators: 4 } }, "name"],
    [{ version: 1, name: "solo-many", consensus: { algorithm: "solo" }, nodes: { validators: 2 } }, "nodes.validators"],
  ];
  for (const [spec, field] of cases) {
    const r = await app.inject({ method: "POST", url: "/v1/manage/networks", headers: json, payload: JSON.stringify(spec) });
    assert.equal(r.statusCode, 400, r.body);
    assert.equal(r.json().code, "CONFIG_INVALID");
    assert.equal(r.json().details.field, field, r.body);
  }
  assert.equal(existsSync(join(home, "networks")), false);
});

test("a good spec is recorded and listed as stopped; start/stop of an unknown network is refused", { timeout: 60_000 }, async () => {
  const base = await freePortRange(2);
  const spec = { version: 1, name: "solo-one", consensus: { algorithm: "solo" }, nodes: { validators: 1 }, ports: { apiBase: base, p2pBase: base + 1 } };
  const r = await app.inject({ method: "POST", url: "/v1/manage/networks", headers: json, payload: JSON.stringify(spec) });
  assert.equal(r.statusCode, 201, r.body);
  assert.equal(r.json().status, "stopped");
  assert.deepEqual(r.json().nodes, [{ name: "node0", role: "validator", api: `http://127.0.0.1:${base}`, p2p: `127.0.0.1:${base + 1}` }]);
  const again = await app.inject({ method: "POST", url: "/v1/manage/networks", headers: json, payload: JSON.stringify(spec) });
  assert.equal(again.statusCode, 400);
  assert.equal(again.json().details.field, "name");
  const list = (await app.inject({ method: "GET", url: "/v1/manage/networks", headers: { host: HOST, ...AUTH } })).json() as { networks: Array<{ name: string; status: string; apis: string[] }> };
  assert.deepEqual(list.networks.map((n) => [n.name, n.status, n.apis]), [["solo-one", "stopped", [`http://127.0.0.1:${base}`]]]);
  for (const what of ["start", "stop", "delete", "export"]) {
    const u = await app.inject({ method: "POST", url: `/v1/manage/networks/nope/${what}`, headers: json, payload: "{}" });
    assert.equal(u.statusCode, 404, what);
    assert.match(u.json().message, /no network named 'nope'/);
  }
  // A name that is not a network name never reaches the disk: 400 from the registry's check.
  const traversal = await app.inject({ method: "POST", url: `/v1/manage/networks/..%2F..%2Fetc/export`, headers: json, payload: JSON.stringify({ target: "compose" }) });
  assert.equal(traversal.statusCode, 400);
  assert.match(traversal.json().message, /is not a network name/);
  const stopIdle = await app.inject({ method: "POST", url: "/v1/manage/networks/solo-one/stop", headers: json, payload: "{}" });
  assert.equal(stopIdle.statusCode, 200);
  assert.deepEqual(stopIdle.json(), { name: "solo-one", status: "stopped", stopped: [], killed: 0 });
});

test("a stopped network's page: nodes stopped with their hardware profile, accounts in the spec's order; an unknown one is 404", { timeout: 60_000 }, async () => {
  const base = await freePortRange(4);
  const spec = { version: 1, name: "pair", consensus: { algorithm: "bft", allowNoFaultTolerance: true }, nodes: { validators: 2, hardware: { cpus: 1, memoryMiB: 640, storageMiB: 3072 } }, ports: { apiBase: base, p2pBase: base + 2 }, accounts: [{ name: "zeta" }, { name: "alice", balance: "5" }] };
  const r = await app.inject({ method: "POST", url: "/v1/manage/networks", headers: json, payload: JSON.stringify(spec) });
  assert.equal(r.statusCode, 201, r.body);
  const d = (await app.inject({ method: "GET", url: "/v1/manage/networks/pair", headers: { host: HOST, ...AUTH } })).json() as {
    status: string;
    consensus: string;
    faultTolerance: number;
    accounts: Array<{ name: string; address: string }>;
    nodes: Array<{ name: string; role: string; process: string; health: string; reason: string; hardware: unknown; height?: number }>;
  };
  assert.equal(d.status, "stopped");
  assert.equal(d.consensus, "bft");
  assert.equal(d.faultTolerance, 0);
  // The first account of the spec is the authority, listed first although "alice" sorts before it.
  assert.deepEqual(d.accounts.map((a) => a.name), ["zeta", "alice"]);
  assert.ok(d.accounts.every((a) => /^0x[0-9a-f]{40}$/.test(a.address)));
  assert.deepEqual(
    d.nodes.map((n) => [n.name, n.role, n.process, n.health, n.height]),
    [
      ["node0", "validator", "stopped", "stopped", undefined],
      ["node1", "validator", "stopped", "stopped", undefined],
    ],
  );
  assert.deepEqual(d.nodes[0].hardware, { cpus: 1, memoryMiB: 640, storageMiB: 3072 });
  assert.match(d.nodes[0].reason, /not running/);
  const unknown = await app.inject({ method: "GET", url: "/v1/manage/networks/nope", headers: { host: HOST, ...AUTH } });
  assert.equal(unknown.statusCode, 404);
  assert.equal(unknown.json().code, "API_NOT_FOUND");
});

test("a node's log files are read from its home and filtered by level, keyword and source; bad filters are 400", async () => {
  const nodeHome = join(home, "networks", "pair", "node1");
  mkdirSync(join(nodeHome, "logs"), { recursive: true });
  const line = (level: number, time: number, source: string, msg: string): string => JSON.stringify({ level, time, node: "node1", source, msg }) + "\n";
  // Two rotated files of the node source (the older one first), a system file, and the process output with a crash.
  writeFileSync(join(nodeHome, "logs", "node.1.log"), line(30, 1000, "node", "node started") + line(40, 1100, "node", "peer down"));
  writeFileSync(join(nodeHome, "logs", "node.2.log"), line(30, 1300, "node", "block committed"));
  writeFileSync(join(nodeHome, "logs", "system.1.log"), line(30, 1200, "system", "monitoring started"));
  writeFileSync(join(nodeHome, "node.log"), "node node1 serving http://127.0.0.1:1\nnull\n" + line(30, 1300, "node", "block committed") + "Error: disk I/O failed\n    at Chain.commit (chain.js:1:1)\n");
  const get = async (q: string): Promise<{ status: number; body: { code?: string; entries: Array<{ source: string; level: string; msg: string; time: number }> } }> => {
    const res = await app.inject({ method: "GET", url: `/v1/manage/networks/pair/nodes/node1/logs${q}`, headers: { host: HOST, ...AUTH } });
    return { status: res.statusCode, body: res.json() };
  };
  const all = await get("");
  assert.equal(all.status, 200);
  // Newest first across sources; the process output keeps only what the files do not hold (the crash), placed after the last timed line.
  assert.deepEqual(
    all.body.entries.map((e) => [e.source, e.msg]),
    [
      ["process", "at Chain.commit (chain.js:1:1)"],
      ["process", "Error: disk I/O failed"],
      ["node", "block committed"],
      ["system", "monitoring started"],
      ["node", "peer down"],
      ["node", "node started"],
      // Printed before any timed line: placed first in time, and a JSON `null` is text like any other.
      ["process", "null"],
      ["process", "node node1 serving http://127.0.0.1:1"],
    ],
  );
  assert.deepEqual((await get("?level=warn&source=node")).body.entries.map((e) => e.msg), ["peer down"]);
  assert.deepEqual((await get("?keyword=MONITORING")).body.entries.map((e) => e.msg), ["monitoring started"]);
  assert.deepEqual((await get("?source=process&keyword=disk")).body.entries.map((e) => e.msg), ["Error: disk I/O failed"]);
  // The crash is what filtering for errors is for.
  assert.deepEqual((await get("?level=error")).body.entries.map((e) => [e.source, e.level, e.msg]), [
    ["process", "error", "at Chain.commit (chain.js:1:1)"],
    ["process", "error", "Error: disk I/O failed"],
  ]);
  assert.equal((await get("?limit=2")).body.entries.length, 2);
  for (const [q, param] of [
    ["?level=loud", "level"],
    ["?source=kernel", "source"],
    ["?limit=0", "limit"],
  ]) {
    const bad = await get(q);
    assert.equal(bad.status, 400, q);
    assert.equal((bad.body as unknown as { details: { param: string } }).details.param, param);
  }
  const noNode = await get("").then(async () => app.inject({ method: "GET", url: "/v1/manage/networks/pair/nodes/node7/logs", headers: { host: HOST, ...AUTH } }));
  assert.equal(noNode.statusCode, 404);
  assert.match(noNode.json().message, /has no node 'node7' \(it has node0, node1\)/);
});

test("export answers a .tar.gz of the deployment files; a bad target is 400", async () => {
  const r = await app.inject({ method: "POST", url: "/v1/manage/networks/pair/export", headers: json, payload: JSON.stringify({ target: "systemd" }) });
  assert.equal(r.statusCode, 200, r.body);
  assert.equal(r.headers["content-type"], "application/gzip");
  assert.equal(r.headers["content-disposition"], 'attachment; filename="pair-systemd.tar.gz"');
  const names: string[] = [];
  const parser = new Parser({ onReadEntry: (e) => (names.push(e.path), e.resume()) });
  parser.end(gunzipSync(r.rawPayload));
  assert.ok(names.includes("pair-systemd/README.md"), names.join(" "));
  assert.ok(names.some((n) => /^pair-systemd\/.*\.service$/.test(n)), names.join(" "));
  assert.ok(names.every((n) => n.startsWith("pair-systemd/")));
  const bad = await app.inject({ method: "POST", url: "/v1/manage/networks/pair/export", headers: json, payload: JSON.stringify({ target: "k8s" }) });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().details.field, "target");
});

test("delete needs the name repeated; then the folder and the record are gone", async () => {
  const dir = join(home, "networks", "pair");
  for (const body of [{}, { confirm: "pai" }]) {
    const r = await app.inject({ method: "POST", url: "/v1/manage/networks/pair/delete", headers: json, payload: JSON.stringify(body) });
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().details.field, "confirm");
    assert.ok(existsSync(join(dir, "network.json")), "nothing removed");
  }
  const form = await app.inject({ method: "POST", url: "/v1/manage/networks/pair/delete", headers: { host: HOST, ...AUTH, "content-type": "text/plain" }, payload: "pair" });
  assert.equal(form.statusCode, 400);
  const ok = await app.inject({ method: "POST", url: "/v1/manage/networks/pair/delete", headers: json, payload: JSON.stringify({ confirm: "pair" }) });
  assert.equal(ok.statusCode, 200, ok.body);
  assert.equal(ok.json().deleted, true);
  assert.equal(existsSync(dir), false);
  const list = (await app.inject({ method: "GET", url: "/v1/manage/networks", headers: { host: HOST, ...AUTH } })).json() as { networks: Array<{ name: string }> };
  assert.deepEqual(list.networks.map((n) => n.name), ["solo-one"]);
});
