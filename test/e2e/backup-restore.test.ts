/**
 * Disaster recovery (issue 6): 4 validator processes under steady transfer load. `civitas backup`
 * snapshots validator 2 while it runs; the chain moves on; validator 2 is SIGKILLed and its chain
 * data wiped; a corrupted copy of the backup is refused and changes nothing; `civitas restore`
 * rebuilds the data from the good backup; restarted, validator 2 opens at the backup's height,
 * catches up by block sync and votes again: its signature is in new commit certificates, and with
 * validator 0 then stopped the chain still commits, which needs validator 2's vote. At the end
 * all 4 agree on every block hash, the head and the state root.
 *
 * Seeded (CIVITAS_TEST_SEED); CIVITAS_KEEP_TEST_DIR=1 keeps the network folder after a failure.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { LoadGenerator } from "./helpers/load.js";
import { ProcNetwork } from "./helpers/proc-network.js";
import { describeRun, getJson, killAll, runCli } from "./helpers/proc-node.js";
import { testRng } from "./helpers/proc-rand.js";

const N = 4;
const VICTIM = 2;
const CHAIN = "backup-dr";
const rng = testRng("backup-restore");
const started = Date.now();
let net: ProcNetwork | undefined;
let load: LoadGenerator | undefined;
let failed = false;

type CommitJson = { height: number; signatures: Array<{ validator: string }> };
type HeaderItem = { header: { hash: string; height: number; stateRoot: string }; commit: CommitJson };

function theNet(): ProcNetwork {
  assert.ok(net, "network not created");
  return net;
}

function fail(msg: string): never {
  failed = true;
  throw new Error(`${msg}\nseed ${rng.seed}\n${net ? net.logTails(2_500) : ""}`);
}

async function head(api: string): Promise<{ height: number; hash: string } | undefined> {
  try {
    const r = await getJson<{ head: { height: number; hash: string } }>(`${api}/v1/status`, 2_000);
    return r.status === 200 ? r.body.head : undefined;
  } catch {
    return undefined;
  }
}

async function heights(): Promise<number[]> {
  return Promise.all(theNet().nodes.map(async (x) => (x.state === "up" ? ((await head(x.api))?.height ?? -1) : -1)));
}

/** Waits until `cond(heights)` holds, or fails with `what` after `ms`. */
async function until(what: string, ms: number, cond: (hs: number[]) => boolean | Promise<boolean>): Promise<number[]> {
  const t0 = Date.now();
  for (;;) {
    const hs = await heights();
    if (await cond(hs)) return hs;
    if (Date.now() - t0 > ms) fail(`${what} within ${ms} ms: heights ${JSON.stringify(hs)}`);
    await sleep(200);
  }
}

async function headers(api: string, from: number, to: number): Promise<HeaderItem[]> {
  const out: HeaderItem[] = [];
  for (let f = from; f <= to; f += 100) {
    const r = await getJson<{ headers: HeaderItem[] }>(`${api}/v1/headers?from=${f}&count=${Math.min(100, to - f + 1)}`);
    assert.equal(r.status, 200, `GET ${api}/v1/headers?from=${f}`);
    out.push(...r.body.headers);
  }
  return out;
}

before(async () => {
  net = await ProcNetwork.create({
    validators: N,
    chainId: CHAIN,
    accounts: ["authority", "s0", "s1", "s2", "s3"],
    balance: "1000000000000",
    genesis: { blockIntervalMs: 100 },
  });
  await net.startAll();
  const n = net;
  load = new LoadGenerator({ chainId: CHAIN, senders: n.wallets.slice(1), sink: n.wallets[0].address, net: { targets: () => n.available().map((x) => ({ index: x.index, api: x.api })) }, rng, waitMs: 5_000 });
  load.start();
});

after(async () => {
  await load?.stop().catch(() => undefined);
  const keep = failed && process.env.CIVITAS_KEEP_TEST_DIR === "1";
  if (keep) process.stdout.write(`# backup-restore: kept ${net?.root}\n`);
  await net?.stopAll({ keep });
  await killAll();
});

