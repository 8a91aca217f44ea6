/**
 * The consensus WAL file: what was appended (votes, proposals, polkas) comes back after a reopen,
 * a torn tail is cut off, and pruning keeps exactly the heights still in force.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getNodeSuite } from "../../src/crypto/node-suites.js";
import type { SignedProposal, SignedVote } from "../../src/consensus/bft/messages.js";
import { proposalSigningMessage } from "../../src/consensus/bft/messages.js";
import { FileWal } from "../../src/consensus/bft/wal.js";
import type { Vote } from "../../src/ledger/block.js";
import { voteSigningMessage } from "../../src/ledger/block.js";
import { utf8 } from "../../src/util/bytes.js";

const suite = getNodeSuite("ed25519-sha256");
const kp = suite.generateKeyPair();
const addr = new Uint8Array(20).fill(7);
const id = suite.hash(utf8("block"));

function vote(height: number, round: number, type: Vote["type"]): SignedVote {
  const v: Vote = { chain: "c", type, height, round, blockHash: id, time: 10 + round, validator: addr };
  return { vote: v, signature: suite.sign(voteSigningMessage(v), kp.secretKey) };
}

function proposal(height: number, round: number, validRound: number): SignedProposal {
  const p = { chain: "c", height, round, validRound, valueId: id, proposer: addr };
  return { proposal: p, signature: suite.sign(proposalSigningMessage(p), kp.secretKey) };
}

test("FileWal: votes, proposals and polkas survive a reopen; a torn tail is cut; prune keeps later heights", () => {
  const dir = mkdtempSync(join(tmpdir(), "civitas-wal-"));
  try {
    const path = join(dir, "consensus.wal");
    const w = new FileWal(path);
    const polka = { proposal: proposal(5, 1, 0), value: utf8("block"), prevotes: [vote(5, 1, "prevote"), vote(5, 1, "prevote")] };
    w.append([{ kind: "vote", vote: vote(4, 0, "prevote") }]);
    w.append([{ kind: "proposal", proposal: proposal(5, 0, -1), value: utf8("block") }, { kind: "vote", vote: vote(5, 1, "precommit") }, { kind: "polka", polka }]);
    w.close();

    const size = statSync(path).size;
    appendFileSync(path, Buffer.from([0, 0, 1, 0, 9, 9])); // a frame that claims 256 bytes: torn
    const r = new FileWal(path);
    assert.equal(statSync(path).size, size, "torn tail cut on open");
    const rec = r.load();
    assert.equal(rec.votes.length, 2);
    assert.deepEqual(rec.votes[1], vote(5, 1, "precommit"));
    assert.equal(rec.proposals.length, 1);
    assert.equal(rec.proposals[0].proposal.proposal.validRound, -1);
    assert.deepEqual(rec.polkas, [polka]);

    r.prune(5);
    const after = r.load();
    assert.deepEqual(after.votes.map((v) => v.vote.height), [5]);
    assert.equal(after.polkas?.length, 1);
    r.prune(6);
    assert.deepEqual(r.load(), { votes: [], proposals: [] });
    assert.equal(readFileSync(path).length, 0);
    r.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
