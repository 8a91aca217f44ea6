/**
 * The management server of `civitas console`: the web console app plus a small JSON API that
 * creates, lists, starts, stops, deletes and exports the networks recorded on THIS machine
 * (their node processes are spawned here), shows each node's health and resources, and reads
 * each node's log files from its home. It is meant for loopback only: requests must name a loopback Host (a DNS
 * rebinding page cannot reach it under another name), a browser Origin must be this server's own,
 * and every POST must be `application/json` (a cross-site form cannot send that without a CORS
 * preflight, which this server never answers) — so a web page the operator visits cannot start
 * processes through it.
 */
import { timingSafeEqual } from "node:crypto";
import { join, resolve } from "node:path";
import Fastify from "fastify";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { createNetworkFromSpec } from "../node/network-spec/create.js";
import { normalizeSpec } from "../node/network-spec/parse.js";
import { exportArchive } from "../node/export/archive.js";
import { FILE_LOG_SOURCES, isLogLevel, readLogFiles } from "../node/log-files.js";
import type { FileLogSource } from "../node/log-files.js";
import { RateSampler, networkDetail, networkNode } from "../node/network-health.js";
import { deleteNetwork, listNetworkRows, startNetwork, stopNetwork } from "../node/network-manager.js";
import { findNetwork } from "../node/network-registry.js";
import { CivitasError, ErrorCode } from "../util/errors.js";
import { errorHandler } from "./errors.js";
import { intParam } from "./params.js";
import { consoleRoutes, CONSOLE_DIR } from "./routes/console.js";

export interface ManageOptions {
  /** Address the server listens on; Host headers must name it (or a loopback name). */
  host: string;
  port: number;
  /**
   * Session token every /v1/manage/* request must carry (`Authorization: Bearer <token>`): the
   * port is reachable by every local user and process, and the API starts processes and hands
   * out key material (exports), so reaching it is not enough. `civitas console` draws a random
   * one per launch and prints it in the console's URL.
   */
  token: string;
  consoleDir?: string;
  /** How long `start` waits for every node to answer /v1/health. */
  startTimeoutMs?: number;
}

const LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]"];

