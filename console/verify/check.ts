/**
 * The offline check of the files chosen on the page: read them (with size limits), hash the
 * document in the browser and run the verifier core (src/proof/bundle) on the bundle text.
 * Nothing here touches the network or the DOM beyond reading the files.
 */
import type { BundleCheck } from "../../src/proof/bundle/index.js";
import { checkBundleText } from "../../src/proof/bundle/index.js";
import { commitment, portableHash } from "../../src/proof/hash.js";
import { fromHex, toHex } from "../../src/util/bytes.js";

/** As the CLI (`civitas proof check`): a bundle of a chain with many set changes is a few MiB. */
export const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;
/** The document is hashed in memory (WebCrypto has no streaming digest); the CLI streams larger ones. */
export const MAX_DOCUMENT_BYTES = 256 * 1024 * 1024;

/** A file or field the check cannot run on (as opposed to a bundle that does not check). */
export class InputError extends Error {
  constructor(
    readonly field: "bundle" | "document" | "trusted-hash",
    message: string,
  ) {
    super(message);
    this.name = "InputError";
  }
}

export interface DocumentHash {
  name: string;
  size: number;
  algorithm: "SHA-256" | "SM3";
  salted: boolean;
  fingerprint: string;
  /** "WebCrypto" or, where the page is not a secure context or the suite is SM3, the verifier's portable code. */
  by: "WebCrypto" | "portable code";
}

export interface Outcome {
  check: BundleCheck;
  document: DocumentHash | null;
}

function mebibytes(n: number): string {
  return `${(n / 1024 / 1024).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MiB`;
}

/** Next to a limit, rounding would hide the difference. */
const exact = (n: number): string => `${n.toLocaleString("en")} bytes`;

export function sizeText(n: number): string {
  return n < 1024 ? `${n} bytes` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : mebibytes(n);
}

/** Refuses files over the limits before reading a byte of them. */
export function checkSizes(bundle: File, document: File | null): void {
  if (bundle.size > MAX_BUNDLE_BYTES) throw new InputError("bundle", `The bundle file "${bundle.name}" is ${exact(bundle.size)}, over the limit of ${exact(MAX_BUNDLE_BYTES)} (${mebibytes(MAX_BUNDLE_BYTES)}). A proof bundle is a few KiB to a few MiB: is this the right file?`);
  if (bundle.size === 0) throw new InputError("bundle", `The bundle file "${bundle.name}" is empty.`);
  if (document && document.size > MAX_DOCUMENT_BYTES) throw new InputError("document", `The document "${document.name}" is ${exact(document.size)}, over the ${exact(MAX_DOCUMENT_BYTES)} (${mebibytes(MAX_DOCUMENT_BYTES)}) this page hashes in memory. Check it with civitas proof check, which streams the file.`);
}

/** `""` or 64 hex characters (either case, as pasted); returns the lowercase form or undefined. */
export function parseTrustedHash(raw: string): string | undefined {
  const s = raw.trim().toLowerCase();
  if (s === "") return undefined;
  if (!/^[0-9a-f]{64}$/.test(s)) throw new InputError("trusted-hash", `The trusted anchor hash must be 64 hex characters (you entered ${s.length} character${s.length === 1 ? "" : "s"}${/[^0-9a-f]/.test(s) ? ", some not hex" : ""}).`);
  return s;
}

async function readBundleText(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let text: string;
  try {
    // Fatal and BOM-preserving: the check judges exactly the bytes the CLI would.
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new InputError("bundle", `"${file.name}" is not a text file, so it is not a proof bundle. Choose the .json file written by civitas proof bundle.`);
  }
  try {
    JSON.parse(text);
  } catch (e) {
    throw new InputError("bundle", `"${file.name}" is not JSON, so it is not a proof bundle (or it was cut short): ${(e as Error).message}`);
  }
  return text;
}

/** The suite and salt, read loosely only to hash the document; the check itself judges them (as the CLI does). */
function hashingParameters(text: string): { sm3: boolean; salt: Uint8Array | null } {
  const j = JSON.parse(text) as { suite?: unknown; document?: { salt?: unknown } } | null;
  const salt = typeof j?.document?.salt === "string" && /^(?:[0-9a-f]{2}){1,64}$/.test(j.document.salt) ? fromHex(j.document.salt) : null;
  return { sm3: j?.suite === "sm2-sm3", salt };
}

async function hashDocument(file: File, sm3: boolean, salt: Uint8Array | null): Promise<DocumentHash> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const base = { name: file.name, size: file.size, algorithm: sm3 ? "SM3" : "SHA-256", salted: salt !== null } as const;
  // crypto.subtle exists only in secure contexts (https, localhost); elsewhere the portable SHA-256 gives the same digest.
  const subtle = globalThis.crypto?.subtle;
  if (!sm3 && subtle) {
    const input = salt ? commitmentInput(salt, bytes) : bytes;
    const digest = new Uint8Array(await subtle.digest("SHA-256", input));
    return { ...base, fingerprint: toHex(digest), by: "WebCrypto" };
  }
  const fp = commitment(portableHash(sm3 ? "sm2-sm3" : "ed25519-sha256"), bytes, salt);
  return { ...base, fingerprint: toHex(fp), by: "portable code" };
}

function commitmentInput(salt: Uint8Array, doc: Uint8Array): Uint8Array<ArrayBuffer> {
  const buf = new Uint8Array(salt.length + doc.length);
  buf.set(salt, 0);
  buf.set(doc, salt.length);
  return buf;
}

/** Reads, hashes and checks. Throws InputError when the check cannot run on these inputs. */
export async function checkFiles(bundle: File, document: File | null, trustedHashRaw: string): Promise<Outcome> {
  const trustedHash = parseTrustedHash(trustedHashRaw);
  checkSizes(bundle, document);
  const text = await readBundleText(bundle);
  const { sm3, salt } = hashingParameters(text);
  const doc = document ? await hashDocument(document, sm3, salt) : null;
  const check = checkBundleText(text, { ...(doc ? { documentFingerprint: fromHex(doc.fingerprint) } : {}), ...(trustedHash ? { trustedHash } : {}) });
  return { check, document: doc };
}
