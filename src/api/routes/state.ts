import type { FastifyInstance } from "fastify";
import type { CborValue } from "../../codec/index.js";
import { receiptToJson } from "../../ledger/receipt.js";
import { toHex, fromHex } from "../../util/bytes.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import type { ApiContext } from "../context.js";
import { addressParam, intParam } from "../params.js";

/** Query-string arguments arrive as text; the schema says which ones are integers. */
function coerceArgs(ctx: ApiContext, module: string, query: string, raw: Record<string, string>): Record<string, CborValue> {
  const { def } = ctx.chain.registry.query(module, query);
  const out: Record<string, CborValue> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k === "height") continue;
    const s = def.args[k];
    if (s?.type === "uint") {
      if (!/^[0-9]{1,20}$/.test(v)) throw new CivitasError(ErrorCode.TX_BAD_ARGS, `${module}.${query}.${k}: expected a non-negative integer`, { argument: k });
      out[k] = BigInt(v);
    } else out[k] = v;
  }
  return out;
}

function proofJson(p: { height: number; value: unknown; key: string; stateRoot: string; proof: unknown }): Record<string, unknown> {
  return { height: p.height, key: p.key, value: p.value, stateRoot: p.stateRoot, proof: p.proof };
}

export function stateRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get("/v1/modules", { schema: { tags: ["state"], summary: "Modules with their methods, argument schemas, gas and queries." } }, async () => ({ modules: ctx.chain.registry.describe() }));

  app.get<{ Params: { module: string; query: string }; Querystring: Record<string, string> }>(
    "/v1/query/:module/:query",
    { schema: { tags: ["state"], summary: "Runs a module query at a height (default: head). The answer carries a sparse-Merkle proof of the state key it read, against that block's stateRoot." } },
    async (req) => {
      const height = intParam(req.query.height, "height", 0, ctx.chain.head().height, ctx.chain.head().height);
      const args = coerceArgs(ctx, req.params.module, req.params.query, req.query);
      return proofJson(ctx.chain.query(req.params.module, req.params.query, args, height));
    },
  );

  app.get<{ Params: { address: string }; Querystring: { limit?: string } }>(
    "/v1/accounts/:address",
    { schema: { tags: ["state"], summary: "Nonce, balance (with proof) and recent transactions of an account." } },
    async (req) => {
      const address = addressParam(req.params.address, "address");
      const limit = intParam(req.query.limit, "limit", 0, 100, 10);
      const balance = ctx.chain.query("token", "balance", { address });
      const recent = ctx.chain.store.accountHistory(fromHex(address), limit).map((e) => ({ hash: toHex(e.txHash), height: e.height, index: e.txIndex }));
      return { address, nonce: ctx.chain.accountNonce(address), balance: balance.value, height: balance.height, balanceProof: proofJson(balance), recentTxs: recent };
    },
  );

  app.get<{ Params: { address: string }; Querystring: { limit?: string; before?: string } }>(
    "/v1/accounts/:address/txs",
    { schema: { tags: ["state"], summary: "Transactions that concern an account (sent, or named in an event), newest first." } },
    async (req) => {
      const address = addressParam(req.params.address, "address");
      const limit = intParam(req.query.limit, "limit", 1, 1000, 50);
      const before = req.query.before === undefined ? undefined : intParam(req.query.before, "before", 0, Number.MAX_SAFE_INTEGER, 0);
      const entries = ctx.chain.store.accountHistory(fromHex(address), limit, before);
      return {
        address,
        txs: entries.map((e) => {
          const t = ctx.chain.getTx(e.txHash);
          return { hash: toHex(e.txHash), height: e.height, index: e.txIndex, receipt: t ? receiptToJson(t.receipt) : null };
        }),
      };
    },
  );
}
