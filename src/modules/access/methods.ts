/**
 * Administration of the access state by transactions. Who may change what:
 *  - the chain authority is the root administrator (always, it cannot be removed);
 *  - global administrators (scope `access`) may do everything the root may;
 *  - a policy's administrators (scope `policy:<id>`) may update or remove that policy;
 *  - a role's administrators (scope `role:<name>`) may grant and revoke that role.
 * A member is an address or a DID; a sender acts as its address and as the DID its account is
 * bound to. Every change bumps `meta.version`, chains `meta.digest` and appends a `log` entry.
 */
import { encode } from "../../codec/index.js";
import type { CallContext, MethodDef } from "../../execution/module.js";
import type { IdentityView } from "../../access/entities.js";
import { parsePolicyText } from "../../access/policy-text.js";
import * as S from "../../access/state.js";
import { utf8 } from "../../util/bytes.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";

const nameArg = (doc: string) => ({ type: "string", maxLength: 64, pattern: S.NAME, doc }) as const;
const memberArg = { type: "string", maxLength: 128, doc: "an address (0x + 40 hex) or a DID (did:civitas:...)" } as const;

function unauthorized(message: string, details: Record<string, unknown> = {}): CivitasError {
  return new CivitasError(ErrorCode.EXEC_UNAUTHORIZED, message, details);
}

function invalid(message: string, details: Record<string, unknown> = {}): CivitasError {
  return new CivitasError(ErrorCode.EXEC_INVALID, message, details);
}

function checkMember(m: string): string {
  if (!S.isMember(m)) throw invalid(`'${m}' is neither an address nor a civitas DID`, { member: m });
  return m;
}

/** The identities the sender acts as: its address and the DID its account is bound to. */
function actorIds(ctx: CallContext, identity: IdentityView): string[] {
  const did = identity.didOf((m, k) => ctx.read(m, k), ctx.sender);
  return did ? [ctx.sender, did] : [ctx.sender];
}

function isGlobalAdmin(ctx: CallContext, ids: string[]): boolean {
  if (ctx.sender === ctx.authority) return true;
  const admins = S.decodeAdmins(ctx.get(S.ADMINS));
  return ids.some((i) => admins.includes(i));
}

function readPolicy(ctx: CallContext, id: string): S.PolicyRecord | undefined {
  const raw = ctx.get(S.policyKey(id));
  return raw ? S.decodePolicy(raw) : undefined;
}

/** Records one change: log entry, version and digest (detail = what changed, hashed into the digest). */
function recordChange(ctx: CallContext, kind: S.ChangeRecord["kind"], target: string, member: string, detail: string): number {
  const meta = S.decodeMeta(ctx.get(S.META));
  const change: S.ChangeRecord = { seq: meta.changes, kind, target, member, actor: ctx.sender, height: ctx.height, time: ctx.time };
  const bytes = S.encodeChange(change);
  ctx.set(S.logKey(change.seq), bytes);
  ctx.set(S.META, S.encodeMeta({ version: meta.version + 1, digest: S.nextDigest(meta.digest, bytes, utf8(detail)), changes: meta.changes + 1 }));
  return change.seq;
}

function writeRevision(ctx: CallContext, p: S.PolicyRecord, seq: number): void {
  ctx.set(S.revisionKey(p.id, p.revision), S.encodeRevision({ id: p.id, revision: p.revision, text: p.text, active: p.active, actor: ctx.sender, height: ctx.height, time: ctx.time, change: seq }));
}

function parseRoleList(text: string): string[] {
  if (text === "") return [];
  const roles = text.split(",");
  if (roles.length > S.MAX_PARENTS) throw invalid(`at most ${S.MAX_PARENTS} parent roles`);
  for (const r of roles) if (!S.NAME.test(r)) throw invalid(`'${r}' is not a role name (a-z, 0-9, '.', '_', '-')`, { role: r });
  if (new Set(roles).size !== roles.length) throw invalid("parent roles must be distinct");
  return [...roles].sort();
}

