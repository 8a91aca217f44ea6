/**
 * Offline proof bundles built over HTTP from a real BFT chain whose validator set changes
 * (test/unit/proof-bundle-helpers.ts) and checked with no network: a certificate of an
 * aggregated batch and a salted transcript check with their documents; flipping every field of
 * the bundle (and a sample of characters of every hex field), any byte of the document, or the
 * file's text form fails, naming the part that failed; a dropped set change, a wrong pin and
 * malformed input fail the same way.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { genesisHashHex } from "../../src/ledger/genesis.js";
import type { BundlePart, ProofBundle } from "../../src/proof/bundle/index.js";
import { bundleText, checkBundle, checkBundleText } from "../../src/proof/bundle/index.js";
import { buildProofBundle } from "../../src/sdk/bundle.js";
import { toHex } from "../../src/util/bytes.js";
import type { BundleChain } from "./proof-bundle-helpers.js";
import { OWNER, openBundleChain } from "./proof-bundle-helpers.js";

const T = { timeout: 300_000 };
let c: BundleChain;
let cert: ProofBundle;
let transcript: ProofBundle;

before(async () => {
  c = await openBundleChain();
  cert = await buildProofBundle(c.served.url, { fingerprint: c.receipts[1].fingerprint, receipt: c.receipts[1] });
  transcript = await buildProofBundle(c.served.url, { fingerprint: c.transcript.fingerprint, salt: c.transcript.salt });
});

after(async () => {
  await c?.close();
});

const clone = <X>(x: X): X => JSON.parse(JSON.stringify(x)) as X;

test("a certificate of an aggregated batch checks offline with its document: facts, steps, and the set change followed", T, () => {
  const r = checkBundle(clone(cert), { document: c.docs[1] });
  assert.equal(r.valid, true, r.failed?.reason);
  const f = r.facts;
  assert.ok(f);
  assert.equal(f.chainId, "bundle-test");
  assert.equal(f.fingerprint, c.receipts[1].fingerprint);
  assert.equal(f.record.kind, "batch");
  assert.equal(f.record.count, 5);
  assert.equal(f.record.owner, OWNER);
  assert.equal(f.record.docType, "academic-certificate");
  assert.equal(f.record.verificationMethod, `${OWNER}#key-1`);
  assert.equal(f.record.publicKey, toHex(c.ownerKey.publicKey));
  assert.deepEqual(f.aggregation, { leafIndex: 1, treeSize: 5, root: c.receipts[1].root });
  assert.equal(f.block.height, c.batchHeight);
  assert.equal(f.block.hash, toHex(c.d.chain.getBlock(c.batchHeight)?.commit.blockHash ?? new Uint8Array()));
  assert.equal(f.block.signers.length, 4, "all four genesis validators signed the registration block");
  assert.equal(f.block.signedPower, 40);
  assert.equal(f.tx.hash, c.receipts[1].txHash);
  assert.equal(f.tsa, null);
  assert.equal(f.documentChecked, true);
  assert.equal(f.status?.status, "active");
  assert.ok((f.status?.height ?? 0) > c.changeHeight, "the status block lies after the set change");
  assert.deepEqual(f.validatorChanges.map((x) => x.height), [c.changeHeight]);
  assert.equal(f.trust.height, 0);
  assert.equal(f.trust.genesisDocumentHash, genesisHashHex(c.f.suite, c.f.genesis));
  assert.equal(f.trust.pinned, null);
  assert.deepEqual(r.steps.map((s) => s.part), ["format", "trust", "validator-set", "header", "commit", "document", "aggregation", "record", "owner-signature", "transaction", "receipt", "tsa", "status"]);
  assert.ok(r.steps.every((s) => s.ok));
  // The same bundle as its file text, and without the document (the fingerprint is then taken as given).
  assert.equal(checkBundleText(bundleText(cert), { document: c.docs[1] }).valid, true);
  const noDoc = checkBundle(clone(cert));
  assert.equal(noDoc.valid, true);
  assert.equal(noDoc.facts?.documentChecked, false);
});

test("a salted transcript registered after the set change: the registration block is certified by the new five-validator set", T, () => {
  const r = checkBundle(clone(transcript), { document: c.transcript.doc });
  assert.equal(r.valid, true, r.failed?.reason);
  assert.equal(r.facts?.record.kind, "document");
  assert.equal(r.facts?.salted, true);
  assert.equal(r.facts?.block.signers.length, 5);
  assert.equal(r.facts?.block.totalPower, 47);
  assert.equal(r.facts?.aggregation, null);
  // Without its salt the document does not hash to the fingerprint.
  const unsalted = clone(transcript);
  unsalted.document.salt = null;
  const u = checkBundle(unsalted, { document: c.transcript.doc });
  assert.equal(u.valid, false);
  assert.equal(u.failed?.part, "document");
});

/** Every leaf of a JSON value with its path. */
function leaves(v: unknown, path: Array<string | number> = []): Array<{ path: Array<string | number>; value: unknown }> {
  if (Array.isArray(v)) return v.flatMap((x, i) => leaves(x, [...path, i]));
  if (v !== null && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => leaves(x, [...path, k]));
  return [{ path, value: v }];
}

