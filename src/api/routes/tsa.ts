/**
 * RFC 3161 over HTTP (§3.4): `POST /v1/tsa` takes a DER TimeStampReq as
 * application/timestamp-query and answers a DER TimeStampResp as application/timestamp-reply.
 * A malformed request gets a rejection TimeStampResp (HTTP 200, as the RFC's transport
 * expects a response body); only an oversized body is refused at the HTTP level (413).
 * `GET /v1/tsa/certs` serves the TSA certificate and the roots, for `openssl ts -verify`.
 */
import type { FastifyInstance } from "fastify";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import type { ApiContext } from "../context.js";

/** A TimeStampReq with a SHA-512 imprint, a 32-byte nonce and a policy is under 200 bytes. */
export const TSA_BODY_LIMIT_BYTES = 4096;
const QUERY = "application/timestamp-query";
const REPLY = "application/timestamp-reply";

export function tsaRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.addContentTypeParser(QUERY, { parseAs: "buffer", bodyLimit: TSA_BODY_LIMIT_BYTES }, (_req, body, done) => done(null, body));
  const unavailable = (): never => {
    throw new CivitasError(ErrorCode.API_UNAVAILABLE, "this node runs no time-stamping authority (its home has no tsa/ folder)");
  };

  app.post("/v1/tsa", { schema: { tags: ["trusted time"], summary: `RFC 3161 time-stamp request (${QUERY}) → TimeStampResp (${REPLY}).` } }, async (req, reply) => {
    const tsa = ctx.tsa ?? unavailable();
    const ct = String(req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
    if (ct !== QUERY || !Buffer.isBuffer(req.body)) throw new CivitasError(ErrorCode.API_BAD_REQUEST, `send a DER TimeStampReq with Content-Type: ${QUERY}`);
    const der = await tsa.authority.respond(new Uint8Array(req.body));
    return reply.type(REPLY).send(Buffer.from(der));
  });

  app.get("/v1/tsa/certs", { schema: { tags: ["trusted time"], summary: "The node's TSA certificate and the roots it trusts (PEM), plus its policy and allowed skew." } }, async () => {
    const tsa = ctx.tsa ?? unavailable();
    return { tsaCertificate: tsa.authority.certPem, networkCa: tsa.caPem, trustedRoots: tsa.rootsPem, policy: tsa.authority.policy, maxSkewMs: tsa.config.maxSkewMs, hashAlgorithms: tsa.authority.acceptedDigests };
  });
}