test("a validator wiped under load is restored from an online backup, catches up, rejoins consensus and agrees", { timeout: 90_000 }, async (t) => {
  const note = (m: string): void => t.diagnostic(`[+${((Date.now() - started) / 1000).toFixed(1)} s] ${m}`);
  try {
    const n = theNet();
    const victim = n.nodes[VICTIM];
    const l = load as LoadGenerator;
    await until("the network did not commit the load", 30_000, (hs) => hs.every((h) => h >= 3) && l.stats.committed > 0);

    // 1. Online backup of validator 2 through the CLI, while it and the others keep committing.
    const file = join(n.root, "node2.cvb");
    const hBefore = (await head(victim.api))?.height ?? 0;
    const args = ["--json", "backup", victim.home, "-o", file];
    const b = await runCli(args, { timeoutMs: 30_000 });
    if (b.code !== 0) fail(`backup failed: ${describeRun(args, b)}`);
    const backup = JSON.parse(b.stdout) as { checksum: string; manifest: { height: number; blockHash: string; stateRoot: string; files: Array<{ path: string }> } };
    const m = backup.manifest;
    assert.ok(m.height >= hBefore, `snapshot height ${m.height} below the head ${hBefore} seen before it`);
    assert.ok(!m.files.some((f) => f.path.endsWith(".key") || f.path.endsWith("key.json")), `keys in a backup made without --include-keys: ${m.files.map((f) => f.path)}`);
    // The snapshot is a block the network agreed on.
    const [agreed] = await headers(n.nodes[0].api, m.height, m.height);
    assert.equal(agreed.header.hash, m.blockHash, "the snapshot's head is not the network's block at that height");
    assert.equal(agreed.header.stateRoot, m.stateRoot);
    note(`backup of ${victim.name} at height ${m.height} (head was ${hBefore} before), ${m.files.length} files, sha256 ${backup.checksum.slice(0, 16)}…`);

    // 2. The chain moves on; then the disaster: SIGKILL and the chain data gone.
    await until("the chain did not move past the backup", 20_000, (hs) => hs.every((h) => h >= m.height + 10));
    await n.kill(VICTIM, "SIGKILL");
    const dataDir = join(victim.home, "data");
    await rm(dataDir, { recursive: true, force: true });
    const lostAt = Math.max(...(await heights()));
    note(`SIGKILLed ${victim.name} and wiped ${dataDir} at network height ~${lostAt}`);

    // 3. A corrupted copy is refused by its checksum and writes nothing.
    const bad = join(n.root, "corrupt.cvb");
    const bytes = await readFile(file);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    await writeFile(bad, bytes);
    const badArgs = ["restore", bad, "--home", victim.home];
    const r0 = await runCli(badArgs, { timeoutMs: 30_000 });
    assert.notEqual(r0.code, 0, describeRun(badArgs, r0));
    assert.match(r0.stderr, /BACKUP_INVALID: corrupt backup: checksum mismatch/, describeRun(badArgs, r0));
    assert.ok(!existsSync(dataDir), "a refused restore created the data folder");

    // 4. Restore, restart: it opens at the backup's height and catches up by block sync.
    const restoreArgs = ["--json", "restore", file, "--home", victim.home];
    const r1 = await runCli(restoreArgs, { timeoutMs: 30_000 });
    if (r1.code !== 0) fail(`restore failed: ${describeRun(restoreArgs, r1)}`);
    const restored = JSON.parse(r1.stdout) as { written: string[]; kept: Array<{ path: string }>; walPresent: boolean };
    assert.deepEqual(restored.written, ["data/data.mdb"], "restore wrote more than the chain data into the existing home");
    assert.ok(restored.kept.some((k) => k.path === "node.json") && restored.walPresent, "the home's own node.json and WAL were not kept");
    await n.start(VICTIM);
    assert.equal(victim.startHeight, m.height, `${victim.name} restarted at ${victim.startHeight}, not at the backup's height`);
    const target = Math.max(...(await heights()));
    await until(`${victim.name} did not catch up to ${target}`, 30_000, (hs) => hs[VICTIM] >= target);
    note(`restored ${victim.name}: started at ${m.height}, caught up past ${target}`);

    // 5. It votes again: its precommits are in new commit certificates...
    const addr = victim.validator.toLowerCase();
    const signedBy = (c: CommitJson): boolean => c.signatures.some((s) => s.validator.toLowerCase() === addr);
    let seen = 0;
    await until(`${victim.name}'s signature did not appear in new commit certificates`, 20_000, async (hs) => {
      if (hs[0] <= target) return false;
      seen = (await headers(n.nodes[0].api, target + 1, hs[0])).filter((h) => signedBy(h.commit)).length;
      return seen >= 3;
    });
    // ...and with validator 0 down, blocks need all of 1, 2 and 3: the chain still commits.
    await n.kill(0, "SIGKILL");
    const h0 = Math.max(...(await heights()));
    const hs3 = await until("no commits with validator 0 down (validator 2 is not voting)", 25_000, (hs) => hs[1] >= h0 + 3);
    const without0 = await headers(n.nodes[1].api, h0 + 1, hs3[1]);
    assert.ok(without0.every((h) => signedBy(h.commit)), "a block committed without validator 0 lacks validator 2's signature");
    note(`${victim.name} signed ${seen} new certificates; with validator 0 down, blocks ${h0 + 1}..${hs3[1]} committed, all signed by it`);
    await n.start(0);

    // 6. Quiet the load; all 4 come to rest on one head and agree on everything up to it.
    await l.stop();
    const t0 = Date.now();
    let tops: Array<{ height: number; hash: string } | undefined> = [];
    for (;;) {
      tops = await Promise.all(n.nodes.map((x) => head(x.api)));
      if (tops.every((h) => h && h.height === tops[0]?.height && h.hash === tops[0]?.hash)) break;
      if (Date.now() - t0 > 25_000) fail(`nodes did not come to rest on one head: ${JSON.stringify(tops)}`);
      await sleep(300);
    }
    const top = tops[0] as { height: number; hash: string };
    const all = await Promise.all(n.nodes.map((x) => headers(x.api, 1, top.height)));
    for (let i = 1; i < N; i++) {
      for (let k = 0; k < top.height; k++) {
        if (all[i][k].header.hash !== all[0][k].header.hash) fail(`${n.nodes[i].name} differs at height ${k + 1}: ${all[i][k].header.hash} vs ${all[0][k].header.hash}`);
      }
    }
    const roots = all.map((hs) => hs[top.height - 1].header.stateRoot);
    assert.equal(new Set(roots).size, 1, `state roots differ at ${top.height}: ${roots}`);
    // Every acknowledged transaction is on the restored node at its acknowledged height.
    const acks = l.list();
    for (const a of acks) {
      const r = await getJson<{ status?: string; height?: number }>(`${victim.api}/v1/txs/${a.hash}`);
      assert.equal(r.body.status, "committed", `tx ${a.hash} on ${victim.name}`);
      assert.equal(r.body.height, a.height, `tx ${a.hash} height on ${victim.name}`);
    }
    note(`all ${N} nodes agree on ${top.height} blocks, head ${top.hash}, state root ${roots[0]}; ${acks.length} acknowledged txs on ${victim.name}`);
  } catch (e) {
    failed = true;
    throw e;
  }
});
