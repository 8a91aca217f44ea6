/**
 * The `bft` engine: drives the pure BftCore with real (or simulated) time, network, WAL and the
 * application. One core per height, built from that height's validator set, so set changes
 * take effect exactly where the chain says.
 *
 * Order of effects matters for safety: a step's signed votes and proposals are appended to the
 * WAL (fsync) before any of its messages are sent. Everything that touches the application
 * (propose, validate, commit, sync) runs on one queue, so the chain never sees two writers.
 */
import type { CryptoSuite } from "../../crypto/suite.js";
import type { Block, BlockBody, CommitCertificate } from "../../ledger/block.js";
import { blockHash, decodeBlock, decodeBlockBody, encodeBlockBody } from "../../ledger/block.js";
import { toHex } from "../../util/bytes.js";
import type { Application, ConsensusEngine, EngineStatus, Timers, ValidatorSigner } from "../engine.js";
import type { BftAction, BftEvent, SignedVote } from "./messages.js";
import { BftCore, DEFAULT_TIMEOUTS, MAX_HEIGHTS_AHEAD } from "./state-machine.js";
import type { TimeoutConfig } from "./state-machine.js";
import type { SignedRecordStore, WalItem } from "./wal.js";
import type { WireMessage } from "./wire.js";
import { decodeWire, encodeWire, MAX_SYNC_BLOCKS } from "./wire.js";

export interface BftApplication extends Application {
  /** Canonical bytes of a committed block, to serve peers that catch up. */
  blockBytes(height: number): Uint8Array | undefined;
  headCertificate(): CommitCertificate;
}

/** What the engine needs of the node network; peers are opaque ids. */
export interface BftNetwork {
  broadcast(payload: Uint8Array): void;
  send(peer: string, payload: Uint8Array): boolean;
  penalize(peer: string, points: number, reason: string): void;
}

export interface BftEngineOptions {
  chain: string;
  timeouts?: TimeoutConfig;
  /** Pause between a commit and the next height (Tendermint's timeout_commit). */
  blockIntervalMs: number;
  createEmptyBlocks: boolean;
  /** Re-send own votes (and proposals) when a height makes no progress for this long. */
  gossipMs?: number;
  /** Period of status announcements (height), which drive block sync. */
  statusMs?: number;
  /** A height that makes no progress this long, while a peer is ahead, is fetched by sync. */
  syncAfterMs?: number;
  /** Byte budget of one sync response. */
  maxSyncBytes?: number;
  /**
   * When the newest commit is older than this, the proposer first proposes an empty block:
   * BFT block time comes from the previous block's commit votes, and after an idle spell
   * those are old; the empty block's certificate carries fresh times for the next one.
   */
  idleRefreshMs?: number;
}

export interface BftHooks {
  onError?(e: unknown, context: string): void;
  onEvidence?(first: SignedVote, second: SignedVote): void;
  onCommitted?(height: number, via: "consensus" | "sync"): void;
  log?(level: "debug" | "info" | "warn", msg: string, data?: Record<string, unknown>): void;
}

export interface BftEngineDeps {
  app: BftApplication;
  timers: Timers;
  network: BftNetwork;
  suite: Pick<CryptoSuite, "verify" | "hash">;
  /** Absent on a full node, which follows consensus without voting. */
  signer?: ValidatorSigner;
  wal: SignedRecordStore;
  hooks?: BftHooks;
}

/** Penalty points (the network drops a peer at 100). */
const PENALTY = { malformed: 50, invalidVote: 25, invalidProposal: 25, badBlock: 100 } as const;
const MAX_FUTURE = 20_000;

export interface BftEngineStatus extends EngineStatus {
  step: string;
  role: "validator" | "observer";
  peersAhead: number;
  syncing: boolean;
  stats: Record<string, number>;
}

export class BftEngine implements ConsensusEngine {
  private readonly opts: Required<BftEngineOptions>;
  private core: BftCore | undefined;
  /** The height being decided: always head + 1. */
  private height = 0;
  private running = false;
  /** Local time of the last commit this node saw; the chain is idle only when it is old too. */
  private lastCommitAt = -Infinity;
  private waitingForTxs = false;
  private startTimer: unknown;
  private readonly periodic = new Map<string, unknown>();
  private future: Array<{ peer: string; msg: WireMessage; height: number }> = [];
  private queue: Promise<void> = Promise.resolve();
  private persisted = new Set<string>();
  private lastProgressAt = 0;
  private coreStartedAt = 0;
  private readonly peerHeights = new Map<string, number>();
  private syncRequest: { peer: string; deadline: number } | undefined;
  private readonly ids = new WeakMap<Uint8Array, Uint8Array>();
  private readonly totals = { syncedBlocks: 0, badPeerMessages: 0, evidence: 0, walAppends: 0 };

