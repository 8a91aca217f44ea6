/**
 * The Tendermint consensus algorithm (Buchman, Kwon, Milosevic 2018, "The latest gossip on BFT
 * consensus", Algorithm 1) as a pure state machine: `step(event)` returns the actions to perform.
 * The core has no clock, timers, randomness or I/O, so the same code runs under the seeded
 * simulator and, later, the real engine. docs/spec/consensus.md is the normative description;
 * comments here cite the paper's line numbers (L22 etc.).
 */
import type { CryptoSuite } from "../../crypto/suite.js";
import type { CommitCertificate, Vote } from "../../ledger/block.js";
import { voteSigningMessage } from "../../ledger/block.js";
import type { Validator } from "../../ledger/validators.js";
import { sortValidators, totalPower } from "../../ledger/validators.js";
import { equalBytes, toHex } from "../../util/bytes.js";
import { assert } from "../../util/errors.js";
import type { ValidatorSigner } from "../engine.js";
import type { BftAction, BftEvent, SignedProposal, SignedVote, Step, VoteType } from "./messages.js";
import { isOneThird, isQuorum, NIL_ID, proposalSigningMessage, proposerIndex, proposerSchedule, voteKey } from "./messages.js";

export interface TimeoutConfig {
  propose: number;
  proposeDelta: number;
  prevote: number;
  prevoteDelta: number;
  precommit: number;
  precommitDelta: number;
}

export const DEFAULT_TIMEOUTS: TimeoutConfig = { propose: 3000, proposeDelta: 500, prevote: 1000, prevoteDelta: 500, precommit: 1000, precommitDelta: 500 };

/**
 * A polka this node acted on: a round's proposal, its value and the prevotes (more than 2/3 of
 * the power) for it. It justifies the node's lock and validValue, so it survives a restart.
 */
export interface Polka {
  proposal: SignedProposal;
  value: Uint8Array;
  prevotes: SignedVote[];
}

/** What the WAL must hold across a restart so the core never signs a conflicting message. */
export interface SignedRecord {
  votes: SignedVote[];
  proposals: { proposal: SignedProposal; value: Uint8Array }[];
  /**
   * Polkas the core acted on (the highest round per height counts). Without them a restarted
   * node keeps its lock (rebuilt from its own precommits) but loses the value and the prevotes
   * behind it; if the polka included votes nobody else kept, the lock can then never be
   * released or re-proposed and the height stalls (simulator seed 1133 before this record).
   */
  polkas?: Polka[];
}

export interface BftConfig {
  chain: string;
  suite: Pick<CryptoSuite, "verify">;
  validators: Validator[];
  /** Absent for a non-validating observer. */
  signer?: ValidatorSigner;
  /** The 32-byte id of an opaque value (the block hash); must be deterministic. */
  valueId(value: Uint8Array): Uint8Array;
  timeouts?: TimeoutConfig;
  /** Restored from the WAL after a crash. */
  signed?: SignedRecord;
  /** How many decided heights to keep for catch-up gossip. */
  keepDecisions?: number;
  /**
   * TEST ONLY: deliberate faults for the simulator's negative controls (test/sim/). Never set
   * outside tests. `ignoreLock` makes L22/L28 prevote any valid proposal whatever the lock,
   * which breaks safety on purpose so the simulator's checkers can be shown to catch it.
   */
  unsafeTesting?: { ignoreLock?: boolean };
}

export interface Decision {
  height: number;
  proposal: SignedProposal;
  value: Uint8Array;
  precommits: SignedVote[];
  certificate: CommitCertificate;
}

export interface BftStats {
  invalidVotes: number;
  invalidProposals: number;
  conflictingProposals: number;
  staleMessages: number;
  duplicates: number;
  refusedSignatures: number;
  bufferedDropped: number;
}

/** Rounds further ahead than this are dropped: they cost memory and no honest node is that far. */
export const MAX_ROUNDS_AHEAD = 100;
/** Heights buffered ahead of the current one (messages of peers that committed before us). */
export const MAX_HEIGHTS_AHEAD = 3;
const MAX_BUFFERED = 20_000;

