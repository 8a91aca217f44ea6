import assert from "node:assert/strict";
import { test } from "node:test";
import { proposerSchedule } from "../../src/consensus/bft/messages.js";
import { fromHex, fromUtf8, toHex } from "../../src/util/bytes.js";
import { assertCommitted, assertSafe, simulate } from "./helpers.js";
import { makeKeys } from "./simulator.js";

const NET = { delay: { min: 1, max: 80 }, dropRate: 0.05, dupRate: 0.05 };

test("slow network (delays beyond the propose timeout): rounds change, safety and liveness hold", () => {
  let multiRound = 0;
  for (let seed = 3000; seed < 3015; seed++) {
    const sim = simulate({ seed, powers: [1, 1, 1, 1], heights: 6, maxTime: 300_000, delay: { min: 50, max: 700 }, dropRate: 0.1, dupRate: 0.1 });
    assertSafe(sim);
    assertCommitted(sim, [0, 1, 2, 3], 6);
    for (const c of sim.nodes[0].commits.values()) if (c.certificate.round > 0) multiRound++;
  }
  assert.ok(multiRound > 0, "no seed exercised a round change; the test would not cover locking");
});

test("one crashed node of 4: the other three keep committing; after restart it catches up and never contradicts", () => {
  for (const seed of [11, 12, 13, 14, 15]) {
    const sim = simulate({ seed, powers: [1, 1, 1, 1], heights: 20, maxTime: 120_000, ...NET, crashes: [{ node: 3, at: 400, restartAt: 4000 }] });
    assertSafe(sim);
    const during = sim.commitLog.filter((e) => e.node !== 3 && e.time > 500 && e.time < 4000).map((e) => e.height);
    assert.ok(new Set(during).size >= 5, `only ${new Set(during).size} heights committed while node 3 was down (seed=${seed})`);
    assert.equal(sim.commitLog.some((e) => e.node === 3 && e.time > 400 && e.time < 4000), false, `crashed node committed (seed=${seed})`);
    // Catch-up here is replay of decisions (proposal + precommits) by peers, not block sync.
    assertCommitted(sim, [0, 1, 2, 3], 20);
  }
});

test("crash and restart in the middle of rounds keeps the signed record: no double signing, safety holds", () => {
  for (let seed = 40; seed < 50; seed++) {
    const crashes = [
      { node: 1, at: 130 + seed, restartAt: 900 + seed },
      { node: 2, at: 2000 + seed * 3, restartAt: 2600 },
    ];
    const sim = simulate({ seed, powers: [1, 1, 1, 1], heights: 15, maxTime: 200_000, delay: { min: 5, max: 250 }, dropRate: 0.1, dupRate: 0.1, crashes });
    assertSafe(sim);
    assertCommitted(sim, [0, 1, 2, 3], 15);
    for (const n of sim.nodes) assert.equal(n.evidence.length, 0, `honest restart produced equivocation evidence (seed=${seed})`);
  }
});

test("partition 2|2: no commits without quorum, commits resume after healing, safety holds", () => {
  for (const seed of [21, 22, 23, 24, 25]) {
    const sim = simulate({ seed, powers: [1, 1, 1, 1], heights: 12, maxTime: 200_000, ...NET, partitions: [{ at: 300, healAt: 5000, groups: [[0, 1], [2, 3]] }] });
    assertSafe(sim);
    // Grace of a few ms after the cut: a node may still finish validating a value whose quorum
    // arrived earlier. A node may also catch up, inside its group, on a height its neighbour
    // decided before the cut; no height may be newly decided while neither side has a quorum.
    const before = Math.max(0, ...sim.commitLog.filter((e) => e.time <= 310).map((e) => e.height));
    const inside = sim.commitLog.filter((e) => e.time > 310 && e.time < 5000 && e.height > before);
    assert.deepEqual(inside, [], `new heights decided during the partition (seed=${seed})`);
    assert.ok(before < 12, `everything committed before the partition; the test is vacuous (seed=${seed})`);
    assertCommitted(sim, [0, 1, 2, 3], 12);
  }
});

