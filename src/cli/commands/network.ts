/**
 * `civitas network create`: lay out a multi-node network (homes, CA, keys) for other hosts or
 * for running the nodes by hand. `civitas join`: a full node for a running network.
 * `civitas status --network`: the nodes of a local network at a glance.
 */
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import { globals } from "../context.js";
import { fail, print } from "../output.js";
import { getPassphrase } from "../passphrase.js";
import { isAlive, readPids } from "../processes.js";
import { createFromSpecCommand, lifecycleCommands } from "./network-lifecycle.js";

function int(v: string, name: string, min: number, max: number): number {
  if (!/^[0-9]{1,6}$/.test(v) || Number(v) < min || Number(v) > max) throw new CivitasError(ErrorCode.CONFIG_INVALID, `--${name} must be an integer in [${min}, ${max}], got '${v}'`);
  return Number(v);
}

export function networkCommands(program: Command): void {
  const net = program.command("network").description("create, run and export networks described by a spec (see docs/spec/network-spec.md)");
  net
    .command("create [spec]")
    .description("from a spec file (YAML/JSON): lay out the network, record it by name, optionally --start it; without a spec: write node homes into --dir from flags")
    .option("--dir <dir>", "output folder (default for a spec: $CIVITAS_HOME/networks/<name>)")
    .option("--start", "start the nodes after creating the network (spec only)")
    .option("--chain-id <id>", "chain identifier", "civitas-net")
    .option("--validators <n>", "validators", "4")
    .option("--full-nodes <n>", "full nodes", "0")
    .option("--host <host>", "address the nodes listen on and dial each other at", "127.0.0.1")
    .option("--api-port <port>", "API port of node 0 (node i: + i)", "8080")
    .option("--p2p-port <port>", "p2p port of node 0 (node i: + i)", "26656")
    .option("--account <name>", "dev account to create in <dir>/keys and fund (repeatable; the first is the authority)", (v: string, acc: string[]) => acc.concat(v), [] as string[])
    .option("--balance <amount>", "balance of each dev account", "1000000000000")
    .action(async (specFile: string | undefined, o: { dir?: string; start?: boolean; chainId: string; validators: string; fullNodes: string; host: string; apiPort: string; p2pPort: string; account: string[]; balance: string }, cmd: Command) => {
      try {
        const g = globals(cmd);
        if (specFile !== undefined) {
          await createFromSpecCommand(g, specFile, o.dir, o.start === true);
          return;
        }
        if (o.dir === undefined) throw new CivitasError(ErrorCode.CONFIG_INVALID, "give a network spec file (civitas network create net.yaml) or --dir <folder> with flags", { field: "spec" });
        if (o.start) throw new CivitasError(ErrorCode.CONFIG_INVALID, "--start needs a spec file; for a flag-made folder run 'civitas start --home <dir>/nodeN' per node", { field: "start" });
        const dir = o.dir;
        const passphrase = await getPassphrase(g, "the validator keys", true);
        const { createNetwork } = await import("../../node/network.js");
        const info = await createNetwork({
          dir,
          chainId: o.chainId,
          validators: int(o.validators, "validators", 1, 100),
          fullNodes: int(o.fullNodes, "full-nodes", 0, 100),
          host: o.host,
          apiBasePort: int(o.apiPort, "api-port", 1, 65000),
          p2pBasePort: int(o.p2pPort, "p2p-port", 1, 65000),
          passphrase,
          accounts: o.account.length ? o.account : ["authority"],
          balance: o.balance,
        });
        print(g, info, () => [`created ${resolve(dir)}: chain ${info.chainId}`, ...info.nodes.map((n) => `  ${n.name} ${n.role} api ${n.api} p2p ${n.p2p}`), `the network CA key is in ${join(resolve(dir), "ca", "ca.key")}: keep it offline; it admits new nodes`, `start each node with: civitas start --home ${join(dir, "node0")}`].join("\n"));
      } catch (e) {
        fail(e);
      }
    });

  lifecycleCommands(net);

  program
    .command("join")
    .description("create a full node home for a running network: it downloads and verifies the chain when started")
    .requiredOption("--home <dir>", "new node home folder")
    .requiredOption("--genesis <file>", "the network's genesis.json")
    .requiredOption("--ca-dir <dir>", "folder with the network CA (ca.crt, ca.key) to issue this node's certificate")
    .requiredOption("--peer <host:port>", "p2p address of a node to connect to (repeatable)", (v: string, acc: string[]) => acc.concat(v), [] as string[])
    .option("--host <host>", "listen address", "127.0.0.1")
    .option("--api-port <port>", "API port", "8090")
    .option("--p2p-port <port>", "p2p port", "26690")
    .option("--moniker <name>", "node name", "full-node")
    .action(async (o: { home: string; genesis: string; caDir: string; peer: string[]; host: string; apiPort: string; p2pPort: string; moniker: string }, cmd: Command) => {
      try {
        const g = globals(cmd);
        const { joinNetwork } = await import("../../node/network.js");
        const r = await joinNetwork({ home: o.home, genesisFile: o.genesis, caDir: o.caDir, peers: o.peer, host: o.host, apiPort: int(o.apiPort, "api-port", 0, 65535), p2pPort: int(o.p2pPort, "p2p-port", 0, 65535), moniker: o.moniker });
        print(g, r, () => `created full node ${r.home} (node id ${r.nodeId}); start it with: civitas start --home ${o.home}`);
      } catch (e) {
        fail(e);
      }
    });
}

/** `civitas status --network`: every node of the local network with its height and peers. */
export async function networkStatus(cmd: Command, dirOpt: string): Promise<void> {
  const g = globals(cmd);
  const { readNetwork } = await import("../../node/network.js");
  const dir = resolve(dirOpt);
  const info = readNetwork(dir);
  if (!info) throw new CivitasError(ErrorCode.CONFIG_INVALID, `no network in ${dir}; start one with 'civitas up' or pass --dir`);
  const pids = new Map(readPids(dir).map((p) => [p.name, p.pid]));
  const rows = await Promise.all(
    info.nodes.map(async (n) => {
      const pid = pids.get(n.name);
      const row: Record<string, unknown> = { name: n.name, role: n.role, api: n.api, pid: pid ?? null, process: pid === undefined ? "not started" : isAlive(pid) ? "running" : "exited" };
      try {
        const s = (await (await fetch(`${n.api}/v1/status`, { signal: AbortSignal.timeout(1_500) })).json()) as { head: { height: number; hash: string }; consensus: { round?: number; step?: string }; network?: { peers?: unknown[] } };
        Object.assign(row, { height: s.head.height, hash: s.head.hash, round: s.consensus.round ?? 0, step: s.consensus.step ?? "", peers: s.network?.peers?.length ?? 0, api_ok: true });
      } catch {
        row.api_ok = false;
      }
      return row;
    }),
  );
  print(g, { chainId: info.chainId, nodes: rows }, () =>
    [
      `network ${info.chainId} in ${dir}`,
      `${"node".padEnd(7)}${"role".padEnd(10)}${"process".padEnd(13)}${"height".padStart(8)}  ${"round".padStart(5)}  ${"peers".padStart(5)}  api`,
      ...rows.map((r) => `${String(r.name).padEnd(7)}${String(r.role).padEnd(10)}${String(r.process).padEnd(13)}${String(r.height ?? "-").padStart(8)}  ${String(r.round ?? "-").padStart(5)}  ${String(r.peers ?? "-").padStart(5)}  ${r.api}${r.api_ok ? "" : " (not answering)"}`),
    ].join("\n"),
  );
}
