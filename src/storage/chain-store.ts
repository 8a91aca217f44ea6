/**
 * The node's embedded store: one LMDB environment holding blocks, transactions, receipts,
 * current state, the state tree's nodes and the indexes. Everything a block changes is written
 * in one LMDB transaction, and the commit is awaited until LMDB reports it flushed to disk, so a
 * process killed at any moment restarts with either the whole block or none of it.
 */
import { open } from "lmdb";
import type { Database, RootDatabase } from "lmdb";
import { concatBytes, utf8 } from "../util/bytes.js";
import { assert, CivitasError, ErrorCode } from "../util/errors.js";
import { readU32be, readU64be, u32be, u64be } from "./keys.js";

export interface TxLocation {
  height: number;
  index: number;
}

export interface BlockWrite {
  height: number;
  hash: Uint8Array;
  blockBytes: Uint8Array;
  txHashes: Uint8Array[];
  receipts: Uint8Array[];
  stateChanges: Array<{ key: Uint8Array; value: Uint8Array | undefined }>;
  smtNodes: Array<[Uint8Array, Uint8Array]>;
  /** (address, txIndex) pairs: every account a transaction concerns. */
  accountIndex: Array<{ address: Uint8Array; txIndex: number }>;
  /** (module.type, txIndex, eventIndex) for every event. */
  eventIndex: Array<{ type: string; txIndex: number; eventIndex: number }>;
}

export interface IndexEntry {
  height: number;
  txIndex: number;
  txHash: Uint8Array;
  eventIndex?: number;
}

type Bin = Database<Uint8Array, Uint8Array>;

export class ChainStore {
  private readonly env: RootDatabase;
  private readonly blocks: Bin;
  private readonly blockHashes: Bin;
  private readonly txs: Bin;
  private readonly state: Bin;
  private readonly smt: Bin;
  private readonly meta: Bin;
  private readonly accountIdx: Bin;
  private readonly eventIdx: Bin;
  private closed = false;

  private constructor(readonly path: string, opts: { mapSizeBytes?: number; readOnly?: boolean }) {
    this.env = open({ path, maxDbs: 16, mapSize: opts.mapSizeBytes ?? 64 * 1024 ** 3, readOnly: opts.readOnly ?? false });
    const sub = (name: string): Bin => this.env.openDB<Uint8Array, Uint8Array>({ name, encoding: "binary", keyEncoding: "binary" });
    this.blocks = sub("blocks");
    this.blockHashes = sub("block_hashes");
    this.txs = sub("txs");
    this.state = sub("state");
    this.smt = sub("smt_nodes");
    this.meta = sub("meta");
    this.accountIdx = sub("idx_account");
    this.eventIdx = sub("idx_event");
  }

  static open(path: string, opts: { mapSizeBytes?: number; readOnly?: boolean } = {}): ChainStore {
    return new ChainStore(path, opts);
  }

  private bin(db: Bin, key: Uint8Array): Uint8Array | undefined {
    const v = db.getBinary(key);
    return v === undefined || v === null ? undefined : new Uint8Array(v.buffer, v.byteOffset, v.length).slice();
  }

  getMeta(name: string): Uint8Array | undefined {
    return this.bin(this.meta, utf8(name));
  }

  /** Meta writes outside block commits (genesis record); durable before returning. */
  async putMeta(name: string, value: Uint8Array): Promise<void> {
    await this.meta.put(utf8(name), value);
    await this.env.flushed;
  }

  headHeight(): number | undefined {
    const v = this.getMeta("head");
    return v ? readU64be(v) : undefined;
  }

  getBlockBytes(height: number): Uint8Array | undefined {
    return this.bin(this.blocks, u64be(height));
  }

  heightOfHash(hash: Uint8Array): number | undefined {
    const v = this.bin(this.blockHashes, hash);
    return v ? readU64be(v) : undefined;
  }

  /**
   * `txs` maps a transaction hash to height (8 bytes) || index (4 bytes) || receipt: one put per
   * transaction instead of two, since the two are always read together or not at all.
   */
  txLocation(hash: Uint8Array): TxLocation | undefined {
    const v = this.txs.getBinary(hash);
    return v ? { height: readU64be(v), index: readU32be(v, 8) } : undefined;
  }

  getReceiptBytes(txHash: Uint8Array): Uint8Array | undefined {
    const v = this.txs.getBinary(txHash);
    return v ? new Uint8Array(v.subarray(12)) : undefined;
  }

  getState(key: Uint8Array): Uint8Array | undefined {
    return this.bin(this.state, key);
  }

  getSmtNode(hash: Uint8Array): Uint8Array | undefined {
    return this.bin(this.smt, hash);
  }

