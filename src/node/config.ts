/**
 * Node configuration (node.json): where the node keeps its data, which key it signs with and
 * how its API and mempool are limited. Every field is checked by name; defaults are explicit.
 */
import { CivitasError, ErrorCode, isCivitasError } from "../util/errors.js";
import { DEFAULT_RULES, parseRules, ruleToJson } from "./alerts/rules.js";

export interface NodeConfig {
  /** Name shown in status and logs. */
  moniker: string;
  /** Directory of the LMDB environment, relative to the config file's folder. */
  dataDir: string;
  /** Genesis file, relative to the config file's folder. */
  genesisFile: string;
  /** Encrypted validator key file, relative to the config file's folder. */
  keyFile: string;
  api: {
    host: string;
    port: number;
    /** Largest request body accepted, in bytes. */
    bodyLimitBytes: number;
    /** Most transactions in one POST /v1/txs batch. */
    maxBatchTxs: number;
    /** Requests per client address per window (0 = unlimited). */
    rateLimitMax: number;
    rateLimitWindowMs: number;
    /** Longest a client may wait for a commit in one request. */
    maxWaitMs: number;
    /** Signed requests (RFC 9421): longest validity window a client may ask for. */
    authMaxValidityMs: number;
    /** Signed requests: tolerated difference between the client's clock and the node's. */
    authClockSkewMs: number;
    /** Signed requests: nonces remembered against replay (a full cache answers 429). */
    authReplayCacheSize: number;
    /** Query API of a PostgreSQL indexer (`civitas indexer --serve`) the explorer reads through /v1/explorer/index ("" = none). */
    indexerUrl: string;
  };
  mempool: { maxPendingPerAccount: number; maxPendingTotal: number };
  /** validator: votes when its key is in the set; full: replicates and serves without voting (no key needed). */
  role: "validator" | "full";
  /** Node-to-node network (BFT chains): mutual TLS with certificates from the network CA. */
  p2p: {
    host: string;
    port: number;
    /** host:port of peers to dial (and keep dialling). */
    peers: string[];
    /** Folder with ca.crt, node.crt and node.key, relative to the config file's folder. */
    tlsDir: string;
    /** Largest frame accepted from a peer (0 = derived from the genesis block size). */
    maxFrameBytes: number;
    /** How long a misbehaving peer stays banned. */
    banMs: number;
  };
  /** BFT timing (Tendermint's timeouts; each grows by its delta per round). */
  consensus: {
    timeoutProposeMs: number;
    timeoutProposeDeltaMs: number;
    timeoutPrevoteMs: number;
    timeoutPrevoteDeltaMs: number;
    timeoutPrecommitMs: number;
    timeoutPrecommitDeltaMs: number;
    /** Own votes are re-sent when a height is slower than this. */
    gossipMs: number;
    /** Period of height announcements that drive block sync. */
    statusMs: number;
    /** Write-ahead log of signed votes, relative to the config file's folder. */
    walFile: string;
  };
  /** Signature verification threads (0 = one per core). */
  verifyWorkers: number;
  /**
   * Hardware profile (0 = not set). storageMiB is enforced by the node (it refuses to commit once
   * its data folder is larger); memoryMiB is enforced by whoever starts the process (V8 heap
   * limit, container or unit memory limit); cpus is reported only.
   */
  resources: { cpus: number; memoryMiB: number; storageMiB: number };
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** Log files (node, host, system), relative to the config file's folder ("" = stdout only). */
  logDir: string;
  /** A log file is rotated once it reaches this size; this many rotated files are kept per source. */
  logMaxFileBytes: number;
  logMaxFiles: number;
  /** Period of host samples in the host log (0 = none). */
  logHostSampleMs: number;
  metrics: {
    /** Window of the civitas_tps gauge. */
    tpsWindowSeconds: number;
  };
  /** Alert rules evaluated by the node, and where alerts go besides the log and the API. */
  alerts: {
    /** Rules are evaluated this often and after each block. */
    evalIntervalMs: number;
    /** Alert transitions kept for GET /v1/alerts. */
    historySize: number;
    /** Rules in their JSON form (docs/spec/monitoring.md); the node home's alert-rules.json, once PUT /v1/alerts/rules wrote it, takes their place. */
    rules: Array<Record<string, unknown>>;
    /** POST of each transition as JSON ("" url = no webhook). */
    webhook: { url: string; timeoutMs: number; maxRetries: number; backoffMs: number; maxBackoffMs: number; queueSize: number };
  };
}

