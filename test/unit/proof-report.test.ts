/**
 * The forensic report of a bundle built from a real BFT chain: it states the right facts
 * (fingerprint, block and its time, owner DID and key, validators who signed, the set change),
 * tells how to repeat the check, loads nothing from outside, escapes what it embeds, and the
 * bundle embedded in it checks offline with the document.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { ProofBundle } from "../../src/proof/bundle/index.js";
import { bundleText, checkBundle, checkBundleText } from "../../src/proof/bundle/index.js";
import { embeddedBundle, escapeHtml, renderReport, scriptJson } from "../../src/proof/report/index.js";
import { buildProofBundle } from "../../src/sdk/bundle.js";
import { toHex } from "../../src/util/bytes.js";
import type { BundleChain } from "./proof-bundle-helpers.js";
import { OWNER, openBundleChain } from "./proof-bundle-helpers.js";

const T = { timeout: 120_000 };
let c: BundleChain;
let bundle: ProofBundle;

before(async () => {
  c = await openBundleChain();
  bundle = await buildProofBundle(c.served.url, { fingerprint: c.receipts[3].fingerprint, receipt: c.receipts[3] });
});

after(async () => {
  await c?.close();
});

test("the report states the facts of the verified bundle and how to repeat the check", T, () => {
  const check = checkBundle(JSON.parse(bundleText(bundle)), { document: c.docs[3] });
  assert.equal(check.valid, true, check.failed?.reason);
  const f = check.facts;
  assert.ok(f);
  const html = renderReport({ bundle, check, documentName: "dave.pdf", generatedAt: Date.UTC(2030, 0, 2) });
  assert.match(html, /^<!DOCTYPE html>/);
  assert.ok(html.includes(c.receipts[3].fingerprint), "fingerprint");
  assert.ok(html.includes(c.receipts[3].root), "batch root");
  assert.ok(html.includes("leaf 3 of 5"));
  assert.ok(html.includes(OWNER), "owner DID");
  assert.ok(html.includes(`${OWNER}#key-1`), "verification method");
  assert.ok(html.includes(toHex(c.ownerKey.publicKey)), "owner key");
  const block = c.d.chain.getBlock(c.batchHeight);
  assert.ok(block);
  assert.ok(html.includes(toHex(block.commit.blockHash)), "block hash");
  assert.ok(html.includes(new Date(block.header.time).toISOString()), "block time");
  for (const v of c.d.chain.validatorsAt(c.batchHeight)) assert.ok(html.includes("0x" + toHex(v.address)), "every validator of the block is listed");
  assert.equal((html.match(/signed \(vote time/g) ?? []).length, block.commit.signatures.length, "one 'signed' line per signature of the certificate");
  assert.ok(html.includes(`<td>${c.changeHeight}</td>`), "the validator-set change is listed");
  assert.ok(html.includes(f.tx.hash), "transaction");
  assert.ok(html.includes("2030-01-02T00:00:00.000Z"), "generation time");
  assert.ok(html.includes(`civitas proof check &#39;dave.pdf.bundle.json&#39; &#39;dave.pdf&#39; --trusted-hash ${f.trust.headerHash}`), "the offline check command line");
  assert.ok(html.includes("sha256sum &#39;dave.pdf&#39;"), "how to recompute the fingerprint");
  assert.ok(!html.includes("openssl ts -verify"), "no token, no openssl step");
  // Self-contained: nothing is fetched from elsewhere.
  assert.doesNotMatch(html, /\b(?:src|href)\s*=\s*"(?!data:)/i);
  assert.doesNotMatch(html, /<link|<img|<iframe|@import|url\(/i);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  // The download link carries the exact bundle text.
  const link = /download="dave\.pdf\.bundle\.json" href="data:application\/json;base64,([A-Za-z0-9+/=]+)"/.exec(html);
  assert.ok(link);
  assert.equal(Buffer.from(link[1], "base64").toString("utf8"), bundleText(bundle));
});

test("the bundle embedded in the report checks offline with the document, and fails for a tampered one", T, () => {
  const check = checkBundle(JSON.parse(bundleText(bundle)), { document: c.docs[3] });
  const html = renderReport({ bundle, check, documentName: "dave.pdf", generatedAt: 0 });
  const text = embeddedBundle(html);
  assert.ok(text);
  assert.equal(text, bundleText(bundle));
  assert.equal(checkBundleText(text, { document: c.docs[3] }).valid, true);
  const tampered = new Uint8Array(c.docs[3]);
  tampered[10] ^= 1;
  assert.equal(checkBundleText(text, { document: tampered }).failed?.part, "document");
});

test("everything embedded is escaped: a hostile document name cannot open a tag, and script JSON cannot close its block", T, () => {
  const check = checkBundle(JSON.parse(bundleText(bundle)), { document: c.docs[3] });
  const name = `"><script>alert(1)</script><img src=x onerror=alert(2)>'.pdf`;
  const html = renderReport({ bundle, check, documentName: name, generatedAt: 0 });
  assert.ok(!html.includes("<script>alert"), "no live script from the name");
  assert.ok(!html.includes("<img"), "no element from the name");
  assert.ok(html.includes(escapeHtml(name)));
  assert.equal((html.match(/<script/g) ?? []).length, 1, "the one JSON block is the only script element");
  assert.equal(scriptJson('{"a":"</script><!--"}'), '{"a":"\\u003c/script\\u003e\\u003c!--"}');
  assert.deepEqual(JSON.parse(scriptJson('{"a":"</script>\u2028&"}')), { a: "</script>\u2028&" });
  // A report is never made from a failed check.
  const bad = checkBundle({ ...JSON.parse(bundleText(bundle)), version: 2 });
  assert.throws(() => renderReport({ bundle, check: bad, generatedAt: 0 }), /needs a valid bundle check/);
});
