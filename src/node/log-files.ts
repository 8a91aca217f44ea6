/**
 * Reading a node's log files from its home, for `civitas console`: the management server owns
 * the homes of the networks it runs, so it can show a node's logs even when that node is
 * stopped or crashed (the case an operator most needs them), without asking the node's API.
 * Sources are the node's rotated pino files (node, host, system: `<source>.<n>.log`, the highest
 * n being the current file) plus `process`, the stdout/stderr the node process wrote to
 * node.log in its home (where a crash's stack trace ends up). Only the tail of the newest files
 * is read, so a huge log costs a bounded read.
 */
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync } from "node:fs";
import { join } from "node:path";
import { LOG_LEVELS, LOG_SOURCES, LogRing } from "./logging.js";
import type { LogEntry, LogQuery, LogSource } from "./logging.js";

export const FILE_LOG_SOURCES = [...LOG_SOURCES, "process"] as const;
export type FileLogSource = (typeof FILE_LOG_SOURCES)[number];

export interface FileLogQuery extends Omit<LogQuery, "source"> {
  source?: FileLogSource;
}

/** Bytes read from the end of each file; a partial first line is dropped. */
const TAIL_BYTES = 512 * 1024;
/** Rotated files read per source (current + previous), so a fresh rotation still shows history. */
const FILES_PER_SOURCE = 2;

function tail(file: string, bytes = TAIL_BYTES): string[] {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (e) {
    // Rotation may delete a file between the listing and this read.
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - bytes);
    const buf = Buffer.alloc(size - start);
    readSync(fd, buf, 0, buf.length, start);
    const lines = buf.toString("utf8").split("\n");
    if (start > 0) lines.shift();
    return lines.filter((l) => l.trim() !== "");
  } finally {
    closeSync(fd);
  }
}

/**
 * The level of a process-output line that is not a pino line: what Node prints when the process
 * dies (an uncaught error, its stack frames) counts as error, so filtering for errors shows the
 * crash; anything else the process printed is info.
 */
function plainLevel(line: string): number {
  return /^\s+at |\b(Error|Exception|FATAL|Unhandled|uncaught|Aborted|ERR_[A-Z_]+)\b/.test(line) ? LOG_LEVELS.error : LOG_LEVELS.info;
}

/** The newest rotated files of one source in `logDir`, oldest first. */
function rotated(logDir: string, source: LogSource): string[] {
  if (!existsSync(logDir)) return [];
  const re = new RegExp(`^${source}\\.(\\d+)\\.log$`);
  return readdirSync(logDir)
    .map((f) => ({ f, n: Number(re.exec(f)?.[1] ?? NaN) }))
    .filter((x) => Number.isInteger(x.n))
    .sort((a, b) => a.n - b.n)
    .slice(-FILES_PER_SOURCE)
    .map((x) => join(logDir, x.f));
}

/**
 * Newest first, filtered like GET /v1/logs (minimum level, keyword, source, limit). Lines of
 * different sources are merged by their `time` field; process output without one keeps its
 * file order after the timed lines before it.
 */
export function readLogFiles(o: { logDir?: string; processLog?: string }, q: FileLogQuery = {}): LogEntry[] {
  const lines: Array<{ source: LogSource; time: number; seq: number; line: string; level?: number }> = [];
  let seq = 0;
  const add = (source: string, file: string, skipPino = false): void => {
    let last = 0;
    for (const line of tail(file)) {
      // A line without a time (a stack trace, say) is placed after the timed line before it.
      const t = /"time":(\d+)/.exec(line);
      if (t) last = Number(t[1]);
      // The node echoes its node and system lines to stdout; the files already hold them.
      if (skipPino && line.startsWith('{"level":')) continue;
      lines.push({ source: source as LogSource, time: last, seq: seq++, line, ...(t ? {} : { level: plainLevel(line) }) });
    }
  };
  for (const source of LOG_SOURCES) if ((!q.source || q.source === source) && o.logDir) for (const f of rotated(o.logDir, source)) add(source, f);
  const fromFiles = lines.length > 0 || (o.logDir !== undefined && LOG_SOURCES.some((s) => rotated(o.logDir as string, s).length > 0));
  if ((!q.source || q.source === "process") && o.processLog && existsSync(o.processLog)) add("process", o.processLog, fromFiles);
  lines.sort((a, b) => a.time - b.time || a.seq - b.seq);
  const ring = new LogRing(Math.max(1, lines.length));
  for (const l of lines) ring.push(l.source, l.line, l.level);
  return ring.query({ ...q, source: undefined });
}

export function isLogLevel(v: string): boolean {
  return v in LOG_LEVELS;
}
