/**
 * Identity routes over real HTTP against a real node (solo, LMDB on disk): DID resolution with a
 * state proof that the SDK verifies (also for a deactivated DID), precise 4xx errors, the issuer
 * registry, a status list whose encodedList decodes per W3C Bitstring Status List, authenticated
 * routes refusing without an access layer, and a frozen account refused at submission.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { verifyStateProof } from "../../src/sdk/index.js";
import type { CallInput } from "../../src/sdk/wallet.js";
import { toHex } from "../../src/util/bytes.js";
import { DevNode, hexOf, newAccount } from "./helpers/devnode.js";
import type { TestAccount } from "./helpers/devnode.js";

const T = { timeout: 30_000 };
const id = (name: string): CallInput => ({ module: "identity", method: name, args: {} });

describe("identity API", () => {
  let dev: DevNode;
  let authority: TestAccount;
  let holder: TestAccount;
  let issuerKey: TestAccount;
  let newKey: TestAccount;
  const did = (x: string): string => `did:civitas:${dev.chainId}:${x}`;

  async function send(by: TestAccount, method: string, args: Record<string, unknown>): Promise<void> {
    const r = await dev.client.send(by.wallet, [{ ...id(method), args }]);
    assert.equal(r.receipt?.status, "ok", `${method}: ${r.receipt?.code} ${r.receipt?.message}`);
  }

  before(async () => {
    dev = await DevNode.start({ chainId: "e2e-identity", accounts: 3 });
    [authority, holder] = dev.accounts;
    issuerKey = newAccount();
    newKey = newAccount();
    const doc = (k: TestAccount, extra: object = {}): string => JSON.stringify({ keys: [toHex(k.wallet.publicKey)], ...extra });
    await send(issuerKey, "createDid", { did: did("ca"), kind: "organisation", document: doc(issuerKey, { services: [{ id: "web", type: "LinkedDomains", serviceEndpoint: "https://ca.example" }] }) });
    await send(issuerKey, "updateDid", { did: did("ca"), document: doc(newKey, { controllers: [] }) });
    await send(holder, "createDid", { did: did("holder"), kind: "person", document: doc(holder) });
    await send(holder, "deactivateDid", { did: did("holder"), reason: "test" });
    await send(authority, "registerIssuer", { did: did("ca"), types: "RoleCredential" });
    await send(newKey, "createStatusList", { issuer: did("ca"), listId: "rl1", size: 131_072 });
    await send(newKey, "setCredentialStatus", { issuer: did("ca"), listId: "rl1", index: 0, revoked: 1, reason: "a" });
    await send(newKey, "setCredentialStatus", { issuer: did("ca"), listId: "rl1", index: 4097, revoked: 1, reason: "b" });
  });

  after(async () => {
    await dev?.stop();
  });

  test("DID resolution: W3C shape, metadata from the blocks, and a state proof the SDK verifies", T, async () => {
    const r = await dev.get(`/v1/identity/dids/${did("ca")}`);
    assert.equal(r.status, 200, r.text);
    const { didDocument, didDocumentMetadata, didResolutionMetadata, proof } = r.body;
    assert.deepEqual(didResolutionMetadata, { contentType: "application/did+json" });
    assert.equal(didDocument.id, did("ca"));
    assert.deepEqual(didDocument.verificationMethod, [
      { id: `${did("ca")}#key-2`, type: "JsonWebKey2020", controller: did("ca"), publicKeyJwk: { kty: "OKP", crv: "Ed25519", x: Buffer.from(newKey.wallet.publicKey).toString("base64url") } },
    ]);
    assert.deepEqual(didDocument.assertionMethod, [`${did("ca")}#key-2`]);
    assert.equal(didDocument.service, undefined, "the update dropped the service");
    assert.equal(didDocumentMetadata.versionId, "2");
    assert.equal(didDocumentMetadata.deactivated, false);
    assert.ok(Date.parse(didDocumentMetadata.updated) >= Date.parse(didDocumentMetadata.created));
    assert.equal(proof.key, `identity/did/${did("ca")}`);
    assert.equal(verifyStateProof(proof, proof.stateRoot), true);
    // The proof is against a committed header.
    const h = await dev.get(`/v1/blocks/${proof.height}`);
    assert.equal(h.status, 200);
    assert.equal(h.body.header.stateRoot, proof.stateRoot);
    // A tampered proof does not verify.
    assert.equal(verifyStateProof({ ...proof, key: `identity/did/${did("holder")}` }, proof.stateRoot), false);

    // At an earlier height the document is version 1 with key-1.
    const old = await dev.get(`/v1/identity/dids/${did("ca")}?height=1`);
    assert.equal(old.status, 200, old.text);
    assert.equal(old.body.didDocumentMetadata.versionId, "1");
    assert.equal(old.body.didDocument.verificationMethod[0].id, `${did("ca")}#key-1`);
    assert.equal(old.body.didDocument.service[0].serviceEndpoint, "https://ca.example");
  });

  test("a deactivated DID resolves with deactivated metadata and an empty document", T, async () => {
    const r = await dev.get(`/v1/identity/dids/${encodeURIComponent(did("holder"))}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.didDocumentMetadata.deactivated, true);
    assert.deepEqual(Object.keys(r.body.didDocument).sort(), ["@context", "id"]);
    assert.equal(verifyStateProof(r.body.proof, r.body.proof.stateRoot), true);
  });

  test("malformed and unknown DIDs: DID_INVALID 400, DID_NOT_FOUND 404", T, async () => {
    for (const bad of ["did:web:example.com", "did:civitas:e2e-identity:UPPER", "not-a-did"]) {
      const r = await dev.get(`/v1/identity/dids/${encodeURIComponent(bad)}`);
      assert.equal(r.status, 400, bad);
      assert.equal(r.body.code, "DID_INVALID");
    }
    const r = await dev.get(`/v1/identity/dids/${did("nobody")}`);
    assert.equal(r.status, 404);
    assert.equal(r.body.code, "DID_NOT_FOUND");
  });

  test("issuer registry and status list routes", T, async () => {
    const i = await dev.get(`/v1/identity/issuers/${did("ca")}`);
    assert.equal(i.status, 200, i.text);
    assert.deepEqual({ did: i.body.did, types: i.body.types, status: i.body.status }, { did: did("ca"), types: ["RoleCredential"], status: "active" });
    assert.equal(verifyStateProof(i.body.proof, i.body.proof.stateRoot), true);
    assert.equal((await dev.get(`/v1/identity/issuers/${did("holder")}`)).status, 404);

    const s = await dev.get(`/v1/identity/status-lists/${did("ca")}/rl1`);
    assert.equal(s.status, 200, s.text);
    assert.equal(s.body.statusPurpose, "revocation");
    assert.equal(s.body.size, 131_072);
    assert.equal(s.body.revoked, 2);
    assert.match(s.body.encodedList, /^u[A-Za-z0-9_-]+$/);
    const bits = gunzipSync(Buffer.from(s.body.encodedList.slice(1), "base64url"));
    assert.equal(bits.length, 131_072 / 8);
    const bit = (i: number): number => (bits[i >> 3] >> (7 - (i & 7))) & 1;
    assert.deepEqual([bit(0), bit(1), bit(4096), bit(4097), bit(4098)], [1, 0, 0, 1, 0]);
    assert.equal(bits.reduce((n, b) => n + (b === 0 ? 0 : 1), 0), 2);
    const missing = await dev.get(`/v1/identity/status-lists/${did("ca")}/nope`);
    assert.equal(missing.status, 404);
  });

  test("account record and trace routes refuse without an authorised request", T, async () => {
    for (const path of [`/v1/identity/accounts/${holder.address}`, `/v1/identity/trace/${holder.address}`]) {
      const r = await dev.get(path);
      // No access layer: ACCESS_DENIED; once one is wired, an unsigned request is AUTH_REQUIRED.
      assert.ok((r.status === 403 && r.body.code === "ACCESS_DENIED") || (r.status === 401 && r.body.code === "AUTH_REQUIRED"), `${path}: ${r.status} ${r.text}`);
      assert.equal(r.body.did, undefined);
    }
  });

  test("a frozen account's transaction is refused at submission with ACCOUNT_FROZEN", T, async () => {
    const user = newAccount();
    await send(user, "createDid", { did: did("user"), kind: "person", document: JSON.stringify({ keys: [toHex(user.wallet.publicKey)] }) });
    await send(authority, "createAccount", { address: user.address, did: did("user"), reason: "onboarding" });
    await send(authority, "freezeAccount", { address: user.address, reason: "investigation" });
    const nonce = await dev.nonceOf(user.address);
    const tx = dev.sign(user, { nonce, calls: [{ module: "kv", method: "createNamespace", args: { namespace: "x" } }] });
    const r = await dev.post("/v1/txs", { tx: hexOf(tx) });
    assert.equal(r.status, 403, r.text);
    assert.equal(r.body.code, "ACCOUNT_FROZEN");
    assert.match(r.body.message, /investigation/);
    await send(authority, "unfreezeAccount", { address: user.address, reason: "cleared" });
    const ok = await dev.post("/v1/txs", { tx: hexOf(tx), waitMs: 10_000 });
    assert.equal(ok.status, 200, ok.text);
    await send(authority, "cancelAccount", { address: user.address, reason: "closed" });
    const c = await dev.post("/v1/txs", { tx: hexOf(dev.sign(user, { nonce: nonce + 1, calls: [{ module: "kv", method: "createNamespace", args: { namespace: "y" } }] })) });
    assert.equal(c.status, 403);
    assert.equal(c.body.code, "ACCOUNT_CANCELLED");
  });
});
