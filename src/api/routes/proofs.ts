/**
 * Integrity-proof routes (docs/spec/proof.md): public verification by fingerprint, receipt or
 * uploaded document; provenance (history, queries by owner, type and time) only through
 * `ctx.access`, refused when the node has none.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { blockHash } from "../../ledger/block.js";
import { decodeReceipt } from "../../ledger/receipt.js";
import { DID_PATTERN } from "../../modules/identity/index.js";
import { decodeRecord, PROOF_MODULE, recordJson, recordKey } from "../../modules/proof/index.js";
import { commitment, hashAlgorithmOf } from "../../proof/hash.js";
import type { AggregationInput, ProofChainView } from "../../proof/lookup.js";
import { historyOf, lineageOf, listRecords, readRecord, verifyAnswer } from "../../proof/lookup.js";
import { parseReceipt } from "../../proof/receipt.js";
import { fromHex, toHex } from "../../util/bytes.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import type { ApiContext } from "../context.js";
import { intParam } from "../params.js";
import type { Chain } from "../../node/chain.js";

const HASH_HEX = /^[0-9a-f]{64}$/;
const SALT_HEX = /^(?:[0-9a-f]{2}){1,64}$/;
const DOC_TYPE = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/;

function invalid(message: string, details: Record<string, unknown> = {}): CivitasError {
  return new CivitasError(ErrorCode.PROOF_INVALID, message, details);
}

function hashField(v: unknown, name: string): string {
  if (typeof v !== "string" || !HASH_HEX.test(v)) throw invalid(`${name} must be 64 lowercase hex characters`, { field: name });
  return v;
}

/** What the proof lookups read from a node's chain (also used by in-process tests). */
export function proofChainView(chain: Chain): ProofChainView {
  return {
    hashAlgorithm: hashAlgorithmOf(chain.genesis.cryptoSuite),
    hash: chain.hashFn,
    headHeight: () => chain.head().height,
    get: (key) => chain.committedState.get(key),
    blockTime: (h) => chain.getBlock(h)?.header.time,
    blockHash: (h) => {
      const b = chain.getBlock(h);
      return b ? toHex(blockHash(chain.suite, b.header)) : undefined;
    },
    eventsOfType: (type, limit, fromHeight) => chain.store.eventsOfType(type, limit, fromHeight),
    txEvents: (txHash) => {
      const raw = chain.store.getReceiptBytes(txHash);
      return raw ? decodeReceipt(raw).events.map((e) => ({ module: e.module, type: e.type, attrs: e.attrs as Record<string, unknown> })) : undefined;
    },
  };
}

function chainView(ctx: ApiContext): ProofChainView {
  return proofChainView(ctx.chain);
}

/** The record key's value with its sparse-Merkle proof against the head block's state root. */
function stateProof(ctx: ApiContext, recordHex: string): Record<string, unknown> {
  const key = `${PROOF_MODULE}/${recordKey(recordHex)}`;
  const p = ctx.chain.proveState(key);
  return { height: p.height, key, value: p.value ? recordJson(decodeRecord(p.value)) : null, stateRoot: toHex(p.stateRoot), proof: p.proof };
}

function aggregationOf(body: Record<string, unknown>): AggregationInput | undefined {
  if (body.path === undefined && body.root === undefined && body.leafIndex === undefined && body.treeSize === undefined) return undefined;
  const { leafIndex, treeSize, path } = body;
  if (!Number.isSafeInteger(leafIndex) || !Number.isSafeInteger(treeSize) || (leafIndex as number) < 0 || (treeSize as number) < 1) throw invalid("leafIndex and treeSize must be non-negative integers (treeSize ≥ 1)", { field: "leafIndex" });
  if (!Array.isArray(path) || path.length > 64) throw invalid("path must be an array of at most 64 hashes", { field: "path" });
  return { leafIndex: leafIndex as number, treeSize: treeSize as number, path: path.map((p, i) => hashField(p, `path[${i}]`)), root: hashField(body.root, "root") };
}

function answer(ctx: ApiContext, fingerprint: string, aggregation?: AggregationInput): Record<string, unknown> {
  const a = verifyAnswer(chainView(ctx), fingerprint, aggregation);
  const recordHex = aggregation?.root ?? fingerprint;
  return a.registered ? { ...a, stateProof: stateProof(ctx, recordHex) } : a;
}

async function authorize(ctx: ApiContext, req: FastifyRequest, action: string, resource: { type: string; id: string }): Promise<void> {
  // Deny by default: without an access layer nobody can be authenticated, so nobody may read.
  if (!ctx.access) throw new CivitasError(ErrorCode.ACCESS_DENIED, `${action} needs an authenticated, authorised request and this node has no access layer`, { action });
  await ctx.access.authorize(req, action, resource);
}

