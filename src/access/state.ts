/**
 * The `access` module's state layout, shared by the module (writes), the guard and the API
 * (reads). Keys are relative to the module's key space `access/`:
 *
 *  - `meta`              -> {version, digest, changes}: `version` counts every change, `digest`
 *                           chains them (sha256(prev digest || change record)) and so names the
 *                           whole access state (the guard reads only this key per call).
 *  - `index`             -> {policies}: ids of the active policies, sorted.
 *  - `admins`            -> {members}: global administrators besides the chain authority.
 *  - `policy/<id>`       -> {id, text, admins, active, revision, created, updated}
 *  - `rev/<id>/<n>`      -> revision n of a policy: {id, revision, text, active, actor, height, time, change}
 *  - `grant/<member>`    -> {roles}: roles granted to an address or a DID (sorted)
 *  - `role/<role>`       -> {parents, admins}: the role's parent roles (hierarchy) and administrators
 *  - `log/<seq>`         -> {seq, kind, target, member, actor, height, time}: every change, in order
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { decode, encode, FieldReader } from "../codec/index.js";
import { concatBytes } from "../util/bytes.js";
import { CivitasError, ErrorCode } from "../util/errors.js";

export const ACCESS_MODULE = "access";
export const META = "meta";
export const ADMINS = "admins";
export const INDEX = "index";
export const policyKey = (id: string): string => `policy/${id}`;
export const revisionKey = (id: string, n: number): string => `rev/${id}/${n}`;
export const grantKey = (member: string): string => `grant/${member}`;
export const roleKey = (role: string): string => `role/${role}`;
export const logKey = (seq: number): string => `log/${seq}`;

export const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const ADDRESS = /^0x[0-9a-f]{40}$/;
export const DID = /^did:civitas:[a-z0-9][a-z0-9-]{0,62}:[a-z0-9][a-z0-9._-]{0,63}$/;
export const MAX_POLICIES = 256;
export const MAX_POLICY_CHARS = 16_384;
export const MAX_ADMINS = 64;
export const MAX_ROLES_PER_MEMBER = 64;
export const MAX_PARENTS = 16;
/** Roles reachable from one principal through grants and parents: bounds entity building. */
export const MAX_ROLE_CLOSURE = 256;

export interface Meta {
  version: number;
  digest: Uint8Array;
  changes: number;
}

export interface PolicyRecord {
  id: string;
  text: string;
  admins: string[];
  active: boolean;
  revision: number;
  created: number;
  updated: number;
}

export interface Revision {
  id: string;
  revision: number;
  text: string;
  active: boolean;
  actor: string;
  height: number;
  time: number;
  change: number;
}

export interface RoleRecord {
  parents: string[];
  admins: string[];
}

export interface ChangeRecord {
  seq: number;
  kind: "policySet" | "policyRemoved" | "roleGranted" | "roleRevoked" | "roleParentsSet" | "adminAdded" | "adminRemoved" | "genesis";
  target: string;
  member: string;
  actor: string;
  height: number;
  time: number;
}

export const GENESIS_DIGEST = new Uint8Array(32);

export function isMember(m: string): boolean {
  return ADDRESS.test(m) || DID.test(m);
}

function strings(f: FieldReader, field: string, max: number): string[] {
  return f.array(field, max).map((v, i) => {
    if (typeof v !== "string") throw new CivitasError(ErrorCode.CODEC_MALFORMED, `access.${field}[${i}]: expected a string`);
    return v;
  });
}

export function decodeMeta(raw: Uint8Array | undefined): Meta {
  if (!raw) throw new CivitasError(ErrorCode.INTERNAL, "access/meta missing: the chain has no access genesis state");
  const f = FieldReader.of(decode(raw), "access.meta").knownFields("version", "digest", "changes");
  return { version: f.uint("version"), digest: f.bytes("digest", 32), changes: f.uint("changes") };
}

