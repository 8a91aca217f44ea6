/**
 * `npm run bench -- proofs`: integrity proofs anchored per second.
 *
 * A solo node runs as its own process (`civitas start`). An owner DID is created, then:
 *  1. aggregated: N small documents (already in memory, as an application holding them would
 *     have them) are hashed, the RFC 9162 tree of each batch is built and every per-document
 *     inclusion path written (worker threads over shared memory, src/proof/parallel-batch.ts),
 *     the root is registered by `proof.registerBatch` through the SDK (owner-signed), and the
 *     clock stops when the last root's transaction has committed. Figure: fingerprints/s.
 *     Receipts are kept in binary (path tables); turning them into JSON files is measured apart.
 *  2. single: S `proof.register` transactions (each with an owner signature checked on chain),
 *     signed before the window, submitted in batches; figure: committed registrations/s.
 *  3. bundle check: the offline proof bundle of one sampled document is built from the node,
 *     then checked C times with the portable verifier (src/proof/bundle, what `civitas proof
 *     check` and browsers run); figures: median and p99 ms per check (target < 50 ms).
 * Prints a table to stderr and one JSON document to stdout.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { getNodeSuite } from "../src/crypto/node-suites.js";
import { leafHash, verifyInclusionPath } from "../src/ledger/merkle.js";
import { pathFromTable } from "../src/proof/batch-tree.js";
import type { PathTable } from "../src/proof/batch-tree.js";
import { BatchPool, shareDocuments } from "../src/proof/parallel-batch.js";
import type { SharedDocuments } from "../src/proof/parallel-batch.js";
import { bundleText, checkBundleText } from "../src/proof/bundle/index.js";
import type { ProofReceipt } from "../src/proof/receipt.js";
import { RECEIPT_TYPE } from "../src/proof/receipt.js";
import { buildProofBundle } from "../src/sdk/bundle.js";
import { ProofsClient, proofSigner } from "../src/sdk/proofs-client.js";
import type { OwnerInput } from "../src/sdk/proofs-client.js";
import { Wallet } from "../src/sdk/wallet.js";
import { toHex } from "../src/util/bytes.js";
import { freePort, procStats, round } from "./common.js";

interface Options {
  items: number;
  batch: number;
  singles: number;
  threads: number;
  blockIntervalMs: number;
  bundleChecks: number;
}

const ITEM_BYTES = 64;

/** N documents of 64 bytes (an invoice line, a certificate id, a sensor reading) in shared memory, one block per batch. */
function makeDocuments(items: number, batch: number): SharedDocuments[] {
  const out: SharedDocuments[] = [];
  for (let a = 0; a < items; a += batch) {
    const n = Math.min(batch, items - a);
    const docs = Array.from({ length: n }, (_, i) => {
      const d = new Uint8Array(ITEM_BYTES);
      d.set(new TextEncoder().encode(`invoice #${a + i} amount ${(a + i) * 7 % 100000} EUR issued by bench`.padEnd(ITEM_BYTES, ".").slice(0, ITEM_BYTES)));
      return d;
    });
    out.push(shareDocuments(docs));
  }
  return out;
}

