/**
 * Deterministic network simulator for the consensus code (docs/spec/consensus.md, "Simulator").
 *
 * One process runs N validators with real ed25519 keys over virtual time. A seeded PRNG drives
 * per-message delay (hence reordering), loss and duplication; partitions block directed links
 * (symmetric groups or asymmetric one-way cuts) for a time; nodes crash and restart with only
 * their simulated storage (unsynced writes may be lost); up to f validators are Byzantine
 * (equivocating proposers and voters sharing one adversary, or Twins: two honest copies of one
 * validator, each wired to a different side of the network). A seeded client submits
 * transactions to nodes' mempools. Same options, same run: every message names the seed.
 *
 * Layers, so a driver-based node can replace the core-only one locally:
 *  - `Simulation`: queue, clock, network, storage, crash/restart, Byzantine wiring, observation
 *    (commits, acknowledged transactions, double signing). It knows nodes only through
 *    `SimNodeBehaviour` and the `SimNodeContext` it hands them.
 *  - `CoreNode`: the default behaviour, a minimal driver around BftCore (WAL, block store,
 *    mempool, value building and validation, catch-up gossip). `SimOptions.createNode` swaps it.
 */
import { getNodeSuite } from "../../src/crypto/node-suites.js";
import type { CryptoSuite } from "../../src/crypto/suite.js";
import type { ValidatorSigner } from "../../src/consensus/engine.js";
import { BftCore, MAX_HEIGHTS_AHEAD } from "../../src/consensus/bft/state-machine.js";
import type { SignedRecord, TimeoutConfig } from "../../src/consensus/bft/state-machine.js";
import type { BftAction, BftEvent, SignedProposal, SignedVote } from "../../src/consensus/bft/messages.js";
import { commitTime, NIL_ID, proposalSigningMessage } from "../../src/consensus/bft/messages.js";
import type { CommitCertificate, Vote } from "../../src/ledger/block.js";
import { voteSigningMessage } from "../../src/ledger/block.js";
import type { Validator } from "../../src/ledger/validators.js";
import { concatBytes, equalBytes, fromHex, fromUtf8, toHex, utf8 } from "../../src/util/bytes.js";
import { mulberry32 } from "../../src/util/prng.js";

export const suite = getNodeSuite("ed25519-sha256");
export const CHAIN = "sim-chain";

export { mulberry32 };

export interface Key {
  secretKey: Uint8Array;
  validator: Validator;
  signer: ValidatorSigner;
}

/** Keys derived from the index so runs are reproducible and key generation costs nothing random. */
export function makeKeys(powers: number[]): Key[] {
  return powers.map((power, i) => {
    const secretKey = suite.hash(utf8(`sim-validator-${i}`));
    const publicKey = suite.publicKeyFromSecret(secretKey);
    const address = fromHex(suite.address(publicKey));
    return { secretKey, validator: { address, publicKey, power }, signer: { address, publicKey, sign: (m) => suite.sign(m, secretKey) } };
  });
}

export const valueId = (value: Uint8Array): Uint8Array => suite.hash(value);

const bytesKey = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");

/**
 * Signature verification is a pure function of (message, signature, key), so the nodes of one
 * simulation share a memo: each distinct signature is verified once by the real code instead of
 * once per node. A forged signature still fails; it is just not re-checked at every node.
 */
export function memoVerifier(): Pick<CryptoSuite, "verify"> & { calls: number; misses: number } {
  const cache = new Map<string, boolean>();
  const v = {
    calls: 0,
    misses: 0,
    verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
      v.calls++;
      const k = bytesKey(signature) + bytesKey(publicKey) + bytesKey(message);
      let ok = cache.get(k);
      if (ok === undefined) {
        v.misses++;
        ok = suite.verify(message, signature, publicKey);
        cache.set(k, ok);
      }
      return ok;
    },
  };
  return v;
}

// ---------------------------------------------------------------------------------------------
// options

/**
 * equivocateVotes: every vote is re-signed per peer (the side's value or a conflicting id);
 * equivocateProposals: each side gets a different proposal for the same round; equivocate:
 * both; twins: a second process with the same key runs honest code, each copy wired to one side.
 */
export type ByzantineMode = "equivocateVotes" | "equivocateProposals" | "equivocate" | "twins";

/**
 * A timed network cut over validator indices (all processes of a validator, twins included).
 * `groups`: symmetric; links between different groups are cut both ways, unlisted nodes are
 * isolated. `blocked`: asymmetric; each [from, to] pair loses messages from `from` to `to` only.
 * `hold`: messages arriving on a cut link are not lost but delayed until the heal (asynchrony).
 */
export type Partition = { at: number; healAt: number; hold?: boolean } & ({ groups: number[][] } | { blocked: [number, number][] });

export interface WalOptions {
  /**
   * syncBeforeSend: the signed record is fsynced before any message of the step leaves the node
   * (the rule the real driver follows). sendBeforeSync: a deliberately broken driver that sends
   * first and syncs `syncDelayMs` later (negative control).
   */
  policy: "syncBeforeSend" | "sendBeforeSync";
  syncDelayMs: number;
  /** A crash loses writes not yet synced (otherwise they survive, as if the OS flushed them). */
  loseUnsyncedOnCrash: boolean;
}

