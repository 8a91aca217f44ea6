/**
 * Networks by name: `civitas network create <spec> [--start]`, `list`, `start`, `stop`,
 * `delete --yes` and `export --target compose|systemd`. Starting and stopping live in
 * src/node/network-manager.ts (shared with `civitas console`). Each node runs as its own detached
 * `civitas start` process (its memory profile applied as the V8 heap limit); pids go to the
 * network folder's pids.json as with `civitas up`, so `civitas down --dir` works too.
 */
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import type { GlobalOptions } from "../context.js";
import { globals } from "../context.js";
import { fail, print } from "../output.js";
import { deleteNetwork, exportNetwork, listNetworkRows, loadNetwork, startNetwork, stopNetworkDir } from "../../node/network-manager.js";

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

export function lifecycleCommands(net: Command): void {
  net
    .command("list")
    .description("networks created on this machine: chain, nodes, running/stopped, height, API URLs")
    .action(async (_o: unknown, cmd: Command) => {
      try {
        const g = globals(cmd);
        const rows = await listNetworkRows();
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
        const { dir } = loadNetwork(name);
        const r = await stopNetworkDir(dir);
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
        const { getNetwork } = await import("../../node/network-registry.js");
        if (!o.yes) throw new CivitasError(ErrorCode.CONFIG_INVALID, `deleting '${name}' removes ${getNetwork(name).dir} (all node data, validator keys and the network CA); run again with --yes to confirm`, { field: "yes", name });
        const r = await deleteNetwork(name, name);
        print(g, { name, deleted: true, dir: r.dir, stopped: r.stopped }, () => `deleted '${name}' (${r.dir})`);
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
        const out = resolve(o.out);
        const r = await exportNetwork(name, o.target, out);
        print(g, { name, target: o.target, dir: out, ...r }, () => [`wrote ${o.target} deployment of '${name}' to ${out}:`, ...r.files.map((f) => `  ${f}`), `read ${join(out, "README.md")} for what to copy where and which peer addresses to edit`].join("\n"));
      } catch (e) {
        fail(e);
      }
    });
}
