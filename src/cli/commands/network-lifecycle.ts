/**
 * Networks by name: `civitas network create <spec> [--start]`, `list`, `start`, `stop`,
 * `delete --yes` and `export --target compose|systemd`. Each node runs as its own detached
 * `civitas start` process (its memory profile applied as the V8 heap limit); pids go to the
 * network folder's pids.json as with `civitas up`, so `civitas down --dir` works too.
 */
import { spawn } from "node:child_process";
import { existsSync, openSync, readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import type { NetworkInfo } from "../../node/network.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import { portIsFree } from "../../util/ports.js";
import type { GlobalOptions } from "../context.js";
import { globals } from "../context.js";
import { fail, print } from "../output.js";
import { clearPids, cliEntry, isAlive, readPids, stopAll, waitHealthy, writePids } from "../processes.js";

interface NetworkRow {
  name: string;
  chainId: string;
  dir: string;
  nodes: number;
  validators: number;
  status: "running" | "partial" | "stopped";
  running: number;
  apis: string[];
  height?: number;
}

async function loadNetwork(name: string): Promise<{ dir: string; info: NetworkInfo }> {
  const { getNetwork } = await import("../../node/network-registry.js");
  const { readNetwork } = await import("../../node/network.js");
  const entry = getNetwork(name);
  const info = readNetwork(entry.dir);
  if (!info) throw new CivitasError(ErrorCode.CONFIG_INVALID, `network '${name}' is recorded at ${entry.dir} but that folder holds no network.json; 'civitas network delete ${name} --yes' forgets it`, { field: "name", name });
  return { dir: entry.dir, info };
}

export async function createFromSpecCommand(g: GlobalOptions, specFile: string, dir: string | undefined, start: boolean): Promise<void> {
  const { readSpecFile, createNetworkFromSpec } = await import("../../node/network-spec/create.js");
  const spec = readSpecFile(specFile);
  const created = await createNetworkFromSpec(spec, { dir });
  const f = created.plan.faultTolerance;
  const summary = {
    name: created.name,
    chainId: created.info.chainId,
    dir: created.dir,
    consensus: spec.consensus.algorithm,
    faultTolerance: f,
    nodes: created.plan.nodes.map((n) => ({ name: n.name, role: n.role, api: `http://${n.host}:${n.apiPort}`, p2p: `${n.host}:${n.p2pPort}`, resources: n.resources })),
    keysDir: join(created.dir, "keys"),
    passphraseFile: join(created.dir, "passphrase"),
  };
  if (!start) {
    print(g, { ...summary, status: "stopped" }, () => [`created network '${created.name}' (chain ${summary.chainId}, ${spec.consensus.algorithm}, tolerates ${f} faulty validator(s)) in ${created.dir}`, ...summary.nodes.map((n) => `  ${n.name.padEnd(7)} ${n.role.padEnd(9)} API ${n.api}   p2p ${n.p2p}`), `start it with: civitas network start ${created.name}`].join("\n"));
    return;
  }
  const started = await startNetwork(created.name);
  print(g, { ...summary, status: "running", pids: started }, () => [`created and started network '${created.name}' (chain ${summary.chainId}, tolerates ${f} faulty validator(s)) in ${created.dir}`, ...summary.nodes.map((n) => `  ${n.name.padEnd(7)} ${n.role.padEnd(9)} API ${n.api}   pid ${started.find((p) => p.name === n.name)?.pid}`), `stop it with: civitas network stop ${created.name}`].join("\n"));
}

/** Starts every node of a recorded network in the background; resolves once all answer /v1/health. */
export async function startNetwork(name: string): Promise<Array<{ name: string; pid: number; api: string }>> {
  const { dir, info } = await loadNetwork(name);
  const { PASSPHRASE_FILE } = await import("../../node/network-registry.js");
  const { readHomeConfig, heapMiB, portOf } = await import("../../node/export/homes.js");
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
  const notReady = await waitHealthy(info, 60_000);
  if (notReady.length) {
    await stopAll(pids.map((p) => p.pid).filter(Boolean));
    clearPids(dir);
    throw new CivitasError(ErrorCode.API_UNAVAILABLE, `nodes ${notReady.join(", ")} of '${name}' did not start; see ${notReady.map((n) => join(dir, n, "node.log")).join(", ")}`, { name, nodes: notReady });
  }
  return pids;
}

async function stopNetwork(dir: string): Promise<{ stopped: string[]; killed: number }> {
  const alive = readPids(dir).filter((n) => isAlive(n.pid));
  const r = alive.length ? await stopAll(alive.map((n) => n.pid)) : { killed: 0 };
  clearPids(dir);
  return { stopped: alive.map((n) => n.name), killed: r.killed };
}

async function listRows(): Promise<NetworkRow[]> {
  const { listNetworks } = await import("../../node/network-registry.js");
  const { readNetwork } = await import("../../node/network.js");
  return Promise.all(
    listNetworks().map(async (e) => {
      let info: ReturnType<typeof readNetwork>;
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

export function lifecycleCommands(net: Command): void {
  net
    .command("list")
    .description("networks created on this machine: chain, nodes, running/stopped, height, API URLs")
    .action(async (_o: unknown, cmd: Command) => {
      try {
        const g = globals(cmd);
        const rows = await listRows();
        print(g, { networks: rows }, () =>
          rows.length === 0
            ? "no networks yet; create one with 'civitas network create <spec.yaml> --start' (see examples/networks/)"
            : [`${"name".padEnd(20)}${"chain".padEnd(20)}${"nodes".padEnd(7)}${"status".padEnd(10)}${"height".padStart(7)}  api`, ...rows.map((r) => `${r.name.padEnd(20)}${r.chainId.padEnd(20)}${String(r.nodes).padEnd(7)}${(r.status === "partial" ? `${r.running}/${r.nodes} up` : r.status).padEnd(10)}${String(r.height ?? "-").padStart(7)}  ${r.apis.join(" ")}`)].join("\n"),
        );
      } catch (e) {
        fail(e);
      }
    });

  net
    .command("start <name>")
    .description("start every node of a network in the background")
    .action(async (name: string, _o: unknown, cmd: Command) => {
      try {
        const g = globals(cmd);
        const pids = await startNetwork(name);
        print(g, { name, status: "running", nodes: pids }, () => [`started '${name}'`, ...pids.map((p) => `  ${p.name.padEnd(7)} pid ${p.pid}  API ${p.api}`)].join("\n"));
      } catch (e) {
        fail(e);
      }
    });

  net
    .command("stop <name>")
    .description("stop every node of a network (SIGTERM, then SIGKILL after 15 s); data is kept")
    .action(async (name: string, _o: unknown, cmd: Command) => {
      try {
        const g = globals(cmd);
        const { dir } = await loadNetwork(name);
        const r = await stopNetwork(dir);
        print(g, { name, status: "stopped", ...r }, () => (r.stopped.length ? `stopped ${r.stopped.join(", ")} of '${name}'${r.killed ? ` (${r.killed} killed after the grace period)` : ""}` : `'${name}' was not running`));
      } catch (e) {
        fail(e);
      }
    });

  net
    .command("delete <name>")
    .description("stop a network and remove its folder (node data, keys, CA) and its record; needs --yes")
    .option("--yes", "really delete: the chain's data and keys cannot be recovered")
    .action(async (name: string, o: { yes?: boolean }, cmd: Command) => {
      try {
        const g = globals(cmd);
        const { getNetwork, unregisterNetwork } = await import("../../node/network-registry.js");
        const { NETWORK_FILE } = await import("../../node/network.js");
        const entry = getNetwork(name);
        if (!o.yes) throw new CivitasError(ErrorCode.CONFIG_INVALID, `deleting '${name}' removes ${entry.dir} (all node data, validator keys and the network CA); run again with --yes to confirm`, { field: "yes", name });
        const r = existsSync(entry.dir) ? await stopNetwork(entry.dir) : { stopped: [] };
        // Only a folder that is a network is removed: the record may point at a reused path.
        if (existsSync(join(entry.dir, NETWORK_FILE))) rmSync(entry.dir, { recursive: true, force: true });
        unregisterNetwork(name);
        print(g, { name, deleted: true, dir: entry.dir, stopped: r.stopped }, () => `deleted '${name}' (${entry.dir})`);
      } catch (e) {
        fail(e);
      }
    });

  net
    .command("export <name>")
    .description("write deployment files for other machines, one node per host: docker compose or systemd units, with a README")
    .requiredOption("--target <target>", "compose or systemd")
    .requiredOption("-o, --out <dir>", "output folder (new or empty)")
    .action(async (name: string, o: { target: string; out: string }, cmd: Command) => {
      try {
        const g = globals(cmd);
        if (o.target !== "compose" && o.target !== "systemd") throw new CivitasError(ErrorCode.CONFIG_INVALID, `--target must be compose or systemd, got '${o.target}'`, { field: "target" });
        const out = resolve(o.out);
        if (existsSync(out) && readdirSync(out).length > 0) throw new CivitasError(ErrorCode.CONFIG_INVALID, `${out} is not empty; choose a new folder`, { field: "out" });
        const { dir, info } = await loadNetwork(name);
        const r = o.target === "compose" ? (await import("../../node/export/compose.js")).exportCompose(dir, name, info, out) : (await import("../../node/export/systemd.js")).exportSystemd(dir, name, info, out);
        print(g, { name, target: o.target, dir: out, ...r }, () => [`wrote ${o.target} deployment of '${name}' to ${out}:`, ...r.files.map((f) => `  ${f}`), `read ${join(out, "README.md")} for what to copy where and which peer addresses to edit`].join("\n"));
      } catch (e) {
        fail(e);
      }
    });
}
