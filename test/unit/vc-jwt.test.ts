/**
 * VC-JWT issue and verify against an in-memory ledger view: the happy path, and every way a
 * credential can fail, each with the error code naming the failed check.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { CompactSign, SignJWT, base64url, decodeProtectedHeader, importJWK, jwtVerify } from "jose";
import { getPortableSuite } from "../../src/crypto/portable-suites.js";
import type { DidDocument, DidResolution, IdentityResolver, IssuerRecord, StatusListRecord } from "../../src/identity/index.js";
import { createBitstring, decodeCredentialUnverified, ed25519PrivateJwk, ed25519PublicJwk, encodeStatusList, issueCredential, setStatusBit, verifyCredential } from "../../src/identity/index.js";
import { CivitasError, ErrorCode, isCivitasError } from "../../src/util/errors.js";

const suite = getPortableSuite("ed25519-sha256");
const NODE = "http://127.0.0.1:8080";
const ISSUER = "did:civitas:test-chain:city-registry";
const OTHER = "did:civitas:test-chain:other-org";
const SUBJECT = "did:civitas:test-chain:alice";
const T0 = Date.parse("2030-01-01T00:00:00Z");
const DAY = 86_400_000;

/** The ledger as a verifier sees it, in memory: DID documents, issuer registry, status lists. */
class MemoryResolver implements IdentityResolver {
  dids = new Map<string, DidResolution>();
  issuers = new Map<string, IssuerRecord>();
  lists = new Map<string, { size: number; bits: Uint8Array }>();

  addDid(did: string, keys: Uint8Array[]): void {
    const methods = keys.map((k, i) => ({ id: `${did}#key-${i + 1}`, type: "JsonWebKey2020", controller: did, publicKeyJwk: { ...ed25519PublicJwk(k) } }));
    const doc: DidDocument = { "@context": ["https://www.w3.org/ns/did/v1"], id: did, verificationMethod: methods, assertionMethod: methods.map((m) => m.id), authentication: methods.map((m) => m.id) };
    this.dids.set(did, { didDocument: doc, didDocumentMetadata: { versionId: "1", deactivated: false } });
  }
  async resolveDid(did: string): Promise<DidResolution> {
    const r = this.dids.get(did);
    if (!r) throw new CivitasError(ErrorCode.DID_NOT_FOUND, `DID ${did} not found`, { did });
    return r;
  }
  async getIssuer(did: string): Promise<IssuerRecord | undefined> {
    return this.issuers.get(did);
  }
  async getStatusList(issuer: string, listId: string): Promise<StatusListRecord> {
    const l = this.lists.get(`${issuer}/${listId}`);
    if (!l) throw new CivitasError(ErrorCode.CREDENTIAL_INVALID, `status list ${listId} not found`);
    return { issuer, listId, statusPurpose: "revocation", size: l.size, encodedList: await encodeStatusList(l.bits) };
  }
}

interface World {
  resolver: MemoryResolver;
  issuerKey: Uint8Array;
  otherKey: Uint8Array;
}

function world(): World {
  const issuerKey = suite.generateKeyPair().secretKey;
  const otherKey = suite.generateKeyPair().secretKey;
  const resolver = new MemoryResolver();
  resolver.addDid(ISSUER, [suite.publicKeyFromSecret(issuerKey)]);
  resolver.addDid(OTHER, [suite.publicKeyFromSecret(otherKey)]);
  resolver.issuers.set(ISSUER, { did: ISSUER, types: ["ResidentCredential", "ParkingPermit"], status: "active" });
  resolver.lists.set(`${ISSUER}/main`, { size: 1024, bits: createBitstring(1024) });
  return { resolver, issuerKey, otherKey };
}

async function issue(w: World, extra: Partial<Parameters<typeof issueCredential>[0]> = {}): Promise<string> {
  const { jwt } = await issueCredential({
    issuer: ISSUER,
    kid: "#key-1",
    secretKey: w.issuerKey,
    type: "ResidentCredential",
    subject: SUBJECT,
    claims: { district: "north", birthYear: 1990 },
    validFrom: T0,
    validUntil: T0 + 365 * DAY,
    status: { nodeUrl: NODE, listId: "main", index: 77 },
    ...extra,
  });
  return jwt;
}

