/**
 * The `access` module on a real chain (tmp LMDB, blocks proposed and committed by the test):
 * an authorisation matrix of roles x actions x resources with ABAC conditions on a call
 * argument and on attested credential claims (real identity transactions and a real VC-JWT),
 * changes effective from the next block, credential revocation reaching decisions, delegated
 * administration, the root administrator's bypass, history, invalid policy text, and a replay
 * of every block on a fresh node (cold caches) reaching the same state roots.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Receipt } from "../../src/ledger/receipt.js";
import { builtinModules } from "../../src/modules/index.js";
import { Chain } from "../../src/node/chain.js";
import type { CallInput } from "../../src/sdk/wallet.js";
import { Wallet } from "../../src/sdk/wallet.js";
import { equalBytes, fromUtf8, toHex } from "../../src/util/bytes.js";
import { ErrorCode } from "../../src/util/errors.js";
import { ChainDriver, makeFixture } from "../e2e/helpers/proc-chain.js";
import { CHAIN, did, documentJson, keyAccount, STATUS_LIST_SIZE, vcJwt } from "./identity-helpers.js";
import type { KeyAccount } from "./identity-helpers.js";

const T = { timeout: 120_000 };

const acc = (method: string, args: Record<string, unknown>): CallInput => ({ module: "access", method, args });
const idc = (method: string, args: Record<string, unknown>): CallInput => ({ module: "identity", method, args });
const transfer = (to: string, amount: number): CallInput => ({ module: "token", method: "transfer", args: { to, amount } });
const kvCreate = (namespace: string): CallInput => ({ module: "kv", method: "createNamespace", args: { namespace } });

type Sender = Wallet | KeyAccount;
const w = (s: Sender): Wallet => (s instanceof Wallet ? s : s.wallet);

async function block(d: ChainDriver, txs: Array<[Sender, CallInput[]]>): Promise<Receipt[]> {
  const signed = txs.map(([s, calls]) => d.tx(w(s), calls));
  const hashes = signed.length ? await d.submit(signed) : [];
  await d.produce();
  return hashes.map((h) => {
    const t = d.chain.getTx(Buffer.from(h, "hex"));
    assert.ok(t, `transaction ${h} included`);
    return t.receipt;
  });
}

function ok(r: Receipt, what = ""): void {
  assert.equal(r.status, "ok", `${what}: expected ok, got ${r.code}: ${r.message}`);
}

function denied(r: Receipt, what = "", code: string = ErrorCode.ACCESS_DENIED): void {
  assert.equal(r.status, "failed", `${what}: expected ${code}, got ok`);
  assert.equal(r.code, code, `${what}: ${r.message}`);
  assert.deepEqual(r.events, []);
}

const q = (d: ChainDriver, name: string, args: Record<string, unknown> = {}): unknown => d.chain.query("access", name, args).value;
const balance = (d: ChainDriver, a: string): unknown => d.chain.query("token", "balance", { address: a }).value;

function accessState(d: ChainDriver): string {
  const out: string[] = [];
  for (const { key, value } of d.chain.store.stateEntries()) if (fromUtf8(key).startsWith("access/")) out.push(`${fromUtf8(key)}=${toHex(value)}`);
  return out.join("\n");
}

const POLICIES = {
  "kv-writers": `permit (principal in Role::"writer", action in Action::"call:kv", resource) unless { resource == Namespace::"locked" };`,
  "small-payments": `permit (principal in Role::"payer", action == Action::"token.transfer", resource) when { context.args.amount <= 1000 };`,
  "kyc-payments": `permit (principal, action == Action::"token.transfer", resource) when { principal.claims has KycCredential && principal.claims.KycCredential.level >= 2 };`,
  "admin-calls": `permit (principal, action in [Action::"call:access", Action::"call:identity"], resource);`,
};

test("authorisation matrix, next-block effect, revocation, delegation, history and replay on a real chain", T, async () => {
  const root = await mkdtemp(join(tmpdir(), "civitas-access-"));
  const f = makeFixture({ chainId: CHAIN, wallets: 3 });
  const d = await ChainDriver.open(join(root, "chain"), f);
  const [authority, alice, bob] = f.wallets;
  const issuer = keyAccount(f);
  const carol = keyAccount(f);
  const erin = keyAccount(f);
  const dave = keyAccount(f);
  const [issuerDid, carolDid, erinDid] = [did("kyc-org"), did("carol"), did("erin")];
  try {
    // ---- genesis: the baseline keeps every call working ----------------------------------
    const meta0 = q(d, "meta") as { version: number; changes: number };
    assert.equal(meta0.version, 1);
    assert.deepEqual(q(d, "policies"), ["baseline-calls", "baseline-chain-data-reads", "baseline-operator", "baseline-own-account", "baseline-provenance", "baseline-public-reads", "baseline-regulator"]);
    ok((await block(d, [[alice, [transfer(bob.address, 1)]]]))[0], "baseline transfer");

    // ---- identity: an issuer, two subjects with KYC credentials of level 3 and 1 ---------
    for (const r of await block(d, [
      [issuer, [idc("createDid", { did: issuerDid, kind: "organisation", document: documentJson([issuer.publicKey]) })]],
      [carol, [idc("createDid", { did: carolDid, kind: "person", document: documentJson([carol.publicKey]) })]],
      [erin, [idc("createDid", { did: erinDid, kind: "person", document: documentJson([erin.publicKey]) })]],
    ]))
      ok(r, "createDid");
    for (const r of await block(d, [
      [authority, [idc("registerIssuer", { did: issuerDid, types: "KycCredential" }), { module: "token", method: "mint", args: { to: carol.address, amount: 100_000 } }, { module: "token", method: "mint", args: { to: erin.address, amount: 100_000 } }]],
      [carol, [idc("createAccount", { address: carol.address, did: carolDid, reason: "onboarding" })]],
      [erin, [idc("createAccount", { address: erin.address, did: erinDid, reason: "onboarding" })]],
    ]))
      ok(r, "issuer and accounts");
    ok((await block(d, [[issuer, [idc("createStatusList", { issuer: issuerDid, listId: "rl1", size: STATUS_LIST_SIZE })]]]))[0], "status list");
    const kyc = (subject: string, level: number, index: number): string => vcJwt(f, { issuer: issuerDid, keyNumber: 1, secretKey: issuer.secretKey, subject, types: ["KycCredential"], claims: { level }, index });
    for (const r of await block(d, [[issuer, [idc("attestClaims", { jwt: kyc(carolDid, 3, 11) }), idc("attestClaims", { jwt: kyc(erinDid, 1, 12) })]]])) ok(r, "attestClaims");

    // ---- replace the open baseline by roles and conditions --------------------------------
    const setup = await block(d, [
      [
        authority,
        [
          ...Object.entries(POLICIES).map(([id, text]) => acc("setPolicy", { id, text })),
          acc("removePolicy", { id: "baseline-calls" }),
          acc("setRoleParents", { role: "editor", parents: "writer" }),
          acc("grantRole", { role: "editor", member: dave.address }),
          acc("grantRole", { role: "payer", member: alice.address }),
        ],
      ],
      // Same block as the change: still decided by the base state (baseline-calls permits it).
      [bob, [transfer(alice.address, 1)]],
    ]);
    ok(setup[0], "policy setup");
    ok(setup[1], "bob's transfer in the block that removes baseline-calls");

    // ---- the matrix: role x action x resource, ABAC on an argument and on claims ---------
    const bobBefore = balance(d, bob.address);
    const m = await block(d, [
      [alice, [transfer(bob.address, 500)]], //  0 payer, amount <= 1000
      [bob, [transfer(alice.address, 1)]], //    1 no role, no claims
      [carol, [transfer(bob.address, 5000)]], // 2 KYC level 3
      [erin, [transfer(bob.address, 1)]], //     3 KYC level 1
      [dave, [kvCreate("dave-ns")]], //          4 editor in writer
      [authority, [kvCreate("authority-ns")]], // 5 the authority has no role either
    ]);
    ok(m[0], "payer transfer of 500");
    denied(m[1], "bob without role");
    ok(m[2], "carol with a level-3 KYC credential");
    denied(m[3], "erin with a level-1 KYC credential");
    ok(m[4], "editor inherits writer");
    denied(m[5], "authority without the writer role");
    assert.match(m[1].message, /no policy permits it/);
    assert.equal(balance(d, bob.address), (BigInt(bobBefore as string) + 500n + 5000n).toString(), "only the permitted transfers moved funds");
    const m2 = await block(d, [
      [alice, [transfer(bob.address, 5000)]], // 0 payer over the argument limit
      [dave, [kvCreate("locked")]], //           1 writer, excluded resource
      [alice, [kvCreate("alice-ns")]], //        2 payer is not a writer
      [dave, [transfer(bob.address, 1)]], //     3 writer is not a payer
      [bob, [kvCreate("bob-ns")]], //            4 nobody
    ]);
    denied(m2[0], "payer above 1000");
    denied(m2[1], "namespace 'locked'");
    denied(m2[2], "payer writing kv");
    denied(m2[3], "writer paying");
    denied(m2[4], "bob writing kv");

    // ---- a grant takes effect at the next block -----------------------------------------
    const g = await block(d, [
      [authority, [acc("grantRole", { role: "writer", member: bob.address })]],
      [bob, [kvCreate("bob-ns")]],
    ]);
    ok(g[0]);
    denied(g[1], "bob in the block of his grant");
    ok((await block(d, [[bob, [kvCreate("bob-ns")]]]))[0], "bob a block later");

    // ---- revoking carol's credential reaches the (cached) decision ------------------------
    ok((await block(d, [[carol, [transfer(bob.address, 1)]]]))[0], "carol before revocation (cached allow)");
    ok((await block(d, [[issuer, [idc("setCredentialStatus", { issuer: issuerDid, listId: "rl1", index: 11, revoked: 1, reason: "fraud" })]]]))[0]);
    denied((await block(d, [[carol, [transfer(bob.address, 1)]]]))[0], "carol after revocation");

    // ---- delegated administration ---------------------------------------------------------
    denied((await block(d, [[bob, [acc("setPolicy", { id: "kv-writers", text: POLICIES["kv-writers"] })]]]))[0], "non-admin setPolicy", ErrorCode.EXEC_UNAUTHORIZED);
    ok((await block(d, [[authority, [acc("addAdmin", { scope: "policy:kv-writers", member: bob.address }), acc("addAdmin", { scope: "role:payer", member: carolDid })]]]))[0]);
    const del = await block(d, [
      [bob, [acc("setPolicy", { id: "kv-writers", text: `permit (principal in Role::"writer", action in Action::"call:kv", resource);` })]],
      [bob, [acc("removePolicy", { id: "small-payments" })]],
      [carol, [acc("grantRole", { role: "payer", member: erin.address })]], // carol acts as her DID
      [carol, [acc("grantRole", { role: "writer", member: erin.address })]],
    ]);
    ok(del[0], "policy admin replaces its policy");
    denied(del[1], "policy admin removing another policy", ErrorCode.EXEC_UNAUTHORIZED);
    ok(del[2], "role admin (through her DID) grants its role");
    denied(del[3], "role admin granting another role", ErrorCode.EXEC_UNAUTHORIZED);
    ok((await block(d, [[dave, [kvCreate("locked")]]]))[0], "the replaced kv-writers no longer excludes 'locked'");
    ok((await block(d, [[erin, [transfer(bob.address, 10)]]]))[0], "erin as payer");

    // ---- invalid policy text: POLICY_INVALID, nothing stored --------------------------------
    const before = accessState(d);
    const bad = await block(d, [
      [authority, [acc("setPolicy", { id: "broken", text: "permit (principal, action, resource) when { x };" })]],
      [authority, [acc("setPolicy", { id: "template", text: `permit (principal == ?principal, action, resource);` })]],
      [authority, [acc("grantRole", { role: "auditor", member: alice.address }), acc("setPolicy", { id: "broken", text: "forbid (" })]],
    ]);
    for (const r of bad) denied(r, "invalid policy text", ErrorCode.POLICY_INVALID);
    assert.match(bad[0].message, /does not parse/);
    assert.equal(accessState(d), before, "a refused change leaves the access state alone (the grant in the same transaction too)");

    // ---- the root administrator can repair a lock-out ------------------------------------
    ok((await block(d, [[authority, [acc("setPolicy", { id: "lockdown", text: `forbid (principal, action, resource);` })]]]))[0]);
    const locked = await block(d, [
      [alice, [transfer(bob.address, 1)]],
      [authority, [transfer(bob.address, 1)]],
      [authority, [acc("removePolicy", { id: "lockdown" })]],
    ]);
    denied(locked[0], "lockdown: alice");
    denied(locked[1], "lockdown: the authority's transfer");
    assert.deepEqual((locked[0].message.match(/denied by ([a-z-]+)/) ?? [])[1], "lockdown");
    ok(locked[2], "the authority's access calls bypass the policies");
    ok((await block(d, [[alice, [transfer(bob.address, 1)]]]))[0], "after the repair");

    // ---- history ---------------------------------------------------------------------------
    const kv = q(d, "policy", { id: "kv-writers" }) as { revision: number; admins: string[]; active: boolean };
    assert.equal(kv.revision, 2);
    assert.deepEqual(kv.admins, [bob.address]);
    const r1 = q(d, "revision", { id: "kv-writers", revision: 1 }) as { text: string; actor: string };
    const r2 = q(d, "revision", { id: "kv-writers", revision: 2 }) as { text: string; actor: string };
    assert.equal(r1.text, POLICIES["kv-writers"]);
    assert.equal(r1.actor, authority.address);
    assert.equal(r2.actor, bob.address);
    const removed = q(d, "policy", { id: "lockdown" }) as { active: boolean; revision: number };
    assert.deepEqual([removed.active, removed.revision], [false, 2]);
    const meta = q(d, "meta") as { version: number; changes: number };
    const log = Array.from({ length: meta.changes }, (_, i) => q(d, "change", { seq: i }) as { kind: string; target: string; member: string; actor: string });
    assert.equal(log[0].kind, "genesis");
    assert.deepEqual(
      log.slice(1).map((c) => `${c.kind} ${c.target} ${c.member}`.trim()),
      [
        ...Object.keys(POLICIES).map((id) => `policySet ${id}`),
        "policyRemoved baseline-calls",
        "roleParentsSet editor",
        `roleGranted editor ${dave.address}`,
        `roleGranted payer ${alice.address}`,
        `roleGranted writer ${bob.address}`,
        `adminAdded policy:kv-writers ${bob.address}`,
        `adminAdded role:payer ${carolDid}`,
        "policySet kv-writers",
        `roleGranted payer ${erin.address}`,
        "policySet lockdown",
        "policyRemoved lockdown",
      ],
    );
    assert.deepEqual(q(d, "grants", { member: erin.address }), ["payer"]);

    // ---- determinism: a fresh node (cold caches) replays every block to the same roots ----
    const replica = await Chain.open(join(root, "replica"), f.genesis, builtinModules());
    try {
      for (let h = 1; h <= d.chain.head().height; h++) {
        const b = d.chain.getBlock(h);
        assert.ok(b);
        await replica.commit(b);
        assert.ok(equalBytes(replica.headBlockHeader().stateRoot, b.header.stateRoot), `state root of block ${h}`);
      }
    } finally {
      await replica.close();
    }
  } finally {
    await d.close();
    await rm(root, { recursive: true, force: true });
  }
});
