/**
 * Rules changed through the API outlive a restart: they are written to `alert-rules.json` in
 * the node home (atomically: temp file, then rename) and, when that file exists, take the place
 * of node.json's `alerts.rules` at start.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import type { AlertRule } from "./rules.js";
import { parseRules, ruleToJson } from "./rules.js";

export const RULES_FILE = "alert-rules.json";

export function loadStoredRules(home: string): AlertRule[] | undefined {
  const file = join(home, RULES_FILE);
  if (!existsSync(file)) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new CivitasError(ErrorCode.CONFIG_INVALID, `${file} is not JSON (${(e as Error).message}); fix or delete it to use node.json's alerts.rules`, { file });
  }
  return parseRules((doc as { rules?: unknown } | null)?.rules, `${RULES_FILE} rules`);
}

export function storeRules(home: string, rules: AlertRule[]): void {
  const file = join(home, RULES_FILE);
  writeFileSync(file + ".tmp", JSON.stringify({ rules: rules.map(ruleToJson) }, null, 2) + "\n");
  renameSync(file + ".tmp", file);
}
