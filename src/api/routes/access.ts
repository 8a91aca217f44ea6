/**
 * Access routes: `POST /v1/access/decide`, `GET /v1/access/history`, and the read guard of the
 * existing routes. Every route in READS is decided by the chain's policies (so "public" is what
 * the policies permit to `Anonymous`); routes not listed are either public by nature (health,
 * docs, transaction submission: transactions carry their own signature) or call
 * `ctx.access.authorize` themselves (identity).
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { CedarValueJson } from "@cedar-policy/cedar-wasm/nodejs";
import { cedarValue } from "../../access/entities.js";
import type { Uid } from "../../access/entities.js";
import * as S from "../../access/state.js";
import type { AccessModule } from "../../modules/access/index.js";
import { toHex } from "../../util/bytes.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import { digestBodyHook } from "../auth.js";
import type { ApiContext } from "../context.js";
import { intParam } from "../params.js";

type ReadRule = (req: FastifyRequest, ctx: ApiContext) => { action: string; resource: Uid };

const chainRes = (ctx: ApiContext): Uid => ({ type: "Chain", id: ctx.chain.genesis.chainId });
const param = (req: FastifyRequest, k: string): string => String((req.params as Record<string, unknown>)[k] ?? "");
const queryArg = (req: FastifyRequest, k: string): string | undefined => {
  const v = (req.query as Record<string, unknown> | undefined)?.[k];
  return typeof v === "string" ? v : undefined;
};

/** Method + route pattern -> the read action and resource the policies decide. */
const READS: Record<string, ReadRule> = {
  "GET /v1/status": (_r, c) => ({ action: "read.status", resource: chainRes(c) }),
  "GET /v1/blocks/:id": (_r, c) => ({ action: "read.blocks", resource: chainRes(c) }),
  "GET /v1/headers": (_r, c) => ({ action: "read.blocks", resource: chainRes(c) }),
  "GET /v1/validators": (_r, c) => ({ action: "read.blocks", resource: chainRes(c) }),
  "GET /v1/proofs/state": (_r, c) => ({ action: "read.proofs", resource: chainRes(c) }),
  "GET /v1/proofs/receipt/:hash": (_r, c) => ({ action: "read.proofs", resource: chainRes(c) }),
  "GET /v1/modules": (_r, c) => ({ action: "read.modules", resource: chainRes(c) }),
  "GET /v1/txs/:hash": (r) => ({ action: "read.txs", resource: { type: "Tx", id: param(r, "hash") } }),
  "GET /v1/accounts/:address": (r) => ({ action: "read.account", resource: { type: "Account", id: param(r, "address") } }),
  "GET /v1/accounts/:address/txs": (r) => ({ action: "read.account", resource: { type: "Account", id: param(r, "address") } }),
  "GET /v1/query/:module/:query": (r) => {
    const address = queryArg(r, "address");
    return { action: "read.query", resource: address ? { type: "Account", id: address } : { type: "Module", id: param(r, "module") } };
  },
  "GET /v1/events": (r) => {
    const account = queryArg(r, "account");
    const type = queryArg(r, "type");
    const module = queryArg(r, "module") ?? (type?.includes(".") ? type.slice(0, type.indexOf(".")) : undefined);
    return { action: "read.events", resource: account ? { type: "Account", id: account } : module ? { type: "Module", id: module } : { type: "Chain", id: "events" } };
  },
  "GET /v1/access/history": () => ({ action: "read.query", resource: { type: "Module", id: "access" } }),
};

function accessModule(ctx: ApiContext): AccessModule {
  const m = ctx.chain.registry.get(S.ACCESS_MODULE) as AccessModule | undefined;
  if (!m) throw new CivitasError(ErrorCode.API_UNAVAILABLE, "this chain has no access module");
  return m;
}

const UID_TYPE = /^[A-Z][A-Za-z0-9_]{0,31}$/;