/**
 * Per validator, the first vote seen and then conflicting ones (one per distinct id, bounded). An
 * equivocator's votes are counted toward each id it signed: that is no more than it could achieve
 * by showing each node only one of them, and it lets a node whose copy differs from the one in a
 * peer's certificate still recognise that certificate's quorum.
 */
interface RoundVotes {
  prevote: Map<string, SignedVote[]>;
  precommit: Map<string, SignedVote[]>;
}

/** Conflicting votes kept per (validator, round, type), and conflicting proposals per height. */
const MAX_CONFLICTS = 4;
const MAX_EXTRA_PROPOSALS = 64;

type Validity = boolean | "pending";

export class BftCore {
  readonly stats: BftStats = { invalidVotes: 0, invalidProposals: 0, conflictingProposals: 0, staleMessages: 0, duplicates: 0, refusedSignatures: 0, bufferedDropped: 0 };
  /** Every vote this core signed at heights not yet committed: what the WAL persists. Key: voteKey(). */
  readonly signedVotes = new Map<string, SignedVote>();
  readonly signedProposals = new Map<string, { proposal: SignedProposal; value: Uint8Array }>();
  /** The highest-round polka seen at the current height (persisted with the signed record). */
  private polka: Polka | undefined;

  private readonly vals: Validator[];
  private readonly byAddr = new Map<string, Validator>();
  private readonly total: number;
  private readonly schedule: number[];
  private readonly timeouts: TimeoutConfig;
  private readonly me: Validator | undefined;

  private height = 0;
  private round = 0;
  private stepName: Step = "propose";
  private running = false;
  private lockedId: Uint8Array | null = null;
  private lockedRound = -1;
  private validValue: Uint8Array | null = null;
  private validRound = -1;
  private proposals = new Map<number, SignedProposal>();
  /** Validly signed proposals that lost to the first one of their round: their bytes may still be decided. */
  private extraProposals: SignedProposal[] = [];
  private values = new Map<string, Uint8Array>();
  private validity = new Map<string, Validity>();
  private votes = new Map<number, RoundVotes>();
  private fired = new Set<string>();
  private evidenceSeen = new Set<string>();
  private future: BftEvent[] = [];
  private readonly decisions = new Map<number, Decision>();
  private lastCommitted = 0;
  private now = 0;
  private prevBlockTime = 0;
  private out: BftAction[] = [];

  constructor(private readonly cfg: BftConfig) {
    this.vals = sortValidators(cfg.validators);
    for (const v of this.vals) {
      assert(v.address.length === 20 && Number.isSafeInteger(v.power) && v.power > 0, "bad validator");
      this.byAddr.set(toHex(v.address), v);
    }
    this.total = totalPower(this.vals);
    this.schedule = proposerSchedule(this.vals);
    this.timeouts = cfg.timeouts ?? DEFAULT_TIMEOUTS;
    this.me = cfg.signer ? this.byAddr.get(toHex(cfg.signer.address)) : undefined;
    for (const sv of cfg.signed?.votes ?? []) this.signedVotes.set(voteKey(sv.vote.height, sv.vote.round, sv.vote.type), sv);
    for (const p of cfg.signed?.proposals ?? []) this.signedProposals.set(`${p.proposal.proposal.height}/${p.proposal.proposal.round}`, p);
    for (const pk of cfg.signed?.polkas ?? []) if (!this.polka || pk.proposal.proposal.height > this.polka.proposal.proposal.height || (pk.proposal.proposal.height === this.polka.proposal.proposal.height && pk.proposal.proposal.round > this.polka.proposal.proposal.round)) this.polka = pk;
  }

  status(): { height: number; round: number; step: Step; running: boolean; lockedRound: number; validRound: number; lastCommitted: number } {
    return { height: this.height, round: this.round, step: this.stepName, running: this.running, lockedRound: this.lockedRound, validRound: this.validRound, lastCommitted: this.lastCommitted };
  }

  proposerOf(height: number, round: number): Validator {
    return this.vals[proposerIndex(this.schedule, height, round)];
  }

  /** The signed record to persist; the WAL writes it before any returned action leaves the node. */
  signedRecord(): SignedRecord {
    return { votes: [...this.signedVotes.values()], proposals: [...this.signedProposals.values()], polkas: this.polka ? [this.polka] : [] };
  }

