/**
 * Limits of the proof module (X.1407 8.2.8 spam, 9.2.3 f / 9.3.1 a size regulation). They are
 * consensus rules: every node of a chain must build its module with the same values.
 */
export interface ProofLimits {
  /** Records one sender account may register per quota window. */
  maxRecordsPerWindow: number;
  /** Length of a quota window in ms of block time. */
  quotaWindowMs: number;
  /** Largest tree size of an aggregated registration. */
  maxBatchLeaves: number;
  maxMetadataChars: number;
  maxDocTypeChars: number;
  maxReasonChars: number;
  maxTsaTokenBytes: number;
  /** History entries per record; the registration entry is one of them. */
  maxHistory: number;
  /** Largest difference between a token's genTime and the block time (X.1407 8.2.3). */
  maxTsaSkewMs: number;
  /** Trusted TSA roots held at once. */
  maxTsaRoots: number;
}

export const PROOF_LIMITS: Readonly<ProofLimits> = Object.freeze({
  maxRecordsPerWindow: 10_000,
  quotaWindowMs: 86_400_000,
  maxBatchLeaves: 0xffff_ffff,
  maxMetadataChars: 1024,
  maxDocTypeChars: 64,
  maxReasonChars: 256,
  maxTsaTokenBytes: 8192,
  maxHistory: 256,
  maxTsaSkewMs: 600_000,
  maxTsaRoots: 16,
});

/** The defaults overridden by `partial`; refuses values that could not work (a configuration bug). */
export function proofLimits(partial: Partial<ProofLimits> = {}): ProofLimits {
  const l = { ...PROOF_LIMITS, ...partial };
  for (const [k, v] of Object.entries(l)) {
    if (!Number.isSafeInteger(v) || v < 1) throw new TypeError(`proof limit ${k} must be a positive integer, got ${String(v)}`);
  }
  return l;
}
