/**
 * Reading a backup file without side effects: its size against its manifest, its trailing
 * checksum over every byte, and the genesis and node.json it carries. A file that fails any of
 * these (or carries an alert-rules.json the node would refuse) is refused with the reason before
 * a restore touches the disk.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { getNodeSuite } from "../../crypto/node-suites.js";
import type { Genesis } from "../../ledger/genesis.js";
import { genesisHash, parseGenesis } from "../../ledger/genesis.js";
import { toHex } from "../../util/bytes.js";
import { isCivitasError } from "../../util/errors.js";
import type { AlertRule } from "../alerts/rules.js";
import type { NodeConfig } from "../config.js";
import { parseNodeConfig } from "../config.js";
import { parseRulesFile } from "./alert-rules.js";
import type { BackupFile, BackupManifest } from "./format.js";
import { CHECKSUM_BYTES, MAGIC, archiveSize, bad, manifestLength, parseManifest } from "./format.js";

export interface CheckedBackup {
  file: string;
  size: number;
  manifest: BackupManifest;
  /** Offset of the first file's first byte. */
  payloadOffset: number;
  checksum: string;
  genesis: Genesis;
  config: NodeConfig;
  /** The rules of the alert-rules.json it carries (format version 2), checked as the node checks them at start. */
  alertRules?: AlertRule[];
  /** Each file with its offset in the archive. */
  entries: Array<BackupFile & { offset: number }>;
}

/** Streams bytes [start, end) of a file. */
export async function* readRange(file: string, start: number, end: number): AsyncGenerator<Buffer> {
  if (end <= start) return;
  for await (const chunk of createReadStream(file, { start, end: end - 1, highWaterMark: 1 << 20 })) yield chunk as Buffer;
}

async function readBytes(file: string, start: number, length: number): Promise<Buffer> {
  const fh = await open(file, "r");
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, start);
    if (bytesRead !== length) bad(`truncated backup: could not read ${length} bytes at offset ${start}`);
    return buf;
  } finally {
    await fh.close();
  }
}

/** Verifies a backup file end to end (size, checksum, manifest, genesis); writes nothing. */
export async function checkBackup(file: string, onProgress?: (done: number, total: number) => void): Promise<CheckedBackup> {
  let size: number;
  try {
    const st = await stat(file);
    if (!st.isFile()) bad(`${file} is not a file`, { file });
    size = st.size;
  } catch (e) {
    if (isCivitasError(e)) throw e;
    return bad(`cannot read the backup ${file}: ${(e as Error).message}`, { file });
  }
  if (size < MAGIC.length + 4 + CHECKSUM_BYTES) bad(`not a Civitas backup or truncated: ${file} has only ${size} bytes`, { file, size });
  const prefix = await readBytes(file, 0, MAGIC.length + 4);
  const n = manifestLength(prefix, size);
  // The manifest is read before the checksum so a short file is named truncated, with the size
  // it should have; a manifest that does not parse waits for the checksum to say why.
  let manifest: BackupManifest | undefined;
  let manifestError: unknown;
  try {
    manifest = parseManifest(await readBytes(file, MAGIC.length + 4, n));
  } catch (e) {
    manifestError = e;
  }
  if (manifest) {
    const expected = archiveSize(n, manifest.payloadBytes);
    if (size < expected) bad(`truncated backup: ${file} has ${size} bytes, its manifest says ${expected}`, { file, size, expected });
    if (size > expected) bad(`corrupt backup: ${file} has ${size - expected} bytes more than its manifest says`, { file, size, expected });
  }
  const hash = createHash("sha256");
  const body = size - CHECKSUM_BYTES;
  let done = 0;
  for await (const chunk of readRange(file, 0, body)) {
    hash.update(chunk);
    done += chunk.length;
    onProgress?.(done, body);
  }
  const computed = hash.digest();
  const stored = await readBytes(file, body, CHECKSUM_BYTES);
  if (!computed.equals(stored)) bad(`corrupt backup: checksum mismatch (the file says ${stored.toString("hex")}, its content hashes to ${computed.toString("hex")})`, { file, stored: stored.toString("hex"), computed: computed.toString("hex") });
  if (!manifest) throw manifestError;

  const payloadOffset = MAGIC.length + 4 + n;
  let offset = payloadOffset;
  const entries = manifest.files.map((f) => {
    const e = { ...f, offset };
    offset += f.size;
    return e;
  });
  const text = async (kind: BackupFile["kind"]): Promise<unknown> => {
    const e = entries.find((x) => x.kind === kind) as (typeof entries)[number];
    try {
      return JSON.parse((await readBytes(file, e.offset, e.size)).toString("utf8"));
    } catch (err) {
      return bad(`corrupt backup: ${e.path} is not JSON (${(err as Error).message})`);
    }
  };
  const inner = <T>(what: string, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      return bad(`corrupt backup: its ${what} is invalid: ${(e as Error).message}`);
    }
  };
  const genesisDoc = await text("genesis");
  const genesis = inner("genesis", () => parseGenesis(genesisDoc));
  const configDoc = await text("config");
  const config = inner("node.json", () => parseNodeConfig(configDoc));
  const gHash = toHex(genesisHash(getNodeSuite(genesis.cryptoSuite), genesis));
  if (gHash !== manifest.genesisHash || genesis.chainId !== manifest.chainId) bad(`corrupt backup: its genesis (chain ${genesis.chainId}, hash ${gHash}) is not the one its manifest names (chain ${manifest.chainId}, hash ${manifest.genesisHash})`);
  let alertRules: AlertRule[] | undefined;
  const rulesEntry = entries.find((x) => x.kind === "alert-rules");
  if (rulesEntry) {
    try {
      alertRules = parseRulesFile(await readBytes(file, rulesEntry.offset, rulesEntry.size));
    } catch (e) {
      if (!isCivitasError(e)) throw e;
      // The node would refuse to start with these rules: the backup is refused as a whole.
      bad(`invalid backup: its ${rulesEntry.path} is not a rule set the node accepts: ${e.message}`, { ...e.details, file, path: rulesEntry.path, cause: e.code });
    }
  }
  return { file, size, manifest, payloadOffset, checksum: computed.toString("hex"), genesis, config, alertRules, entries };
}