  /** Own messages at the current height, for periodic re-gossip over a lossy network. */
  ownMessages(): { proposals: { proposal: SignedProposal; value: Uint8Array }[]; votes: SignedVote[] } {
    const h = this.height;
    return {
      proposals: [...this.signedProposals.values()].filter((p) => p.proposal.proposal.height === h),
      votes: [...this.signedVotes.values()].filter((v) => v.vote.height === h),
    };
  }

  /**
   * Everything at the current height a peer may be missing, own and relayed: every counted vote
   * of every round, and the proposals of the current round and of the rounds behind the lock and
   * validValue. Relaying others' messages is what lets a polka that some honest nodes saw reach
   * the rest (a Byzantine validator may show its vote to only some, a link may be down).
   */
  gossipMessages(): { proposals: { proposal: SignedProposal; value: Uint8Array }[]; votes: SignedVote[] } {
    if (!this.running) return { proposals: [], votes: [] };
    const votes: SignedVote[] = [];
    for (const rv of this.votes.values()) for (const m of [rv.prevote, rv.precommit]) for (const list of m.values()) votes.push(...list);
    const proposals: { proposal: SignedProposal; value: Uint8Array }[] = [];
    for (const r of new Set([this.round, this.validRound, this.lockedRound])) {
      const sp = this.proposals.get(r);
      const value = sp && this.values.get(toHex(sp.proposal.valueId));
      if (sp && value) proposals.push({ proposal: sp, value });
    }
    return { proposals, votes };
  }

  /** What a peer stuck at `height` needs to commit it: the proposal and the certificate's precommits. */
  decision(height: number): Decision | undefined {
    return this.decisions.get(height);
  }

  step(ev: BftEvent): BftAction[] {
    this.out = [];
    if (ev.now !== undefined && ev.now > this.now) this.now = ev.now;
    this.handle(ev);
    if (this.running) this.process();
    const out = this.out;
    this.out = [];
    return out;
  }

  // ------------------------------------------------------------------------------------------
  // events

  private handle(ev: BftEvent): void {
    switch (ev.kind) {
      case "start":
        this.onStart(ev.height, ev.prevBlockTime ?? 0);
        return;
      case "proposal":
        this.onProposal(ev.proposal, ev.value, ev);
        return;
      case "vote":
        this.onVote(ev.vote, ev);
        return;
      case "timeout":
        this.onTimeout(ev.height, ev.round, ev.step);
        return;
      case "valueReady":
        this.onValueReady(ev.height, ev.round, ev.value);
        return;
      case "valueValidated": {
        const k = toHex(ev.valueId);
        if (this.running && this.validity.get(k) === "pending") this.validity.set(k, ev.valid);
        return;
      }
    }
  }

  private onStart(height: number, prevBlockTime: number): void {
    assert(Number.isSafeInteger(height) && height >= 1, "bad start height");
    assert(height > this.lastCommitted, "start of an already committed height", { height, lastCommitted: this.lastCommitted });
    if (this.running && height === this.height) return;
    this.height = height;
    this.prevBlockTime = prevBlockTime;
    this.running = true;
    this.lockedId = null;
    this.lockedRound = -1;
    this.validValue = null;
    this.validRound = -1;
    this.proposals = new Map();
    this.extraProposals = [];
    this.values = new Map();
    this.validity = new Map();
    this.votes = new Map();
    this.fired = new Set();
    this.evidenceSeen = new Set();
    for (const [k, sv] of this.signedVotes) if (sv.vote.height < height) this.signedVotes.delete(k);
    for (const [k, p] of this.signedProposals) if (p.proposal.proposal.height < height) this.signedProposals.delete(k);

    // After a restart the lock is rebuilt from our own precommits: the highest non-nil one is
    // exactly the lock Algorithm 1 would hold. validValue is not recoverable (it comes from
    // others' prevotes), which only costs liveness until the next polka is seen.
    let startRound = 0;
    const stepIn = new Map<number, Step>();
    for (const sv of this.signedVotes.values()) {
      if (sv.vote.height !== height) continue;
      startRound = Math.max(startRound, sv.vote.round);
      if (sv.vote.type === "precommit" || !stepIn.has(sv.vote.round)) stepIn.set(sv.vote.round, sv.vote.type);
      if (sv.vote.type === "precommit" && !equalBytes(sv.vote.blockHash, NIL_ID) && sv.vote.round > this.lockedRound) {
        this.lockedRound = sv.vote.round;
        this.lockedId = sv.vote.blockHash;
      }
      // Own votes count in the tallies as they did before the crash; peers need not send them back.
      if (this.me) this.roundVotes(sv.vote.round)[sv.vote.type].set(toHex(this.me.address), [sv]);
    }
    for (const p of this.signedProposals.values()) {
      if (p.proposal.proposal.height !== height) continue;
      this.proposals.set(p.proposal.proposal.round, p.proposal);
      this.values.set(toHex(p.proposal.proposal.valueId), p.value);
      this.validity.set(toHex(p.proposal.proposal.valueId), true);
    }
    if (this.polka && this.polka.proposal.proposal.height === height) this.restorePolka(this.polka);
    else this.polka = undefined;
    this.startRound(startRound);
    // Resume in the step the own votes show, so the next rules are the ones that were due.
    const step = stepIn.get(startRound);
    if (step) this.stepName = step;

    const buffered = this.future;
    this.future = [];
    for (const ev of buffered) this.handle(ev);
  }