async function waitHealthy(url: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(url + "/v1/health")).ok) return;
    } catch {
      if (i > 400) throw new Error("node did not start");
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function runProofsBench(argv: string[]): Promise<void> {
  const intArg = (min: number, max: number) => (v: string): number => {
    if (!/^[0-9]+$/.test(v) || Number(v) < min || Number(v) > max) throw new InvalidArgumentError(`expected an integer in [${min}, ${max}]`);
    return Number(v);
  };
  const program = new Command("bench proofs")
    .description("Integrity proofs anchored per second: aggregated registration (hash, tree, per-document paths, one registerBatch per batch, commit) and single registrations. Table on stderr, JSON on stdout.")
    .option("--items <n>", "documents in the aggregated phase", intArg(1, 16_777_216), 1_048_576)
    .option("--batch <n>", "documents per tree (one transaction each)", intArg(1, 4_194_304), 131_072)
    .option("--singles <n>", "single registrations", intArg(0, 100_000), 2_000)
    .option("--threads <n>", "hashing threads (default: one per core)", intArg(1, 64), availableParallelism())
    .option("--block-interval-ms <ms>", "genesis blockIntervalMs", intArg(1, 60_000), 100)
    .option("--bundle-checks <n>", "offline checks of one proof bundle (0: skip)", intArg(0, 100_000), 300)
    .showHelpAfterError();
  program.parse(argv, { from: "user" });
  const o = program.opts<Options>();

  const suite = getNodeSuite("ed25519-sha256");
  const home = mkdtempSync(join(tmpdir(), "civitas-bench-proofs-"));
  const cli = new URL("../src/cli/main.js", import.meta.url).pathname;
  const port = await freePort();
  const env = { ...process.env, CIVITAS_PASSPHRASE: "bench-passphrase" };
  const ownerKey = suite.generateKeyPair();
  const wallet = Wallet.fromSecretKey(ownerKey.secretKey, "ed25519-sha256");
  const senders = Array.from({ length: 20 }, () => Wallet.fromSecretKey(suite.generateKeyPair().secretKey, "ed25519-sha256"));
  const initFile = join(home, "init.json");
  writeFileSync(initFile, JSON.stringify({ balance: [wallet.address, ...senders.map((s) => s.address)].map((a) => `${a}=1000`), blockIntervalMs: String(o.blockIntervalMs), chainId: "civitas-bench-proofs" }));
  const init = spawn(process.execPath, [cli, "init", "--home", join(home, "node"), "--from", initFile, "--api-port", String(port)], { env, stdio: ["ignore", "ignore", "inherit"] });
  await new Promise((r) => init.on("exit", r));
  const chainId = (JSON.parse(readFileSync(join(home, "node", "genesis.json"), "utf8")) as { chainId: string }).chainId;
  const node = spawn(process.execPath, [cli, "start", "--home", join(home, "node")], { env, stdio: ["ignore", "ignore", "inherit"] });
  const url = `http://127.0.0.1:${port}`;
  const pool = BatchPool.open(o.threads);
  try {
    await waitHealthy(url);
    const sha = (d: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(d).digest());
    const proofs = new ProofsClient(url, { hash: sha, timeoutMs: 120_000 });
    const owner = `did:civitas:${chainId}:bench-owner`;
    const did = await proofs.client.send(wallet, [{ module: "identity", method: "createDid", args: { did: owner, kind: "organisation", document: JSON.stringify({ keys: [wallet.publicKeyHex] }) } }]);
    if (did.receipt?.status !== "ok") throw new Error(`createDid failed: ${did.receipt?.message}`);
    const ownerInput: OwnerInput = { owner, keyId: 1, signer: proofSigner(suite, ownerKey.secretKey), docType: "e-invoice" };

    process.stderr.write(`preparing ${o.items} documents of ${ITEM_BYTES} bytes...\n`);
    const batches = makeDocuments(o.items, o.batch);
    // Warm the workers (first-use compilation) outside the window.
    await pool.build(shareDocuments([new Uint8Array(8)]), "sha-256");

    // Phase 1: aggregated.
    process.stderr.write(`aggregated: ${batches.length} trees of up to ${o.batch} documents on ${o.threads} threads...\n`);
    const cpu0 = procStats(process.pid);
    const nodeCpu0 = procStats(node.pid as number);
    let nonce = (await proofs.client.getAccount(wallet.address)).nonce;
    const t0 = performance.now();
    const pending: Array<{ hash: string; root: Uint8Array; sample: { fp: Uint8Array; index: number; path: Uint8Array[]; size: number } }> = [];
    let buildMs = 0;
    let pathBytes = 0;
    let lastTables: PathTable[] = [];
    for (const docs of batches) {
      const b0 = performance.now();
      const built = await pool.build(docs, "sha-256");
      buildMs += performance.now() - b0;
      for (const t of built.paths) pathBytes += t.data.length;
      const r = await proofs.registerRoot(wallet, built.root, docs.count, ownerInput, false, nonce++);
      // Keep one receipt per batch to check after the window; the others are dropped as a writer would flush them.
      const i = Math.floor(docs.count / 3);
      const table = built.paths.find((t) => i >= t.from && i < t.from + t.offsets.length - 1) as PathTable;
      pending.push({ hash: r.tx.hash, root: built.root, sample: { fp: built.fingerprints.slice(i * 32, i * 32 + 32), index: i, path: pathFromTable(table, i).map((p) => p.slice()), size: docs.count } });
      lastTables = built.paths;
    }
    let lastHeight = 0;
    for (const p of pending) {
      const c = await proofs.client.waitForTx(p.hash, 120_000);
      if (c.receipt?.status !== "ok") throw new Error(`registerBatch failed: ${c.receipt?.code} ${c.receipt?.message}`);
      lastHeight = Math.max(lastHeight, c.height ?? 0);
    }
    const aggSeconds = (performance.now() - t0) / 1000;
    const cpu1 = procStats(process.pid);
    const nodeCpu1 = procStats(node.pid as number);
    const perSecond = Math.round(o.items / aggSeconds);

    // Every sampled receipt verifies against its root, and the node knows the root.
    for (const p of pending) {
      if (!verifyInclusionPath(sha, leafHash(sha, p.sample.fp), p.sample.index, p.sample.size, p.sample.path, p.root)) throw new Error("a sampled receipt does not verify");
    }
    const last = pending[pending.length - 1];
    const answer = await proofs.verify({ fingerprint: toHex(last.sample.fp), leafIndex: last.sample.index, treeSize: last.sample.size, path: last.sample.path.map(toHex), root: toHex(last.root) });
    if (!answer.registered) throw new Error(`the node does not confirm a sampled receipt: ${answer.reason}`);

    // JSON receipts of the last batch (what `civitas proof register` writes), measured apart.
    const j0 = performance.now();
    let jsonBytes = 0;
    const lastCount = batches[batches.length - 1].count;
    const rootHex = toHex(last.root);
    for (const t of lastTables) {
      for (let i = t.from; i < t.from + t.offsets.length - 1; i++) {
        jsonBytes += JSON.stringify({ type: RECEIPT_TYPE, chain: chainId, hashAlgorithm: "sha-256", kind: "batch-leaf", leafIndex: i, treeSize: lastCount, path: pathFromTable(t, i).map(toHex), root: rootHex, owner, txHash: last.hash }).length;
      }
    }
    const jsonPerSecond = Math.round(lastCount / ((performance.now() - j0) / 1000));

    // Phase 2: single registrations from 20 accounts for one owner (a platform registering for it).
    let singleTps = 0;
    let singleSeconds = 0;
    if (o.singles > 0) {
      process.stderr.write(`single: signing ${o.singles} registrations...\n`);
      const txs: string[] = [];
      const hashes: string[] = [];
      const nonces = await Promise.all(senders.map(async (s) => (await proofs.client.getAccount(s.address)).nonce));
      for (let k = 0; k < o.singles; k++) {
        const s = k % senders.length;
        const call = await proofs.documentCall(sha(new TextEncoder().encode(`single ${k}`)), ownerInput);
        const tx = senders[s].buildTx({ chain: chainId, nonce: nonces[s]++, calls: [call], gasLimit: 200_000 });
        txs.push(toHex(tx.bytes));
        hashes.push(toHex(suite.hash(tx.bodyBytes)));
      }
      const s0 = performance.now();
      for (let a = 0; a < txs.length; a += 500) {
        const r = await proofs.client.submitBatch(txs.slice(a, a + 500));
        if (r.rejected) throw new Error(`single registrations rejected: ${JSON.stringify(r.results.find((x) => x.error))}`);
      }
      for (const h of hashes.slice(-senders.length)) {
        const c = await proofs.client.waitForTx(h, 120_000);
        if (c.receipt?.status !== "ok") throw new Error(`register failed: ${c.receipt?.code} ${c.receipt?.message}`);
      }
      singleSeconds = (performance.now() - s0) / 1000;
      singleTps = Math.round(o.singles / singleSeconds);
    }

    // Phase 3: offline bundle verification (after the windows above, so it does not disturb them).
    let bundleCheck: { checks: number; bundleBytes: number; medianMs: number; p99Ms: number; maxMs: number } | null = null;
    if (o.bundleChecks > 0) {
      const receipt = { type: RECEIPT_TYPE, chain: chainId, hashAlgorithm: "sha-256", kind: "batch-leaf", fingerprint: toHex(last.sample.fp), salt: null, leafIndex: last.sample.index, treeSize: last.sample.size, leafHash: toHex(leafHash(sha, last.sample.fp)), path: last.sample.path.map(toHex), root: toHex(last.root), owner, docType: "e-invoice", txHash: last.hash, height: lastHeight, time: 0 } as ProofReceipt;
      const text = bundleText(await buildProofBundle(proofs.client, { fingerprint: last.sample.fp, receipt }));
      process.stderr.write(`bundle check: ${o.bundleChecks} offline checks of a ${text.length}-byte bundle...\n`);
      const times: number[] = [];
      for (let k = 0; k < o.bundleChecks; k++) {
        const c0 = performance.now();
        const r = checkBundleText(text, { documentFingerprint: last.sample.fp });
        times.push(performance.now() - c0);
        if (!r.valid) throw new Error(`the bundle does not check: ${r.failed?.reason}`);
      }
      times.sort((a, b) => a - b);
      const at = (q: number): number => round(times[Math.min(times.length - 1, Math.floor(q * times.length))]);
      bundleCheck = { checks: times.length, bundleBytes: text.length, medianMs: at(0.5), p99Ms: at(0.99), maxMs: round(times[times.length - 1]) };
    }

    const result = {
      benchmark: "proofs-solo",
      aggregated: {
        documents: o.items,
        documentBytes: ITEM_BYTES,
        trees: batches.length,
        batchSize: o.batch,
        threads: o.threads,
        windowSeconds: round(aggSeconds),
        fingerprintsPerSecond: perSecond,
        hashTreePathsSeconds: round(buildMs / 1000),
        pathBytes,
        lastCommitHeight: lastHeight,
        benchProcessCpuCores: round((cpu1.cpuSeconds - cpu0.cpuSeconds) / aggSeconds),
        nodeCpuCores: round((nodeCpu1.cpuSeconds - nodeCpu0.cpuSeconds) / aggSeconds),
        jsonReceiptsPerSecond: jsonPerSecond,
        jsonReceiptBytesAvg: Math.round(jsonBytes / lastCount),
      },
      single: { registrations: o.singles, windowSeconds: round(singleSeconds), committedPerSecond: singleTps },
      bundleCheck,
      blockIntervalMs: o.blockIntervalMs,
      machine: { cores: availableParallelism(), node: process.version },
    };
    const rows: Array<[string, string]> = [
      ["aggregated: fingerprints anchored/s", `${perSecond} (${o.items} in ${round(aggSeconds)} s, ${batches.length} roots committed)`],
      ["aggregated: hash + tree + paths", `${round(buildMs / 1000)} s on ${o.threads} threads, ${round(pathBytes / 2 ** 20)} MiB of paths`],
      ["aggregated: CPU bench / node (cores)", `${result.aggregated.benchProcessCpuCores} / ${result.aggregated.nodeCpuCores}`],
      ["JSON receipts (one thread)", `${jsonPerSecond} /s, ${result.aggregated.jsonReceiptBytesAvg} bytes each`],
      ["single registrations committed/s", `${singleTps} (${o.singles} in ${round(singleSeconds)} s)`],
      ["bundle check (offline, one thread)", bundleCheck ? `median ${bundleCheck.medianMs} ms, p99 ${bundleCheck.p99Ms} ms over ${bundleCheck.checks} checks (target < 50 ms)` : "skipped"],
      ["block interval", `${o.blockIntervalMs} ms`],
    ];
    process.stderr.write("\n" + rows.map(([k, v]) => `  ${k.padEnd(38)} ${v}`).join("\n") + "\n\n");
    process.stdout.write(JSON.stringify(result, null, 2) + "\n");
  } finally {
    await pool.close();
    node.kill("SIGTERM");
    await new Promise((r) => node.on("exit", r));
    rmSync(home, { recursive: true, force: true });
  }
}
