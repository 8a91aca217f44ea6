/**
 * The console's explorer over a PostgreSQL index, in a real browser (Debian's chromium, driven by
 * playwright-core) against one real node process (`civitas start`, node.json api.indexerUrl set)
 * and a real indexer process (`civitas indexer --serve`) writing into a real PostgreSQL
 * (scripts/ensure-postgres.sh). The page runs under its real CSP (same origin only), so it can
 * reach the index only through the node's /v1/explorer/index proxy.
 *
 * While the indexer is not running the explorer says the index is unavailable and keeps reading
 * the node; once it runs, the "indexed by PostgreSQL" badge shows its height, a transaction sent
 * with the SDK is found by a search through the index, the sender's full history pages back
 * with "Older", and the events view finds the transfer's token.Transfer event and pages on.
 * Each of these is a view only the index can fill (the node-only explorer has no search result
 * card, no paged history and no events view), so a silent fall-back to the node fails the test.
 * Screenshots of each step: test-artifacts/console-indexer/.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { chromium } from "playwright-core";
import type { Browser, Page } from "playwright-core";
import { getPortableSuite } from "../../src/crypto/portable-suites.js";
import { CivitasClient } from "../../src/sdk/client.js";
import { Wallet } from "../../src/sdk/wallet.js";
import type { Proc } from "./helpers/proc-node.js";
import { describeRun, freePort, getJson, killAll, runCli, spawnCli, startNode } from "./helpers/proc-node.js";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const ARTIFACTS = join(REPO, "test-artifacts", "console-indexer");
const CHROMIUM = "/usr/bin/chromium";
const env = { CIVITAS_PASSPHRASE: "console-indexer-passphrase" };
const CHAIN = "console-indexer";
const DB = `civitas_console_idx_${process.pid}`;
/** Transfers alice sends besides the one searched for: more than one page (20) of history and events. */
const BULK = 30;

const wallet = (): Wallet => Wallet.fromSecretKey(getPortableSuite("ed25519-sha256").generateKeyPair().secretKey);
const authority = wallet();
const alice = wallet();
const bob = wallet();

let root: string;
let admin: pg.Pool | undefined;
let dbUrl = "";
let node: Proc | undefined;
let indexer: Proc | undefined;
let url: string;
let indexerUrl: string;
let indexerPort: number;
let client: CivitasClient;
let browser: Browser | undefined;
let page: Page;
const problems: string[] = [];
const bulkHashes: string[] = [];
let sent: { hash: string; height: number };

const shot = (name: string): Promise<Buffer> => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
const text = async (testid: string): Promise<string> => (await page.getByTestId(testid).first().textContent()) ?? "";

async function ensure(script: string, what: string): Promise<string> {
  try {
    return (await promisify(execFile)("sh", [join(REPO, "scripts", script)], { timeout: 20 * 60_000, maxBuffer: 16 << 20 })).stdout;
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(`${what} is needed for this test and could not be installed or started by scripts/${script}: ${err.stderr?.trim() || err.message}`);
  }
}

function startIndexer(): Proc {
  return spawnCli(["indexer", "--pg", dbUrl, "--node", url, "--serve", String(indexerPort), "--poll-ms", "300", "--json"]);
}

before(
  async () => {
    await ensure("ensure-chromium.sh", "chromium");
    const pgBase = (await ensure("ensure-postgres.sh", "PostgreSQL")).trim().split("\n").pop() as string;
    admin = new pg.Pool({ connectionString: pgBase, max: 1 });
    await admin.query(`DROP DATABASE IF EXISTS ${DB}`);
    await admin.query(`CREATE DATABASE ${DB}`);
    const u = new URL(pgBase);
    u.pathname = "/" + DB;
    dbUrl = u.toString();

    await mkdir(ARTIFACTS, { recursive: true });
    root = await mkdtemp(join(tmpdir(), "civitas-console-indexer-"));
    const home = join(root, "node");
    indexerPort = await freePort();
    indexerUrl = `http://127.0.0.1:${indexerPort}`;
    const args = ["init", "--home", home, "--chain-id", CHAIN, "--api-port", String(await freePort()), "--block-interval-ms", "100", "--authority", authority.address];
    for (const a of [authority, alice]) args.push("--balance", `${a.address}=1000000000`);
    const r = await runCli(args, { env, timeoutMs: 60_000 });
    assert.equal(r.code, 0, describeRun(args, r));
    const cfgPath = join(home, "node.json");
    const cfg = JSON.parse(await readFile(cfgPath, "utf8"));
    cfg.api = { ...cfg.api, indexerUrl };
    Object.assign(cfg, { verifyWorkers: 1, logHostSampleMs: 0 });
    await writeFile(cfgPath, JSON.stringify(cfg, null, 2));
    const started = await startNode(home, env);
    node = started.proc;
    url = started.url;
    client = new CivitasClient(url);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("console", (m) => {
      // The node's 503 while the indexer is down is shown on purpose; Chromium logs the response.
      if (m.type() === "error" && !/Failed to load resource: the server responded with a status of (404|503)/.test(m.text())) problems.push(`console: ${m.text()}`);
    });
  },
  { timeout: 20 * 60_000 },
);