  /** Writes a whole block atomically; resolves once LMDB reports the commit durable. */
  async commitBlock(w: BlockWrite): Promise<void> {
    assert(!this.closed, "store is closed");
    const head = this.headHeight();
    assert(w.height === (head === undefined ? 0 : head + 1), "blocks must be committed in height order", { head, height: w.height });
    assert(w.txHashes.length === w.receipts.length, "one receipt per transaction");
    const hkey = u64be(w.height);
    // childTransaction, not transaction: lmdb-js aborts only a child transaction when the
    // callback throws; with transaction() the writes made before the throw stay in the batch
    // and are committed (with the next block, or on their own).
    await this.env.childTransaction(() => {
      this.blocks.putSync(hkey, w.blockBytes);
      this.blockHashes.putSync(w.hash, hkey);
      for (let i = 0; i < w.txHashes.length; i++) {
        this.txs.putSync(w.txHashes[i], concatBytes(hkey, u32be(i), w.receipts[i]));
      }
      for (const c of w.stateChanges) {
        if (c.value === undefined) this.state.removeSync(c.key);
        else this.state.putSync(c.key, c.value);
      }
      for (const [h, n] of w.smtNodes) this.smt.putSync(h, n);
      // Index postings are grouped per block: one entry per (address, height) and per
      // (event type, height), whatever the number of transactions, which keeps the puts per
      // block (lmdb-js main-thread cost) down when an account or an event type is busy.
      for (const parts of groupBy(w.accountIndex, (a) => hexOf(a.address)).values()) {
        this.accountIdx.putSync(concatBytes(parts[0].address, hkey), packPostings(parts, (a) => [a.txIndex], (a) => w.txHashes[a.txIndex]));
      }
      for (const [type, parts] of groupBy(w.eventIndex, (e) => e.type)) {
        this.eventIdx.putSync(concatBytes(utf8(type), new Uint8Array([0]), hkey), packPostings(parts, (e) => [e.txIndex, e.eventIndex], (e) => w.txHashes[e.txIndex]));
      }
      this.meta.putSync(utf8("head"), hkey);
    });
    await this.env.flushed;
  }

  /** Newest first: transactions that concern `address`, below `beforeHeight` if given. */
  accountHistory(address: Uint8Array, limit: number, beforeHeight?: number): IndexEntry[] {
    assert(address.length === 20, "address must be 20 bytes");
    const start = concatBytes(address, u64be(beforeHeight ?? Number.MAX_SAFE_INTEGER));
    const out: IndexEntry[] = [];
    if (limit <= 0) return out;
    for (const { key, value } of this.accountIdx.getRange({ start, end: address, reverse: true })) {
      const height = readU64be(key as Uint8Array, 20);
      // The range start is inclusive; `before` is not.
      if (beforeHeight !== undefined && height >= beforeHeight) continue;
      const v = value as Uint8Array;
      assert(v.length % 36 === 0, "corrupt account index entry", { height });
      for (let o = v.length - 36; o >= 0; o -= 36) {
        out.push({ height, txIndex: readU32be(v, o), txHash: new Uint8Array(v.subarray(o + 4, o + 36)) });
        if (out.length >= limit) return out;
      }
    }
    return out;
  }

  /** Oldest first: events of one `module.type`, from `fromHeight` on. */
  eventsOfType(type: string, limit: number, fromHeight = 0): IndexEntry[] {
    const prefix = concatBytes(utf8(type), new Uint8Array([0]));
    const out: IndexEntry[] = [];
    if (limit <= 0) return out;
    for (const { key, value } of this.eventIdx.getRange({ start: concatBytes(prefix, u64be(fromHeight)), end: concatBytes(prefix, new Uint8Array(8).fill(0xff)) })) {
      const height = readU64be(key as Uint8Array, prefix.length);
      const v = value as Uint8Array;
      assert(v.length % 40 === 0, "corrupt event index entry", { height });
      for (let o = 0; o < v.length; o += 40) {
        out.push({ height, txIndex: readU32be(v, o), eventIndex: readU32be(v, o + 4), txHash: new Uint8Array(v.subarray(o + 8, o + 40)) });
        if (out.length >= limit) return out;
      }
    }
    return out;
  }

  /** Every current state entry in key order (for consistency checks and exports). */
  *stateEntries(): Generator<{ key: Uint8Array; value: Uint8Array }> {
    for (const { key, value } of this.state.getRange({})) yield { key: new Uint8Array(key as Uint8Array), value: new Uint8Array(value) };
  }

  /**
   * Writes a consistent, compacted copy of the whole environment into the existing empty folder
   * `dir` (LMDB's mdb_env_copy2 runs under one read transaction, off the main thread), so this
   * or another process may keep committing meanwhile: the copy is the store as of one commit.
   */
  async snapshotTo(dir: string): Promise<void> {
    assert(!this.closed, "store is closed");
    await this.env.backup(dir, true);
  }

  describe(): { path: string; head: number | undefined } {
    return { path: this.path, head: this.headHeight() };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.env.close();
  }
}

export function requireBlock(store: ChainStore, height: number): Uint8Array {
  const b = store.getBlockBytes(height);
  if (!b) throw new CivitasError(ErrorCode.CHAIN_CORRUPT, `block ${height} missing from store at ${store.path}`, { height });
  return b;
}

/** Packs postings as repeated (u32 fields..., 32-byte tx hash), written in place. */
function packPostings<T>(items: T[], fields: (t: T) => number[], hash: (t: T) => Uint8Array): Uint8Array {
  const width = fields(items[0]).length * 4 + 32;
  const out = new Uint8Array(items.length * width);
  const view = new DataView(out.buffer);
  let o = 0;
  for (const it of items) {
    for (const f of fields(it)) {
      view.setUint32(o, f);
      o += 4;
    }
    const h = hash(it);
    assert(h.length === 32, "transaction hash must be 32 bytes");
    out.set(h, o);
    o += 32;
  }
  return out;
}

/** Groups items by key, keeping first-seen key order and item order within a group. */
function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const g = out.get(k);
    if (g) g.push(it);
    else out.set(k, [it]);
  }
  return out;
}

const hexOf = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString("hex");
