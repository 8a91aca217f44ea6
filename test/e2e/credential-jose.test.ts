/**
 * A credential issued by Civitas verifies with nothing but a standard JOSE library and the DID
 * document fetched from the API, and a credential made by that library alone verifies in
 * Civitas. This file deliberately imports no Civitas code: the node and the setup run through
 * the `civitas` CLI as separate processes (helpers/proc-node.ts spawns them and imports only
 * Node built-ins); verification uses `jose`, `fetch` and `node:zlib` for the status list.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { CompactSign, decodeProtectedHeader, errors, exportJWK, generateKeyPair, importJWK, jwtVerify } from "jose";
import type { JWK, JWTPayload } from "jose";
import type { Proc, RunResult } from "./helpers/proc-node.js";
import { describeRun, freePort, killAll, runCli, startNode } from "./helpers/proc-node.js";

const PASS = "credential-jose-passphrase";
const CHAIN = "jose-chain";
const ISSUER = `did:civitas:${CHAIN}:registry`;
const SUBJECT = `did:civitas:${CHAIN}:bob`;
let root: string;
let url: string;
let node: Proc | undefined;
let g: string[];
const env = { CIVITAS_PASSPHRASE: PASS };

async function cli(args: string[], expectCode: number): Promise<RunResult> {
  const r = await runCli([...g, ...args], { env, timeoutMs: 60_000 });
  assert.equal(r.code, expectCode, describeRun([...g, ...args], r));
  return r;
}

async function send(key: string, method: string, args: Record<string, unknown>): Promise<void> {
  const r = JSON.parse((await cli(["--json", "tx", "send", "--key", key, "--module", "identity", "--method", method, "--args", JSON.stringify(args)], 0)).stdout) as { receipt: { status: string; code: string | null } };
  assert.equal(r.receipt.status, "ok", `identity.${method}: ${r.receipt.code}`);
}

interface DidDocumentJson {
  id: string;
  verificationMethod: Array<{ id: string; type: string; controller: string; publicKeyJwk?: JWK }>;
  assertionMethod?: string[];
}

async function fetchJson<T>(u: string): Promise<T> {
  const res = await fetch(u);
  assert.equal(res.status, 200, `GET ${u}: ${res.status}`);
  return (await res.json()) as T;
}

/** The issuer's public JWK for `kid`, from the W3C DID resolution result the node serves. */
async function jwkFromDidDocument(kid: string): Promise<JWK> {
  const did = kid.slice(0, kid.indexOf("#"));
  const resolution = await fetchJson<{ didDocument: DidDocumentJson; didDocumentMetadata: { deactivated: boolean }; didResolutionMetadata: { contentType: string } }>(`${url}/v1/identity/dids/${encodeURIComponent(did)}`);
  assert.equal(resolution.didResolutionMetadata.contentType, "application/did+json");
  assert.equal(resolution.didDocument.id, did);
  assert.equal(resolution.didDocumentMetadata.deactivated, false);
  const method = resolution.didDocument.verificationMethod.find((m) => m.id === kid);
  assert.ok(method, `${kid} is a verification method of ${did}`);
  assert.ok(resolution.didDocument.assertionMethod?.includes(kid), `${kid} may make assertions`);
  assert.equal(method.type, "JsonWebKey2020");
  assert.ok(method.publicKeyJwk);
  const { kty, crv, x } = method.publicKeyJwk;
  assert.deepEqual([kty, crv], ["OKP", "Ed25519"]);
  return { kty, crv, x };
}

/** Checks a VC-JWT with jose and the API only; returns the credential or throws what failed. */
async function verifyWithJose(jwt: string, now = Date.now()): Promise<JWTPayload & Record<string, unknown>> {
  const header = decodeProtectedHeader(jwt);
  assert.equal(header.alg, "EdDSA");
  assert.equal(header.typ, "vc+jwt");
  const kid = header.kid as string;
  const key = await importJWK(await jwkFromDidDocument(kid), "EdDSA");
  const { payload } = await jwtVerify(jwt, key, { typ: "vc+jwt", algorithms: ["EdDSA"] });
  const vc = payload as JWTPayload & Record<string, unknown>;
  assert.deepEqual(vc["@context"], ["https://www.w3.org/ns/credentials/v2"]);
  assert.equal(vc.issuer, kid.slice(0, kid.indexOf("#")));
  if (Date.parse(vc.validFrom as string) > now) throw new Error("not yet valid");
  if (vc.validUntil !== undefined && Date.parse(vc.validUntil as string) <= now) throw new Error("expired");
  const issuer = await fetchJson<{ types: string[]; status: string }>(`${url}/v1/identity/issuers/${encodeURIComponent(vc.issuer as string)}`);
  assert.equal(issuer.status, "active");
  assert.ok((vc.type as string[]).some((t) => issuer.types.includes(t)), "issuer registered for the type");
  const status = vc.credentialStatus as { type: string; statusPurpose: string; statusListIndex: string; statusListCredential: string };
  assert.equal(status.type, "BitstringStatusListEntry");
  assert.equal(status.statusPurpose, "revocation");
  // The status list URL in the credential is dereferenced as it stands.
  const list = await fetchJson<{ encodedList: string; size: number; statusPurpose: string }>(status.statusListCredential);
  assert.equal(list.statusPurpose, "revocation");
  assert.equal(list.encodedList[0], "u", "multibase base64url");
  const bits = gunzipSync(Buffer.from(list.encodedList.slice(1), "base64url"));
  assert.ok(bits.length * 8 >= list.size);
  const index = Number(status.statusListIndex);
  if ((bits[index >> 3] & (0x80 >> (index & 7))) !== 0) throw new Error(`revoked (bit ${index})`);
  return vc;
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), "civitas-credjose-"));
  g = ["--keys-dir", join(root, "keys")];
  const made: Record<string, { address: string; publicKey: string }> = {};
  for (const name of ["authority", "registrar"]) {
    const r = await runCli([...g, "--json", "keys", "new", name], { env });
    assert.equal(r.code, 0, describeRun(["keys", "new", name], r));
    made[name] = JSON.parse(r.stdout) as { address: string; publicKey: string };
  }
  const home = join(root, "node");
  const port = await freePort();
  const balances = Object.values(made).flatMap((k) => ["--balance", `${k.address}=1000000000`]);
  const init = await runCli(["init", "--home", home, "--chain-id", CHAIN, "--api-port", String(port), "--block-interval-ms", "50", "--authority", made.authority.address, ...balances], { env });
  assert.equal(init.code, 0, describeRun(["init"], init));
  const started = await startNode(home, env);
  node = started.proc;
  url = started.url;
  g.push("--url", url);
  joseKeys = await generateKeyPair("EdDSA", { extractable: true });
  const josePublic = await exportJWK(joseKeys.publicKey);
  // key-1: the registrar's account key (CLI issuing, revoking); key-2: a key only jose holds.
  const document = { keys: [made.registrar.publicKey, Buffer.from(josePublic.x as string, "base64url").toString("hex")] };
  await send("registrar", "createDid", { did: ISSUER, kind: "organisation", document: JSON.stringify(document) });
  await send("authority", "registerIssuer", { did: ISSUER, types: "ResidentCredential" });
  await send("registrar", "createStatusList", { issuer: ISSUER, listId: "main", size: 131072 });
});

