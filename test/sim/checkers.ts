/**
 * Invariant checks over a finished simulation. Each returns a list of violations (empty: the
 * invariant holds); every message starts with the seed so the run can be replayed. Only honest
 * processes are judged: Byzantine validators (equivocators, both Twins) are not.
 */
import type { CryptoSuite } from "../../src/crypto/suite.js";
import { verifyCommit } from "../../src/ledger/block.js";
import { equalBytes, fromUtf8 } from "../../src/util/bytes.js";
import type { CommitRecord, Simulation } from "./simulator.js";
import { CHAIN, nextStateCommitment, suite, ZERO_STATE } from "./simulator.js";

export type Checker = (sim: Simulation) => string[];

const show = (c: CommitRecord): string => fromUtf8(c.value).split("|")[0];

/** No two different values committed at one height by any two honest processes. */
export const checkAgreement: Checker = (sim) => {
  const out: string[] = [];
  const first = new Map<number, { node: number; c: CommitRecord }>();
  for (const p of sim.honest) {
    for (const [h, c] of p.commits) {
      const f = first.get(h);
      if (!f) first.set(h, { node: p.index, c });
      else if (f.c.valueHex !== c.valueHex) out.push(`${sim.describe()}: agreement violated at height ${h}: process ${f.node} committed ${show(f.c)}, process ${p.index} committed ${show(c)}`);
    }
  }
  return out;
};

/** Each honest chain is 1..top without gaps and commits no transaction twice. */
export const checkChains: Checker = (sim) => {
  const out: string[] = [];
  for (const p of sim.honest) {
    const top = Math.max(0, ...p.commits.keys());
    const seen = new Map<string, number>();
    for (let h = 1; h <= top; h++) {
      const c = p.commits.get(h);
      if (!c) {
        out.push(`${sim.describe()}: process ${p.index} has a gap at height ${h} below its top ${top}`);
        continue;
      }
      for (const tx of c.txs) {
        const at = seen.get(tx);
        if (at !== undefined) out.push(`${sim.describe()}: process ${p.index} committed tx ${tx} twice (heights ${at} and ${h})`);
        seen.set(tx, h);
      }
    }
  }
  return out;
};

/** Every honest commit carries a certificate for that height and value that verifies against the validator set. */
export const checkCertificates: Checker = (sim) => {
  const out: string[] = [];
  const verifying = Object.create(suite, { verify: { value: sim.verifier.verify } }) as CryptoSuite;
  for (const p of sim.honest) {
    for (const [h, c] of p.commits) {
      const id = sim.valueIdOf(c.value);
      if (c.certificate.height !== h) out.push(`${sim.describe()}: process ${p.index} height ${h}: certificate is for height ${c.certificate.height}`);
      if (!equalBytes(c.certificate.blockHash, id)) out.push(`${sim.describe()}: process ${p.index} height ${h}: certificate is for another value`);
      const res = verifyCommit(verifying, CHAIN, id, c.certificate, sim.validators);
      if (!res.ok) out.push(`${sim.describe()}: process ${p.index} height ${h}: invalid certificate: ${res.reason}`);
    }
  }
  return out;
};

/**
 * All honest nodes hold the same state commitment at every height; for CoreNode it is also
 * recomputed here as the running hash of the committed values (real execution reports a state
 * root, which the engine tests also re-derive by replaying the chain).
 */
export const checkStateCommitments: Checker = (sim) => {
  const out: string[] = [];
  const byHeight = new Map<number, { node: number; sc: string }>();
  for (const p of sim.honest) {
    let sc = ZERO_STATE;
    const top = Math.max(0, ...p.commits.keys());
    for (let h = 1; h <= top; h++) {
      const c = p.commits.get(h);
      if (!c) break;
      sc = nextStateCommitment(sc, c.value);
      if (sim.opts.stateModel !== "reported" && sc !== c.stateCommitment) out.push(`${sim.describe()}: process ${p.index} reported state ${c.stateCommitment.slice(0, 12)} at height ${h}, its chain gives ${sc.slice(0, 12)}`);
      const f = byHeight.get(h);
      if (!f) byHeight.set(h, { node: p.index, sc: c.stateCommitment });
      else if (f.sc !== c.stateCommitment) out.push(`${sim.describe()}: state commitments differ at height ${h}: process ${f.node} ${f.sc.slice(0, 12)}, process ${p.index} ${c.stateCommitment.slice(0, 12)}`);
    }
  }
  return out;
};

/** An acknowledged transaction is in the chain of every honest node that got as far as its acknowledgement. */
export const checkAcknowledged: Checker = (sim) => {
  const out: string[] = [];
  for (const p of sim.honest) {
    const top = Math.max(0, ...p.commits.keys());
    const txs = new Set<string>();
    for (const c of p.commits.values()) for (const tx of c.txs) txs.add(tx);
    for (const [tx, ack] of sim.acks) {
      if (top >= ack.height && !txs.has(tx)) out.push(`${sim.describe()}: tx ${tx}, acknowledged by process ${ack.node} at height ${ack.height}, is missing from process ${p.index} (top ${top})`);
    }
  }
  return out;
};

/** Runtime detections: an honest validator signed two different messages for one slot, or a node committed a height twice. */
export const checkRuntime: Checker = (sim) => [...sim.violations];

/** After the last heal/restart every honest live node committed the target height before the deadline. */
export const checkLiveness: Checker = (sim) => {
  if (!sim.opts.liveness) return [];
  const lv = sim.liveness;
  if (!lv) return [`${sim.describe()}: the run ended at t=${sim.now} before the liveness window opened`];
  const out: string[] = [];
  for (const p of sim.honest) {
    if (!p.alive) continue;
    const c = p.commits.get(lv.target);
    if (!c || c.at > lv.deadline) {
      const top = Math.max(0, ...p.commits.keys());
      out.push(`${sim.describe()}: liveness: process ${p.index} reached height ${top}, not ${lv.target} (= ${lv.base} + ${lv.target - lv.base}) within ${lv.deadline - lv.after} ms after t=${lv.after}`);
    }
  }
  return out;
};

export const SAFETY_CHECKERS: Checker[] = [checkRuntime, checkAgreement, checkChains, checkCertificates, checkStateCommitments, checkAcknowledged];

export function checkSafety(sim: Simulation): string[] {
  return SAFETY_CHECKERS.flatMap((c) => c(sim));
}

export function checkAll(sim: Simulation): string[] {
  return [...checkSafety(sim), ...checkLiveness(sim)];
}
