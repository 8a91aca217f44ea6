/**
 * Running the networks recorded on this machine: start (each node a detached `civitas start`
 * process, its memory profile applied as the V8 heap limit), stop, list with status, delete and
 * export. Shared
 * by `civitas network start|stop|list` and the management API of `civitas console`, so both see
 * and change the same pids.json files.
 */
import { spawn } from "node:child_process";
import { existsSync, openSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { CivitasError, ErrorCode } from "../util/errors.js";
import { portIsFree } from "../util/ports.js";
import { heapMiB, portOf, readHomeConfig } from "./export/homes.js";
import type { ExportResult } from "./export/compose.js";
import type { NetworkInfo } from "./network.js";
import { NETWORK_FILE, readNetwork } from "./network.js";
import { getNetwork, listNetworks, PASSPHRASE_FILE, unregisterNetwork } from "./network-registry.js";
import { clearPids, cliEntry, isAlive, readPids, stopAll, waitHealthy, writePids } from "./processes.js";
import type { RunningNode } from "./processes.js";
import type { NetworkRow } from "./network-wire.js";

export type { NetworkRow } from "./network-wire.js";

export function loadNetwork(name: string): { dir: string; info: NetworkInfo } {
  const entry = getNetwork(name);
  const info = readNetwork(entry.dir);
  if (!info) throw new CivitasError(ErrorCode.CONFIG_INVALID, `network '${name}' is recorded at ${entry.dir} but that folder holds no network.json; 'civitas network delete ${name} --yes' forgets it`, { field: "name", name });
  return { dir: entry.dir, info };
}

/** Starts every node of a recorded network in the background; resolves once all answer /v1/health. */
export async function startNetwork(name: string, healthTimeoutMs = 60_000): Promise<RunningNode[]> {
  const { dir, info } = loadNetwork(name);
  const running = readPids(dir).filter((n) => isAlive(n.pid));
  if (running.length) throw new CivitasError(ErrorCode.CONFIG_INVALID, `network '${name}' is already running (${running.map((n) => `${n.name} pid ${n.pid}`).join(", ")}); stop it with 'civitas network stop ${name}'`, { name });
  const passFile = join(dir, PASSPHRASE_FILE);
  if (!existsSync(passFile)) throw new CivitasError(ErrorCode.CONFIG_INVALID, `${passFile} is missing: the network's validator keys cannot be unlocked`, { name });
  const configs = info.nodes.map((n) => readHomeConfig(dir, n));
  // Checked before any process starts, so a taken port is named instead of a node dying in its log.
  for (const [i, n] of info.nodes.entries()) {
    for (const [kind, port] of [["api", portOf(n.api)], ["p2p", portOf(n.p2p)]] as const) {
      if (!(await portIsFree(port, configs[i].api.host === "localhost" ? "127.0.0.1" : configs[i].api.host))) throw new CivitasError(ErrorCode.CONFIG_INVALID, `port ${port} (${n.name} ${kind}) is in use; stop what listens there before starting '${name}'`, { port, node: n.name });
    }
  }
  const pids = info.nodes.map((n, i) => {
    const log = openSync(join(dir, n.home, "node.log"), "a");
    const mem = configs[i].resources.memoryMiB;
    const child = spawn(process.execPath, [...(mem > 0 ? [`--max-old-space-size=${heapMiB(mem)}`] : []), cliEntry(), "start", "--home", join(dir, n.home), "--passphrase-file", passFile], {
      stdio: ["ignore", log, log],
      detached: true,
      env: { ...process.env, CIVITAS_PASSPHRASE: undefined, CIVITAS_EXIT_WITH_PARENT: undefined },
    });
    child.unref();
    return { name: n.name, pid: child.pid ?? 0, api: n.api };
  });
  writePids(dir, pids);
  const notReady = await waitHealthy(info, healthTimeoutMs);
  if (notReady.length) {
    await stopAll(pids.map((p) => p.pid).filter(Boolean));
    clearPids(dir);
    throw new CivitasError(ErrorCode.API_UNAVAILABLE, `nodes ${notReady.join(", ")} of '${name}' did not start; see ${notReady.map((n) => join(dir, n, "node.log")).join(", ")}`, { name, nodes: notReady });
  }
  return pids;
}

/** Stops the nodes of the network in `dir` (SIGTERM, SIGKILL after the grace period); data is kept. */
export async function stopNetworkDir(dir: string): Promise<{ stopped: string[]; killed: number }> {
  const alive = readPids(dir).filter((n) => isAlive(n.pid));
  const r = alive.length ? await stopAll(alive.map((n) => n.pid)) : { killed: 0 };
  clearPids(dir);
  return { stopped: alive.map((n) => n.name), killed: r.killed };
}

export async function stopNetwork(name: string): Promise<{ stopped: string[]; killed: number }> {
  return stopNetworkDir(loadNetwork(name).dir);
}

/** Every recorded network with its status; `height` from the first running node that answers. */
export async function listNetworkRows(): Promise<NetworkRow[]> {
  return Promise.all(
    listNetworks().map(async (e) => {
      let info: NetworkInfo | undefined;
      try {
        info = readNetwork(e.dir);
      } catch {
        info = undefined;
      }
      const nodes = info?.nodes ?? [];
      const alive = new Set(readPids(e.dir).filter((p) => isAlive(p.pid)).map((p) => p.name));
      const running = nodes.filter((n) => alive.has(n.name)).length;
      const row: NetworkRow = { name: e.name, chainId: e.chainId, dir: e.dir, nodes: nodes.length, validators: nodes.filter((n) => n.role === "validator").length, status: running === 0 ? "stopped" : running === nodes.length ? "running" : "partial", running, apis: nodes.map((n) => n.api) };
      for (const n of nodes.filter((m) => alive.has(m.name))) {
        try {
          const s = (await (await fetch(`${n.api}/v1/status`, { signal: AbortSignal.timeout(1_000) })).json()) as { head: { height: number } };
          row.height = s.head.height;
          break;
        } catch {
          // try the next running node
        }
      }
      return row;
    }),
  );
}

/**
 * Stops a network and removes its folder and record. `confirm` must repeat the name: deleting
 * loses the chain's data and keys, so no caller (CLI flag or console dialog) does it by accident.
 */
export async function deleteNetwork(name: string, confirm: string | undefined): Promise<{ dir: string; stopped: string[] }> {
  const entry = getNetwork(name);
  if (confirm !== name) throw new CivitasError(ErrorCode.CONFIG_INVALID, `deleting '${name}' removes ${entry.dir} (all node data, validator keys and the network CA); confirm by giving its name`, { field: "confirm", name });
  const r = existsSync(entry.dir) ? await stopNetworkDir(entry.dir) : { stopped: [] };
  // Only a folder that is a network is removed: the record may point at a reused path.
  if (existsSync(join(entry.dir, NETWORK_FILE))) rmSync(entry.dir, { recursive: true, force: true });
  unregisterNetwork(name);
  return { dir: entry.dir, stopped: r.stopped };
}

export type ExportTarget = "compose" | "systemd";

/** Writes the deployment files of a network into `out` (which must be new or empty). */
export async function exportNetwork(name: string, target: string, out: string): Promise<ExportResult> {
  // The name first: it is checked against the registry before it names anything on disk.
  const { dir, info } = loadNetwork(name);
  if (target !== "compose" && target !== "systemd") throw new CivitasError(ErrorCode.CONFIG_INVALID, `target must be compose or systemd, got '${target}'`, { field: "target" });
  if (existsSync(out) && readdirSync(out).length > 0) throw new CivitasError(ErrorCode.CONFIG_INVALID, `${out} is not empty; choose a new folder`, { field: "out" });
  return target === "compose" ? (await import("./export/compose.js")).exportCompose(dir, name, info, out) : (await import("./export/systemd.js")).exportSystemd(dir, name, info, out);
}
