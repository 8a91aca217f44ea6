/**
 * Access over HTTP on a real node (solo, real sockets): POST /v1/access/decide, reads decided by
 * policy (public under the baseline, signed once the network removes the open read policy),
 * RFC 9421 signed requests (valid, missing, expired, replayed, wrong key, tampered body) and the
 * regulator trace route allowed and denied.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { CallInput } from "../../src/sdk/wallet.js";
import { signedFetch, signRequestHeaders } from "../../src/sdk/signed-fetch.js";
import { ErrorCode } from "../../src/util/errors.js";
import { DevNode } from "./helpers/devnode.js";
import type { TestAccount } from "./helpers/devnode.js";

const T = { timeout: 60_000 };
let dn: DevNode;
let regulator: TestAccount;
let alice: TestAccount;
let mallory: TestAccount;

async function send(by: TestAccount, calls: CallInput[]): Promise<void> {
  const tx = dn.sign(by, { nonce: dn.node.chain.accountNonce(by.address), calls });
  const r = await dn.commit(tx);
  assert.equal(r.receipt?.status, "ok", `${r.receipt?.code}: ${r.receipt?.message}`);
}

async function json(res: Response): Promise<{ status: number; body: Record<string, unknown> }> {
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

before(async () => {
  dn = await DevNode.start({ chainId: "access-e2e", accounts: 4, verifyWorkers: 1 });
  [, regulator, alice, mallory] = dn.accounts;
  const aliceDid = "did:civitas:access-e2e:alice";
  await send(alice, [
    { module: "identity", method: "createDid", args: { did: aliceDid, kind: "person", document: JSON.stringify({ keys: [dn.accounts[2].wallet.publicKeyHex] }) } },
    { module: "identity", method: "createAccount", args: { address: alice.address, did: aliceDid, reason: "e2e" } },
  ]);
  await send(dn.authority, [{ module: "access", method: "grantRole", args: { role: "regulator", member: regulator.address } }]);
});

after(async () => {
  await dn?.stop();
});

test("decide: baseline permits calls, regulator trace by role, deny by default, bad input", T, async () => {
  const decide = (body: unknown): Promise<{ status: number; body: Record<string, unknown> }> => dn.post("/v1/access/decide", body);
  const call = await decide({ principal: alice.address, action: "token.transfer", resource: { type: "Account", id: mallory.address } });
  assert.equal(call.status, 200);
  assert.deepEqual([call.body.decision, call.body.reasons, call.body.kind], ["allow", ["baseline-calls"], "call"]);
  const trace = (p: string): Promise<{ status: number; body: Record<string, unknown> }> => decide({ principal: p, action: "identity.trace", resource: { type: "Account", id: alice.address } });
  assert.deepEqual([(await trace(regulator.address)).body.decision, (await trace(regulator.address)).body.reasons], ["allow", ["baseline-regulator"]]);
  assert.deepEqual([(await trace(mallory.address)).body.decision, (await trace(mallory.address)).body.reasons], ["deny", []]);
  assert.equal((await trace("anonymous")).body.decision, "deny");
  const unknown = await decide({ principal: alice.address, action: "nothing.here", resource: { type: "Module", id: "x" } });
  assert.equal(unknown.body.decision, "deny");
  const bad = await decide({ principal: "not-a-principal", action: "token.transfer", resource: { type: "Account", id: alice.address } });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.code, ErrorCode.API_BAD_REQUEST);
});

test("regulator trace: anonymous 401, other account 403, regulator 200 through signedFetch", T, async () => {
  const path = `/v1/identity/trace/${alice.address}`;
  const anon = await dn.get(path);
  assert.equal(anon.status, 401);
  assert.equal(anon.body.code, ErrorCode.AUTH_REQUIRED);
  const other = await json(await signedFetch(mallory.wallet, dn.url + path));
  assert.equal(other.status, 403);
  assert.equal(other.body.code, ErrorCode.ACCESS_DENIED);
  const reg = await json(await signedFetch(regulator.wallet, dn.url + path));
  assert.equal(reg.status, 200, JSON.stringify(reg.body));
  assert.equal(reg.body.did, "did:civitas:access-e2e:alice");
  // Without the key header the node finds alice's key through her DID.
  const own = await json(await signedFetch(alice.wallet, `${dn.url}/v1/identity/accounts/${alice.address}`, {}, { sendPublicKey: false }));
  assert.equal(own.status, 200, JSON.stringify(own.body));
});

test("signed requests: expired, replayed, wrong key, tampered body, malformed", T, async () => {
  const url = `${dn.url}/v1/identity/trace/${alice.address}`;
  const fetchWith = async (headers: Record<string, string>, init: RequestInit = {}, u = url): Promise<{ status: number; body: Record<string, unknown> }> => json(await fetch(u, { ...init, headers: { ...headers, ...(init.headers as Record<string, string>) } }));
  const expired = await fetchWith(signRequestHeaders(regulator.wallet, "GET", url, undefined, { now: () => Date.now() - 10 * 60_000 }));
  assert.deepEqual([expired.status, expired.body.code], [401, ErrorCode.AUTH_EXPIRED]);
  const tooLong = await fetchWith(signRequestHeaders(regulator.wallet, "GET", url, undefined, { validitySeconds: 3600 }));
  assert.deepEqual([tooLong.status, tooLong.body.code], [401, ErrorCode.AUTH_INVALID]);
  const once = signRequestHeaders(regulator.wallet, "GET", url);
  assert.equal((await fetchWith(once)).status, 200);
  const replay = await fetchWith(once);
  assert.deepEqual([replay.status, replay.body.code], [401, ErrorCode.AUTH_REPLAYED]);
  // Signed by mallory, claiming to be the regulator (key header of mallory): key does not match keyid.
  const forged = signRequestHeaders(mallory.wallet, "GET", url);
  const wrongKeyid = { ...forged, "signature-input": forged["signature-input"].replace(mallory.address, regulator.address) };
  const wk = await fetchWith(wrongKeyid);
  assert.deepEqual([wk.status, wk.body.code], [401, ErrorCode.AUTH_INVALID]);
  assert.match(String(wk.body.message), /does not belong to keyid/);
  // The regulator's key header with mallory's signature: the signature does not verify.
  const wrongKey = await fetchWith({ ...forged, "signature-input": wrongKeyid["signature-input"], "civitas-public-key": regulator.wallet.publicKeyHex });
  assert.deepEqual([wrongKey.status, wrongKey.body.code], [401, ErrorCode.AUTH_INVALID]);
  // Another URL than the one signed.
  const moved = await fetchWith(signRequestHeaders(regulator.wallet, "GET", url), {}, `${dn.url}/v1/identity/trace/${mallory.address}`);
  assert.deepEqual([moved.status, moved.body.code], [401, ErrorCode.AUTH_INVALID]);
  const garbage = await fetchWith({ "signature-input": "sig1=nonsense", signature: "sig1=:AAAA:" });
  assert.deepEqual([garbage.status, garbage.body.code], [401, ErrorCode.AUTH_INVALID]);

  // A signed body: the decide route with a content digest; a changed body is refused.
  const decideUrl = `${dn.url}/v1/access/decide`;
  const body = JSON.stringify({ principal: regulator.address, action: "identity.trace", resource: { type: "Account", id: alice.address } });
  const signed = signRequestHeaders(regulator.wallet, "POST", decideUrl, body);
  const good = await fetchWith(signed, { method: "POST", body, headers: { "content-type": "application/json" } }, decideUrl);
  assert.equal(good.status, 200);
  const tampered = await fetchWith(signRequestHeaders(regulator.wallet, "POST", decideUrl, body), { method: "POST", body: body.replace(regulator.address, mallory.address), headers: { "content-type": "application/json" } }, decideUrl);
  assert.deepEqual([tampered.status, tampered.body.code], [401, ErrorCode.AUTH_INVALID]);
  assert.match(String(tampered.body.message), /Content-Digest/);
  const uncovered = signRequestHeaders(regulator.wallet, "POST", decideUrl);
  const noDigest = await fetchWith(uncovered, { method: "POST", body, headers: { "content-type": "application/json" } }, decideUrl);
  assert.deepEqual([noDigest.status, noDigest.body.code], [401, ErrorCode.AUTH_INVALID]);
});

test("reads are decided by policy: account state becomes owner-only once the open read policy is removed", T, async () => {
  const path = `/v1/accounts/${alice.address}`;
  assert.equal((await dn.get(path)).status, 200, "public under the baseline");
  assert.equal((await dn.get("/v1/status")).status, 200);
  await send(dn.authority, [
    { module: "access", method: "removePolicy", args: { id: "baseline-chain-data-reads" } },
    { module: "access", method: "setPolicy", args: { id: "own-account-reads", text: `permit (principal is Account, action == Action::"read.account", resource is Account) when { principal == resource };` } },
  ]);
  // Effective once committed (reads use the head state).
  const anon = await dn.get(path);
  assert.deepEqual([anon.status, anon.body.code], [401, ErrorCode.AUTH_REQUIRED]);
  const owner = await json(await signedFetch(alice.wallet, dn.url + path));
  assert.equal(owner.status, 200);
  assert.equal(owner.body.address, alice.address);
  const other = await json(await signedFetch(mallory.wallet, dn.url + path));
  assert.deepEqual([other.status, other.body.code], [403, ErrorCode.ACCESS_DENIED]);
  assert.equal((await dn.get("/v1/status")).status, 200, "status stays public");
  assert.equal((await dn.get(`/v1/headers?from=1&count=1`)).status, 200, "headers stay public");
  const q = await dn.get(`/v1/query/token/balance?address=${alice.address}`);
  assert.deepEqual([q.status, q.body.code], [401, ErrorCode.AUTH_REQUIRED], "queries are no longer open either");
  const hist = await dn.get("/v1/access/history?from=0&limit=100");
  assert.equal(hist.status, 401);
});
