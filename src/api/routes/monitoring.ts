/**
 * Monitoring routes: `GET /metrics` (Prometheus text), `GET /v1/alerts` (firing alerts and the
 * history of transitions), `GET|PUT /v1/alerts/rules`, `GET /v1/logs` (recent log lines,
 * filtered). Metrics are decided as `read.metrics` (the baseline permits them to anyone, as it
 * does /v1/status, so Prometheus scrapes without signing); alerts, rules and logs are operator
 * data (`read.alerts`, `admin.alerts`, `read.logs`, the baseline grants them to Role::"operator")
 * and are refused on a node without an access layer.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { LOG_LEVELS, LOG_SOURCES } from "../../node/logging.js";
import type { LogSource } from "../../node/logging.js";
import type { MonitoringApi } from "../../node/metrics/monitoring.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import type { ApiContext } from "../context.js";
import { intParam } from "../params.js";

function monitoring(ctx: ApiContext): MonitoringApi {
  if (!ctx.monitoring) throw new CivitasError(ErrorCode.API_UNAVAILABLE, "this node runs without monitoring");
  return ctx.monitoring;
}

async function operator(ctx: ApiContext, req: FastifyRequest, action: string): Promise<string> {
  if (!ctx.access) throw new CivitasError(ErrorCode.ACCESS_DENIED, "this node has no access layer: operator routes are refused");
  return (await ctx.access.authorize(req, action, { type: "Node", id: ctx.config.moniker })).address;
}

export function monitoringRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get("/metrics", { schema: { tags: ["monitoring"], summary: "Prometheus metrics of this node (text exposition format 0.0.4); decided as read.metrics." } }, async (req, reply) => {
    const m = monitoring(ctx);
    if (ctx.access) await ctx.access.authorize(req, "read.metrics", { type: "Node", id: ctx.config.moniker });
    const { contentType, text } = await m.metrics();
    return reply.type(contentType).send(text);
  });

  app.get<{ Querystring: { limit?: string } }>(
    "/v1/alerts",
    { schema: { tags: ["monitoring"], summary: "Firing alerts (oldest first) and the last `limit` transitions (newest first), with webhook delivery counters; operators (read.alerts)." } },
    async (req) => {
      const m = monitoring(ctx);
      await operator(ctx, req, "read.alerts");
      return m.alerts(intParam(req.query.limit, "limit", 1, 100_000, 100));
    },
  );

  app.get("/v1/alerts/rules", { schema: { tags: ["monitoring"], summary: "The alert rules in force, whether they are persisted in the node home, and each kind's parameters; operators (read.alerts)." } }, async (req) => {
    const m = monitoring(ctx);
    await operator(ctx, req, "read.alerts");
    return m.rules();
  });

  app.put<{ Body: { rules?: unknown } }>(
    "/v1/alerts/rules",
    {
      schema: {
        tags: ["monitoring"],
        summary: "Replaces the whole rule set ({rules: [...]}, see docs/spec/monitoring.md); validated (ALERT_RULES_INVALID names the field, nothing changes), applied at once and persisted to the node home's alert-rules.json; operators (admin.alerts), signed request.",
        body: { type: "object", required: ["rules"], additionalProperties: false, properties: { rules: { type: "array" } } },
      },
    },
    async (req) => {
      const m = monitoring(ctx);
      const actor = await operator(ctx, req, "admin.alerts");
      return m.setRules(req.body.rules, actor);
    },
  );

  app.get<{ Querystring: { level?: string; keyword?: string; limit?: string; source?: string } }>(
    "/v1/logs",
    { schema: { tags: ["monitoring"], summary: "Recent log lines of this node, newest first: level = minimum level, keyword = case-insensitive substring, source = node|host|system, limit ≤ 1000; operators (read.logs)." } },
    async (req) => {
      const m = monitoring(ctx);
      const q = req.query;
      if (q.level !== undefined && !(q.level in LOG_LEVELS)) throw new CivitasError(ErrorCode.API_BAD_REQUEST, `level must be one of ${Object.keys(LOG_LEVELS).join(", ")}`, { param: "level" });
      if (q.source !== undefined && !LOG_SOURCES.includes(q.source as LogSource)) throw new CivitasError(ErrorCode.API_BAD_REQUEST, `source must be one of ${LOG_SOURCES.join(", ")}`, { param: "source" });
      if (q.keyword !== undefined && (q.keyword.length === 0 || q.keyword.length > 200)) throw new CivitasError(ErrorCode.API_BAD_REQUEST, "keyword must be 1-200 characters", { param: "keyword" });
      const limit = intParam(q.limit, "limit", 1, 1000, 100);
      await operator(ctx, req, "read.logs");
      return { entries: m.logs({ level: q.level, keyword: q.keyword, source: q.source as LogSource | undefined, limit }) };
    },
  );
}
