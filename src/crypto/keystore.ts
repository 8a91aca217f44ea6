/**
 * Encrypted key files: scrypt turns the passphrase into 64 bytes; the first 32 key AES-256-GCM
 * over the raw secret key, the last 32 are hashed into `kdf.check`. GCM alone cannot tell a
 * wrong passphrase from a modified file (both fail the tag), and the CLI must say which, so the
 * check value answers "right passphrase?" and the tag then answers "untouched file?". The check
 * gives an offline guesser nothing the tag did not already give; scrypt is the defence.
 *
 * The header that names the key (suite, address, public key) is bound to the ciphertext as GCM
 * additional data, so it cannot be swapped to make a file claim someone else's address.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, scryptSync, timingSafeEqual } from "node:crypto";
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync, fchmodSync } from "node:fs";
import { join } from "node:path";
import { equalBytes, fromHex, isHex, toHex, utf8 } from "../util/bytes.js";
import { CivitasError, ErrorCode } from "../util/errors.js";
import { getNodeSuite } from "./node-suites.js";
import { SUITE_IDS } from "./suite.js";
import type { CryptoSuite, SuiteId } from "./suite.js";

export interface KeyFile {
  version: 1;
  suite: SuiteId;
  /** "0x" + 40 lowercase hex, as suite.address(publicKey). */
  address: string;
  /** Lowercase hex. */
  publicKey: string;
  kdf: {
    name: "scrypt";
    N: number;
    r: number;
    p: number;
    /** Hex, 16 to 64 bytes. */
    salt: string;
    /** Hex SHA-256 of the second half of the scrypt output: tells a wrong passphrase from tampering. */
    check: string;
  };
  cipher: { name: "aes-256-gcm"; iv: string; tag: string };
  /** Hex AES-256-GCM encryption of the raw secret key (32 bytes for both suites). */
  ciphertext: string;
  label: string;
  /** ISO 8601. */
  created: string;
}

export interface EncryptKeyOptions {
  label?: string;
  /** scrypt cost, a power of two; default 2^15. Tests pass a low value to stay fast. */
  scryptN?: number;
  scryptR?: number;
  scryptP?: number;
  /** Defaults to now. */
  created?: Date;
}

export interface DecryptedKey {
  suite: SuiteId;
  secretKey: Uint8Array;
  publicKey: Uint8Array;
  address: string;
}

export const DEFAULT_SCRYPT = Object.freeze({ N: 2 ** 15, r: 8, p: 1 });
// Decryption reads these from the file, so they are bounded: a hostile file must not be able to
// make the node allocate gigabytes or spin for minutes before the passphrase is even checked.
const MIN_LOG2_N = 4;
const MAX_LOG2_N = 20;
const MAX_R = 32;
const MAX_P = 16;
const MAX_SCRYPT_MEM = 1024 * 1024 * 1024;
const MAX_LABEL = 256;
const KEY_NAME = /^[A-Za-z0-9._-]{1,64}$/;
const KEY_SUFFIX = ".json";
const AAD_DOMAIN = "civitas-keyfile-v1";

function invalid(message: string, details: Record<string, unknown> = {}): CivitasError {
  return new CivitasError(ErrorCode.KEY_INVALID, message, details);
}

/** A key name is a plain file-name stem: letters, digits, `.`, `_`, `-`, 1 to 64 chars, not all dots. */
export function isValidKeyName(name: unknown): name is string {
  return typeof name === "string" && KEY_NAME.test(name) && !/^\.+$/.test(name);
}

function checkName(name: unknown): string {
  if (!isValidKeyName(name)) throw invalid("invalid key name: use 1-64 of A-Z a-z 0-9 . _ -", { name });
  return name;
}

function checkScrypt(N: unknown, r: unknown, p: unknown): { N: number; r: number; p: number } {
  const ok =
    Number.isSafeInteger(N) &&
    Number.isSafeInteger(r) &&
    Number.isSafeInteger(p) &&
    (N as number) >= 2 ** MIN_LOG2_N &&
    (N as number) <= 2 ** MAX_LOG2_N &&
    ((N as number) & ((N as number) - 1)) === 0 &&
    (r as number) >= 1 &&
    (r as number) <= MAX_R &&
    (p as number) >= 1 &&
    (p as number) <= MAX_P &&
    128 * (N as number) * (r as number) <= MAX_SCRYPT_MEM;
  if (!ok) throw invalid("scrypt parameters out of range", { N, r, p });
  return { N: N as number, r: r as number, p: p as number };
}

function passphraseBytes(passphrase: string | Uint8Array): Uint8Array {
  if (passphrase instanceof Uint8Array) return passphrase;
  if (typeof passphrase !== "string") throw new TypeError("passphrase must be a string or bytes");
  // NFKC so the same passphrase typed on different systems (composed vs decomposed accents,
  // full-width forms) derives the same key.
  return utf8(passphrase.normalize("NFKC"));
}

