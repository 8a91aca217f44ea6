/**
 * The web console's static pages (built by scripts/build-console.mjs into dist/console/):
 * `GET /console/verify` checks a proof bundle in the browser, offline. Files are read from the
 * build on each request (they are small, and a rebuild then needs no restart); asset names
 * carry a content hash, so they are cached for good while the HTML is revalidated.
 *
 * Every response carries a Content-Security-Policy that allows only this origin's scripts and
 * styles (no inline code) and no connections at all: the page cannot send a byte it reads.
 */
import { readFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply } from "fastify";
import { CivitasError, ErrorCode } from "../../util/errors.js";

/** dist/console/ (this file is compiled to dist/src/api/routes/). */
export const CONSOLE_DIR = fileURLToPath(new URL("../../../console/", import.meta.url));

export const CONSOLE_CSP = "default-src 'self'; connect-src 'none'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

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

function secure(reply: FastifyReply, type: string, cache: string): FastifyReply {
  return reply.type(type).header("content-security-policy", CONSOLE_CSP).header("x-content-type-options", "nosniff").header("referrer-policy", "no-referrer").header("cache-control", cache);
}

export function consoleRoutes(app: FastifyInstance, dir: string = CONSOLE_DIR): void {
  const schema = { tags: ["console"] };
  app.get("/console", { schema: { ...schema, summary: "The web console: redirects to its first page, /console/verify." } }, async (_req, reply) => reply.redirect("/console/verify"));

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
