/**
 * `npm run bench`: committed-transfer throughput and commit latency of one solo node.
 *
 * The node runs as its own process (`civitas start`), as in production. This process signs
 * every transfer before the timed window, then submits them in batches over HTTP with a few
 * requests in flight, and learns commit times from the node's WebSocket block stream. Latency
 * of a transaction = arrival of the block that holds it - the moment its batch was sent.
 * Prints a table to stderr and one JSON document to stdout.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import cliProgress from "cli-progress";
import WebSocket from "ws";
import { getNodeSuite } from "../src/crypto/node-suites.js";
import { signTx } from "../src/ledger/tx.js";
import { fromHex, toHex } from "../src/util/bytes.js";

interface Options {
  senders: number;
  txsPerSender: number;
  batchSize: number;
  inFlight: number;
  blockIntervalMs: number;
}

function options(): Options {
  const env = (k: string, d: number): number => (process.env[k] ? Number(process.env[k]) : d);
  return {
    senders: env("BENCH_SENDERS", 2_000),
    txsPerSender: env("BENCH_TXS_PER_SENDER", 40),
    batchSize: env("BENCH_BATCH", 1_000),
    inFlight: env("BENCH_IN_FLIGHT", 4),
    blockIntervalMs: env("BENCH_BLOCK_INTERVAL_MS", 250),
  };
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
  const recipient = addresses[0];
  const initFile = join(home, "init.json");
  writeFileSync(initFile, JSON.stringify({ balance: addresses.map((a) => `${a}=1000000000`), blockIntervalMs: String(o.blockIntervalMs), maxBlockTxs: "20000", chainId: "civitas-bench" }));
  const init = spawn(process.execPath, [cli, "init", "--home", join(home, "node"), "--from", initFile, "--api-port", String(port)], { env, stdio: ["ignore", "ignore", "inherit"] });
  await new Promise((r) => init.on("exit", r));
  const genesis = JSON.parse(readFileSync(join(home, "node", "genesis.json"), "utf8")) as { chainId: string };

  process.stderr.write(`signing ${total} transfers from ${o.senders} accounts...\n`);
  const expires = Date.now() + 30 * 60_000;
  const batches: string[][] = [];
  const txHashes: string[][] = [];
  let current: string[] = [];
  let currentHashes: string[] = [];
  // Interleave senders so every batch carries many accounts, nonces in order per account.
  for (let n = 0; n < o.txsPerSender; n++) {
    for (let s = 0; s < o.senders; s++) {
      const tx = signTx(suite, { chain: genesis.chainId, from: fromHex(addresses[s]), nonce: n, expires, gasLimit: 100_000, calls: [{ module: "token", method: "transfer", args: { to: recipient, amount: 1 } }], memo: "" }, wallets[s].secretKey);
      current.push(toHex(tx.bytes));
      currentHashes.push(toHex(suite.hash(tx.bodyBytes)));
      if (current.length === o.batchSize) {
        batches.push(current);
        txHashes.push(currentHashes);
        current = [];
        currentHashes = [];
      }
    }
  }
  if (current.length) {
    batches.push(current);
    txHashes.push(currentHashes);
  }

  // BENCH_NODE_FLAGS passes V8/Node flags to the node process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeFlags = (process.env.BENCH_NODE_FLAGS ?? "").split(" ").filter(Boolean);
  const node = spawn(process.execPath, [...nodeFlags, cli, "start", "--home", join(home, "node")], { env: { ...env }, stdio: ["ignore", "ignore", "inherit"] });
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
    const blockArrival = new Map<number, number>();
    let committed = 0;
    let lastCommitAt = 0;
    let done: () => void = () => undefined;
    const allCommitted = new Promise<void>((r) => (done = r));
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/events?module=none`);
    await new Promise((r) => ws.on("open", r));
    ws.on("message", (data) => {
      const m = JSON.parse(String(data)) as { kind: string; header?: { height: number }; txCount?: number };
      if (m.kind !== "block" || !m.header) return;
      const now = performance.now();
      blockArrival.set(m.header.height, now);
      committed += m.txCount ?? 0;
      if ((m.txCount ?? 0) > 0) lastCommitAt = now;
      if (committed >= total) done();
    });

    const cpu0 = procStats(node.pid as number);
    const bar = process.stderr.isTTY ? new cliProgress.SingleBar({ format: "submitting [{bar}] {value}/{total} txs", stream: process.stderr }, cliProgress.Presets.shades_classic) : undefined;
    bar?.start(total, 0);
    const sentAt = new Array<number>(batches.length);
    let rejected = 0;
    let next = 0;
    const t0 = performance.now();
    const worker = async (): Promise<void> => {
      while (next < batches.length) {
        const i = next++;
        sentAt[i] = performance.now();
        const res = await fetch(url + "/v1/txs", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ txs: batches[i] }) });
        const body = (await res.json()) as { rejected?: number; results?: Array<{ error?: { code: string } }> };
        rejected += body.rejected ?? 0;
        if (body.rejected && rejected === body.rejected) process.stderr.write(`\nfirst rejection: ${JSON.stringify(body.results?.find((r) => r.error)?.error)}\n`);
        bar?.increment(batches[i].length);
      }
    };
    await Promise.all(Array.from({ length: o.inFlight }, worker));
    const submitSeconds = (performance.now() - t0) / 1000;
    bar?.stop();
    const timeout = setTimeout(done, 60_000);
    await allCommitted;
    clearTimeout(timeout);
    const cpu1 = procStats(node.pid as number);
    ws.close();

    // Map every transaction to its block and so to its commit time.
    const heightOf = new Map<string, number>();
    for (const h of [...blockArrival.keys()].sort((a, b) => a - b)) {
      const b = (await (await fetch(`${url}/v1/blocks/${h}`)).json()) as { txs: string[] };
      for (const t of b.txs) heightOf.set(t, h);
    }
    const latencies: number[] = [];
    batches.forEach((_b, i) => {
      for (const hsh of txHashes[i]) {
        const h = heightOf.get(hsh);
        if (h !== undefined) latencies.push((blockArrival.get(h) as number) - sentAt[i]);
      }
    });
    latencies.sort((a, b) => a - b);
    const windowSeconds = (lastCommitAt - t0) / 1000;
    const blocks = [...blockArrival.keys()].length;
    const result = {
      benchmark: "token-transfer-solo",
      transactions: total,
      committed: latencies.length,
      rejected,
      blocks,
      blockIntervalMs: o.blockIntervalMs,
      batchSize: o.batchSize,
      inFlight: o.inFlight,
      submitSeconds: round(submitSeconds),
      windowSeconds: round(windowSeconds),
      committedTps: Math.round(latencies.length / windowSeconds),
      latencyMs: { p50: round(percentile(latencies, 50)), p95: round(percentile(latencies, 95)), p99: round(percentile(latencies, 99)), max: round(latencies[latencies.length - 1]) },
      node: { cpuCoresAvg: round((cpu1.cpuSeconds - cpu0.cpuSeconds) / windowSeconds), rssMiB: round(cpu1.rssBytes / 2 ** 20), peakRssMiB: round(cpu1.peakRssBytes / 2 ** 20) },
      machine: { cores: (await import("node:os")).availableParallelism(), node: process.version },
    };
    const rows: Array<[string, string]> = [
      ["committed transfers", `${result.committed} / ${total} (${rejected} rejected)`],
      ["committed TPS", String(result.committedTps)],
      ["latency p50 / p95 / p99", `${result.latencyMs.p50} / ${result.latencyMs.p95} / ${result.latencyMs.p99} ms`],
      ["block interval", `${o.blockIntervalMs} ms (${blocks} blocks)`],
      ["node CPU (cores, avg)", String(result.node.cpuCoresAvg)],
      ["node RSS / peak", `${result.node.rssMiB} / ${result.node.peakRssMiB} MiB`],
    ];
    process.stderr.write("\n" + rows.map(([k, v]) => `  ${k.padEnd(26)} ${v}`).join("\n") + "\n\n");
    process.stdout.write(JSON.stringify(result, null, 2) + "\n");
  } finally {
    node.kill("SIGTERM");
    await new Promise((r) => node.on("exit", r));
    rmSync(home, { recursive: true, force: true });
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

await main();
