/**
 * The bundle verifier runs in a browser: bundle src/proof/bundle for the browser platform (no
 * Node polyfills) and run it in a bare V8 context with only what a page has (no process,
 * Buffer, require). A bundle built from a real chain checks there with its document, and a
 * tampered document or bundle fails there with the same part named as in Node.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createContext, runInContext } from "node:vm";
import { webcrypto } from "node:crypto";
import { build } from "esbuild";
import type { ProofBundle } from "../../src/proof/bundle/index.js";
import { bundleText } from "../../src/proof/bundle/index.js";
import { buildProofBundle } from "../../src/sdk/bundle.js";
import { toHex } from "../../src/util/bytes.js";
import type { BundleChain } from "./proof-bundle-helpers.js";
import { openBundleChain } from "./proof-bundle-helpers.js";

const entry = new URL("../../src/proof/bundle/index.js", import.meta.url).pathname;
let c: BundleChain;
let bundle: ProofBundle;

before(async () => {
  c = await openBundleChain();
  bundle = await buildProofBundle(c.served.url, { fingerprint: c.receipts[4].fingerprint, receipt: c.receipts[4] });
});

after(async () => {
  await c?.close();
});

test("the offline verifier bundles for browsers and checks a bundle in a bare V8 context", { timeout: 120_000 }, async () => {
  const r = await build({ entryPoints: [entry], bundle: true, platform: "browser", format: "iife", globalName: "CivitasBundle", write: false, logLevel: "silent" });
  const code = r.outputFiles[0].text;
  assert.doesNotMatch(code, /require\(["']node:/);
  const ctx = createContext({ TextEncoder, TextDecoder, crypto: webcrypto, Uint8Array, DataView, ArrayBuffer, BigInt, atob, btoa });
  runInContext(code, ctx);
  const run = (doc: Uint8Array, text: string): { valid: boolean; part?: string; steps: string[]; hasBuffer: boolean; hasProcess: boolean } =>
    runInContext(
      `(() => {
        const hex = ${JSON.stringify(toHex(doc))};
        const doc = new Uint8Array(hex.length / 2).map((_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
        const r = CivitasBundle.checkBundleText(${JSON.stringify(text)}, { document: doc });
        return { valid: r.valid, part: r.failed && r.failed.part, steps: r.steps.map((s) => s.part), hasBuffer: typeof Buffer !== "undefined", hasProcess: typeof process !== "undefined" };
      })()`,
      ctx,
    ) as { valid: boolean; part?: string; steps: string[]; hasBuffer: boolean; hasProcess: boolean };

  const text = bundleText(bundle);
  const ok = run(c.docs[4], text);
  assert.equal(ok.hasBuffer, false);
  assert.equal(ok.hasProcess, false);
  assert.equal(ok.valid, true, JSON.stringify(ok));
  // An array from the other realm: compared as text.
  assert.equal(ok.steps.join(","), "format,trust,validator-set,header,commit,document,aggregation,record,owner-signature,transaction,receipt,tsa,status");
  const tampered = new Uint8Array(c.docs[4]);
  tampered[0] ^= 1;
  assert.equal(run(tampered, text).part, "document");
  const b = JSON.parse(text) as ProofBundle;
  b.registration.commit.signatures[1].time += 1;
  assert.equal(run(c.docs[4], bundleText(b)).part, "commit");
});
