/**
 * The proof log: the sequence of proof registrations in block order (registration events, in
 * transaction and event order), each leaf the record's canonical CBOR bytes as of the end of its
 * registration block. A checkpoint is published at every height that is a multiple of
 * `everyBlocks`, covering registrations up to that height, so every honest node computes the
 * same checkpoint for the same height. Built incrementally from the node's event index.
 */
import type { HashFn } from "../../ledger/merkle.js";
import { consistencyPath, leafHash, rootFromLeafHashes } from "../../ledger/merkle.js";
import { toHex } from "../../util/bytes.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import type { Checkpoint } from "./checkpoint.js";
import { signCheckpoint } from "./checkpoint.js";
import type { NoteSigner } from "./note.js";

export interface ProofLogSource {
  hash: HashFn;
  headHeight(): number;
  /** Registered fingerprints (hex) in block order for heights in [fromHeight, toHeight]. */
  registrations(fromHeight: number, toHeight: number): Array<{ height: number; fingerprint: string }>;
  /** The record's stored bytes as of the end of `height`. */
  recordAt(fingerprint: string, height: number): Uint8Array | undefined;
}

export interface PublishedCheckpoint {
  /** The signed note (C2SP tlog-checkpoint). */
  note: string;
  checkpoint: Checkpoint;
  /** The block height the checkpoint covers registrations up to. */
  height: number;
}

/** Longest consistency range one request may ask for a proof of (bounds the work per request). */
export const MAX_LOG_SIZE = 50_000_000;

export class ProofLog {
  private readonly leaves: Uint8Array[] = [];
  private syncedTo = 0;
  private published: PublishedCheckpoint | undefined;

  constructor(
    private readonly opts: { origin: string; everyBlocks: number; signer: NoteSigner },
    private readonly source: ProofLogSource,
  ) {
    if (!Number.isInteger(opts.everyBlocks) || opts.everyBlocks < 1) throw new CivitasError(ErrorCode.CONFIG_INVALID, "checkpoints must be published every 1 or more blocks");
  }

  get origin(): string {
    return this.opts.origin;
  }

  /** The height of the newest checkpoint: the last multiple of everyBlocks at or below the head. */
  publishedHeight(): number {
    const head = this.source.headHeight();
    return head - (head % this.opts.everyBlocks);
  }

  private syncTo(height: number): void {
    if (height <= this.syncedTo) return;
    for (const r of this.source.registrations(this.syncedTo + 1, height)) {
      const bytes = this.source.recordAt(r.fingerprint, r.height);
      if (!bytes) throw new CivitasError(ErrorCode.STATE_NOT_AVAILABLE, `the record ${r.fingerprint} registered at height ${r.height} is not readable at that height`);
      if (this.leaves.length >= MAX_LOG_SIZE) throw new CivitasError(ErrorCode.INTERNAL, "the proof log outgrew its in-memory bound");
      this.leaves.push(leafHash(this.source.hash, bytes));
    }
    this.syncedTo = height;
  }

  /** The newest published checkpoint, signed by the log key. */
  latest(): PublishedCheckpoint {
    const height = this.publishedHeight();
    if (this.published?.height === height) return this.published;
    this.syncTo(height);
    const checkpoint: Checkpoint = { origin: this.opts.origin, size: this.leaves.length, rootHash: toHex(rootFromLeafHashes(this.source.hash, this.leaves)), extensions: [] };
    this.published = { note: signCheckpoint(checkpoint, this.opts.signer), checkpoint, height };
    return this.published;
  }

  /** RFC 9162 consistency proof between tree sizes `from` ≤ `to` ≤ the published size (hex hashes). */
  consistency(from: number, to: number): { from: number; to: number; proof: string[] } {
    const size = this.latest().checkpoint.size;
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || to < from || to > size) {
      throw new CivitasError(ErrorCode.API_BAD_REQUEST, `need 0 <= from <= to <= ${size} (the published tree size)`, { from, to, size });
    }
    const proof = consistencyPath(this.source.hash, this.leaves.slice(0, to), from).map(toHex);
    return { from, to, proof };
  }

  /** Leaf hashes (hex) up to the published size: what a witness needs to recompute the tree. */
  leafHashes(from: number, count: number): string[] {
    const size = this.latest().checkpoint.size;
    return this.leaves.slice(Math.max(0, from), Math.min(size, from + count)).map(toHex);
  }
}