  private onValueReady(height: number, round: number, value: Uint8Array): void {
    if (!this.running || height !== this.height || round !== this.round || this.stepName !== "propose") return;
    if (!this.isMyTurn(height, round) || this.proposals.has(round)) return;
    this.validity.set(toHex(this.cfg.valueId(value)), true);
    this.propose(value, -1);
  }

  private onTimeout(height: number, round: number, step: Step): void {
    if (!this.running || height !== this.height || round !== this.round) return;
    // L57, L61, L65
    if (step === "propose" && this.stepName === "propose") {
      this.vote("prevote", NIL_ID);
      this.stepName = "prevote";
    } else if (step === "prevote" && this.stepName === "prevote") {
      this.vote("precommit", NIL_ID);
      this.stepName = "precommit";
    } else if (step === "precommit") {
      this.startRound(round + 1);
    }
  }

  /** Returns true when the message belongs to a later height and was buffered (or dropped). */
  private deferIfFuture(height: number, ev: BftEvent): boolean {
    if (height > this.height || (!this.running && height === this.height && height > this.lastCommitted)) {
      if (height > this.height + MAX_HEIGHTS_AHEAD || this.future.length >= MAX_BUFFERED) this.stats.bufferedDropped++;
      else this.future.push(ev);
      return true;
    }
    return false;
  }

  private onProposal(sp: SignedProposal, value: Uint8Array, ev: BftEvent): void {
    const p = sp.proposal;
    if (p.chain !== this.cfg.chain || !Number.isSafeInteger(p.height) || !Number.isSafeInteger(p.round) || !Number.isSafeInteger(p.validRound)) {
      this.stats.invalidProposals++;
      return;
    }
    if (this.deferIfFuture(p.height, ev)) return;
    if (p.height < this.height || !this.running) {
      this.stats.staleMessages++;
      return;
    }
    if (p.round < 0 || p.round > this.round + MAX_ROUNDS_AHEAD || p.validRound < -1 || p.validRound >= p.round) {
      this.stats.invalidProposals++;
      return;
    }
    const existing = this.proposals.get(p.round);
    if (existing && equalBytes(existing.signature, sp.signature)) {
      this.stats.duplicates++;
      return;
    }
    const proposer = this.proposerOf(p.height, p.round);
    if (!equalBytes(p.proposer, proposer.address) || !(p.valueId instanceof Uint8Array) || p.valueId.length !== 32 || equalBytes(p.valueId, NIL_ID)) {
      this.stats.invalidProposals++;
      return;
    }
    if (!equalBytes(this.cfg.valueId(value), p.valueId) || !this.cfg.suite.verify(proposalSigningMessage(p), sp.signature, proposer.publicKey)) {
      this.stats.invalidProposals++;
      return;
    }
    if (existing) {
      // A second, different signed proposal for one round: the first one drives this node's
      // prevote, but the other's bytes are kept because peers may decide it.
      this.stats.conflictingProposals++;
      if (this.extraProposals.length < MAX_EXTRA_PROPOSALS && !this.values.has(toHex(p.valueId))) {
        this.extraProposals.push(sp);
        this.values.set(toHex(p.valueId), value);
      }
      return;
    }
    this.proposals.set(p.round, sp);
    this.values.set(toHex(p.valueId), value);
  }

