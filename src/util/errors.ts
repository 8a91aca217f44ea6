/**
 * The one error type of Civitas. Every failure a caller can act on carries a stable `code`;
 * the API returns `{ code, message, details }`, the CLI prints the code, receipts record it.
 */
export const ErrorCode = {
  // encoding
  CODEC_MALFORMED: "CODEC_MALFORMED",
  CODEC_NON_CANONICAL: "CODEC_NON_CANONICAL",
  CODEC_BAD_VERSION: "CODEC_BAD_VERSION",
  // transaction admission
  TX_MALFORMED: "TX_MALFORMED",
  TX_TOO_LARGE: "TX_TOO_LARGE",
  TX_WRONG_CHAIN: "TX_WRONG_CHAIN",
  TX_BAD_SIGNATURE: "TX_BAD_SIGNATURE",
  TX_BAD_SENDER: "TX_BAD_SENDER",
  TX_NONCE_TOO_LOW: "TX_NONCE_TOO_LOW",
  TX_NONCE_TOO_HIGH: "TX_NONCE_TOO_HIGH",
  TX_EXPIRED: "TX_EXPIRED",
  TX_EXPIRY_TOO_FAR: "TX_EXPIRY_TOO_FAR",
  TX_DUPLICATE: "TX_DUPLICATE",
  TX_NONCE_PENDING: "TX_NONCE_PENDING",
  TX_ACCOUNT_PENDING_LIMIT: "TX_ACCOUNT_PENDING_LIMIT",
  TX_MEMPOOL_FULL: "TX_MEMPOOL_FULL",
  TX_GAS_LIMIT_TOO_HIGH: "TX_GAS_LIMIT_TOO_HIGH",
  TX_GAS_LIMIT_TOO_LOW: "TX_GAS_LIMIT_TOO_LOW",
  TX_UNKNOWN_MODULE: "TX_UNKNOWN_MODULE",
  TX_UNKNOWN_METHOD: "TX_UNKNOWN_METHOD",
  TX_BAD_ARGS: "TX_BAD_ARGS",
  TX_TOO_MANY_CALLS: "TX_TOO_MANY_CALLS",
  TX_MEMO_TOO_LARGE: "TX_MEMO_TOO_LARGE",
  TX_BATCH_TOO_LARGE: "TX_BATCH_TOO_LARGE",
  TX_NOT_FOUND: "TX_NOT_FOUND",
  // execution (receipt error codes)
  EXEC_OUT_OF_GAS: "EXEC_OUT_OF_GAS",
  EXEC_INSUFFICIENT_BALANCE: "EXEC_INSUFFICIENT_BALANCE",
  EXEC_UNAUTHORIZED: "EXEC_UNAUTHORIZED",
  EXEC_NOT_FOUND: "EXEC_NOT_FOUND",
  EXEC_OVERFLOW: "EXEC_OVERFLOW",
  EXEC_INVALID: "EXEC_INVALID",
  // blocks and chain
  BLOCK_NOT_FOUND: "BLOCK_NOT_FOUND",
  BLOCK_INVALID: "BLOCK_INVALID",
  CHAIN_CORRUPT: "CHAIN_CORRUPT",
  STATE_NOT_AVAILABLE: "STATE_NOT_AVAILABLE",
  // configuration and keys
  CONFIG_INVALID: "CONFIG_INVALID",
  GENESIS_INVALID: "GENESIS_INVALID",
  KEY_NOT_FOUND: "KEY_NOT_FOUND",
  KEY_BAD_PASSPHRASE: "KEY_BAD_PASSPHRASE",
  KEY_INVALID: "KEY_INVALID",
  KEY_EXISTS: "KEY_EXISTS",
  // API
  API_BAD_REQUEST: "API_BAD_REQUEST",
  API_NOT_FOUND: "API_NOT_FOUND",
  API_RATE_LIMITED: "API_RATE_LIMITED",
  API_BODY_TOO_LARGE: "API_BODY_TOO_LARGE",
  API_UNAVAILABLE: "API_UNAVAILABLE",
  QUERY_UNKNOWN: "QUERY_UNKNOWN",
  ACCOUNT_NOT_FOUND: "ACCOUNT_NOT_FOUND",
  // invariants: a bug or a corrupted store, never the caller's fault
  INTERNAL: "INTERNAL",
  // identity and access
  ACCOUNT_FROZEN: "ACCOUNT_FROZEN",
  ACCOUNT_CANCELLED: "ACCOUNT_CANCELLED",
  ACCESS_DENIED: "ACCESS_DENIED",
  DID_INVALID: "DID_INVALID",
  DID_NOT_FOUND: "DID_NOT_FOUND",
  DID_DEACTIVATED: "DID_DEACTIVATED",
  ISSUER_UNTRUSTED: "ISSUER_UNTRUSTED",
  CREDENTIAL_INVALID: "CREDENTIAL_INVALID",
  CREDENTIAL_BAD_SIGNATURE: "CREDENTIAL_BAD_SIGNATURE",
  CREDENTIAL_EXPIRED: "CREDENTIAL_EXPIRED",
  CREDENTIAL_NOT_YET_VALID: "CREDENTIAL_NOT_YET_VALID",
  CREDENTIAL_REVOKED: "CREDENTIAL_REVOKED",
  POLICY_INVALID: "POLICY_INVALID",
  AUTH_REQUIRED: "AUTH_REQUIRED",
  AUTH_INVALID: "AUTH_INVALID",
  AUTH_EXPIRED: "AUTH_EXPIRED",
  AUTH_REPLAYED: "AUTH_REPLAYED",
  // integrity proofs
  PROOF_INVALID: "PROOF_INVALID",
  PROOF_NOT_FOUND: "PROOF_NOT_FOUND",
  PROOF_EXISTS: "PROOF_EXISTS",
  PROOF_BAD_SIGNATURE: "PROOF_BAD_SIGNATURE",
  PROOF_REVOKED: "PROOF_REVOKED",
  PROOF_QUOTA_EXCEEDED: "PROOF_QUOTA_EXCEEDED",
  // trusted time, checkpoints and proof bundles
  TSA_TOKEN_INVALID: "TSA_TOKEN_INVALID",
  TSA_UNTRUSTED: "TSA_UNTRUSTED",
  TSA_TIME_SKEW: "TSA_TIME_SKEW",
  CHECKPOINT_INVALID: "CHECKPOINT_INVALID",
  BUNDLE_INVALID: "BUNDLE_INVALID",
  // p2p
  P2P_TLS_INVALID: "P2P_TLS_INVALID",
  P2P_HANDSHAKE_REFUSED: "P2P_HANDSHAKE_REFUSED",
  P2P_GENESIS_MISMATCH: "P2P_GENESIS_MISMATCH",
  P2P_BANNED: "P2P_BANNED",
  P2P_DUPLICATE_CONNECTION: "P2P_DUPLICATE_CONNECTION",
  P2P_FRAME_TOO_LARGE: "P2P_FRAME_TOO_LARGE",
  P2P_BAD_FRAME: "P2P_BAD_FRAME",
  P2P_CERT_REVOKED: "P2P_CERT_REVOKED",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class CivitasError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = "CivitasError";
    this.code = code;
    this.details = details;
  }
  toJSON(): { code: ErrorCode; message: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isCivitasError(e: unknown): e is CivitasError {
  return e instanceof CivitasError;
}

/** Invariant check that stays on in production: a corrupted ledger is worse than a crash. */
export function assert(condition: unknown, message: string, details: Record<string, unknown> = {}): asserts condition {
  if (!condition) throw new CivitasError(ErrorCode.INTERNAL, `invariant violated: ${message}`, details);
}
