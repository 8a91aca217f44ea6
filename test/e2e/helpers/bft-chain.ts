/**
 * An in-process BFT chain for tests: a `Chain` (genesis `consensus: "bft"`, several validator
 * keys) on a tmp LMDB folder with a real mempool, whose blocks the test proposes with
 * `Chain.propose` and certifies with precommits of the validators it picks (3 of 4, 4 of 4, ...),
 * then commits with `Chain.commit`. `serve()` puts the real HTTP API in front of it (a stub
 * engine: blocks come only from `produce`), on 127.0.0.1 at a random port.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { buildApi } from "../../../src/api/server.js";
import { CommitWaiters } from "../../../src/api/waiters.js";
import type { ConsensusEngine } from "../../../src/consensus/engine.js";
import { getNodeSuite } from "../../../src/crypto/node-suites.js";
import type { CryptoSuite, KeyPair, SuiteId } from "../../../src/crypto/suite.js";
import type { Block, BlockHeader, CommitCertificate } from "../../../src/ledger/block.js";
import { blockHash, voteSigningMessage } from "../../../src/ledger/block.js";
import type { Genesis } from "../../../src/ledger/genesis.js";
import { parseGenesis } from "../../../src/ledger/genesis.js";
import type { SignedTx } from "../../../src/ledger/tx.js";
import { Mempool } from "../../../src/mempool/mempool.js";
import { VerifyPool } from "../../../src/mempool/verify-pool.js";
import { builtinModules } from "../../../src/modules/index.js";
import { Chain } from "../../../src/node/chain.js";
import { NODE_CONFIG_DEFAULTS } from "../../../src/node/config.js";
import type { CallInput } from "../../../src/sdk/wallet.js";
import { Wallet } from "../../../src/sdk/wallet.js";
import { fromHex, toHex } from "../../../src/util/bytes.js";
import { VERSION } from "../../../src/version.js";

export const BFT_SUITE: SuiteId = "ed25519-sha256";
export const BFT_GENESIS_TIME = 1_700_000_000_000;

export interface BftFixture {
  suite: CryptoSuite;
  genesis: Genesis;
  /** The genesis validators' keys, in genesis order. */
  validators: KeyPair[];
  /** wallets[0] is the chain authority; all are funded. */
  wallets: Wallet[];
}

export function makeBftFixture(o: { chainId?: string; validators?: number; power?: number; wallets?: number; funds?: string } = {}): BftFixture {
  const suite = getNodeSuite(BFT_SUITE);
  const validators = Array.from({ length: o.validators ?? 4 }, () => suite.generateKeyPair());
  const wallets = Array.from({ length: o.wallets ?? 3 }, () => Wallet.fromSecretKey(suite.generateKeyPair().secretKey, BFT_SUITE));
  const genesis = parseGenesis({
    chainId: o.chainId ?? "bft-test",
    genesisTime: BFT_GENESIS_TIME,
    cryptoSuite: BFT_SUITE,
    consensus: "bft",
    authority: wallets[0].address,
    validators: validators.map((k, i) => ({ name: `v${i}`, publicKey: toHex(k.publicKey), power: o.power ?? 10 })),
    balances: wallets.map((w) => ({ address: w.address, amount: o.funds ?? "1000000" })),
  });
  return { suite, genesis, validators, wallets };
}

export function addressOf(suite: CryptoSuite, k: KeyPair): Uint8Array {
  return fromHex(suite.address(k.publicKey));
}

/**
 * A commit certificate for `header` signed by `signers` (precommits over voteSigningMessage),
 * vote i at `time + timeStep * (i + 1)` (votes come after the proposal).
 */
export function certificate(suite: CryptoSuite, chainId: string, header: BlockHeader, signers: KeyPair[], o: { round?: number; time?: number; timeStep?: number } = {}): CommitCertificate {
  const hash = blockHash(suite, header);
  const round = o.round ?? 0;
  const base = o.time ?? header.time;
  const step = o.timeStep ?? 10;
  return {
    height: header.height,
    round,
    blockHash: hash,
    signatures: signers.map((k, i) => {
      const validator = addressOf(suite, k);
      const time = base + step * (i + 1);
      const vote = { chain: chainId, type: "precommit" as const, height: header.height, round, blockHash: hash, time, validator };
      return { validator, time, signature: suite.sign(voteSigningMessage(vote), k.secretKey) };
    }),
  };
}

export interface Served {
  url: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

export class BftChainDriver {
  private readonly nonces = new Map<string, number>();
  /** Secret keys by address hex ("0x..."): genesis validators and any added later. */
  private readonly keys = new Map<string, KeyPair>();

  private constructor(
    readonly f: BftFixture,
    readonly dir: string,
    readonly chain: Chain,
    readonly mempool: Mempool,
    private readonly pool: VerifyPool,
  ) {
    for (const k of f.validators) this.addKey(k);
  }

