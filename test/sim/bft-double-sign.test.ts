/**
 * Property: whatever events arrive, in whatever order, including restarts that keep only the
 * signed record, the core never signs two different votes for one (height, round, type) nor two
 * different proposals for one (height, round). Other validators' messages are validly signed
 * (they may all be Byzantine), so nothing here relies on an honest majority.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { BftEvent, SignedVote, Step } from "../../src/consensus/bft/messages.js";
import { NIL_ID, proposalSigningMessage, proposerIndex, proposerSchedule, voteKey } from "../../src/consensus/bft/messages.js";
import { BftCore } from "../../src/consensus/bft/state-machine.js";
import type { SignedRecord } from "../../src/consensus/bft/state-machine.js";
import type { Vote } from "../../src/ledger/block.js";
import { voteSigningMessage } from "../../src/ledger/block.js";
import { sortValidators } from "../../src/ledger/validators.js";
import { toHex, utf8 } from "../../src/util/bytes.js";
import { CHAIN, makeKeys, SIM_TIMEOUTS, suite, valueId } from "./simulator.js";

const keys = makeKeys([1, 1, 1, 1]);
const validators = keys.map((k) => k.validator);
const sorted = sortValidators(validators);
const schedule = proposerSchedule(validators);
const keyByAddr = new Map(keys.map((k) => [toHex(k.validator.address), k]));
const value = (h: number, k: number): Uint8Array => utf8(`${h}:v:${k}`);

type Op =
  | { op: "start"; h: number }
  | { op: "timeout"; h: number; r: number; step: Step }
  | { op: "proposal"; h: number; r: number; vr: number; k: number; forged: boolean }
  | { op: "vote"; from: number; type: Vote["type"]; h: number; r: number; k: number; time: number }
  | { op: "valueReady"; h: number; r: number; k: number }
  | { op: "validated"; h: number; k: number; valid: boolean }
  | { op: "restart" };

// Heights and rounds are offsets from the core's current ones, so most events land where they matter.
const H = fc.constantFrom(0, 0, 0, 0, 1, -1);
const R = fc.constantFrom(0, 0, 0, 1, 2, -1);
const K = fc.integer({ min: -1, max: 2 }); // -1 is nil for votes
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("start" as const), h: H }),
  fc.record({ op: fc.constant("timeout" as const), h: H, r: R, step: fc.constantFrom<Step>("propose", "prevote", "precommit") }),
  fc.record({ op: fc.constant("proposal" as const), h: H, r: R, vr: fc.integer({ min: -1, max: 3 }), k: fc.integer({ min: 0, max: 2 }), forged: fc.boolean() }),
  fc.record({ op: fc.constant("vote" as const), from: fc.integer({ min: 0, max: 3 }), type: fc.constantFrom<Vote["type"]>("prevote", "precommit"), h: H, r: R, k: K, time: fc.integer({ min: 0, max: 5 }) }),
  fc.record({ op: fc.constant("valueReady" as const), h: H, r: R, k: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ op: fc.constant("validated" as const), h: H, k: fc.integer({ min: 0, max: 2 }), valid: fc.boolean() }),
  fc.record({ op: fc.constant("restart" as const) }),
);

/** Votes for the current round from a random subset of validators, to make quorums common. */
const burstArb = fc.record({ type: fc.constantFrom<Vote["type"]>("prevote", "precommit"), dr: R, k: K, from: fc.subarray([0, 1, 2, 3], { minLength: 2 }) });
const anyOp = fc.oneof({ arbitrary: opArb, weight: 3 }, { arbitrary: burstArb.map((b) => ({ op: "burst" as const, ...b })), weight: 1 });

function toEvent(raw: Op, st: { height: number; round: number }): BftEvent | undefined {
  const o = "h" in raw ? { ...raw, h: Math.max(1, st.height + raw.h), ...("r" in raw ? { r: Math.max(0, st.round + raw.r) } : {}) } : raw;
  switch (o.op) {
    case "start":
      return { kind: "start", height: o.h };
    case "timeout":
      return { kind: "timeout", height: o.h, round: o.r, step: o.step };
    case "proposal": {
      if (o.vr >= o.r) return undefined;
      const proposer = sorted[proposerIndex(schedule, o.h, o.r)];
      const signerKey = o.forged ? keys[(keys.findIndex((k) => k.validator === proposer) + 1) % keys.length] : (keyByAddr.get(toHex(proposer.address)) as (typeof keys)[number]);
      const v = value(o.h, o.k);
      const proposal = { chain: CHAIN, height: o.h, round: o.r, validRound: o.vr, valueId: valueId(v), proposer: proposer.address };
      return { kind: "proposal", proposal: { proposal, signature: signerKey.signer.sign(proposalSigningMessage(proposal)) }, value: v };
    }
    case "vote": {
      const k = keys[o.from];
      const vote: Vote = { chain: CHAIN, type: o.type, height: o.h, round: o.r, blockHash: o.k < 0 ? NIL_ID : valueId(value(o.h, o.k)), time: o.time, validator: k.validator.address };
      return { kind: "vote", vote: { vote, signature: k.signer.sign(voteSigningMessage(vote)) } };
    }
    case "valueReady":
      return { kind: "valueReady", height: o.h, round: o.r, value: value(o.h, o.k) };
    case "validated":
      return { kind: "valueValidated", valueId: valueId(value(o.h, o.k)), valid: o.valid };
    case "restart":
      return undefined;
  }
}

