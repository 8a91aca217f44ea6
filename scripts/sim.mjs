#!/usr/bin/env node
// Deterministic consensus simulator sweep (test/sim/, docs/spec/consensus.md "Simulator").
//
//   npm run sim -- --seeds 10000            seeds 1..10000 (random scenarios), all cores
//   npm run sim -- --seeds 500 --from 7000  seeds 7000..7499
//   npm run sim -- --seed 4242 --verbose    replay one seed exactly, with its scenario
//   npm run sim -- --scenario f+1 --seeds 20  a negative control (these are expected to fail)
//   npm run sim -- --engine --seeds 50      the same scenarios on the production BftEngine over
//                                           real chains (LMDB, real transactions); slower
//   options: --jobs N (worker threads), --verbose (one line per seed)
//
// Exits 1 if any seed reports a violation; each failure prints its seed and the replay command.
// Runs from dist/ (npm run sim builds first).
import { availableParallelism } from "node:os";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import cliProgress from "cli-progress";

const scenariosUrl = new URL("../dist/test/sim/scenarios.js", import.meta.url);
const engineUrl = new URL("../dist/test/sim/engine-scenarios.js", import.meta.url);

function parseArgs(argv) {
  const o = { seeds: 200, from: 1, seed: undefined, scenario: "random", jobs: Math.max(1, availableParallelism()), verbose: false, engine: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--seeds") o.seeds = Number(next());
    else if (a === "--from") o.from = Number(next());
    else if (a === "--seed") o.seed = Number(next());
    else if (a === "--scenario") o.scenario = next();
    else if (a === "--jobs") o.jobs = Number(next());
    else if (a === "--verbose" || a === "-v") o.verbose = true;
    else if (a === "--engine") o.engine = true;
    else if (a === "--help" || a === "-h") {
      console.log("usage: npm run sim -- [--seeds N] [--from S] [--seed S] [--scenario random|f+1|ignore-lock|send-before-sync] [--engine] [--jobs N] [--verbose]");
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  for (const k of ["seeds", "from", "jobs"]) if (!Number.isSafeInteger(o[k]) || o[k] < (k === "from" ? 0 : 1)) throw new Error(`--${k} must be a positive integer`);
  if (o.seed !== undefined && !Number.isSafeInteger(o.seed)) throw new Error("--seed must be an integer");
  return o;
}

/** What crosses the worker boundary: the result without the Simulation object. */
function plain(r) {
  const rest = { ...r };
  delete rest.sim;
  return rest;
}

if (!isMainThread) {
  const { seeds, kind, engine } = workerData;
  if (engine) {
    const { runEngineSeed, closeEnginePool } = await import(engineUrl.href);
    for (const seed of seeds) parentPort.postMessage(plain(await runEngineSeed(seed)));
    await closeEnginePool();
  } else {
    const { runSeed } = await import(scenariosUrl.href);
    for (const seed of seeds) parentPort.postMessage(plain(runSeed(seed, kind)));
  }
} else {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(String(e.message ?? e));
    process.exit(2);
  }
  const { runSeed, replayCommand: coreReplay, SCENARIO_KINDS } = await import(scenariosUrl.href);
  const engineMod = opts.engine ? await import(engineUrl.href) : undefined;
  if (opts.engine && opts.scenario !== "random") {
    console.error("--engine runs the random scenarios only (the negative controls fault the core directly)");
    process.exit(2);
  }
  const replayCommand = (seed, kind) => (engineMod ? engineMod.engineReplayCommand(seed) : coreReplay(seed, kind));
  if (!SCENARIO_KINDS.includes(opts.scenario)) {
    console.error(`unknown scenario ${opts.scenario}; one of ${SCENARIO_KINDS.join(", ")}`);
    process.exit(2);
  }
  const kind = opts.scenario;
  const line = (r) => `seed ${r.seed}: n=${r.validators} height=${r.height} virtual=${r.virtualMs}ms wall=${r.wallMs.toFixed(0)}ms events=${r.events} acked=${r.acked}${r.lostWrites ? ` lostWrites=${r.lostWrites}` : ""} ${r.violations.length ? `FAIL (${r.violations.length})` : "ok"}`;

  if (opts.seed !== undefined) {
    // Replay of one seed, in this thread.
    const r = engineMod ? await engineMod.runEngineSeed(opts.seed) : runSeed(opts.seed, kind);
    if (engineMod) await engineMod.closeEnginePool();
    console.log(`scenario: ${r.summary}`);
    console.log(line(r));
    for (const v of r.violations) console.log(`  ${v}`);
    if (r.violations.length) console.log(`replay: ${replayCommand(r.seed, kind)}`);
    process.exit(r.violations.length ? 1 : 0);
  }

  const seeds = Array.from({ length: opts.seeds }, (_, i) => opts.from + i);
  const jobs = Math.min(opts.jobs, seeds.length);
  const started = performance.now();
  const failures = [];
  let done = 0;
  let wall = 0;
  const bar = opts.verbose ? undefined : new cliProgress.SingleBar({ format: "sim [{bar}] {value}/{total} seeds | {failures} failing | {eta_formatted} left", hideCursor: true }, cliProgress.Presets.shades_classic);
  bar?.start(seeds.length, 0, { failures: 0 });
  const onResult = (r) => {
    done++;
    wall += r.wallMs;
    if (r.violations.length) failures.push(r);
    if (opts.verbose) console.log(line(r));
    bar?.update(done, { failures: failures.length });
  };
  await Promise.all(
    Array.from({ length: jobs }, (_, j) => {
      const mine = seeds.filter((_, i) => i % jobs === j);
      return new Promise((resolve, reject) => {
        const w = new Worker(fileURLToPath(import.meta.url), { workerData: { seeds: mine, kind, engine: opts.engine } });
        w.on("message", onResult);
        w.on("error", reject);
        w.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`))));
      });
    }),
  ).catch((e) => {
    bar?.stop();
    console.error(e);
    process.exit(2);
  });
  bar?.stop();
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  failures.sort((a, b) => a.seed - b.seed);
  for (const r of failures) {
    console.log(`\nFAIL seed ${r.seed} (${r.summary})`);
    for (const v of r.violations.slice(0, 10)) console.log(`  ${v}`);
    if (r.violations.length > 10) console.log(`  ... ${r.violations.length - 10} more`);
    console.log(`  replay: ${replayCommand(r.seed, kind)}`);
  }
  console.log(`\n${seeds.length} seeds (${kind}, ${seeds[0]}..${seeds[seeds.length - 1]}) in ${secs}s on ${jobs} thread(s), ${(wall / seeds.length).toFixed(0)} ms/seed: ${failures.length} failing`);
  process.exit(failures.length ? 1 : 0);
}
