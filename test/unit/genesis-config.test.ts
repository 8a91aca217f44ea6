/**
 * parseGenesis and parseNodeConfig: every malformed field is refused with GENESIS_INVALID /
 * CONFIG_INVALID and a message naming the field; defaults are filled in; the genesis hash is a
 * stable function of the parsed content.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { getNodeSuite } from "../../src/crypto/node-suites.js";
import type { Genesis } from "../../src/ledger/genesis.js";
import { GENESIS_DEFAULTS, genesisHash, genesisHashHex, genesisValidators, parseGenesis } from "../../src/ledger/genesis.js";
import { NODE_CONFIG_DEFAULTS, parseNodeConfig } from "../../src/node/config.js";
import { toHex } from "../../src/util/bytes.js";
import { CivitasError, ErrorCode } from "../../src/util/errors.js";

const ED = getNodeSuite("ed25519-sha256");
const SM = getNodeSuite("sm2-sm3");
const edKey = (i: number): string => toHex(ED.publicKeyFromSecret(new Uint8Array(createHash("sha256").update(`gen-${i}`).digest())));
const AUTH = "0x" + "aa".repeat(20);
const ADDR_B = "0x" + "bb".repeat(20);
const ADDR_C = "0x" + "cc".repeat(20);

type J = Record<string, unknown>;
const base = (over: J = {}): J => ({
  chainId: "test-chain",
  genesisTime: 1_700_000_000_000,
  authority: AUTH,
  validators: [{ name: "v0", publicKey: edKey(0), power: 1 }],
  balances: [{ address: ADDR_B, amount: "1000" }],
  ...over,
});
const without = (k: string): J => {
  const o = base();
  delete o[k];
  return o;
};

function refusedGenesis(input: unknown, field: string, label = field): CivitasError {
  let caught: unknown;
  try {
    parseGenesis(input);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof CivitasError, `${label}: expected a GENESIS_INVALID error, got ${caught === undefined ? "success" : String(caught)}`);
  assert.equal(caught.code, ErrorCode.GENESIS_INVALID, `${label}: ${caught.message}`);
  assert.ok(caught.message.startsWith(`genesis.${field}:`), `${label}: message should name genesis.${field}: ${caught.message}`);
  assert.equal(caught.details.field, field, label);
  return caught;
}

function refusedConfig(input: unknown, field: string, label = field): CivitasError {
  let caught: unknown;
  try {
    parseNodeConfig(input);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof CivitasError, `${label}: expected a CONFIG_INVALID error, got ${caught === undefined ? "success" : String(caught)}`);
  assert.equal(caught.code, ErrorCode.CONFIG_INVALID, `${label}: ${caught.message}`);
  assert.ok(caught.message.startsWith(`config.${field}:`), `${label}: message should name config.${field}: ${caught.message}`);
  assert.equal(caught.details.field, field, label);
  return caught;
}

// ---------------------------------------------------------------------------------------------
// genesis

test("genesis: defaults are applied to a minimal document", () => {
  const input = base({ validators: [{ publicKey: edKey(0) }], balances: undefined });
  delete input.balances;
  const snapshot = JSON.stringify(input);
  const g = parseGenesis(input);
  const expected: Genesis = {
    ...GENESIS_DEFAULTS,
    chainId: "test-chain",
    genesisTime: 1_700_000_000_000,
    authority: AUTH,
    validators: [{ name: "validator-0", publicKey: edKey(0), power: 1 }],
    balances: [],
  };
  assert.deepEqual(g, expected);
  assert.equal(JSON.stringify(input), snapshot, "the input is not modified");
  assert.equal(g.cryptoSuite, "ed25519-sha256");
  assert.equal(g.consensus, "solo");
  // Explicit values override the defaults; numeric amounts are normalised to decimal strings.
  const g2 = parseGenesis(base({ cryptoSuite: "sm2-sm3", blockIntervalMs: 10, createEmptyBlocks: true, maxTxBytes: 1024, maxBlockBytes: 1024, balances: [{ address: ADDR_B, amount: 1000 }] }));
  assert.equal(g2.cryptoSuite, "sm2-sm3");
  assert.equal(g2.blockIntervalMs, 10);
  assert.equal(g2.createEmptyBlocks, true);
  assert.equal(g2.maxTxBytes, 1024);
  assert.deepEqual(g2.balances, [{ address: ADDR_B, amount: "1000" }]);
});

test("genesis: the document must be an object and may not carry unknown fields", () => {
  for (const v of [null, [], "genesis", 5, undefined]) refusedGenesis(v, "", `input ${JSON.stringify(v)}`);
  refusedGenesis(base({ foo: 1 }), "foo");
  refusedGenesis(base({ chainID: "x" }), "chainID", "case-sensitive field names");
});

test("genesis: chainId pattern", () => {
  for (const ok of ["a", "0", "test-chain", "a1-b2", "x".repeat(63)]) assert.equal(parseGenesis(base({ chainId: ok })).chainId, ok);
  for (const bad of ["", "Test", "-lead", "has space", "under_score", "dot.ted", "x".repeat(64), "é", 5, null]) refusedGenesis(base({ chainId: bad }), "chainId", `chainId ${JSON.stringify(bad)}`);
  refusedGenesis(without("chainId"), "chainId");
});

test("genesis: suite and engine must be known", () => {
  for (const bad of ["rsa", "ED25519-SHA256", "", 1]) refusedGenesis(base({ cryptoSuite: bad }), "cryptoSuite", `suite ${JSON.stringify(bad)}`);
  for (const bad of ["pow", "raft", "", true]) refusedGenesis(base({ consensus: bad }), "consensus", `engine ${JSON.stringify(bad)}`);
  const bft = parseGenesis(base({ consensus: "bft", validators: [0, 1, 2, 3].map((i) => ({ publicKey: edKey(i), power: i + 1 })) }));
  assert.equal(bft.consensus, "bft");
  assert.deepEqual(bft.validators.map((v) => v.power), [1, 2, 3, 4]);
});

test("genesis: validators (count, solo needs one, names, keys, power)", () => {
  refusedGenesis(without("validators"), "validators");
  refusedGenesis(base({ validators: [] }), "validators");
  refusedGenesis(base({ validators: {} }), "validators");
  refusedGenesis(base({ consensus: "bft", validators: Array.from({ length: 1001 }, (_, i) => ({ publicKey: i.toString(16).padStart(64, "0") })) }), "validators", "more than 1000");
  refusedGenesis(base({ validators: [{ publicKey: edKey(0) }, { publicKey: edKey(1) }] }), "validators", "solo with 2 validators");
  refusedGenesis(base({ validators: [null] }), "validators[0]");
  refusedGenesis(base({ validators: ["ab"] }), "validators[0]");
  refusedGenesis(base({ consensus: "bft", validators: [{ publicKey: edKey(0) }, { publicKey: edKey(0) }] }), "validators[1].publicKey", "duplicate key");
  refusedGenesis(base({ consensus: "bft", validators: [{ name: "a", publicKey: edKey(0) }, { name: "a", publicKey: edKey(1) }] }), "validators[1].name", "duplicate name");
  refusedGenesis(base({ consensus: "bft", validators: [{ publicKey: edKey(0) }, { name: "validator-0", publicKey: edKey(1) }] }), "validators[1].name", "explicit name equal to a default one");
  for (const bad of ["", "x".repeat(65), 5]) refusedGenesis(base({ validators: [{ name: bad, publicKey: edKey(0) }] }), "validators[0].name", `name ${JSON.stringify(bad)}`);
  for (const bad of [undefined, "0x" + edKey(0), edKey(0).toUpperCase(), "abc", "zz", 5]) refusedGenesis(base({ validators: [{ publicKey: bad }] }), "validators[0].publicKey", `key ${JSON.stringify(bad)}`);
  for (const bad of [0, -1, 1_000_001, 1.5, "1"]) refusedGenesis(base({ validators: [{ publicKey: edKey(0), power: bad }] }), "validators[0].power", `power ${JSON.stringify(bad)}`);
  assert.equal(parseGenesis(base({ validators: [{ publicKey: edKey(0), power: 1_000_000 }] })).validators[0].power, 1_000_000);
});

test("genesis: authority and balance addresses", () => {
  for (const bad of [undefined, "", "0x" + "AA".repeat(20), "aa".repeat(20), "0x" + "aa".repeat(19), "0x" + "aa".repeat(21), 5]) refusedGenesis(base({ authority: bad }), "authority", `authority ${JSON.stringify(bad)}`);
  refusedGenesis(base({ balances: "x" }), "balances");
  refusedGenesis(base({ balances: { address: ADDR_B } }), "balances");
  refusedGenesis(base({ balances: [null] }), "balances[0]");
  for (const bad of [undefined, "0x" + "BB".repeat(20), "0xbb", 7]) refusedGenesis(base({ balances: [{ address: bad, amount: "1" }] }), "balances[0].address", `address ${JSON.stringify(bad)}`);
  refusedGenesis(base({ balances: [{ address: ADDR_B, amount: "1" }, { address: ADDR_B, amount: "2" }] }), "balances[1].address", "duplicate address");
});

test("genesis: balance amounts are u64 decimal strings (or safe JSON integers)", () => {
  const MAX = "18446744073709551615";
  assert.equal(parseGenesis(base({ balances: [{ address: ADDR_B, amount: MAX }] })).balances[0].amount, MAX);
  assert.equal(parseGenesis(base({ balances: [{ address: ADDR_B, amount: "0" }] })).balances[0].amount, "0");
  assert.equal(parseGenesis(base({ balances: [{ address: ADDR_B, amount: Number.MAX_SAFE_INTEGER }] })).balances[0].amount, String(Number.MAX_SAFE_INTEGER));
  for (const bad of ["18446744073709551616", "99999999999999999999", "100000000000000000000", "-1", "01", "1.5", "1e3", " 1", "0x10", "", "abc", -1, 1.5, null, undefined, true]) {
    refusedGenesis(base({ balances: [{ address: ADDR_B, amount: bad }] }), "balances[0].amount", `amount ${JSON.stringify(bad)}`);
  }
  // A JSON number above 2^53 may already have been rounded by JSON.parse: it cannot be trusted.
  const rounded = JSON.parse(`{"address": "${ADDR_B}", "amount": 9007199254740993}`) as J;
  assert.equal(rounded.amount, 9007199254740992, "JSON.parse rounds the literal");
  refusedGenesis(base({ balances: [rounded] }), "balances[0].amount", "amount rounded by JSON.parse");
  refusedGenesis(base({ balances: [{ address: ADDR_B, amount: 1e18 }] }), "balances[0].amount", "1e18 as a JSON number");
});

test("genesis: the total supply must fit in u64", () => {
  const half = (1n << 63n).toString();
  refusedGenesis(base({ balances: [{ address: ADDR_B, amount: half }, { address: ADDR_C, amount: half }] }), "balances", "2^63 + 2^63");
  const ok = parseGenesis(base({ balances: [{ address: ADDR_B, amount: half }, { address: ADDR_C, amount: ((1n << 63n) - 1n).toString() }] }));
  assert.equal(ok.balances.length, 2);
});

test("genesis: integers out of range or of the wrong type", () => {
  const cases: Array<[string, unknown[]]> = [
    ["genesisTime", [-1, 1.5, "1700000000000", null, 8_640_000_000_000_001]],
    ["blockIntervalMs", [9, 3_600_001, 0, 100.5, "200"]],
    ["maxBlockBytes", [1023, 256 * 1024 * 1024 + 1]],
    ["maxBlockTxs", [0, 1_000_001]],
    ["maxBlockGas", [999, Number.MAX_SAFE_INTEGER + 2]],
    ["maxTxBytes", [255, 16 * 1024 * 1024 + 1]],
    ["maxTxGas", [999, 1e300]],
    ["maxTxExpiryMs", [999, 30 * 24 * 3_600_000 + 1]],
    ["protocolVersion", [0, 2]],
  ];
  for (const [field, bads] of cases) for (const bad of bads) refusedGenesis(base({ [field]: bad }), field, `${field} = ${JSON.stringify(bad)}`);
  refusedGenesis(without("genesisTime"), "genesisTime", "genesisTime has no default");
  // moduleParams: shape only here (each module checks its own names, see module-params.test.ts).
  for (const bad of [[], null, "proof", 5]) refusedGenesis(base({ moduleParams: bad }), "moduleParams", `moduleParams ${JSON.stringify(bad)}`);
  refusedGenesis(base({ moduleParams: { Proof: {} } }), "moduleParams.Proof");
  refusedGenesis(base({ moduleParams: { proof: [] } }), "moduleParams.proof");
  for (const bad of [0, -1, 1.5, "10", null, Number.MAX_SAFE_INTEGER + 1]) refusedGenesis(base({ moduleParams: { proof: { maxHistory: bad } } }), "moduleParams.proof.maxHistory", `maxHistory ${JSON.stringify(bad)}`);
  refusedGenesis(base({ moduleParams: { proof: { "max-history": 5 } } }), "moduleParams.proof.max-history");
  refusedGenesis(base({ createEmptyBlocks: "yes" }), "createEmptyBlocks");
  refusedGenesis(base({ createEmptyBlocks: 1 }), "createEmptyBlocks");
  // Edges that are accepted.
  const g = parseGenesis(base({ genesisTime: 0, blockIntervalMs: 3_600_000, maxBlockTxs: 1, maxTxExpiryMs: 1000, maxTxBytes: 256, maxBlockBytes: 1024, maxTxGas: 1000, maxBlockGas: 1000 }));
  assert.equal(g.genesisTime, 0);
  assert.equal(g.maxTxGas, 1000);
});

test("genesis: per-transaction limits may not exceed per-block limits", () => {
  refusedGenesis(base({ maxTxBytes: 4096, maxBlockBytes: 2048 }), "maxTxBytes");
  refusedGenesis(base({ maxTxBytes: GENESIS_DEFAULTS.maxBlockBytes + 1 }), "maxTxBytes", "above the default block size");
  refusedGenesis(base({ maxTxGas: 5000, maxBlockGas: 4999 }), "maxTxGas");
  assert.equal(parseGenesis(base({ maxTxBytes: 2048, maxBlockBytes: 2048 })).maxTxBytes, 2048);
  assert.equal(parseGenesis(base({ maxTxGas: 5000, maxBlockGas: 5000 })).maxTxGas, 5000);
});

test("genesisValidators: keys must be valid for the chain's suite", () => {
  const g = parseGenesis(base());
  const vs = genesisValidators(ED, g);
  assert.equal(vs.length, 1);
  assert.equal("0x" + toHex(vs[0].address), ED.address(vs[0].publicKey));
  assert.equal(vs[0].power, 1);
  const refused = (key: string, label: string): void => {
    assert.throws(() => genesisValidators(ED, parseGenesis(base({ validators: [{ publicKey: key }] }))), (e: unknown) => e instanceof CivitasError && e.code === ErrorCode.GENESIS_INVALID && e.message.startsWith("genesis.validators[0].publicKey:"), label);
  };
  refused("", "empty key");
  refused("ab".repeat(31), "31 bytes");
  refused("01" + "00".repeat(31), "small-order point (identity)");
  // An ed25519 key is not an sm2 key.
  assert.throws(() => genesisValidators(SM, g), (e: unknown) => e instanceof CivitasError && e.code === ErrorCode.GENESIS_INVALID);
  const smKey = toHex(SM.generateKeyPair().publicKey);
  assert.equal(genesisValidators(SM, parseGenesis(base({ cryptoSuite: "sm2-sm3", validators: [{ publicKey: smKey }] })))[0].publicKey.length, 65);
});

test("genesisHash is stable for the same content and changes with any field", () => {
  const g = parseGenesis(base());
  const h = genesisHashHex(ED, g);
  assert.equal(h, toHex(genesisHash(ED, g)));
  assert.match(h, /^[0-9a-f]{64}$/);
  // Same content: key order of the input, re-parsing, explicit defaults and numeric amounts do not matter.
  const reordered = Object.fromEntries(Object.entries(base()).reverse());
  assert.equal(genesisHashHex(ED, parseGenesis(reordered)), h);
  assert.equal(genesisHashHex(ED, parseGenesis(JSON.parse(JSON.stringify(g)))), h);
  assert.equal(genesisHashHex(ED, parseGenesis(base({ ...GENESIS_DEFAULTS }))), h);
  assert.equal(genesisHashHex(ED, parseGenesis(base({ balances: [{ address: ADDR_B, amount: 1000 }] }))), h);
  // Any change to any field changes the hash.
  const variants: J[] = [
    { chainId: "test-chain2" },
    { genesisTime: 1_700_000_000_001 },
    { cryptoSuite: "sm2-sm3" },
    { consensus: "bft" },
    { blockIntervalMs: 201 },
    { createEmptyBlocks: true },
    { maxBlockBytes: GENESIS_DEFAULTS.maxBlockBytes - 1 },
    { maxBlockTxs: 19_999 },
    { maxBlockGas: GENESIS_DEFAULTS.maxBlockGas - 1 },
    { maxTxBytes: 65_535 },
    { maxTxGas: 9_999_999 },
    { maxTxExpiryMs: 3_599_999 },
    { authority: ADDR_C },
    { validators: [{ name: "v1", publicKey: edKey(0), power: 1 }] },
    { validators: [{ name: "v0", publicKey: edKey(1), power: 1 }] },
    { validators: [{ name: "v0", publicKey: edKey(0), power: 2 }] },
    { balances: [] },
    { balances: [{ address: ADDR_C, amount: "1000" }] },
    { balances: [{ address: ADDR_B, amount: "1001" }] },
    { balances: [{ address: ADDR_B, amount: "1000" }, { address: ADDR_C, amount: "0" }] },
  ];
  const seen = new Map<string, string>([[h, "base"]]);
  for (const v of variants) {
    const hv = genesisHashHex(ED, parseGenesis(base(v)));
    assert.ok(!seen.has(hv), `${JSON.stringify(v)} hashes like ${seen.get(hv)}`);
    seen.set(hv, JSON.stringify(v));
  }
  // The suite's hash function is the one used.
  assert.notEqual(genesisHashHex(SM, g), h);
});

// ---------------------------------------------------------------------------------------------
// node config

test("config: defaults are applied; partial sections are merged; the defaults object is not shared", () => {
  assert.deepEqual(parseNodeConfig({}), NODE_CONFIG_DEFAULTS);
  assert.deepEqual(parseNodeConfig(undefined), NODE_CONFIG_DEFAULTS);
  const c = parseNodeConfig({ moniker: "n1", api: { port: 9000 }, mempool: { maxPendingTotal: 10 }, verifyWorkers: 4, logLevel: "debug" });
  assert.equal(c.moniker, "n1");
  assert.deepEqual(c.api, { ...NODE_CONFIG_DEFAULTS.api, port: 9000 });
  assert.deepEqual(c.mempool, { ...NODE_CONFIG_DEFAULTS.mempool, maxPendingTotal: 10 });
  assert.equal(c.verifyWorkers, 4);
  assert.equal(c.logLevel, "debug");
  const d = parseNodeConfig({});
  d.api.port = 1;
  d.mempool.maxPendingTotal = 1;
  assert.equal(NODE_CONFIG_DEFAULTS.api.port, 8080);
  assert.equal(NODE_CONFIG_DEFAULTS.mempool.maxPendingTotal, 200_000);
  for (const level of ["fatal", "error", "warn", "info", "debug", "trace", "silent"]) assert.equal(parseNodeConfig({ logLevel: level }).logLevel, level);
  assert.equal(parseNodeConfig({ api: { port: 0, maxWaitMs: 0, rateLimitMax: 0 } }).api.port, 0);
});

test("config: unknown fields are refused at every level", () => {
  refusedConfig({ foo: 1 }, "foo");
  refusedConfig({ api: { foo: 1 } }, "api.foo");
  refusedConfig({ api: { Port: 1 } }, "api.Port");
  refusedConfig({ mempool: { maxPending: 1 } }, "mempool.maxPending");
});

test("config: wrong types and out-of-range values name the field", () => {
  for (const v of [null, [], "x", 5]) refusedConfig(v, "", `input ${JSON.stringify(v)}`);
  for (const v of [null, [], "x", 5]) refusedConfig({ api: v }, "api", `api ${JSON.stringify(v)}`);
  for (const v of [null, [], "x"]) refusedConfig({ mempool: v }, "mempool", `mempool ${JSON.stringify(v)}`);
  const ints: Array<[string, unknown[]]> = [
    ["api.port", [-1, 65536, 1.5, "8080"]],
    ["api.bodyLimitBytes", [1023, 1024 ** 3 + 1]],
    ["api.maxBatchTxs", [0, 100_001]],
    ["api.rateLimitMax", [-1, 1_000_000_001]],
    ["api.rateLimitWindowMs", [0, 86_400_001]],
    ["api.maxWaitMs", [-1, 3_600_001]],
    ["api.authMaxValidityMs", [999, 86_400_001]],
    ["api.authClockSkewMs", [-1, 3_600_001]],
    ["api.authReplayCacheSize", [99, 100_000_001]],
    ["mempool.maxPendingPerAccount", [0, 1_000_001]],
    ["mempool.maxPendingTotal", [0, 10_000_001]],
    ["verifyWorkers", [-1, 65, 2.5, "4"]],
    ["resources.cpus", [-1, 1025, 1.5, "2"]],
    ["resources.memoryMiB", [-1, 16 * 1024 * 1024 + 1, "512"]],
    ["resources.storageMiB", [-1, 1024 * 1024 * 1024 + 1, 0.5]],
    ["logMaxFileBytes", [1023, 1024 ** 3 + 1, "1m"]],
    ["logMaxFiles", [-1, 1001, 1.5]],
    ["logHostSampleMs", [-1, 86_400_001]],
    ["metrics.tpsWindowSeconds", [0, 3601, 1.5]],
    ["alerts.evalIntervalMs", [99, 3_600_001]],
    ["alerts.historySize", [0, 100_001]],
  ];
  for (const [path, bads] of ints) {
    const [section, key] = path.includes(".") ? path.split(".") : [undefined, path];
    for (const bad of bads) refusedConfig(section ? { [section]: { [key]: bad } } : { [key]: bad }, path, `${path} = ${JSON.stringify(bad)}`);
  }
  for (const f of ["moniker", "dataDir", "genesisFile", "keyFile"]) {
    for (const bad of ["", 5, false, "x".repeat(4097)]) refusedConfig({ [f]: bad }, f, `${f} = ${JSON.stringify(bad).slice(0, 20)}`);
  }
  refusedConfig({ api: { host: "" } }, "api.host");
  for (const bad of ["verbose", "INFO", 3]) refusedConfig({ logLevel: bad }, "logLevel", `logLevel ${JSON.stringify(bad)}`);
  for (const bad of [5, false]) refusedConfig({ logDir: bad }, "logDir");
  for (const bad of ["ftp://x", "hooks.example", 5]) refusedConfig({ alerts: { webhook: { url: bad } } }, "alerts.webhook.url", `webhook url ${JSON.stringify(bad)}`);
  for (const bad of ["ftp://x", "127.0.0.1:8090", "http://h:1/?q=1", "http://u:p@h:1", "http://h:1/#x", "http://", 5, false]) refusedConfig({ api: { indexerUrl: bad } }, "api.indexerUrl", `indexer url ${JSON.stringify(bad)}`);
  assert.equal(parseNodeConfig({ api: { indexerUrl: "http://127.0.0.1:8090/" } }).api.indexerUrl, "http://127.0.0.1:8090");
  for (const [k, bad] of [["timeoutMs", 99], ["maxRetries", 101], ["backoffMs", 9], ["maxBackoffMs", 9], ["queueSize", 0]] as const) refusedConfig({ alerts: { webhook: { [k]: bad } } }, `alerts.webhook.${k}`);
  refusedConfig({ alerts: { webhook: { token: "x" } } }, "alerts.webhook.token");
  refusedConfig({ alerts: { rules: {} } }, "alerts.rules");
  refusedConfig({ alerts: { rules: [{ id: "t", kind: "tps_above", windowSeconds: 10 }] } }, "alerts.rules[0].tps");
  refusedConfig({ alerts: { rules: [{ id: "t", kind: "tps_over", tps: 1 }] } }, "alerts.rules[0].kind");
  assert.equal(parseNodeConfig({ logDir: "" }).logDir, "");
  assert.deepEqual(parseNodeConfig({ alerts: { rules: [{ id: "t", kind: "tps_above", tps: 5, windowSeconds: 10 }] } }).alerts.rules, [{ id: "t", kind: "tps_above", severity: "warning", enabled: true, forSeconds: 0, tps: 5, windowSeconds: 10 }]);
  // The parsed form is what homes write back to node.json: it must parse again to itself.
  const full = parseNodeConfig({ alerts: { webhook: { url: "http://127.0.0.1:9/hook" } } });
  assert.deepEqual(parseNodeConfig(JSON.parse(JSON.stringify(full))), full);
});