function derive(passphrase: string | Uint8Array, salt: Uint8Array, N: number, r: number, p: number): { key: Buffer; check: Buffer } {
  const dk = scryptSync(passphraseBytes(passphrase), salt, 64, { N, r, p, maxmem: 128 * N * r + 64 * 1024 * 1024 });
  const key = Buffer.from(dk.subarray(0, 32));
  const check = createHash("sha256").update(dk.subarray(32, 64)).digest();
  dk.fill(0);
  return { key, check };
}

function aad(suite: SuiteId, address: string, publicKeyHex: string): Uint8Array {
  return utf8(`${AAD_DOMAIN}\n${suite}\n${address}\n${publicKeyHex}`);
}

function suiteOf(suite: CryptoSuite | SuiteId): CryptoSuite {
  return typeof suite === "string" ? getNodeSuite(suite) : suite;
}

/** Encrypts a secret key under a passphrase. The suite derives the public key and address stored beside it. */
export function encryptKey(suite: CryptoSuite | SuiteId, secretKey: Uint8Array, passphrase: string | Uint8Array, opts: EncryptKeyOptions = {}): KeyFile {
  const s = suiteOf(suite);
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== s.secretKeyLength) {
    throw invalid(`secret key must be ${s.secretKeyLength} bytes for ${s.id}`);
  }
  if (passphraseBytes(passphrase).length === 0) throw new CivitasError(ErrorCode.KEY_BAD_PASSPHRASE, "passphrase must not be empty");
  const label = opts.label ?? "";
  if (typeof label !== "string" || label.length > MAX_LABEL) throw invalid(`label must be a string of at most ${MAX_LABEL} characters`);
  const { N, r, p } = checkScrypt(opts.scryptN ?? DEFAULT_SCRYPT.N, opts.scryptR ?? DEFAULT_SCRYPT.r, opts.scryptP ?? DEFAULT_SCRYPT.p);

  const publicKey = s.publicKeyFromSecret(secretKey);
  const publicKeyHex = toHex(publicKey);
  const address = s.address(publicKey);
  const salt = randomBytes(32);
  const iv = randomBytes(12);
  const { key, check } = derive(passphrase, salt, N, r, p);
  try {
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    cipher.setAAD(aad(s.id, address, publicKeyHex));
    const ciphertext = Buffer.concat([cipher.update(secretKey), cipher.final()]);
    return {
      version: 1,
      suite: s.id,
      address,
      publicKey: publicKeyHex,
      kdf: { name: "scrypt", N, r, p, salt: salt.toString("hex"), check: check.toString("hex") },
      cipher: { name: "aes-256-gcm", iv: iv.toString("hex"), tag: cipher.getAuthTag().toString("hex") },
      ciphertext: ciphertext.toString("hex"),
      label,
      created: (opts.created ?? new Date()).toISOString(),
    };
  } finally {
    key.fill(0);
  }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/**
 * Checks the shape of a parsed key file and that its header is self-consistent (valid public key,
 * address derived from it); throws KEY_INVALID otherwise. No passphrase needed.
 */
export function parseKeyFile(json: unknown): KeyFile {
  if (!isRecord(json)) throw invalid("key file is not a JSON object");
  if (json.version !== 1) throw invalid("unsupported key file version", { version: json.version });
  const suiteId = json.suite;
  if (typeof suiteId !== "string" || !(SUITE_IDS as readonly string[]).includes(suiteId)) throw invalid("unknown suite", { suite: suiteId });
  const suite = getNodeSuite(suiteId as SuiteId);
  const { address, publicKey, kdf, cipher, ciphertext, label, created } = json;
  if (!isHex(publicKey, suite.publicKeyLength) || (publicKey as string).startsWith("0x")) throw invalid("publicKey is not hex of the right length");
  const pk = fromHex(publicKey as string);
  if (!suite.isValidPublicKey(pk)) throw invalid("publicKey is not a valid key for the suite");
  if (typeof address !== "string" || address !== suite.address(pk)) throw invalid("address does not match the public key");
  if (!isRecord(kdf) || kdf.name !== "scrypt") throw invalid("kdf must be scrypt");
  const { N, r, p } = checkScrypt(kdf.N, kdf.r, kdf.p);
  if (!isHex(kdf.salt) || (kdf.salt as string).startsWith("0x") || kdf.salt.length < 32 || kdf.salt.length > 128) throw invalid("kdf.salt must be 16-64 bytes of hex");
  if (!isHex(kdf.check, 32) || (kdf.check as string).startsWith("0x")) throw invalid("kdf.check must be 32 bytes of hex");
  if (!isRecord(cipher) || cipher.name !== "aes-256-gcm") throw invalid("cipher must be aes-256-gcm");
  if (!isHex(cipher.iv, 12) || (cipher.iv as string).startsWith("0x")) throw invalid("cipher.iv must be 12 bytes of hex");
  if (!isHex(cipher.tag, 16) || (cipher.tag as string).startsWith("0x")) throw invalid("cipher.tag must be 16 bytes of hex");
  if (!isHex(ciphertext, suite.secretKeyLength) || (ciphertext as string).startsWith("0x")) throw invalid("ciphertext has the wrong length");
  if (typeof label !== "string" || label.length > MAX_LABEL) throw invalid("label must be a short string");
  if (typeof created !== "string" || Number.isNaN(Date.parse(created))) throw invalid("created must be an ISO 8601 date");
  return {
    version: 1,
    suite: suite.id,
    address,
    publicKey: publicKey as string,
    kdf: { name: "scrypt", N, r, p, salt: kdf.salt as string, check: kdf.check as string },
    cipher: { name: "aes-256-gcm", iv: cipher.iv as string, tag: cipher.tag as string },
    ciphertext: ciphertext as string,
    label,
    created,
  };
}

