/**
 * Node certificate revocation in the identity module: by serial (authority only, once), and by
 * deactivating the node's DID; `nodeCertRefusal` is what every node's p2p handshake consults.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "../../src/util/errors.js";
import { nodeCertRefusal } from "../../src/modules/identity/index.js";
import { did, documentJson, failed, identityState, keyAccount, ok, reader, run, withChain } from "./identity-helpers.js";

test("revokeNodeCertificate: authority only, once; the refusal names serial, height and reason; a deactivated node DID refuses all its certificates", async () => {
  await withChain(async (d, f) => {
    await d.produce();
    const authority = f.wallets[0];
    const stranger = f.wallets[1];
    const read = reader(d);
    const serial = "5a0f3c";
    const nodeDid = did("node7");
    assert.equal(nodeCertRefusal(read, { serial, did: nodeDid }), undefined, "nothing revoked yet");

    const before = identityState(d);
    failed(await run(d, stranger, "revokeNodeCertificate", { serial, reason: "mine now" }), ErrorCode.EXEC_UNAUTHORIZED, /authority/);
    assert.deepEqual(identityState(d), before, "a refused revocation writes nothing");
    assert.equal(nodeCertRefusal(read, { serial }), undefined);

    // Leading zero bytes (as DER may print a serial) name the same certificate.
    const r = await run(d, authority, "revokeNodeCertificate", { serial: "00" + serial, reason: "decommissioned" });
    ok(r);
    assert.deepEqual(r.events.map((e) => e.type), ["NodeCertificateRevoked"]);
    const height = d.chain.head().height;
    assert.equal(nodeCertRefusal(read, { serial }), `serial ${serial} revoked at height ${height}: decommissioned`);
    assert.deepEqual(d.chain.query("identity", "nodeCertificate", { serial }).value, { reason: "decommissioned", by: authority.address, height, time: d.chain.head().time });
    failed(await run(d, authority, "revokeNodeCertificate", { serial, reason: "again" }), ErrorCode.EXEC_INVALID, /already revoked/);
    assert.equal(nodeCertRefusal(read, { serial: "77" }), undefined, "another serial is untouched");

    // Deactivating the node's DID revokes every certificate issued to it.
    const nodeKey = keyAccount(f);
    ok(await run(d, authority, "createDid", { did: nodeDid, kind: "node", document: documentJson([nodeKey.publicKey]) }));
    assert.equal(nodeCertRefusal(read, { serial: "77", did: nodeDid }), undefined, "an active node DID");
    ok(await run(d, authority, "deactivateDid", { did: nodeDid, reason: "node retired" }));
    assert.equal(nodeCertRefusal(read, { serial: "77", did: nodeDid }), `its DID ${nodeDid} is deactivated`);
    assert.equal(nodeCertRefusal(read, { serial: "77", did: did("unknown-node") }), undefined, "a DID never created refuses nothing");
  });
});
