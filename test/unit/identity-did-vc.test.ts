/**
 * The identity module on a real chain (LMDB in a tmp folder, blocks proposed and committed
 * in-process): DID lifecycle with key rotation, the issuer registry, revocation status lists,
 * and `attestClaims` verifying VC-JWTs in module code. Every refused call is a failed receipt
 * with its precise code and leaves the identity key space unchanged.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { CompactSign, importJWK } from "jose";
import { claimsOf, readDid } from "../../src/modules/identity/index.js";
import { ErrorCode } from "../../src/util/errors.js";
import { GENESIS_TIME } from "../e2e/helpers/proc-chain.js";
import type { KeyAccount } from "./identity-helpers.js";
import { did, documentJson, failed, identityState, keyAccount, ok, reader, run, signJws, STATUS_LIST_SIZE, vcJwt, vcPayload, withChain } from "./identity-helpers.js";

const T = { timeout: 60_000 };

test("DIDs: create, update with key rotation, deactivate; versions and times come from the blocks", T, async () => {
  await withChain(async (d, f) => {
    const k1 = keyAccount(f);
    const k2 = keyAccount(f);
    const stranger = keyAccount(f);
    const alice = did("alice");
    const t1 = GENESIS_TIME + 10_000;
    ok(await run(d, k1, "createDid", { did: alice, kind: "person", document: documentJson([k1.publicKey], { services: [{ id: "home", type: "LinkedDomains", serviceEndpoint: "https://alice.example" }] }) }, t1));
    let r = readDid(reader(d), alice);
    assert.ok(r);
    assert.deepEqual({ version: r.version, created: r.created, updated: r.updated, keys: r.keys.map((k) => k.n), deactivated: r.deactivated }, { version: 1, created: t1, updated: t1, keys: [1], deactivated: false });

    // Someone else's key cannot create a DID for it, and the id is first come, first served.
    failed(await run(d, stranger, "createDid", { did: did("bob"), kind: "person", document: documentJson([k2.publicKey]) }), ErrorCode.EXEC_UNAUTHORIZED);
    failed(await run(d, k1, "createDid", { did: alice, kind: "person", document: documentJson([k1.publicKey]) }), ErrorCode.EXEC_INVALID, /already exists/);
    // Node and chain DIDs are the authority's.
    failed(await run(d, k1, "createDid", { did: did("node-1"), kind: "node", document: documentJson([k1.publicKey]) }), ErrorCode.EXEC_UNAUTHORIZED, /authority/);
    failed(await run(d, stranger, "updateDid", { did: alice, document: documentJson([stranger.publicKey]) }), ErrorCode.EXEC_UNAUTHORIZED);

    // Rotation: k1 -> k2. k2 is key-2; key numbers are never reused.
    const t2 = GENESIS_TIME + 50_000;
    ok(await run(d, k1, "updateDid", { did: alice, document: documentJson([k2.publicKey]) }, t2));
    r = readDid(reader(d), alice);
    assert.ok(r);
    assert.deepEqual({ version: r.version, created: r.created, updated: r.updated, keys: r.keys.map((k) => k.n), services: r.services.length }, { version: 2, created: t1, updated: t2, keys: [2], services: 0 });
    // The old key no longer controls the DID; the new one does.
    const before = identityState(d);
    failed(await run(d, k1, "updateDid", { did: alice, document: documentJson([k1.publicKey]) }), ErrorCode.EXEC_UNAUTHORIZED, /does not control/);
    assert.deepEqual(identityState(d), before);
    ok(await run(d, k2, "updateDid", { did: alice, document: documentJson([k2.publicKey, k1.publicKey]) }));
    assert.deepEqual(readDid(reader(d), alice)?.keys.map((k) => k.n), [2, 3], "a returning key gets a new number");

    // A controller DID controls too.
    const org = did("acme");
    const orgKey = keyAccount(f);
    ok(await run(d, orgKey, "createDid", { did: org, kind: "organisation", document: documentJson([orgKey.publicKey]) }));
    const device = keyAccount(f);
    ok(await run(d, orgKey, "createDid", { did: did("sensor-7"), kind: "device", document: documentJson([device.publicKey], { controllers: [org] }) }));
    ok(await run(d, orgKey, "updateDid", { did: did("sensor-7"), document: documentJson([device.publicKey], { controllers: [org] }) }));
    failed(await run(d, orgKey, "createDid", { did: did("sensor-8"), kind: "device", document: documentJson([device.publicKey], { controllers: [did("nobody")] }) }), ErrorCode.DID_NOT_FOUND);

    ok(await run(d, k2, "deactivateDid", { did: alice, reason: "moved away" }));
    r = readDid(reader(d), alice);
    assert.deepEqual({ deactivated: r?.deactivated, keys: r?.keys.length, version: r?.version }, { deactivated: true, keys: 0, version: 4 });
    failed(await run(d, k2, "updateDid", { did: alice, document: documentJson([k2.publicKey]) }), ErrorCode.DID_DEACTIVATED);
    failed(await run(d, orgKey, "createDid", { did: did("sensor-9"), kind: "device", document: documentJson([device.publicKey], { controllers: [alice] }) }), ErrorCode.DID_DEACTIVATED);
  });
});

test("malformed DIDs and documents are refused with DID_INVALID and change nothing", T, async () => {
  await withChain(async (d, f) => {
    const k = keyAccount(f);
    const good = documentJson([k.publicKey]);
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ["wrong method", { did: "did:web:example.com", kind: "person", document: good }, /not did:civitas/],
      ["other chain", { did: "did:civitas:otherchain:alice", kind: "person", document: good }, /belongs to chain 'otherchain'/],
      ["upper case id", { did: did("Alice"), kind: "person", document: good }, /not did:civitas/],
      ["empty id", { did: `did:civitas:idtest:`, kind: "person", document: good }, /not did:civitas/],
      ["unknown kind", { did: did("a1"), kind: "robot", document: good }, /kind must be one of/],
      ["not JSON", { did: did("a2"), kind: "person", document: "{keys:" }, /document/],
      ["duplicate member", { did: did("a3"), kind: "person", document: `{"keys":["${Buffer.from(k.publicKey).toString("hex")}"],"keys":[]}` }, /duplicate member 'keys'/],
      ["no keys", { did: did("a4"), kind: "person", document: JSON.stringify({ keys: [] }) }, /document.keys/],
      ["bad key hex", { did: did("a5"), kind: "person", document: JSON.stringify({ keys: ["zz"] }) }, /keys\[0\]/],
      ["invalid curve point", { did: did("a6"), kind: "person", document: JSON.stringify({ keys: ["00".repeat(31) + "80"] }) }, /not a valid public key/],
      ["unknown member", { did: did("a7"), kind: "person", document: JSON.stringify({ keys: [Buffer.from(k.publicKey).toString("hex")], owner: "me" }) }, /unknown member 'owner'/],
      ["bad controller", { did: did("a8"), kind: "person", document: documentJson([k.publicKey], { controllers: ["did:x:y"] }) }, /controllers\[0\]/],
      ["bad service", { did: did("a9"), kind: "person", document: documentJson([k.publicKey], { services: [{ id: "a b", type: "x", serviceEndpoint: "https://x" }] }) }, /services\[0\].id/],
      ["deep nesting", { did: did("b1"), kind: "person", document: `{"keys":[[[[[[[[[["x"]]]]]]]]]]}` }, /nesting deeper/],
    ];
    const before = identityState(d);
    for (const [name, args, message] of cases) {
      const r = await run(d, k, "createDid", args);
      assert.equal(r.code, ErrorCode.DID_INVALID, `${name}: ${r.code} ${r.message}`);
      failed(r, ErrorCode.DID_INVALID, message);
    }
    assert.deepEqual(identityState(d), before, "no refused call wrote anything");
  });
});

interface IssuerSetup {
  issuer: string;
  issuerKey: KeyAccount;
  subject: string;
  holder: KeyAccount;
}

/** A registered issuer of RoleCredential with status list rl1, and a subject DID. */
async function issuerSetup(d: Parameters<Parameters<typeof withChain>[0]>[0], f: Parameters<Parameters<typeof withChain>[0]>[1]): Promise<IssuerSetup> {
  const authority = f.wallets[0];
  const issuerKey = keyAccount(f);
  const holder = keyAccount(f);
  const issuer = did("city-ca");
  const subject = did("holder");
  ok(await run(d, issuerKey, "createDid", { did: issuer, kind: "organisation", document: documentJson([issuerKey.publicKey]) }));
  ok(await run(d, holder, "createDid", { did: subject, kind: "person", document: documentJson([holder.publicKey]) }));
  failed(await run(d, issuerKey, "registerIssuer", { did: issuer, types: "RoleCredential" }), ErrorCode.EXEC_UNAUTHORIZED, /authority/);
  ok(await run(d, authority, "registerIssuer", { did: issuer, types: "RoleCredential,LicenceCredential" }));
  ok(await run(d, issuerKey, "createStatusList", { issuer, listId: "rl1", size: STATUS_LIST_SIZE }));
  return { issuer, issuerKey, subject, holder };
}

