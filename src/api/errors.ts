/** Maps every failure to `{ code, message, details }` with a status a client can act on. */
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { CivitasError, ErrorCode, isCivitasError } from "../util/errors.js";

const NOT_FOUND = new Set<string>([ErrorCode.TX_NOT_FOUND, ErrorCode.BLOCK_NOT_FOUND, ErrorCode.API_NOT_FOUND, ErrorCode.ACCOUNT_NOT_FOUND, ErrorCode.QUERY_UNKNOWN, ErrorCode.STATE_NOT_AVAILABLE, ErrorCode.DID_NOT_FOUND, ErrorCode.PROOF_NOT_FOUND]);

export function statusFor(code: string): number {
  if (NOT_FOUND.has(code)) return 404;
  if (code === ErrorCode.API_RATE_LIMITED) return 429;
  if (code === ErrorCode.AUTH_REQUIRED || code === ErrorCode.AUTH_INVALID || code === ErrorCode.AUTH_EXPIRED || code === ErrorCode.AUTH_REPLAYED) return 401;
  if (code === ErrorCode.ACCESS_DENIED || code === ErrorCode.ACCOUNT_FROZEN || code === ErrorCode.ACCOUNT_CANCELLED) return 403;
  if (code === ErrorCode.API_BODY_TOO_LARGE || code === ErrorCode.TX_BATCH_TOO_LARGE || code === ErrorCode.TX_TOO_LARGE) return 413;
  if (code === ErrorCode.TX_MEMPOOL_FULL || code === ErrorCode.API_UNAVAILABLE || code === ErrorCode.STORAGE_LIMIT_EXCEEDED) return 503;
  if (code === ErrorCode.INTERNAL || code === ErrorCode.CHAIN_CORRUPT) return 500;
  if (code === ErrorCode.TX_DUPLICATE || code === ErrorCode.TX_NONCE_PENDING || code === ErrorCode.PROOF_EXISTS) return 409;
  return 400;
}

export function toApiError(e: unknown): CivitasError {
  if (isCivitasError(e)) return e;
  const fe = e as FastifyError & { validation?: unknown };
  if (fe && typeof fe === "object") {
    if (fe.code === "FST_ERR_CTP_BODY_TOO_LARGE") return new CivitasError(ErrorCode.API_BODY_TOO_LARGE, "request body is larger than the node accepts", { limit: "see api.bodyLimitBytes" });
    if (fe.validation) return new CivitasError(ErrorCode.API_BAD_REQUEST, `invalid request: ${fe.message}`, { validation: fe.validation });
    if (fe.statusCode === 429) return new CivitasError(ErrorCode.API_RATE_LIMITED, "rate limit exceeded; slow down and retry");
    if (fe.statusCode !== undefined && fe.statusCode >= 400 && fe.statusCode < 500) return new CivitasError(ErrorCode.API_BAD_REQUEST, fe.message, { fastify: fe.code });
  }
  return new CivitasError(ErrorCode.INTERNAL, "internal error", {});
}

export function errorHandler(e: unknown, req: FastifyRequest, reply: FastifyReply): void {
  const err = toApiError(e);
  const status = statusFor(err.code);
  if (status >= 500) req.log.error({ err: e }, "request failed");
  void reply.status(status).send(err.toJSON());
}