export interface SimOptions {
  seed: number;
  powers: number[];
  /** Stop at this height (nodes start no later height); absent: run until liveness is shown. */
  heights?: number;
  /** Virtual-time budget; the run stops here even if heights are missing. */
  maxTime: number;
  delay?: { min: number; max: number };
  dropRate?: number;
  dupRate?: number;
  /** With probability `rate` a message gets up to `extra` ms more delay (reordering). */
  reorder?: { rate: number; extra: number };
  timeouts?: TimeoutConfig;
  /** Re-gossip period of status, stalled own messages and decisions to lagging peers. */
  gossipMs?: number;
  /** Wait between a commit and the start of the next height (skipped when a peer is ahead). */
  commitDelayMs?: number;
  maxTxsPerBlock?: number;
  byzantine?: { node: number; mode: ByzantineMode }[];
  /** Side (0 or 1) of each validator for Byzantine splits and twins; default index parity. */
  sides?: number[];
  crashes?: { node: number; at: number; restartAt?: number }[];
  partitions?: Partition[];
  /** Client transactions: `tx` is submitted to validator `node` (its first process) at `at`. */
  txs?: { at: number; node: number; tx: string }[];
  wal?: Partial<WalOptions>;
  /** After `after` (last heal/restart), every honest live node commits `heights` more heights within `within` ms. */
  liveness?: { after: number; heights: number; within: number };
  /** Test-only core faults (negative controls); applied to honest processes. */
  unsafeTesting?: { ignoreLock?: boolean };
  /** Label shown next to the seed (scenario kind). */
  label?: string;
  /** Node implementation; default the core-only `CoreNode`. */
  createNode?: NodeFactory;
  /**
   * The id of a value, as nodes compute it (default: the hash of the bytes, as CoreNode does;
   * the real engine's values are block bodies whose id is the header hash).
   */
  valueIdOf?: (value: Uint8Array) => Uint8Array;
  /**
   * How state commitments are checked: "running-hash" recomputes CoreNode's running hash of the
   * values; "reported" (real execution) compares what the nodes report, height by height.
   */
  stateModel?: "running-hash" | "reported";
}

export const SIM_TIMEOUTS: TimeoutConfig = { propose: 300, proposeDelta: 100, prevote: 200, prevoteDelta: 100, precommit: 200, precommitDelta: 100 };
export const DEFAULT_WAL: WalOptions = { policy: "syncBeforeSend", syncDelayMs: 5, loseUnsyncedOnCrash: true };

// ---------------------------------------------------------------------------------------------
// node interface

export type SimMessage =
  | { kind: "proposal"; proposal: SignedProposal; value: Uint8Array }
  | { kind: "vote"; vote: SignedVote }
  /** Periodic: the height the sender works on, and its boot time (a change means it restarted). */
  | { kind: "status"; height: number; boot: number }
  | { kind: "tx"; tx: string }
  /** Non-consensus engine traffic (status, block sync) as wire bytes. */
  | { kind: "wire"; bytes: Uint8Array };

export interface CommitReport {
  height: number;
  value: Uint8Array;
  certificate: CommitCertificate;
  /** Hex running hash over committed values in height order (the node's state commitment). */
  stateCommitment: string;
  txs: string[];
}

/** What the simulator gives a node (one per process; timers die with the incarnation that set them). */
export interface SimNodeContext {
  readonly index: number;
  readonly validatorIndex: number;
  readonly key: Key;
  readonly validators: Validator[];
  /** Number of processes (peers are 0..processes-1 except `index`). */
  readonly processes: number;
  readonly verifier: Pick<CryptoSuite, "verify">;
  /** Survives crashes: only synced writes are guaranteed to. */
  readonly storage: SimStorage;
  readonly options: Readonly<SimOptions>;
  now(): number;
  send(to: number, msg: SimMessage): void;
  broadcast(msg: SimMessage): void;
  setTimer(ms: number, run: () => void): void;
  /** Observation hooks for the checkers. */
  reportCommit(c: CommitReport): void;
  reportEvidence(first: SignedVote, second: SignedVote): void;
}

/** A node as the simulator sees it. A crash discards the object; a restart builds a new one. */
export interface SimNodeBehaviour {
  /** Boot or reboot: read durable state from ctx.storage and start consensus. */
  start(): void;
  onMessage(from: number, msg: SimMessage): void;
  onClientTx(tx: string): void;
  /** Gossip period. */
  onTick(): void;
  /** Asynchronous nodes (real storage): resolves when the work the last event started is done. */
  settle?(): Promise<void>;
  /** Called when the process crashes, to release resources (files) the next incarnation reopens. */
  crash?(): Promise<void> | void;
}

export type NodeFactory = (ctx: SimNodeContext) => SimNodeBehaviour;

/** Key-value storage with an unsynced layer; `crash` drops (or flushes) what was not synced. */
export class SimStorage {
  private readonly durable = new Map<string, unknown>();
  private readonly pending = new Map<string, unknown>();
  writes = 0;
  syncs = 0;
  /** Keys whose unsynced write a crash lost, with the time. */
  readonly lost: { key: string; at: number }[] = [];