  static async open(f: BftFixture, dir = mkdtempSync(join(tmpdir(), "civitas-bft-"))): Promise<BftChainDriver> {
    const chain = await Chain.open(dir, f.genesis, builtinModules());
    const pool = new VerifyPool(f.genesis.cryptoSuite, 1);
    const g = f.genesis;
    const mempool = new Mempool(
      { chain: g.chainId, maxTxBytes: g.maxTxBytes, maxTxGas: g.maxTxGas, maxTxExpiryMs: g.maxTxExpiryMs, maxPendingPerAccount: 1000, maxPendingTotal: 100_000 },
      { pool, accountNonce: (a) => chain.accountNonce(a), checkSender: (a) => chain.checkSender(a), now: () => Date.now() },
    );
    chain.mempool = mempool;
    chain.pool = pool;
    return new BftChainDriver(f, dir, chain, mempool, pool);
  }

  /** Makes a key available for signing (a validator added to the set later). */
  addKey(k: KeyPair): void {
    this.keys.set(this.f.suite.address(k.publicKey), k);
  }

  /** The keys of the set that signs `height`, in the set's (address) order. */
  signersOf(height: number): KeyPair[] {
    return this.chain.validatorsAt(height).map((v) => {
      const k = this.keys.get("0x" + toHex(v.address));
      if (!k) throw new Error(`no key for validator 0x${toHex(v.address)}`);
      return k;
    });
  }

  /** Signs a transaction from `wallet` with its next (locally tracked) nonce. */
  tx(wallet: Wallet, calls: CallInput[]): SignedTx {
    const nonce = this.nonces.get(wallet.address) ?? this.chain.accountNonce(wallet.address);
    this.nonces.set(wallet.address, nonce + 1);
    return wallet.buildTx({ chain: this.f.genesis.chainId, nonce, calls });
  }

  /** Admits transactions into the mempool; every one must be accepted. Returns their hashes. */
  async submit(txs: SignedTx[]): Promise<string[]> {
    const res = await this.mempool.admit(txs.map((t) => t.bytes));
    return res.map((r, i) => {
      if (!r.ok) throw new Error(`tx ${i} refused: ${r.error.code} ${r.error.message}`);
      return r.hash;
    });
  }

  /**
   * Proposes, certifies and commits the next block. `signers`: how many members of the set
   * (in address order, from `skip` on) sign; default all. The proposer rotates through the set.
   */
  async produce(o: { signers?: number; skip?: number; timeStep?: number } = {}): Promise<Block> {
    const height = this.chain.head().height + 1;
    const set = this.signersOf(height);
    const proposer = addressOf(this.f.suite, set[height % set.length]);
    const p = await this.chain.propose({ height, time: Date.now(), proposer });
    const skip = o.skip ?? 0;
    const signers = set.slice(skip, skip + (o.signers ?? set.length));
    const block: Block = { header: p.header, txs: p.txs, lastCommit: p.lastCommit, commit: certificate(this.f.suite, this.f.genesis.chainId, p.header, signers, { timeStep: o.timeStep }) };
    await this.chain.commit(block);
    return block;
  }

  async produceMany(n: number, o: { signers?: number } = {}): Promise<void> {
    for (let i = 0; i < n; i++) await this.produce(o);
  }

  /** The real API over this chain (stub engine), listening on 127.0.0.1 at a random port. */
  async serve(): Promise<Served> {
    const chain = this.chain;
    const engine: ConsensusEngine = {
      start: async () => undefined,
      stop: async () => undefined,
      notifyTxs: () => undefined,
      status: () => ({ engine: "test-bft", height: chain.head().height + 1, round: 0, lastBlockTime: chain.head().time }),
    };
    const waiters = new CommitWaiters();
    const off = chain.onCommit((b) => waiters.onCommit(b));
    const config = { ...NODE_CONFIG_DEFAULTS, api: { ...NODE_CONFIG_DEFAULTS.api, host: "127.0.0.1", port: 0, rateLimitMax: 0 } };
    const app = await buildApi({ chain, mempool: this.mempool, engine, config, waiters, version: VERSION, startedAt: Date.now() });
    await app.listen({ host: "127.0.0.1", port: 0 });
    const addr = app.server.address();
    if (!addr || typeof addr === "string") throw new Error("no TCP address");
    return {
      url: `http://127.0.0.1:${addr.port}`,
      app,
      close: async () => {
        off();
        waiters.cancelAll();
        await app.close();
      },
    };
  }

  async close(removeDir = true): Promise<void> {
    await this.pool.close();
    await this.chain.close();
    if (removeDir) rmSync(this.dir, { recursive: true, force: true });
  }
}
