import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pkijs from "pkijs";
import * as asn1js from "asn1js";
import { createNetworkCa } from "../../src/p2p/certs.js";
import { TimeStampAuthority } from "../../src/proof/tsa/authority.js";
import { issueTsaCert } from "../../src/proof/tsa/issue.js";
import { buildTimestampRequest } from "../../src/proof/tsa/request.js";
import { verifyTimestampToken } from "../../src/proof/tsa/verify.js";
import { decodeToken } from "../../src/proof/tsa/token.js";
import { TimestampError } from "../../src/proof/tsa/errors.js";
import { ErrorCode } from "../../src/util/errors.js";

const OPENSSL = "/usr/bin/openssl";

function openssl(args: string[], cwd: string): { ok: boolean; out: string } {
  const r = spawnSync(OPENSSL, args, { cwd, encoding: "utf8" });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

async function setup(): Promise<{ dir: string; ca: { certPem: string; keyPem: string }; tsa: TimeStampAuthority; tsaPem: string }> {
  const dir = mkdtempSync(join(tmpdir(), "civitas-tsa-"));
  const ca = await createNetworkCa({ name: "civitas-test network CA" });
  const cert = await issueTsaCert(ca, { name: "civitas-test TSA node0" });
  const tsa = await TimeStampAuthority.create({ ...cert });
  writeFileSync(join(dir, "ca.pem"), ca.certPem);
  writeFileSync(join(dir, "tsa.pem"), cert.certPem);
  return { dir, ca, tsa, tsaPem: cert.certPem };
}

function respStatus(der: Uint8Array): { status: number; failBits: string } {
  const resp = new pkijs.TimeStampResp({ schema: asn1js.fromBER(der.slice().buffer).result });
  const bits = resp.status.failInfo ? Array.from(resp.status.failInfo.valueBlock.valueHexView, (b) => b.toString(2).padStart(8, "0")).join("") : "";
  return { status: resp.status.status, failBits: bits };
}

test("tsa: the node's token verifies with openssl ts -verify and with the library; openssl queries are answered", async () => {
  const { dir, ca, tsa, tsaPem } = await setup();
  try {
    const data = new TextEncoder().encode("diploma of Jane Doe, 2024\n");
    writeFileSync(join(dir, "doc.txt"), data);
    // Our own request (certReq false: openssl must find the TSA certificate through -untrusted).
    const resp = await tsa.respond(buildTimestampRequest({ data, nonce: 123456789n, certReq: false }));
    writeFileSync(join(dir, "token.tsr"), resp);
    const v = openssl(["ts", "-verify", "-data", "doc.txt", "-in", "token.tsr", "-CAfile", "ca.pem", "-untrusted", "tsa.pem"], dir);
    assert.ok(v.ok, v.out);
    assert.match(v.out, /Verification: OK/);
    const lib = verifyTimestampToken(resp, { trustedRoots: [ca.certPem], certificates: [tsaPem], data, nonce: 123456789n, referenceTime: Date.now(), maxSkewMs: 60_000 });
    assert.equal(lib.digestAlgorithm, "SHA-256");
    assert.equal(lib.nonce, "123456789");
    assert.match(lib.tsa.subject, /CN=civitas-test TSA node0/);
    assert.deepEqual(lib.chain.length, 2);
    assert.equal(lib.policy, tsa.policy);

    // An openssl request (with nonce and -cert) answered by the node, checked by openssl against the query.
    assert.ok(openssl(["ts", "-query", "-data", "doc.txt", "-sha256", "-cert", "-out", "req.tsq"], dir).ok);
    const resp2 = await tsa.respond(readFileSync(join(dir, "req.tsq")));
    writeFileSync(join(dir, "resp2.tsr"), resp2);
    const v2 = openssl(["ts", "-verify", "-queryfile", "req.tsq", "-in", "resp2.tsr", "-CAfile", "ca.pem"], dir);
    assert.ok(v2.ok, v2.out);
    const text = openssl(["ts", "-reply", "-in", "resp2.tsr", "-text"], dir);
    assert.match(text.out, /Status: Granted/);
    assert.match(text.out, /Hash Algorithm: sha256/);
    // The bare token (ContentInfo) verifies too, with -token_in.
    writeFileSync(join(dir, "token.der"), decodeToken(resp2).der);
    assert.ok(openssl(["ts", "-verify", "-data", "doc.txt", "-in", "token.der", "-token_in", "-CAfile", "ca.pem"], dir).ok);

    // Another document, another CA: refused by both.
    writeFileSync(join(dir, "other.txt"), "diploma of John Roe\n");
    assert.equal(openssl(["ts", "-verify", "-data", "other.txt", "-in", "token.tsr", "-CAfile", "ca.pem", "-untrusted", "tsa.pem"], dir).ok, false);
    const foreign = await createNetworkCa({ name: "civitas-test network CA" });
    writeFileSync(join(dir, "foreign.pem"), foreign.certPem);
    assert.equal(openssl(["ts", "-verify", "-data", "doc.txt", "-in", "token.tsr", "-CAfile", "foreign.pem", "-untrusted", "tsa.pem"], dir).ok, false);
    assert.throws(() => verifyTimestampToken(resp, { trustedRoots: [foreign.certPem], certificates: [tsaPem], data }), (e: TimestampError) => e.code === ErrorCode.TSA_UNTRUSTED && e.check === "chain");
    assert.throws(() => verifyTimestampToken(resp, { trustedRoots: [ca.certPem], certificates: [tsaPem], data: new TextEncoder().encode("x") }), (e: TimestampError) => e.check === "imprint");
    assert.throws(() => verifyTimestampToken(resp, { trustedRoots: [ca.certPem], data }), (e: TimestampError) => e.check === "signer");
    assert.throws(() => verifyTimestampToken(resp, { trustedRoots: [ca.certPem], certificates: [tsaPem], data, nonce: 5n }), (e: TimestampError) => e.check === "nonce");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("tsa: every flipped byte of a token is refused by the library, and sampled ones by openssl", async () => {
  const { dir, ca, tsa, tsaPem } = await setup();
  try {
    const data = new TextEncoder().encode("invoice 2024-0042");
    writeFileSync(join(dir, "doc.txt"), data);
    const token = decodeToken(await tsa.respond(buildTimestampRequest({ data, certReq: true }))).der;
    const opts = { trustedRoots: [ca.certPem], certificates: [tsaPem], data };
    verifyTimestampToken(token, opts);
    let accepted = 0;
    for (let i = 0; i < token.length; i++) {
      const bad = token.slice();
      bad[i] ^= 0x01;
      try {
        verifyTimestampToken(bad, opts);
        accepted++;
      } catch (e) {
        assert.ok(e instanceof TimestampError, `byte ${i}: ${(e as Error).message}`);
      }
    }
    assert.equal(accepted, 0, "a token with a flipped byte was accepted");
    // openssl agrees on a sample (one process per byte would be slow): the digest algorithm, TSTInfo
    // bytes, signature bytes. (It is laxer about an embedded certificate copy when -untrusted supplies a good one.)
    for (const i of [40, 100, 120, token.length - 5]) {
      const bad = token.slice();
      bad[i] ^= 0x01;
      writeFileSync(join(dir, "bad.der"), bad);
      assert.equal(openssl(["ts", "-verify", "-data", "doc.txt", "-in", "bad.der", "-token_in", "-CAfile", "ca.pem", "-untrusted", "tsa.pem"], dir).ok, false, `openssl accepted byte ${i} flipped`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("tsa: malformed requests get a rejection TimeStampResp with the failure bit, not a crash", async () => {
  const { dir, tsa } = await setup();
  try {
    const garbage = await tsa.respond(new TextEncoder().encode("not asn.1"));
    assert.equal(respStatus(garbage).status, 2); // rejection
    assert.equal(respStatus(garbage).failBits[5], "1"); // badDataFormat
    const sha1 = await tsa.respond(buildTimestampRequest({ hash: new Uint8Array(20), algorithm: "SHA-1" }));
    assert.equal(respStatus(sha1).status, 2);
    assert.equal(respStatus(sha1).failBits[0], "1"); // badAlg
    const policy = await tsa.respond(buildTimestampRequest({ data: new Uint8Array(1), policy: "1.2.3.4" }));
    assert.equal(respStatus(policy).failBits[15], "1"); // unacceptedPolicy
    // A rejection is a well-formed response: openssl prints it.
    writeFileSync(join(dir, "rej.tsr"), garbage);
    const out = openssl(["ts", "-reply", "-in", "rej.tsr", "-text"], dir).out;
    assert.match(out, /Status: Rejected/);
    assert.match(out, /wrong format/i);
    assert.throws(() => verifyTimestampToken(garbage, { trustedRoots: [] }), (e: TimestampError) => e.check === "status");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("tsa: genTime must lie within the configured skew of the reference time", async () => {
  const { ca, tsa, tsaPem, dir } = await setup();
  rmSync(dir, { recursive: true, force: true });
  const at = Math.floor(Date.now() / 1000) * 1000 - 600_000; // inside the certificate's validity
  const fixed = await TimeStampAuthority.create({ certPem: tsaPem, keyPem: (tsa as unknown as { opts: { keyPem: string } }).opts.keyPem, now: () => at });
  const data = new Uint8Array([1, 2, 3]);
  const resp = await fixed.respond(buildTimestampRequest({ data }));
  const base = { trustedRoots: [ca.certPem], certificates: [tsaPem], data };
  assert.equal(verifyTimestampToken(resp, { ...base, referenceTime: at + 30_000, maxSkewMs: 30_000 }).genTime, at);
  assert.throws(() => verifyTimestampToken(resp, { ...base, referenceTime: at + 30_001, maxSkewMs: 30_000 }), (e: TimestampError) => e.code === ErrorCode.TSA_TIME_SKEW && e.details.skewMs === -30_001);
  assert.throws(() => verifyTimestampToken(resp, { ...base, referenceTime: at - 60_000, maxSkewMs: 30_000 }), (e: TimestampError) => e.code === ErrorCode.TSA_TIME_SKEW);
});

test("tsa: tokens of an external TSA made by openssl ts -reply are accepted when their root is configured, refused otherwise", async () => {
  const dir = mkdtempSync(join(tmpdir(), "civitas-tsa-ext-"));
  try {
    const run = (args: string[]): void => {
      execFileSync(OPENSSL, args, { cwd: dir, stdio: "pipe" });
    };
    // An external root and a TSA certificate it issues, RSA to exercise the second signature family.
    run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "root.key", "-out", "root.pem", "-days", "30", "-subj", "/CN=External Test Root", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"]);
    run(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "tsa.key", "-out", "tsa.csr", "-subj", "/CN=External Test TSA"]);
    writeFileSync(join(dir, "ext.cnf"), "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n");
    run(["x509", "-req", "-in", "tsa.csr", "-CA", "root.pem", "-CAkey", "root.key", "-CAcreateserial", "-out", "tsa.pem", "-days", "30", "-extfile", "ext.cnf"]);
    writeFileSync(
      join(dir, "tsa.cnf"),
      ["[ tsa ]", "default_tsa = t", "[ t ]", `serial = ${join(dir, "serial")}`, `signer_cert = ${join(dir, "tsa.pem")}`, `signer_key = ${join(dir, "tsa.key")}`, `certs = ${join(dir, "tsa.pem")}`, "signer_digest = sha256", "default_policy = 1.2.3.4.1", "digests = sha256, sha384", "accuracy = secs:1", "ess_cert_id_alg = sha256", ""].join("\n"),
    );
    writeFileSync(join(dir, "serial"), "01\n");
    writeFileSync(join(dir, "doc.txt"), "e-invoice 7781\n");
    run(["ts", "-query", "-data", "doc.txt", "-sha256", "-cert", "-out", "q.tsq"]);
    run(["ts", "-reply", "-queryfile", "q.tsq", "-config", "tsa.cnf", "-out", "r.tsr"]);
    const resp = readFileSync(join(dir, "r.tsr"));
    const data = readFileSync(join(dir, "doc.txt"));
    const root = readFileSync(join(dir, "root.pem"), "utf8");
    const ok = verifyTimestampToken(resp, { trustedRoots: [root], data });
    assert.match(ok.tsa.subject, /External Test TSA/);
    assert.equal(ok.root.subject, "CN=External Test Root");
    assert.equal(ok.policy, "1.2.3.4.1");
    const networkCa = await createNetworkCa({ name: "civitas-test network CA" });
    assert.throws(() => verifyTimestampToken(resp, { trustedRoots: [networkCa.certPem], data }), (e: TimestampError) => e.code === ErrorCode.TSA_UNTRUSTED);
    assert.throws(() => verifyTimestampToken(resp, { trustedRoots: [root], data, policies: ["1.2.3.4.2"] }), (e: TimestampError) => e.check === "policy");
    // ESS v1 (SHA-1 certificate id) is still what many TSAs send.
    writeFileSync(join(dir, "tsa.cnf"), readFileSync(join(dir, "tsa.cnf"), "utf8").replace("ess_cert_id_alg = sha256", "ess_cert_id_alg = sha1"));
    run(["ts", "-reply", "-queryfile", "q.tsq", "-config", "tsa.cnf", "-out", "r1.tsr"]);
    assert.ok(verifyTimestampToken(readFileSync(join(dir, "r1.tsr")), { trustedRoots: [root], data }));
    // A TSA certificate without the timeStamping EKU is refused even under a trusted root.
    writeFileSync(join(dir, "noeku.cnf"), "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n");
    run(["x509", "-req", "-in", "tsa.csr", "-CA", "root.pem", "-CAkey", "root.key", "-CAcreateserial", "-out", "noeku.pem", "-days", "30", "-extfile", "noeku.cnf"]);
    writeFileSync(join(dir, "tsa2.cnf"), readFileSync(join(dir, "tsa.cnf"), "utf8").replaceAll(join(dir, "tsa.pem"), join(dir, "noeku.pem")));
    const r2 = spawnSync(OPENSSL, ["ts", "-reply", "-queryfile", "q.tsq", "-config", "tsa2.cnf", "-out", "r2.tsr"], { cwd: dir });
    // openssl itself refuses to sign with such a certificate; our check is exercised if it did not.
    if (r2.status === 0) assert.throws(() => verifyTimestampToken(readFileSync(join(dir, "r2.tsr")), { trustedRoots: [root], data }), (e: TimestampError) => e.check === "eku");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
