/**
 * Live charts of this node (chart.js): committed TPS, block time, commit latency and mempool
 * size over the last SAMPLES seconds, from the console's one-second samples (live.ts). Each chart
 * carries its number of points and latest value as data attributes and a text readout, so the
 * numbers are readable without the canvas.
 */
import type { ReactNode } from "react";
import { CategoryScale, Chart as ChartJS, Filler, LinearScale, LineElement, PointElement, Tooltip } from "chart.js";
import { Line } from "react-chartjs-2";
import type { Live, Sample } from "../live.js";
import { SAMPLES, SAMPLE_MS } from "../live.js";
import { ErrorBox, Loading } from "../ui.js";

ChartJS.register(CategoryScale, LinearScale, PointElement, LineElement, Filler, Tooltip);

interface Series {
  id: string;
  title: string;
  unit: string;
  pick: (s: Sample) => number | null;
  digits: number;
  color: string;
  explain: string;
}

const SERIES: Series[] = [
  { id: "tps", title: "Committed TPS", unit: "tx/s", pick: (s) => s.tps, digits: 1, color: "#1f6feb", explain: "transactions committed per second over the node's TPS window (civitas_tps)" },
  { id: "block-time", title: "Block time", unit: "s", pick: (s) => s.blockTime, digits: 3, color: "#8250df", explain: "mean interval between the blocks committed in each second (civitas_block_interval_seconds)" },
  { id: "latency", title: "Commit latency", unit: "s", pick: (s) => s.latency, digits: 3, color: "#bf3989", explain: "mean time from admission to commit of the transactions sent to this node (civitas_commit_latency_seconds)" },
  { id: "mempool", title: "Mempool size", unit: "txs", pick: (s) => s.mempool, digits: 0, color: "#1a7f37", explain: "transactions waiting in the mempool (civitas_mempool_txs)" },
];

const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 19);

function LiveChart({ series, samples }: { series: Series; samples: readonly Sample[] }): ReactNode {
  const values = samples.map(series.pick);
  const points = values.filter((v) => v !== null) as number[];
  const latest = [...values].reverse().find((v) => v !== null) ?? null;
  const peak = points.length ? Math.max(...points) : null;
  const fmt = (v: number | null): string => (v === null ? "—" : `${v.toFixed(series.digits)} ${series.unit}`);
  return (
    <section className="card chart-card" data-testid={`chart-${series.id}`} data-points={points.length} data-latest={latest ?? ""} data-peak={peak ?? ""}>
      <h2>{series.title}</h2>
      <p className="readout" data-testid={`readout-${series.id}`}>
        now <strong>{fmt(latest)}</strong> · peak {fmt(peak)} · {points.length} points
      </p>
      <div className="chart-box">
        <Line
          aria-label={`${series.title} over the last ${Math.round(samples.length * (SAMPLE_MS / 1000))} seconds`}
          role="img"
          data={{
            labels: samples.map((s) => clock(s.at)),
            datasets: [{ label: `${series.title} (${series.unit})`, data: values, borderColor: series.color, backgroundColor: series.color + "33", fill: true, pointRadius: 0, borderWidth: 2, spanGaps: true, tension: 0.2 }],
          }}
          options={{
            // Redrawing every second: animation would only cost CPU on the node's machine.
            animation: false,
            maintainAspectRatio: false,
            interaction: { mode: "index", intersect: false },
            scales: { x: { ticks: { maxTicksLimit: 6, maxRotation: 0 } }, y: { beginAtZero: true, ticks: { maxTicksLimit: 5 } } },
          }}
        />
      </div>
      <p className="hint">{series.explain}</p>
    </section>
  );
}

export function Charts({ live }: { live: Live }): ReactNode {
  return (
    <>
      <h1>Live charts</h1>
      <p className="lede">
        This node, sampled every second; the last {SAMPLES / 60} minutes are kept while the console is open{live.status ? ` (node ${live.status.node.moniker})` : ""}. Other nodes serve their own console.
      </p>
      {live.error && <ErrorBox title="Sampling failed; the charts resume when the node answers" error={live.error} />}
      {live.metricsError && <ErrorBox title="Metrics are not available (GET /metrics)" error={live.metricsError} />}
      {live.samples.length === 0 ? (
        live.error ? null : <Loading what="the first samples" />
      ) : (
        <div className="grid charts">
          {SERIES.map((s) => (
            <LiveChart key={s.id} series={s} samples={live.samples} />
          ))}
        </div>
      )}
    </>
  );
}
