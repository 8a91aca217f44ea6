/**
 * C2SP signed notes (https://c2sp.org/signed-note), Ed25519 only: text (ending in a newline),
 * a blank line, then one line per signature `— <key name> <base64(key ID ‖ signature)>`.
 * Key ID = first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key), big-endian. Verifier
 * keys are written `<name>+<key ID hex>+<base64(0x01 ‖ public key)>` as golang.org/x/mod/sumdb/note does.
 * Portable (browser and Node).
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes, equalBytes, fromUtf8, utf8 } from "../../util/bytes.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import { bytesToBase64 } from "../tsa/certs.js";

const ALG_ED25519 = 0x01;
const SIG_PREFIX = "\u2014 ";
const MAX_NOTE_BYTES = 1 << 20;
const MAX_SIGNATURES = 100;

export interface NoteVerifier {
  name: string;
  keyId: number;
  publicKey: Uint8Array;
}

export interface NoteSigner extends NoteVerifier {
  seed: Uint8Array;
}

export interface NoteSignature {
  name: string;
  keyId: number;
  /** The base64 text as written. */
  base64: string;
}

export interface OpenedNote {
  text: string;
  /** Signatures by the given verifiers that verify. */
  verified: NoteSignature[];
  /** Signatures by keys not given (ignored, as the spec requires). */
  unverified: NoteSignature[];
}

export class NoteError extends CivitasError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(ErrorCode.CHECKPOINT_INVALID, `signed note: ${message}`, details);
    this.name = "NoteError";
  }
}

export function base64Decode(s: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) throw new NoteError("invalid base64");
  const bin = atob(s);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

export const base64Encode = bytesToBase64;

/** A key name: non-empty, no whitespace (Unicode spaces included) and no '+'. */
export function isKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u.test(name);
}

export function noteKeyId(name: string, publicKey: Uint8Array): number {
  const h = sha256(concatBytes(utf8(name), Uint8Array.of(0x0a, ALG_ED25519), publicKey));
  return ((h[0] << 24) | (h[1] << 16) | (h[2] << 8) | h[3]) >>> 0;
}

const hex8 = (n: number): string => n.toString(16).padStart(8, "0");

export function signerFromSeed(name: string, seed: Uint8Array): NoteSigner {
  if (!isKeyName(name)) throw new NoteError(`invalid key name '${name}'`);
  if (seed.length !== 32) throw new NoteError("an Ed25519 seed has 32 bytes");
  const publicKey = ed25519.getPublicKey(seed);
  return { name, keyId: noteKeyId(name, publicKey), publicKey, seed: new Uint8Array(seed) };
}

export function verifierKeyString(v: NoteVerifier): string {
  return `${v.name}+${hex8(v.keyId)}+${base64Encode(concatBytes(Uint8Array.of(ALG_ED25519), v.publicKey))}`;
}

export function signerKeyString(s: NoteSigner): string {
  return `PRIVATE+KEY+${s.name}+${hex8(s.keyId)}+${base64Encode(concatBytes(Uint8Array.of(ALG_ED25519), s.seed))}`;
}

function parseKey(parts: string[], what: string): { name: string; keyId: number; key: Uint8Array } {
  const [name, idHex, b64] = parts;
  if (!isKeyName(name ?? "") || !/^[0-9a-f]{8}$/.test(idHex ?? "")) throw new NoteError(`malformed ${what} key`);
  const raw = base64Decode(b64 ?? "");
  if (raw.length !== 33 || raw[0] !== ALG_ED25519) throw new NoteError(`${what} key is not an Ed25519 key`);
  return { name, keyId: parseInt(idHex, 16) >>> 0, key: raw.subarray(1) };
}

export function parseVerifierKey(s: string): NoteVerifier {
  const i1 = s.indexOf("+");
  const i2 = s.indexOf("+", i1 + 1);
  if (i1 < 0 || i2 < 0) throw new NoteError("malformed verifier key");
  const k = parseKey([s.slice(0, i1), s.slice(i1 + 1, i2), s.slice(i2 + 1)], "verifier");
  if (noteKeyId(k.name, k.key) !== k.keyId) throw new NoteError("the verifier key's ID does not match its name and key");
  return { name: k.name, keyId: k.keyId, publicKey: new Uint8Array(k.key) };
}

