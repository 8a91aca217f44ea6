import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { connect } from "node:tls";
import type { TLSSocket } from "node:tls";
import { randomBytes } from "node:crypto";
import { pino } from "pino";
import { P2PNode } from "../../src/p2p/p2p-node.js";
import type { P2POptions, Refusal } from "../../src/p2p/p2p-node.js";
import { createNetworkCa, issueNodeCert, peerCertInfo } from "../../src/p2p/certs.js";
import type { NetworkCa, NodeCert, PeerCertInfo } from "../../src/p2p/certs.js";
import { controlFrame, FrameType, helloFrame } from "../../src/p2p/messages.js";
import { frameHeader } from "../../src/p2p/frame.js";

const GENESIS = new Uint8Array(32).fill(0xab);
const CHAIN = "civitas-test";

let caPromise: Promise<NetworkCa> | undefined;
const certCache = new Map<string, Promise<NodeCert>>();
const ca = (): Promise<NetworkCa> => (caPromise ??= createNetworkCa({ name: "p2p test network" }));
function certFor(name: string): Promise<NodeCert> {
  let p = certCache.get(name);
  if (!p) certCache.set(name, (p = ca().then((c) => issueNodeCert(c, { nodeName: name }))));
  return p;
}

interface Harness {
  node: P2PNode;
  id: string;
  addr: string;
  events: string[];
  msgs: { from: string; payload: Uint8Array }[];
  refusals: Refusal[];
  logs: { level: number; msg: string }[];
}

type StartOpts = Partial<Omit<P2POptions, "tls" | "hello">> & { port?: number; caPem?: string; hello?: Partial<P2POptions["hello"]> };

async function startNode(cert: NodeCert, o: StartOpts = {}): Promise<Harness> {
  const logs: Harness["logs"] = [];
  const logger = pino({ level: "debug" }, { write: (s: string) => void logs.push(JSON.parse(s) as { level: number; msg: string }) });
  const { port, caPem, hello, ...rest } = o;
  const node = await P2PNode.start({
    listen: { host: "127.0.0.1", port: port ?? 0 },
    peers: [],
    tls: { caPem: caPem ?? (await ca()).certPem, certPem: cert.certPem, keyPem: cert.keyPem },
    hello: { chainId: CHAIN, genesisHash: GENESIS, role: "validator", version: "test", ...hello },
    maxFrameBytes: 8 * 1024 * 1024,
    logger,
    ...rest,
  });
  const h: Harness = { node, id: node.nodeId, addr: `127.0.0.1:${node.address().port}`, events: [], msgs: [], refusals: [], logs };
  node.onPeer((id, ev) => h.events.push(`${ev}:${id}`));
  node.onMessage((from, payload) => h.msgs.push({ from, payload: Uint8Array.from(payload) }));
  node.onRefused((r) => h.refusals.push(r));
  return h;
}

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((resolve) => { const s = createServer(); s.listen(0, "127.0.0.1", () => resolve(s)); })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