function code(expected: string, pattern?: RegExp): (e: unknown) => boolean {
  return (e) => {
    assert.ok(isCivitasError(e), `expected a CivitasError, got ${String(e)}`);
    assert.equal(e.code, expected, `code (message: ${e.message})`);
    if (pattern) assert.match(e.message, pattern);
    return true;
  };
}

/** Re-signs arbitrary header and payload with `secretKey`: for credentials a buggy or hostile issuer might make. */
async function signRaw(header: Record<string, unknown>, payload: string, secretKey: Uint8Array): Promise<string> {
  const key = await importJWK(ed25519PrivateJwk(secretKey), "EdDSA");
  return new CompactSign(new TextEncoder().encode(payload)).setProtectedHeader({ alg: "EdDSA", ...header }).sign(key);
}

function payloadOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString("utf8")) as Record<string, unknown>;
}

test("an issued credential has the VC-JWT form of the identity contract and verifies", async () => {
  const w = world();
  const jwt = await issue(w);
  assert.deepEqual(decodeProtectedHeader(jwt), { alg: "EdDSA", typ: "vc+jwt", kid: `${ISSUER}#key-1` });
  const p = payloadOf(jwt);
  assert.deepEqual(p["@context"], ["https://www.w3.org/ns/credentials/v2"]);
  assert.match(String(p.id), /^urn:uuid:[0-9a-f-]{36}$/);
  assert.deepEqual(p.type, ["VerifiableCredential", "ResidentCredential"]);
  assert.equal(p.issuer, ISSUER);
  assert.equal(p.validFrom, "2030-01-01T00:00:00Z");
  assert.equal(p.validUntil, "2031-01-01T00:00:00Z");
  assert.deepEqual(p.credentialSubject, { id: SUBJECT, district: "north", birthYear: 1990 });
  assert.deepEqual(p.credentialStatus, {
    id: `${NODE}/v1/identity/status-lists/${ISSUER}/main#77`,
    type: "BitstringStatusListEntry",
    statusPurpose: "revocation",
    statusListIndex: "77",
    statusListCredential: `${NODE}/v1/identity/status-lists/${ISSUER}/main`,
  });
  const v = await verifyCredential(jwt, { resolver: w.resolver, now: T0 + DAY });
  assert.equal(v.issuer, ISSUER);
  assert.equal(v.subject, SUBJECT);
  assert.equal(v.kid, `${ISSUER}#key-1`);
  assert.deepEqual(v.types, ["ResidentCredential"]);
  assert.deepEqual(v.trustedTypes, ["ResidentCredential"]);
  assert.deepEqual(v.status, { issuer: ISSUER, listId: "main", index: 77, revoked: false });
  assert.equal(v.credential.credentialSubject.district, "north");
  assert.equal(v.validFrom, T0);
  assert.equal(v.validUntil, T0 + 365 * DAY);
  // A plain JOSE library agrees, given only the DID document's JWK.
  const jwk = w.resolver.dids.get(ISSUER)!.didDocument.verificationMethod![0].publicKeyJwk!;
  const { payload } = await jwtVerify(jwt, await importJWK(jwk, "EdDSA"), { typ: "vc+jwt", algorithms: ["EdDSA"] });
  assert.equal(payload.issuer, ISSUER);
  assert.deepEqual(decodeCredentialUnverified(jwt).credential, v.credential);
});

test("a signature by another key under the issuer's kid is CREDENTIAL_BAD_SIGNATURE", async () => {
  const w = world();
  const forged = await issue(w, { secretKey: w.otherKey });
  await assert.rejects(verifyCredential(forged, { resolver: w.resolver, now: T0 }), code("CREDENTIAL_BAD_SIGNATURE", /key-1/));
  const jwt = await issue(w);
  const [h, p, s] = jwt.split(".");
  const sig = Buffer.from(s, "base64url");
  sig[10] ^= 0x01;
  await assert.rejects(verifyCredential(`${h}.${p}.${sig.toString("base64url")}`, { resolver: w.resolver, now: T0 }), code("CREDENTIAL_BAD_SIGNATURE"));
});

