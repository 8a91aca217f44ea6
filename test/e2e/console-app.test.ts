/**
 * The web console app (GET /console, React + Vite) in a real browser (Debian's chromium, driven
 * by playwright-core) against a real node process (`civitas start`): the overview shows the
 * node's status and height; a transaction sent with the SDK is found in the explorer by
 * searching its hash (receipt, events, inclusion proof checked in the browser); the alerts page
 * shows the node's 401 without a key and its 403 with a non-operator key, then, with the
 * authority's key pasted, a TPS-above rule is lowered through the rules editor (a signed PUT)
 * and the alert fires on the page after a burst of transactions; the TPS chart receives the
 * burst; the logs page finds the alert's system log line by source and keyword; the verify page
 * opens from the menu; a phone-sized screen does not scroll sideways.
 * The app runs under its real CSP: any CSP violation or page error fails the test.
 * Screenshots of each step: test-artifacts/console-app/.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { chromium } from "playwright-core";
import type { Browser, Page } from "playwright-core";
import { getPortableSuite } from "../../src/crypto/portable-suites.js";
import { CivitasClient } from "../../src/sdk/client.js";
import { Wallet } from "../../src/sdk/wallet.js";
import { toHex } from "../../src/util/bytes.js";
import type { Proc } from "./helpers/proc-node.js";
import { describeRun, freePort, killAll, runCli, startNode } from "./helpers/proc-node.js";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const ARTIFACTS = join(REPO, "test-artifacts", "console-app");
const CHROMIUM = "/usr/bin/chromium";
const PASS = "console-app-passphrase";
const env = { CIVITAS_PASSPHRASE: PASS };
const CHAIN = "console-app";

const account = (): { hex: string; wallet: Wallet } => {
  const { secretKey } = getPortableSuite("ed25519-sha256").generateKeyPair();
  return { hex: toHex(secretKey), wallet: Wallet.fromSecretKey(secretKey) };
};
const authority = account();
const alice = account();

let root: string;
let proc: Proc | undefined;
let url: string;
let client: CivitasClient;
let browser: Browser | undefined;
let page: Page;
let sentHash: string;
const problems: string[] = [];

const shot = (name: string): Promise<Buffer> => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
const text = async (testid: string): Promise<string> => (await page.getByTestId(testid).first().textContent()) ?? "";

async function ensureChromium(): Promise<void> {
  try {
    await promisify(execFile)("sh", [join(REPO, "scripts", "ensure-chromium.sh")], { timeout: 20 * 60_000, maxBuffer: 16 << 20 });
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(`chromium is needed for this test and could not be installed: ${err.stderr?.trim() || err.message}`);
  }
}

before(
  async () => {
    await ensureChromium();
    await mkdir(ARTIFACTS, { recursive: true });
    root = await mkdtemp(join(tmpdir(), "civitas-console-app-"));
    const home = join(root, "node");
    const port = await freePort();
    const args = ["init", "--home", home, "--chain-id", CHAIN, "--api-port", String(port), "--block-interval-ms", "100", "--authority", authority.wallet.address];
    for (const a of [authority, alice]) args.push("--balance", `${a.wallet.address}=1000000000`);
    const r = await runCli(args, { env, timeoutMs: 60_000 });
    assert.equal(r.code, 0, describeRun(args, r));
    // A short TPS window so the gauge follows the burst, quick rule evaluation, one verify thread.
    const cfgPath = join(home, "node.json");
    const cfg = JSON.parse(await readFile(cfgPath, "utf8"));
    Object.assign(cfg, { verifyWorkers: 1, logHostSampleMs: 0, metrics: { tpsWindowSeconds: 3 }, alerts: { ...cfg.alerts, evalIntervalMs: 250 } });
    await writeFile(cfgPath, JSON.stringify(cfg, null, 2));
    const started = await startNode(home, env);
    proc = started.proc;
    url = started.url;
    client = new CivitasClient(url);
    // The authority makes itself an operator (the baseline policy opens alerts to Role::"operator").
    const grant = await client.send(authority.wallet, [{ module: "access", method: "grantRole", args: { role: "operator", member: authority.wallet.address } }]);
    assert.equal(grant.receipt?.status, "ok", JSON.stringify(grant.receipt));

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("console", (m) => {
      // The alerts page shows the node's 400 (a bad rule), 401 and 403, and a search for an unknown hash its 404s, on purpose; Chromium logs those responses.
      if (m.type() === "error" && !/Failed to load resource: the server responded with a status of 40[0134]/.test(m.text())) problems.push(`console: ${m.text()}`);
    });
  },
  { timeout: 20 * 60_000 },
);

after(async () => {
  await browser?.close();
  await proc?.kill();
  await killAll();
  if (root) await rm(root, { recursive: true, force: true });
});

test("the overview shows this node's status, height, platform and validators under the app's CSP", { timeout: 30_000 }, async () => {
  const resp = await page.goto(`${url}/console`, { waitUntil: "load" });
  assert.ok(resp);
  assert.equal(resp.status(), 200, `GET /console: ${resp.status()} (is the console built? npm run build)`);
  assert.match(resp.headers()["content-security-policy"] ?? "", /^default-src 'self'; connect-src 'self'/);
  assert.equal(await page.title(), "Civitas console");
  await page.getByTestId("node-height").waitFor();
  const head = (await client.status()) as { head: { height: number } };
  await page.waitForFunction((h) => Number(document.querySelector('[data-testid="node-height"]')?.textContent?.replace(/,/g, "")) >= h, head.head.height);
  assert.equal(await text("node-moniker"), "node-0");
  assert.equal(await text("node-role"), "validator (solo)");
  assert.equal(await text("chain-id"), CHAIN);
  assert.equal(await text("platform-hash"), "SHA-256");
  assert.match(await text("platform-suite"), /^ed25519-sha256/);
  assert.match(await text("platform-limits"), /^20,000 txs, 8\.0 MiB$/);
  assert.match(await text("node-version"), /^civitas \d+\.\d+\.\d+/);
  assert.equal(await text("node-peers"), "none (solo node)");
  // Process CPU and memory come from /metrics; CPU needs two samples.
  await page.waitForFunction(() => /% of one core/.test(document.querySelector('[data-testid="res-cpu"]')?.textContent ?? ""));
  assert.match(await text("res-memory"), /MiB|GiB/);
  assert.equal(await page.getByTestId("validators-card").locator("tbody tr").count(), 1);
  assert.match(await text("top-status"), new RegExp(`node-0 · ${CHAIN} · height \\d+`));
  await shot("01-overview");
});

test("a transaction sent with the SDK is found in the explorer by its hash, with receipt, events and a verified proof", { timeout: 30_000 }, async () => {
  const sent = await client.send(alice.wallet, [{ module: "token", method: "transfer", args: { to: authority.wallet.address, amount: 7n } }], { memo: "console e2e" });
  sentHash = sent.hash;
  await page.getByRole("link", { name: "Explorer" }).click();
  const row = (h: number | null | undefined): string => `[data-testid="latest-blocks"] tr[data-height="${h}"]`;
  await page.locator(row(sent.height)).waitFor();
  // Once the block WebSocket is open (the CSP allows it), a new block appears without polling.
  await page.locator('[data-testid="blocks-mode"][data-mode="ws"]').waitFor();
  const next = await client.send(authority.wallet, [{ module: "token", method: "transfer", args: { to: account().wallet.address, amount: 1n } }]);
  await page.locator(row(next.height)).waitFor();
  assert.equal(await page.locator(`${row(next.height)} td`).nth(2).textContent(), "1");
  await shot("02-explorer-latest-blocks");

  await page.getByTestId("search-input").fill(sentHash);
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByTestId("tx-summary").waitFor();
  assert.equal(new URL(page.url()).hash, `#/explorer/tx/${sentHash}`);
  assert.equal(await text("tx-hash"), sentHash);
  assert.equal(await text("tx-status"), `committed in block ${sent.height} (position 0)`);
  assert.equal(await text("tx-from"), alice.wallet.address);
  assert.match(await text("tx-proof"), /^✓ verified in this browser/);
  assert.equal(await text("receipt-status"), "ok");
  const events = await page.getByTestId("tx-events").locator("tbody tr").allTextContents();
  assert.ok(events.some((e) => e.startsWith("token.Transfer") && e.includes(authority.wallet.address)), events.join("\n"));
  await shot("03-explorer-transaction");

  // The sender's account view, and a hash that exists nowhere.
  await page.getByTestId("tx-from").getByRole("link").click();
  await page.getByTestId("account").waitFor();
  assert.equal(await text("account-nonce"), "1");
  assert.equal(await text("account-balance"), "999999993");
  assert.ok((await page.getByTestId("account-txs").textContent())?.includes(sentHash.slice(0, 10)));
  await shot("04-explorer-account");
  await page.getByTestId("search-input").fill("ab".repeat(32));
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByTestId("not-found").waitFor();
});

test("alerts: the node's 401 without a key, 403 with a non-operator key; the authority lowers the TPS rule in the editor", { timeout: 30_000 }, async () => {
  await page.getByRole("link", { name: "Alerts" }).click();
  await page.locator('[data-testid="error"][data-code="AUTH_REQUIRED"]').first().waitFor();
  assert.match((await page.getByTestId("error").first().textContent()) ?? "", /HTTP 401 AUTH_REQUIRED/);
  await shot("05-alerts-no-key");

  await page.getByLabel("Operator key").fill(alice.hex);
  await page.getByRole("button", { name: "Use key" }).click();
  await page.locator('[data-testid="error"][data-code="ACCESS_DENIED"]').first().waitFor();
  assert.match((await page.getByTestId("error").first().textContent()) ?? "", /HTTP 403 ACCESS_DENIED.*operator role/s);
  await shot("06-alerts-not-operator");

  await page.getByRole("button", { name: "Forget key" }).click();
  await page.getByLabel("Operator key").fill(authority.hex);
  await page.getByRole("button", { name: "Use key" }).click();
  assert.equal(await text("key-address"), authority.wallet.address);
  const row = page.locator('tr[data-rule="tps-high"]');
  await row.waitFor();
  assert.equal(await page.locator('[data-testid="error"]').count(), 0, "the operator reads alerts and rules");
  assert.match((await page.getByTestId("alerts-firing").textContent()) ?? "", /No alert is firing/);
  // A bad value is refused by the node with the field named, and nothing changes.
  await row.locator('input[data-param="tps"]').fill("-5");
  await page.getByTestId("save-rules").click();
  await page.locator('[data-testid="error"][data-code="ALERT_RULES_INVALID"]').waitFor();
  assert.match((await page.getByTestId("error").first().textContent()) ?? "", /field rules\[0\]\.tps/);
  await row.locator('input[data-param="tps"]').fill("5");
  await page.getByTestId("save-rules").click();
  await page.getByTestId("rules-saved").waitFor();
  const rules = (await (await fetchSigned("/v1/alerts/rules")).json()) as { rules: Array<{ id: string; tps?: number }>; persisted: boolean };
  assert.equal(rules.rules.find((r) => r.id === "tps-high")?.tps, 5, "the signed PUT from the page reached the node");
  assert.equal(rules.persisted, true);
  await shot("07-alerts-rule-lowered");
});

async function fetchSigned(path: string): Promise<Response> {
  const { signedFetch } = await import("../../src/sdk/signed-fetch.js");
  return signedFetch(authority.wallet, url + path);
}

test("a burst of transactions fires the TPS alert on the alerts page and moves the TPS chart", { timeout: 45_000 }, async () => {
  const status = (await client.status()) as { chain: { chainId: string } };
  const txs = Array.from({ length: 150 }, (_, i) => alice.wallet.buildTx({ chain: status.chain.chainId, nonce: 1 + i, calls: [{ module: "token", method: "transfer", args: { to: authority.wallet.address, amount: 1n } }] }));
  const sent = await client.submitBatch(txs);
  assert.equal(sent.accepted, 150, JSON.stringify(sent.results.find((r) => "error" in r)));

  await page.locator('[data-testid="firing-table"] tr[data-key="tps-high"]').waitFor({ timeout: 20_000 });
  const row = (await page.locator('[data-testid="firing-table"] tr[data-key="tps-high"]').textContent()) ?? "";
  assert.match(row, /warning.*committed TPS [\d.]+ over 10 s is above 5/);
  assert.ok(await page.locator('[data-testid="history-table"] tr[data-key="tps-high"][data-event="firing"]').count());
  await shot("08-alert-firing");

  await page.getByRole("link", { name: "Live charts" }).click();
  const chart = page.getByTestId("chart-tps");
  await chart.waitFor();
  // The samples were collected while the alerts page was open: the burst is in the ring buffer.
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="chart-tps"]')?.getAttribute("data-peak")) > 5, undefined, { timeout: 10_000 });
  const points = Number(await chart.getAttribute("data-points"));
  assert.ok(points >= 3, `points: ${points}`);
  assert.match(await text("readout-tps"), /^now [\d.]+ tx\/s · peak [\d.]+ tx\/s · \d+ points$/);
  for (const id of ["block-time", "latency", "mempool"]) assert.ok(Number(await page.getByTestId(`chart-${id}`).getAttribute("data-points")) > 0, id);
  // The canvas was drawn: it holds non-transparent pixels.
  const painted = await chart.locator("canvas").evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext("2d")?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return n;
  });
  assert.ok(painted > 1000, `painted pixels: ${painted}`);
  await shot("09-live-charts");

  // The alert also went to the system log, which the logs page filters on the node.
  await page.getByRole("link", { name: "Logs", exact: true }).click();
  await page.getByLabel("Source").selectOption("system");
  await page.getByLabel("Keyword").fill("tps-high");
  await page.getByRole("button", { name: "Filter" }).click();
  // The unfiltered table may hold the line too: wait for the table the filters asked for.
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('[data-testid="log-table"] tbody tr')];
    return rows.length > 0 && rows.every((r) => r.getAttribute("data-source") === "system" && /tps-high/.test(r.textContent ?? ""));
  });
  assert.ok(await page.locator('[data-testid="log-table"] tr', { hasText: "alert firing: committed TPS" }).count());
  await shot("10-logs-filtered");
});

test("the verify page opens from the menu; on a phone the console does not scroll sideways", { timeout: 30_000 }, async () => {
  await page.getByRole("link", { name: "Verify a proof" }).click();
  await page.waitForURL(`${url}/console/verify`);
  assert.equal(await page.title(), "Verify a proof bundle · Civitas");
  await shot("11-verify-page");

  await page.setViewportSize({ width: 390, height: 844 });
  for (const [hash, ready, name] of [
    ["#/", "node-height", "12-phone-overview"],
    [`#/explorer/tx/${sentHash}`, "tx-summary", "13-phone-transaction"],
    ["#/charts", "chart-tps", "14-phone-charts"],
  ]) {
    await page.goto(`${url}/console${hash}`);
    await page.getByTestId(ready).waitFor();
    const w = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, view: window.innerWidth }));
    assert.ok(w.scroll <= w.view, `${hash}: no horizontal scrolling: ${JSON.stringify(w)}`);
    await shot(name);
  }
});

test("no CSP violation, page error or unexpected console error", () => {
  assert.deepEqual(problems, []);
});
