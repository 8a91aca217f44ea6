/**
 * `proof`: document fingerprints and aggregated roots registered with the owner's signature,
 * superseded, revoked and transferred with a history; per-account quotas. Specification:
 * docs/spec/proof.md.
 */
import type { Module } from "../../execution/module.js";
import { HASH_HEX, PROOF_MODULE, quotaKey, recordKey } from "./common.js";
import { lifecycleMethods } from "./lifecycle.js";
import type { ProofLimits } from "./limits.js";
import { proofLimits } from "./limits.js";
import { decodeQuota } from "./quota.js";
import { decodeAny, decodeRecord, recordJson } from "./record.js";
import { registerMethods } from "./register.js";
import type { TsaTokenCheck } from "./tsa-hook.js";

export interface ProofModuleOptions {
  limits?: Partial<ProofLimits>;
  /** RFC 3161 token check (src/proof/tsa); without it, registrations carrying a token are refused. */
  tsa?: TsaTokenCheck;
}

export interface ProofModule extends Module {
  readonly limits: ProofLimits;
}

export function createProofModule(o: ProofModuleOptions = {}): ProofModule {
  const limits = proofLimits(o.limits);
  return {
    name: PROOF_MODULE,
    doc: "Integrity proofs: document fingerprints and aggregated Merkle roots signed by their owner DID, with supersede, revoke, transfer and history.",
    limits,
    methods: { ...registerMethods({ limits, tsa: o.tsa }), ...lifecycleMethods(limits) },
    queries: {
      record: {
        doc: "The record registered under a fingerprint or batch root (null if absent, with a non-membership proof).",
        args: { fingerprint: { type: "string", maxLength: 64, pattern: HASH_HEX } },
        run(ctx, args) {
          const key = recordKey(args.fingerprint as string);
          const raw = ctx.get(key);
          return { key, value: raw ? recordJson(decodeRecord(raw)) : null };
        },
      },
      quota: {
        doc: "Records `address` registered in the current quota window (as of the queried block) and the limit.",
        args: { address: { type: "address" } },
        run(ctx, args) {
          const key = quotaKey(args.address as string);
          const q = decodeQuota(ctx.get(key));
          return { key, value: { window: q.window, used: q.used, limit: limits.maxRecordsPerWindow, windowMs: limits.quotaWindowMs } };
        },
      },
      limits: {
        doc: "The module's limits (consensus constants of this chain).",
        args: {},
        run() {
          return { key: "limits", value: { ...limits } };
        },
      },
    },
    decodeValue: decodeAny,
  };
}

export const proofModule: ProofModule = createProofModule();

export { PROOF_LIMITS, proofLimits } from "./limits.js";
export type { ProofLimits } from "./limits.js";
export { registrationMessage, registrationText, REGISTRATION_PREFIX } from "./message.js";
export type { RegistrationFields } from "./message.js";
export { decodeHistory, decodeRecord, recordJson } from "./record.js";
export type { HistoryEntry, HistoryOp, ProofRecord, RecordKind, RecordStatus, TsaStamp } from "./record.js";
export type { TsaCheckContext, TsaTokenCheck } from "./tsa-hook.js";
export { HASH_HEX, historyKey, PROOF_MODULE, quotaKey, recordKey } from "./common.js";