function setAt(o: unknown, path: Array<string | number>, value: unknown): void {
  let cur = o as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
  cur[path[path.length - 1]] = value;
}

const HEXISH = /^(0x)?[0-9a-f]+$/;

/** The changed values to try for a leaf: numbers ±1, a few characters of hex flipped, other strings altered, null made a value. */
function mutations(value: unknown): unknown[] {
  if (typeof value === "number") return [value + 1];
  if (value === null) return ["00"];
  if (typeof value === "string") {
    if (HEXISH.test(value) && value.length >= 2) {
      const start = value.startsWith("0x") ? 2 : 0;
      const n = value.length - start;
      const positions = [...new Set([start, start + Math.floor(n / 2), start + Math.floor((n * 5) / 7), value.length - 1])];
      return positions.map((p) => value.slice(0, p) + (value[p] === "0" ? "1" : "0") + value.slice(p + 1));
    }
    return [value + "x"];
  }
  if (typeof value === "boolean") return [!value];
  return [];
}

/** The part a change under this path must be reported as. */
function expectedPart(path: Array<string | number>): BundlePart | undefined {
  const p = path.join(".");
  const prefixes: Array<[string, BundlePart]> = [
    ["type", "format"],
    ["version", "format"],
    ["trust.", "trust"],
    ["validatorChanges.", "validator-set"],
    ["registration.header.", "header"],
    ["registration.commit.", "commit"],
    ["document.", "document"],
    ["aggregation.", "aggregation"],
    ["registration.record.", "record"],
    ["registration.tx.", "transaction"],
    ["registration.receipt.", "receipt"],
    ["registration.tsaRoots", "tsa"],
    ["status.", "status"],
  ];
  return prefixes.find(([x]) => p === x || p.startsWith(x))?.[1];
}

function flipAll(b: ProofBundle, document: Uint8Array): number {
  let tried = 0;
  for (const { path, value } of leaves(b)) {
    for (const m of mutations(value)) {
      const x = clone(b);
      setAt(x, path, m);
      const r = checkBundle(x, { document });
      tried++;
      assert.equal(r.valid, false, `changing ${path.join(".")} from ${JSON.stringify(value)} to ${JSON.stringify(m)} must fail the check`);
      const want = expectedPart(path);
      // A name that is no longer one of its allowed values (terminal.kind "leafx"), or null made a string, is a format failure.
      const allowed = value === null || (typeof value === "string" && !HEXISH.test(value)) ? [want, "format"] : [want];
      if (want) assert.ok(allowed.includes(r.failed?.part), `changing ${path.join(".")} is reported as ${r.failed?.part}, expected ${want}: ${r.failed?.reason}`);
      assert.match(r.failed?.reason ?? "", new RegExp(`${r.failed?.part} check failed`));
    }
  }
  return tried;
}

test("changing any field of the certificate's bundle (and a sample of characters of every hex field) fails, naming the part", T, () => {
  const tried = flipAll(cert, c.docs[1]);
  assert.ok(tried > 300, `tried ${tried} changes`);
});

test("changing any field of the transcript's bundle fails, naming the part", T, () => {
  assert.ok(flipAll(transcript, c.transcript.doc) > 300);
});

