/**
 * A real Civitas node for end-to-end tests: a home folder written by `initHome` under the OS temp
 * directory (its own LMDB environment), loaded back with `loadHome` + `loadValidatorKey`, the API
 * on 127.0.0.1 at a random port, and a genesis the test controls. Funded test accounts come with
 * their secret keys so tests can sign arbitrary (also deliberately broken) transactions.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { getNodeSuite } from "../../../src/crypto/node-suites.js";
import { getPortableSuite } from "../../../src/crypto/portable-suites.js";
import type { CryptoSuite, SuiteId } from "../../../src/crypto/suite.js";
import type { Genesis } from "../../../src/ledger/genesis.js";
import type { SignedTx, TxBody } from "../../../src/ledger/tx.js";
import { signTx } from "../../../src/ledger/tx.js";
import type { NodeConfig } from "../../../src/node/config.js";
import { initHome, loadHome, loadValidatorKey } from "../../../src/node/home.js";
import { CivitasNode } from "../../../src/node/node.js";
import { CivitasClient } from "../../../src/sdk/client.js";
import { jsonToArgs } from "../../../src/sdk/json.js";
import type { CallInput } from "../../../src/sdk/wallet.js";
import { Wallet } from "../../../src/sdk/wallet.js";
import { fromHex, toHex } from "../../../src/util/bytes.js";

const PASSPHRASE = "e2e-test-passphrase";

export interface DevNodeOptions {
  chainId?: string;
  cryptoSuite?: SuiteId;
  blockIntervalMs?: number;
  createEmptyBlocks?: boolean;
  maxTxBytes?: number;
  maxBlockTxs?: number;
  maxBlockBytes?: number;
  maxTxGas?: number;
  maxTxExpiryMs?: number;
  api?: Partial<NodeConfig["api"]>;
  mempool?: Partial<NodeConfig["mempool"]>;
  /** Signature-verification worker threads; kept small so several test nodes fit on one machine. */
  verifyWorkers?: number;
  /** Number of funded accounts (the first one is the chain authority). Default 4. */
  accounts?: number;
  /** Genesis balance of every funded account. Default 1_000_000. */
  balance?: bigint;
  /** pino level; "silent" unless CIVITAS_E2E_LOG is set. */
  logLevel?: NodeConfig["logLevel"];
}

export interface TestAccount {
  wallet: Wallet;
  secretKey: Uint8Array;
  address: string;
}

export interface HttpResult {
  status: number;
  headers: Headers;
  // Tests inspect arbitrary JSON answers.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
}

/** A fresh key pair of `suite`, as a test account (unfunded unless listed in genesis). */
export function newAccount(suite: SuiteId = "ed25519-sha256"): TestAccount {
  const { secretKey } = getPortableSuite(suite).generateKeyPair();
  const wallet = Wallet.fromSecretKey(secretKey, suite);
  return { wallet, secretKey, address: wallet.address };
}

export class DevNode {
  node!: CivitasNode;
  client!: CivitasClient;
  private stopped = false;
  private running = false;

  private constructor(
    readonly dir: string,
    readonly genesis: Genesis,
    readonly accounts: TestAccount[],
    readonly suite: CryptoSuite,
    private readonly logLevel: NodeConfig["logLevel"],
  ) {}

  /** The chain authority (also funded). */
  get authority(): TestAccount {
    return this.accounts[0];
  }

  get chainId(): string {
    return this.genesis.chainId;
  }

  get suiteId(): SuiteId {
    return this.genesis.cryptoSuite;
  }

  get url(): string {
    return this.node.url;
  }

