/**
 * The console's static route (src/api/routes/console.ts) on a bare Fastify app: the page and its
 * assets from a build folder with their content types and the strict CSP, names that could
 * leave the assets folder refused, and a clear 404 when the console is not built.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify from "fastify";
import type { FastifyInstance } from "fastify";
import { errorHandler } from "../../src/api/errors.js";
import { APP_CSP, CONSOLE_CSP, consoleRoutes } from "../../src/api/routes/console.js";

let root: string;

async function app(dir: string): Promise<FastifyInstance> {
  const a = Fastify();
  a.setErrorHandler(errorHandler);
  consoleRoutes(a, dir);
  await a.ready();
  return a;
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), "civitas-console-route-"));
  await mkdir(join(root, "built", "verify"), { recursive: true });
  await mkdir(join(root, "built", "assets"), { recursive: true });
  await mkdir(join(root, "empty"));
  await writeFile(join(root, "built", "verify", "index.html"), '<!doctype html><script type="module" src="assets/verify-AB12.js"></script>');
  await writeFile(join(root, "built", "assets", "verify-AB12.js"), "export {};\n");
  await writeFile(join(root, "built", "assets", "verify-CD34.css"), "body{}\n");
  await writeFile(join(root, "built", "secret.txt"), "outside the assets folder\n");
  await writeFile(join(root, "built", "index.html"), '<!doctype html><script type="module" src="/console/assets/app-EF56.js"></script>');
});

after(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

test("serves the page and its assets with their types, the CSP and cache rules", async () => {
  const a = await app(join(root, "built"));
  const page = await a.inject({ method: "GET", url: "/console/verify" });
  assert.equal(page.statusCode, 200);
  assert.equal(page.headers["content-type"], "text/html; charset=utf-8");
  assert.equal(page.headers["content-security-policy"], CONSOLE_CSP);
  assert.match(CONSOLE_CSP, /^default-src 'self';/);
  assert.match(CONSOLE_CSP, /connect-src 'none'/);
  assert.doesNotMatch(CONSOLE_CSP, /unsafe-inline|unsafe-eval/);
  assert.equal(page.headers["x-content-type-options"], "nosniff");
  assert.equal(page.headers["cache-control"], "no-cache");
  assert.match(page.body, /verify-AB12\.js/);

  const js = await a.inject({ method: "GET", url: "/console/assets/verify-AB12.js" });
  assert.equal(js.statusCode, 200);
  assert.equal(js.headers["content-type"], "text/javascript; charset=utf-8");
  assert.equal(js.headers["content-security-policy"], CONSOLE_CSP);
  assert.match(String(js.headers["cache-control"]), /immutable/);
  assert.equal(js.body, "export {};\n");
  const css = await a.inject({ method: "GET", url: "/console/assets/verify-CD34.css" });
  assert.equal(css.headers["content-type"], "text/css; charset=utf-8");

  await a.close();
});

test("the app at /console and any extension-less /console/<path>, with its same-origin CSP; files stay 404", async () => {
  const a = await app(join(root, "built"));
  for (const url of ["/console", "/console/", "/console/explorer/tx/ab12"]) {
    const r = await a.inject({ method: "GET", url });
    assert.equal(r.statusCode, 200, url);
    assert.equal(r.headers["content-type"], "text/html; charset=utf-8");
    assert.equal(r.headers["content-security-policy"], APP_CSP, url);
    assert.equal(r.headers["cache-control"], "no-cache");
    assert.match(r.body, /app-EF56\.js/);
  }
  assert.match(APP_CSP, /^default-src 'self';.*connect-src 'self'/);
  assert.doesNotMatch(APP_CSP, /unsafe-inline|unsafe-eval|\*/);
  for (const url of ["/console/secret.txt", "/console/assets/sub/x.js", "/console/verify/../secret.txt"]) {
    const r = await a.inject({ method: "GET", url });
    assert.equal(r.statusCode, 404, url);
    assert.doesNotMatch(r.body, /outside the assets folder/);
  }
  // The verify page keeps its own stricter policy.
  assert.equal((await a.inject({ method: "GET", url: "/console/verify" })).headers["content-security-policy"], CONSOLE_CSP);
  await a.close();
});

test("refuses asset names outside the folder or of unknown types, and says when an asset is stale", async () => {
  const a = await app(join(root, "built"));
  for (const url of ["/console/assets/..%2Fsecret.txt", "/console/assets/%2E%2E%2Fverify%2Findex.html", "/console/assets/.hidden.js", "/console/assets/verify-AB12.exe", "/console/assets/index.html"]) {
    const r = await a.inject({ method: "GET", url });
    assert.equal(r.statusCode, 404, url);
    assert.equal(r.json<{ code: string }>().code, "API_NOT_FOUND", url);
    assert.doesNotMatch(r.body, /outside the assets folder/);
  }
  const stale = await a.inject({ method: "GET", url: "/console/assets/verify-OLD1.js" });
  assert.equal(stale.statusCode, 404);
  assert.match(stale.json<{ message: string }>().message, /rebuilt: reload the page/);
  await a.close();
});

test("without a build, the page and assets answer 404 saying how to build the console", async () => {
  const a = await app(join(root, "empty"));
  for (const url of ["/console", "/console/verify", "/console/assets/verify-AB12.js"]) {
    const r = await a.inject({ method: "GET", url });
    assert.equal(r.statusCode, 404, url);
    const body = r.json<{ code: string; message: string }>();
    assert.equal(body.code, "API_NOT_FOUND");
    assert.match(body.message, /web console is not built .*npm run build/);
  }
  await a.close();
});
