import type { FastifyInstance } from "fastify";
import type { WebSocket } from "ws";
import { headerToJson } from "../../ledger/block.js";
import { receiptToJson } from "../../ledger/receipt.js";
import type { CommittedBlock } from "../../node/chain.js";
import { equalBytes, fromHex, toHex } from "../../util/bytes.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import type { ApiContext } from "../context.js";
import { addressParam, intParam } from "../params.js";

const EVENT_TYPE = /^[a-z][a-z0-9]{0,31}\.[A-Za-z][A-Za-z0-9]{0,63}$/;
const MAX_SUBSCRIBERS = 1_000;
/** A subscriber this far behind is disconnected rather than buffered without bound. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

interface Filter {
  module?: string;
  type?: string;
  account?: string;
  blocks: boolean;
}

function parseFilter(q: Record<string, string | undefined>): Filter {
  const f: Filter = { blocks: q.blocks !== "false" };
  if (q.module !== undefined) {
    if (!/^[a-z][a-z0-9]{0,31}$/.test(q.module)) throw new CivitasError(ErrorCode.API_BAD_REQUEST, "module must be a module name", { param: "module" });
    f.module = q.module;
  }
  if (q.type !== undefined) {
    if (!/^[A-Za-z][A-Za-z0-9]{0,63}$/.test(q.type)) throw new CivitasError(ErrorCode.API_BAD_REQUEST, "type must be an event type such as Transfer", { param: "type" });
    f.type = q.type;
  }
  if (q.account !== undefined) f.account = addressParam(q.account, "account");
  return f;
}

function messagesFor(b: CommittedBlock, f: Filter): unknown[] {
  const out: unknown[] = [];
  const h = b.block.header;
  if (f.blocks) out.push({ kind: "block", header: headerToJson(h, b.hash), txCount: h.txCount });
  const account = f.account ? fromHex(f.account) : undefined;
  b.receipts.forEach((r, i) => {
    // Filter on the raw events first: JSON is built only for events a subscriber gets.
    r.events.forEach((ev, j) => {
      if (f.module && ev.module !== f.module) return;
      if (f.type && ev.type !== f.type) return;
      if (account && !ev.accounts.some((a) => equalBytes(a, account))) return;
      const json = (receiptToJson({ ...r, events: [ev] }) as { events: unknown[] }).events[0];
      out.push({ kind: "event", height: h.height, txHash: toHex(b.txHashes[i]), txIndex: i, eventIndex: j, event: json });
    });
  });
  return out;
}

export function eventRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const subscribers = new Set<{ socket: WebSocket; filter: Filter }>();
  ctx.chain.onCommit((b) => {
    for (const s of subscribers) {
      if (s.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
        s.socket.close(1013, "subscriber too slow");
        subscribers.delete(s);
        continue;
      }
      for (const m of messagesFor(b, s.filter)) s.socket.send(JSON.stringify(m));
    }
  });

  app.route<{ Querystring: Record<string, string | undefined> }>({
    method: "GET",
    url: "/v1/events",
    schema: { tags: ["events"], summary: "HTTP: indexed events of one type (?type=token.Transfer&fromHeight=&limit=). WebSocket: live new blocks and events filtered by ?module=&type=&account=&blocks=false." },
    handler: async (req) => {
      const type = req.query.type;
      if (typeof type !== "string" || !EVENT_TYPE.test(type)) throw new CivitasError(ErrorCode.API_BAD_REQUEST, "type must be module.Type, for example token.Transfer", { param: "type" });
      const limit = intParam(req.query.limit, "limit", 1, 1000, 100);
      const fromHeight = intParam(req.query.fromHeight, "fromHeight", 0, Number.MAX_SAFE_INTEGER, 0);
      const entries = ctx.chain.store.eventsOfType(type, limit, fromHeight);
      return {
        type,
        events: entries.map((e) => {
          const t = ctx.chain.getTx(e.txHash);
          const ev = t ? (receiptToJson(t.receipt).events as unknown[])[e.eventIndex ?? 0] : null;
          return { height: e.height, txHash: toHex(e.txHash), txIndex: e.txIndex, eventIndex: e.eventIndex, event: ev };
        }),
      };
    },
    wsHandler: (socket, req) => {
      let filter: Filter;
      try {
        filter = parseFilter(req.query);
      } catch (e) {
        socket.send(JSON.stringify({ kind: "error", ...(e as CivitasError).toJSON() }));
        socket.close(1008, "bad filter");
        return;
      }
      if (subscribers.size >= MAX_SUBSCRIBERS) {
        socket.close(1013, "too many subscribers");
        return;
      }
      const sub = { socket, filter };
      subscribers.add(sub);
      socket.send(JSON.stringify({ kind: "subscribed", filter, head: ctx.chain.head().height }));
      socket.on("close", () => subscribers.delete(sub));
      socket.on("message", () => socket.send(JSON.stringify({ kind: "error", code: ErrorCode.API_BAD_REQUEST, message: "this socket only sends; set filters in the URL" })));
    },
  });
}
