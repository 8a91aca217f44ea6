/**
 * Determinism and replay: a second chain fed node A's committed blocks re-executes them to the
 * same head hash, state root, receipts and state at every height; blocks whose header roots were
 * tampered with are refused (by the certificate, or by re-execution when re-certified) without
 * moving the head; block time changes only what depends on time; execution reads no clock and
 * no random source.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { getNodeSuite } from "../../src/crypto/node-suites.js";
import { execCrypto, Executor } from "../../src/execution/executor.js";
import type { StateReader } from "../../src/execution/executor.js";
import { ModuleRegistry } from "../../src/execution/registry.js";
import type { Block, BlockHeader } from "../../src/ledger/block.js";
import { blockHash, encodeBlock } from "../../src/ledger/block.js";
import { decodeReceipt } from "../../src/ledger/receipt.js";
import { EMPTY_ROOT, MemoryNodeStore, SparseMerkleTree } from "../../src/ledger/smt.js";
import { decodeSignedTx } from "../../src/ledger/tx.js";
import { builtinModules } from "../../src/modules/index.js";
import { Chain } from "../../src/node/chain.js";
import { toHex } from "../../src/util/bytes.js";
import type { Fixture } from "../e2e/helpers/proc-chain.js";
import { certify, ChainDriver, GENESIS_TIME, makeFixture, sampleWorkload } from "../e2e/helpers/proc-chain.js";

let root: string;
let fx: Fixture;
let a: ChainDriver;
let blocksA: Block[];
const opened: Array<{ close(): Promise<void> }> = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), "civitas-determinism-"));
  fx = makeFixture();
  a = await ChainDriver.open(join(root, "a"), fx);
  opened.push(a);
  blocksA = (await sampleWorkload(a)).blocks;
});

after(async () => {
  for (const c of opened.reverse()) await c.close().catch(() => undefined);
  if (root) await rm(root, { recursive: true, force: true });
});

const hex = (b: Uint8Array): string => toHex(b);

function stateTable(c: Chain): Array<[string, string]> {
  return [...c.store.stateEntries()].map(({ key, value }) => [hex(key), hex(value)]);
}

async function openReplica(name: string): Promise<Chain> {
  const c = await Chain.open(join(root, name), fx.genesis, builtinModules());
  opened.push(c);
  return c;
}

test("the sample workload commits mixed results (sanity for the tests below)", () => {
  assert.equal(blocksA.length, 6);
  const receipts = blocksA.flatMap((b) => b.txs.map((t) => decodeReceipt(a.chain.store.getReceiptBytes(fx.suite.hash(decodeSignedTx(t).bodyBytes)) as Uint8Array)));
  assert.equal(receipts.filter((r) => r.status === "failed").length, 2);
  assert.deepEqual(receipts.filter((r) => r.status === "failed").map((r) => r.code).sort(), ["EXEC_INSUFFICIENT_BALANCE", "EXEC_UNAUTHORIZED"].sort());
  assert.equal(blocksA[3].txs.length, 0, "one empty block");
});

test("a replica fed A's blocks re-executes them to identical hashes, roots, receipts and state at every height", async () => {
  const b = await openReplica("b");
  assert.equal(hex(b.head().hash), hex(blockHash(fx.suite, a.chain.getBlock(0)?.header as BlockHeader)), "same genesis block");
  const [w0, w1, w2] = fx.wallets;
  for (let h = 1; h <= a.chain.head().height; h++) {
    const block = a.chain.getBlock(h) as Block;
    const v = await b.validate(block);
    assert.deepEqual(v, { ok: true }, `block ${h} validates on the replica`);
    await b.commit(block);
    assert.equal(b.head().height, h);
    assert.equal(hex(b.head().hash), hex(blockHash(fx.suite, block.header)), `head hash at ${h}`);
    assert.equal(hex(b.headBlockHeader().stateRoot), hex(block.header.stateRoot), `state root at ${h}`);
    assert.deepEqual(encodeBlock(b.getBlock(h) as Block), encodeBlock(block), `stored block ${h}`);
    for (const t of block.txs) {
      const th = fx.suite.hash(decodeSignedTx(t).bodyBytes);
      assert.deepEqual(b.store.getReceiptBytes(th), a.chain.store.getReceiptBytes(th), `receipt of ${hex(th)}`);
      assert.deepEqual(b.store.txLocation(th), a.chain.store.txLocation(th));
    }
  }
  // Historical queries answer the same at every height, with the same proofs' roots.
  for (let h = 0; h <= a.chain.head().height; h++) {
    for (const w of [w0, w1, w2]) {
      const qa = a.chain.query("token", "balance", { address: w.address }, h);
      const qb = b.query("token", "balance", { address: w.address }, h);
      assert.deepEqual(qb.value, qa.value, `balance of ${w.address} at ${h}`);
      assert.equal(qb.stateRoot, qa.stateRoot);
    }
    assert.deepEqual(b.query("kv", "get", { namespace: "acme", key: "k2" }, h).value, a.chain.query("kv", "get", { namespace: "acme", key: "k2" }, h).value);
  }
  assert.deepEqual(stateTable(b), stateTable(a.chain), "current-state tables are identical");
  assert.equal(hex(b.head().hash), hex(a.chain.head().hash));
});

test("blocks with tampered roots are refused and the replica's head does not move", async () => {
  const b = await openReplica("b2");
  for (let h = 1; h <= a.chain.head().height; h++) await b.commit(a.chain.getBlock(h) as Block);
  // A's next block, not yet given to B.
  const [w0, w1] = fx.wallets;
  await a.submit([a.tx(w0, [{ module: "token", method: "transfer", args: { to: w1.address, amount: "11n" } }]), a.tx(w1, [{ module: "kv", method: "createNamespace", args: { namespace: "late" } }])]);
  const next = await a.produce();
  assert.equal(next.txs.length, 2);
  const headBefore = { ...b.head(), hash: hex(b.head().hash) };
  const stateBefore = stateTable(b);
  const unmoved = (what: string): void => {
    assert.equal(b.head().height, headBefore.height, `${what}: head height moved`);
    assert.equal(hex(b.head().hash), headBefore.hash, `${what}: head hash moved`);
    assert.equal(b.store.headHeight(), headBefore.height, `${what}: stored head moved`);
    assert.equal(b.getBlock(headBefore.height + 1), undefined, `${what}: a block was stored`);
    assert.deepEqual(stateTable(b), stateBefore, `${what}: state changed`);
  };
  const flip = (x: Uint8Array): Uint8Array => {
    const y = x.slice();
    y[0] ^= 0x01;
    return y;
  };
  const tampered: Array<[string, BlockHeader, RegExp]> = [
    ["stateRoot", { ...next.header, stateRoot: flip(next.header.stateRoot) }, /stateRoot mismatch/],
    ["txRoot", { ...next.header, txRoot: flip(next.header.txRoot) }, /txRoot mismatch/],
    ["receiptRoot", { ...next.header, receiptRoot: flip(next.header.receiptRoot) }, /receiptRoot mismatch/],
  ];
  for (const [field, header, mismatch] of tampered) {
    // 1. Tampered header with the original certificate: the certificate no longer matches.
    await assert.rejects(b.commit({ ...next, header }), /commit certificate invalid: certificate is for another block/, `${field}: original certificate`);
    unmoved(`${field} with the original certificate`);
    // 2. Re-hashed header, before commit: validate re-executes and names the wrong root.
    const v = await b.validate({ header, txs: next.txs, lastCommit: next.lastCommit });
    assert.equal(v.ok, false, `${field}: validate accepted a wrong root`);
    assert.match((v as { reason: string }).reason, mismatch);
    unmoved(`${field} validate`);
    // 3. Even a block the validator itself certified is refused when its roots are wrong.
    await assert.rejects(b.commit(certify(fx, header, next.txs, next.lastCommit)), mismatch, `${field}: re-certified block`);
    unmoved(`${field} re-certified`);
  }
  // Transactions swapped under an unchanged header are refused too.
  const swapped = { ...next, txs: [next.txs[1], next.txs[0]] };
  await assert.rejects(b.commit(swapped), /txRoot mismatch/);
  unmoved("swapped transactions");
  const dropped = await b.validate({ header: next.header, txs: [next.txs[0]], lastCommit: next.lastCommit });
  assert.equal(dropped.ok, false);
  assert.match((dropped as { reason: string }).reason, /txCount does not match/);
  unmoved("dropped transaction");

  // The genuine block still commits afterwards, to A's exact head.
  await b.commit(next);
  assert.equal(hex(b.head().hash), hex(a.chain.head().hash));
  assert.deepEqual(stateTable(b), stateTable(a.chain));
});

test("a different block time changes block hashes but not the state, receipts or tx roots", async () => {
  // Chain C runs exactly A's transactions, block by block, at different block times.
  const c = await ChainDriver.open(join(root, "c"), fx);
  opened.push(c);
  for (let h = 1; h <= blocksA.length; h++) {
    const blockA = a.chain.getBlock(h) as Block;
    if (blockA.txs.length) await c.submit(blockA.txs);
    const blockC = await c.produce(blockA.header.time + 12_345 + h);
    assert.notEqual(blockC.header.time, blockA.header.time);
    assert.notEqual(hex(blockHash(fx.suite, blockC.header)), hex(blockHash(fx.suite, blockA.header)), `block ${h} hash depends on time`);
    assert.deepEqual(blockC.txs, blockA.txs, `block ${h} holds the same transactions`);
    assert.equal(hex(blockC.header.txRoot), hex(blockA.header.txRoot), `txRoot at ${h}`);
    assert.equal(hex(blockC.header.receiptRoot), hex(blockA.header.receiptRoot), `receiptRoot at ${h}`);
    assert.equal(hex(blockC.header.stateRoot), hex(blockA.header.stateRoot), `stateRoot at ${h}`);
  }
  // Every current-state entry of C is the value A's state tree holds at the same height.
  const h = blocksA.length;
  const entries = stateTable(c.chain);
  assert.ok(entries.length > 5);
  for (const [k, v] of entries) {
    const key = Buffer.from(k, "hex").toString("utf8");
    const inA = a.chain.proveState(key, h).value;
    assert.equal(inA && hex(inA), v, `state ${key} at height ${h}`);
  }
});

test("execution reads only the block time: expiry depends on it, and no clock or random source is touched", () => {
  const registry = new ModuleRegistry(builtinModules());
  const executor = new Executor(registry, execCrypto(getNodeSuite("ed25519-sha256")));
  const genesisState = new Map(executor.genesisChanges(fx.genesis).map((c) => [Buffer.from(c.key).toString("utf8"), c.value as Uint8Array]));
  const base: StateReader = { get: (k) => genesisState.get(k) };
  const [w0, w1] = fx.wallets;
  const expires = GENESIS_TIME + 50_000;
  const txs = [
    w0.buildTx({ chain: fx.genesis.chainId, nonce: 0, expires, calls: [{ module: "token", method: "transfer", args: { to: w1.address, amount: "5n" } }] }),
    w0.buildTx({ chain: fx.genesis.chainId, nonce: 1, expires, calls: [{ module: "kv", method: "createNamespace", args: { namespace: "clock" } }, { module: "kv", method: "put", args: { namespace: "clock", key: "k", value: "v" } }] }),
    w1.buildTx({ chain: fx.genesis.chainId, nonce: 0, expires, calls: [{ module: "token", method: "mint", args: { to: w1.address, amount: "5n" } }] }), // not the authority: fails
  ];
  const run = (time: number): { changes: Array<[string, string]>; receipts: string[]; root: string; excluded: string[] } => {
    const r = executor.beginBlock(base, { chain: fx.genesis.chainId, height: 1, time, authority: fx.genesis.authority });
    const receipts: string[] = [];
    const excluded: string[] = [];
    for (const tx of txs) {
      const out = r.applyTx(tx, fx.suite.hash(tx.bodyBytes), fx.genesis.maxBlockGas);
      if (out.included) receipts.push(JSON.stringify({ ...out.receipt, txHash: hex(out.receipt.txHash), events: out.receipt.events.map((e) => ({ ...e, accounts: e.accounts.map(hex) })) }, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
      else excluded.push(out.error.code);
    }
    const changes = r.finish();
    const tree = new SparseMerkleTree((d) => fx.suite.hash(d), new MemoryNodeStore());
    const genesisRoot = tree.update(EMPTY_ROOT, executor.genesisChanges(fx.genesis));
    const root = tree.update(genesisRoot, changes);
    return { changes: changes.map((c) => [hex(c.key), c.value ? hex(c.value) : "deleted"]), receipts, root: hex(root), excluded };
  };

  // Trap every clock and random source while executing.
  const touched: string[] = [];
  const realNow = Date.now;
  const realRandom = Math.random;
  const realPerfNow = performance.now.bind(performance);
  const RealDate = Date;
  Date.now = () => {
    touched.push("Date.now");
    return realNow();
  };
  Math.random = () => {
    touched.push("Math.random");
    return realRandom();
  };
  performance.now = () => {
    touched.push("performance.now");
    return realPerfNow();
  };
  globalThis.Date = new Proxy(RealDate, {
    construct(target, args: unknown[]) {
      if (args.length === 0) touched.push("new Date()");
      return Reflect.construct(target, args) as object;
    },
  });
  let early: ReturnType<typeof run>;
  let late: ReturnType<typeof run>;
  let expired: ReturnType<typeof run>;
  try {
    early = run(GENESIS_TIME + 1_000);
    late = run(GENESIS_TIME + 40_000);
    expired = run(expires + 1);
  } finally {
    Date.now = realNow;
    Math.random = realRandom;
    performance.now = realPerfNow;
    globalThis.Date = RealDate;
  }
  assert.deepEqual(touched, [], "execution read a clock or a random source");

  assert.equal(early.receipts.length, 3);
  assert.deepEqual(early.excluded, []);
  assert.equal(JSON.parse(early.receipts[2]).status, "failed");
  assert.ok(early.changes.some(([k]) => Buffer.from(k, "hex").toString().startsWith("kv/rec/clock/")));
  // Two block times before expiry: byte-identical changes, receipts and state root.
  assert.deepEqual(late, early);
  // After expiry the same transactions cannot be included: that is what depends on time.
  // (w0's second transaction then fails on its nonce, since its first was never included.)
  assert.deepEqual(expired.excluded, ["TX_EXPIRED", "TX_NONCE_TOO_HIGH", "TX_EXPIRED"]);
  assert.deepEqual(expired.changes, []);
  assert.notEqual(expired.root, early.root);
});

test("the execution, module and ledger sources contain no clock, randomness or timers", async () => {
  const srcRoot = fileURLToPath(new URL("../../../src/", import.meta.url));
  const banned = /\bDate\.now\b|\bMath\.random\b|new Date\(\s*\)|performance\.now|process\.hrtime|randomBytes|getRandomValues|randomUUID|\bsetTimeout\b|\bsetInterval\b|\bsetImmediate\b|process\.env/;
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith(".ts")) files.push(p);
    }
  };
  for (const d of ["execution", "modules", "ledger"]) await walk(join(srcRoot, d));
  assert.ok(files.length >= 10, `found ${files.length} source files under ${srcRoot}`);
  const offenders: string[] = [];
  for (const f of files) {
    const lines = (await readFile(f, "utf8")).split("\n");
    lines.forEach((line, i) => {
      if (banned.test(line)) offenders.push(`${f}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(offenders, []);
});
