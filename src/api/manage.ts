/**
 * The management server of `civitas console`: the web console app plus a small JSON API that
 * creates, lists, starts and stops the networks recorded on THIS machine (their node processes
 * are spawned here). It is meant for loopback only: requests must name a loopback Host (a DNS
 * rebinding page cannot reach it under another name), a browser Origin must be this server's own,
 * and every POST must be `application/json` (a cross-site form cannot send that without a CORS
 * preflight, which this server never answers) — so a web page the operator visits cannot start
 * processes through it.
 */
import Fastify from "fastify";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { createNetworkFromSpec } from "../node/network-spec/create.js";
import { normalizeSpec } from "../node/network-spec/parse.js";
import { listNetworkRows, startNetwork, stopNetwork } from "../node/network-manager.js";
import { CivitasError, ErrorCode } from "../util/errors.js";
import { errorHandler } from "./errors.js";
import { consoleRoutes, CONSOLE_DIR } from "./routes/console.js";

export interface ManageOptions {
  /** Address the server listens on; Host headers must name it (or a loopback name). */
  host: string;
  port: number;
  consoleDir?: string;
  /** How long `start` waits for every node to answer /v1/health. */
  startTimeoutMs?: number;
}

const LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]"];

function guard(req: FastifyRequest, o: ManageOptions): void {
  const allowed = new Set([...LOOPBACK_NAMES, o.host].map((h) => `${h}:${o.port}`));
  const host = req.headers.host ?? "";
  if (!allowed.has(host)) throw new CivitasError(ErrorCode.ACCESS_DENIED, `the management server answers only to ${[...allowed].join(", ")} (Host was '${host}')`, { host });
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${host}`) throw new CivitasError(ErrorCode.ACCESS_DENIED, `requests from another origin (${origin}) are refused`, { origin });
  if (req.method === "POST" && !/^application\/json\b/i.test(req.headers["content-type"] ?? "")) throw new CivitasError(ErrorCode.API_BAD_REQUEST, "management requests must be sent as application/json", { field: "content-type" });
}

export async function buildManageApi(o: ManageOptions): Promise<FastifyInstance> {
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
  await app.register(async (scope) => consoleRoutes(scope, o.consoleDir ?? CONSOLE_DIR));
  return app;
}