let joseKeys: Awaited<ReturnType<typeof generateKeyPair>>;

after(async () => {
  await node?.kill();
  await killAll();
  if (root) await rm(root, { recursive: true, force: true });
});

test("a credential issued by Civitas verifies with jose and the DID document alone, and its revocation shows", async () => {
  const file = join(root, "bob.jwt");
  await cli(["credential", "issue", "--issuer", ISSUER, "--key", "registrar", "--type", "ResidentCredential", "--subject", SUBJECT, "--claims", '{"district":"harbour"}', "--valid-until", "2099-01-01T00:00:00Z", "--status-list", "main", "--status-index", "5", "-o", file], 0);
  const jwt = (await readFile(file, "utf8")).trim();
  const vc = await verifyWithJose(jwt);
  assert.deepEqual(vc.type, ["VerifiableCredential", "ResidentCredential"]);
  assert.deepEqual(vc.credentialSubject, { id: SUBJECT, district: "harbour" });
  assert.equal(decodeProtectedHeader(jwt).kid, `${ISSUER}#key-1`);

  // jose itself refuses a changed payload under the same signature.
  const [h, p, s] = jwt.split(".");
  const changed = JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as { credentialSubject: Record<string, string> };
  changed.credentialSubject.district = "castle";
  await assert.rejects(verifyWithJose(`${h}.${Buffer.from(JSON.stringify(changed)).toString("base64url")}.${s}`), errors.JWSSignatureVerificationFailed);
  // …and a verification time past validUntil.
  await assert.rejects(verifyWithJose(jwt, Date.parse("2099-01-01T00:00:00Z")), /expired/);

  await cli(["credential", "revoke", file, "--key", "registrar", "--reason", "test"], 0);
  await assert.rejects(verifyWithJose(jwt), /revoked \(bit 5\)/);
});

test("a credential made by jose alone verifies in Civitas, and Civitas revokes it", async () => {
  const josePublic = await exportJWK(joseKeys.publicKey);
  const { didDocument } = await fetchJson<{ didDocument: DidDocumentJson }>(`${url}/v1/identity/dids/${encodeURIComponent(ISSUER)}`);
  const kid = didDocument.verificationMethod.find((m) => m.publicKeyJwk?.x === josePublic.x)?.id;
  assert.equal(kid, `${ISSUER}#key-2`);
  const statusUrl = `${url}/v1/identity/status-lists/${ISSUER}/main`;
  const credential = {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    id: "urn:uuid:5b0e7cc4-3f1a-4d8e-9a55-0c6f1f6d2a10",
    type: ["VerifiableCredential", "ResidentCredential"],
    issuer: ISSUER,
    validFrom: new Date(Date.now() - 60_000).toISOString(),
    validUntil: "2099-06-30T00:00:00Z",
    credentialSubject: { id: SUBJECT, district: "old town", verifiedAddress: true },
    credentialStatus: { id: `${statusUrl}#6`, type: "BitstringStatusListEntry", statusPurpose: "revocation", statusListIndex: "6", statusListCredential: statusUrl },
  };
  const jwt = await new CompactSign(new TextEncoder().encode(JSON.stringify(credential))).setProtectedHeader({ alg: "EdDSA", typ: "vc+jwt", kid }).sign(joseKeys.privateKey);
  assert.ok(await verifyWithJose(jwt));
  const file = join(root, "jose-made.jwt");
  await writeFile(file, jwt + "\n");
  const ok = JSON.parse((await cli(["--json", "credential", "verify", file], 0)).stdout) as { valid: boolean; kid: string; credential: { credentialSubject: Record<string, unknown> } };
  assert.equal(ok.valid, true);
  assert.equal(ok.kid, kid);
  assert.deepEqual(ok.credential.credentialSubject, credential.credentialSubject);

  // The DID's controller (key-1's account) revokes what key-2 signed.
  await cli(["credential", "revoke", file, "--key", "registrar"], 0);
  const revoked = await cli(["credential", "verify", file], 4);
  assert.match(revoked.stderr, /invalid CREDENTIAL_REVOKED/);
  await assert.rejects(verifyWithJose(jwt), /revoked \(bit 6\)/);
});
