/**
 * Per-account registration quota: one counter per sender for the current window of block time,
 * reset when a new window starts (one key per account, so old windows leave nothing behind).
 */
import { decode, encode, FieldReader } from "../../codec/index.js";
import type { CallContext } from "../../execution/module.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import { quotaKey } from "./common.js";
import type { ProofLimits } from "./limits.js";

export interface QuotaState {
  window: number;
  used: number;
}

export function decodeQuota(raw: Uint8Array | undefined): QuotaState {
  if (!raw) return { window: 0, used: 0 };
  const f = FieldReader.of(decode(raw), "proof.quota", ErrorCode.INTERNAL).knownFields("window", "used");
  return { window: f.uint("window"), used: f.uint("used") };
}

/** The sender's usage in the window of `time` (0 when the stored counter is of an older window). */
export function usedInWindow(q: QuotaState, time: number, limits: ProofLimits): number {
  return q.window === Math.floor(time / limits.quotaWindowMs) ? q.used : 0;
}

/** Counts `records` against the sender's quota, or refuses with PROOF_QUOTA_EXCEEDED. */
export function chargeQuota(ctx: CallContext, limits: ProofLimits, records: number): void {
  const window = Math.floor(ctx.time / limits.quotaWindowMs);
  const used = usedInWindow(decodeQuota(ctx.get(quotaKey(ctx.sender))), ctx.time, limits);
  if (used + records > limits.maxRecordsPerWindow) {
    const resetsAt = (window + 1) * limits.quotaWindowMs;
    throw new CivitasError(ErrorCode.PROOF_QUOTA_EXCEEDED, `account ${ctx.sender} has registered ${used} of ${limits.maxRecordsPerWindow} records allowed per ${limits.quotaWindowMs} ms window; more from block time ${resetsAt}`, {
      used,
      limit: limits.maxRecordsPerWindow,
      windowMs: limits.quotaWindowMs,
      resetsAt,
    });
  }
  ctx.set(quotaKey(ctx.sender), encode({ window, used: used + records }));
}
