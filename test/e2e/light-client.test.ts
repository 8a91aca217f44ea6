/**
 * The SDK light client against a 4-validator BFT chain built in-process (blocks certified by 3
 * or 4 of the 4 keys) and served by the real API: it follows headers from genesis and from
 * checkpoints, follows a validator-set change, verifies a transfer and a balance, and catches an
 * API that lies (through a tampering HTTP proxy) without moving its trusted height.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { KeyPair } from "../../src/crypto/suite.js";
import { blockHash, commitToJson, headerToJson } from "../../src/ledger/block.js";
import type { BlockHeader } from "../../src/ledger/block.js";
import { encode } from "../../src/codec/index.js";
import { ApiError, CivitasClient, LightClient, LightClientError, headerFromJson, toHex, verifyStateProof } from "../../src/sdk/index.js";
import type { LightClientCheck, TrustedCheckpoint } from "../../src/sdk/index.js";
import { BftChainDriver, certificate, makeBftFixture } from "./helpers/bft-chain.js";
import type { BftFixture, Served } from "./helpers/bft-chain.js";

const T = { timeout: 60_000 };

// Tests inspect and rewrite arbitrary JSON answers.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

interface Rule {
  match: (url: URL) => boolean;
  mutate: (body: Json, url: URL) => Json;
}

/** An HTTP proxy in front of the real API that rewrites matching JSON answers. */
class TamperProxy {
  private rules: Rule[] = [];
  tampered = 0;
  url = "";
  private server: Server | undefined;