test("a tampered payload (a changed claim, a longer validity) is CREDENTIAL_BAD_SIGNATURE", async () => {
  const w = world();
  const jwt = await issue(w);
  const [h, , s] = jwt.split(".");
  for (const change of [(p: Record<string, Record<string, unknown>>) => (p.credentialSubject.district = "south"), (p: Record<string, unknown>) => (p.validUntil = "2099-01-01T00:00:00Z")]) {
    const p = payloadOf(jwt);
    change(p as never);
    const tampered = `${h}.${Buffer.from(JSON.stringify(p)).toString("base64url")}.${s}`;
    await assert.rejects(verifyCredential(tampered, { resolver: w.resolver, now: T0 }), code("CREDENTIAL_BAD_SIGNATURE"));
  }
});

test("an issuer that is not registered, suspended, or registered for other types is ISSUER_UNTRUSTED", async () => {
  const w = world();
  const unregistered = (
    await issueCredential({ issuer: OTHER, kid: "#key-1", secretKey: w.otherKey, type: "ResidentCredential", subject: SUBJECT, validFrom: T0 })
  ).jwt;
  await assert.rejects(verifyCredential(unregistered, { resolver: w.resolver, now: T0 }), code("ISSUER_UNTRUSTED", /not a registered/));

  const wrongType = await issue(w, { type: "DrivingLicence" });
  await assert.rejects(verifyCredential(wrongType, { resolver: w.resolver, now: T0 }), code("ISSUER_UNTRUSTED", /not trusted for DrivingLicence/));

  const jwt = await issue(w);
  w.resolver.issuers.set(ISSUER, { did: ISSUER, types: ["ResidentCredential"], status: "suspended" });
  await assert.rejects(verifyCredential(jwt, { resolver: w.resolver, now: T0 }), code("ISSUER_UNTRUSTED", /suspended/));
});

test("a credential of another type than the verifier asks for is CREDENTIAL_INVALID", async () => {
  const w = world();
  const jwt = await issue(w, { type: "ParkingPermit" });
  assert.deepEqual((await verifyCredential(jwt, { resolver: w.resolver, now: T0, expectedType: "ParkingPermit" })).types, ["ParkingPermit"]);
  await assert.rejects(verifyCredential(jwt, { resolver: w.resolver, now: T0, expectedType: "ResidentCredential" }), code("CREDENTIAL_INVALID", /not ResidentCredential/));
});

test("validFrom <= now < validUntil: before is NOT_YET_VALID, at and after validUntil is EXPIRED", async () => {
  const w = world();
  const jwt = await issue(w);
  await assert.rejects(verifyCredential(jwt, { resolver: w.resolver, now: T0 - 1 }), code("CREDENTIAL_NOT_YET_VALID", /valid from 2030-01-01T00:00:00/));
  assert.ok(await verifyCredential(jwt, { resolver: w.resolver, now: new Date(T0) }));
  assert.ok(await verifyCredential(jwt, { resolver: w.resolver, now: T0 + 365 * DAY - 1 }));
  await assert.rejects(verifyCredential(jwt, { resolver: w.resolver, now: T0 + 365 * DAY }), code("CREDENTIAL_EXPIRED", /expired at 2031-01-01T00:00:00/));
  const open = await issue(w, { validUntil: undefined });
  assert.ok(await verifyCredential(open, { resolver: w.resolver, now: T0 + 100 * 365 * DAY }), "no validUntil: no expiry");
});

