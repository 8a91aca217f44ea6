import type { FastifyInstance } from "fastify";
import { commitToJson, headerToJson } from "../../ledger/block.js";
import type { Block } from "../../ledger/block.js";
import { blockHash } from "../../ledger/block.js";
import { genesisHashHex } from "../../ledger/genesis.js";
import { inclusionPath, leafHash } from "../../ledger/merkle.js";
import { txHashOfWire } from "../../ledger/tx.js";
import type { Validator } from "../../ledger/validators.js";
import { decodeValidatorSet } from "../../modules/validators/index.js";
import { toHex } from "../../util/bytes.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import type { ApiContext } from "../context.js";
import { hashParam, intParam } from "../params.js";

/** Most headers one GET /v1/headers answers; light clients page through longer ranges. */
export const MAX_HEADERS_PER_REQUEST = 100;
/** Longest state key GET /v1/proofs/state accepts, in characters. */
export const MAX_STATE_KEY_CHARS = 1024;
/** The state key holding the validator set that signs the next block. */
const VALIDATOR_SET_KEY = "validators/set";

const HEIGHT_QS = { type: "string", pattern: "^[0-9]{1,16}$" } as const;

export function blockToJson(ctx: ApiContext, b: Block): Record<string, unknown> {
  const hash = blockHash(ctx.chain.suite, b.header);
  return {
    hash: toHex(hash),
    header: headerToJson(b.header, hash),
    txs: b.txs.map((t) => toHex(txHashOfWire(ctx.chain.suite, t))),
    // The previous block's certificate as this block's proposer saw it. header.lastCommitHash
    // commits to it, so a client can recompute the BFT block time (weighted median of its votes).
    lastCommit: b.lastCommit ? commitToJson(b.lastCommit) : null,
    commit: commitToJson(b.commit),
  };
}

function validatorsToJson(vs: Validator[]): Array<{ address: string; publicKey: string; power: number }> {
  return vs.map((v) => ({ address: "0x" + toHex(v.address), publicKey: toHex(v.publicKey), power: v.power }));
}

/**
 * A ?height= style parameter: malformed is API_BAD_REQUEST (400), a well-formed height past
 * `last` is BLOCK_NOT_FOUND (404): that block does not exist (yet).
 */
function heightParam(v: unknown, name: string, min: number, last: number, dflt: number, head: number): number {
  const n = intParam(v, name, min, Number.MAX_SAFE_INTEGER, dflt);
  if (n > last) throw new CivitasError(ErrorCode.BLOCK_NOT_FOUND, `${name} ${n} is beyond ${last}; the head is at height ${head}`, { [name]: n, head });
  return n;
}

/** The JSON form of a state proof, as GET /v1/query and /v1/accounts return it. */
function stateProofJson(p: { height: number; stateRoot: Uint8Array; value: Uint8Array | undefined; proof: unknown }, key: string, value: unknown): Record<string, unknown> {
  return { height: p.height, key, value, stateRoot: toHex(p.stateRoot), proof: p.proof };
}

const commitSchema = {
  type: "object",
  properties: {
    height: { type: "integer" },
    round: { type: "integer" },
    blockHash: { type: "string" },
    signatures: { type: "array", items: { type: "object", properties: { validator: { type: "string" }, time: { type: "integer" }, signature: { type: "string" } } } },
  },
} as const;

