#!/usr/bin/env node
// Builds the web console's static pages into dist/console/ (served by src/api/routes/console.ts):
// type-checks the verify page's TypeScript (browser libs, no Node types), bundles it and its CSS
// with esbuild into content-hashed files under dist/console/assets/, and writes the HTML with
// their names; then type-checks the React app (console/app) and builds it with Vite into
// dist/console/index.html + dist/console/assets/app-*. Runs as part of `npm run build` (so
// `npm install` and `npm test` build it too).
import { spawnSync } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const out = join(root, "dist", "console");
const assets = join(out, "assets");

function typecheck(project) {
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  const r = spawnSync(process.execPath, [tsc, "-p", project], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) throw new Error(`type errors in ${project}`);
}

async function page(name) {
  const src = join(root, "console", name);
  typecheck(join(src, "tsconfig.json"));
  const r = await build({
    entryPoints: [
      { in: join(src, "main.ts"), out: name },
      { in: join(src, "style.css"), out: name },
    ],
    outdir: assets,
    entryNames: "[name]-[hash]",
    bundle: true,
    // Browser platform: a Node built-in reached from the page fails the build instead of being shimmed.
    platform: "browser",
    format: "esm",
    target: ["es2022", "chrome111", "firefox113", "safari16.4"],
    minify: true,
    sourcemap: "linked",
    legalComments: "linked",
    metafile: true,
    logLevel: "warning",
  });
  const outputs = Object.entries(r.metafile.outputs).filter(([, o]) => o.entryPoint);
  const pick = (ext) => {
    const found = outputs.find(([p]) => p.endsWith(ext));
    if (!found) throw new Error(`esbuild wrote no ${ext} for ${name}`);
    return `assets/${basename(found[0])}`;
  };
  const template = await readFile(join(src, "index.html"), "utf8");
  // Relative to /console/<name>, so the page also works behind a proxy that adds a path prefix.
  const html = template.replace("%VERIFY_JS%", pick(".js")).replace("%VERIFY_CSS%", pick(".css"));
  if (html.includes("%VERIFY_")) throw new Error(`console/${name}/index.html has an unreplaced placeholder`);
  await mkdir(join(out, name), { recursive: true });
  await writeFile(join(out, name, "index.html"), html);
  return [pick(".js"), pick(".css")];
}

async function app() {
  const src = join(root, "console", "app");
  typecheck(join(src, "tsconfig.json"));
  // Imported here, not at the top: the verify page builds without loading Vite.
  const { build: viteBuild } = await import("vite");
  await viteBuild({ configFile: join(src, "vite.config.ts"), mode: "production" });
}

await rm(out, { recursive: true, force: true });
const built = await page("verify");
process.stdout.write(`console: dist/console/verify/index.html (${built.join(", ")})\n`);
await app();
process.stdout.write("console: dist/console/index.html (the app, at /console)\n");