test("any changed byte of the document fails the document check; so does another document of the same batch", T, () => {
  const doc = c.docs[1];
  for (let i = 0; i < doc.length; i++) {
    const d = new Uint8Array(doc);
    d[i] ^= 0x01;
    const r = checkBundle(clone(cert), { document: d });
    assert.equal(r.valid, false);
    assert.equal(r.failed?.part, "document");
  }
  const other = checkBundle(clone(cert), { document: c.docs[2] });
  assert.equal(other.failed?.part, "document");
  assert.equal(checkBundle(clone(cert), { document: new Uint8Array([...doc, 0x0a]) }).failed?.part, "document", "an appended byte");
});

test("dropped, added or removed fields, a dropped set change, re-formatted text and wrong pins all fail with the part named", T, () => {
  // Every field is required, and no field may be added.
  for (const { path } of leaves(cert)) {
    if (typeof path[path.length - 1] === "number") continue;
    const x = clone(cert);
    let cur = x as unknown as Record<string, unknown>;
    for (const k of path.slice(0, -1)) cur = cur[k as string] as Record<string, unknown>;
    delete cur[path[path.length - 1] as string];
    assert.equal(checkBundle(x).failed?.part, "format", `dropping ${path.join(".")}`);
  }
  assert.equal(checkBundle({ ...clone(cert), note: "hi" }).failed?.part, "format");
  assert.equal(checkBundle(null).failed?.part, "format");
  assert.equal(checkBundle([]).failed?.part, "format");
  // The header where the set changes is what ties the new set to the chain.
  const noChange = clone(cert);
  noChange.validatorChanges = [];
  const nc = checkBundle(noChange);
  assert.equal(nc.failed?.part, "validator-set");
  assert.match(nc.failed?.reason ?? "", /set change is missing/);
  // A dropped transaction proof element or sibling.
  const shortPath = clone(cert);
  shortPath.aggregation?.path.pop();
  assert.equal(checkBundle(shortPath).failed?.part, "aggregation");
  const sib = clone(cert);
  sib.registration.record.siblings.pop();
  assert.equal(checkBundle(sib).failed?.part, "record");
  // Text form: any other formatting of the same JSON is a change.
  const text = bundleText(cert);
  for (const edited of [text.replace("\n", "\r\n"), text.trimEnd(), text + "\n", JSON.stringify(cert), text.replace('"version": 1', '"version": 1.0')]) {
    const r = checkBundleText(edited);
    assert.equal(r.valid, false);
    assert.equal(r.failed?.part, "format");
  }
  assert.equal(checkBundleText(text.slice(0, -20)).failed?.part, "format", "a truncated file");
  // Pins: the anchor's hash, or the genesis document.
  assert.equal(checkBundle(clone(cert), { trustedHash: cert.trust.header.hash }).facts?.trust.pinned, "trusted-hash");
  assert.equal(checkBundle(clone(cert), { trustedHash: "ab".repeat(32) }).failed?.part, "trust");
  assert.equal(checkBundle(clone(cert), { genesis: JSON.parse(JSON.stringify(c.f.genesis)) }).facts?.trust.pinned, "genesis");
  const otherGenesis = { ...JSON.parse(JSON.stringify(c.f.genesis)), genesisTime: c.f.genesis.genesisTime + 1 };
  const og = checkBundle(clone(cert), { genesis: otherGenesis });
  assert.equal(og.failed?.part, "trust");
  assert.match(og.failed?.reason ?? "", /does not link to this genesis document/);
});

test("building refuses what it cannot prove: an unregistered fingerprint, a receipt for another document", T, async () => {
  await assert.rejects(buildProofBundle(c.served.url, { fingerprint: "ab".repeat(32) }), /not registered/);
  await assert.rejects(buildProofBundle(c.served.url, { fingerprint: c.receipts[0].fingerprint, receipt: c.receipts[1] }), /receipt is for fingerprint/);
  // A document of a batch needs its receipt (the path): without it the node says it is not registered.
  await assert.rejects(buildProofBundle(c.served.url, { fingerprint: c.receipts[0].fingerprint }), /not registered/);
});
