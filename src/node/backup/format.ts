/**
 * The backup file: `CVBACKUP` (8 bytes), the manifest's length (u32 big-endian) and the manifest
 * (UTF-8 JSON), then every file the manifest lists, in its order and of exactly its size, then
 * the SHA-256 of every byte before it (32 bytes). Sizes come first so a reader knows the whole
 * length before reading anything: a truncated file is named as such, and a flipped byte anywhere
 * fails the trailing checksum. See docs/spec/backup.md.
 */
import { CivitasError, ErrorCode } from "../../util/errors.js";
import { RULES_FILE } from "../alerts/store.js";

export const MAGIC = Buffer.from("CVBACKUP", "ascii");
export const FORMAT = "civitas-backup";
/**
 * The newest version this software writes and reads. A backup is written with the lowest version
 * whose kinds cover its files (`versionFor`), so software that reads only version 1 still
 * restores a backup that carries nothing version 2 added.
 */
export const FORMAT_VERSION = 2;
/** The file kinds each version knows; a later version only adds kinds, never changes one. */
const KINDS_BY_VERSION: Record<number, readonly BackupFile["kind"][]> = {
  1: ["store", "genesis", "config", "certificate", "key"],
  2: ["store", "genesis", "config", "certificate", "key", "alert-rules"],
};
export const CHECKSUM_BYTES = 32;
/** Archive path of the LMDB snapshot; restore puts it in the home's data folder. */
export const STORE_FILE = "store/data.mdb";
const MAX_MANIFEST_BYTES = 1 << 20;
const MAX_FILES = 256;
const MAX_HOME_FILE_BYTES = 16 * 1024 * 1024;

export interface BackupFile {
  /** Path inside the archive: the home-relative path, or STORE_FILE for the chain store. */
  path: string;
  size: number;
  /**
   * key: a secret (validator, TLS, TSA, CA or proof-log key), present only with --include-keys.
   * alert-rules (version 2): the home's alert-rules.json, the rules PUT /v1/alerts/rules set.
   */
  kind: "store" | "genesis" | "config" | "certificate" | "key" | "alert-rules";
}

export interface BackupManifest {
  format: typeof FORMAT;
  version: number;
  chainId: string;
  cryptoSuite: string;
  genesisHash: string;
  /** Head of the snapshot: the newest block in it, its hash, its state root and block time. */
  height: number;
  blockHash: string;
  stateRoot: string;
  blockTime: number;
  /** ISO 8601 time the snapshot was taken (wall clock of the machine that took it). */
  createdAt: string;
  software: string;
  moniker: string;
  includesKeys: boolean;
  files: BackupFile[];
  /** Sum of the files' sizes. */
  payloadBytes: number;
}

export function bad(message: string, details: Record<string, unknown> = {}): never {
  throw new CivitasError(ErrorCode.BACKUP_INVALID, message, details);
}

