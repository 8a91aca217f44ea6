import type { FastifyInstance } from "fastify";
import { commitToJson, headerToJson } from "../../ledger/block.js";
import type { Block } from "../../ledger/block.js";
import { blockHash } from "../../ledger/block.js";
import { genesisHashHex } from "../../ledger/genesis.js";
import { txHashOfWire } from "../../ledger/tx.js";
import { toHex } from "../../util/bytes.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import type { ApiContext } from "../context.js";
import { hashParam } from "../params.js";

export function blockToJson(ctx: ApiContext, b: Block): Record<string, unknown> {
  const hash = blockHash(ctx.chain.suite, b.header);
  return {
    hash: toHex(hash),
    header: headerToJson(b.header, hash),
    txs: b.txs.map((t) => toHex(txHashOfWire(ctx.chain.suite, t))),
    commit: commitToJson(b.commit),
  };
}


export function chainRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get("/v1/health", { schema: { tags: ["node"], summary: "Liveness: 200 while the node runs and its store answers." } }, async () => {
    const head = ctx.chain.head();
    return { ok: true, height: head.height };
  });

  app.get("/v1/status", { schema: { tags: ["node"], summary: "Chain, head block, consensus and mempool status." } }, async () => {
    const g = ctx.chain.genesis;
    const head = ctx.chain.head();
    return {
      node: { moniker: ctx.config.moniker, version: ctx.version, uptimeMs: Date.now() - ctx.startedAt },
      chain: {
        chainId: g.chainId,
        genesisHash: genesisHashHex(ctx.chain.suite, g),
        cryptoSuite: g.cryptoSuite,
        consensus: g.consensus,
        blockIntervalMs: g.blockIntervalMs,
        maxBlockTxs: g.maxBlockTxs,
        maxBlockBytes: g.maxBlockBytes,
        maxTxBytes: g.maxTxBytes,
        maxTxGas: g.maxTxGas,
        maxTxExpiryMs: g.maxTxExpiryMs,
        authority: g.authority,
      },
      head: { height: head.height, hash: toHex(head.hash), time: head.time },
      consensus: ctx.engine.status(),
      mempool: { pending: ctx.mempool.size },
      validators: ctx.chain.validatorsAt(head.height + 1).map((v) => ({ address: "0x" + toHex(v.address), publicKey: toHex(v.publicKey), power: v.power })),
    };
  });

  app.get<{ Params: { id: string } }>(
    "/v1/blocks/:id",
    { schema: { tags: ["chain"], summary: "A block by height, hash, or 'latest', with its commit certificate.", params: { type: "object", properties: { id: { type: "string" } } } } },
    async (req) => {
      const id = req.params.id;
      let block: Block | undefined;
      if (id === "latest") block = ctx.chain.getBlock(ctx.chain.head().height);
      else if (/^[0-9]{1,15}$/.test(id)) block = ctx.chain.getBlock(Number(id));
      else block = ctx.chain.getBlockByHash(hashParam(id, "block id"));
      if (!block) throw new CivitasError(ErrorCode.BLOCK_NOT_FOUND, `no block ${id}; the head is at height ${ctx.chain.head().height}`, { id });
      return blockToJson(ctx, block);
    },
  );
}
