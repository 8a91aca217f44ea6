/**
 * A multi-node network laid out on disk: one folder per node (genesis.json, node.json, encrypted
 * validator key, tls/ with a certificate from the network CA), the CA itself, funded dev keys,
 * and network.json describing who listens where. `civitas up` creates and runs one on loopback;
 * `civitas network create` writes one for other hosts; `civitas join` adds a full node.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { SuiteId } from "../crypto/suite.js";
import { getNodeSuite } from "../crypto/node-suites.js";
import { encryptKey, saveKeyFile } from "../crypto/keystore.js";
import { parseGenesis } from "../ledger/genesis.js";
import type { Genesis } from "../ledger/genesis.js";
import { createNetworkCa, issueNodeCert, writeNodeTls } from "../p2p/index.js";
import type { NetworkCa } from "../p2p/index.js";
import { writeTsaHome } from "../proof/tsa/home.js";
import { toHex } from "../util/bytes.js";
import { CivitasError, ErrorCode } from "../util/errors.js";
import type { NodeConfig } from "./config.js";
import { parseNodeConfig } from "./config.js";

export interface NetworkNode {
  name: string;
  role: "validator" | "full";
  /** Folder of the node's home, relative to the network folder. */
  home: string;
  api: string;
  p2p: string;
  nodeId: string;
  validator?: string;
}

export interface NetworkInfo {
  version: 1;
  chainId: string;
  nodes: NetworkNode[];
}

export interface CreateNetworkOptions {
  dir: string;
  chainId: string;
  validators: number;
  fullNodes: number;
  /** Address the nodes listen on and dial each other at. */
  host: string;
  apiBasePort: number;
  p2pBasePort: number;
  /** Encrypts validator and dev keys. */
  passphrase: string;
  cryptoSuite?: SuiteId;
  /** Dev accounts to create in dir/keys and fund; the first is the chain authority. */
  accounts: string[];
  balance: string;
  genesis?: Partial<Pick<Genesis, "blockIntervalMs" | "createEmptyBlocks" | "maxBlockTxs" | "maxBlockBytes" | "maxBlockGas" | "maxTxBytes" | "consensus" | "moduleParams">>;
  /** Per-node ports (from a network spec), instead of base + i. */
  nodePorts?: Array<{ api: number; p2p: number }>;
  /** Per-node hardware profile written to node.json. */
  resources?: Array<NodeConfig["resources"]>;
  /** Per-account balances (same order as accounts); `balance` for the rest. */
  balances?: string[];
  consensus?: Partial<NodeConfig["consensus"]>;
  /** Lower scrypt cost, for tests only. */
  scryptN?: number;
  logLevel?: NodeConfig["logLevel"];
  verifyWorkers?: number;
}

export const NETWORK_FILE = "network.json";
export const PIDS_FILE = "pids.json";

/** Snappier than the defaults: on loopback a silent proposer should cost one second, not three. */
export const LOCAL_CONSENSUS: Partial<NodeConfig["consensus"]> = {
  timeoutProposeMs: 1_000,
  timeoutProposeDeltaMs: 250,
  timeoutPrevoteMs: 500,
  timeoutPrevoteDeltaMs: 250,
  timeoutPrecommitMs: 500,
  timeoutPrecommitDeltaMs: 250,
  gossipMs: 300,
  statusMs: 300,
};

