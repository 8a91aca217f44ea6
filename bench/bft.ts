/**
 * `npm run bench -- --validators N`: committed-transfer throughput and commit latency of a local
 * BFT network, plus an etcd baseline in the same run.
 *
 * The network is laid out by createNetwork (as `civitas up` does) in a temp dir: a network CA,
 * N validators, each its own `civitas start` process talking mutual TLS on loopback, on free
 * ports. The senders are funded in genesis. Every transfer is signed before the timed windows.
 * Sender s always submits to validator s mod N (as a client sticks to one node), and batches go
 * to the validators round-robin. Phases:
 *  1. saturation: batches back to back with a few requests in flight per validator: the most
 *     the network commits per second;
 *  2. paced: a steady offered load (default 2,000 tx/s) in a batch per validator every 100 ms:
 *     commit latency = arrival of the block holding the transaction on the WebSocket block
 *     stream of the validator it was sent to - the moment its batch was sent;
 *  3. etcd: a 3-member etcd cluster doing durable puts of values as large as a signed transfer
 *     (bench/etcd.ts), after the network is stopped.
 * Prints a table to stderr and one JSON document to stdout. Every child process and the temp
 * dir are removed at the end, on error and on SIGINT/SIGTERM.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import cliProgress from "cli-progress";
import { getNodeSuite } from "../src/crypto/node-suites.js";
import { parseGenesis } from "../src/ledger/genesis.js";
import { NODE_CONFIG_DEFAULTS } from "../src/node/config.js";
import { createNetwork } from "../src/node/network.js";
import type { NetworkInfo } from "../src/node/network.js";
import { BlockWatcher, freePortRange, latencyJson, machineCpu, procStats, round, signTransfers, txHeights } from "./common.js";
import type { BlockInfo, ProcStats, SignedTransfer } from "./common.js";
import type { EtcdBenchResult } from "./etcd.js";
import { runEtcdBench } from "./etcd.js";

export interface BftBenchOptions {
  validators: number;
  senders: number;
  txsPerSender: number;
  batchSize: number;
  /** Requests in flight per validator during saturation. */
  inFlight: number;
  /** Saturation flow control: most transactions submitted but not yet committed (0 = no limit). */
  backlog: number;
  blockIntervalMs: number;
  maxBlockTxs: number;
  /** Offered load of the paced phase, tx/s. */
  rate: number;
  pacedSeconds: number;
  /** Consensus timeouts: "local" = createNetwork's loopback values (as `civitas up`), "default" = node.json defaults. */
  timeouts: "local" | "default";
  /** Signature verification threads per node (0 = one per core). */
  verifyWorkers: number;
  etcd: boolean;
  etcdClients: number;
  etcdSeconds: number;
  /** Extra node flags for every validator process (e.g. --cpu-prof). */
  nodeFlags: string[];
  /** Keep the network folder (logs) instead of removing it. */
  keep: boolean;
}

interface Batch {
  validator: number;
  txs: SignedTransfer[];
  body: string;
  sentAt: number;
}

const PASSPHRASE_FILE = "bench-passphrase";

function makeBatches(validator: number, txs: SignedTransfer[], size: number): Batch[] {
  const out: Batch[] = [];
  for (let i = 0; i < txs.length; i += size) {
    const chunk = txs.slice(i, i + size);
    out.push({ validator, txs: chunk, body: JSON.stringify({ txs: chunk.map((t) => t.hex) }), sentAt: 0 });
  }
  return out;
}

