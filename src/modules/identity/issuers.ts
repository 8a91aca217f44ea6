/**
 * The issuer registry: which DIDs the chain trusts to issue which credential types. Only the
 * chain authority registers, suspends and resumes issuers (later: governance).
 */
import { decode, encode, FieldReader } from "../../codec/index.js";
import type { CallContext, MethodDef } from "../../execution/module.js";
import { ErrorCode } from "../../util/errors.js";
import type { IdentityRead } from "./common.js";
import { checkDid, didArg, invalid, MAX_ISSUER_TYPES, reasonArg, TYPE_NAME, unauthorized } from "./common.js";
import { requireActiveDid } from "./did.js";

export const issuerKey = (did: string): string => `issuer/${did}`;

export type IssuerStatus = "active" | "suspended";

export interface IssuerRecord {
  types: string[];
  status: IssuerStatus;
  reason: string;
  registered: number;
  updated: number;
  updatedHeight: number;
}

export function encodeIssuer(r: IssuerRecord): Uint8Array {
  return encode({ types: r.types, status: r.status, reason: r.reason, registered: r.registered, updated: r.updated, updatedHeight: r.updatedHeight });
}

export function decodeIssuer(bytes: Uint8Array): IssuerRecord {
  const f = FieldReader.of(decode(bytes), "identity.issuer", ErrorCode.INTERNAL).knownFields("types", "status", "reason", "registered", "updated", "updatedHeight");
  return {
    types: f.array("types", MAX_ISSUER_TYPES).map((t) => t as string),
    status: f.str("status") as IssuerStatus,
    reason: f.str("reason"),
    registered: f.uint("registered"),
    updated: f.uint("updated"),
    updatedHeight: f.uint("updatedHeight"),
  };
}

export function readIssuer(read: IdentityRead, did: string): IssuerRecord | undefined {
  const raw = read(issuerKey(did));
  return raw ? decodeIssuer(raw) : undefined;
}

/** Parses "TypeA,TypeB": 1 to 16 distinct names, never the base type. */
export function parseTypes(text: string): string[] {
  const types = text.split(",");
  if (types.length > MAX_ISSUER_TYPES) throw invalid(`at most ${MAX_ISSUER_TYPES} credential types per issuer`);
  for (const t of types) {
    if (!TYPE_NAME.test(t)) throw invalid(`credential type '${t.slice(0, 70)}' must match ${TYPE_NAME} (types are comma-separated, no spaces)`, { type: t.slice(0, 70) });
    if (t === "VerifiableCredential") throw invalid("VerifiableCredential is the base type of every credential; name the specific types");
  }
  if (new Set(types).size !== types.length) throw invalid("a credential type is listed twice");
  return [...types].sort();
}

function requireAuthority(ctx: CallContext, what: string): void {
  if (ctx.sender !== ctx.authority) throw unauthorized(`only the chain authority may ${what}`, { authority: ctx.authority });
}

function setStatus(ctx: CallContext, args: Record<string, unknown>, from: IssuerStatus, to: IssuerStatus, event: string): void {
  requireAuthority(ctx, `${to === "suspended" ? "suspend" : "resume"} issuers`);
  const did = checkDid(args.did as string, ctx.chain);
  const r = readIssuer((k) => ctx.get(k), did);
  if (!r) throw invalid(`'${did}' is not a registered issuer`, { did });
  if (r.status !== from) throw invalid(`issuer '${did}' is ${r.status}, not ${from}`, { did, status: r.status });
  const reason = args.reason as string;
  ctx.set(issuerKey(did), encodeIssuer({ ...r, status: to, reason, updated: ctx.time, updatedHeight: ctx.height }));
  ctx.emit(event, { did, reason, actor: ctx.sender }, [ctx.sender]);
}

export const issuerMethods: Record<string, MethodDef> = {
  registerIssuer: {
    doc: "Registers `did` as a trusted issuer of the comma-separated credential `types` (or replaces its types); chain authority only.",
    gas: 2_000,
    args: { did: didArg, types: { type: "string", maxLength: MAX_ISSUER_TYPES * 65, doc: "comma-separated credential type names" } },
    run(ctx, args) {
      requireAuthority(ctx, "register issuers");
      const did = checkDid(args.did as string, ctx.chain);
      const types = parseTypes(args.types as string);
      requireActiveDid((k) => ctx.get(k), did, "issuer DID");
      const old = readIssuer((k) => ctx.get(k), did);
      const record: IssuerRecord = old ? { ...old, types, updated: ctx.time, updatedHeight: ctx.height } : { types, status: "active", reason: "", registered: ctx.time, updated: ctx.time, updatedHeight: ctx.height };
      ctx.set(issuerKey(did), encodeIssuer(record));
      ctx.emit("IssuerRegistered", { did, types: types.join(","), actor: ctx.sender }, [ctx.sender]);
    },
  },
  suspendIssuer: {
    doc: "Suspends an active issuer: its credentials no longer attest; chain authority only.",
    gas: 1_000,
    args: { did: didArg, reason: reasonArg },
    run(ctx, args) {
      setStatus(ctx, args, "active", "suspended", "IssuerSuspended");
    },
  },
  resumeIssuer: {
    doc: "Resumes a suspended issuer; chain authority only.",
    gas: 1_000,
    args: { did: didArg, reason: reasonArg },
    run(ctx, args) {
      setStatus(ctx, args, "suspended", "active", "IssuerResumed");
    },
  },
};
