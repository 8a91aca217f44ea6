/**
 * Node assembly: chain + mempool + signature pool + consensus engine (+ p2p network for BFT
 * chains) + API, started and stopped in dependency order. Stopping drains the engine first so
 * no block is half-built.
 */
import { resolve } from "node:path";
import type { Logger } from "pino";
import type { FastifyInstance } from "fastify";
import { createApiAccess } from "../api/auth.js";
import { buildApi } from "../api/server.js";
import { CommitWaiters } from "../api/waiters.js";
import type { ConsensusEngine, ValidatorSigner } from "../consensus/engine.js";
import { realTimers } from "../consensus/engine.js";
import { SoloEngine } from "../consensus/solo.js";
import { BftEngine } from "../consensus/bft/engine.js";
import { FileWal } from "../consensus/bft/wal.js";
import type { SignedVote } from "../consensus/bft/messages.js";
import { encodeSignedVote } from "../ledger/block.js";
import { Mempool } from "../mempool/mempool.js";
import { VerifyPool } from "../mempool/verify-pool.js";
import { builtinModules } from "../modules/index.js";
import type { Genesis } from "../ledger/genesis.js";
import { genesisHash } from "../ledger/genesis.js";
import { signTx } from "../ledger/tx.js";
import { P2PNode, readNodeTls } from "../p2p/index.js";
import { fromHex, toHex } from "../util/bytes.js";
import { CivitasError, ErrorCode, isCivitasError } from "../util/errors.js";
import { loadTsa } from "../proof/tsa/home.js";
import { DEFAULT_CHECKPOINT_EVERY_BLOCKS, loadOrCreateLogKey } from "../proof/checkpoint/home.js";
import { Chain } from "./chain.js";
import type { NodeConfig } from "./config.js";
import { TxGossip } from "./tx-gossip.js";
import { createLogging } from "./logging.js";
import type { NodeLogging } from "./logging.js";
import { NodeMonitoring } from "./metrics/monitoring.js";
import { enforceHardwareProfile } from "./network-spec/hardware.js";

export { VERSION } from "../version.js";
import { VERSION } from "../version.js";
import { IDENTITY_MODULE, nodeCertRefusal } from "../modules/identity/index.js";

export interface NodeOptions {
  config: NodeConfig;
  genesis: Genesis;
  /** Absolute path of the LMDB environment. */
  dataPath: string;
  /** The node's home folder: TLS files and the consensus WAL are found from it (BFT chains). */
  home?: string;
  /** The validator's secret key for the chain's suite (absent on a full node). */
  secretKey?: Uint8Array;
  logger?: Logger;
}

/** p2p payloads start with a channel byte so consensus and transaction gossip share one connection. */
const CHANNEL = { consensus: 1, txs: 2 } as const;

function onChannel(ch: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + 1);
  out[0] = ch;
  out.set(payload, 1);
  return out;
}

interface Parts {
  chain: Chain;
  mempool: Mempool;
  engine: ConsensusEngine;
  pool: VerifyPool;
  p2p?: P2PNode;
  wal?: FileWal;
  gossip?: TxGossip;
  monitoring?: NodeMonitoring;
  logging?: NodeLogging;
}

export class CivitasNode {
  private constructor(
    private readonly parts: Parts,
    readonly api: FastifyInstance,
    private readonly waiters: CommitWaiters,
    readonly log: Logger,
  ) {}

  get chain(): Chain {
    return this.parts.chain;
  }
  get mempool(): Mempool {
    return this.parts.mempool;
  }
  get engine(): ConsensusEngine {
    return this.parts.engine;
  }
  get p2p(): P2PNode | undefined {
    return this.parts.p2p;
  }

