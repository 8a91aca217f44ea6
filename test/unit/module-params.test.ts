/**
 * Genesis `moduleParams`: module parameters that are consensus rules of a chain. Absent, the
 * genesis (and its hash) is as before; present, each module takes only its own names (a typo is
 * GENESIS_INVALID naming it, at init before anything is written and at start); the proof
 * module's limits come from `moduleParams.proof` and are what its `limits` query and its checks
 * use. The quota and batch tests of proof-module.test.ts run their limits through this path too.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { genesisHash, parseGenesis } from "../../src/ledger/genesis.js";
import { builtinModules } from "../../src/modules/index.js";
import { PROOF_LIMITS } from "../../src/modules/proof/index.js";
import { initHome } from "../../src/node/home.js";
import { getNodeSuite } from "../../src/crypto/node-suites.js";
import { toHex } from "../../src/util/bytes.js";
import { CivitasError, ErrorCode } from "../../src/util/errors.js";
import { makeFixture } from "../e2e/helpers/proc-chain.js";
import { createOwner, ok, registerArgs, withProofChain } from "./proof-helpers.js";

const suite = getNodeSuite("ed25519-sha256");
const key = suite.generateKeyPair();
const base = {
  chainId: "params-chain",
  genesisTime: 1_700_000_000_000,
  authority: suite.address(key.publicKey),
  validators: [{ name: "v0", publicKey: toHex(key.publicKey), power: 1 }],
  balances: [],
};

test("without moduleParams the genesis has no such field and the modules keep their defaults", () => {
  const g = parseGenesis(base);
  assert.equal("moduleParams" in g, false);
  const proof = builtinModules(g).find((m) => m.name === "proof");
  assert.ok(proof?.queries?.limits);
  assert.deepEqual(proof.queries.limits.run({ height: 0, get: () => undefined }, {}).value, { ...PROOF_LIMITS });
  // Parameters are part of the chain's identity: the same genesis with them is another chain.
  const withParams = parseGenesis({ ...base, moduleParams: { proof: { maxHistory: 8 } } });
  assert.notEqual(toHex(genesisHash(suite, withParams)), toHex(genesisHash(suite, g)));
});

test("a module or parameter name no module takes is GENESIS_INVALID naming it", () => {
  const refused = (moduleParams: Record<string, Record<string, number>>, field: string): void => {
    assert.throws(
      () => builtinModules(parseGenesis({ ...base, moduleParams })),
      (e: unknown) => e instanceof CivitasError && e.code === ErrorCode.GENESIS_INVALID && e.details.field === field,
      field,
    );
  };
  refused({ tokens: { maxSupply: 5 } }, "moduleParams.tokens");
  refused({ proof: { maxHistorie: 5 } }, "moduleParams.proof.maxHistorie");
});

test("civitas init refuses a genesis with an unknown module parameter before writing anything", async () => {
  const root = await mkdtemp(join(tmpdir(), "civitas-params-"));
  try {
    const home = join(root, "home");
    assert.throws(
      () => initHome({ home, chainId: "x", cryptoSuite: "ed25519-sha256", consensus: "solo", authority: "", balances: [], passphrase: "p", scryptN: 1024, validatorSecretKey: key.secretKey, genesis: { ...base, moduleParams: { proof: { quotaWindow: 5 } } } }),
      (e: unknown) => e instanceof CivitasError && e.code === ErrorCode.GENESIS_INVALID && /moduleParams\.proof\.quotaWindow/.test(e.message),
    );
    assert.equal(existsSync(join(home, "genesis.json")), false);
    assert.equal(existsSync(join(home, "node.json")), false);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test("the proof module's limits come from moduleParams.proof: the limits query and the metadata check use them", { timeout: 30_000 }, async () => {
  assert.deepEqual(makeFixture({ moduleParams: { proof: { maxMetadataChars: 8 } } }).genesis.moduleParams, { proof: { maxMetadataChars: 8 } });
  await withProofChain(
    async (c) => {
      assert.equal((c.chain.query("proof", "limits", {}).value as { maxMetadataChars: number }).maxMetadataChars, 8);
      const owner = await createOwner(c, "registry");
      ok(await c.run(owner.wallet, "register", registerArgs(c, owner, { fingerprint: "aa".repeat(32), metadata: "12345678" })));
      // One character more is refused at admission, before it can reach a block.
      const [r] = await c.admit([c.probe(owner.wallet, [{ module: "proof", method: "register", args: registerArgs(c, owner, { fingerprint: "bb".repeat(32), metadata: "123456789" }) }])]);
      assert.deepEqual(r.ok ? r : [r.code, r.message], [ErrorCode.TX_BAD_ARGS, "proof.register.metadata: expected a string of at most 8 characters"]);
    },
    { maxMetadataChars: 8 },
  );
});

test("a limit raised in genesis is the limit at admission too (the signature workers build their schemas from it)", { timeout: 30_000 }, async () => {
  await withProofChain(
    async (c) => {
      const owner = await createOwner(c, "archive");
      // Above the default 1024: the verify workers must not refuse what the chain accepts.
      const long = "m".repeat(1500);
      ok(await c.run(owner.wallet, "register", registerArgs(c, owner, { fingerprint: "cc".repeat(32), metadata: long })));
      const [refused] = await c.admit([c.probe(owner.wallet, [{ module: "proof", method: "register", args: registerArgs(c, owner, { fingerprint: "dd".repeat(32), metadata: "m".repeat(2001) }) }])]);
      assert.equal(refused.ok, false);
      assert.match(refused.ok ? "" : `${refused.code} ${refused.message}`, /^TX_BAD_ARGS .*at most 2000 characters/);
    },
    { maxMetadataChars: 2000 },
  );
});
