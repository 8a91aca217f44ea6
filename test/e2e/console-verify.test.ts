/**
 * The web console's proof-verification page (GET /console/verify) in a real browser (Debian's
 * chromium, driven by playwright-core) against a real node process: a document is registered
 * from the CLI with an RFC 3161 token and bundled from the CLI, then the page checks the bundle
 * and the document (VALID with the facts), a tampered document and tampered bundles (NOT VALID
 * naming the part), a wrong and a right trusted anchor hash, a non-JSON and an oversized file,
 * a salted record of a second, sm2-sm3 chain (SM3 in the browser), and the verdict on a
 * phone-sized screen offline. Every request the page makes after it loaded
 * is recorded: there must be none. The page runs under its real CSP (connect-src 'none'), which
 * blocks a fetch before it becomes a request, so every console error (a CSP violation is one)
 * fails the test too. Screenshots of each step: test-artifacts/console-verify/.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { chromium } from "playwright-core";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { ProofBundle } from "../../src/proof/bundle/index.js";
import { bundleText } from "../../src/proof/bundle/index.js";
import type { Proc, RunResult } from "./helpers/proc-node.js";
import { describeRun, freePort, killAll, runCli, startNode } from "./helpers/proc-node.js";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const ARTIFACTS = join(REPO, "test-artifacts", "console-verify");
const CHROMIUM = "/usr/bin/chromium";
const PASS = "console-verify-passphrase";
const env = { CIVITAS_PASSPHRASE: PASS };
const CHAIN = "console";
const OWNER = `did:civitas:${CHAIN}:city-registry`;

let root: string;
const nodes: Proc[] = [];
let sm: Registered;
let url: string;
let browser: Browser | undefined;
let context: BrowserContext;
let page: Page;
let docBytes: Buffer;
let bundleJson: string;
let bundle: ProofBundle;
let anchorHash: string;
const loadRequests: string[] = [];
const laterRequests: string[] = [];
const pageErrors: string[] = [];
let loaded = false;

async function cli(args: string[], expect = 0): Promise<RunResult> {
  const r = await runCli(args, { env, timeoutMs: 90_000 });
  assert.equal(r.code, expect, describeRun(args, r));
  return r;
}

const json = <T>(r: RunResult): T => JSON.parse(r.stdout) as T;

async function ensureChromium(): Promise<void> {
  try {
    await promisify(execFile)("sh", [join(REPO, "scripts", "ensure-chromium.sh")], { timeout: 20 * 60_000, maxBuffer: 16 << 20 });
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(`chromium is needed for this test and could not be installed: ${err.stderr?.trim() || err.message}`);
  }
}

interface Registered {
  proc: Proc;
  url: string;
  doc: Buffer;
  text: string;
  bundle: ProofBundle;
  anchorHash: string;
}

/**
 * A node of its own chain, an organisation DID, and one document registered with a token from
 * the node's TSA and bundled, all from the CLI.
 */
