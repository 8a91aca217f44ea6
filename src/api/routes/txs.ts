import type { FastifyInstance } from "fastify";
import { blockHash, headerToJson } from "../../ledger/block.js";
import { receiptToJson } from "../../ledger/receipt.js";
import { txToJson } from "../../ledger/tx.js";
import { toHex } from "../../util/bytes.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import type { ApiContext } from "../context.js";
import { hashParam, intParam } from "../params.js";

const TX_HEX = /^(0x)?(?:[0-9a-f]{2})+$/;

interface SubmitBody {
  tx?: string;
  txs?: string[];
  /** Wait up to this many ms for the commit of every accepted transaction. */
  waitMs?: number;
}

function txBytes(hex: unknown, i: number): Uint8Array {
  if (typeof hex !== "string" || !TX_HEX.test(hex)) throw new CivitasError(ErrorCode.TX_MALFORMED, `transaction ${i} must be the signed transaction's bytes as lowercase hex`, { index: i });
  return new Uint8Array(Buffer.from(hex.replace(/^0x/, ""), "hex"));
}

export function txRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post<{ Body: SubmitBody }>(
    "/v1/txs",
    {
      schema: {
        tags: ["transactions"],
        summary: "Submit one signed transaction ({tx}) or a batch ({txs}); optionally wait for commit.",
        body: {
          type: "object",
          additionalProperties: false,
          properties: { tx: { type: "string" }, txs: { type: "array", items: { type: "string" } }, waitMs: { type: "integer", minimum: 0 } },
        },
      },
    },
    async (req, reply) => {
      const body = req.body ?? {};
      if ((body.tx === undefined) === (body.txs === undefined)) throw new CivitasError(ErrorCode.API_BAD_REQUEST, "send exactly one of `tx` (a hex string) or `txs` (an array of hex strings)");
      const waitMs = body.waitMs ?? 0;
      if (waitMs > ctx.config.api.maxWaitMs) throw new CivitasError(ErrorCode.API_BAD_REQUEST, `waitMs may be at most ${ctx.config.api.maxWaitMs}`, { max: ctx.config.api.maxWaitMs });
      if (body.tx !== undefined) {
        const [r] = await ctx.mempool.admit([txBytes(body.tx, 0)]);
        if (!r.ok) throw r.error;
        ctx.engine.notifyTxs();
        if (waitMs > 0) {
          const height = await ctx.waiters.wait(r.hash, waitMs);
          return reply.status(height === undefined ? 202 : 200).send({ hash: r.hash, status: height === undefined ? "pending" : "committed", height: height ?? null });
        }
        return reply.status(202).send({ hash: r.hash, status: "pending" });
      }
      const list = body.txs as string[];
      if (list.length === 0) throw new CivitasError(ErrorCode.API_BAD_REQUEST, "`txs` is empty");
      if (list.length > ctx.config.api.maxBatchTxs) throw new CivitasError(ErrorCode.TX_BATCH_TOO_LARGE, `a batch may hold at most ${ctx.config.api.maxBatchTxs} transactions`, { limit: ctx.config.api.maxBatchTxs, got: list.length });
      // Decode every entry first: a malformed hex string rejects only its own entry.
      const raws: Array<Uint8Array | CivitasError> = list.map((h, i) => {
        try {
          return txBytes(h, i);
        } catch (e) {
          return e as CivitasError;
        }
      });
      const good = raws.filter((r): r is Uint8Array => r instanceof Uint8Array);
      const admitted = await ctx.mempool.admit(good);
      if (admitted.some((r) => r.ok)) ctx.engine.notifyTxs();
      let k = 0;
      const results = raws.map((r) => {
        if (!(r instanceof Uint8Array)) return { error: r.toJSON() };
        const a = admitted[k++];
        return a.ok ? { hash: a.hash } : { error: a.error.toJSON() };
      });
      const accepted = results.filter((r) => "hash" in r).length;
      let committed: number | undefined;
      if (waitMs > 0 && accepted > 0) {
        const heights = await Promise.all(results.flatMap((r) => ("hash" in r && r.hash ? [ctx.waiters.wait(r.hash, waitMs)] : [])));
        committed = heights.filter((h) => h !== undefined).length;
      }
      return reply.status(accepted > 0 ? 202 : 400).send({ accepted, rejected: results.length - accepted, ...(committed !== undefined ? { committed } : {}), results });
    },
  );

  app.get<{ Params: { hash: string }; Querystring: { waitMs?: string } }>(
    "/v1/txs/:hash",
    { schema: { tags: ["transactions"], summary: "A transaction's status; once committed, its receipt and RFC 9162 inclusion proof against the block's txRoot." } },
    async (req) => {
      const hash = hashParam(req.params.hash, "hash");
      const hex = toHex(hash);
      const waitMs = intParam(req.query.waitMs, "waitMs", 0, ctx.config.api.maxWaitMs, 0);
      let found = ctx.chain.getTx(hash);
      if (!found && waitMs > 0 && ctx.mempool.has(hex)) {
        await ctx.waiters.wait(hex, waitMs);
        found = ctx.chain.getTx(hash);
      }
      if (found) {
        const block = ctx.chain.getBlock(found.height);
        if (!block) throw new CivitasError(ErrorCode.CHAIN_CORRUPT, `block ${found.height} missing`);
        const bh = blockHash(ctx.chain.suite, block.header);
        return {
          hash: hex,
          status: "committed",
          height: found.height,
          index: found.index,
          blockHash: toHex(bh),
          header: headerToJson(block.header, bh),
          tx: txToJson(found.tx, hash),
          raw: toHex(found.tx.bytes),
          receipt: receiptToJson(found.receipt),
          proof: found.proof,
        };
      }
      const pending = ctx.mempool.get(hex);
      if (pending) return { hash: hex, status: "pending", tx: txToJson(pending.tx, hash), raw: toHex(pending.tx.bytes) };
      throw new CivitasError(ErrorCode.TX_NOT_FOUND, `no transaction ${hex} is pending or committed`, { hash: hex });
    },
  );
}