export const encodeMeta = (m: Meta): Uint8Array => encode({ version: m.version, digest: m.digest, changes: m.changes });

export function decodeIndex(raw: Uint8Array | undefined): string[] {
  if (!raw) return [];
  return strings(FieldReader.of(decode(raw), "access.index").knownFields("policies"), "policies", MAX_POLICIES);
}

export const encodeIndex = (policies: string[]): Uint8Array => encode({ policies });

export function decodePolicy(raw: Uint8Array): PolicyRecord {
  const f = FieldReader.of(decode(raw), "access.policy").knownFields("id", "text", "admins", "active", "revision", "created", "updated");
  return { id: f.str("id"), text: f.str("text"), admins: strings(f, "admins", MAX_ADMINS), active: f.bool("active"), revision: f.uint("revision"), created: f.uint("created"), updated: f.uint("updated") };
}

export const encodePolicy = (p: PolicyRecord): Uint8Array => encode({ id: p.id, text: p.text, admins: p.admins, active: p.active, revision: p.revision, created: p.created, updated: p.updated });

export function decodeRevision(raw: Uint8Array): Revision {
  const f = FieldReader.of(decode(raw), "access.revision").knownFields("id", "revision", "text", "active", "actor", "height", "time", "change");
  return { id: f.str("id"), revision: f.uint("revision"), text: f.str("text"), active: f.bool("active"), actor: f.str("actor"), height: f.uint("height"), time: f.uint("time"), change: f.uint("change") };
}

export const encodeRevision = (r: Revision): Uint8Array => encode({ id: r.id, revision: r.revision, text: r.text, active: r.active, actor: r.actor, height: r.height, time: r.time, change: r.change });

export function decodeRoles(raw: Uint8Array | undefined): string[] {
  if (!raw) return [];
  return strings(FieldReader.of(decode(raw), "access.grant").knownFields("roles"), "roles", MAX_ROLES_PER_MEMBER);
}

export const encodeRoles = (roles: string[]): Uint8Array => encode({ roles });

export function decodeRole(raw: Uint8Array | undefined): RoleRecord {
  if (!raw) return { parents: [], admins: [] };
  const f = FieldReader.of(decode(raw), "access.role").knownFields("parents", "admins");
  return { parents: strings(f, "parents", MAX_PARENTS), admins: strings(f, "admins", MAX_ADMINS) };
}

export const encodeRole = (r: RoleRecord): Uint8Array => encode({ parents: r.parents, admins: r.admins });

export function decodeAdmins(raw: Uint8Array | undefined): string[] {
  if (!raw) return [];
  return strings(FieldReader.of(decode(raw), "access.admins").knownFields("members"), "members", MAX_ADMINS);
}

export const encodeAdmins = (members: string[]): Uint8Array => encode({ members });

export function decodeChange(raw: Uint8Array): ChangeRecord {
  const f = FieldReader.of(decode(raw), "access.log").knownFields("seq", "kind", "target", "member", "actor", "height", "time");
  return { seq: f.uint("seq"), kind: f.str("kind") as ChangeRecord["kind"], target: f.str("target"), member: f.str("member"), actor: f.str("actor"), height: f.uint("height"), time: f.uint("time") };
}

export const encodeChange = (c: ChangeRecord): Uint8Array => encode({ seq: c.seq, kind: c.kind, target: c.target, member: c.member, actor: c.actor, height: c.height, time: c.time });

/** The digest after `change`: names the access state, so caches keyed by it cannot go stale. */
export function nextDigest(prev: Uint8Array, change: Uint8Array, detail: Uint8Array): Uint8Array {
  return sha256(concatBytes(prev, sha256(change), sha256(detail)));
}

/** Sorted insert/remove without duplicates (state lists are kept sorted so encodings are canonical). */
export function withMember(list: string[], m: string): string[] {
  return list.includes(m) ? list : [...list, m].sort();
}

export function withoutMember(list: string[], m: string): string[] {
  return list.filter((x) => x !== m);
}
