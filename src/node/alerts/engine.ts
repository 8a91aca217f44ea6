/**
 * The alert engine: evaluates the rules against what the node observes (on a timer and after
 * each block), keeps each alert's state (pending while `forSeconds` runs, then firing, then
 * resolved) and a bounded history of transitions, and hands every transition to the sinks.
 * Everything it reads comes through `AlertInputs`, so tests drive it with a fake clock.
 */
import type { CertExpiry, DiskUsage } from "../metrics/host-probes.js";
import type { AlertRule, Severity } from "./rules.js";

export interface AlertInputs {
  /** ms since the epoch. */
  now(): number;
  /** Committed transactions per second over the last `windowSeconds`. */
  tps(windowSeconds: number): number;
  height(): number;
  /** True when a new block should come: empty blocks are on, transactions are pending, or a peer is ahead. */
  blocksExpected(): boolean;
  /** Connected peers; undefined on a node without p2p (the rule does not apply). */
  peers(): number | undefined;
  /** Validator peers seen once and disconnected now, with the time they went down. */
  validatorPeersDown(): Array<{ id: string; address: string; downSince: number }>;
  disk(): DiskUsage | undefined;
  certs(): CertExpiry[];
}

export interface Alert {
  /** `<rule id>` or `<rule id>/<subject>` (one alert per peer or certificate). */
  key: string;
  rule: string;
  kind: AlertRule["kind"];
  severity: Severity;
  subject: string;
  state: "firing" | "resolved";
  /** The observed value that crossed the threshold (last seen while firing). */
  value: number;
  threshold: number;
  message: string;
  /** ms since the epoch. */
  startsAt: number;
  endsAt?: number;
}

export interface AlertEvent {
  event: "firing" | "resolved";
  alert: Alert;
  node: string;
  chain: string;
  at: number;
}

export type AlertSink = (e: AlertEvent) => void;

interface Observation {
  subject: string;
  value: number;
  threshold: number;
  message: string;
}

const DAY_MS = 86_400_000;

export class AlertEngine {
  private rules: AlertRule[] = [];
  /** Conditions holding but not yet for `forSeconds`: key -> since. */
  private readonly pending = new Map<string, number>();
  private readonly firing = new Map<string, Alert>();
  private readonly log: AlertEvent[] = [];
  private readonly sinks: AlertSink[] = [];
  private lastHeight: number | undefined;
  private lastAdvance = 0;
  private readonly startedAt: number;

  constructor(
    private readonly inputs: AlertInputs,
    private readonly opts: { node: string; chain: string; historySize: number },
    rules: AlertRule[],
  ) {
    this.startedAt = inputs.now();
    this.setRules(rules);
  }

  addSink(sink: AlertSink): void {
    this.sinks.push(sink);
  }

  getRules(): AlertRule[] {
    return this.rules.map((r) => ({ ...r, params: { ...r.params } }));
  }

  /** Replaces the rule set; alerts of rules that were removed or changed resolve now. */
  setRules(rules: AlertRule[]): void {
    const next = new Map(rules.map((r) => [r.id, JSON.stringify(r)]));
    const now = this.inputs.now();
    for (const r of this.rules) {
      if (next.get(r.id) === JSON.stringify(r)) continue;
      for (const [key, a] of [...this.firing]) if (a.rule === r.id) this.resolve(key, a, now);
      for (const key of [...this.pending.keys()]) if (key === r.id || key.startsWith(r.id + "/")) this.pending.delete(key);
    }
    this.rules = rules.map((r) => ({ ...r, params: { ...r.params } }));
  }

  /** Firing alerts, oldest first. */
  current(): Alert[] {
    return [...this.firing.values()].map((a) => ({ ...a }));
  }

  /** Transitions (firing and resolved), newest first. */
  history(limit = this.opts.historySize): AlertEvent[] {
    return this.log.slice(-limit).reverse();
  }

