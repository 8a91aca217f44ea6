/**
 * Passphrases for key files, in this order: --passphrase-file, CIVITAS_PASSPHRASE,
 * CIVITAS_PASSPHRASE_FILE, then an interactive prompt with echo off. Never from a plain flag,
 * which would leave it in shell history and process listings.
 */
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { CivitasError, ErrorCode } from "../util/errors.js";

export interface PassphraseSource {
  passphraseFile?: string;
}

function fromFile(path: string): string {
  try {
    return readFileSync(path, "utf8").replace(/\r?\n$/, "");
  } catch (e) {
    throw new CivitasError(ErrorCode.KEY_NOT_FOUND, `cannot read passphrase file ${path}: ${(e as Error).message}`);
  }
}

async function prompt(question: string): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new CivitasError(ErrorCode.KEY_BAD_PASSPHRASE, "a passphrase is needed: set CIVITAS_PASSPHRASE or CIVITAS_PASSPHRASE_FILE, or pass --passphrase-file (no terminal to prompt on)");
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const out = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WriteStream };
  let muted = false;
  out._writeToOutput = (s: string) => {
    if (!muted) process.stderr.write(s);
  };
  try {
    return await new Promise<string>((resolve) => {
      rl.question(question, (answer) => resolve(answer));
      muted = true;
    });
  } finally {
    process.stderr.write("\n");
    rl.close();
  }
}

const MIN_NEW_PASSPHRASE = 8;

/**
 * `isNew`: the passphrase will encrypt a new key, so it must be confirmed when typed and be at
 * least 8 characters whatever its source (existing keys open with whatever they were made with).
 */
export async function getPassphrase(src: PassphraseSource, purpose: string, isNew = false): Promise<string> {
  let p: string;
  if (src.passphraseFile) p = fromFile(src.passphraseFile);
  else if (process.env.CIVITAS_PASSPHRASE !== undefined) p = process.env.CIVITAS_PASSPHRASE;
  else if (process.env.CIVITAS_PASSPHRASE_FILE) p = fromFile(process.env.CIVITAS_PASSPHRASE_FILE);
  else {
    p = await prompt(`Passphrase for ${purpose}: `);
    if (isNew) {
      const again = await prompt("Repeat passphrase: ");
      if (again !== p) throw new CivitasError(ErrorCode.KEY_BAD_PASSPHRASE, "the passphrases differ");
    }
  }
  if (isNew && p.length < MIN_NEW_PASSPHRASE) throw new CivitasError(ErrorCode.KEY_BAD_PASSPHRASE, `use a passphrase of at least ${MIN_NEW_PASSPHRASE} characters for a new key`);
  return p;
}
