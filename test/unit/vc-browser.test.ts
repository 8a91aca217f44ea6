/**
 * The SDK's credential helpers run in a browser: bundled for the browser platform (no Node
 * built-ins) and run in a bare V8 context with only web APIs (Web Crypto, Compression Streams,
 * TextEncoder, btoa/atob, URL), they issue a VC-JWT that Node-side verification accepts, and encode a
 * status list Node's zlib reads.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { webcrypto } from "node:crypto";
import { createContext, runInContext } from "node:vm";
import { gunzipSync } from "node:zlib";
import { build } from "esbuild";
import { getPortableSuite } from "../../src/crypto/portable-suites.js";
import type { DidResolution, IdentityResolver, IssuerRecord, StatusListRecord } from "../../src/identity/index.js";
import { ed25519PublicJwk, encodeStatusList, createBitstring, verifyCredential } from "../../src/identity/index.js";

const entry = new URL("../../src/sdk/credentials.js", import.meta.url).pathname;
const ISSUER = "did:civitas:browser-test:issuer";

test("credential helpers bundle for the browser and issue credentials Node verifies", async () => {
  const r = await build({ entryPoints: [entry], bundle: true, platform: "browser", format: "iife", globalName: "Creds", write: false, logLevel: "silent" });
  const code = r.outputFiles[0].text;
  assert.doesNotMatch(code, /require\(["']node:/);
  const ctx = createContext({ TextEncoder, TextDecoder, btoa, atob, crypto: webcrypto, CompressionStream, DecompressionStream, URL, Uint8Array, DataView, ArrayBuffer, BigInt, console });
  runInContext(code, ctx);
  const seed = getPortableSuite("ed25519-sha256").generateKeyPair().secretKey;
  const out = (await runInContext(
    `(async () => {
      const secretKey = new Uint8Array(${JSON.stringify([...seed])});
      const { jwt } = await Creds.issueCredential({ issuer: ${JSON.stringify(ISSUER)}, kid: "#key-1", secretKey, type: "DeviceCredential", subject: "did:civitas:browser-test:sensor-7", claims: { model: "T1" }, validFrom: 0, status: { nodeUrl: "https://node.example", listId: "main", index: 3 } });
      const bits = Creds.createBitstring(16);
      Creds.setStatusBit(bits, 3, true);
      return { jwt, list: await Creds.encodeStatusList(bits), hasProcess: typeof process !== "undefined", hasBuffer: typeof Buffer !== "undefined" };
    })()`,
    ctx,
  )) as { jwt: string; list: string; hasProcess: boolean; hasBuffer: boolean };
  assert.equal(out.hasProcess, false);
  assert.equal(out.hasBuffer, false);
  assert.deepEqual([...gunzipSync(Buffer.from(out.list.slice(1), "base64url"))], [0x10, 0x00]);

  const publicKey = getPortableSuite("ed25519-sha256").publicKeyFromSecret(seed);
  const resolver: IdentityResolver = {
    async resolveDid(did: string): Promise<DidResolution> {
      return { didDocument: { id: did, verificationMethod: [{ id: `${did}#key-1`, type: "JsonWebKey2020", controller: did, publicKeyJwk: { ...ed25519PublicJwk(publicKey) } }] }, didDocumentMetadata: {} };
    },
    async getIssuer(did: string): Promise<IssuerRecord> {
      return { did, types: ["DeviceCredential"], status: "active" };
    },
    async getStatusList(issuer: string, listId: string): Promise<StatusListRecord> {
      return { issuer, listId, statusPurpose: "revocation", size: 131072, encodedList: await encodeStatusList(createBitstring(131072)) };
    },
  };
  const v = await verifyCredential(out.jwt, { resolver });
  assert.equal(v.subject, "did:civitas:browser-test:sensor-7");
  assert.equal(v.credential.credentialSubject.model, "T1");
  assert.deepEqual(v.status, { issuer: ISSUER, listId: "main", index: 3, revoked: false });
});