/** Would `role` become its own ancestor through `parents`? */
function createsCycle(ctx: CallContext, role: string, parents: string[]): boolean {
  const seen = new Set<string>();
  const queue = [...parents];
  while (queue.length) {
    const r = queue.shift() as string;
    if (r === role) return true;
    if (seen.has(r)) continue;
    seen.add(r);
    if (seen.size > S.MAX_ROLE_CLOSURE) throw invalid(`the role hierarchy above '${role}' would exceed ${S.MAX_ROLE_CLOSURE} roles`);
    queue.push(...S.decodeRole(ctx.get(S.roleKey(r))).parents);
  }
  return false;
}

type Scope = { kind: "access" } | { kind: "policy"; id: string } | { kind: "role"; role: string };

function parseScope(s: string): Scope {
  if (s === "access") return { kind: "access" };
  const [kind, name] = [s.slice(0, s.indexOf(":")), s.slice(s.indexOf(":") + 1)];
  if (s.includes(":") && S.NAME.test(name)) {
    if (kind === "policy") return { kind: "policy", id: name };
    if (kind === "role") return { kind: "role", role: name };
  }
  throw invalid(`scope must be 'access', 'policy:<id>' or 'role:<name>', not '${s}'`, { scope: s });
}

export function accessMethods(identity: IdentityView): Record<string, MethodDef> {
  const setAdmin = (add: boolean): MethodDef => ({
    doc: add
      ? "Adds `member` to the administrators of `scope`: 'access' (global; global administrators only), 'policy:<id>' (global or that policy's administrators) or 'role:<name>' (global administrators only)."
      : "Removes `member` from the administrators of `scope` (same rules as addAdmin; the chain authority stays root administrator).",
    gas: 3_000,
    args: { scope: { type: "string", maxLength: 80, doc: "access | policy:<id> | role:<name>" }, member: memberArg },
    run(ctx, args) {
      const scope = parseScope(args.scope as string);
      const member = checkMember(args.member as string);
      const ids = actorIds(ctx, identity);
      const global = isGlobalAdmin(ctx, ids);
      const change = (list: string[]): string[] => {
        if (add) {
          if (list.includes(member)) throw invalid(`'${member}' is already an administrator of ${args.scope as string}`);
          if (list.length >= S.MAX_ADMINS) throw invalid(`at most ${S.MAX_ADMINS} administrators per scope`);
          return S.withMember(list, member);
        }
        if (!list.includes(member)) throw new CivitasError(ErrorCode.EXEC_NOT_FOUND, `'${member}' is not an administrator of ${args.scope as string}`);
        return S.withoutMember(list, member);
      };
      if (scope.kind === "access") {
        if (!global) throw unauthorized("only global administrators may change the global administrators");
        ctx.set(S.ADMINS, S.encodeAdmins(change(S.decodeAdmins(ctx.get(S.ADMINS)))));
      } else if (scope.kind === "policy") {
        const p = readPolicy(ctx, scope.id);
        if (!p) throw new CivitasError(ErrorCode.EXEC_NOT_FOUND, `no policy '${scope.id}'`, { id: scope.id });
        if (!global && !ids.some((i) => p.admins.includes(i))) throw unauthorized(`only administrators of policy '${scope.id}' may change its administrators`);
        ctx.set(S.policyKey(p.id), S.encodePolicy({ ...p, admins: change(p.admins) }));
      } else {
        if (!global) throw unauthorized("only global administrators may appoint role administrators");
        const r = S.decodeRole(ctx.get(S.roleKey(scope.role)));
        ctx.set(S.roleKey(scope.role), S.encodeRole({ ...r, admins: change(r.admins) }));
      }
      const seq = recordChange(ctx, add ? "adminAdded" : "adminRemoved", args.scope as string, member, "");
      ctx.emit(add ? "AdminAdded" : "AdminRemoved", { scope: args.scope as string, member, actor: ctx.sender, change: seq }, [ctx.sender]);
    },
  });

  const role = (grant: boolean): MethodDef => ({
    doc: grant ? "Grants `role` to `member` (an address or a DID): global administrators or the role's administrators." : "Revokes `role` from `member`.",
    gas: 3_000,
    args: { role: nameArg("role name"), member: memberArg },
    run(ctx, args) {
      const roleName = args.role as string;
      const member = checkMember(args.member as string);
      const ids = actorIds(ctx, identity);
      if (!isGlobalAdmin(ctx, ids) && !ids.some((i) => S.decodeRole(ctx.get(S.roleKey(roleName))).admins.includes(i))) {
        throw unauthorized(`only administrators of role '${roleName}' may ${grant ? "grant" : "revoke"} it`, { role: roleName });
      }
      const roles = S.decodeRoles(ctx.get(S.grantKey(member)));
      if (grant) {
        if (roles.includes(roleName)) throw invalid(`'${member}' already has role '${roleName}'`);
        if (roles.length >= S.MAX_ROLES_PER_MEMBER) throw invalid(`at most ${S.MAX_ROLES_PER_MEMBER} roles per member`);
        ctx.set(S.grantKey(member), S.encodeRoles(S.withMember(roles, roleName)));
      } else {
        if (!roles.includes(roleName)) throw new CivitasError(ErrorCode.EXEC_NOT_FOUND, `'${member}' does not have role '${roleName}'`);
        const rest = S.withoutMember(roles, roleName);
        if (rest.length) ctx.set(S.grantKey(member), S.encodeRoles(rest));
        else ctx.del(S.grantKey(member));
      }
      const seq = recordChange(ctx, grant ? "roleGranted" : "roleRevoked", roleName, member, "");
      ctx.emit(grant ? "RoleGranted" : "RoleRevoked", { role: roleName, member, actor: ctx.sender, change: seq }, S.ADDRESS.test(member) ? [ctx.sender, member] : [ctx.sender]);
    },
  });

  return {
    setPolicy: {
      doc: "Creates (global administrators) or replaces (global or the policy's administrators) the Cedar policy `id`. Text that does not parse: POLICY_INVALID. Effective from the next block.",
      gas: 10_000,
      args: { id: nameArg("policy id"), text: { type: "string", maxLength: S.MAX_POLICY_CHARS, doc: "Cedar policy text (one or more static policies)" } },
      run(ctx, args) {
        const id = args.id as string;
        const text = args.text as string;
        parsePolicyText(id, text);
        const ids = actorIds(ctx, identity);
        const existing = readPolicy(ctx, id);
        const global = isGlobalAdmin(ctx, ids);
        if (!global && !(existing && ids.some((i) => existing.admins.includes(i)))) {
          throw unauthorized(existing ? `only administrators of policy '${id}' may replace it` : "only global administrators may create policies", { id });
        }
        const index = S.decodeIndex(ctx.get(S.INDEX));
        if (!index.includes(id)) {
          if (index.length >= S.MAX_POLICIES) throw invalid(`at most ${S.MAX_POLICIES} active policies`);
          ctx.set(S.INDEX, S.encodeIndex(S.withMember(index, id)));
        }
        const p: S.PolicyRecord = { id, text, admins: existing?.admins ?? [], active: true, revision: (existing?.revision ?? 0) + 1, created: existing?.created ?? ctx.height, updated: ctx.height };
        ctx.set(S.policyKey(id), S.encodePolicy(p));
        const seq = recordChange(ctx, "policySet", id, "", text);
        writeRevision(ctx, p, seq);
        ctx.emit("PolicySet", { id, revision: p.revision, actor: ctx.sender, change: seq }, [ctx.sender]);
      },
    },
    removePolicy: {
      doc: "Deactivates the policy `id` (its history stays): global or the policy's administrators. Effective from the next block.",
      gas: 5_000,
      args: { id: nameArg("policy id") },
      run(ctx, args) {
        const id = args.id as string;
        const existing = readPolicy(ctx, id);
        if (!existing || !existing.active) throw new CivitasError(ErrorCode.EXEC_NOT_FOUND, `no active policy '${id}'`, { id });
        const ids = actorIds(ctx, identity);
        if (!isGlobalAdmin(ctx, ids) && !ids.some((i) => existing.admins.includes(i))) throw unauthorized(`only administrators of policy '${id}' may remove it`, { id });
        ctx.set(S.INDEX, S.encodeIndex(S.withoutMember(S.decodeIndex(ctx.get(S.INDEX)), id)));
        const p: S.PolicyRecord = { ...existing, text: "", active: false, revision: existing.revision + 1, updated: ctx.height };
        ctx.set(S.policyKey(id), S.encodePolicy(p));
        const seq = recordChange(ctx, "policyRemoved", id, "", "");
        writeRevision(ctx, p, seq);
        ctx.emit("PolicyRemoved", { id, revision: p.revision, actor: ctx.sender, change: seq }, [ctx.sender]);
      },
    },
    grantRole: role(true),
    revokeRole: role(false),
    setRoleParents: {
      doc: "Sets the parent roles of `role` (comma-separated, '' for none): members of `role` are also members of its parents. Global administrators only; no cycles.",
      gas: 3_000,
      args: { role: nameArg("role name"), parents: { type: "string", maxLength: S.MAX_PARENTS * 65, doc: "comma-separated role names" } },
      run(ctx, args) {
        const roleName = args.role as string;
        const parents = parseRoleList(args.parents as string);
        if (!isGlobalAdmin(ctx, actorIds(ctx, identity))) throw unauthorized("only global administrators may change the role hierarchy");
        if (createsCycle(ctx, roleName, parents)) throw invalid(`parents ${parents.join(",")} would make '${roleName}' its own ancestor`, { role: roleName });
        const r = S.decodeRole(ctx.get(S.roleKey(roleName)));
        ctx.set(S.roleKey(roleName), S.encodeRole({ ...r, parents }));
        const seq = recordChange(ctx, "roleParentsSet", roleName, "", parents.join(","));
        ctx.emit("RoleParentsSet", { role: roleName, parents: parents.join(","), actor: ctx.sender, change: seq }, [ctx.sender]);
      },
    },
    addAdmin: setAdmin(true),
    removeAdmin: setAdmin(false),
  };
}