  private onVote(sv: SignedVote, ev: BftEvent): void {
    const v = sv.vote;
    if (!wellFormedVote(v) || v.chain !== this.cfg.chain) {
      this.stats.invalidVotes++;
      return;
    }
    if (this.deferIfFuture(v.height, ev)) return;
    if (v.height < this.height || !this.running) {
      this.stats.staleMessages++;
      return;
    }
    if (v.round > this.round + MAX_ROUNDS_AHEAD) {
      this.stats.staleMessages++;
      return;
    }
    const addr = toHex(v.validator);
    const val = this.byAddr.get(addr);
    if (!val) {
      this.stats.invalidVotes++;
      return;
    }
    const slot = this.roundVotes(v.round)[v.type];
    const seen = slot.get(addr) ?? [];
    if (seen.some((x) => equalBytes(x.signature, sv.signature))) {
      this.stats.duplicates++;
      return;
    }
    const existing = seen[0];
    if (!this.cfg.suite.verify(voteSigningMessage(v), sv.signature, val.publicKey)) {
      this.stats.invalidVotes++;
      return;
    }
    if (existing) {
      // Chain, height, round, type and validator match by the slot; a vote for the same block
      // with another time is a re-signed copy (e.g. after a restart), not equivocation.
      if (equalBytes(existing.vote.blockHash, v.blockHash)) {
        this.stats.duplicates++;
        return;
      }
      const key = `${addr}/${voteKey(v.height, v.round, v.type)}`;
      if (!this.evidenceSeen.has(key)) {
        this.evidenceSeen.add(key);
        this.out.push({ kind: "evidence", first: existing, second: sv });
      }
      if (seen.length < MAX_CONFLICTS && !seen.some((x) => equalBytes(x.vote.blockHash, v.blockHash))) seen.push(sv);
      return;
    }
    slot.set(addr, [sv]);
  }

  /**
   * Re-admits a persisted polka after a restart: its proposal and prevotes are verified like any
   * peer message (the WAL is trusted for what we signed, not for what others signed), then
   * validValue is set from it. The lock itself comes from our own precommits.
   */
  private restorePolka(pk: Polka): void {
    const before = { votes: this.stats.invalidVotes, proposals: this.stats.invalidProposals };
    this.onProposal(pk.proposal, pk.value, { kind: "proposal", proposal: pk.proposal, value: pk.value });
    for (const sv of pk.prevotes) this.onVote(sv, { kind: "vote", vote: sv });
    assert(this.stats.invalidVotes === before.votes && this.stats.invalidProposals === before.proposals, "persisted polka does not verify");
    const r = pk.proposal.proposal.round;
    const id = pk.proposal.proposal.valueId;
    if (this.hasQuorum(r, "prevote", id) && r > this.validRound) {
      // The value was valid when the polka was acted on, and validity is a function of the
      // committed prefix, which has not changed at this height.
      this.validity.set(toHex(id), true);
      this.validValue = pk.value;
      this.validRound = r;
    }
  }

  private recordPolka(round: number, sp: SignedProposal, value: Uint8Array): void {
    const id = sp.proposal.valueId;
    const prevotes: SignedVote[] = [];
    for (const list of (this.votes.get(round) as RoundVotes).prevote.values()) {
      const sv = list.find((x) => equalBytes(x.vote.blockHash, id));
      if (sv) prevotes.push(sv);
    }
    prevotes.sort((a, b) => (toHex(a.vote.validator) < toHex(b.vote.validator) ? -1 : 1));
    this.polka = { proposal: sp, value, prevotes };
    this.out.push({ kind: "persistPolka", polka: this.polka });
  }

  // ------------------------------------------------------------------------------------------
  // Algorithm 1