  static async start(opts: NodeOptions): Promise<CivitasNode> {
    // Node, host and system logs (files in the home's logDir, rotated; a ring for GET /v1/logs).
    // A caller's own logger (tests) replaces the node log's output.
    const c = opts.config;
    const logging = await createLogging({ level: c.logLevel, moniker: c.moniker, dir: opts.home && c.logDir ? resolve(opts.home, c.logDir) : undefined, maxFileBytes: c.logMaxFileBytes, maxFiles: c.logMaxFiles, ringSize: 2_000, stdout: !opts.logger });
    const log = opts.logger ?? logging.node;
    const chain = await Chain.open(opts.dataPath, opts.genesis, builtinModules(opts.genesis)).catch(async (e: unknown) => {
      await logging.close();
      throw e;
    });
    const closers: Array<() => Promise<void> | void> = [() => chain.close(), () => logging.close()];
    try {
      enforceHardwareProfile(chain, { dataPath: opts.dataPath, resources: opts.config.resources, log });
      const parts = await CivitasNode.assemble(opts, chain, log, closers);
      const waiters = new CommitWaiters();
      chain.onCommit((b) => {
        waiters.onCommit(b);
        log.debug({ height: b.block.header.height, txs: b.block.txs.length, hash: toHex(b.hash) }, "committed block");
      });
      const network = parts.p2p ? CivitasNode.networkStatus(parts) : undefined;
      // The node's RFC 3161 TSA (home/tsa, issued by the network CA); homes made before it have none.
      const tsa = opts.home ? await loadTsa(resolve(opts.home)) : undefined;
      const proofLog = opts.home ? { signer: loadOrCreateLogKey(resolve(opts.home), opts.genesis.chainId), everyBlocks: DEFAULT_CHECKPOINT_EVERY_BLOCKS } : undefined;
      const monitoring = new NodeMonitoring({ config: c, chain, mempool: parts.mempool, engine: parts.engine, p2p: parts.p2p, dataPath: opts.dataPath, home: opts.home, tsaCertPem: tsa?.authority.certPem, logging });
      monitoring.start();
      closers.unshift(() => monitoring.stop());
      Object.assign(parts, { monitoring, logging });
      const api = await buildApi({ chain, mempool: parts.mempool, engine: parts.engine, config: opts.config, waiters, version: VERSION, startedAt: Date.now(), network, access: createApiAccess(chain, { maxValidityMs: opts.config.api.authMaxValidityMs, clockSkewMs: opts.config.api.authClockSkewMs, replayCacheSize: opts.config.api.authReplayCacheSize }), tsa, proofLog, monitoring, home: opts.home ? resolve(opts.home) : undefined }, log);
      closers.unshift(() => api.close());
      await parts.engine.start();
      closers.unshift(() => parts.engine.stop());
      await api.listen({ host: opts.config.api.host, port: opts.config.api.port });
      log.info({ chain: opts.genesis.chainId, height: chain.head().height, api: CivitasNode.urlOf(api), p2p: parts.p2p ? `${parts.p2p.address().host}:${parts.p2p.address().port}` : undefined }, "node started");
      return new CivitasNode(parts, api, waiters, log);
    } catch (e) {
      for (const c of closers) await Promise.resolve(c()).catch(() => undefined);
      throw e;
    }
  }

