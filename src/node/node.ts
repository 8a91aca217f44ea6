/**
 * Node assembly: chain + mempool + signature pool + consensus engine + API, started and
 * stopped in dependency order. Stopping drains the engine first so no block is half-built.
 */
import { pino } from "pino";
import type { Logger } from "pino";
import type { FastifyInstance } from "fastify";
import { buildApi } from "../api/server.js";
import { CommitWaiters } from "../api/waiters.js";
import type { ConsensusEngine, ValidatorSigner } from "../consensus/engine.js";
import { realTimers } from "../consensus/engine.js";
import { SoloEngine } from "../consensus/solo.js";
import { Mempool } from "../mempool/mempool.js";
import { VerifyPool } from "../mempool/verify-pool.js";
import { builtinModules } from "../modules/index.js";
import type { Genesis } from "../ledger/genesis.js";
import { toHex } from "../util/bytes.js";
import { CivitasError, ErrorCode } from "../util/errors.js";
import { Chain } from "./chain.js";
import type { NodeConfig } from "./config.js";

export { VERSION } from "../version.js";
import { VERSION } from "../version.js";

export interface NodeOptions {
  config: NodeConfig;
  genesis: Genesis;
  /** Absolute path of the LMDB environment. */
  dataPath: string;
  /** The validator's secret key for the chain's suite. */
  secretKey: Uint8Array;
  logger?: Logger;
}

export class CivitasNode {
  private constructor(
    readonly chain: Chain,
    readonly mempool: Mempool,
    readonly engine: ConsensusEngine,
    readonly api: FastifyInstance,
    private readonly pool: VerifyPool,
    private readonly waiters: CommitWaiters,
    readonly log: Logger,
  ) {}

  static async start(opts: NodeOptions): Promise<CivitasNode> {
    const log = opts.logger ?? pino({ level: opts.config.logLevel, base: { node: opts.config.moniker } });
    const chain = await Chain.open(opts.dataPath, opts.genesis, builtinModules());
    const suite = chain.suite;
    const publicKey = suite.publicKeyFromSecret(opts.secretKey);
    const signer: ValidatorSigner = { address: Buffer.from(suite.address(publicKey).slice(2), "hex"), publicKey, sign: (m) => suite.sign(m, opts.secretKey) };
    if (opts.genesis.consensus !== "solo") {
      await chain.close();
      throw new CivitasError(ErrorCode.CONFIG_INVALID, `consensus engine '${opts.genesis.consensus}' is not available in this build; use 'solo'`);
    }
    const pool = new VerifyPool(opts.genesis.cryptoSuite, opts.config.verifyWorkers || undefined);
    const mempool = new Mempool(
      { chain: opts.genesis.chainId, maxTxBytes: opts.genesis.maxTxBytes, maxTxGas: opts.genesis.maxTxGas, maxTxExpiryMs: opts.genesis.maxTxExpiryMs, ...opts.config.mempool },
      { pool, accountNonce: (a) => chain.accountNonce(a), now: () => Date.now() },
    );
    chain.mempool = mempool;
    chain.pool = pool;
    const engine = new SoloEngine(
      { chain: opts.genesis.chainId, blockIntervalMs: opts.genesis.blockIntervalMs, maxBlockTxs: opts.genesis.maxBlockTxs, createEmptyBlocks: opts.genesis.createEmptyBlocks },
      { app: chain, timers: realTimers, signer, hooks: { onError: (e) => log.error({ err: e }, "block production failed") } },
    );
    const waiters = new CommitWaiters();
    chain.onCommit((b) => {
      waiters.onCommit(b);
      log.debug({ height: b.block.header.height, txs: b.block.txs.length, hash: toHex(b.hash) }, "committed block");
    });
    const api = await buildApi({ chain, mempool, engine, config: opts.config, waiters, version: VERSION, startedAt: Date.now() }, log);
    await engine.start();
    await api.listen({ host: opts.config.api.host, port: opts.config.api.port });
    log.info({ chain: opts.genesis.chainId, height: chain.head().height, api: CivitasNode.urlOf(api) }, "node started");
    return new CivitasNode(chain, mempool, engine, api, pool, waiters, log);
  }

  static urlOf(api: FastifyInstance): string {
    const a = api.server.address();
    if (a && typeof a === "object") return `http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`;
    return String(a);
  }

  get url(): string {
    return CivitasNode.urlOf(this.api);
  }

  async stop(): Promise<void> {
    await this.engine.stop();
    this.waiters.cancelAll();
    const closed = this.api.close();
    // A request still in flight when close began leaves a keep-alive connection that would hold
    // close() open until keepAliveTimeout (72 s): close each one as soon as it goes idle.
    const sweep = setInterval(() => this.api.server.closeIdleConnections(), 25);
    try {
      await closed;
    } finally {
      clearInterval(sweep);
    }
    await this.pool.close();
    await this.chain.close();
    this.log.info("node stopped");
  }
}
