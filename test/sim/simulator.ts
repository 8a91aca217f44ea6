/**
 * Deterministic network simulator for BftCore: N cores with real ed25519 keys, virtual time, a
 * seeded PRNG driving delays, drops, duplicates and reordering, timed partitions, crashes with
 * restart (the signed record survives, as the WAL will guarantee) and Byzantine equivocators.
 * Same seed, same run: every failure message carries the seed.
 */
import { getNodeSuite } from "../../src/crypto/node-suites.js";
import type { ValidatorSigner } from "../../src/consensus/engine.js";
import { BftCore } from "../../src/consensus/bft/state-machine.js";
import type { SignedRecord, TimeoutConfig } from "../../src/consensus/bft/state-machine.js";
import type { BftAction, BftEvent, SignedProposal, SignedVote } from "../../src/consensus/bft/messages.js";
import { commitTime, NIL_ID, proposalSigningMessage } from "../../src/consensus/bft/messages.js";
import type { CommitCertificate, Vote } from "../../src/ledger/block.js";
import { voteSigningMessage } from "../../src/ledger/block.js";
import type { Validator } from "../../src/ledger/validators.js";
import { fromHex, fromUtf8, toHex, utf8 } from "../../src/util/bytes.js";
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

export type ByzantineMode = "equivocateVotes" | "equivocateProposals";

export interface SimOptions {
  seed: number;
  powers: number[];
  heights: number;
  /** Virtual-time budget; the run stops here even if heights are missing. */
  maxTime: number;
  delay?: { min: number; max: number };
  dropRate?: number;
  dupRate?: number;
  timeouts?: TimeoutConfig;
  /** Re-gossip period of own messages and of decisions to lagging peers. */
  gossipMs?: number;
  byzantine?: { node: number; mode: ByzantineMode }[];
  crashes?: { node: number; at: number; restartAt?: number }[];
  /** Partition groups from `at` until `healAt`; messages across groups are lost. */
  partitions?: { at: number; healAt: number; groups: number[][] }[];
}

export interface CommitRecord {
  valueHex: string;
  value: Uint8Array;
  certificate: CommitCertificate;
  time: number;
}

interface SimNode {
  index: number;
  key: Key;
  core: BftCore;
  alive: boolean;
  incarnation: number;
  byzantine?: ByzantineMode;
  commits: Map<number, CommitRecord>;
  evidence: { first: SignedVote; second: SignedVote }[];
  peerHeight: number[];
}

type Msg = { kind: "proposal"; proposal: SignedProposal; value: Uint8Array } | { kind: "vote"; vote: SignedVote };

type QueueItem =
  | { at: number; seq: number; type: "deliver"; to: number; from: number; msg: Msg }
  | { at: number; seq: number; type: "event"; to: number; incarnation: number; ev: BftEvent }
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

export const SIM_TIMEOUTS: TimeoutConfig = { propose: 300, proposeDelta: 100, prevote: 200, prevoteDelta: 100, precommit: 200, precommitDelta: 100 };

export class Simulation {
  readonly rand: () => number;
  readonly keys: Key[];
  readonly validators: Validator[];
  readonly nodes: SimNode[];
  now = 0;
  /** Height -> value hex of the first commit anywhere; a different later commit is a safety violation. */
  readonly firstCommit = new Map<number, string>();
  readonly violations: string[] = [];
  /** Commit events in order: (time, node, height). */
  readonly commitLog: { time: number; node: number; height: number }[] = [];
  readonly proposersByHeight = new Map<number, string>();
  messagesSent = 0;
  /** Every vote an honest node ever broadcast, by validator and (height, round, type), across restarts. */
  private readonly honestVotes = new Map<string, string>();
  private seq = 0;
  private readonly q = new Queue();
  private groups: number[][] | null = null;

  constructor(readonly opts: SimOptions) {
    this.rand = mulberry32(opts.seed);
    this.keys = makeKeys(opts.powers);
    this.validators = this.keys.map((k) => k.validator);
    this.nodes = this.keys.map((key, index) => ({
      index,
      key,
      core: this.newCore(key),
      alive: true,
      incarnation: 0,
      byzantine: opts.byzantine?.find((b) => b.node === index)?.mode,
      commits: new Map(),
      evidence: [],
      peerHeight: opts.powers.map(() => 0),
    }));
    for (const c of opts.crashes ?? []) {
      this.control(c.at, () => this.crash(c.node));
      if (c.restartAt !== undefined) this.control(c.restartAt, () => this.restart(c.node));
    }
    for (const p of opts.partitions ?? []) {
      this.control(p.at, () => (this.groups = p.groups));
      this.control(p.healAt, () => (this.groups = null));
    }
  }