test("one vote-equivocating Byzantine validator of 4: safety, liveness, and evidence naming it", () => {
  for (const seed of [31, 32, 33, 34, 35]) {
    const sim = simulate({ seed, powers: [1, 1, 1, 1], heights: 10, maxTime: 120_000, ...NET, byzantine: [{ node: 3, mode: "equivocateVotes" }] });
    assertSafe(sim);
    assertCommitted(sim, [0, 1, 2], 10);
    const byz = toHex(sim.nodes[3].key.validator.address);
    for (const i of [0, 1, 2]) {
      const ev = sim.nodes[i].evidence;
      assert.ok(ev.length > 0, `node ${i} saw no evidence (seed=${seed})`);
      for (const e of ev) {
        assert.equal(toHex(e.first.vote.validator), byz, `evidence names an honest validator (seed=${seed})`);
        assert.equal(toHex(e.second.vote.validator), byz);
        assert.equal(e.first.vote.height, e.second.vote.height);
        assert.equal(e.first.vote.round, e.second.vote.round);
        assert.equal(e.first.vote.type, e.second.vote.type);
        assert.notDeepEqual(e.first.vote.blockHash, e.second.vote.blockHash);
      }
    }
  }
});

test("one proposal-equivocating Byzantine validator of 4: safety and liveness", () => {
  for (const seed of [51, 52, 53, 54, 55]) {
    const sim = simulate({ seed, powers: [1, 1, 1, 1], heights: 10, maxTime: 120_000, ...NET, byzantine: [{ node: 0, mode: "equivocateProposals" }] });
    assertSafe(sim);
    assertCommitted(sim, [1, 2, 3], 10);
  }
});

// Powers [3,1,1,1]: total 6, a quorum needs 3p > 12, i.e. p >= 5. The heavy validator with one
// other holds 4 (not enough); with two others 5 (enough); the three light ones hold 3 (not
// enough). With [5,1,1,1] the heavy one plus any other (6 of 8) already is a quorum.
const WEIGHTED = [3, 1, 1, 1];

test("weighted power [3,1,1,1]: heavy + one light cannot commit, heavy + two can, the light three cannot", () => {
  const seed = 61;
  const twoDown = simulate({ seed, powers: WEIGHTED, heights: 3, maxTime: 20_000, ...NET, crashes: [{ node: 2, at: 0 }, { node: 3, at: 0 }] });
  assert.equal(twoDown.commitLog.length, 0, `power 4 of 6 committed (seed=${seed})`);
  const heavyDown = simulate({ seed, powers: WEIGHTED, heights: 3, maxTime: 20_000, ...NET, crashes: [{ node: 0, at: 0 }] });
  assert.equal(heavyDown.commitLog.length, 0, `power 3 of 6 committed (seed=${seed})`);
  const oneDown = simulate({ seed, powers: WEIGHTED, heights: 10, maxTime: 60_000, ...NET, crashes: [{ node: 3, at: 0 }] });
  assertSafe(oneDown);
  assertCommitted(oneDown, [0, 1, 2], 10);
});

test("weighted power: proposer frequency follows power", () => {
  const keys = makeKeys(WEIGHTED);
  const schedule = proposerSchedule(keys.map((k) => k.validator));
  assert.equal(schedule.length, 6);
  const sorted = [...keys].sort((a, b) => (toHex(a.validator.address) < toHex(b.validator.address) ? -1 : 1));
  const counts = new Map<number, number>();
  for (const i of schedule) counts.set(sorted[i].validator.power, (counts.get(sorted[i].validator.power) ?? 0) + 1);
  assert.equal(counts.get(3), 3);
  assert.equal(counts.get(1), 3);

  const sim = simulate({ seed: 62, powers: WEIGHTED, heights: 24, maxTime: 60_000 });
  assertSafe(sim);
  assertCommitted(sim, [0, 1, 2, 3], 24);
  const proposed = [0, 0, 0, 0];
  for (const c of sim.nodes[0].commits.values()) {
    assert.equal(c.certificate.round, 0, "seed=62: a round change would skew the count");
    proposed[Number(fromUtf8(fromHex(c.valueHex)).split(":")[1])]++;
  }
  assert.deepEqual(proposed, [12, 4, 4, 4], "seed=62: 24 heights, powers 3:1:1:1");
});
