/**
 * The durability promise: a node killed with SIGKILL at any moment restarts with its chain
 * intact and every transaction it had reported as committed still there, at the same height and
 * with the same receipt, and it carries on accepting transactions with the right nonces.
 *
 * The node runs as a real `civitas start` child process. Several senders submit transfers with
 * `waitMs`; every hash the node answers "committed" is recorded. At seeded-random moments (and
 * once right after a burst of submissions) the node is SIGKILLed and restarted. At the end the
 * node is stopped cleanly and `civitas verify-chain` must replay the whole chain.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { getNodeSuite } from "../../src/crypto/node-suites.js";
import { txHash } from "../../src/ledger/tx.js";
import { Wallet } from "../../src/sdk/wallet.js";
import { toHex } from "../../src/util/bytes.js";
import type { Proc } from "./helpers/proc-node.js";
import { describeRun, freePort, getJson, killAll, mapLimit, postJson, runCli, startNode } from "./helpers/proc-node.js";
import { testRng } from "./helpers/proc-rand.js";

const SUITE_ID = "ed25519-sha256" as const;
const PASSPHRASE = "crash-restart-test-passphrase";
const ENV = { CIVITAS_PASSPHRASE: PASSPHRASE };
const SENDERS = 6;
const BURST = 300;
const FUNDS = 1_000_000_000n;

interface Sent {
  hash: string;
  wallet: number;
  nonce: number;
  amount: bigint;
  raw: string;
}

interface Committed {
  hash: string;
  height: number;
  /** Filled in when the follow-up GET answered before the kill. */
  blockHash?: string;
  receipt?: unknown;
}

interface TxJson {
  hash: string;
  status: string;
  height?: number;
  blockHash?: string;
  receipt?: { status: string; code: string | null };
  code?: string;
}

const tmpDirs: string[] = [];
after(async () => {
  await killAll();
  for (const d of tmpDirs) await rm(d, { recursive: true, force: true });
});

