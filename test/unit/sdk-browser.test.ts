/**
 * The SDK must work in browsers: bundle it for the browser platform (no Node polyfills) and run
 * the bundle in a bare V8 context that has only what a browser page has (no process, Buffer,
 * require). What it signs there must verify on the node side.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createContext, runInContext } from "node:vm";
import { createHash, webcrypto } from "node:crypto";
import { build } from "esbuild";
import { getNodeSuite } from "../../src/crypto/node-suites.js";
import { decodeSignedTx, txSigningMessage } from "../../src/ledger/tx.js";
import { merkleRootHex } from "../../src/ledger/merkle.js";
import { fromHex } from "../../src/util/bytes.js";

const entry = new URL("../../src/sdk/index.js", import.meta.url).pathname;

async function bundle(): Promise<string> {
  const r = await build({ entryPoints: [entry], bundle: true, platform: "browser", format: "iife", globalName: "CivitasSDK", write: false, logLevel: "silent" });
  return r.outputFiles[0].text;
}

test("the SDK bundles for the browser platform without Node built-ins", async () => {
  const code = await bundle();
  assert.ok(code.length > 10_000);
  assert.doesNotMatch(code, /require\(["']node:/);
});

test("the browser bundle signs transactions that the node verifies, for both suites", async () => {
  const code = await bundle();
  const ctx = createContext({ TextEncoder, TextDecoder, crypto: webcrypto, console, Uint8Array, DataView, ArrayBuffer, BigInt });
  runInContext(code, ctx);
  for (const suiteId of ["ed25519-sha256", "sm2-sm3"] as const) {
    const out = runInContext(
      `(() => {
        const w = CivitasSDK.Wallet.generate(${JSON.stringify(suiteId)});
        const tx = w.buildTx({ chain: "browser-test", nonce: 3, expires: 2000000000000, calls: [{ module: "token", method: "transfer", args: { to: "0x" + "11".repeat(20), amount: "5n" } }] });
        return { hex: CivitasSDK.toHex(tx.bytes), address: w.address, hasProcess: typeof process !== "undefined", hasBuffer: typeof Buffer !== "undefined" };
      })()`,
      ctx,
    ) as { hex: string; address: string; hasProcess: boolean; hasBuffer: boolean };
    assert.equal(out.hasProcess, false);
    assert.equal(out.hasBuffer, false);
    const tx = decodeSignedTx(fromHex(out.hex));
    const suite = getNodeSuite(suiteId);
    assert.equal(suite.address(tx.publicKey), out.address);
    assert.ok(suite.verify(txSigningMessage(tx.bodyBytes), tx.signature, tx.publicKey), `${suiteId} signature from the browser bundle verifies`);
    assert.equal(tx.body.nonce, 3);
    assert.equal(tx.body.calls[0].args.amount, 5);
  }
});

test("RFC 9162 helpers give the same answers in the browser bundle as in Node", async () => {
  const code = await bundle();
  const ctx = createContext({ TextEncoder, TextDecoder, crypto: webcrypto, Uint8Array, DataView, ArrayBuffer, BigInt });
  runInContext(code, ctx);
  const leaves = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657"];
  const r = runInContext(
    `(() => { const l = ${JSON.stringify(leaves)}; const p = CivitasSDK.inclusionProof(l, 5); return { root: CivitasSDK.merkleRoot(l), ok: CivitasSDK.verifyInclusion(p), bad: CivitasSDK.verifyInclusion({ ...p, index: 4 }) }; })()`,
    ctx,
  ) as { root: string; ok: boolean; bad: boolean };
  const sha256 = (d: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(d).digest());
  assert.equal(r.root, merkleRootHex(sha256, leaves));
  assert.equal(r.ok, true);
  assert.equal(r.bad, false);
});


test("the SDK is importable by package name as civitas/sdk (package.json exports)", async () => {
  // A variable specifier keeps TypeScript from resolving it at build time, before dist/ exists.
  const specifier = "civitas/sdk";
  const sdk = (await import(specifier)) as Record<string, unknown>;
  for (const name of ["CivitasClient", "Wallet", "merkleRoot", "inclusionProof", "verifyInclusion", "verifyConsistency", "verifyTxInclusion", "verifyStateProof"]) {
    assert.equal(typeof sdk[name], "function", `civitas/sdk exports ${name}`);
  }
  const merkleRoot = sdk.merkleRoot as (leaves: string[]) => string;
  assert.equal(merkleRoot([]), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "empty tree root is SHA-256 of the empty string");
});
