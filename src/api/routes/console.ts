/**
 * The web console's static pages (built by scripts/build-console.mjs into dist/console/):
 * `GET /console` is the React app (overview, live charts, explorer, alerts; hash-routed, and
 * any other extension-less `/console/<path>` falls back to it), `GET /console/verify` checks a
 * proof bundle in the browser, offline. Files are read from the build on each request (they are
 * small, and a rebuild then needs no restart); asset names carry a content hash, so they are
 * cached for good while the HTML is revalidated.
 *
 * Every response carries a Content-Security-Policy that allows only this origin's scripts and
 * styles (no inline code). The verify page may open no connection at all (it cannot send a byte
 * it reads); the app may talk to this origin only (fetch and the block WebSocket: CSP Level 3
 * 'self' covers ws:/wss: of the same host).
 */
import { readFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply } from "fastify";
import { CivitasError, ErrorCode } from "../../util/errors.js";

/** dist/console/ (this file is compiled to dist/src/api/routes/). */
export const CONSOLE_DIR = fileURLToPath(new URL("../../../console/", import.meta.url));

export const CONSOLE_CSP = "default-src 'self'; connect-src 'none'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export const APP_CSP = "default-src 'self'; connect-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
};
/** One path segment of an esbuild output name: no separators, no leading dot. */
const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const PAGES = ["verify"] as const;

function notBuilt(what: string): CivitasError {
  return new CivitasError(ErrorCode.API_NOT_FOUND, `the web console is not built in this installation (${what} is missing): run \`npm run build\` and reload`, { file: what });
}

async function readBuilt(dir: string, rel: string): Promise<Buffer | undefined> {
  try {
    return await readFile(join(dir, rel));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "EISDIR") return undefined;
    throw e;
  }
}

function secure(reply: FastifyReply, type: string, cache: string, csp = CONSOLE_CSP): FastifyReply {
  return reply.type(type).header("content-security-policy", csp).header("x-content-type-options", "nosniff").header("referrer-policy", "no-referrer").header("cache-control", cache);
}

export function consoleRoutes(app: FastifyInstance, dir: string = CONSOLE_DIR): void {
  const schema = { tags: ["console"] };
  const appPage = async (reply: FastifyReply): Promise<FastifyReply> => {
    const html = await readBuilt(dir, "index.html");
    if (!html) throw notBuilt("dist/console/index.html");
    return secure(reply, TYPES[".html"], "no-cache", APP_CSP).send(html);
  };
  app.get("/console", { schema: { ...schema, summary: "The web console app (HTML): node overview, live charts, explorer, alerts; pages are chosen by the URL's #hash." } }, async (_req, reply) => appPage(reply));
  // SPA fallback: a bookmarked or mistyped /console/<path> gets the app, which shows its own
  // "no such page"; anything that looks like a file (or sits under assets/) stays a 404.
  app.get<{ Params: { "*": string } }>("/console/*", { schema: { ...schema, summary: "The web console app for any other /console/<path> (SPA fallback)." } }, async (req, reply) => {
    const rest = req.params["*"];
    if (rest.startsWith("assets/") || extname(rest) !== "") throw new CivitasError(ErrorCode.API_NOT_FOUND, `no console file '${rest}'`, { path: rest });
    return appPage(reply);
  });

  for (const page of PAGES) {
    app.get(`/console/${page}`, { schema: { ...schema, summary: "Web console page (HTML): check an offline proof bundle and its document in the browser, with no network request." } }, async (_req, reply) => {
      const html = await readBuilt(dir, join(page, "index.html"));
      if (!html) throw notBuilt(`dist/console/${page}/index.html`);
      return secure(reply, TYPES[".html"], "no-cache").send(html);
    });
  }

  app.get<{ Params: { file: string } }>("/console/assets/:file", { schema: { ...schema, summary: "The web console's scripts and styles (content-hashed names)." } }, async (req, reply) => {
    const { file } = req.params;
    const type = TYPES[extname(file)];
    if (!ASSET_NAME.test(file) || type === undefined || file.endsWith(".html")) throw new CivitasError(ErrorCode.API_NOT_FOUND, `no console asset '${file}'`, { file });
    const body = await readBuilt(dir, join("assets", file));
    if (!body) {
      // Distinguish a stale page (asset renamed by a rebuild) from a missing build.
      if (!(await readBuilt(dir, join(PAGES[0], "index.html")))) throw notBuilt(`dist/console/assets/${file}`);
      throw new CivitasError(ErrorCode.API_NOT_FOUND, `no console asset '${file}' (the console was rebuilt: reload the page)`, { file });
    }
    return secure(reply, type, "public, max-age=31536000, immutable").send(body);
  });
}
