import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkNodeTls, createNetworkCa, issueNodeCert, nodeIdOfCert, readNodeTls, writeNodeTls } from "../../src/p2p/certs.js";
import { FrameDecoder, frameHeader } from "../../src/p2p/frame.js";
import { ErrorCode } from "../../src/util/errors.js";
import type { CivitasError } from "../../src/util/errors.js";

test("certs: CA and node certificate round trip, stable 40-hex node id, foreign CA does not verify", async () => {
  const ca = await createNetworkCa({ name: "Civitas test network" });
  const node = await issueNodeCert(ca, { nodeName: "node0" });
  const caCert = new X509Certificate(ca.certPem);
  const cert = new X509Certificate(node.certPem);
  assert.ok(caCert.ca);
  assert.ok(!cert.ca);
  assert.match(cert.subject, /CN=node0/);
  assert.ok(cert.checkIssued(caCert));
  assert.ok(cert.verify(caCert.publicKey));
  assert.ok(cert.checkPrivateKey(createPrivateKey(node.keyPem)));
  assert.equal(createPrivateKey(node.keyPem).asymmetricKeyDetails?.namedCurve, "prime256v1");
  assert.match(node.keyPem, /^-----BEGIN PRIVATE KEY-----/);

  assert.match(node.nodeId, /^[0-9a-f]{40}$/);
  assert.equal(nodeIdOfCert(node.certPem), node.nodeId);
  assert.equal(nodeIdOfCert(new Uint8Array(cert.raw)), node.nodeId);
  assert.equal(checkNodeTls({ caPem: ca.certPem, certPem: node.certPem, keyPem: node.keyPem }), node.nodeId);
  const other = await issueNodeCert(ca, { nodeName: "node1" });
  assert.notEqual(other.nodeId, node.nodeId);

  const foreignCa = await createNetworkCa({ name: "Civitas test network" });
  const foreign = await issueNodeCert(foreignCa, { nodeName: "node0" });
  const foreignCert = new X509Certificate(foreign.certPem);
  assert.equal(foreignCert.verify(caCert.publicKey), false);
  assert.throws(() => checkNodeTls({ caPem: ca.certPem, certPem: foreign.certPem, keyPem: foreign.keyPem }), (e: CivitasError) => e.code === ErrorCode.P2P_TLS_INVALID && /not issued by the network CA/.test(e.message));
  assert.throws(() => checkNodeTls({ caPem: ca.certPem, certPem: node.certPem, keyPem: other.keyPem }), /does not belong/);

  const dir = mkdtempSync(join(tmpdir(), "civitas-p2p-"));
  try {
    writeNodeTls(dir, ca, node);
    assert.throws(() => statSync(join(dir, "ca.key")));
    assert.equal(statSync(join(dir, "node.key")).mode & 0o777, 0o600);
    assert.deepEqual(readNodeTls(dir), { caPem: ca.certPem, certPem: node.certPem, keyPem: node.keyPem, nodeId: node.nodeId });
    writeFileSync(join(dir, "ca.key"), "x", { mode: 0o644 });
    writeNodeTls(dir, ca, node, true);
    assert.equal(statSync(join(dir, "ca.key")).mode & 0o777, 0o600);
    rmSync(join(dir, "node.crt"));
    assert.throws(() => readNodeTls(dir), (e: CivitasError) => e.code === ErrorCode.P2P_TLS_INVALID);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function frame(payload: Buffer): Buffer {
  return Buffer.concat([frameHeader(payload.length), payload]);
}

test("frame decoder: byte by byte, merged chunks, zero-copy within a chunk, limits", () => {
  const payloads = [Buffer.from([1]), Buffer.from("hello, civitas"), Buffer.alloc(70_000, 7), Buffer.from([0, 0, 0, 0])];
  const stream = Buffer.concat(payloads.map(frame));

  const d1 = new FrameDecoder(100_000);
  const got: Buffer[] = [];
  for (let i = 0; i < stream.length; i++) got.push(...d1.push(stream.subarray(i, i + 1)));
  assert.deepEqual(got, payloads);
  assert.equal(d1.pending, 0);

  const d2 = new FrameDecoder(100_000);
  const all = d2.push(stream);
  assert.deepEqual(all, payloads);
  assert.equal(all[1].buffer, stream.buffer, "a frame inside one chunk is a view, not a copy");

  // Irregular chunking, including splits inside headers.
  const d3 = new FrameDecoder(100_000);
  const got3: Buffer[] = [];
  for (let i = 0, k = 1; i < stream.length; i += k, k = (k * 7 + 3) % 5000 || 1) got3.push(...d3.push(stream.subarray(i, i + k)));
  assert.deepEqual(got3, payloads);

  const tooBig = new FrameDecoder(1000);
  assert.throws(() => tooBig.push(Buffer.from([0x80, 0, 0, 0])), (e: CivitasError) => e.code === ErrorCode.P2P_FRAME_TOO_LARGE);
  assert.throws(() => new FrameDecoder(1000).push(frameHeader(1001)), (e: CivitasError) => e.code === ErrorCode.P2P_FRAME_TOO_LARGE);
  assert.deepEqual(new FrameDecoder(1000).push(frame(Buffer.alloc(1000))).length, 1);
  assert.throws(() => new FrameDecoder(1000).push(Buffer.from([0, 0, 0, 0])), (e: CivitasError) => e.code === ErrorCode.P2P_BAD_FRAME);
});
