/**
 * Wire-level types of the BFT core: signed votes and proposals, the events the core consumes and
 * the actions it returns, plus pure helpers (proposer schedule, commit time) that a verifier of a
 * finished chain needs without running a core.
 */
import { encode } from "../../codec/index.js";
import type { CommitCertificate, Vote } from "../../ledger/block.js";
import type { Validator } from "../../ledger/validators.js";
import { sortValidators, totalPower } from "../../ledger/validators.js";
import { concatBytes, utf8 } from "../../util/bytes.js";
import { assert } from "../../util/errors.js";

export type VoteType = Vote["type"];
export type Step = "propose" | "prevote" | "precommit";

/** The id a nil vote carries; Vote.blockHash is always 32 bytes, so nil is spelt as zeros. */
export const NIL_ID: Uint8Array = new Uint8Array(32);

export interface SignedVote {
  vote: Vote;
  signature: Uint8Array;
}

export interface Proposal {
  chain: string;
  height: number;
  round: number;
  /** -1 when the proposer has no valid value from an earlier round. */
  validRound: number;
  valueId: Uint8Array;
  proposer: Uint8Array;
}

export interface SignedProposal {
  proposal: Proposal;
  signature: Uint8Array;
}

export type BftEvent =
  | { kind: "start"; height: number; now?: number; prevBlockTime?: number }
  | { kind: "proposal"; proposal: SignedProposal; value: Uint8Array; now?: number }
  | { kind: "vote"; vote: SignedVote; now?: number }
  | { kind: "timeout"; height: number; round: number; step: Step; now?: number }
  | { kind: "valueReady"; height: number; round: number; value: Uint8Array; now?: number }
  | { kind: "valueValidated"; valueId: Uint8Array; valid: boolean; now?: number };

export type BftAction =
  | { kind: "broadcastProposal"; proposal: SignedProposal; value: Uint8Array }
  | { kind: "broadcastVote"; vote: SignedVote }
  | { kind: "scheduleTimeout"; height: number; round: number; step: Step; ms: number }
  | { kind: "requestValue"; height: number; round: number }
  | { kind: "validateValue"; height: number; valueId: Uint8Array; value: Uint8Array }
  | { kind: "commit"; height: number; value: Uint8Array; certificate: CommitCertificate }
  | { kind: "evidence"; first: SignedVote; second: SignedVote }
  /** Durable before any action of the same step is performed (it justifies the lock sent with it). */
  | { kind: "persistPolka"; polka: { proposal: SignedProposal; value: Uint8Array; prevotes: SignedVote[] } };

const PROPOSAL_PREFIX = utf8("civitas/proposal/v1\n");

export function proposalSigningMessage(p: Proposal): Uint8Array {
  // The canonical codec writes unsigned integers only where this is used, so the -1 sentinel is shifted.
  return concatBytes(
    PROPOSAL_PREFIX,
    encode({ v: 1, chain: p.chain, height: p.height, round: p.round, validRoundPlusOne: p.validRound + 1, valueId: p.valueId, proposer: p.proposer }),
  );
}

export function voteKey(height: number, round: number, type: VoteType): string {
  return `${height}/${round}/${type}`;
}

/** Integer form of "more than 2/3": no floating point near the boundary. */
export function isQuorum(power: number, total: number): boolean {
  return 3 * power > 2 * total;
}

/** "More than 1/3": at least one honest validator is among them. */
export function isOneThird(power: number, total: number): boolean {
  return 3 * power > total;
}

/**
 * Tendermint's proposer-priority algorithm over a fixed set, unrolled into one period. Each step
 * every priority grows by its power and the highest (ties: lowest address) is chosen and loses the
 * total; after `total` steps every validator has been chosen exactly `power` times and all
 * priorities are back at zero, so the sequence repeats with period `total`.
 */
export function proposerSchedule(validators: Validator[]): number[] {
  const vs = sortValidators(validators);
  const total = totalPower(vs);
  assert(total > 0 && total <= 1_000_000, "proposer schedule needs total power in 1..1e6", { total });
  const prio = vs.map(() => 0);
  const out: number[] = [];
  for (let k = 0; k < total; k++) {
    let best = 0;
    for (let i = 0; i < vs.length; i++) {
      prio[i] += vs[i].power;
      if (prio[i] > prio[best]) best = i;
    }
    prio[best] -= total;
    out.push(best);
  }
  assert(prio.every((p) => p === 0), "proposer schedule is not periodic");
  return out;
}

/**
 * Index (into the address-sorted set) of the proposer of (height, round). Consecutive rounds and
 * consecutive heights both advance the schedule, so a silent proposer costs one round, not a height.
 */
export function proposerIndex(schedule: number[], height: number, round: number): number {
  return schedule[(height - 1 + round) % schedule.length];
}

/**
 * Time of a committed block's certificate: the power-weighted median of its signatures' times
 * (the smallest time t such that signatures at or before t hold more than half the certificate's
 * power). With faulty power below 1/3 of the total and the certificate above 2/3, faulty signers
 * hold less than half of it, so the result lies between two honest validators' clocks.
 */
export function commitTime(certificate: CommitCertificate, validators: Validator[]): number {
  const powerOf = (addr: Uint8Array): number => {
    const v = validators.find((x) => x.address.length === addr.length && x.address.every((b, i) => b === addr[i]));
    assert(v !== undefined, "certificate signer is not a validator");
    return v.power;
  };
  const sigs = certificate.signatures.map((s) => ({ time: s.time, power: powerOf(s.validator) })).sort((a, b) => a.time - b.time);
  assert(sigs.length > 0, "empty certificate");
  const certPower = sigs.reduce((s, x) => s + x.power, 0);
  let acc = 0;
  for (const s of sigs) {
    acc += s.power;
    if (2 * acc > certPower) return s.time;
  }
  return sigs[sigs.length - 1].time;
}
