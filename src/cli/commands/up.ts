/**
 * `civitas up` / `civitas down`: a local BFT network with no set-up. First run creates .civitas/
 * with a network CA, 4 validators (each its own process), funded dev keys (authority, alice,
 * bob) and a dev passphrase file; later runs reuse it. Ctrl-C stops every node cleanly.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { ChildProcess } from "node:child_process";
import type { Command } from "commander";

import { CivitasError, ErrorCode } from "../../util/errors.js";
import { globals } from "../context.js";
import { fail, print } from "../output.js";
import { clearPids, isAlive, readPids, spawnNode, stopAll, waitHealthy, writePids } from "../processes.js";

const DEV_ACCOUNTS = ["authority", "alice", "bob"];
const DEV_BALANCE = "1000000000000";

interface UpFlags {
  dir: string;
  validators: string;
  fullNodes: string;
  port: string;
  p2pPort: string;
  blockIntervalMs?: string;
  detach?: boolean;
}

function intFlag(v: string, name: string, min: number, max: number): number {
  if (!/^[0-9]{1,6}$/.test(v) || Number(v) < min || Number(v) > max) throw new CivitasError(ErrorCode.CONFIG_INVALID, `--${name} must be an integer in [${min}, ${max}], got '${v}'`);
  return Number(v);
}

export function upCommand(program: Command): void {
  program
    .command("up")
    .description("start a local BFT network in .civitas/ (created on first run), one process per node; Ctrl-C stops it")
    .option("--dir <dir>", "network folder", ".civitas")
    .option("--validators <n>", "validators (on first run)", "4")
    .option("--full-nodes <n>", "full nodes: replicate and serve the API without voting (on first run)", "0")
    .option("--port <port>", "API port of node 0; node i uses port + i", "8080")
    .option("--p2p-port <port>", "p2p port of node 0; node i uses port + i", "26656")
    .option("--block-interval-ms <ms>", "pause between blocks (on first run)")
    .option("--detach", "start the nodes in the background and return (stop them with 'civitas down')")
    .action(async (o: UpFlags, cmd: Command) => {
      try {
        const g = globals(cmd);
        const { createNetwork, readNetwork } = await import("../../node/network.js");
        const dir = resolve(o.dir);
        const passFile = join(dir, "dev-passphrase");
        const validators = intFlag(o.validators, "validators", 1, 50);
        const fullNodes = intFlag(o.fullNodes, "full-nodes", 0, 50);
        let info = readNetwork(dir);
        if (!info && existsSync(join(dir, "node0", "node.json"))) {
          throw new CivitasError(ErrorCode.CONFIG_INVALID, `${dir} holds a single-node chain from an older Civitas; remove the folder (rm -rf ${o.dir}) or pass --dir <other folder>`);
        }
        if (info) {
          const v = info.nodes.filter((n) => n.role === "validator").length;
          const f = info.nodes.length - v;
          const explicit = (k: string): boolean => cmd.getOptionValueSource(k) === "cli";
          if ((explicit("validators") && v !== validators) || (explicit("fullNodes") && f !== fullNodes)) {
            throw new CivitasError(ErrorCode.CONFIG_INVALID, `the network in ${dir} has ${v} validators and ${f} full nodes; remove the folder or pass --dir <other folder> for another shape`);
          }
        } else {
          mkdirSync(dir, { recursive: true });
          const passphrase = randomBytes(18).toString("base64url");
          writeFileSync(passFile, passphrase + "\n", { mode: 0o600 });
          process.stderr.write(`creating a local network in ${dir}: ${validators} validators, ${fullNodes} full nodes, network CA, keys ${DEV_ACCOUNTS.join(", ")}...\n`);
          info = await createNetwork({
            dir,
            chainId: "civitas-local",
            validators,
            fullNodes,
            host: "127.0.0.1",
            apiBasePort: intFlag(o.port, "port", 1, 65000),
            p2pBasePort: intFlag(o.p2pPort, "p2p-port", 1, 65000),
            passphrase,
            accounts: DEV_ACCOUNTS,
            balance: DEV_BALANCE,
            genesis: o.blockIntervalMs ? { blockIntervalMs: intFlag(o.blockIntervalMs, "block-interval-ms", 10, 3_600_000) } : {},
            logLevel: "info",
          });
        }
        const running = readPids(dir).filter((n) => isAlive(n.pid));
        if (running.length) throw new CivitasError(ErrorCode.CONFIG_INVALID, `the network in ${dir} is already running (${running.map((n) => `${n.name} pid ${n.pid}`).join(", ")}); stop it with 'civitas down --dir ${o.dir}'`);

        const children = new Map<string, ChildProcess>();
        for (const n of info.nodes) children.set(n.name, spawnNode(dir, n.home, passFile, o.detach === true));
        writePids(
          dir,
          info.nodes.map((n) => ({ name: n.name, pid: children.get(n.name)?.pid ?? 0, api: n.api })),
        );
        const exited = new Map<string, string>();
        for (const [name, c] of children) c.on("exit", (code, sig) => exited.set(name, sig ?? `code ${code}`));
        const notReady = await waitHealthy(info, 60_000);
        if (notReady.length) {
          await stopAll([...children.values()].map((c) => c.pid ?? 0).filter(Boolean));
          clearPids(dir);
          throw new CivitasError(ErrorCode.API_UNAVAILABLE, `nodes ${notReady.join(", ")} did not start; see ${notReady.map((n) => join(dir, n, "node.log")).join(", ")}`);
        }
        const keysDir = join(dir, "keys");
        const bob = existsSync(join(keysDir, "bob.json")) ? (JSON.parse(readFileSync(join(keysDir, "bob.json"), "utf8")) as { address: string }).address : "<address>";
        if (g.json) {
          process.stdout.write(JSON.stringify({ chainId: info.chainId, nodes: info.nodes, keysDir, passphraseFile: passFile }) + "\n");
        } else {
          const cli = `node ${process.argv[1]}`;
          const lines = [
            "",
            `Civitas local network '${info.chainId}' is up: ${info.nodes.length} nodes, BFT consensus (tolerates ${Math.floor((info.nodes.filter((n) => n.role === "validator").length - 1) / 3)} faulty validator(s))`,
            ...info.nodes.map((n) => `  ${n.name.padEnd(6)} ${n.role.padEnd(9)} API ${n.api}   p2p ${n.p2p}   pid ${children.get(n.name)?.pid}   log ${join(o.dir, n.home, "node.log")}`),
            `  API docs ${info.nodes[0].api}/docs   events ${info.nodes[0].api.replace("http", "ws")}/v1/events`,
            "",
            "Try it (in another terminal, from this folder):",
            `  alias civitas="${cli}"`,
            `  export CIVITAS_KEYS_DIR=${keysDir} CIVITAS_PASSPHRASE_FILE=${passFile}`,
            "  civitas status",
            `  civitas tx transfer --key alice --to ${bob} --amount 100`,
            `  civitas query token balance address=${bob}`,
            `  kill -9 ${children.get(info.nodes[info.nodes.length - 1].name)?.pid}    # the others keep committing`,
            "",
            o.detach ? `Nodes run in the background; stop them with: civitas down --dir ${o.dir}` : "Ctrl-C stops the network. New blocks appear below.",
            "",
          ];
          process.stdout.write(lines.join("\n") + "\n");
        }
        if (o.detach) {
          for (const c of children.values()) c.unref();
          return;
        }
        let stopping = false;
        const stop = async (sig: string): Promise<void> => {
          if (stopping) return;
          stopping = true;
          process.stderr.write(`\n${sig}: stopping ${children.size} nodes...\n`);
          const r = await stopAll([...children.values()].map((c) => c.pid ?? 0).filter(Boolean));
          clearPids(dir);
          process.stderr.write(`stopped${r.killed ? ` (${r.killed} killed after the grace period)` : ""}\n`);
          process.exit(0);
        };
        process.on("SIGINT", () => void stop("SIGINT"));
        process.on("SIGTERM", () => void stop("SIGTERM"));
        if (!g.json) await followBlocks(info.nodes.map((n) => ({ name: n.name, api: n.api })), exited, () => stopping);
      } catch (e) {
        fail(e);
      }
    });

  program
    .command("down")
    .description("stop the local network started by 'civitas up' (SIGTERM, then SIGKILL after 15 s)")
    .option("--dir <dir>", "network folder", ".civitas")
    .action(async (o: { dir: string }, cmd: Command) => {
      try {
        const g = globals(cmd);
        const dir = resolve(o.dir);
        const nodes = readPids(dir);
        const alive = nodes.filter((n) => isAlive(n.pid));
        if (alive.length === 0) {
          clearPids(dir);
          print(g, { stopped: 0 }, () => `no running network in ${dir}`);
          return;
        }
        const r = await stopAll(alive.map((n) => n.pid));
        clearPids(dir);
        print(g, { stopped: r.stopped, killed: r.killed, nodes: alive.map((n) => n.name) }, () => `stopped ${alive.map((n) => n.name).join(", ")}${r.killed ? ` (${r.killed} killed after the grace period)` : ""}`);
      } catch (e) {
        fail(e);
      }
    });
}

/** Prints one line per new block, read from the first node that answers. */
async function followBlocks(nodes: Array<{ name: string; api: string }>, exited: Map<string, string>, stopping: () => boolean): Promise<void> {
  let last = -1;
  const reported = new Set<string>();
  for (;;) {
    if (stopping()) return;
    for (const [name, how] of exited) {
      if (reported.has(name)) continue;
      reported.add(name);
      process.stdout.write(`!! ${name} exited (${how}); the others continue while more than 2/3 of the voting power is up\n`);
    }
    for (const n of nodes) {
      if (exited.has(n.name)) continue;
      try {
        const s = (await (await fetch(`${n.api}/v1/status`, { signal: AbortSignal.timeout(1_000) })).json()) as { head: { height: number } };
        if (last < 0) last = s.head.height - 1;
        for (let h = last + 1; h <= s.head.height; h++) {
          const b = (await (await fetch(`${n.api}/v1/blocks/${h}`, { signal: AbortSignal.timeout(1_000) })).json()) as { header: { time: number; txCount: number; proposer: string }; commit: { round: number; signatures: unknown[] } };
          process.stdout.write(`block ${String(h).padStart(6)}  ${new Date(b.header.time).toISOString()}  ${String(b.header.txCount).padStart(5)} tx  round ${b.commit.round}  ${b.commit.signatures.length} signatures  proposer ${b.header.proposer.slice(0, 10)}  (via ${n.name})\n`);
          last = h;
        }
        break;
      } catch {
        // try the next node
      }
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