test("optional JWT claims are honoured like on chain: nbf/exp narrow the window, iss/sub must agree", async () => {
  const w = world();
  const p = payloadOf(await issue(w));
  const kid = { typ: "vc+jwt", kid: `${ISSUER}#key-1` };
  const narrowed = await signRaw(kid, JSON.stringify({ ...p, nbf: (T0 + DAY) / 1000, exp: (T0 + 2 * DAY) / 1000 }), w.issuerKey);
  await assert.rejects(verifyCredential(narrowed, { resolver: w.resolver, now: T0 + DAY - 1 }), code("CREDENTIAL_NOT_YET_VALID"));
  assert.ok(await verifyCredential(narrowed, { resolver: w.resolver, now: T0 + DAY }));
  await assert.rejects(verifyCredential(narrowed, { resolver: w.resolver, now: T0 + 2 * DAY }), code("CREDENTIAL_EXPIRED"));
  const agreeing = await signRaw(kid, JSON.stringify({ ...p, iss: ISSUER, sub: SUBJECT }), w.issuerKey);
  assert.ok(await verifyCredential(agreeing, { resolver: w.resolver, now: T0 }));
  await assert.rejects(verifyCredential(await signRaw(kid, JSON.stringify({ ...p, iss: OTHER }), w.issuerKey), { resolver: w.resolver, now: T0 }), code("CREDENTIAL_INVALID", /iss/));
  await assert.rejects(verifyCredential(await signRaw(kid, JSON.stringify({ ...p, sub: OTHER }), w.issuerKey), { resolver: w.resolver, now: T0 }), code("CREDENTIAL_INVALID", /sub/));
  await assert.rejects(verifyCredential(await signRaw(kid, JSON.stringify({ ...p, exp: "soon" }), w.issuerKey), { resolver: w.resolver, now: T0 }), code("CREDENTIAL_INVALID", /exp/));
});

test("a set status bit is CREDENTIAL_REVOKED; other bits do not matter; checkStatus:false skips it", async () => {
  const w = world();
  const jwt = await issue(w);
  const list = w.resolver.lists.get(`${ISSUER}/main`)!;
  setStatusBit(list.bits, 76, true);
  setStatusBit(list.bits, 78, true);
  assert.ok(await verifyCredential(jwt, { resolver: w.resolver, now: T0 }));
  setStatusBit(list.bits, 77, true);
  await assert.rejects(verifyCredential(jwt, { resolver: w.resolver, now: T0 }), (e) => {
    code("CREDENTIAL_REVOKED", /bit 77 of status list 'main'/)(e);
    assert.deepEqual((e as CivitasError).details, { issuer: ISSUER, listId: "main", index: 77 });
    return true;
  });
  assert.equal((await verifyCredential(jwt, { resolver: w.resolver, now: T0, checkStatus: false })).status, undefined);
});

test("status entries pointing outside the issuer's lists are CREDENTIAL_INVALID", async () => {
  const w = world();
  const beyond = await issue(w, { status: { nodeUrl: NODE, listId: "main", index: 1024 } });
  await assert.rejects(verifyCredential(beyond, { resolver: w.resolver, now: T0 }), code("CREDENTIAL_INVALID", /outside list 'main'/));
  const missing = await issue(w, { status: { nodeUrl: NODE, listId: "nope", index: 1 } });
  await assert.rejects(verifyCredential(missing, { resolver: w.resolver, now: T0 }), code("CREDENTIAL_INVALID", /nope/));
  // A list of another issuer, which this issuer could never set: a signed but useless status.
  const p = payloadOf(await issue(w));
  const status = p.credentialStatus as Record<string, string>;
  status.statusListCredential = `${NODE}/v1/identity/status-lists/${OTHER}/main`;
  const foreign = await signRaw({ typ: "vc+jwt", kid: `${ISSUER}#key-1` }, JSON.stringify(p), w.issuerKey);
  await assert.rejects(verifyCredential(foreign, { resolver: w.resolver, now: T0 }), code("CREDENTIAL_INVALID", /belongs to/));
});

