/**
 * Account lifecycle, its transaction guard, account links, and replay: on a real in-process
 * chain. A frozen or cancelled account is refused at admission (Chain.checkSender, what the
 * node's mempool calls) and by the executor (its transaction is not included in a block); the
 * authority cannot be locked out; link signatures are domain-separated; and verify-chain
 * replays a chain with identity transactions to the same state root.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { accountRecord, linkMessage, readLinks } from "../../src/modules/identity/index.js";
import { verifyChain } from "../../src/node/verify-chain.js";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toHex } from "../../src/util/bytes.js";
import { ErrorCode, isCivitasError } from "../../src/util/errors.js";
import { ChainDriver, makeFixture } from "../e2e/helpers/proc-chain.js";
import { block, call, CHAIN, did, documentJson, failed, identityState, keyAccount, ok, reader, run, withChain } from "./identity-helpers.js";

const T = { timeout: 60_000 };

function refusedWith(fn: () => void, code: string): void {
  assert.throws(fn, (e: unknown) => isCivitasError(e) && e.code === code);
}

test("account lifecycle: create, update, freeze (refused at admission, never included), unfreeze, cancel", T, async () => {
  await withChain(async (d, f) => {
    const authority = f.wallets[0];
    const user = keyAccount(f);
    const bob = f.wallets[1];
    const p1 = did("person-1");
    const p2 = did("person-2");
    ok(await run(d, user, "createDid", { did: p1, kind: "person", document: documentJson([user.publicKey]) }));
    ok(await run(d, user, "createDid", { did: p2, kind: "person", document: documentJson([user.publicKey]) }));

    // Binding: the authority, or the account itself when it controls the DID.
    failed(await run(d, bob, "createAccount", { address: user.address, did: p1, reason: "x" }), ErrorCode.EXEC_UNAUTHORIZED);
    failed(await run(d, bob, "createAccount", { address: bob.address, did: p1, reason: "x" }), ErrorCode.EXEC_UNAUTHORIZED, /does not control/);
    failed(await run(d, authority, "createAccount", { address: user.address, did: did("ghost"), reason: "x" }), ErrorCode.DID_NOT_FOUND);
    const created = await run(d, authority, "createAccount", { address: user.address, did: p1, reason: "registered at the city office" });
    ok(created);
    assert.deepEqual(created.events.map((e) => [e.type, e.attrs]), [["AccountCreated", { address: user.address, did: p1, reason: "registered at the city office", actor: authority.address }]]);
    failed(await run(d, authority, "createAccount", { address: user.address, did: p1, reason: "again" }), ErrorCode.EXEC_INVALID, /already has/);
    ok(await run(d, user, "updateAccount", { address: user.address, did: p2, reason: "new identity" }));
    assert.deepEqual(accountRecord(reader(d), user.address), { did: p2, status: "active" });

    // Freeze: only the authority; the freeze applies from the next block.
    failed(await run(d, bob, "freezeAccount", { address: user.address, reason: "x" }), ErrorCode.EXEC_UNAUTHORIZED);
    const frozen = await run(d, authority, "freezeAccount", { address: user.address, reason: "court order 17" });
    ok(frozen);
    assert.deepEqual(frozen.events[0].attrs, { address: user.address, did: p2, reason: "court order 17", actor: authority.address });
    assert.deepEqual(frozen.events[0].accounts.map(toHex).map((a) => `0x${a}`), [authority.address, user.address]);
    refusedWith(() => d.chain.checkSender(user.address), ErrorCode.ACCOUNT_FROZEN);
    const nonceBefore = d.chain.accountNonce(user.address);
    const frozenTx = d.tx(user.wallet, [{ module: "kv", method: "createNamespace", args: { namespace: "frozen-ns" } }]);
    await assert.rejects(d.submit([frozenTx]), /ACCOUNT_FROZEN/, "refused at admission");
    // A transaction admitted before the freeze (modelled by admitting without the guard) is
    // still refused by the executor: not included, nonce not consumed.
    d.admissionGuard = false;
    await d.submit([frozenTx]);
    d.admissionGuard = true;
    const b = await d.produce();
    assert.equal(b.txs.length, 0, "the frozen account's transaction is not in the block");
    assert.equal(d.chain.accountNonce(user.address), nonceBefore, "its nonce is not consumed");
    failed(await run(d, authority, "freezeAccount", { address: user.address, reason: "twice" }), ErrorCode.EXEC_INVALID, /is frozen/);

    ok(await run(d, authority, "unfreezeAccount", { address: user.address, reason: "order lifted" }));
    d.chain.checkSender(user.address);
    // The pending transaction is now included.
    const b2 = await d.produce();
    assert.equal(b2.txs.length, 1);
    assert.equal(d.chain.accountNonce(user.address), nonceBefore + 1);

    ok(await run(d, authority, "cancelAccount", { address: user.address, reason: "deceased" }));
    refusedWith(() => d.chain.checkSender(user.address), ErrorCode.ACCOUNT_CANCELLED);
    failed(await run(d, authority, "unfreezeAccount", { address: user.address, reason: "x" }), ErrorCode.ACCOUNT_CANCELLED);
    failed(await run(d, authority, "updateAccount", { address: user.address, did: p1, reason: "x" }), ErrorCode.ACCOUNT_CANCELLED);
    failed(await run(d, authority, "createAccount", { address: user.address, did: p1, reason: "reuse" }), ErrorCode.EXEC_INVALID, /cancelled/);
    failed(await run(d, authority, "freezeAccount", { address: bob.address, reason: "x" }), ErrorCode.ACCOUNT_NOT_FOUND);
  });
});

test("the chain authority cannot be frozen or cancelled", T, async () => {
  await withChain(async (d, f) => {
    const authority = f.wallets[0];
    const k = keyAccount(f);
    ok(await run(d, authority, "createDid", { did: did("city"), kind: "chain", document: documentJson([k.publicKey]) }));
    ok(await run(d, authority, "createAccount", { address: authority.address, did: did("city"), reason: "operator" }));
    const before = identityState(d);
    failed(await run(d, authority, "freezeAccount", { address: authority.address, reason: "oops" }), ErrorCode.EXEC_INVALID, /nobody could undo/);
    failed(await run(d, authority, "cancelAccount", { address: authority.address, reason: "oops" }), ErrorCode.EXEC_INVALID, /nobody could undo/);
    assert.deepEqual(identityState(d), before);
    d.chain.checkSender(authority.address);
  });
});

test("account links: good signature, wrong key, replay to another DID or twice", T, async () => {
  await withChain(async (d, f) => {
    const owner = keyAccount(f);
    const other = keyAccount(f);
    const linked = keyAccount(f);
    const a = did("alice");
    const b = did("bob");
    ok(await run(d, owner, "createDid", { did: a, kind: "person", document: documentJson([owner.publicKey]) }));
    ok(await run(d, other, "createDid", { did: b, kind: "person", document: documentJson([other.publicKey]) }));
    const chain = "business-chain-7";
    const sig = toHex(f.suite.sign(linkMessage("idtest", a, chain, linked.address), linked.secretKey));
    const args = { did: a, chain, address: linked.address, publicKey: toHex(linked.publicKey), signature: sig };
    const before = identityState(d);
    // The key of another account cannot sign for this address.
    const wrongKeySig = toHex(f.suite.sign(linkMessage("idtest", a, chain, linked.address), other.secretKey));
    failed(await run(d, owner, "linkAccount", { ...args, signature: wrongKeySig }), ErrorCode.EXEC_UNAUTHORIZED, /does not verify/);
    failed(await run(d, owner, "linkAccount", { ...args, publicKey: toHex(other.publicKey), signature: wrongKeySig }), ErrorCode.EXEC_UNAUTHORIZED, /not the key of/);
    // The signature names the DID and the chain: replaying it for bob, or for another chain, fails.
    failed(await run(d, other, "linkAccount", { ...args, did: b }), ErrorCode.EXEC_UNAUTHORIZED, /does not verify/);
    failed(await run(d, owner, "linkAccount", { ...args, chain: "business-chain-8" }), ErrorCode.EXEC_UNAUTHORIZED, /does not verify/);
    // Only a controller of the DID links to it.
    failed(await run(d, other, "linkAccount", args), ErrorCode.EXEC_UNAUTHORIZED, /does not control/);
    failed(await run(d, owner, "linkAccount", { ...args, signature: "00".repeat(64) }), ErrorCode.EXEC_UNAUTHORIZED);
    assert.deepEqual(identityState(d), before);
    ok(await run(d, owner, "linkAccount", args));
    assert.deepEqual(readLinks(reader(d), a).map((l) => [l.chain, l.address]), [[chain, linked.address]]);
    failed(await run(d, owner, "linkAccount", args), ErrorCode.EXEC_INVALID, /already linked/);
    ok(await run(d, owner, "unlinkAccount", { did: a, chain, address: linked.address, reason: "sold" }));
    assert.deepEqual(readLinks(reader(d), a), []);
  });
});

test("verify-chain replays a chain with identity transactions to the same state root", T, async () => {
  const root = await mkdtemp(join(tmpdir(), "civitas-identity-replay-"));
  const dir = join(root, "chain");
  const f = makeFixture({ chainId: CHAIN, wallets: 3 });
  const d = await ChainDriver.open(dir, f);
  try {
    const authority = f.wallets[0];
    const k = keyAccount(f);
    const h = keyAccount(f);
    const issuer = did("ca");
    ok(await run(d, k, "createDid", { did: issuer, kind: "organisation", document: documentJson([k.publicKey]) }));
    const receipts = await block(d, [
      d.tx(h.wallet, [call("createDid", { did: did("h"), kind: "person", document: documentJson([h.publicKey]) })]),
      d.tx(authority, [call("registerIssuer", { did: issuer, types: "RoleCredential" })]),
      d.tx(k.wallet, [call("updateDid", { did: issuer, document: documentJson([k.publicKey, h.publicKey]) })]),
    ]);
    receipts.forEach(ok);
    ok(await run(d, k, "createStatusList", { issuer, listId: "l", size: 131_072 }));
    ok(await run(d, k, "setCredentialStatus", { issuer, listId: "l", index: 5000, revoked: 1, reason: "r" }));
    ok(await run(d, authority, "createAccount", { address: h.address, did: did("h"), reason: "r" }));
    ok(await run(d, authority, "freezeAccount", { address: h.address, reason: "r" }));
    failed(await run(d, authority, "freezeAccount", { address: h.address, reason: "r" }), ErrorCode.EXEC_INVALID);
    const head = d.chain.head();
    const stateRoot = toHex(d.chain.getBlock(head.height)!.header.stateRoot);
    assert.ok(Object.keys(identityState(d)).length >= 6, "identity state was written");
    await d.close();
    const r = await verifyChain(dir, f.genesis);
    assert.deepEqual(r.problems, []);
    assert.equal(r.ok, true);
    assert.equal(r.headHeight, head.height);
    assert.equal(r.stateRoot, stateRoot);
  } finally {
    await d.close().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  }
});
