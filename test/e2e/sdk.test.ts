/**
 * The SDK end to end: CivitasClient against a real node, the RFC 9162 helpers on hex leaves
 * (including tampered input, which must give false and never throw), and the promise that the
 * SDK entry point pulls in no Node built-ins or native modules.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { builtinModules } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  ApiError,
  CivitasClient,
  Wallet,
  consistencyProof,
  decodeSignedTx,
  fromHex,
  inclusionProof,
  merkleLeafHash,
  merkleRoot,
  toHex,
  txHash,
  verifyCommitCertificate,
  verifyConsistency,
  verifyHeaderHash,
  verifyInclusion,
  verifyStateProof,
  verifyTxInclusion,
} from "../../src/sdk/index.js";
import type { HexConsistencyProof, HexInclusionProof } from "../../src/sdk/index.js";
import { DevNode, newAccount } from "./helpers/devnode.js";
import { CT_LEAVES, CT_ROOTS } from "../spec/vectors/rfc9162.js";

const T = { timeout: 30_000 };

describe("CivitasClient against a node", () => {
  let dev: DevNode;

  before(async () => {
    dev = await DevNode.start({ chainId: "e2e-sdk", accounts: 3 });
  });

  after(async () => {
    await dev?.stop();
  });

  test("send signs with the next nonce, submits and waits for the commit", T, async () => {
    const client = new CivitasClient(dev.url + "/");
    const [, s1, s2] = dev.accounts;
    const wallet = Wallet.fromSecretKey(toHex(s1.secretKey));
    assert.equal(wallet.address, s1.address);
    const to = newAccount().address;

    assert.deepEqual(await client.health(), { ok: true, height: 0 });
    const r1 = await client.send(wallet, [{ module: "token", method: "transfer", args: { to, amount: "100n" } }], { memo: "sdk" });
    assert.equal(r1.status, "committed");
    assert.equal(r1.receipt?.status, "ok");
    assert.equal(r1.tx?.nonce, 0);
    assert.equal(r1.tx?.memo, "sdk");
    assert.equal(verifyTxInclusion({ proof: r1.proof!, header: r1.header! }, r1.raw!), true);
    assert.equal(r1.hash, toHex(txHash(wallet.suite, decodeSignedTx(fromHex(r1.raw!)))));

    // Next nonce read from the node; amounts as plain numbers work too.
    const r2 = await client.send(wallet, [{ module: "token", method: "transfer", args: { to, amount: 23 } }]);
    assert.equal(r2.tx?.nonce, 1);
    assert.ok(r2.height! >= r1.height!);

    // Without waiting: pending (or already committed) and then waitForTx.
    const p = await client.send(wallet, [{ module: "token", method: "transfer", args: { to, amount: "1n" } }], { wait: false });
    assert.equal(p.status, "pending");
    const c = await client.waitForTx(p.hash, 10_000);
    assert.equal(c.status, "committed");
    assert.equal(c.tx?.nonce, 2);

    const acct = await client.getAccount(to);
    assert.equal(acct.balance, "124");
    assert.equal(verifyStateProof(acct.balanceProof, acct.balanceProof.stateRoot), true);
    assert.equal((await client.getAccount(s1.address)).nonce, 3);

    // A call that runs and fails is a committed, failed receipt, not an exception.
    const failed = await client.send(Wallet.fromSecretKey(s2.secretKey), [{ module: "token", method: "burn", args: { from: to, amount: "1n" } }]);
    assert.equal(failed.receipt?.status, "failed");
    assert.equal(failed.receipt?.code, "EXEC_UNAUTHORIZED");

    // The block and its certificate check out through the SDK alone.
    const status = await client.status();
    const block = await client.getBlock(c.height!);
    assert.equal(verifyHeaderHash(block.header), true);
    assert.deepEqual(verifyCommitCertificate(block.header, block.commit, status.validators), { ok: true });
  });

  test("node errors surface as ApiError with the stable code", T, async () => {
    const client = dev.client;
    const wallet = dev.accounts[1].wallet;
    await assert.rejects(
      client.send(wallet, [{ module: "bank", method: "transfer", args: {} }]),
      (e: unknown) => e instanceof ApiError && e.status === 400 && e.code === "TX_UNKNOWN_MODULE" && Array.isArray(e.details.known),
    );
    await assert.rejects(client.getTx("00".repeat(32)), (e: unknown) => e instanceof ApiError && e.status === 404 && e.code === "TX_NOT_FOUND");
    await assert.rejects(client.getBlock(10_000), (e: unknown) => e instanceof ApiError && e.status === 404 && e.code === "BLOCK_NOT_FOUND");
    await assert.rejects(client.query("token", "nope"), (e: unknown) => e instanceof ApiError && e.code === "QUERY_UNKNOWN");
    await assert.rejects(client.send(wallet, [{ module: "token", method: "transfer", args: { to: "0x12", amount: "1n" } }]), (e: unknown) => e instanceof ApiError && e.code === "TX_BAD_ARGS");
    // A batch that is rejected as a whole still answers per item.
    const batch = await client.submitBatch(["zz", wallet.buildTx({ chain: "other", nonce: 0, calls: [{ module: "token", method: "transfer", args: { to: wallet.address, amount: "1n" } }] })]);
    assert.equal(batch.accepted, 0);
    assert.deepEqual(batch.results.map((r) => r.error?.code), ["TX_MALFORMED", "TX_WRONG_CHAIN"]);
    // Unreachable node.
    const gone = new CivitasClient("http://127.0.0.1:1", { timeoutMs: 2_000 });
    await assert.rejects(gone.health(), (e: unknown) => e instanceof ApiError && e.status === 0 && e.code === "NETWORK_ERROR");
  });
});

// RFC 9162 / Certificate Transparency reference leaves and the roots of their prefixes.
const LEAVES = CT_LEAVES;
const ROOTS = CT_ROOTS.slice(1);

/** Flips the last hex digit of a hash. */
const flip = (h: string): string => h.slice(0, -1) + (h.endsWith("0") ? "1" : "0");