test("malformed JWTs are CREDENTIAL_INVALID", async () => {
  const w = world();
  const jwt = await issue(w);
  const [h, p] = jwt.split(".");
  for (const bad of ["", "abc", `${h}.${p}`, `${h}.${p}.`, `${h}.${p}.sig.extra`, `${h}.${p}.s=`, "a.b.c", `${Buffer.from("{not json").toString("base64url")}.${p}.AAAA`, " ".repeat(20_000), 17, null]) {
    await assert.rejects(verifyCredential(bad, { resolver: w.resolver, now: T0 }), code("CREDENTIAL_INVALID"), `input ${JSON.stringify(bad)?.slice(0, 40)}`);
  }
  // Properly signed, but the payload is not a credential.
  const kid = { typ: "vc+jwt", kid: `${ISSUER}#key-1` };
  await assert.rejects(verifyCredential(await signRaw(kid, "not json", w.issuerKey), { resolver: w.resolver, now: T0 }), code("CREDENTIAL_INVALID", /not JSON/));
  const pl = payloadOf(jwt);
  const shapes: Array<[(x: Record<string, unknown>) => void, RegExp]> = [
    [(x) => (x["@context"] = ["https://www.w3.org/2018/credentials/v1"]), /@context/],
    [(x) => (x.type = ["ResidentCredential"]), /type must be/],
    [(x) => delete x.validFrom, /validFrom/],
    [(x) => (x.validUntil = "2029-01-01"), /validUntil must be an ISO 8601/],
    [(x) => (x.validUntil = x.validFrom), /later than validFrom/],
    [(x) => (x.credentialSubject = [{ id: SUBJECT }]), /credentialSubject/],
    [(x) => ((x.credentialSubject as Record<string, unknown>).id = "alice"), /credentialSubject.id/],
    [(x) => ((x.credentialStatus as Record<string, unknown>).statusListIndex = 77), /statusListIndex/],
    [(x) => ((x.credentialStatus as Record<string, unknown>).statusPurpose = "suspension"), /statusPurpose/],
  ];
  for (const [mutate, msg] of shapes) {
    const x = structuredClone(pl);
    mutate(x);
    await assert.rejects(verifyCredential(await signRaw(kid, JSON.stringify(x), w.issuerKey), { resolver: w.resolver, now: T0 }), code("CREDENTIAL_INVALID", msg));
  }
});

