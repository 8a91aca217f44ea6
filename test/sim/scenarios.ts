/**
 * Seeded random scenarios for the simulator: from a seed alone, pick the validator count and
 * powers, network rates, crashes with restarts, symmetric and asymmetric partitions with heal
 * times, client transactions and up to f Byzantine validators, then run and check. The same
 * seed always builds the same scenario and the same run, so `npm run sim -- --seed S` replays.
 *
 * Kinds: "random" (must pass every check), and negative controls that must fail:
 * "f+1" (f+1 Byzantine validators), "ignore-lock" (the core's test-only broken locking rule),
 * "send-before-sync" (a driver that broadcasts before its WAL is synced, with crashes that lose
 * unsynced writes).
 */
import { proposerSchedule } from "../../src/consensus/bft/messages.js";
import { sortValidators } from "../../src/ledger/validators.js";
import { equalBytes, toHex, utf8 } from "../../src/util/bytes.js";
import { checkAll } from "./checkers.js";
import type { ByzantineMode, Partition, SimOptions } from "./simulator.js";
import { makeKeys, mulberry32, SIM_TIMEOUTS, Simulation, suite } from "./simulator.js";

export type ScenarioKind = "random" | "f+1" | "ignore-lock" | "send-before-sync";
export const SCENARIO_KINDS: ScenarioKind[] = ["random", "f+1", "ignore-lock", "send-before-sync"];

/** Liveness: after the last heal/restart, every honest node commits this many more heights ... */
export const LIVENESS_HEIGHTS = 3;
/** ... within this much virtual time. */
export const LIVENESS_WITHIN_MS = 30_000;
/** Wait after a commit before the next height (a block interval), skipped when behind. */
export const COMMIT_DELAY_MS = 150;

const BYZ_MODES: ByzantineMode[] = ["equivocateVotes", "equivocateProposals", "equivocate", "twins"];

/** Validator index (in `powers` order) proposing (height, round). */
export function proposerAt(powers: number[], height: number, round: number): number {
  const vals = makeKeys(powers).map((k) => k.validator);
  const sorted = sortValidators(vals);
  const schedule = proposerSchedule(vals);
  const v = sorted[schedule[(height - 1 + round) % schedule.length]];
  return vals.findIndex((x) => equalBytes(x.address, v.address));
}

/**
 * Designed for the broken locking rule (4 equal validators, height 1, slow gossip so only
 * direct messages count within the first rounds). A proposes round 0, B proposes round 1, c
 * and s2 are the others. A's messages to s2 are held past s2's propose timeout, so s2 prevotes
 * nil and then, holding the polka {A, c, B} for A's value X, locks and precommits X. B never
 * hears c, so it sees prevotes {A:X, B:X, s2:nil}, precommits nil and has no valid value. c is
 * cut off outbound just after its prevote, so only c collects {A, s2, c} precommits and
 * commits X; A and s2 (locked on X) see {A:X, s2:X, B:nil} and move to round 1, where B
 * proposes a fresh Y. With the lock A and s2 prevote nil; ignoring it, A, s2, B decide Y.
 * The seed picks the cut time, the hold, the delays and the roles of c and s2, so some seeds
 * miss the window; with the lock every seed is safe.
 */
export function lockScenario(seed: number, ignoreLock = true): SimOptions {
  const r = mulberry32((seed ^ 0x1b873593) >>> 0);
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  const powers = [1, 1, 1, 1];
  const a = proposerAt(powers, 1, 0);
  const b = proposerAt(powers, 1, 1);
  const rest = [0, 1, 2, 3].filter((v) => v !== a && v !== b);
  const [c, s2] = r() < 0.5 ? rest : [rest[1], rest[0]];
  const heal = int(2600, 3200);
  const delayMin = int(2, 6);
  const partitions: Partition[] = [
    { at: 0, healAt: int(305, 360), blocked: [[a, s2]], hold: true },
    { at: 0, healAt: heal, blocked: [[c, b]] },
    { at: int(8, 45), healAt: heal, blocked: [[c, a], [c, s2]] },
  ];
  return {
    seed,
    label: ignoreLock ? "ignore-lock" : "lock-scenario",
    powers,
    maxTime: heal + LIVENESS_WITHIN_MS,
    delay: { min: delayMin, max: delayMin + int(4, 15) },
    dropRate: 0,
    dupRate: 0,
    timeouts: SIM_TIMEOUTS,
    gossipMs: 2500,
    commitDelayMs: COMMIT_DELAY_MS,
    partitions,
    txs: [0, 1, 2, 3, 4, 5].map((k) => ({ at: int(0, heal), node: int(0, 3), tx: `t${seed}-${k}` })).sort((x, y) => x.at - y.at),
    liveness: { after: heal, heights: LIVENESS_HEIGHTS, within: LIVENESS_WITHIN_MS },
    unsafeTesting: ignoreLock ? { ignoreLock: true } : undefined,
  };
}

