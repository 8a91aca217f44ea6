/**
 * A BFT network of real `civitas start` processes for fault tests, laid out by createNetwork in
 * a temp folder, with every node-to-node link going through a TCP proxy the test controls.
 *
 * Both ends of a link dial (the p2p layer keeps one connection per pair, chosen by node id), so
 * each ordered pair (i, j) has its own proxy: node i's peer list names proxy(i->j), which
 * forwards to node j's p2p port. Cutting a pair cuts proxy(i->j) and proxy(j->i): no connection
 * between the two can exist in either direction, whoever dials. Nodes listen on their own p2p
 * port too, but only the proxies (and the test's observer) ever dial it.
 */
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { createWriteStream, readFileSync, writeFileSync } from "node:fs";
import type { WriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decryptKey, loadKeyFile } from "../../../src/crypto/keystore.js";
import type { NetworkInfo } from "../../../src/node/network.js";
import { createNetwork, readCa } from "../../../src/node/network.js";
import type { NetworkCa } from "../../../src/p2p/index.js";
import { Wallet } from "../../../src/sdk/wallet.js";
import type { Genesis } from "../../../src/ledger/genesis.js";
import type { NodeConfig } from "../../../src/node/config.js";
import { CLI_PATH, Proc, cliEnv, freePort } from "./proc-node.js";
import { TcpProxy } from "./tcp-proxy.js";

export interface ProcNetworkOptions {
  validators: number;
  chainId: string;
  /** Funded accounts (their wallets are returned); the first is the chain authority. */
  accounts: string[];
  balance: string;
  genesis?: Partial<Pick<Genesis, "blockIntervalMs" | "createEmptyBlocks" | "maxBlockTxs" | "maxBlockBytes">>;
  consensus?: Partial<NodeConfig["consensus"]>;
  logLevel?: NodeConfig["logLevel"];
}

export interface NetNode {
  index: number;
  name: string;
  home: string;
  api: string;
  apiPort: number;
  p2pPort: number;
  /** Validator address, 0x-prefixed. */
  validator: string;
  nodeId: string;
  walFile: string;
  logFile: string;
  proc?: Proc;
  /** up: running; killed: not running; stopped: SIGSTOPped. */
  state: "up" | "killed" | "stopped";
  starts: number;
  /** Head height the node reported when it last started ("node started" log line). */
  startHeight?: number;
}

const PASSPHRASE = "bft-fault-test-passphrase";

export class ProcNetwork {
  readonly nodes: NetNode[] = [];
  /** `${i}->${j}`: the proxy node i dials node j through. */
  readonly proxies = new Map<string, TcpProxy>();
  private readonly logs = new Map<number, WriteStream>();
  wallets: Wallet[] = [];
  info!: NetworkInfo;
  genesis!: Genesis;
  ca!: NetworkCa;

  private constructor(readonly root: string) {}

  get dir(): string {
    return join(this.root, "net");
  }

  static async create(o: ProcNetworkOptions): Promise<ProcNetwork> {
    const net = new ProcNetwork(await mkdtemp(join(tmpdir(), "civitas-bft-faults-")));
    try {
      await net.layout(o);
    } catch (e) {
      await net.stopAll();
      throw e;
    }
    return net;
  }

