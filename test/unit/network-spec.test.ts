/**
 * Network specs: the examples are accepted, each bad field is refused with its path, impossible
 * shapes (bft without fault tolerance, solo with several nodes, colliding or taken ports) are
 * explained before anything is written, plans give each node its ports, role and hardware, and
 * the storage limit of a hardware profile stops commits.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { normalizeSpec, parseSpecText } from "../../src/node/network-spec/parse.js";
import { bftFaultTolerance, checkPortsAvailable, planNetwork } from "../../src/node/network-spec/plan.js";
import { NETWORK_SPEC_SCHEMA } from "../../src/node/network-spec/schema.js";
import { checkStorage, enforceHardwareProfile } from "../../src/node/network-spec/hardware.js";
import type { Block } from "../../src/ledger/block.js";
import { CivitasError, ErrorCode } from "../../src/util/errors.js";
import { portIsFree } from "../../src/util/ports.js";

const REPO = join(import.meta.dirname, "..", "..", "..");

function refused(input: unknown, field: string, why?: RegExp): CivitasError {
  let err: unknown;
  try {
    planNetwork(normalizeSpec(input));
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof CivitasError, `expected a refusal at ${field} for ${JSON.stringify(input)}`);
  assert.equal(err.code, ErrorCode.CONFIG_INVALID);
  assert.equal(err.details.field, field, `field of: ${err.message}`);
  assert.ok(err.message.startsWith(`spec.${field}: `), err.message);
  if (why) assert.match(err.message, why);
  return err;
}

const base = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ name: "t", nodes: { validators: 4 }, ...over });

test("the example specs and the published schema file are valid and in sync", () => {
  assert.deepEqual(JSON.parse(readFileSync(join(REPO, "docs/spec/network-spec.schema.json"), "utf8")), JSON.parse(JSON.stringify(NETWORK_SPEC_SCHEMA)));
  const city = planNetwork(normalizeSpec(parseSpecText(readFileSync(join(REPO, "examples/networks/four-validators.yaml"), "utf8"))));
  assert.equal(city.spec.chainId, "city-ledger-1");
  assert.equal(city.faultTolerance, 1);
  assert.deepEqual(city.nodes.map((n) => n.role), ["validator", "validator", "validator", "validator", "full"]);
  assert.deepEqual(city.nodes[4].resources, { cpus: 1, memoryMiB: 1024, storageMiB: 51200 });
  assert.deepEqual(city.spec.accounts[1], { name: "alice", balance: "5000000" });
  const solo = planNetwork(normalizeSpec(parseSpecText(readFileSync(join(REPO, "examples/networks/solo-dev.yaml"), "utf8"))));
  assert.equal(solo.spec.consensus.algorithm, "solo");
  assert.equal(solo.nodes.length, 1);
  const sm2 = planNetwork(normalizeSpec(parseSpecText(readFileSync(join(REPO, "examples/networks/sm2-three-validators.json"), "utf8"))));
  assert.equal(sm2.spec.cryptoSuite, "sm2-sm3");
  assert.equal(sm2.faultTolerance, 0);
  assert.equal(sm2.spec.accounts[0].balance, "1000000");
});

test("defaults fill a minimal spec", () => {
  const s = normalizeSpec(base());
  assert.equal(s.chainId, "t");
  assert.equal(s.cryptoSuite, "ed25519-sha256");
  assert.equal(s.consensus.algorithm, "bft");
  assert.deepEqual(s.ports, { apiBase: 8080, p2pBase: 26656 });
  assert.deepEqual(s.accounts, [{ name: "authority", balance: "1000000000000" }]);
  assert.deepEqual(s.nodes.hardware, { cpus: 0, memoryMiB: 0, storageMiB: 0 });
});

test("each bad field is refused with its path and the reason", () => {
  for (const v of [null, [], "x", 5]) refused(v, "", /expected an object/);
  refused({ nodes: { validators: 4 } }, "name", /required/);
  refused({ name: "t" }, "nodes", /required/);
  refused(base({ nodes: {} }), "nodes.validators", /required/);
  refused(base({ extra: 1 }), "extra", /unknown field/);
  for (const bad of ["", "Upper", "-x", "x".repeat(64), 5]) refused(base({ name: bad }), "name");
  refused(base({ chainId: "under_score" }), "chainId", /pattern/);
  refused(base({ version: 2 }), "version", /expected 1/);
  refused(base({ cryptoSuite: "rsa" }), "cryptoSuite", /one of ed25519-sha256, sm2-sm3/);
  refused(base({ consensus: { algorithm: "pow" } }), "consensus.algorithm", /one of solo, bft/);
  refused(base({ consensus: { allowNoFaultTolerance: "yes" } }), "consensus.allowNoFaultTolerance", /boolean/);
  refused(base({ consensus: { timeouts: { proposeMs: 5 } } }), "consensus.timeouts.proposeMs", />= 10/);
  refused(base({ consensus: { timeouts: { commitMs: 5 } } }), "consensus.timeouts.commitMs", /unknown field/);
  refused(base({ block: { intervalMs: 1 } }), "block.intervalMs");
  refused(base({ block: { maxBytes: 10 } }), "block.maxBytes");
  refused(base({ block: { maxTxs: 0 } }), "block.maxTxs");
  refused(base({ block: { maxTxs: 1.5 } }), "block.maxTxs", /integer/);
  refused(base({ block: { createEmptyBlocks: 1 } }), "block.createEmptyBlocks");
  for (const bad of [0, 101, "4"]) refused(base({ nodes: { validators: bad } }), "nodes.validators");
  refused(base({ nodes: { validators: 4, fullNodes: -1 } }), "nodes.fullNodes");
  refused(base({ nodes: { validators: 4, host: "bad host" } }), "nodes.host");
  refused(base({ nodes: { validators: 4, hardware: { memoryMiB: -1 } } }), "nodes.hardware.memoryMiB");
  refused(base({ nodes: { validators: 4, hardware: { gpus: 1 } } }), "nodes.hardware.gpus", /unknown field/);
  refused(base({ nodes: { validators: 4, overrides: { nodeX: {} } } }), "nodes.overrides.nodeX", /not a node name/);
  refused(base({ nodes: { validators: 4, overrides: { node1: { apiPort: 70000 } } } }), "nodes.overrides.node1.apiPort");
  refused(base({ nodes: { validators: 4, overrides: { node1: { hardware: { storageMiB: "1G" } } } } }), "nodes.overrides.node1.hardware.storageMiB");
  refused(base({ ports: { apiBase: 0 } }), "ports.apiBase");
  refused(base({ ports: { p2pBase: 65536 } }), "ports.p2pBase");
  refused(base({ accounts: [] }), "accounts", /fewer than 1/);
  refused(base({ accounts: [{ balance: "1" }] }), "accounts[0].name", /required/);
  refused(base({ accounts: [{ name: "a" }, { name: "b", balance: "-5" }] }), "accounts[1].balance", /non-negative integer/);
  refused(base({ accounts: [{ name: "a", balance: "01" }] }), "accounts[0].balance");
  refused(base({ logLevel: "loud" }), "logLevel");
  // Module parameters: the shape by the schema, the names by the modules themselves.
  refused(base({ moduleParams: { proof: { maxHistory: 0 } } }), "moduleParams.proof.maxHistory", />= 1/);
  refused(base({ moduleParams: { proof: { maxHistorie: 5 } } }), "moduleParams.proof.maxHistorie", /module proof has no parameter maxHistorie/);
  refused(base({ moduleParams: { tokens: { cap: 5 } } }), "moduleParams.tokens", /no module takes parameters/);
});

test("several bad fields are all listed in details.errors", () => {
  const e = refused(base({ cryptoSuite: "rsa", nodes: { validators: 0 }, extra: true }), "extra");
  const fields = (e.details.errors as Array<{ field: string }>).map((x) => x.field).sort();
  assert.deepEqual(fields, ["cryptoSuite", "extra", "nodes.validators"]);
});

test("YAML and JSON text both parse; broken text is refused", () => {
  assert.deepEqual(parseSpecText("name: a\nnodes: { validators: 4 }\n"), { name: "a", nodes: { validators: 4 } });
  assert.deepEqual(parseSpecText('{"name":"a"}'), { name: "a" });
  assert.throws(() => parseSpecText("name: [unclosed"), (e: unknown) => e instanceof CivitasError && e.code === ErrorCode.CONFIG_INVALID);
  assert.throws(() => parseSpecText('{"name":'), (e: unknown) => e instanceof CivitasError && /neither valid YAML nor JSON/.test(e.message));
});

test("impossible shapes are explained: bft without fault tolerance, solo with several nodes, bad overrides", () => {
  assert.deepEqual([1, 2, 3, 4, 6, 7, 10].map(bftFaultTolerance), [0, 0, 0, 1, 1, 2, 3]);
  for (const n of [1, 2, 3]) {
    const e = refused(base({ nodes: { validators: n } }), "nodes.validators", /tolerates no faulty validator/);
    assert.match(e.message, /f = floor\(\(n - 1\) \/ 3\) = 0/);
    assert.match(e.message, /allowNoFaultTolerance/);
  }
  assert.equal(planNetwork(normalizeSpec(base({ nodes: { validators: 2 }, consensus: { allowNoFaultTolerance: true } }))).faultTolerance, 0);
  refused(base({ consensus: { algorithm: "solo" } }), "nodes.validators", /solo engine runs exactly one validator/);
  refused(base({ consensus: { algorithm: "solo" }, nodes: { validators: 1, fullNodes: 1 } }), "nodes.fullNodes", /solo/);
  refused(base({ nodes: { validators: 4, overrides: { node4: { apiPort: 9000 } } } }), "nodes.overrides.node4", /node0 \.\. node3/);
  refused(base({ block: { maxBytes: 2048, maxTxBytes: 4096 } }), "block.maxTxBytes", /maxBytes/);
  refused(base({ accounts: [{ name: "a" }, { name: "a" }] }), "accounts[1].name", /duplicate/);
  refused(base({ accounts: [{ name: "a", balance: "18446744073709551615" }, { name: "b", balance: "1" }] }), "accounts", /2\^64/);
});

test("plans give each node its ports, role and hardware; colliding ports name both nodes", () => {
  const p = planNetwork(normalizeSpec(base({ nodes: { validators: 4, fullNodes: 2, hardware: { cpus: 2, memoryMiB: 512 }, overrides: { node5: { p2pPort: 30000, hardware: { memoryMiB: 2048 } } } }, ports: { apiBase: 9000, p2pBase: 9100 } })));
  assert.deepEqual(
    p.nodes.map((n) => [n.name, n.role, n.apiPort, n.p2pPort]),
    [["node0", "validator", 9000, 9100], ["node1", "validator", 9001, 9101], ["node2", "validator", 9002, 9102], ["node3", "validator", 9003, 9103], ["node4", "full", 9004, 9104], ["node5", "full", 9005, 30000]],
  );
  assert.deepEqual(p.nodes[5].resources, { cpus: 2, memoryMiB: 2048, storageMiB: 0 });
  assert.deepEqual(p.nodes[0].resources, { cpus: 2, memoryMiB: 512, storageMiB: 0 });
  // API range 9000..9003 overlaps p2p range 9002..9005.
  const e = refused(base({ ports: { apiBase: 9000, p2pBase: 9002 } }), "ports.apiBase", /port 9002 would be used by both node0 \(p2p\) and node2 \(api\)/);
  assert.equal(e.details.port, 9002);
  refused(base({ nodes: { validators: 4, overrides: { node1: { apiPort: 9000 } } }, ports: { apiBase: 9000, p2pBase: 9100 } }), "nodes.overrides.node1.apiPort", /node0 \(api\) and node1 \(api\)/);
  refused(base({ ports: { apiBase: 65534, p2pBase: 9000 } }), "ports.apiBase", /node2 would get API port 65536/);
});

test("ports taken by another recorded network or by a listening process are refused before anything starts", async () => {
  const plan = planNetwork(normalizeSpec(base({ ports: { apiBase: 9000, p2pBase: 9100 } })));
  await assert.rejects(checkPortsAvailable(plan, [{ network: "other", node: "node3", port: 9102 }], async () => true), (e: unknown) => e instanceof CivitasError && e.details.field === "ports.p2pBase" && /port 9102 \(node2 p2p\) is already assigned to node3 of network 'other'/.test(e.message));
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const taken = (srv.address() as { port: number }).port;
  try {
    const p2 = planNetwork(normalizeSpec(base({ nodes: { validators: 4, overrides: { node3: { apiPort: taken } } }, ports: { apiBase: 1000, p2pBase: 2000 } })));
    // Only the taken port is really probed: the others are privileged or may be in use on the test host.
    await assert.rejects(checkPortsAvailable(p2, [], async (port, host) => port !== taken || portIsFree(port, host)), (e: unknown) => e instanceof CivitasError && e.details.field === "nodes.overrides.node3.apiPort" && new RegExp(`port ${taken} \\(node3 api\\) is in use`).test(e.message));
  } finally {
    srv.close();
  }
});

test("storage limit of a hardware profile: the node refuses to commit once its data folder is larger", async () => {
  const dir = mkdtempSync(join(tmpdir(), "civitas-storage-"));
  try {
    checkStorage(dir, 1);
    writeFileSync(join(dir, "data.mdb"), Buffer.alloc(2 * 1024 * 1024, 7));
    assert.throws(() => checkStorage(dir, 1), (e: unknown) => e instanceof CivitasError && e.code === ErrorCode.STORAGE_LIMIT_EXCEEDED && /above the node's storage limit of 1 MiB/.test(e.message));
    checkStorage(dir, 0); // 0 = no limit
    const committed: number[] = [];
    const chain = { commit: async (b: Block): Promise<void> => void committed.push(b.header.height) };
    const alerts: string[] = [];
    const logs: string[] = [];
    const log = { info: () => undefined, warn: () => undefined, error: (_o: object, m: string) => void logs.push(m) };
    enforceHardwareProfile(chain, { dataPath: dir, resources: { cpus: 0, memoryMiB: 0, storageMiB: 1 }, log, onExceeded: (e) => alerts.push(e.code) });
    const block = (h: number): Block => ({ header: { height: h } }) as unknown as Block;
    await assert.rejects(chain.commit(block(1)), (e: unknown) => e instanceof CivitasError && e.code === ErrorCode.STORAGE_LIMIT_EXCEEDED);
    await assert.rejects(chain.commit(block(1)));
    assert.deepEqual(alerts, ["STORAGE_LIMIT_EXCEEDED"], "one alert per crossing, not per refused block");
    assert.equal(logs.length, 1);
    rmSync(join(dir, "data.mdb"));
    await chain.commit(block(1));
    assert.deepEqual(committed, [1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