  private startRound(round: number): void {
    // L11-L21
    this.round = round;
    this.stepName = "propose";
    if (this.isMyTurn(this.height, round)) {
      const prior = this.signedProposals.get(`${this.height}/${round}`);
      if (prior) this.propose(prior.value, prior.proposal.proposal.validRound);
      else if (this.validValue) this.propose(this.validValue, this.validRound);
      else this.out.push({ kind: "requestValue", height: this.height, round });
    }
    this.out.push({ kind: "scheduleTimeout", height: this.height, round, step: "propose", ms: this.timeouts.propose + this.timeouts.proposeDelta * round });
  }

  /** Runs the "upon" rules until none fires: each fires at most once per round or changes the step. */
  private process(): void {
    for (let guard = 0; guard < 10_000; guard++) {
      if (!this.running) return;
      if (this.ruleDecide() || this.ruleRoundSkip() || this.ruleProposal() || this.ruleTimeoutPrevote() || this.rulePolka() || this.ruleLatePolka() || this.ruleNilPolka() || this.ruleTimeoutPrecommit()) continue;
      return;
    }
    assert(false, "consensus rules did not settle");
  }

  /** L22 and L28. */
  private ruleProposal(): boolean {
    if (this.stepName !== "propose") return false;
    const sp = this.proposals.get(this.round);
    if (!sp) return false;
    const { valueId: id, validRound: vr } = sp.proposal;
    let acceptable: boolean;
    if (vr === -1) {
      acceptable = this.lockedRound === -1 || equalBytes(this.lockedId as Uint8Array, id);
    } else {
      if (!this.hasQuorum(vr, "prevote", id)) return false;
      acceptable = this.lockedRound <= vr || equalBytes(this.lockedId as Uint8Array, id);
    }
    if (this.cfg.unsafeTesting?.ignoreLock) acceptable = true; // test-only negative control
    const valid = this.validityOf(id);
    if (valid === "pending") return false;
    this.vote("prevote", valid && acceptable ? id : NIL_ID);
    this.stepName = "prevote";
    return true;
  }

  /** L34. */
  private ruleTimeoutPrevote(): boolean {
    const key = `tpv/${this.round}`;
    if (this.stepName !== "prevote" || this.fired.has(key) || !this.anyQuorum(this.round, "prevote")) return false;
    this.fired.add(key);
    this.out.push({ kind: "scheduleTimeout", height: this.height, round: this.round, step: "prevote", ms: this.timeouts.prevote + this.timeouts.prevoteDelta * this.round });
    return true;
  }

  /** L36: a polka for the current round's proposal locks (in prevote) and always updates validValue. */
  private rulePolka(): boolean {
    const key = `polka/${this.round}`;
    if (this.stepName === "propose" || this.fired.has(key)) return false;
    const sp = this.proposals.get(this.round);
    if (!sp) return false;
    const id = sp.proposal.valueId;
    if (!this.hasQuorum(this.round, "prevote", id)) return false;
    const valid = this.validityOf(id);
    if (valid !== true) return false;
    this.fired.add(key);
    const value = this.values.get(toHex(id)) as Uint8Array;
    if (this.stepName === "prevote") {
      this.lockedId = id;
      this.lockedRound = this.round;
      this.vote("precommit", id);
      this.stepName = "precommit";
    }
    this.validValue = value;
    this.validRound = this.round;
    this.recordPolka(this.round, sp, value);
    return true;
  }

  /**
   * A polka of an earlier round than the current one, above validRound, seen late (relayed, or
   * replayed after a restart): it only updates validValue, so this node's next proposal can carry
   * it. Not in Algorithm 1, which updates validValue in the current round only; it is safe because
   * validValue decides only what a proposer proposes, and a proposal naming validRound is accepted
   * only by nodes that see that round's polka themselves (L28). It restores liveness when the
   * polka behind some nodes' locks reaches a node that was not in that round.
   */
  private ruleLatePolka(): boolean {
    let best = -1;
    for (const [r, sp] of this.proposals) {
      if (r >= this.round || r <= this.validRound || r <= best) continue;
      const id = sp.proposal.valueId;
      if (this.hasQuorum(r, "prevote", id) && this.validityOf(id) === true) best = r;
    }
    if (best < 0) return false;
    const sp = this.proposals.get(best) as SignedProposal;
    const value = this.values.get(toHex(sp.proposal.valueId)) as Uint8Array;
    this.validValue = value;
    this.validRound = best;
    this.recordPolka(best, sp, value);
    return true;
  }

