/**
 * `civitas console` in a real browser (Debian's chromium via playwright-core): with a temporary
 * CIVITAS_HOME, the console shows only the Networks page; a 2-validator bft network without
 * "allow no fault tolerance" is refused with the error under the Validators input and nothing is
 * recorded; a 4-validator network created from the form is listed as stopped, started with its
 * button (four `civitas start` processes), shown running with a growing height whose API link
 * answers with height > 0, then stopped with its button (its processes gone). The page runs under
 * the console's CSP: any page error or unexpected console error fails the test.
 * Screenshots: test-artifacts/console-networks/.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { request } from "node:http";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { chromium } from "playwright-core";
import type { Browser, Page } from "playwright-core";
import { freePortRange } from "../../src/util/ports.js";
import type { Proc } from "./helpers/proc-node.js";
import { freePort, getJson, killAll, runCli, spawnCli } from "./helpers/proc-node.js";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const ARTIFACTS = join(REPO, "test-artifacts", "console-networks");
const NAME = "demo-net";

let root: string;
let home: string;
let consoleProc: Proc | undefined;
let url: string;
let browser: Browser | undefined;
let page: Page;
const problems: string[] = [];

const shot = (name: string): Promise<Buffer> => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
const row = (name: string) => page.locator(`[data-testid="network-table"] tr[data-name="${name}"]`);

before(
  async () => {
    await promisify(execFile)("sh", [join(REPO, "scripts", "ensure-chromium.sh")], { timeout: 20 * 60_000, maxBuffer: 16 << 20 });
    await mkdir(ARTIFACTS, { recursive: true });
    root = await mkdtemp(join(tmpdir(), "civitas-console-networks-"));
    home = join(root, "home");
    const port = await freePort();
    consoleProc = spawnCli(["console", "--port", String(port)], { env: { CIVITAS_HOME: home } });
    url = (await consoleProc.waitFor(/Civitas console at (http:\/\/127\.0\.0\.1:\d+)\//, "stdout"))[1];
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("console", (m) => {
      // The refused spec is a 400 on purpose; Chromium logs that response.
      if (m.type() === "error" && !/Failed to load resource: the server responded with a status of 400/.test(m.text())) problems.push(`console: ${m.text()}`);
    });
  },
  { timeout: 20 * 60_000 },
);

after(async () => {
  await browser?.close();
  // Network nodes are detached processes: stop them by their pids.json even if a test failed.
  if (home) await runCli(["network", "stop", NAME], { env: { CIVITAS_HOME: home }, timeoutMs: 30_000 });
  await consoleProc?.stop();
  await killAll();
  if (root) await rm(root, { recursive: true, force: true });
});

test("civitas console listens on loopback only, refuses other Host names, and serves only the Networks page", { timeout: 30_000 }, async () => {
  const resp = await page.goto(`${url}/console`, { waitUntil: "load" });
  assert.equal(resp?.status(), 200, "GET /console (is the console built? npm run build)");
  assert.match(resp?.headers()["content-security-policy"] ?? "", /connect-src 'self'/);
  await page.getByTestId("networks").getByText("No networks yet").waitFor();
  assert.equal(await page.getByTestId("top-status").getAttribute("data-state"), "manage");
  assert.equal(await page.getByRole("link", { name: "Explorer" }).count(), 0);
  // Another Host name (a DNS-rebinding page) is refused before any route runs.
  const status = await new Promise<number>((resolve, reject) => {
    const u = new URL(`${url}/v1/manage/networks`);
    request({ host: u.hostname, port: u.port, path: u.pathname, headers: { host: `attacker.example:${u.port}` } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on("error", reject)
      .end();
  });
  assert.equal(status, 403);
  // Bound to 127.0.0.1 only: this machine's other addresses do not answer.
  const other = Object.values(networkInterfaces()).flat().find((a) => a && a.family === "IPv4" && !a.internal);
  if (other) await assert.rejects(fetch(`http://${other.address}:${new URL(url).port}/v1/manage/networks`, { signal: AbortSignal.timeout(2_000) }));
  await shot("01-empty");
});

test("an invalid form shows the node layer's field error and creates nothing", { timeout: 30_000 }, async () => {
  const form = page.getByTestId("create-network");
  await form.locator('input[name="name"]').fill("two-validators");
  await form.locator('input[name="validators"]').fill("2");
  await form.getByRole("button", { name: "Create network" }).click();
  const err = page.getByTestId("error-validators");
  await err.waitFor();
  assert.match((await err.textContent()) ?? "", /tolerates no faulty validator/);
  assert.equal(await form.locator('input[name="validators"]').getAttribute("aria-invalid"), "true");
  const list = await getJson<{ networks: unknown[] }>(`${url}/v1/manage/networks`);
  assert.deepEqual(list.body.networks, []);
  assert.equal(existsSync(join(home, "networks", "two-validators")), false);
  await shot("02-invalid-form");
});

test("a 4-validator network is created from the form, started, turns healthy, and is stopped", { timeout: 90_000 }, async () => {
  const base = await freePortRange(8);
  const form = page.getByTestId("create-network");
  await form.locator('input[name="name"]').fill(NAME);
  await form.locator('input[name="validators"]').fill("4");
  await form.locator('input[name="intervalMs"]').fill("100");
  await form.locator('input[name="apiBase"]').fill(String(base));
  await form.locator('input[name="p2pBase"]').fill(String(base + 4));
  // Without transactions only empty blocks move the height.
  await form.locator('input[name="createEmptyBlocks"]').check();
  await form.getByRole("button", { name: "Create network" }).click();
  await page.getByTestId("created").waitFor();
  assert.equal(await page.getByTestId("error-validators").count(), 0);
  await row(NAME).and(page.locator('[data-status="stopped"]')).waitFor();
  assert.match((await row(NAME).textContent()) ?? "", /4 \(4 validators\)/);
  await shot("03-created");

  await row(NAME).getByRole("button", { name: "Start" }).click();
  await row(NAME).and(page.locator('[data-status="running"]')).waitFor({ timeout: 70_000 });
  await page.waitForFunction((n) => Number(document.querySelector(`tr[data-name="${n}"] [data-testid="height"]`)?.textContent) > 0, NAME, { timeout: 20_000 });
  const links = await row(NAME).locator("a.api-link").evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
  assert.deepEqual(links, [0, 1, 2, 3].map((i) => `http://127.0.0.1:${base + i}/v1/status`));
  for (const l of links) {
    const s = await getJson<{ head: { height: number } }>(l);
    assert.equal(s.status, 200);
    assert.ok(s.body.head.height > 0, `${l}: height ${s.body.head.height}`);
  }
  const pids = (JSON.parse(await readFile(join(home, "networks", NAME, "pids.json"), "utf8")) as { nodes: Array<{ pid: number }> }).nodes.map((n) => n.pid);
  assert.equal(pids.length, 4);
  await shot("04-running");

  await row(NAME).getByRole("button", { name: "Stop" }).click();
  await row(NAME).and(page.locator('[data-status="stopped"]')).waitFor({ timeout: 30_000 });
  for (const pid of pids) assert.throws(() => process.kill(pid, 0), "node process is gone");
  await assert.rejects(fetch(links[0], { signal: AbortSignal.timeout(2_000) }));
  await shot("05-stopped");
});

test("no page error or unexpected console error", () => {
  assert.deepEqual(problems, []);
});