  private static async assemble(opts: NodeOptions, chain: Chain, log: Logger, closers: Array<() => Promise<void> | void>): Promise<Parts> {
    const g = opts.genesis;
    const suite = chain.suite;
    const signer: ValidatorSigner | undefined = opts.secretKey
      ? (() => {
          const sk = opts.secretKey;
          const publicKey = suite.publicKeyFromSecret(sk);
          return { address: fromHex(suite.address(publicKey)), publicKey, sign: (m: Uint8Array) => suite.sign(m, sk) };
        })()
      : undefined;
    const pool = new VerifyPool(g.cryptoSuite, opts.config.verifyWorkers || undefined, g.moduleParams);
    closers.unshift(() => pool.close());
    const mempool = new Mempool(
      { chain: g.chainId, maxTxBytes: g.maxTxBytes, maxTxGas: g.maxTxGas, maxTxExpiryMs: g.maxTxExpiryMs, ...opts.config.mempool },
      { pool, accountNonce: (a) => chain.accountNonce(a), checkSender: (a) => chain.checkSender(a), now: () => Date.now() },
    );
    chain.mempool = mempool;
    chain.pool = pool;

    if (g.consensus === "solo") {
      if (!signer) throw new CivitasError(ErrorCode.CONFIG_INVALID, "a solo chain's node must hold the validator key");
      const engine = new SoloEngine(
        { chain: g.chainId, blockIntervalMs: g.blockIntervalMs, maxBlockTxs: g.maxBlockTxs, createEmptyBlocks: g.createEmptyBlocks },
        { app: chain, timers: realTimers, signer, hooks: { onError: repeatedErrorLog(log, "block production failed", 60_000) } },
      );
      return { chain, mempool, engine, pool };
    }

    if (!opts.home) throw new CivitasError(ErrorCode.CONFIG_INVALID, "a BFT node needs its home folder (TLS certificates and consensus WAL)");
    const tlsDir = resolve(opts.home, opts.config.p2p.tlsDir);
    let tls;
    try {
      tls = readNodeTls(tlsDir);
    } catch (e) {
      throw new CivitasError(ErrorCode.CONFIG_INVALID, `cannot read the node's TLS files in ${tlsDir} (ca.crt, node.crt, node.key): ${(e as Error).message}. Create them with 'civitas network create' or 'civitas join'.`);
    }
    const maxFrameBytes = opts.config.p2p.maxFrameBytes || Math.max(32 * 1024 * 1024, 2 * g.maxBlockBytes + (1 << 20));
    const role = opts.config.role === "validator" && signer ? "validator" : "full";
    const p2p = await P2PNode.start({
      listen: { host: opts.config.p2p.host, port: opts.config.p2p.port },
      peers: opts.config.p2p.peers,
      tls,
      hello: { chainId: g.chainId, genesisHash: genesisHash(suite, g), role, version: VERSION },
      maxFrameBytes,
      banMs: opts.config.p2p.banMs,
      // Node certificates revoked on chain (by serial, or by deactivating the node's DID).
      isRevoked: (peer) => nodeCertRefusal((k) => chain.committedState.get(`${IDENTITY_MODULE}/${k}`), peer),
      logger: log.child({ mod: "p2p" }),
    });
    closers.unshift(() => p2p.stop());
    const unsubscribe = chain.onCommit(() => p2p.recheckRevocations());
    closers.unshift(() => void unsubscribe());
    const wal = new FileWal(resolve(opts.home, opts.config.consensus.walFile));
    closers.push(() => wal.close());
    const c = opts.config.consensus;
    let evidenceQueue: Promise<void> = Promise.resolve();
    const engine = new BftEngine(
      {
        chain: g.chainId,
        timeouts: { propose: c.timeoutProposeMs, proposeDelta: c.timeoutProposeDeltaMs, prevote: c.timeoutPrevoteMs, prevoteDelta: c.timeoutPrevoteDeltaMs, precommit: c.timeoutPrecommitMs, precommitDelta: c.timeoutPrecommitDeltaMs },
        blockIntervalMs: g.blockIntervalMs,
        createEmptyBlocks: g.createEmptyBlocks,
        gossipMs: c.gossipMs,
        statusMs: c.statusMs,
        maxSyncBytes: Math.floor(maxFrameBytes / 2),
      },
      {
        app: chain,
        timers: realTimers,
        suite,
        signer: role === "validator" ? signer : undefined,
        wal,
        network: {
          broadcast: (p) => p2p.broadcast(onChannel(CHANNEL.consensus, p)),
          send: (peer, p) => p2p.send(peer, onChannel(CHANNEL.consensus, p)),
          penalize: (peer, points, reason) => p2p.penalize(peer, points, reason),
        },
        hooks: {
          onError: (e, what) => log.error({ err: e }, `consensus ${what} failed`),
          log: (level, msg, data) => log[level](data ?? {}, msg),
          // One at a time: each evidence transaction takes its nonce from the pending count,
          // which only counts the previous one once its admission has finished.
          onEvidence: (first, second) => {
            evidenceQueue = evidenceQueue.then(() => CivitasNode.reportEvidence(chain, mempool, opts.secretKey, first, second, log));
          },
          onCommitted: (height, via) => via === "sync" && log.info({ height }, "block synced from a peer"),
        },
      },
    );
    const gossip = new TxGossip(mempool, { broadcast: (p) => p2p.broadcast(onChannel(CHANNEL.txs, p)), penalize: (peer, pts, r) => p2p.penalize(peer, pts, r) }, { flushMs: 5, maxBytes: Math.floor(maxFrameBytes / 2) });
    closers.unshift(() => gossip.stop());
    p2p.onMessage((peer, payload) => {
      const ch = payload[0];
      const body = payload.subarray(1);
      if (ch === CHANNEL.consensus) engine.onMessage(peer, body);
      else if (ch === CHANNEL.txs) void gossip.onMessage(peer, body).then(() => engine.notifyTxs());
      else p2p.penalize(peer, 50, `unknown channel ${ch}`);
    });
    p2p.onPeer((peer, ev) => (ev === "up" ? engine.onPeerUp(peer) : engine.onPeerDown(peer)));
    return { chain, mempool, engine, pool, p2p, wal, gossip };
  }