export function scenario(seed: number, kind: ScenarioKind = "random"): SimOptions {
  if (kind === "ignore-lock") return lockScenario(seed, true);
  const r = mulberry32((seed ^ 0x5bd1e995) >>> 0);
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const shuffle = <T>(xs: T[]): T[] => {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [xs[i], xs[j]] = [xs[j], xs[i]];
    }
    return xs;
  };

  const n = pick([4, 7, 10]);
  const idx = [...Array(n).keys()];
  const equal = kind === "f+1" || r() < 0.65;
  const powers = idx.map(() => (equal ? 1 : int(1, 4)));
  const total = powers.reduce((a, b) => a + b, 0);
  const fCount = Math.floor((n - 1) / 3);

  // Byzantine validators: up to f by count and strictly under a third of the power.
  let byzCount: number;
  if (kind === "f+1") byzCount = fCount + 1;
  else if (kind === "random") byzCount = r() < 0.3 ? 0 : int(1, fCount);
  else byzCount = 0;
  const byzNodes: number[] = [];
  let byzPower = 0;
  for (const v of shuffle([...idx])) {
    if (byzNodes.length >= byzCount) break;
    if (kind === "random" && 3 * (byzPower + powers[v]) >= total) continue;
    byzNodes.push(v);
    byzPower += powers[v];
  }
  // f+1: one coordinated coalition (all equivocating or all Twins), enough to outvote each side.
  const coalition = pick<ByzantineMode>(["equivocate", "twins"]);
  const byzantine = byzNodes.map((node) => ({ node, mode: kind === "f+1" ? coalition : pick(BYZ_MODES) }));
  const honest = idx.filter((v) => !byzNodes.includes(v));

  // Sides for equivocation splits and Twins: both sides get honest validators.
  const sides = idx.map(() => (r() < 0.5 ? 0 : 1));
  const hs = shuffle([...honest]);
  sides[hs[0]] = 0;
  sides[hs[1]] = 1;

  const delayMin = int(1, 10);
  const delay = { min: delayMin, max: delayMin + pick([20, 40, 80, 150, 400]) };
  const dropRate = pick([0, 0.02, 0.05, 0.1, 0.2]);
  const dupRate = pick([0, 0.02, 0.1]);
  const reorder = r() < 0.3 ? { rate: 0.1, extra: int(100, 500) } : undefined;
  const faultEnd = int(800, 5000);

  const crashes: NonNullable<SimOptions["crashes"]> = [];
  const crashCount = kind === "send-before-sync" ? int(4, 8) : int(0, 3);
  for (let i = 0; i < crashCount; i++) {
    const node = pick(honest);
    const at = int(0, faultEnd - 100);
    const restartAt = kind === "send-before-sync" ? Math.min(faultEnd, at + int(10, 300)) : int(at + 50, faultEnd);
    if (crashes.some((c) => c.node === node && c.at <= restartAt && at <= (c.restartAt as number))) continue;
    crashes.push({ node, at, restartAt });
  }

  const partitions: Partition[] = [];
  const partCount = kind === "send-before-sync" ? 0 : int(0, 3);
  for (let i = 0; i < partCount; i++) {
    const at = int(0, faultEnd - 100);
    const healAt = int(at + 100, faultEnd);
    const shape = r();
    if (shape < 0.45) {
      const groupCount = n > 4 && r() < 0.3 ? 3 : 2;
      const groups: number[][] = Array.from({ length: groupCount }, () => []);
      for (const v of idx) groups[int(0, groupCount - 1)].push(v);
      partitions.push({ at, healAt, groups: groups.filter((g) => g.length > 0) });
    } else {
      // Asymmetric: a set A that does not hear the others (deaf), is not heard (mute), or random one-way links.
      const a = shuffle([...idx]).slice(0, int(1, Math.max(1, Math.floor(n / 2))));
      const rest = idx.filter((v) => !a.includes(v));
      const blocked: [number, number][] = [];
      const how = r();
      if (how < 0.35) for (const x of a) for (const y of rest) blocked.push([y, x]);
      else if (how < 0.7) for (const x of a) for (const y of rest) blocked.push([x, y]);
      else for (const x of idx) for (const y of idx) if (x !== y && r() < 0.25) blocked.push([x, y]);
      partitions.push({ at, healAt, blocked });
    }
  }

  const txs: NonNullable<SimOptions["txs"]> = [];
  const txCount = int(5, 30);
  for (let k = 0; k < txCount; k++) txs.push({ at: int(0, faultEnd + 500), node: pick(honest), tx: `t${seed}-${k}` });
  txs.sort((x, y) => x.at - y.at);

  const after = Math.max(faultEnd, ...crashes.map((c) => c.restartAt ?? 0), ...partitions.map((p) => p.healAt));
  return {
    seed,
    label: kind,
    powers,
    maxTime: after + LIVENESS_WITHIN_MS,
    delay,
    dropRate,
    dupRate,
    reorder,
    timeouts: SIM_TIMEOUTS,
    commitDelayMs: COMMIT_DELAY_MS,
    byzantine,
    sides,
    crashes,
    partitions,
    txs,
    wal: kind === "send-before-sync" ? { policy: "sendBeforeSync", syncDelayMs: 40, loseUnsyncedOnCrash: true } : { policy: "syncBeforeSend", syncDelayMs: 5, loseUnsyncedOnCrash: true },
    liveness: { after, heights: LIVENESS_HEIGHTS, within: LIVENESS_WITHIN_MS },
  };
}

