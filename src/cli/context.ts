import type { Command } from "commander";
import { CivitasClient } from "../sdk/client.js";

export interface GlobalOptions {
  json?: boolean;
  url: string;
  keysDir: string;
  passphraseFile?: string;
}

export const DEFAULT_URL = process.env.CIVITAS_URL ?? "http://127.0.0.1:8080";
export const DEFAULT_KEYS_DIR = process.env.CIVITAS_KEYS_DIR ?? ".civitas/keys";

export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

export function client(g: GlobalOptions): CivitasClient {
  return new CivitasClient(g.url);
}