  constructor(
    opts: BftEngineOptions,
    private readonly deps: BftEngineDeps,
  ) {
    const interval = opts.blockIntervalMs;
    this.opts = {
      chain: opts.chain,
      timeouts: opts.timeouts ?? DEFAULT_TIMEOUTS,
      blockIntervalMs: interval,
      createEmptyBlocks: opts.createEmptyBlocks,
      gossipMs: opts.gossipMs ?? 500,
      statusMs: opts.statusMs ?? 500,
      syncAfterMs: opts.syncAfterMs ?? 1_000,
      maxSyncBytes: opts.maxSyncBytes ?? 16 * 1024 * 1024,
      idleRefreshMs: opts.idleRefreshMs ?? Math.max(2_000, 10 * interval),
    };
  }

  // ---- lifecycle ----

  async start(): Promise<void> {
    this.running = true;
    const head = this.deps.app.head();
    this.deps.wal.prune(head.height + 1);
    for (const r of this.deps.wal.load().votes) this.persisted.add(voteKeyOf(r));
    for (const r of this.deps.wal.load().proposals) this.persisted.add(proposalKeyOf(r.proposal.proposal));
    this.height = head.height + 1;
    this.lastProgressAt = this.deps.timers.now();
    this.every("status", this.opts.statusMs, () => this.announce());
    this.every("gossip", this.opts.gossipMs, () => this.regossip());
    this.startHeight(this.height);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.startTimer !== undefined) this.deps.timers.clearTimeout(this.startTimer);
    for (const t of this.periodic.values()) this.deps.timers.clearTimeout(t);
    this.periodic.clear();
    this.core = undefined;
    await this.queue;
  }

  /** Resolves when no application work (propose, validate, commit, sync) is queued or running. */
  async idle(): Promise<void> {
    for (;;) {
      const q = this.queue;
      await q;
      if (q === this.queue) return;
    }
  }

  notifyTxs(): void {
    if (this.running && this.waitingForTxs && this.deps.app.pendingTxs() > 0) this.beginHeight(this.height);
  }

  status(): BftEngineStatus {
    const head = this.deps.app.head();
    const s = this.core?.status();
    const ahead = [...this.peerHeights.values()].filter((h) => h > head.height).length;
    return {
      engine: "bft",
      height: this.height,
      round: s?.round ?? 0,
      lastBlockTime: head.time,
      step: this.waitingForTxs ? "waiting-for-txs" : (s?.step ?? "between-heights"),
      role: this.isValidator() ? "validator" : "observer",
      peersAhead: ahead,
      syncing: this.syncRequest !== undefined,
      stats: { ...(this.core?.stats ?? {}), ...this.totals },
    };
  }

  private isValidator(): boolean {
    const s = this.deps.signer;
    if (!s || this.height === 0) return false;
    return this.deps.app.validatorsAt(this.height).some((v) => toHex(v.address) === toHex(s.address));
  }

  // ---- heights ----

  private startHeight(h: number): void {
    if (!this.running || this.deps.app.head().height + 1 !== h) return;
    const hasMessages = this.future.some((f) => f.height === h);
    if (!this.opts.createEmptyBlocks && this.deps.app.pendingTxs() === 0 && !hasMessages) {
      this.waitingForTxs = true;
      return;
    }
    this.beginHeight(h);
  }

  private beginHeight(h: number): void {
    if (!this.running || this.deps.app.head().height + 1 !== h || (this.core && this.height === h)) return;
    this.waitingForTxs = false;
    if (this.startTimer !== undefined) this.deps.timers.clearTimeout(this.startTimer);
    this.startTimer = undefined;
    const record = this.deps.wal.load();
    this.height = h;
    this.core = new BftCore({
      chain: this.opts.chain,
      suite: this.deps.suite,
      validators: this.deps.app.validatorsAt(h),
      signer: this.deps.signer,
      valueId: (v) => this.valueId(v),
      timeouts: this.opts.timeouts,
      signed: {
        votes: record.votes.filter((r) => r.vote.height === h),
        proposals: record.proposals.filter((p) => p.proposal.proposal.height === h),
        polkas: (record.polkas ?? []).filter((p) => p.proposal.proposal.height === h),
      },
    });
    this.coreStartedAt = this.deps.timers.now();
    this.run({ kind: "start", height: h, now: this.deps.timers.now(), prevBlockTime: this.deps.app.head().time });
    const ready = this.future.filter((f) => f.height === h);
    this.future = this.future.filter((f) => f.height > h);
    for (const f of ready) this.deliver(f.peer, f.msg);
  }

  /** After block h is final (by consensus or sync): next height after the block interval. */
  private committed(h: number, via: "consensus" | "sync"): void {
    this.lastProgressAt = this.deps.timers.now();
    this.lastCommitAt = this.lastProgressAt;
    this.deps.wal.prune(h + 1);
    for (const k of this.persisted) if (Number(k.split("/")[1]) <= h) this.persisted.delete(k);
    this.future = this.future.filter((f) => f.height > h);
    this.core = undefined;
    this.height = h + 1;
    this.deps.hooks?.onCommitted?.(h, via);
    if (this.startTimer !== undefined) this.deps.timers.clearTimeout(this.startTimer);
    const behind = [...this.peerHeights.values()].some((ph) => ph > h);
    // While catching up, go straight to the next block; otherwise leave time to gather txs.
    this.startTimer = this.deps.timers.setTimeout(
      () => {
        this.startTimer = undefined;
        this.startHeight(h + 1);
      },
      via === "sync" && behind ? 0 : this.opts.blockIntervalMs,
    );
    if (via === "sync") this.maybeSync();
  }

  // ---- the core ----

  private run(ev: BftEvent): void {
    const core = this.core;
    if (!core) return;
    const actions = core.step(ev);
    this.perform(core, actions);
  }

  private perform(core: BftCore, actions: BftAction[]): void {
    // WAL first: nothing this step signed leaves the node before it is durable.
    const items: WalItem[] = [];
    for (const a of actions) {
      if (a.kind === "broadcastVote") {
        const k = voteKeyOf(a.vote);
        if (!this.persisted.has(k)) {
          items.push({ kind: "vote", vote: a.vote });
          this.persisted.add(k);
        }
      } else if (a.kind === "broadcastProposal") {
        const k = proposalKeyOf(a.proposal.proposal);
        if (!this.persisted.has(k)) {
          items.push({ kind: "proposal", proposal: a.proposal, value: a.value });
          this.persisted.add(k);
        }
      } else if (a.kind === "persistPolka") {
        items.push({ kind: "polka", polka: a.polka });
      }
    }
    if (items.length) {
      this.deps.wal.append(items);
      this.totals.walAppends++;
    }
    for (const a of actions) {
      switch (a.kind) {
        case "broadcastProposal":
          this.deps.network.broadcast(encodeWire({ t: "proposal", proposal: a.proposal, value: a.value }));
          break;
        case "broadcastVote":
          this.deps.network.broadcast(encodeWire({ t: "vote", vote: a.vote }));
          break;
        case "scheduleTimeout":
          this.deps.timers.setTimeout(() => {
            if (this.running && this.core === core) this.run({ kind: "timeout", height: a.height, round: a.round, step: a.step, now: this.deps.timers.now() });
          }, a.ms);
          break;
        case "requestValue":
          this.enqueue("propose", async () => this.buildValue(core, a.height, a.round));
          break;
        case "validateValue":
          this.enqueue("validate", async () => this.checkValue(core, a.height, a.valueId, a.value));
          break;
        case "commit":
          this.enqueue("commit", async () => this.commitDecided(a.height, a.value, a.certificate));
          break;
        case "persistPolka":
          break; // written above
        case "evidence":
          this.totals.evidence++;
          this.deps.hooks?.log?.("warn", "equivocation detected", { validator: "0x" + toHex(a.first.vote.validator), height: a.first.vote.height, round: a.first.vote.round, type: a.first.vote.type });
          this.deps.hooks?.onEvidence?.(a.first, a.second);
          break;
      }
    }
  }

  private async buildValue(core: BftCore, height: number, round: number): Promise<void> {
    const { app, signer, timers } = this.deps;
    if (this.core !== core || app.head().height + 1 !== height || !signer) return;
    // A busy chain whose heights take long (full blocks, a lost round) has old commit votes
    // too; refreshing then would alternate full and empty blocks, so it also takes a local
    // commit that is old (the chain really was idle, or this node just started).
    const now = timers.now();
    const stale = now - commitAge(app) > this.opts.idleRefreshMs && now - this.lastCommitAt > this.opts.idleRefreshMs;
    const p = await app.propose({ height, time: timers.now(), proposer: signer.address, empty: stale && app.head().height > 0 });
    const value = encodeBlockBody({ header: p.header, txs: p.txs, lastCommit: p.lastCommit });
    this.ids.set(value, p.hash);
    if (this.core === core) this.run({ kind: "valueReady", height, round, value, now: timers.now() });
  }

  private async checkValue(core: BftCore, height: number, valueId: Uint8Array, value: Uint8Array): Promise<void> {
    const { app, timers } = this.deps;
    if (this.core !== core || app.head().height + 1 !== height) return;
    let valid = false;
    try {
      const r = await app.validate(decodeBlockBody(value));
      valid = r.ok;
      if (!r.ok) this.deps.hooks?.log?.("warn", "proposed block is invalid", { height, reason: r.reason });
    } catch (e) {
      this.deps.hooks?.log?.("warn", "proposed block does not decode", { height, error: (e as Error).message });
    }
    if (this.core === core) this.run({ kind: "valueValidated", valueId, valid, now: timers.now() });
  }

  private async commitDecided(height: number, value: Uint8Array, certificate: CommitCertificate): Promise<void> {
    if (this.deps.app.head().height + 1 !== height) return; // sync got there first
    const body: BlockBody = decodeBlockBody(value);
    const block: Block = { ...body, commit: certificate };
    await this.deps.app.commit(block);
    this.committed(height, "consensus");
  }

  private valueId(value: Uint8Array): Uint8Array {
    const known = this.ids.get(value);
    if (known) return known;
    let id: Uint8Array;
    try {
      id = blockHash(this.deps.suite, decodeBlockBody(value).header);
    } catch {
      // Undecodable: an id no valid block can have, so nobody's precommits can match it.
      id = this.deps.suite.hash(value);
    }
    this.ids.set(value, id);
    return id;
  }

  private enqueue(what: string, fn: () => Promise<void>): void {
    this.queue = this.queue.then(fn).catch((e) => this.deps.hooks?.onError?.(e, what));
  }

  // ---- messages from peers ----

  /** Entry point for the node's network: one consensus-channel payload from a peer. */
  onMessage(peer: string, payload: Uint8Array): void {
    if (!this.running) return;
    let msg: WireMessage;
    try {
      msg = decodeWire(payload);
    } catch (e) {
      this.totals.badPeerMessages++;
      this.deps.network.penalize(peer, PENALTY.malformed, `malformed consensus message: ${(e as Error).message}`);
      return;
    }
    switch (msg.t) {
      case "proposal":
      case "vote":
        this.deliver(peer, msg);
        return;
      case "status":
        this.peerHeights.set(peer, msg.height);
        this.maybeSync();
        return;
      case "getBlocks":
        this.serveBlocks(peer, msg.from, msg.count);
        return;
      case "blocks":
        this.applySynced(peer, msg.blocks);
        return;
    }
  }

  /** A peer connected: tell it where we are and what we have at this height (own and relayed). */
  onPeerUp(peer: string): void {
    if (!this.running) return;
    const head = this.deps.app.head();
    this.deps.network.send(peer, encodeWire({ t: "status", height: head.height, round: this.core?.status().round ?? 0 }));
    const msgs = this.core?.gossipMessages();
    if (!msgs) return;
    for (const p of msgs.proposals) this.deps.network.send(peer, encodeWire({ t: "proposal", proposal: p.proposal, value: p.value }));
    for (const v of msgs.votes) this.deps.network.send(peer, encodeWire({ t: "vote", vote: v }));
  }

  onPeerDown(peer: string): void {
    this.peerHeights.delete(peer);
    if (this.syncRequest?.peer === peer) this.syncRequest = undefined;
  }

  private deliver(peer: string, msg: WireMessage): void {
    const height = msg.t === "proposal" ? msg.proposal.proposal.height : msg.t === "vote" ? msg.vote.vote.height : 0;
    const head = this.deps.app.head().height;
    if (height <= head) return; // late message for a committed height
    if (height > this.height || !this.core) {
      if (height <= this.height + MAX_HEIGHTS_AHEAD && this.future.length < MAX_FUTURE) this.future.push({ peer, msg, height });
      // Someone is working on the next height: join even with an empty mempool.
      if (this.waitingForTxs && height === this.height) this.beginHeight(this.height);
      return;
    }
    const core = this.core;
    const before = { votes: core.stats.invalidVotes, proposals: core.stats.invalidProposals };
    const now = this.deps.timers.now();
    this.run(msg.t === "proposal" ? { kind: "proposal", proposal: msg.proposal, value: msg.value, now } : { kind: "vote", vote: (msg as { vote: SignedVote }).vote, now });
    if (core.stats.invalidVotes > before.votes) this.penalize(peer, PENALTY.invalidVote, "invalid vote (bad signature, unknown validator or malformed)");
    if (core.stats.invalidProposals > before.proposals) this.penalize(peer, PENALTY.invalidProposal, "invalid proposal");
  }

  private penalize(peer: string, points: number, reason: string): void {
    this.totals.badPeerMessages++;
    this.deps.network.penalize(peer, points, reason);
  }

  // ---- gossip and status ----

  private every(name: string, ms: number, fn: () => void): void {
    const tick = (): void => {
      if (!this.running) return;
      try {
        fn();
      } catch (e) {
        this.deps.hooks?.onError?.(e, name);
      }
      this.periodic.set(name, this.deps.timers.setTimeout(tick, ms));
    };
    this.periodic.set(name, this.deps.timers.setTimeout(tick, ms));
  }

  private announce(): void {
    const head = this.deps.app.head();
    this.deps.network.broadcast(encodeWire({ t: "status", height: head.height, round: this.core?.status().round ?? 0 }));
    if (this.syncRequest && this.deps.timers.now() > this.syncRequest.deadline) this.syncRequest = undefined;
    this.maybeSync();
  }

  /**
   * A slow height: every vote of it again, own and relayed (and the proposals that matter, if it
   * stays slow), for peers that lost them, reconnected, or never had a link to their author.
   */
  private regossip(): void {
    const core = this.core;
    if (!core) return;
    const stuckFor = this.deps.timers.now() - this.coreStartedAt;
    if (stuckFor < this.opts.gossipMs) return;
    const msgs = core.gossipMessages();
    for (const v of msgs.votes) this.deps.network.broadcast(encodeWire({ t: "vote", vote: v }));
    if (stuckFor >= 2 * this.opts.gossipMs) for (const p of msgs.proposals) this.deps.network.broadcast(encodeWire({ t: "proposal", proposal: p.proposal, value: p.value }));
  }

  // ---- block sync ----

  private maybeSync(): void {
    if (!this.running || this.syncRequest) return;
    const head = this.deps.app.head().height;
    let best: string | undefined;
    let bestHeight = head;
    for (const [peer, h] of this.peerHeights) {
      if (h > bestHeight) {
        best = peer;
        bestHeight = h;
      }
    }
    if (!best) return;
    const stuck = this.deps.timers.now() - this.lastProgressAt > this.opts.syncAfterMs;
    if (bestHeight < head + 2 && !stuck) return;
    const count = Math.min(bestHeight - head, MAX_SYNC_BLOCKS);
    this.syncRequest = { peer: best, deadline: this.deps.timers.now() + 5_000 };
    this.deps.network.send(best, encodeWire({ t: "getBlocks", from: head + 1, count }));
  }

  private serveBlocks(peer: string, from: number, count: number): void {
    const blocks: Uint8Array[] = [];
    let bytes = 0;
    for (let h = from; h < from + count; h++) {
      const b = this.deps.app.blockBytes(h);
      if (!b || (blocks.length > 0 && bytes + b.length > this.opts.maxSyncBytes)) break;
      blocks.push(b);
      bytes += b.length;
    }
    this.deps.network.send(peer, encodeWire({ t: "blocks", blocks }));
  }

  private applySynced(peer: string, raw: Uint8Array[]): void {
    if (this.syncRequest?.peer === peer) this.syncRequest = undefined;
    if (raw.length === 0) return;
    this.enqueue("sync", async () => {
      for (const bytes of raw) {
        let block: Block;
        try {
          block = decodeBlock(bytes);
        } catch (e) {
          this.penalize(peer, PENALTY.badBlock, `undecodable block in sync: ${(e as Error).message}`);
          return;
        }
        const head = this.deps.app.head().height;
        if (block.header.height <= head) continue;
        if (block.header.height !== head + 1) return;
        try {
          // Chain.commit checks the certificate against the height's validator set and
          // re-executes the block: a peer cannot make us accept anything the validators did not sign.
          await this.deps.app.commit(block);
        } catch (e) {
          this.penalize(peer, PENALTY.badBlock, `block ${block.header.height} from sync does not verify: ${(e as Error).message}`);
          return;
        }
        this.totals.syncedBlocks++;
        this.committed(block.header.height, "sync");
      }
    });
  }
}

function voteKeyOf(v: SignedVote): string {
  return `v/${v.vote.height}/${v.vote.round}/${v.vote.type}`;
}

function proposalKeyOf(p: { height: number; round: number }): string {
  return `p/${p.height}/${p.round}`;
}

/** Commit time of the head block as its certificate says (its weighted median is close enough here). */
function commitAge(app: BftApplication): number {
  const sigs = app.headCertificate().signatures;
  if (sigs.length === 0) return app.head().time;
  const times = sigs.map((s) => s.time).sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