/** Wrong passphrase: KEY_BAD_PASSPHRASE. Malformed, inconsistent or modified file: KEY_INVALID. */
export function decryptKey(file: KeyFile | unknown, passphrase: string | Uint8Array): DecryptedKey {
  const f = parseKeyFile(file);
  const suite = getNodeSuite(f.suite);
  const { key, check } = derive(passphrase, fromHex(f.kdf.salt), f.kdf.N, f.kdf.r, f.kdf.p);
  try {
    if (!timingSafeEqual(check, Buffer.from(fromHex(f.kdf.check)))) {
      throw new CivitasError(ErrorCode.KEY_BAD_PASSPHRASE, "wrong passphrase", { address: f.address });
    }
    let secretKey: Uint8Array;
    try {
      const decipher = createDecipheriv("aes-256-gcm", key, fromHex(f.cipher.iv));
      decipher.setAAD(aad(f.suite, f.address, f.publicKey));
      decipher.setAuthTag(fromHex(f.cipher.tag));
      const plaintext = Buffer.concat([decipher.update(fromHex(f.ciphertext)), decipher.final()]);
      secretKey = new Uint8Array(plaintext);
      plaintext.fill(0);
    } catch {
      throw invalid("key file was modified: authentication failed", { address: f.address });
    }
    let derived: Uint8Array;
    try {
      derived = suite.publicKeyFromSecret(secretKey);
    } catch {
      throw invalid("decrypted secret key is not valid for the suite", { address: f.address });
    }
    const publicKey = fromHex(f.publicKey);
    if (!equalBytes(derived, publicKey)) throw invalid("decrypted secret key does not match the public key", { address: f.address });
    return { suite: f.suite, secretKey, publicKey, address: f.address };
  } finally {
    key.fill(0);
  }
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Writes `<dir>/<name>.json` with mode 0600, never replacing an existing file (KEY_EXISTS).
 * The content goes to a temporary file first and is then hard-linked into place, which is atomic
 * and fails if the name is taken, so a crash never leaves a half-written key file under the name.
 */
export function saveKeyFile(dir: string, name: string, file: KeyFile): string {
  checkName(name);
  const body = JSON.stringify(parseKeyFile(file), null, 2) + "\n";
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const target = join(dir, name + KEY_SUFFIX);
  const tmp = join(dir, `.${name}.${randomBytes(6).toString("hex")}.tmp`);
  const writeNew = (path: string): void => {
    const fd = openSync(path, "wx", 0o600);
    try {
      fchmodSync(fd, 0o600); // the umask may have cleared bits; make the mode exact
      writeSync(fd, body);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  };
  const exists = (): CivitasError => new CivitasError(ErrorCode.KEY_EXISTS, `key file already exists: ${name}`, { name, path: target });
  try {
    writeNew(tmp);
    try {
      linkSync(tmp, target);
    } catch (e) {
      if (errno(e) === "EEXIST") throw exists();
      // Filesystems without hard links: exclusive create is still no-overwrite, just not atomic.
      try {
        writeNew(target);
      } catch (e2) {
        if (errno(e2) === "EEXIST") throw exists();
        throw e2;
      }
    }
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or already gone: nothing to clean up
    }
  }
  return target;
}

/** Reads and checks `<dir>/<name>.json`: KEY_NOT_FOUND if absent, KEY_INVALID if malformed. */
export function loadKeyFile(dir: string, name: string): KeyFile {
  checkName(name);
  const path = join(dir, name + KEY_SUFFIX);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if (errno(e) === "ENOENT") throw new CivitasError(ErrorCode.KEY_NOT_FOUND, `no key file named ${name}`, { name, path });
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalid("key file is not valid JSON", { name, path });
  }
  return parseKeyFile(json);
}

/** Names (without `.json`) of the key files in `dir`, sorted; [] if the directory does not exist. */
export function listKeyFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (e) {
    if (errno(e) === "ENOENT") return [];
    throw e;
  }
  return entries
    .filter((f) => f.endsWith(KEY_SUFFIX))
    .map((f) => f.slice(0, -KEY_SUFFIX.length))
    .filter(isValidKeyName)
    .sort();
}
