/**
 * The node's Prometheus metrics (prom-client), one registry per node so several nodes in one
 * process (tests) never mix their series. Counters and histograms are fed by the chain's commit
 * listener and the mempool; gauges are read from their sources when Prometheus scrapes.
 * Every series carries the labels `node` (moniker) and `chain`.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { CertExpiry, DiskUsage } from "./host-probes.js";
import { TpsWindow } from "./tps-window.js";

export interface MetricsSources {
  mempoolTxs(): number;
  /** Connected peers; undefined on a node without a p2p network (solo). */
  peers(): number | undefined;
  consensusRound(): number;
  disk(): DiskUsage | undefined;
  certs(): CertExpiry[];
  now(): number;
}

export interface MetricsOptions {
  node: string;
  chain: string;
  /** Window of the civitas_tps gauge. */
  tpsWindowSeconds: number;
  /** Longest window alert rules may ask of `tps()`. */
  maxTpsWindowSeconds: number;
  /** Submitted transactions remembered for the commit-latency histogram (oldest forgotten first). */
  maxTrackedTxs?: number;
  /** Node.js process metrics (prom-client defaults: CPU, memory, event loop, GC). */
  processMetrics?: boolean;
}

export const BLOCK_INTERVAL_BUCKETS = [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60];
export const COMMIT_LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class NodeMetrics {
  readonly registry = new Registry();
  readonly tpsWindow: TpsWindow;
  private readonly submitted = new Map<string, number>();
  private readonly maxTracked: number;
  private lastBlockTime: number | undefined;
  private readonly blocks: Counter;
  private readonly txs: Counter;
  private readonly height: Gauge;
  private readonly interval: Histogram;
  private readonly latency: Histogram;

  constructor(
    private readonly opts: MetricsOptions,
    private readonly src: MetricsSources,
  ) {
    this.tpsWindow = new TpsWindow(Math.max(opts.tpsWindowSeconds, opts.maxTpsWindowSeconds) * 1000);
    this.maxTracked = opts.maxTrackedTxs ?? 100_000;
    const registers = [this.registry];
    this.registry.setDefaultLabels({ node: opts.node, chain: opts.chain });
    this.blocks = new Counter({ name: "civitas_blocks_committed_total", help: "Blocks committed by this node (own, agreed or synced).", registers });
    this.txs = new Counter({ name: "civitas_txs_committed_total", help: "Transactions in blocks committed by this node.", registers });
    this.height = new Gauge({ name: "civitas_block_height", help: "Height of the node's head block.", registers });
    this.interval = new Histogram({ name: "civitas_block_interval_seconds", help: "Block time minus the previous block's time (header times).", buckets: BLOCK_INTERVAL_BUCKETS, registers });
    this.latency = new Histogram({ name: "civitas_commit_latency_seconds", help: "From admission to this node's mempool (client submissions) to commit.", buckets: COMMIT_LATENCY_BUCKETS, registers });
    const windowS = opts.tpsWindowSeconds;
    // prom-client calls collect with `this` bound to the metric.
    const tps = (): number => this.tps(windowS);
    new Gauge({ name: "civitas_tps", help: `Transactions committed per second over the last ${windowS} s (local commit times).`, registers, collect: function () { this.set(tps()); } });
    new Gauge({ name: "civitas_tps_window_seconds", help: "Window of civitas_tps.", registers, collect: function () { this.set(windowS); } });
    new Gauge({ name: "civitas_mempool_txs", help: "Transactions waiting in the mempool.", registers, collect: function () { this.set(src.mempoolTxs()); } });
    new Gauge({
      name: "civitas_peers",
      help: "Connected p2p peers (0 on a solo node).",
      registers,
      collect: function () {
        this.set(src.peers() ?? 0);
      },
    });
    new Gauge({ name: "civitas_consensus_round", help: "Consensus round of the height being decided (0 = first).", registers, collect: function () { this.set(src.consensusRound()); } });
    new Gauge({
      name: "civitas_disk_bytes",
      help: "Disk of the data directory: kind=store (store files), free (available), total (filesystem size).",
      labelNames: ["kind"],
      registers,
      collect: function () {
        const d = src.disk();
        if (!d) return;
        this.set({ kind: "store" }, d.storeBytes);
        this.set({ kind: "free" }, d.freeBytes);
        this.set({ kind: "total" }, d.totalBytes);
      },
    });
    new Gauge({
      name: "civitas_cert_expiry_seconds",
      help: "Seconds until the certificate expires (negative: expired); cert=node-tls or tsa.",
      labelNames: ["cert"],
      registers,
      collect: function () {
        this.reset();
        const now = src.now();
        for (const c of src.certs()) this.set({ cert: c.name }, Math.round((c.notAfter - now) / 1000));
      },
    });
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Committed TPS over the last `windowSeconds` (at most maxTpsWindowSeconds). */
  tps(windowSeconds: number): number {
    return this.tpsWindow.tps(this.src.now(), windowSeconds * 1000);
  }

  /** Transactions a client submitted to this node (the start of their commit latency). */
  onSubmitted(hashes: string[]): void {
    const now = this.src.now();
    for (const h of hashes) {
      if (this.submitted.size >= this.maxTracked) this.submitted.delete(this.submitted.keys().next().value as string);
      this.submitted.set(h, now);
    }
  }

  onCommit(b: { height: number; time: number; txHashes: string[] }): void {
    const now = this.src.now();
    this.blocks.inc();
    this.txs.inc(b.txHashes.length);
    this.height.set(b.height);
    this.tpsWindow.record(now, b.txHashes.length);
    if (this.lastBlockTime !== undefined) this.interval.observe(Math.max(0, b.time - this.lastBlockTime) / 1000);
    this.lastBlockTime = b.time;
    for (const h of b.txHashes) {
      const t = this.submitted.get(h);
      if (t === undefined) continue;
      this.submitted.delete(h);
      this.latency.observe(Math.max(0, now - t) / 1000);
    }
  }

  /** The head at start: the height gauge is right before the first commit. */
  setHead(height: number, time: number): void {
    this.height.set(height);
    this.lastBlockTime = time;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
