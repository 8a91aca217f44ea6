/**
 * In-process chain driver for tests: a `Chain` on a tmp LMDB folder with a real mempool and
 * signature pool, whose blocks are proposed and certified by the test itself at block times it
 * chooses (no timers, no API). Also a sample workload of transfers, mints, failures and kv
 * writes spread over several blocks.
 */
import { getNodeSuite } from "../../../src/crypto/node-suites.js";
import type { CryptoSuite, SuiteId } from "../../../src/crypto/suite.js";
import type { Block, BlockHeader, CommitCertificate } from "../../../src/ledger/block.js";
import { blockHash, voteSigningMessage } from "../../../src/ledger/block.js";
import type { Genesis } from "../../../src/ledger/genesis.js";
import { parseGenesis } from "../../../src/ledger/genesis.js";
import type { SignedTx } from "../../../src/ledger/tx.js";
import { Mempool } from "../../../src/mempool/mempool.js";
import { VerifyPool } from "../../../src/mempool/verify-pool.js";
import { builtinModules } from "../../../src/modules/index.js";
import { Chain } from "../../../src/node/chain.js";
import type { CallInput } from "../../../src/sdk/wallet.js";
import { Wallet } from "../../../src/sdk/wallet.js";
import { fromHex, toHex } from "../../../src/util/bytes.js";

export const SUITE_ID: SuiteId = "ed25519-sha256";
export const GENESIS_TIME = 1_700_000_000_000;

export interface Fixture {
  suite: CryptoSuite;
  genesis: Genesis;
  validatorSecret: Uint8Array;
  /** wallets[0] is the chain authority; all are funded. */
  wallets: Wallet[];
}

export function makeFixture(o: { chainId?: string; wallets?: number; funds?: string; tsaRoots?: string[]; moduleParams?: Record<string, Record<string, number>> } = {}): Fixture {
  const suite = getNodeSuite(SUITE_ID);
  const validator = suite.generateKeyPair();
  const wallets = Array.from({ length: o.wallets ?? 3 }, () => Wallet.fromSecretKey(suite.generateKeyPair().secretKey, SUITE_ID));
  const genesis = parseGenesis({
    chainId: o.chainId ?? "test-chain",
    genesisTime: GENESIS_TIME,
    cryptoSuite: SUITE_ID,
    consensus: "solo",
    authority: wallets[0].address,
    validators: [{ name: "v0", publicKey: toHex(validator.publicKey), power: 10 }],
    balances: wallets.map((w) => ({ address: w.address, amount: o.funds ?? "1000000" })),
    ...(o.tsaRoots ? { tsaRoots: o.tsaRoots } : {}),
    ...(o.moduleParams ? { moduleParams: o.moduleParams } : {}),
  });
  return { suite, genesis, validatorSecret: validator.secretKey, wallets };
}

/** A commit certificate by the (single) validator for `header`: a block that passes verifyCommit. */
export function certify(f: Fixture, header: BlockHeader, txs: Uint8Array[], lastCommit: CommitCertificate | null): Block {
  const hash = blockHash(f.suite, header);
  const validator = fromHex(f.suite.address(f.suite.publicKeyFromSecret(f.validatorSecret)));
  const time = header.time;
  const vote = { chain: f.genesis.chainId, type: "precommit" as const, height: header.height, round: 0, blockHash: hash, time, validator };
  return { header, txs, lastCommit, commit: { height: header.height, round: 0, blockHash: hash, signatures: [{ validator, time, signature: f.suite.sign(voteSigningMessage(vote), f.validatorSecret) }] } };
}

export class ChainDriver {
  private readonly nonces = new Map<string, number>();
  /**
   * Admission runs the transaction guards' sender checks (frozen accounts), as a node does.
   * Tests of the executor's own check turn it off to model a transaction admitted earlier.
   */
  admissionGuard = true;

  private constructor(
    readonly f: Fixture,
    readonly chain: Chain,
    readonly mempool: Mempool,
    private readonly pool: VerifyPool,
  ) {}