  put(key: string, value: unknown): void {
    this.pending.set(key, value);
    this.writes++;
  }
  get<T>(key: string): T | undefined {
    return (this.pending.has(key) ? this.pending.get(key) : this.durable.get(key)) as T | undefined;
  }
  isDirty(key: string): boolean {
    return this.pending.has(key);
  }
  sync(keys?: string[]): void {
    for (const k of keys ?? [...this.pending.keys()]) {
      if (!this.pending.has(k)) continue;
      this.durable.set(k, this.pending.get(k));
      this.pending.delete(k);
    }
    this.syncs++;
  }
  crash(at: number, loseUnsynced: boolean): void {
    if (!loseUnsynced) return this.sync();
    for (const key of this.pending.keys()) this.lost.push({ key, at });
    this.pending.clear();
  }
}

// ---------------------------------------------------------------------------------------------
// values: "height:validator:round:tag|tx,tx,..."

export interface ParsedValue {
  height: number;
  validator: number;
  round: number;
  tag: string;
  txs: string[];
}

export function makeValue(v: ParsedValue): Uint8Array {
  return utf8(`${v.height}:${v.validator}:${v.round}:${v.tag}|${v.txs.join(",")}`);
}

export function parseValue(value: Uint8Array): ParsedValue | undefined {
  let text: string;
  try {
    text = fromUtf8(value);
  } catch {
    return undefined; // not a CoreNode value (the engine's values are CBOR block bodies)
  }
  const m = /^(\d+):(\d+):(\d+):([a-z0-9]+)\|([a-z0-9,-]*)$/.exec(text);
  if (!m) return undefined;
  return { height: Number(m[1]), validator: Number(m[2]), round: Number(m[3]), tag: m[4], txs: m[5] === "" ? [] : m[5].split(",") };
}

export const ZERO_STATE = toHex(new Uint8Array(32));

/** The state commitment after applying `value` to the state `prev` (both hex). */
export function nextStateCommitment(prev: string, value: Uint8Array): string {
  return toHex(suite.hash(concatBytes(fromHex(prev), value)));
}

// ---------------------------------------------------------------------------------------------
// the default node: BftCore plus a minimal driver

interface StoredBlock {
  height: number;
  value: Uint8Array;
  certificate: CommitCertificate;
  proposal: SignedProposal;
  precommits: SignedVote[];
  stateCommitment: string;
  time: number;
}

const WAL_KEY = "wal";
const HEAD_KEY = "head";

/**
 * BftCore with the duties the real driver will have: persist the signed record (WAL) under the
 * configured sync policy before or after sending, store committed blocks durably, keep a mempool,
 * build and validate values, and gossip (status, own messages when stalled, decisions to peers
 * that are behind, served from the block store so a restarted node can serve them too).
 */
export class CoreNode implements SimNodeBehaviour {
  private core!: BftCore;
  private head = 0;
  private headTime = 0;
  private state = ZERO_STATE;
  private readonly committedTxs = new Set<string>();
  private readonly mempool = new Set<string>();
  private readonly peerHeight: number[];
  private readonly lastHeard: number[];
  private lastTickKey = "";
  private readonly wal: WalOptions;
  /** Proposals and votes held per height (received or own), for relay: key is the signature. */
  private readonly held = new Map<number, Map<string, SimMessage>>();
  /** Per peer: message key -> when we last sent it there (Infinity: the peer sent it to us). */
  private readonly known: Map<string, number>[];
  private readonly peerBoot: number[];
  private boot = 0;

  constructor(private readonly ctx: SimNodeContext) {
    this.peerHeight = new Array<number>(ctx.processes).fill(0);
    this.lastHeard = new Array<number>(ctx.processes).fill(-Infinity);
    this.known = Array.from({ length: ctx.processes }, () => new Map<string, number>());
    this.peerBoot = new Array<number>(ctx.processes).fill(-1);
    this.wal = { ...DEFAULT_WAL, ...ctx.options.wal };
  }

  /** Keep a current or near-future height's message for relay; `from` (if any) evidently has it. */
  private hold(height: number, msg: SimMessage, sig: Uint8Array, from: number | undefined): void {
    if (height <= this.head || height > this.head + 1 + MAX_HEIGHTS_AHEAD) return;
    let m = this.held.get(height);
    if (!m) this.held.set(height, (m = new Map()));
    const k = bytesKey(sig);
    if (!m.has(k)) m.set(k, msg);
    if (from !== undefined) this.known[from].set(k, Infinity);
  }

  start(): void {
    const s = this.ctx.storage;
    this.boot = this.ctx.now();
    this.head = s.get<number>(HEAD_KEY) ?? 0;
    for (let h = 1; h <= this.head; h++) {
      const b = s.get<StoredBlock>(`block/${h}`) as StoredBlock;
      for (const tx of parseValue(b.value)?.txs ?? []) this.committedTxs.add(tx);
      this.state = b.stateCommitment;
      this.headTime = b.time;
    }
    const o = this.ctx.options;
    this.core = new BftCore({
      chain: CHAIN,
      suite: this.ctx.verifier,
      validators: this.ctx.validators,
      signer: this.ctx.key.signer,
      valueId,
      timeouts: o.timeouts ?? SIM_TIMEOUTS,
      signed: s.get<SignedRecord>(WAL_KEY),
      unsafeTesting: o.unsafeTesting,
    });
    // The core counts its restored votes and re-admits its persisted polka itself (it used not
    // to, and restarted nodes could stay locked forever: found by this simulator, seed 1133).
    this.startNext();
  }

  private startNext(): void {
    const h = this.head + 1;
    if (this.ctx.options.heights !== undefined && h > this.ctx.options.heights) return;
    this.step({ kind: "start", height: h, prevBlockTime: this.headTime });
  }