async function registeredChain(name: string, suite: "ed25519-sha256" | "sm2-sm3", extra: string[]): Promise<Registered> {
  const dir = join(root, name);
  const keysDir = join(dir, "keys");
  const registrar = json<{ address: string; publicKey: string }>(await cli(["--keys-dir", keysDir, "--json", "keys", "new", "registrar", "--suite", suite]));
  const home = join(dir, "node");
  const port = await freePort();
  await cli(["init", "--home", home, "--chain-id", name, "--crypto-suite", suite, "--api-port", String(port), "--block-interval-ms", "50", "--balance", `${registrar.address}=1000`]);
  const started = await startNode(home, env);
  const g = ["--keys-dir", keysDir, "--url", started.url];
  const owner = `did:civitas:${name}:city-registry`;
  const did = json<{ receipt: { status: string; message: string } }>(
    await cli([...g, "--json", "tx", "send", "--key", "registrar", "--module", "identity", "--method", "createDid", "--args", JSON.stringify({ did: owner, kind: "organisation", document: JSON.stringify({ keys: [registrar.publicKey] }) })]),
  );
  assert.equal(did.receipt.status, "ok", did.receipt.message);

  // A building permit as the city's system would emit it: text and binary bytes.
  const head = Buffer.from("%PDF-1.7\n% Building permit 2024/0815, Hauptstrasse 12, approved 2024-09-02\n");
  const doc = Buffer.concat([head, Buffer.from(Array.from({ length: 512 }, (_, k) => (k * 37 + 11) & 0xff))]);
  const docPath = join(dir, "permit.pdf");
  await writeFile(docPath, doc);
  const reg = json<{ kind: string }>(await cli([...g, "--json", "proof", "register", docPath, "--key", "registrar", "--owner", owner, "--type", "building-permit", "--metadata", '{"permit":"2024/0815"}', "--tsa", ...extra]));
  assert.equal(reg.kind, "document");
  const bundlePath = join(dir, "permit.bundle.json");
  await cli([...g, "proof", "bundle", docPath, "-o", bundlePath]);
  const text = await readFile(bundlePath, "utf8");
  const b = JSON.parse(text) as ProofBundle;
  assert.equal(b.suite, suite);
  assert.ok(b.registration.tsaRoots, "the record carries a TSA token, so the bundle proves the TSA roots");
  // The anchor hash as a verifier would get it independently: block 0 from the node.
  const anchor = json<{ hash: string }>(await cli([...g, "--json", "block", "0"])).hash;
  return { proc: started.proc, url: started.url, doc, text, bundle: b, anchorHash: anchor };
}

before(
  async () => {
    await ensureChromium();
    await mkdir(ARTIFACTS, { recursive: true });
    root = await mkdtemp(join(tmpdir(), "civitas-console-verify-"));
    const main = await registeredChain(CHAIN, "ed25519-sha256", []);
    nodes.push(main.proc);
    ({ url, doc: docBytes, text: bundleJson, bundle, anchorHash } = main);
    // A second chain with the Chinese suite and a salted record: SM3 of salt ‖ document in the browser.
    sm = await registeredChain("console-sm", "sm2-sm3", ["--salted"]);
    nodes.push(sm.proc);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.on("request", (r) => (loaded ? laterRequests : loadRequests).push(`${r.method()} ${r.url()}`));
    page = await context.newPage();
    page.on("websocket", (ws) => laterRequests.push(`WS ${ws.url()}`));
    page.on("pageerror", (e) => pageErrors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") pageErrors.push(`${m.type()}: ${m.text()}`);
    });
  },
  { timeout: 25 * 60_000 },
);

after(async () => {
  await browser?.close();
  for (const n of nodes) await n.kill();
  await killAll();
  if (root) await rm(root, { recursive: true, force: true });
});

type FileArg = string | { name: string; mimeType: string; buffer: Buffer };
const bundleFile = (text: string, name = "permit.bundle.json"): FileArg => ({ name, mimeType: "application/json", buffer: Buffer.from(text) });
const docFile = (bytes: Buffer, name = "permit.pdf"): FileArg => ({ name, mimeType: "application/pdf", buffer: bytes });

interface Shown {
  state: string;
  document: string;
  verdict: string;
  part: string | null;
  reason: string | null;
  error: string | null;
}

/** Chooses the files through their labelled inputs and waits for the page's answer. */
async function check(b: FileArg | null, d: FileArg | null): Promise<Shown> {
  await page.getByLabel(/^Document/).setInputFiles(d ?? []);
  await page.getByLabel(/^Proof bundle/).setInputFiles(b ?? []);
  return settled();
}