const HEX32 = /^[0-9a-f]{64}$/;
const SAFE_PATH = /^(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/** The lowest format version that knows every kind in `files`. */
export function versionFor(files: ReadonlyArray<Pick<BackupFile, "kind">>): number {
  for (let v = 1; v < FORMAT_VERSION; v++) if (files.every((f) => KINDS_BY_VERSION[v].includes(f.kind))) return v;
  return FORMAT_VERSION;
}

/** Length of the archive prefix (magic, length, manifest) for a manifest's JSON. */
export function headerBytes(manifestJson: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(manifestJson.length);
  return Buffer.concat([MAGIC, len, manifestJson]);
}

/** The manifest length from the first 12 bytes, or a BACKUP_INVALID naming what is wrong. */
export function manifestLength(prefix: Buffer, fileSize: number): number {
  if (fileSize < MAGIC.length + 4) bad(`not a Civitas backup: the file has only ${fileSize} bytes`, { size: fileSize });
  if (!prefix.subarray(0, MAGIC.length).equals(MAGIC)) bad("not a Civitas backup: the file does not start with CVBACKUP");
  const n = prefix.readUInt32BE(MAGIC.length);
  if (n === 0 || n > MAX_MANIFEST_BYTES) bad(`corrupt backup: manifest length ${n} is out of range`);
  if (MAGIC.length + 4 + n > fileSize) bad(`truncated backup: the file has ${fileSize} bytes, less than its ${n}-byte manifest needs`, { size: fileSize });
  return n;
}

/** Parses and checks a manifest's shape; values are checked against the data later. */
export function parseManifest(json: Buffer): BackupManifest {
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(json.toString("utf8")) as Record<string, unknown>;
  } catch (e) {
    return bad(`corrupt backup: the manifest is not JSON (${(e as Error).message})`);
  }
  if (m === null || typeof m !== "object" || Array.isArray(m)) bad("corrupt backup: the manifest is not an object");
  const field = (name: string, ok: (v: unknown) => boolean, what: string): void => {
    if (!ok(m[name])) bad(`corrupt backup: manifest.${name} must be ${what}`, { field: name });
  };
  const isInt = (v: unknown): boolean => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
  const isStr = (v: unknown): boolean => typeof v === "string" && v.length > 0 && v.length <= 200;
  if (m.format !== FORMAT) bad(`not a Civitas backup: manifest.format is ${JSON.stringify(m.format)}`);
  const kinds = typeof m.version === "number" ? KINDS_BY_VERSION[m.version] : undefined;
  if (!kinds) bad(`unsupported backup format version ${JSON.stringify(m.version)} (this software reads versions 1 to ${FORMAT_VERSION}; a newer one needs newer software)`, { version: m.version });
  for (const f of ["chainId", "cryptoSuite", "createdAt", "software", "moniker"]) field(f, isStr, "a non-empty string");
  for (const f of ["genesisHash", "blockHash", "stateRoot"]) field(f, (v) => typeof v === "string" && HEX32.test(v), "64 lowercase hex digits");
  for (const f of ["height", "blockTime", "payloadBytes"]) field(f, isInt, "a non-negative integer");
  field("includesKeys", (v) => typeof v === "boolean", "true or false");
  field("files", (v) => Array.isArray(v) && v.length > 0 && v.length <= MAX_FILES, `a list of 1 to ${MAX_FILES} files`);
  const files = m.files as Array<Record<string, unknown>>;
  const seen = new Set<string>();
  let total = 0;
  files.forEach((f, i) => {
    if (f === null || typeof f !== "object") bad(`corrupt backup: manifest.files[${i}] is not an object`);
    if (typeof f.path !== "string" || !SAFE_PATH.test(f.path) || f.path.length > 300) bad(`corrupt backup: manifest.files[${i}].path ${JSON.stringify(f.path)} is not a safe relative path`);
    if (seen.has(f.path)) bad(`corrupt backup: ${f.path} is listed twice`);
    seen.add(f.path);
    if (!isInt(f.size)) bad(`corrupt backup: manifest.files[${i}].size must be a non-negative integer`);
    if (!kinds.includes(f.kind as BackupFile["kind"])) bad(`corrupt backup: manifest.files[${i}].kind must be one of ${kinds.join(", ")} in a version ${String(m.version)} backup`);
    if ((f.kind === "store") !== (f.path === STORE_FILE)) bad(`corrupt backup: only ${STORE_FILE} is the store`);
    // The node reads its rules from exactly this home path; anywhere else they would be ignored.
    if ((f.kind === "alert-rules") !== (f.path === RULES_FILE)) bad(`corrupt backup: only ${RULES_FILE} is of kind alert-rules`);
    // Home files are read whole (genesis, node.json) or compared whole (kept files): bounded.
    if (f.kind !== "store" && (f.size as number) > MAX_HOME_FILE_BYTES) bad(`corrupt backup: ${f.path} is ${String(f.size)} bytes, more than a home file may be (${MAX_HOME_FILE_BYTES})`);
    total += f.size as number;
  });
  if (!seen.has(STORE_FILE)) bad(`corrupt backup: the manifest lists no ${STORE_FILE}`);
  if (files.filter((f) => f.kind === "genesis").length !== 1 || files.filter((f) => f.kind === "config").length !== 1) bad("corrupt backup: the manifest must list one genesis file and one node.json");
  if (total !== m.payloadBytes) bad(`corrupt backup: the files add up to ${total} bytes, the manifest says ${String(m.payloadBytes)}`);
  if (!m.includesKeys && files.some((f) => f.kind === "key")) bad("corrupt backup: key files in a backup made without keys");
  return m as unknown as BackupManifest;
}

/** Size a file with this manifest must have. */
export function archiveSize(manifestJsonBytes: number, payloadBytes: number): number {
  return MAGIC.length + 4 + manifestJsonBytes + payloadBytes + CHECKSUM_BYTES;
}
