/**
 * Trusted time at registration (X.1407 8.2.3): the chain trusts the TSA roots of its genesis
 * (and those the authority adds); a registration's RFC 3161 token must be for the registered
 * fingerprint, chain to a trusted root and carry a genTime within the allowed skew of the block
 * time. Every refusal is typed and stores nothing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createNetworkCa } from "../../src/p2p/certs.js";
import { TimeStampAuthority } from "../../src/proof/tsa/authority.js";
import { issueTsaCert } from "../../src/proof/tsa/issue.js";
import { PROOF_LIMITS } from "../../src/modules/proof/index.js";
import { toHex } from "../../src/util/bytes.js";
import { ErrorCode } from "../../src/util/errors.js";
import { makeFixture } from "../e2e/helpers/proc-chain.js";
import { CHAIN, createOwner, failed, ok, ProofChain, proofState, registerArgs } from "./proof-helpers.js";

async function tsaUnder(caName: string, clock: { now: number }): Promise<{ caPem: string; tsa: TimeStampAuthority }> {
  const ca = await createNetworkCa({ name: caName });
  const cert = await issueTsaCert(ca, { name: `${caName} TSA` });
  return { caPem: ca.certPem, tsa: await TimeStampAuthority.create({ certPem: cert.certPem, keyPem: cert.keyPem, now: () => clock.now }) };
}

const fingerprint = (s: string): string => createHash("sha256").update(s).digest("hex");

test("registration tokens: trusted roots from genesis, imprint, skew, untrusted CA; authority adds and removes roots", async () => {
  const clock = { now: 0 };
  const home = await tsaUnder("prooftest network CA", clock);
  const foreign = await tsaUnder("foreign CA", clock);
  const root = await mkdtemp(join(tmpdir(), "civitas-proof-tsa-"));
  const c = await ProofChain.open(join(root, "chain"), makeFixture({ chainId: CHAIN, wallets: 3, tsaRoots: [home.caPem] }));
  try {
    await c.produce();
    const uni = await createOwner(c, "university");
    const authority = c.f.wallets[0];
    // Block times near now: the TSA certificates are valid from an hour ago.
    const next = (): number => Math.max(c.chain.head().time + 1000, Date.now());
    const token = async (tsa: TimeStampAuthority, fp: string, at: number): Promise<string> => {
      clock.now = at;
      return toHex(await tsa.token({ algorithm: "SHA-256", hash: Buffer.from(fp, "hex"), certReq: true }));
    };
    const roots = c.chain.query("proof", "tsaRoots", {}).value as Array<{ id: string; subject: string }>;
    assert.equal(roots.length, 1);
    assert.match(roots[0].subject, /prooftest network CA/);

    // A good token: the record carries the TSA's time and name.
    const t = next();
    const fp1 = fingerprint("diploma 1");
    const r1 = await c.run(uni.wallet, "register", { ...registerArgs(c, uni, { fingerprint: fp1 }), tsaToken: await token(home.tsa, fp1, t - 2_000) }, t);
    ok(r1);
    const rec = c.chain.query("proof", "record", { fingerprint: fp1 }).value as { tsa: { genTime: number; tsa: string } | null };
    assert.equal(rec.tsa?.genTime, t - 2_000);
    assert.match(rec.tsa?.tsa ?? "", /prooftest network CA TSA/);

    // Refusals, each typed and storing nothing.
    const before = proofState(c);
    const fp2 = fingerprint("diploma 2");
    const t2 = next();
    failed(await c.run(uni.wallet, "register", { ...registerArgs(c, uni, { fingerprint: fp2 }), tsaToken: await token(home.tsa, fp1, t2) }, t2), ErrorCode.TSA_TOKEN_INVALID, /imprint/);
    const t3 = next();
    failed(await c.run(uni.wallet, "register", { ...registerArgs(c, uni, { fingerprint: fp2 }), tsaToken: await token(foreign.tsa, fp2, t3) }, t3), ErrorCode.TSA_UNTRUSTED);
    const t4 = next();
    failed(await c.run(uni.wallet, "register", { ...registerArgs(c, uni, { fingerprint: fp2 }), tsaToken: await token(home.tsa, fp2, t4 - PROOF_LIMITS.maxTsaSkewMs - 1) }, t4), ErrorCode.TSA_TIME_SKEW);
    const t5 = next();
    failed(await c.run(uni.wallet, "register", { ...registerArgs(c, uni, { fingerprint: fp2 }), tsaToken: "3082000102" }, t5), ErrorCode.TSA_TOKEN_INVALID);
    assert.deepEqual(proofState(c), before, "refused registrations change nothing");

    // Only the authority changes the roots; the foreign CA's tokens count from the next block.
    failed(await c.run(uni.wallet, "addTsaRoot", { certificate: foreign.caPem, reason: "x" }), ErrorCode.EXEC_UNAUTHORIZED);
    failed(await c.run(authority, "addTsaRoot", { certificate: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", reason: "x" }), ErrorCode.PROOF_INVALID, /certificate/);
    ok(await c.run(authority, "addTsaRoot", { certificate: foreign.caPem, reason: "partner TSA" }));
    failed(await c.run(authority, "addTsaRoot", { certificate: foreign.caPem, reason: "again" }), ErrorCode.PROOF_INVALID, /already trusted/);
    const t6 = next();
    ok(await c.run(uni.wallet, "register", { ...registerArgs(c, uni, { fingerprint: fp2 }), tsaToken: await token(foreign.tsa, fp2, t6) }, t6));
    const foreignId = (c.chain.query("proof", "tsaRoots", {}).value as Array<{ id: string; subject: string }>).find((x) => /foreign/.test(x.subject))!.id;
    ok(await c.run(authority, "removeTsaRoot", { id: foreignId, reason: "contract ended" }));
    const fp3 = fingerprint("diploma 3");
    const t7 = next();
    failed(await c.run(uni.wallet, "register", { ...registerArgs(c, uni, { fingerprint: fp3 }), tsaToken: await token(foreign.tsa, fp3, t7) }, t7), ErrorCode.TSA_UNTRUSTED);
    // The record registered while the root was trusted keeps its verdict.
    assert.match((c.chain.query("proof", "record", { fingerprint: fp2 }).value as { tsa: { tsa: string } }).tsa.tsa, /foreign CA TSA/);
  } finally {
    await c.close();
    await rm(root, { recursive: true, force: true });
  }
});

test("genesis tsaRoots: only PEM certificates, at most 16; absent keeps the genesis hash", async () => {
  const { parseGenesis, genesisHashHex } = await import("../../src/ledger/genesis.js");
  const { getNodeSuite } = await import("../../src/crypto/node-suites.js");
  const f = makeFixture();
  const base = JSON.parse(JSON.stringify(f.genesis)) as Record<string, unknown>;
  assert.equal(genesisHashHex(getNodeSuite("ed25519-sha256"), parseGenesis(base)), genesisHashHex(getNodeSuite("ed25519-sha256"), f.genesis));
  assert.throws(() => parseGenesis({ ...base, tsaRoots: "x" }), /tsaRoots/);
  assert.throws(() => parseGenesis({ ...base, tsaRoots: ["not a pem"] }), /tsaRoots\[0\]/);
  const ca = await createNetworkCa({ name: "g" });
  assert.throws(() => parseGenesis({ ...base, tsaRoots: Array(17).fill(ca.certPem) }), /at most 16/);
  assert.deepEqual(parseGenesis({ ...base, tsaRoots: [ca.certPem] }).tsaRoots, [ca.certPem]);
});
