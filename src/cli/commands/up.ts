/**
 * `civitas up`: a local network with no set-up. First run creates .civitas/ with a dev
 * passphrase file, funded keys (authority, alice, bob) and one solo validator; later runs reuse
 * it. (Until the BFT engine lands, the local network is a single solo node.)
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";

import { globals } from "../context.js";
import { fail } from "../output.js";
import { stopOnSignal } from "./node.js";

const DEV_ACCOUNTS = ["authority", "alice", "bob"];
const DEV_BALANCE = "1000000000000";

export function upCommand(program: Command): void {
  program
    .command("up")
    .description("start a local network in .civitas/ (created on first run; Ctrl-C stops it)")
    .option("--dir <dir>", "network folder", ".civitas")
    .option("--port <port>", "API port of node 0", "8080")
    .option("--validators <n>", "validators (1 until the BFT engine lands)", "1")
    .action(async (o: { dir: string; port: string; validators: string }, cmd: Command) => {
      try {
        const g = globals(cmd);
        if (o.validators !== "1") throw new Error("only 1 validator (solo) is available until the BFT engine lands");
        const { getNodeSuite } = await import("../../crypto/node-suites.js");
        const { encryptKey, saveKeyFile } = await import("../../crypto/keystore.js");
        const { initHome, loadHome, loadValidatorKey } = await import("../../node/home.js");
        const { CivitasNode } = await import("../../node/node.js");
        const dir = resolve(o.dir);
        const passFile = join(dir, "dev-passphrase");
        const home = join(dir, "node0");
        const keysDir = join(dir, "keys");
        if (!existsSync(join(home, "node.json"))) {
          mkdirSync(dir, { recursive: true });
          const passphrase = randomBytes(18).toString("base64url");
          writeFileSync(passFile, passphrase + "\n", { mode: 0o600 });
          const suite = getNodeSuite("ed25519-sha256");
          const accounts = DEV_ACCOUNTS.map((name) => {
            const kp = suite.generateKeyPair();
            const file = encryptKey(suite, kp.secretKey, passphrase, { label: name });
            saveKeyFile(keysDir, name, file);
            return { name, address: file.address };
          });
          initHome({
            home,
            chainId: "civitas-local",
            cryptoSuite: "ed25519-sha256",
            consensus: "solo",
            authority: accounts[0].address,
            balances: accounts.map((a) => ({ address: a.address, amount: DEV_BALANCE })),
            passphrase,
            config: { moniker: "node0", api: { port: Number(o.port) } },
          });
          process.stderr.write(`created a local network in ${dir} with keys ${DEV_ACCOUNTS.join(", ")}\n`);
        }
        const h = loadHome(home);
        if (Number(o.port) !== h.config.api.port) h.config.api.port = Number(o.port);
        const passphrase = readFileSync(passFile, "utf8").trim();
        const { pino } = await import("pino");
        // People watch this terminal: warnings stay as log lines, blocks are shown as one line each.
        const logger = pino({ level: "warn", base: { node: h.config.moniker } });
        const node = await CivitasNode.start({ config: h.config, genesis: h.genesis, dataPath: h.dataPath, secretKey: loadValidatorKey(h, passphrase), logger });
        const cli = `node ${process.argv[1]}`;
        const bob = existsSync(join(keysDir, "bob.json")) ? (JSON.parse(readFileSync(join(keysDir, "bob.json"), "utf8")) as { address: string }).address : "<address>";
        const lines = [
          "",
          `Civitas local network '${h.genesis.chainId}' is up (1 validator, solo engine, block interval ${h.genesis.blockIntervalMs} ms)`,
          `  API      ${node.url}/v1/status`,
          `  API docs ${node.url}/docs`,
          `  events   ${node.url.replace("http", "ws")}/v1/events`,
          `  data     ${h.dataPath}`,
          "",
          "Try it (in another terminal, from this folder):",
          `  alias civitas="${cli}"`,
          `  export CIVITAS_KEYS_DIR=${keysDir} CIVITAS_PASSPHRASE_FILE=${passFile}`,
          "  civitas keys list",
          `  civitas tx transfer --key alice --to ${bob} --amount 100`,
          `  civitas query token balance address=${bob}`,
          "",
          "Ctrl-C stops the network. New blocks appear below.",
          "",
        ];
        if (!g.json) process.stdout.write(lines.join("\n") + "\n");
        else process.stdout.write(JSON.stringify({ url: node.url, chainId: h.genesis.chainId, keysDir, passphraseFile: passFile }) + "\n");
        if (!g.json) {
          node.chain.onCommit((b) => {
            const h0 = b.block.header;
            const failed = b.receipts.filter((r) => r.status !== "ok").length;
            process.stdout.write(`block ${String(h0.height).padStart(6)}  ${new Date(h0.time).toISOString()}  ${String(h0.txCount).padStart(5)} tx${failed ? ` (${failed} failed)` : ""}\n`);
          });
        }
        stopOnSignal(() => node.stop());
      } catch (e) {
        fail(e);
      }
    });
}
