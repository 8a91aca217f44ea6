/**
 * X.1407 Appendix II (academic certificates) end to end, from the CLI only, on a real node
 * process: a university (an organisation DID) registers a folder of certificates in one
 * aggregated transaction with an RFC 3161 token from the node's TSA (when the chain trusts TSA
 * roots), a student writes the bundle for her certificate, the node is stopped, and an employer
 * checks the bundle offline: valid for her certificate; a tampered certificate, another
 * student's certificate or a tampered bundle fail with the failed part named; `openssl ts
 * -verify` accepts the token in the bundle; the forensic report is written offline.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { decode } from "../../src/codec/index.js";
import type { ProofBundle } from "../../src/proof/bundle/index.js";
import { bundleText } from "../../src/proof/bundle/index.js";
import { decodeRecord } from "../../src/modules/proof/record.js";
import { toPem } from "../../src/proof/tsa/certs.js";
import { decodeToken } from "../../src/proof/tsa/token.js";
import { fromHex } from "../../src/util/bytes.js";
import type { Proc, RunResult } from "./helpers/proc-node.js";
import { describeRun, freePort, killAll, runCli, startNode } from "./helpers/proc-node.js";

const PASS = "proof-academic-passphrase";
const env = { CIVITAS_PASSPHRASE: PASS };
const CHAIN = "academic";
const UNIVERSITY = `did:civitas:${CHAIN}:university-of-example`;
let root: string;
let node: Proc | undefined;
let g: string[];
let withTsa = false;

async function cli(args: string[], expect: number): Promise<RunResult> {
  const r = await runCli(args, { env, timeoutMs: 90_000 });
  assert.equal(r.code, expect, describeRun(args, r));
  return r;
}

const json = <T = Record<string, unknown>>(r: RunResult): T => JSON.parse(r.stdout) as T;

/** A certificate file: a PDF-like header and binary bytes, as a university's system would emit. */
function certificate(name: string, i: number): Uint8Array {
  const text = new TextEncoder().encode(`%PDF-1.7\n% Degree certificate: ${name}, Master of Science, awarded 2024-07-0${i + 1}\n`);
  const out = new Uint8Array(text.length + 256);
  out.set(text);
  for (let k = 0; k < 256; k++) out[text.length + k] = (k * 31 + i * 7) & 0xff;
  return out;
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), "civitas-proof-academic-"));
  const keysDir = join(root, "keys");
  const uni = json<{ address: string; publicKey: string }>(await cli(["--keys-dir", keysDir, "--json", "keys", "new", "university"], 0));
  const home = join(root, "node");
  const port = await freePort();
  await cli(["init", "--home", home, "--chain-id", CHAIN, "--api-port", String(port), "--block-interval-ms", "50", "--balance", `${uni.address}=1000`], 0);
  const genesis = JSON.parse(await readFile(join(home, "genesis.json"), "utf8")) as { tsaRoots?: string[] };
  const registerHelp = await cli(["proof", "register", "--help"], 0);
  // The chain verifies tokens at registration only when genesis names trusted TSA roots.
  withTsa = (genesis.tsaRoots?.length ?? 0) > 0 && registerHelp.stdout.includes("--tsa");
  const started = await startNode(home, env);
  node = started.proc;
  g = ["--keys-dir", keysDir, "--url", started.url];
  const r = json<{ receipt: { status: string; message: string } }>(
    await cli([...g, "--json", "tx", "send", "--key", "university", "--module", "identity", "--method", "createDid", "--args", JSON.stringify({ did: UNIVERSITY, kind: "organisation", document: JSON.stringify({ keys: [uni.publicKey] }) })], 0),
  );
  assert.equal(r.receipt.status, "ok", r.receipt.message);
});

after(async () => {
  await node?.kill();
  await killAll();
  if (root) await rm(root, { recursive: true, force: true });
});

