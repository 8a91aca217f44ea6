/**
 * `npm run bench`: committed-transfer throughput and commit latency.
 *
 * Without --validators (or with --validators 1): one solo node. With --validators N (N >= 2): a
 * local BFT network of N validator processes plus an etcd baseline, see bench/bft.ts.
 * `npm run bench -- --help` lists the options.
 *
 * Solo mode: the node runs as its own process (`civitas start`), as in production. This process
 * signs every transfer before the timed windows, then runs two phases:
 *  1. saturation: batches submitted back to back with a few requests in flight, which measures
 *     the most the node commits per second (latency here is mostly queueing);
 *  2. paced: a steady offered load at half of phase 1's throughput, which measures commit
 *     latency when the node is not overloaded.
 * Commit times come from the node's WebSocket block stream; latency of a transaction = arrival
 * of the block that holds it - the moment its batch was sent. Prints a table to stderr and one
 * JSON document to stdout.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import cliProgress from "cli-progress";
import { Command, InvalidArgumentError, Option } from "commander";
import { getNodeSuite } from "../src/crypto/node-suites.js";
import type { KeyPair } from "../src/crypto/suite.js";
import { signTx } from "../src/ledger/tx.js";
import { fromHex, toHex } from "../src/util/bytes.js";
import { runBftBench } from "./bft.js";
import { BlockWatcher, freePort, latencyJson, procStats, round, txHeights } from "./common.js";

interface Options {
  senders: number;
  txsPerSender: number;
  batchSize: number;
  inFlight: number;
  blockIntervalMs: number;
  pacedSeconds: number;
  nodeFlags: string[];
}

interface Batch {
  hex: string[];
  hashes: string[];
  /** The request body, serialised before the timed window so the generator spends less CPU in it. */
  body: string;
  sentAt: number;
}

/** Signs `perSender` transfers for every sender starting at `firstNonce`, senders interleaved. */
function signBatches(chain: string, wallets: KeyPair[], addresses: string[], firstNonce: number, perSender: number, batchSize: number): Batch[] {
  const suite = getNodeSuite("ed25519-sha256");
  const expires = Date.now() + 30 * 60_000;
  const batches: Batch[] = [];
  let cur: Batch = { hex: [], hashes: [], body: "", sentAt: 0 };
  for (let n = firstNonce; n < firstNonce + perSender; n++) {
    for (let s = 0; s < wallets.length; s++) {
      const tx = signTx(suite, { chain, from: fromHex(addresses[s]), nonce: n, expires, gasLimit: 100_000, calls: [{ module: "token", method: "transfer", args: { to: addresses[0], amount: 1 } }], memo: "" }, wallets[s].secretKey);
      cur.hex.push(toHex(tx.bytes));
      cur.hashes.push(toHex(suite.hash(tx.bodyBytes)));
      if (cur.hex.length === batchSize) {
        batches.push(cur);
        cur = { hex: [], hashes: [], body: "", sentAt: 0 };
      }
    }
  }
  if (cur.hex.length) batches.push(cur);
  for (const b of batches) b.body = JSON.stringify({ txs: b.hex });
  return batches;
}

async function submit(url: string, b: Batch): Promise<number> {
  b.sentAt = performance.now();
  const res = await fetch(url + "/v1/txs", { method: "POST", headers: { "content-type": "application/json" }, body: b.body });
  const body = (await res.json()) as { rejected?: number; results?: Array<{ error?: { code: string; message: string } }> };
  if (body.rejected) process.stderr.write(`\n${body.rejected} rejected, first: ${JSON.stringify(body.results?.find((r) => r.error)?.error)}\n`);
  return body.rejected ?? 0;
}

async function latencies(url: string, watcher: BlockWatcher, batches: Batch[]): Promise<number[]> {
  const heightOf = await txHeights(url, watcher.arrival.keys());
  const out: number[] = [];
  for (const b of batches) {
    for (const hsh of b.hashes) {
      const h = heightOf.get(hsh);
      if (h !== undefined) out.push((watcher.arrival.get(h) as number) - b.sentAt);
    }
  }
  return out.sort((a, b) => a - b);
}

