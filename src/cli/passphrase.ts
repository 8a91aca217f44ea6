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

export async function getPassphrase(src: PassphraseSource, purpose: string, confirm = false): Promise<string> {
  if (src.passphraseFile) return fromFile(src.passphraseFile);
  if (process.env.CIVITAS_PASSPHRASE !== undefined) return process.env.CIVITAS_PASSPHRASE;
  if (process.env.CIVITAS_PASSPHRASE_FILE) return fromFile(process.env.CIVITAS_PASSPHRASE_FILE);
  const p = await prompt(`Passphrase for ${purpose}: `);
  if (confirm) {
    const again = await prompt("Repeat passphrase: ");
    if (again !== p) throw new CivitasError(ErrorCode.KEY_BAD_PASSPHRASE, "the passphrases differ");
  }
  if (p.length < 8) throw new CivitasError(ErrorCode.KEY_BAD_PASSPHRASE, "use a passphrase of at least 8 characters");
  return p;
}
