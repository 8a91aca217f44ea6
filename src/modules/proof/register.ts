/**
 * Registration: a single fingerprint (`register`), the root of an aggregated RFC 9162 tree
 * (`registerBatch`), and a replacement of an owner's record (`supersede`). Each is signed by a
 * current key of the owner DID over the message of message.ts and counted against the sender's
 * quota; any refusal leaves nothing behind (the executor reverts the call's writes).
 */
import type { CallContext, MethodDef } from "../../execution/module.js";
import type { ArgsSchema, ArgValue } from "../../execution/schema.js";
import { fromHex, toHex } from "../../util/bytes.js";
import { DOC_TYPE, didArg, hashArg, ONE_LINE, proofInvalid, proofRevoked, signatureArg } from "./common.js";
import type { ProofLimits } from "./limits.js";
import { registrationMessage } from "./message.js";
import { requireOwnerControl, verifyOwnerSignature } from "./owner.js";
import { chargeQuota } from "./quota.js";
import type { ProofRecord, RecordKind, TsaStamp } from "./record.js";
import { loadRecord, requireAbsent, saveWithHistory } from "./store.js";
import type { TsaTokenCheck } from "./tsa-hook.js";

export interface ProofDeps {
  limits: ProofLimits;
  tsa?: TsaTokenCheck;
}

export function describedArgs(limits: ProofLimits): ArgsSchema {
  return {
    salted: { type: "uint", doc: "1: the fingerprint (every leaf of a batch) is H(salt ‖ document); 0: H(document)" },
    docType: { type: "string", maxLength: limits.maxDocTypeChars, doc: "document type, [A-Za-z0-9][A-Za-z0-9._:/-]*" },
    metadata: { type: "string", maxLength: limits.maxMetadataChars, doc: "descriptive text or compact JSON, no control characters (signed)" },
    keyId: { type: "uint", doc: "n of the owner's verification method <owner>#key-<n> that signed" },
    signature: signatureArg,
    tsaToken: { type: "string", maxLength: 2 * limits.maxTsaTokenBytes, pattern: /^(?:[0-9a-f]{2})+$/, optional: true, doc: "RFC 3161 timestamp token, DER hex (needs a TSA check wired into the module)" },
  };
}

interface Common {
  salted: boolean;
  docType: string;
  metadata: string;
  keyId: number;
  signature: string;
  tsaToken: string | undefined;
}

function common(args: Record<string, ArgValue>): Common {
  const salted = args.salted as bigint;
  if (salted > 1n) throw proofInvalid("salted must be 0 or 1", { field: "salted" });
  const docType = args.docType as string;
  if (!DOC_TYPE.test(docType)) throw proofInvalid(`docType '${docType.slice(0, 64)}' must match ${DOC_TYPE.source}`, { field: "docType" });
  const metadata = args.metadata as string;
  if (!ONE_LINE.test(metadata)) throw proofInvalid("metadata must not contain control characters (it is one line of the signed message)", { field: "metadata" });
  const keyId = args.keyId as bigint;
  if (keyId > 0xffff_ffffn) throw proofInvalid("keyId is not a key number", { field: "keyId" });
  return { salted: salted === 1n, docType, metadata, keyId: Number(keyId), signature: args.signature as string, tsaToken: args.tsaToken as string | undefined };
}

function stamp(ctx: CallContext, deps: ProofDeps, tokenHex: string | undefined, imprint: Uint8Array): TsaStamp | null {
  if (tokenHex === undefined) return null;
  if (!deps.tsa) throw proofInvalid("this chain does not verify timestamp tokens yet; register without tsaToken", { field: "tsaToken" });
  const token = fromHex(tokenHex);
  const checked = deps.tsa.verify({ chain: ctx.chain, height: ctx.height, time: ctx.time, read: ctx.read, crypto: ctx.crypto }, token, imprint);
  return { token, genTime: checked.genTime, tsa: checked.tsa };
}

