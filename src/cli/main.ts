#!/usr/bin/env node
/** The `civitas` command. Every subcommand has --help; --json gives machine-readable output. */
import { Command } from "commander";
import { VERSION } from "../version.js";
import { accessCommands } from "./commands/access.js";
import { consoleCommand } from "./commands/console.js";
import { backupCommands } from "./commands/backup.js";
import { clientCommands } from "./commands/client.js";
import { credentialCommand } from "./commands/credential.js";
import { indexerCommand } from "./commands/indexer.js";
import { keysCommand } from "./commands/keys.js";
import { networkCommands } from "./commands/network.js";
import { nodeCommands } from "./commands/node.js";
import { proofCommand } from "./commands/proof.js";
import { upCommand } from "./commands/up.js";
import { verifyChainCommand } from "./commands/verify-chain.js";
import { DEFAULT_KEYS_DIR, DEFAULT_URL } from "./context.js";

const program = new Command();
program
  .name("civitas")
  .description("Civitas permissioned ledger: run nodes, manage keys, send transactions, verify the chain")
  .version(VERSION)
  .option("--json", "machine-readable JSON output")
  .option("--url <url>", "node API URL (env CIVITAS_URL)", DEFAULT_URL)
  .option("--keys-dir <dir>", "folder of encrypted key files (env CIVITAS_KEYS_DIR)", DEFAULT_KEYS_DIR)
  .option("--passphrase-file <file>", "read key passphrases from this file (or set CIVITAS_PASSPHRASE / CIVITAS_PASSPHRASE_FILE)")
  .showHelpAfterError("(run with --help for usage)");

nodeCommands(program);
upCommand(program);
networkCommands(program);
clientCommands(program);
accessCommands(program);
keysCommand(program);
credentialCommand(program);
verifyChainCommand(program);
backupCommands(program);
indexerCommand(program);
proofCommand(program);
consoleCommand(program);

await program.parseAsync(process.argv);
