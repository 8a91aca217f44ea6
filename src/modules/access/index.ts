/**
 * `access`: Cedar policies, role grants and administrators stored on chain, and the transaction
 * guard that decides every call with them (deny by default). Specification: docs/spec/access.md;
 * design of the decision path: docs/adr/0010-cedar-policies.md.
 */
import type { EntityJson } from "@cedar-policy/cedar-wasm/nodejs";
import type { GuardContext, GuardedCall, Module, QueryContext, QueryDef } from "../../execution/module.js";
import { AccessEngine } from "../../access/engine.js";
import type { AccessRequest, Decision, EngineOptions } from "../../access/engine.js";
import { callContext, callResource } from "../../access/call-request.js";
import { chainIdentity } from "../../access/identity-view.js";
import { principalEntities, resourceEntities } from "../../access/entities.js";
import type { IdentityView, StateRead, Uid } from "../../access/entities.js";
import * as S from "../../access/state.js";
import { toHex } from "../../util/bytes.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import { BASELINE_POLICIES } from "./baseline.js";
import { accessMethods, genesisWrites } from "./methods.js";

/**
 * Gas of the access check of one call. Flat on purpose: whether a decision comes from the cache
 * differs between nodes, so the charge must not depend on it. It prices a cached decision plus
 * the base-state reads of entity building; the Cedar evaluations a cache miss costs are bounded
 * by the number of distinct requests, not by transactions.
 */
export const ACCESS_GAS_PER_CALL = 1_500;

export interface AccessModule extends Module {
  readonly engine: AccessEngine;
  readonly identity: IdentityView;
  /** Decides a request against the state `read` sees (the guard: block base state; the API: head). */
  decide(read: StateRead, req: Omit<AccessRequest, "principalEntities" | "resourceEntities"> & { module?: string; time: number }): Decision;
}

/** Active policies of the access state `read` sees, in id order. */
export function activePolicies(read: StateRead): Array<{ id: string; text: string }> {
  return S.decodeIndex(read(S.ACCESS_MODULE, S.INDEX)).map((id) => {
    const raw = read(S.ACCESS_MODULE, S.policyKey(id));
    if (!raw) throw new CivitasError(ErrorCode.INTERNAL, `access index names policy '${id}' but it is not stored`);
    return { id, text: S.decodePolicy(raw).text };
  });
}

const q = (key: string, value: unknown): { key: string; value: unknown } => ({ key, value });
const nameArg = { type: "string", maxLength: 64, pattern: S.NAME } as const;

function queries(): Record<string, QueryDef> {
  const json = (ctx: QueryContext, key: string, decodeFn: (raw: Uint8Array) => unknown): { key: string; value: unknown } => {
    const raw = ctx.get(key);
    return q(key, raw ? decodeFn(raw) : null);
  };
  return {
    meta: { doc: "Version, digest and number of changes of the access state.", args: {}, run: (ctx) => json(ctx, S.META, (r) => ({ ...S.decodeMeta(r), digest: toHex(S.decodeMeta(r).digest) })) },
    policies: { doc: "Ids of the active policies.", args: {}, run: (ctx) => q(S.INDEX, S.decodeIndex(ctx.get(S.INDEX))) },
    policy: { doc: "A policy: text, administrators, active flag, revision count.", args: { id: nameArg }, run: (ctx, a) => json(ctx, S.policyKey(a.id as string), S.decodePolicy) },
    revision: { doc: "Revision `revision` (1 = first) of policy `id`: text, actor, height, change number.", args: { id: nameArg, revision: { type: "uint" } }, run: (ctx, a) => json(ctx, S.revisionKey(a.id as string, Number(a.revision)), S.decodeRevision) },
    change: { doc: "Entry `seq` (0 = genesis) of the log of every access change.", args: { seq: { type: "uint" } }, run: (ctx, a) => json(ctx, S.logKey(Number(a.seq)), S.decodeChange) },
    grants: { doc: "Roles granted to `member` (an address or a DID).", args: { member: { type: "string", maxLength: 128 } }, run: (ctx, a) => q(S.grantKey(a.member as string), S.decodeRoles(ctx.get(S.grantKey(a.member as string)))) },
    role: { doc: "Parent roles and administrators of `role`.", args: { role: nameArg }, run: (ctx, a) => q(S.roleKey(a.role as string), S.decodeRole(ctx.get(S.roleKey(a.role as string)))) },
    admins: { doc: "Global administrators besides the chain authority.", args: {}, run: (ctx) => q(S.ADMINS, S.decodeAdmins(ctx.get(S.ADMINS))) },
  };
}

function decodeValue(key: string, value: Uint8Array): unknown {
  if (key === S.META) {
    const m = S.decodeMeta(value);
    return { ...m, digest: toHex(m.digest) };
  }
  if (key === S.INDEX) return S.decodeIndex(value);
  if (key === S.ADMINS) return S.decodeAdmins(value);
  if (key.startsWith("policy/")) return S.decodePolicy(value);
  if (key.startsWith("rev/")) return S.decodeRevision(value);
  if (key.startsWith("log/")) return S.decodeChange(value);
  if (key.startsWith("grant/")) return S.decodeRoles(value);
  if (key.startsWith("role/")) return S.decodeRole(value);
  return undefined;
}

/** A fresh module (with its own engine and caches) for one chain. */
export function createAccessModule(o: { identity?: IdentityView; engine?: EngineOptions; baseline?: ReadonlyArray<{ id: string; text: string }> } = {}): AccessModule {
  const identity = o.identity ?? chainIdentity;
  const engine = new AccessEngine(o.engine);
  const baseline = o.baseline ?? BASELINE_POLICIES;

  const decide: AccessModule["decide"] = (read, r) => {
    const meta = S.decodeMeta(read(S.ACCESS_MODULE, S.META));
    let principal: EntityJson[] | undefined;
    return engine.decide(meta.digest, () => activePolicies(read), {
      principal: r.principal,
      action: r.action,
      kind: r.kind,
      resource: r.resource,
      context: r.context,
      principalEntities: () => (principal ??= principalEntities(read, identity, r.principal, r.time)),
      resourceEntities: resourceEntities(r.resource, r.module),
    });
  };

  const checkCall = (ctx: GuardContext, call: GuardedCall): void => {
    // The root administrator can always repair the access state, whatever the policies say.
    if (call.module === S.ACCESS_MODULE && ctx.sender === ctx.authority) return;
    const principal: Uid = { type: "Account", id: ctx.sender };
    const resource = callResource(call);
    const action = `${call.module}.${call.method}`;
    const d = decide((m, k) => ctx.read(m, k), { principal, action, kind: "call", resource, context: callContext(call, ctx.height, ctx.time), module: call.module, time: ctx.time });
    if (d.decision === "deny") {
      throw new CivitasError(ErrorCode.ACCESS_DENIED, `${ctx.sender} may not call ${action} on ${resource.type}::"${resource.id}"${d.reasons.length ? ` (denied by ${d.reasons.join(", ")})` : " (no policy permits it)"}`, {
        action,
        resource,
        reasons: d.reasons,
        errors: d.errors,
      });
    }
  };

  return {
    name: S.ACCESS_MODULE,
    doc: "Cedar policies, roles (with hierarchy) and administrators on chain; every call is checked against them (deny by default).",
    methods: accessMethods(identity),
    queries: queries(),
    initGenesis(ctx, genesis) {
      for (const [k, v] of genesisWrites(genesis.authority, baseline, 0)) ctx.set(k, v);
    },
    guard: { checkCall, gasPerCall: ACCESS_GAS_PER_CALL },
    decodeValue,
    engine,
    identity,
    decide,
  };
}
