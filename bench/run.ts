/**
 * `npm run bench`: committed-transfer throughput and commit latency of one solo node.
 *
 * The node runs as its own process (`civitas start`), as in production. This process signs
 * every transfer before the timed windows, then runs two phases:
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
import { createServer } from "node:net";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import cliProgress from "cli-progress";
import WebSocket from "ws";
import { getNodeSuite } from "../src/crypto/node-suites.js";
import type { KeyPair } from "../src/crypto/suite.js";
import { signTx } from "../src/ledger/tx.js";
import { fromHex, toHex } from "../src/util/bytes.js";

interface Options {
  senders: number;
  txsPerSender: number;
  batchSize: number;
  inFlight: number;
  blockIntervalMs: number;
  pacedSeconds: number;
}

function options(): Options {
  const env = (k: string, d: number): number => {
    const v = process.env[k] === undefined ? d : Number(process.env[k]);
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${k} must be a non-negative integer`);
    return v;
  };
  return {
    senders: env("BENCH_SENDERS", 2_000),
    txsPerSender: env("BENCH_TXS_PER_SENDER", 30),
    batchSize: env("BENCH_BATCH", 1_000),
    inFlight: env("BENCH_IN_FLIGHT", 4),
    blockIntervalMs: env("BENCH_BLOCK_INTERVAL_MS", 250),
    pacedSeconds: env("BENCH_PACED_SECONDS", 6),
  };
}

interface Batch {
  hex: string[];
  hashes: string[];
  /** The request body, serialised before the timed window so the generator spends less CPU in it. */
  body: string;
  sentAt: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

function procStats(pid: number): { cpuSeconds: number; rssBytes: number; peakRssBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) * 1024;
  return { cpuSeconds: ticks / 100, rssBytes: kb("VmRSS"), peakRssBytes: kb("VmHWM") };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const round = (x: number): number => Math.round(x * 100) / 100;

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

/** Follows committed blocks over the WebSocket: arrival time per height and tx count. */
class BlockWatcher {
  readonly arrival = new Map<number, number>();
  committed = 0;
  lastCommitAt = 0;
  private waiters: Array<{ target: number; resolve: () => void }> = [];
  private constructor(private readonly ws: WebSocket) {
    ws.on("message", (data) => {
      const m = JSON.parse(String(data)) as { kind: string; header?: { height: number }; txCount?: number };
      if (m.kind !== "block" || !m.header) return;
      const now = performance.now();
      this.arrival.set(m.header.height, now);
      this.committed += m.txCount ?? 0;
      if ((m.txCount ?? 0) > 0) this.lastCommitAt = now;
      this.waiters = this.waiters.filter((w) => (this.committed >= w.target ? (w.resolve(), false) : true));
    });
  }
  static async open(port: number): Promise<BlockWatcher> {
    // A module filter that matches nothing: blocks only, no per-event messages.
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/events?module=none`);
    await new Promise((r) => ws.on("open", r));
    return new BlockWatcher(ws);
  }
  until(target: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      if (this.committed >= target) resolve();
      else this.waiters.push({ target, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }
  close(): void {
    this.ws.close();
  }
}

async function submit(url: string, b: Batch): Promise<number> {
  b.sentAt = performance.now();
  const res = await fetch(url + "/v1/txs", { method: "POST", headers: { "content-type": "application/json" }, body: b.body });
  const body = (await res.json()) as { rejected?: number; results?: Array<{ error?: { code: string; message: string } }> };
  if (body.rejected) process.stderr.write(`\n${body.rejected} rejected, first: ${JSON.stringify(body.results?.find((r) => r.error)?.error)}\n`);
  return body.rejected ?? 0;
}

async function latencies(url: string, watcher: BlockWatcher, batches: Batch[]): Promise<number[]> {
  const heightOf = new Map<string, number>();
  for (const h of [...watcher.arrival.keys()].sort((a, b) => a - b)) {
    const b = (await (await fetch(`${url}/v1/blocks/${h}`)).json()) as { txs: string[] };
    for (const t of b.txs) heightOf.set(t, h);
  }
  const out: number[] = [];
  for (const b of batches) {
    for (const hsh of b.hashes) {
      const h = heightOf.get(hsh);
      if (h !== undefined) out.push((watcher.arrival.get(h) as number) - b.sentAt);
    }
  }
  return out.sort((a, b) => a - b);
}

const latencyJson = (l: number[]): { p50: number; p95: number; p99: number; max: number } => ({ p50: round(percentile(l, 50)), p95: round(percentile(l, 95)), p99: round(percentile(l, 99)), max: round(l[l.length - 1]) });

async function main(): Promise<void> {
  const o = options();
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

  const nodeFlags = (process.env.BENCH_NODE_FLAGS ?? "").split(" ").filter(Boolean);
  const node = spawn(process.execPath, [...nodeFlags, cli, "start", "--home", join(home, "node")], { env, stdio: ["ignore", "ignore", "inherit"] });
  const url = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(url + "/v1/health")).ok) break;
      } catch {
        if (i > 200) throw new Error("node did not start");
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const watcher = await BlockWatcher.open(port);

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
    node.kill("SIGTERM");
    await new Promise((r) => node.on("exit", r));
    rmSync(home, { recursive: true, force: true });
  }
}

await main();