async function settled(): Promise<Shown> {
  await page.waitForFunction(() => !["working", undefined].includes(document.getElementById("result")?.dataset.state), undefined, { timeout: 30_000 });
  const text = async (sel: string): Promise<string | null> => ((await page.locator(sel).count()) ? await page.locator(sel).textContent() : null);
  const r = page.locator("#result");
  return {
    state: (await r.getAttribute("data-state")) ?? "",
    document: (await r.getAttribute("data-document")) ?? "",
    verdict: (await text("#verdict")) ?? "",
    part: await text("#failed-part"),
    reason: await text("#failed-reason"),
    error: await text("#error-message"),
  };
}

const fact = async (key: string): Promise<string> => (await page.locator(`[data-fact="${key}"]`).textContent()) ?? "";
const shot = (name: string): Promise<Buffer> => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
const flip = (h: string): string => h.slice(0, 5) + (h[5] === "0" ? "1" : "0") + h.slice(6);
const tampered = (f: (b: ProofBundle) => void): string => {
  const b = JSON.parse(bundleJson) as ProofBundle;
  f(b);
  return bundleText(b);
};

test("every node serves the page from its own origin with a strict CSP; it loads with no error", { timeout: 60_000 }, async () => {
  const resp = await page.goto(`${url}/console/verify`, { waitUntil: "load" });
  assert.ok(resp, "a response for the page");
  assert.equal(resp.status(), 200, `GET /console/verify: ${resp.status()} ${await resp.text()} (is the console built? npm run build)`);
  assert.equal(resp.headers()["content-type"], "text/html; charset=utf-8");
  assert.match(resp.headers()["content-security-policy"] ?? "", /^default-src 'self';.*connect-src 'none'/);
  await page.waitForLoadState("networkidle");
  loaded = true;
  assert.ok(loadRequests.length >= 3, loadRequests.join("\n"));
  for (const r of loadRequests) assert.ok(r.startsWith(`GET ${url}/console/`), `a request to this node's console only: ${r}`);
  assert.equal(await page.title(), "Verify a proof bundle · Civitas");
  assert.equal(await page.locator("#result").getAttribute("data-state"), "empty");
  assert.match((await page.locator("#result-body").textContent()) ?? "", /Choose a proof bundle/);
  await shot("01-empty");
  assert.deepEqual(pageErrors, []);
});

test("the bundle with its document: VALID, with the facts", { timeout: 60_000 }, async () => {
  const s = await check(bundleFile(bundleJson), docFile(docBytes));
  assert.equal(s.state, "valid", JSON.stringify(s));
  assert.equal(s.document, "checked");
  assert.match(s.verdict, /^✓ VALID$/);
  const sha = createHash("sha256").update(docBytes).digest("hex");
  assert.match(await fact("fingerprint"), new RegExp(`^${sha} \\(sha-256\\)`));
  assert.match(await fact("document"), /^permit\.pdf \(.+\) hashes to this fingerprint \(SHA-256, computed in this browser with WebCrypto\)/);
  assert.match(await fact("owner"), new RegExp(`^${OWNER} signed with ${OWNER}#key-\\d+$`));
  assert.equal(await fact("doc-type"), "building-permit");
  assert.equal(await fact("metadata"), '{"permit":"2024/0815"}');
  const h = bundle.registration.header;
  assert.equal(await fact("block"), `height ${h.height}, hash ${h.hash}`);
  assert.equal(await fact("block-time"), `${new Date(h.time).toISOString()} (UTC)`);
  assert.match(await fact("tsa-time"), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \(UTC\) by .+ ms from block time\), chained to /);
  const signers = await fact("signers");
  for (const sig of bundle.registration.commit.signatures) assert.ok(signers.includes(sig.validator), `signer ${sig.validator} listed: ${signers}`);
  assert.match(signers, /^1 of 1 validator\(s\)/);
  // The bundle carries a later status only when the head had moved past the registration block.
  assert.match(await fact("status"), bundle.status ? new RegExp(`^active as of block ${bundle.status.header.height} `) : /^active at registration/);
  assert.match(await fact("trust"), new RegExp(`^block 0 ${anchorHash} — not pinned`));
  const parts = await page.locator(".steps li.ok").evaluateAll((li) => li.map((e) => e.getAttribute("data-part")).join(","));
  const expected = ["format", "trust", "validator-set", "header", "commit", "document", ...(bundle.aggregation ? ["aggregation"] : []), "record", "owner-signature", "transaction", "receipt", "tsa", ...(bundle.status ? ["status"] : [])];
  assert.equal(parts, expected.join(","));
  assert.equal(await page.locator(".steps li.fail").count(), 0);
  await shot("02-valid");
});