test("attestClaims: a valid VC-JWT stores its claims; revocation, suspension and rotation take effect", T, async () => {
  await withChain(async (d, f) => {
    const authority = f.wallets[0];
    const { issuer, issuerKey, subject, holder } = await issuerSetup(d, f);
    const jwt = vcJwt(f, { issuer, keyNumber: 1, secretKey: issuerKey.secretKey, subject, index: 7, validUntil: "2030-01-01T00:00:00Z" });

    // Only a controller of the subject or of the issuer may publish the claims.
    failed(await run(d, keyAccount(f), "attestClaims", { jwt }), ErrorCode.EXEC_UNAUTHORIZED, /controls neither/);
    ok(await run(d, holder, "attestClaims", { jwt }));
    assert.deepEqual(claimsOf(reader(d), subject).map((c) => ({ ...c, claims: { ...c.claims } })), [
      { type: "RoleCredential", issuer, claims: { level: 3, role: "inspector" }, validFrom: Date.parse("2023-01-01T00:00:00Z"), validUntil: Date.parse("2030-01-01T00:00:00Z"), status: { listId: "rl1", index: 7 } },
    ]);

    // Suspension: the issuer's credentials stop attesting; resumption restores them.
    ok(await run(d, authority, "suspendIssuer", { did: issuer, reason: "audit" }));
    failed(await run(d, holder, "attestClaims", { jwt }), ErrorCode.ISSUER_UNTRUSTED, /suspended/);
    failed(await run(d, authority, "suspendIssuer", { did: issuer, reason: "again" }), ErrorCode.EXEC_INVALID, /is suspended, not active/);
    // A suspended issuer can still revoke.
    ok(await run(d, issuerKey, "setCredentialStatus", { issuer, listId: "rl1", index: 9, revoked: 1, reason: "lost" }));
    ok(await run(d, authority, "resumeIssuer", { did: issuer, reason: "audit passed" }));
    ok(await run(d, holder, "attestClaims", { jwt }));

    // Revocation: bit 7 set -> the same credential no longer attests; revocation is irreversible.
    failed(await run(d, holder, "setCredentialStatus", { issuer, listId: "rl1", index: 7, revoked: 1, reason: "x" }), ErrorCode.EXEC_UNAUTHORIZED);
    ok(await run(d, issuerKey, "setCredentialStatus", { issuer, listId: "rl1", index: 7, revoked: 1, reason: "role withdrawn" }));
    failed(await run(d, holder, "attestClaims", { jwt }), ErrorCode.CREDENTIAL_REVOKED, /index 7/);
    failed(await run(d, issuerKey, "setCredentialStatus", { issuer, listId: "rl1", index: 7, revoked: 0, reason: "undo" }), ErrorCode.EXEC_INVALID, /irreversible/);
    failed(await run(d, issuerKey, "setCredentialStatus", { issuer, listId: "rl1", index: STATUS_LIST_SIZE, revoked: 1, reason: "" }), ErrorCode.EXEC_INVALID, /outside the list/);

    // Key rotation of the issuer: a VC signed with the old key (old kid, or claiming the new kid) no longer attests.
    const newKey = keyAccount(f);
    ok(await run(d, issuerKey, "updateDid", { did: issuer, document: documentJson([newKey.publicKey]) }));
    const oldSigned = vcJwt(f, { issuer, keyNumber: 1, secretKey: issuerKey.secretKey, subject, index: 8 });
    failed(await run(d, holder, "attestClaims", { jwt: oldSigned }), ErrorCode.CREDENTIAL_BAD_SIGNATURE, /key-1 is not a current key/);
    const oldKeyNewKid = vcJwt(f, { issuer, keyNumber: 2, secretKey: issuerKey.secretKey, subject, index: 8 });
    failed(await run(d, holder, "attestClaims", { jwt: oldKeyNewKid }), ErrorCode.CREDENTIAL_BAD_SIGNATURE, /does not verify/);
    ok(await run(d, holder, "attestClaims", { jwt: vcJwt(f, { issuer, keyNumber: 2, secretKey: newKey.secretKey, subject, index: 8, types: ["LicenceCredential"], claims: { licence: "B" } }) }));
    assert.deepEqual(claimsOf(reader(d), subject).map((c) => `${c.type}:${c.status.index}`), ["LicenceCredential:8", "RoleCredential:7"]);
  });
});

