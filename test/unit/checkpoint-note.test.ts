import { test } from "node:test";
import assert from "node:assert/strict";
import { sha256 } from "@noble/hashes/sha2.js";
import { leafHash, rootFromLeafHashes } from "../../src/ledger/merkle.js";
import { checkConsistency, openCheckpoint, parseCheckpointText, formatCheckpoint } from "../../src/proof/checkpoint/checkpoint.js";
import { ProofLog } from "../../src/proof/checkpoint/log.js";
import type { ProofLogSource } from "../../src/proof/checkpoint/log.js";
import { NoteError, noteKeyId, openNote, parseSignerKey, parseVerifierKey, signerFromSeed, signNote, verifierKeyString } from "../../src/proof/checkpoint/note.js";
import { toHex, utf8 } from "../../src/util/bytes.js";
import { ErrorCode } from "../../src/util/errors.js";

// golang.org/x/mod/sumdb/note documentation example (the C2SP signed-note reference vector).
const GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_NOTE = GO_TEXT + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const h = (d: Uint8Array): Uint8Array => sha256(d);

test("signed note: the sumdb/note vector signs and opens byte for byte", () => {
  const signer = parseSignerKey(GO_SKEY);
  assert.equal(signer.keyId, 0xc74f20a3);
  assert.equal(noteKeyId(signer.name, signer.publicKey), 0xc74f20a3);
  assert.equal(verifierKeyString(signer), GO_VKEY);
  assert.equal(signNote(GO_TEXT, [signer]), GO_NOTE);
  const v = parseVerifierKey(GO_VKEY);
  const opened = openNote(GO_NOTE, [v]);
  assert.equal(opened.text, GO_TEXT);
  assert.deepEqual(opened.verified.map((s) => s.name), ["PeterNeumann"]);

  // Tampered text, a wrong key, a key ID that does not match, garbage.
  assert.throws(() => openNote(GO_NOTE.replace("problem,", "problem;"), [v]), (e: NoteError) => e.code === ErrorCode.CHECKPOINT_INVALID && /does not verify/.test(e.message));
  const other = signerFromSeed("PeterNeumann", new Uint8Array(32).fill(7));
  assert.throws(() => openNote(GO_NOTE, [other]), /no signature by a known key/);
  assert.throws(() => parseVerifierKey(GO_VKEY.replace("c74f20a3", "c74f20a4")), /does not match/);
  assert.throws(() => openNote("no blank line\n", [v]), NoteError);
  // A second signature by an unknown key is ignored, not fatal.
  const extra = signerFromSeed("Witness", new Uint8Array(32).fill(9));
  const both = signNote(GO_TEXT, [parseSignerKey(GO_SKEY), extra]);
  assert.deepEqual(openNote(both, [v]).unverified.map((s) => s.name), ["Witness"]);
  assert.equal(openNote(both, [v, extra]).verified.length, 2);
});

test("checkpoint: tlog-checkpoint text round trip and strict parsing", () => {
  const c = { origin: "civitas/test/proofs", size: 12, rootHash: toHex(h(utf8("x"))), extensions: [] };
  const text = formatCheckpoint(c);
  assert.equal(text.split("\n").length, 4);
  assert.deepEqual(parseCheckpointText(text), c);
  assert.throws(() => parseCheckpointText(text.replace("\n12\n", "\n012\n")), /leading zeros/);
  assert.throws(() => parseCheckpointText("o\n1\nAAAA\n"), /32 bytes/);
});

function fakeSource(records: Array<{ height: number; bytes: Uint8Array }>, head: { height: number }): ProofLogSource {
  return {
    hash: h,
    headHeight: () => head.height,
    registrations: (from, to) => records.map((r, i) => ({ height: r.height, fingerprint: String(i) })).filter((r) => r.height >= from && r.height <= to),
    recordAt: (fp) => records[Number(fp)].bytes,
  };
}

test("proof log: checkpoints at every N blocks, consistency between them, split views detected", () => {
  const signer = signerFromSeed("civitas/test/proofs", new Uint8Array(32).fill(1));
  const records = Array.from({ length: 40 }, (_, i) => ({ height: 1 + Math.floor(i / 3), bytes: utf8(`record ${i}`) }));
  const head = { height: 4 };
  const log = new ProofLog({ origin: signer.name, everyBlocks: 5, signer }, fakeSource(records, head));
  assert.equal(log.latest().height, 0);
  assert.equal(log.latest().checkpoint.size, 0);
  head.height = 7;
  const first = log.latest();
  assert.equal(first.height, 5);
  assert.equal(first.checkpoint.size, records.filter((r) => r.height <= 5).length);
  const expectedRoot = rootFromLeafHashes(h, records.filter((r) => r.height <= 5).map((r) => leafHash(h, r.bytes)));
  assert.equal(first.checkpoint.rootHash, toHex(expectedRoot));
  const verifier = parseVerifierKey(verifierKeyString(signer));
  assert.deepEqual(openCheckpoint(first.note, verifier), first.checkpoint);

  head.height = 13;
  const second = log.latest();
  assert.equal(second.height, 10);
  const older = openCheckpoint(first.note, verifier);
  const newer = openCheckpoint(second.note, verifier);
  const proof = log.consistency(older.size, newer.size).proof;
  assert.deepEqual(checkConsistency(h, older, newer, proof), { ok: true });

  // A forked log signed by the same key (an equivocating operator): same history up to the
  // first checkpoint, then one record differs. Each view is self-consistent; across views no proof works.
  const forked = records.map((r, i) => (i === 16 ? { ...r, bytes: utf8("forged record") } : r));
  const evil = new ProofLog({ origin: signer.name, everyBlocks: 5, signer }, fakeSource(forked, head));
  const evilCp = openCheckpoint(evil.latest().note, verifier);
  assert.equal(evilCp.size, newer.size);
  assert.deepEqual(checkConsistency(h, newer, evilCp, []), { ok: false, reason: `split view: two roots for tree size ${newer.size}` });
  head.height = 15;
  const evilLater = openCheckpoint(evil.latest().note, verifier);
  const evilProof = evil.consistency(newer.size, evilLater.size).proof;
  assert.equal(checkConsistency(h, newer, evilLater, evilProof).ok, false);
  assert.equal(checkConsistency(h, evilCp, evilLater, evilProof).ok, true);
  assert.equal(checkConsistency(h, newer, older, []).ok, false); // rollback
  assert.throws(() => log.consistency(5, 1), (e: { code: string }) => e.code === ErrorCode.API_BAD_REQUEST);
  // A checkpoint whose note was altered after signing does not open.
  assert.throws(() => openCheckpoint(second.note.replace(`\n${newer.size}\n`, `\n${newer.size + 1}\n`), verifier), /does not verify/);
});
