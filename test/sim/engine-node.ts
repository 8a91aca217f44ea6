/**
 * The simulator's second node model: the production BftEngine (WAL, block sync, gossip, relay,
 * penalties) over a real Chain (LMDB files, real execution of real signed transactions), with
 * the simulator's virtual clock and network. Only the transport is simulated: consensus
 * messages cross the simulated network as structured proposals and votes (so the simulator's
 * Byzantine behaviours and double-sign detector apply to them), everything else as wire bytes.
 *
 * Each simulator event is followed by `settle()`: the run waits for the LMDB and worker-thread
 * work the event started before virtual time moves on, so a seed still replays exactly.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { BftEngine } from "../../src/consensus/bft/engine.js";
import type { SignedRecordStore, WalItem } from "../../src/consensus/bft/wal.js";
import type { SignedRecord } from "../../src/consensus/bft/state-machine.js";
import { decodeWire, encodeWire } from "../../src/consensus/bft/wire.js";
import type { Timers } from "../../src/consensus/engine.js";
import { blockHash, decodeBlock, decodeBlockBody, encodeBlockBody } from "../../src/ledger/block.js";
import type { Genesis } from "../../src/ledger/genesis.js";
import { parseGenesis } from "../../src/ledger/genesis.js";
import { txHash, txHashOfWire } from "../../src/ledger/tx.js";
import { Mempool } from "../../src/mempool/mempool.js";
import type { VerifyPool } from "../../src/mempool/verify-pool.js";
import { builtinModules } from "../../src/modules/index.js";
import { Chain } from "../../src/node/chain.js";
import { Wallet } from "../../src/sdk/wallet.js";
import { toHex, utf8 } from "../../src/util/bytes.js";
import type { Key, NodeFactory, SimMessage, SimNodeBehaviour, SimNodeContext, SimOptions } from "./simulator.js";
import { CHAIN, SIM_TIMEOUTS, suite } from "./simulator.js";

/** Virtual time 0 is this wall-clock instant (block times, vote times and tx expiry use it). */
export const SIM_EPOCH = 1_750_000_000_000;
const TX_EXPIRY_MS = 3_600_000;

/** What all engine nodes of one simulation share: the genesis, a data folder, a verify pool. */
export interface EngineWorld {
  root: string;
  genesis: Genesis;
  pool: VerifyPool;
  /** Transaction hash (hex) -> the simulator's name for it. */
  txNames: Map<string, string>;
}

export function engineGenesis(keys: Key[]): Genesis {
  return parseGenesis({
    chainId: CHAIN,
    genesisTime: SIM_EPOCH,
    consensus: "bft",
    authority: Wallet.fromSecretKey(suite.hash(utf8("sim-authority"))).address,
    validators: keys.map((k, i) => ({ name: `v${i}`, publicKey: toHex(k.validator.publicKey), power: k.validator.power })),
    balances: [],
  });
}

/** The real transaction behind a simulator tx name: a kv namespace created by a one-off account. */
export function simTx(name: string): { bytes: Uint8Array; hashHex: string } {
  const w = Wallet.fromSecretKey(suite.hash(utf8(`sim-tx/${name}`)));
  const tx = w.buildTx({ chain: CHAIN, nonce: 0, expires: SIM_EPOCH + TX_EXPIRY_MS, calls: [{ module: "kv", method: "createNamespace", args: { namespace: name } }] });
  return { bytes: tx.bytes, hashHex: toHex(txHash(suite, tx)) };
}

/** The id the engine gives a value: the block header hash, or the bytes' hash if they do not decode. */
export function engineValueId(value: Uint8Array): Uint8Array {
  try {
    return blockHash(suite, decodeBlockBody(value).header);
  } catch {
    return suite.hash(value);
  }
}

/** Options that make a scenario run on engine nodes. */
export function engineOptions(world: EngineWorld, o: SimOptions): SimOptions {
  return { ...o, createNode: engineNode(world), valueIdOf: engineValueId, stateModel: "reported" };
}

export function engineNode(world: EngineWorld): NodeFactory {
  return (ctx) => new EngineNode(ctx, world);
}

const WAL_KEY = "engine-wal";

/** The WAL on simulated storage: `append` syncs before it returns, as FileWal fsyncs. */
class SimWal implements SignedRecordStore {
  constructor(private readonly ctx: SimNodeContext) {}
  private items(): WalItem[] {
    return this.ctx.storage.get<WalItem[]>(WAL_KEY) ?? [];
  }
  load(): SignedRecord {
    const rec: SignedRecord = { votes: [], proposals: [], polkas: [] };
    for (const i of this.items()) {
      if (i.kind === "vote") rec.votes.push(i.vote);
      else if (i.kind === "proposal") rec.proposals.push({ proposal: i.proposal, value: i.value });
      else rec.polkas?.push(i.polka);
    }
    return rec;
  }
  append(items: WalItem[]): void {
    this.ctx.storage.put(WAL_KEY, [...this.items(), ...items]);
    this.ctx.storage.sync([WAL_KEY]);
  }
  prune(height: number): void {
    const h = (i: WalItem): number => (i.kind === "vote" ? i.vote.vote.height : i.kind === "proposal" ? i.proposal.proposal.height : i.polka.proposal.proposal.height);
    this.ctx.storage.put(WAL_KEY, this.items().filter((i) => h(i) >= height));
    this.ctx.storage.sync([WAL_KEY]);
  }
  close(): void {}
}

class EngineNode implements SimNodeBehaviour {
  private chain: Chain | undefined;
  private engine: BftEngine | undefined;
  private work: Promise<unknown>[] = [];
  private dead = false;
  private readonly dir: string;

