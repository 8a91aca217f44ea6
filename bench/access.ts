/**
 * `npm run bench -- --access` (or `node dist/bench/access.js`): access decisions per second on
 * the execution path and the cost they add to a transaction.
 *
 *  1. Cedar alone: stateless `isAuthorized` and preparsed `statefulIsAuthorized` (reference).
 *  2. The guard's decision path (`AccessModule.decide` over state reads), with a role policy
 *     that makes every principal distinct: cold (every decision evaluated by Cedar) and cached
 *     (the same principals again), and with the baseline policy set (decisions that depend on
 *     the action only).
 *  3. Cost per transaction: the same signed transfers executed by a BlockRun (in-memory state)
 *     with and without the access module, under the baseline and under the role policy.
 * Table on stderr, JSON on stdout.
 */
import { availableParallelism } from "node:os";
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import { getNodeSuite } from "../src/crypto/node-suites.js";
import { execCrypto, Executor } from "../src/execution/executor.js";
import type { StateReader } from "../src/execution/executor.js";
import type { Module } from "../src/execution/module.js";
import { ModuleRegistry } from "../src/execution/registry.js";
import { signTx } from "../src/ledger/tx.js";
import type { SignedTx } from "../src/ledger/tx.js";
import { encodeRoles, grantKey } from "../src/access/state.js";
import { createAccessModule } from "../src/modules/access/index.js";
import type { AccessModule } from "../src/modules/access/index.js";
import { BASELINE_POLICIES } from "../src/modules/access/baseline.js";
import { identityModule, kvModule, tokenModule, validatorsModule } from "../src/modules/index.js";
import { fromHex, fromUtf8 } from "../src/util/bytes.js";
import { round } from "./common.js";

const suite = getNodeSuite("ed25519-sha256");
const CHAIN = "access-bench";
const PRINCIPALS = Number(process.env.BENCH_ACCESS_PRINCIPALS ?? 2_000);
const TXS = Number(process.env.BENCH_ACCESS_TXS ?? 20_000);

const ROLE_POLICIES = [
  ...BASELINE_POLICIES.filter((p) => p.id !== "baseline-calls"),
  { id: "payers", text: `permit (principal in Role::"payer", action == Action::"token.transfer", resource) when { context.args.amount <= 1000000 };` },
];

class MemState implements StateReader {
  readonly m = new Map<string, Uint8Array>();
  get(k: string): Uint8Array | undefined {
    return this.m.get(k);
  }
}

function perSecond(n: number, fn: (i: number) => void): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  return n / ((performance.now() - t0) / 1000);
}

/** A chain state with the access module under `policies`, every sender funded and (optionally) a payer. */
function makeState(policies: ReadonlyArray<{ id: string; text: string }>, senders: string[], withAccess: boolean): { executor: Executor; state: MemState; access?: AccessModule } {
  const access = withAccess ? createAccessModule({ baseline: policies }) : undefined;
  const modules: Module[] = [tokenModule, kvModule, validatorsModule, identityModule, ...(access ? [access] : [])];
  const executor = new Executor(new ModuleRegistry(modules), execCrypto(suite));
  const state = new MemState();
  for (const c of executor.genesisChanges({ authority: senders[0], validators: [], balances: senders.map((a) => ({ address: a, amount: "1000000000" })) })) state.m.set(fromUtf8(c.key), c.value as Uint8Array);
  // Every sender holds the payer role (as access.grantRole would have written it).
  if (access) for (const a of senders) state.m.set(`access/${grantKey(a)}`, encodeRoles(["payer"]));
  return { executor, state, access };
}

function signTransfers(keys: Array<{ secretKey: Uint8Array; address: string }>, n: number): Array<{ tx: SignedTx; hash: Uint8Array }> {
  const out: Array<{ tx: SignedTx; hash: Uint8Array }> = [];
  for (let i = 0; i < n; i++) {
    const k = keys[i % keys.length];
    const tx = signTx(suite, { chain: CHAIN, from: fromHex(k.address), nonce: Math.floor(i / keys.length), expires: Date.now() + 3_600_000, gasLimit: 100_000, calls: [{ module: "token", method: "transfer", args: { to: keys[0].address, amount: 1 } }], memo: "" }, k.secretKey);
    out.push({ tx, hash: suite.hash(tx.bodyBytes) });
  }
  return out;
}

/** µs per transaction of executing `txs` in blocks of 2,000 (apply + finish; state kept in memory). */
function execUs(policies: ReadonlyArray<{ id: string; text: string }>, addresses: string[], txs: Array<{ tx: SignedTx; hash: Uint8Array }>, withAccess: boolean): { us: number; failed: number } {
  const { executor, state } = makeState(policies, addresses, withAccess);
  let failed = 0;
  const t0 = performance.now();
  for (let start = 0, h = 1; start < txs.length; start += 2_000, h++) {
    const run = executor.beginBlock(state, { chain: CHAIN, height: h, time: 1_700_000_000_000 + h * 1000, authority: addresses[0] });
    for (const t of txs.slice(start, start + 2_000)) {
      const out = run.applyTx(t.tx, t.hash, 2_000_000_000);
      if (!out.included || out.receipt.status !== "ok") failed++;
    }
    for (const c of run.finish()) {
      if (c.value) state.m.set(fromUtf8(c.key), c.value);
      else state.m.delete(fromUtf8(c.key));
    }
  }
  return { us: ((performance.now() - t0) * 1000) / txs.length, failed };
}

const keys = Array.from({ length: PRINCIPALS }, () => {
  const kp = suite.generateKeyPair();
  return { secretKey: kp.secretKey, address: suite.address(kp.publicKey) };
});
const addresses = keys.map((k) => k.address);