  static async start(upstream: string): Promise<TamperProxy> {
    const self = new TamperProxy();
    const server = createServer((req, res) => {
      void (async () => {
        const url = new URL(req.url ?? "/", upstream);
        const up = await fetch(upstream + (req.url ?? "/"), { method: req.method });
        let text = await up.text();
        const rule = self.rules.find((r) => r.match(url));
        if (rule && up.status === 200) {
          text = JSON.stringify(rule.mutate(JSON.parse(text), url));
          self.tampered++;
        }
        res.writeHead(up.status, { "content-type": "application/json" });
        res.end(text);
      })().catch((e: unknown) => {
        res.writeHead(502, { "content-type": "application/json" });
        res.end(JSON.stringify({ code: "PROXY", message: String(e) }));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    self.server = server;
    self.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return self;
  }

  /** Rewrites answers whose path matches (and whose query matches `query`, if given). */
  on(path: string | RegExp, mutate: Rule["mutate"], query?: (q: URLSearchParams) => boolean): void {
    this.rules = [{ match: (u) => (typeof path === "string" ? u.pathname === path : path.test(u.pathname)) && (!query || query(u.searchParams)), mutate }];
    this.tampered = 0;
  }

  clear(): void {
    this.rules = [];
  }

  close(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/** Rewrites the entry for `height` in a /v1/headers answer. */
function atHeight(height: number, f: (item: Json) => void): Rule["mutate"] {
  return (body: Json) => {
    for (const item of body.headers) if (item.header.height === height) f(item);
    return body;
  };
}

/** Flips the last hex digit. */
const flip = (h: string): string => h.slice(0, -1) + (h.endsWith("0") ? "1" : "0");

async function rejects(p: Promise<unknown>, check: LightClientCheck, height: number | undefined, what: string, message?: RegExp): Promise<void> {
  await assert.rejects(
    p,
    (e: unknown) => {
      assert.ok(e instanceof LightClientError, `${what}: expected LightClientError, got ${String(e)}`);
      assert.equal(e.code, "BLOCK_INVALID", what);
      assert.equal(e.check, check, `${what}: ${e.message}`);
      if (height !== undefined) assert.equal(e.height, height, `${what}: ${e.message}`);
      if (message) assert.match(e.message, message, what);
      return true;
    },
    what,
  );
}

const transfer = (to: string, amount: number): { module: string; method: string; args: Record<string, unknown> } => ({ module: "token", method: "transfer", args: { to, amount: `${amount}n` } });

describe("light client on a 4-validator BFT chain behind the real API", () => {
  let f: BftFixture;
  let d: BftChainDriver;
  let served: Served;
  let proxy: TamperProxy;
  let transferHash: string;
  let failedHash: string;
  /** First height signed by the changed validator set. */
  let changeAt = 0;
  let removed: KeyPair;
  let added: KeyPair;

  before(async () => {
    f = makeBftFixture({ chainId: "lc-bft" });
    d = await BftChainDriver.open(f);
    served = await d.serve();
    proxy = await TamperProxy.start(served.url);
    const [a, b, c] = f.wallets;
    // Block 1: a transfer; block 2: a transfer that fails (overspend) but is included.
    [transferHash] = await d.submit([d.tx(b, [transfer(c.address, 1234)])]);
    await d.produce();
    [failedHash] = await d.submit([d.tx(c, [transfer(a.address, 999_999_999)])]);
    await d.produce({ signers: 3 });
    // 20 more blocks, alternating 3-of-4 (different subsets) and 4-of-4 certificates.
    for (let i = 0; i < 20; i++) await d.produce(i % 2 ? {} : { signers: 3, skip: i % 4 === 0 ? 1 : 0 });
  });

  after(async () => {
    await proxy?.close();
    await served?.close();
    await d?.close();
  });

  test("API: /v1/headers, /v1/validators, /v1/proofs/* and lastCommit on blocks", T, async () => {
    const api = new CivitasClient(served.url);
    const head = d.chain.head().height;
    const hs = await api.request<Json>("GET", "/v1/headers?from=0&count=5");
    assert.equal(hs.head.height, head);
    assert.deepEqual(hs.headers.map((x: Json) => x.header.height), [0, 1, 2, 3, 4]);
    assert.equal(hs.headers[0].lastCommit, null);
    assert.equal(hs.headers[1].lastCommit, null, "block 1 carries no lastCommit");
    assert.equal(hs.headers[2].lastCommit.height, 1);
    assert.equal(hs.headers[2].lastCommit.blockHash, hs.headers[1].header.hash);
    assert.equal(hs.headers[2].commit.signatures.length, 3);
    const b2 = await api.request<Json>("GET", "/v1/blocks/2");
    assert.deepEqual(b2.lastCommit, hs.headers[2].lastCommit);
    assert.deepEqual(b2.header, hs.headers[2].header);
    assert.equal((await api.request<Json>("GET", `/v1/headers?from=${head - 1}`)).headers.length, 2, "stops at the head");
    assert.equal((await api.request<Json>("GET", "/v1/headers?from=3&count=100")).headers.length, 100 > head - 2 ? head - 2 : 100);

    const vs = await api.request<Json>("GET", "/v1/validators");
    assert.equal(vs.height, head + 1);
    assert.equal(vs.validators.length, 4);
    assert.equal(vs.hash, hs.headers[4].header.validatorSetHash);
    assert.equal(vs.proof.key, "validators/set");
    assert.equal(vs.proof.height, head);
    assert.equal(vs.proof.stateRoot, toHex(d.chain.headBlockHeader().stateRoot));
    assert.equal(verifyStateProof(vs.proof, vs.proof.stateRoot), true);
    const v3 = await api.request<Json>("GET", "/v1/validators?height=3");
    assert.equal(v3.proof.height, 2);
    assert.equal(v3.proof.stateRoot, hs.headers[2].header.stateRoot);
    assert.deepEqual(v3.proof.value, v3.validators.map((v: Json) => ({ publicKey: v.publicKey, power: v.power })));

    const st = await api.request<Json>("GET", "/v1/proofs/state?key=token/supply&height=1");
    assert.equal(st.height, 1);
    assert.equal(st.stateRoot, hs.headers[1].header.stateRoot);
    assert.equal(st.value, st.proof.value);
    assert.equal(verifyStateProof(st, st.stateRoot), true);
    const absent = await api.request<Json>("GET", "/v1/proofs/state?key=token/bal/0x" + "00".repeat(20));
    assert.equal(absent.value, null);
    assert.equal(verifyStateProof(absent, absent.stateRoot), true);

    const rc = await api.request<Json>("GET", `/v1/proofs/receipt/${transferHash}`);
    assert.deepEqual([rc.height, rc.index, rc.proof.treeSize, rc.proof.root], [1, 0, 1, hs.headers[1].header.receiptRoot]);

    const expectError = async (path: string, status: number, code: string): Promise<void> => {
      await assert.rejects(api.request("GET", path), (e: unknown) => e instanceof ApiError && e.status === status && e.code === code, path);
    };
    await expectError(`/v1/headers?from=${head + 1}`, 404, "BLOCK_NOT_FOUND");
    await expectError("/v1/headers?from=0&count=101", 400, "API_BAD_REQUEST");
    await expectError("/v1/headers?from=0&count=0", 400, "API_BAD_REQUEST");
    await expectError("/v1/headers?from=-1", 400, "API_BAD_REQUEST");
    await expectError(`/v1/validators?height=${head + 2}`, 404, "BLOCK_NOT_FOUND");
    await expectError("/v1/validators?height=0", 400, "API_BAD_REQUEST");
    await expectError("/v1/validators?height=abc", 400, "API_BAD_REQUEST");
    await expectError(`/v1/proofs/state?key=token/supply&height=${head + 1}`, 404, "BLOCK_NOT_FOUND");
    await expectError("/v1/proofs/state", 400, "API_BAD_REQUEST");
    await expectError(`/v1/proofs/receipt/${"00".repeat(32)}`, 404, "TX_NOT_FOUND");
    await expectError("/v1/proofs/receipt/xyz", 400, "API_BAD_REQUEST");

    const spec = await api.request<Json>("GET", "/docs/json");
    for (const p of ["/v1/headers", "/v1/validators", "/v1/proofs/state", "/v1/proofs/receipt/{hash}"]) assert.ok(spec.paths[p]?.get, `OpenAPI lists GET ${p}`);
  });

  test("from genesis: follows 20+ blocks, verifies a transfer's inclusion and receipt and balances by state proof", T, async () => {
    const lc = LightClient.fromGenesis(served.url, f.genesis);
    assert.equal(lc.height, 0);
    assert.equal(lc.hash, null);
    const r = await lc.sync();
    const head = d.chain.head();
    assert.equal(r.height, head.height);
    assert.ok(r.height >= 22);
    assert.equal(r.verified, head.height + 1, "header 0 and every block after it");
    assert.equal(r.hash, toHex(head.hash));
    assert.deepEqual(await lc.sync(), { height: head.height, hash: toHex(head.hash), verified: 0, setChanges: 0 }, "nothing new");

    const [, b, c] = f.wallets;
    const tx = await lc.verifyTx(transferHash);
    assert.deepEqual([tx.height, tx.index, tx.status, tx.code], [1, 0, "ok", null]);
    assert.equal(tx.blockHash, toHex(blockHash(f.suite, d.chain.getBlock(1)!.header)));
    assert.equal(toHex(tx.tx.body.from), b.address.slice(2));
    const bad = await lc.verifyTx(failedHash);
    assert.deepEqual([bad.height, bad.status, bad.code], [2, "failed", "EXEC_INSUFFICIENT_BALANCE"]);

    const bal = await lc.verifyQuery("token", "balance", { address: c.address });
    assert.equal(bal.value, "1001234");
    assert.equal(bal.height, head.height);
    assert.equal(bal.key, `token/bal/${c.address}`);
    const before1 = await lc.verifyQuery("token", "balance", { address: c.address }, 0);
    assert.equal(before1.value, "1000000", "at genesis");
    const raw = await lc.verifyState(`token/bal/${b.address}`);
    assert.equal(toHex(raw.value!), toHex(encode(1_000_000n - 1234n)));
    const none = await lc.verifyState(`token/bal/0x${"ab".repeat(20)}`, 5);
    assert.equal(none.value, null, "absence is proved too");
    const set = await lc.verifyQuery("validators", "set");
    assert.equal((set.value as unknown[]).length, 4);
  });

  test("from a checkpoint: fetched from a trusted node, older headers by hash links, resumable", T, async () => {
    const cp = await LightClient.fetchCheckpoint(served.url, 10);
    assert.deepEqual([cp.chainId, cp.height, cp.suite, cp.consensus, cp.validators.length], ["lc-bft", 10, "ed25519-sha256", "bft", 4]);
    const lc = new LightClient(proxy.url, cp, { batchSize: 7 });
    const r = await lc.sync(20);
    assert.deepEqual([r.height, r.verified], [20, 11]);
    // Below the checkpoint: checked backwards by prevHash links, not certificates.
    const h3 = await lc.header(3);
    assert.equal(h3.hash, toHex((await lc.header(4)).header.prevHash));
    assert.equal((await lc.verifyTx(transferHash)).status, "ok");
    // Persist and resume.
    const saved: TrustedCheckpoint = JSON.parse(JSON.stringify(lc.checkpoint()));
    assert.equal(saved.height, 20);
    const again = new LightClient(served.url, saved);
    assert.equal((await again.sync()).height, d.chain.head().height);
    // A checkpoint whose set does not match its header is refused at once.
    const wrong = new LightClient(served.url, { ...cp, validators: cp.validators.slice(1) });
    await rejects(wrong.sync(), "checkpoint", 10, "checkpoint set mismatch");
    assert.equal(wrong.height, 10);
    const wrongHash = new LightClient(served.url, { ...cp, headerHash: flip(cp.headerHash) });
    await rejects(wrongHash.sync(), "checkpoint", 10, "checkpoint hash mismatch");
  });

  test("follows a validator-set change (add a 5th key, remove one) and rejects certificates of the removed validator", T, async () => {
    const lc = LightClient.fromGenesis(served.url, f.genesis);
    await lc.sync();
    const start = d.chain.head().height;
    added = f.suite.generateKeyPair();
    d.addKey(added);
    removed = d.signersOf(start + 1)[3];
    changeAt = start + 4;
    const authority = f.wallets[0];
    await d.submit([
      d.tx(authority, [
        { module: "validators", method: "schedule", args: { publicKey: toHex(added.publicKey), power: 10, atHeight: changeAt } },
        { module: "validators", method: "schedule", args: { publicKey: toHex(removed.publicKey), power: 0, atHeight: changeAt } },
      ]),
    ]);
    await d.produce();
    while (d.chain.head().height < changeAt + 5) await d.produce({ signers: 3, skip: d.chain.head().height % 2 });
    const before = d.chain.getBlock(changeAt - 1)!.header;
    const at = d.chain.getBlock(changeAt)!.header;
    assert.notDeepEqual(before.validatorSetHash, before.nextValidatorSetHash, "block changeAt-1 announces the new set");
    assert.deepEqual(at.validatorSetHash, before.nextValidatorSetHash);

    const r = await lc.sync();
    assert.equal(r.height, changeAt + 5);
    assert.equal(r.setChanges, 1);
    const addrs = lc.validators().map((v) => v.address);
    assert.ok(addrs.includes(f.suite.address(added.publicKey)), "the added key is trusted");
    assert.ok(!addrs.includes(f.suite.address(removed.publicKey)), "the removed key is not");
    assert.equal(addrs.length, 4);

    // A certificate for the (real) block changeAt+1 that counts the removed validator is refused.
    const cp = await LightClient.fetchCheckpoint(served.url, changeAt);
    const target = d.chain.getBlock(changeAt + 1)!.header;
    const newSet = d.signersOf(changeAt + 1);
    const others = newSet.filter((k) => f.suite.address(k.publicKey) !== f.suite.address(added.publicKey)).slice(0, 2);
    const forged = commitToJson(certificate(f.suite, f.genesis.chainId, target, [removed, ...others]));
    proxy.on("/v1/headers", atHeight(changeAt + 1, (item) => (item.commit = forged)));
    const c1 = new LightClient(proxy.url, cp);
    await rejects(c1.sync(changeAt + 3), "commit", changeAt + 1, "certificate with the removed validator", /is not in the validator set/);
    assert.equal(c1.height, changeAt, "trusted height unchanged");
    assert.ok(proxy.tampered > 0);

    // A fork in which the change never happened: header changeAt re-signed by all 4 old keys.
    const cpBefore = await LightClient.fetchCheckpoint(served.url, changeAt - 1);
    const oldSet = d.signersOf(changeAt - 1);
    const fork: BlockHeader = { ...at, validatorSetHash: before.validatorSetHash, nextValidatorSetHash: before.validatorSetHash };
    const forkCert = certificate(f.suite, f.genesis.chainId, fork, oldSet);
    proxy.on(
      "/v1/headers",
      atHeight(changeAt, (item) => {
        item.header = headerToJson(fork, forkCert.blockHash);
        item.commit = commitToJson(forkCert);
      }),
    );
    const c2 = new LightClient(proxy.url, cpBefore);
    await rejects(c2.sync(changeAt + 2), "validatorSetHash", changeAt, "fork signed by the old set");
    assert.equal(c2.height, changeAt - 1);
    proxy.clear();
    assert.equal((await c2.sync(changeAt + 2)).height, changeAt + 2, "the honest answer passes");
  });

  test("a lying API is caught with a specific error and the trusted height does not advance", T, async () => {
    assert.ok(changeAt > 0, "runs after the validator-set change test");
    const cpHeight = changeAt - 3;
    const cp = await LightClient.fetchCheckpoint(served.url, cpHeight);
    const lie = changeAt - 1; // a header in range; the set change (at changeAt) is in range too
    const to = changeAt + 2;
    const cases: Array<{ what: string; rig: () => void; check: LightClientCheck; height: number; message?: RegExp }> = [
      { what: "header field changed, hash kept", rig: () => proxy.on("/v1/headers", atHeight(lie, (i) => (i.header.stateRoot = flip(i.header.stateRoot)))), check: "headerHash", height: lie },
      {
        what: "header field changed, hash recomputed",
        rig: () =>
          proxy.on(
            "/v1/headers",
            atHeight(lie, (i) => {
              const h = headerFromJson({ ...i.header, txRoot: flip(i.header.txRoot) }).header;
              i.header = headerToJson(h, blockHash(f.suite, h));
            }),
          ),
        check: "commit",
        height: lie,
        message: /certificate is for another block/,
      },
      { what: "certificate signature flipped", rig: () => proxy.on("/v1/headers", atHeight(lie, (i) => (i.commit.signatures[1].signature = flip(i.commit.signatures[1].signature)))), check: "commit", height: lie, message: /bad signature/ },
      { what: "certificate with 2 of 4 signatures", rig: () => proxy.on("/v1/headers", atHeight(lie, (i) => (i.commit.signatures = i.commit.signatures.slice(0, 2)))), check: "commit", height: lie, message: /need more than 2\/3/ },
      { what: "certificate signature duplicated", rig: () => proxy.on("/v1/headers", atHeight(lie, (i) => (i.commit.signatures = [i.commit.signatures[0], i.commit.signatures[0], i.commit.signatures[0]]))), check: "commit", height: lie, message: /duplicate/ },
      {
        what: "header time off the lastCommit's vote-time median, re-signed by the validators",
        rig: () =>
          proxy.on(
            "/v1/headers",
            atHeight(lie, (i) => {
              const h = headerFromJson(i.header).header;
              const forged = { ...h, time: h.time + 1 };
              const cert = certificate(f.suite, f.genesis.chainId, forged, d.signersOf(lie));
              i.header = headerToJson(forged, cert.blockHash);
              i.commit = commitToJson(cert);
            }),
          ),
        check: "time",
        height: lie,
        message: /weighted median/,
      },
      { what: "vote time in lastCommit changed", rig: () => proxy.on("/v1/headers", atHeight(lie, (i) => (i.lastCommit.signatures[0].time += 1))), check: "lastCommitHash", height: lie },
      { what: "lastCommit withheld", rig: () => proxy.on("/v1/headers", atHeight(lie, (i) => delete i.lastCommit)), check: "lastCommit", height: lie },
      {
        what: "validator set not matching nextValidatorSetHash",
        rig: () => proxy.on("/v1/validators", (b: Json) => ({ ...b, validators: b.validators.map((v: Json, k: number) => (k === 0 ? { ...v, power: v.power + 1 } : v)) }), (q) => q.get("height") === String(changeAt)),
        check: "validatorSet",
        height: changeAt - 1,
        message: /nextValidatorSetHash/,
      },
      {
        what: "validator set proof from the wrong state",
        rig: () =>
          proxy.on("/v1/validators", (b: Json) => {
            b.proof.proof.value = flip(b.proof.proof.value);
            return b;
          }, (q) => q.get("height") === String(changeAt)),
        check: "validatorSet",
        height: changeAt - 1,
        message: /state proof/,
      },
      { what: "header from another height", rig: () => proxy.on("/v1/headers", (b: Json) => ({ ...b, headers: b.headers.filter((i: Json) => i.header.height !== lie) })), check: "height", height: lie },
    ];
    for (const c of cases) {
      const lc = new LightClient(proxy.url, cp);
      c.rig();
      await rejects(lc.sync(to), c.check, c.height, c.what, c.message);
      assert.ok(proxy.tampered > 0, `${c.what}: the proxy tampered`);
      assert.equal(lc.height, cpHeight, `${c.what}: trusted height unchanged`);
      assert.equal(lc.hash, cp.headerHash, `${c.what}: trusted hash unchanged`);
      proxy.clear();
      assert.equal((await lc.sync(to)).height, to, `${c.what}: the same client accepts the honest answer`);
    }

    // Proofs: a synced client, then forged answers about a transaction and state.
    const lc = new LightClient(proxy.url, cp);
    await lc.sync();
    const head = lc.height;
    const [, b, c] = f.wallets;
    const other = (await new CivitasClient(served.url).getTx(failedHash)).raw as string;
    const proofCases: Array<{ what: string; rig: () => void; run: () => Promise<unknown>; check: LightClientCheck; message?: RegExp }> = [
      { what: "tx inclusion proof root", rig: () => proxy.on(`/v1/txs/${transferHash}`, (x: Json) => ({ ...x, proof: { ...x.proof, root: flip(x.proof.root) } })), run: () => lc.verifyTx(transferHash), check: "txInclusion" },
      { what: "tx inclusion proof sibling", rig: () => proxy.on(`/v1/txs/${transferHash}`, (x: Json) => ({ ...x, proof: { ...x.proof, proof: [flip("00".repeat(32))] } })), run: () => lc.verifyTx(transferHash), check: "txInclusion" },
      { what: "tx bytes of another transaction", rig: () => proxy.on(`/v1/txs/${transferHash}`, (x: Json) => ({ ...x, raw: other })), run: () => lc.verifyTx(transferHash), check: "txHash" },
      { what: "tx moved to another block", rig: () => proxy.on(`/v1/txs/${transferHash}`, (x: Json) => ({ ...x, height: 2 })), run: () => lc.verifyTx(transferHash), check: "txInclusion" },
      { what: "receipt bytes", rig: () => proxy.on(`/v1/proofs/receipt/${failedHash}`, (x: Json) => ({ ...x, raw: flip(x.raw) })), run: () => lc.verifyTx(failedHash), check: "receiptInclusion" },
      { what: "state value in a query", rig: () => proxy.on(`/v1/query/token/balance`, (x: Json) => ({ ...x, value: "999999999" })), run: () => lc.verifyQuery("token", "balance", { address: c.address }), check: "queryValue" },
      { what: "state proof value", rig: () => proxy.on(`/v1/query/token/balance`, (x: Json) => ({ ...x, proof: { ...x.proof, value: toHex(encode(999_999_999n)) } })), run: () => lc.verifyQuery("token", "balance", { address: c.address }), check: "stateProof" },
      {
        what: "absence claimed for a present key",
        rig: () => proxy.on(`/v1/query/token/balance`, (x: Json) => ({ ...x, value: "0", proof: { ...x.proof, value: null, terminal: { kind: "empty" } } })),
        run: () => lc.verifyQuery("token", "balance", { address: b.address }),
        check: "stateProof",
      },
      { what: "raw state value", rig: () => proxy.on("/v1/proofs/state", (x: Json) => ({ ...x, value: toHex(encode(5n)) })), run: () => lc.verifyState(`token/bal/${b.address}`), check: "stateProof" },
      { what: "raw state root", rig: () => proxy.on("/v1/proofs/state", (x: Json) => ({ ...x, stateRoot: flip(x.stateRoot) })), run: () => lc.verifyState(`token/bal/${b.address}`), check: "stateProof" },
    ];
    for (const p of proofCases) {
      p.rig();
      await rejects(p.run(), p.check, undefined, p.what, p.message);
      assert.ok(proxy.tampered > 0, `${p.what}: the proxy tampered`);
      assert.equal(lc.height, head, `${p.what}: trusted height unchanged`);
      proxy.clear();
      await p.run();
    }
  });
});
