/**
 * The consensus write-ahead log: every vote and proposal this validator signs is on disk,
 * fsync'd, before it is sent, so a validator restarted after a crash re-sends what it signed
 * instead of signing something else for the same height and round.
 *
 * Format: a sequence of [u32 big-endian length][canonical CBOR record]. A torn tail (a crash in
 * the middle of an append) was never synced, hence never sent, and is cut off on open.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { decode, encode, FieldReader } from "../../codec/index.js";
import { decodeSignedVote, encodeSignedVote } from "../../ledger/block.js";
import { assert } from "../../util/errors.js";
import type { SignedProposal, SignedVote } from "./messages.js";
import type { Polka, SignedRecord } from "./state-machine.js";

export type WalItem = { kind: "vote"; vote: SignedVote } | { kind: "proposal"; proposal: SignedProposal; value: Uint8Array } | { kind: "polka"; polka: Polka };

/** Durable storage of the signed record. `append` returns only when the items are durable. */
export interface SignedRecordStore {
  load(): SignedRecord;
  append(items: WalItem[]): void;
  /** Drops records below `height` (they can never be signed again: the height is committed). */
  prune(height: number): void;
  close(): void;
}

function itemHeight(i: WalItem): number {
  if (i.kind === "vote") return i.vote.vote.height;
  return i.kind === "proposal" ? i.proposal.proposal.height : i.polka.proposal.proposal.height;
}

function proposalFields(sp: SignedProposal, value: Uint8Array): Record<string, unknown> {
  const p = sp.proposal;
  return { chain: p.chain, height: p.height, round: p.round, validRoundPlusOne: p.validRound + 1, valueId: p.valueId, proposer: p.proposer, signature: sp.signature, value };
}

const PROPOSAL_FIELDS = ["chain", "height", "round", "validRoundPlusOne", "valueId", "proposer", "signature", "value"] as const;

function readProposal(f: FieldReader): { proposal: SignedProposal; value: Uint8Array } {
  return {
    proposal: { proposal: { chain: f.str("chain"), height: f.uint("height"), round: f.uint("round"), validRound: f.uint("validRoundPlusOne") - 1, valueId: f.bytes("valueId", 32), proposer: f.bytes("proposer", 20) }, signature: f.bytes("signature") },
    value: f.bytes("value"),
  };
}

function encodeItem(i: WalItem): Uint8Array {
  if (i.kind === "vote") return encode({ k: "v", sv: encodeSignedVote(i.vote) });
  if (i.kind === "proposal") return encode({ k: "p", ...proposalFields(i.proposal, i.value) });
  return encode({ k: "k", ...proposalFields(i.polka.proposal, i.polka.value), prevotes: i.polka.prevotes.map(encodeSignedVote) });
}

function decodeItem(bytes: Uint8Array): WalItem {
  const root = decode(bytes);
  const k = FieldReader.of(root, "wal").str("k");
  if (k === "v") return { kind: "vote", vote: decodeSignedVote(FieldReader.of(root, "wal").knownFields("k", "sv").bytes("sv")) };
  if (k === "p") return { kind: "proposal", ...readProposal(FieldReader.of(root, "wal").knownFields("k", ...PROPOSAL_FIELDS)) };
  if (k !== "k") throw new Error(`unknown WAL record kind ${k}`);
  const f = FieldReader.of(root, "wal").knownFields("k", ...PROPOSAL_FIELDS, "prevotes");
  const prevotes = f.array("prevotes").map((x) => {
    if (!(x instanceof Uint8Array)) throw new Error("WAL polka prevote is not bytes");
    return decodeSignedVote(x);
  });
  return { kind: "polka", polka: { ...readProposal(f), prevotes } };
}

function frame(body: Uint8Array): Buffer {
  const f = Buffer.allocUnsafe(4 + body.length);
  f.writeUInt32BE(body.length, 0);
  f.set(body, 4);
  return f;
}

function toRecord(items: WalItem[]): SignedRecord {
  const rec: SignedRecord = { votes: [], proposals: [] };
  for (const i of items) {
    if (i.kind === "vote") rec.votes.push(i.vote);
    else if (i.kind === "proposal") rec.proposals.push({ proposal: i.proposal, value: i.value });
    else (rec.polkas ??= []).push(i.polka);
  }
  return rec;
}

export class FileWal implements SignedRecordStore {
  private fd: number;
  private items: WalItem[] = [];

  constructor(readonly path: string) {
    const existed = existsSync(path);
    this.fd = openSync(path, existed ? "r+" : "w+", 0o600);
    if (existed) this.items = this.readAll();
  }

  private readAll(): WalItem[] {
    const buf = readFileSync(this.path);
    const out: WalItem[] = [];
    let pos = 0;
    while (pos + 4 <= buf.length) {
      const len = buf.readUInt32BE(pos);
      if (pos + 4 + len > buf.length) break;
      try {
        out.push(decodeItem(new Uint8Array(buf.buffer, buf.byteOffset + pos + 4, len)));
      } catch {
        break;
      }
      pos += 4 + len;
    }
    if (pos !== buf.length) {
      ftruncateSync(this.fd, pos);
      fsyncSync(this.fd);
    }
    return out;
  }

  load(): SignedRecord {
    return toRecord(this.items);
  }

  append(items: WalItem[]): void {
    if (items.length === 0) return;
    const all = Buffer.concat(items.map((i) => frame(encodeItem(i))));
    const end = fstatSync(this.fd).size;
    let off = 0;
    while (off < all.length) off += writeSync(this.fd, all, off, all.length - off, end + off);
    fsyncSync(this.fd);
    this.items.push(...items);
  }

  prune(height: number): void {
    const keep = this.items.filter((i) => itemHeight(i) >= height);
    if (keep.length === this.items.length) return;
    if (keep.length === 0) {
      // Only records of committed heights go: losing them in a crash is harmless.
      ftruncateSync(this.fd, 0);
      fsyncSync(this.fd);
      this.items = [];
      return;
    }
    // Records still in force are rewritten to a new file that replaces the old one atomically.
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, "w", 0o600);
    const frames = Buffer.concat(keep.map((i) => frame(encodeItem(i))));
    let off = 0;
    while (off < frames.length) off += writeSync(fd, frames, off, frames.length - off, off);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.path);
    const dir = openSync(dirname(this.path), "r");
    fsyncSync(dir);
    closeSync(dir);
    closeSync(this.fd);
    this.fd = openSync(this.path, "r+");
    this.items = keep;
    assert(fstatSync(this.fd).size === frames.length, "WAL rewrite size mismatch");
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** In-memory store for tests and the simulator. */
export class MemoryWal implements SignedRecordStore {
  items: WalItem[] = [];
  load(): SignedRecord {
    return toRecord(this.items);
  }
  append(items: WalItem[]): void {
    this.items.push(...items);
  }
  prune(height: number): void {
    this.items = this.items.filter((i) => itemHeight(i) >= height);
  }
  close(): void {}
}
