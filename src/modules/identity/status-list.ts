/**
 * Bitstring status lists (W3C Bitstring Status List v1.0, statusPurpose "revocation") of
 * registered issuers. A list is stored sparsely in 512-byte chunks so that revoking one
 * credential rewrites 512 bytes, not the whole 16-128 KB bitstring; an absent chunk is zeros.
 */
import { decode, encode, FieldReader } from "../../codec/index.js";
import type { CallContext, MethodDef } from "../../execution/module.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import type { IdentityRead } from "./common.js";
import { checkDid, invalid, listIdArg, reasonArg } from "./common.js";
import { requireController } from "./did.js";
import { readIssuer } from "./issuers.js";

/** W3C: "The bitstring MUST be a minimum of 16KB"; the maximum keeps one list's reads bounded. */
export const STATUS_LIST_MIN_BITS = 131_072;
export const STATUS_LIST_MAX_BITS = 1_048_576;
export const CHUNK_BYTES = 512;
const CHUNK_BITS = CHUNK_BYTES * 8;

export const statusListKey = (issuer: string, listId: string): string => `slist/${issuer}/${listId}`;
export const chunkKey = (issuer: string, listId: string, chunk: number): string => `slist/${issuer}/${listId}/${chunk}`;

export interface StatusListRecord {
  size: number;
  created: number;
  updated: number;
  revoked: number;
}

export function encodeStatusList(r: StatusListRecord): Uint8Array {
  return encode({ size: r.size, created: r.created, updated: r.updated, revoked: r.revoked });
}

export function decodeStatusList(bytes: Uint8Array): StatusListRecord {
  const f = FieldReader.of(decode(bytes), "identity.statusList", ErrorCode.INTERNAL).knownFields("size", "created", "updated", "revoked");
  return { size: f.uint("size"), created: f.uint("created"), updated: f.uint("updated"), revoked: f.uint("revoked") };
}

export function readStatusList(read: IdentityRead, issuer: string, listId: string): StatusListRecord | undefined {
  const raw = read(statusListKey(issuer, listId));
  return raw ? decodeStatusList(raw) : undefined;
}

/** Bit `index` of a list (bit 0 = most significant bit of byte 0). */
export function isRevoked(read: IdentityRead, issuer: string, listId: string, index: number): boolean {
  const chunk = read(chunkKey(issuer, listId, Math.floor(index / CHUNK_BITS)));
  if (!chunk) return false;
  const bit = index % CHUNK_BITS;
  return (chunk[bit >> 3] & (0x80 >> (bit & 7))) !== 0;
}

/** The whole bitstring of a list, for the API (zeros where no chunk is stored). */
export function bitstring(read: IdentityRead, issuer: string, listId: string, size: number): Uint8Array {
  const out = new Uint8Array(size / 8);
  for (let c = 0; c * CHUNK_BYTES < out.length; c++) {
    const chunk = read(chunkKey(issuer, listId, c));
    if (chunk) out.set(chunk.subarray(0, Math.min(CHUNK_BYTES, out.length - c * CHUNK_BYTES)), c * CHUNK_BYTES);
  }
  return out;
}

const issuerArg = { type: "string", maxLength: 128, doc: "issuer DID" } as const;
const get = (ctx: CallContext): IdentityRead => (k) => ctx.get(k);

export const statusListMethods: Record<string, MethodDef> = {
  createStatusList: {
    doc: `Creates revocation list \`listId\` of \`size\` bits (multiple of 8, ${STATUS_LIST_MIN_BITS}..${STATUS_LIST_MAX_BITS}) for an active registered issuer; by a controller of the issuer DID.`,
    gas: 2_000,
    args: { issuer: issuerArg, listId: listIdArg, size: { type: "uint", doc: "bits" } },
    run(ctx, args) {
      const issuer = checkDid(args.issuer as string, ctx.chain, "issuer");
      const listId = args.listId as string;
      const size = args.size as bigint;
      if (size < BigInt(STATUS_LIST_MIN_BITS) || size > BigInt(STATUS_LIST_MAX_BITS) || size % 8n !== 0n) throw invalid(`size must be a multiple of 8 between ${STATUS_LIST_MIN_BITS} and ${STATUS_LIST_MAX_BITS}`, { size: size.toString() });
      requireController(get(ctx), ctx, issuer, "issuer DID");
      const reg = readIssuer(get(ctx), issuer);
      if (!reg) throw new CivitasError(ErrorCode.ISSUER_UNTRUSTED, `'${issuer}' is not a registered issuer`, { issuer });
      if (reg.status !== "active") throw new CivitasError(ErrorCode.ISSUER_UNTRUSTED, `issuer '${issuer}' is suspended`, { issuer });
      if (ctx.get(statusListKey(issuer, listId))) throw invalid(`status list '${listId}' of '${issuer}' already exists`, { issuer, listId });
      ctx.set(statusListKey(issuer, listId), encodeStatusList({ size: Number(size), created: ctx.time, updated: ctx.time, revoked: 0 }));
      ctx.emit("StatusListCreated", { issuer, listId, size: Number(size), actor: ctx.sender }, [ctx.sender]);
    },
  },
  setCredentialStatus: {
    doc: "Revokes the credential at `index` of a status list (`revoked` must be 1: revocation is irreversible); by a controller of the issuer DID.",
    gas: 1_000,
    args: { issuer: issuerArg, listId: listIdArg, index: { type: "uint" }, revoked: { type: "uint", doc: "1 (revocation cannot be undone)" }, reason: reasonArg },
    run(ctx, args) {
      const issuer = checkDid(args.issuer as string, ctx.chain, "issuer");
      const listId = args.listId as string;
      requireController(get(ctx), ctx, issuer, "issuer DID");
      const list = readStatusList(get(ctx), issuer, listId);
      if (!list) throw invalid(`status list '${listId}' of '${issuer}' does not exist`, { issuer, listId });
      const index = args.index as bigint;
      if (index >= BigInt(list.size)) throw invalid(`index ${index} is outside the list (size ${list.size})`, { index: index.toString(), size: list.size });
      const i = Number(index);
      const revoked = args.revoked as bigint;
      const already = isRevoked(get(ctx), issuer, listId, i);
      if (revoked !== 1n) throw invalid(already ? "statusPurpose 'revocation' is irreversible: a revoked credential stays revoked" : "revoked must be 1 (the list has statusPurpose 'revocation')", { index: i });
      if (already) throw invalid(`index ${i} is already revoked`, { index: i });
      const c = Math.floor(i / CHUNK_BITS);
      const chunk = new Uint8Array(CHUNK_BYTES);
      const old = ctx.get(chunkKey(issuer, listId, c));
      if (old) chunk.set(old);
      const bit = i % CHUNK_BITS;
      chunk[bit >> 3] |= 0x80 >> (bit & 7);
      ctx.set(chunkKey(issuer, listId, c), chunk);
      ctx.set(statusListKey(issuer, listId), encodeStatusList({ ...list, updated: ctx.time, revoked: list.revoked + 1 }));
      ctx.emit("CredentialStatusChanged", { issuer, listId, index: i, revoked: true, reason: args.reason as string, actor: ctx.sender }, [ctx.sender]);
    },
  },
};