const smtProofSchema = {
  type: "object",
  description: "Sparse Merkle proof of `key` (hex of its UTF-8 bytes) with the raw value (hex, null = absent) against the block's stateRoot.",
  properties: {
    height: { type: "integer", description: "The block whose stateRoot the proof is against." },
    key: { type: "string" },
    value: {},
    stateRoot: { type: "string" },
    proof: { type: "object", additionalProperties: true },
  },
} as const;

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
      ...(ctx.network ? { network: ctx.network() } : {}),
      mempool: { pending: ctx.mempool.size },
      validators: validatorsToJson(ctx.chain.validatorsAt(head.height + 1)),
    };
  });

  app.get<{ Params: { id: string } }>(
    "/v1/blocks/:id",
    { schema: { tags: ["chain"], summary: "A block by height, hash, or 'latest', with its commit certificate and the previous block's certificate (lastCommit).", params: { type: "object", properties: { id: { type: "string" } } } } },
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

  app.get<{ Querystring: { from?: string; count?: string } }>(
    "/v1/headers",
    {
      schema: {
        tags: ["chain"],
        summary: `Headers from height \`from\` on (at most \`count\`, up to ${MAX_HEADERS_PER_REQUEST}), each with its commit certificate and lastCommit, without transactions: what a light client follows.`,
        querystring: { type: "object", properties: { from: { ...HEIGHT_QS, description: "first height (default 0)" }, count: { ...HEIGHT_QS, description: `how many (1-${MAX_HEADERS_PER_REQUEST}, default ${MAX_HEADERS_PER_REQUEST}); fewer when the head is reached` } } },
        response: {
          200: {
            type: "object",
            properties: {
              head: { type: "object", properties: { height: { type: "integer" } } },
              headers: {
                type: "array",
                items: {
                  type: "object",
                  properties: {
                    header: { type: "object", additionalProperties: true },
                    commit: commitSchema,
                    lastCommit: { anyOf: [commitSchema, { type: "null" }] },
                  },
                },
              },
            },
          },
        },
      },
    },
    async (req) => {
      const head = ctx.chain.head().height;
      const from = heightParam(req.query.from, "from", 0, head, 0, head);
      const count = intParam(req.query.count, "count", 1, MAX_HEADERS_PER_REQUEST, MAX_HEADERS_PER_REQUEST);
      const headers: Array<Record<string, unknown>> = [];
      for (let h = from; h <= Math.min(head, from + count - 1); h++) {
        const b = ctx.chain.getBlock(h);
        if (!b) throw new CivitasError(ErrorCode.CHAIN_CORRUPT, `block ${h} missing below the head`, { height: h });
        const hash = blockHash(ctx.chain.suite, b.header);
        headers.push({ header: headerToJson(b.header, hash), commit: commitToJson(b.commit), lastCommit: b.lastCommit ? commitToJson(b.lastCommit) : null });
      }
      return { head: { height: head }, headers };
    },
  );

  app.get<{ Querystring: { height?: string } }>(
    "/v1/validators",
    {
      schema: {
        tags: ["chain"],
        summary: "The validator set that signs block `height` (default: the next block), its hash (the header's validatorSetHash) and a proof of the `validators/set` state entry against the stateRoot of block height-1.",
        querystring: { type: "object", properties: { height: { ...HEIGHT_QS, description: "1 to head+1" } } },
        response: {
          200: {
            type: "object",
            properties: {
              height: { type: "integer" },
              validators: { type: "array", items: { type: "object", properties: { address: { type: "string" }, publicKey: { type: "string" }, power: { type: "integer" } } } },
              hash: { type: "string" },
              proof: smtProofSchema,
            },
          },
        },
      },
    },
    async (req) => {
      const head = ctx.chain.head().height;
      const height = heightParam(req.query.height, "height", 1, head + 1, head + 1, head);
      const set = ctx.chain.validatorSet(height);
      const p = ctx.chain.proveState(VALIDATOR_SET_KEY, height - 1);
      const value = decodeValidatorSet(p.value).map((v) => ({ publicKey: toHex(v.publicKey), power: v.power }));
      return { height, validators: validatorsToJson(set.validators), hash: toHex(set.hash), proof: stateProofJson(p, VALIDATOR_SET_KEY, value) };
    },
  );

  app.get<{ Querystring: { key?: string; height?: string } }>(
    "/v1/proofs/state",
    {
      schema: {
        tags: ["state"],
        summary: "A raw state entry (`key` is the full key, e.g. token/bal/0x..) at a height (default: head), value as hex (null if absent), with its sparse-Merkle proof against that block's stateRoot.",
        querystring: { type: "object", required: ["key"], properties: { key: { type: "string", minLength: 1, maxLength: MAX_STATE_KEY_CHARS }, height: HEIGHT_QS } },
        response: { 200: smtProofSchema },
      },
    },
    async (req) => {
      const head = ctx.chain.head().height;
      const height = heightParam(req.query.height, "height", 0, head, head, head);
      const key = req.query.key as string;
      const p = ctx.chain.proveState(key, height);
      return stateProofJson(p, key, p.value ? toHex(p.value) : null);
    },
  );

  app.get<{ Params: { hash: string } }>(
    "/v1/proofs/receipt/:hash",
    {
      schema: {
        tags: ["transactions"],
        summary: "A committed transaction's receipt as canonical bytes (hex) with its RFC 9162 inclusion proof against the block's receiptRoot (receipt i belongs to transaction i).",
        params: { type: "object", properties: { hash: { type: "string" } } },
        response: {
          200: {
            type: "object",
            properties: {
              hash: { type: "string" },
              height: { type: "integer" },
              index: { type: "integer" },
              raw: { type: "string" },
              proof: { type: "object", properties: { leafHash: { type: "string" }, index: { type: "integer" }, treeSize: { type: "integer" }, proof: { type: "array", items: { type: "string" } }, root: { type: "string" } } },
            },
          },
        },
      },
    },
    async (req) => {
      const hash = hashParam(req.params.hash, "hash");
      const loc = ctx.chain.store.txLocation(hash);
      if (!loc) throw new CivitasError(ErrorCode.TX_NOT_FOUND, `no committed transaction ${toHex(hash)}`, { hash: toHex(hash) });
      const block = ctx.chain.getBlock(loc.height);
      if (!block) throw new CivitasError(ErrorCode.CHAIN_CORRUPT, `block ${loc.height} missing`, { height: loc.height });
      const receipts = block.txs.map((t) => {
        const r = ctx.chain.store.getReceiptBytes(txHashOfWire(ctx.chain.suite, t));
        if (!r) throw new CivitasError(ErrorCode.CHAIN_CORRUPT, `receipt of a transaction in block ${loc.height} missing`, { height: loc.height });
        return r;
      });
      const hashFn = ctx.chain.hashFn;
      const leaves = receipts.map((r) => leafHash(hashFn, r));
      return {
        hash: toHex(hash),
        height: loc.height,
        index: loc.index,
        raw: toHex(receipts[loc.index]),
        proof: { leafHash: toHex(leaves[loc.index]), index: loc.index, treeSize: leaves.length, proof: inclusionPath(hashFn, leaves, loc.index).map(toHex), root: toHex(block.header.receiptRoot) },
      };
    },
  );
}
