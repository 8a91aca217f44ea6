/**
 * One network of this machine as an operator's dashboard sees it: every node's process state,
 * health (from its /v1/status), and resources (from its /metrics: CPU, memory, store and disk),
 * next to the hardware profile it was given, plus the platform facts and the network's accounts
 * (names and addresses; the keys stay in the network folder). CPU is a rate, so it needs two
 * scrapes: `RateSampler` keeps the previous one per node between polls (so do block time and commit
 * latency, means over the interval).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { listKeyFiles, loadKeyFile } from "../crypto/keystore.js";
import { CivitasError, ErrorCode } from "../util/errors.js";
import { metric, parseMetrics } from "../util/prom-text.js";
import { readHomeConfig } from "./export/homes.js";
import type { NetworkNode } from "./network.js";
import { PIDS_FILE } from "./network.js";
import { loadNetwork } from "./network-manager.js";
import { findNetwork, SPEC_FILE } from "./network-registry.js";
import type { NetworkSpec } from "./network-spec/types.js";
import { bftFaultTolerance } from "./network-spec/plan.js";
import { isAlive, readPids } from "./processes.js";
import type { NodeConfig } from "./config.js";
import type { NetworkDetail, NodeDetail } from "./network-wire.js";

export type { NetworkDetail, NodeDetail, NodeHealth } from "./network-wire.js";

/** How long one node may take to answer a status or metrics request before it counts as unreachable. */
const PROBE_TIMEOUT_MS = 1_500;
/** A running node this many blocks behind the highest node of the network is reported as lagging. */
const LAG_BLOCKS = 5;

interface StatusJson {
  node: { moniker: string; version: string; uptimeMs: number };
  chain: { chainId: string; genesisHash: string; cryptoSuite: string; consensus: string; blockIntervalMs: number; maxBlockTxs: number; maxBlockBytes: number; maxTxBytes: number; maxTxGas: number; authority: string };
  head: { height: number; time: number };
  consensus: { round: number; step?: string; syncing?: boolean };
  network?: { peers: unknown[] };
  mempool: { pending: number };
}

/**
 * The previous scrape per node (keyed by API URL): CPU, block time and commit latency are rates
 * or means over the time between two polls, as the node's own console computes them.
 */
export class RateSampler {
  private readonly last = new Map<string, { at: number; m: Map<string, number> }>();

  /** Rates between the previous scrape of `key` and this one; empty on the first scrape. */
  rates(key: string, at: number, m: Map<string, number>): { cpuPercent?: number; blockTimeSeconds?: number; commitLatencySeconds?: number } {
    const prev = this.last.get(key);
    this.last.set(key, { at, m });
    if (!prev || at <= prev.at) return {};
    const out: { cpuPercent?: number; blockTimeSeconds?: number; commitLatencySeconds?: number } = {};
    const delta = (name: string): number | undefined => {
      const a = metric(prev.m, name);
      const b = metric(m, name);
      return a === undefined || b === undefined || b < a ? undefined : b - a;
    };
    const cpu = delta("process_cpu_seconds_total");
    if (cpu !== undefined) out.cpuPercent = (cpu / ((at - prev.at) / 1000)) * 100;
    // A histogram's mean over the interval: Δsum / Δcount (absent when nothing was observed).
    const mean = (name: string): number | undefined => {
      const c = delta(`${name}_count`);
      const sum = delta(`${name}_sum`);
      return c && sum !== undefined ? sum / c : undefined;
    };
    const bt = mean("civitas_block_interval_seconds");
    if (bt !== undefined) out.blockTimeSeconds = bt;
    const lat = mean("civitas_commit_latency_seconds");
    if (lat !== undefined) out.commitLatencySeconds = lat;
    return out;
  }
}

async function getJson<T>(url: string): Promise<T> {
  const r = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
  return (await r.json()) as T;
}

async function getText(url: string): Promise<string> {
  const r = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
  return r.text();
}

function readSpec(dir: string): NetworkSpec | undefined {
  const f = join(dir, SPEC_FILE);
  if (!existsSync(f)) return undefined;
  try {
    return JSON.parse(readFileSync(f, "utf8")) as NetworkSpec;
  } catch {
    return undefined;
  }
}

/** The network's account keys, in the spec's order when there is one (the first is the authority). */
function accountsOf(dir: string, spec: NetworkSpec | undefined): Array<{ name: string; address: string }> {
  const keys = join(dir, "keys");
  if (!existsSync(keys)) return [];
  const out: Array<{ name: string; address: string }> = [];
  for (const name of listKeyFiles(keys)) {
    try {
      out.push({ name, address: loadKeyFile(keys, name).address });
    } catch {
      // a file that is not a key file is not an account
    }
  }
  const order = new Map((spec?.accounts ?? []).map((a, i) => [a.name, i]));
  return out.sort((a, b) => (order.get(a.name) ?? order.size) - (order.get(b.name) ?? order.size) || a.name.localeCompare(b.name));
}

/** A process whose API does not answer yet is "starting", not "unreachable", for this long after its start. */
const STARTING_MS = 60_000;

