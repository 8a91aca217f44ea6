/**
 * Equivocation end to end, on 4 real validator nodes (`CivitasNode` with LMDB, WAL, mutual-TLS
 * p2p on loopback, tx gossip; homes written by `createNetwork` in a tmp folder): the key of one
 * validator signs two different prevotes and two different precommits for the same height and
 * round, and they are fed to an honest node's engine as wire messages from a peer. The honest
 * node turns the conflict into a `validators.reportEvidence` transaction, the evidence ends up in
 * the state of every node with its Equivocation event, and the chain keeps committing. Two
 * conflicts detected at once (prevotes and precommits of one height) must both be recorded.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { BftEngine } from "../../src/consensus/bft/engine.js";
import type { SignedVote } from "../../src/consensus/bft/messages.js";
import { encodeWire } from "../../src/consensus/bft/wire.js";
import { getNodeSuite } from "../../src/crypto/node-suites.js";
import type { Vote } from "../../src/ledger/block.js";
import { blockHash, decodeSignedVote, voteSigningMessage } from "../../src/ledger/block.js";
import { loadHome, loadValidatorKey } from "../../src/node/home.js";
import { createNetwork } from "../../src/node/network.js";
import type { NetworkInfo } from "../../src/node/network.js";
import { CivitasNode } from "../../src/node/node.js";
import { fromHex, toHex } from "../../src/util/bytes.js";

const suite = getNodeSuite("ed25519-sha256");
const PASSPHRASE = "bft-evidence-test";

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((resolve) => { const s = createServer(); s.listen(0, "127.0.0.1", () => resolve(s)); })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

async function waitFor(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

interface Running {
  node: CivitasNode;
  secretKey: Uint8Array;
  address: string;
  logs: Array<{ msg: string; [k: string]: unknown }>;
}

/** Starts node i of a network folder with the given p2p ports (API on a random port), logging warnings into `logs`. */
async function startNode(dir: string, info: NetworkInfo, i: number, ports: number[]): Promise<Running> {
  const home = loadHome(join(dir, info.nodes[i].home));
  const config = {
    ...home.config,
    api: { ...home.config.api, host: "127.0.0.1", port: 0 },
    p2p: { ...home.config.p2p, host: "127.0.0.1", port: ports[i], peers: ports.filter((_, j) => j !== i).map((p) => `127.0.0.1:${p}`) },
    verifyWorkers: 1,
  };
  const secretKey = loadValidatorKey(home, PASSPHRASE);
  const logs: Running["logs"] = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => void logs.push(JSON.parse(line) as Running["logs"][number]) });
  const node = await CivitasNode.start({ config, genesis: home.genesis, dataPath: home.dataPath, home: home.dir, secretKey, logger });
  return { node, secretKey, address: suite.address(suite.publicKeyFromSecret(secretKey)), logs };
}

function signVote(secretKey: Uint8Array, v: Vote): SignedVote {
  return { vote: v, signature: suite.sign(voteSigningMessage(v), secretKey) };
}

type EvidenceRecord = { first: string; second: string; reporter: string; reportedAt: number };