export async function createNetwork(o: CreateNetworkOptions): Promise<NetworkInfo> {
  const dir = resolve(o.dir);
  if (existsSync(join(dir, NETWORK_FILE))) throw new CivitasError(ErrorCode.CONFIG_INVALID, `${dir} already holds a network; remove it or choose another folder`);
  if (!Number.isInteger(o.validators) || o.validators < 1 || o.validators > 100) throw new CivitasError(ErrorCode.CONFIG_INVALID, "validators must be between 1 and 100");
  if (!Number.isInteger(o.fullNodes) || o.fullNodes < 0 || o.fullNodes > 100) throw new CivitasError(ErrorCode.CONFIG_INVALID, "full nodes must be between 0 and 100");
  const suiteId = o.cryptoSuite ?? "ed25519-sha256";
  const suite = getNodeSuite(suiteId);
  mkdirSync(dir, { recursive: true });
  const accounts = o.accounts.map((name) => {
    const kp = suite.generateKeyPair();
    const file = encryptKey(suite, kp.secretKey, o.passphrase, { label: name, scryptN: o.scryptN });
    saveKeyFile(join(dir, "keys"), name, file);
    return { name, address: file.address };
  });
  const total = o.validators + o.fullNodes;
  const vkeys = Array.from({ length: o.validators }, () => suite.generateKeyPair());
  // The CA first: genesis names it as the trusted root of the nodes' time-stamping authorities.
  const ca = await createNetworkCa({ name: `${o.chainId} network CA` });
  const genesis = parseGenesis({
    chainId: o.chainId,
    genesisTime: Date.now(),
    cryptoSuite: suiteId,
    consensus: "bft",
    ...o.genesis,
    authority: accounts[0]?.address ?? suite.address(vkeys[0].publicKey),
    validators: vkeys.map((k, i) => ({ name: `node${i}`, publicKey: toHex(k.publicKey), power: 10 })),
    balances: accounts.map((a, i) => ({ address: a.address, amount: o.balances?.[i] ?? o.balance })),
    tsaRoots: [ca.certPem],
  });
  writeCa(dir, ca);
  const apiPort = (i: number): number => o.nodePorts?.[i]?.api ?? o.apiBasePort + i;
  const p2pPort = (i: number): number => o.nodePorts?.[i]?.p2p ?? o.p2pBasePort + i;
  const p2pAddr = (i: number): string => `${o.host}:${p2pPort(i)}`;
  const nodes: NetworkNode[] = [];
  for (let i = 0; i < total; i++) {
    const name = `node${i}`;
    const role = i < o.validators ? "validator" : "full";
    const home = join(dir, name);
    const cert = await issueNodeCert(ca, { nodeName: name, did: nodeDid(o.chainId, name) });
    writeHome(home, {
      genesis,
      config: {
        moniker: name,
        role,
        logLevel: o.logLevel ?? "info",
        ...(o.verifyWorkers !== undefined ? { verifyWorkers: o.verifyWorkers } : {}),
        ...(o.resources?.[i] ? { resources: o.resources[i] } : {}),
        api: { host: o.host, port: apiPort(i) },
        p2p: { host: o.host, port: p2pPort(i), peers: Array.from({ length: total }, (_, j) => j).filter((j) => j !== i).map(p2pAddr) },
        consensus: { ...LOCAL_CONSENSUS, ...o.consensus },
      },
      ca,
      cert,
      validatorKey: role === "validator" ? encryptKey(suite, vkeys[i].secretKey, o.passphrase, { label: name, scryptN: o.scryptN }) : undefined,
    });
    await writeTsaHome(home, ca, { name: `${o.chainId} TSA ${name}` });
    nodes.push({ name, role, home: name, api: `http://${o.host}:${apiPort(i)}`, p2p: p2pAddr(i), nodeId: cert.nodeId, ...(role === "validator" ? { validator: suite.address(vkeys[i].publicKey) } : {}) });
  }
  const info: NetworkInfo = { version: 1, chainId: o.chainId, nodes };
  writeFileSync(join(dir, NETWORK_FILE), JSON.stringify(info, null, 2) + "\n");
  return info;
}

function writeCa(dir: string, ca: NetworkCa): void {
  mkdirSync(join(dir, "ca"), { recursive: true });
  writeFileSync(join(dir, "ca", "ca.crt"), ca.certPem);
  writeFileSync(join(dir, "ca", "ca.key"), ca.keyPem, { mode: 0o600 });
}