  onMessage(from: number, msg: SimMessage): void {
    this.lastHeard[from] = this.ctx.now();
    switch (msg.kind) {
      case "status":
        if (msg.boot !== this.peerBoot[from]) {
          // The peer restarted (a new connection): it remembers nothing we sent or it sent.
          this.peerBoot[from] = msg.boot;
          this.known[from].clear();
        }
        if (msg.height > this.peerHeight[from]) this.peerHeight[from] = msg.height;
        return;
      case "tx":
        if (!this.committedTxs.has(msg.tx)) this.mempool.add(msg.tx);
        return;
      case "proposal": {
        const h = msg.proposal.proposal.height;
        if (h > this.peerHeight[from]) this.peerHeight[from] = h;
        this.hold(h, msg, msg.proposal.signature, from);
        this.step({ kind: "proposal", proposal: msg.proposal, value: msg.value });
        return;
      }
      case "vote": {
        const h = msg.vote.vote.height;
        if (h > this.peerHeight[from]) this.peerHeight[from] = h;
        this.hold(h, msg, msg.vote.signature, from);
        this.step({ kind: "vote", vote: msg.vote });
      }
    }
  }

  onClientTx(tx: string): void {
    if (this.committedTxs.has(tx)) return;
    this.mempool.add(tx);
    this.ctx.broadcast({ kind: "tx", tx });
  }

  onTick(): void {
    const { ctx } = this;
    ctx.broadcast({ kind: "status", height: this.head + 1, boot: this.boot });
    const st = this.core.status();
    // Stalled: the same height for a whole period (rounds may change meanwhile).
    const key = `${st.height}/${st.running}`;
    const gossip = ctx.options.gossipMs ?? 150;
    if (key === this.lastTickKey && st.running) this.relay(st.height, gossip);
    this.lastTickKey = key;
    for (let j = 0; j < ctx.processes; j++) {
      const p = this.peerHeight[j];
      if (j === ctx.index || p === 0 || p > this.head || ctx.now() - this.lastHeard[j] > 3 * gossip) continue;
      for (let h = p; h <= Math.min(this.head, p + MAX_HEIGHTS_AHEAD); h++) {
        const b = ctx.storage.get<StoredBlock>(`block/${h}`) as StoredBlock;
        ctx.send(j, { kind: "proposal", proposal: b.proposal, value: b.value });
        for (const v of b.precommits) ctx.send(j, { kind: "vote", vote: v });
      }
    }
  }

  /**
   * No new height for a whole period: send each peer at our height the proposals and votes of
   * this height (ours and relayed) it is not known to have, re-sending after two periods (lossy
   * links). Relaying others' messages is what makes a polka seen by some honest nodes reach the
   * rest; own messages alone are not enough when a Byzantine node shows its vote to only some.
   */
  private relay(height: number, gossip: number): void {
    const { ctx } = this;
    const mine = this.core.gossipMessages();
    for (const p of mine.proposals) this.hold(height, { kind: "proposal", proposal: p.proposal, value: p.value }, p.proposal.signature, undefined);
    for (const v of mine.votes) this.hold(height, { kind: "vote", vote: v }, v.signature, undefined);
    const msgs = this.held.get(height);
    if (!msgs) return;
    const now = ctx.now();
    for (let j = 0; j < ctx.processes; j++) {
      if (j === ctx.index || this.peerHeight[j] !== height || now - this.lastHeard[j] > 3 * gossip) continue;
      const known = this.known[j];
      for (const [k, msg] of msgs) {
        const at = known.get(k);
        if (at !== undefined && now - at < 2 * gossip) continue;
        known.set(k, now);
        ctx.send(j, msg);
      }
    }
  }

  private step(ev: BftEvent): void {
    const { ctx, wal } = this;
    const actions = this.core.step({ ...ev, now: ctx.now() });
    const signs = ev.kind === "start" || actions.some((a) => a.kind === "broadcastVote" || a.kind === "broadcastProposal" || a.kind === "persistPolka");
    if (signs) {
      ctx.storage.put(WAL_KEY, this.core.signedRecord());
      if (wal.policy === "syncBeforeSend") ctx.storage.sync([WAL_KEY]);
    }
    for (const a of actions) this.act(a);
    if (signs && wal.policy === "sendBeforeSync") ctx.setTimer(wal.syncDelayMs, () => ctx.storage.sync([WAL_KEY]));
  }

  private act(a: BftAction): void {
    const { ctx } = this;
    switch (a.kind) {
      case "broadcastProposal":
        ctx.broadcast({ kind: "proposal", proposal: a.proposal, value: a.value });
        return;
      case "broadcastVote":
        ctx.broadcast({ kind: "vote", vote: a.vote });
        return;
      case "scheduleTimeout":
        ctx.setTimer(a.ms, () => this.step({ kind: "timeout", height: a.height, round: a.round, step: a.step }));
        return;
      case "requestValue": {
        const max = ctx.options.maxTxsPerBlock ?? 4;
        const txs: string[] = [];
        for (const tx of this.mempool) {
          if (txs.length >= max) break;
          if (!this.committedTxs.has(tx)) txs.push(tx);
        }
        const value = makeValue({ height: a.height, validator: ctx.validatorIndex, round: a.round, tag: `p${ctx.index}`, txs });
        ctx.setTimer(2, () => this.step({ kind: "valueReady", height: a.height, round: a.round, value }));
        return;
      }
      case "validateValue": {
        const valid = this.validate(a.height, a.value);
        ctx.setTimer(1, () => this.step({ kind: "valueValidated", valueId: a.valueId, valid }));
        return;
      }
      case "commit":
        this.onCommit(a.height, a.value, a.certificate);
        return;
      case "persistPolka":
        return; // stored with the signed record in step()
      case "evidence":
        ctx.reportEvidence(a.first, a.second);
    }
  }

