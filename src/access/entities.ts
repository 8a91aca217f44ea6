/**
 * Cedar entities built from chain state: the principal (an account, with its DID, its roles and
 * its attested credential claims), role entities with their parents (the hierarchy), the
 * resource and action entities. Everything is read through `read(module, key)` so the guard
 * sees the block's base state and the API the head state.
 */
import type { CedarValueJson, EntityJson, EntityUidJson } from "@cedar-policy/cedar-wasm/nodejs";
import { ACCESS_MODULE, decodeRole, decodeRoles, grantKey, MAX_ROLE_CLOSURE, roleKey } from "./state.js";

export type StateRead = (module: string, key: string) => Uint8Array | undefined;
export type { EntityJson, EntityUidJson, CedarValueJson };

export interface Uid {
  type: string;
  id: string;
}

/** A credential's claims as the identity module attested them, already checked valid at `time`. */
export interface ValidClaims {
  type: string;
  issuer: string;
  claims: Record<string, unknown>;
}

/** What the access module needs from identity (adapter over `accountRecord` / `claimsOf`). */
export interface IdentityView {
  /** The DID bound to `address`, if any. */
  didOf(read: StateRead, address: string): string | undefined;
  /** Claims of `did` valid at `time` (in force, not expired, not revoked). */
  claimsOf(read: StateRead, did: string, time: number): ValidClaims[];
}

export const NO_IDENTITY: IdentityView = { didOf: () => undefined, claimsOf: () => [] };

export const ANONYMOUS: Uid = { type: "Anonymous", id: "anonymous" };

const MAX_CLAIM_DEPTH = 4;
const MAX_CLAIM_STRING = 1024;

/**
 * Claim values as Cedar values: strings, booleans, safe integers, sets and records. Keys that
 * start with `__` are dropped (Cedar reads `__entity`/`__extn` as references), as are values
 * Cedar cannot represent (fractions, null).
 */
export function cedarValue(v: unknown, depth = 0): CedarValueJson | undefined {
  if (typeof v === "string") return v.length <= MAX_CLAIM_STRING ? v : undefined;
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return Number.isSafeInteger(v) ? v : undefined;
  if (typeof v === "bigint") return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (depth >= MAX_CLAIM_DEPTH || v === null || typeof v !== "object") return undefined;
  if (Array.isArray(v)) return v.map((x) => cedarValue(x, depth + 1)).filter((x): x is CedarValueJson => x !== undefined);
  const out: Record<string, CedarValueJson> = {};
  for (const k of Object.keys(v as object).sort()) {
    if (k.startsWith("__")) continue;
    const c = cedarValue((v as Record<string, unknown>)[k], depth + 1);
    if (c !== undefined) out[k] = c;
  }
  return out;
}

function claimsRecord(list: ValidClaims[]): Record<string, CedarValueJson> {
  const out: Record<string, CedarValueJson> = {};
  // Later credentials of a type win: claimsOf lists them in attestation order.
  for (const c of list) {
    const rec = cedarValue(c.claims) as Record<string, CedarValueJson>;
    out[c.type] = { ...rec, issuer: c.issuer };
  }
  return out;
}

/** Roles reachable from `direct` through parents, as Role entities (sorted, bounded). */
function roleClosure(read: StateRead, direct: string[]): EntityJson[] {
  const seen = new Map<string, string[]>();
  const queue = [...direct];
  while (queue.length && seen.size < MAX_ROLE_CLOSURE) {
    const r = queue.shift() as string;
    if (seen.has(r)) continue;
    const parents = decodeRole(read(ACCESS_MODULE, roleKey(r))).parents;
    seen.set(r, parents);
    for (const p of parents) if (!seen.has(p)) queue.push(p);
  }
  return [...seen.keys()].sort().map((r) => ({ uid: { type: "Role", id: r }, attrs: {}, parents: (seen.get(r) as string[]).filter((p) => seen.has(p)).map((p) => ({ type: "Role", id: p })) }));
}

const roleUids = (roles: string[]): EntityUidJson[] => roles.map((r) => ({ type: "Role", id: r }));

/**
 * The principal's entities: `Account::"<address>"` (attrs `address`, `did` and `claims` when
 * bound; parents = its roles and its `Did`), the `Did` entity (parents = the DID's roles) and
 * every reachable `Role`. A DID principal (decide route) gets the `Did` entity alone.
 */
export function principalEntities(read: StateRead, identity: IdentityView, principal: Uid, time: number): EntityJson[] {
  if (principal.type === "Anonymous") return [{ uid: ANONYMOUS, attrs: {}, parents: [] }];
  const did = principal.type === "Did" ? principal.id : principal.type === "Account" ? identity.didOf(read, principal.id) : undefined;
  const ownRoles = principal.type === "Account" ? decodeRoles(read(ACCESS_MODULE, grantKey(principal.id))) : [];
  const didRoles = did ? decodeRoles(read(ACCESS_MODULE, grantKey(did))) : [];
  const claims = did ? claimsRecord(identity.claimsOf(read, did, time)) : {};
  const out: EntityJson[] = [];
  if (principal.type === "Account") {
    const attrs: Record<string, CedarValueJson> = { address: principal.id, claims };
    if (did) attrs.did = did;
    out.push({ uid: principal, attrs, parents: [...roleUids(ownRoles), ...(did ? [{ type: "Did", id: did }] : [])] });
  } else if (principal.type !== "Did") {
    out.push({ uid: principal, attrs: {}, parents: [] });
  }
  if (did) out.push({ uid: { type: "Did", id: did }, attrs: { claims }, parents: roleUids(didRoles) });
  out.push(...roleClosure(read, [...ownRoles, ...didRoles]));
  return out;
}

/** Action entities: `<module>.<method>` in `call:<module>` in `call`; a read action in `read`. */
export function actionEntities(action: string, kind: "call" | "read"): { ancestors: string[]; entities: EntityJson[] } {
  const a = (id: string, parents: string[]): EntityJson => ({ uid: { type: "Action", id }, attrs: {}, parents: parents.map((p) => ({ type: "Action", id: p })) });
  if (kind === "read") return { ancestors: [action, "read"], entities: [a(action, ["read"]), a("read", [])] };
  const group = `call:${action.slice(0, action.indexOf("."))}`;
  return { ancestors: [action, group, "call"], entities: [a(action, [group]), a(group, ["call"]), a("call", [])] };
}

/** The resource entity, inside `Module::"<module>"` when the resource is not the module itself. */
export function resourceEntities(resource: Uid, module: string | undefined): EntityJson[] {
  if (!module || (resource.type === "Module" && resource.id === module)) return [{ uid: resource, attrs: {}, parents: [] }];
  return [
    { uid: resource, attrs: {}, parents: [{ type: "Module", id: module }] },
    { uid: { type: "Module", id: module }, attrs: {}, parents: [] },
  ];
}