test("attestClaims refuses bad credentials with precise codes and writes nothing", T, async () => {
  await withChain(async (d, f) => {
    const { issuer, issuerKey, subject, holder } = await issuerSetup(d, f);
    const sk = issuerKey.secretKey;
    const base = { issuer, keyNumber: 1, secretKey: sk, subject };
    const header = JSON.stringify({ alg: "EdDSA", typ: "vc+jwt", kid: `${issuer}#key-1` });
    const good = vcJwt(f, base);
    const [h, p, s] = good.split(".");
    const cases: Array<[string, string, string, RegExp?]> = [
      ["two parts", `${h}.${p}`, ErrorCode.CREDENTIAL_INVALID, /compact JWS/],
      ["padding", `${h}=.${p}.${s}`, ErrorCode.CREDENTIAL_INVALID, /base64url/],
      ["bad char", `${h}.${p}*.${s}`, ErrorCode.CREDENTIAL_INVALID, /base64url/],
      ["short signature", `${h}.${p}.${s.slice(0, 40)}`, ErrorCode.CREDENTIAL_INVALID, /signature must be 64 bytes/],
      ["tampered payload", `${h}.${Buffer.from(JSON.stringify(vcPayload({ ...base, claims: { role: "mayor" } }))).toString("base64url")}.${s}`, ErrorCode.CREDENTIAL_BAD_SIGNATURE, /does not verify/],
      ["alg none", vcJwt(f, { ...base, header: { alg: "none", typ: "vc+jwt", kid: `${issuer}#key-1` } }), ErrorCode.CREDENTIAL_INVALID, /alg must be EdDSA/],
      ["alg ES256", vcJwt(f, { ...base, header: { alg: "ES256", typ: "vc+jwt", kid: `${issuer}#key-1` } }), ErrorCode.CREDENTIAL_INVALID, /alg must be EdDSA/],
      ["typ JWT", vcJwt(f, { ...base, header: { alg: "EdDSA", typ: "JWT", kid: `${issuer}#key-1` } }), ErrorCode.CREDENTIAL_INVALID, /typ must be vc\+jwt/],
      ["crit", vcJwt(f, { ...base, header: { alg: "EdDSA", typ: "vc+jwt", kid: `${issuer}#key-1`, crit: ["x"], x: 1 } }), ErrorCode.CREDENTIAL_INVALID, /crit/],
      ["kid of another DID", vcJwt(f, { ...base, header: { alg: "EdDSA", typ: "vc+jwt", kid: `${subject}#key-1` } }), ErrorCode.CREDENTIAL_INVALID, /kid must be/],
      ["duplicate member", signJws(f, header, JSON.stringify(vcPayload(base)).replace('"issuer":', `"issuer":"${subject}","issuer":`), sk), ErrorCode.CREDENTIAL_INVALID, /duplicate member 'issuer'/],
      ["payload not JSON", signJws(f, header, "{not json", sk), ErrorCode.CREDENTIAL_INVALID, /credential payload/],
      ["payload an array", signJws(f, header, "[]", sk), ErrorCode.CREDENTIAL_INVALID, /not a JSON object/],
      ["v1 context", vcJwt(f, { ...base, payloadOverride: (x) => ({ ...x, "@context": ["https://www.w3.org/2018/credentials/v1"] }) }), ErrorCode.CREDENTIAL_INVALID, /@context/],
      ["no type besides base", vcJwt(f, { ...base, types: [] }), ErrorCode.CREDENTIAL_INVALID, /besides VerifiableCredential/],
      ["bad date", vcJwt(f, { ...base, validFrom: "2023-02-30T00:00:00Z" }), ErrorCode.CREDENTIAL_INVALID, /validFrom is not a valid date-time/],
      ["date without zone", vcJwt(f, { ...base, validFrom: "2023-01-01T00:00:00" }), ErrorCode.CREDENTIAL_INVALID, /validFrom must be a date-time/],
      ["no status", vcJwt(f, { ...base, payloadOverride: (x) => ({ ...x, credentialStatus: undefined }) }), ErrorCode.CREDENTIAL_INVALID, /credentialStatus/],
      ["status of another issuer", vcJwt(f, { ...base, payloadOverride: (x) => ({ ...x, credentialStatus: { ...(x.credentialStatus as object), statusListCredential: `https://n/v1/identity/status-lists/${subject}/rl1` } }) }), ErrorCode.CREDENTIAL_INVALID, /another issuer/],
      ["unknown status list", vcJwt(f, { ...base, listId: "nope" }), ErrorCode.CREDENTIAL_INVALID, /does not exist/],
      ["subject of another chain", vcJwt(f, { ...base, subject: "did:civitas:elsewhere:x" }), ErrorCode.DID_INVALID, /elsewhere/],
      ["unknown issuer", vcJwt(f, { ...base, issuer: did("ghost") }), ErrorCode.DID_NOT_FOUND, /ghost/],
      ["unregistered type", vcJwt(f, { ...base, types: ["MayorCredential"] }), ErrorCode.ISSUER_UNTRUSTED, /not registered for MayorCredential/],
      ["not yet valid", vcJwt(f, { ...base, validFrom: "2099-01-01T00:00:00Z" }), ErrorCode.CREDENTIAL_NOT_YET_VALID],
      ["expired", vcJwt(f, { ...base, validUntil: "2023-06-01T00:00:00+02:00" }), ErrorCode.CREDENTIAL_EXPIRED],
      ["jwt exp passed", vcJwt(f, { ...base, payloadOverride: (x) => ({ ...x, exp: 1_600_000_000 }) }), ErrorCode.CREDENTIAL_EXPIRED],
      ["unknown subject", vcJwt(f, { ...base, subject: did("nobody") }), ErrorCode.DID_NOT_FOUND, /credential subject/],
    ];
    const before = identityState(d);
    for (const [name, jwt, code, message] of cases) {
      const r = await run(d, holder, "attestClaims", { jwt });
      assert.equal(r.code, code, `${name}: got ${r.code} ${r.message}`);
      failed(r, code, message);
    }
    assert.deepEqual(identityState(d), before, "no refused credential wrote anything");
    ok(await run(d, holder, "attestClaims", { jwt: good }));
  });
});

