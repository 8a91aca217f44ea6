/**
 * Node processes of a local network: each node is its own `civitas start` process (so killing
 * one is a real crash), logging to its home's node.log; their pids go to pids.json so
 * `civitas down` and `civitas status` work from another terminal.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { NetworkInfo } from "./network.js";
import { PIDS_FILE } from "./network.js";

export interface RunningNode {
  name: string;
  pid: number;
  api: string;
}

/** The `civitas` entry script: this file is compiled to dist/src/node/, the CLI to dist/src/cli/main.js. */
export function cliEntry(): string {
  return fileURLToPath(new URL("../cli/main.js", import.meta.url));
}

export function spawnNode(dir: string, home: string, passphraseFile: string, detached: boolean): ChildProcess {
  const log = openSync(join(dir, home, "node.log"), "a");
  return spawn(process.execPath, [cliEntry(), "start", "--home", join(dir, home), "--passphrase-file", passphraseFile], {
    // Attached nodes get a stdin pipe: when `civitas up` dies, even by SIGKILL, the pipe closes
    // and each node stops itself instead of living on as an orphan holding the ports.
    stdio: [detached ? "ignore" : "pipe", log, log],
    detached,
    env: { ...process.env, CIVITAS_PASSPHRASE: undefined, CIVITAS_EXIT_WITH_PARENT: detached ? undefined : "1" },
  });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function readPids(dir: string): RunningNode[] {
  const p = join(dir, PIDS_FILE);
  if (!existsSync(p)) return [];
  try {
    return (JSON.parse(readFileSync(p, "utf8")) as { nodes: RunningNode[] }).nodes;
  } catch {
    return [];
  }
}

export function writePids(dir: string, nodes: RunningNode[]): void {
  writeFileSync(join(dir, PIDS_FILE), JSON.stringify({ nodes }, null, 2) + "\n");
}

export function clearPids(dir: string): void {
  rmSync(join(dir, PIDS_FILE), { force: true });
}

/** SIGTERM every node, SIGKILL what is still alive after `graceMs`. */
export async function stopAll(pids: number[], graceMs = 15_000): Promise<{ stopped: number; killed: number }> {
  let killed = 0;
  for (const pid of pids) if (isAlive(pid)) process.kill(pid, "SIGTERM");
  const end = Date.now() + graceMs;
  while (pids.some(isAlive) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  for (const pid of pids) {
    if (isAlive(pid)) {
      process.kill(pid, "SIGKILL");
      killed++;
    }
  }
  return { stopped: pids.length - killed, killed };
}

export async function waitHealthy(info: NetworkInfo, timeoutMs: number, onReady?: (name: string) => void): Promise<string[]> {
  const pending = new Set(info.nodes.map((n) => n.name));
  const end = Date.now() + timeoutMs;
  while (pending.size && Date.now() < end) {
    for (const n of info.nodes) {
      if (!pending.has(n.name)) continue;
      try {
        const r = await fetch(`${n.api}/v1/health`, { signal: AbortSignal.timeout(1_000) });
        if (r.ok) {
          pending.delete(n.name);
          onReady?.(n.name);
        }
      } catch {
        // not up yet
      }
    }
    if (pending.size) await new Promise((r) => setTimeout(r, 200));
  }
  return [...pending];
}
