/**
 * Node identity (HSTP-DLT-CG 9.3): node certificates are issued to the node's DID, and the
 * chain authority revokes one on chain. On 4 real validator processes, the revoked node is
 * dropped by every peer after the block that revokes it and refused at every later handshake,
 * while the other three keep committing; a wrong revocation is refused and changes nothing.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CivitasClient } from "../../src/sdk/client.js";
import { readNodeTls } from "../../src/p2p/index.js";
import { peerCertInfo } from "../../src/p2p/certs.js";
import { nodeDid } from "../../src/node/network.js";
import { ProcNetwork } from "./helpers/proc-network.js";
import { getJson } from "./helpers/proc-node.js";

let net: ProcNetwork | undefined;
after(async () => {
  await net?.stopAll();
});

async function waitFor(what: string, cond: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond().catch(() => false))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

test("a node certificate revoked on chain is dropped and refused by every peer; the others keep committing", { timeout: 180_000 }, async () => {
  net = await ProcNetwork.create({ validators: 4, chainId: "node-revoke", accounts: ["authority", "alice"], balance: "1000000" });
  await net.startAll();
  const n = net;
  const clients = n.nodes.map((x) => new CivitasClient(x.api));
  const revokedNode = n.nodes[3];
  const cert = peerCertInfo(readNodeTls(join(revokedNode.home, "tls")).certPem);
  assert.equal(cert.did, nodeDid("node-revoke", revokedNode.name), "the certificate names the node's DID");
  const network = async (i: number): Promise<{ peers: Array<{ id: string }>; refusedHandshakes: number }> => ((await getJson(`${n.nodes[i].api}/v1/status`)).body as unknown as { network: { peers: Array<{ id: string }>; refusedHandshakes: number } }).network;
  const peerIds = async (i: number): Promise<string[]> => (await network(i)).peers.map((p) => p.id);
  const height = async (i: number): Promise<number> => (await clients[i].status()).head.height;
  await waitFor("all four connected", async () => (await Promise.all([0, 1, 2].map(peerIds))).every((ids) => ids.includes(revokedNode.nodeId)));

  const [authority, alice] = n.wallets;
  // Only the authority may revoke: alice's attempt fails and the node stays connected.
  const refused = await clients[0].send(alice, [{ module: "identity", method: "revokeNodeCertificate", args: { serial: cert.serial, reason: "not mine to revoke" } }]);
  assert.equal(refused.receipt?.status, "failed");
  assert.equal(refused.receipt?.code, "EXEC_UNAUTHORIZED");
  assert.ok((await peerIds(0)).includes(revokedNode.nodeId));

  const ok = await clients[0].send(authority, [{ module: "identity", method: "revokeNodeCertificate", args: { serial: cert.serial, reason: "decommissioned" } }]);
  assert.equal(ok.receipt?.status, "ok", JSON.stringify(ok.receipt));
  const revokedAt = ok.height!;
  // Another node answers once it has committed the revoking block too.
  await waitFor("node1 at the revoking height", async () => (await height(1)) >= revokedAt);
  const record = (await getJson(`${n.nodes[1].api}/v1/query/identity/nodeCertificate?serial=${cert.serial}`)).body as unknown as { value: { reason: string; height: number } };
  assert.equal(record.value.reason, "decommissioned");
  assert.equal(record.value.height, revokedAt);

  // Every honest node drops it, and its redials keep being refused.
  await waitFor("the revoked node dropped by all", async () => (await Promise.all([0, 1, 2].map(peerIds))).every((ids) => !ids.includes(revokedNode.nodeId)));
  await sleep(3_000);
  for (const i of [0, 1, 2]) assert.ok(!(await peerIds(i)).includes(revokedNode.nodeId), `node${i} let the revoked node back in`);
  assert.ok((await network(0)).refusedHandshakes > 0, "node0 counted refused handshakes");

  // The other three (3/4 of the power) keep committing; the revoked node falls behind.
  const h0 = await height(0);
  for (let k = 0; k < 3; k++) {
    const tx = await clients[k].send(alice, [{ module: "token", method: "transfer", args: { to: authority.address, amount: "5n" } }]);
    assert.equal(tx.receipt?.status, "ok");
  }
  await waitFor("three more blocks", async () => (await height(2)) >= h0 + 3);
  const h3 = await height(3);
  assert.ok(h3 <= revokedAt + 1, `the revoked node kept up to height ${h3} (revoked at ${revokedAt})`);
});