  private newCore(key: Key, signed?: SignedRecord): BftCore {
    return new BftCore({ chain: CHAIN, suite, validators: this.validators, signer: key.signer, valueId, timeouts: this.opts.timeouts ?? SIM_TIMEOUTS, signed });
  }

  describe(): string {
    return `seed=${this.opts.seed}`;
  }

  private control(at: number, run: () => void): void {
    this.q.push({ at, seq: this.seq++, type: "control", run });
  }

  private event(to: number, at: number, ev: BftEvent): void {
    this.q.push({ at, seq: this.seq++, type: "event", to, incarnation: this.nodes[to].incarnation, ev });
  }

  private connected(a: number, b: number): boolean {
    if (!this.groups) return true;
    return this.groups.some((g) => g.includes(a) && g.includes(b));
  }

  private send(from: number, to: number, msg: Msg): void {
    this.messagesSent++;
    const { min, max } = this.opts.delay ?? { min: 1, max: 20 };
    if (this.rand() < (this.opts.dropRate ?? 0)) return;
    const copies = this.rand() < (this.opts.dupRate ?? 0) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const at = this.now + min + Math.floor(this.rand() * (max - min + 1));
      this.q.push({ at, seq: this.seq++, type: "deliver", to, from, msg });
    }
  }

  private broadcast(from: number, msg: Msg): void {
    for (let to = 0; to < this.nodes.length; to++) if (to !== from) this.send(from, to, msg);
  }

  crash(i: number): void {
    const n = this.nodes[i];
    n.alive = false;
    n.incarnation++;
  }

  /** Restart from the last commit with only the signed record surviving (what the WAL keeps). */
  restart(i: number): void {
    const n = this.nodes[i];
    const record = n.core.signedRecord();
    n.core = this.newCore(n.key, record);
    n.alive = true;
    n.incarnation++;
    const last = Math.max(0, ...n.commits.keys());
    this.apply(n, n.core.step({ kind: "start", height: last + 1, now: this.now, prevBlockTime: n.commits.get(last)?.time ?? 0 }));
  }

  run(): void {
    for (const n of this.nodes) this.apply(n, n.core.step({ kind: "start", height: 1, now: 0 }));
    this.control(this.opts.gossipMs ?? 150, () => this.gossip());
    while (this.q.size > 0) {
      const item = this.q.pop() as QueueItem;
      if (item.at > this.opts.maxTime) break;
      this.now = item.at;
      if (item.type === "control") item.run();
      else if (item.type === "event") {
        const n = this.nodes[item.to];
        if (n.alive && n.incarnation === item.incarnation) this.apply(n, n.core.step({ ...item.ev, now: this.now }));
      } else {
        const n = this.nodes[item.to];
        if (!n.alive || !this.nodes[item.from].alive || !this.connected(item.from, item.to)) continue;
        const h = item.msg.kind === "vote" ? item.msg.vote.vote.height : item.msg.proposal.proposal.height;
        n.peerHeight[item.from] = Math.max(n.peerHeight[item.from], h);
        const ev: BftEvent = item.msg.kind === "vote" ? { kind: "vote", vote: item.msg.vote, now: this.now } : { kind: "proposal", proposal: item.msg.proposal, value: item.msg.value, now: this.now };
        this.apply(n, n.core.step(ev));
      }
      if (this.done()) break;
    }
  }

  /** Nodes that crash for good are excused; a node due to restart must catch up before the run ends. */
  done(): boolean {
    const excused = (i: number): boolean => (this.opts.crashes ?? []).some((c) => c.node === i && c.restartAt === undefined && c.at <= this.now);
    return this.nodes.every((n) => excused(n.index) || n.commits.has(this.opts.heights));
  }

  /**
   * Models a gossip layer over lossy links: own messages of the current height are re-sent, and a
   * peer seen at a lower height is sent the proposal and precommits that decided it.
   */
  private gossip(): void {
    for (const n of this.nodes) {
      if (!n.alive) continue;
      const own = n.core.ownMessages();
      for (const p of own.proposals) this.broadcast(n.index, { kind: "proposal", proposal: p.proposal, value: p.value });
      for (const v of own.votes) this.broadcast(n.index, { kind: "vote", vote: v });
      const myHeight = n.core.status().height;
      for (let j = 0; j < this.nodes.length; j++) {
        if (j === n.index || n.peerHeight[j] >= myHeight) continue;
        const d = n.core.decision(Math.max(1, n.peerHeight[j]));
        if (!d) continue;
        this.send(n.index, j, { kind: "proposal", proposal: d.proposal, value: d.value });
        for (const v of d.precommits) this.send(n.index, j, { kind: "vote", vote: v });
      }
    }
    this.control(this.now + (this.opts.gossipMs ?? 150), () => this.gossip());
  }

  private apply(n: SimNode, actions: BftAction[]): void {
    for (const a of actions) {
      switch (a.kind) {
        case "broadcastProposal":
          if (n.byzantine === "equivocateProposals") this.equivocateProposal(n, a.proposal, a.value);
          else this.broadcast(n.index, { kind: "proposal", proposal: a.proposal, value: a.value });
          break;
        case "broadcastVote": {
          const v = a.vote.vote;
          const key = `${n.index}/${v.height}/${v.round}/${v.type}`;
          const sig = toHex(a.vote.signature);
          const prior = this.honestVotes.get(key);
          if (prior !== undefined && prior !== sig && !n.byzantine) this.violations.push(`${this.describe()} node ${n.index} double-signed ${key}`);
          this.honestVotes.set(key, sig);
          this.broadcast(n.index, { kind: "vote", vote: a.vote });
          if (n.byzantine === "equivocateVotes") this.equivocateVote(n, a.vote);
          break;
        }
        case "scheduleTimeout":
          this.event(n.index, this.now + a.ms, { kind: "timeout", height: a.height, round: a.round, step: a.step });
          break;
        case "requestValue": {
          this.proposersByHeight.set(a.height, toHex(n.key.validator.address));
          const value = utf8(`${a.height}:${n.index}:${a.round}`);
          this.event(n.index, this.now + 2, { kind: "valueReady", height: a.height, round: a.round, value });
          break;
        }
        case "validateValue": {
          const valid = fromUtf8(a.value).startsWith(`${a.height}:`);
          this.event(n.index, this.now + 1, { kind: "valueValidated", valueId: a.valueId, valid });
          break;
        }
        case "commit":
          this.onCommit(n, a.height, a.value, a.certificate);
          break;
        case "evidence":
          n.evidence.push({ first: a.first, second: a.second });
          break;
      }
    }
  }

  private onCommit(n: SimNode, height: number, value: Uint8Array, certificate: CommitCertificate): void {
    const valueHex = toHex(value);
    if (n.commits.has(height)) this.violations.push(`${this.describe()} node ${n.index} committed height ${height} twice`);
    const first = this.firstCommit.get(height);
    if (first === undefined) this.firstCommit.set(height, valueHex);
    else if (first !== valueHex) this.violations.push(`${this.describe()} disagreement at height ${height}: ${fromUtf8(value)} vs ${fromUtf8(fromHex(first))}`);
    const time = commitTime(certificate, this.validators);
    n.commits.set(height, { valueHex, value, certificate, time });
    this.commitLog.push({ time: this.now, node: n.index, height });
    if (height < this.opts.heights) this.event(n.index, this.now + 1, { kind: "start", height: height + 1, prevBlockTime: time });
  }

  /** A second vote for the same (height, round, type) with a different id, signed outside the core. */
  private equivocateVote(n: SimNode, sv: SignedVote): void {
    const other = NIL_ID.every((b, i) => b === sv.vote.blockHash[i]) ? suite.hash(utf8(`bogus:${sv.vote.height}:${sv.vote.round}`)) : NIL_ID;
    const vote: Vote = { ...sv.vote, blockHash: other };
    this.broadcast(n.index, { kind: "vote", vote: { vote, signature: n.key.signer.sign(voteSigningMessage(vote)) } });
  }

  /** Half the peers get the real proposal, the other half a different value for the same round. */
  private equivocateProposal(n: SimNode, sp: SignedProposal, value: Uint8Array): void {
    const p = sp.proposal;
    const alt = utf8(`${p.height}:${n.index}:${p.round}:alt`);
    const altProposal = { ...p, valueId: valueId(alt) };
    const altSp: SignedProposal = { proposal: altProposal, signature: n.key.signer.sign(proposalSigningMessage(altProposal)) };
    for (let to = 0; to < this.nodes.length; to++) {
      if (to === n.index) continue;
      if (to % 2 === 0) this.send(n.index, to, { kind: "proposal", proposal: sp, value });
      else this.send(n.index, to, { kind: "proposal", proposal: altSp, value: alt });
    }
  }
}
