/**
 * BFT under real faults (issue 3): 4 validator processes under steady transfer load, every
 * node-to-node link through a TCP proxy the test controls. In sequence on one network:
 *
 *   1. SIGKILL a validator, keep committing with 3 of 4, restart it: it catches up.
 *   2. SIGSTOP a validator for a few seconds, then SIGCONT: it catches up.
 *   3. A 2|2 partition: no block can gather a quorum, so the height moves at most one block (one
 *      already decided when the links went down); after healing, commits resume.
 *   4. SIGKILL a validator in the middle of a block commit: a few ms (seeded) after the observer
 *      sees a quorum of precommits for a block, or the victim's own precommit leave it; restart
 *      it. At least 4 times, up to 6 until 2 kills landed before the victim persisted the block
 *      (its restart height tells). Each run reports how many did.
 *
 * After each fault: commits resume within a bound; all 4 nodes reach the same height and agree
 * on every block hash (hence state root) up to it; every transaction a node acknowledged as
 * committed is on every node at the height it was acknowledged at; and no validator signed two
 * different block hashes for one (height, round, type) or two proposals for one round. Signed
 * votes come from the WALs (sampled every 50 ms and right after each kill), from every commit
 * certificate and lastCommit on every node, and from a passive p2p observer that sees every vote
 * as it is broadcast.
 *
 * Seeded: CIVITAS_TEST_SEED replays victims, durations and kill delays. Set
 * CIVITAS_KEEP_TEST_DIR=1 to keep the network folder (logs, WALs, chains) after a failure
 * (=always: after any run). A failure message carries the seed and each node's log tail.
 */
import { after, before, test } from "node:test";
import type { TestContext } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { getNodeSuite } from "../../src/crypto/node-suites.js";
import { genesisHash, genesisValidators } from "../../src/ledger/genesis.js";
import { parseGenesis } from "../../src/ledger/genesis.js";
import { fromHex, toHex } from "../../src/util/bytes.js";
import { voteSigningMessage } from "../../src/ledger/block.js";
import { VERSION } from "../../src/version.js";
import type { SignedVote } from "../../src/consensus/bft/messages.js";
import { LoadGenerator } from "./helpers/load.js";
import type { Ack } from "./helpers/load.js";
import { ProcNetwork } from "./helpers/proc-network.js";
import { getJson, killAll, mapLimit } from "./helpers/proc-node.js";
import { testRng } from "./helpers/proc-rand.js";
import { VoteLedger, VoteObserver, readWal } from "./helpers/bft-votes.js";

const N = 4;
const CHAIN = "bft-faults";
const SENDERS = 6;
/** Liveness bounds. With LOCAL_CONSENSUS timeouts a round takes ~2 s and p2p redials back off to 5 s. */
const RESUME_MS = 20_000;
const CATCH_UP_MS = 25_000;

const rng = testRng("bft-faults");
const suite = getNodeSuite("ed25519-sha256");
const started = Date.now();
let net: ProcNetwork | undefined;
let load: LoadGenerator | undefined;
let ledger: VoteLedger | undefined;
let observer: VoteObserver | undefined;
let sampler: NodeJS.Timeout | undefined;
let failed = false;

interface Header {
  hash: string;
  height: number;
  stateRoot: string;
}
type CommitJson = { height: number; round: number; blockHash: string; signatures: Array<{ validator: string; time: number; signature: string }> };

function theNet(): ProcNetwork {
  assert.ok(net, "network not created");
  return net;
}

function note(t: TestContext, msg: string): void {
  t.diagnostic(`[+${((Date.now() - started) / 1000).toFixed(1)} s] ${msg}`);
}

async function status(api: string): Promise<{ height: number; hash: string } | undefined> {
  try {
    const r = await getJson<{ head: { height: number; hash: string } }>(`${api}/v1/status`, 2_000);
    return r.status === 200 ? r.body.head : undefined;
  } catch {
    return undefined;
  }
}

