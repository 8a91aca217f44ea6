/**
 * Admission worker. Two requests:
 * - `admit`: the stateless admission checks and the signature check of raw transactions,
 *   answering per transaction with the facts the mempool needs (hash, sender, nonce, expiry)
 *   or the typed error;
 * - `verify`: plain signature checks (block validation, replay).
 * Runs the same strict suite and module schemas as everything else.
 */
import { parentPort, workerData } from "node:worker_threads";
import { getNodeSuite } from "../crypto/node-suites.js";
import type { SuiteId } from "../crypto/suite.js";
import type { Genesis } from "../ledger/genesis.js";
import { ModuleRegistry } from "../execution/registry.js";
import { txSigningMessage } from "../ledger/tx.js";
import { builtinModules } from "../modules/index.js";
import { toHex } from "../util/bytes.js";
import { CivitasError, ErrorCode, isCivitasError } from "../util/errors.js";
import type { AdmissionLimits } from "./precheck.js";
import { precheckTx } from "./precheck.js";

export interface VerifyRequest {
  kind: "verify";
  id: number;
  messages: Uint8Array[];
  signatures: Uint8Array[];
  publicKeys: Uint8Array[];
}

export interface AdmitRequest {
  kind: "admit";
  id: number;
  raws: Uint8Array[];
  limits: AdmissionLimits;
}

export type AdmitCheck =
  | { ok: true; hash: Uint8Array; sender: string; nonce: number; expires: number }
  | { ok: false; error: { code: ErrorCode; message: string; details: Record<string, unknown> } };

const data = workerData as { suite: SuiteId; moduleParams?: Genesis["moduleParams"] };
const suite = getNodeSuite(data.suite);
const registry = new ModuleRegistry(builtinModules({ ...(data.moduleParams ? { moduleParams: data.moduleParams } : {}) }));

function admitOne(raw: Uint8Array, limits: AdmissionLimits): AdmitCheck {
  try {
    const tx = precheckTx(raw, limits, suite, registry);
    if (!suite.verify(txSigningMessage(tx.bodyBytes), tx.signature, tx.publicKey)) {
      throw new CivitasError(ErrorCode.TX_BAD_SIGNATURE, "signature does not verify for this transaction and public key");
    }
    return { ok: true, hash: suite.hash(tx.bodyBytes), sender: "0x" + toHex(tx.body.from), nonce: tx.body.nonce, expires: tx.body.expires };
  } catch (e) {
    const err = isCivitasError(e) ? e : new CivitasError(ErrorCode.TX_MALFORMED, (e as Error).message);
    return { ok: false, error: err.toJSON() };
  }
}

parentPort?.on("message", (req: VerifyRequest | AdmitRequest) => {
  if (req.kind === "admit") {
    parentPort?.postMessage({ id: req.id, results: req.raws.map((r) => admitOne(r, req.limits)) });
    return;
  }
  const out = new Uint8Array(req.messages.length);
  for (let i = 0; i < out.length; i++) out[i] = suite.verify(req.messages[i], req.signatures[i], req.publicKeys[i]) ? 1 : 0;
  parentPort?.postMessage({ id: req.id, results: out }, [out.buffer]);
});