/** One line describing a scenario (for --verbose and failure reports). */
export function describeScenario(o: SimOptions): string {
  const byz = (o.byzantine ?? []).map((b) => `${b.node}:${b.mode}`).join(",") || "none";
  const parts = (o.partitions ?? []).map((p) => ("groups" in p ? `sym${JSON.stringify(p.groups)}` : `asym(${p.blocked.length} links)`) + `@${p.at}-${p.healAt}`).join(" ") || "none";
  const crashes = (o.crashes ?? []).map((c) => `${c.node}@${c.at}-${c.restartAt ?? "never"}`).join(" ") || "none";
  return [
    `${o.label ?? "custom"} n=${o.powers.length} powers=[${o.powers.join(",")}]`,
    `delay=${o.delay?.min}-${o.delay?.max}ms drop=${o.dropRate} dup=${o.dupRate}${o.reorder ? ` reorder=${o.reorder.rate}/${o.reorder.extra}ms` : ""}`,
    `byzantine=${byz} crashes=${crashes} partitions=${parts} txs=${o.txs?.length ?? 0} wal=${o.wal?.policy ?? "syncBeforeSend"}`,
    o.liveness ? `liveness: +${o.liveness.heights} heights within ${o.liveness.within}ms after t=${o.liveness.after}` : "",
  ].join("; ");
}

export interface SeedResult {
  seed: number;
  kind: ScenarioKind;
  violations: string[];
  validators: number;
  /** Highest height committed by an honest process. */
  height: number;
  virtualMs: number;
  wallMs: number;
  events: number;
  acked: number;
  lostWrites: number;
  summary: string;
}

export function runSeed(seed: number, kind: ScenarioKind = "random"): SeedResult & { sim: Simulation } {
  const t0 = performance.now();
  const opts = scenario(seed, kind);
  const sim = new Simulation(opts).run();
  return seedResult(sim, seed, kind, opts, t0);
}

/** What a finished run reports: its checks, size and cost. */
export function seedResult(sim: Simulation, seed: number, kind: ScenarioKind, opts: SimOptions, t0: number): SeedResult & { sim: Simulation } {
  return {
    sim,
    seed,
    kind,
    violations: checkAll(sim),
    validators: opts.powers.length,
    height: Math.max(0, ...sim.honest.flatMap((p) => [...p.commits.keys()])),
    virtualMs: sim.now,
    wallMs: performance.now() - t0,
    events: sim.events,
    acked: sim.acks.size,
    lostWrites: sim.nodes.reduce((s, p) => s + p.storage.lost.length, 0),
    summary: describeScenario(opts),
  };
}

/**
 * A digest of everything a run decided and observed (every process's commits with state
 * commitments, the commit log, acknowledgements, violations, message and event counts): equal
 * digests for two runs of one seed show the replay is exact.
 */
export function fingerprint(sim: Simulation): string {
  const parts: string[] = [`t=${sim.now} events=${sim.events} sent=${sim.messagesSent} delivered=${sim.messagesDelivered}`];
  for (const p of sim.nodes) for (const [h, c] of [...p.commits].sort((x, y) => x[0] - y[0])) parts.push(`${p.index}/${h}/${c.valueHex}/${c.stateCommitment}/${c.at}/${c.certificate.round}/${c.certificate.signatures.length}`);
  for (const e of sim.commitLog) parts.push(`${e.time}:${e.node}:${e.height}`);
  for (const [tx, a] of sim.acks) parts.push(`${tx}@${a.node}/${a.height}/${a.time}`);
  parts.push(...checkAll(sim));
  return toHex(suite.hash(utf8(parts.join("\n"))));
}

export function replayCommand(seed: number, kind: ScenarioKind = "random"): string {
  return `npm run sim -- --seed ${seed}${kind === "random" ? "" : ` --scenario ${kind}`} --verbose`;
}