  evaluate(): void {
    const now = this.inputs.now();
    const height = this.inputs.height();
    if (height !== this.lastHeight) {
      this.lastHeight = height;
      this.lastAdvance = now;
    }
    const seen = new Set<string>();
    for (const rule of this.rules) {
      if (!rule.enabled) continue;
      for (const o of this.observe(rule, now)) {
        const key = o.subject ? `${rule.id}/${o.subject}` : rule.id;
        seen.add(key);
        const active = this.firing.get(key);
        if (active) {
          active.value = o.value;
          active.message = o.message;
          continue;
        }
        const since = this.pending.get(key) ?? now;
        if (now - since >= rule.forSeconds * 1000) {
          this.pending.delete(key);
          const alert: Alert = { key, rule: rule.id, kind: rule.kind, severity: rule.severity, subject: o.subject, state: "firing", value: o.value, threshold: o.threshold, message: o.message, startsAt: now };
          this.firing.set(key, alert);
          this.emit("firing", alert, now);
        } else {
          this.pending.set(key, since);
        }
      }
    }
    for (const key of [...this.pending.keys()]) if (!seen.has(key)) this.pending.delete(key);
    for (const [key, a] of [...this.firing]) if (!seen.has(key)) this.resolve(key, a, now);
  }

  private resolve(key: string, a: Alert, now: number): void {
    this.firing.delete(key);
    a.state = "resolved";
    a.endsAt = now;
    this.emit("resolved", a, now);
  }

  private emit(event: AlertEvent["event"], alert: Alert, at: number): void {
    const e: AlertEvent = { event, alert: { ...alert }, node: this.opts.node, chain: this.opts.chain, at };
    this.log.push(e);
    if (this.log.length > this.opts.historySize) this.log.splice(0, this.log.length - this.opts.historySize);
    for (const s of this.sinks) {
      try {
        s(e);
      } catch {
        // A failing sink must not stop the others or the evaluation.
      }
    }
  }

  /** The subjects for which the rule's condition holds now. */
  private observe(rule: AlertRule, now: number): Observation[] {
    const p = rule.params;
    const one = (value: number, threshold: number, message: string): Observation[] => [{ subject: "", value, threshold, message }];
    switch (rule.kind) {
      case "tps_above": {
        const tps = this.inputs.tps(p.windowSeconds);
        return tps > p.tps ? one(tps, p.tps, `committed TPS ${tps.toFixed(1)} over ${p.windowSeconds} s is above ${p.tps}`) : [];
      }
      case "tps_below": {
        // A window that started before the node did would count the time it was off as idle.
        if (now - this.startedAt < p.windowSeconds * 1000) return [];
        const tps = this.inputs.tps(p.windowSeconds);
        return tps < p.tps ? one(tps, p.tps, `committed TPS ${tps.toFixed(1)} over ${p.windowSeconds} s is below ${p.tps}`) : [];
      }
      case "node_down":
        return this.inputs
          .validatorPeersDown()
          .filter((d) => now - d.downSince >= p.seconds * 1000)
          .map((d) => ({ subject: d.id, value: Math.floor((now - d.downSince) / 1000), threshold: p.seconds, message: `validator peer ${d.id.slice(0, 16)} (${d.address}) not seen for ${Math.floor((now - d.downSince) / 1000)} s` }));
      case "height_stalled": {
        const idle = now - this.lastAdvance;
        if (idle < p.seconds * 1000 || !this.inputs.blocksExpected()) return [];
        return one(Math.floor(idle / 1000), p.seconds, `height ${this.lastHeight} has not advanced for ${Math.floor(idle / 1000)} s`);
      }
      case "peers_below": {
        const n = this.inputs.peers();
        return n !== undefined && n < p.peers ? one(n, p.peers, `${n} peers connected, fewer than ${p.peers}`) : [];
      }
      case "disk_free_below": {
        const d = this.inputs.disk();
        if (!d || d.totalBytes <= 0) return [];
        const free = (100 * d.freeBytes) / d.totalBytes;
        return free < p.percent ? one(free, p.percent, `${free.toFixed(1)}% of the data directory's disk is free (${d.freeBytes} of ${d.totalBytes} bytes), below ${p.percent}%`) : [];
      }
      case "cert_expiry":
        return this.inputs
          .certs()
          .filter((c) => c.notAfter - now < p.days * DAY_MS)
          .map((c) => {
            const days = (c.notAfter - now) / DAY_MS;
            return { subject: c.name, value: days, threshold: p.days, message: days < 0 ? `certificate ${c.name} (${c.subject}) expired ${(-days).toFixed(1)} days ago` : `certificate ${c.name} (${c.subject}) expires in ${days.toFixed(1)} days` };
          });
    }
  }
}