async function runSolo(o: Options): Promise<void> {
  const total = o.senders * o.txsPerSender;
  const suite = getNodeSuite("ed25519-sha256");
  const home = mkdtempSync(join(tmpdir(), "civitas-bench-"));
  const cli = new URL("../src/cli/main.js", import.meta.url).pathname;
  const port = await freePort();
  const env = { ...process.env, CIVITAS_PASSPHRASE: "bench-passphrase" };
  const wallets = Array.from({ length: o.senders }, () => suite.generateKeyPair());
  const addresses = wallets.map((w) => suite.address(w.publicKey));
  const initFile = join(home, "init.json");
  writeFileSync(initFile, JSON.stringify({ balance: addresses.map((a) => `${a}=1000000000`), blockIntervalMs: String(o.blockIntervalMs), maxBlockTxs: "20000", chainId: "civitas-bench" }));
  const init = spawn(process.execPath, [cli, "init", "--home", join(home, "node"), "--from", initFile, "--api-port", String(port)], { env, stdio: ["ignore", "ignore", "inherit"] });
  await new Promise((r) => init.on("exit", r));
  const chain = (JSON.parse(readFileSync(join(home, "node", "genesis.json"), "utf8")) as { chainId: string }).chainId;

  process.stderr.write(`signing ${total} transfers from ${o.senders} accounts...\n`);
  const batches = signBatches(chain, wallets, addresses, 0, o.txsPerSender, o.batchSize);

  const node = spawn(process.execPath, [...o.nodeFlags, cli, "start", "--home", join(home, "node")], { env, stdio: ["ignore", "ignore", "inherit"] });
  const url = `http://127.0.0.1:${port}`;
  const onSignal = (sig: NodeJS.Signals): void => {
    node.kill("SIGKILL");
    rmSync(home, { recursive: true, force: true });
    process.exit(sig === "SIGINT" ? 130 : 143);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(url + "/v1/health")).ok) break;
      } catch {
        if (i > 200) throw new Error("node did not start");
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const watcher = await BlockWatcher.open(url);

    // Phase 1: saturation.
    const cpu0 = procStats(node.pid as number);
    const bar = process.stderr.isTTY ? new cliProgress.SingleBar({ format: "saturation [{bar}] {value}/{total} txs", stream: process.stderr }, cliProgress.Presets.shades_classic) : undefined;
    bar?.start(total, 0);
    let rejected = 0;
    let next = 0;
    const t0 = performance.now();
    const worker = async (): Promise<void> => {
      while (next < batches.length) {
        const b = batches[next++];
        rejected += await submit(url, b);
        bar?.increment(b.hex.length);
      }
    };
    await Promise.all(Array.from({ length: o.inFlight }, worker));
    bar?.stop();
    await watcher.until(total - rejected, 120_000);
    const cpu1 = procStats(node.pid as number);
    const windowSeconds = (watcher.lastCommitAt - t0) / 1000;
    const sat = await latencies(url, watcher, batches);
    const tps = Math.round(sat.length / windowSeconds);

    // Phase 2: paced at half the measured throughput.
    const rate = Math.max(100, Math.floor(tps / 2));
    const pacedCount = rate * o.pacedSeconds;
    const perSender = Math.max(1, Math.ceil(pacedCount / o.senders));
    const pacedBatchSize = Math.max(1, Math.round(rate / 10));
    process.stderr.write(`paced phase: ${rate} tx/s for ${o.pacedSeconds} s in batches of ${pacedBatchSize} every 100 ms...\n`);
    const paced = signBatches(chain, wallets, addresses, o.txsPerSender, perSender, pacedBatchSize).slice(0, Math.ceil(pacedCount / pacedBatchSize));
    const pacedTotal = paced.reduce((s, b) => s + b.hex.length, 0);
    const before = watcher.committed;
    const p0 = performance.now();
    const inflight: Array<Promise<number>> = [];
    for (let i = 0; i < paced.length; i++) {
      const due = p0 + i * 100;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      inflight.push(submit(url, paced[i]));
    }
    const pacedRejected = (await Promise.all(inflight)).reduce((a, b) => a + b, 0);
    await watcher.until(before + pacedTotal - pacedRejected, 60_000);
    const pacedLat = await latencies(url, watcher, paced);
    watcher.close();

    const result = {
      benchmark: "token-transfer-solo",
      blockIntervalMs: o.blockIntervalMs,
      saturation: {
        transactions: total,
        committed: sat.length,
        rejected,
        batchSize: o.batchSize,
        inFlight: o.inFlight,
        windowSeconds: round(windowSeconds),
        committedTps: tps,
        latencyMs: latencyJson(sat),
        node: { cpuCoresAvg: round((cpu1.cpuSeconds - cpu0.cpuSeconds) / windowSeconds), rssMiB: round(cpu1.rssBytes / 2 ** 20), peakRssMiB: round(cpu1.peakRssBytes / 2 ** 20) },
      },
      paced: { offeredTps: rate, transactions: pacedTotal, committed: pacedLat.length, rejected: pacedRejected, latencyMs: latencyJson(pacedLat) },
      machine: { cores: availableParallelism(), node: process.version },
    };
    const rows: Array<[string, string]> = [
      ["saturation: committed", `${sat.length} / ${total} (${rejected} rejected)`],
      ["saturation: committed TPS", String(tps)],
      ["saturation: latency p50/p95/p99", `${result.saturation.latencyMs.p50} / ${result.saturation.latencyMs.p95} / ${result.saturation.latencyMs.p99} ms`],
      ["saturation: node CPU (cores)", String(result.saturation.node.cpuCoresAvg)],
      ["saturation: node RSS / peak", `${result.saturation.node.rssMiB} / ${result.saturation.node.peakRssMiB} MiB`],
      [`paced at ${rate} tx/s: committed`, `${pacedLat.length} / ${pacedTotal}`],
      ["paced: latency p50/p95/p99", `${result.paced.latencyMs.p50} / ${result.paced.latencyMs.p95} / ${result.paced.latencyMs.p99} ms`],
      ["block interval", `${o.blockIntervalMs} ms`],
    ];
    process.stderr.write("\n" + rows.map(([k, v]) => `  ${k.padEnd(34)} ${v}`).join("\n") + "\n\n");
    process.stdout.write(JSON.stringify(result, null, 2) + "\n");
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    node.kill("SIGTERM");
    await new Promise((r) => node.on("exit", r));
    rmSync(home, { recursive: true, force: true });
  }
}

