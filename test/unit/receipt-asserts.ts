/** Assertions on receipts and module state shared by the module tests. */
import assert from "node:assert/strict";
import type { Receipt } from "../../src/ledger/receipt.js";
import type { Chain } from "../../src/node/chain.js";
import { toHex } from "../../src/util/bytes.js";

export function ok(r: Receipt): void {
  assert.equal(r.status, "ok", `expected ok, got ${r.code}: ${r.message}`);
}

/** A failed receipt with this code (and message), and no events: the call changed nothing. */
export function failed(r: Receipt, code: string, message?: RegExp): void {
  assert.equal(r.status, "failed", `expected ${code}, got ok`);
  assert.equal(r.code, code, r.message);
  if (message) assert.match(r.message, message);
  assert.deepEqual(r.events, []);
}

/** Every committed state entry under `prefix` as hex: what a refused call must leave alone. */
export function moduleState(chain: Chain, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { key, value } of chain.store.stateEntries()) {
    const k = new TextDecoder().decode(key);
    if (k.startsWith(prefix)) out[k] = toHex(value);
  }
  return out;
}