  static async start(o: DevNodeOptions = {}): Promise<DevNode> {
    const suiteId = o.cryptoSuite ?? "ed25519-sha256";
    const dir = mkdtempSync(join(tmpdir(), "civitas-e2e-"));
    try {
      const accounts = Array.from({ length: o.accounts ?? 4 }, () => newAccount(suiteId));
      const validatorKey = getNodeSuite(suiteId).generateKeyPair();
      const genesisDoc = {
        chainId: o.chainId ?? "e2e-test",
        genesisTime: Date.now(),
        cryptoSuite: suiteId,
        consensus: "solo",
        blockIntervalMs: o.blockIntervalMs ?? 50,
        createEmptyBlocks: o.createEmptyBlocks ?? false,
        maxBlockTxs: o.maxBlockTxs ?? 20_000,
        ...(o.maxBlockBytes !== undefined ? { maxBlockBytes: o.maxBlockBytes } : {}),
        ...(o.maxTxBytes !== undefined ? { maxTxBytes: o.maxTxBytes } : {}),
        ...(o.maxTxGas !== undefined ? { maxTxGas: o.maxTxGas } : {}),
        ...(o.maxTxExpiryMs !== undefined ? { maxTxExpiryMs: o.maxTxExpiryMs } : {}),
        authority: accounts[0].address,
        validators: [{ name: "validator-0", publicKey: toHex(validatorKey.publicKey), power: 10 }],
        balances: accounts.map((a) => ({ address: a.address, amount: (o.balance ?? 1_000_000n).toString() })),
      };
      const { genesis } = initHome({
        home: dir,
        chainId: genesisDoc.chainId,
        cryptoSuite: suiteId,
        consensus: "solo",
        authority: accounts[0].address,
        balances: genesisDoc.balances,
        genesis: genesisDoc,
        validatorSecretKey: validatorKey.secretKey,
        passphrase: PASSPHRASE,
        scryptN: 1024,
        config: { moniker: "e2e-node", api: { host: "127.0.0.1", port: 0, ...o.api } },
      });
      // initHome writes only moniker and api; the rest of node.json is set here so loadHome
      // parses (and a restart re-reads) exactly what the test asked for.
      const configPath = join(dir, "node.json");
      const config = JSON.parse(readFileSync(configPath, "utf8")) as NodeConfig;
      config.mempool = { ...config.mempool, ...o.mempool };
      config.verifyWorkers = o.verifyWorkers ?? 1;
      writeFileSync(configPath, JSON.stringify(config, null, 2) + "\n");
      const level = o.logLevel ?? ((process.env.CIVITAS_E2E_LOG as NodeConfig["logLevel"] | undefined) || "silent");
      const dev = new DevNode(dir, genesis, accounts, getPortableSuite(suiteId), level);
      await dev.startNode();
      return dev;
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  private async startNode(): Promise<void> {
    const home = loadHome(this.dir);
    const secretKey = loadValidatorKey(home, PASSPHRASE);
    this.node = await CivitasNode.start({
      config: home.config,
      genesis: home.genesis,
      dataPath: home.dataPath,
      // The node's home: its log files, checkpoint log key and (when the home has one) TSA, as `civitas start` gives it.
      home: this.dir,
      secretKey,
      logger: pino({ level: this.logLevel }),
    });
    this.running = true;
    this.client = new CivitasClient(this.node.url, { timeoutMs: 30_000 });
  }

  /** Stops the node and starts it again on the same folder (the API gets a new port). */
  async restart(): Promise<void> {
    if (this.running) await this.node.stop();
    this.running = false;
    await this.startNode();
  }

  /** Stops the node (if running) and deletes its folder. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    try {
      if (this.running) await this.node.stop();
    } finally {
      this.running = false;
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  /** Raw HTTP: `body` is sent as JSON, or verbatim when `raw` is given. Never throws on 4xx/5xx. */
  async http(method: string, path: string, body?: unknown, o: { raw?: string; contentType?: string } = {}): Promise<HttpResult> {
    const hasBody = body !== undefined || o.raw !== undefined;
    const res = await fetch(this.url + path, {
      method,
      headers: hasBody ? { "content-type": o.contentType ?? "application/json" } : {},
      body: o.raw !== undefined ? o.raw : body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  }

  get(path: string): Promise<HttpResult> {
    return this.http("GET", path);
  }

  post(path: string, body: unknown): Promise<HttpResult> {
    return this.http("POST", path, body);
  }

  /** Signs a transaction with full control over the body (defaults: this chain, expiry well inside maxTxExpiryMs). */
  sign(by: TestAccount, o: { nonce: number; calls: CallInput[]; chain?: string; from?: string; expires?: number; gasLimit?: number; memo?: string }): SignedTx {
    const body: TxBody = {
      chain: o.chain ?? this.chainId,
      from: fromHex(o.from ?? by.address),
      nonce: o.nonce,
      expires: o.expires ?? Date.now() + Math.min(10 * 60_000, Math.floor(this.genesis.maxTxExpiryMs / 2)),
      gasLimit: o.gasLimit ?? 1_000_000,
      calls: o.calls.map((c) => ({ module: c.module, method: c.method, args: jsonToArgs(c.args) as TxBody["calls"][number]["args"] })),
      memo: o.memo ?? "",
    };
    return signTx(this.suite, body, by.secretKey);
  }

  /** A token transfer signed by `by`. */
  transfer(by: TestAccount, to: string, amount: bigint | number, nonce: number, extra: { gasLimit?: number; memo?: string } = {}): SignedTx {
    return this.sign(by, { nonce, calls: [{ module: "token", method: "transfer", args: { to, amount: `${amount}n` } }], ...extra });
  }

  async nonceOf(address: string): Promise<number> {
    return (await this.client.getAccount(address)).nonce;
  }

  async balanceOf(address: string, height?: number): Promise<bigint> {
    const r = await this.client.query("token", "balance", { address }, height);
    return BigInt(r.value as string);
  }

  async headHeight(): Promise<number> {
    return (await this.client.health()).height;
  }

  /** Submits one transaction and waits for its receipt. */
  async commit(tx: SignedTx): Promise<Awaited<ReturnType<CivitasClient["waitForTx"]>>> {
    const { hash } = await this.client.submit(tx);
    return this.client.waitForTx(hash, 10_000);
  }
}

export function hexOf(tx: SignedTx | Uint8Array): string {
  return toHex(tx instanceof Uint8Array ? tx : tx.bytes);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