  /** Deterministic given the committed prefix: right height, well formed, no transaction twice. */
  private validate(height: number, value: Uint8Array): boolean {
    const p = parseValue(value);
    if (!p || p.height !== height || p.validator >= this.ctx.validators.length) return false;
    return new Set(p.txs).size === p.txs.length && p.txs.every((tx) => !this.committedTxs.has(tx));
  }

  private onCommit(height: number, value: Uint8Array, certificate: CommitCertificate): void {
    const { ctx } = this;
    const d = this.core.decision(height);
    if (!d) throw new Error(`seed=${ctx.options.seed}: core committed ${height} without a decision`);
    const state = nextStateCommitment(this.state, value);
    const time = commitTime(certificate, ctx.validators);
    const block: StoredBlock = { height, value, certificate, proposal: d.proposal, precommits: d.precommits, stateCommitment: state, time };
    ctx.storage.put(`block/${height}`, block);
    ctx.storage.put(HEAD_KEY, height);
    ctx.storage.sync([`block/${height}`, HEAD_KEY]);
    this.head = height;
    this.headTime = time;
    this.state = state;
    for (const h of this.held.keys()) if (h <= height) this.held.delete(h);
    for (const m of this.known) m.clear();
    const txs = parseValue(value)?.txs ?? [];
    for (const tx of txs) {
      this.committedTxs.add(tx);
      this.mempool.delete(tx);
    }
    ctx.reportCommit({ height, value, certificate, stateCommitment: state, txs });
    const behind = this.peerHeight.some((p) => p > height + 1);
    ctx.setTimer(behind ? 1 : (ctx.options.commitDelayMs ?? 1), () => this.startNext());
  }
}

export const coreNode: NodeFactory = (ctx) => new CoreNode(ctx);

// ---------------------------------------------------------------------------------------------
// simulation

export interface CommitRecord {
  valueHex: string;
  value: Uint8Array;
  certificate: CommitCertificate;
  /** Block time (commitTime of the certificate). */
  time: number;
  /** Virtual time of the commit. */
  at: number;
  stateCommitment: string;
  txs: string[];
}

export interface SimProcess {
  index: number;
  validatorIndex: number;
  key: Key;
  honest: boolean;
  byzantine?: ByzantineMode;
  /** Twin copy number (0 or 1) when the validator runs as Twins. */
  twin?: number;
  alive: boolean;
  incarnation: number;
  storage: SimStorage;
  node: SimNodeBehaviour | undefined;
  commits: Map<number, CommitRecord>;
  evidence: { first: SignedVote; second: SignedVote }[];
  crashes: number;
}

type QueueItem =
  | { at: number; seq: number; type: "deliver"; to: number; from: number; msg: SimMessage }
  | { at: number; seq: number; type: "timer"; to: number; incarnation: number; run: () => void }
  | { at: number; seq: number; type: "control"; run: () => void };

