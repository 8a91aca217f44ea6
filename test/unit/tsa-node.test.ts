import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { initHome, loadHome, loadValidatorKey } from "../../src/node/home.js";
import { CivitasNode } from "../../src/node/node.js";
import { initTsaWithNewCa } from "../../src/proof/tsa/home.js";
import { openCheckpoint } from "../../src/proof/checkpoint/checkpoint.js";
import { parseVerifierKey } from "../../src/proof/checkpoint/note.js";
import { buildTimestampRequest } from "../../src/proof/tsa/request.js";
import { getTsaCertificates, requestTimestamp } from "../../src/sdk/tsa.js";

const PASS = "tsa-node-test";

async function startNode(dir: string): Promise<CivitasNode> {
  const r = initHome({ home: dir, chainId: "tsa-test", cryptoSuite: "ed25519-sha256", consensus: "solo", authority: "", balances: [], passphrase: PASS, scryptN: 1024, config: { moniker: "node-0", api: { host: "127.0.0.1", port: 0 } } });
  await initTsaWithNewCa(r.dir, { chainId: "tsa-test", moniker: "node-0" });
  const home = loadHome(dir);
  return CivitasNode.start({ config: { ...home.config, verifyWorkers: 1 }, genesis: home.genesis, dataPath: home.dataPath, home: home.dir, secretKey: loadValidatorKey(home, PASS), logger: pino({ level: "silent" }) });
}

test("tsa node: POST /v1/tsa answers openssl and SDK requests; bad requests are rejections or 4xx, never crashes", async () => {
  const dir = mkdtempSync(join(tmpdir(), "civitas-tsa-node-"));
  const node = await startNode(dir);
  try {
    assert.equal(statSync(join(dir, "tsa", "tsa.key")).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, "ca", "ca.key")).mode & 0o777, 0o600);
    const certs = await getTsaCertificates(node.url);
    writeFileSync(join(dir, "ca.pem"), certs.networkCa);
    writeFileSync(join(dir, "tsa.pem"), certs.tsaCertificate);
    const data = new TextEncoder().encode("bachelor of science, 2024, A. Student");
    writeFileSync(join(dir, "doc.bin"), data);

    const r = await requestTimestamp(node.url, { data, trustedRoots: [certs.networkCa], maxSkewMs: 60_000 });
    assert.ok(r.verified);
    assert.match(r.verified.tsa.subject, /tsa-test TSA node-0/);
    writeFileSync(join(dir, "token.tsr"), r.response);
    const v = spawnSync("/usr/bin/openssl", ["ts", "-verify", "-data", "doc.bin", "-in", "token.tsr", "-CAfile", "ca.pem", "-untrusted", "tsa.pem"], { cwd: dir, encoding: "utf8" });
    assert.equal(v.status, 0, v.stdout + v.stderr);

    // An openssl query over HTTP, the reply checked by openssl against that query.
    assert.equal(spawnSync("/usr/bin/openssl", ["ts", "-query", "-data", "doc.bin", "-sha512", "-cert", "-out", "q.tsq"], { cwd: dir }).status, 0);
    const q = await fetch(`${node.url}/v1/tsa`, { method: "POST", headers: { "content-type": "application/timestamp-query" }, body: readFileSync(join(dir, "q.tsq")) });
    assert.equal(q.status, 200);
    assert.equal(q.headers.get("content-type"), "application/timestamp-reply");
    writeFileSync(join(dir, "q.tsr"), new Uint8Array(await q.arrayBuffer()));
    const v2 = spawnSync("/usr/bin/openssl", ["ts", "-verify", "-queryfile", "q.tsq", "-in", "q.tsr", "-CAfile", "ca.pem"], { cwd: dir, encoding: "utf8" });
    assert.equal(v2.status, 0, v2.stdout + v2.stderr);

    // Garbage: a rejection TimeStampResp, HTTP 200, that openssl reads.
    const bad = await fetch(`${node.url}/v1/tsa`, { method: "POST", headers: { "content-type": "application/timestamp-query" }, body: new TextEncoder().encode("hello") });
    assert.equal(bad.status, 200);
    writeFileSync(join(dir, "bad.tsr"), new Uint8Array(await bad.arrayBuffer()));
    const t = spawnSync("/usr/bin/openssl", ["ts", "-reply", "-in", "bad.tsr", "-text"], { cwd: dir, encoding: "utf8" });
    assert.match(t.stdout, /Status: Rejected/);
    // Too large: refused before parsing. Wrong media type: a JSON error.
    const big = await fetch(`${node.url}/v1/tsa`, { method: "POST", headers: { "content-type": "application/timestamp-query" }, body: new Uint8Array(10_000) });
    assert.equal(big.status, 413);
    assert.equal(((await big.json()) as { code: string }).code, "API_BODY_TOO_LARGE");
    const json = await fetch(`${node.url}/v1/tsa`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ hash: "00" }) });
    assert.equal(json.status, 400);
    assert.equal(((await json.json()) as { code: string }).code, "API_BAD_REQUEST");
    const empty = await fetch(`${node.url}/v1/tsa`, { method: "POST", headers: { "content-type": "application/timestamp-query" }, body: new Uint8Array(0) });
    assert.ok(empty.status === 200 || empty.status === 400, `empty body: ${empty.status}`);
    // The proof log's checkpoint: a C2SP note that opens with the served verifier key.
    const cpRes = await fetch(`${node.url}/v1/proofs/checkpoint`);
    assert.equal(cpRes.status, 200);
    const cp = (await cpRes.json()) as { note: string; verifierKey: string; size: number; origin: string };
    assert.equal(cp.origin, "civitas/tsa-test/proofs");
    assert.deepEqual(openCheckpoint(cp.note, parseVerifierKey(cp.verifierKey)).size, cp.size);
    assert.equal(await (await fetch(`${node.url}/v1/proofs/checkpoint?format=note`)).text(), cp.note);
    const cons = await fetch(`${node.url}/v1/proofs/consistency?from=0&to=${cp.size}`);
    assert.equal(cons.status, 200);
    const badCons = await fetch(`${node.url}/v1/proofs/consistency?from=2&to=1`);
    assert.equal(badCons.status, 400);
    assert.equal((await fetch(`${node.url}/v1/proofs/consistency?from=x&to=1`)).status, 400);
    // The node still answers.
    assert.ok((await fetch(`${node.url}/v1/tsa`, { method: "POST", headers: { "content-type": "application/timestamp-query" }, body: Buffer.from(buildTimestampRequest({ data })) })).ok);
  } finally {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