const newCore = (signed?: SignedRecord): BftCore => new BftCore({ chain: CHAIN, suite, validators, signer: keys[0].signer, valueId, timeouts: SIM_TIMEOUTS, signed });

test("the core never signs conflicting votes or proposals, across adversarial events and restarts", () => {
  let checked = 0;
  const totals = { votes: 0, proposals: 0, commits: 0, refused: 0, resumedAfterRestart: 0 };
  const details = fc.check(
    fc.property(fc.array(anyOp, { minLength: 30, maxLength: 80, size: "max" }), (ops) => {
      let core = newCore();
      for (const a of core.step({ kind: "start", height: 1 })) record(a);
      // Lowest height a restart may resume at: the WAL contract is "never below the height last started".
      let floor = 1;
      const signedVotes = new Map<string, SignedVote>();
      const signedProposals = new Map<string, string>();
      const commits = new Map<number, string>();
      for (const o of ops) {
        if (o.op === "restart") {
          const rec = core.signedRecord();
          core = newCore(rec);
          const resumed = rec.votes.some((sv) => sv.vote.height === floor);
          for (const a of core.step({ kind: "start", height: floor })) record(a);
          if (resumed) totals.resumedAfterRestart++;
          continue;
        }
        const st = core.status();
        if (o.op === "burst") {
          for (const from of o.from) {
            const ev = toEvent({ op: "vote", from, type: o.type, h: 0, r: o.dr, k: o.k, time: 1 }, st);
            if (ev) for (const a of core.step(ev)) record(a);
          }
          continue;
        }
        if (o.op === "start") {
          const h = Math.max(1, st.height + o.h);
          if (h <= st.lastCommitted || h < floor) continue;
          floor = h;
        }
        const ev = toEvent(o, st);
        if (ev) for (const a of core.step(ev)) record(a);
      }
      totals.refused += core.stats.refusedSignatures;
      checked++;

      function record(a: ReturnType<BftCore["step"]>[number]): void {
        if (a.kind === "broadcastVote") {
          const v = a.vote.vote;
          assert.deepEqual(v.validator, keys[0].validator.address);
          const key = voteKey(v.height, v.round, v.type);
          const prior = signedVotes.get(key);
          if (prior) assert.deepEqual(prior.vote, v, `two different ${key} votes signed`);
          else signedVotes.set(key, a.vote);
          totals.votes++;
        } else if (a.kind === "broadcastProposal") {
          const p = a.proposal.proposal;
          const key = `${p.height}/${p.round}`;
          const prior = signedProposals.get(key);
          if (prior) assert.equal(prior, toHex(p.valueId), `two different proposals at ${key}`);
          else signedProposals.set(key, toHex(p.valueId));
          totals.proposals++;
        } else if (a.kind === "commit") {
          // One incarnation never commits a height twice (the core asserts it); across restarts
          // the driver restarts above the last commit, which this property does not model.
          commits.set(a.height, toHex(a.certificate.blockHash));
          totals.commits++;
        }
      }
    }),
    { numRuns: 300, seed: 20241122 },
  );
  if (details.failed) throw details.errorInstance;
  assert.equal(checked, 300);
  // Guards against a vacuous property: the generated sequences must make the core sign, commit,
  // and restart in the middle of heights it had voted at. A restarted core resumes in the step its
  // own votes show, so it does not even try to sign again where it signed (refused stays 0; the
  // guard in vote() is the second line of defence).
  assert.ok(totals.votes > 200 && totals.proposals > 50 && totals.commits > 10 && totals.resumedAfterRestart > 20, JSON.stringify(totals));
  assert.equal(totals.refused, 0, JSON.stringify(totals));
});