/** Checks everything and writes a new active record with its `registered` history entry. */
function createRecord(ctx: CallContext, deps: ProofDeps, kind: RecordKind, fingerprintHex: string, count: number, owner: string, c: Common, supersedes: Uint8Array | null): ProofRecord {
  requireAbsent(ctx, fingerprintHex);
  const message = registrationMessage({ chain: ctx.chain, kind, fingerprint: fingerprintHex, count, salted: c.salted, owner, docType: c.docType, metadata: c.metadata });
  const { publicKey, signature } = verifyOwnerSignature(ctx, owner, c.keyId, c.signature, message);
  const fingerprint = fromHex(fingerprintHex);
  const tsa = stamp(ctx, deps, c.tsaToken, fingerprint);
  chargeQuota(ctx, deps.limits, 1);
  const record: ProofRecord = {
    kind,
    fingerprint,
    count,
    salted: c.salted,
    docType: c.docType,
    metadata: c.metadata,
    owner,
    keyId: c.keyId,
    publicKey,
    signature,
    registrant: ctx.sender,
    height: ctx.height,
    time: ctx.time,
    tsa,
    status: "active",
    supersedes,
    supersededBy: null,
    statusReason: "",
    statusHeight: ctx.height,
    history: 0,
  };
  saveWithHistory(ctx, deps.limits, record, { op: "registered", other: supersedes ? toHex(supersedes) : "", reason: "" });
  ctx.emit("Registered", { fingerprint: fingerprintHex, kind, count, owner, docType: c.docType, salted: c.salted ? 1 : 0 }, [ctx.sender]);
  return record;
}

export function registerMethods(deps: ProofDeps): Record<string, MethodDef> {
  const shared = describedArgs(deps.limits);
  const reasonArg = { type: "string", maxLength: deps.limits.maxReasonChars, doc: "why (recorded in the history and the event)" } as const;
  return {
    register: {
      doc: "Registers a document fingerprint (or salted commitment) signed by a current key of the owner DID.",
      gas: 4_000,
      args: { fingerprint: hashArg("H(document) or H(salt ‖ document), 64 hex"), owner: didArg, ...shared },
      run(ctx, args) {
        createRecord(ctx, deps, "document", args.fingerprint as string, 1, args.owner as string, common(args), null);
      },
    },
    registerBatch: {
      doc: "Registers the RFC 9162 root of `count` document fingerprints (aggregated registration); receipts are built client-side.",
      gas: 4_000,
      args: { root: hashArg("RFC 9162 Merkle tree hash over the fingerprints, 64 hex"), count: { type: "uint", doc: "tree size" }, owner: didArg, ...shared },
      run(ctx, args) {
        const count = args.count as bigint;
        if (count < 1n || count > BigInt(deps.limits.maxBatchLeaves)) throw proofInvalid(`count must be between 1 and ${deps.limits.maxBatchLeaves}`, { field: "count", max: deps.limits.maxBatchLeaves });
        createRecord(ctx, deps, "batch", args.root as string, Number(count), args.owner as string, common(args), null);
      },
    },
    supersede: {
      doc: "Replaces an active record by a new document record of the same owner (signed like register); by a controller of the owner DID.",
      gas: 6_000,
      args: { fingerprint: hashArg("the record to supersede"), newFingerprint: hashArg("the replacing document's fingerprint"), reason: reasonArg, ...shared },
      run(ctx, args) {
        const oldHex = args.fingerprint as string;
        const old = loadRecord(ctx, oldHex);
        if (old.status === "revoked") throw proofRevoked(oldHex);
        if (old.status === "superseded") throw proofInvalid(`record ${oldHex} is already superseded by ${toHex(old.supersededBy as Uint8Array)}`, { fingerprint: oldHex });
        requireOwnerControl(ctx, old.owner);
        const c = common(args);
        const next = createRecord(ctx, deps, "document", args.newFingerprint as string, 1, old.owner, c, old.fingerprint);
        const reason = args.reason as string;
        saveWithHistory(ctx, deps.limits, { ...old, status: "superseded", supersededBy: next.fingerprint, statusReason: reason, statusHeight: ctx.height }, { op: "superseded", other: toHex(next.fingerprint), reason });
        ctx.emit("Superseded", { fingerprint: oldHex, by: toHex(next.fingerprint), owner: old.owner, reason }, [ctx.sender]);
      },
    },
  };
}