/** Genesis: the baseline policies, with revision 1 and the first log entry, by the chain authority. */
export function genesisWrites(authority: string, policies: ReadonlyArray<{ id: string; text: string }>, time: number): Array<[string, Uint8Array]> {
  const change: S.ChangeRecord = { seq: 0, kind: "genesis", target: "baseline", member: "", actor: authority, height: 0, time };
  const bytes = S.encodeChange(change);
  const out: Array<[string, Uint8Array]> = [[S.logKey(0), bytes]];
  for (const p of policies) {
    parsePolicyText(p.id, p.text);
    const rec: S.PolicyRecord = { id: p.id, text: p.text, admins: [], active: true, revision: 1, created: 0, updated: 0 };
    out.push([S.policyKey(p.id), S.encodePolicy(rec)]);
    out.push([S.revisionKey(p.id, 1), S.encodeRevision({ id: p.id, revision: 1, text: p.text, active: true, actor: authority, height: 0, time, change: 0 })]);
  }
  out.push([S.INDEX, S.encodeIndex(policies.map((p) => p.id).sort())]);
  out.push([S.META, S.encodeMeta({ version: 1, digest: S.nextDigest(S.GENESIS_DIGEST, bytes, encode(policies.map((p) => [p.id, p.text]))), changes: 1 })]);
  return out;
}
