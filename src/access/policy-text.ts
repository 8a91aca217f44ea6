/**
 * Checking the Cedar text of one on-chain policy. A policy id holds one or more Cedar static
 * policies (no templates: nothing would link them). Each statement is analysed once here so the
 * engine knows, per action, which parts of a request a decision can depend on (see
 * docs/adr/0010-cedar-policies.md: that is what makes the decision cache sound).
 */
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import type { PolicyJson } from "@cedar-policy/cedar-wasm/nodejs";
import { CivitasError, ErrorCode } from "../util/errors.js";
import { MAX_POLICY_CHARS } from "./state.js";

export type ActionScope = { kind: "all" } | { kind: "in"; ids: string[] };

export interface Statement {
  /** Id in the Cedar policy set: the on-chain id, or `<id>#<n>` when the text holds several. */
  cedarId: string;
  policyId: string;
  effect: "permit" | "forbid";
  text: string;
  /** Actions the statement can apply to: `==` and `in` both list action ids (`in` also matches descendants). */
  action: ActionScope;
  usesPrincipal: boolean;
  usesResource: boolean;
  /** Context attributes read (`args.amount`, `height`), or "*" when the context is used whole. */
  contextPaths: string[];
}

function invalid(message: string, details: Record<string, unknown> = {}): CivitasError {
  return new CivitasError(ErrorCode.POLICY_INVALID, message, details);
}

function errorsOf(errors: Array<{ message: string; help: string | null }>): string[] {
  return errors.slice(0, 8).map((e) => (e.help ? `${e.message} (${e.help})` : e.message));
}

/** Does the JSON form of a condition mention variable `v`? */
function mentions(node: unknown, v: string): boolean {
  if (node === null || typeof node !== "object") return false;
  if (Array.isArray(node)) return node.some((n) => mentions(n, v));
  for (const [k, child] of Object.entries(node as Record<string, unknown>)) {
    if (k === "Var" && child === v) return true;
    if (mentions(child, v)) return true;
  }
  return false;
}

/** `context.a.b...` as ["a", "b", ...], or undefined when `node` is not such a chain. */
function contextChain(node: unknown): string[] | undefined {
  if (node === null || typeof node !== "object") return undefined;
  const o = node as Record<string, unknown>;
  if (o.Var === "context") return [];
  const dot = o["."] as { left: unknown; attr: string } | undefined;
  if (dot) {
    const inner = contextChain(dot.left);
    return inner ? [...inner, dot.attr] : undefined;
  }
  return undefined;
}

/**
 * The context attributes a condition reads. Paths are cut after `args.<name>` (or after the
 * first attribute otherwise): the cache key then holds just those values, so a policy on
 * `context.args.amount` still shares decisions across blocks.
 */
function contextPaths(node: unknown, out: Set<string>): void {
  if (node === null || typeof node !== "object") return;
  if (Array.isArray(node)) {
    for (const n of node) contextPaths(n, out);
    return;
  }
  const o = node as Record<string, unknown>;
  const chain = contextChain(o);
  if (chain) {
    out.add(chain.length === 0 ? "*" : chain.slice(0, chain[0] === "args" ? 2 : 1).join("."));
    return;
  }
  const has = o.has as { left: unknown; attr: string } | undefined;
  if (has) {
    const c = contextChain(has.left);
    if (c) {
      const full = [...c, has.attr];
      out.add(full.slice(0, full[0] === "args" ? 2 : 1).join("."));
      return;
    }
  }
  for (const child of Object.values(o)) contextPaths(child, out);
}

function actionScope(json: PolicyJson): ActionScope {
  const a = json.action;
  const ids = (uids: Array<Record<string, unknown>>): string[] =>
    uids.map((u) => {
      const e = ("__entity" in u ? u.__entity : u) as { type: string; id: string };
      // Another action type never matches the `Action` entities the engine builds.
      return e.type === "Action" ? e.id : `\u0000${e.type}::${e.id}`;
    });
  if (a.op === "All") return { kind: "all" };
  if (a.op === "==") return "entity" in a ? { kind: "in", ids: ids([a.entity as Record<string, unknown>]) } : { kind: "all" };
  return "entity" in a ? { kind: "in", ids: ids([a.entity as Record<string, unknown>]) } : { kind: "in", ids: ids(a.entities as Array<Record<string, unknown>>) };
}

/**
 * Parses `text` as the policy `policyId`: throws POLICY_INVALID (with Cedar's messages) when it
 * does not parse, holds a template, or holds no policy at all.
 */
export function parsePolicyText(policyId: string, text: string): Statement[] {
  if (text.length > MAX_POLICY_CHARS) throw invalid(`policy '${policyId}' is longer than ${MAX_POLICY_CHARS} characters`, { policyId });
  const parts = cedar.policySetTextToParts(text);
  if (parts.type === "failure") throw invalid(`policy '${policyId}' does not parse: ${errorsOf(parts.errors)[0] ?? "unknown error"}`, { policyId, errors: errorsOf(parts.errors) });
  if (parts.policy_templates.length) throw invalid(`policy '${policyId}' holds a template (a ?principal or ?resource slot); only static policies can be stored`, { policyId });
  if (parts.policies.length === 0) throw invalid(`policy '${policyId}' holds no Cedar policy`, { policyId });
  if (parts.policies.length > 64) throw invalid(`policy '${policyId}' holds more than 64 Cedar policies`, { policyId });
  return parts.policies.map((p, i) => {
    const json = cedar.policyToJson(p);
    if (json.type === "failure") throw invalid(`policy '${policyId}' statement ${i}: ${errorsOf(json.errors)[0]}`, { policyId, errors: errorsOf(json.errors) });
    const j = json.json;
    const cond = j.conditions;
    return {
      cedarId: parts.policies.length === 1 ? policyId : `${policyId}#${i}`,
      policyId,
      effect: j.effect,
      text: p,
      action: actionScope(j),
      usesPrincipal: j.principal.op !== "All" || mentions(cond, "principal"),
      usesResource: j.resource.op !== "All" || mentions(cond, "resource"),
      contextPaths: (() => {
        const paths = new Set<string>();
        contextPaths(cond, paths);
        return [...paths].sort();
      })(),
    };
  });
}

/** The on-chain policy id a Cedar policy id belongs to. */
export function policyIdOf(cedarId: string): string {
  const i = cedarId.indexOf("#");
  return i < 0 ? cedarId : cedarId.slice(0, i);
}
