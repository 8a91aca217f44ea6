/**
 * `proof`: document fingerprints and aggregated roots registered with the owner's signature,
 * superseded, revoked and transferred with a history; per-account quotas. Specification:
 * docs/spec/proof.md.
 */
import type { Module } from "../../execution/module.js";
import { HASH_HEX, PROOF_MODULE, proofInvalid, quotaKey, recordKey } from "./common.js";
import { lifecycleMethods } from "./lifecycle.js";
import type { ProofLimits } from "./limits.js";
import { proofLimits } from "./limits.js";
import { decodeQuota } from "./quota.js";
import { decodeAny, decodeRecord, recordJson } from "./record.js";
import { registerMethods } from "./register.js";
import type { TsaTokenCheck } from "./tsa-hook.js";
import { encodeTsaRoots, stateTsaCheck, TSA_ROOTS_KEY, tsaRootFromPem, tsaRootMethods, tsaRootsJson } from "./tsa-roots.js";

export interface ProofModuleOptions {
  limits?: Partial<ProofLimits>;
  /** RFC 3161 token check; default: against the trusted roots in the module's state (tsa-roots.ts). */
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
    methods: { ...registerMethods({ limits, tsa: o.tsa ?? stateTsaCheck(limits) }), ...lifecycleMethods(limits), ...tsaRootMethods(limits) },
    initGenesis(ctx, genesis) {
      const roots = (genesis.tsaRoots ?? []).map((pem, i) => tsaRootFromPem(pem, `genesis.tsaRoots[${i}]`));
      if (roots.length > limits.maxTsaRoots) throw proofInvalid(`genesis.tsaRoots: at most ${limits.maxTsaRoots}`);
      if (roots.length) ctx.set(TSA_ROOTS_KEY, encodeTsaRoots(roots));
    },
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
      tsaRoots: {
        doc: "The TSA root certificates this chain trusts for registration tokens (id = SHA-256 of the DER).",
        args: {},
        run(ctx) {
          return { key: TSA_ROOTS_KEY, value: tsaRootsJson(ctx.get(TSA_ROOTS_KEY)) };
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
    decodeValue: (key, value) => (key === TSA_ROOTS_KEY ? tsaRootsJson(value) : decodeAny(key, value)),
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
export { decodeTsaRoots, TSA_ROOTS_KEY, tsaRootsJson } from "./tsa-roots.js";