function intArg(min: number, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  return (v: string) => {
    if (!/^[0-9]+$/.test(v) || Number(v) < min || Number(v) > max) throw new InvalidArgumentError(`expected an integer in [${min}, ${max}]`);
    return Number(v);
  };
}

/** Solo-mode defaults come from the BENCH_* environment variables of earlier versions. */
function envInt(k: string, d: number): number {
  const v = process.env[k] === undefined ? d : Number(process.env[k]);
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${k} must be a non-negative integer`);
  return v;
}

interface Flags {
  validators: number;
  senders?: number;
  txsPerSender?: number;
  batch?: number;
  inFlight?: number;
  backlog: number;
  blockIntervalMs?: number;
  maxBlockTxs: number;
  rate: number;
  pacedSeconds?: number;
  verifyWorkers: number;
  timeouts: "local" | "default";
  etcd: boolean;
  etcdClients: number;
  etcdSeconds: number;
  nodeFlags?: string;
  keep?: boolean;
  access?: boolean;
}

const program = new Command("bench")
  .description(
    "Committed TPS and commit latency of signed token transfers. Without --validators (or with 1): one solo node, paced phase at half the saturation rate. " +
      "With --validators N (N >= 2): a local BFT network of N validator processes (mTLS on loopback), saturation, a paced phase at --rate, and a 3-member etcd cluster doing durable puts of the same size. " +
      "Table on stderr, JSON on stdout.",
  )
  .option("--validators <n>", "validators; 1 = the solo benchmark", intArg(1, 50), 1)
  .option("--senders <n>", "funded sender accounts (default 2000; env BENCH_SENDERS)", intArg(1))
  .option("--txs-per-sender <n>", "saturation transfers per sender (default 30 solo, 20 BFT; env BENCH_TXS_PER_SENDER)", intArg(1, 900))
  .option("--batch <n>", "transactions per POST /v1/txs in the saturation phase (default 1000; env BENCH_BATCH)", intArg(1, 5000))
  .option("--in-flight <n>", "saturation requests in flight (solo: total, default 4; BFT: per validator, default 2; env BENCH_IN_FLIGHT)", intArg(1, 64))
  .option("--backlog <n>", "BFT saturation: most transactions submitted and not yet committed (0 = open loop)", intArg(0), 10_000)
  .option("--block-interval-ms <ms>", "pause between blocks (genesis blockIntervalMs; default 250 solo, 100 BFT; env BENCH_BLOCK_INTERVAL_MS)", intArg(1, 60_000))
  .option("--max-block-txs <n>", "BFT: genesis maxBlockTxs", intArg(1, 1_000_000), 2_500)
  .option("--rate <tps>", "BFT: offered load of the paced phase", intArg(10, 1_000_000), 2_000)
  .option("--paced-seconds <s>", "length of the paced phase (default 6 solo, 10 BFT; env BENCH_PACED_SECONDS)", intArg(1, 600))
  .addOption(new Option("--timeouts <set>", "BFT: consensus timeouts in node.json: local = as `civitas up` (propose 1 s), default = node.json defaults (propose 3 s)").choices(["local", "default"]).default("default"))
  .option("--verify-workers <n>", "BFT: signature threads per node (node.json verifyWorkers; 0 = one per core)", intArg(0, 64), 0)
  .option("--no-etcd", "BFT: skip the etcd baseline")
  .option("--etcd-clients <n>", "BFT: concurrent etcd clients", intArg(1, 10_000), 128)
  .option("--etcd-seconds <s>", "BFT: measured etcd window", intArg(1, 600), 10)
  .option("--node-flags <flags>", "extra node flags for the node processes, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof' (env BENCH_NODE_FLAGS)")
  .option("--keep", "BFT: keep the network folder (node logs) instead of removing it")
  .option("--access", "run the access-control benchmark (bench/access.ts: decisions per second, cost per transaction) instead")
  .showHelpAfterError();

// `npm run bench -- proofs [options]`: the integrity-proof benchmark (bench/proofs.ts) instead.
if (process.argv[2] === "proofs") {
  const { runProofsBench } = await import("./proofs.js");
  await runProofsBench(process.argv.slice(3));
  process.exit(0);
}
program.parse(process.argv);
const f = program.opts<Flags>();
const nodeFlags = (f.nodeFlags ?? process.env.BENCH_NODE_FLAGS ?? "").split(" ").filter(Boolean);
if (f.access) {
  await import("./access.js");
} else if (f.validators >= 2) {
  await runBftBench({
    validators: f.validators,
    senders: f.senders ?? envInt("BENCH_SENDERS", 2_000),
    txsPerSender: f.txsPerSender ?? envInt("BENCH_TXS_PER_SENDER", 20),
    batchSize: f.batch ?? envInt("BENCH_BATCH", 1_000),
    inFlight: f.inFlight ?? envInt("BENCH_IN_FLIGHT", 2),
    backlog: f.backlog,
    blockIntervalMs: f.blockIntervalMs ?? envInt("BENCH_BLOCK_INTERVAL_MS", 100),
    maxBlockTxs: f.maxBlockTxs,
    rate: f.rate,
    pacedSeconds: f.pacedSeconds ?? envInt("BENCH_PACED_SECONDS", 10),
    verifyWorkers: f.verifyWorkers,
    timeouts: f.timeouts,
    etcd: f.etcd,
    etcdClients: f.etcdClients,
    etcdSeconds: f.etcdSeconds,
    nodeFlags,
    keep: f.keep === true,
  });
} else {
  await runSolo({
    senders: f.senders ?? envInt("BENCH_SENDERS", 2_000),
    txsPerSender: f.txsPerSender ?? envInt("BENCH_TXS_PER_SENDER", 30),
    batchSize: f.batch ?? envInt("BENCH_BATCH", 1_000),
    inFlight: f.inFlight ?? envInt("BENCH_IN_FLIGHT", 4),
    blockIntervalMs: f.blockIntervalMs ?? envInt("BENCH_BLOCK_INTERVAL_MS", 250),
    pacedSeconds: f.pacedSeconds ?? envInt("BENCH_PACED_SECONDS", 6),
    nodeFlags,
  });
}
