/**
 * Node-side answers of the proof routes: verification of a fingerprint (and of a receipt's
 * aggregation path), a record's history with the transactions that wrote it, and provenance
 * queries through the node's event index. Works on a narrow view of the chain so it depends on
 * no node internals.
 */
import type { HashFn } from "../ledger/merkle.js";
import { leafHash, verifyInclusionPath } from "../ledger/merkle.js";
import type { HistoryEntry, ProofRecord } from "../modules/proof/index.js";
import { decodeHistory, decodeRecord, historyKey, PROOF_MODULE, recordJson, recordKey } from "../modules/proof/index.js";
import { fromHex, toHex } from "../util/bytes.js";
import type { HashAlgorithm } from "./hash.js";

export interface ProofChainView {
  hashAlgorithm: HashAlgorithm;
  hash: HashFn;
  headHeight(): number;
  /** A key of the committed head state (full key, e.g. `proof/rec/<hex>`). */
  get(key: string): Uint8Array | undefined;
  blockTime(height: number): number | undefined;
  blockHash(height: number): string | undefined;
  /** The node's event index: events of `module.Type` from `fromHeight` on, oldest first. */
  eventsOfType(type: string, limit: number, fromHeight: number): Array<{ height: number; txHash: Uint8Array; eventIndex?: number }>;
  /** Events of a committed transaction's receipt. */
  txEvents(txHash: Uint8Array): Array<{ module: string; type: string; attrs: Record<string, unknown> }> | undefined;
}

/** Scan bounds of the event index per request (a block holds at most maxBlockTxs transactions). */
const MAX_EVENTS_PER_HEIGHT = 100_000;
const MAX_SCAN = 20_000;
const MAX_LINEAGE = 64;

export function readRecord(view: ProofChainView, fingerprintHex: string): ProofRecord | undefined {
  const raw = view.get(`${PROOF_MODULE}/${recordKey(fingerprintHex)}`);
  return raw ? decodeRecord(raw) : undefined;
}

const EVENT_OF_OP: Record<HistoryEntry["op"], string> = { registered: "Registered", superseded: "Superseded", revoked: "Revoked", transferred: "Transferred" };