/** Constant-time comparison of the bearer token with the session's. */
function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer ([A-Za-z0-9_-]{16,128})$/.exec(header ?? "");
  if (!m) return false;
  const a = Buffer.from(m[1]);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function guard(req: FastifyRequest, o: ManageOptions): void {
  const allowed = new Set([...LOOPBACK_NAMES, o.host].map((h) => `${h}:${o.port}`));
  const host = req.headers.host ?? "";
  if (!allowed.has(host)) throw new CivitasError(ErrorCode.ACCESS_DENIED, `the management server answers only to ${[...allowed].join(", ")} (Host was '${host}')`, { host });
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${host}`) throw new CivitasError(ErrorCode.ACCESS_DENIED, `requests from another origin (${origin}) are refused`, { origin });
  if (req.method === "POST" && !/^application\/json\b/i.test(req.headers["content-type"] ?? "")) throw new CivitasError(ErrorCode.API_BAD_REQUEST, "management requests must be sent as application/json", { field: "content-type" });
  if (req.url.startsWith("/v1/manage/") && !tokenMatches(req.headers.authorization, o.token)) throw new CivitasError(ErrorCode.AUTH_REQUIRED, "the management API needs this console session's token: open the link `civitas console` printed (it ends in ?token=…)", { header: "authorization" });
}

export async function buildManageApi(o: ManageOptions): Promise<FastifyInstance> {
  if (!/^[A-Za-z0-9_-]{16,128}$/.test(o.token)) throw new CivitasError(ErrorCode.CONFIG_INVALID, "the management token must be 16-128 base64url characters", { field: "token" });
  const app = Fastify({ bodyLimit: 256 * 1024, ajv: { customOptions: { removeAdditional: false, coerceTypes: false } } }) as unknown as FastifyInstance;
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send(new CivitasError(ErrorCode.API_NOT_FOUND, `no route ${req.method} ${req.url}`).toJSON());
  });
  app.addHook("onRequest", async (req) => guard(req, o));
  // One start or stop at a time per network: two starts would both find it stopped and spawn twice.
  const busy = new Set<string>();
  const exclusive = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    if (busy.has(name)) throw new CivitasError(ErrorCode.CONFIG_INVALID, `network '${name}' is being started or stopped; wait for that to finish`, { field: "name", name });
    busy.add(name);
    try {
      return await f();
    } finally {
      busy.delete(name);
    }
  };

  app.get("/", async (_req, reply) => reply.redirect("/console#/networks"));
  app.get("/v1/manage/networks", async () => ({ networks: await listNetworkRows() }));
  app.post("/v1/manage/networks", async (req, reply) => {
    const spec = normalizeSpec(req.body);
    const created = await exclusive(spec.name, () => createNetworkFromSpec(spec));
    return reply.status(201).send({
      name: created.name,
      chainId: created.info.chainId,
      dir: created.dir,
      consensus: spec.consensus.algorithm,
      faultTolerance: created.plan.faultTolerance,
      status: "stopped",
      nodes: created.plan.nodes.map((n) => ({ name: n.name, role: n.role, api: `http://${n.host}:${n.apiPort}`, p2p: `${n.host}:${n.p2pPort}` })),
    });
  });
  // A network named in a route must exist: 404 (a malformed name is 400 from the registry).
  app.addHook("preHandler", async (req) => {
    const name = (req.params as { name?: string } | undefined)?.name;
    if (name !== undefined && !findNetwork(name)) throw new CivitasError(ErrorCode.API_NOT_FOUND, `no network named '${name}' on this machine`, { field: "name", name });
  });
  app.post<{ Params: { name: string } }>("/v1/manage/networks/:name/start", async (req) => {
    const { name } = req.params;
    const nodes = await exclusive(name, () => startNetwork(name, o.startTimeoutMs));
    return { name, status: "running", nodes };
  });
  app.post<{ Params: { name: string } }>("/v1/manage/networks/:name/stop", async (req) => {
    const { name } = req.params;
    const r = await exclusive(name, () => stopNetwork(name));
    return { name, status: "stopped", ...r };
  });
  const cpu = new RateSampler();
  app.get<{ Params: { name: string } }>("/v1/manage/networks/:name", async (req) => networkDetail(req.params.name, cpu));
  app.post<{ Params: { name: string }; Body: { confirm?: unknown } }>("/v1/manage/networks/:name/delete", async (req) => {
    const { name } = req.params;
    const confirm = typeof req.body?.confirm === "string" ? req.body.confirm : undefined;
    const r = await exclusive(name, () => deleteNetwork(name, confirm));
    return { name, deleted: true, ...r };
  });
  app.post<{ Params: { name: string }; Body: { target?: unknown } }>("/v1/manage/networks/:name/export", async (req, reply) => {
    const target = typeof req.body?.target === "string" ? req.body.target : "";
    const a = await exportArchive(req.params.name, target);
    return reply
      .type("application/gzip")
      .header("content-disposition", `attachment; filename="${a.fileName}"`)
      .header("x-civitas-files", String(a.files.length))
      .send(a.bytes);
  });
  app.get<{ Params: { name: string; node: string }; Querystring: { level?: string; keyword?: string; source?: string; limit?: string } }>("/v1/manage/networks/:name/nodes/:node/logs", async (req) => {
    const q = req.query;
    if (q.level !== undefined && !isLogLevel(q.level)) throw new CivitasError(ErrorCode.API_BAD_REQUEST, "level must be one of trace, debug, info, warn, error, fatal", { param: "level" });
    if (q.source !== undefined && !FILE_LOG_SOURCES.includes(q.source as FileLogSource)) throw new CivitasError(ErrorCode.API_BAD_REQUEST, `source must be one of ${FILE_LOG_SOURCES.join(", ")}`, { param: "source" });
    if (q.keyword !== undefined && (q.keyword.length === 0 || q.keyword.length > 200)) throw new CivitasError(ErrorCode.API_BAD_REQUEST, "keyword must be 1-200 characters", { param: "keyword" });
    const limit = intParam(q.limit, "limit", 1, 1000, 200);
    const { dir, node, config } = networkNode(req.params.name, req.params.node);
    const home = join(dir, node.home);
    const entries = readLogFiles({ ...(config.logDir ? { logDir: resolve(home, config.logDir) } : {}), processLog: join(home, "node.log") }, { level: q.level, keyword: q.keyword, source: q.source as FileLogSource | undefined, limit });
    return { network: req.params.name, node: node.name, entries };
  });
  await app.register(async (scope) => consoleRoutes(scope, o.consoleDir ?? CONSOLE_DIR));
  return app;
}
