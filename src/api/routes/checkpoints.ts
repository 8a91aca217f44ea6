/**
 * Signed checkpoints of the proof log (docs/spec/proof-bundle.md, "Checkpoints"):
 * `GET /v1/proofs/checkpoint` (JSON, or the bare C2SP note with `?format=note`) and
 * `GET /v1/proofs/consistency?from=&to=` (RFC 9162 proof between tree sizes). Public: they
 * reveal only record hashes already public through verification.
 */
import type { FastifyInstance } from "fastify";
import { PROOF_MODULE, recordKey } from "../../modules/proof/index.js";
import { verifierKeyString } from "../../proof/checkpoint/note.js";
import { ProofLog } from "../../proof/checkpoint/log.js";
import type { ProofLogSource } from "../../proof/checkpoint/log.js";
import { decodeReceipt } from "../../ledger/receipt.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import type { ApiContext } from "../context.js";

const EVENT = `${PROOF_MODULE}.Registered`;
const PAGE = 10_000;
const logs = new WeakMap<ApiContext, ProofLog>();

function source(ctx: ApiContext): ProofLogSource {
  const chain = ctx.chain;
  return {
    hash: chain.hashFn,
    headHeight: () => chain.head().height,
    registrations(fromHeight, toHeight) {
      const out: Array<{ height: number; fingerprint: string; order: number }> = [];
      let from = fromHeight;
      while (from <= toHeight) {
        const page = chain.store.eventsOfType(EVENT, PAGE, from);
        // A full page may end inside a height: keep whole heights only and resume at the cut.
        const full = page.length === PAGE;
        const lastHeight = full ? page[page.length - 1].height : Infinity;
        if (full && lastHeight === from) throw new CivitasError(ErrorCode.INTERNAL, `more than ${PAGE} registrations in block ${from}`);
        for (const e of page) {
          if (e.height > toHeight || e.height >= lastHeight) break;
          const raw = chain.store.getReceiptBytes(e.txHash);
          const ev = raw && e.eventIndex !== undefined ? decodeReceipt(raw).events[e.eventIndex] : undefined;
          const fp = ev && ev.module === PROOF_MODULE && ev.type === "Registered" ? (ev.attrs as Record<string, unknown>).fingerprint : undefined;
          if (typeof fp !== "string") throw new CivitasError(ErrorCode.CHAIN_CORRUPT, `the event index points at no proof.Registered event (height ${e.height})`);
          out.push({ height: e.height, fingerprint: fp, order: e.txIndex * 1_000_000 + (e.eventIndex ?? 0) });
        }
        if (!full || lastHeight > toHeight) break;
        from = lastHeight;
      }
      return out.sort((a, b) => a.height - b.height || a.order - b.order);
    },
    recordAt: (fp, height) => chain.proveState(`${PROOF_MODULE}/${recordKey(fp)}`, height).value,
  };
}

function logOf(ctx: ApiContext): ProofLog {
  const cfg = ctx.proofLog;
  if (!cfg) throw new CivitasError(ErrorCode.API_UNAVAILABLE, "this node publishes no proof-log checkpoints (no log key in its home)");
  let log = logs.get(ctx);
  if (!log) {
    log = new ProofLog({ origin: cfg.signer.name, everyBlocks: cfg.everyBlocks, signer: cfg.signer }, source(ctx));
    logs.set(ctx, log);
  }
  return log;
}

function uintParam(v: unknown, name: string): number {
  if (typeof v !== "string" || !/^(0|[1-9][0-9]{0,15})$/.test(v)) throw new CivitasError(ErrorCode.API_BAD_REQUEST, `${name} must be a non-negative integer`, { field: name });
  return Number(v);
}

export function checkpointRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get("/v1/proofs/checkpoint", { schema: { tags: ["proofs"], summary: "The proof log's newest signed checkpoint (C2SP tlog-checkpoint); ?format=note for the bare note." } }, async (req, reply) => {
    const log = logOf(ctx);
    const p = log.latest();
    if ((req.query as Record<string, unknown>).format === "note") return reply.type("text/plain; charset=utf-8").send(p.note);
    return { origin: log.origin, note: p.note, size: p.checkpoint.size, rootHash: p.checkpoint.rootHash, height: p.height, everyBlocks: ctx.proofLog?.everyBlocks, verifierKey: verifierKeyString((ctx.proofLog as NonNullable<ApiContext["proofLog"]>).signer), hashAlgorithm: ctx.chain.genesis.cryptoSuite === "sm2-sm3" ? "sm3" : "sha-256" };
  });

  app.get("/v1/proofs/consistency", { schema: { tags: ["proofs"], summary: "RFC 9162 consistency proof between two tree sizes of the proof log." } }, async (req) => {
    const q = req.query as Record<string, unknown>;
    const r = logOf(ctx).consistency(uintParam(q.from, "from"), uintParam(q.to, "to"));
    return { ...r, hashAlgorithm: ctx.chain.genesis.cryptoSuite === "sm2-sm3" ? "sm3" : "sha-256", encoding: "hex" };
  });
}