/** Splits a nonce-major list (index i is sender i mod senders) by the validator each sender uses. */
function byValidator(txs: SignedTransfer[], senders: number, validators: number): SignedTransfer[][] {
  const out: SignedTransfer[][] = Array.from({ length: validators }, () => []);
  txs.forEach((t, i) => out[(i % senders) % validators].push(t));
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class Network {
  readonly children: ChildProcess[] = [];
  readonly exited = new Map<number, string>();
  constructor(
    readonly dir: string,
    readonly info: NetworkInfo,
  ) {}

  get urls(): string[] {
    return this.info.nodes.map((n) => n.api);
  }

  start(nodeFlags: string[]): void {
    const cli = new URL("../src/cli/main.js", import.meta.url).pathname;
    this.info.nodes.forEach((n, i) => {
      const log = openSync(join(this.dir, n.home, "node.log"), "a");
      const child = spawn(process.execPath, [...nodeFlags, cli, "start", "--home", join(this.dir, n.home), "--passphrase-file", join(this.dir, PASSPHRASE_FILE)], {
        // A stdin pipe: if the benchmark dies, even by SIGKILL, the nodes stop themselves.
        stdio: ["pipe", log, log],
        env: { ...process.env, CIVITAS_PASSPHRASE: undefined, CIVITAS_EXIT_WITH_PARENT: "1" },
      });
      child.on("exit", (code, sig) => this.exited.set(i, sig ?? `code ${code}`));
      this.children.push(child);
    });
  }

  pids(): number[] {
    return this.children.map((c) => c.pid ?? 0);
  }

  checkAlive(): void {
    if (this.exited.size === 0) return;
    const [i, how] = [...this.exited][0];
    throw new Error(`validator node${i} exited (${how}); see ${join(this.dir, this.info.nodes[i].home, "node.log")} (run with --keep to keep it)`);
  }

  async waitReady(timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    const want = this.info.nodes.length - 1;
    const ready = new Set<number>();
    while (ready.size < this.info.nodes.length) {
      this.checkAlive();
      if (Date.now() > end) throw new Error(`validators ${this.info.nodes.filter((_, i) => !ready.has(i)).map((n) => n.name).join(", ")} not ready (API up and connected to every peer) after ${timeoutMs / 1000} s`);
      for (let i = 0; i < this.info.nodes.length; i++) {
        if (ready.has(i)) continue;
        try {
          const s = (await (await fetch(`${this.info.nodes[i].api}/v1/status`, { signal: AbortSignal.timeout(1_000) })).json()) as { network?: { peers?: unknown[] } };
          if ((s.network?.peers?.length ?? 0) >= want) ready.add(i);
        } catch {
          // not up yet
        }
      }
      if (ready.size < this.info.nodes.length) await sleep(200);
    }
  }

  stats(): ProcStats[] {
    return this.pids().map((pid) => {
      try {
        return procStats(pid);
      } catch {
        return { cpuSeconds: 0, rssBytes: 0, peakRssBytes: 0 };
      }
    });
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    await Promise.all(
      this.children.map(async (c) => {
        if (c.exitCode !== null || c.signalCode !== null) return;
        const exited = new Promise<void>((r) => c.once("exit", () => r()));
        c.kill("SIGTERM");
        const timer = setTimeout(() => c.kill("SIGKILL"), graceMs);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  killNow(): void {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  }
}

function bar(format: string): cliProgress.SingleBar | undefined {
  return process.stderr.isTTY ? new cliProgress.SingleBar({ format, stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
}

async function submit(url: string, b: Batch): Promise<number> {
  b.sentAt = performance.now();
  const res = await fetch(url + "/v1/txs", { method: "POST", headers: { "content-type": "application/json" }, body: b.body });
  const body = (await res.json()) as { rejected?: number; results?: Array<{ error?: { code: string; message: string } }>; code?: string; message?: string };
  if (res.status >= 400 && body.rejected === undefined) throw new Error(`POST /v1/txs to ${url}: HTTP ${res.status} ${body.code ?? ""} ${body.message ?? ""}`);
  if (body.rejected) process.stderr.write(`\n${body.rejected} rejected by ${url}, first: ${JSON.stringify(body.results?.find((r) => r.error)?.error)}\n`);
  return body.rejected ?? 0;
}

/** Latency of every committed transaction of `batches`: block arrival at the validator it was sent to - send time. */
function latencies(batches: Batch[], heightOf: Map<string, number>, watchers: BlockWatcher[]): number[] {
  const out: number[] = [];
  for (const b of batches) {
    for (const t of b.txs) {
      const h = heightOf.get(t.hash);
      const at = h === undefined ? undefined : (watchers[b.validator].arrival.get(h) ?? watchers[0].arrival.get(h));
      if (at !== undefined) out.push(at - b.sentAt);
    }
  }
  return out.sort((a, b) => a - b);
}

export async function runBftBench(o: BftBenchOptions): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "civitas-bench-bft-"));
  let net: Network | undefined;
  const watchers: BlockWatcher[] = [];
  let cleaned = false;
  const cleanupSync = (): void => {
    if (cleaned) return;
    cleaned = true;
    net?.killNow();
    if (!o.keep) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    process.stderr.write(`\n${sig}: stopping the benchmark network and removing ${dir}\n`);
    for (const w of watchers) w.close();
    cleanupSync();
    process.exit(sig === "SIGINT" ? 130 : 143);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("exit", cleanupSync);
  try {
    const n = o.validators;
    const base = await freePortRange(2 * n);
    const passphrase = randomBytes(18).toString("base64url");
    writeFileSync(join(dir, PASSPHRASE_FILE), passphrase + "\n", { mode: 0o600 });
    process.stderr.write(`creating a ${n}-validator network in ${dir} (API ports ${base}-${base + n - 1}, p2p ${base + n}-${base + 2 * n - 1})...\n`);
    const info = await createNetwork({
      dir,
      chainId: "civitas-bench",
      validators: n,
      fullNodes: 0,
      host: "127.0.0.1",
      apiBasePort: base,
      p2pBasePort: base + n,
      passphrase,
      accounts: ["authority"],
      balance: "1000000000000",
      genesis: { blockIntervalMs: o.blockIntervalMs, maxBlockTxs: o.maxBlockTxs },
      logLevel: "info",
      ...(o.timeouts === "default" ? { consensus: { ...NODE_CONFIG_DEFAULTS.consensus } } : {}),
      ...(o.verifyWorkers > 0 ? { verifyWorkers: o.verifyWorkers } : {}),
    });

    // Fund the senders in genesis: the same genesis file in every home.
    const suite = getNodeSuite("ed25519-sha256");
    const wallets = Array.from({ length: o.senders }, () => suite.generateKeyPair());
    const addresses = wallets.map((w) => suite.address(w.publicKey));
    const raw = JSON.parse(readFileSync(join(dir, info.nodes[0].home, "genesis.json"), "utf8")) as { balances: Array<{ address: string; amount: string }> };
    raw.balances.push(...addresses.map((address) => ({ address, amount: "1000000000" })));
    const genesis = parseGenesis(raw);
    for (const node of info.nodes) writeFileSync(join(dir, node.home, "genesis.json"), JSON.stringify(genesis, null, 2) + "\n");

    // Other work on the machine skews every figure: measure it and report it.
    const idle0 = machineCpu();
    await sleep(1_000);
    const idle1 = machineCpu();
    const busyBefore = round((idle1.busy - idle0.busy) / Math.max(1, idle1.total - idle0.total));
    if (busyBefore > 0.1) process.stderr.write(`warning: the machine was ${Math.round(busyBefore * 100)}% busy before the benchmark started; the figures will be low\n`);

    // Sign everything before any timed window.
    const satTotal = o.senders * o.txsPerSender;
    const pacedTotal = o.rate * o.pacedSeconds;
    const pacedPerSender = Math.ceil(pacedTotal / o.senders);
    const signTotal = satTotal + pacedPerSender * o.senders;
    process.stderr.write(`signing ${signTotal} transfers from ${o.senders} accounts...\n`);
    const sb = bar("signing    [{bar}] {value}/{total} txs");
    sb?.start(signTotal, 0);
    const sat = signTransfers(info.chainId, wallets, addresses, (s) => addresses[(s + 1) % addresses.length], 0, o.txsPerSender, (k) => sb?.update(k));
    const pacedSigned = signTransfers(info.chainId, wallets, addresses, (s) => addresses[(s + 1) % addresses.length], o.txsPerSender, pacedPerSender, (k) => sb?.update(satTotal + k)).slice(0, pacedTotal);
    sb?.stop();
    const txBytes = Math.round(sat.reduce((s, t) => s + t.bytes, 0) / sat.length);

    const satBatches = byValidator(sat, o.senders, n).map((txs, v) => makeBatches(v, txs, o.batchSize));
    const perTick = Math.max(1, Math.round(o.rate / 10 / n));
    const pacedBatches = byValidator(pacedSigned, o.senders, n).map((txs, v) => makeBatches(v, txs, perTick));

    net = new Network(dir, info);
    net.start(o.nodeFlags);
    await net.waitReady(90_000);
    const urls = net.urls;
    for (const u of urls) watchers.push(await BlockWatcher.open(u));
    const w0 = watchers[0];

    // Phase 1: saturation.
    process.stderr.write(`saturation: ${satTotal} transfers in batches of ${o.batchSize}, ${o.inFlight} requests in flight per validator, at most ${o.backlog || "unlimited"} uncommitted...\n`);
    const cpu0 = net.stats();
    const m0 = machineCpu();
    const pb = bar("submitting [{bar}] {value}/{total} txs | committed {committed}");
    pb?.start(satTotal, 0, { committed: 0 });
    const ticker = setInterval(() => pb?.update({ committed: w0.committed }), 250);
    let rejected = 0;
    const t0 = performance.now();
    const committed0 = w0.committed;
    const next = new Array<number>(n).fill(0);
    let submitted = 0;
    const worker = async (v: number): Promise<void> => {
      while (next[v] < satBatches[v].length) {
        // Closed loop: a client that keeps at most `backlog` transactions outstanding, so the
        // offered load follows what the network commits instead of burying it in admission work.
        while (o.backlog > 0 && submitted - (w0.committed - committed0) >= o.backlog) await sleep(5);
        if (next[v] >= satBatches[v].length) break;
        const b = satBatches[v][next[v]++];
        submitted += b.txs.length;
        rejected += await submit(urls[v], b);
        pb?.increment(b.txs.length);
      }
    };
    await Promise.all(Array.from({ length: n * o.inFlight }, (_, i) => worker(i % n)));
    const submittedAt = performance.now();
    await w0.until(committed0 + satTotal - rejected, 180_000);
    clearInterval(ticker);
    pb?.update({ committed: w0.committed });
    pb?.stop();
    net.checkAlive();
    const cpu1 = net.stats();
    const m1 = machineCpu();
    const windowSeconds = (w0.lastCommitAt - t0) / 1000;
    const satLastHeight = Math.max(0, ...w0.arrival.keys());

    // Phase 2: paced.
    const ticks = Math.max(...pacedBatches.map((b) => b.length));
    process.stderr.write(`paced: ${o.rate} tx/s for ${o.pacedSeconds} s (${perTick} txs to each validator every 100 ms)...\n`);
    const qb = bar("paced      [{bar}] {value}/{total} txs | committed {committed}");
    qb?.start(pacedTotal, 0, { committed: 0 });
    const before = w0.committed;
    const qticker = setInterval(() => qb?.update({ committed: w0.committed - before }), 250);
    const pc0 = net.stats();
    const p0 = performance.now();
    const inflight: Array<Promise<number>> = [];
    for (let i = 0; i < ticks; i++) {
      const wait = p0 + i * 100 - performance.now();
      if (wait > 0) await sleep(wait);
      for (let v = 0; v < n; v++) {
        const b = pacedBatches[v][i];
        if (!b) continue;
        inflight.push(submit(urls[v], b).then((r) => (qb?.increment(b.txs.length), r)));
      }
    }
    const pacedRejected = (await Promise.all(inflight)).reduce((a, b) => a + b, 0);
    const pacedSendSeconds = (performance.now() - p0) / 1000;
    await w0.until(before + pacedTotal - pacedRejected, 60_000);
    // Every validator's stream has to have seen the last block too.
    const lastHeight = Math.max(...w0.arrival.keys());
    for (let k = 0; k < 100 && watchers.some((w) => !w.arrival.has(lastHeight)); k++) await sleep(50);
    clearInterval(qticker);
    qb?.update({ committed: w0.committed - before });
    qb?.stop();
    net.checkAlive();
    const pc1 = net.stats();
    const pacedWindow = (w0.lastCommitAt - p0) / 1000;

    const blockInfo: BlockInfo[] = [];
    const heightOf = await txHeights(urls[0], w0.arrival.keys(), blockInfo);
    const summarize = (from: number, to: number): { blocks: number; empty: number; laterRounds: number; maxTxs: number; laterRoundHeights: number[] } => {
      const bs = blockInfo.filter((b) => b.height >= from && b.height <= to);
      const later = bs.filter((b) => b.round > 0).map((b) => b.height);
      return { blocks: bs.length, empty: bs.filter((b) => b.txCount === 0).length, laterRounds: later.length, maxTxs: Math.max(0, ...bs.map((b) => b.txCount)), laterRoundHeights: later };
    };
    const satFlat = satBatches.flat();
    const satLat = latencies(satFlat, heightOf, watchers);
    const pacedFlat = pacedBatches.flat();
    const pacedLat = latencies(pacedFlat, heightOf, watchers);
    const tps = Math.round(satLat.length / windowSeconds);
    const status = (await (await fetch(`${urls[0]}/v1/status`)).json()) as { head?: { height: number } };
    const satBlocks = summarize(1, satLastHeight);
    const pacedBlocks = summarize(satLastHeight + 1, Number.MAX_SAFE_INTEGER);
    for (const w of watchers) w.close();
    watchers.length = 0;
    await net.stop();

    // Phase 3: etcd with values as large as a signed transfer.
    let etcd: EtcdBenchResult | undefined;
    if (o.etcd) {
      process.stderr.write(`etcd baseline: 3 members, ${o.etcdClients} clients, ${txBytes}-byte values, ${o.etcdSeconds} s...\n`);
      etcd = await runEtcdBench({ members: 3, clients: o.etcdClients, seconds: o.etcdSeconds, valueBytes: txBytes });
    }

    const cpuDelta = (a: ProcStats[], b: ProcStats[], secs: number): number[] => b.map((x, i) => round((x.cpuSeconds - a[i].cpuSeconds) / secs));
    const satCpu = cpuDelta(cpu0, cpu1, windowSeconds);
    const pacedCpu = cpuDelta(pc0, pc1, pacedWindow);
    const result = {
      benchmark: "token-transfer-bft",
      validators: n,
      blockIntervalMs: o.blockIntervalMs,
      maxBlockTxs: o.maxBlockTxs,
      timeouts: o.timeouts,
      verifyWorkers: o.verifyWorkers,
      senders: o.senders,
      txBytes,
      saturation: {
        transactions: satTotal,
        committed: satLat.length,
        rejected,
        batchSize: o.batchSize,
        inFlightPerValidator: o.inFlight,
        backlog: o.backlog,
        submitSeconds: round((submittedAt - t0) / 1000),
        windowSeconds: round(windowSeconds),
        blocks: satBlocks,
        committedTps: tps,
        latencyMs: latencyJson(satLat),
        validatorCpuCores: satCpu,
        validatorsCpuCoresTotal: round(satCpu.reduce((a, b) => a + b, 0)),
        machineCpuBusy: round((m1.busy - m0.busy) / Math.max(1, m1.total - m0.total)),
        validatorRssMiB: cpu1.map((s) => round(s.rssBytes / 2 ** 20)),
      },
      paced: {
        offeredTps: o.rate,
        sendSeconds: round(pacedSendSeconds),
        transactions: pacedTotal,
        committed: pacedLat.length,
        rejected: pacedRejected,
        blocks: pacedBlocks,
        latencyMs: latencyJson(pacedLat),
        validatorsCpuCoresTotal: round(pacedCpu.reduce((a, b) => a + b, 0)),
      },
      headHeight: status.head?.height,
      etcd: etcd ?? null,
      civitasToEtcd: etcd ? round(tps / etcd.putsPerSec) : null,
      machine: { cores: availableParallelism(), cpu: cpus()[0]?.model, node: process.version, cpuBusyBeforeRun: busyBefore },
    };
    const rows: Array<[string, string]> = [
      ["network", `${n} validators (separate processes, mTLS on loopback), block interval ${o.blockIntervalMs} ms, max ${o.maxBlockTxs} txs/block, ${o.timeouts} timeouts`],
      ["saturation: committed", `${satLat.length} / ${satTotal} (${rejected} rejected) in ${round(windowSeconds)} s; ${satBlocks.blocks} blocks (${satBlocks.empty} empty, ${satBlocks.laterRounds} past round 0, largest ${satBlocks.maxTxs})`],
      ["saturation: committed TPS", String(tps)],
      ["saturation: latency p50/p95/p99", `${result.saturation.latencyMs.p50} / ${result.saturation.latencyMs.p95} / ${result.saturation.latencyMs.p99} ms`],
      ["saturation: validator CPU (cores)", `${satCpu.join(" + ")} = ${result.saturation.validatorsCpuCoresTotal} (machine ${Math.round(result.saturation.machineCpuBusy * 100)}% busy)`],
      [`paced at ${o.rate} tx/s: committed`, `${pacedLat.length} / ${pacedTotal} (${pacedRejected} rejected); ${pacedBlocks.blocks} blocks (${pacedBlocks.empty} empty, ${pacedBlocks.laterRounds} past round 0, largest ${pacedBlocks.maxTxs})`],
      ["paced: latency p50/p95/p99", `${result.paced.latencyMs.p50} / ${result.paced.latencyMs.p95} / ${result.paced.latencyMs.p99} ms`],
      ["paced: validator CPU (cores)", String(result.paced.validatorsCpuCoresTotal)],
      ...(etcd
        ? ([
            [`etcd ${etcd.etcdVersion}: ${etcd.members} members, ${etcd.clients} clients`, `${etcd.putsPerSec} puts/s of ${etcd.valueBytes} B, p50/p99 ${etcd.p50Ms} / ${etcd.p99Ms} ms, ${etcd.errors} errors`],
            ["Civitas / etcd (saturation)", `${result.civitasToEtcd}`],
          ] as Array<[string, string]>)
        : []),
    ];
    process.stderr.write("\n" + rows.map(([k, v]) => `  ${k.padEnd(36)} ${v}`).join("\n") + "\n\n");
    process.stdout.write(JSON.stringify(result, null, 2) + "\n");
  } finally {
    for (const w of watchers) w.close();
    if (net) await net.stop(5_000).catch(() => undefined);
    cleanupSync();
    if (o.keep) process.stderr.write(`network folder kept: ${dir}\n`);
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    process.removeListener("exit", cleanupSync);
  }
}