export function parseSignerKey(s: string): NoteSigner {
  if (!s.startsWith("PRIVATE+KEY+")) throw new NoteError("malformed signer key");
  const rest = s.slice("PRIVATE+KEY+".length);
  const i1 = rest.indexOf("+");
  const i2 = rest.indexOf("+", i1 + 1);
  if (i1 < 0 || i2 < 0) throw new NoteError("malformed signer key");
  const k = parseKey([rest.slice(0, i1), rest.slice(i1 + 1, i2), rest.slice(i2 + 1)], "signer");
  const signer = signerFromSeed(k.name, k.key);
  if (signer.keyId !== k.keyId) throw new NoteError("the signer key's ID does not match its name and key");
  return signer;
}

function checkText(text: string): void {
  if (!text.endsWith("\n")) throw new NoteError("the text must end with a newline");
  if (text.includes("\n\n") || text.startsWith("\n")) throw new NoteError("the text must not contain blank lines");
  if (/[\u0000-\u0009\u000b-\u001f]/.test(text)) throw new NoteError("the text contains control characters");
}

/** Signs `text` with every signer; the result is the note as a string. */
export function signNote(text: string, signers: NoteSigner[]): string {
  checkText(text);
  const msg = utf8(text);
  const lines = signers.map((s) => `${SIG_PREFIX}${s.name} ${base64Encode(concatBytes(Uint8Array.of(s.keyId >>> 24, (s.keyId >>> 16) & 0xff, (s.keyId >>> 8) & 0xff, s.keyId & 0xff), ed25519.sign(msg, s.seed)))}\n`);
  return `${text}\n${lines.join("")}`;
}

/**
 * Opens a note: splits text and signatures at the last blank line, checks every signature by a
 * known key, and requires at least one. Unknown keys are skipped (C2SP signed-note §Verification).
 */
export function openNote(note: string, verifiers: NoteVerifier[]): OpenedNote {
  if (utf8(note).length > MAX_NOTE_BYTES) throw new NoteError("the note is too large");
  if (fromUtf8(utf8(note)) !== note) throw new NoteError("the note is not valid UTF-8");
  const split = note.lastIndexOf("\n\n");
  if (split < 0) throw new NoteError("no blank line between text and signatures");
  const text = note.slice(0, split + 1);
  checkText(text);
  const sigBlock = note.slice(split + 2);
  if (!sigBlock.endsWith("\n")) throw new NoteError("the signature block must end with a newline");
  const lines = sigBlock.slice(0, -1).split("\n");
  if (lines.length === 0 || lines.length > MAX_SIGNATURES) throw new NoteError("a note carries 1 to 100 signatures");
  const msg = utf8(text);
  const verified: NoteSignature[] = [];
  const unverified: NoteSignature[] = [];
  const seen = new Set<string>();
  for (const line of lines) {
    if (!line.startsWith(SIG_PREFIX)) throw new NoteError(`malformed signature line '${line.slice(0, 40)}'`);
    const body = line.slice(SIG_PREFIX.length);
    const sp = body.lastIndexOf(" ");
    const name = body.slice(0, sp);
    const b64 = body.slice(sp + 1);
    if (sp <= 0 || !isKeyName(name)) throw new NoteError("malformed signature line: bad key name");
    const raw = base64Decode(b64);
    if (raw.length < 5) throw new NoteError("malformed signature: too short");
    const keyId = ((raw[0] << 24) | (raw[1] << 16) | (raw[2] << 8) | raw[3]) >>> 0;
    const sig = { name, keyId, base64: b64 };
    const v = verifiers.find((k) => k.name === name && k.keyId === keyId);
    if (!v) {
      unverified.push(sig);
      continue;
    }
    const id = `${name}+${keyId}`;
    if (seen.has(id)) throw new NoteError(`two signatures by ${name}`);
    seen.add(id);
    if (raw.length !== 4 + 64 || !ed25519.verify(raw.subarray(4), msg, v.publicKey)) throw new NoteError(`the signature by ${name} does not verify`, { key: name });
    verified.push(sig);
  }
  if (verified.length === 0) throw new NoteError("no signature by a known key", { signers: unverified.map((s) => s.name) });
  return { text, verified, unverified };
}

export function sameVerifier(a: NoteVerifier, b: NoteVerifier): boolean {
  return a.name === b.name && a.keyId === b.keyId && equalBytes(a.publicKey, b.publicKey);
}
