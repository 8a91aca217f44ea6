/**
 * Happy paths of the node API over real HTTP against a real node (LMDB on disk, solo engine,
 * worker-thread signature checks): submission, receipts, proofs, batches, atomicity, gas,
 * authority, kv, reads, restart, and a whole chain on SM2/SM3.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { intrinsicGas } from "../../src/execution/gas.js";
import { txHash } from "../../src/ledger/tx.js";
import type { SignedTx } from "../../src/ledger/tx.js";
import { verifyCommitCertificate, verifyHeaderHash, verifyStateProof, verifyTxInclusion } from "../../src/sdk/index.js";
import type { TxResponse } from "../../src/sdk/index.js";
import { toHex } from "../../src/util/bytes.js";
import { DevNode, hexOf, newAccount, sleep } from "./helpers/devnode.js";
import type { TestAccount } from "./helpers/devnode.js";
import { builtinModules } from "../../src/modules/index.js";

const T = { timeout: 30_000 };

/**
 * Amounts in tx and event JSON come back as numbers when they fit a JS number and as decimal
 * strings otherwise (see the report: CBOR round-trip turns small bigints into numbers), so
 * comparisons go through their decimal text.
 */
function amountsAsText<T>(v: T): T {
  if (Array.isArray(v)) return v.map(amountsAsText) as T;
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === "amount" && typeof x === "number" ? String(x) : amountsAsText(x)])) as T;
  return v;
}

function hashOf(dev: DevNode, tx: SignedTx): string {
  return toHex(txHash(dev.suite, tx));
}

/** Submits over raw HTTP, then long-polls GET /v1/txs/:hash; asserts the commit. */
async function submitAndWait(dev: DevNode, tx: SignedTx): Promise<TxResponse> {
  const r = await dev.post("/v1/txs", { tx: hexOf(tx), waitMs: 10_000 });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.status, "committed");
  const g = await dev.get(`/v1/txs/${r.body.hash}`);
  assert.equal(g.status, 200);
  assert.equal(g.body.height, r.body.height);
  return g.body as TxResponse;
}