  static async open(dir: string, f: Fixture): Promise<ChainDriver> {
    const chain = await Chain.open(dir, f.genesis, builtinModules());
    const pool = new VerifyPool(f.genesis.cryptoSuite, 1);
    const g = f.genesis;
    const mempool = new Mempool(
      { chain: g.chainId, maxTxBytes: g.maxTxBytes, maxTxGas: g.maxTxGas, maxTxExpiryMs: g.maxTxExpiryMs, maxPendingPerAccount: 1000, maxPendingTotal: 100_000 },
      { pool, accountNonce: (a) => chain.accountNonce(a), checkSender: (a) => driver.admissionGuard && chain.checkSender(a), now: () => Date.now() },
    );
    chain.mempool = mempool;
    chain.pool = pool;
    const driver = new ChainDriver(f, chain, mempool, pool);
    return driver;
  }

  /** Signs a transaction from `wallet` with its next (locally tracked) nonce. */
  tx(wallet: Wallet, calls: CallInput[]): SignedTx {
    const nonce = this.nonces.get(wallet.address) ?? this.chain.accountNonce(wallet.address);
    this.nonces.set(wallet.address, nonce + 1);
    return wallet.buildTx({ chain: this.f.genesis.chainId, nonce, calls });
  }

  /** Admits raw transactions into the mempool; every one must be accepted. */
  async submit(txs: Array<SignedTx | Uint8Array>): Promise<string[]> {
    const res = await this.mempool.admit(txs.map((t) => (t instanceof Uint8Array ? t : t.bytes)));
    return res.map((r, i) => {
      if (!r.ok) throw new Error(`tx ${i} refused: ${r.error.code} ${r.error.message}`);
      return r.hash;
    });
  }

  /** Proposes, certifies and commits the next block at `time` (default: head time + 1000). */
  async produce(time?: number): Promise<Block> {
    const head = this.chain.head();
    const t = time ?? head.time + 1000;
    const proposer = fromHex(this.f.suite.address(this.f.suite.publicKeyFromSecret(this.f.validatorSecret)));
    const p = await this.chain.propose({ height: head.height + 1, time: t, proposer });
    const block = certify(this.f, p.header, p.txs, p.lastCommit);
    await this.chain.commit(block);
    return block;
  }

  async close(): Promise<void> {
    await this.pool.close();
    await this.chain.close();
  }
}

const transfer = (to: Wallet, amount: number): CallInput => ({ module: "token", method: "transfer", args: { to: to.address, amount: `${amount}n` } });
const kv = (method: string, args: Record<string, unknown>): CallInput => ({ module: "kv", method, args });

/**
 * Six blocks of mixed work (with one empty block) on a fixture with at least 3 wallets:
 * transfers, a mint by the authority, kv namespace/puts/delete, and transactions that fail
 * (overspend, unauthorised kv write) but are still included. Returns the transactions per block.
 */
export async function sampleWorkload(d: ChainDriver, blockTime?: (height: number) => number): Promise<{ blocks: Block[]; txCount: number; failed: number }> {
  const [a, b, c] = d.f.wallets;
  const plan: SignedTx[][] = [
    [d.tx(a, [transfer(b, 1000)]), d.tx(b, [transfer(c, 250)]), d.tx(a, [kv("createNamespace", { namespace: "acme" })])],
    [d.tx(a, [kv("put", { namespace: "acme", key: "k1", value: "one" })]), d.tx(a, [kv("put", { namespace: "acme", key: "k2", value: "two" })]), d.tx(c, [transfer(a, 5)]), d.tx(a, [{ module: "token", method: "mint", args: { to: c.address, amount: "77n" } }])],
    [d.tx(b, [transfer(c, 999_999_999)]), d.tx(b, [kv("put", { namespace: "acme", key: "k3", value: "nope" })]), d.tx(a, [kv("delete", { namespace: "acme", key: "k1" })])],
    [],
    [d.tx(c, [transfer(b, 1), transfer(a, 2)]), d.tx(b, [kv("createNamespace", { namespace: "bravo" }), kv("put", { namespace: "bravo", key: "x", value: "y" })])],
    [d.tx(a, [transfer(c, 3)]), d.tx(b, [transfer(a, 4)]), d.tx(c, [transfer(b, 5)])],
  ];
  const blocks: Block[] = [];
  let txCount = 0;
  for (const txs of plan) {
    if (txs.length) await d.submit(txs);
    const h = d.chain.head().height + 1;
    const block = await d.produce(blockTime?.(h));
    if (block.txs.length !== txs.length) throw new Error(`block ${h} holds ${block.txs.length} of ${txs.length} transactions`);
    blocks.push(block);
    txCount += txs.length;
  }
  return { blocks, txCount, failed: 2 };
}
