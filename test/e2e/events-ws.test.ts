/**
 * WebSocket /v1/events: a `subscribed` greeting, then `block` messages and `event` messages
 * filtered by module, type and account; a bad filter gets an error message and a close.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { txHash } from "../../src/ledger/tx.js";
import type { SignedTx } from "../../src/ledger/tx.js";
import { verifyHeaderHash } from "../../src/sdk/index.js";
import { toHex } from "../../src/util/bytes.js";
import { DevNode, hexOf, newAccount, sleep } from "./helpers/devnode.js";

const T = { timeout: 30_000 };

// The messages are JSON of several shapes; tests read them field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Msg = any;

/** A subscriber that records every message and lets a test wait for the ones it expects. */
class Sub {
  readonly messages: Msg[] = [];
  closed: { code: number; reason: string } | undefined;
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      this.messages.push(JSON.parse(String(data)));
      this.wake();
    });
    ws.on("close", (code, reason) => {
      this.closed = { code, reason: String(reason) };
      this.wake();
    });
  }

  static open(dev: DevNode, query: string): Promise<Sub> {
    const ws = new WebSocket(`${dev.url.replace(/^http/, "ws")}/v1/events${query}`);
    const sub = new Sub(ws);
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(sub));
      ws.once("error", reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves once `pred` holds over the messages so far (or the socket closed), else fails after `ms`. */
  async until(pred: (msgs: Msg[]) => boolean, what: string, ms = 5_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred(this.messages)) {
      const left = deadline - Date.now();
      if (left <= 0) assert.fail(`timed out waiting for ${what}; got ${JSON.stringify(this.messages).slice(0, 600)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  untilClosed(ms = 5_000): Promise<void> {
    return this.until(() => this.closed !== undefined, "close", ms);
  }

  get events(): Msg[] {
    return this.messages.filter((m) => m.kind === "event");
  }

  get blocks(): Msg[] {
    return this.messages.filter((m) => m.kind === "block");
  }

  close(): void {
    this.ws.close();
  }
}

describe("WebSocket /v1/events", () => {
  let dev: DevNode;
  const subs: Sub[] = [];
  const open = async (q: string): Promise<Sub> => {
    const s = await Sub.open(dev, q);
    subs.push(s);
    return s;
  };

  before(async () => {
    dev = await DevNode.start({ chainId: "e2e-ws", accounts: 4 });
  });

  after(async () => {
    for (const s of subs) s.close();
    await dev?.stop();
  });

  test("subscribed, then block messages and events filtered by module, type and account", T, async () => {
    const [authority, a1, a2] = dev.accounts;
    const x = newAccount().address;
    const y = newAccount().address;
    const all = await open("");
    const xTransfers = await open(`?module=token&type=Transfer&account=${x}&blocks=false`);
    const kvOnly = await open("?module=kv&blocks=false");
    const mints = await open("?type=Mint");
    const aboutX = await open(`?account=${x}`);
    for (const s of [all, xTransfers, kvOnly, mints, aboutX]) await s.until((m) => m.length >= 1, "subscribed");

    const head = await dev.headHeight();
    assert.deepEqual(all.messages[0], { kind: "subscribed", filter: { blocks: true }, head });
    assert.deepEqual(xTransfers.messages[0], { kind: "subscribed", filter: { blocks: false, module: "token", type: "Transfer", account: x }, head });
    assert.deepEqual(kvOnly.messages[0].filter, { blocks: false, module: "kv" });

    const txs: SignedTx[] = [
      dev.transfer(a1, x, 7n, 0),
      dev.transfer(a2, y, 8n, 0),
      dev.sign(a1, { nonce: 1, calls: [{ module: "kv", method: "createNamespace", args: { namespace: "ws-test" } }] }),
      dev.sign(authority, { nonce: 0, calls: [{ module: "token", method: "mint", args: { to: x, amount: "9n" } }] }),
    ];
    const hashes = txs.map((t) => toHex(txHash(dev.suite, t)));
    const r = await dev.post("/v1/txs", { txs: txs.map(hexOf), waitMs: 10_000 });
    assert.equal(r.body.committed, 4);
    const headAfter = await dev.headHeight();

    // Unfiltered: every new block, and all four events, in commit order.
    await all.until((m) => m.filter((x: Msg) => x.kind === "event").length >= 4 && m.some((x: Msg) => x.kind === "block" && x.header.height === headAfter), "all events and blocks");
    const blockHeights = all.blocks.map((b) => b.header.height);
    assert.deepEqual(blockHeights, Array.from({ length: headAfter - head }, (_, i) => head + 1 + i), "one message per block, in order");
    let txCount = 0;
    for (const b of all.blocks) {
      assert.equal(verifyHeaderHash(b.header), true);
      assert.equal(b.txCount, b.header.txCount);
      txCount += b.txCount;
      const http = await dev.client.getBlock(b.header.height);
      assert.equal(http.hash, b.header.hash);
    }
    assert.equal(txCount, 4);
    assert.deepEqual(all.events.map((e) => `${e.event.module}.${e.event.type}`).sort(), ["kv.NamespaceCreated", "token.Mint", "token.Transfer", "token.Transfer"]);
    for (const e of all.events) {
      assert.ok(hashes.includes(e.txHash));
      const t = await dev.client.getTx(e.txHash);
      assert.equal(t.height, e.height);
      assert.equal(t.index, e.txIndex);
      const fromHttp = t.receipt!.events[e.eventIndex];
      assert.equal(fromHttp.module, e.event.module);
      assert.equal(fromHttp.type, e.event.type);
      assert.deepEqual(fromHttp.accounts, e.event.accounts);
    }

    await xTransfers.until((m) => m.length >= 2, "x's transfer");
    await kvOnly.until((m) => m.length >= 2, "kv event");
    await mints.until((m) => m.some((x: Msg) => x.kind === "event"), "mint event");
    await aboutX.until((m) => m.filter((x: Msg) => x.kind === "event").length >= 2, "events about x");
    await sleep(200); // anything else that was going to arrive has arrived

    assert.equal(xTransfers.messages.length, 2, "blocks=false: no block messages, one matching event");
    const e = xTransfers.events[0];
    assert.equal(e.txHash, hashes[0]);
    assert.equal(e.event.module, "token");
    assert.equal(e.event.type, "Transfer");
    assert.deepEqual(e.event.accounts, [a1.address, x]);
    assert.equal(e.event.attrs.from, a1.address);
    assert.equal(e.event.attrs.to, x);
    assert.equal(String(e.event.attrs.amount), "7");

    assert.equal(kvOnly.messages.length, 2);
    assert.equal(kvOnly.events[0].event.type, "NamespaceCreated");
    assert.equal(kvOnly.events[0].txHash, hashes[2]);

    assert.deepEqual(mints.events.map((m) => m.txHash), [hashes[3]]);
    assert.ok(mints.blocks.length >= 1, "blocks are on by default");

    assert.deepEqual(aboutX.events.map((m) => m.txHash).sort(), [hashes[0], hashes[3]].sort());
    assert.deepEqual(aboutX.blocks.map((b) => b.header.height), blockHeights);
  });

  test("event JSON is identical over WebSocket and HTTP (amounts included)", T, async () => {
    const [, , , a3] = dev.accounts;
    const to = newAccount().address;
    const s = await open(`?account=${to}&blocks=false`);
    await s.until((m) => m.length >= 1, "subscribed");
    const tx = dev.transfer(a3, to, 42n, 0);
    const r = await dev.post("/v1/txs", { tx: hexOf(tx), waitMs: 10_000 });
    assert.equal(r.body.status, "committed");
    await s.until((m) => m.length >= 2, "transfer event");
    const t = await dev.client.getTx(r.body.hash);
    assert.deepEqual(s.events[0].event, t.receipt!.events[0]);
  });

  test("a bad filter gets an error message and the socket is closed with 1008", T, async () => {
    const cases: Array<[string, string]> = [
      ["?module=Token", "module"],
      ["?module=a-b", "module"],
      ["?type=Trans-fer", "type"],
      ["?type=token.Transfer", "type"],
      ["?account=xyz", "account"],
      [`?account=${newAccount().address.toUpperCase().replace("0X", "0x")}`, "account"],
    ];
    for (const [q, param] of cases) {
      const s = await open(q);
      await s.untilClosed();
      assert.equal(s.messages.length, 1, q);
      assert.deepEqual(s.messages[0], { kind: "error", code: "API_BAD_REQUEST", message: s.messages[0].message, details: { param } }, q);
      assert.equal(typeof s.messages[0].message, "string");
      assert.equal(s.closed?.code, 1008, q);
      assert.equal(s.closed?.reason, "bad filter");
    }
  });

  test("the socket only sends: a client message gets an error and the subscription stays open", T, async () => {
    const [, a1] = dev.accounts;
    const s = await open("?module=token&blocks=false");
    await s.until((m) => m.length >= 1, "subscribed");
    s.ws.send("hello");
    await s.until((m) => m.length >= 2, "error reply");
    assert.equal(s.messages[1].kind, "error");
    assert.equal(s.messages[1].code, "API_BAD_REQUEST");
    assert.equal(s.closed, undefined);

    const nonce = await dev.nonceOf(a1.address);
    const r = await dev.post("/v1/txs", { tx: hexOf(dev.transfer(a1, newAccount().address, 1n, nonce)), waitMs: 10_000 });
    assert.equal(r.body.status, "committed");
    await s.until((m) => m.some((x: Msg) => x.kind === "event"), "event after the error");
    assert.equal(s.events[0].txHash, r.body.hash);

    // A closed subscriber is dropped; the node keeps serving the others.
    s.close();
    await s.untilClosed();
    const again = await open("");
    await again.until((m) => m.length >= 1, "subscribed");
    assert.equal(again.messages[0].kind, "subscribed");
  });
});
