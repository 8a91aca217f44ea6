/**
 * The PostgreSQL index as the explorer reads it: the node's same-origin proxy at
 * /v1/explorer/index/* (the page's CSP allows no other host). The node answers 404
 * API_NOT_FOUND when it has no index configured (api.indexerUrl), 503 API_UNAVAILABLE when the
 * indexer or its database does not answer or indexes another chain.
 */
import { useEffect, useState } from "react";
import type { AccountRow, BlockRow, EventRow, IndexStatusRow, SearchResult, TxRow } from "../../../src/indexer/rows.js";
import { api, ApiFailure } from "./api.js";

export const INDEX_PREFIX = "/v1/explorer/index";
/** The index's height moves with the chain; the badge follows it at this pace. */
const STATUS_EVERY_MS = 5_000;

export function indexApi<T>(path: string): Promise<T> {
  return api<T>(INDEX_PREFIX + path);
}

export interface IndexStatus extends IndexStatusRow {
  /** The node's head when it answered (added by the node's proxy). */
  nodeHeight: number;
}

/** A block as the index answers it by id or in a search (with its transactions). */
export type IndexBlock = BlockRow & { txs?: Array<{ hash: string; index: number; from: string; status: string }> };
export type IndexEvent = EventRow;
export type IndexTx = TxRow;
export type IndexAccount = AccountRow;
export type IndexSearchResult = { kind: "block"; block: IndexBlock } | Exclude<SearchResult, { kind: "block" }>;

/** none: this node has no index; down: it has one that does not answer (the explorer falls back to the node, and says so). */
export type IndexState = { kind: "probing" } | { kind: "none" } | { kind: "ok"; status: IndexStatus } | { kind: "down"; error: ApiFailure };

/** Probes the index once, then follows its height while it answers (and retries while it is down). */
export function useIndex(): IndexState {
  const [state, setState] = useState<IndexState>({ kind: "probing" });
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async (): Promise<void> => {
      let next: IndexState;
      try {
        next = { kind: "ok", status: await indexApi<IndexStatus>("/status") };
      } catch (e) {
        const f = e instanceof ApiFailure ? e : new ApiFailure(0, "ERROR", String(e));
        // API_NOT_FOUND: no api.indexerUrl (or a node from before the proxy); it cannot change without a restart.
        next = f.code === "API_NOT_FOUND" ? { kind: "none" } : { kind: "down", error: f };
      }
      if (stopped) return;
      setState(next);
      if (next.kind !== "none") timer = setTimeout(() => void poll(), STATUS_EVERY_MS);
    };
    void poll();
    return () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    };
  }, []);
  return state;
}

/** The indexer's largest page. */
export const MAX_PAGE = 200;

/**
 * The next page of a list the index orders by height and pages by height (`before` for account
 * histories, `fromHeight` for events). A page can end in the middle of a block, so the next one
 * is asked from that block again (`inclusive`) with room for the `sameBlock` rows of it already
 * shown, which are dropped; only a block with more rows than one request can carry is passed
 * over (`exclusive`).
 */
export async function nextPage<T>(
  fetchFrom: (cursor: number, limit: number) => Promise<T[]>,
  o: { inclusive: number; exclusive: number; sameBlock: number; seen: Set<string>; key: (row: T) => string; page: number },
): Promise<{ rows: T[]; more: boolean }> {
  const want = Math.min(MAX_PAGE, o.sameBlock + o.page);
  let got = await fetchFrom(o.inclusive, want);
  let fresh = got.filter((r) => !o.seen.has(o.key(r)));
  let more = got.length === want;
  if (fresh.length === 0 && more) {
    got = await fetchFrom(o.exclusive, o.page);
    fresh = got.filter((r) => !o.seen.has(o.key(r)));
    more = got.length === o.page;
  }
  return { rows: fresh, more };
}
