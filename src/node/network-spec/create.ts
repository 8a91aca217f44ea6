/**
 * Laying out a network from a spec: read and check it, refuse impossible shapes and taken
 * ports, then write the folder (createNetwork), the normalized spec and a generated passphrase,
 * and record the network by name. Nothing is written when any check fails.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import { createNetwork, NETWORK_FILE, readNetwork } from "../network.js";
import type { NetworkInfo } from "../network.js";
import { defaultNetworkDir, findNetwork, listNetworks, PASSPHRASE_FILE, registerNetwork, SPEC_FILE } from "../network-registry.js";
import { normalizeSpec, parseSpecText } from "./parse.js";
import { checkPortsAvailable, planNetwork } from "./plan.js";
import type { PortClaim } from "./plan.js";
import type { NetworkPlan, NetworkSpec } from "./types.js";

export function readSpecFile(path: string): NetworkSpec {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new CivitasError(ErrorCode.CONFIG_INVALID, `cannot read network spec ${path}: ${(e as Error).message}`, { field: "" });
  }
  return normalizeSpec(parseSpecText(text, path));
}

/** Ports of every network recorded on this machine (running or not), except `except`. */
export function claimedPorts(except?: string): PortClaim[] {
  const out: PortClaim[] = [];
  for (const e of listNetworks()) {
    if (e.name === except) continue;
    let info: NetworkInfo | undefined;
    try {
      info = readNetwork(e.dir);
    } catch {
      continue;
    }
    for (const n of info?.nodes ?? []) {
      for (const addr of [n.api.replace(/\/+$/, ""), n.p2p]) out.push({ network: e.name, node: n.name, port: Number(addr.slice(addr.lastIndexOf(":") + 1)) });
    }
  }
  return out;
}

export interface CreatedNetwork {
  name: string;
  dir: string;
  info: NetworkInfo;
  plan: NetworkPlan;
}

export async function createNetworkFromSpec(spec: NetworkSpec, o: { dir?: string; scryptN?: number; isFree?: (port: number, host: string) => Promise<boolean> } = {}): Promise<CreatedNetwork> {
  const plan = planNetwork(spec);
  if (findNetwork(spec.name)) throw new CivitasError(ErrorCode.CONFIG_INVALID, `a network named '${spec.name}' already exists on this machine; delete it or choose another name`, { field: "name", name: spec.name });
  const dir = resolve(o.dir ?? defaultNetworkDir(spec.name));
  if (existsSync(join(dir, NETWORK_FILE))) throw new CivitasError(ErrorCode.CONFIG_INVALID, `${dir} already holds a network; remove it or choose another folder`, { field: "dir" });
  await checkPortsAvailable(plan, claimedPorts(), o.isFree);
  const passphrase = randomBytes(18).toString("base64url");
  const existed = existsSync(dir);
  try {
    const info = await createNetwork({
      dir,
      chainId: spec.chainId,
      validators: spec.nodes.validators,
      fullNodes: spec.nodes.fullNodes,
      host: spec.nodes.host,
      apiBasePort: spec.ports.apiBase,
      p2pBasePort: spec.ports.p2pBase,
      nodePorts: plan.nodes.map((n) => ({ api: n.apiPort, p2p: n.p2pPort })),
      resources: plan.nodes.map((n) => n.resources),
      passphrase,
      cryptoSuite: spec.cryptoSuite,
      accounts: spec.accounts.map((a) => a.name),
      balances: spec.accounts.map((a) => a.balance),
      balance: "0",
      genesis: { consensus: spec.consensus.algorithm, blockIntervalMs: spec.block.intervalMs, createEmptyBlocks: spec.block.createEmptyBlocks, maxBlockBytes: spec.block.maxBytes, maxBlockTxs: spec.block.maxTxs, maxBlockGas: spec.block.maxGas, maxTxBytes: spec.block.maxTxBytes, ...(spec.moduleParams ? { moduleParams: spec.moduleParams } : {}) },
      consensus: {
        timeoutProposeMs: spec.consensus.timeouts.proposeMs,
        timeoutProposeDeltaMs: spec.consensus.timeouts.proposeDeltaMs,
        timeoutPrevoteMs: spec.consensus.timeouts.prevoteMs,
        timeoutPrevoteDeltaMs: spec.consensus.timeouts.prevoteDeltaMs,
        timeoutPrecommitMs: spec.consensus.timeouts.precommitMs,
        timeoutPrecommitDeltaMs: spec.consensus.timeouts.precommitDeltaMs,
        gossipMs: spec.consensus.timeouts.gossipMs,
        statusMs: spec.consensus.timeouts.statusMs,
      },
      logLevel: spec.logLevel,
      scryptN: o.scryptN,
    });
    writeFileSync(join(dir, PASSPHRASE_FILE), passphrase + "\n", { mode: 0o600 });
    writeFileSync(join(dir, SPEC_FILE), JSON.stringify(spec, null, 2) + "\n");
    // The time is display-only metadata of the registry, never part of the chain.
    registerNetwork({ name: spec.name, chainId: spec.chainId, dir, createdAt: new Date().toISOString() });
    return { name: spec.name, dir, info, plan };
  } catch (e) {
    // A half-written folder would make the next attempt fail with "already holds a network".
    if (!existed) rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

export function readNetworkSpec(dir: string): NetworkSpec | undefined {
  const p = join(dir, SPEC_FILE);
  return existsSync(p) ? (JSON.parse(readFileSync(p, "utf8")) as NetworkSpec) : undefined;
}