async function heads(): Promise<Array<number | undefined>> {
  const n = theNet();
  return Promise.all(n.nodes.map(async (x) => (x.state === "up" ? (await status(x.api))?.height : undefined)));
}

/** height/round/step of each node's consensus, for diagnostics. */
async function consensusStates(): Promise<string[]> {
  return Promise.all(
    theNet().nodes.map(async (x) => {
      if (x.state !== "up") return `${x.name}:${x.state}`;
      try {
        const c = (await getJson<{ consensus: { height: number; round: number; step: string } }>(`${x.api}/v1/status`, 2_000)).body.consensus;
        return `${x.name}:${c.height}/${c.round}/${c.step}`;
      } catch {
        return `${x.name}:?`;
      }
    }),
  );
}

function sampleWals(): void {
  const n = net;
  const l = ledger;
  if (!n || !l) return;
  for (const x of n.nodes)
    readWal(
      x.walFile,
      (sv) => l.addVote(sv, `wal:${x.name}`),
      (p, sig) => l.addProposal(p, sig, `wal:${x.name}`),
    );
}

/** Every node up has passed `height` and some transaction was acknowledged above it. */
async function awaitProgress(t: TestContext, label: string, height: number, boundMs = RESUME_MS): Promise<void> {
  const l = load as LoadGenerator;
  const t0 = Date.now();
  const slowLog: string[] = [];
  let lastLog = t0;
  for (;;) {
    if (Date.now() - lastLog > 1_000) {
      lastLog = Date.now();
      slowLog.push(`+${lastLog - t0}ms ${(await consensusStates()).join(" ")}`);
    }
    const hs = await heads();
    const up = theNet().nodes.filter((x) => x.state === "up");
    const ackAbove = l.list().some((a) => a.height > height);
    if (ackAbove && up.every((x) => (hs[x.index] ?? -1) > height)) {
      const took = Date.now() - t0;
      note(t, `${label}: commits resumed past height ${height} after ${took} ms (heads ${hs.join(",")})${took > 4_000 ? `; slow: consensus ${JSON.stringify(slowLog)}` : ""}`);
      return;
    }
    if (Date.now() - t0 > boundMs) {
      fail(`${label}: no progress past height ${height} within ${boundMs} ms: heads ${JSON.stringify(hs)}, acks above: ${ackAbove}, load ${JSON.stringify(l.stats)}`);
    }
    await sleep(200);
  }
}

function fail(msg: string): never {
  failed = true;
  const n = net;
  throw new Error(`${msg}\nseed ${rng.seed}\n${n ? n.logTails(2_500) : ""}`);
}

async function headers(api: string, upTo: number): Promise<Array<{ header: Header; commit: CommitJson; lastCommit: CommitJson | null }>> {
  const out: Array<{ header: Header; commit: CommitJson; lastCommit: CommitJson | null }> = [];
  for (let from = 1; from <= upTo; from += 100) {
    const r = await getJson<{ headers: Array<{ header: Header; commit: CommitJson; lastCommit: CommitJson | null }> }>(`${api}/v1/headers?from=${from}&count=${Math.min(100, upTo - from + 1)}`);
    assert.equal(r.status, 200, `GET ${api}/v1/headers?from=${from}: ${JSON.stringify(r.body).slice(0, 300)}`);
    out.push(...r.body.headers);
  }
  return out;
}

/**
 * The checks after a fault (all nodes up): they converge on one height, agree on every block
 * there, hold every acknowledged transaction, and nobody signed conflicting votes.
 */