  /** L44. */
  private ruleNilPolka(): boolean {
    if (this.stepName !== "prevote" || !this.hasQuorum(this.round, "prevote", NIL_ID)) return false;
    this.vote("precommit", NIL_ID);
    this.stepName = "precommit";
    return true;
  }

  /** L47. */
  private ruleTimeoutPrecommit(): boolean {
    const key = `tpc/${this.round}`;
    if (this.fired.has(key) || !this.anyQuorum(this.round, "precommit")) return false;
    this.fired.add(key);
    this.out.push({ kind: "scheduleTimeout", height: this.height, round: this.round, step: "precommit", ms: this.timeouts.precommit + this.timeouts.precommitDelta * this.round });
    return true;
  }

  /**
   * L49, in any round. The paper pairs the precommits with that round's proposal; any proposal of
   * this height carrying the same id supplies the same bytes, and safety rests on the precommits.
   */
  private ruleDecide(): boolean {
    for (const [round, rv] of this.votes) {
      const byId = new Map<string, number>();
      for (const list of rv.precommit.values()) {
        for (const sv of list) {
          const k = toHex(sv.vote.blockHash);
          byId.set(k, (byId.get(k) ?? 0) + this.powerOf(sv.vote.validator));
        }
      }
      for (const [k, power] of byId) {
        if (!isQuorum(power, this.total) || k === NIL_HEX) continue;
        const value = this.values.get(k);
        if (!value || !this.proposalFor(k)) continue;
        const valid = this.validityOf(this.cfg.valueId(value));
        if (valid !== true) continue;
        this.decide(round, value, k);
        return true;
      }
    }
    return false;
  }

  /** L55: more than 1/3 of the power is already in a later round, so this one is behind. */
  private ruleRoundSkip(): boolean {
    let target = -1;
    const rounds = new Set<number>([...this.votes.keys(), ...this.proposals.keys()]);
    for (const r of rounds) {
      if (r <= this.round || r <= target) continue;
      const senders = new Set<string>();
      const rv = this.votes.get(r);
      for (const m of [rv?.prevote, rv?.precommit]) for (const a of m?.keys() ?? []) senders.add(a);
      const sp = this.proposals.get(r);
      if (sp) senders.add(toHex(sp.proposal.proposer));
      let power = 0;
      for (const a of senders) power += (this.byAddr.get(a) as Validator).power;
      if (isOneThird(power, this.total)) target = r;
    }
    if (target < 0) return false;
    this.startRound(target);
    return true;
  }

  private decide(round: number, value: Uint8Array, idHex: string): void {
    const id = this.cfg.valueId(value);
    const precommits = [...(this.votes.get(round) as RoundVotes).precommit.values()]
      .flatMap((list) => list.filter((sv) => toHex(sv.vote.blockHash) === idHex))
      .sort((a, b) => (toHex(a.vote.validator) < toHex(b.vote.validator) ? -1 : 1));
    const power = precommits.reduce((s, sv) => s + this.powerOf(sv.vote.validator), 0);
    assert(power <= this.total, "quorum exceeds total power", { power, total: this.total });
    assert(isQuorum(power, this.total), "commit without a quorum");
    assert(this.height > this.lastCommitted && !this.decisions.has(this.height), "second commit at one height", { height: this.height });
    const proposal = this.proposalFor(idHex) as SignedProposal;
    assert(proposal !== undefined, "decided value has no proposal");
    const certificate: CommitCertificate = {
      height: this.height,
      round,
      blockHash: id,
      signatures: precommits.map((sv) => ({ validator: sv.vote.validator, time: sv.vote.time, signature: sv.signature })),
    };
    this.decisions.set(this.height, { height: this.height, proposal, value, precommits, certificate });
    const keep = this.cfg.keepDecisions ?? 256;
    for (const h of this.decisions.keys()) if (h <= this.height - keep) this.decisions.delete(h);
    this.lastCommitted = this.height;
    this.running = false;
    this.out.push({ kind: "commit", height: this.height, value, certificate });
  }

  // ------------------------------------------------------------------------------------------
  // signing: the only place signatures are made, and the double-sign guard