  private static networkStatus(parts: Parts): () => Record<string, unknown> {
    return () => {
      const p2p = parts.p2p as P2PNode;
      const a = p2p.address();
      return { nodeId: p2p.nodeId, listen: `${a.host}:${a.port}`, peers: p2p.peers(), ...p2p.stats(), txGossip: parts.gossip?.stats };
    };
  }

  /** Equivocation evidence goes on chain as a transaction signed by this validator. */
  private static async reportEvidence(chain: Chain, mempool: Mempool, secretKey: Uint8Array | undefined, first: SignedVote, second: SignedVote, log: Logger): Promise<void> {
    if (!secretKey) return;
    const suite = chain.suite;
    const from = suite.address(suite.publicKeyFromSecret(secretKey));
    try {
      const tx = signTx(
        suite,
        {
          chain: chain.genesis.chainId,
          from: fromHex(from),
          nonce: chain.accountNonce(from) + mempool.pendingCount(from),
          expires: Date.now() + 10 * 60_000,
          gasLimit: 1_000_000,
          calls: [{ module: "validators", method: "reportEvidence", args: { first: encodeSignedVote(first), second: encodeSignedVote(second) } }],
          memo: "",
        },
        secretKey,
      );
      const [r] = await mempool.admit([tx.bytes]);
      if (r.ok) log.warn({ tx: r.hash, validator: "0x" + toHex(first.vote.validator) }, "submitted equivocation evidence");
      else log.warn({ code: r.error.code, message: r.error.message }, "evidence transaction refused");
    } catch (e) {
      log.error({ err: isCivitasError(e) ? e.toJSON() : e }, "could not submit evidence");
    }
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
    this.parts.monitoring?.stop();
    await this.parts.engine.stop();
    this.parts.gossip?.stop();
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
    await this.parts.p2p?.stop();
    await this.parts.pool.close();
    this.parts.wal?.close();
    await this.parts.chain.close();
    this.log.info("node stopped");
    await this.parts.logging?.close();
  }
}

/**
 * A log for an error that may repeat every block interval (e.g. commits refused while the
 * storage limit is exceeded): the first occurrence of a message in full, then one summary per
 * `everyMs` while the same message keeps coming, instead of a line per attempt.
 */
function repeatedErrorLog(log: Logger, msg: string, everyMs: number): (e: unknown) => void {
  let last = "";
  let since = 0;
  let suppressed = 0;
  return (e) => {
    const text = e instanceof Error ? e.message : String(e);
    const now = Date.now();
    if (text !== last) {
      last = text;
      since = now;
      suppressed = 0;
      log.error({ err: isCivitasError(e) ? e.toJSON() : e }, msg);
      return;
    }
    suppressed++;
    if (now - since >= everyMs) {
      log.error({ err: text, repeats: suppressed, forMs: now - since }, `${msg} (still failing)`);
      since = now;
      suppressed = 0;
    }
  };
}
