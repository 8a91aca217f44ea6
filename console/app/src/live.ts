/**
 * The console's heartbeat: every second it reads /v1/status and /metrics of this node and keeps
 * the last SAMPLES samples (5 minutes) in a ring buffer, so the charts keep their history while
 * the user moves between pages. Rates come from counter and histogram differences between two
 * samples, the way Prometheus' rate() does.
 */
import { useEffect, useRef, useState } from "react";
import { api, ApiFailure, metric, metricsText, parseMetrics } from "./api.js";
import type { Status } from "./api.js";
import { Ring } from "./ring.js";

export const SAMPLE_MS = 1_000;
export const SAMPLES = 300;

export interface Sample {
  /** Browser clock, ms. */
  at: number;
  height: number;
  /** civitas_tps: committed transactions per second over the node's TPS window. */
  tps: number | null;
  /** Mean block interval (s) of blocks committed since the previous sample; null when none. */
  blockTime: number | null;
  /** Mean commit latency (s) of transactions committed since the previous sample; null when none. */
  latency: number | null;
  mempool: number;
  /** Process CPU use since the previous sample, % of one core. */
  cpu: number | null;
  rssBytes: number | null;
}

export interface Live {
  status?: Status;
  metrics?: Map<string, number>;
  /** Why the last poll failed (the samples so far are kept). */
  error?: ApiFailure;
  /** /metrics refused or missing: charts that need it say so. */
  metricsError?: ApiFailure;
  samples: readonly Sample[];
  /** Increments on every poll, so consumers re-render. */
  tick: number;
}

function rate(now: Map<string, number>, prev: Map<string, number> | undefined, name: string): number | null {
  if (!prev) return null;
  const dc = (metric(now, name + "_count") ?? 0) - (metric(prev, name + "_count") ?? 0);
  const ds = (metric(now, name + "_sum") ?? 0) - (metric(prev, name + "_sum") ?? 0);
  return dc > 0 ? ds / dc : null;
}

/** `enabled` false (the console of `civitas console`, which is no node) polls nothing. */
export function useLive(enabled = true): Live {
  const ring = useRef(new Ring<Sample>(SAMPLES));
  const prev = useRef<{ at: number; m: Map<string, number> } | undefined>(undefined);
  const [live, setLive] = useState<Live>({ samples: [], tick: 0 });

  useEffect(() => {
    if (!enabled) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async (): Promise<void> => {
      const started = Date.now();
      const [st, mt] = await Promise.allSettled([api<Status>("/v1/status"), metricsText()]);
      if (stopped) return;
      const next: Partial<Live> = {};
      if (st.status === "fulfilled") next.status = st.value;
      else next.error = st.reason instanceof ApiFailure ? st.reason : new ApiFailure(0, "UNREACHABLE", String(st.reason));
      let m: Map<string, number> | undefined;
      if (mt.status === "fulfilled") m = parseMetrics(mt.value);
      else next.metricsError = mt.reason instanceof ApiFailure ? mt.reason : new ApiFailure(0, "UNREACHABLE", String(mt.reason));
      if (st.status === "fulfilled") {
        const p = prev.current;
        const cpuNow = m ? metric(m, "process_cpu_seconds_total") : undefined;
        const cpuPrev = p ? metric(p.m, "process_cpu_seconds_total") : undefined;
        ring.current.push({
          at: started,
          height: st.value.head.height,
          tps: m ? (metric(m, "civitas_tps") ?? null) : null,
          blockTime: m ? rate(m, p?.m, "civitas_block_interval_seconds") : null,
          latency: m ? rate(m, p?.m, "civitas_commit_latency_seconds") : null,
          mempool: m ? (metric(m, "civitas_mempool_txs") ?? st.value.mempool.pending) : st.value.mempool.pending,
          cpu: cpuNow !== undefined && cpuPrev !== undefined && p ? Math.max(0, ((cpuNow - cpuPrev) / ((started - p.at) / 1000)) * 100) : null,
          rssBytes: m ? (metric(m, "process_resident_memory_bytes") ?? null) : null,
        });
      }
      if (m) prev.current = { at: started, m };
      setLive((l) => ({ status: next.status ?? l.status, metrics: m ?? l.metrics, error: next.error, metricsError: next.metricsError, samples: ring.current.toArray().slice(), tick: l.tick + 1 }));
      timer = setTimeout(() => void poll(), Math.max(0, SAMPLE_MS - (Date.now() - started)));
    };
    void poll();
    return () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [enabled]);
  return live;
}
