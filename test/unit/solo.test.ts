import { test } from "node:test";
import assert from "node:assert/strict";
import type { Application, ProposedBlock, Timers, ValidatorSigner } from "../../src/consensus/engine.js";
import { SoloEngine } from "../../src/consensus/solo.js";
import type { Block, BlockHeader } from "../../src/ledger/block.js";
import { voteSigningMessage } from "../../src/ledger/block.js";
import { getNodeSuite } from "../../src/crypto/node-suites.js";
import { fromHex } from "../../src/util/bytes.js";

/** Virtual clock: timers fire only when the test advances time. */
class FakeTimers implements Timers {
  t = 1_000_000;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.timers.delete(h as number);
  }
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, x]) => x.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = Math.max(this.t, due[1].at);
      due[1].fn();
      await new Promise((r) => setImmediate(r));
    }
    this.t = end;
    await new Promise((r) => setImmediate(r));
  }
}

const suite = getNodeSuite("ed25519-sha256");
const kp = suite.generateKeyPair();
const address = fromHex(suite.address(kp.publicKey));
const signer: ValidatorSigner = { address, publicKey: kp.publicKey, sign: (m) => suite.sign(m, kp.secretKey) };

class FakeApp implements Application {
  pending = 0;
  committed: Block[] = [];
  headTime: number;
  constructor(t0: number) {
    this.headTime = t0;
  }
  head(): { height: number; hash: Uint8Array; time: number } {
    return { height: this.committed.length, hash: new Uint8Array(32), time: this.headTime };
  }
  validatorsAt(): Array<{ address: Uint8Array; publicKey: Uint8Array; power: number }> {
    return [{ address, publicKey: kp.publicKey, power: 1 }];
  }
  pendingTxs(): number {
    return this.pending;
  }
  async propose(a: { height: number; time: number; proposer: Uint8Array }): Promise<ProposedBlock> {
    const header = { height: a.height, time: a.time, proposer: a.proposer } as unknown as BlockHeader;
    return { header, hash: new Uint8Array(32).fill(a.height), txs: [], lastCommit: null };
  }
  async validate(): Promise<{ ok: true }> {
    return { ok: true };
  }
  async commit(b: Block): Promise<void> {
    this.committed.push(b);
    this.headTime = b.header.time;
    this.pending = 0;
  }
}

const opts = { chain: "t", blockIntervalMs: 100, maxBlockTxs: 10, createEmptyBlocks: false };

test("solo builds no block while the mempool is empty", async () => {
  const timers = new FakeTimers();
  const app = new FakeApp(timers.t - 1000);
  const engine = new SoloEngine(opts, { app, timers, signer });
  await engine.start();
  await timers.advance(1000);
  assert.equal(app.committed.length, 0);
  await engine.stop();
});

test("solo builds at the block interval when transactions wait, and signs a valid precommit", async () => {
  const timers = new FakeTimers();
  const app = new FakeApp(timers.t - 1000);
  const engine = new SoloEngine(opts, { app, timers, signer });
  await engine.start();
  app.pending = 3;
  engine.notifyTxs();
  await timers.advance(50);
  assert.equal(app.committed.length, 0, "not before the interval");
  await timers.advance(60);
  assert.equal(app.committed.length, 1);
  const b = app.committed[0];
  assert.equal(b.header.height, 1);
  assert.equal(b.commit.signatures.length, 1);
  const s = b.commit.signatures[0];
  const vote = { chain: "t", type: "precommit" as const, height: 1, round: 0, blockHash: b.commit.blockHash, time: s.time, validator: address };
  assert.ok(suite.verify(voteSigningMessage(vote), s.signature, kp.publicKey));
  await engine.stop();
});

test("solo builds at once when a full block is waiting", async () => {
  const timers = new FakeTimers();
  const app = new FakeApp(timers.t - 1000);
  const engine = new SoloEngine(opts, { app, timers, signer });
  await engine.start();
  app.pending = 10;
  engine.notifyTxs();
  await timers.advance(0);
  assert.equal(app.committed.length, 1);
  await engine.stop();
});

test("solo makes empty blocks only when configured", async () => {
  const timers = new FakeTimers();
  const app = new FakeApp(timers.t - 1000);
  const engine = new SoloEngine({ ...opts, createEmptyBlocks: true }, { app, timers, signer });
  await engine.start();
  await timers.advance(550);
  assert.equal(app.committed.length, 5);
  await engine.stop();
  await timers.advance(500);
  assert.equal(app.committed.length, 5, "no blocks after stop");
});

test("block time strictly increases even when the clock steps back", async () => {
  const timers = new FakeTimers();
  const app = new FakeApp(timers.t + 60_000); // head is a minute in the future
  const engine = new SoloEngine({ ...opts, createEmptyBlocks: true }, { app, timers, signer });
  await engine.start();
  await timers.advance(250);
  assert.ok(app.committed.length >= 2);
  const headTime = timers.t - 250 + 60_000;
  assert.equal(app.committed[0].header.time, headTime + 1, "time follows the head, not the stepped-back clock");
  for (let i = 1; i < app.committed.length; i++) assert.ok(app.committed[i].header.time > app.committed[i - 1].header.time);
  await engine.stop();
});

test("solo refuses to start with a signer that is not the validator", async () => {
  const timers = new FakeTimers();
  const app = new FakeApp(timers.t);
  const other = suite.generateKeyPair();
  const bad: ValidatorSigner = { address: fromHex(suite.address(other.publicKey)), publicKey: other.publicKey, sign: (m) => suite.sign(m, other.secretKey) };
  await assert.rejects(new SoloEngine(opts, { app, timers, signer: bad }).start(), /not the chain's validator/);
});