/** Binary min-heap on (at, seq): seq makes ties deterministic. */
class Queue {
  private readonly h: QueueItem[] = [];
  get size(): number {
    return this.h.length;
  }
  private less(a: QueueItem, b: QueueItem): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
  push(x: QueueItem): void {
    const h = this.h;
    h.push(x);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }
  pop(): QueueItem | undefined {
    const h = this.h;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop() as QueueItem;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

type Side = 0 | 1 | "both";

export interface LivenessResult {
  after: number;
  deadline: number;
  /** Highest height any honest node had committed at `after`. */
  base: number;
  target: number;
}

export class Simulation {
  readonly rand: () => number;
  readonly keys: Key[];
  readonly validators: Validator[];
  /** Processes: 0..N-1 are the validators, second copies of Twins follow. */
  readonly nodes: SimProcess[];
  readonly verifier = memoVerifier();
  now = 0;
  /** Height -> value hex of the first honest commit. */
  readonly firstCommit = new Map<number, string>();
  /** Violations seen while running (double signing, a height committed twice by one node). */
  readonly violations: string[] = [];
  /** Commit events in order: (time, process, height). */
  readonly commitLog: { time: number; node: number; height: number }[] = [];
  /** Transactions the client submitted (to a live node), by the process that took them. */
  readonly submitted = new Map<string, number>();
  /** Acknowledged transactions: the receiving process saw them committed. */
  readonly acks = new Map<string, { node: number; height: number; time: number }>();
  liveness: LivenessResult | undefined;
  messagesSent = 0;
  messagesDelivered = 0;
  events = 0;
  /** Signatures by honest validators: `validator/height/round/type` -> signature, across restarts. */
  private readonly honestSigned = new Map<string, string>();
  private seq = 0;
  private readonly q = new Queue();
  private readonly wal: WalOptions;
  private readonly factory: NodeFactory;
  private readonly sides: number[];
  private readonly linkOk: boolean[][];
  /** Per directed validator link: -1 open, Infinity lost, otherwise held until that time. */
  private cut: number[][];
  private readonly activePartitions = new Set<Partition>();
  /** Equivocation plans shared by the Byzantine processes: `height/round` -> value per side. */
  private readonly adversary = new Map<string, [{ sp: SignedProposal; value: Uint8Array }, { sp: SignedProposal; value: Uint8Array }]>();
  private readonly byzVotes = new Map<string, SignedVote>();
  private commitSeen = false;
  private readonly maxTime: number;
  /** Resource releases of crashed asynchronous nodes, awaited before the next event. */
  private background: Promise<void>[] = [];
  private asyncMode = false;
  private pendingBoots: SimProcess[] = [];
  readonly valueIdOf: (value: Uint8Array) => Uint8Array;

  constructor(readonly opts: SimOptions) {
    this.rand = mulberry32(opts.seed);
    this.keys = makeKeys(opts.powers);
    this.validators = this.keys.map((k) => k.validator);
    this.wal = { ...DEFAULT_WAL, ...opts.wal };
    this.factory = opts.createNode ?? coreNode;
    this.valueIdOf = opts.valueIdOf ?? valueId;
    const n = opts.powers.length;
    this.sides = opts.sides ?? opts.powers.map((_, i) => i % 2);
    const byzOf = (v: number): ByzantineMode | undefined => opts.byzantine?.find((b) => b.node === v)?.mode;
    const proc = (index: number, v: number, twin?: number): SimProcess => ({
      index,
      validatorIndex: v,
      key: this.keys[v],
      honest: byzOf(v) === undefined,
      byzantine: byzOf(v),
      twin,
      alive: true,
      incarnation: 0,
      storage: new SimStorage(),
      node: undefined,
      commits: new Map(),
      evidence: [],
      crashes: 0,
    });
    this.nodes = this.keys.map((_, v) => proc(v, v, byzOf(v) === "twins" ? 0 : undefined));
    for (let v = 0; v < n; v++) if (byzOf(v) === "twins") this.nodes.push(proc(this.nodes.length, v, 1));
    this.linkOk = this.nodes.map((a) => this.nodes.map((b) => this.wired(a, b)));
    this.cut = this.emptyCut();

    for (const c of opts.crashes ?? []) {
      this.control(c.at, () => this.crash(c.node));
      if (c.restartAt !== undefined) this.control(c.restartAt, () => this.restart(c.node));
    }
    for (const p of opts.partitions ?? []) {
      this.control(p.at, () => this.setPartition(p, true));
      this.control(p.healAt, () => this.setPartition(p, false));
    }
    for (const t of opts.txs ?? []) this.control(t.at, () => this.submit(t.node, t.tx));
    const lv = opts.liveness;
    this.maxTime = lv ? Math.min(opts.maxTime, lv.after + lv.within) : opts.maxTime;
    if (lv) {
      this.control(lv.after, () => {
        const base = Math.max(0, ...this.nodes.filter((p) => p.honest).flatMap((p) => [...p.commits.keys()]));
        this.liveness = { after: lv.after, deadline: lv.after + lv.within, base, target: base + lv.heights };
        this.commitSeen = true;
      });
    }
  }

  describe(): string {
    return `seed=${this.opts.seed}${this.opts.label ? ` [${this.opts.label}]` : ""}`;
  }

  get honest(): SimProcess[] {
    return this.nodes.filter((p) => p.honest);
  }

  private emptyCut(): number[][] {
    const n = this.validators.length;
    return Array.from({ length: n }, () => new Array<number>(n).fill(-1));
  }

  private sideOf(p: SimProcess): Side {
    if (p.twin !== undefined) return p.twin as 0 | 1;
    if (!p.honest) return "both";
    return this.sides[p.validatorIndex] === 1 ? 1 : 0;
  }

  /** Static wiring: a twin talks only to its side (and to non-twin Byzantine processes). */
  private wired(a: SimProcess, b: SimProcess): boolean {
    if (a.index === b.index) return false;
    if (a.twin === undefined && b.twin === undefined) return true;
    if (a.validatorIndex === b.validatorIndex) return false;
    const sa = this.sideOf(a);
    const sb = this.sideOf(b);
    return sa === "both" || sb === "both" || sa === sb;
  }

  private setPartition(p: Partition, on: boolean): void {
    if (on) this.activePartitions.add(p);
    else this.activePartitions.delete(p);
    const cut = this.emptyCut();
    const n = this.validators.length;
    for (const part of this.activePartitions) {
      const until = part.hold ? part.healAt : Infinity;
      const block = (a: number, b: number): void => void (cut[a][b] = Math.max(cut[a][b], until));
      if ("groups" in part) {
        const group = new Array<number>(n).fill(-1);
        part.groups.forEach((g, gi) => g.forEach((v) => (group[v] = gi)));
        for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) if (a !== b && (group[a] < 0 || group[a] !== group[b])) block(a, b);
      } else {
        for (const [a, b] of part.blocked) block(a, b);
      }
    }
    this.cut = cut;
  }

  private control(at: number, run: () => void): void {
    this.q.push({ at, seq: this.seq++, type: "control", run });
  }

  private linkDelay(): number {
    const { min, max } = this.opts.delay ?? { min: 1, max: 20 };
    return min + Math.floor(this.rand() * (max - min + 1));
  }

  private deliver(from: SimProcess, to: number, msg: SimMessage): void {
    this.messagesSent++;
    if (!this.linkOk[from.index][to]) return;
    if (this.rand() < (this.opts.dropRate ?? 0)) return;
    const copies = this.rand() < (this.opts.dupRate ?? 0) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      let at = this.now + this.linkDelay();
      const ro = this.opts.reorder;
      if (ro && this.rand() < ro.rate) at += Math.floor(this.rand() * ro.extra);
      this.q.push({ at, seq: this.seq++, type: "deliver", to, from: from.index, msg });
    }
  }

