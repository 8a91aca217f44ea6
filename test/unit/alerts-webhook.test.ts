/**
 * The webhook sink against a real local HTTP server: delivery of the alert JSON, retries with
 * backoff after error statuses, a timeout on a receiver that never answers, and the bounded
 * queue dropping its oldest events.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import type { AlertEvent } from "../../src/node/alerts/engine.js";
import { WebhookSink } from "../../src/node/alerts/webhook.js";

const silent = pino({ level: "silent" });

async function serve(handler: (req: IncomingMessage, body: string, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => handler(req, body, res));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook` };
}

const close = (s: Server): Promise<void> => {
  s.closeAllConnections();
  return new Promise((r) => s.close(() => r()));
};

function event(n: number): AlertEvent {
  return { event: "firing", node: "n0", chain: "c", at: 1_700_000_000_000 + n, alert: { key: `k${n}`, rule: "tps-high", kind: "tps_above", severity: "critical", subject: "", state: "firing", value: 250, threshold: 100, message: `m${n}`, startsAt: 1_700_000_000_000 } };
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
}

test("delivers the alert JSON, retrying after error statuses with growing backoff", { timeout: 30_000 }, async () => {
  const hits: Array<{ at: number; body: string; type?: string }> = [];
  const { server, url } = await serve((req, body, res) => {
    hits.push({ at: Date.now(), body, type: req.headers["content-type"] });
    res.statusCode = hits.length <= 2 ? 503 : 204;
    res.end();
  });
  const sink = new WebhookSink({ url, timeoutMs: 2000, maxRetries: 3, backoffMs: 100, maxBackoffMs: 1000, queueSize: 10 }, silent);
  try {
    sink.notify(event(1));
    await until(() => sink.stats.sent === 1);
    assert.equal(hits.length, 3);
    assert.deepEqual(sink.stats, { sent: 1, failed: 0, dropped: 0, retries: 2, queued: 0 });
    assert.ok(hits[1].at - hits[0].at >= 90, "first retry after ~backoffMs");
    assert.ok(hits[2].at - hits[1].at >= 190, "second retry after twice that");
    assert.equal(hits[2].type, "application/json");
    const body = JSON.parse(hits[2].body);
    assert.deepEqual(body, {
      version: 1,
      event: "firing",
      node: "n0",
      chain: "c",
      at: new Date(1_700_000_000_001).toISOString(),
      alert: { key: "k1", rule: "tps-high", kind: "tps_above", severity: "critical", subject: "", state: "firing", value: 250, threshold: 100, message: "m1", startsAt: new Date(1_700_000_000_000).toISOString() },
    });
    // In order, one at a time.
    sink.notify(event(2));
    sink.notify(event(3));
    await until(() => sink.stats.sent === 3);
    assert.deepEqual(hits.slice(3).map((h) => JSON.parse(h.body).alert.key), ["k2", "k3"]);
  } finally {
    sink.close();
    await close(server);
  }
});

test("a receiver that never answers times out; attempts are bounded and the queue drops its oldest", { timeout: 30_000 }, async () => {
  const seen: string[] = [];
  const { server, url } = await serve((_req, body) => {
    seen.push(JSON.parse(body).alert.key);
    // never answers
  });
  const sink = new WebhookSink({ url, timeoutMs: 200, maxRetries: 1, backoffMs: 50, maxBackoffMs: 50, queueSize: 2 }, silent);
  try {
    for (let i = 1; i <= 5; i++) sink.notify(event(i));
    // k1 is being sent; k2..k5 wait in a queue of 2: k2 and k3 are dropped.
    assert.equal(sink.stats.dropped, 2);
    assert.equal(sink.stats.queued, 2);
    await until(() => sink.stats.failed === 3, 5_000);
    assert.deepEqual(seen, ["k1", "k1", "k4", "k4", "k5", "k5"]);
    assert.deepEqual(sink.stats, { sent: 0, failed: 3, dropped: 2, retries: 3, queued: 0 });
  } finally {
    sink.close();
    await close(server);
  }
});