test("wrong typ, wrong alg, alg none, a missing or foreign kid are refused", async () => {
  const w = world();
  const payload = JSON.stringify(payloadOf(await issue(w)));
  const kid = `${ISSUER}#key-1`;
  await assert.rejects(verifyCredential(await signRaw({ typ: "JWT", kid }, payload, w.issuerKey), { resolver: w.resolver, now: T0 }), code("CREDENTIAL_INVALID", /typ must be 'vc\+jwt', got 'JWT'/));
  await assert.rejects(verifyCredential(await signRaw({ kid }, payload, w.issuerKey), { resolver: w.resolver, now: T0 }), code("CREDENTIAL_INVALID", /typ/));
  await assert.rejects(verifyCredential(await signRaw({ typ: "vc+jwt" }, payload, w.issuerKey), { resolver: w.resolver, now: T0 }), code("CREDENTIAL_INVALID", /kid/));
  const hs = await new SignJWT(JSON.parse(payload) as Record<string, unknown>).setProtectedHeader({ alg: "HS256", typ: "vc+jwt", kid }).sign(new Uint8Array(32));
  await assert.rejects(verifyCredential(hs, { resolver: w.resolver, now: T0 }), code("CREDENTIAL_INVALID", /alg must be 'EdDSA', got 'HS256'/));
  const none = `${base64url.encode(JSON.stringify({ alg: "none", typ: "vc+jwt", kid }))}.${base64url.encode(payload)}.AA`;
  await assert.rejects(verifyCredential(none, { resolver: w.resolver, now: T0 }), code("CREDENTIAL_INVALID", /got 'none'/));
  // Signed by OTHER with its own key, claiming to be from ISSUER.
  const impostor = await signRaw({ typ: "vc+jwt", kid: `${OTHER}#key-1` }, payload, w.otherKey);
  await assert.rejects(verifyCredential(impostor, { resolver: w.resolver, now: T0 }), code("CREDENTIAL_INVALID", /kid names did:civitas:test-chain:other-org but the credential's issuer is/));
});

test("issuer DID problems: unknown DID, deactivated DID, key rotated out", async () => {
  const w = world();
  const jwt = await issue(w);
  const stranger = await signRaw({ typ: "vc+jwt", kid: "did:civitas:test-chain:nobody#key-1" }, JSON.stringify(payloadOf(jwt)), w.otherKey);
  await assert.rejects(verifyCredential(stranger, { resolver: w.resolver, now: T0 }), code("DID_NOT_FOUND"));
  await assert.rejects(verifyCredential(await issue(w, { kid: "#key-2" }), { resolver: w.resolver, now: T0 }), code("CREDENTIAL_BAD_SIGNATURE", /no key .*#key-2/));
  // Rotation: key-1 replaced by key-2; credentials signed by key-1 no longer verify.
  const newKey = suite.generateKeyPair().secretKey;
  const r = w.resolver.dids.get(ISSUER)!;
  const m2 = { id: `${ISSUER}#key-2`, type: "JsonWebKey2020", controller: ISSUER, publicKeyJwk: { ...ed25519PublicJwk(suite.publicKeyFromSecret(newKey)) } };
  w.resolver.dids.set(ISSUER, { didDocument: { ...r.didDocument, verificationMethod: [m2], assertionMethod: [m2.id] }, didDocumentMetadata: { versionId: "2" } });
  await assert.rejects(verifyCredential(jwt, { resolver: w.resolver, now: T0 }), code("CREDENTIAL_BAD_SIGNATURE", /rotated out/));
  assert.ok(await verifyCredential(await issue(w, { kid: "#key-2", secretKey: newKey }), { resolver: w.resolver, now: T0 }));
  // A key listed but not allowed to make assertions.
  w.resolver.dids.set(ISSUER, { didDocument: { ...r.didDocument, verificationMethod: [m2], assertionMethod: [] }, didDocumentMetadata: { versionId: "3" } });
  await assert.rejects(verifyCredential(await issue(w, { kid: "#key-2", secretKey: newKey }), { resolver: w.resolver, now: T0 }), code("CREDENTIAL_BAD_SIGNATURE", /not an assertion method/));
  w.resolver.dids.set(ISSUER, { didDocument: r.didDocument, didDocumentMetadata: { versionId: "4", deactivated: true } });
  await assert.rejects(verifyCredential(jwt, { resolver: w.resolver, now: T0 }), code("DID_DEACTIVATED"));
});

test("issuing refuses bad input with a typed error and never signs it", async () => {
  const w = world();
  const base = { issuer: ISSUER, kid: "#key-1", secretKey: w.issuerKey, type: "ResidentCredential", subject: SUBJECT, validFrom: T0 };
  await assert.rejects(issueCredential({ ...base, suite: "sm2-sm3" }), code("KEY_INVALID", /Ed25519/));
  await assert.rejects(issueCredential({ ...base, issuer: "did:web:example.com" }), code("DID_INVALID"));
  await assert.rejects(issueCredential({ ...base, kid: `${OTHER}#key-1` }), code("DID_INVALID", /does not belong/));
  await assert.rejects(issueCredential({ ...base, subject: "alice" }), code("DID_INVALID", /subject/));
  await assert.rejects(issueCredential({ ...base, type: "VerifiableCredential" }), code("CREDENTIAL_INVALID"));
  await assert.rejects(issueCredential({ ...base, type: "has space" }), code("CREDENTIAL_INVALID"));
  await assert.rejects(issueCredential({ ...base, claims: { id: "did:civitas:test-chain:bob" } }), code("CREDENTIAL_INVALID", /reserved/));
  await assert.rejects(issueCredential({ ...base, claims: { blob: "x".repeat(9000) } }), code("CREDENTIAL_INVALID", /larger/));
  await assert.rejects(issueCredential({ ...base, claims: { a: { b: { c: { d: { e: { f: { g: { h: 1 } } } } } } } } }), code("CREDENTIAL_INVALID", /deeper/));
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  await assert.rejects(issueCredential({ ...base, claims: cyclic }), code("CREDENTIAL_INVALID", /not JSON/));
  await assert.rejects(issueCredential({ ...base, status: { nodeUrl: NODE, listId: "Main", index: 1 } }), code("CREDENTIAL_INVALID", /status list id/));
  await assert.rejects(issueCredential({ ...base, validUntil: T0 }), code("CREDENTIAL_INVALID", /later than validFrom/));
  await assert.rejects(issueCredential({ ...base, validUntil: "next tuesday" }), code("CREDENTIAL_INVALID", /validUntil/));
  await assert.rejects(issueCredential({ ...base, status: { nodeUrl: NODE, listId: "main", index: -1 } }), code("CREDENTIAL_INVALID", /status index/));
  await assert.rejects(issueCredential({ ...base, status: { nodeUrl: NODE, listId: "a/b", index: 1 } }), code("CREDENTIAL_INVALID", /status list id/));
  await assert.rejects(issueCredential({ ...base, secretKey: new Uint8Array(31) }), code("KEY_INVALID"));
});