after(async () => {
  await browser?.close();
  await indexer?.kill();
  await node?.kill();
  await killAll();
  if (admin) {
    await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
  if (root) await rm(root, { recursive: true, force: true });
});

test("with the indexer not running the explorer says the index is unavailable and reads the node", { timeout: 30_000 }, async () => {
  const resp = await page.goto(`${url}/console#/explorer`, { waitUntil: "load" });
  assert.equal(resp?.status(), 200, "GET /console (is the console built? npm run build)");
  assert.match(resp?.headers()["content-security-policy"] ?? "", /connect-src 'self';/, "the page may talk to its own node only");
  await page.locator('[data-testid="index-badge"][data-state="down"]').waitFor();
  assert.match(await text("index-badge"), /PostgreSQL index unavailable.*API_UNAVAILABLE.*cannot be reached/);
  await page.getByTestId("latest-blocks").waitFor();
  await shot("01-index-unavailable");
});

test("once the indexer runs, the badge shows its height and a transaction sent with the SDK is found by a search through the index", { timeout: 30_000 }, async () => {
  const chain = CHAIN;
  // Three blocks' worth of alice → bob transfers, then the one searched for.
  for (let b = 0; b < 3; b++) {
    const txs = Array.from({ length: BULK / 3 }, (_, i) => alice.buildTx({ chain, nonce: b * (BULK / 3) + i, memo: `bulk ${b}.${i}`, calls: [{ module: "token", method: "transfer", args: { to: bob.address, amount: BigInt(1 + i) } }] }));
    const r = await client.submitBatch(txs, 5_000);
    assert.equal(r.accepted, txs.length, JSON.stringify(r.results.find((x) => "error" in x)));
    bulkHashes.push(...r.results.map((x) => x.hash as string));
  }
  const tx = await client.send(alice, [{ module: "token", method: "transfer", args: { to: bob.address, amount: 4242n } }], { memo: "found by the index", nonce: BULK });
  assert.equal(tx.receipt?.status, "ok");
  sent = { hash: tx.hash, height: tx.height as number };

  indexer = startIndexer();
  await indexer.waitFor(/query API on http:\/\//, "stderr");
  // The badge follows the index's height (the page asks every 5 s).
  await page.locator('[data-testid="index-badge"][data-state="ok"]').waitFor({ timeout: 15_000 });
  await page.waitForFunction((h) => Number(document.querySelector('[data-testid="index-badge"]')?.getAttribute("data-height")) >= h, sent.height, { timeout: 15_000 });
  assert.match(await text("index-badge"), /^Indexed by PostgreSQL, up to height [\d,]+/);
  await shot("02-index-badge");

  // The node's proxy passes the indexer's answers through unchanged.
  const viaNode = await getJson(`${url}/v1/explorer/index/txs/${sent.hash}`);
  const direct = await getJson(`${indexerUrl}/v1/indexer/txs/${sent.hash}`);
  assert.equal(viaNode.status, 200);
  assert.deepEqual(viaNode.body, direct.body);

  await page.getByTestId("search-input").fill(sent.hash);
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByTestId("index-result").waitFor();
  assert.equal(new URL(page.url()).hash, `#/explorer/find/${sent.hash}`);
  assert.equal(await text("index-tx-hash"), sent.hash);
  assert.equal(await text("index-tx-memo"), "found by the index");
  assert.match(await text("index-tx-height"), new RegExp(`^${sent.height.toLocaleString("en-US")} \\(position 0\\)$`));
  assert.equal(await text("index-tx-status"), "ok");
  await shot("03-search-through-index");
  // From the index's card to the node's proven view of the same transaction.
  await page.getByTestId("open-tx").click();
  await page.getByTestId("tx-summary").waitFor();
  assert.match(await text("tx-proof"), /^✓ verified in this browser/);

  // A height is found through the index too.
  await page.getByTestId("search-input").fill(String(sent.height));
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByTestId("index-block-hash").waitFor();
  assert.equal(await text("index-block-hash"), (await client.getBlock(sent.height)).hash);
});

test("the account's full history comes from the index and pages back with “Older”", { timeout: 30_000 }, async () => {
  await page.getByTestId("search-input").fill(alice.address);
  await page.getByRole("button", { name: "Search" }).click();
  await page.locator('[data-testid="index-account-txs"]').waitFor();
  assert.equal(new URL(page.url()).hash, `#/explorer/account/${alice.address}`);
  assert.match(await text("index-account-summary"), new RegExp(`^${BULK + 1} transaction\\(s\\) from block`));
  const rows = page.locator('[data-testid="index-account-txs"] tbody tr');
  assert.equal(await rows.count(), 20, "one page");
  assert.equal(await rows.first().getAttribute("data-tx"), sent.hash, "newest first");
  await shot("04-history-first-page");
  await page.getByTestId("history-older").click();
  await page.getByTestId("history-older-end").waitFor();
  const shown = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-tx")));
  assert.equal(shown.length, BULK + 1, "every transaction once");
  assert.deepEqual(new Set(shown), new Set([sent.hash, ...bulkHashes]));
  assert.equal(shown[shown.length - 1], bulkHashes[0], "ends with the first one");
  await shot("05-history-paged-back");
});

test("the events view finds the transfer's token.Transfer event and pages on", { timeout: 30_000 }, async () => {
  await page.getByTestId("events-link").click();
  await page.getByTestId("events-form").waitFor();
  await page.getByTestId("events-type").fill("token.Transfer");
  await page.getByTestId("events-from").fill(String(sent.height));
  await page.getByRole("button", { name: "Search events" }).click();
  const hit = page.locator(`[data-testid="index-events-table"] tr[data-tx="${sent.hash}"]`);
  await hit.waitFor();
  assert.match((await hit.textContent()) ?? "", /"amount": "4242"/);
  assert.ok(((await hit.textContent()) ?? "").includes(bob.address));
  await shot("06-events-found");

  // From the first block: a full page, then more with “More”, each event once.
  await page.getByTestId("events-from").fill("");
  await page.getByRole("button", { name: "Search events" }).click();
  const rows = page.locator('[data-testid="index-events-table"] tbody tr');
  await page.locator('[data-testid="index-events-table"][data-rows="20"]').waitFor();
  await page.getByTestId("events-more").click();
  await page.getByTestId("events-more-end").waitFor();
  const txs = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-tx")));
  assert.equal(txs.length, BULK + 1, "one Transfer per transfer, each once");
  assert.deepEqual(new Set(txs), new Set([...bulkHashes, sent.hash]));
  await shot("07-events-paged");

  // A misspelt type is explained before anything is asked.
  await page.getByTestId("events-type").fill("Transfer");
  await page.getByRole("button", { name: "Search events" }).click();
  await page.getByText("An event type is module.Type").waitFor();

  // The index views on a phone: no sideways scrolling of the page.
  await page.setViewportSize({ width: 390, height: 844 });
  for (const [hash, name] of [[`#/explorer/events/token.Transfer/${sent.height}`, "08-phone-events"], [`#/explorer/account/${alice.address}`, "09-phone-history"]]) {
    await page.goto(`${url}/console${hash}`);
    await page.locator('[data-testid="index-events-table"], [data-testid="index-account-txs"]').first().waitFor();
    const w = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, view: window.innerWidth }));
    assert.ok(w.scroll <= w.view, `${hash}: no horizontal scrolling: ${JSON.stringify(w)}`);
    await shot(name);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
});

test("when the indexer stops, the badge says so and the explorer keeps reading the node", { timeout: 30_000 }, async () => {
  await indexer?.stop("SIGTERM");
  await page.goto(`${url}/console#/explorer/account/${alice.address}`);
  await page.locator('[data-testid="index-badge"][data-state="down"]').waitFor({ timeout: 15_000 });
  await page.getByTestId("account-txs").waitFor();
  assert.equal(await text("account-nonce"), String(BULK + 1));
  await shot("10-index-stopped");
  assert.equal(indexer?.running, false, "the indexer exited");
});

test("no CSP violation, page error or unexpected console error", () => {
  assert.deepEqual(problems, []);
});
