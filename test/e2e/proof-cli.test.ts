/**
 * `civitas proof` as a user runs it, against a real node process: a university DID registers a
 * folder of certificates in one transaction (one receipt per file), a student's file verifies
 * with its receipt, a tampered copy fails with a non-zero exit, a salted single registration
 * verifies only with its salt, the node's upload route agrees, and provenance is refused
 * without a signed, authorised request.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Proc } from "./helpers/proc-node.js";
import { describeRun, freePort, killAll, runCli, startNode } from "./helpers/proc-node.js";
import type { RunResult } from "./helpers/proc-node.js";
import { createHash } from "node:crypto";
import { checkConsistency, openCheckpoint } from "../../src/proof/checkpoint/checkpoint.js";
import { parseVerifierKey } from "../../src/proof/checkpoint/note.js";

const sha256Fn = (b: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(b).digest());

const PASS = "proof-cli-passphrase";
const env = { CIVITAS_PASSPHRASE: PASS };
let root: string;
let node: Proc | undefined;
let url: string;
let g: string[];

async function cli(args: string[], expect: number): Promise<RunResult> {
  const r = await runCli(args, { env, timeoutMs: 60_000 });
  assert.equal(r.code, expect, describeRun(args, r));
  return r;
}

const json = <T = Record<string, unknown>>(r: RunResult): T => JSON.parse(r.stdout) as T;
let uniAddress = "";

before(async () => {
  root = await mkdtemp(join(tmpdir(), "civitas-proof-cli-"));
  const keysDir = join(root, "keys");
  const uni = json<{ address: string; publicKey: string }>(await cli(["--keys-dir", keysDir, "--json", "keys", "new", "university"], 0));
  uniAddress = uni.address;
  const home = join(root, "node");
  const port = await freePort();
  await cli(["init", "--home", home, "--chain-id", "proof-cli", "--api-port", String(port), "--block-interval-ms", "50", "--balance", `${uni.address}=1000`], 0);
  const started = await startNode(home, env);
  node = started.proc;
  url = started.url;
  g = ["--keys-dir", keysDir, "--url", url];
  const doc = JSON.stringify({ keys: [uni.publicKey] });
  const r = json<{ receipt: { status: string; message: string } }>(await cli([...g, "--json", "tx", "send", "--key", "university", "--module", "identity", "--method", "createDid", "--args", JSON.stringify({ did: "did:civitas:proof-cli:university", kind: "organisation", document: doc })], 0));
  assert.equal(r.receipt.status, "ok", r.receipt.message);
});

after(async () => {
  await node?.kill();
  await killAll();
  if (root) await rm(root, { recursive: true, force: true });
});

test("register a folder in one transaction, verify a file with its receipt, a tampered file fails", { timeout: 120_000 }, async () => {
  const dir = join(root, "diplomas");
  await mkdir(join(dir, "2024"), { recursive: true });
  const names = ["alice.txt", "bob.txt", "carol.txt", "2024/dave.txt", "2024/erin.txt"];
  for (const n of names) await writeFile(join(dir, n), `Diploma of ${n}: Master of Science, with honours\n`);
  const reg = json<{ kind: string; count: number; root: string; txHash: string; receipts: string[] }>(
    await cli([...g, "--json", "proof", "register", dir, "--key", "university", "--owner", "did:civitas:proof-cli:university", "--type", "academic-certificate", "--metadata", '{"faculty":"science"}', "--tsa"], 0),
  );
  assert.equal(reg.kind, "batch");
  assert.equal(reg.count, 5);
  assert.equal(reg.receipts.length, 5);
  assert.ok((await readdir(join(dir, "2024"))).includes("dave.txt.proof.json"), "a receipt next to each file");
  const receipt = JSON.parse(await readFile(join(dir, "bob.txt.proof.json"), "utf8")) as Record<string, unknown>;
  assert.equal(receipt.root, reg.root);
  assert.equal(receipt.txHash, reg.txHash);
  assert.equal(receipt.kind, "batch-leaf");
  assert.equal(receipt.treeSize, 5);

  const ok = json<{ registered: boolean; match: string; owner: string; status: string; registeredAt: { txHash: string; time: number }; aggregation: { valid: boolean }; final: boolean; tsaTime?: number | null }>(await cli([...g, "--json", "proof", "verify", join(dir, "bob.txt")], 0));
  assert.equal(ok.registered, true);
  // --tsa: the node's TSA stamped the root and the chain verified the token against genesis tsaRoots.
  assert.equal(typeof ok.tsaTime, "number");
  assert.ok(Math.abs((ok.tsaTime as number) - ok.registeredAt.time) < 60_000, "TSA time close to block time");
  assert.equal(ok.match, "batch-leaf");
  assert.equal(ok.owner, "did:civitas:proof-cli:university");
  assert.equal(ok.status, "active");
  assert.equal(ok.registeredAt.txHash, reg.txHash);
  assert.equal(ok.aggregation.valid, true);
  assert.equal(ok.final, true);
  const human = await cli([...g, "proof", "verify", join(dir, "2024/erin.txt")], 0);
  assert.match(human.stdout, /REGISTERED: .*erin\.txt/);
  assert.match(human.stdout, /leaf \d of 5, root [0-9a-f]{64} \(path verified\)/);

  // Tampering with the document: the receipt check fails, exit 4.
  await writeFile(join(dir, "bob.txt"), "Diploma of bob.txt: Master of Science, with highest honours\n");
  const bad = await cli([...g, "proof", "verify", join(dir, "bob.txt")], 4);
  assert.match(bad.stdout, /NOT REGISTERED/);
  assert.match(bad.stdout, /receipt check failed \(fingerprint\)/);
  // Tampering with the receipt's path instead: the path check fails, exit 4.
  const forged = { ...receipt, path: (receipt.path as string[]).map((p, i) => (i === 0 ? (p[0] === "0" ? "1" : "0") + p.slice(1) : p)) };
  await writeFile(join(root, "forged.json"), JSON.stringify(forged));
  const alice = await cli([...g, "proof", "verify", join(dir, "alice.txt"), "--receipt", join(root, "forged.json")], 4);
  assert.match(alice.stdout, /receipt check failed/);
  // An explicit --receipt works like the one found next to the file.
  await cli([...g, "proof", "verify", join(dir, "carol.txt"), "--receipt", join(dir, "carol.txt.proof.json")], 0);
});

test("a salted single document: verifies with its receipt's salt, not from the document alone; the upload route agrees", { timeout: 120_000 }, async () => {
  const file = join(root, "transcript.txt");
  await writeFile(file, "Transcript: grade A\n");
  const out = join(root, "receipts");
  const reg = json<{ kind: string; root: string }>(await cli([...g, "--json", "proof", "register", file, "--key", "university", "--owner", "did:civitas:proof-cli:university", "--type", "transcript", "--salted", "--out-dir", out], 0));
  assert.equal(reg.kind, "document");
  const receiptFile = join(out, "transcript.txt.proof.json");
  const receipt = JSON.parse(await readFile(receiptFile, "utf8")) as { salt: string; fingerprint: string };
  assert.match(receipt.salt, /^[0-9a-f]{64}$/);
  assert.equal(receipt.fingerprint, reg.root);
  const v = json<{ registered: boolean; match: string; record: { salted: boolean } }>(await cli([...g, "--json", "proof", "verify", file, "--receipt", receiptFile], 0));
  assert.equal(v.registered, true);
  assert.equal(v.match, "document");
  assert.equal(v.record.salted, true);
  // Without the salt the document's plain hash is unknown: a guess confirms nothing.
  await cli([...g, "proof", "verify", file], 4);

  // The node hashes an upload itself (with ?salt=), and answers 400 with a typed code for a malformed hash.
  const body = await readFile(file);
  const up = (await (await fetch(`${url}/v1/proofs/verify?salt=${receipt.salt}`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body })).json()) as { registered: boolean; fingerprint: string; stateProof: { key: string } };
  assert.equal(up.registered, true);
  assert.equal(up.fingerprint, receipt.fingerprint);
  assert.equal(up.stateProof.key, `proof/rec/${receipt.fingerprint}`);
  const plain = (await (await fetch(`${url}/v1/proofs/verify`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body })).json()) as { registered: boolean };
  assert.equal(plain.registered, false);
  const malformed = await fetch(`${url}/v1/proofs/verify`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ fingerprint: "XYZ" }) });
  assert.equal(malformed.status, 400);
  assert.equal(((await malformed.json()) as { code: string }).code, "PROOF_INVALID");

  // Provenance needs a signed request that the policies allow: anonymous → 401, unknown record → 404.
  const hist = await cli([...g, "proof", "history", receipt.fingerprint], 1);
  assert.match(hist.stderr, /AUTH_REQUIRED/);
  const signed = await cli([...g, "proof", "history", receipt.fingerprint, "--key", "university"], 1);
  assert.match(signed.stderr, /ACCESS_DENIED/);
  // Once the university's account is bound to its DID, the baseline provenance policy lets the
  // owner read its own records' history (from the next block on).
  const bind = json<{ receipt: { status: string; message: string } }>(
    await cli([...g, "--json", "tx", "send", "--key", "university", "--module", "identity", "--method", "createAccount", "--args", JSON.stringify({ address: uniAddress, did: "did:civitas:proof-cli:university", reason: "university account" })], 0),
  );
  assert.equal(bind.receipt.status, "ok", bind.receipt.message);
  await cli([...g, "tx", "transfer", "--key", "university", "--to", uniAddress, "--amount", "1"], 0);
  const own = json<{ history?: Array<{ op: string }>; entries?: Array<{ op: string }> }>(await cli([...g, "--json", "proof", "history", receipt.fingerprint, "--key", "university"], 0));
  assert.match(JSON.stringify(own), /registered/);
  const missing = await fetch(`${url}/v1/proofs/${"ab".repeat(32)}/history`);
  assert.equal(missing.status, 404);
});

test("signed checkpoints of the proof log: one leaf per registration, C2SP note verifies, consistency between two checkpoints", { timeout: 120_000 }, async () => {
  const head = async (): Promise<number> => ((await (await fetch(`${url}/v1/status`)).json()) as { head: { height: number } }).head.height;
  // Blocks are made only for transactions: transfers move the head to the next multiple of 10.
  const advanceToCheckpoint = async (): Promise<void> => {
    const target = Math.floor((await head()) / 10) * 10 + 10;
    while ((await head()) < target) await cli([...g, "tx", "transfer", "--key", "university", "--to", uniAddress, "--amount", "1"], 0);
  };
  type Cp = { origin: string; note: string; size: number; rootHash: string; height: number; verifierKey: string };
  const checkpoint = async (): Promise<Cp> => (await (await fetch(`${url}/v1/proofs/checkpoint`)).json()) as Cp;
  await advanceToCheckpoint();
  const first = await checkpoint();
  // The earlier tests registered one batch root and one salted document.
  assert.equal(first.size, 2);
  assert.equal(first.origin, "civitas/proof-cli/proofs");
  const verifier = parseVerifierKey(first.verifierKey);
  const opened1 = openCheckpoint(first.note, verifier);
  assert.deepEqual([opened1.size, opened1.rootHash], [first.size, first.rootHash]);
  const bare = await (await fetch(`${url}/v1/proofs/checkpoint?format=note`)).text();
  assert.equal(bare, first.note);
  const tampered = first.note.split("\n");
  tampered[1] = String(first.size + 1);
  assert.throws(() => openCheckpoint(tampered.join("\n"), verifier), "a note whose size was changed does not verify");

  const file = join(root, "late.txt");
  await writeFile(file, "registered after the first checkpoint\n");
  await cli([...g, "--json", "proof", "register", file, "--key", "university", "--owner", "did:civitas:proof-cli:university", "--out-dir", join(root, "late")], 0);
  await advanceToCheckpoint();
  const second = await checkpoint();
  assert.equal(second.size, 3);
  assert.ok(second.height > first.height);
  const opened2 = openCheckpoint(second.note, verifier);
  const cons = (await (await fetch(`${url}/v1/proofs/consistency?from=${first.size}&to=${second.size}`)).json()) as { proof: string[] };
  assert.deepEqual(checkConsistency(sha256Fn, opened1, opened2, cons.proof), { ok: true });
  // A forged newer root (a split view) does not verify against the same proof.
  const forged = { ...opened2, rootHash: "00".repeat(32) };
  assert.equal(checkConsistency(sha256Fn, opened1, forged, cons.proof).ok, false);
  const bad = await fetch(`${url}/v1/proofs/consistency?from=3&to=2`);
  assert.equal(bad.status, 400);
});