export const NODE_CONFIG_DEFAULTS: NodeConfig = {
  moniker: "node-0",
  dataDir: "data",
  genesisFile: "genesis.json",
  keyFile: "validator.key.json",
  api: { host: "127.0.0.1", port: 8080, bodyLimitBytes: 16 * 1024 * 1024, maxBatchTxs: 5_000, rateLimitMax: 0, rateLimitWindowMs: 1_000, maxWaitMs: 60_000, authMaxValidityMs: 300_000, authClockSkewMs: 30_000, authReplayCacheSize: 100_000, indexerUrl: "" },
  mempool: { maxPendingPerAccount: 1_000, maxPendingTotal: 200_000 },
  role: "validator",
  p2p: { host: "127.0.0.1", port: 26656, peers: [], tlsDir: "tls", maxFrameBytes: 0, banMs: 60_000 },
  consensus: {
    timeoutProposeMs: 3_000,
    timeoutProposeDeltaMs: 500,
    timeoutPrevoteMs: 1_000,
    timeoutPrevoteDeltaMs: 500,
    timeoutPrecommitMs: 1_000,
    timeoutPrecommitDeltaMs: 500,
    gossipMs: 500,
    statusMs: 500,
    walFile: "consensus.wal",
  },
  verifyWorkers: 0,
  resources: { cpus: 0, memoryMiB: 0, storageMiB: 0 },
  logLevel: "info",
  logDir: "logs",
  logMaxFileBytes: 10 * 1024 * 1024,
  logMaxFiles: 5,
  logHostSampleMs: 60_000,
  metrics: { tpsWindowSeconds: 10 },
  alerts: {
    evalIntervalMs: 5_000,
    historySize: 500,
    rules: DEFAULT_RULES.map(ruleToJson),
    webhook: { url: "", timeoutMs: 5_000, maxRetries: 5, backoffMs: 500, maxBackoffMs: 30_000, queueSize: 1_000 },
  },
};

function bad(field: string, why: string): never {
  throw new CivitasError(ErrorCode.CONFIG_INVALID, `config.${field}: ${why}`, { field });
}

