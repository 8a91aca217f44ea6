/**
 * Monitoring of one node, assembled: the Prometheus metrics, the alert engine with its sinks
 * (system log, in-memory history for the API, webhook) and the rule store, fed by the chain's
 * commit listener, the mempool, the p2p layer and a timer. `MonitoringApi` is what the API
 * routes see.
 */
import { resolve } from "node:path";
import type { ConsensusEngine } from "../../consensus/engine.js";
import type { BftEngineStatus } from "../../consensus/bft/engine.js";
import { txHashOfWire } from "../../ledger/tx.js";
import type { Mempool } from "../../mempool/mempool.js";
import type { P2PNode } from "../../p2p/index.js";
import { toHex } from "../../util/bytes.js";
import type { Chain } from "../chain.js";
import type { NodeConfig } from "../config.js";
import type { Alert, AlertEvent } from "../alerts/engine.js";
import { AlertEngine } from "../alerts/engine.js";
import { PeerWatch } from "../alerts/peer-watch.js";
import type { AlertRule } from "../alerts/rules.js";
import { parseRules, ruleToJson, RULE_PARAMS } from "../alerts/rules.js";
import { loadStoredRules, storeRules } from "../alerts/store.js";
import type { WebhookStats } from "../alerts/webhook.js";
import { WebhookSink } from "../alerts/webhook.js";
import type { LogEntry, LogQuery, NodeLogging } from "../logging.js";
import { startHostSampler } from "../logging.js";
import type { CertExpiry, DiskUsage } from "./host-probes.js";
import { certExpiry, certExpiryOfPem, diskUsage } from "./host-probes.js";
import { NodeMetrics } from "./registry.js";

export interface MonitoringApi {
  metrics(): Promise<{ contentType: string; text: string }>;
  alerts(limit?: number): { firing: Alert[]; history: AlertEvent[]; webhook?: WebhookStats };
  rules(): { rules: Array<Record<string, unknown>>; persisted: boolean; kinds: Record<string, Record<string, string>> };
  /** Validates (ALERT_RULES_INVALID, nothing changes), applies, and persists to the node home. */
  setRules(input: unknown, actor: string): { rules: Array<Record<string, unknown>>; persisted: boolean };
  logs(q: LogQuery): LogEntry[];
}

export interface MonitoringDeps {
  config: NodeConfig;
  chain: Chain;
  mempool: Mempool;
  engine: ConsensusEngine;
  p2p?: P2PNode;
  dataPath: string;
  home?: string;
  tsaCertPem?: string;
  logging: NodeLogging;
}

/** Certificates and disk change slowly: read them at most this often. */
const PROBE_CACHE_MS = 5_000;

function cached<T>(fn: () => T, ms: number): () => T {
  let at = -Infinity;
  let v: T;
  return () => {
    const now = Date.now();
    if (now - at >= ms) {
      v = fn();
      at = now;
    }
    return v;
  };
}

export class NodeMonitoring implements MonitoringApi {
  readonly metricsRegistry: NodeMetrics;
  readonly alertEngine: AlertEngine;
  readonly peerWatch = new PeerWatch();
  private readonly webhook?: WebhookSink;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly stops: Array<() => void> = [];
  private persisted: boolean;

  constructor(private readonly d: MonitoringDeps) {
    const c = d.config;
    const disk: () => DiskUsage | undefined = cached(() => diskUsage(d.dataPath), PROBE_CACHE_MS);
    const certs: () => CertExpiry[] = cached(() => {
      const out: CertExpiry[] = [];
      const tls = d.home ? certExpiry("node-tls", resolve(d.home, c.p2p.tlsDir, "node.crt")) : undefined;
      if (tls) out.push(tls);
      const tsa = d.tsaCertPem ? certExpiryOfPem("tsa", d.tsaCertPem) : undefined;
      if (tsa) out.push(tsa);
      return out;
    }, PROBE_CACHE_MS);
    const stored = d.home ? loadStoredRules(resolve(d.home)) : undefined;
    this.persisted = stored !== undefined;
    const rules = stored ?? parseRules(c.alerts.rules, "alerts.rules");
    const maxWindow = Math.max(3600, ...rules.filter((r) => "windowSeconds" in r.params).map((r) => r.params.windowSeconds));
    const chainId = d.chain.genesis.chainId;
    this.metricsRegistry = new NodeMetrics(
      { node: c.moniker, chain: chainId, tpsWindowSeconds: c.metrics.tpsWindowSeconds, maxTpsWindowSeconds: maxWindow },
      { mempoolTxs: () => d.mempool.size, peers: () => d.p2p?.peers().length, consensusRound: () => d.engine.status().round, disk, certs, now: () => Date.now() },
    );
    const head = d.chain.head();
    this.metricsRegistry.setHead(head.height, head.time);
    this.alertEngine = new AlertEngine(
      {
        now: () => Date.now(),
        tps: (w) => this.metricsRegistry.tps(w),
        height: () => d.chain.head().height,
        blocksExpected: () => d.chain.genesis.createEmptyBlocks || d.mempool.size > 0 || ((d.engine.status() as Partial<BftEngineStatus>).peersAhead ?? 0) > 0,
        peers: () => d.p2p?.peers().length,
        validatorPeersDown: () => this.peerWatch.down(),
        disk,
        certs,
      },
      { node: c.moniker, chain: chainId, historySize: c.alerts.historySize },
      rules,
    );
    const sys = d.logging.system;
    this.alertEngine.addSink((e) => {
      const a = e.alert;
      const fields = { alert: a.key, rule: a.rule, kind: a.kind, severity: a.severity, value: a.value, threshold: a.threshold };
      if (e.event === "resolved") sys.info(fields, `alert resolved: ${a.key} (last: ${a.message})`);
      else if (a.severity === "critical") sys.error(fields, `alert firing: ${a.message}`);
      else if (a.severity === "warning") sys.warn(fields, `alert firing: ${a.message}`);
      else sys.info(fields, `alert firing: ${a.message}`);
    });
    if (c.alerts.webhook.url) {
      this.webhook = new WebhookSink(c.alerts.webhook, sys.child({ sink: "webhook" }));
      this.alertEngine.addSink(this.webhook.notify);
    }
  }