/** Calls `f` and requires it to return false (or {ok:false}) without throwing. */
function refused(f: () => boolean | { ok: boolean }, what: string): void {
  const out: Array<boolean | { ok: boolean }> = [];
  assert.doesNotThrow(() => {
    out.push(f());
  }, what);
  const r = out[0];
  assert.equal(typeof r === "boolean" ? r : r.ok, false, what);
}

const throwingProxy = new Proxy(
  {},
  {
    get() {
      throw new Error("hostile getter");
    },
  },
);

describe("SDK Merkle helpers on hex leaves", () => {
  test("roots match the RFC 9162 reference vectors; leaf hashes match an independent SHA-256", () => {
    assert.equal(merkleRoot([]), createHash("sha256").update("").digest("hex"));
    for (let n = 1; n <= LEAVES.length; n++) assert.equal(merkleRoot(LEAVES.slice(0, n)), ROOTS[n - 1], `root of ${n} leaves`);
    for (const l of LEAVES) assert.equal(merkleLeafHash(l), createHash("sha256").update(Buffer.from("00" + l, "hex")).digest("hex"));
    assert.notEqual(merkleRoot(LEAVES, "sm2-sm3"), ROOTS[7], "the suite selects the hash");
  });

  test("every inclusion and consistency proof verifies, under both suites", () => {
    for (const suite of ["ed25519-sha256", "sm2-sm3"] as const) {
      for (let n = 1; n <= LEAVES.length; n++) {
        const leaves = LEAVES.slice(0, n);
        for (let i = 0; i < n; i++) {
          const p = inclusionProof(leaves, i, suite);
          assert.equal(p.root, merkleRoot(leaves, suite));
          assert.equal(p.leafHash, merkleLeafHash(leaves[i], suite));
          assert.equal(p.treeSize, n);
          assert.equal(verifyInclusion(p, suite), true, `${suite} inclusion ${i} of ${n}`);
        }
        for (let m = 0; m <= n; m++) {
          const c = consistencyProof(leaves, m, suite);
          assert.equal(c.root2, merkleRoot(leaves, suite));
          assert.equal(c.root1, merkleRoot(leaves.slice(0, m), suite));
          assert.equal(verifyConsistency(c, suite), true, `${suite} consistency ${m} -> ${n}`);
        }
      }
    }
    // A proof under one suite is not a proof under the other.
    assert.equal(verifyInclusion(inclusionProof(LEAVES, 3, "sm2-sm3")), false);
    assert.equal(verifyConsistency(consistencyProof(LEAVES, 3), "sm2-sm3"), false);
  });

  test("tampered inclusion proofs are refused without throwing", () => {
    const p: HexInclusionProof = inclusionProof(LEAVES.slice(0, 7), 5);
    assert.equal(verifyInclusion(p), true);
    const bad: Array<[string, unknown]> = [
      ["root", { ...p, root: flip(p.root) }],
      ["leaf", { ...p, leafHash: flip(p.leafHash) }],
      ["other leaf", { ...p, leafHash: merkleLeafHash(LEAVES[4]) }],
      ["sibling", { ...p, proof: [flip(p.proof[0]), ...p.proof.slice(1)] }],
      ["index + 1", { ...p, index: p.index + 1 }],
      ["index - 1", { ...p, index: p.index - 1 }],
      ["index = size", { ...p, index: p.treeSize }],
      ["negative index", { ...p, index: -1 }],
      ["fractional index", { ...p, index: 5.5 }],
      ["index as text", { ...p, index: "5" }],
      // (A size with the same path shape, e.g. 8 here, is indistinguishable by RFC 9162 design:
      // the signed tree head binds size to root. Sizes that change the shape must fail.)
      ["size - 1", { ...p, treeSize: p.treeSize - 1 }],
      ["size * 2", { ...p, treeSize: p.treeSize * 2 }],
      ["size 0", { ...p, treeSize: 0 }],
      ["huge size", { ...p, treeSize: Number.MAX_SAFE_INTEGER + 2 }],
      ["NaN size", { ...p, treeSize: NaN }],
      ["extra sibling", { ...p, proof: [...p.proof, p.proof[0]] }],
      ["missing sibling", { ...p, proof: p.proof.slice(1) }],
      ["no siblings", { ...p, proof: [] }],
      ["upper-case hex", { ...p, root: p.root.toUpperCase() }],
      ["0x prefix", { ...p, leafHash: "0x" + p.leafHash }],
      ["short hash", { ...p, root: p.root.slice(2) }],
      ["sibling not a string", { ...p, proof: [42, ...p.proof.slice(1)] }],
      ["proof not an array", { ...p, proof: "abc" }],
      ["proof null", { ...p, proof: null }],
      ["empty object", {}],
      ["null", null],
      ["undefined", undefined],
      ["a string", "proof"],
      ["hostile getters", throwingProxy],
    ];
    for (const [what, q] of bad) refused(() => verifyInclusion(q as HexInclusionProof), `inclusion: ${what}`);
    refused(() => verifyInclusion(p, "no-such-suite" as never), "unknown suite");
  });

  test("tampered consistency proofs are refused without throwing", () => {
    const c: HexConsistencyProof = consistencyProof(LEAVES, 3);
    assert.equal(verifyConsistency(c), true);
    const bad: Array<[string, unknown]> = [
      ["root1", { ...c, root1: flip(c.root1) }],
      ["root2", { ...c, root2: flip(c.root2) }],
      ["swapped roots", { ...c, root1: c.root2, root2: c.root1 }],
      ["proof node", { ...c, proof: [flip(c.proof[0]), ...c.proof.slice(1)] }],
      ["size1 + 1", { ...c, size1: 4 }],
      ["size2 halved", { ...c, size2: 4 }],
      ["size2 doubled", { ...c, size2: 16 }],
      ["size1 > size2", { ...c, size1: 9 }],
      ["negative size", { ...c, size1: -3 }],
      ["missing node", { ...c, proof: c.proof.slice(1) }],
      ["extra node", { ...c, proof: [...c.proof, c.proof[0]] }],
      ["same size, different roots", { size1: 8, size2: 8, root1: c.root1, root2: c.root2, proof: [] }],
      ["from the empty tree with a bogus root", { size1: 0, size2: 8, root1: c.root1, root2: c.root2, proof: [] }],
      ["proof null", { ...c, proof: null }],
      ["null", null],
      ["a number", 7],
      ["hostile getters", throwingProxy],
    ];
    for (const [what, q] of bad) refused(() => verifyConsistency(q as HexConsistencyProof), `consistency: ${what}`);
    refused(() => verifyConsistency(c, "no-such-suite" as never), "unknown suite");
  });

  test("the node-facing verifiers refuse junk without throwing", () => {
    const junk: unknown[] = [null, undefined, {}, "x", 1, throwingProxy, { proof: null, header: null }];
    for (const [i, j] of junk.entries()) {
      refused(() => verifyTxInclusion(j as never, "00"), `verifyTxInclusion(junk ${i})`);
      refused(() => verifyStateProof(j as never, "00".repeat(32)), `verifyStateProof(junk ${i})`);
      refused(() => verifyHeaderHash(j as never), `verifyHeaderHash(junk ${i})`);
      refused(() => verifyCommitCertificate(j as never, j as never, []), `verifyCommitCertificate(junk ${i})`);
    }
  });
});