  private propose(value: Uint8Array, validRound: number): void {
    const signer = this.cfg.signer;
    if (!signer || !this.me) return;
    const id = this.cfg.valueId(value);
    const key = `${this.height}/${this.round}`;
    let rec = this.signedProposals.get(key);
    if (rec && !equalBytes(rec.proposal.proposal.valueId, id)) {
      this.stats.refusedSignatures++;
      return;
    }
    if (!rec) {
      const proposal = { chain: this.cfg.chain, height: this.height, round: this.round, validRound, valueId: id, proposer: this.me.address };
      rec = { proposal: { proposal, signature: signer.sign(proposalSigningMessage(proposal)) }, value };
      this.signedProposals.set(key, rec);
    }
    this.proposals.set(this.round, rec.proposal);
    this.values.set(toHex(id), value);
    this.validity.set(toHex(id), true);
    this.out.push({ kind: "broadcastProposal", proposal: rec.proposal, value });
  }

  private vote(type: VoteType, id: Uint8Array): void {
    const signer = this.cfg.signer;
    if (!signer || !this.me) return;
    const key = voteKey(this.height, this.round, type);
    let sv = this.signedVotes.get(key);
    if (sv && !equalBytes(sv.vote.blockHash, id)) {
      this.stats.refusedSignatures++;
      return;
    }
    if (!sv) {
      const vote: Vote = { chain: this.cfg.chain, type, height: this.height, round: this.round, blockHash: id, time: Math.max(this.now, this.prevBlockTime + 1), validator: this.me.address };
      sv = { vote, signature: signer.sign(voteSigningMessage(vote)) };
      this.signedVotes.set(key, sv);
    }
    this.roundVotes(this.round)[type].set(toHex(this.me.address), [sv]);
    this.out.push({ kind: "broadcastVote", vote: sv });
  }

  // ------------------------------------------------------------------------------------------
  // helpers

  private proposalFor(idHex: string): SignedProposal | undefined {
    return [...this.proposals.values(), ...this.extraProposals].find((sp) => toHex(sp.proposal.valueId) === idHex);
  }

  private isMyTurn(height: number, round: number): boolean {
    return this.me !== undefined && equalBytes(this.proposerOf(height, round).address, this.me.address);
  }

  private validityOf(id: Uint8Array): Validity {
    const k = toHex(id);
    const v = this.validity.get(k);
    if (v !== undefined) return v;
    const value = this.values.get(k);
    if (!value) return "pending";
    this.validity.set(k, "pending");
    this.out.push({ kind: "validateValue", height: this.height, valueId: id, value });
    return "pending";
  }

  private roundVotes(round: number): RoundVotes {
    let rv = this.votes.get(round);
    if (!rv) {
      rv = { prevote: new Map(), precommit: new Map() };
      this.votes.set(round, rv);
    }
    return rv;
  }

  private powerOf(addr: Uint8Array): number {
    return (this.byAddr.get(toHex(addr)) as Validator).power;
  }

  private hasQuorum(round: number, type: VoteType, id: Uint8Array): boolean {
    const m = this.votes.get(round)?.[type];
    if (!m) return false;
    let power = 0;
    for (const list of m.values()) if (list.some((sv) => equalBytes(sv.vote.blockHash, id))) power += this.powerOf(list[0].vote.validator);
    assert(power <= this.total, "tally exceeds total power");
    return isQuorum(power, this.total);
  }

  private anyQuorum(round: number, type: VoteType): boolean {
    const m = this.votes.get(round)?.[type];
    if (!m) return false;
    let power = 0;
    for (const list of m.values()) power += this.powerOf(list[0].vote.validator);
    return isQuorum(power, this.total);
  }
}

const NIL_HEX = toHex(NIL_ID);

function wellFormedVote(v: Vote): boolean {
  return (
    v !== null &&
    typeof v === "object" &&
    (v.type === "prevote" || v.type === "precommit") &&
    Number.isSafeInteger(v.height) &&
    v.height >= 1 &&
    Number.isSafeInteger(v.round) &&
    v.round >= 0 &&
    Number.isSafeInteger(v.time) &&
    v.time >= 0 &&
    v.blockHash instanceof Uint8Array &&
    v.blockHash.length === 32 &&
    v.validator instanceof Uint8Array &&
    v.validator.length === 20
  );
}