  /** Hooks the node's parts and starts the timers. */
  start(): void {
    const { chain, mempool, p2p, config } = this.d;
    const suite = chain.suite;
    mempool.onAdmitted((raws) => {
      const hashes: string[] = [];
      for (const r of raws) {
        try {
          hashes.push(toHex(txHashOfWire(suite, r)));
        } catch {
          // Admitted transactions decode; nothing to time otherwise.
        }
      }
      this.metricsRegistry.onSubmitted(hashes);
    });
    this.stops.push(
      chain.onCommit((b) => {
        this.metricsRegistry.onCommit({ height: b.block.header.height, time: b.block.header.time, txHashes: b.txHashes.map(toHex) });
        this.alertEngine.evaluate();
      }),
    );
    p2p?.onPeer((id, ev) => {
      const info = ev === "up" ? p2p.peers().find((x) => x.id === id) : undefined;
      this.peerWatch.onPeer(id, ev, Date.now(), info ? { role: info.role, address: info.address } : undefined);
    });
    this.timer = setInterval(() => this.alertEngine.evaluate(), config.alerts.evalIntervalMs);
    this.timer.unref();
    this.stops.push(startHostSampler(this.d.logging.host, config.logHostSampleMs, () => diskUsage(this.d.dataPath) as Record<string, unknown> | undefined));
    this.d.logging.system.info({ rules: this.alertEngine.getRules().filter((r) => r.enabled).map((r) => r.id), webhook: config.alerts.webhook.url ? new URL(config.alerts.webhook.url).origin : undefined, logFiles: this.d.logging.files, rulesFrom: this.persisted ? "alert-rules.json" : "node.json" }, "monitoring started");
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    for (const s of this.stops.splice(0)) s();
    this.webhook?.close();
  }

  // ---- MonitoringApi ----

  async metrics(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.metricsRegistry.contentType, text: await this.metricsRegistry.text() };
  }

  alerts(limit?: number): { firing: Alert[]; history: AlertEvent[]; webhook?: WebhookStats } {
    return { firing: this.alertEngine.current(), history: this.alertEngine.history(limit), webhook: this.webhook?.stats };
  }

  rules(): { rules: Array<Record<string, unknown>>; persisted: boolean; kinds: Record<string, Record<string, string>> } {
    const kinds: Record<string, Record<string, string>> = {};
    for (const [k, ps] of Object.entries(RULE_PARAMS)) kinds[k] = Object.fromEntries(Object.entries(ps).map(([n, s]) => [n, `${s.doc} [${s.min}, ${s.max}]${s.integer ? ", integer" : ""}`]));
    return { rules: this.alertEngine.getRules().map(ruleToJson), persisted: this.persisted, kinds };
  }

  setRules(input: unknown, actor: string): { rules: Array<Record<string, unknown>>; persisted: boolean } {
    const rules: AlertRule[] = parseRules(input);
    if (this.d.home) {
      storeRules(resolve(this.d.home), rules);
      this.persisted = true;
    }
    this.alertEngine.setRules(rules);
    this.d.logging.system.info({ actor, rules: rules.map((r) => r.id), persisted: this.persisted }, "alert rules replaced");
    this.alertEngine.evaluate();
    return { rules: rules.map(ruleToJson), persisted: this.persisted };
  }

  logs(q: LogQuery): LogEntry[] {
    return this.d.logging.ring.query(q);
  }
}
