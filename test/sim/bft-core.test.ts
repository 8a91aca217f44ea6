/** Direct checks of BftCore rules that the network simulations only exercise indirectly. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { BftAction, SignedVote } from "../../src/consensus/bft/messages.js";
import { commitTime, isQuorum, NIL_ID, proposalSigningMessage, proposerSchedule } from "../../src/consensus/bft/messages.js";
import { BftCore } from "../../src/consensus/bft/state-machine.js";
import type { SignedRecord } from "../../src/consensus/bft/state-machine.js";
import type { Vote } from "../../src/ledger/block.js";
import { voteSigningMessage } from "../../src/ledger/block.js";
import { sortValidators } from "../../src/ledger/validators.js";
import { toHex, utf8 } from "../../src/util/bytes.js";
import { CHAIN, makeKeys, SIM_TIMEOUTS, suite, valueId } from "./simulator.js";

const keys = makeKeys([1, 1, 1, 1]);
const validators = keys.map((k) => k.validator);
const core = (i = 0): BftCore => new BftCore({ chain: CHAIN, suite, validators, signer: keys[i].signer, valueId, timeouts: SIM_TIMEOUTS });

function signedVote(from: number, over: Partial<Vote> = {}): SignedVote {
  const vote: Vote = { chain: CHAIN, type: "prevote", height: 1, round: 0, blockHash: valueId(utf8("x")), time: 5, validator: keys[from].validator.address, ...over };
  return { vote, signature: keys[from].signer.sign(voteSigningMessage(vote)) };
}

test("quorum arithmetic is integer and strict", () => {
  assert.equal(isQuorum(2, 3), false);
  assert.equal(isQuorum(3, 4), true);
  assert.equal(isQuorum(4, 6), false);
  assert.equal(isQuorum(5, 6), true);
  assert.equal(isQuorum(6, 8), true); // [5,1,1,1]: the heavy one plus any other is already a quorum
  assert.equal(isQuorum(5, 8), false);
});

test("invalid, foreign and duplicate votes are ignored and counted; equivocation yields evidence", () => {
  const c = core(0);
  c.step({ kind: "start", height: 1 });
  const good = signedVote(1);
  c.step({ kind: "vote", vote: good });
  c.step({ kind: "vote", vote: good });
  assert.equal(c.stats.duplicates, 1);
  c.step({ kind: "vote", vote: { vote: good.vote, signature: signedVote(2).signature } });
  c.step({ kind: "vote", vote: { ...good, vote: { ...good.vote, chain: "other" } } });
  const outsider = makeKeys([1, 1, 1, 1, 1])[4];
  const foreignVote: Vote = { ...good.vote, validator: outsider.validator.address };
  c.step({ kind: "vote", vote: { vote: foreignVote, signature: outsider.signer.sign(voteSigningMessage(foreignVote)) } });
  c.step({ kind: "vote", vote: { ...good, vote: { ...good.vote, blockHash: new Uint8Array(31) } } });
  assert.equal(c.stats.invalidVotes, 4);
  const actions = c.step({ kind: "vote", vote: signedVote(1, { blockHash: NIL_ID }) });
  const ev = actions.filter((a): a is Extract<BftAction, { kind: "evidence" }> => a.kind === "evidence");
  assert.equal(ev.length, 1);
  assert.equal(toHex(ev[0].first.vote.validator), toHex(keys[1].validator.address));
  assert.deepEqual(ev[0].second.vote.blockHash, NIL_ID);
  // Evidence is reported once per (validator, height, round, type).
  assert.equal(c.step({ kind: "vote", vote: signedVote(1, { blockHash: valueId(utf8("y")) }) }).filter((a) => a.kind === "evidence").length, 0);
});

test("timeouts grow with the round; a stale timeout does nothing", () => {
  const c = core(0);
  const first = c.step({ kind: "start", height: 1 }).find((a) => a.kind === "scheduleTimeout");
  assert.deepEqual(first, { kind: "scheduleTimeout", height: 1, round: 0, step: "propose", ms: 300 });
  assert.deepEqual(c.step({ kind: "timeout", height: 1, round: 5, step: "propose" }), []);
  const prevote = c.step({ kind: "timeout", height: 1, round: 0, step: "propose" });
  assert.equal(prevote.length, 1);
  assert.equal(prevote[0].kind, "broadcastVote");
  const next = c.step({ kind: "timeout", height: 1, round: 0, step: "precommit" }).find((a) => a.kind === "scheduleTimeout");
  assert.deepEqual(next, { kind: "scheduleTimeout", height: 1, round: 1, step: "propose", ms: 400 });
});

test("a restart rebuilds the lock and round from the signed record, and keeps the record", () => {
  const id = valueId(utf8("locked"));
  const pc: Vote = { chain: CHAIN, type: "precommit", height: 3, round: 2, blockHash: id, time: 9, validator: keys[0].validator.address };
  const rec = { votes: [{ vote: pc, signature: keys[0].signer.sign(voteSigningMessage(pc)) }], proposals: [] };
  const c = new BftCore({ chain: CHAIN, suite, validators, signer: keys[0].signer, valueId, timeouts: SIM_TIMEOUTS, signed: rec });
  c.step({ kind: "start", height: 3 });
  const st = c.status();
  assert.equal(st.round, 2);
  assert.equal(st.lockedRound, 2);
  assert.equal(c.signedVotes.size, 1);
  // It resumes in the precommit step of round 2 (it had precommitted), so nothing is signed again there.
  assert.equal(st.step, "precommit");
  assert.deepEqual(c.step({ kind: "timeout", height: 3, round: 2, step: "propose" }), []);
  const next = c.step({ kind: "timeout", height: 3, round: 2, step: "precommit" });
  assert.equal(c.status().round, 3);
  assert.ok(!next.some((a) => a.kind === "broadcastVote"));
  // Locked on a value it has no proposal for, the restarted node prevotes nil when round 3 times out.
  const pv = c.step({ kind: "timeout", height: 3, round: 3, step: "propose" }).find((a) => a.kind === "broadcastVote");
  assert.ok(pv && pv.kind === "broadcastVote");
  assert.equal(pv.vote.vote.round, 3);
  assert.deepEqual(pv.vote.vote.blockHash, NIL_ID);
  assert.equal(c.signedVotes.size, 2);
});

test("commit time is the power-weighted median of the certificate's vote times", () => {
  const ks = makeKeys([5, 1, 1, 1]);
  const vs = ks.map((k) => k.validator);
  const cert = (times: number[]) => ({ height: 1, round: 0, blockHash: NIL_ID, signatures: times.map((time, i) => ({ validator: vs[i].address, time, signature: new Uint8Array(64) })) });
  // Heavy validator (power 5 of a certificate of 7) alone fixes the median.
  assert.equal(commitTime(cert([100, 1, 2, 3]), vs), 100);
  assert.equal(commitTime(cert([100, 1000, 2000]), vs), 100);
  const eq = makeKeys([1, 1, 1, 1]).map((k) => k.validator);
  // Equal powers: the smallest time at which strictly more than half the power has signed, so the
  // middle of an odd count and the upper middle of an even one.
  assert.equal(commitTime({ ...cert([]), signatures: [30, 10, 20].map((time, i) => ({ validator: eq[i].address, time, signature: new Uint8Array(64) })) }, eq), 20);
  assert.equal(commitTime({ ...cert([]), signatures: [40, 30, 10, 20].map((time, i) => ({ validator: eq[i].address, time, signature: new Uint8Array(64) })) }, eq), 30);
});

test("proposer schedule for [5,1,1,1] gives the heavy validator 5 of every 8 turns", () => {
  const ks = makeKeys([5, 1, 1, 1]);
  const sorted = sortValidators(ks.map((k) => k.validator));
  const schedule = proposerSchedule(sorted);
  assert.equal(schedule.length, 8);
  const heavy = sorted.findIndex((v) => v.power === 5);
  assert.equal(schedule.filter((i) => i === heavy).length, 5);
  // Spread out, not in a block: no light validator waits more than 8 turns.
  for (let i = 0; i < 4; i++) if (i !== heavy) assert.equal(schedule.filter((x) => x === i).length, 1);
});

test("a restart re-admits the persisted polka: validValue survives and the locked value is re-proposed with its round", () => {
  const probe = core(0);
  const proposerAt = (round: number): number => keys.findIndex((k) => toHex(k.validator.address) === toHex(probe.proposerOf(1, round).address));
  const p0 = proposerAt(0);
  const me = proposerAt(1);
  assert.notEqual(p0, me, "test needs different proposers for rounds 0 and 1");
  const value = utf8("the locked block");
  const id = valueId(value);
  const proposal = { chain: CHAIN, height: 1, round: 0, validRound: -1, valueId: id, proposer: keys[p0].validator.address };
  const sp = { proposal, signature: keys[p0].signer.sign(proposalSigningMessage(proposal)) };

  const c = core(me);
  c.step({ kind: "start", height: 1 });
  const out: BftAction[] = [...c.step({ kind: "proposal", proposal: sp, value })];
  out.push(...c.step({ kind: "valueValidated", valueId: id, valid: true }));
  for (const from of [0, 1, 2, 3].filter((i) => i !== me).slice(0, 2)) out.push(...c.step({ kind: "vote", vote: signedVote(from, { blockHash: id, time: 5 }) }));
  const persisted = out.find((a) => a.kind === "persistPolka");
  assert.ok(persisted && persisted.kind === "persistPolka", "locking on a polka must persist it");
  assert.equal(persisted.polka.prevotes.length, 3);
  assert.equal(c.status().lockedRound, 0);
  const rec = c.signedRecord();
  assert.equal(rec.polkas?.length, 1);

  const restart = (signed: SignedRecord): BftAction[] => {
    const r = new BftCore({ chain: CHAIN, suite, validators, signer: keys[me].signer, valueId, timeouts: SIM_TIMEOUTS, signed });
    r.step({ kind: "start", height: 1 });
    assert.equal(r.status().lockedRound, 0);
    return r.step({ kind: "timeout", height: 1, round: 0, step: "precommit" });
  };
  // With the polka: validValue is back, and as round 1's proposer the node re-proposes the locked
  // value naming round 0, which peers accept once they see round 0's polka (also relayed).
  const withPolka = restart(rec).find((a) => a.kind === "broadcastProposal");
  assert.ok(withPolka && withPolka.kind === "broadcastProposal");
  assert.deepEqual(withPolka.value, value);
  assert.equal(withPolka.proposal.proposal.validRound, 0);
  // Without it (the old record), the node could only ask for a fresh value, which it and the other
  // locked nodes then refuse: the stall the simulator found.
  const without = restart({ ...rec, polkas: [] });
  assert.ok(without.some((a) => a.kind === "requestValue"));
  assert.ok(!without.some((a) => a.kind === "broadcastProposal"));
});

test("a restarted core counts its own restored votes: two peers' prevotes complete the polka", () => {
  const value = utf8("v");
  const id = valueId(value);
  const p0 = keys.findIndex((k) => toHex(k.validator.address) === toHex(core(0).proposerOf(1, 0).address));
  const me = (p0 + 1) % 4;
  const proposal = { chain: CHAIN, height: 1, round: 0, validRound: -1, valueId: id, proposer: keys[p0].validator.address };
  const sp = { proposal, signature: keys[p0].signer.sign(proposalSigningMessage(proposal)) };
  const own = signedVote(me, { blockHash: id });
  const c = new BftCore({ chain: CHAIN, suite, validators, signer: keys[me].signer, valueId, timeouts: SIM_TIMEOUTS, signed: { votes: [own], proposals: [] } });
  c.step({ kind: "start", height: 1 });
  assert.equal(c.status().step, "prevote");
  c.step({ kind: "proposal", proposal: sp, value });
  const others = [0, 1, 2, 3].filter((i) => i !== me).slice(0, 2);
  let acts: BftAction[] = [];
  for (const from of others) acts = acts.concat(c.step({ kind: "vote", vote: signedVote(from, { blockHash: id }) }));
  assert.ok(acts.some((a) => a.kind === "validateValue"), "the polka is complete, so the core asks to validate the value");
  acts = acts.concat(c.step({ kind: "valueValidated", valueId: id, valid: true }));
  const pc = acts.find((a) => a.kind === "broadcastVote" && a.vote.vote.type === "precommit");
  assert.ok(pc && pc.kind === "broadcastVote", "own prevote + 2 others = 3 of 4: the node must lock and precommit");
  assert.deepEqual(pc.vote.vote.blockHash, id);
  assert.equal(c.status().lockedRound, 0);
});
