/**
 * etcd baseline for the benchmark: a local etcd cluster (3 members by default) doing durable
 * puts of a given value size through etcd's v3 JSON gateway, measured the same way as Civitas
 * (successful writes per second, per-request latency p50/p99).
 *
 * Each member is its own `etcd` process on 127.0.0.1 with its own free client and peer ports and
 * a fresh data dir under os.tmpdir(); the cluster is bootstrapped statically. Durability is etcd's
 * default: a put is acknowledged after the leader and a majority of members have fsynced it to
 * their WAL. The processes are killed and the data dirs removed at the end, on error, on
 * SIGINT/SIGTERM and on process exit.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { accessSync, constants as fsConstants, mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { performance } from "node:perf_hooks";
import cliProgress from "cli-progress";
import { freePort } from "./common.js";

export interface EtcdBenchOptions {
  /** etcd members (processes) in the cluster. Default 3. */
  members?: number;
  /** Concurrent client loops, spread round-robin over the members. Default 128. */
  clients?: number;
  /** Length of the measured window. Default 10. */
  seconds?: number;
  /** Size of each value in bytes (random bytes). Default 200. */
  valueBytes?: number;
  /** Load before the measured window (not counted). Default 2. */
  warmupSeconds?: number;
  /** Called about every 200 ms during the measured window: elapsed and total milliseconds. */
  onProgress?: (done: number, total: number) => void;
}

export interface EtcdBenchResult {
  members: number;
  clients: number;
  valueBytes: number;
  /** Successful puts completed within the measured window. */
  puts: number;
  /** Actual length of the measured window, in seconds. */
  seconds: number;
  putsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  etcdVersion: string;
  /** Failed puts (non-200, no `header.revision`, network error, timeout) during warm-up and measurement. */
  errors: number;
  /** The first failure's message, if any. */
  firstError?: string;
}

const HEALTH_TIMEOUT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 10_000;
const LOG_TAIL_LINES = 30;

// ---------------------------------------------------------------------------------------------
// Installation

function isExecutable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findEtcd(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir !== "" && isExecutable(join(dir, "etcd"))) return join(dir, "etcd");
  }
  return isExecutable("/usr/bin/etcd") ? "/usr/bin/etcd" : undefined;
}

/** Runs a command to completion; resolves with its exit code and combined output. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    let output = "";
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", (e) => resolve({ code: -1, output: output + String(e) }));
    child.on("close", (code) => resolve({ code: code ?? -1, output }));
  });
}

/**
 * Path of the etcd binary: `etcd` on PATH or /usr/bin/etcd; otherwise installs Debian's
 * `etcd-server` with apt-get (running `apt-get update` first only if the install fails).
 */
export async function ensureEtcd(): Promise<string> {
  const found = findEtcd();
  if (found) return found;
  if (process.getuid?.() !== 0) {
    throw new Error("etcd is not installed and this process is not root: install it with `apt-get install etcd-server`");
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = ["install", "-y", "--no-install-recommends", "etcd-server"];
  process.stderr.write("etcd not found: installing Debian package etcd-server with apt-get...\n");
  let r = await run("apt-get", install, env);
  if (r.code !== 0) {
    const u = await run("apt-get", ["update"], env);
    if (u.code !== 0) throw new Error(`apt-get update failed (exit ${u.code}):\n${tail(u.output, 20)}`);
    r = await run("apt-get", install, env);
  }
  if (r.code !== 0) throw new Error(`apt-get install etcd-server failed (exit ${r.code}):\n${tail(r.output, 20)}`);
  const path = findEtcd();
  if (!path) throw new Error(`apt-get installed etcd-server but no etcd binary was found on PATH or at /usr/bin/etcd:\n${tail(r.output, 20)}`);
  return path;
}

async function etcdVersion(bin: string): Promise<string> {
  const r = await run(bin, ["--version"], childEnv());
  const m = /etcd Version:\s*(\S+)/.exec(r.output);
  if (r.code !== 0 || !m) throw new Error(`\`${bin} --version\` failed (exit ${r.code}): ${r.output.trim()}`);
  return m[1];
}

// ---------------------------------------------------------------------------------------------
// Cluster

interface Member {
  name: string;
  clientPort: number;
  peerPort: number;
  dataDir: string;
  proc?: ChildProcess;
  exited: boolean;
  log: string[];
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** etcd reads every ETCD_* environment variable as a flag: give the members none of ours. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("ETCD_")) env[k] = v;
  return env;
}