function int(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) bad(field, `expected an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  return v;
}

function str(v: unknown, field: string): string {
  if (typeof v !== "string" || v.length === 0 || v.length > 4096) bad(field, "expected a non-empty string");
  return v;
}

function obj(v: unknown, field: string): Record<string, unknown> {
  if (v === undefined) return {};
  if (v === null || typeof v !== "object" || Array.isArray(v)) bad(field, "expected an object");
  return v as Record<string, unknown>;
}

function only(o: Record<string, unknown>, prefix: string, keys: string[]): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) bad(prefix + k, "unknown field");
}

const LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

export function parseNodeConfig(input: unknown): NodeConfig {
  const o = obj(input, "");
  const d = NODE_CONFIG_DEFAULTS;
  only(o, "", ["moniker", "dataDir", "genesisFile", "keyFile", "api", "mempool", "role", "p2p", "consensus", "verifyWorkers", "resources", "logLevel", "logDir", "logMaxFileBytes", "logMaxFiles", "logHostSampleMs", "metrics", "alerts"]);
  const p2p = obj(o.p2p, "p2p");
  only(p2p, "p2p.", Object.keys(d.p2p));
  const cons = obj(o.consensus, "consensus");
  only(cons, "consensus.", Object.keys(d.consensus));
  const role = o.role ?? d.role;
  if (role !== "validator" && role !== "full") bad("role", "expected validator or full");
  const peers = p2p.peers ?? d.p2p.peers;
  if (!Array.isArray(peers) || peers.length > 1000) bad("p2p.peers", "expected an array of host:port strings");
  (peers as unknown[]).forEach((p, i) => {
    if (typeof p !== "string" || !/^[A-Za-z0-9.\-:[\]]+:[0-9]{1,5}$/.test(p)) bad(`p2p.peers[${i}]`, `expected host:port, got ${JSON.stringify(p)}`);
  });
  const ms = (k: keyof NodeConfig["consensus"], min: number): number => int(cons[k] ?? d.consensus[k], `consensus.${k}`, min, 600_000);
  const api = obj(o.api, "api");
  only(api, "api.", Object.keys(d.api));
  const mp = obj(o.mempool, "mempool");
  only(mp, "mempool.", Object.keys(d.mempool));
  const res = obj(o.resources, "resources");
  only(res, "resources.", Object.keys(d.resources));
  const logLevel = o.logLevel ?? d.logLevel;
  if (!LEVELS.includes(logLevel as never)) bad("logLevel", `expected one of ${LEVELS.join(", ")}`);
  return {
    moniker: str(o.moniker ?? d.moniker, "moniker"),
    dataDir: str(o.dataDir ?? d.dataDir, "dataDir"),
    genesisFile: str(o.genesisFile ?? d.genesisFile, "genesisFile"),
    keyFile: str(o.keyFile ?? d.keyFile, "keyFile"),
    api: {
      host: str(api.host ?? d.api.host, "api.host"),
      port: int(api.port ?? d.api.port, "api.port", 0, 65535),
      bodyLimitBytes: int(api.bodyLimitBytes ?? d.api.bodyLimitBytes, "api.bodyLimitBytes", 1024, 1024 ** 3),
      maxBatchTxs: int(api.maxBatchTxs ?? d.api.maxBatchTxs, "api.maxBatchTxs", 1, 100_000),
      rateLimitMax: int(api.rateLimitMax ?? d.api.rateLimitMax, "api.rateLimitMax", 0, 1_000_000_000),
      rateLimitWindowMs: int(api.rateLimitWindowMs ?? d.api.rateLimitWindowMs, "api.rateLimitWindowMs", 1, 86_400_000),
      maxWaitMs: int(api.maxWaitMs ?? d.api.maxWaitMs, "api.maxWaitMs", 0, 3_600_000),
      authMaxValidityMs: int(api.authMaxValidityMs ?? d.api.authMaxValidityMs, "api.authMaxValidityMs", 1_000, 86_400_000),
      authClockSkewMs: int(api.authClockSkewMs ?? d.api.authClockSkewMs, "api.authClockSkewMs", 0, 3_600_000),
      authReplayCacheSize: int(api.authReplayCacheSize ?? d.api.authReplayCacheSize, "api.authReplayCacheSize", 100, 100_000_000),
      indexerUrl: indexerUrl(api.indexerUrl ?? d.api.indexerUrl),
    },
    mempool: {
      maxPendingPerAccount: int(mp.maxPendingPerAccount ?? d.mempool.maxPendingPerAccount, "mempool.maxPendingPerAccount", 1, 1_000_000),
      maxPendingTotal: int(mp.maxPendingTotal ?? d.mempool.maxPendingTotal, "mempool.maxPendingTotal", 1, 10_000_000),
    },
    role: role as NodeConfig["role"],
    p2p: {
      host: str(p2p.host ?? d.p2p.host, "p2p.host"),
      port: int(p2p.port ?? d.p2p.port, "p2p.port", 0, 65535),
      peers: peers as string[],
      tlsDir: str(p2p.tlsDir ?? d.p2p.tlsDir, "p2p.tlsDir"),
      maxFrameBytes: int(p2p.maxFrameBytes ?? d.p2p.maxFrameBytes, "p2p.maxFrameBytes", 0, 1024 ** 3),
      banMs: int(p2p.banMs ?? d.p2p.banMs, "p2p.banMs", 0, 86_400_000),
    },
    consensus: {
      timeoutProposeMs: ms("timeoutProposeMs", 10),
      timeoutProposeDeltaMs: ms("timeoutProposeDeltaMs", 0),
      timeoutPrevoteMs: ms("timeoutPrevoteMs", 10),
      timeoutPrevoteDeltaMs: ms("timeoutPrevoteDeltaMs", 0),
      timeoutPrecommitMs: ms("timeoutPrecommitMs", 10),
      timeoutPrecommitDeltaMs: ms("timeoutPrecommitDeltaMs", 0),
      gossipMs: ms("gossipMs", 10),
      statusMs: ms("statusMs", 10),
      walFile: str(cons.walFile ?? d.consensus.walFile, "consensus.walFile"),
    },
    verifyWorkers: int(o.verifyWorkers ?? d.verifyWorkers, "verifyWorkers", 0, 64),
    resources: {
      cpus: int(res.cpus ?? d.resources.cpus, "resources.cpus", 0, 1024),
      memoryMiB: int(res.memoryMiB ?? d.resources.memoryMiB, "resources.memoryMiB", 0, 16 * 1024 * 1024),
      storageMiB: int(res.storageMiB ?? d.resources.storageMiB, "resources.storageMiB", 0, 1024 * 1024 * 1024),
    },
    logLevel: logLevel as NodeConfig["logLevel"],
    logDir: typeof o.logDir === "string" && o.logDir === "" ? "" : str(o.logDir ?? d.logDir, "logDir"),
    logMaxFileBytes: int(o.logMaxFileBytes ?? d.logMaxFileBytes, "logMaxFileBytes", 1024, 1024 ** 3),
    logMaxFiles: int(o.logMaxFiles ?? d.logMaxFiles, "logMaxFiles", 0, 1000),
    logHostSampleMs: int(o.logHostSampleMs ?? d.logHostSampleMs, "logHostSampleMs", 0, 86_400_000),
    ...monitoringConfig(o),
  };
}

/** An http(s) base URL with no query, fragment or credentials (the node appends /v1/indexer/...), or "". */
function indexerUrl(v: unknown): string {
  const why = "expected an http:// or https:// URL without query, fragment or credentials (e.g. http://127.0.0.1:8090), or \"\" for none";
  if (v === "") return "";
  if (typeof v !== "string" || v.length > 2048 || !/^https?:\/\/[^\s?#@]+$/.test(v)) bad("api.indexerUrl", why);
  try {
    new URL(v);
  } catch {
    bad("api.indexerUrl", why);
  }
  return v.replace(/\/+$/, "");
}

function monitoringConfig(o: Record<string, unknown>): Pick<NodeConfig, "metrics" | "alerts"> {
  const d = NODE_CONFIG_DEFAULTS;
  const m = obj(o.metrics, "metrics");
  only(m, "metrics.", Object.keys(d.metrics));
  const a = obj(o.alerts, "alerts");
  only(a, "alerts.", Object.keys(d.alerts));
  const w = obj(a.webhook, "alerts.webhook");
  only(w, "alerts.webhook.", Object.keys(d.alerts.webhook));
  const url = w.url ?? d.alerts.webhook.url;
  if (typeof url !== "string" || (url !== "" && !/^https?:\/\/[^\s]+$/.test(url))) bad("alerts.webhook.url", "expected an http:// or https:// URL, or \"\" for none");
  let rules = d.alerts.rules;
  if (a.rules !== undefined) {
    try {
      rules = parseRules(a.rules, "alerts.rules").map(ruleToJson);
    } catch (e) {
      if (isCivitasError(e)) throw new CivitasError(ErrorCode.CONFIG_INVALID, `config.${e.message}`, e.details);
      throw e;
    }
  }
  const wi = (k: Exclude<keyof NodeConfig["alerts"]["webhook"], "url">, min: number, max: number): number => int(w[k] ?? d.alerts.webhook[k], `alerts.webhook.${k}`, min, max);
  return {
    metrics: { tpsWindowSeconds: int(m.tpsWindowSeconds ?? d.metrics.tpsWindowSeconds, "metrics.tpsWindowSeconds", 1, 3600) },
    alerts: {
      evalIntervalMs: int(a.evalIntervalMs ?? d.alerts.evalIntervalMs, "alerts.evalIntervalMs", 100, 3_600_000),
      historySize: int(a.historySize ?? d.alerts.historySize, "alerts.historySize", 1, 100_000),
      rules,
      webhook: { url, timeoutMs: wi("timeoutMs", 100, 600_000), maxRetries: wi("maxRetries", 0, 100), backoffMs: wi("backoffMs", 10, 600_000), maxBackoffMs: wi("maxBackoffMs", 10, 3_600_000), queueSize: wi("queueSize", 1, 1_000_000) },
    },
  };
}
