/**
 * The Cedar engine wrapper: one preparsed policy set per access-state digest, and a decision
 * cache whose key holds exactly what a decision can depend on.
 *
 * Cache key: `<digest>|<action>|<principal>|<resource>|<context>` where each of principal,
 * resource and context is `*` when no policy that can apply to the action mentions it (scope
 * `All` and no use in a condition), and otherwise the full serialised input (the principal's
 * entities with DID, roles and valid claims; the resource uid; the context record). The
 * digest changes with every policy, grant, role or admin change, and the principal part
 * changes with any identity change that reaches Cedar, so a cached answer is by construction
 * the answer Cedar would give: the cache cannot make two nodes disagree.
 */
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import type { CedarValueJson, EntityJson } from "@cedar-policy/cedar-wasm/nodejs";
import { toHex } from "../util/bytes.js";
import { CivitasError, ErrorCode } from "../util/errors.js";
import { actionEntities } from "./entities.js";
import type { Uid } from "./entities.js";
import type { Statement } from "./policy-text.js";
import { parsePolicyText, policyIdOf } from "./policy-text.js";

export interface Decision {
  decision: "allow" | "deny";
  /** On-chain ids of the policies that decided (the permits that allowed, or the forbids that denied). */
  reasons: string[];
  /** Policies whose evaluation failed, with Cedar's message. */
  errors: Array<{ policy: string; message: string }>;
}

export interface AccessRequest {
  principal: Uid;
  /** `<module>.<method>` for calls; a read action (`read.account`, `identity.trace`, ...) for reads. */
  action: string;
  kind: "call" | "read";
  resource: Uid;
  context: Record<string, CedarValueJson>;
  /** Entities of the principal (see principalEntities); built only when the decision needs them. */
  principalEntities: () => EntityJson[];
  resourceEntities: EntityJson[];
}

interface Relevance {
  principal: boolean;
  resource: boolean;
  /** Context attributes the applicable policies read ("*" = all of it). */
  context: string[];
  /** No statement can apply: deny without asking Cedar. */
  none: boolean;
}

class CompiledSet {
  readonly forbids: Set<string>;
  private readonly relevance = new Map<string, Relevance>();
  constructor(
    readonly id: string,
    readonly statements: Statement[],
  ) {
    this.forbids = new Set(statements.filter((s) => s.effect === "forbid").map((s) => s.cedarId));
  }

  relevant(action: string, ancestors: string[]): Relevance {
    let r = this.relevance.get(action);
    if (r) return r;
    const applies = this.statements.filter((s) => s.action.kind === "all" || s.action.ids.some((id) => ancestors.includes(id)));
    const paths = [...new Set(applies.flatMap((s) => s.contextPaths))].sort();
    r = { principal: applies.some((s) => s.usesPrincipal), resource: applies.some((s) => s.usesResource), context: paths.includes("*") ? ["*"] : paths, none: !applies.some((s) => s.effect === "permit") };
    this.relevance.set(action, r);
    return r;
  }
}

export interface EngineOptions {
  /** Most cached decisions (FIFO eviction). */
  maxCachedDecisions?: number;
}

export interface EngineStats {
  decisions: number;
  cacheHits: number;
  cedarCalls: number;
  compiledSets: number;
}

export class AccessEngine {
  private compiled: CompiledSet | undefined;
  private readonly cache = new Map<string, Decision>();
  private readonly maxCached: number;
  readonly stats: EngineStats = { decisions: 0, cacheHits: 0, cedarCalls: 0, compiledSets: 0 };

  constructor(opts: EngineOptions = {}) {
    this.maxCached = opts.maxCachedDecisions ?? 100_000;
  }

  /**
   * The compiled policy set of access state `digest`; `policies` is called only when the digest
   * is new (one preparse per policy-set version, shared by every decision until the next change).
   */
  private load(digest: Uint8Array, policies: () => Array<{ id: string; text: string }>): CompiledSet {
    const id = toHex(digest);
    if (this.compiled?.id === id) return this.compiled;
    const statements = policies().flatMap((p) => parsePolicyText(p.id, p.text));
    const set: Record<string, string> = {};
    for (const s of statements) set[s.cedarId] = s.text;
    // Preparsed sets live in the wasm module's memory under their id; the digest names the
    // content, so two engines (or two chains) in one process never clash.
    const r = cedar.preparsePolicySet(id, { staticPolicies: set });
    if (r.type === "failure") throw new CivitasError(ErrorCode.INTERNAL, `stored policies no longer parse: ${r.errors[0]?.message}`);
    this.compiled = new CompiledSet(id, statements);
    this.cache.clear();
    this.stats.compiledSets++;
    return this.compiled;
  }