  private async layout(o: ProcNetworkOptions): Promise<void> {
    const n = o.validators;
    this.info = await createNetwork({
      dir: this.dir,
      chainId: o.chainId,
      validators: n,
      fullNodes: 0,
      host: "127.0.0.1",
      apiBasePort: 1,
      p2pBasePort: 1,
      passphrase: PASSPHRASE,
      accounts: o.accounts,
      balance: o.balance,
      genesis: o.genesis,
      consensus: o.consensus,
      scryptN: 1024,
      logLevel: o.logLevel ?? "info",
      verifyWorkers: 1,
    });
    this.ca = readCa(join(this.dir, "ca"));
    this.wallets = o.accounts.map((name) => {
      const k = decryptKey(loadKeyFile(join(this.dir, "keys"), name), PASSPHRASE);
      return Wallet.fromSecretKey(k.secretKey, k.suite);
    });
    const ports = await uniquePorts(2 * n);
    for (let i = 0; i < n; i++) {
      const m = this.info.nodes[i];
      const home = join(this.dir, m.home);
      this.nodes.push({
        index: i,
        name: m.name,
        home,
        api: `http://127.0.0.1:${ports[2 * i]}`,
        apiPort: ports[2 * i],
        p2pPort: ports[2 * i + 1],
        validator: m.validator as string,
        nodeId: m.nodeId,
        walFile: "",
        logFile: join(home, "node.log"),
        state: "killed",
        starts: 0,
      });
    }
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        if (i === j) continue;
        this.proxies.set(`${i}->${j}`, await TcpProxy.start({ host: "127.0.0.1", port: this.nodes[j].p2pPort }, { label: `${i}->${j}` }));
      }
    for (const node of this.nodes) {
      const cfgPath = join(node.home, "node.json");
      const cfg = JSON.parse(readFileSync(cfgPath, "utf8")) as NodeConfig;
      cfg.api.port = node.apiPort;
      cfg.p2p.port = node.p2pPort;
      cfg.p2p.peers = this.nodes.filter((x) => x.index !== node.index).map((x) => (this.proxies.get(`${node.index}->${x.index}`) as TcpProxy).address);
      writeFileSync(cfgPath, JSON.stringify(cfg, null, 2) + "\n");
      node.walFile = join(node.home, cfg.consensus.walFile);
      this.genesis = JSON.parse(readFileSync(join(node.home, cfg.genesisFile), "utf8")) as Genesis;
    }
    const netFile = join(this.dir, "network.json");
    const info = JSON.parse(readFileSync(netFile, "utf8")) as NetworkInfo;
    info.nodes.forEach((m, i) => {
      m.api = this.nodes[i].api;
      m.p2p = `127.0.0.1:${this.nodes[i].p2pPort}`;
    });
    writeFileSync(netFile, JSON.stringify(info, null, 2) + "\n");
  }

  /** Starts node i (it must not be running) and waits until it serves its API. */
  async start(i: number, timeoutMs = 30_000): Promise<void> {
    const node = this.nodes[i];
    if (node.proc?.running) throw new Error(`${node.name} is already running`);
    let log = this.logs.get(i);
    if (!log) this.logs.set(i, (log = createWriteStream(node.logFile, { flags: "a" })));
    log.write(`\n===== start #${node.starts + 1} at ${new Date().toISOString()} =====\n`);
    const child: ChildProcess = spawn(process.execPath, [CLI_PATH, "start", "--home", node.home], { env: cliEnv({ CIVITAS_PASSPHRASE: PASSPHRASE }), stdio: ["ignore", "pipe", "pipe"] });
    const proc = new Proc(child);
    const sink = log;
    child.stdout?.on("data", (d: string) => sink.write(d));
    child.stderr?.on("data", (d: string) => sink.write(d));
    node.proc = proc;
    node.starts++;
    try {
      await proc.waitFor(/serving http:\/\/\S+/, "stderr", timeoutMs);
    } catch (e) {
      await proc.kill();
      node.state = "killed";
      throw e;
    }
    // The "node started" log line (stdout) carries the head the node reopened its chain at.
    const m = await proc.waitFor(/"height":(\d+)[^\n]*"msg":"node started"/, "stdout", 5_000).catch(() => null);
    node.startHeight = m ? Number(m[1]) : undefined;
    node.state = "up";
    // The output is on disk; keep only a bounded tail in memory.
    const trim = setInterval(() => {
      if (proc.stdout.length > 200_000) proc.stdout = proc.stdout.slice(-50_000);
      if (proc.stderr.length > 200_000) proc.stderr = proc.stderr.slice(-50_000);
    }, 2_000);
    trim.unref();
    void proc.exited.then(() => clearInterval(trim));
  }

  async startAll(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.start(n.index)));
  }

  /**
   * SIGKILL/SIGTERM: sends it and waits for the exit. SIGSTOP/SIGCONT: sends it (the state
   * says which nodes are frozen).
   */
  async kill(i: number, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const node = this.nodes[i];
    const proc = node.proc;
    if (!proc?.running) throw new Error(`${node.name} is not running`);
    if (signal === "SIGSTOP" || signal === "SIGCONT") {
      proc.child.kill(signal);
      node.state = signal === "SIGSTOP" ? "stopped" : "up";
      return;
    }
    if (node.state === "stopped") proc.child.kill("SIGCONT");
    if (signal === "SIGKILL") await proc.kill();
    else await proc.stop(signal);
    node.state = "killed";
  }

  async restart(i: number): Promise<void> {
    if (this.nodes[i].proc?.running) await this.kill(i, "SIGKILL");
    await this.start(i);
  }

  proxy(i: number, j: number): TcpProxy {
    return this.proxies.get(`${i}->${j}`) as TcpProxy;
  }

  /** Cuts both directions between i and j. */
  cutPair(i: number, j: number): void {
    this.proxy(i, j).cut();
    this.proxy(j, i).cut();
  }

  /** Cuts every link between nodes of different groups. */
  partition(groups: number[][]): void {
    const groupOf = new Map<number, number>();
    groups.forEach((g, k) => g.forEach((i) => groupOf.set(i, k)));
    for (const a of this.nodes)
      for (const b of this.nodes) {
        if (a.index < b.index && groupOf.get(a.index) !== groupOf.get(b.index)) this.cutPair(a.index, b.index);
      }
  }

  healAll(): void {
    for (const p of this.proxies.values()) p.heal();
  }

  /** Nodes that answer requests (not killed, not frozen). */
  available(): NetNode[] {
    return this.nodes.filter((n) => n.state === "up");
  }

  /** The last `chars` characters of each node's log, for failure messages. */
  logTails(chars = 3_000): string {
    return this.nodes
      .map((n) => {
        let text = "";
        try {
          text = readFileSync(n.logFile, "utf8");
        } catch {
          // no log yet
        }
        return `----- ${n.name} (${n.state}, started ${n.starts}x) ${n.logFile} -----\n${text.slice(-chars)}`;
      })
      .join("\n");
  }

  /** Stops every process (SIGCONT first for frozen ones, then SIGKILL), closes the proxies and removes the folder unless `keep`. */
  async stopAll(o: { keep?: boolean } = {}): Promise<void> {
    await Promise.all(
      this.nodes.map(async (n) => {
        if (!n.proc?.running) return;
        if (n.state === "stopped") n.proc.child.kill("SIGCONT");
        await n.proc.kill();
        n.state = "killed";
      }),
    );
    for (const p of this.proxies.values()) await p.close();
    for (const s of this.logs.values()) await new Promise<void>((resolve) => s.end(() => resolve()));
    this.logs.clear();
    if (!o.keep) await rm(this.root, { recursive: true, force: true });
  }
}

async function uniquePorts(n: number): Promise<number[]> {
  const out = new Set<number>();
  while (out.size < n) out.add(await freePort());
  return [...out];
}
