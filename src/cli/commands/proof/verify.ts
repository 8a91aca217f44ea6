/**
 * `civitas proof verify <file> [--receipt r.json]`: hashes the document (with the receipt's salt
 * when salted), checks the receipt's inclusion path locally, and asks the node whether the
 * fingerprint (or the batch root) is registered, when, by whom, and whether it still stands.
 * Exit 0 registered and active, 4 not registered or not matching, 5 superseded or revoked.
 */
import { existsSync } from "node:fs";
import type { Command } from "commander";
import { hashFile } from "../../../proof/file-hash.js";
import { checkReceipt } from "../../../proof/receipt.js";
import type { ProofReceipt } from "../../../proof/receipt.js";
import type { VerifyAnswer } from "../../../sdk/proofs-client.js";
import { fromHex, toHex } from "../../../util/bytes.js";
import { CivitasError, ErrorCode } from "../../../util/errors.js";
import { globals } from "../../context.js";
import { fail, print } from "../../output.js";
import { EXIT_NOT_ACTIVE, EXIT_NOT_REGISTERED, fastProofsClient, readReceipt, RECEIPT_SUFFIX } from "./shared.js";

function summary(file: string, a: VerifyAnswer): string {
  if (!a.registered) return `NOT REGISTERED: ${file}\n  fingerprint ${a.fingerprint} (${a.hashAlgorithm})\n  reason      ${a.reason ?? "unknown"}`;
  const at = a.registeredAt;
  const rec = a.record as { docType: string; kind: string; salted: boolean; supersededBy: string | null; statusReason: string };
  return [
    `${a.status === "active" ? "REGISTERED" : `REGISTERED but ${String(a.status).toUpperCase()}`}: ${file}`,
    `  fingerprint ${a.fingerprint} (${a.hashAlgorithm}${rec.salted ? ", salted" : ""})`,
    ...(a.match === "batch-leaf" && a.aggregation ? [`  batch       leaf ${a.aggregation.leafIndex} of ${a.aggregation.treeSize}, root ${a.aggregation.root} (path verified)`] : []),
    `  owner       ${a.owner}`,
    `  type        ${rec.docType}`,
    `  registered  ${at?.timeIso} (block time) in block ${at?.height}, tx ${at?.txHash ?? "?"}`,
    `  TSA time    ${a.tsaTime ? new Date(a.tsaTime).toISOString() : "none"}`,
    `  final       ${a.final ? `yes (${a.confirmations} blocks on top)` : "no"}`,
    ...(a.status !== "active" ? [`  status      ${a.status}${rec.supersededBy ? ` by ${rec.supersededBy}` : ""}${rec.statusReason ? `: ${rec.statusReason}` : ""}`] : []),
  ].join("\n");
}

export function proofVerifyCommand(proof: Command): void {
  proof
    .command("verify")
    .description("check that a document is registered: locally against its receipt, then against the node")
    .argument("<file>", "the document")
    .option("--receipt <file>", "its receipt (default: <file>.proof.json if it exists)")
    .option("--salt <hex>", "salt of a salted registration made without a receipt")
    .action(async (file: string, o: { receipt?: string; salt?: string }, cmd: Command) => {
      try {
        const g = globals(cmd);
        const proofs = await fastProofsClient(g);
        const chain = await proofs.chain();
        const receiptPath = o.receipt ?? (existsSync(file + RECEIPT_SUFFIX) ? file + RECEIPT_SUFFIX : undefined);
        const receipt: ProofReceipt | undefined = receiptPath ? readReceipt(receiptPath) : undefined;
        if (receipt && receipt.hashAlgorithm !== chain.hashAlgorithm) throw new CivitasError(ErrorCode.PROOF_INVALID, `the receipt uses ${receipt.hashAlgorithm}, the chain at ${g.url} ${chain.hashAlgorithm}`);
        if (receipt && receipt.chain !== chain.chainId) throw new CivitasError(ErrorCode.PROOF_INVALID, `the receipt is for chain '${receipt.chain}', the node at ${g.url} runs '${chain.chainId}'`);
        const saltHex = o.salt ?? receipt?.salt ?? null;
        if (saltHex !== null && !/^(?:[0-9a-f]{2}){1,64}$/.test(saltHex)) throw new CivitasError(ErrorCode.PROOF_INVALID, "--salt must be lowercase hex");
        const { fingerprint } = await hashFile(file, chain.hashAlgorithm, saltHex ? fromHex(saltHex) : null);
        let answer: VerifyAnswer;
        if (receipt) {
          const local = checkReceipt(chain.hash, receipt, fingerprint);
          if (!local.ok) {
            answer = { registered: false, fingerprint: toHex(fingerprint), hashAlgorithm: chain.hashAlgorithm, match: null, reason: `receipt check failed (${local.failed}): ${local.reason}`, head: { height: -1 } };
          } else if (receipt.kind === "batch-leaf") {
            answer = await proofs.verify({ fingerprint: receipt.fingerprint, leafIndex: receipt.leafIndex as number, treeSize: receipt.treeSize as number, path: receipt.path as string[], root: receipt.root });
          } else {
            answer = await proofs.verify({ fingerprint: receipt.fingerprint });
          }
        } else {
          answer = await proofs.verify({ fingerprint: toHex(fingerprint) });
        }
        print(g, answer, () => summary(file, answer));
        if (!answer.registered) process.exitCode = EXIT_NOT_REGISTERED;
        else if (answer.status !== "active") process.exitCode = EXIT_NOT_ACTIVE;
      } catch (e) {
        fail(e);
      }
    });
}