describe("SDK entry point", () => {
  test("imports no Node built-ins or native/server packages", () => {
    const here = dirname(fileURLToPath(import.meta.url)); // dist/test/e2e
    const entry = resolve(here, "../../src/sdk/index.js");
    assert.ok(existsSync(entry), `${entry} is built`);
    const specifier = /(?:^|[;\s])(?:import|export)\s*(?:[^'";]*?\sfrom\s*)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|require\(\s*["']([^"']+)["']\s*\)/g;
    const files = new Set<string>();
    const bare = new Map<string, string>();
    const walk = (file: string): void => {
      if (files.has(file)) return;
      files.add(file);
      const src = readFileSync(file, "utf8");
      for (const m of src.matchAll(specifier)) {
        const s = m[1] ?? m[2] ?? m[3];
        if (s.startsWith(".")) walk(resolve(dirname(file), s));
        else bare.set(s, file);
      }
      // Code (not comments) must not lean on Node globals either.
      const code = src.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:])\/\/.*$/gm, "$1");
      assert.doesNotMatch(code, /\bBuffer\b|(?<![\w.$])process\s*\.|\b__dirname\b|(?<![\w.$])require\s*\(/, `${file} uses a Node global`);
    };
    walk(entry);
    assert.ok(files.size >= 8, `walked ${files.size} files`);
    assert.ok([...files].some((f) => f.endsWith("/sdk/proofs.js")) && [...files].some((f) => f.endsWith("/crypto/portable-suites.js")));
    const node = new Set(builtinModules);
    const banned = ["sodium-native", "lmdb", "fastify", "pino", "ws", "sm-crypto", "commander", "cli-progress"];
    for (const [s, file] of bare) {
      assert.ok(!s.startsWith("node:"), `${file} imports ${s}`);
      assert.ok(!node.has(s) && !node.has(s.split("/")[0]), `${file} imports the built-in ${s}`);
      assert.ok(!banned.some((b) => s === b || s.startsWith(b + "/") || s.startsWith("@fastify/")), `${file} imports ${s}`);
    }
    // jose (credentials) and asn1js/pkijs (RFC 3161 tokens) are WebCrypto libraries made for browsers;
    // test/unit/vc-browser.test.ts and sdk-browser.test.ts run the bundled SDK in a bare V8 context.
    const browserSafe = (s: string): boolean => s.startsWith("@noble/") || s === "cborg" || s.startsWith("cborg/") || s === "jose" || s === "asn1js" || s === "pkijs";
    assert.ok([...bare.keys()].every(browserSafe), `only browser-safe packages: ${[...bare.keys()].join(", ")}`);
    // The node-only modules are not reachable at all.
    for (const f of files) assert.doesNotMatch(f, /(node-suites|keystore|verify-pool|verify-worker|chain-store|\/api\/|\/node\/)/, `${f} reached from the SDK`);
  });
});
