/**
 * The node's HTTP API: Fastify with an OpenAPI 3.1 document at /docs/json and a browsable
 * page at /docs, errors as `{ code, message, details }`, configurable body and rate limits.
 */
import Fastify from "fastify";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import fastifyRateLimit from "@fastify/rate-limit";
import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import fastifyWebsocket from "@fastify/websocket";
import { CivitasError, ErrorCode } from "../util/errors.js";
import type { ApiContext } from "./context.js";
import { errorHandler } from "./errors.js";
import { accessRoutes } from "./routes/access.js";
import { backupRoutes } from "./routes/backup.js";
import { chainRoutes } from "./routes/chain.js";
import { checkpointRoutes } from "./routes/checkpoints.js";
import { consoleRoutes } from "./routes/console.js";
import { eventRoutes } from "./routes/events.js";
import { explorerIndexRoutes } from "./routes/explorer-index.js";
import { identityRoutes } from "./routes/identity.js";
import { monitoringRoutes } from "./routes/monitoring.js";
import { proofRoutes } from "./routes/proofs.js";
import { stateRoutes } from "./routes/state.js";
import { tsaRoutes } from "./routes/tsa.js";
import { txRoutes } from "./routes/txs.js";

export async function buildApi(ctx: ApiContext, logger?: Logger): Promise<FastifyInstance> {
  const app = Fastify({
    // Per-request logs would drown block logs at thousands of requests per second.
    loggerInstance: logger?.child({ component: "api" }, { level: "warn" }),
    bodyLimit: ctx.config.api.bodyLimitBytes,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
  }) as unknown as FastifyInstance;
  app.setErrorHandler(errorHandler);
  const rateLimited = ctx.config.api.rateLimitMax > 0;
  if (rateLimited) {
    await app.register(fastifyRateLimit, {
      max: ctx.config.api.rateLimitMax,
      timeWindow: ctx.config.api.rateLimitWindowMs,
      errorResponseBuilder: (_req, c) => ({ statusCode: 429, ...new CivitasError(ErrorCode.API_RATE_LIMITED, `rate limit of ${c.max} requests per ${c.after} exceeded; retry later`, { max: c.max }).toJSON() }),
    });
  }
  // Probing unknown routes counts against the rate limit too.
  app.setNotFoundHandler({ preHandler: rateLimited ? app.rateLimit() : undefined }, (req, reply) => {
    void reply.status(404).send(new CivitasError(ErrorCode.API_NOT_FOUND, `no route ${req.method} ${req.url}; see /docs`).toJSON());
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: "3.1.0",
      info: { title: "Civitas node API", version: ctx.version, description: "Submit signed transactions, read blocks, transactions, receipts and state with proofs, and subscribe to events." },
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: "/docs" });
  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });
  await app.register(async (scope) => {
    chainRoutes(scope, ctx);
    txRoutes(scope, ctx);
    stateRoutes(scope, ctx);
    eventRoutes(scope, ctx);
    explorerIndexRoutes(scope, ctx);
    identityRoutes(scope, ctx);
    accessRoutes(scope, ctx);
    proofRoutes(scope, ctx);
    tsaRoutes(scope, ctx);
    checkpointRoutes(scope, ctx);
    monitoringRoutes(scope, ctx);
    backupRoutes(scope, ctx);
    consoleRoutes(scope);
  });
  return app;
}
