/**
 * From a spec to a plan: each node's name, role, ports and hardware profile, and the checks
 * that need the whole shape (fault tolerance, port collisions, overrides naming real nodes),
 * so an impossible network is explained before any folder is written or process started.
 */
import { portIsFree } from "../../util/ports.js";
import { specError } from "./parse.js";
import type { NetworkPlan, NetworkSpec, PlannedNode } from "./types.js";

const MAX_U64 = (1n << 64n) - 1n;

/** f = floor((n - 1) / 3): BFT stays safe and live while at most f of n validators fail. */
export function bftFaultTolerance(validators: number): number {
  return Math.floor((validators - 1) / 3);
}

export function planNetwork(spec: NetworkSpec): NetworkPlan {
  const { validators, fullNodes } = spec.nodes;
  const total = validators + fullNodes;
  if (spec.consensus.algorithm === "solo" && (validators !== 1 || fullNodes !== 0)) {
    throw specError(validators !== 1 ? "nodes.validators" : "nodes.fullNodes", `the solo engine runs exactly one validator and no full nodes (got ${validators} validator(s), ${fullNodes} full node(s)); use consensus.algorithm: bft for more nodes`);
  }
  const f = spec.consensus.algorithm === "bft" ? bftFaultTolerance(validators) : 0;
  if (spec.consensus.algorithm === "bft" && f === 0 && !spec.consensus.allowNoFaultTolerance) {
    throw specError(
      "nodes.validators",
      `bft with ${validators} validator(s) tolerates no faulty validator: it needs n >= 3f + 1, so f = floor((n - 1) / 3) = ${f}; one stopped validator halts the chain. Use 4 or more validators (f = 1), or set consensus.allowNoFaultTolerance: true to accept this`,
      { validators, faultTolerance: f },
    );
  }
  for (const key of Object.keys(spec.nodes.overrides)) {
    const i = Number(key.slice(4));
    if (!(i < total) || key !== `node${i}`) throw specError(`nodes.overrides.${key}`, `no such node: the network has node0 .. node${total - 1}`);
  }
  if (spec.block.maxTxBytes > spec.block.maxBytes) throw specError("block.maxTxBytes", `must not exceed block.maxBytes (${spec.block.maxBytes})`);
  const names = new Set<string>();
  let supply = 0n;
  spec.accounts.forEach((a, i) => {
    if (names.has(a.name)) throw specError(`accounts[${i}].name`, `duplicate account name '${a.name}'`);
    names.add(a.name);
    supply += BigInt(a.balance);
    if (BigInt(a.balance) > MAX_U64) throw specError(`accounts[${i}].balance`, "must be below 2^64");
  });
  if (supply > MAX_U64) throw specError("accounts", "total supply exceeds 2^64 - 1");

  const nodes: PlannedNode[] = [];
  for (let i = 0; i < total; i++) {
    const name = `node${i}`;
    const o = spec.nodes.overrides[name] ?? {};
    const apiPort = o.apiPort ?? spec.ports.apiBase + i;
    const p2pPort = o.p2pPort ?? spec.ports.p2pBase + i;
    if (apiPort > 65535) throw specError("ports.apiBase", `${name} would get API port ${apiPort} (apiBase + ${i}), above 65535`);
    if (p2pPort > 65535) throw specError("ports.p2pBase", `${name} would get p2p port ${p2pPort} (p2pBase + ${i}), above 65535`);
    nodes.push({ name, role: i < validators ? "validator" : "full", host: spec.nodes.host, apiPort, p2pPort, resources: { ...spec.nodes.hardware, ...o.hardware } });
  }
  const owner = new Map<number, { node: string; kind: "api" | "p2p" }>();
  for (const n of nodes) {
    for (const kind of ["api", "p2p"] as const) {
      const port = kind === "api" ? n.apiPort : n.p2pPort;
      const prev = owner.get(port);
      if (prev) {
        const explicit = spec.nodes.overrides[n.name]?.[kind === "api" ? "apiPort" : "p2pPort"] !== undefined;
        const field = explicit ? `nodes.overrides.${n.name}.${kind}Port` : kind === "api" ? "ports.apiBase" : "ports.p2pBase";
        throw specError(field, `port ${port} would be used by both ${prev.node} (${prev.kind}) and ${n.name} (${kind}); the API range ${spec.ports.apiBase}..${spec.ports.apiBase + total - 1} and the p2p range ${spec.ports.p2pBase}..${spec.ports.p2pBase + total - 1} must not overlap`, { port, node: n.name, other: prev.node });
      }
      owner.set(port, { node: n.name, kind });
    }
  }
  return { spec, nodes, faultTolerance: f };
}

export interface PortClaim {
  network: string;
  node: string;
  port: number;
}

/**
 * Ports the plan needs that are taken: by another network recorded on this machine (even a
 * stopped one, which will want them back) or by any process listening right now.
 */
export async function checkPortsAvailable(plan: NetworkPlan, claimed: PortClaim[] = [], isFree: (port: number, host: string) => Promise<boolean> = portIsFree): Promise<void> {
  const byPort = new Map(claimed.map((c) => [c.port, c]));
  for (const n of plan.nodes) {
    for (const [kind, port] of [["api", n.apiPort], ["p2p", n.p2pPort]] as const) {
      const field = plan.spec.nodes.overrides[n.name]?.[`${kind}Port`] !== undefined ? `nodes.overrides.${n.name}.${kind}Port` : `ports.${kind}Base`;
      const c = byPort.get(port);
      if (c) throw specError(field, `port ${port} (${n.name} ${kind}) is already assigned to ${c.node} of network '${c.network}' on this machine; choose another range`, { port, node: n.name, network: c.network });
      if (!(await isFree(port, bindHost(n.host)))) throw specError(field, `port ${port} (${n.name} ${kind}) is in use on ${n.host}; stop what listens there or choose another range`, { port, node: n.name });
    }
  }
}

/** Where to test-bind: the node's own address when it is a local one, else all interfaces. */
function bindHost(host: string): string {
  return host === "localhost" ? "127.0.0.1" : host;
}
