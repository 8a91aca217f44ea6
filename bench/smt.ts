/**
 * `npm run bench:smt`: the state tree alone, in memory. Loads N keys (SMT_BENCH_KEYS, default
 * 100k) in batches, then applies three 30k-change blocks (20k updates, 5k deletes, 5k inserts)
 * and times prove+verify. Prints a table (stderr) and JSON (stdout).
 */
import { createHash } from "node:crypto";
import type { HashFn } from "../src/ledger/smt.js";
import { EMPTY_ROOT, MemoryNodeStore, SparseMerkleTree, verifySmtProof } from "../src/ledger/smt.js";
import { utf8 } from "../src/util/bytes.js";
import { mulberry32 } from "../src/util/prng.js";

const sha256: HashFn = (d) => new Uint8Array(createHash("sha256").update(d).digest());
let hashes = 0;
const counted: HashFn = (d) => {
  hashes++;
  return sha256(d);
};


const N = Number(process.env.SMT_BENCH_KEYS ?? 100_000);
const loadBatch = Number(process.env.SMT_BENCH_LOAD_BATCH ?? 10_000);
const store = new MemoryNodeStore();
const tree = new SparseMerkleTree(counted, store);
const key = (i: number): Uint8Array => utf8(`token/bal/0x${i.toString(16).padStart(40, "0")}`);
const val = (i: number, round: number): Uint8Array => utf8(`${round}:${i}`);

let root: Uint8Array = EMPTY_ROOT;
let t0 = performance.now();
for (let b = 0; b < N; b += loadBatch) {
  const batch: Array<{ key: Uint8Array; value: Uint8Array | undefined }> = [];
  for (let i = b; i < Math.min(N, b + loadBatch); i++) batch.push({ key: key(i), value: val(i, 0) });
  root = tree.update(root, batch);
}
const loadMs = performance.now() - t0;

const r = mulberry32(3); // seeded so runs are comparable
let live = Array.from({ length: N }, (_, i) => i);
let next = N;
const blocks: Array<{ ms: number; hashes: number }> = [];
for (let round = 1; round <= 3; round++) {
  for (let i = 0; i < 25_000; i++) {
    const j = i + Math.floor(r() * (live.length - i));
    [live[i], live[j]] = [live[j], live[i]];
  }
  const batch: Array<{ key: Uint8Array; value: Uint8Array | undefined }> = [];
  for (let i = 0; i < 20_000; i++) batch.push({ key: key(live[i]), value: val(live[i], round) });
  for (let i = 20_000; i < 25_000; i++) batch.push({ key: key(live[i]), value: undefined });
  const fresh = Array.from({ length: 5_000 }, () => next++);
  for (const i of fresh) batch.push({ key: key(i), value: val(i, round) });
  live = [...live.slice(0, 20_000), ...live.slice(25_000), ...fresh];
  hashes = 0;
  t0 = performance.now();
  root = tree.update(root, batch);
  blocks.push({ ms: Math.round(performance.now() - t0), hashes });
}
t0 = performance.now();
for (let i = 0; i < 2_000; i++) {
  if (!verifySmtProof(sha256, root, tree.prove(root, key(live[i])))) throw new Error("proof failed to verify");
}
const proveVerifyUs = Math.round((performance.now() - t0) / 2);
const result = { benchmark: "smt-memory", keys: N, loadMs: Math.round(loadMs), loadUsPerKey: Math.round((loadMs * 1000) / N), changeBatches: blocks, proveVerifyUs, storeNodes: store.size };
process.stderr.write(
  [
    `  keys loaded               ${N} in ${result.loadMs} ms (${result.loadUsPerKey} µs/key)`,
    ...blocks.map((b, i) => `  30k-change block ${i + 1}        ${b.ms} ms, ${b.hashes} hashes`),
    `  prove + verify            ${proveVerifyUs} µs`,
  ].join("\n") + "\n",
);
process.stdout.write(JSON.stringify(result, null, 2) + "\n");
