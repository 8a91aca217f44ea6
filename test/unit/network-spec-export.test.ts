/**
 * Export of a created network for other machines: the compose file parses and has one service
 * per node with its home, ports and limits; systemd units name each node's home; no node's data
 * or vote WAL and never the CA key are exported.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { createNetworkFromSpec } from "../../src/node/network-spec/create.js";
import type { CreatedNetwork } from "../../src/node/network-spec/create.js";
import { normalizeSpec } from "../../src/node/network-spec/parse.js";
import { exportCompose } from "../../src/node/export/compose.js";
import { exportSystemd } from "../../src/node/export/systemd.js";
import { listNetworks } from "../../src/node/network-registry.js";
import { parseNodeConfig } from "../../src/node/config.js";

let root: string;
let net: CreatedNetwork;
const savedHome = process.env.CIVITAS_HOME;

before(async () => {
  root = mkdtempSync(join(tmpdir(), "civitas-export-"));
  process.env.CIVITAS_HOME = join(root, "home");
  const spec = normalizeSpec({ name: "exp", nodes: { validators: 4, fullNodes: 1, hardware: { cpus: 2, memoryMiB: 1024, storageMiB: 4096 }, overrides: { node4: { hardware: { memoryMiB: 0 } } } }, ports: { apiBase: 9100, p2pBase: 9200 }, moduleParams: { proof: { maxTsaSkewMs: 300000 } } });
  net = await createNetworkFromSpec(spec, { scryptN: 1024, isFree: async () => true });
});

after(() => {
  if (savedHome === undefined) delete process.env.CIVITAS_HOME;
  else process.env.CIVITAS_HOME = savedHome;
  rmSync(root, { recursive: true, force: true });
});

test("creating from a spec records the network, writes the hardware profile into node.json and the module parameters into genesis", () => {
  assert.deepEqual(listNetworks().map((e) => [e.name, e.dir]), [["exp", net.dir]]);
  const cfg = parseNodeConfig(JSON.parse(readFileSync(join(net.dir, "node0", "node.json"), "utf8")));
  assert.deepEqual(cfg.resources, { cpus: 2, memoryMiB: 1024, storageMiB: 4096 });
  assert.equal(cfg.api.port, 9100);
  assert.equal(parseNodeConfig(JSON.parse(readFileSync(join(net.dir, "node4", "node.json"), "utf8"))).role, "full");
  // The spec's module parameters are the genesis of every node.
  for (const n of ["node0", "node4"]) assert.deepEqual(JSON.parse(readFileSync(join(net.dir, n, "genesis.json"), "utf8")).moduleParams, { proof: { maxTsaSkewMs: 300000 } });
});

test("compose export: one service per node with its volume, ports and limits; README says what to copy", () => {
  const out = join(root, "compose");
  const r = exportCompose(net.dir, "exp", net.info, out);
  const doc = parse(readFileSync(join(out, "docker-compose.yml"), "utf8")) as { services: Record<string, { volumes: string[]; ports: string[]; command: string[]; mem_limit?: string; cpus?: number; environment?: Record<string, string> }> };
  assert.deepEqual(Object.keys(doc.services), ["node0", "node1", "node2", "node3", "node4"]);
  assert.deepEqual(doc.services.node2.volumes, ["./node2:/civitas/home"]);
  assert.deepEqual(doc.services.node2.ports, ["9102:9102", "9202:9202"]);
  assert.deepEqual(doc.services.node0.command.slice(0, 3), ["start", "--home", "/civitas/home"]);
  assert.equal(doc.services.node0.mem_limit, "1024m");
  assert.equal(doc.services.node0.cpus, 2);
  assert.equal(doc.services.node0.environment?.NODE_OPTIONS, "--max-old-space-size=768");
  assert.equal(doc.services.node4.mem_limit, undefined);
  const cfg = parseNodeConfig(JSON.parse(readFileSync(join(out, "node1", "node.json"), "utf8")));
  assert.deepEqual(cfg.p2p.peers, ["node0:9200", "node2:9202", "node3:9203", "node4:9204"]);
  assert.equal(cfg.p2p.host, "0.0.0.0");
  assert.ok(existsSync(join(out, "node1", "validator.key.json")));
  assert.equal(existsSync(join(out, "node4", "validator.key.json")), false);
  assert.equal(existsSync(join(out, "ca")), false, "the CA key stays home");
  assert.match(readFileSync(join(out, "image", "Dockerfile"), "utf8"), /^FROM node:20/m);
  const readme = readFileSync(join(out, "README.md"), "utf8");
  assert.match(readme, /p2p\.peers/);
  assert.match(readme, /docker compose up -d --build nodeN/);
  assert.equal(r.nodes.length, 5);
});

test("systemd export: a unit per node naming its home, with limits, env and install script", () => {
  const out = join(root, "systemd");
  exportSystemd(net.dir, "exp", net.info, out);
  for (const n of ["node0", "node1", "node2", "node3", "node4"]) {
    const unit = readFileSync(join(out, n, `civitas-${n}.service`), "utf8");
    assert.match(unit, new RegExp(`^ExecStart=/usr/bin/env civitas start --home /var/lib/civitas/${n} --passphrase-file /etc/civitas/${n}\\.passphrase$`, "m"));
    assert.match(unit, new RegExp(`^EnvironmentFile=/etc/civitas/${n}\\.env$`, "m"));
    assert.match(readFileSync(join(out, n, "install.sh"), "utf8"), new RegExp(`cp -r home /var/lib/civitas/${n}`));
    assert.ok(existsSync(join(out, n, "home", "genesis.json")));
    assert.equal(existsSync(join(out, n, "home", "node.log")), false);
  }
  const unit0 = readFileSync(join(out, "node0", "civitas-node0.service"), "utf8");
  assert.match(unit0, /^MemoryMax=1024M$/m);
  assert.match(unit0, /^CPUQuota=200%$/m);
  assert.doesNotMatch(readFileSync(join(out, "node4", "civitas-node4.service"), "utf8"), /MemoryMax/);
  const peers = parseNodeConfig(JSON.parse(readFileSync(join(out, "node0", "home", "node.json"), "utf8"))).p2p.peers;
  assert.deepEqual(peers, ["node1.exp.internal:9201", "node2.exp.internal:9202", "node3.exp.internal:9203", "node4.exp.internal:9204"]);
  assert.match(readFileSync(join(out, "README.md"), "utf8"), /nodeK\.exp\.internal/);
});