async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  // 2379/2380 are etcd's defaults: a packaged etcd service may be using them.
  while (ports.size < n) {
    const p = await freePort();
    if (p !== 2379 && p !== 2380) ports.add(p);
  }
  return [...ports];
}

function memberLogs(members: Member[]): string {
  return members.map((m) => `--- ${m.name} (client ${m.clientPort}, peer ${m.peerPort}) ---\n${m.log.join("\n") || "(no output)"}`).join("\n");
}

function startMember(bin: string, m: Member, initialCluster: string, token: string): void {
  const peer = `http://127.0.0.1:${m.peerPort}`;
  const client = `http://127.0.0.1:${m.clientPort}`;
  const args = [
    "--name", m.name,
    "--data-dir", m.dataDir,
    "--listen-client-urls", client,
    "--advertise-client-urls", client,
    "--listen-peer-urls", peer,
    "--initial-advertise-peer-urls", peer,
    "--initial-cluster", initialCluster,
    "--initial-cluster-state", "new",
    "--initial-cluster-token", token,
    "--logger", "zap",
    "--log-outputs", "stderr",
  ];
  const proc = spawn(bin, args, { env: childEnv(), stdio: ["ignore", "pipe", "pipe"] });
  m.proc = proc;
  let partial = "";
  const onData = (d: Buffer): void => {
    const lines = (partial + d.toString()).split("\n");
    partial = lines.pop() ?? "";
    m.log.push(...lines);
    if (m.log.length > LOG_TAIL_LINES) m.log.splice(0, m.log.length - LOG_TAIL_LINES);
  };
  proc.stdout?.on("data", onData);
  proc.stderr?.on("data", onData);
  proc.on("error", (e) => m.log.push(`spawn error: ${String(e)}`));
  proc.on("exit", (code, signal) => {
    m.exited = true;
    m.log.push(`(exited: code ${code}, signal ${signal})`);
  });
}

function httpGet(port: number, path: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method: "GET", agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Sleeps `ms`; returns false at once if `signal` aborts. */
const sleepUnless = (ms: number, signal: AbortSignal): Promise<boolean> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });

async function waitHealthy(members: Member[]): Promise<void> {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  const healthy = new Set<string>();
  let last = "";
  while (healthy.size < members.length) {
    const dead = members.find((m) => m.exited);
    if (dead) throw new Error(`etcd member ${dead.name} exited during startup\n${memberLogs(members)}`);
    if (Date.now() > deadline) {
      throw new Error(`etcd cluster not healthy after ${HEALTH_TIMEOUT_MS / 1000} s (last: ${last})\n${memberLogs(members)}`);
    }
    for (const m of members) {
      if (healthy.has(m.name)) continue;
      try {
        const r = await httpGet(m.clientPort, "/health", 2_000);
        if (r.status === 200 && (JSON.parse(r.body) as { health?: unknown }).health === "true") healthy.add(m.name);
        else last = `${m.name}: HTTP ${r.status} ${r.body.trim()}`;
      } catch (e) {
        last = `${m.name}: ${(e as Error).message}`;
      }
    }
    if (healthy.size < members.length) await sleep(200);
  }
}