describe("equivocation evidence on 4 real validator nodes", { timeout: 180_000 }, () => {
  let dir = "";
  let info: NetworkInfo;
  const nodes: Running[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "civitas-evidence-"));
    info = await createNetwork({
      dir,
      chainId: "evidence-test",
      validators: 4,
      fullNodes: 0,
      host: "127.0.0.1",
      apiBasePort: 20_000,
      p2pBasePort: 21_000,
      passphrase: PASSPHRASE,
      accounts: ["authority"],
      balance: "1000",
      genesis: { blockIntervalMs: 50, createEmptyBlocks: true },
      consensus: { timeoutProposeMs: 600, timeoutProposeDeltaMs: 100, timeoutPrevoteMs: 300, timeoutPrevoteDeltaMs: 100, timeoutPrecommitMs: 300, timeoutPrecommitDeltaMs: 100, gossipMs: 200, statusMs: 200 },
      scryptN: 1024,
      logLevel: "silent",
      verifyWorkers: 1,
    });
    const ports = await freePorts(4);
    for (let i = 0; i < 4; i++) nodes.push(await startNode(dir, info, i, ports));
    await waitFor("height 3 on all nodes", () => nodes.every((n) => n.node.chain.head().height >= 3));
  });

  after(async () => {
    for (const n of nodes) await n.node.stop().catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Signs, with node 3's key, two votes of each `type` for different blocks at the honest node's
   * current height, round 0, and feeds them to node 0's engine as wire messages arriving on node
   * 3's connection (node 3 keeps running and voting honestly: its key is also in other hands).
   */
  function equivocate(types: Vote["type"][]): { h: number; injected: SignedVote[] } {
    const [honest, , , byzantine] = nodes;
    const engine = honest.node.engine;
    assert.ok(engine instanceof BftEngine, "a BFT chain runs the BFT engine");
    const h = honest.node.chain.head().height + 1;
    const validator = fromHex(byzantine.address);
    const injected = types.flatMap((type, i) =>
      [1, 2].map((k) => signVote(byzantine.secretKey, { chain: info.chainId, type, height: h, round: 0, blockHash: new Uint8Array(32).fill(16 * (i + 1) + k), time: Date.now(), validator })),
    );
    for (const v of injected) engine.onMessage(info.nodes[3].nodeId, encodeWire({ t: "vote", vote: v }));
    return { h, injected };
  }

  const evidence = (n: Running, h: number, type: Vote["type"]): EvidenceRecord | null =>
    n.node.chain.query("validators", "evidence", { address: nodes[3].address, height: h, round: 0, type }).value as EvidenceRecord | null;

  function diagnose(h: number): string {
    return JSON.stringify({ h, heads: nodes.map((n) => n.node.chain.head().height), mempools: nodes.map((n) => n.node.mempool.size), stats: nodes[0].node.engine.status(), logs: nodes.map((n) => n.logs.map((l) => `${l.msg} ${String(l.code ?? "")} ${String(l.message ?? "")}`.trim())) });
  }

  /** The record of (node 3, h, 0, type) is the same on every node and holds two conflicting, validly signed votes, one of them injected. */
  function checkRecord(h: number, type: Vote["type"], injected: SignedVote[]): void {
    const byzantine = nodes[3];
    const rec = evidence(nodes[0], h, type);
    assert.ok(rec, `${type} evidence at height ${h} is recorded`);
    for (const n of nodes) assert.deepEqual(evidence(n, h, type), rec, `${type} evidence is the same on every node`);
    assert.ok(nodes.some((n) => n.address === rec.reporter), `reported by a validator node (${rec.reporter})`);
    assert.ok(rec.reportedAt >= h, "reported at or after the height of the votes");
    const [a, b] = [decodeSignedVote(fromHex(rec.first)), decodeSignedVote(fromHex(rec.second))];
    for (const sv of [a, b]) {
      assert.deepEqual([sv.vote.height, sv.vote.round, sv.vote.type, "0x" + toHex(sv.vote.validator)], [h, 0, type, byzantine.address]);
      assert.ok(suite.verify(voteSigningMessage(sv.vote), sv.signature, suite.publicKeyFromSecret(byzantine.secretKey)), "a recorded vote verifies under the equivocator's key");
    }
    assert.notDeepEqual(a.vote.blockHash, b.vote.blockHash, "the recorded votes are for different blocks");
    const ours = injected.filter((v) => v.vote.type === type).map((v) => toHex(v.vote.blockHash));
    assert.ok(ours.includes(toHex(a.vote.blockHash)) || ours.includes(toHex(b.vote.blockHash)), "at least one injected vote is in the record");
  }

  /** Equivocation events of node 3 at height h, as indexed by `node`, with their receipts checked. */
  function indexedEvents(n: Running, h: number): string[] {
    return n.node.chain.store
      .eventsOfType("validators.Equivocation", 1000)
      .map((e) => {
        const tx = n.node.chain.getTx(e.txHash);
        assert.ok(tx, "the indexed transaction exists");
        assert.equal(tx.receipt.status, "ok");
        const ev = tx.receipt.events[e.eventIndex ?? -1];
        assert.ok(ev, "the indexed event exists in its receipt");
        return ev;
      })
      .filter((ev) => ev.attrs.validator === nodes[3].address && ev.attrs.height === h)
      .map((ev) => String(ev.attrs.type));
  }

  async function keepsCommitting(): Promise<void> {
    const at = Math.max(...nodes.map((n) => n.node.chain.head().height));
    await waitFor("3 more blocks on all nodes", () => nodes.every((n) => n.node.chain.head().height >= at + 3));
    const top = Math.min(...nodes.map((n) => n.node.chain.head().height));
    for (let x = 1; x <= top; x++) {
      const hashes = new Set(nodes.map((n) => toHex(blockHash(suite, n.node.chain.getBlock(x)!.header))));
      assert.equal(hashes.size, 1, `height ${x}: nodes disagree`);
    }
  }

  test("two different prevotes of one validator for one height and round: evidence and an Equivocation event on every node, and the chain keeps committing", async () => {
    const engine = nodes[0].node.engine as BftEngine;
    const detected = engine.status().stats.evidence ?? 0;
    const { h, injected } = equivocate(["prevote"]);
    await waitFor("prevote evidence on all nodes", () => nodes.every((n) => evidence(n, h, "prevote") !== null), 60_000).catch((e: Error) => {
      throw new Error(`${e.message}: ${diagnose(h)}`);
    });
    assert.ok((engine.status().stats.evidence ?? 0) > detected, "the honest engine detected the conflict");
    assert.ok(nodes[0].logs.some((l) => l.msg === "submitted equivocation evidence"), "the honest node submitted an evidence transaction");
    checkRecord(h, "prevote", injected);
    for (const n of nodes) assert.deepEqual(indexedEvents(n, h), ["prevote"], "one Equivocation event per node");
    await keepsCommitting();
  });

  test("conflicting prevotes and precommits detected at once: both are recorded (one evidence transaction each)", async () => {
    const { h, injected } = equivocate(["prevote", "precommit"]);
    await waitFor("prevote and precommit evidence on all nodes", () => nodes.every((n) => evidence(n, h, "prevote") !== null && evidence(n, h, "precommit") !== null), 30_000).catch((e: Error) => {
      throw new Error(`${e.message}: ${diagnose(h)}`);
    });
    checkRecord(h, "prevote", injected);
    checkRecord(h, "precommit", injected);
    for (const n of nodes) assert.deepEqual(indexedEvents(n, h).sort(), ["precommit", "prevote"]);
    await keepsCommitting();
  });
});
