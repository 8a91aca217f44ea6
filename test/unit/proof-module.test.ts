/**
 * The `proof` module on a real chain (LMDB in a tmp folder, blocks proposed, certified and
 * committed in-process): single and aggregated registration verified through the node-side
 * lookups (every receipt of a batch verifies, a tampered path or leaf does not), salted
 * commitments, supersede/revoke/transfer with history and lineage, refusals with typed codes and
 * no state change (wrong key, unknown or deactivated owner, malformed input, duplicates, quota),
 * queries by owner/type/time, and a replay by verify-chain reaching the same state root.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { registrationMessage } from "../../src/modules/proof/index.js";
import { verifyChain } from "../../src/node/verify-chain.js";
import { batchReceipts, batchTree } from "../../src/sdk/proofs-client.js";
import type { ProofReceipt } from "../../src/proof/receipt.js";
import { checkReceipt, RECEIPT_TYPE } from "../../src/proof/receipt.js";
import { historyOf, lineageOf, listRecords, readRecord, verifyAnswer } from "../../src/proof/lookup.js";
import { verifyStateProof } from "../../src/sdk/proofs.js";
import { toHex } from "../../src/util/bytes.js";
import { ErrorCode } from "../../src/util/errors.js";
import { batchArgs, createOwner, failed, ok, proofState, registerArgs, withProofChain } from "./proof-helpers.js";

const T = { timeout: 120_000 };
const sha = (b: Uint8Array | string): Uint8Array => new Uint8Array(createHash("sha256").update(b).digest());
const hex = (b: Uint8Array | string): string => toHex(sha(b));

test("register a document: record, history, event, verification answer with tx and state proof; duplicates refused", T, async () => {
  await withProofChain(async (c) => {
    const uni = await createOwner(c, "university");
    const fp = hex("diploma of alice");
    const r = await c.run(uni.wallet, "register", registerArgs(c, uni, { fingerprint: fp, metadata: '{"year":2024}' }));
    ok(r);
    assert.deepEqual(r.events.map((e) => [e.type, e.attrs]), [["Registered", { fingerprint: fp, kind: "document", count: 1, owner: uni.did, docType: "academic-certificate", salted: 0 }]]);
    const v = verifyAnswer(c.view(), fp);
    assert.equal(v.registered, true);
    assert.equal(v.match, "document");
    assert.equal(v.owner, uni.did);
    assert.equal(v.status, "active");
    assert.equal(v.final, true);
    const at = v.registeredAt as { height: number; time: number; txHash: string };
    assert.equal(at.height, c.chain.head().height);
    assert.equal(at.time, c.chain.getBlock(at.height)?.header.time);
    assert.equal(at.txHash, toHex(r.txHash));
    const rec = v.record as Record<string, unknown>;
    assert.equal(rec.metadata, '{"year":2024}');
    assert.equal(rec.verificationMethod, `${uni.did}#key-1`);
    assert.equal(rec.registrant, uni.wallet.address);
    // The generic query serves the record with a state proof against the header.
    const q = c.chain.query("proof", "record", { fingerprint: fp });
    assert.equal((q.value as Record<string, unknown>).fingerprint, fp);
    assert.equal(verifyStateProof(q, q.stateRoot), true);
    // Unknown documents are not registered.
    const unknown = verifyAnswer(c.view(), hex("someone else's diploma"));
    assert.equal(unknown.registered, false);
    assert.match(unknown.reason as string, /not registered/);
    // Registering the same fingerprint again is refused and changes nothing.
    const before = proofState(c);
    failed(await c.run(uni.wallet, "register", registerArgs(c, uni, { fingerprint: fp })), ErrorCode.PROOF_EXISTS, /already registered/);
    assert.deepEqual(proofState(c), before);
    const hist = historyOf(c.view(), readRecord(c.view(), fp) as never);
    assert.deepEqual(hist.map((h) => [h.op, h.txHash]), [["registered", toHex(r.txHash)]]);
  });
});

test("aggregated registration: one transaction, every receipt verifies; a tampered path, leaf, index or size does not", T, async () => {
  await withProofChain(async (c) => {
    const uni = await createOwner(c, "university");
    const docs = Array.from({ length: 37 }, (_, i) => `certificate ${i}`);
    const fps = docs.map((d) => sha(d));
    const tree = batchTree(sha, fps);
    const root = toHex(tree.levels[tree.levels.length - 1]);
    const r = await c.run(uni.wallet, "registerBatch", batchArgs(c, uni, root, fps.length));
    ok(r);
    const height = c.chain.head().height;
    const receipts = batchReceipts(tree, fps, (base) => ({ ...base, type: RECEIPT_TYPE, chain: "prooftest", hashAlgorithm: "sha-256", salt: null, owner: uni.did, docType: "academic-certificate", txHash: toHex(r.txHash), height, time: 0 }) as ProofReceipt);
    for (const [i, rc] of receipts.entries()) {
      assert.deepEqual(checkReceipt(sha, rc, sha(docs[i])), { ok: true }, `receipt ${i}`);
      const v = verifyAnswer(c.view(), rc.fingerprint, { leafIndex: rc.leafIndex as number, treeSize: rc.treeSize as number, path: rc.path as string[], root: rc.root });
      assert.equal(v.registered, true, `leaf ${i}: ${String(v.reason)}`);
      assert.equal(v.match, "batch-leaf");
      assert.equal((v.registeredAt as { txHash: string }).txHash, toHex(r.txHash));
    }
    const rc = receipts[5];
    const agg = { leafIndex: 5, treeSize: 37, path: rc.path as string[], root: rc.root };
    const flip = (h: string): string => (h[0] === "0" ? "1" : "0") + h.slice(1);
    // Tampered path, another document, wrong index, wrong size: no.
    assert.equal(verifyAnswer(c.view(), rc.fingerprint, { ...agg, path: [flip(agg.path[0]), ...agg.path.slice(1)] }).registered, false);
    assert.equal(verifyAnswer(c.view(), hex("certificate 5 (forged)"), agg).registered, false);
    assert.equal(verifyAnswer(c.view(), rc.fingerprint, { ...agg, leafIndex: 6 }).registered, false);
    const wrongSize = verifyAnswer(c.view(), rc.fingerprint, { ...agg, treeSize: 38 });
    assert.equal(wrongSize.registered, false);
    assert.equal(checkReceipt(sha, { ...rc, path: [flip((rc.path as string[])[0]), ...(rc.path as string[]).slice(1)] }).failed, "path");
    assert.equal(checkReceipt(sha, rc, sha("certificate 5 altered")).failed, "fingerprint");
    // A leaf is not a document record, a root is not a document.
    assert.equal(verifyAnswer(c.view(), rc.fingerprint).registered, false);
    assert.match(verifyAnswer(c.view(), root).reason as string, /batch root/);
    // count 0 and a wrong batch signature are refused.
    failed(await c.run(uni.wallet, "registerBatch", batchArgs(c, uni, hex("x"), 0)), ErrorCode.PROOF_INVALID, /count/);
    const forged = { ...batchArgs(c, uni, hex("y"), 10), count: 11 };
    failed(await c.run(uni.wallet, "registerBatch", forged), ErrorCode.PROOF_BAD_SIGNATURE);
  });
});

test("salted commitment: H(salt ‖ doc) is registered; the bare document hash is not; the salt flag is signed", T, async () => {
  await withProofChain(async (c) => {
    const uni = await createOwner(c, "uni");
    const doc = "Grade: A. Name: Bob";
    const salt = randomBytes(32);
    const commitment = toHex(sha(Buffer.concat([salt, Buffer.from(doc)])));
    ok(await c.run(uni.wallet, "register", registerArgs(c, uni, { fingerprint: commitment, salted: 1 })));
    assert.equal(verifyAnswer(c.view(), hex(doc)).registered, false, "guessing the document does not confirm it");
    const v = verifyAnswer(c.view(), commitment);
    assert.equal(v.registered, true);
    assert.equal((v.record as { salted: boolean }).salted, true);
    // Flipping the flag after signing breaks the signature.
    const other = toHex(sha(Buffer.concat([randomBytes(32), Buffer.from(doc)])));
    failed(await c.run(uni.wallet, "register", { ...registerArgs(c, uni, { fingerprint: other, salted: 1 }), salted: 0 }), ErrorCode.PROOF_BAD_SIGNATURE);
  });
});

test("supersede, revoke and transfer: by a controller only, the history grows, the original fields stay", T, async () => {
  await withProofChain(async (c) => {
    const uni = await createOwner(c, "uni");
    const archive = await createOwner(c, "archive");
    const stranger = await createOwner(c, "stranger");
    const v1 = hex("invoice v1");
    const v2 = hex("invoice v2");
    const reg = await c.run(uni.wallet, "register", registerArgs(c, uni, { fingerprint: v1, docType: "e-invoice" }));
    ok(reg);
    const original = readRecord(c.view(), v1);
    // A stranger cannot supersede, revoke or transfer.
    const before = proofState(c);
    const sargs = registerArgs(c, uni, { fingerprint: v2, docType: "e-invoice" });
    const supersedeArgs = { fingerprint: v1, newFingerprint: v2, reason: "corrected amount", salted: sargs.salted, docType: sargs.docType, metadata: sargs.metadata, keyId: sargs.keyId, signature: sargs.signature };
    failed(await c.run(stranger.wallet, "supersede", supersedeArgs), ErrorCode.EXEC_UNAUTHORIZED);
    failed(await c.run(stranger.wallet, "revoke", { fingerprint: v1, reason: "x" }), ErrorCode.EXEC_UNAUTHORIZED);
    failed(await c.run(stranger.wallet, "transfer", { fingerprint: v1, newOwner: stranger.did, reason: "x" }), ErrorCode.EXEC_UNAUTHORIZED);
    assert.deepEqual(proofState(c), before);

    const sup = await c.run(uni.wallet, "supersede", supersedeArgs);
    ok(sup);
    assert.deepEqual(sup.events.map((e) => e.type), ["Registered", "Superseded"]);
    const old = verifyAnswer(c.view(), v1);
    assert.equal(old.registered, true);
    assert.equal(old.status, "superseded");
    assert.equal((old.record as { supersededBy: string }).supersededBy, v2);
    assert.equal((verifyAnswer(c.view(), v2).record as { supersedes: string }).supersedes, v1);
    assert.deepEqual(lineageOf(c.view(), readRecord(c.view(), v2) as never), [v1, v2]);
    // Superseding twice is refused.
    failed(await c.run(uni.wallet, "supersede", { fingerprint: v1, newFingerprint: hex("v3"), reason: "", salted: 0, docType: "e-invoice", metadata: "", keyId: 1, signature: "00" }), ErrorCode.PROOF_INVALID, /already superseded/);

    ok(await c.run(uni.wallet, "transfer", { fingerprint: v2, newOwner: archive.did, reason: "archived" }));
    failed(await c.run(uni.wallet, "transfer", { fingerprint: v2, newOwner: stranger.did, reason: "" }), ErrorCode.EXEC_UNAUTHORIZED, /does not control/);
    failed(await c.run(archive.wallet, "transfer", { fingerprint: v2, newOwner: "did:civitas:prooftest:nobody", reason: "" }), ErrorCode.DID_NOT_FOUND);
    ok(await c.run(archive.wallet, "revoke", { fingerprint: v2, reason: "withdrawn" }));
    failed(await c.run(archive.wallet, "revoke", { fingerprint: v2, reason: "again" }), ErrorCode.PROOF_REVOKED);
    failed(await c.run(archive.wallet, "transfer", { fingerprint: v2, newOwner: uni.did, reason: "" }), ErrorCode.PROOF_REVOKED);
    failed(await c.run(uni.wallet, "revoke", { fingerprint: hex("never registered"), reason: "" }), ErrorCode.PROOF_NOT_FOUND);

    const r2 = readRecord(c.view(), v2);
    assert.ok(r2);
    assert.equal(r2.status, "revoked");
    assert.equal(r2.owner, archive.did);
    const h = historyOf(c.view(), r2);
    assert.deepEqual(h.map((e) => [e.op, e.owner, e.other, e.reason]), [
      ["registered", uni.did, v1, ""],
      ["transferred", archive.did, uni.did, "archived"],
      ["revoked", archive.did, "", "withdrawn"],
    ]);
    assert.ok(h.every((e) => typeof e.txHash === "string" && (e.txHash as string).length === 64), "every history entry names its transaction");
    const h1 = historyOf(c.view(), readRecord(c.view(), v1) as never);
    assert.deepEqual(h1.map((e) => e.op), ["registered", "superseded"]);
    assert.equal(h1[0].txHash, toHex(reg.txHash));
    assert.equal(h1[1].txHash, toHex(sup.txHash));
    // The signed registration fields of the original never changed.
    const now = readRecord(c.view(), v1);
    assert.ok(original && now);
    for (const k of ["fingerprint", "owner", "keyId", "publicKey", "signature", "height", "time", "docType", "metadata"] as const) assert.deepEqual(now[k], original[k], k);
  });
});

test("wrong key, rotated key, unknown or deactivated owner, malformed input: typed refusals, nothing stored", T, async () => {
  await withProofChain(async (c) => {
    const uni = await createOwner(c, "uni");
    const intruder = await createOwner(c, "intruder");
    const fp = hex("contract");
    const before = proofState(c);
    failed(await c.run(intruder.wallet, "register", registerArgs(c, uni, { fingerprint: fp }, intruder.secretKey)), ErrorCode.PROOF_BAD_SIGNATURE, /does not verify/);
    failed(await c.run(uni.wallet, "register", registerArgs(c, uni, { fingerprint: fp, keyId: 2 })), ErrorCode.PROOF_BAD_SIGNATURE, /no current key #key-2/);
    failed(await c.run(uni.wallet, "register", { ...registerArgs(c, uni, { fingerprint: fp }), owner: "did:civitas:prooftest:ghost" }), ErrorCode.DID_NOT_FOUND);
    failed(await c.run(uni.wallet, "register", { ...registerArgs(c, uni, { fingerprint: fp }), owner: "did:civitas:otherchain:uni" }), ErrorCode.DID_INVALID);
    failed(await c.run(uni.wallet, "register", registerArgs(c, uni, { fingerprint: fp, docType: "bad type!" })), ErrorCode.PROOF_INVALID, /docType/);
    failed(await c.run(uni.wallet, "register", registerArgs(c, uni, { fingerprint: fp, metadata: "two\nlines" })), ErrorCode.PROOF_INVALID, /control characters/);
    failed(await c.run(uni.wallet, "register", { ...registerArgs(c, uni, { fingerprint: fp }), salted: 2 }), ErrorCode.PROOF_INVALID, /salted/);
    failed(await c.run(uni.wallet, "register", { ...registerArgs(c, uni, { fingerprint: fp }), tsaToken: "3082" }), ErrorCode.TSA_UNTRUSTED, /trusts no time-stamping authority/);
    assert.deepEqual(proofState(c), before, "no refused registration left state behind");
    // Malformed hashes and signatures are refused at admission (never included).
    for (const bad of [fp.toUpperCase(), fp.slice(2), "0x" + fp.slice(2), fp + "00"]) {
      const [a] = await c.admit([c.probe(uni.wallet, [{ module: "proof", method: "register", args: { ...registerArgs(c, uni, { fingerprint: fp }), fingerprint: bad } }])]);
      assert.equal(a.ok, false);
      assert.equal((a as { code: string }).code, ErrorCode.TX_BAD_ARGS);
    }
    // Key rotation: a record signed with key-1 keeps its key; key-1 can no longer sign new ones.
    ok(await c.run(uni.wallet, "register", registerArgs(c, uni, { fingerprint: fp })));
    const newKey = c.f.suite.generateKeyPair();
    const rot = await c.block([c.tx(uni.wallet, [{ module: "identity", method: "updateDid", args: { did: uni.did, document: JSON.stringify({ keys: [toHex(newKey.publicKey)] }) } }])]);
    ok(rot[0]);
    const rec = readRecord(c.view(), fp);
    assert.ok(rec);
    const message = registrationMessage({ chain: "prooftest", kind: "document", fingerprint: fp, count: 1, salted: false, owner: uni.did, docType: rec.docType, metadata: rec.metadata });
    assert.equal(c.f.suite.verify(message, rec.signature, rec.publicKey), true, "the stored key still checks the stored signature");
    assert.equal(verifyAnswer(c.view(), fp).registered, true, "old records stay verifiable after rotation");
    failed(await c.run(uni.wallet, "register", registerArgs(c, uni, { fingerprint: hex("after rotation") })), ErrorCode.PROOF_BAD_SIGNATURE, /no current key #key-1/);
    ok(await c.run(uni.wallet, "register", registerArgs(c, uni, { fingerprint: hex("after rotation"), keyId: 2 }, newKey.secretKey)));
    // A deactivated owner registers nothing.
    ok((await c.block([c.tx(intruder.wallet, [{ module: "identity", method: "deactivateDid", args: { did: intruder.did, reason: "gone" } }])]))[0]);
    failed(await c.run(intruder.wallet, "register", registerArgs(c, intruder, { fingerprint: hex("z") })), ErrorCode.DID_DEACTIVATED);
  });
});

test("per-account quota per window of block time: refused past the limit, reset in the next window", T, async () => {
  await withProofChain(
    async (c) => {
      const uni = await createOwner(c, "uni");
      const t0 = c.chain.head().time;
      const windowStart = Math.ceil((t0 + 1) / 60_000) * 60_000;
      ok(await c.run(uni.wallet, "register", registerArgs(c, uni, { fingerprint: hex("a") }), windowStart + 1));
      ok(await c.run(uni.wallet, "registerBatch", batchArgs(c, uni, hex("root b"), 1000), windowStart + 2));
      const before = proofState(c);
      const r = await c.run(uni.wallet, "register", registerArgs(c, uni, { fingerprint: hex("c") }), windowStart + 3);
      failed(r, ErrorCode.PROOF_QUOTA_EXCEEDED, /2 of 2/);
      assert.deepEqual(proofState(c), before);
      const q = c.chain.query("proof", "quota", { address: uni.wallet.address });
      assert.deepEqual(q.value, { window: Math.floor((windowStart + 1) / 60_000), used: 2, limit: 2, windowMs: 60_000 });
      // Another account has its own quota; the next window resets this one.
      const other = await createOwner(c, "other");
      ok(await c.run(other.wallet, "register", registerArgs(c, other, { fingerprint: hex("c") }), windowStart + 4));
      ok(await c.run(uni.wallet, "register", registerArgs(c, uni, { fingerprint: hex("d") }), windowStart + 60_000));
    },
    { maxRecordsPerWindow: 2, quotaWindowMs: 60_000 },
  );
});

test("provenance queries by owner, type and time; replay by verify-chain reaches the same state root", T, async () => {
  await withProofChain(async (c) => {
    const a = await createOwner(c, "a");
    const b = await createOwner(c, "b");
    const t = (i: number): number => c.chain.head().time + 1000 * i;
    ok(await c.run(a.wallet, "register", registerArgs(c, a, { fingerprint: hex("1"), docType: "e-invoice" }), t(1)));
    const tMid = c.chain.head().time + 500;
    ok(await c.run(a.wallet, "register", registerArgs(c, a, { fingerprint: hex("2"), docType: "academic-certificate" }), t(1)));
    ok(await c.run(b.wallet, "register", registerArgs(c, b, { fingerprint: hex("3"), docType: "e-invoice" }), t(1)));
    ok(await c.run(b.wallet, "transfer", { fingerprint: hex("3"), newOwner: a.did, reason: "sold" }, t(1)));
    const fps = (q: Parameters<typeof listRecords>[1]): string[] => listRecords(c.view(), q).records.map((r) => r.fingerprint as string);
    assert.deepEqual(fps({ owner: a.did, limit: 100 }), [hex("1"), hex("2"), hex("3")]);
    assert.deepEqual(fps({ owner: b.did, limit: 100 }), []);
    assert.deepEqual(fps({ docType: "e-invoice", limit: 100 }), [hex("1"), hex("3")]);
    assert.deepEqual(fps({ from: tMid, limit: 100 }), [hex("2"), hex("3")]);
    assert.deepEqual(fps({ to: tMid, limit: 100 }), [hex("1")]);
    const page = listRecords(c.view(), { limit: 1 });
    assert.equal(page.records.length, 1);
    assert.equal(typeof page.next, "number");
    assert.deepEqual(fps({ limit: 100, fromHeight: page.next }), [hex("2"), hex("3")]);

    const head = c.chain.headBlockHeader();
    const report = await verifyChain(c.dir, c.f.genesis);
    assert.equal(report.ok, true, report.problems.join("; "));
    assert.equal(report.headHeight, head.height);
    assert.equal(report.stateRoot, toHex(head.stateRoot));
  });
});
