/**
 * C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the note text
 * `<origin>\n<tree size>\n<base64 root hash>\n[extension lines]`, signed as a signed note by
 * the log's key (key name = origin). Consistency between two checkpoints is an RFC 9162
 * §2.1.4 proof; two checkpoints of one origin that no proof reconciles are a split view.
 */
import type { HashFn } from "../../ledger/merkle.js";
import { verifyConsistencyPath } from "../../ledger/merkle.js";
import { equalBytes, fromHex, toHex } from "../../util/bytes.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import type { NoteSigner, NoteVerifier } from "./note.js";
import { base64Decode, base64Encode, NoteError, openNote, signNote } from "./note.js";

export interface Checkpoint {
  origin: string;
  size: number;
  /** 32-byte root hash, lowercase hex. */
  rootHash: string;
  extensions: string[];
}

export function formatCheckpoint(c: Checkpoint): string {
  return `${c.origin}\n${c.size}\n${base64Encode(fromHex(c.rootHash))}\n${c.extensions.map((e) => `${e}\n`).join("")}`;
}

export function parseCheckpointText(text: string): Checkpoint {
  const lines = text.split("\n");
  if (lines.length < 4 || lines[lines.length - 1] !== "") throw new NoteError("a checkpoint has an origin, a size and a root hash line, each ending in a newline");
  const [origin, size, root, ...rest] = lines.slice(0, -1);
  if (origin.length === 0) throw new NoteError("empty origin");
  if (!/^(0|[1-9][0-9]{0,15})$/.test(size) || !Number.isSafeInteger(Number(size))) throw new NoteError(`tree size '${size}' is not a decimal integer without leading zeros`);
  const hash = base64Decode(root);
  if (hash.length !== 32) throw new NoteError("the root hash is not 32 bytes");
  for (const e of rest) if (e.length === 0) throw new NoteError("empty extension line");
  return { origin, size: Number(size), rootHash: toHex(hash), extensions: rest };
}

export function signCheckpoint(c: Checkpoint, signer: NoteSigner): string {
  if (signer.name !== c.origin) throw new CivitasError(ErrorCode.CHECKPOINT_INVALID, `the log key's name '${signer.name}' must be the origin '${c.origin}'`);
  return signNote(formatCheckpoint(c), [signer]);
}

/** Opens a signed checkpoint and checks it is signed by `logKey` and names its origin. */
export function openCheckpoint(note: string, logKey: NoteVerifier): Checkpoint {
  const opened = openNote(note, [logKey]);
  const c = parseCheckpointText(opened.text);
  if (c.origin !== logKey.name) throw new NoteError(`checkpoint origin '${c.origin}' is not the log key's name '${logKey.name}'`);
  return c;
}

export type ConsistencyVerdict = { ok: true } | { ok: false; reason: string };

/**
 * Whether `newer` extends `older` according to an RFC 9162 consistency proof (hex hashes).
 * Equal sizes must have equal roots; a smaller newer checkpoint is a rollback.
 */
export function checkConsistency(hash: HashFn, older: Checkpoint, newer: Checkpoint, proof: string[]): ConsistencyVerdict {
  if (older.origin !== newer.origin) return { ok: false, reason: `different origins '${older.origin}' and '${newer.origin}'` };
  if (newer.size < older.size) return { ok: false, reason: `tree size went back from ${older.size} to ${newer.size}` };
  if (newer.size === older.size) {
    return equalBytes(fromHex(older.rootHash), fromHex(newer.rootHash)) ? { ok: true } : { ok: false, reason: `split view: two roots for tree size ${older.size}` };
  }
  let path: Uint8Array[];
  try {
    path = proof.map((p) => {
      if (!/^[0-9a-f]{64}$/.test(p)) throw new TypeError("bad hash");
      return fromHex(p);
    });
  } catch {
    return { ok: false, reason: "the consistency proof is not a list of 32-byte hex hashes" };
  }
  const ok = verifyConsistencyPath(hash, older.size, newer.size, fromHex(older.rootHash), fromHex(newer.rootHash), path);
  return ok ? { ok: true } : { ok: false, reason: `split view: no consistency between size ${older.size} and size ${newer.size}` };
}
