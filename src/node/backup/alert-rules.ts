/**
 * The home's alert-rules.json in a backup. It is read once into memory (the running node
 * replaces it by rename whenever PUT /v1/alerts/rules is called, so streaming it later could pick
 * up another version than the one sized in the manifest) and checked with the alerts code's own
 * validator on both sides: a backup never carries rules the node would refuse at start, and a
 * restore refuses a backup that does before writing anything.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { CivitasError, ErrorCode, isCivitasError } from "../../util/errors.js";
import type { AlertRule } from "../alerts/rules.js";
import { parseRules } from "../alerts/rules.js";
import { RULES_FILE } from "../alerts/store.js";

/** The rules in an alert-rules.json's bytes, as `loadStoredRules` reads them at node start. */
export function parseRulesFile(bytes: Buffer): AlertRule[] {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString("utf8"));
  } catch (e) {
    throw new CivitasError(ErrorCode.ALERT_RULES_INVALID, `${RULES_FILE} is not JSON (${(e as Error).message})`, { field: RULES_FILE });
  }
  return parseRules((doc as { rules?: unknown } | null)?.rules, `${RULES_FILE} rules`);
}

/** The home's alert-rules.json bytes, or undefined when the home has none (node.json's rules apply). */
export async function readHomeRules(homeDir: string): Promise<Buffer | undefined> {
  const file = join(homeDir, RULES_FILE);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  try {
    parseRulesFile(bytes);
  } catch (e) {
    if (!isCivitasError(e)) throw e;
    throw new CivitasError(e.code, `${file}: ${e.message}; the node would not start with it either: fix or delete it, then back up again`, { ...e.details, file });
  }
  return bytes;
}
