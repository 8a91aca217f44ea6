/**
 * `civitas proof report <file> [--bundle b.json] -o report.html`: a self-contained HTML report
 * for litigation (src/proof/report). With --bundle it runs offline; without, it builds the
 * bundle from the node first. The bundle is checked (with the document) before anything is
 * written: an invalid bundle gets no report (exit 4, the failed part named).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import type { Command } from "commander";
import { bundleText } from "../../../proof/bundle/parse.js";
import type { ProofBundle } from "../../../proof/bundle/format.js";
import { renderReport } from "../../../proof/report/html.js";
import { CivitasError, ErrorCode } from "../../../util/errors.js";
import { globals } from "../../context.js";
import { fail, print } from "../../output.js";
import type { BundleOptions } from "./bundle.js";
import { bundleFromNode } from "./bundle.js";
import type { CheckCliOptions } from "./check.js";
import { checkBundleFile, MAX_BUNDLE_BYTES } from "./check.js";
import { EXIT_NOT_REGISTERED } from "./shared.js";

export function proofReportCommand(proof: Command): void {
  proof
    .command("report")
    .description("write a self-contained HTML forensic report (facts, validators, verification steps a third party can repeat, the bundle embedded)")
    .argument("<file>", "the document")
    .requiredOption("-o, --out <file>", "where to write the report (HTML)")
    .option("--bundle <file>", "its proof bundle (offline); default: build one from the node at --url")
    .option("--receipt <file>", "without --bundle: its registration receipt (default: <file>.proof.json)")
    .option("--trusted-hash <hex>", "pin the trust anchor (see 'proof check')")
    .option("--genesis <file>", "pin the trust anchor to this genesis.json")
    .action(async (file: string, o: CheckCliOptions & BundleOptions & { out: string; bundle?: string }, cmd: Command) => {
      try {
        const g = globals(cmd);
        let text: string;
        if (o.bundle) {
          try {
            text = readFileSync(o.bundle, "utf8");
          } catch (err) {
            throw new CivitasError(ErrorCode.API_BAD_REQUEST, `cannot read bundle '${o.bundle}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { path: o.bundle });
          }
          if (text.length > MAX_BUNDLE_BYTES) throw new CivitasError(ErrorCode.BUNDLE_INVALID, `bundle '${o.bundle}' is larger than ${MAX_BUNDLE_BYTES} bytes`);
        } else {
          text = bundleText(await bundleFromNode(g, file, o));
        }
        const check = await checkBundleFile(text, file, o);
        if (!check.valid) {
          print(g, check, () => `INVALID: no report written: ${check.failed?.reason}`);
          process.exitCode = EXIT_NOT_REGISTERED;
          return;
        }
        const html = renderReport({ bundle: JSON.parse(text) as ProofBundle, check, documentName: basename(file), generatedAt: Date.now() });
        writeFileSync(o.out, html);
        print(g, { out: o.out, valid: true, fingerprint: check.facts?.fingerprint, height: check.facts?.block.height }, () => `wrote ${o.out}: ${basename(file)} registered in block ${check.facts?.block.height} at ${check.facts?.block.timeIso}`);
      } catch (e) {
        fail(e);
      }
    });
}
