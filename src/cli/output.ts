/** Printing for humans or, with --json, for scripts; errors with a code and what to do next. */
import { ApiError } from "../sdk/client.js";
import { isCivitasError } from "../util/errors.js";

export interface OutputOptions {
  json?: boolean;
}

export function print(opts: OutputOptions, value: unknown, human: () => string): void {
  if (opts.json) process.stdout.write(JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2) + "\n");
  else process.stdout.write(human() + "\n");
}

const HINTS: Record<string, string> = {
  NETWORK_ERROR: "start a node with 'civitas up' or point --url / CIVITAS_URL at one",
  KEY_NOT_FOUND: "list keys with 'civitas keys list' or create one with 'civitas keys new <name>'",
  KEY_BAD_PASSPHRASE: "check CIVITAS_PASSPHRASE / CIVITAS_PASSPHRASE_FILE",
  TX_NONCE_TOO_LOW: "the account has sent this nonce already; omit --nonce to use the next one",
  EXEC_INSUFFICIENT_BALANCE: "check the balance with 'civitas query token balance address=<addr>'",
  CONFIG_INVALID: "fix the named field (in node.json, the network spec or the flag it came from) and run the command again",
  GENESIS_INVALID: "fix the named field in genesis.json",
};

export function fail(e: unknown): never {
  if (isCivitasError(e) || e instanceof ApiError) {
    const code = e.code;
    process.stderr.write(`error ${code}: ${e.message}\n`);
    const details = (e as { details?: Record<string, unknown> }).details;
    if (details && Object.keys(details).length > 0) process.stderr.write(`  details: ${JSON.stringify(details)}\n`);
    if (HINTS[code]) process.stderr.write(`  hint: ${HINTS[code]}\n`);
  } else {
    process.stderr.write(`error: ${(e as Error)?.message ?? String(e)}\n`);
  }
  process.exit(1);
}