  /** Decides `req` under the access state `digest` (cached; see the module comment for the key). */
  decide(digest: Uint8Array, policies: () => Array<{ id: string; text: string }>, req: AccessRequest): Decision {
    this.stats.decisions++;
    const set = this.load(digest, policies);
    const { ancestors, entities: actionEnts } = actionEntities(req.action, req.kind);
    const rel = set.relevant(req.action, ancestors);
    if (rel.none) return { decision: "deny", reasons: [], errors: [] };
    let principalEnts: EntityJson[] | undefined;
    // A resource that is the principal itself carries the principal's parents (merged below).
    const samePrincipal = req.resource.type === req.principal.type && req.resource.id === req.principal.id;
    const principalPart = rel.principal || (rel.resource && samePrincipal) ? JSON.stringify((principalEnts = req.principalEntities())) : "*";
    const key = `${req.kind}|${req.action}|${principalPart}|${rel.resource ? `${req.resource.type}::${req.resource.id}` : "*"}|${contextPart(req.context, rel.context)}`;
    const hit = this.cache.get(key);
    if (hit) {
      this.stats.cacheHits++;
      return hit;
    }
    const d = this.evaluate(set, req, [...(principalEnts ?? req.principalEntities()), ...actionEnts, ...req.resourceEntities]);
    if (this.cache.size >= this.maxCached) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, d);
    return d;
  }

  private evaluate(set: CompiledSet, req: AccessRequest, entities: EntityJson[]): Decision {
    this.stats.cedarCalls++;
    const answer = cedar.statefulIsAuthorized({
      principal: req.principal,
      action: { type: "Action", id: req.action },
      resource: req.resource,
      context: req.context,
      preparsedPolicySetId: set.id,
      entities: dedupe(entities),
    });
    if (answer.type === "failure") {
      // Malformed entities or context: a bug in the request mapping, never a reason to allow.
      return { decision: "deny", reasons: [], errors: answer.errors.map((e) => ({ policy: "", message: e.message })) };
    }
    const diag = answer.response.diagnostics;
    const errors = diag.errors.map((e) => ({ policy: policyIdOf(e.policyId), message: e.error.message }));
    // A forbid that could not be evaluated might have been meant to deny: fail closed.
    const failedForbids = diag.errors.filter((e) => set.forbids.has(e.policyId)).map((e) => policyIdOf(e.policyId));
    if (failedForbids.length) return { decision: "deny", reasons: unique(failedForbids), errors };
    return { decision: answer.response.decision, reasons: unique(diag.reason.map(policyIdOf)), errors };
  }
}

/** The context values a decision can depend on, serialised for the cache key. */
function contextPart(context: Record<string, CedarValueJson>, paths: string[]): string {
  if (paths.length === 0) return "*";
  if (paths[0] === "*") return JSON.stringify(context);
  return JSON.stringify(
    paths.map((p) => {
      let v: unknown = context;
      for (const k of p.split(".")) v = v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>)[k] : undefined;
      return v === undefined ? null : v;
    }),
  );
}

function unique(ids: string[]): string[] {
  return [...new Set(ids)].sort();
}

/** One entity per uid (the resource can be the principal itself): parents are merged, the first attrs kept. */
function dedupe(entities: EntityJson[]): EntityJson[] {
  const byUid = new Map<string, EntityJson>();
  for (const e of entities) {
    const u = e.uid as Uid;
    const k = `${u.type}::${u.id}`;
    const prev = byUid.get(k);
    if (!prev) byUid.set(k, { ...e, parents: [...e.parents] });
    else for (const p of e.parents) if (!prev.parents.some((q) => JSON.stringify(q) === JSON.stringify(p))) prev.parents.push(p);
  }
  return [...byUid.values()];
}