async function probeNode(n: NetworkNode, dir: string, pid: number | undefined, startedAt: number | undefined, cpu: RateSampler): Promise<{ detail: NodeDetail; status?: StatusJson }> {
  const cfg = readHomeConfig(dir, n);
  const base: NodeDetail = { name: n.name, role: n.role, api: n.api, p2p: n.p2p, process: "stopped", health: "stopped", hardware: cfg.resources, ...(cfg.logDir ? { logDir: join(dir, n.home, cfg.logDir) } : {}) };
  if (pid === undefined || !isAlive(pid)) return { detail: { ...base, reason: "the node process is not running" } };
  const running: NodeDetail = { ...base, pid, process: "running" };
  const at = Date.now();
  const [st, mt] = await Promise.allSettled([getJson<StatusJson>(`${n.api}/v1/status`), getText(`${n.api}/metrics`)]);
  if (st.status === "rejected") {
    const age = startedAt !== undefined ? at - startedAt : Infinity;
    if (age < STARTING_MS) return { detail: { ...running, health: "starting", reason: `started ${Math.round(age / 1000)} s ago; its API is not up yet` } };
    return { detail: { ...running, health: "unreachable", reason: `the process runs but its API does not answer (${(st.reason as Error).message ?? String(st.reason)}); see its logs` } };
  }
  const s = st.value;
  const d: NodeDetail = {
    ...running,
    health: s.consensus.syncing ? "syncing" : s.consensus.step === "waiting-for-txs" ? "idle" : "healthy",
    ...(s.consensus.syncing ? { reason: "catching up with its peers" } : {}),
    version: s.node.version,
    height: s.head.height,
    lastBlockTime: s.head.time,
    round: s.consensus.round,
    peers: s.network?.peers.length ?? 0,
    mempool: s.mempool.pending,
    uptimeMs: s.node.uptimeMs,
  };
  if (mt.status === "fulfilled") {
    const m = parseMetrics(mt.value);
    const opt = (k: keyof NodeDetail, v: number | undefined): void => {
      if (v !== undefined) (d as unknown as Record<string, number>)[k] = v;
    };
    Object.assign(d, cpu.rates(n.api, at, m));
    opt("rssBytes", metric(m, "process_resident_memory_bytes"));
    opt("heapUsedBytes", metric(m, "nodejs_heap_size_used_bytes"));
    opt("storeBytes", metric(m, "civitas_disk_bytes", { kind: "store" }));
    opt("diskFreeBytes", metric(m, "civitas_disk_bytes", { kind: "free" }));
    opt("diskTotalBytes", metric(m, "civitas_disk_bytes", { kind: "total" }));
    opt("tps", metric(m, "civitas_tps"));
  }
  return { detail: d, status: s };
}

export async function networkDetail(name: string, cpu: RateSampler): Promise<NetworkDetail> {
  if (!findNetwork(name)) throw new CivitasError(ErrorCode.API_NOT_FOUND, `no network named '${name}' on this machine`, { field: "name", name });
  const { dir, info } = loadNetwork(name);
  const pids = new Map(readPids(dir).map((p) => [p.name, p.pid]));
  // pids.json is written when the nodes are spawned: its time is their start time.
  const pidsFile = join(dir, PIDS_FILE);
  const startedAt = existsSync(pidsFile) ? statSync(pidsFile).mtimeMs : undefined;
  const probed = await Promise.all(info.nodes.map((n) => probeNode(n, dir, pids.get(n.name), startedAt, cpu)));
  const nodes = probed.map((p) => p.detail);
  const top = Math.max(-1, ...nodes.map((n) => n.height ?? -1));
  for (const n of nodes) {
    if (n.height !== undefined && (n.health === "healthy" || n.health === "idle") && top - n.height >= LAG_BLOCKS) {
      n.health = "lagging";
      n.reason = `${top - n.height} blocks behind the highest node (${top})`;
    }
  }
  const running = nodes.filter((n) => n.process === "running").length;
  const spec = readSpec(dir);
  const s = probed.find((p) => p.status)?.status;
  const validators = info.nodes.filter((n) => n.role === "validator").length;
  const consensus = s?.chain.consensus ?? spec?.consensus.algorithm;
  return {
    name,
    chainId: info.chainId,
    dir,
    status: running === 0 ? "stopped" : running === nodes.length ? "running" : "partial",
    ...(consensus ? { consensus } : {}),
    ...(consensus === "bft" ? { faultTolerance: bftFaultTolerance(validators) } : consensus ? { faultTolerance: 0 } : {}),
    ...(s ? { platform: { consensus: s.chain.consensus, cryptoSuite: s.chain.cryptoSuite, blockIntervalMs: s.chain.blockIntervalMs, maxBlockTxs: s.chain.maxBlockTxs, maxBlockBytes: s.chain.maxBlockBytes, maxTxBytes: s.chain.maxTxBytes, maxTxGas: s.chain.maxTxGas, genesisHash: s.chain.genesisHash, authority: s.chain.authority } } : {}),
    ...(spec ? { spec } : {}),
    accounts: accountsOf(dir, spec),
    nodes,
  };
}

/** A node of a network by name, with its folder: for reading its logs. */
export function networkNode(name: string, node: string): { dir: string; node: NetworkNode; config: NodeConfig } {
  const { dir, info } = loadNetwork(name);
  const n = info.nodes.find((x) => x.name === node);
  if (!n) throw new CivitasError(ErrorCode.API_NOT_FOUND, `network '${name}' has no node '${node}' (it has ${info.nodes.map((x) => x.name).join(", ")})`, { field: "node", node });
  return { dir, node: n, config: readHomeConfig(dir, n) };
}