export function readCa(caDir: string): NetworkCa {
  try {
    return { certPem: readFileSync(join(caDir, "ca.crt"), "utf8"), keyPem: readFileSync(join(caDir, "ca.key"), "utf8") };
  } catch (e) {
    throw new CivitasError(ErrorCode.CONFIG_INVALID, `cannot read the network CA in ${caDir} (ca.crt and ca.key): ${(e as Error).message}`);
  }
}

function writeHome(home: string, o: { genesis: Genesis; config: unknown; ca: NetworkCa; cert: { certPem: string; keyPem: string; nodeId: string }; validatorKey?: unknown }): void {
  const config = parseNodeConfig(o.config);
  mkdirSync(join(home, config.dataDir), { recursive: true });
  writeFileSync(join(home, "genesis.json"), JSON.stringify(o.genesis, null, 2) + "\n");
  writeFileSync(join(home, "node.json"), JSON.stringify(config, null, 2) + "\n");
  if (o.validatorKey) writeFileSync(join(home, config.keyFile), JSON.stringify(o.validatorKey, null, 2) + "\n", { mode: 0o600 });
  writeNodeTls(join(home, config.p2p.tlsDir), o.ca, o.cert);
}

export function readNetwork(dir: string): NetworkInfo | undefined {
  const p = join(resolve(dir), NETWORK_FILE);
  if (!existsSync(p)) return undefined;
  const info = JSON.parse(readFileSync(p, "utf8")) as NetworkInfo;
  if (info.version !== 1 || !Array.isArray(info.nodes)) throw new CivitasError(ErrorCode.CONFIG_INVALID, `${p} is not a Civitas network file`);
  return info;
}

/**
 * A full node for a running network: a new home with the network's genesis, a certificate from
 * its CA (so the validators accept the connection) and the given peers. It downloads and
 * verifies the chain by block sync when started.
 */
export async function joinNetwork(o: { home: string; genesisFile: string; caDir: string; peers: string[]; host: string; apiPort: number; p2pPort: number; moniker: string }): Promise<{ home: string; nodeId: string }> {
  const home = resolve(o.home);
  if (existsSync(join(home, "node.json"))) throw new CivitasError(ErrorCode.CONFIG_INVALID, `${home} is already initialised; choose another --home or remove it`);
  if (o.peers.length === 0) throw new CivitasError(ErrorCode.CONFIG_INVALID, "give at least one peer (host:port) to join through");
  let genesis: Genesis;
  try {
    genesis = parseGenesis(JSON.parse(readFileSync(o.genesisFile, "utf8")));
  } catch (e) {
    throw new CivitasError(ErrorCode.GENESIS_INVALID, `--genesis ${o.genesisFile}: ${(e as Error).message}`);
  }
  if (genesis.consensus !== "bft") throw new CivitasError(ErrorCode.GENESIS_INVALID, "only BFT networks can be joined (a solo chain has a single node)");
  const ca = readCa(o.caDir);
  const cert = await issueNodeCert(ca, { nodeName: o.moniker, did: nodeDid(genesis.chainId, o.moniker) });
  try {
    writeHome(home, { genesis, config: { moniker: o.moniker, role: "full", api: { host: o.host, port: o.apiPort }, p2p: { host: o.host, port: o.p2pPort, peers: o.peers }, consensus: LOCAL_CONSENSUS }, ca: { certPem: ca.certPem, keyPem: "" }, cert });
    await writeTsaHome(home, ca, { name: `${genesis.chainId} TSA ${o.moniker}` });
  } catch (e) {
    rmSync(home, { recursive: true, force: true });
    throw e;
  }
  return { home, nodeId: cert.nodeId };
}

/** The DID a node's certificate is issued to: `did:civitas:<chain>:<moniker>` (moniker made DID-safe). */
export function nodeDid(chainId: string, moniker: string): string {
  const id = moniker.toLowerCase().replace(/[^a-z0-9._-]/g, "-").replace(/^[^a-z0-9]+/, "").slice(0, 64) || "node";
  return `did:civitas:${chainId}:${id}`;
}