async function waitFor(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const ids = (h: Harness): string[] => h.node.peers().map((p) => p.id).sort();
const count = (h: Harness, ev: string): number => h.events.filter((e) => e === ev).length;

async function stopAll(hs: (Harness | undefined)[]): Promise<void> {
  await Promise.all(hs.map((h) => h?.node.stop()));
}

/** A TLS client that skips the node and writes whatever the test wants. */
async function rawClient(cert: NodeCert, port: number): Promise<TLSSocket> {
  const s = connect({ host: "127.0.0.1", port, key: cert.keyPem, cert: cert.certPem, ca: [(await ca()).certPem], minVersion: "TLSv1.3", checkServerIdentity: () => undefined });
  s.on("error", () => {});
  s.resume(); // read (and discard) so the server's bye and FIN are noticed
  const done = new Promise<void>((r) => s.once("close", () => r()));
  closedOf.set(s, done);
  await new Promise<void>((resolve, reject) => {
    s.once("secureConnect", () => resolve());
    void done.then(() => reject(new Error("closed before secureConnect")));
  });
  return s;
}
const closedOf = new WeakMap<TLSSocket, Promise<void>>();
const closed = (s: TLSSocket): Promise<void> => closedOf.get(s)!;

test("p2p: three nodes connect, broadcast once, send to one, 5 MB payload intact", async () => {
  const [pa, pb, pc] = await freePorts(3);
  const all = [`127.0.0.1:${pa}`, `127.0.0.1:${pb}`, `127.0.0.1:${pc}`];
  const hs: Harness[] = [];
  try {
    // Every node lists all three, itself included: the self connection must be dropped quietly.
    hs.push(await startNode(await certFor("a"), { port: pa, peers: all }));
    hs.push(await startNode(await certFor("b"), { port: pb, peers: all }));
    hs.push(await startNode(await certFor("c"), { port: pc, peers: all }));
    const [a, b, c] = hs;
    await waitFor(() => hs.every((h) => h.node.peers().length === 2), "full mesh");
    assert.deepEqual(ids(a), [b.id, c.id].sort());
    assert.deepEqual(ids(b), [a.id, c.id].sort());

    a.node.broadcast(Buffer.from("to everyone"));
    assert.equal(a.node.send(c.id, Buffer.from("only c")), true);
    assert.equal(a.node.send("00".repeat(20), Buffer.from("nobody")), false);
    const big = randomBytes(5 * 1024 * 1024);
    b.node.broadcast(big);
    await waitFor(() => b.msgs.length === 1 && c.msgs.length === 3 && a.msgs.length === 1, "deliveries");
    await sleep(100);
    assert.deepEqual(b.msgs.map((m) => [m.from, Buffer.from(m.payload).toString()]), [[a.id, "to everyone"]]);
    assert.deepEqual(c.msgs.filter((m) => m.from === a.id).map((m) => Buffer.from(m.payload).toString()), ["to everyone", "only c"]);
    for (const h of [a, c]) {
      const got = h.msgs.filter((m) => m.from === b.id);
      assert.equal(got.length, 1);
      assert.ok(Buffer.from(got[0].payload).equals(big), "5 MB payload arrives intact");
    }
    assert.throws(() => a.node.broadcast(new Uint8Array(8 * 1024 * 1024)), /exceeds maxFrameBytes/);
    const pa2b = a.node.peers().find((p) => p.id === b.id)!;
    assert.ok(pa2b.framesOut >= 1 && pa2b.bytesIn > 0 && pa2b.role === "validator");
    for (const h of hs) assert.equal(h.events.filter((e) => e.startsWith("down")).length, 0);
  } finally {
    await stopAll(hs);
  }
});

test("p2p: a node whose certificate comes from another CA is refused during TLS", async () => {
  const foreignCa = await createNetworkCa({ name: "p2p test network" });
  const foreignCert = await issueNodeCert(foreignCa, { nodeName: "a" });
  const [pa, pf] = await freePorts(2);
  let a: Harness | undefined, f: Harness | undefined;
  try {
    a = await startNode(await certFor("a"), { port: pa, peers: [`127.0.0.1:${pf}`] });
    f = await startNode(foreignCert, { port: pf, caPem: foreignCa.certPem, peers: [`127.0.0.1:${pa}`] });
    const good = a;
    await waitFor(() => good.node.stats().refusedHandshakes >= 2, "refusals on the good node");
    await sleep(300);
    assert.deepEqual(a.events, []);
    assert.deepEqual(f.events, []);
    assert.ok(a.refusals.some((r) => r.by === "us" && /TLS/.test(r.message)), "the good node refused the foreign certificate");
    assert.ok(a.logs.some((l) => l.level === 40 && /refused|failed/.test(l.msg)));
  } finally {
    await stopAll([a, f]);
  }
});

test("p2p: wrong genesis or chain id is refused with a visible reason", async () => {
  let a: Harness | undefined, g: Harness | undefined, c: Harness | undefined;
  try {
    a = await startNode(await certFor("a"));
    g = await startNode(await certFor("g"), { peers: [a.addr], hello: { genesisHash: new Uint8Array(32).fill(0xcd) } });
    c = await startNode(await certFor("c"), { peers: [a.addr], hello: { chainId: "another-chain" } });
    const [ga, gg, gc] = [a, g, c];
    await waitFor(() => ga.node.stats().refusedHandshakes >= 2 && gg.refusals.length > 0 && gc.refusals.length > 0, "refusals");
    assert.deepEqual(a.events, []);
    assert.deepEqual(g.events, []);
    assert.equal(a.node.peers().length, 0);
    assert.ok(a.refusals.every((r) => r.code === "P2P_GENESIS_MISMATCH"));
    assert.ok(g.refusals.some((r) => r.code === "P2P_GENESIS_MISMATCH"));
    const errors = a.logs.filter((l) => l.level === 50).map((l) => l.msg);
    assert.ok(errors.some((m) => m.includes(`peer ${gg.id}`) && m.includes("is on another network: genesis " + "cd".repeat(32)) && m.includes("ab".repeat(32))), errors.join("\n"));
    assert.ok(errors.some((m) => m.includes("chain 'another-chain'")));
    // The operator of the misconfigured node sees it in its own log too.
    assert.ok(g.logs.some((l) => l.level === 50 && /another network/.test(l.msg)));
  } finally {
    await stopAll([a, g, c]);
  }
});

test("p2p: garbage after TLS bans that peer while the node keeps serving the others", async () => {
  let a: Harness | undefined, b: Harness | undefined;
  try {
    a = await startNode(await certFor("a"));
    b = await startNode(await certFor("b"), { peers: [a.addr] });
    const [ga, gb] = [a, b];
    await waitFor(() => ga.node.peers().length === 1 && gb.node.peers().length === 1, "a-b connected");
    const port = Number(a.addr.split(":")[1]);
    const attacks: [string, Buffer][] = [
      ["x1", Buffer.concat([frameHeader(2 ** 31), randomBytes(64)])],
      ["x2", Buffer.concat([Buffer.from([0xff]), randomBytes(200)])],
      ["x3", Buffer.concat([frameHeader(3), Buffer.from([FrameType.APP, 1, 2])])],
      ["x4", controlFrame(FrameType.HELLO, randomBytes(40))],
    ];
    for (const [name, bytes] of attacks) {
      const s = await rawClient(await certFor(name), port);
      s.write(bytes);
      await closed(s);
    }
    const stats = a.node.stats();
    assert.equal(stats.badFrames, 4);
    for (const [name] of attacks) assert.ok(stats.bannedIds.includes((await certFor(name)).nodeId), `${name} banned`);
    // A banned id is refused right after TLS, before it can say anything.
    const again = await rawClient(await certFor("x1"), port);
    await closed(again);
    assert.ok(a.refusals.some((r) => r.code === "P2P_BANNED"));

    assert.deepEqual(ids(a), [b.id]);
    a.node.broadcast(Buffer.from("still here"));
    await waitFor(() => gb.msgs.length === 1, "broadcast after the attack");
    assert.deepEqual(a.events, [`up:${b.id}`]);
  } finally {
    await stopAll([a, b]);
  }
});

test("p2p: penalize() to the limit disconnects and bans; the peer comes back after banMs", async () => {
  const [pa, pb] = await freePorts(2);
  let a: Harness | undefined, b: Harness | undefined;
  try {
    a = await startNode(await certFor("a"), { port: pa, peers: [`127.0.0.1:${pb}`], banMs: 300, scoreLimit: 100 });
    b = await startNode(await certFor("b"), { port: pb, peers: [`127.0.0.1:${pa}`], banMs: 300 });
    const [ga, gb] = [a, b];
    await waitFor(() => ga.node.peers().length === 1 && gb.node.peers().length === 1, "connected");
    a.node.penalize(b.id, 60, "invalid vote signature");
    await sleep(50);
    assert.equal(a.node.peers()[0].score, 60);
    assert.equal(count(a, `down:${b.id}`), 0);
    const bannedAt = Date.now();
    a.node.penalize(b.id, 40, "invalid vote signature");
    assert.deepEqual(a.node.stats().bannedIds, [b.id]);
    await waitFor(() => count(ga, `down:${gb.id}`) === 1 && count(gb, `down:${ga.id}`) === 1, "down on both sides");
    await waitFor(() => count(ga, `up:${gb.id}`) === 2 && count(gb, `up:${ga.id}`) === 2, "reconnected after the ban", 5000);
    assert.ok(Date.now() - bannedAt >= 300, "not before the ban ends");
    assert.equal(a.node.peers()[0].score, 0, "a ban wipes the score");
    assert.ok(b.refusals.some((r) => r.by === "peer" && r.code === "P2P_BANNED") || b.logs.some((l) => /P2P_BANNED/.test(l.msg)));
  } finally {
    await stopAll([a, b]);
  }
});

test("p2p: a restarted node (same cert and port) is redialled and comes up again", async () => {
  const [pa, pb, pc] = await freePorts(3);
  const all = [`127.0.0.1:${pa}`, `127.0.0.1:${pb}`, `127.0.0.1:${pc}`];
  let a: Harness | undefined, b: Harness | undefined, c: Harness | undefined;
  try {
    a = await startNode(await certFor("a"), { port: pa, peers: all });
    b = await startNode(await certFor("b"), { port: pb, peers: all });
    c = await startNode(await certFor("c"), { port: pc, peers: all });
    const [ga, gb, gc] = [a, b, c];
    await waitFor(() => [ga, gb, gc].every((h) => h.node.peers().length === 2), "mesh");
    await c.node.stop();
    await waitFor(() => count(ga, `down:${gc.id}`) === 1 && count(gb, `down:${gc.id}`) === 1, "down");
    // The restarted node lists nobody: the others must find it by redialling.
    c = await startNode(await certFor("c"), { port: pc, peers: [] });
    await waitFor(() => count(ga, `up:${gc.id}`) === 2 && count(gb, `up:${gc.id}`) === 2, "up again");
    const gc2 = c;
    await waitFor(() => gc2.node.peers().length === 2, "restarted node sees both");
    b.node.send(c.id, Buffer.from("welcome back"));
    await waitFor(() => gc2.msgs.length === 1, "message to the restarted node");
  } finally {
    await stopAll([a, b, c]);
  }
});

test("p2p: simultaneous dial leaves exactly one connection, no flapping", async () => {
  for (let round = 0; round < 3; round++) {
    const [pa, pb] = await freePorts(2);
    let a: Harness | undefined, b: Harness | undefined;
    try {
      [a, b] = await Promise.all([
        startNode(await certFor("a"), { port: pa, peers: [`127.0.0.1:${pb}`] }),
        startNode(await certFor("b"), { port: pb, peers: [`127.0.0.1:${pa}`] }),
      ]);
      const [ga, gb] = [a, b];
      await waitFor(() => ga.node.peers().length === 1 && gb.node.peers().length === 1, "connected");
      await sleep(1000);
      assert.equal(a.node.peers().length, 1);
      assert.equal(b.node.peers().length, 1);
      assert.deepEqual(a.events, [`up:${b.id}`]);
      assert.deepEqual(b.events, [`up:${a.id}`]);
      // Both ends kept the same connection: the one dialled by the smaller node id.
      const [pA, pB] = [a.node.peers()[0], b.node.peers()[0]];
      assert.notEqual(pA.direction, pB.direction);
      assert.equal(pA.direction, a.id < b.id ? "out" : "in");
      a.node.send(b.id, Buffer.from("ping"));
      await waitFor(() => gb.msgs.length === 1, "message over the kept connection");
    } finally {
      await stopAll([a, b]);
    }
  }
});

test("p2p: a silent peer is dropped by keepalive", async () => {
  let a: Harness | undefined;
  try {
    a = await startNode(await certFor("a"), { pingIntervalMs: 100, idleTimeoutMs: 400 });
    const s = await rawClient(await certFor("mute"), Number(a.addr.split(":")[1]));
    s.write(helloFrame({ chainId: CHAIN, genesisHash: GENESIS, role: "full", version: "mute" }));
    const mute = (await certFor("mute")).nodeId;
    const ga = a;
    await waitFor(() => count(ga, `up:${mute}`) === 1, "mute peer up");
    assert.equal(a.node.peers()[0].role, "full");
    const t0 = Date.now();
    await closed(s);
    assert.ok(Date.now() - t0 >= 250, "not dropped before the idle timeout");
    await waitFor(() => count(ga, `down:${mute}`) === 1, "mute peer down");
    assert.deepEqual(a.node.stats().bannedIds, [], "silence is not misbehaviour");
  } finally {
    await stopAll([a]);
  }
});

test("p2p: node certificates carry the node's DID; a revoked certificate is refused at the handshake and dropped when revoked later", async () => {
  const c = await ca();
  const rDid = "did:civitas:civitas-test:node-r";
  const rCert = await issueNodeCert(c, { nodeName: "r", did: rDid });
  assert.deepEqual(peerCertInfo(rCert.certPem).did, rDid);
  assert.equal(peerCertInfo((await certFor("a")).certPem).did, undefined, "a certificate without a DID has none");
  await assert.rejects(issueNodeCert(c, { nodeName: "x", did: "not a did" }), /not a DID/);

  const revoked = new Map<string, string>();
  const isRevoked = (p: PeerCertInfo): string | undefined => (p.did ? revoked.get(p.did) : undefined) ?? revoked.get(p.serial);
  let a: Harness | undefined, r: Harness | undefined, b: Harness | undefined;
  try {
    a = await startNode(await certFor("a"), { isRevoked });
    const ga = a;
    // Connected while valid; revoked afterwards: recheck drops it and redials are refused.
    r = await startNode(rCert, { peers: [a.addr] });
    b = await startNode(await certFor("b"), { peers: [a.addr] });
    const [gr, gb] = [r, b];
    await waitFor(() => ga.node.peers().length === 2, "both peers up");
    revoked.set(rDid, "key compromised");
    a.node.recheckRevocations();
    // The dropped node is told why (its log names the code and the reason).
    await waitFor(() => ga.node.peers().length === 1 && gr.logs.some((l) => l.msg.includes("P2P_CERT_REVOKED") && l.msg.includes("key compromised")), "the revoked node dropped");
    assert.deepEqual(a.node.peers().map((p) => p.id), [gb.id], "the other peer stays");
    // r keeps redialling: every handshake is refused, with the DID and the reason.
    const before = a.refusals.length;
    await waitFor(() => ga.refusals.length > before, "a refused redial");
    const refusal = a.refusals[a.refusals.length - 1];
    assert.equal(refusal.code, "P2P_CERT_REVOKED");
    assert.match(refusal.message, new RegExp(`${rDid}\\) is revoked: key compromised`));
    assert.equal(a.node.peers().length, 1);
    // Revocation by serial works for certificates without a DID.
    revoked.set(peerCertInfo((await certFor("b")).certPem).serial, "decommissioned");
    a.node.recheckRevocations();
    await waitFor(() => ga.node.peers().length === 0, "b dropped by serial");
  } finally {
    await stopAll([a, r, b]);
  }
});
