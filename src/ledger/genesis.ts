/**
 * Genesis: the document that defines a chain. Parsed from JSON with every field checked by
 * name, so a malformed genesis is refused with a message that says which field and why.
 */
import { encode } from "../codec/index.js";
import type { CryptoSuite, SuiteId } from "../crypto/suite.js";
import { SUITE_IDS } from "../crypto/suite.js";
import { fromHex, isHex, toHex } from "../util/bytes.js";
import { CivitasError, ErrorCode } from "../util/errors.js";
import type { Validator } from "./validators.js";

export type EngineId = "solo" | "bft";
export const ENGINE_IDS: readonly EngineId[] = ["solo", "bft"];

export interface Genesis {
  chainId: string;
  genesisTime: number;
  cryptoSuite: SuiteId;
  consensus: EngineId;
  blockIntervalMs: number;
  /** Produce blocks with no transactions at the interval (false: only when work is pending). */
  createEmptyBlocks: boolean;
  maxBlockBytes: number;
  maxBlockTxs: number;
  maxBlockGas: number;
  maxTxBytes: number;
  maxTxGas: number;
  /** How far in the future a transaction's `expires` may lie. */
  maxTxExpiryMs: number;
  protocolVersion: number;
  authority: string;
  validators: Array<{ name: string; publicKey: string; power: number }>;
  balances: Array<{ address: string; amount: string }>;
  /**
   * PEM root certificates of the RFC 3161 time-stamping authorities whose tokens proof
   * registrations may carry (usually the network CA, which issues each node's TSA certificate).
   * Absent on chains without trusted time; the authority may add roots later (proof.addTsaRoot).
   */
  tsaRoots?: string[];
  /**
   * Per-module parameters that are consensus rules of this chain (e.g. `{proof: {maxTsaSkewMs:
   * 300000}}`), positive integers by name. The genesis checks their shape; each module checks
   * its own names and values when the chain's modules are built (modules/index.ts). Absent =
   * every module's documented defaults.
   */
  moduleParams?: Record<string, Record<string, number>>;
}

const MAX_TSA_ROOTS = 16;
const MAX_PEM_CHARS = 16_384;
const PEM_CERT = /^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\r?\n?$/;

export const GENESIS_DEFAULTS = {
  cryptoSuite: "ed25519-sha256" as SuiteId,
  consensus: "solo" as EngineId,
  blockIntervalMs: 200,
  createEmptyBlocks: false,
  maxBlockBytes: 8 * 1024 * 1024,
  maxBlockTxs: 20_000,
  maxBlockGas: 2_000_000_000,
  maxTxBytes: 64 * 1024,
  maxTxGas: 10_000_000,
  maxTxExpiryMs: 3_600_000,
  protocolVersion: 1,
};

const CHAIN_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const ADDRESS = /^0x[0-9a-f]{40}$/;
const AMOUNT = /^(0|[1-9][0-9]{0,19})$/;
const MAX_U64 = (1n << 64n) - 1n;

function bad(field: string, why: string): never {
  throw new CivitasError(ErrorCode.GENESIS_INVALID, `genesis.${field}: ${why}`, { field });
}