/** The hash of the transaction at `height` whose `proof.<type>` event names `fingerprintHex`. */
export function findTx(view: ProofChainView, type: string, fingerprintHex: string, height: number): string | null {
  for (const e of view.eventsOfType(`${PROOF_MODULE}.${type}`, MAX_EVENTS_PER_HEIGHT, height)) {
    if (e.height !== height) break;
    const ev = view.txEvents(e.txHash)?.[e.eventIndex ?? 0];
    if (ev && ev.module === PROOF_MODULE && ev.type === type && ev.attrs.fingerprint === fingerprintHex) return toHex(e.txHash);
  }
  return null;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function historyOf(view: ProofChainView, r: ProofRecord): Array<Record<string, unknown>> {
  const hex = toHex(r.fingerprint);
  const out: Array<Record<string, unknown>> = [];
  for (let seq = 0; seq < r.history; seq++) {
    const raw = view.get(`${PROOF_MODULE}/${historyKey(hex, seq)}`);
    if (!raw) break;
    const e = decodeHistory(raw);
    out.push({ seq, ...e, timeIso: iso(e.time), txHash: findTx(view, EVENT_OF_OP[e.op], hex, e.height) });
  }
  return out;
}

/** Fingerprints this record replaced and was replaced by, oldest first (bounded). */
export function lineageOf(view: ProofChainView, r: ProofRecord): string[] {
  const back: string[] = [];
  let cur: ProofRecord | undefined = r;
  while (cur?.supersedes && back.length < MAX_LINEAGE) {
    const h = toHex(cur.supersedes);
    back.unshift(h);
    cur = readRecord(view, h);
  }
  const forward: string[] = [];
  cur = r;
  while (cur?.supersededBy && forward.length < MAX_LINEAGE) {
    const h = toHex(cur.supersededBy);
    forward.push(h);
    cur = readRecord(view, h);
  }
  return [...back, toHex(r.fingerprint), ...forward];
}

export interface AggregationInput {
  leafIndex: number;
  treeSize: number;
  path: string[];
  root: string;
}

/** The verification answer of docs/spec/proof.md (without the state proof, which the route adds). */
export function verifyAnswer(view: ProofChainView, fingerprintHex: string, aggregation?: AggregationInput): Record<string, unknown> {
  const head = { height: view.headHeight() };
  const base = { fingerprint: fingerprintHex, hashAlgorithm: view.hashAlgorithm, head };
  let recordHex = fingerprintHex;
  let agg: Record<string, unknown> | undefined;
  if (aggregation) {
    const leaf = leafHash(view.hash, fromHex(fingerprintHex));
    const valid = verifyInclusionPath(view.hash, leaf, aggregation.leafIndex, aggregation.treeSize, aggregation.path.map(fromHex), fromHex(aggregation.root));
    agg = { leafIndex: aggregation.leafIndex, treeSize: aggregation.treeSize, leafHash: toHex(leaf), root: aggregation.root, valid };
    if (!valid) return { ...base, registered: false, match: null, aggregation: agg, reason: `the inclusion path of leaf ${aggregation.leafIndex} does not lead from this fingerprint to root ${aggregation.root}` };
    recordHex = aggregation.root;
  }
  const r = readRecord(view, recordHex);
  if (!r) return { ...base, registered: false, match: null, ...(agg ? { aggregation: agg } : {}), reason: agg ? `root ${recordHex} is not registered on this chain` : `fingerprint ${recordHex} is not registered on this chain (for a document of a batch, supply its receipt)` };
  if (agg && (r.kind !== "batch" || r.count !== aggregation?.treeSize)) {
    return { ...base, registered: false, match: null, aggregation: { ...agg, valid: false }, reason: r.kind !== "batch" ? `${recordHex} is registered as a single document, not as a batch root` : `root ${recordHex} was registered for ${r.count} leaves, the receipt says ${aggregation?.treeSize}` };
  }
  if (!agg && r.kind === "batch") return { ...base, registered: false, match: null, reason: `${recordHex} is a batch root, not a document fingerprint` };
  return {
    ...base,
    registered: true,
    match: agg ? "batch-leaf" : "document",
    ...(agg ? { aggregation: agg, root: recordHex } : {}),
    record: recordJson(r),
    owner: r.owner,
    status: r.status,
    registeredAt: { height: r.height, time: r.time, timeIso: iso(r.time), txHash: findTx(view, "Registered", recordHex, r.height), blockHash: view.blockHash(r.height) ?? null },
    tsaTime: r.tsa ? r.tsa.genTime : null,
    // Commits are final (BFT or solo: no forks), so a record in committed state stays.
    final: r.height <= head.height,
    confirmations: head.height - r.height,
  };
}

/** The first height whose block time is ≥ `time` (block times never decrease). */
export function heightAtOrAfter(view: ProofChainView, time: number): number {
  let lo = 0;
  let hi = view.headHeight() + 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if ((view.blockTime(mid) ?? Number.MAX_SAFE_INTEGER) < time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface ListQuery {
  owner?: string;
  docType?: string;
  from?: number;
  to?: number;
  fromHeight?: number;
  limit: number;
}

/**
 * Records registered in [from, to] (block time), of a type, currently owned by `owner`, oldest
 * first. Candidates come from `proof.Registered` events (and `proof.Transferred` to the owner,
 * for records that changed hands); each is answered with its current state.
 */
export function listRecords(view: ProofChainView, q: ListQuery): { records: Array<Record<string, unknown>>; scannedToHeight: number; next?: number } {
  const start = Math.max(q.fromHeight ?? 0, q.from !== undefined ? heightAtOrAfter(view, q.from) : 0);
  const head = view.headHeight();
  const registered = view.eventsOfType(`${PROOF_MODULE}.Registered`, MAX_SCAN, start);
  const transferred = q.owner ? view.eventsOfType(`${PROOF_MODULE}.Transferred`, MAX_SCAN, start) : [];
  const candidates = [...registered, ...transferred].sort((a, b) => a.height - b.height);
  // Where a scan stopped at its bound, later heights were not looked at: the caller continues from there.
  const truncatedAt = Math.min(registered.length >= MAX_SCAN ? registered[registered.length - 1].height : Infinity, transferred.length >= MAX_SCAN ? transferred[transferred.length - 1].height : Infinity);
  const seen = new Set<string>();
  const records: Array<Record<string, unknown>> = [];
  let scannedTo = Number.isFinite(truncatedAt) ? truncatedAt - 1 : head;
  let stopAfter = Infinity;
  for (const e of candidates) {
    if (e.height > scannedTo || e.height > stopAfter) break;
    const ev = view.txEvents(e.txHash)?.[e.eventIndex ?? 0];
    const fp = ev?.attrs.fingerprint;
    if (typeof fp !== "string" || seen.has(fp)) continue;
    seen.add(fp);
    const r = readRecord(view, fp);
    if (!r) continue;
    if (q.to !== undefined && r.time > q.to) continue;
    if (q.from !== undefined && r.time < q.from) continue;
    if (q.docType !== undefined && r.docType !== q.docType) continue;
    if (q.owner !== undefined && r.owner !== q.owner) continue;
    records.push(recordJson(r));
    // A height is answered whole, so `next` never skips nor repeats a record.
    if (records.length >= q.limit && stopAfter === Infinity) stopAfter = e.height;
  }
  if (Number.isFinite(stopAfter)) scannedTo = Math.min(scannedTo, stopAfter);
  return { records, scannedToHeight: scannedTo, ...(scannedTo < head ? { next: scannedTo + 1 } : {}) };
}
