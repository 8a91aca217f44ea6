/**
 * Asking a node's time-stamping authority for an RFC 3161 token (POST /v1/tsa). Portable
 * (browser and Node). The answer is checked for what the request fixes (imprint and nonce);
 * pass `trustedRoots` to verify the signature and chain as well: the node's own
 * `/v1/tsa/certs` tells you its roots, but only a root you obtained independently proves anything.
 */
import { buildTimestampRequest } from "../proof/tsa/request.js";
import { decodeToken } from "../proof/tsa/token.js";
import type { DigestName } from "../proof/tsa/oids.js";
import { digest } from "../proof/tsa/digest.js";
import { verifyTimestampToken } from "../proof/tsa/verify.js";
import type { VerifiedTimestamp } from "../proof/tsa/verify.js";
import { TimestampError } from "../proof/tsa/errors.js";
import { equalBytes } from "../util/bytes.js";
import { CivitasError, ErrorCode } from "../util/errors.js";

export interface TimestampResult {
  /** DER TimeStampResp as the TSA sent it (what `openssl ts -verify -in` reads). */
  response: Uint8Array;
  /** DER token (ContentInfo) inside it: what a proof registration carries. */
  token: Uint8Array;
  genTime: number;
  serial: string;
  /** Present when trustedRoots were given. */
  verified?: VerifiedTimestamp;
}

export interface TimestampRequestOptions {
  data?: Uint8Array;
  hash?: Uint8Array;
  algorithm?: DigestName;
  trustedRoots?: Array<string | Uint8Array>;
  /** Also passed to the verifier: allowed distance between genTime and this machine's clock. */
  maxSkewMs?: number;
  fetch?: typeof fetch;
}

function randomNonce(): bigint {
  const b = globalThis.crypto.getRandomValues(new Uint8Array(8));
  let x = 0n;
  for (const v of b) x = (x << 8n) | BigInt(v);
  return x;
}

export async function requestTimestamp(baseUrl: string, o: TimestampRequestOptions): Promise<TimestampResult> {
  const algorithm = o.algorithm ?? "SHA-256";
  const hash = o.hash ?? (o.data ? digest(algorithm, o.data) : undefined);
  if (!hash) throw new CivitasError(ErrorCode.API_BAD_REQUEST, "give the data or its hash");
  const nonce = randomNonce();
  const body = buildTimestampRequest({ hash, algorithm, nonce, certReq: true });
  const f = o.fetch ?? fetch;
  const res = await f(`${baseUrl.replace(/\/$/, "")}/v1/tsa`, { method: "POST", headers: { "content-type": "application/timestamp-query" }, body: body as unknown as BodyInit });
  if (!res.ok) {
    let detail = "";
    try {
      detail = ((await res.json()) as { message?: string }).message ?? "";
    } catch {
      // not JSON
    }
    throw new CivitasError(ErrorCode.API_UNAVAILABLE, `the TSA answered HTTP ${res.status}${detail ? `: ${detail}` : ""}`, { status: res.status });
  }
  const response = new Uint8Array(await res.arrayBuffer());
  const decoded = decodeToken(response);
  if (decoded.digestAlgorithm !== algorithm || !equalBytes(decoded.hashedMessage, hash)) throw new TimestampError("imprint", "the TSA stamped another hash than the one asked for");
  if (decoded.nonce !== nonce) throw new TimestampError("nonce", "the TSA's answer does not carry the request's nonce (a replayed answer?)");
  const verified = o.trustedRoots ? verifyTimestampToken(decoded.der, { trustedRoots: o.trustedRoots, imprint: { algorithm, hash }, nonce, ...(o.maxSkewMs !== undefined ? { referenceTime: Date.now(), maxSkewMs: o.maxSkewMs } : {}) }) : undefined;
  return { response, token: decoded.der, genTime: decoded.genTime, serial: decoded.serial, ...(verified ? { verified } : {}) };
}

/** The node's TSA certificate and roots (PEM), policy and allowed skew. */
export async function getTsaCertificates(baseUrl: string, f: typeof fetch = fetch): Promise<{ tsaCertificate: string; networkCa: string; trustedRoots: string; policy: string; maxSkewMs: number }> {
  const res = await f(`${baseUrl.replace(/\/$/, "")}/v1/tsa/certs`);
  if (!res.ok) throw new CivitasError(ErrorCode.API_UNAVAILABLE, `GET /v1/tsa/certs answered HTTP ${res.status}`);
  return (await res.json()) as { tsaCertificate: string; networkCa: string; trustedRoots: string; policy: string; maxSkewMs: number };
}
