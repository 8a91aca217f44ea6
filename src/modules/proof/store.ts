/** Reading and writing records and their history inside a call. */
import type { CallContext } from "../../execution/module.js";
import { toHex } from "../../util/bytes.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import { historyKey, proofNotFound, recordKey, proofInvalid } from "./common.js";
import type { ProofLimits } from "./limits.js";
import type { HistoryEntry, ProofRecord } from "./record.js";
import { decodeRecord, encodeHistory, encodeRecord } from "./record.js";

export function loadRecord(ctx: CallContext, fingerprintHex: string): ProofRecord {
  const raw = ctx.get(recordKey(fingerprintHex));
  if (!raw) throw proofNotFound(fingerprintHex);
  return decodeRecord(raw);
}

export function requireAbsent(ctx: CallContext, fingerprintHex: string): void {
  if (ctx.get(recordKey(fingerprintHex))) throw new CivitasError(ErrorCode.PROOF_EXISTS, `fingerprint ${fingerprintHex} is already registered`, { fingerprint: fingerprintHex });
}

/** Appends one history entry and saves the record with its new history length. */
export function saveWithHistory(ctx: CallContext, limits: ProofLimits, r: ProofRecord, entry: Omit<HistoryEntry, "height" | "time" | "actor" | "owner">): void {
  const hex = toHex(r.fingerprint);
  if (r.history >= limits.maxHistory) throw proofInvalid(`record ${hex} has reached its ${limits.maxHistory} history entries`, { fingerprint: hex, maxHistory: limits.maxHistory });
  ctx.set(historyKey(hex, r.history), encodeHistory({ ...entry, height: ctx.height, time: ctx.time, actor: ctx.sender, owner: r.owner }));
  ctx.set(recordKey(hex), encodeRecord({ ...r, history: r.history + 1 }));
}