  constructor(
    private readonly ctx: SimNodeContext,
    private readonly world: EngineWorld,
  ) {
    this.dir = join(world.root, `p${ctx.index}`);
  }

  start(): void {
    this.track(this.boot());
  }

  private async boot(): Promise<void> {
    const { ctx, world } = this;
    mkdirSync(this.dir, { recursive: true });
    const chain = await Chain.open(join(this.dir, "data"), world.genesis, builtinModules());
    const g = world.genesis;
    chain.mempool = new Mempool(
      { chain: g.chainId, maxTxBytes: g.maxTxBytes, maxTxGas: g.maxTxGas, maxTxExpiryMs: g.maxTxExpiryMs, maxPendingPerAccount: 64, maxPendingTotal: 10_000 },
      { pool: world.pool, accountNonce: (a) => chain.accountNonce(a), now: () => SIM_EPOCH + ctx.now() },
    );
    this.chain = chain;
    const timers: Timers = {
      now: () => SIM_EPOCH + ctx.now(),
      setTimeout: (fn, ms) => {
        const handle = { cancelled: false };
        ctx.setTimer(Math.max(1, Math.ceil(ms)), () => {
          if (!handle.cancelled && !this.dead) fn();
        });
        return handle;
      },
      clearTimeout: (h) => void ((h as { cancelled: boolean }).cancelled = true),
    };
    const gossip = ctx.options.gossipMs ?? 150;
    this.engine = new BftEngine(
      { chain: CHAIN, timeouts: ctx.options.timeouts ?? SIM_TIMEOUTS, blockIntervalMs: ctx.options.commitDelayMs ?? 150, createEmptyBlocks: true, gossipMs: gossip, statusMs: gossip, syncAfterMs: 2 * gossip },
      {
        app: chain,
        timers,
        network: {
          broadcast: (payload) => this.out(undefined, payload),
          send: (peer, payload) => {
            this.out(Number(peer), payload);
            return true;
          },
          penalize: () => undefined,
        },
        suite,
        signer: ctx.key.signer,
        wal: new SimWal(ctx),
        hooks: {
          onCommitted: (h) => this.report(h),
          onError: (e, what) => {
            throw new Error(`seed=${ctx.options.seed} process ${ctx.index} ${what}: ${(e as Error).stack ?? String(e)}`);
          },
        },
      },
    );
    await this.engine.start();
    // Links come up with the process: peers learn its height, it learns theirs.
    for (let j = 0; j < ctx.processes; j++) if (j !== ctx.index) this.engine.onPeerUp(String(j));
  }

  /** Consensus messages go as structured messages (Byzantine transforms apply), the rest as bytes. */
  private out(to: number | undefined, payload: Uint8Array): void {
    if (this.dead) return;
    const m = decodeWire(payload);
    const msg: SimMessage = m.t === "proposal" ? { kind: "proposal", proposal: m.proposal, value: m.value } : m.t === "vote" ? { kind: "vote", vote: m.vote } : { kind: "wire", bytes: payload };
    if (to === undefined) this.ctx.broadcast(msg);
    else this.ctx.send(to, msg);
  }

  private report(height: number): void {
    const chain = this.chain as Chain;
    const block = decodeBlock(chain.blockBytes(height) as Uint8Array);
    const txs: string[] = [];
    for (const raw of block.txs) {
      const name = this.world.txNames.get(toHex(txHashOfWire(suite, raw)));
      if (name) txs.push(name);
    }
    this.ctx.reportCommit({
      height,
      value: encodeBlockBody({ header: block.header, txs: block.txs, lastCommit: block.lastCommit }),
      certificate: block.commit,
      stateCommitment: toHex(block.header.stateRoot),
      txs,
    });
  }

  onMessage(from: number, msg: SimMessage): void {
    const engine = this.engine;
    if (!engine || this.dead) return;
    switch (msg.kind) {
      case "proposal":
        engine.onMessage(String(from), encodeWire({ t: "proposal", proposal: msg.proposal, value: msg.value }));
        return;
      case "vote":
        engine.onMessage(String(from), encodeWire({ t: "vote", vote: msg.vote }));
        return;
      case "wire":
        engine.onMessage(String(from), msg.bytes);
        return;
      case "tx":
        this.admit(msg.tx, false);
        return;
      case "status":
        return;
    }
  }

  onClientTx(tx: string): void {
    this.admit(tx, true);
  }

  private admit(name: string, gossip: boolean): void {
    const { bytes, hashHex } = simTx(name);
    this.world.txNames.set(hashHex, name);
    const chain = this.chain;
    if (!chain?.mempool || this.dead) return;
    this.track(
      chain.mempool.admit([bytes], gossip ? "client" : "peer").then((r) => {
        if (r[0].ok) this.engine?.notifyTxs();
      }),
    );
    if (gossip) this.ctx.broadcast({ kind: "tx", tx: name });
  }

  onTick(): void {
    // The engine keeps its own status and gossip timers.
  }

  async settle(): Promise<void> {
    for (;;) {
      const w = this.work;
      this.work = [];
      await Promise.all(w);
      if (this.engine) await this.engine.idle();
      if (this.work.length === 0) return;
    }
  }

  async crash(): Promise<void> {
    this.dead = true;
    await this.settle();
    await this.engine?.stop();
    await this.chain?.close();
  }

  private track(p: Promise<unknown>): void {
    this.work.push(p);
  }
}

export function removeWorld(world: EngineWorld): void {
  rmSync(world.root, { recursive: true, force: true });
}