test("a trusted anchor hash: the right one pins the anchor, a wrong one is NOT VALID naming trust", { timeout: 60_000 }, async () => {
  const field = page.getByLabel(/^Trusted anchor hash/);
  await field.fill(flip(anchorHash));
  await field.dispatchEvent("change");
  let s = await settled();
  assert.equal(s.state, "invalid", JSON.stringify(s));
  assert.equal(s.part, "trust");
  assert.match(s.reason ?? "", new RegExp(`not the pinned ${flip(anchorHash)}`));
  await shot("03-trusted-hash-wrong");
  await field.fill(anchorHash.toUpperCase());
  await field.dispatchEvent("change");
  s = await settled();
  assert.equal(s.state, "valid", JSON.stringify(s));
  assert.match(await fact("trust"), /pinned by the trusted hash you entered/);
  await shot("04-trusted-hash-pinned");
  await field.fill("abc");
  await field.dispatchEvent("change");
  s = await settled();
  assert.equal(s.state, "error");
  assert.match(s.error ?? "", /must be 64 hex characters/);
  assert.equal(await field.getAttribute("aria-invalid"), "true");
  assert.ok(await page.locator("#trusted-hash-error").isVisible());
  await field.fill("");
  await field.dispatchEvent("change");
  assert.equal((await settled()).state, "valid");
});

test("a document changed by one byte: NOT VALID, the document check named", { timeout: 60_000 }, async () => {
  const forged = Buffer.from(docBytes);
  forged[30] ^= 0x01;
  const s = await check(bundleFile(bundleJson), docFile(forged, "permit-forged.pdf"));
  assert.equal(s.state, "invalid", JSON.stringify(s));
  assert.match(s.verdict, /NOT VALID/);
  assert.equal(s.part, "document");
  const got = createHash("sha256").update(forged).digest("hex");
  assert.match(s.reason ?? "", new RegExp(`document check failed: the document hashes to ${got}, the bundle is for ${bundle.document.fingerprint}`));
  assert.equal(await page.locator('.steps li.fail[data-part="document"]').count(), 1);
  await shot("05-tampered-document");
});

test("tampered bundles: NOT VALID naming the part (commit signature, TSA roots, formatting)", { timeout: 60_000 }, async () => {
  const cases: Array<[string, string, RegExp]> = [
    ["commit", tampered((b) => (b.registration.commit.signatures[0].signature = flip(b.registration.commit.signatures[0].signature))), /commit check failed/],
    ["tsa", tampered((b) => (b.registration.tsaRoots!.value = flip(b.registration.tsaRoots!.value!))), /tsa check failed/],
    ["format", bundleJson.replace('"version": 1', '"version":  1'), /format check failed/],
  ];
  for (const [part, text, reason] of cases) {
    const s = await check(bundleFile(text, `tampered-${part}.json`), docFile(docBytes));
    assert.equal(s.state, "invalid", `${part}: ${JSON.stringify(s)}`);
    assert.equal(s.part, part, JSON.stringify(s));
    assert.match(s.reason ?? "", reason);
    await shot(`06-tampered-bundle-${part}`);
  }
  // The bundle alone (no document) is still valid and says the document was not checked.
  const s = await check(bundleFile(bundleJson), null);
  assert.equal(s.state, "valid");
  assert.equal(s.document, "none");
  assert.match(await fact("document"), /^Not given/);
});

