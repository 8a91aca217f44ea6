/**
 * Signature verification worker: receives batches of (message, signature, public key) and
 * answers with one byte per item (1 = valid). Runs the same strict suite code as everything else.
 */
import { parentPort, workerData } from "node:worker_threads";
import { getNodeSuite } from "../crypto/node-suites.js";
import type { SuiteId } from "../crypto/suite.js";

export interface VerifyRequest {
  id: number;
  messages: Uint8Array[];
  signatures: Uint8Array[];
  publicKeys: Uint8Array[];
}

const suite = getNodeSuite((workerData as { suite: SuiteId }).suite);
parentPort?.on("message", (req: VerifyRequest) => {
  const out = new Uint8Array(req.messages.length);
  for (let i = 0; i < out.length; i++) out[i] = suite.verify(req.messages[i], req.signatures[i], req.publicKeys[i]) ? 1 : 0;
  parentPort?.postMessage({ id: req.id, results: out }, [out.buffer]);
});