// 1. Cedar alone.
const policyText = ROLE_POLICIES.map((p) => p.text).join("\n");
const entities = [
  { uid: { type: "Account", id: addresses[1] }, attrs: {}, parents: [{ type: "Role", id: "payer" }] },
  { uid: { type: "Role", id: "payer" }, attrs: {}, parents: [] },
  { uid: { type: "Action", id: "token.transfer" }, attrs: {}, parents: [] },
];
const request = { principal: { type: "Account", id: addresses[1] }, action: { type: "Action", id: "token.transfer" }, resource: { type: "Account", id: addresses[0] }, context: { height: 1, time: 1, args: { amount: 1, to: addresses[0] } } };
const stateless = perSecond(2_000, () => cedar.isAuthorized({ ...request, policies: { staticPolicies: policyText }, entities }));
cedar.preparsePolicySet("bench", { staticPolicies: policyText });
const stateful = perSecond(5_000, () => cedar.statefulIsAuthorized({ ...request, preparsedPolicySetId: "bench", entities }));

// 2. The guard's decision path.
function decisionRates(policies: ReadonlyArray<{ id: string; text: string }>): { cold: number; cached: number; cedarCalls: number } {
  const { state, access } = makeState(policies, addresses, true);
  const mod = access as AccessModule;
  const read = (m: string, k: string): Uint8Array | undefined => state.get(`${m}/${k}`);
  const req = (i: number): Parameters<AccessModule["decide"]>[1] => ({ principal: { type: "Account", id: addresses[i % addresses.length] }, action: "token.transfer", kind: "call", resource: { type: "Account", id: addresses[0] }, context: { height: 1, time: 1, args: { amount: 1, to: addresses[0] } }, module: "token", time: 1 });
  mod.decide(read, req(0)); // compile the policy set outside the timed loops
  const before = mod.engine.stats.cedarCalls;
  const cold = perSecond(addresses.length - 1, (i) => mod.decide(read, req(i + 1)));
  const cached = perSecond(addresses.length * 5, (i) => mod.decide(read, req(i)));
  return { cold, cached, cedarCalls: mod.engine.stats.cedarCalls - before };
}
const roleRates = decisionRates(ROLE_POLICIES);
const baseRates = decisionRates(BASELINE_POLICIES);

// 3. Cost per transaction.
const txs = signTransfers(keys, TXS);
execUs(BASELINE_POLICIES, addresses, txs.slice(0, 2_000), true); // warm-up (JIT, wasm)
const without = execUs(BASELINE_POLICIES, addresses, txs, false);
const withBaseline = execUs(BASELINE_POLICIES, addresses, txs, true);
const withRoles = execUs(ROLE_POLICIES, addresses, txs, true);
const SOLO_TPS = Number(process.env.BENCH_ACCESS_SOLO_TPS ?? 4_000);
const budgetUs = 1e6 / SOLO_TPS;
const overhead = (x: { us: number }): number => x.us - without.us;

const result = {
  benchmark: "access",
  principals: PRINCIPALS,
  transactions: TXS,
  cedar: { statelessPerSecond: Math.round(stateless), preparsedPerSecond: Math.round(stateful) },
  decisions: {
    rolePolicy: { coldPerSecond: Math.round(roleRates.cold), cachedPerSecond: Math.round(roleRates.cached), cedarCallsCold: roleRates.cedarCalls },
    baseline: { firstPerSecond: Math.round(baseRates.cold), cachedPerSecond: Math.round(baseRates.cached), cedarCalls: baseRates.cedarCalls },
  },
  execution: {
    withoutAccessUsPerTx: round(without.us),
    baselineUsPerTx: round(withBaseline.us),
    rolePolicyUsPerTx: round(withRoles.us),
    failed: without.failed + withBaseline.failed + withRoles.failed,
    addedUsPerTx: { baseline: round(overhead(withBaseline)), rolePolicy: round(overhead(withRoles)) },
    // The share of a committed transaction's time at the solo benchmark's rate.
    shareOfCommittedTxAt: { tps: SOLO_TPS, baselinePercent: round((100 * overhead(withBaseline)) / budgetUs), rolePolicyPercent: round((100 * overhead(withRoles)) / budgetUs) },
  },
  machine: { cores: availableParallelism(), node: process.version },
};

const rows: Array<[string, string]> = [
  ["cedar isAuthorized (stateless)", `${result.cedar.statelessPerSecond} /s`],
  ["cedar statefulIsAuthorized (preparsed)", `${result.cedar.preparsedPerSecond} /s`],
  [`guard decisions, role policy, cold (${PRINCIPALS} principals)`, `${result.decisions.rolePolicy.coldPerSecond} /s`],
  ["guard decisions, role policy, cached", `${result.decisions.rolePolicy.cachedPerSecond} /s`],
  ["guard decisions, baseline, cached", `${result.decisions.baseline.cachedPerSecond} /s`],
  ["execute transfer, no access module", `${result.execution.withoutAccessUsPerTx} µs/tx`],
  ["execute transfer, baseline policies", `${result.execution.baselineUsPerTx} µs/tx (+${result.execution.addedUsPerTx.baseline})`],
  [`execute transfer, role policy (${PRINCIPALS} senders, first use cold)`, `${result.execution.rolePolicyUsPerTx} µs/tx (+${result.execution.addedUsPerTx.rolePolicy})`],
  [`added share of a tx at ${SOLO_TPS} TPS`, `${result.execution.shareOfCommittedTxAt.baselinePercent}% baseline, ${result.execution.shareOfCommittedTxAt.rolePolicyPercent}% role policy`],
];
process.stderr.write("\n" + rows.map(([k, v]) => `  ${k.padEnd(58)} ${v}`).join("\n") + "\n\n");
process.stdout.write(JSON.stringify(result, null, 2) + "\n");
