import type { Command } from "commander";
import cliProgress from "cli-progress";
import { globals } from "../context.js";
import { fail, print } from "../output.js";

export function verifyChainCommand(program: Command): void {
  program
    .command("verify-chain")
    .description("re-check every block from genesis: hashes, commit certificates, signatures, and a full replay to the same state root")
    .option("--home <dir>", "node home folder", ".civitas/node0")
    .action(async (o: { home: string }, cmd: Command) => {
      try {
        const g = globals(cmd);
        const { loadHome } = await import("../../node/home.js");
        const { verifyChain } = await import("../../node/verify-chain.js");
        const home = loadHome(o.home);
        const bar = g.json || !process.stderr.isTTY ? undefined : new cliProgress.SingleBar({ format: "verifying [{bar}] {value}/{total} blocks  {eta}s left", stream: process.stderr }, cliProgress.Presets.shades_classic);
        let started = false;
        const report = await verifyChain(home.dataPath, home.genesis, (done, total) => {
          if (!bar) return;
          if (!started) {
            bar.start(total, 0);
            started = true;
          }
          bar.update(done);
        });
        bar?.stop();
        print(g, report, () =>
          report.ok
            ? `chain verified: ${report.blocks} blocks, ${report.txs} transactions, head ${report.headHeight} ${report.headHash}\n  state root ${report.stateRoot} reproduced by replay (${report.stateEntries} state entries match)`
            : `chain verification FAILED:\n  ${report.problems.join("\n  ")}`,
        );
        if (!report.ok) process.exitCode = 1;
      } catch (e) {
        fail(e);
      }
    });
}