function timeParam(v: string | undefined, name: string): number | undefined {
  if (v === undefined || v === "") return undefined;
  if (/^[0-9]{1,16}$/.test(v)) return Number(v);
  const ms = Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || !Number.isFinite(ms)) throw new CivitasError(ErrorCode.API_BAD_REQUEST, `${name} must be ms since the epoch or an ISO 8601 time`, { param: name });
  return ms;
}

export function proofRoutes(app: FastifyInstance, ctx: ApiContext): void {
  void app.register(async (scope) => {
    // Raw documents for verification by upload; the body limit is api.bodyLimitBytes.
    scope.addContentTypeParser("application/octet-stream", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
    scope.post<{ Body: unknown; Querystring: { salt?: string } }>(
      "/v1/proofs/verify",
      { schema: { tags: ["proofs"], summary: "Is this document registered? By fingerprint ({fingerprint}), by receipt ({receipt}), by fingerprint + aggregation path, or by upload (application/octet-stream, ?salt=hex) hashed by the node. Public." } },
      async (req) => {
        if (req.body instanceof Uint8Array) {
          const salt = req.query.salt;
          if (salt !== undefined && !SALT_HEX.test(salt)) throw invalid("salt must be lowercase hex (1 to 64 bytes)", { field: "salt" });
          const fp = commitment(ctx.chain.hashFn, new Uint8Array(req.body), salt ? fromHex(salt) : null);
          return answer(ctx, toHex(fp));
        }
        const body = req.body;
        if (body === null || typeof body !== "object" || Array.isArray(body)) throw invalid("body must be a JSON object {fingerprint} or {receipt}, or the document as application/octet-stream");
        const b = body as Record<string, unknown>;
        if (b.receipt !== undefined) {
          const { receipt, error } = parseReceipt(b.receipt);
          if (!receipt) throw invalid(`receipt: ${error}`, { field: "receipt" });
          if (receipt.hashAlgorithm !== hashAlgorithmOf(ctx.chain.genesis.cryptoSuite)) throw invalid(`the receipt uses ${receipt.hashAlgorithm}, this chain ${hashAlgorithmOf(ctx.chain.genesis.cryptoSuite)}`, { field: "receipt.hashAlgorithm" });
          if (receipt.kind === "document") return answer(ctx, receipt.fingerprint);
          return answer(ctx, receipt.fingerprint, { leafIndex: receipt.leafIndex as number, treeSize: receipt.treeSize as number, path: receipt.path as string[], root: receipt.root });
        }
        return answer(ctx, hashField(b.fingerprint, "fingerprint"), aggregationOf(b));
      },
    );
  });

  app.get<{ Params: { fingerprint: string } }>(
    "/v1/proofs/:fingerprint/history",
    { schema: { tags: ["proofs"], summary: "Full history of a record: every registration, supersede, revocation and transfer with its transaction (authenticated: action proof.history on the owner's Did)." } },
    async (req) => {
      const fp = hashField(req.params.fingerprint, "fingerprint");
      const view = chainView(ctx);
      const r = readRecord(view, fp);
      // The owner is public (verification shows it), so naming an unknown record before authorising leaks nothing.
      if (!r) throw new CivitasError(ErrorCode.PROOF_NOT_FOUND, `no proof record for fingerprint ${fp}`, { fingerprint: fp });
      await authorize(ctx, req, "proof.history", { type: "Did", id: r.owner });
      return { record: recordJson(r), history: historyOf(view, r), lineage: lineageOf(view, r), height: view.headHeight() };
    },
  );

  app.get<{ Querystring: { owner?: string; type?: string; from?: string; to?: string; limit?: string; fromHeight?: string } }>(
    "/v1/proofs",
    { schema: { tags: ["proofs"], summary: "Records by owner, type and registration time range (authenticated: action proof.list on the owner's Did, or on Module::\"proof\" without owner)." } },
    async (req) => {
      const q = req.query;
      if (q.owner !== undefined && (q.owner.length > 128 || !DID_PATTERN.test(q.owner))) throw new CivitasError(ErrorCode.DID_INVALID, "owner must be did:civitas:<chainId>:<id>", { param: "owner" });
      if (q.type !== undefined && !DOC_TYPE.test(q.type)) throw new CivitasError(ErrorCode.API_BAD_REQUEST, `type must match ${DOC_TYPE.source}`, { param: "type" });
      const from = timeParam(q.from, "from");
      const to = timeParam(q.to, "to");
      const limit = intParam(q.limit, "limit", 1, 1000, 100);
      const fromHeight = intParam(q.fromHeight, "fromHeight", 0, Number.MAX_SAFE_INTEGER, 0);
      await authorize(ctx, req, "proof.list", q.owner ? { type: "Did", id: q.owner } : { type: "Module", id: PROOF_MODULE });
      return listRecords(chainView(ctx), { owner: q.owner, docType: q.type, from, to, limit, fromHeight });
    },
  );
}