  private contextFor(p: SimProcess): SimNodeContext {
    return {
      index: p.index,
      validatorIndex: p.validatorIndex,
      key: p.key,
      validators: this.validators,
      processes: this.nodes.length,
      verifier: this.verifier,
      storage: p.storage,
      options: this.opts,
      now: () => this.now,
      send: (to, msg) => {
        this.observeSend(p, msg);
        this.deliver(p, to, msg);
      },
      broadcast: (msg) => this.broadcastFrom(p, msg),
      setTimer: (ms, run) => this.q.push({ at: this.now + ms, seq: this.seq++, type: "timer", to: p.index, incarnation: p.incarnation, run }),
      reportCommit: (c) => this.onCommit(p, c),
      reportEvidence: (first, second) => p.evidence.push({ first, second }),
    };
  }

  private boot(p: SimProcess): void {
    const opts: SimOptions = p.honest || !this.opts.unsafeTesting ? this.opts : { ...this.opts, unsafeTesting: undefined };
    p.node = this.factory({ ...this.contextFor(p), options: opts });
    // Asynchronous nodes boot one at a time (settleAll), or their start-up messages would be
    // queued in the order their files happened to open.
    if (this.asyncMode) this.pendingBoots.push(p);
    else p.node.start();
  }

  /** Crash a validator (all its processes): memory and pending timers are gone, storage keeps what was synced. */
  crash(v: number): void {
    for (const p of this.nodes) {
      if (p.validatorIndex !== v || !p.alive) continue;
      p.alive = false;
      p.incarnation++;
      p.crashes++;
      const released = p.node?.crash?.();
      if (released) this.background.push(released);
      p.node = undefined;
      p.storage.crash(this.now, this.wal.loseUnsyncedOnCrash);
    }
  }

  restart(v: number): void {
    for (const p of this.nodes) {
      if (p.validatorIndex !== v || p.alive) continue;
      p.alive = true;
      p.incarnation++;
      this.boot(p);
    }
  }

  private submit(v: number, tx: string): void {
    const p = this.nodes[v];
    if (!p.alive || !p.node) return;
    this.submitted.set(tx, p.index);
    p.node.onClientTx(tx);
  }

  run(): this {
    this.begin();
    while (this.next()) {
      /* synchronous nodes: nothing to wait for between events */
    }
    return this;
  }

  /**
   * For nodes with real (asynchronous) storage: after every event, the work it started is
   * awaited before virtual time moves on, so the run is still a function of the seed.
   */
  async runAsync(): Promise<this> {
    this.asyncMode = true;
    this.begin();
    await this.settleAll();
    while (this.next()) await this.settleAll();
    return this;
  }

  private async settleAll(): Promise<void> {
    for (;;) {
      const bg = this.background;
      this.background = [];
      await Promise.all(bg);
      for (const p of this.nodes) if (p.alive && p.node?.settle) await p.node.settle();
      const boot = this.pendingBoots.shift();
      if (boot) {
        if (boot.alive && boot.node) boot.node.start();
        continue;
      }
      if (this.background.length === 0) return;
    }
  }

  private begin(): void {
    for (const p of this.nodes) this.boot(p);
    const gossip = this.opts.gossipMs ?? 150;
    const tick = (): void => {
      for (const p of this.nodes) if (p.alive && p.node) p.node.onTick();
      this.control(this.now + gossip, tick);
    };
    this.control(gossip, tick);
  }

  /** Runs one queued event; false when the run is over. */
  private next(): boolean {
    const item = this.q.pop();
    if (!item || item.at > this.maxTime) return false;
    this.now = item.at;
    this.events++;
    if (item.type === "control") item.run();
    else if (item.type === "timer") {
      const p = this.nodes[item.to];
      if (p.alive && p.incarnation === item.incarnation) item.run();
    } else {
      const p = this.nodes[item.to];
      if (!p.alive || !p.node) return true;
      const cut = this.cut[this.nodes[item.from].validatorIndex][p.validatorIndex];
      if (cut === Infinity) return true;
      if (cut >= 0) {
        // Held on a slow link: delivered after the heal.
        this.q.push({ ...item, at: cut + this.linkDelay(), seq: this.seq++ });
        return true;
      }
      this.messagesDelivered++;
      p.node.onMessage(item.from, item.msg);
    }
    if (this.commitSeen) {
      this.commitSeen = false;
      if (this.done()) return false;
    }
    return true;
  }

  /** Nodes that crash for good are excused; a node due to restart must catch up before the run ends. */
  done(): boolean {
    const lv = this.liveness;
    if (this.opts.liveness) return lv !== undefined && this.honest.every((p) => !p.alive || p.commits.has(lv.target));
    const excused = (p: SimProcess): boolean => (this.opts.crashes ?? []).some((c) => c.node === p.validatorIndex && c.restartAt === undefined && c.at <= this.now);
    const h = this.opts.heights;
    return h !== undefined && this.nodes.every((p) => excused(p) || !p.honest || p.commits.has(h));
  }