test("SIGKILL at random moments (and SIGTERM under load): committed transactions survive every restart and the chain verifies", { timeout: 150_000 }, async (t) => {
  const rng = testRng("crash-restart");
  const started = Date.now();
  const note = (msg: string): void => t.diagnostic(`[+${Date.now() - started} ms] ${msg}`);
  note(`seed ${rng.seed}`);
  const root = await mkdtemp(join(tmpdir(), "civitas-crash-"));
  tmpDirs.push(root);
  const home = join(root, "node");

  // Wallets whose secret keys the test holds: SENDERS load senders, one burst sender, one sink.
  const suite = getNodeSuite(SUITE_ID);
  const wallets = Array.from({ length: SENDERS + 1 }, () => Wallet.fromSecretKey(suite.generateKeyPair().secretKey, SUITE_ID));
  const BURSTER = SENDERS;
  const sink = Wallet.fromSecretKey(suite.generateKeyPair().secretKey, SUITE_ID);

  const port = await freePort();
  const initArgs = ["init", "--home", home, "--chain-id", "crash-test", "--api-port", String(port), "--block-interval-ms", "50", "--max-block-txs", "64", "--authority", wallets[0].address, ...wallets.flatMap((w) => ["--balance", `${w.address}=${FUNDS}`])];
  const init = await runCli(initArgs, { env: ENV });
  assert.equal(init.code, 0, describeRun(initArgs, init));

  const nonces = new Array<number>(wallets.length).fill(0);
  const sent = new Map<string, Sent>();
  const byWalletNonce = new Map<string, string[]>(); // `${wallet}/${nonce}` -> hashes sent with it
  const committed = new Map<string, Committed>();
  let chainId = "";

  const sign = (w: number, nonce: number, amount: bigint): Sent => {
    const tx = wallets[w].buildTx({ chain: chainId, nonce, calls: [{ module: "token", method: "transfer", args: { to: sink.address, amount: `${amount}n` } }] });
    const s: Sent = { hash: toHex(txHash(suite, tx)), wallet: w, nonce, amount, raw: toHex(tx.bytes) };
    sent.set(s.hash, s);
    const k = `${w}/${nonce}`;
    byWalletNonce.set(k, [...(byWalletNonce.get(k) ?? []), s.hash]);
    return s;
  };

  let node: { proc: Proc; url: string } | undefined;
  const ctl = { stopped: false };

  /** One sender: submit, wait for the commit, record it, fetch the receipt; until stopped. */
  async function senderLoop(w: number, url: string): Promise<void> {
    while (!ctl.stopped) {
      const s = sign(w, nonces[w], BigInt(1 + ((nonces[w] * 7919 + w) % 1000)));
      let res: { status: number; body: { hash?: string; status?: string; height?: number | null; code?: string; message?: string } };
      try {
        res = await postJson(`${url}/v1/txs`, { tx: s.raw, waitMs: 10_000 });
      } catch (e) {
        if (ctl.stopped) return;
        throw e;
      }
      if (ctl.stopped && res.status >= 400) return; // refused while shutting down: never accepted
      assert.ok(res.status === 200 || res.status === 202, `submit answered ${res.status}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.hash, s.hash, "node reported a different hash");
      nonces[w]++;
      if (res.body.status !== "committed") continue; // still pending after the wait: not a promise yet
      assert.equal(typeof res.body.height, "number");
      const c: Committed = { hash: s.hash, height: res.body.height as number };
      committed.set(s.hash, c);
      try {
        const g = await getJson<TxJson>(`${url}/v1/txs/${s.hash}`);
        assert.equal(g.status, 200);
        assert.equal(g.body.status, "committed");
        assert.equal(g.body.height, c.height);
        assert.equal(g.body.receipt?.status, "ok", `transfer failed: ${JSON.stringify(g.body.receipt)}`);
        c.blockHash = g.body.blockHash;
        c.receipt = g.body.receipt;
      } catch (e) {
        if (ctl.stopped) return;
        throw e;
      }
    }
  }

  async function restart(): Promise<string> {
    node = await startNode(home, ENV);
    return node.url;
  }

  /** After a restart: every recorded commit is still there, unchanged; returns the status. */
  async function checkRecorded(url: string, label: string): Promise<{ head: { height: number; hash: string } }> {
    const status = (await getJson<{ head: { height: number; hash: string }; chain: { chainId: string } }>(`${url}/v1/status`)).body;
    const maxHeight = Math.max(0, ...[...committed.values()].map((c) => c.height));
    assert.ok(status.head.height >= maxHeight, `${label}: head ${status.head.height} is below the highest reported commit ${maxHeight}`);
    let withReceipt = 0;
    await mapLimit([...committed.values()], 16, async (c) => {
      const g = await getJson<TxJson>(`${url}/v1/txs/${c.hash}`);
      assert.equal(g.status, 200, `${label}: tx ${c.hash} (reported committed at ${c.height}) is gone: ${JSON.stringify(g.body)}`);
      assert.equal(g.body.status, "committed", `${label}: tx ${c.hash} is not committed after restart`);
      assert.equal(g.body.height, c.height, `${label}: tx ${c.hash} moved from height ${c.height} to ${g.body.height}`);
      if (c.receipt !== undefined) {
        withReceipt++;
        assert.deepEqual(g.body.receipt, c.receipt, `${label}: receipt of ${c.hash} changed`);
        assert.equal(g.body.blockHash, c.blockHash, `${label}: block hash of ${c.hash} changed`);
      }
    });
    note(`${label}: head ${status.head.height}, ${committed.size} recorded commits (${withReceipt} with receipts) intact`);
    return status;
  }

  /** Nonces continue: the account's next nonce covers every recorded commit, a new tx commits, an old one is refused. */
  async function checkNonces(url: string, label: string): Promise<void> {
    for (let w = 0; w < wallets.length; w++) {
      const acct = (await getJson<{ nonce: number }>(`${url}/v1/accounts/${wallets[w].address}`)).body;
      const maxCommitted = Math.max(-1, ...[...committed.values()].map((c) => sent.get(c.hash) as Sent).filter((s) => s.wallet === w).map((s) => s.nonce));
      assert.ok(acct.nonce >= maxCommitted + 1, `${label}: wallet ${w} nonce ${acct.nonce} is behind its committed nonce ${maxCommitted}`);
      const maxSent = Math.max(-1, ...[...sent.values()].filter((s) => s.wallet === w).map((s) => s.nonce));
      assert.ok(acct.nonce <= maxSent + 1, `${label}: wallet ${w} nonce ${acct.nonce} is ahead of anything sent (${maxSent})`);
      nonces[w] = acct.nonce; // pending transactions died with the process
    }
    // One fresh transaction per wallet, with the next nonce, must commit.
    await Promise.all(
      wallets.map(async (_, w) => {
        const s = sign(w, nonces[w], 1n);
        const r = await postJson<{ status: string; height: number; hash: string }>(`${url}/v1/txs`, { tx: s.raw, waitMs: 10_000 });
        assert.equal(r.status, 200, `${label}: wallet ${w} nonce ${s.nonce} not committed: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.status, "committed");
        committed.set(s.hash, { hash: s.hash, height: r.body.height });
        nonces[w]++;
        const acct = (await getJson<{ nonce: number }>(`${url}/v1/accounts/${wallets[w].address}`)).body;
        assert.equal(acct.nonce, nonces[w], `${label}: wallet ${w} nonce did not advance`);
      }),
    );
    // Replaying an already committed transaction is refused (the nonce survived the crash).
    const old = [...committed.values()].map((c) => sent.get(c.hash) as Sent)[0];
    const replay = await postJson<{ code: string }>(`${url}/v1/txs`, { tx: old.raw });
    assert.equal(replay.status, 400, `${label}: replayed committed tx accepted: ${JSON.stringify(replay.body)}`);
    assert.equal(replay.body.code, "TX_NONCE_TOO_LOW");
  }

  // load: kill at a random moment of steady load; early: kill right after the restart;
  // burst: a batch of BURST transactions, then the kill (at once, or while its blocks are built);
  // term: a graceful SIGTERM under load, which must exit 0 (and lose nothing either).
  const rounds: Array<{ kind: "load" | "burst" | "early" | "term"; delayMs: number; afterBurstMs?: number }> = [
    { kind: "load", delayMs: rng.int(300, 1500) },
    { kind: "burst", delayMs: rng.int(200, 800), afterBurstMs: 0 },
    { kind: "early", delayMs: rng.int(0, 120) },
    { kind: "burst", delayMs: rng.int(0, 600), afterBurstMs: rng.int(10, 200) },
    { kind: "term", delayMs: rng.int(300, 1000) },
  ];
  note(`rounds: ${JSON.stringify(rounds)}`);

  try {
    let url = await restart();
    chainId = (await getJson<{ chain: { chainId: string } }>(`${url}/v1/status`)).body.chain.chainId;
    assert.equal(chainId, "crash-test");

    for (const [i, round] of rounds.entries()) {
      const label = `round ${i} (${round.kind}, ${round.kind === "term" ? "SIGTERM" : "SIGKILL"} after ${round.delayMs} ms${round.afterBurstMs ? ` + ${round.afterBurstMs} ms after the burst` : ""})`;
      ctl.stopped = false;
      const loops = Array.from({ length: SENDERS }, (_, w) => senderLoop(w, url));
      const loopsDone = Promise.allSettled(loops);
      await sleep(round.delayMs);
      if (round.kind === "burst") {
        // A burst of consecutive nonces from one wallet, then the kill the moment it is accepted.
        const batch = Array.from({ length: BURST }, (_, k) => sign(BURSTER, nonces[BURSTER] + k, BigInt(k + 1)));
        const r = await postJson<{ accepted: number; rejected: number }>(`${url}/v1/txs`, { txs: batch.map((s) => s.raw) });
        assert.equal(r.status, 202, `${label}: burst refused: ${JSON.stringify(r.body).slice(0, 500)}`);
        assert.equal(r.body.accepted, BURST, `${label}: burst partly refused: ${JSON.stringify(r.body).slice(0, 500)}`);
        nonces[BURSTER] += BURST;
        if (round.afterBurstMs) await sleep(round.afterBurstMs);
      }
      const before = committed.size;
      ctl.stopped = true;
      if (round.kind === "term") {
        const t0 = Date.now();
        const exit = await (node as { proc: Proc }).proc.stop("SIGTERM");
        assert.deepEqual(exit, { code: 0, signal: null }, `${label}: graceful stop under load failed\n${node?.proc.stderr.slice(-2000)}`);
        note(`${label}: SIGTERM took ${Date.now() - t0} ms`);
      } else {
        await (node as { proc: Proc }).proc.kill();
      }
      const outcomes = await loopsDone;
      for (const o of outcomes) if (o.status === "rejected") throw o.reason;
      const maxHeight = Math.max(0, ...[...committed.values()].map((c) => c.height));
      note(`${label}: stopped with ${before} commits recorded (highest at height ${maxHeight})`);

      url = await restart();
      await checkRecorded(url, label);
      await checkNonces(url, label);
      note(`${label}: nonces continue`);
    }

    // Every nonce below the account's next nonce was used by exactly one of the transactions the
    // test signed, and none above it: nothing was lost, duplicated or invented.
    let totalTxs = 0;
    let expectedSink = 0n;
    for (let w = 0; w < wallets.length; w++) {
      const acct = (await getJson<{ nonce: number }>(`${url}/v1/accounts/${wallets[w].address}`)).body;
      assert.equal(acct.nonce, nonces[w]);
      totalTxs += acct.nonce;
      const candidates = [...byWalletNonce.entries()].filter(([k]) => k.startsWith(`${w}/`));
      await mapLimit(candidates, 16, async ([k, hashes]) => {
        const nonce = Number(k.split("/")[1]);
        let found = 0;
        for (const h of hashes) {
          const g = await getJson<TxJson>(`${url}/v1/txs/${h}`);
          if (g.status === 200 && g.body.status === "committed") {
            found++;
            assert.equal(g.body.receipt?.status, "ok");
            expectedSink += (sent.get(h) as Sent).amount;
          } else {
            assert.equal(g.status, 404, `tx ${h}: ${JSON.stringify(g.body)}`);
            assert.equal(g.body.code, "TX_NOT_FOUND");
          }
        }
        assert.equal(found, nonce < acct.nonce ? 1 : 0, `wallet ${w} nonce ${nonce}: ${found} committed transactions`);
      });
    }
    note(`every signed nonce accounted for (${sent.size} signed, ${totalTxs} committed)`);
    const sinkBal = (await getJson<{ balance: string }>(`${url}/v1/accounts/${sink.address}`)).body;
    assert.equal(BigInt(sinkBal.balance), expectedSink, "sink balance is not the sum of the committed transfers");

    // Stop cleanly and replay the whole chain offline.
    const status = (await getJson<{ head: { height: number; hash: string }; mempool: { pending: number } }>(`${url}/v1/status`)).body;
    assert.equal(status.mempool.pending, 0);
    const latest = (await getJson<{ hash: string; header: { height: number; stateRoot: string } }>(`${url}/v1/blocks/latest`)).body;
    assert.equal(latest.header.height, status.head.height);
    const exit = await (node as { proc: Proc }).proc.stop("SIGTERM");
    assert.equal(exit.code, 0, `node did not stop cleanly: ${JSON.stringify(exit)}`);

    const vArgs = ["verify-chain", "--home", home, "--json"];
    const v = await runCli(vArgs, { env: ENV, timeoutMs: 60_000 });
    assert.equal(v.code, 0, describeRun(vArgs, v));
    const report = JSON.parse(v.stdout) as { ok: boolean; blocks: number; txs: number; headHeight: number; headHash: string; stateRoot: string; problems: string[] };
    assert.deepEqual(report.problems, []);
    assert.equal(report.ok, true);
    assert.equal(report.blocks, status.head.height + 1);
    assert.equal(report.headHeight, status.head.height);
    assert.equal(report.headHash, status.head.hash);
    assert.equal(report.stateRoot, latest.header.stateRoot);
    assert.equal(report.txs, totalTxs);
    note(`verified ${report.blocks} blocks, ${report.txs} txs, ${committed.size} reported commits in ${Date.now() - started} ms`);
  } finally {
    await node?.proc.kill();
  }
});

