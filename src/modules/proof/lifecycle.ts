/**
 * Revocation and transfer of ownership, by a controller of the owner DID. The record's signed
 * registration fields never change; its status or owner does, and the history grows.
 */
import type { MethodDef } from "../../execution/module.js";
import { didArg, hashArg, proofInvalid, proofRevoked } from "./common.js";
import type { ProofLimits } from "./limits.js";
import { activeDid, requireOwnerControl } from "./owner.js";
import { loadRecord, saveWithHistory } from "./store.js";

export function lifecycleMethods(limits: ProofLimits): Record<string, MethodDef> {
  const reasonArg = { type: "string", maxLength: limits.maxReasonChars, doc: "why (recorded in the history and the event)" } as const;
  return {
    revoke: {
      doc: "Revokes a record (active or superseded) for good; by a controller of the owner DID.",
      gas: 2_000,
      args: { fingerprint: hashArg("the record to revoke"), reason: reasonArg },
      run(ctx, args) {
        const hex = args.fingerprint as string;
        const r = loadRecord(ctx, hex);
        if (r.status === "revoked") throw proofRevoked(hex);
        requireOwnerControl(ctx, r.owner);
        const reason = args.reason as string;
        saveWithHistory(ctx, limits, { ...r, status: "revoked", statusReason: reason, statusHeight: ctx.height }, { op: "revoked", other: "", reason });
        ctx.emit("Revoked", { fingerprint: hex, owner: r.owner, reason }, [ctx.sender]);
      },
    },
    transfer: {
      doc: "Hands a record to another existing, active DID; by a controller of the current owner DID.",
      gas: 2_000,
      args: { fingerprint: hashArg("the record to transfer"), newOwner: didArg, reason: reasonArg },
      run(ctx, args) {
        const hex = args.fingerprint as string;
        const r = loadRecord(ctx, hex);
        if (r.status === "revoked") throw proofRevoked(hex);
        const to = args.newOwner as string;
        if (to === r.owner) throw proofInvalid(`record ${hex} is already owned by ${to}`, { fingerprint: hex, owner: to });
        requireOwnerControl(ctx, r.owner);
        activeDid(ctx, to, "newOwner");
        const reason = args.reason as string;
        saveWithHistory(ctx, limits, { ...r, owner: to, statusHeight: ctx.height }, { op: "transferred", other: r.owner, reason });
        ctx.emit("Transferred", { fingerprint: hex, from: r.owner, to, reason }, [ctx.sender]);
      },
    },
  };
}
