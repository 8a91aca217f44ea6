/**
 * Trusted time (RFC 3161): the node's time-stamping authority and the portable token verifier.
 * Browser-safe exports only; the node side (certificate issuance, home files) is imported from
 * `./home.js` and `./issue.js` directly.
 */
export { verifyTimestampToken, verifyDecoded } from "./verify.js";
export type { VerifyTimestampOptions, VerifiedTimestamp } from "./verify.js";
export { decodeToken } from "./token.js";
export type { DecodedToken } from "./token.js";
export { buildTimestampRequest, parseTimestampRequest } from "./request.js";
export { TimestampError } from "./errors.js";
export type { TimestampCheck } from "./errors.js";
export { TimeStampAuthority } from "./authority.js";
export type { TsaOptions } from "./authority.js";
export { createTsaTokenCheck } from "./module-check.js";
export { CIVITAS_TSA_POLICY } from "./oids.js";
export type { DigestName } from "./oids.js";
export { pemCertificates, toPem } from "./certs.js";
