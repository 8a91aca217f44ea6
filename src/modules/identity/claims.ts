/**
 * Attested claims: the claims of verified credentials, stored under the subject DID so that the
 * access module can decide on them (ABAC) without a credential in every request. One entry per
 * (issuer, type); the access module re-checks validity and status at decision time.
 */
import { decode, encode, FieldReader } from "../../codec/index.js";
import type { MethodDef } from "../../execution/module.js";
import { ErrorCode } from "../../util/errors.js";
import type { IdentityRead } from "./common.js";
import { MAX_CREDENTIALS_PER_SUBJECT, MAX_JWT_CHARS, invalid, unauthorized } from "./common.js";
import { controls, requireActiveDid } from "./did.js";
import type { JsonObject } from "./json.js";
import { canonicalJson, isJsonObject, parseStrictJson } from "./json.js";
import { verifyVcJwt } from "./vc-jwt-sync.js";

export const claimsKey = (did: string): string => `claims/${did}`;

export interface ClaimsEntry {
  type: string;
  issuer: string;
  claims: JsonObject;
  validFrom: number;
  /** ms since the epoch; null = no expiry. */
  validUntil: number | null;
  status: { listId: string; index: number };
}

interface StoredEntry {
  type: string;
  issuer: string;
  claims: string;
  validFrom: number;
  validUntil: number | null;
  listId: string;
  index: number;
  id: string;
  height: number;
}

function decodeEntries(bytes: Uint8Array): StoredEntry[] {
  return FieldReader.of(decode(bytes), "identity.claims", ErrorCode.INTERNAL)
    .knownFields("entries")
    .array("entries", MAX_CREDENTIALS_PER_SUBJECT)
    .map((e) => {
      const f = FieldReader.of(e, "identity.claims.entries", ErrorCode.INTERNAL).knownFields("type", "issuer", "claims", "validFrom", "validUntil", "listId", "index", "id", "height");
      const until = f.raw("validUntil");
      return { type: f.str("type"), issuer: f.str("issuer"), claims: f.str("claims"), validFrom: f.uint("validFrom"), validUntil: until === null ? null : f.uint("validUntil"), listId: f.str("listId"), index: f.uint("index"), id: f.str("id"), height: f.uint("height") };
    });
}

function encodeEntries(entries: StoredEntry[]): Uint8Array {
  return encode({ entries: entries.map((e) => ({ type: e.type, issuer: e.issuer, claims: e.claims, validFrom: e.validFrom, validUntil: e.validUntil, listId: e.listId, index: e.index, id: e.id, height: e.height })) });
}

/** The attested claims of `did` (for the access module; `read` reads the identity key space). */
export function claimsOf(read: IdentityRead, did: string): ClaimsEntry[] {
  const raw = read(claimsKey(did));
  if (!raw) return [];
  return decodeEntries(raw).map((e) => {
    const claims = parseStrictJson(e.claims, ErrorCode.INTERNAL, "stored claims");
    return { type: e.type, issuer: e.issuer, claims: isJsonObject(claims) ? claims : (Object.create(null) as JsonObject), validFrom: e.validFrom, validUntil: e.validUntil, status: { listId: e.listId, index: e.index } };
  });
}

/** JSON form of the stored record, for proof responses. */
export function claimsRecordJson(bytes: Uint8Array): unknown {
  return decodeEntries(bytes);
}

export const claimsMethods: Record<string, MethodDef> = {
  attestClaims: {
    doc: "Verifies a VC-JWT (signature, issuer trust for the type, validity period, revocation) and stores its claims under the subject DID; by a controller of the subject or of the issuer.",
    gas: 10_000,
    args: { jwt: { type: "string", maxLength: MAX_JWT_CHARS, doc: "compact JWS, typ vc+jwt, alg EdDSA" } },
    run(ctx, args) {
      const read: IdentityRead = (k) => ctx.get(k);
      const vc = verifyVcJwt(read, ctx, args.jwt as string);
      const subject = requireActiveDid(read, vc.subject, "credential subject");
      const issuer = requireActiveDid(read, vc.issuer, "issuer");
      if (!controls(read, ctx, subject) && !controls(read, ctx, issuer)) throw unauthorized(`${ctx.sender} controls neither the subject nor the issuer of the credential`, { subject: vc.subject, issuer: vc.issuer });
      const raw = ctx.get(claimsKey(vc.subject));
      const kept = (raw ? decodeEntries(raw) : []).filter((e) => !(e.issuer === vc.issuer && vc.trustedTypes.includes(e.type)));
      const claims = canonicalJson(vc.claims);
      const added: StoredEntry[] = vc.trustedTypes.map((type) => ({ type, issuer: vc.issuer, claims, validFrom: vc.validFrom, validUntil: vc.validUntil, listId: vc.listId, index: vc.index, id: vc.id, height: ctx.height }));
      const entries = [...kept, ...added].sort((a, b) => (a.issuer < b.issuer ? -1 : a.issuer > b.issuer ? 1 : a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
      if (entries.length > MAX_CREDENTIALS_PER_SUBJECT) throw invalid(`a subject holds at most ${MAX_CREDENTIALS_PER_SUBJECT} attested credential types`, { subject: vc.subject });
      ctx.set(claimsKey(vc.subject), encodeEntries(entries));
      ctx.emit("ClaimsAttested", { subject: vc.subject, issuer: vc.issuer, types: vc.trustedTypes.join(","), credentialId: vc.id, actor: ctx.sender }, [ctx.sender]);
    },
  },
};
