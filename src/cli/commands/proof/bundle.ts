/**
 * `civitas proof bundle <file> [--receipt r.json] -o bundle.json`: asks the node for everything
 * an offline check needs (docs/spec/proof-bundle.md) and writes it as one self-contained JSON
 * file, after checking it with the same offline verifier `civitas proof check` runs.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { Command } from "commander";
import { hashFile } from "../../../proof/file-hash.js";
import type { ProofBundle } from "../../../proof/bundle/format.js";
import { bundleText } from "../../../proof/bundle/parse.js";
import { buildProofBundle } from "../../../sdk/bundle.js";
import { CivitasClient } from "../../../sdk/client.js";
import type { TrustedCheckpoint } from "../../../sdk/light-client.js";
import { fromHex } from "../../../util/bytes.js";
import { CivitasError, ErrorCode } from "../../../util/errors.js";
import type { GlobalOptions } from "../../context.js";
import { globals } from "../../context.js";
import { fail, print } from "../../output.js";
import { proofsClient, readReceipt, RECEIPT_SUFFIX } from "./shared.js";

export interface BundleOptions {
  receipt?: string;
  salt?: string;
  checkpoint?: string;
  status?: boolean;
}

function readCheckpoint(path: string): TrustedCheckpoint {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as TrustedCheckpoint;
  } catch (e) {
    throw new CivitasError(ErrorCode.CONFIG_INVALID, `cannot read checkpoint '${path}': ${(e as Error).message}`, { path });
  }
}

/** Hashes the document (with its receipt's salt) and builds its bundle from the node at --url. */
export async function bundleFromNode(g: GlobalOptions, file: string, o: BundleOptions): Promise<ProofBundle> {
  const chain = await proofsClient(g).chain();
  const receiptPath = o.receipt ?? (existsSync(file + RECEIPT_SUFFIX) ? file + RECEIPT_SUFFIX : undefined);
  const receipt = receiptPath ? readReceipt(receiptPath) : undefined;
  const salt = o.salt ?? receipt?.salt ?? null;
  if (salt !== null && !/^(?:[0-9a-f]{2}){1,64}$/.test(salt)) throw new CivitasError(ErrorCode.PROOF_INVALID, "--salt must be lowercase hex");
  const { fingerprint } = await hashFile(file, chain.hashAlgorithm, salt ? fromHex(salt) : null);
  return buildProofBundle(new CivitasClient(g.url, { timeoutMs: 120_000 }), { fingerprint, salt, receipt, checkpoint: o.checkpoint ? readCheckpoint(o.checkpoint) : undefined, status: o.status !== false });
}

export function proofBundleCommand(proof: Command): void {
  proof
    .command("bundle")
    .description("write a self-contained proof bundle for a registered document, checkable offline with 'civitas proof check'")
    .argument("<file>", "the document")
    .requiredOption("-o, --out <file>", "where to write the bundle (JSON)")
    .option("--receipt <file>", "its registration receipt (default: <file>.proof.json if it exists; needed for a document of a batch)")
    .option("--salt <hex>", "salt of a salted registration made without a receipt")
    .option("--checkpoint <file>", "trust anchor: a light-client checkpoint JSON {chainId, height, headerHash, validators, suite} (default: block 0)")
    .option("--no-status", "do not add the record's status at the node's head")
    .addHelpText("after", "\nExample:\n  civitas proof bundle diploma.pdf -o diploma.bundle.json\n  civitas proof check diploma.bundle.json diploma.pdf      # offline")
    .action(async (file: string, o: BundleOptions & { out: string }, cmd: Command) => {
      try {
        const g = globals(cmd);
        const b = await bundleFromNode(g, file, o);
        writeFileSync(o.out, bundleText(b));
        print(g, { out: o.out, fingerprint: b.document.fingerprint, height: b.registration.header.height, validatorChanges: b.validatorChanges.length, trustHeight: b.trust.header.height, tsa: b.registration.tsaRoots !== null }, () =>
          [
            `wrote ${o.out}`,
            `  fingerprint ${b.document.fingerprint}${b.aggregation ? ` (leaf ${b.aggregation.leafIndex} of ${b.aggregation.treeSize}, root ${b.aggregation.root})` : ""}`,
            `  registered  in block ${b.registration.header.height}; trust from block ${b.trust.header.height} (${b.trust.header.hash}), ${b.validatorChanges.length} validator-set change(s)`,
            `  check it offline: civitas proof check ${o.out} ${file}`,
          ].join("\n"),
        );
      } catch (e) {
        fail(e);
      }
    });
}