describe("node API (ed25519-sha256)", () => {
  let dev: DevNode;
  let authority: TestAccount;
  let a1: TestAccount;
  let a2: TestAccount;
  let a3: TestAccount;
  let a4: TestAccount;
  /** Every address that may hold a balance, for conservation checks. */
  const known = new Set<string>();

  async function assertConservation(): Promise<void> {
    const supply = BigInt((await dev.client.query("token", "supply")).value as string);
    let sum = 0n;
    for (const a of known) sum += await dev.balanceOf(a);
    assert.equal(sum, supply, "sum of balances equals the token supply");
  }

  before(async () => {
    dev = await DevNode.start({ chainId: "e2e-api", accounts: 6, maxBlockTxs: 64, api: { maxBatchTxs: 500 } });
    [authority, a1, a2, a3, a4] = dev.accounts;
    for (const a of dev.accounts) known.add(a.address);
  });

  after(async () => {
    await dev?.stop();
  });

  test("health, status and the OpenAPI document", T, async () => {
    const h = await dev.get("/v1/health");
    assert.equal(h.status, 200);
    assert.equal(h.body.ok, true);
    assert.equal(h.body.height, 0);

    const s = await dev.get("/v1/status");
    assert.equal(s.status, 200);
    const st = s.body;
    assert.equal(st.node.moniker, "e2e-node");
    assert.equal(st.node.version, "0.1.0");
    assert.ok(st.node.uptimeMs >= 0);
    assert.equal(st.chain.chainId, "e2e-api");
    assert.equal(st.chain.cryptoSuite, "ed25519-sha256");
    assert.equal(st.chain.consensus, "solo");
    assert.equal(st.chain.blockIntervalMs, 50);
    assert.equal(st.chain.maxBlockTxs, 64);
    assert.equal(st.chain.authority, authority.address);
    assert.match(st.chain.genesisHash, /^[0-9a-f]{64}$/);
    assert.equal(st.head.height, 0);
    assert.match(st.head.hash, /^[0-9a-f]{64}$/);
    assert.equal(st.consensus.engine, "solo");
    assert.equal(st.consensus.height, 0);
    assert.equal(st.mempool.pending, 0);
    assert.equal(st.validators.length, 1);
    const v = st.validators[0];
    assert.equal(v.power, 10);
    assert.equal(v.address, dev.suite.address(Buffer.from(v.publicKey, "hex")));
    assert.deepEqual(st.validators, dev.genesis.validators.map((g) => ({ address: dev.suite.address(Buffer.from(g.publicKey, "hex")), publicKey: g.publicKey, power: 10 })));

    const docs = await dev.get("/docs");
    assert.equal(docs.status, 200);
    assert.match(docs.headers.get("content-type") ?? "", /text\/html/);
    assert.match(docs.text, /<html/i);

    const spec = await dev.get("/docs/json");
    assert.equal(spec.status, 200);
    assert.equal(spec.body.openapi, "3.1.0");
    assert.equal(spec.body.info.title, "Civitas node API");
    const paths = spec.body.paths as Record<string, Record<string, unknown>>;
    for (const p of ["/v1/health", "/v1/status", "/v1/blocks/{id}", "/v1/txs/{hash}", "/v1/modules", "/v1/query/{module}/{query}", "/v1/accounts/{address}", "/v1/accounts/{address}/txs", "/v1/events"]) {
      assert.ok(paths[p]?.get, `OpenAPI lists GET ${p}`);
    }
    assert.ok(paths["/v1/txs"]?.post, "OpenAPI lists POST /v1/txs");
  });

  test("one transfer: 202 pending, then committed with receipt, inclusion proof and commit certificate", T, async () => {
    const to = newAccount().address;
    known.add(to);
    const before1 = await dev.balanceOf(a1.address);
    const nonce = await dev.nonceOf(a1.address);
    assert.equal(nonce, 0);
    const tx = dev.transfer(a1, to, 1234n, nonce, { memo: "first" });

    const r = await dev.post("/v1/txs", { tx: hexOf(tx) });
    assert.equal(r.status, 202);
    assert.deepEqual(r.body, { hash: hashOf(dev, tx), status: "pending" });

    const g = await dev.get(`/v1/txs/${r.body.hash}?waitMs=10000`);
    assert.equal(g.status, 200);
    const t = g.body as Required<TxResponse>;
    assert.equal(t.status, "committed");
    assert.equal(t.hash, hashOf(dev, tx));
    assert.ok(t.height >= 1);
    assert.equal(t.raw, hexOf(tx));
    assert.equal(t.tx.from, a1.address);
    assert.equal(t.tx.nonce, 0);
    assert.equal(t.tx.memo, "first");
    assert.deepEqual(amountsAsText(t.tx.calls), [{ module: "token", method: "transfer", args: { to, amount: "1234" } }]);
    assert.equal(t.receipt.status, "ok");
    assert.equal(t.receipt.code, null);
    assert.equal(t.receipt.txHash, t.hash);
    assert.ok(t.receipt.gasUsed > intrinsicGas(tx.bytes.length, 1));
    assert.deepEqual(amountsAsText(t.receipt.events), [{ module: "token", type: "Transfer", accounts: [a1.address, to], attrs: { from: a1.address, to, amount: "1234" } }]);

    // Inclusion: the raw bytes are a leaf of the header's txRoot and the header hashes to blockHash.
    assert.equal(t.header.hash, t.blockHash);
    assert.equal(verifyTxInclusion({ proof: t.proof, header: t.header }, t.raw), true);
    assert.equal(verifyTxInclusion({ proof: t.proof, header: t.header }, hexOf(dev.transfer(a1, to, 1235n, nonce))), false, "other bytes are not included");
    assert.equal(verifyTxInclusion({ proof: t.proof, header: { ...t.header, txCount: 99 } }, t.raw), false, "altered header is refused");

    // The block's commit certificate verifies against the validators the node reports.
    const block = await dev.client.getBlock(t.height);
    assert.equal(block.hash, t.blockHash);
    assert.ok(block.txs.includes(t.hash));
    const status = await dev.client.status();
    assert.deepEqual(verifyCommitCertificate(block.header, block.commit, status.validators), { ok: true });
    assert.equal(verifyCommitCertificate({ ...block.header, time: (block.header.time as number) + 1 }, block.commit, status.validators).ok, false);
    assert.equal(verifyCommitCertificate(block.header, block.commit, [{ ...status.validators[0], publicKey: newAccount().wallet.publicKeyHex }]).ok, false);

    assert.equal(await dev.balanceOf(a1.address), before1 - 1234n);
    assert.equal(await dev.balanceOf(to), 1234n);
    assert.equal(await dev.nonceOf(a1.address), 1);
    await assertConservation();
  });

  test("a batch of 200 transfers from four senders commits in several blocks and conserves the supply", T, async () => {
    const senders = [a1, a2, a3, a4];
    const fresh = [newAccount().address, newAccount().address, newAccount().address];
    for (const f of fresh) known.add(f);
    const targets = [...dev.accounts.map((a) => a.address), ...fresh];
    const expected = new Map<string, bigint>();
    for (const a of targets) expected.set(a, await dev.balanceOf(a));
    const startNonce = new Map<string, number>();
    for (const s of senders) startNonce.set(s.address, await dev.nonceOf(s.address));
    const headBefore = await dev.headHeight();

    const txs: SignedTx[] = [];
    for (let i = 0; i < 50; i++) {
      for (const [k, s] of senders.entries()) {
        const to = targets[(i * 7 + k * 3 + 1) % targets.length];
        const amount = BigInt(1 + ((i * 13 + k) % 97));
        txs.push(dev.transfer(s, to, amount, startNonce.get(s.address)! + i));
        expected.set(s.address, expected.get(s.address)! - amount);
        expected.set(to, expected.get(to)! + amount);
      }
    }
    const r = await dev.post("/v1/txs", { txs: txs.map(hexOf), waitMs: 20_000 });
    assert.equal(r.status, 202, JSON.stringify(r.body).slice(0, 500));
    assert.equal(r.body.accepted, 200);
    assert.equal(r.body.rejected, 0);
    assert.equal(r.body.committed, 200);
    assert.deepEqual(
      r.body.results.map((x: { hash: string }) => x.hash),
      txs.map((t) => hashOf(dev, t)),
    );

    for (const s of senders) assert.equal(await dev.nonceOf(s.address), startNonce.get(s.address)! + 50);
    for (const [a, v] of expected) assert.equal(await dev.balanceOf(a), v, `balance of ${a}`);
    await assertConservation();

    // The batch was split over blocks of at most maxBlockTxs, and every receipt is ok.
    const headAfter = await dev.headHeight();
    let count = 0;
    for (let h = headBefore + 1; h <= headAfter; h++) {
      const b = await dev.client.getBlock(h);
      assert.ok(b.txs.length <= 64);
      count += b.txs.length;
    }
    assert.equal(count, 200);
    assert.ok(headAfter - headBefore >= 4, `200 txs need at least 4 blocks of 64, got ${headAfter - headBefore}`);
    for (const t of [txs[0], txs[99], txs[199]]) {
      const g = await dev.client.getTx(hashOf(dev, t));
      assert.equal(g.receipt?.status, "ok");
      assert.equal(verifyTxInclusion({ proof: g.proof!, header: g.header! }, g.raw!), true);
      assert.equal(g.proof!.treeSize, g.header!.txCount);
      assert.equal(verifyTxInclusion({ proof: { ...g.proof!, treeSize: g.proof!.treeSize + 1 }, header: g.header! }, g.raw!), false, "size must match the header's txCount");
    }
  });

  test("atomicity: a failing second call reverts the first, consumes the nonce and emits nothing", T, async () => {
    const x = newAccount().address;
    const y = newAccount().address;
    known.add(x).add(y);
    const nonce = await dev.nonceOf(a2.address);
    const bal = await dev.balanceOf(a2.address);
    const tx = dev.sign(a2, {
      nonce,
      calls: [
        { module: "token", method: "transfer", args: { to: x, amount: "10n" } },
        { module: "token", method: "transfer", args: { to: y, amount: `${bal + 1n}n` } },
      ],
    });
    const t = await submitAndWait(dev, tx);
    assert.equal(t.receipt?.status, "failed");
    assert.equal(t.receipt?.code, "EXEC_INSUFFICIENT_BALANCE");
    assert.deepEqual(t.receipt?.events, []);
    assert.ok(t.receipt!.gasUsed > 0);
    assert.equal(await dev.balanceOf(x), 0n, "first call's credit reverted");
    assert.equal(await dev.balanceOf(y), 0n);
    assert.equal(await dev.balanceOf(a2.address), bal, "first call's debit reverted");
    assert.equal(await dev.nonceOf(a2.address), nonce + 1, "nonce consumed");
    // Still included and provable, and the sender's history shows it; the would-be recipient's does not.
    assert.equal(verifyTxInclusion({ proof: t.proof!, header: t.header! }, t.raw!), true);
    const acct = await dev.client.getAccount(a2.address);
    assert.equal(acct.recentTxs[0].hash, t.hash);
    assert.deepEqual((await dev.client.getAccount(x)).recentTxs, []);
    await assertConservation();
  });

  test("out of gas: a gas limit just above the intrinsic cost fails the call and reverts it", T, async () => {
    const to = newAccount().address;
    known.add(to);
    const nonce = await dev.nonceOf(a3.address);
    const bal = await dev.balanceOf(a3.address);
    // The gas limit is inside the signed bytes, so settle it against the length it produces.
    let gasLimit = 5_000;
    let tx = dev.transfer(a3, to, 5n, nonce, { gasLimit });
    for (let i = 0; i < 5; i++) {
      const want = intrinsicGas(tx.bytes.length, 1) + 50;
      if (want === gasLimit) break;
      gasLimit = want;
      tx = dev.transfer(a3, to, 5n, nonce, { gasLimit });
    }
    assert.equal(gasLimit, intrinsicGas(tx.bytes.length, 1) + 50);
    const t = await submitAndWait(dev, tx);
    assert.equal(t.receipt?.status, "failed");
    assert.equal(t.receipt?.code, "EXEC_OUT_OF_GAS");
    assert.equal(t.receipt?.gasUsed, gasLimit, "all gas is used");
    assert.deepEqual(t.receipt?.events, []);
    assert.equal(await dev.balanceOf(to), 0n);
    assert.equal(await dev.balanceOf(a3.address), bal);
    assert.equal(await dev.nonceOf(a3.address), nonce + 1);
  });

  test("mint and burn by the authority; by anyone else EXEC_UNAUTHORIZED", T, async () => {
    const supply = async (): Promise<bigint> => BigInt((await dev.client.query("token", "supply")).value as string);
    const s0 = await supply();
    const target = newAccount().address;
    known.add(target);

    let n = await dev.nonceOf(authority.address);
    const mint = await submitAndWait(dev, dev.sign(authority, { nonce: n++, calls: [{ module: "token", method: "mint", args: { to: target, amount: "5000n" } }] }));
    assert.equal(mint.receipt?.status, "ok");
    assert.deepEqual(amountsAsText(mint.receipt?.events), [{ module: "token", type: "Mint", accounts: [target], attrs: { to: target, amount: "5000" } }]);
    assert.equal(await supply(), s0 + 5000n);
    assert.equal(await dev.balanceOf(target), 5000n);

    const burn = await submitAndWait(dev, dev.sign(authority, { nonce: n++, calls: [{ module: "token", method: "burn", args: { from: target, amount: "1500n" } }] }));
    assert.equal(burn.receipt?.status, "ok");
    assert.equal(burn.receipt?.events[0].type, "Burn");
    assert.equal(await supply(), s0 + 3500n);
    assert.equal(await dev.balanceOf(target), 3500n);

    const m = await dev.nonceOf(a4.address);
    const badMint = await submitAndWait(dev, dev.sign(a4, { nonce: m, calls: [{ module: "token", method: "mint", args: { to: a4.address, amount: "1000000n" } }] }));
    assert.equal(badMint.receipt?.status, "failed");
    assert.equal(badMint.receipt?.code, "EXEC_UNAUTHORIZED");
    const badBurn = await submitAndWait(dev, dev.sign(a4, { nonce: m + 1, calls: [{ module: "token", method: "burn", args: { from: target, amount: "1n" } }] }));
    assert.equal(badBurn.receipt?.code, "EXEC_UNAUTHORIZED");
    assert.equal(await supply(), s0 + 3500n);
    assert.equal(await dev.balanceOf(target), 3500n);
    assert.equal(await dev.nonceOf(a4.address), m + 2);
    await assertConservation();
  });

  test("kv: namespaces, owner-only writes, proofs of presence and absence, historical reads", T, async () => {
    const ns = "e2e.ns";
    let n = await dev.nonceOf(a1.address);
    const kv = (method: string, args: Record<string, unknown>, by = a1, nonce = n++): SignedTx => dev.sign(by, { nonce, calls: [{ module: "kv", method, args }] });

    const created = await submitAndWait(dev, kv("createNamespace", { namespace: ns }));
    assert.equal(created.receipt?.status, "ok");
    assert.deepEqual(created.receipt?.events, [{ module: "kv", type: "NamespaceCreated", accounts: [a1.address], attrs: { namespace: ns, owner: a1.address } }]);
    const owner = await dev.client.query("kv", "namespace", { namespace: ns });
    assert.equal((owner.value as { owner: string }).owner, a1.address);

    const put1 = await submitAndWait(dev, kv("put", { namespace: ns, key: "color", value: "red" }));
    assert.equal(put1.receipt?.status, "ok");
    const h1 = put1.height!;

    // Membership proof, tied to the stateRoot of a header that hashes correctly.
    const got = await dev.client.query("kv", "get", { namespace: ns, key: "color" });
    assert.deepEqual(got.value, { value: "red", updated: h1, by: a1.address });
    assert.equal(got.key, `kv/rec/${ns}/color`);
    assert.notEqual(got.proof.value, null);
    assert.equal(verifyStateProof(got, got.stateRoot), true);
    const atBlock = await dev.client.getBlock(got.height);
    assert.equal(atBlock.header.stateRoot, got.stateRoot);
    assert.equal(verifyHeaderHash(atBlock.header), true);
    assert.equal(verifyStateProof({ ...got, proof: { ...got.proof, value: got.proof.value!.replace(/.$/, (c) => (c === "0" ? "1" : "0")) } }, got.stateRoot), false, "tampered value");
    assert.equal(verifyStateProof({ ...got, key: `kv/rec/${ns}/other` }, got.stateRoot), false, "proof is for another key");

    // Someone else may not write in the namespace.
    const intruder = await submitAndWait(dev, kv("put", { namespace: ns, key: "color", value: "black" }, a2, await dev.nonceOf(a2.address)));
    assert.equal(intruder.receipt?.status, "failed");
    assert.equal(intruder.receipt?.code, "EXEC_UNAUTHORIZED");

    const put2 = await submitAndWait(dev, kv("put", { namespace: ns, key: "color", value: "blue" }));
    assert.equal(put2.receipt?.status, "ok");
    assert.equal(((await dev.client.query("kv", "get", { namespace: ns, key: "color" })).value as { value: string }).value, "blue");
    const old = await dev.client.query("kv", "get", { namespace: ns, key: "color" }, h1);
    assert.equal(old.height, h1);
    assert.equal((old.value as { value: string }).value, "red", "reads at an older height see the older value");
    assert.equal(verifyStateProof(old, old.stateRoot), true);
    assert.equal(old.stateRoot, (await dev.client.getBlock(h1)).header.stateRoot);
    const before = await dev.client.query("kv", "get", { namespace: ns, key: "color" }, h1 - 1);
    assert.equal(before.value, null, "absent before the first put");

    // Absence: value null with a non-membership proof.
    const absent = await dev.client.query("kv", "get", { namespace: ns, key: "nothing-here" });
    assert.equal(absent.value, null);
    assert.equal(absent.proof.value, null);
    assert.equal(verifyStateProof(absent, absent.stateRoot), true);
    assert.equal(verifyStateProof(absent, got.stateRoot === absent.stateRoot ? "00".repeat(32) : got.stateRoot), false, "wrong root");

    const del = await submitAndWait(dev, kv("delete", { namespace: ns, key: "color" }));
    assert.equal(del.receipt?.status, "ok");
    const gone = await dev.client.query("kv", "get", { namespace: ns, key: "color" });
    assert.equal(gone.value, null);
    assert.equal(verifyStateProof(gone, gone.stateRoot), true);
    const again = await submitAndWait(dev, kv("delete", { namespace: ns, key: "color" }));
    assert.equal(again.receipt?.code, "EXEC_NOT_FOUND");
  });

  test("reads: blocks by height, latest and hash; accounts and their txs; indexed events", T, async () => {
    const status = await dev.client.status();
    const g0 = await dev.get("/v1/blocks/0");
    assert.equal(g0.status, 200);
    assert.equal(g0.body.header.height, 0);
    assert.deepEqual(g0.body.txs, []);
    assert.deepEqual(g0.body.commit.signatures, []);
    assert.equal(g0.body.header.prevHash, status.chain.genesisHash, "block 0 links to the genesis document");
    assert.equal(g0.body.header.time, dev.genesis.genesisTime);
    assert.equal(verifyHeaderHash(g0.body.header), true);

    const latest = await dev.get("/v1/blocks/latest");
    assert.equal(latest.status, 200);
    assert.equal(latest.body.header.height, status.head.height);
    assert.equal(latest.body.hash, status.head.hash);
    const byHash = await dev.get(`/v1/blocks/${latest.body.hash}`);
    assert.deepEqual(byHash.body, latest.body);
    const by0x = await dev.get(`/v1/blocks/0x${latest.body.hash}`);
    assert.deepEqual(by0x.body, latest.body);
    const prev = await dev.client.getBlock(status.head.height - 1);
    assert.equal(latest.body.header.prevHash, prev.hash, "blocks chain by prevHash");
    assert.ok((latest.body.header.time as number) > (prev.header.time as number));
    assert.deepEqual(verifyCommitCertificate(latest.body.header, latest.body.commit, status.validators), { ok: true });

    // Account view: nonce, balance with proof, newest-first history.
    const acct = await dev.get(`/v1/accounts/${a1.address}`);
    assert.equal(acct.status, 200);
    assert.equal(acct.body.address, a1.address);
    assert.equal(acct.body.nonce, await dev.nonceOf(a1.address));
    assert.ok(acct.body.nonce >= 55);
    assert.equal(BigInt(acct.body.balance), await dev.balanceOf(a1.address));
    assert.equal(verifyStateProof(acct.body.balanceProof, acct.body.balanceProof.stateRoot), true);
    assert.equal(acct.body.recentTxs.length, 10);
    const heights = acct.body.recentTxs.map((t: { height: number }) => t.height);
    assert.deepEqual([...heights].sort((a, b) => b - a), heights, "newest first");

    const list = await dev.get(`/v1/accounts/${a1.address}/txs?limit=1000`);
    assert.equal(list.status, 200);
    assert.ok(list.body.txs.length >= acct.body.nonce, "every sent tx is listed");
    for (const t of list.body.txs) assert.equal(t.receipt.txHash, t.hash);
    assert.equal(list.body.txs[0].hash, acct.body.recentTxs[0].hash);
    const older = await dev.get(`/v1/accounts/${a1.address}/txs?limit=5&before=${heights[0]}`);
    assert.ok(older.body.txs.length > 0 && older.body.txs.every((t: { height: number }) => t.height < heights[0]));

    const stranger = newAccount().address;
    const empty = await dev.get(`/v1/accounts/${stranger}`);
    assert.equal(empty.status, 200);
    assert.equal(empty.body.nonce, 0);
    assert.equal(empty.body.balance, "0");
    assert.deepEqual(empty.body.recentTxs, []);
    assert.equal(verifyStateProof(empty.body.balanceProof, empty.body.balanceProof.stateRoot), true, "non-membership proof of a zero balance");

    const ev = await dev.get("/v1/events?type=token.Transfer&limit=1000");
    assert.equal(ev.status, 200);
    assert.equal(ev.body.type, "token.Transfer");
    assert.ok(ev.body.events.length >= 201, `got ${ev.body.events.length} transfers`);
    for (const e of ev.body.events) {
      assert.equal(e.event.module, "token");
      assert.equal(e.event.type, "Transfer");
    }
    const evHeights = ev.body.events.map((e: { height: number }) => e.height);
    assert.deepEqual([...evHeights].sort((a, b) => a - b), evHeights, "oldest first");
    const from = evHeights[evHeights.length - 1];
    const tail = await dev.get(`/v1/events?type=token.Transfer&fromHeight=${from}`);
    assert.ok(tail.body.events.length > 0 && tail.body.events.every((e: { height: number }) => e.height >= from));
    const mints = await dev.get("/v1/events?type=token.Mint");
    assert.equal(mints.body.events.length, 1);
    assert.equal(String(mints.body.events[0].event.attrs.amount), "5000");
    const modules = await dev.get("/v1/modules");
    assert.deepEqual(modules.body.modules.map((m: { name: string }) => m.name), builtinModules().map((m) => m.name).sort());
    assert.ok(["identity", "kv", "token", "validators"].every((n) => modules.body.modules.some((m: { name: string }) => m.name === n)));
  });

  test("restart on the same folder: same head, balances and transaction lookups; then keeps going", T, async () => {
    const status = await dev.client.status();
    const balances = new Map<string, bigint>();
    for (const a of known) balances.set(a, await dev.balanceOf(a));
    const hist = await dev.client.getAccount(a1.address);
    const lastTx = await dev.client.getTx(hist.recentTxs[0].hash);

    await dev.restart();

    const after = await dev.client.status();
    assert.equal(after.head.height, status.head.height);
    assert.equal(after.head.hash, status.head.hash);
    assert.equal(after.chain.genesisHash, status.chain.genesisHash);
    for (const [a, v] of balances) assert.equal(await dev.balanceOf(a), v);
    assert.deepEqual(await dev.client.getTx(lastTx.hash), lastTx);
    assert.equal((await dev.client.getAccount(a1.address)).nonce, hist.nonce);
    await assertConservation();

    // No empty blocks appear by themselves (createEmptyBlocks false), and new work commits on top.
    await sleep(150);
    assert.equal(await dev.headHeight(), status.head.height);
    const to = newAccount().address;
    known.add(to);
    const t = await submitAndWait(dev, dev.transfer(a1, to, 77n, hist.nonce));
    assert.equal(t.receipt?.status, "ok");
    assert.equal(t.height, status.head.height + 1);
    assert.equal(t.header?.prevHash, status.head.hash);
    assert.equal(await dev.balanceOf(to), 77n);
    await assertConservation();
  });
});