async function stopMembers(members: Member[]): Promise<void> {
  await Promise.all(
    members.map(async (m) => {
      const p = m.proc;
      if (!p || m.exited || p.exitCode !== null || p.signalCode !== null) return;
      const exited = new Promise<void>((r) => p.once("exit", () => r()));
      p.kill("SIGTERM");
      const timer = setTimeout(() => p.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }),
  );
}

function removeDirs(members: Member[]): void {
  for (const m of members) rmSync(m.dataDir, { recursive: true, force: true, maxRetries: 3 });
}

// ---------------------------------------------------------------------------------------------
// Load

function post(agent: Agent, port: number, path: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("error", reject);
        res.on("end", () => {
          if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode} from :${port}${path}: ${text.trim().slice(0, 300)}`));
          let revision: unknown;
          try {
            revision = (JSON.parse(text) as { header?: { revision?: unknown } }).header?.revision;
          } catch {
            // reported below
          }
          if (revision === undefined) reject(new Error(`no header.revision in the reply from :${port}${path}: ${text.trim().slice(0, 300)}`));
          else resolve();
        });
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no reply from :${port}${path} within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}

const b64 = (s: string): string => Buffer.from(s).toString("base64");

/** The v3 JSON gateway path: `/v3/kv/put` (etcd >= 3.4), else `/v3beta/kv/put` (3.3). */
async function gatewayPath(agent: Agent, port: number): Promise<string> {
  const body = JSON.stringify({ key: b64("civitas-bench/probe"), value: b64("probe") });
  let first: Error | undefined;
  for (const path of ["/v3/kv/put", "/v3beta/kv/put"]) {
    try {
      await post(agent, port, path, body);
      return path;
    } catch (e) {
      first ??= e as Error;
    }
  }
  throw new Error(`no working etcd v3 JSON gateway put path: ${first?.message}`);
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function positiveInt(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v <= 0) throw new Error(`${name} must be a positive integer (got ${v})`);
  return v;
}

export async function runEtcdBench(opts: EtcdBenchOptions = {}): Promise<EtcdBenchResult> {
  const nMembers = positiveInt("members", opts.members ?? 3);
  const clients = positiveInt("clients", opts.clients ?? 128);
  const seconds = opts.seconds ?? 10;
  const warmupSeconds = opts.warmupSeconds ?? 2;
  const valueBytes = positiveInt("valueBytes", opts.valueBytes ?? 200);
  if (!(seconds > 0)) throw new Error(`seconds must be > 0 (got ${seconds})`);
  if (!(warmupSeconds >= 0)) throw new Error(`warmupSeconds must be >= 0 (got ${warmupSeconds})`);

  const bin = await ensureEtcd();
  const version = await etcdVersion(bin);

  const members: Member[] = [];
  let cleaned = false;
  const cleanupSync = (): void => {
    if (cleaned) return;
    cleaned = true;
    for (const m of members) if (m.proc && !m.exited) m.proc.kill("SIGKILL");
    try {
      removeDirs(members);
    } catch {
      // best effort on the way out
    }
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    cleanupSync();
    // Nobody else handles it: terminate as the signal would have.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  process.once("exit", cleanupSync);

  const agent = new Agent({ keepAlive: true, maxSockets: clients, maxFreeSockets: clients });
  // Aborted when the run ends, however it ends: stops the client loops and the timers.
  const stop = new AbortController();
  let bar: cliProgress.SingleBar | undefined;
  let ticker: NodeJS.Timeout | undefined;
  try {
    const ports = await freePorts(2 * nMembers);
    for (let i = 0; i < nMembers; i++) {
      members.push({
        name: `m${i}`,
        clientPort: ports[2 * i],
        peerPort: ports[2 * i + 1],
        dataDir: mkdtempSync(join(tmpdir(), `civitas-etcd-m${i}-`)),
        exited: false,
        log: [],
      });
    }
    const initialCluster = members.map((m) => `${m.name}=http://127.0.0.1:${m.peerPort}`).join(",");
    const token = `civitas-bench-${randomBytes(4).toString("hex")}`;
    for (const m of members) startMember(bin, m, initialCluster, token);
    await waitHealthy(members);
    const path = await gatewayPath(agent, members[0].clientPort);

    // A pool of random values, base64'd once so the load generator spends its CPU on requests.
    const values = Array.from({ length: 1024 }, () => randomBytes(valueBytes).toString("base64"));

    let measuring = false;
    let latencies = new Float64Array(1 << 16);
    let puts = 0;
    let errors = 0;
    let firstError: string | undefined;

    const loop = async (c: number): Promise<void> => {
      const m = members[c % nMembers];
      for (let seq = 0; !stop.signal.aborted; seq++) {
        const body = `{"key":"${b64(`bench/${c}/${seq}`)}","value":"${values[(c + seq) & 1023]}"}`;
        const t = performance.now();
        try {
          await post(agent, m.clientPort, path, body);
          if (measuring) {
            if (puts === latencies.length) {
              const grown = new Float64Array(latencies.length * 2);
              grown.set(latencies);
              latencies = grown;
            }
            latencies[puts++] = performance.now() - t;
          }
        } catch (e) {
          if (stop.signal.aborted) break;
          errors++;
          firstError ??= (e as Error).message;
          if (m.exited) throw new Error(`etcd member ${m.name} exited during the benchmark\n${memberLogs(members)}`);
          await sleepUnless(50, stop.signal);
        }
      }
    };

    const totalMs = seconds * 1000;
    let t0 = 0;
    let t1 = 0;
    const loops = Array.from({ length: clients }, (_, c) => loop(c));
    const done = Promise.all(loops);
    // A failing loop must end the run at once, not after the window.
    const failed = new Promise<never>((_, reject) => done.catch(reject));

    const timed = (async (): Promise<void> => {
      if (!(await sleepUnless(warmupSeconds * 1000, stop.signal))) return;
      if (!opts.onProgress && process.stderr.isTTY) {
        bar = new cliProgress.SingleBar(
          { format: "etcd puts [{bar}] {percentage}% | {puts} puts | {rate} puts/s", stream: process.stderr, hideCursor: true },
          cliProgress.Presets.shades_classic,
        );
        bar.start(totalMs, 0, { puts: 0, rate: 0 });
      }
      measuring = true;
      t0 = performance.now();
      ticker = setInterval(() => {
        const elapsed = Math.min(totalMs, performance.now() - t0);
        opts.onProgress?.(elapsed, totalMs);
        bar?.update(elapsed, { puts, rate: elapsed > 0 ? Math.round((puts * 1000) / elapsed) : 0 });
      }, 200);
      const complete = await sleepUnless(totalMs, stop.signal);
      measuring = false;
      t1 = performance.now();
      stop.abort();
      clearInterval(ticker);
      ticker = undefined;
      if (!complete) return;
      opts.onProgress?.(totalMs, totalMs);
      bar?.update(totalMs, { puts, rate: Math.round((puts * 1000) / (t1 - t0)) });
      bar?.stop();
      bar = undefined;
    })();
    await Promise.race([timed, failed]);
    await Promise.race([done, failed]);

    if (puts === 0) throw new Error(`no successful etcd put in the measured window (${errors} errors; first: ${firstError ?? "none"})\n${memberLogs(members)}`);
    const measured = (t1 - t0) / 1000;
    const sorted = latencies.subarray(0, puts).sort();
    const result: EtcdBenchResult = {
      members: nMembers,
      clients,
      valueBytes,
      puts,
      seconds: Math.round(measured * 1000) / 1000,
      putsPerSec: Math.round(puts / measured),
      p50Ms: Math.round(percentile(sorted, 50) * 100) / 100,
      p99Ms: Math.round(percentile(sorted, 99) * 100) / 100,
      etcdVersion: version,
      errors,
    };
    if (firstError !== undefined) result.firstError = firstError;
    return result;
  } finally {
    stop.abort();
    if (ticker) clearInterval(ticker);
    bar?.stop();
    agent.destroy();
    await stopMembers(members);
    cleanupSync();
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    process.removeListener("exit", cleanupSync);
  }
}
