/**
 * Proof records and their history entries as stored (canonical CBOR) and as shown (JSON).
 * Layout: docs/spec/proof.md, "Record".
 */
import { decode, encode, FieldReader } from "../../codec/index.js";
import type { CborValue } from "../../codec/index.js";
import { toHex } from "../../util/bytes.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";

export const RECORD_VERSION = 1;

export type RecordKind = "document" | "batch";
export type RecordStatus = "active" | "superseded" | "revoked";
export type HistoryOp = "registered" | "superseded" | "revoked" | "transferred";

export interface TsaStamp {
  token: Uint8Array;
  genTime: number;
  tsa: string;
}

export interface ProofRecord {
  kind: RecordKind;
  fingerprint: Uint8Array;
  count: number;
  salted: boolean;
  docType: string;
  metadata: string;
  owner: string;
  keyId: number;
  publicKey: Uint8Array;
  signature: Uint8Array;
  registrant: string;
  height: number;
  time: number;
  tsa: TsaStamp | null;
  status: RecordStatus;
  supersedes: Uint8Array | null;
  supersededBy: Uint8Array | null;
  statusReason: string;
  statusHeight: number;
  history: number;
}

export interface HistoryEntry {
  op: HistoryOp;
  height: number;
  time: number;
  actor: string;
  owner: string;
  other: string;
  reason: string;
}

const KINDS: readonly string[] = ["document", "batch"];
const STATUSES: readonly string[] = ["active", "superseded", "revoked"];
const OPS: readonly string[] = ["registered", "superseded", "revoked", "transferred"];

export function encodeRecord(r: ProofRecord): Uint8Array {
  return encode({
    v: RECORD_VERSION,
    kind: r.kind,
    fingerprint: r.fingerprint,
    count: r.count,
    salted: r.salted,
    docType: r.docType,
    metadata: r.metadata,
    owner: r.owner,
    keyId: r.keyId,
    publicKey: r.publicKey,
    signature: r.signature,
    registrant: r.registrant,
    height: r.height,
    time: r.time,
    tsa: r.tsa ? { token: r.tsa.token, genTime: r.tsa.genTime, tsa: r.tsa.tsa } : null,
    status: r.status,
    supersedes: r.supersedes,
    supersededBy: r.supersededBy,
    statusReason: r.statusReason,
    statusHeight: r.statusHeight,
    history: r.history,
  });
}

function nullableHash(f: FieldReader, field: string): Uint8Array | null {
  return f.raw(field) === null ? null : f.bytes(field, 32);
}

export function decodeRecord(bytes: Uint8Array): ProofRecord {
  // Stored values were written by this module: a malformed one is corruption, not caller error.
  const f = FieldReader.of(decode(bytes), "proof.record", ErrorCode.INTERNAL).knownFields(
    "v", "kind", "fingerprint", "count", "salted", "docType", "metadata", "owner", "keyId", "publicKey", "signature",
    "registrant", "height", "time", "tsa", "status", "supersedes", "supersededBy", "statusReason", "statusHeight", "history",
  );
  const kind = f.str("kind");
  const status = f.str("status");
  if (f.uint("v") !== RECORD_VERSION || !KINDS.includes(kind) || !STATUSES.includes(status)) throw new CivitasError(ErrorCode.INTERNAL, "proof.record: unknown version, kind or status", { kind, status });
  const tsaRaw = f.raw("tsa");
  let tsa: TsaStamp | null = null;
  if (tsaRaw !== null) {
    const t = FieldReader.of(tsaRaw, "proof.record.tsa", ErrorCode.INTERNAL).knownFields("token", "genTime", "tsa");
    tsa = { token: t.bytes("token"), genTime: t.uint("genTime"), tsa: t.str("tsa") };
  }
  return {
    kind: kind as RecordKind,
    fingerprint: f.bytes("fingerprint", 32),
    count: f.uint("count"),
    salted: f.bool("salted"),
    docType: f.str("docType"),
    metadata: f.str("metadata"),
    owner: f.str("owner"),
    keyId: f.uint("keyId"),
    publicKey: f.bytes("publicKey"),
    signature: f.bytes("signature"),
    registrant: f.str("registrant"),
    height: f.uint("height"),
    time: f.uint("time"),
    tsa,
    status: status as RecordStatus,
    supersedes: nullableHash(f, "supersedes"),
    supersededBy: nullableHash(f, "supersededBy"),
    statusReason: f.str("statusReason"),
    statusHeight: f.uint("statusHeight"),
    history: f.uint("history"),
  };
}

export function encodeHistory(e: HistoryEntry): Uint8Array {
  return encode({ op: e.op, height: e.height, time: e.time, actor: e.actor, owner: e.owner, other: e.other, reason: e.reason });
}

export function decodeHistory(bytes: Uint8Array): HistoryEntry {
  const f = FieldReader.of(decode(bytes), "proof.history", ErrorCode.INTERNAL).knownFields("op", "height", "time", "actor", "owner", "other", "reason");
  const op = f.str("op");
  if (!OPS.includes(op)) throw new CivitasError(ErrorCode.INTERNAL, `proof.history: unknown op '${op}'`);
  return { op: op as HistoryOp, height: f.uint("height"), time: f.uint("time"), actor: f.str("actor"), owner: f.str("owner"), other: f.str("other"), reason: f.str("reason") };
}

/** JSON form for queries and the API: bytes as lowercase hex. */
export function recordJson(r: ProofRecord): Record<string, unknown> {
  return {
    kind: r.kind,
    fingerprint: toHex(r.fingerprint),
    count: r.count,
    salted: r.salted,
    docType: r.docType,
    metadata: r.metadata,
    owner: r.owner,
    keyId: r.keyId,
    verificationMethod: `${r.owner}#key-${r.keyId}`,
    publicKey: toHex(r.publicKey),
    signature: toHex(r.signature),
    registrant: r.registrant,
    height: r.height,
    time: r.time,
    tsa: r.tsa ? { token: toHex(r.tsa.token), genTime: r.tsa.genTime, tsa: r.tsa.tsa } : null,
    status: r.status,
    supersedes: r.supersedes ? toHex(r.supersedes) : null,
    supersededBy: r.supersededBy ? toHex(r.supersededBy) : null,
    statusReason: r.statusReason,
    statusHeight: r.statusHeight,
    history: r.history,
  };
}

export function decodeAny(key: string, value: Uint8Array): unknown {
  if (key.startsWith("rec/")) return recordJson(decodeRecord(value));
  if (key.startsWith("hist/")) return decodeHistory(value);
  return decode(value) as CborValue;
}