test("a VC-JWT signed by the jose library (as the credentials CLI does) attests", T, async () => {
  await withChain(async (d, f) => {
    const { issuer, issuerKey, subject, holder } = await issuerSetup(d, f);
    const key = await importJWK({ kty: "OKP", crv: "Ed25519", d: Buffer.from(issuerKey.secretKey).toString("base64url"), x: Buffer.from(issuerKey.publicKey).toString("base64url") }, "EdDSA");
    const payload = vcPayload({ issuer, keyNumber: 1, secretKey: issuerKey.secretKey, subject, claims: { role: "auditor", "é": "ünïcode" } });
    const jwt = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: "EdDSA", typ: "vc+jwt", kid: `${issuer}#key-1` }).sign(key);
    ok(await run(d, holder, "attestClaims", { jwt }));
    assert.deepEqual({ ...claimsOf(reader(d), subject)[0].claims }, { role: "auditor", "é": "ünïcode" });
  });
});

test("status lists: size limits, only controllers of a registered issuer, anchors", T, async () => {
  await withChain(async (d, f) => {
    const { issuer, issuerKey, holder } = await issuerSetup(d, f);
    failed(await run(d, issuerKey, "createStatusList", { issuer, listId: "small", size: 1024 }), ErrorCode.EXEC_INVALID, /multiple of 8 between/);
    failed(await run(d, issuerKey, "createStatusList", { issuer, listId: "odd", size: STATUS_LIST_SIZE + 1 }), ErrorCode.EXEC_INVALID);
    failed(await run(d, issuerKey, "createStatusList", { issuer, listId: "huge", size: 8 * 1_048_576 }), ErrorCode.EXEC_INVALID);
    failed(await run(d, issuerKey, "createStatusList", { issuer, listId: "rl1", size: STATUS_LIST_SIZE }), ErrorCode.EXEC_INVALID, /already exists/);
    failed(await run(d, holder, "createStatusList", { issuer, listId: "rl2", size: STATUS_LIST_SIZE }), ErrorCode.EXEC_UNAUTHORIZED);
    // A DID that is not a registered issuer has no lists.
    failed(await run(d, holder, "createStatusList", { issuer: did("holder"), listId: "x", size: STATUS_LIST_SIZE }), ErrorCode.ISSUER_UNTRUSTED);
    const hash = "ab".repeat(32);
    ok(await run(d, issuerKey, "anchorCredential", { issuer, hash }));
    failed(await run(d, issuerKey, "anchorCredential", { issuer, hash }), ErrorCode.EXEC_INVALID, /already anchored/);
    failed(await run(d, holder, "anchorCredential", { issuer, hash: "cd".repeat(32) }), ErrorCode.EXEC_UNAUTHORIZED);
  });
});