function int(o: Record<string, unknown>, field: string, min: number, max: number, dflt?: number, path = field): number {
  const v = o[field] ?? dflt;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) bad(path, `expected an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  return v;
}

export function parseGenesis(input: unknown): Genesis {
  if (input === null || typeof input !== "object" || Array.isArray(input)) bad("", "expected a JSON object");
  const o = input as Record<string, unknown>;
  const known = new Set(["chainId", "genesisTime", "cryptoSuite", "consensus", "blockIntervalMs", "createEmptyBlocks", "maxBlockBytes", "maxBlockTxs", "maxBlockGas", "maxTxBytes", "maxTxGas", "maxTxExpiryMs", "protocolVersion", "authority", "validators", "balances", "tsaRoots", "moduleParams"]);
  for (const k of Object.keys(o)) if (!known.has(k)) bad(k, "unknown field");
  if (typeof o.chainId !== "string" || !CHAIN_ID.test(o.chainId)) bad("chainId", "expected 1-63 characters of a-z, 0-9 and '-', starting with a letter or digit");
  const cryptoSuite = (o.cryptoSuite ?? GENESIS_DEFAULTS.cryptoSuite) as SuiteId;
  if (!SUITE_IDS.includes(cryptoSuite)) bad("cryptoSuite", `expected one of ${SUITE_IDS.join(", ")}`);
  const consensus = (o.consensus ?? GENESIS_DEFAULTS.consensus) as EngineId;
  if (!ENGINE_IDS.includes(consensus)) bad("consensus", `expected one of ${ENGINE_IDS.join(", ")}`);
  const createEmptyBlocks = o.createEmptyBlocks ?? GENESIS_DEFAULTS.createEmptyBlocks;
  if (typeof createEmptyBlocks !== "boolean") bad("createEmptyBlocks", "expected a boolean");
  if (typeof o.authority !== "string" || !ADDRESS.test(o.authority)) bad("authority", "expected an address 0x + 40 lowercase hex");
  if (!Array.isArray(o.validators) || o.validators.length === 0 || o.validators.length > 1000) bad("validators", "expected 1 to 1000 validators");
  const names = new Set<string>();
  const keys = new Set<string>();
  const validators = o.validators.map((v: unknown, i: number) => {
    if (v === null || typeof v !== "object") bad(`validators[${i}]`, "expected an object");
    const x = v as Record<string, unknown>;
    const name = x.name ?? `validator-${i}`;
    if (typeof name !== "string" || name.length === 0 || name.length > 64) bad(`validators[${i}].name`, "expected a non-empty string of at most 64 characters");
    if (names.has(name)) bad(`validators[${i}].name`, "duplicate name");
    names.add(name);
    if (!isHex(x.publicKey) || (x.publicKey as string).startsWith("0x")) bad(`validators[${i}].publicKey`, "expected the public key as lowercase hex");
    if (keys.has(x.publicKey as string)) bad(`validators[${i}].publicKey`, "duplicate validator key");
    keys.add(x.publicKey as string);
    return { name, publicKey: x.publicKey as string, power: int(x, "power", 1, 1_000_000, 1, `validators[${i}].power`) };
  });
  if (!Array.isArray(o.balances ?? [])) bad("balances", "expected an array");
  const seen = new Set<string>();
  let total = 0n;
  const balances = ((o.balances ?? []) as unknown[]).map((b: unknown, i: number) => {
    if (b === null || typeof b !== "object") bad(`balances[${i}]`, "expected an object");
    const x = b as Record<string, unknown>;
    if (typeof x.address !== "string" || !ADDRESS.test(x.address)) bad(`balances[${i}].address`, "expected an address 0x + 40 lowercase hex");
    if (seen.has(x.address)) bad(`balances[${i}].address`, "duplicate address");
    seen.add(x.address);
    // Only safe integers: JSON.parse has already rounded a larger number literal.
    const amount = typeof x.amount === "number" && Number.isSafeInteger(x.amount) ? String(x.amount) : x.amount;
    if (typeof amount !== "string" || !AMOUNT.test(amount) || BigInt(amount) > MAX_U64) bad(`balances[${i}].amount`, "expected a non-negative integer (decimal string) below 2^64");
    total += BigInt(amount);
    return { address: x.address, amount };
  });
  if (total > MAX_U64) bad("balances", "total supply exceeds 2^64 - 1");
  let tsaRoots: string[] | undefined;
  if (o.tsaRoots !== undefined) {
    if (!Array.isArray(o.tsaRoots) || o.tsaRoots.length > MAX_TSA_ROOTS) bad("tsaRoots", `expected an array of at most ${MAX_TSA_ROOTS} PEM certificates`);
    tsaRoots = (o.tsaRoots as unknown[]).map((pem, i) => {
      if (typeof pem !== "string" || pem.length > MAX_PEM_CHARS || !PEM_CERT.test(pem)) bad(`tsaRoots[${i}]`, "expected one PEM certificate (-----BEGIN CERTIFICATE----- ...)");
      return pem;
    });
  }
  let moduleParams: Record<string, Record<string, number>> | undefined;
  if (o.moduleParams !== undefined) {
    const mp = o.moduleParams as Record<string, unknown>;
    if (mp === null || typeof mp !== "object" || Array.isArray(mp) || Object.keys(mp).length > 32) bad("moduleParams", "expected an object of at most 32 modules, each an object of parameters");
    moduleParams = {};
    for (const [m, params] of Object.entries(mp).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (!/^[a-z][a-z0-9]{0,31}$/.test(m)) bad(`moduleParams.${m}`, "expected a module name (a-z, 0-9)");
      if (params === null || typeof params !== "object" || Array.isArray(params) || Object.keys(params).length > 64) bad(`moduleParams.${m}`, "expected an object of at most 64 parameters");
      const out: Record<string, number> = {};
      for (const [k, v] of Object.entries(params as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        if (!/^[a-zA-Z][a-zA-Z0-9]{0,63}$/.test(k)) bad(`moduleParams.${m}.${k}`, "expected a parameter name (letters and digits)");
        if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1) bad(`moduleParams.${m}.${k}`, "expected a positive integer");
        out[k] = v as number;
      }
      moduleParams[m] = out;
    }
  }
  const g: Genesis = {
    chainId: o.chainId,
    genesisTime: int(o, "genesisTime", 0, 8_640_000_000_000_000),
    cryptoSuite,
    consensus,
    blockIntervalMs: int(o, "blockIntervalMs", 10, 3_600_000, GENESIS_DEFAULTS.blockIntervalMs),
    createEmptyBlocks,
    maxBlockBytes: int(o, "maxBlockBytes", 1024, 256 * 1024 * 1024, GENESIS_DEFAULTS.maxBlockBytes),
    maxBlockTxs: int(o, "maxBlockTxs", 1, 1_000_000, GENESIS_DEFAULTS.maxBlockTxs),
    maxBlockGas: int(o, "maxBlockGas", 1000, Number.MAX_SAFE_INTEGER, GENESIS_DEFAULTS.maxBlockGas),
    maxTxBytes: int(o, "maxTxBytes", 256, 16 * 1024 * 1024, GENESIS_DEFAULTS.maxTxBytes),
    maxTxGas: int(o, "maxTxGas", 1000, Number.MAX_SAFE_INTEGER, GENESIS_DEFAULTS.maxTxGas),
    maxTxExpiryMs: int(o, "maxTxExpiryMs", 1000, 30 * 24 * 3_600_000, GENESIS_DEFAULTS.maxTxExpiryMs),
    protocolVersion: int(o, "protocolVersion", 1, 1, GENESIS_DEFAULTS.protocolVersion),
    authority: o.authority,
    validators,
    balances,
    // Only present when set, so genesis files without it keep their hash.
    ...(tsaRoots ? { tsaRoots } : {}),
    ...(moduleParams ? { moduleParams } : {}),
  };
  if (g.maxTxBytes > g.maxBlockBytes) bad("maxTxBytes", "must not exceed maxBlockBytes");
  if (g.maxTxGas > g.maxBlockGas) bad("maxTxGas", "must not exceed maxBlockGas");
  if (g.consensus === "solo" && g.validators.length !== 1) bad("validators", "the solo engine needs exactly one validator");
  return g;
}

export function genesisValidators(suite: CryptoSuite, g: Genesis): Validator[] {
  return g.validators.map((v, i) => {
    const publicKey = fromHex(v.publicKey);
    if (!suite.isValidPublicKey(publicKey)) bad(`validators[${i}].publicKey`, `not a valid ${suite.id} public key`);
    return { address: fromHex(suite.address(publicKey)), publicKey, power: v.power };
  });
}

/** H(canonical genesis): the first block's prevHash, which ties the chain to its genesis. */
export function genesisHash(suite: CryptoSuite, g: Genesis): Uint8Array {
  return suite.hash(encode(JSON.parse(JSON.stringify(g)) as never));
}

export function genesisHashHex(suite: CryptoSuite, g: Genesis): string {
  return toHex(genesisHash(suite, g));
}