describe("a whole chain on sm2-sm3", () => {
  let dev: DevNode;

  before(async () => {
    dev = await DevNode.start({ chainId: "e2e-sm2", cryptoSuite: "sm2-sm3", accounts: 3 });
  });

  after(async () => {
    await dev?.stop();
  });

  test("transfers commit and every proof verifies with suite sm2-sm3 (and not with ed25519-sha256)", T, async () => {
    const status = await dev.client.status();
    assert.equal(status.chain.cryptoSuite, "sm2-sm3");
    assert.equal(status.validators[0].publicKey.length, 130, "65-byte uncompressed SM2 key");
    const [, s1, s2] = dev.accounts;
    assert.equal(s1.wallet.publicKey.length, 65);
    const to = newAccount("sm2-sm3").address;

    // One through the SDK, then a batch of ten with consecutive nonces.
    const first = await dev.client.send(s1.wallet, [{ module: "token", method: "transfer", args: { to, amount: "100n" } }]);
    assert.equal(first.receipt?.status, "ok");
    const batch = Array.from({ length: 10 }, (_, i) => dev.transfer(s2, to, BigInt(i + 1), i));
    const r = await dev.client.submitBatch(batch, 10_000);
    assert.equal(r.accepted, 10);
    assert.equal(r.committed, 10);
    assert.equal(await dev.balanceOf(to), 155n);
    assert.equal(await dev.nonceOf(s2.address), 10);

    const t = await dev.client.getTx(r.results[9].hash!);
    assert.equal(t.hash, toHex(txHash(dev.suite, batch[9])));
    assert.equal(verifyTxInclusion({ proof: t.proof!, header: t.header! }, t.raw!, "sm2-sm3"), true);
    assert.equal(verifyTxInclusion({ proof: t.proof!, header: t.header! }, t.raw!, "ed25519-sha256"), false);
    assert.equal(verifyHeaderHash(t.header!, "sm2-sm3"), true);
    const block = await dev.client.getBlock(t.height!);
    assert.deepEqual(verifyCommitCertificate(block.header, block.commit, status.validators, "sm2-sm3"), { ok: true });
    assert.equal(verifyCommitCertificate(block.header, block.commit, status.validators, "ed25519-sha256").ok, false);

    const bal = await dev.client.query("token", "balance", { address: to });
    assert.equal(bal.value, "155");
    assert.equal(verifyStateProof(bal, bal.stateRoot, "sm2-sm3"), true);
    assert.equal(verifyStateProof(bal, bal.stateRoot, "ed25519-sha256"), false);
    const supply = BigInt((await dev.client.query("token", "supply")).value as string);
    let sum = 0n;
    for (const a of [...dev.accounts.map((x) => x.address), to]) sum += await dev.balanceOf(a);
    assert.equal(sum, supply);

    // A bad SM2 signature is refused at admission.
    const bad = dev.transfer(s1, to, 1n, 1);
    const flipped = new Uint8Array(bad.bytes);
    flipped[flipped.length - 1] ^= 0x01;
    const rej = await dev.post("/v1/txs", { tx: hexOf(flipped) });
    assert.equal(rej.status, 400);
    assert.equal(rej.body.code, "TX_BAD_SIGNATURE");
  });
});