test("a file that is not JSON, and one over the size limit: an error, no verdict", { timeout: 60_000 }, async () => {
  let s = await check({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("these are not the bundle you are looking for\n") }, null);
  assert.equal(s.state, "error", JSON.stringify(s));
  assert.match(s.error ?? "", /"notes\.txt" is not JSON, so it is not a proof bundle/);
  await shot("07-not-json");
  // A sparse file one byte over 64 MiB: refused from its size, before it is read.
  const big = join(root, "huge.json");
  const fh = await open(big, "w");
  await fh.truncate(64 * 1024 * 1024 + 1);
  await fh.close();
  s = await check(big, null);
  assert.equal(s.state, "error", JSON.stringify(s));
  assert.match(s.error ?? "", /"huge\.json" is 67,108,865 bytes, over the limit of 67,108,864 bytes \(64 MiB\)/);
  await shot("08-oversized");
  // Removing the bundle returns to the empty state.
  await page.getByRole("button", { name: "Remove bundle" }).click();
  assert.equal(await page.locator("#result").getAttribute("data-state"), "empty");
});

test("an sm2-sm3 chain's salted record: the page hashes salt ‖ document with SM3 (VALID), a changed byte fails", { timeout: 60_000 }, async () => {
  const salt = sm.bundle.document.salt;
  assert.ok(salt, "a salted record's bundle carries its salt");
  // OpenSSL's SM3, independent of the page's portable code.
  const sm3 = (d: Buffer): string => createHash("sm3").update(Buffer.from(salt, "hex")).update(d).digest("hex");
  assert.equal(sm3(sm.doc), sm.bundle.document.fingerprint);
  const s = await check(bundleFile(sm.text, "sm-permit.bundle.json"), docFile(sm.doc));
  assert.equal(s.state, "valid", JSON.stringify(s));
  assert.match(await fact("fingerprint"), new RegExp(`^${sm.bundle.document.fingerprint} \\(sm3, salted\\)`));
  assert.match(await fact("document"), /hashes to this fingerprint \(SM3 with the bundle's salt, computed in this browser with portable code\)/);
  assert.match(await fact("chain"), /^console-sm \(sm2-sm3\)/);
  assert.match(await fact("tsa-time"), /^\d{4}-\d\d-\d\dT.* by /);
  await shot("10-sm2-sm3-salted-valid");
  const forged = Buffer.from(sm.doc);
  forged[0] ^= 0x01;
  const bad = await check(bundleFile(sm.text, "sm-permit.bundle.json"), docFile(forged, "forged.pdf"));
  assert.equal(bad.part, "document", JSON.stringify(bad));
  assert.match(bad.reason ?? "", new RegExp(`the document with the bundle's salt hashes to ${sm3(forged)}`));
});

test("on a phone-sized screen, offline, the verdict is visible without scrolling sideways", { timeout: 60_000 }, async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await context.setOffline(true);
  const s = await check(bundleFile(bundleJson), docFile(docBytes));
  assert.equal(s.state, "valid", JSON.stringify(s));
  const verdict = page.locator("#verdict");
  assert.ok(await verdict.isVisible());
  const box = await verdict.boundingBox();
  assert.ok(box && box.y >= 0 && box.y + box.height <= 844 && box.x >= 0 && box.x + box.width <= 390, `verdict inside the 390×844 viewport: ${JSON.stringify(box)}`);
  const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, view: window.innerWidth }));
  assert.ok(widths.scroll <= widths.view, `no horizontal scrolling: ${JSON.stringify(widths)}`);
  await page.screenshot({ path: join(ARTIFACTS, "09-phone-valid.png") });
  await shot("09-phone-valid-full");
  await context.setOffline(false);
});

test("the page made no network request after it loaded, and logged no error", () => {
  assert.equal(loaded, true);
  assert.deepEqual(laterRequests, [], `requests after load:\n${laterRequests.join("\n")}`);
  assert.deepEqual(pageErrors, []);
});
