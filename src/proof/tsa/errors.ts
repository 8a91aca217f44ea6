import { CivitasError, ErrorCode } from "../../util/errors.js";

/** Which check of a timestamp token failed, so callers (and tests) can tell a forgery from a stale token. */
export type TimestampCheck =
  | "format"
  | "status"
  | "contentType"
  | "imprint"
  | "nonce"
  | "policy"
  | "signer"
  | "messageDigest"
  | "signature"
  | "ess"
  | "eku"
  | "chain"
  | "validity"
  | "time";

const CODE_OF: Partial<Record<TimestampCheck, ErrorCode>> = { chain: ErrorCode.TSA_UNTRUSTED, time: ErrorCode.TSA_TIME_SKEW };

/** A timestamp token that does not verify: `details.check` names the failed check. */
export class TimestampError extends CivitasError {
  constructor(
    readonly check: TimestampCheck,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(CODE_OF[check] ?? ErrorCode.TSA_TOKEN_INVALID, `timestamp token: ${check} check failed: ${message}`, { check, ...details });
    this.name = "TimestampError";
  }
}
