/**
 * The management API of `civitas console` (src/api/manage.ts) in-process with a temporary
 * CIVITAS_HOME: refusals of foreign Host names, foreign origins and non-JSON POSTs; a bad spec
 * refused with 400 and its field, recording nothing; a good spec recorded and listed as stopped;
 * start/stop of an unknown network refused by name. Starting real nodes is covered by
 * test/e2e/console-networks.test.ts.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { buildManageApi } from "../../src/api/manage.js";
import { freePortRange } from "../../src/util/ports.js";

const PORT = 8700;
const HOST = `127.0.0.1:${PORT}`;
let home: string;
let saved: string | undefined;
let app: FastifyInstance;

before(async () => {
  home = await mkdtemp(join(tmpdir(), "civitas-manage-"));
  saved = process.env.CIVITAS_HOME;
  process.env.CIVITAS_HOME = home;
  app = await buildManageApi({ host: "127.0.0.1", port: PORT });
});

after(async () => {
  await app.close();
  if (saved === undefined) delete process.env.CIVITAS_HOME;
  else process.env.CIVITAS_HOME = saved;
  await rm(home, { recursive: true, force: true });
});

const json = { "content-type": "application/json", host: HOST };

test("foreign Host names and origins get 403, non-JSON POSTs 400, before any route runs", async () => {
  const rebound = await app.inject({ method: "GET", url: "/v1/manage/networks", headers: { host: `evil.example:${PORT}` } });
  assert.equal(rebound.statusCode, 403);
  assert.equal(rebound.json().code, "ACCESS_DENIED");
  const otherPort = await app.inject({ method: "GET", url: "/v1/manage/networks", headers: { host: "127.0.0.1:9999" } });
  assert.equal(otherPort.statusCode, 403);
  const cross = await app.inject({ method: "POST", url: "/v1/manage/networks/x/stop", headers: { ...json, origin: "https://evil.example" }, payload: "{}" });
  assert.equal(cross.statusCode, 403);
  const form = await app.inject({ method: "POST", url: "/v1/manage/networks/x/stop", headers: { host: HOST, "content-type": "text/plain" }, payload: "x" });
  assert.equal(form.statusCode, 400);
  assert.equal(form.json().details.field, "content-type");
  const ok = await app.inject({ method: "GET", url: "/v1/manage/networks", headers: { host: `localhost:${PORT}`, origin: `http://localhost:${PORT}` } });
  assert.equal(ok.statusCode, 200);
  assert.deepEqual(ok.json(), { networks: [] });
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
  const list = (await app.inject({ method: "GET", url: "/v1/manage/networks", headers: { host: HOST } })).json() as { networks: Array<{ name: string; status: string; apis: string[] }> };
  assert.deepEqual(list.networks.map((n) => [n.name, n.status, n.apis]), [["solo-one", "stopped", [`http://127.0.0.1:${base}`]]]);
  for (const what of ["start", "stop"]) {
    const u = await app.inject({ method: "POST", url: `/v1/manage/networks/nope/${what}`, headers: json, payload: "{}" });
    assert.equal(u.statusCode, 400);
    assert.match(u.json().message, /no network named 'nope'/);
  }
  const stopIdle = await app.inject({ method: "POST", url: "/v1/manage/networks/solo-one/stop", headers: json, payload: "{}" });
  assert.equal(stopIdle.statusCode, 200);
  assert.deepEqual(stopIdle.json(), { name: "solo-one", status: "stopped", stopped: [], killed: 0 });
});