function uidFrom(v: unknown, name: string): Uid {
  if (typeof v === "string") {
    if (v === "anonymous") return { type: "Anonymous", id: "anonymous" };
    if (S.ADDRESS.test(v)) return { type: "Account", id: v };
    if (S.DID.test(v)) return { type: "Did", id: v };
  } else if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (typeof o.type === "string" && UID_TYPE.test(o.type) && typeof o.id === "string" && o.id.length <= 256) return { type: o.type, id: o.id };
  }
  throw new CivitasError(ErrorCode.API_BAD_REQUEST, `${name} must be an address, a DID, "anonymous" or {type, id}`, { param: name });
}

export function accessRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.addHook("preParsing", async (req, reply, payload) => digestBodyHook(req, reply, payload));
  app.addHook("preHandler", async (req) => {
    const rule = READS[`${req.method} ${req.routeOptions.url ?? ""}`];
    // Without an access layer (test harnesses) the node serves what it served before access control.
    if (!rule || !ctx.access) return;
    const { action, resource } = rule(req, ctx);
    await ctx.access.authorize(req, action, resource);
  });

  app.post<{ Body: Record<string, unknown> }>(
    "/v1/access/decide",
    {
      schema: {
        tags: ["access"],
        summary: "Decides a request with the chain's policies as of the head block: {principal: address | DID | 'anonymous' | {type,id}, action, resource: {type,id}, context?, kind?: 'call'|'read'} -> {decision, reasons, errors}.",
        body: { type: "object", required: ["principal", "action", "resource"], properties: { principal: {}, action: { type: "string", maxLength: 200 }, resource: { type: "object" }, context: { type: "object" }, kind: { type: "string", enum: ["call", "read"] } } },
      },
    },
    async (req) => {
      if (!ctx.access) throw new CivitasError(ErrorCode.ACCESS_DENIED, "this node has no access layer");
      await ctx.access.authorize(req, "access.decide", { type: "Module", id: "access" });
      const mod = accessModule(ctx);
      const b = req.body;
      const principal = uidFrom(b.principal, "principal");
      const resource = uidFrom(b.resource, "resource");
      const action = b.action as string;
      if (!/^[A-Za-z0-9_.:-]{1,200}$/.test(action)) throw new CivitasError(ErrorCode.API_BAD_REQUEST, "action must be <module>.<method> or a read action", { param: "action" });
      const dot = action.indexOf(".");
      const module = dot > 0 ? action.slice(0, dot) : undefined;
      const isMethod = module !== undefined && ctx.chain.registry.get(module)?.methods[action.slice(dot + 1)] !== undefined;
      const kind = (b.kind as "call" | "read" | undefined) ?? (isMethod ? "call" : "read");
      const head = ctx.chain.head();
      const given = b.context === undefined ? undefined : cedarValue(b.context);
      const context = (given && typeof given === "object" && !Array.isArray(given) ? given : { height: head.height, time: head.time, ...(kind === "call" ? { args: {} } : {}) }) as Record<string, CedarValueJson>;
      const read = (m: string, k: string): Uint8Array | undefined => ctx.chain.committedState.get(`${m}/${k}`);
      const d = mod.decide(read, { principal, action, kind, resource, context, module: kind === "call" || !action.startsWith("read.") ? module : undefined, time: head.time });
      return { decision: d.decision, reasons: d.reasons, errors: d.errors, kind, height: head.height, digest: toHex(S.decodeMeta(read(S.ACCESS_MODULE, S.META)).digest) };
    },
  );

  app.get<{ Querystring: { from?: string; limit?: string } }>(
    "/v1/access/history",
    { schema: { tags: ["access"], summary: "The log of access changes (policies, grants, roles, administrators), oldest first from `from`. Each entry is also a state key (query access/change?seq=N with a proof)." } },
    async (req) => {
      const read = (k: string): Uint8Array | undefined => ctx.chain.committedState.get(`${S.ACCESS_MODULE}/${k}`);
      const meta = S.decodeMeta(read(S.META));
      const from = intParam(req.query.from, "from", 0, Number.MAX_SAFE_INTEGER, 0);
      const limit = intParam(req.query.limit, "limit", 1, 1000, 100);
      const changes = [];
      for (let seq = from; seq < Math.min(meta.changes, from + limit); seq++) {
        const raw = read(S.logKey(seq));
        if (raw) changes.push(S.decodeChange(raw));
      }
      return { version: meta.version, digest: toHex(meta.digest), total: meta.changes, changes };
    },
  );
}
