/**
 * Webhook sink: each alert transition is POSTed as JSON to one URL, in order, by a single
 * sender. A failed delivery (network error, timeout, non-2xx) is retried with exponential
 * backoff; the queue is bounded and drops its oldest event when full, so a dead receiver
 * never grows the node's memory.
 */
import type { Logger } from "pino";
import type { AlertEvent } from "./engine.js";

export interface WebhookOptions {
  url: string;
  /** Per attempt. */
  timeoutMs: number;
  /** Attempts after the first. */
  maxRetries: number;
  /** Wait before the first retry; doubles each retry up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
  /** Events waiting to be sent (besides the one being sent); the oldest is dropped beyond it. */
  queueSize: number;
}

export interface WebhookStats {
  sent: number;
  failed: number;
  dropped: number;
  retries: number;
  queued: number;
}

/** The body every delivery carries (documented in docs/spec/monitoring.md). */
export function webhookBody(e: AlertEvent): Record<string, unknown> {
  return { version: 1, event: e.event, node: e.node, chain: e.chain, at: new Date(e.at).toISOString(), alert: { ...e.alert, startsAt: new Date(e.alert.startsAt).toISOString(), endsAt: e.alert.endsAt === undefined ? undefined : new Date(e.alert.endsAt).toISOString() } };
}

export class WebhookSink {
  private readonly queue: AlertEvent[] = [];
  private sending = false;
  private closed = false;
  private wake: (() => void) | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The delivery in flight, aborted by its timeout or by close(). */
  private inFlight: AbortController | undefined;
  private readonly counters = { sent: 0, failed: 0, dropped: 0, retries: 0 };

  constructor(
    private readonly opts: WebhookOptions,
    private readonly log: Logger,
  ) {}

  get stats(): WebhookStats {
    return { ...this.counters, queued: this.queue.length };
  }

  readonly notify = (e: AlertEvent): void => {
    if (this.closed) return;
    if (this.queue.length >= this.opts.queueSize) {
      this.queue.shift();
      this.counters.dropped++;
    }
    this.queue.push(e);
    void this.pump();
  };

  /** Stops sending: the delivery in flight is aborted and events still queued are dropped. */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
    if (this.timer) clearTimeout(this.timer);
    this.inFlight?.abort();
    this.wake?.();
  }

  private async pump(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (!this.closed && this.queue.length) {
        const e = this.queue.shift() as AlertEvent;
        const ok = await this.deliver(e);
        if (ok) this.counters.sent++;
        else if (!this.closed) {
          this.counters.failed++;
          this.log.error({ url: this.opts.url, alert: e.alert.key, event: e.event }, `alert webhook gave up after ${this.opts.maxRetries + 1} attempts`);
        }
      }
    } finally {
      this.sending = false;
    }
  }

  private async deliver(e: AlertEvent): Promise<boolean> {
    const body = JSON.stringify(webhookBody(e));
    for (let attempt = 0; attempt <= this.opts.maxRetries && !this.closed; attempt++) {
      if (attempt > 0) {
        this.counters.retries++;
        await this.sleep(Math.min(this.opts.maxBackoffMs, this.opts.backoffMs * 2 ** (attempt - 1)));
        if (this.closed) return false;
      }
      const ctl = new AbortController();
      this.inFlight = ctl;
      const timeout = setTimeout(() => ctl.abort(new Error(`no answer within ${this.opts.timeoutMs} ms`)), this.opts.timeoutMs);
      try {
        const res = await fetch(this.opts.url, { method: "POST", headers: { "content-type": "application/json" }, body, signal: ctl.signal });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return true;
        this.log.warn({ url: this.opts.url, status: res.status, attempt }, "alert webhook answered an error status");
      } catch (err) {
        if (this.closed) return false;
        this.log.warn({ url: this.opts.url, err: (ctl.signal.reason as Error | undefined)?.message ?? (err as Error).message, attempt }, "alert webhook delivery failed");
      } finally {
        clearTimeout(timeout);
        this.inFlight = undefined;
      }
    }
    return false;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }
}
