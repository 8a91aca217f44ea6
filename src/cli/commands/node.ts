import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { SUITE_IDS } from "../../crypto/suite.js";
import type { SuiteId } from "../../crypto/suite.js";
import type { InitOptions } from "../../node/home.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import { globals } from "../context.js";
import { fail, print } from "../output.js";
import { getPassphrase } from "../passphrase.js";
import { unlockKey } from "./keys.js";

const BALANCE = /^(0x[0-9a-f]{40})=(0|[1-9][0-9]{0,19})$/;

function intOpt(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[0-9]{1,15}$/.test(v)) throw new CivitasError(ErrorCode.CONFIG_INVALID, `--${name} must be a non-negative integer, got '${v}'`);
  return Number(v);
}

interface InitFlags {
  home: string;
  chainId: string;
  cryptoSuite: string;
  consensus: string;
  blockIntervalMs?: string;
  maxBlockTxs?: string;
  maxBlockBytes?: string;
  maxBlockGas?: string;
  maxTxBytes?: string;
  createEmptyBlocks?: boolean;
  authority?: string;
  balance: string[];
  genesis?: string;
  validatorKey?: string;
  from?: string;
  apiPort?: string;
  apiHost?: string;
  moniker?: string;
}

export function nodeCommands(program: Command): void {
  program
    .command("init")
    .description("write genesis.json, node.json and an encrypted validator key into a node home folder")
    .option("--home <dir>", "node home folder", ".civitas/node0")
    .option("--from <file>", "read these options from a JSON file (keys as the long flags in camelCase)")
    .option("--genesis <file>", "use an existing genesis file instead of building one (with --validator-key)")
    .option("--validator-key <name>", "sign blocks with this key from --keys-dir (default: a new key)")
    .option("--chain-id <id>", "chain identifier (a-z, 0-9, '-')", "civitas-local")
    .option("--crypto-suite <suite>", `${SUITE_IDS.join(" | ")}`, "ed25519-sha256")
    .option("--consensus <engine>", "solo (single validator)", "solo")
    .option("--block-interval-ms <ms>", "target time between blocks")
    .option("--max-block-txs <n>", "most transactions in one block")
    .option("--max-block-bytes <n>", "largest block, in bytes of transactions")
    .option("--max-block-gas <n>", "gas limit of a block")
    .option("--max-tx-bytes <n>", "largest transaction")
    .option("--create-empty-blocks", "produce blocks even with no transactions")
    .option("--authority <address>", "the chain authority (mint/burn); default: the validator's address")
    .option("--balance <address=amount>", "initial balance (repeatable)", (v: string, acc: string[]) => acc.concat(v), [] as string[])
    .option("--api-host <host>", "API listen address")
    .option("--api-port <port>", "API port")
    .option("--moniker <name>", "node name")
    .action(async (flags: InitFlags, cmd: Command) => {
      try {
        const g = globals(cmd);
        const f: InitFlags = flags.from ? { ...flags, ...(readJsonFile(flags.from, ErrorCode.CONFIG_INVALID, "--from") as Partial<InitFlags>) } : flags;
        const balances = (f.balance ?? []).map((b) => {
          const m = BALANCE.exec(b);
          if (!m) throw new CivitasError(ErrorCode.CONFIG_INVALID, `--balance '${b}' must be <0x address>=<amount>`);
          return { address: m[1], amount: m[2] };
        });
        if (!SUITE_IDS.includes(f.cryptoSuite as SuiteId)) throw new CivitasError(ErrorCode.CONFIG_INVALID, `--crypto-suite must be one of ${SUITE_IDS.join(", ")}`);
        if (f.consensus !== "solo" && f.consensus !== "bft") throw new CivitasError(ErrorCode.CONFIG_INVALID, "--consensus must be solo or bft");
        const genesisDoc = f.genesis ? readJsonFile(f.genesis, ErrorCode.GENESIS_INVALID, "--genesis") : undefined;
        const chainSuite = ((genesisDoc as { cryptoSuite?: string } | undefined)?.cryptoSuite ?? f.cryptoSuite) as SuiteId;
        let validatorSecretKey: Uint8Array | undefined;
        if (f.validatorKey) {
          const key = await unlockKey(g, f.validatorKey);
          if (key.suite !== chainSuite) throw new CivitasError(ErrorCode.KEY_INVALID, `key '${f.validatorKey}' is ${key.suite} but the chain uses ${chainSuite}; create one with 'civitas keys new <name> --suite ${chainSuite}'`);
          validatorSecretKey = key.secretKey;
        }
        const passphrase = await getPassphrase(g, "the validator key", true);
        const opts: InitOptions = {
          home: f.home,
          chainId: f.chainId,
          cryptoSuite: f.cryptoSuite as SuiteId,
          consensus: f.consensus,
          blockIntervalMs: intOpt(f.blockIntervalMs, "block-interval-ms"),
          maxBlockTxs: intOpt(f.maxBlockTxs, "max-block-txs"),
          maxBlockBytes: intOpt(f.maxBlockBytes, "max-block-bytes"),
          maxBlockGas: intOpt(f.maxBlockGas, "max-block-gas"),
          maxTxBytes: intOpt(f.maxTxBytes, "max-tx-bytes"),
          createEmptyBlocks: f.createEmptyBlocks,
          authority: f.authority ?? "",
          balances,
          genesis: genesisDoc,
          passphrase,
          validatorSecretKey,
          config: { moniker: f.moniker, api: { ...(f.apiHost ? { host: f.apiHost } : {}), ...(f.apiPort ? { port: intOpt(f.apiPort, "api-port") } : {}) } },
        };
        // The chain's CA comes first: a new genesis names it as the trusted TSA root, so the
        // tokens of this node's TSA can be verified by every node at registration.
        const { createNetworkCa } = await import("../../p2p/certs.js");
        const ca = await createNetworkCa({ name: `${f.chainId} network CA` });
        const { initHome } = await import("../../node/home.js");
        const r = initHome({ ...opts, ...(genesisDoc === undefined ? { tsaRoots: [ca.certPem] } : {}) });
        const { writeCaAndTsa } = await import("../../proof/tsa/home.js");
        await writeCaAndTsa(r.dir, ca, { chainId: r.genesis.chainId, moniker: f.moniker ?? "node-0" });
        print(g, { home: r.dir, chainId: r.genesis.chainId, validator: r.validatorAddress, authority: r.genesis.authority }, () =>
          [`initialised ${r.dir}`, `  chain      ${r.genesis.chainId} (${r.genesis.cryptoSuite}, ${r.genesis.consensus})`, `  validator  ${r.validatorAddress}`, `  authority  ${r.genesis.authority}`, `start it with: civitas start --home ${f.home}`].join("\n"),
        );
      } catch (e) {
        fail(e);
      }
    });

  program
    .command("start")
    .description("start a node from its home folder (Ctrl-C stops it cleanly)")
    .option("--home <dir>", "node home folder", ".civitas/node0")
    .action(async (o: { home: string }, cmd: Command) => {
      try {
        const g = globals(cmd);
        // Loaded here, not at the top: `civitas --help` and client commands stay fast.
        const { loadHome, loadValidatorKey } = await import("../../node/home.js");
        const { CivitasNode } = await import("../../node/node.js");
        const home = loadHome(o.home);
        const { existsSync } = await import("node:fs");
        // A full node has no validator key and needs no passphrase.
        const secretKey = home.config.role === "full" && !existsSync(home.keyFilePath) ? undefined : loadValidatorKey(home, await getPassphrase(g, "the validator key"));
        const node = await CivitasNode.start({ config: home.config, genesis: home.genesis, dataPath: home.dataPath, home: home.dir, secretKey });
        process.stderr.write(`node ${home.config.moniker} serving ${node.url} (docs at ${node.url}/docs)\n`);
        stopOnSignal(() => node.stop());
        if (process.env.CIVITAS_EXIT_WITH_PARENT === "1") {
          process.stdin.on("error", () => undefined);
          process.stdin.on("close", () => process.kill(process.pid, "SIGTERM"));
          process.stdin.resume();
        }
      } catch (e) {
        fail(e);
      }
    });
}

function readJsonFile(path: string, code: ErrorCode, flag: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new CivitasError(code, `${flag} ${path}: cannot read: ${(e as Error).message}`, { file: path });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CivitasError(code, `${flag} ${path}: not valid JSON: ${(e as Error).message}`, { file: path });
  }
}

export function stopOnSignal(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (sig: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${sig}: stopping...\n`);
    stop().then(
      () => process.exit(0),
      (e) => {
        process.stderr.write(`error while stopping: ${(e as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => handler("SIGINT"));
  process.on("SIGTERM", () => handler("SIGTERM"));
}