  private onCommit(p: SimProcess, c: CommitReport): void {
    const valueHex = toHex(c.value);
    if (p.commits.has(c.height)) this.violations.push(`${this.describe()}: process ${p.index} committed height ${c.height} twice`);
    if (p.honest && !this.firstCommit.has(c.height)) this.firstCommit.set(c.height, valueHex);
    p.commits.set(c.height, { valueHex, value: c.value, certificate: c.certificate, time: commitTime(c.certificate, this.validators), at: this.now, stateCommitment: c.stateCommitment, txs: c.txs });
    this.commitLog.push({ time: this.now, node: p.index, height: c.height });
    for (const tx of c.txs) if (this.submitted.get(tx) === p.index && !this.acks.has(tx)) this.acks.set(tx, { node: p.index, height: c.height, time: this.now });
    this.commitSeen = true;
  }

  /** Double-sign detector: every signature an honest validator's own process sends, across restarts. */
  private observeSend(p: SimProcess, msg: SimMessage): void {
    if (!p.honest) return;
    let key: string;
    let sig: Uint8Array;
    if (msg.kind === "vote") {
      const v = msg.vote.vote;
      if (!equalBytes(v.validator, p.key.validator.address)) return;
      key = `${p.validatorIndex}/${v.height}/${v.round}/${v.type}`;
      sig = msg.vote.signature;
    } else if (msg.kind === "proposal") {
      const pr = msg.proposal.proposal;
      if (!equalBytes(pr.proposer, p.key.validator.address)) return;
      key = `${p.validatorIndex}/${pr.height}/${pr.round}/proposal`;
      sig = msg.proposal.signature;
    } else return;
    const s = bytesKey(sig);
    const prior = this.honestSigned.get(key);
    if (prior === undefined) this.honestSigned.set(key, s);
    else if (prior !== s) this.violations.push(`${this.describe()}: honest validator ${p.validatorIndex} double-signed ${key} (t=${this.now})`);
  }

  private broadcastFrom(p: SimProcess, msg: SimMessage): void {
    this.observeSend(p, msg);
    const mode = p.byzantine;
    if ((mode === "equivocateProposals" || mode === "equivocate") && msg.kind === "proposal") return this.equivocateProposal(p, msg.proposal, msg.value);
    if ((mode === "equivocateVotes" || mode === "equivocate") && msg.kind === "vote") return this.equivocateVote(p, msg.vote);
    for (let to = 0; to < this.nodes.length; to++) if (to !== p.index) this.deliver(p, to, msg);
  }

  /** Side 0 gets the real proposal, side 1 another valid value for the same round, Byzantine peers both. */
  private equivocateProposal(p: SimProcess, sp: SignedProposal, value: Uint8Array): void {
    const pr = sp.proposal;
    const key = `${pr.height}/${pr.round}`;
    let plan = this.adversary.get(key);
    if (!plan) {
      const parsed = parseValue(value) ?? { height: pr.height, validator: p.validatorIndex, round: pr.round, tag: "x", txs: [] };
      const alt = makeValue({ ...parsed, tag: `alt${p.index}` });
      const altProposal = { ...pr, valueId: this.valueIdOf(alt) };
      plan = [
        { sp, value },
        { sp: { proposal: altProposal, signature: p.key.signer.sign(proposalSigningMessage(altProposal)) }, value: alt },
      ];
      this.adversary.set(key, plan);
    }
    for (const q of this.nodes) {
      if (q.index === p.index) continue;
      const side = this.sideOf(q);
      for (const s of side === "both" ? [0, 1] : [side]) this.deliver(p, q.index, { kind: "proposal", proposal: plan[s].sp, value: plan[s].value });
    }
  }

  /**
   * Each side gets a vote for that side's value when an equivocating proposer split the round,
   * otherwise side 0 the real vote and side 1 a conflicting one; some peers also get the other
   * copy, so equivocation evidence appears.
   */
  private equivocateVote(p: SimProcess, sv: SignedVote): void {
    const v = sv.vote;
    const plan = this.adversary.get(`${v.height}/${v.round}`);
    const isNil = equalBytes(v.blockHash, NIL_ID);
    const ids = plan ? [this.valueIdOf(plan[0].value), this.valueIdOf(plan[1].value)] : [v.blockHash, isNil ? suite.hash(utf8(`bogus:${v.height}:${v.round}`)) : NIL_ID];
    const signed = ids.map((id) => {
      if (equalBytes(id, v.blockHash)) return sv;
      const k = `${p.index}/${v.height}/${v.round}/${v.type}/${toHex(id)}`;
      let out = this.byzVotes.get(k);
      if (!out) {
        const vote: Vote = { ...v, blockHash: id };
        out = { vote, signature: p.key.signer.sign(voteSigningMessage(vote)) };
        this.byzVotes.set(k, out);
      }
      return out;
    });
    for (const q of this.nodes) {
      if (q.index === p.index) continue;
      const side = this.sideOf(q);
      const first = side === "both" ? 0 : side;
      this.deliver(p, q.index, { kind: "vote", vote: signed[first] });
      if (side === "both" || this.rand() < 0.3) this.deliver(p, q.index, { kind: "vote", vote: signed[1 - first] });
    }
  }
}
