#!/usr/bin/env node
// Runs every compiled test file with node's built-in runner. Node 20 has no glob support in
// `node --test`, so the file list is collected here. Tiers run in order: unit, spec, sim (deterministic consensus simulation), e2e.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

const root = new URL("../dist/test/", import.meta.url).pathname;
const sources = new URL("../test/", import.meta.url).pathname;
const tiers = process.argv.slice(2).length ? process.argv.slice(2) : ["unit", "spec", "sim", "e2e"];
function collect(dir) {
  let out = [];
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries.sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(collect(p));
    // tsc never deletes outputs: a compiled test whose source was removed or renamed is skipped.
    else if (name.endsWith(".test.js") && existsSync(join(sources, p.slice(root.length)).replace(/\.js$/, ".ts"))) out.push(p);
  }
  return out;
}
const files = tiers.flatMap((t) => collect(join(root, t)));
if (files.length === 0) {
  console.error("no test files found under dist/test; run `npm run build` first");
  process.exit(1);
}
const res = spawnSync(process.execPath, ["--test", "--test-concurrency=2", "--test-reporter=spec", ...files], { stdio: "inherit" });
process.exit(res.status ?? 1);