test("SIGTERM while a batch is being admitted with a commit wait stops promptly and cleanly", { timeout: 90_000 }, async (t) => {
  // A request still being admitted when the node began stopping used to register its commit
  // waiter after the waiters were cancelled (holding the server for its whole waitMs), and its
  // keep-alive connection then held close() open for fastify's 72 s keepAliveTimeout.
  const root = await mkdtemp(join(tmpdir(), "civitas-term-"));
  tmpDirs.push(root);
  const home = join(root, "node");
  const suite = getNodeSuite(SUITE_ID);
  const wallets = Array.from({ length: 40 }, () => Wallet.fromSecretKey(suite.generateKeyPair().secretKey, SUITE_ID));
  const port = await freePort();
  const initArgs = ["init", "--home", home, "--chain-id", "term-test", "--api-port", String(port), "--block-interval-ms", "50", ...wallets.flatMap((w) => ["--balance", `${w.address}=1000000`])];
  const init = await runCli(initArgs, { env: ENV });
  assert.equal(init.code, 0, describeRun(initArgs, init));
  const PER_WALLET = 50; // 2,000 signatures to verify: admission takes a while
  let node: { proc: Proc; url: string } | undefined;
  try {
    for (const [attempt, delayMs] of [10, 40].entries()) {
      node = await startNode(home, ENV);
      const url = node.url;
      const nonces = await Promise.all(wallets.map(async (w) => (await getJson<{ nonce: number }>(`${url}/v1/accounts/${w.address}`)).body.nonce));
      const batch = wallets.flatMap((w, i) =>
        Array.from({ length: PER_WALLET }, (_, k) => toHex(w.buildTx({ chain: "term-test", nonce: nonces[i] + k, calls: [{ module: "token", method: "transfer", args: { to: wallets[(i + 1) % wallets.length].address, amount: "1n" } }] }).bytes)),
      );
      const post = postJson(`${url}/v1/txs`, { txs: batch, waitMs: 30_000 }, 60_000).then(
        (r) => String(r.status),
        (e: Error) => `error ${e.message}`,
      );
      await sleep(delayMs);
      const t0 = Date.now();
      const exit = await node.proc.stop("SIGTERM", 30_000);
      const took = Date.now() - t0;
      const outcome = await post;
      t.diagnostic(`attempt ${attempt} (SIGTERM ${delayMs} ms after a ${batch.length}-tx batch): stopped in ${took} ms; batch answered ${outcome}`);
      assert.deepEqual(exit, { code: 0, signal: null });
      assert.ok(took < 5_000, `stopping took ${took} ms with a commit wait in flight`);
    }
  } finally {
    await node?.proc.kill();
  }
});
