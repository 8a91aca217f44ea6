/**
 * Alert rules: what each kind watches, its parameters with their units, and validation. A rule
 * set comes from node.json (`alerts.rules`) or from PUT /v1/alerts/rules (persisted in the node
 * home); both go through `parseRules`, which refuses the whole set on the first bad field.
 */
import { CivitasError, ErrorCode } from "../../util/errors.js";

export const RULE_KINDS = ["tps_above", "tps_below", "node_down", "height_stalled", "peers_below", "disk_free_below", "cert_expiry"] as const;
export type RuleKind = (typeof RULE_KINDS)[number];
export const SEVERITIES = ["info", "warning", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

interface ParamSpec {
  min: number;
  max: number;
  integer: boolean;
  doc: string;
}

const p = (min: number, max: number, integer: boolean, doc: string): ParamSpec => ({ min, max, integer, doc });

/** Each kind's parameters; all are required, so a rule states its threshold and window explicitly. */
export const RULE_PARAMS: Record<RuleKind, Record<string, ParamSpec>> = {
  tps_above: { tps: p(0, 1e9, false, "fires when committed transactions per second exceed this"), windowSeconds: p(1, 3600, true, "TPS is averaged over this window") },
  tps_below: { tps: p(0, 1e9, false, "fires when committed transactions per second fall below this"), windowSeconds: p(1, 3600, true, "TPS is averaged over this window (not evaluated before the node has run that long)") },
  node_down: { seconds: p(1, 86_400, true, "fires for each validator peer disconnected this long") },
  height_stalled: { seconds: p(1, 86_400, true, "fires when the head has not advanced this long while blocks are expected") },
  peers_below: { peers: p(0, 10_000, true, "fires when fewer peers than this are connected (p2p nodes only)") },
  disk_free_below: { percent: p(0, 100, false, "fires when the data directory's filesystem has less free space than this") },
  cert_expiry: { days: p(0, 3650, false, "fires for each node certificate (TLS, TSA) expiring within this many days") },
};

export interface AlertRule {
  /** Unique in the set: [a-z0-9][a-z0-9._-]{0,63}. */
  id: string;
  kind: RuleKind;
  severity: Severity;
  enabled: boolean;
  /** The condition must hold this long before the alert fires (0 = at once). */
  forSeconds: number;
  /** The kind's parameters (RULE_PARAMS), e.g. {tps: 500, windowSeconds: 10}. */
  params: Record<string, number>;
}

export const MAX_RULES = 100;
const ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const COMMON = ["id", "kind", "severity", "enabled", "forSeconds"];

/** The rules a node evaluates when its node.json names none. */
export const DEFAULT_RULES: AlertRule[] = [
  { id: "tps-high", kind: "tps_above", severity: "warning", enabled: true, forSeconds: 0, params: { tps: 10_000, windowSeconds: 10 } },
  { id: "tps-low", kind: "tps_below", severity: "warning", enabled: false, forSeconds: 0, params: { tps: 1, windowSeconds: 60 } },
  { id: "node-down", kind: "node_down", severity: "critical", enabled: true, forSeconds: 0, params: { seconds: 30 } },
  { id: "height-stalled", kind: "height_stalled", severity: "critical", enabled: true, forSeconds: 0, params: { seconds: 60 } },
  { id: "peers-low", kind: "peers_below", severity: "warning", enabled: true, forSeconds: 30, params: { peers: 1 } },
  { id: "disk-free-low", kind: "disk_free_below", severity: "critical", enabled: true, forSeconds: 0, params: { percent: 10 } },
  { id: "cert-expiry", kind: "cert_expiry", severity: "warning", enabled: true, forSeconds: 0, params: { days: 30 } },
];

function bad(field: string, why: string): never {
  throw new CivitasError(ErrorCode.ALERT_RULES_INVALID, `${field}: ${why}`, { field });
}

function num(v: unknown, field: string, s: { min: number; max: number; integer: boolean }): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < s.min || v > s.max || (s.integer && !Number.isInteger(v))) bad(field, `expected ${s.integer ? "an integer" : "a number"} in [${s.min}, ${s.max}], got ${JSON.stringify(v)}`);
  return v;
}

/**
 * A rule as JSON: the common fields plus the kind's parameters at the top level, e.g.
 * `{"id":"tps-high","kind":"tps_above","tps":500,"windowSeconds":10,"severity":"critical"}`.
 */
export function parseRule(input: unknown, field: string): AlertRule {
  if (input === null || typeof input !== "object" || Array.isArray(input)) bad(field, "expected an object");
  const o = input as Record<string, unknown>;
  if (typeof o.id !== "string" || !ID.test(o.id)) bad(`${field}.id`, "expected 1-64 of a-z 0-9 . _ - (starting with a letter or digit)");
  if (!RULE_KINDS.includes(o.kind as never)) bad(`${field}.kind`, `expected one of ${RULE_KINDS.join(", ")}`);
  const kind = o.kind as RuleKind;
  const spec = RULE_PARAMS[kind];
  for (const k of Object.keys(o)) if (!COMMON.includes(k) && !(k in spec)) bad(`${field}.${k}`, `unknown field for a ${kind} rule (parameters: ${Object.keys(spec).join(", ")})`);
  const severity = o.severity ?? "warning";
  if (!SEVERITIES.includes(severity as never)) bad(`${field}.severity`, `expected one of ${SEVERITIES.join(", ")}`);
  const enabled = o.enabled ?? true;
  if (typeof enabled !== "boolean") bad(`${field}.enabled`, "expected true or false");
  const params: Record<string, number> = {};
  for (const [k, s] of Object.entries(spec)) {
    if (o[k] === undefined) bad(`${field}.${k}`, `required for a ${kind} rule: ${s.doc}`);
    params[k] = num(o[k], `${field}.${k}`, s);
  }
  return { id: o.id, kind, severity: severity as Severity, enabled, forSeconds: num(o.forSeconds ?? 0, `${field}.forSeconds`, { min: 0, max: 86_400, integer: true }), params };
}

export function parseRules(input: unknown, field = "rules"): AlertRule[] {
  if (!Array.isArray(input)) bad(field, "expected an array of rules");
  if (input.length > MAX_RULES) bad(field, `at most ${MAX_RULES} rules`);
  const rules = input.map((r, i) => parseRule(r, `${field}[${i}]`));
  const seen = new Set<string>();
  rules.forEach((r, i) => {
    if (seen.has(r.id)) bad(`${field}[${i}].id`, `duplicate rule id '${r.id}'`);
    seen.add(r.id);
  });
  return rules;
}

/** The JSON form `parseRule` reads (parameters at the top level). */
export function ruleToJson(r: AlertRule): Record<string, unknown> {
  return { id: r.id, kind: r.kind, severity: r.severity, enabled: r.enabled, forSeconds: r.forSeconds, ...r.params };
}
