/**
 * The node's logs (pino, JSON lines), kept apart by source as HSTP-DLT-CG 8.4 and issue 6 ask:
 *  - node:   the ledger itself (consensus, chain, p2p, API);
 *  - host:   periodic samples of the machine (load, memory, disk of the data directory);
 *  - system: the node as an operated service (start configuration, alerts, rule changes, stop).
 * Each source has its own file in the log directory, rotated by size with pino-roll
 * (`node.1.log`, `node.2.log`, ...; the oldest beyond the count are deleted), and every line
 * also enters an in-memory ring that GET /v1/logs filters. Node and system lines also go to
 * stdout, where `civitas up` and supervisors collect them.
 */
import { createRequire } from "node:module";
import { freemem, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import type { DestinationStream, Logger } from "pino";

export const LOG_SOURCES = ["node", "host", "system"] as const;
export type LogSource = (typeof LOG_SOURCES)[number];
export const LOG_LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };
const LEVEL_NAMES = new Map(Object.entries(LOG_LEVELS).map(([k, v]) => [v, k]));

interface RollStream {
  write(s: string): boolean;
  flushSync?(): void;
  end(): void;
  once(ev: "close" | "error", fn: () => void): void;
}

const require = createRequire(import.meta.url);
const pinoRoll = require("pino-roll") as (o: { file: string; size?: string; limit?: { count: number }; mkdir?: boolean; extension?: string }) => Promise<RollStream>;

export interface LogQuery {
  /** Minimum level (warn = warn, error and fatal). */
  level?: string;
  /** Case-insensitive substring of the whole JSON line. */
  keyword?: string;
  source?: LogSource;
  /** Newest entries first; default 100. */
  limit?: number;
}

export interface LogEntry {
  source: LogSource;
  level: string;
  time: number;
  msg: string;
  [field: string]: unknown;
}

/** The last `size` log lines of all sources, for the API. */
export class LogRing {
  private readonly lines: Array<{ source: LogSource; level: number; line: string }> = [];
  private start = 0;

  constructor(readonly size: number) {}

  /** `level` for a line that carries none (default info). */
  push(source: LogSource, line: string, level?: number): void {
    const m = /"level":(\d+)/.exec(line);
    const e = { source, level: m ? Number(m[1]) : (level ?? 30), line };
    if (this.lines.length < this.size) this.lines.push(e);
    else {
      this.lines[this.start] = e;
      this.start = (this.start + 1) % this.size;
    }
  }

  query(q: LogQuery = {}): LogEntry[] {
    const min = q.level ? (LOG_LEVELS[q.level] ?? 0) : 0;
    const kw = q.keyword?.toLowerCase();
    const limit = q.limit ?? 100;
    const out: LogEntry[] = [];
    for (let i = this.lines.length - 1; i >= 0 && out.length < limit; i--) {
      const e = this.lines[(this.start + i) % this.lines.length];
      if (e.level < min || (q.source && e.source !== q.source) || (kw && !e.line.toLowerCase().includes(kw))) continue;
      let parsed: Record<string, unknown>;
      try {
        const v = JSON.parse(e.line) as unknown;
        // A line that is JSON but not an object (`null`, `42`) is text like any other.
        parsed = typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : { msg: e.line.trim() };
      } catch {
        parsed = { msg: e.line.trim() };
      }
      out.push({ ...parsed, source: e.source, level: LEVEL_NAMES.get(e.level) ?? String(e.level), time: Number(parsed.time ?? 0), msg: String(parsed.msg ?? "") });
    }
    return out;
  }
}

export interface LoggingOptions {
  level: string;
  moniker: string;
  /** Absolute log directory; undefined = no files (ring and stdout only). */
  dir?: string;
  /** Rotate a file once it reaches this size (rounded up to whole KiB). */
  maxFileBytes: number;
  /** Rotated files kept per source besides the current one. */
  maxFiles: number;
  ringSize: number;
  /** Node and system lines also to stdout. */
  stdout: boolean;
}

export interface NodeLogging {
  node: Logger;
  host: Logger;
  system: Logger;
  ring: LogRing;
  /** Log files in use, by source. */
  files: Partial<Record<LogSource, string>>;
  close(): Promise<void>;
}

export async function createLogging(o: LoggingOptions): Promise<NodeLogging> {
  const ring = new LogRing(o.ringSize);
  const files: Partial<Record<LogSource, string>> = {};
  const rolls: RollStream[] = [];
  const loggers = {} as Record<LogSource, Logger>;
  for (const source of LOG_SOURCES) {
    let roll: RollStream | undefined;
    if (o.dir) {
      roll = await pinoRoll({ file: join(o.dir, source), extension: ".log", size: `${Math.max(1, Math.ceil(o.maxFileBytes / 1024))}k`, limit: { count: o.maxFiles }, mkdir: true });
      rolls.push(roll);
      files[source] = join(o.dir, `${source}.N.log`);
    }
    const echo = o.stdout && source !== "host";
    const dest: DestinationStream = {
      write(line: string): void {
        ring.push(source, line);
        roll?.write(line);
        if (echo) process.stdout.write(line);
      },
    };
    loggers[source] = pino({ level: o.level, base: { node: o.moniker, source } }, dest);
  }
  return {
    ...loggers,
    ring,
    files,
    async close(): Promise<void> {
      await Promise.all(
        rolls.map(
          (r) =>
            new Promise<void>((resolve) => {
              r.once("close", resolve);
              r.once("error", resolve);
              r.end();
            }),
        ),
      );
    },
  };
}

/** Writes a host sample to the host log every `everyMs`; returns the stop function. */
export function startHostSampler(host: Logger, everyMs: number, disk: () => Record<string, unknown> | undefined): () => void {
  if (everyMs <= 0) return () => undefined;
  let lastCpu = process.cpuUsage();
  let lastAt = performance.now();
  const sample = (): void => {
    const cpu = process.cpuUsage();
    const now = performance.now();
    const cpuPercent = (100 * (cpu.user - lastCpu.user + cpu.system - lastCpu.system)) / 1000 / Math.max(1, now - lastAt);
    lastCpu = cpu;
    lastAt = now;
    const mem = process.memoryUsage();
    host.info({ loadavg: loadavg(), memFreeBytes: freemem(), memTotalBytes: totalmem(), rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, processCpuPercent: Math.round(cpuPercent * 10) / 10, disk: disk() }, "host sample");
  };
  const t = setInterval(sample, everyMs);
  t.unref();
  sample();
  return () => clearInterval(t);
}
