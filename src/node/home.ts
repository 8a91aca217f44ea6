/**
 * A node's home folder: genesis.json, node.json, the encrypted validator key and data/.
 * `initHome` writes one; `loadHome` reads and checks one, naming the file and field at fault.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { SuiteId } from "../crypto/suite.js";
import { getNodeSuite } from "../crypto/node-suites.js";
import { decryptKey, encryptKey } from "../crypto/keystore.js";
import type { KeyFile } from "../crypto/keystore.js";
import type { Genesis } from "../ledger/genesis.js";
import { builtinModules } from "../modules/index.js";
import { parseGenesis } from "../ledger/genesis.js";
import { toHex } from "../util/bytes.js";
import { CivitasError, ErrorCode, isCivitasError } from "../util/errors.js";
import type { NodeConfig } from "./config.js";
import { parseNodeConfig } from "./config.js";

export interface InitOptions {
  home: string;
  chainId: string;
  cryptoSuite: SuiteId;
  consensus: "solo" | "bft";
  blockIntervalMs?: number;
  maxBlockTxs?: number;
  maxBlockBytes?: number;
  maxBlockGas?: number;
  maxTxBytes?: number;
  createEmptyBlocks?: boolean;
  /** Chain authority address; empty means the validator's own address. */
  authority: string;
  balances: Array<{ address: string; amount: string }>;
  /** Use this genesis document instead of building one from the options above. */
  genesis?: unknown;
  /** Existing validator secret key (else a new one is generated). */
  validatorSecretKey?: Uint8Array;
  passphrase: string;
  /** Lower scrypt cost, for tests only. */
  scryptN?: number;
  config?: Partial<Pick<NodeConfig, "moniker">> & { api?: Partial<NodeConfig["api"]> };
  genesisTime?: number;
  /** PEM roots of the time-stamping authorities the chain trusts (genesis tsaRoots). */
  tsaRoots?: string[];
}

export interface Home {
  dir: string;
  config: NodeConfig;
  genesis: Genesis;
  dataPath: string;
  keyFilePath: string;
}

function readJson(path: string, code: ErrorCode): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new CivitasError(code, `cannot read ${path}: ${(e as Error).message}`, { file: path });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CivitasError(code, `${path} is not valid JSON: ${(e as Error).message}`, { file: path });
  }
}

function withFile<T>(path: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (isCivitasError(e)) throw new CivitasError(e.code, `${path}: ${e.message}`, { file: path, ...e.details });
    throw e;
  }
}

export function initHome(o: InitOptions): { genesis: Genesis; validatorAddress: string; dir: string } {
  const dir = resolve(o.home);
  if (existsSync(join(dir, "genesis.json")) || existsSync(join(dir, "node.json"))) {
    throw new CivitasError(ErrorCode.CONFIG_INVALID, `${dir} is already initialised; choose another --home or remove it`, { home: dir });
  }
  const suiteId = (o.genesis as { cryptoSuite?: SuiteId } | undefined)?.cryptoSuite ?? o.cryptoSuite;
  const suite = getNodeSuite(suiteId);
  const secretKey = o.validatorSecretKey ?? suite.generateKeyPair().secretKey;
  const publicKey = suite.publicKeyFromSecret(secretKey);
  const genesis = parseGenesis(
    o.genesis ?? {
      chainId: o.chainId,
      genesisTime: o.genesisTime ?? Date.now(),
      cryptoSuite: o.cryptoSuite,
      consensus: o.consensus,
      ...(o.blockIntervalMs !== undefined ? { blockIntervalMs: o.blockIntervalMs } : {}),
      ...(o.maxBlockTxs !== undefined ? { maxBlockTxs: o.maxBlockTxs } : {}),
      ...(o.maxBlockBytes !== undefined ? { maxBlockBytes: o.maxBlockBytes } : {}),
      ...(o.maxBlockGas !== undefined ? { maxBlockGas: o.maxBlockGas } : {}),
      ...(o.maxTxBytes !== undefined ? { maxTxBytes: o.maxTxBytes } : {}),
      ...(o.createEmptyBlocks !== undefined ? { createEmptyBlocks: o.createEmptyBlocks } : {}),
      authority: o.authority || suite.address(publicKey),
      validators: [{ name: o.config?.moniker ?? "validator-0", publicKey: toHex(publicKey), power: 10 }],
      balances: o.balances,
      ...(o.tsaRoots?.length ? { tsaRoots: o.tsaRoots } : {}),
    },
  );
  if (!genesis.validators.some((v) => v.publicKey === toHex(publicKey))) {
    throw new CivitasError(ErrorCode.GENESIS_INVALID, "the genesis file does not list this node's validator key; pass the matching key or add it to genesis.validators");
  }
  // Module parameters are checked by the modules themselves: refuse them before anything is written.
  builtinModules(genesis);
  const config = parseNodeConfig({ moniker: o.config?.moniker ?? "node-0", api: o.config?.api ?? {} });
  mkdirSync(join(dir, config.dataDir), { recursive: true });
  const keyFile = encryptKey(suite, secretKey, o.passphrase, { label: "validator", scryptN: o.scryptN });
  writeFileSync(join(dir, config.keyFile), JSON.stringify(keyFile, null, 2) + "\n", { mode: 0o600 });
  writeFileSync(join(dir, "genesis.json"), JSON.stringify(genesis, null, 2) + "\n");
  writeFileSync(join(dir, "node.json"), JSON.stringify(config, null, 2) + "\n");
  return { genesis, validatorAddress: suite.address(publicKey), dir };
}

export function loadHome(home: string): Home {
  const dir = resolve(home);
  const configPath = join(dir, "node.json");
  if (!existsSync(configPath)) throw new CivitasError(ErrorCode.CONFIG_INVALID, `no node.json in ${dir}: run 'civitas init --home ${home}' first`, { home: dir });
  const config = withFile(configPath, () => parseNodeConfig(readJson(configPath, ErrorCode.CONFIG_INVALID)));
  const genesisPath = resolve(dir, config.genesisFile);
  const genesis = withFile(genesisPath, () => parseGenesis(readJson(genesisPath, ErrorCode.GENESIS_INVALID)));
  return { dir, config, genesis, dataPath: resolve(dir, config.dataDir), keyFilePath: resolve(dir, config.keyFile) };
}

export function loadValidatorKey(h: Home, passphrase: string): Uint8Array {
  const file = readJson(h.keyFilePath, ErrorCode.KEY_NOT_FOUND) as KeyFile;
  const k = decryptKey(file, passphrase);
  if (k.suite !== h.genesis.cryptoSuite) throw new CivitasError(ErrorCode.KEY_INVALID, `validator key is ${k.suite} but the chain uses ${h.genesis.cryptoSuite}`);
  return k.secretKey;
}

export function ensureDir(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
}
