/**
 * Node homes prepared for other machines: everything a node needs to start (genesis, node.json,
 * validator key, TLS and TSA material) without what belongs to this machine's run (data, vote
 * WAL, logs), with node.json rewritten to listen on all interfaces and dial peers by host name.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseNodeConfig } from "../config.js";
import type { NodeConfig } from "../config.js";
import type { NetworkInfo, NetworkNode } from "../network.js";

export function portOf(addr: string): number {
  return Number(addr.replace(/\/+$/, "").slice(addr.replace(/\/+$/, "").lastIndexOf(":") + 1));
}

/** Copies `src` home to `dst` and rewrites its node.json; returns the rewritten config. */
export function exportHome(src: string, dst: string, o: { peers: string[]; memoryMiB?: number }): NodeConfig {
  const config = parseNodeConfig(JSON.parse(readFileSync(join(src, "node.json"), "utf8")));
  // A validator that signed votes here must not carry that WAL into a chain started afresh, nor
  // the data: every exported node starts from genesis together.
  // Logs and operator-set alert rules belong to this machine's run too.
  const skip = new Set([config.dataDir, config.consensus.walFile, "node.log", "pids.json", config.logDir, "alert-rules.json"]);
  mkdirSync(dst, { recursive: true });
  for (const f of readdirSync(src)) if (!skip.has(f)) cpSync(join(src, f), join(dst, f), { recursive: true });
  const out: NodeConfig = { ...config, api: { ...config.api, host: "0.0.0.0" }, p2p: { ...config.p2p, host: "0.0.0.0", peers: o.peers } };
  writeFileSync(join(dst, "node.json"), JSON.stringify(out, null, 2) + "\n");
  mkdirSync(join(dst, config.dataDir), { recursive: true });
  return out;
}

export function readHomeConfig(networkDir: string, n: NetworkNode): NodeConfig {
  return parseNodeConfig(JSON.parse(readFileSync(join(networkDir, n.home, "node.json"), "utf8")));
}

export function requireHomes(networkDir: string, info: NetworkInfo): void {
  for (const n of info.nodes) if (!existsSync(join(networkDir, n.home, "node.json"))) throw new Error(`${join(networkDir, n.home)} has no node.json`);
}

/** V8 heap for a memory limit: three quarters, leaving room for LMDB pages, buffers and code. */
export function heapMiB(memoryMiB: number): number {
  return Math.max(64, Math.floor((memoryMiB * 3) / 4));
}