async function checkAgreement(t: TestContext, label: string, o: { allAcks?: boolean } = {}): Promise<number> {
  const n = theNet();
  const l = load as LoadGenerator;
  const vl = ledger as VoteLedger;
  // 1. Catch up: every node reaches the highest head seen now.
  const t0 = Date.now();
  const target = Math.max(...((await heads()).filter((h) => h !== undefined) as number[]));
  for (;;) {
    const hs = await heads();
    if (hs.every((h) => h !== undefined && h >= target)) break;
    if (Date.now() - t0 > CATCH_UP_MS) fail(`${label}: nodes did not all reach height ${target} within ${CATCH_UP_MS} ms: heads ${JSON.stringify(hs)}`);
    await sleep(200);
  }
  const caughtUpMs = Date.now() - t0;
  const phases: string[] = [];
  let tp = Date.now();
  const phase = (name: string): void => {
    phases.push(`${name} ${Date.now() - tp} ms`);
    tp = Date.now();
  };

  // 2. Same block at every height 1..target on every node (the header hash covers the state root).
  const all = await Promise.all(n.nodes.map((x) => headers(x.api, target)));
  for (const [i, hs] of all.entries()) {
    assert.equal(hs.length, target, `${label}: ${n.nodes[i].name} served ${hs.length} headers for 1..${target}`);
    for (const h of hs) {
      vl.addCommitJson(h.commit, `commit@${n.nodes[i].name}`);
      vl.addCommitJson(h.lastCommit, `lastCommit@${n.nodes[i].name}`);
    }
  }
  for (let k = 0; k < target; k++) {
    const ref = all[0][k].header;
    assert.equal(ref.height, k + 1);
    for (let i = 1; i < N; i++) {
      const h = all[i][k].header;
      if (h.hash !== ref.hash) fail(`${label}: FORK at height ${k + 1}: ${n.nodes[0].name} has ${ref.hash} (stateRoot ${ref.stateRoot}), ${n.nodes[i].name} has ${h.hash} (stateRoot ${h.stateRoot})`);
    }
  }
  const byHeight = new Map(all[0].map((h) => [h.header.height, h.header.hash]));
  phase("headers");
  const stateRoots = all.map((hs) => hs[target - 1].header.stateRoot);
  assert.equal(new Set(stateRoots).size, 1, `${label}: state roots at ${target} differ: ${stateRoots.join(", ")}`);

  // 3. Acknowledged transactions, on every node, at the acknowledged height. Each node's account
  // index lists every sender's transactions (one request per sender and node); the final check
  // also looks every acknowledged hash up on every node with GET /v1/txs/:hash.
  const acks = l.list().filter((a) => a.height <= target);
  const tooHigh = l.list().filter((a) => a.height > target + 50);
  assert.deepEqual(tooHigh, [], `${label}: acks far above the agreed height`);
  const senders = n.wallets.slice(1);
  for (const x of n.nodes) {
    const found = new Map<string, number>();
    for (const w of senders) {
      const r = await getJson<{ txs: Array<{ hash: string; height: number }> }>(`${x.api}/v1/accounts/${w.address}/txs?limit=1000`);
      assert.equal(r.status, 200, `${label}: account history on ${x.name}`);
      assert.ok(r.body.txs.length < 1000, "account history needs paging; lower the load");
      for (const e of r.body.txs) found.set(e.hash, e.height);
    }
    for (const a of acks) {
      const h = found.get(a.hash);
      if (h === undefined) fail(`${label}: tx ${a.hash} (acknowledged committed at height ${a.height} by ${n.nodes[a.node].name}) is missing on ${x.name}`);
      if (h !== a.height) fail(`${label}: tx ${a.hash} acknowledged at height ${a.height} by ${n.nodes[a.node].name} is at ${h} on ${x.name}`);
    }
  }
  phase("account indexes");
  let lookups = 0;
  if (o.allAcks) {
    for (const x of n.nodes) {
      lookups += acks.length;
      await mapLimit(acks, 16, async (a: Ack) => {
        const r = await getJson<{ status?: string; height?: number; blockHash?: string; code?: string }>(`${x.api}/v1/txs/${a.hash}`);
        if (r.status !== 200 || r.body.status !== "committed") fail(`${label}: tx ${a.hash} (acknowledged committed at height ${a.height} by ${n.nodes[a.node].name}) is not committed on ${x.name}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
        assert.equal(r.body.height, a.height, `${label}: tx ${a.hash} acknowledged at height ${a.height} by ${n.nodes[a.node].name} is at ${r.body.height} on ${x.name}`);
        assert.equal(r.body.blockHash, byHeight.get(a.height), `${label}: tx ${a.hash} block hash on ${x.name}`);
      });
    }
  }

  if (lookups) phase("tx lookups");
  // 4. No conflicting signatures.
  sampleWals();
  const conflicts = vl.conflicts();
  if (conflicts.length) fail(`${label}: CONFLICTING SIGNATURES:\n${conflicts.map((c) => `${c.what} ${c.key}: ${JSON.stringify(c.items)}`).join("\n")}`);
  assert.deepEqual(vl.invalid.slice(0, 5), [], `${label}: votes with bad signatures`);
  note(t, `${label}: all ${N} nodes agree on ${target} blocks (caught up in ${caughtUpMs} ms), ${acks.length} acknowledged txs present (${lookups ? `and ${lookups} GET /v1/txs lookups` : "account indexes"}), ${vl.summary()}, no conflicts; load ${JSON.stringify(l.stats)}; ${phases.join(", ")}`);
  return target;
}

async function guarded(t: TestContext, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    failed = true;
    note(t, `FAILED (seed ${rng.seed}): ${(e as Error).message.split("\n")[0]}`);
    throw e;
  }
}

before(async () => {
  net = await ProcNetwork.create({
    validators: N,
    chainId: CHAIN,
    accounts: ["authority", ...Array.from({ length: SENDERS }, (_, i) => `sender${i}`)],
    balance: "1000000000000",
    genesis: { blockIntervalMs: 100 },
  });
  const g = parseGenesis(net.genesis);
  const keys = new Map(genesisValidators(suite, g).map((v) => [toHex(v.address), v.publicKey]));
  ledger = new VoteLedger(suite, CHAIN, keys);
  await net.startAll();
  observer = await VoteObserver.start({ ca: net.ca, peers: net.nodes.map((x) => `127.0.0.1:${x.p2pPort}`), chainId: CHAIN, genesisHash: genesisHash(suite, g), version: VERSION, ledger });
  sampler = setInterval(sampleWals, 50);
  const n = net;
  load = new LoadGenerator({
    chainId: CHAIN,
    senders: n.wallets.slice(1),
    sink: n.wallets[0].address,
    net: { targets: () => n.available().map((x) => ({ index: x.index, api: x.api })) },
    rng,
    waitMs: 5_000,
  });
  load.start();
});

after(async () => {
  if (sampler) clearInterval(sampler);
  await load?.stop().catch(() => undefined);
  await observer?.stop().catch(() => undefined);
  const keep = (failed && process.env.CIVITAS_KEEP_TEST_DIR === "1") || process.env.CIVITAS_KEEP_TEST_DIR === "always";
  if (keep) process.stdout.write(`# bft-faults: kept ${net?.root}\n`);
  await net?.stopAll({ keep });
  await killAll();
});

test("4 validators start, connect through the proxies and commit the load", { timeout: 60_000 }, async (t) => {
  await guarded(t, async () => {
    const n = theNet();
    await awaitProgress(t, "start", 2, 30_000);
    // Every node-to-node link runs through a proxy: each node has 3 peers besides the observer.
    const peerCounts = await Promise.all(n.nodes.map(async (x) => (await getJson<{ network: { peers: Array<{ id: string }> } }>(`${x.api}/v1/status`)).body.network.peers.filter((p) => p.id !== observer?.nodeId).length));
    assert.deepEqual(peerCounts, [3, 3, 3, 3], "validators are not fully meshed");
    const direct = [...n.proxies.values()].reduce((s, p) => s + p.stats.accepted, 0);
    assert.ok(direct >= 6, `proxies forwarded only ${direct} connections`);
    assert.equal(observer?.peers(), N, "the observer is not connected to every validator");
    await checkAgreement(t, "start");
    // The conflict check itself: a validator signing two hashes for one slot is caught, a
    // forged signature is not counted.
    const kp = suite.generateKeyPair();
    const addr = suite.address(kp.publicKey).replace(/^0x/, "");
    const probe = new VoteLedger(suite, CHAIN, new Map([[addr, kp.publicKey]]));
    const vote = (hashByte: number, time: number): SignedVote => {
      const v = { chain: CHAIN, type: "prevote" as const, height: 7, round: 1, blockHash: new Uint8Array(32).fill(hashByte), time, validator: fromHex(addr) };
      return { vote: v, signature: suite.sign(voteSigningMessage(v), kp.secretKey) };
    };
    probe.addVote(vote(1, 1), "probe");
    probe.addVote(vote(1, 2), "probe");
    assert.equal(probe.conflicts().length, 0, "same hash signed twice is not a conflict");
    probe.addVote({ ...vote(2, 3), signature: new Uint8Array(64) }, "probe");
    assert.equal(probe.conflicts().length, 0, "a forged vote counts");
    assert.equal(probe.invalid.length, 1);
    probe.addVote(vote(0, 4), "probe");
    assert.equal(probe.conflicts().length, 1, "a nil vote next to a block vote is not caught");
  });
});

test("SIGKILL a validator: the other 3 keep committing; restarted, it catches up", { timeout: 90_000 }, async (t) => {
  await guarded(t, async () => {
    const n = theNet();
    const victim = rng.int(0, N - 1);
    const downMs = rng.int(1_000, 3_000);
    const h0 = Math.max(...((await heads()).filter((h) => h !== undefined) as number[]));
    await n.kill(victim, "SIGKILL");
    sampleWals();
    note(t, `SIGKILLed ${n.nodes[victim].name} at height ~${h0}; down for ${downMs} ms`);
    await awaitProgress(t, "3 of 4 up", h0 + 1);
    await sleep(downMs);
    await n.restart(victim);
    note(t, `restarted ${n.nodes[victim].name} at its height ${n.nodes[victim].startHeight}`);
    const h1 = Math.max(...((await heads()).filter((h) => h !== undefined) as number[]));
    await awaitProgress(t, "after restart", h1);
    await checkAgreement(t, "after SIGKILL/restart");
  });
});

test("SIGSTOP a validator for a few seconds, then SIGCONT: it catches up", { timeout: 90_000 }, async (t) => {
  await guarded(t, async () => {
    const n = theNet();
    const victim = rng.int(0, N - 1);
    const frozenMs = rng.int(3_000, 5_000);
    const h0 = Math.max(...((await heads()).filter((h) => h !== undefined) as number[]));
    await n.kill(victim, "SIGSTOP");
    note(t, `SIGSTOPped ${n.nodes[victim].name} at height ~${h0} for ${frozenMs} ms`);
    await awaitProgress(t, "3 of 4 responsive", h0 + 1);
    await sleep(frozenMs);
    await n.kill(victim, "SIGCONT");
    const h1 = Math.max(...((await heads()).filter((h) => h !== undefined) as number[]));
    await awaitProgress(t, "after SIGCONT", h1);
    await checkAgreement(t, "after SIGSTOP/SIGCONT");
  });
});

test("2|2 partition: no block commits beyond the one in flight; after healing, commits resume", { timeout: 90_000 }, async (t) => {
  await guarded(t, async () => {
    const n = theNet();
    const l = load as LoadGenerator;
    const order = [0, 1, 2, 3];
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [order[i], order[j]] = [order[j], order[i]];
    }
    const groups = [order.slice(0, 2).sort(), order.slice(2).sort()];
    const partMs = rng.int(4_000, 6_000);
    n.partition(groups);
    const cutAt = Date.now();
    const hCut = Math.max(...((await heads()).filter((h) => h !== undefined) as number[]));
    note(t, `partitioned ${JSON.stringify(groups)} at height ${hCut} for ${partMs} ms`);
    let maxSeen = hCut;
    while (Date.now() - cutAt < partMs) {
      const hs = await heads();
      maxSeen = Math.max(maxSeen, ...(hs.filter((h) => h !== undefined) as number[]));
      if (maxSeen > hCut + 1) fail(`2|2 partition: height moved from ${hCut} to ${maxSeen} (heads ${JSON.stringify(hs)}) without a quorum`);
      await sleep(250);
    }
    const acksDuring = l.list().filter((a) => a.at > cutAt);
    const badAcks = acksDuring.filter((a) => a.height > hCut + 1);
    assert.deepEqual(badAcks, [], "transactions acknowledged as committed above the partition height");
    // No link crossing the partition carried a byte while cut.
    for (const [key, p] of n.proxies) {
      const [i, j] = key.split("->").map(Number);
      const crosses = groups.findIndex((g) => g.includes(i)) !== groups.findIndex((g) => g.includes(j));
      assert.equal(p.isCut, crosses, `proxy ${key}`);
      if (crosses) assert.equal(p.active, 0, `proxy ${key} has live connections while cut`);
    }
    // Each node sees only its own half (the observer aside).
    const peerIds = await Promise.all(n.nodes.map(async (x) => (await getJson<{ network: { peers: Array<{ id: string }> } }>(`${x.api}/v1/status`)).body.network.peers.map((p) => p.id).filter((id) => id !== observer?.nodeId)));
    for (const x of n.nodes) {
      const mates = (groups.find((g) => g.includes(x.index)) as number[]).filter((i) => i !== x.index).map((i) => n.nodes[i].nodeId);
      assert.deepEqual(peerIds[x.index].sort(), mates.sort(), `${x.name}'s peers during the partition`);
    }
    note(t, `during the partition: max height ${maxSeen} (cut at ${hCut}), ${acksDuring.length} acks, all at <= ${hCut + 1}`);
    n.healAll();
    await awaitProgress(t, "after heal", maxSeen);
    await checkAgreement(t, "after 2|2 partition");
  });
});

test("SIGKILL a validator in the middle of a block commit, several times", { timeout: 150_000 }, async (t) => {
  await guarded(t, async () => {
    const n = theNet();
    const vl = ledger as VoteLedger;
    const obs = observer as VoteObserver;
    // At least MIN_ROUNDS kills; more (up to MAX_ROUNDS) until two have landed before the block
    // was persisted on the victim (the restart then has only its WAL and its peers to go on).
    const MIN_ROUNDS = 4;
    const MAX_ROUNDS = 6;
    let beforePersist = 0;
    let k = 0;
    for (; k < MAX_ROUNDS && (k < MIN_ROUNDS || beforePersist < 2); k++) {
      const victim = rng.int(0, N - 1);
      // Alternate triggers: the victim's own precommit leaving the node (it has decided to
      // commit if the others agree), or a quorum of precommits for a block (every node is
      // committing it now). Then a seeded delay of a few ms.
      const trigger = k % 2 === 1 ? "own precommit" : "precommit quorum";
      const delayMs = rng.int(0, trigger === "own precommit" ? 10 : 4);
      const addr = n.nodes[victim].validator.replace(/^0x/, "");
      const h0 = (await status(n.nodes[victim].api))?.height ?? 0;
      const seen = new Map<string, Set<string>>();
      const hit = await new Promise<SignedVote | undefined>((resolve) => {
        const timer = setTimeout(() => {
          obs.onVote = undefined;
          resolve(undefined);
        }, 15_000);
        obs.onVote = (sv) => {
          const v = sv.vote;
          if (v.type !== "precommit" || v.height <= h0 || v.blockHash.every((b) => b === 0)) return;
          if (trigger === "own precommit") {
            if (toHex(v.validator) !== addr) return;
          } else {
            const key = `${v.height}/${v.round}/${toHex(v.blockHash)}`;
            const set = seen.get(key) ?? new Set<string>();
            seen.set(key, set.add(toHex(v.validator)));
            if (set.size < 3) return;
          }
          obs.onVote = undefined;
          clearTimeout(timer);
          const fire = (): void => {
            n.nodes[victim].proc?.child.kill("SIGKILL");
            resolve(sv);
          };
          if (delayMs === 0) fire();
          else setTimeout(fire, delayMs);
        };
      });
      if (!hit) fail(`round ${k}: no ${trigger} above height ${h0} within 15 s`);
      await n.nodes[victim].proc?.exited;
      n.nodes[victim].state = "killed";
      sampleWals();
      const h = hit.vote.height;
      await sleep(rng.int(200, 1_000));
      await n.restart(victim);
      const sh = n.nodes[victim].startHeight;
      const inWindow = sh !== undefined && sh < h;
      if (inWindow) beforePersist++;
      note(t, `round ${k}: killed ${n.nodes[victim].name} ${delayMs} ms after the ${trigger} for height ${h} round ${hit.vote.round}; it restarted at height ${sh} (${inWindow ? "block decided but not persisted" : "block persisted"}); precommits seen for ${h}: ${vl.precommitsAt(h).size}`);
      const hNow = Math.max(...((await heads()).filter((x) => x !== undefined) as number[]));
      await awaitProgress(t, `round ${k} after restart`, hNow);
      await checkAgreement(t, `mid-commit kill ${k}`);
    }
    note(t, `${beforePersist} of ${k} kills landed between the vote and the block being persisted`);
  });
});

test("at the end: same head, hash and state root everywhere, every acknowledged tx on every node, no conflicting votes", { timeout: 120_000 }, async (t) => {
  await guarded(t, async () => {
    const n = theNet();
    const l = load as LoadGenerator;
    const vl = ledger as VoteLedger;
    await l.stop();
    // With no load (and no empty blocks) the chain comes to rest: every node at one head.
    const t0 = Date.now();
    let hs: Array<{ height: number; hash: string } | undefined> = [];
    for (;;) {
      hs = await Promise.all(n.nodes.map((x) => status(x.api)));
      if (hs.every((h) => h && h.height === hs[0]?.height && h.hash === hs[0]?.hash)) break;
      if (Date.now() - t0 > CATCH_UP_MS) fail(`nodes did not come to rest on one head: ${JSON.stringify(hs)}`);
      await sleep(300);
    }
    const target = await checkAgreement(t, "final", { allAcks: true });
    const head = hs[0] as { height: number; hash: string };
    assert.equal(target, head.height);
    const latest = await Promise.all(n.nodes.map(async (x) => (await getJson<{ hash: string; header: { stateRoot: string } }>(`${x.api}/v1/blocks/latest`)).body));
    assert.equal(new Set(latest.map((b) => b.hash)).size, 1, "latest block differs");
    assert.equal(new Set(latest.map((b) => b.header.stateRoot)).size, 1, "state root differs");
    // Every sender's nonce agrees everywhere, and covers its acknowledged transactions.
    for (const w of n.wallets.slice(1)) {
      const nonces = await Promise.all(n.nodes.map(async (x) => (await getJson<{ nonce: number }>(`${x.api}/v1/accounts/${w.address}`)).body.nonce));
      assert.equal(new Set(nonces).size, 1, `nonce of ${w.address} differs: ${nonces}`);
    }
    // The evidence is real: votes from every validator, from the observer and from each WAL.
    const offered = vl.counts.offered;
    assert.ok((offered.get("observer") ?? 0) > 0 && (offered.get("wal") ?? 0) > 0 && (offered.get("commit") ?? 0) >= 3 * head.height, `vote sources: ${vl.summary()}, offered ${JSON.stringify([...offered])}`);
    assert.ok(vl.precommitsAt(head.height).size >= 3, `precommits seen for the head ${head.height}: ${[...vl.precommitsAt(head.height).keys()]}`);
    assert.ok(l.stats.committed >= 50, `only ${l.stats.committed} transactions acknowledged: ${JSON.stringify(l.stats)}`);
    note(t, `final head ${head.height} ${head.hash}; ${l.stats.committed} acknowledged txs; ${vl.summary()}`);
  });
});