test("Appendix II: the university registers, the student bundles, the employer checks offline after the node is gone", { timeout: 240_000 }, async () => {
  // University: one aggregated registration for the class of 2024.
  const certs = join(root, "certificates-2024");
  await mkdir(certs);
  const students = ["maria", "jonas", "aiko", "kwame", "lucia", "omar"];
  for (const [i, s] of students.entries()) await writeFile(join(certs, `${s}.pdf`), certificate(s, i));
  const reg = json<{ kind: string; count: number; root: string }>(
    await cli([...g, "--json", "proof", "register", certs, "--key", "university", "--owner", UNIVERSITY, "--type", "academic-certificate", "--metadata", '{"class":"2024","degree":"MSc"}', ...(withTsa ? ["--tsa"] : [])], 0),
  );
  assert.equal(reg.kind, "batch");
  assert.equal(reg.count, 6);

  // Student: the bundle for her certificate (the receipt next to the file is found by default).
  const maria = join(certs, "maria.pdf");
  const bundlePath = join(root, "maria.bundle.json");
  await cli([...g, "proof", "bundle", maria, "-o", bundlePath], 0);
  const text = await readFile(bundlePath, "utf8");
  const bundle = JSON.parse(text) as ProofBundle;
  assert.equal(bundle.type, "civitas.proof.bundle/v1");
  assert.equal(bundle.version, 1);
  assert.equal(bundle.aggregation?.root, reg.root);
  assert.equal(bundle.registration.tsaRoots !== null, withTsa, "the bundle proves the TSA roots exactly when the record carries a token");

  // The node goes away for good: everything below is offline.
  await node?.kill();
  node = undefined;
  await assert.rejects(fetch(`${g[3]}/v1/health`), "the node is stopped");

  // Employer: the bundle and the certificate she was sent.
  const ok = await cli(["proof", "check", bundlePath, maria], 0);
  assert.match(ok.stdout, /^VALID: /);
  assert.match(ok.stdout, new RegExp(`owner +${UNIVERSITY}`));
  assert.match(ok.stdout, withTsa ? /TSA time +\d{4}-\d\d-\d\dT/ : /TSA time +none/);
  const facts = json<{ valid: boolean; facts: { record: { docType: string; metadata: string }; aggregation: { treeSize: number }; tsa: unknown } }>(await cli(["--json", "proof", "check", bundlePath, maria], 0));
  assert.equal(facts.valid, true);
  assert.equal(facts.facts.record.docType, "academic-certificate");
  assert.equal(facts.facts.record.metadata, '{"class":"2024","degree":"MSc"}');
  assert.equal(facts.facts.aggregation.treeSize, 6);
  assert.equal(facts.facts.tsa !== null, withTsa);

  // A certificate altered by one byte (the grade line), and another student's certificate.
  const forged = join(root, "maria-forged.pdf");
  const bytes = new Uint8Array(await readFile(maria));
  bytes[40] ^= 0x20;
  await writeFile(forged, bytes);
  const bad = await cli(["proof", "check", bundlePath, forged], 4);
  assert.match(bad.stdout, /^INVALID: /);
  assert.match(bad.stdout, /document check failed: the document hashes to [0-9a-f]{64}, the bundle is for/);
  const other = await cli(["proof", "check", bundlePath, join(certs, "jonas.pdf")], 4);
  assert.match(other.stdout, /document check failed/);

  // A bundle altered anywhere: the block's state root, a validator's signature, the TSA roots' proof, a byte of formatting.
  const alter = async (name: string, f: (b: ProofBundle) => void): Promise<string> => {
    const b = JSON.parse(text) as ProofBundle;
    f(b);
    const p = join(root, name);
    await writeFile(p, bundleText(b));
    return p;
  };
  const flip = (h: string): string => (h[5] === "0" ? h.slice(0, 5) + "1" + h.slice(6) : h.slice(0, 5) + "0" + h.slice(6));
  const stateRoot = await alter("b1.json", (b) => (b.registration.header.stateRoot = flip(b.registration.header.stateRoot)));
  assert.match((await cli(["proof", "check", stateRoot, maria], 4)).stdout, /header check failed/);
  const sig = await alter("b2.json", (b) => (b.registration.commit.signatures[0].signature = flip(b.registration.commit.signatures[0].signature)));
  assert.match((await cli(["proof", "check", sig, maria], 4)).stdout, /commit check failed: .*bad signature/);
  const path = await alter("b3.json", (b) => (b.aggregation ? (b.aggregation.path[0] = flip(b.aggregation.path[0])) : undefined));
  assert.match((await cli(["proof", "check", path, maria], 4)).stdout, /aggregation check failed/);
  if (withTsa) {
    const roots = await alter("b4.json", (b) => {
      const p = b.registration.tsaRoots;
      if (p?.value) p.value = flip(p.value);
    });
    assert.match((await cli(["proof", "check", roots, maria], 4)).stdout, /tsa check failed/);
  }
  await writeFile(join(root, "b5.json"), text.replace('"version": 1', '"version":  1'));
  assert.match((await cli(["proof", "check", join(root, "b5.json"), maria], 4)).stdout, /format check failed/);
  await writeFile(join(root, "b6.json"), text.slice(0, text.length / 2));
  assert.match((await cli(["proof", "check", join(root, "b6.json"), maria], 4)).stdout, /format check failed: not JSON/);
  // A missing bundle file: the check could not run (exit 1), distinct from an invalid bundle.
  assert.match((await cli(["proof", "check", join(root, "nope.json"), maria], 1)).stderr, /cannot read bundle/);

  // OpenSSL alone accepts the token in the bundle (it stamps the batch root).
  if (withTsa) {
    const value = bundle.registration.record.value;
    assert.ok(value);
    const rec = decodeRecord(fromHex(value));
    assert.ok(rec.tsa, "the record carries the token");
    await writeFile(join(root, "token.tsr"), decodeToken(rec.tsa.token).der);
    const rootsValue = bundle.registration.tsaRoots?.value;
    assert.ok(rootsValue);
    await writeFile(join(root, "tsa-roots.pem"), (decode(fromHex(rootsValue)) as Uint8Array[]).map((d) => toPem(d)).join(""));
    const { stdout } = await promisify(execFile)("openssl", ["ts", "-verify", "-token_in", "-in", join(root, "token.tsr"), "-digest", reg.root, "-CAfile", join(root, "tsa-roots.pem")]);
    assert.match(stdout, /Verification: OK/);
  }

  // The forensic report, offline from the bundle: the facts and the embedded bundle.
  const report = join(root, "maria-report.html");
  await cli(["proof", "report", maria, "--bundle", bundlePath, "-o", report], 0);
  const html = await readFile(report, "utf8");
  assert.ok(html.includes(bundle.document.fingerprint));
  assert.ok(html.includes(UNIVERSITY));
  assert.equal(html.includes("openssl ts -verify -token_in"), withTsa);
  // No report from a tampered certificate.
  await cli(["proof", "report", forged, "--bundle", bundlePath, "-o", join(root, "forged.html")], 4);
  if (!withTsa) process.stderr.write("proof-academic: this build's chain trusts no TSA roots, so the certificates were registered without a token\n");
});
