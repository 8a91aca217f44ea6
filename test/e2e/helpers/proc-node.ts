/**
 * Test helpers for running the real `civitas` CLI as child processes: one-shot runs with
 * captured output, long-running processes (start, up) with output matching, free ports, and a
 * registry so every spawned process can be killed in an after hook (and, as a last resort, when
 * the test process exits).
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

/** Compiled CLI entry point (this file is compiled to dist/test/e2e/helpers/). */
export const CLI_PATH = fileURLToPath(new URL("../../../src/cli/main.js", import.meta.url));

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Extra environment; `undefined` values remove a variable. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  timeoutMs?: number;
}

/** The test's environment without any CIVITAS_* variable, plus `extra`. */
export function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("CIVITAS_") && v !== undefined) env[k] = v;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

const live = new Set<ChildProcess>();

process.on("exit", () => {
  for (const c of live) {
    try {
      c.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
});

/** A spawned CLI process with its output collected as it arrives. */
export class Proc {
  stdout = "";
  stderr = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly watchers = new Set<() => void>();

  constructor(readonly child: ChildProcess) {
    live.add(child);
    child.stdout?.setEncoding("utf8");
    child.stderr?.setEncoding("utf8");
    child.stdout?.on("data", (d: string) => {
      this.stdout += d;
      this.notify();
    });
    child.stderr?.on("data", (d: string) => {
      this.stderr += d;
      this.notify();
    });
    this.exited = new Promise((resolve) => {
      child.on("close", (code, signal) => {
        live.delete(child);
        this.exitInfo = { code, signal };
        this.notify();
        resolve({ code, signal });
      });
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  private notify(): void {
    for (const w of [...this.watchers]) w();
  }

  /** Resolves with the first match of `re` in the chosen stream; rejects on exit or timeout. */
  waitFor(re: RegExp, stream: "stdout" | "stderr", timeoutMs = 20_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const m = this[stream].match(re);
        if (m) {
          done();
          resolve(m);
        } else if (this.exitInfo) {
          done();
          reject(new Error(`process exited (${JSON.stringify(this.exitInfo)}) before ${stream} matched ${re}\nstdout: ${this.stdout.slice(-2000)}\nstderr: ${this.stderr.slice(-2000)}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${stream} to match ${re}\nstdout: ${this.stdout.slice(-2000)}\nstderr: ${this.stderr.slice(-2000)}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.watchers.delete(check);
      };
      this.watchers.add(check);
      check();
    });
  }

  /** Sends `signal` and waits for the process to exit. */
  async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.exitInfo) return this.exitInfo;
    this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`process ${this.pid} did not exit within ${timeoutMs} ms of ${signal}\nstdout: ${this.stdout.slice(-2000)}\nstderr: ${this.stderr.slice(-2000)}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL, then wait for the exit (no-op if already gone). */
  async kill(): Promise<void> {
    if (!this.exitInfo) {
      this.child.kill("SIGKILL");
      await this.exited;
    }
  }
}

export function spawnCli(args: string[], o: CliOptions = {}): Proc {
  const child = spawn(process.execPath, [CLI_PATH, ...args], { cwd: o.cwd, env: cliEnv(o.env), stdio: ["ignore", "pipe", "pipe"] });
  return new Proc(child);
}

/** Runs the CLI to completion and returns its exit status and output. */
export async function runCli(args: string[], o: CliOptions = {}): Promise<RunResult> {
  const p = spawnCli(args, o);
  const timeoutMs = o.timeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  const r = await Promise.race([p.exited, timeout]);
  clearTimeout(timer);
  if (r === "timeout") {
    await p.kill();
    throw new Error(`civitas ${args.join(" ")} did not finish within ${timeoutMs} ms\nstdout: ${p.stdout}\nstderr: ${p.stderr}`);
  }
  return { code: r.code, signal: r.signal, stdout: p.stdout, stderr: p.stderr };
}

/** Formats a result for assertion messages. */
export function describeRun(args: string[], r: RunResult): string {
  return `civitas ${args.join(" ")} -> code ${r.code} signal ${r.signal}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

/** SIGKILLs every CLI process still running from this test file. */
export async function killAll(): Promise<void> {
  const waits: Array<Promise<unknown>> = [];
  for (const c of [...live]) {
    waits.push(new Promise((resolve) => c.once("close", resolve)));
    c.kill("SIGKILL");
  }
  await Promise.all(waits);
}

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picked it for port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const a = srv.address();
      const port = typeof a === "object" && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Starts `civitas start --home <home>` and waits until it serves its API. */
export async function startNode(home: string, env: Record<string, string | undefined>, timeoutMs = 30_000): Promise<{ proc: Proc; url: string }> {
  const proc = spawnCli(["start", "--home", home], { env });
  try {
    const m = await proc.waitFor(/serving (http:\/\/\S+)/, "stderr", timeoutMs);
    return { proc, url: m[1] };
  } catch (e) {
    await proc.kill();
    throw e;
  }
}

/** Runs `f` over `items` with at most `n` in flight; results in input order. */
export async function mapLimit<T, R>(items: T[], n: number, f: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await f(items[i], i);
      }
    }),
  );
  return out;
}

/** GETs a JSON document; returns the status and parsed body. */
export async function getJson<T = Record<string, unknown>>(url: string, timeoutMs = 15_000): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
}

/** POSTs JSON; returns the status and parsed body. */
export async function postJson<T = Record<string, unknown>>(url: string, body: unknown, timeoutMs = 15_000): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
}
