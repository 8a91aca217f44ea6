/**
 * `civitas proof …`: integrity proofs (docs/spec/proof.md).
 *
 * Each subcommand lives in its own file under ./proof/ and exports `(proof: Command) => void`,
 * which adds itself to the `proof` command; this index only lists them. To add one (e.g.
 * `bundle`, `check`, `report`), write ./proof/<name>.ts the same way and add one import and one
 * call below. Shared helpers (chain info, key unlocking, exit codes) are in ./proof/shared.ts.
 */
import type { Command } from "commander";
import { proofBundleCommand } from "./proof/bundle.js";
import { proofCheckCommand } from "./proof/check.js";
import { proofHistoryCommand } from "./proof/history.js";
import { proofRegisterCommand } from "./proof/register.js";
import { proofReportCommand } from "./proof/report.js";
import { proofVerifyCommand } from "./proof/verify.js";

export function proofCommand(program: Command): void {
  const proof = program.command("proof").description("register documents on the ledger (one transaction per batch, one receipt per document), verify them, and read their history");
  proofRegisterCommand(proof);
  proofVerifyCommand(proof);
  proofHistoryCommand(proof);
  proofBundleCommand(proof);
  proofCheckCommand(proof);
  proofReportCommand(proof);
}
