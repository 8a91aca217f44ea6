import type { Command } from "commander";
import cliProgress from "cli-progress";
import type { BackupResult } from "../../node/backup/create.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import { globals } from "../context.js";
import type { GlobalOptions } from "../context.js";
import { fail, print } from "../output.js";

const MiB = 1024 * 1024;

/** A progress bar on stderr (TTY only, not with --json), restarted for each phase. */
function progress(g: GlobalOptions): { update: (phase: string, done: number, total: number) => void; stop: () => void } {
  const enabled = !g.json && process.stderr.isTTY;
  const bar = enabled ? new cliProgress.SingleBar({ format: "{phase} [{bar}] {percentage}% {done}/{all} MiB  {eta}s left", stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
  let current = "";
  return {
    update: (phase, done, total) => {
      if (!bar) return;
      const fmt = { phase: phase.padEnd(8), done: (done / MiB).toFixed(1), all: (total / MiB).toFixed(1) };
      if (phase !== current) {
        if (current) bar.stop();
        current = phase;
        bar.start(Math.max(total, 1), done, fmt);
      } else bar.update(done, fmt);
    },
    stop: () => {
      if (current) bar?.stop();
    },
  };
}

export function backupCommands(program: Command): void {
  program
    .command("backup")
    .description("take a consistent snapshot of a node's chain store while it runs, with its genesis, node.json and alert rules, into one checksummed file")
    .argument("<node>", "the node's home folder on this machine (the node may be running), or its API URL (with --key of an operator)")
    .requiredOption("-o, --output <file>", "backup file to write (must not exist)")
    .option("--include-keys", "also pack the validator, TLS, TSA, CA and proof-log secret keys (home folder only; the backup becomes a secret)")
    .option("--key <name>", "with an API URL: sign the request with this key from --keys-dir (an account the chain permits admin.backup)")
    .action(async (node: string, o: { output: string; includeKeys?: boolean; key?: string }, cmd: Command) => {
      const g = globals(cmd);
      const bar = progress(g);
      try {
        let r: BackupResult;
        if (/^https?:\/\//i.test(node)) {
          if (o.includeKeys) throw new CivitasError(ErrorCode.CONFIG_INVALID, "--include-keys works with a home folder only: a node never sends its keys over its API");
          if (!o.key) throw new CivitasError(ErrorCode.CONFIG_INVALID, "a backup over the API is a signed request: pass --key <name> of an account the chain permits admin.backup");
          const { unlockKey } = await import("./keys.js");
          const { Wallet } = await import("../../sdk/wallet.js");
          const { downloadBackup } = await import("../../node/backup/download.js");
          const k = await unlockKey(g, o.key);
          r = await downloadBackup(node, Wallet.fromSecretKey(k.secretKey, k.suite), o.output, (d, t) => bar.update("download", d, t));
        } else {
          if (o.key) throw new CivitasError(ErrorCode.CONFIG_INVALID, "--key is for a backup over the API (a URL); a home folder needs no key");
          if (o.includeKeys) process.stderr.write("warning: --include-keys packs the node's secret keys into the backup; store it like the keys themselves\n");
          const { createBackup } = await import("../../node/backup/create.js");
          r = await createBackup(node, o.output, { includeKeys: o.includeKeys, onProgress: (phase, d, t) => bar.update(phase, d, t) });
        }
        bar.stop();
        const m = r.manifest;
        print(g, { file: r.file, bytes: r.bytes, checksum: r.checksum, manifest: m }, () =>
          [
            `backup written: ${r.file} (${(r.bytes / MiB).toFixed(1)} MiB)`,
            `  chain      ${m.chainId} (genesis ${m.genesisHash})`,
            `  head       ${m.height} ${m.blockHash}`,
            `  state root ${m.stateRoot}`,
            `  files      ${m.files.map((f) => f.path).join(", ")}`,
            `  checksum   sha256 ${r.checksum}`,
            `restore it with: civitas restore ${r.file} --home <dir>`,
          ].join("\n"),
        );
      } catch (e) {
        bar.stop();
        fail(e);
      }
    });

  program
    .command("restore")
    .description("rebuild a node home from a backup: checks the checksum and manifest before touching anything, then the restored head and state root")
    .argument("<file>", "backup file written by 'civitas backup'")
    .requiredOption("--home <dir>", "node home folder to restore into (new, empty, or a home of the same chain without chain data)")
    .option("--force", "replace chain data already in the home (kept until the restored copy is complete); stop the node first")
    .option("--verify", "also replay every restored block from genesis before putting it in place")
    .action(async (file: string, o: { home: string; force?: boolean; verify?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const bar = progress(g);
      try {
        const { restoreBackup } = await import("../../node/backup/restore.js");
        const r = await restoreBackup(file, o.home, { force: o.force, verify: o.verify, onProgress: (phase, d, t) => bar.update(phase, d, t) });
        bar.stop();
        const m = r.manifest;
        print(g, r, () =>
          [
            `restored ${r.home} from ${file}`,
            `  chain      ${m.chainId}, head ${m.height} ${m.blockHash}`,
            `  state root ${m.stateRoot} (found in the restored store${r.verified ? `, reproduced by replaying ${r.verified.blocks} block${r.verified.blocks === 1 ? "" : "s"}` : ""})`,
            `  written    ${r.written.join(", ")}`,
            ...(r.kept.length ? [`  kept       ${r.kept.map((k) => `${k.path}${k.differs ? " (differs from the backup's copy)" : ""}`).join(", ")}`] : []),
            ...(r.replacedData ? ["  the chain data that was in the home has been replaced"] : []),
            ...(m.includesKeys ? [] : ["  the backup holds no keys: put the validator key and TLS files in the home if they are not there"]),
            ...(r.walPresent ? [] : ["  no consensus WAL in the home: if this validator voted after the backup, let the network pass that height before starting it (docs/spec/backup.md)"]),
            `next: civitas start --home ${o.home}`,
            `  the node starts at height ${m.height} and catches up from its peers by block sync`,
          ].join("\n"),
        );
      } catch (e) {
        bar.stop();
        fail(e);
      }
    });
}
