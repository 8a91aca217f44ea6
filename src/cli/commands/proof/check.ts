/**
 * `civitas proof check <bundle.json> [file]`: verifies a proof bundle with no network access at
 * all (docs/spec/proof-bundle.md). Exit 0 valid, 4 not valid (the failed part and why are
 * printed), 1 the check could not run (a file cannot be read).
 */
import { readFileSync, statSync } from "node:fs";
import type { Command } from "commander";
import { hashFile } from "../../../proof/file-hash.js";
import type { BundleCheck } from "../../../proof/bundle/verify.js";
import { checkBundleText } from "../../../proof/bundle/verify.js";
import { hashAlgorithmOf } from "../../../proof/hash.js";
import type { SuiteId } from "../../../crypto/suite.js";
import { fromHex } from "../../../util/bytes.js";
import { CivitasError, ErrorCode } from "../../../util/errors.js";
import { globals } from "../../context.js";
import { fail, print } from "../../output.js";
import { EXIT_NOT_REGISTERED } from "./shared.js";

/** Largest bundle read (a bundle of a chain with many set changes is a few MiB). */
export const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;

export interface CheckCliOptions {
  trustedHash?: string;
  genesis?: string;
}

function readText(path: string, what: string, max: number): string {
  try {
    if (statSync(path).size > max) throw new CivitasError(ErrorCode.BUNDLE_INVALID, `${what} '${path}' is larger than ${max} bytes`, { path });
    return readFileSync(path, "utf8");
  } catch (e) {
    if (e instanceof CivitasError) throw e;
    throw new CivitasError(ErrorCode.API_BAD_REQUEST, `cannot read ${what} '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { path });
  }
}

/** Checks bundle text (and the document at `file`, hashed streaming with the bundle's suite and salt). */
export async function checkBundleFile(text: string, file: string | undefined, o: CheckCliOptions): Promise<BundleCheck> {
  let documentFingerprint: Uint8Array | undefined;
  if (file !== undefined) {
    // Suite and salt are read loosely here only to hash the file; the check itself judges them.
    let suite: SuiteId = "ed25519-sha256";
    let salt: Uint8Array | null = null;
    try {
      const j = JSON.parse(text) as { suite?: unknown; document?: { salt?: unknown } };
      if (j.suite === "sm2-sm3") suite = "sm2-sm3";
      if (typeof j.document?.salt === "string" && /^(?:[0-9a-f]{2}){1,64}$/.test(j.document.salt)) salt = fromHex(j.document.salt);
    } catch {
      // not JSON: checkBundleText says so
    }
    documentFingerprint = (await hashFile(file, hashAlgorithmOf(suite), salt)).fingerprint;
  }
  const genesis = o.genesis !== undefined ? readText(o.genesis, "genesis", 1 << 20) : undefined;
  return checkBundleText(text, { documentFingerprint, trustedHash: o.trustedHash, genesis });
}

function human(bundlePath: string, file: string | undefined, r: BundleCheck): string {
  const lines = [r.valid ? `VALID: ${bundlePath}${file ? ` for ${file}` : " (no document given: its fingerprint is taken from the bundle)"}` : `INVALID: ${bundlePath}${file ? ` for ${file}` : ""}`];
  for (const s of r.steps) lines.push(`  ${s.ok ? "ok  " : "FAIL"} ${s.part.padEnd(15)} ${s.detail}`);
  const f = r.facts;
  if (f) {
    lines.push(
      "",
      `  fingerprint ${f.fingerprint} (${f.hashAlgorithm}${f.salted ? ", salted" : ""})`,
      `  owner       ${f.record.owner} (${f.record.verificationMethod}), type ${f.record.docType}`,
      `  registered  ${f.block.timeIso} (block time) in block ${f.block.height} ${f.block.hash}`,
      `  TSA time    ${f.tsa ? `${f.tsa.genTimeIso} by ${f.tsa.tsa.subject}` : "none"}`,
      `  status      ${f.status ? `${f.status.status} as of block ${f.status.height}` : `${f.record.status} at registration`}`,
      `  trust       block ${f.trust.height} ${f.trust.headerHash}${f.trust.pinned ? ` (pinned by ${f.trust.pinned})` : " — NOT pinned: compare it with a hash you trust, or pass --trusted-hash / --genesis"}`,
    );
  }
  return lines.join("\n");
}

export function proofCheckCommand(proof: Command): void {
  proof
    .command("check")
    .description("verify a proof bundle offline (no network): document, aggregation path, record, owner signature, transaction, block certificate, validator-set changes, TSA token")
    .argument("<bundle>", "the bundle (JSON written by 'civitas proof bundle')")
    .argument("[file]", "the document the bundle is for (without it, the fingerprint is taken from the bundle)")
    .option("--trusted-hash <hex>", "pin the trust anchor: the hash of its block (e.g. block 0 of the chain, from a source you trust)")
    .option("--genesis <file>", "pin the trust anchor to this genesis.json (the anchor must be its block 0)")
    .addHelpText("after", "\nExit codes: 0 valid, 4 not valid (the failed part is named), 1 the check could not run.\nExample:\n  civitas proof check diploma.bundle.json diploma.pdf")
    .action(async (bundlePath: string, file: string | undefined, o: CheckCliOptions, cmd: Command) => {
      try {
        const g = globals(cmd);
        if (o.trustedHash !== undefined && !/^[0-9a-f]{64}$/.test(o.trustedHash)) throw new CivitasError(ErrorCode.API_BAD_REQUEST, "--trusted-hash must be 64 lowercase hex characters");
        const r = await checkBundleFile(readText(bundlePath, "bundle", MAX_BUNDLE_BYTES), file, o);
        print(g, r, () => human(bundlePath, file, r));
        if (!r.valid) process.exitCode = EXIT_NOT_REGISTERED;
      } catch (e) {
        fail(e);
      }
    });
}
