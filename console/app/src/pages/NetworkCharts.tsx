/**
 * Per-node live charts of one network (chart.js), from the network page's polls: committed TPS,
 * block time, commit latency and mempool size, one line per node, over the last minutes the page
 * was open. Each chart carries its number of points and peak as data attributes and a text
 * readout, so the numbers are readable without the canvas.
 */
import type { ReactNode } from "react";
import { CategoryScale, Chart as ChartJS, LinearScale, LineElement, PointElement, Legend, Tooltip } from "chart.js";
import { Line } from "react-chartjs-2";

ChartJS.register(CategoryScale, LinearScale, PointElement, LineElement, Legend, Tooltip);

export interface NodeSample {
  tps?: number;
  blockTime?: number;
  latency?: number;
  mempool?: number;
}

/** One poll of the network page: every running node's figures at that moment. */
export interface NetSample {
  at: number;
  nodes: Record<string, NodeSample>;
}

interface Series {
  id: keyof NodeSample;
  title: string;
  unit: string;
  digits: number;
  explain: string;
}

const SERIES: Series[] = [
  { id: "tps", title: "Committed TPS", unit: "tx/s", digits: 1, explain: "each node's civitas_tps (transactions committed per second over its TPS window)" },
  { id: "blockTime", title: "Block time", unit: "s", digits: 3, explain: "mean interval of the blocks each node committed between two polls" },
  { id: "latency", title: "Commit latency", unit: "s", digits: 3, explain: "mean admission-to-commit time of the transactions sent to each node, between two polls" },
  { id: "mempool", title: "Mempool size", unit: "txs", digits: 0, explain: "transactions waiting in each node's mempool" },
];

/** Distinct, colour-blind-friendly line colours (Okabe–Ito), repeated for larger networks. */
const COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];
const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 19);

function NodeChart({ series, samples, nodes }: { series: Series; samples: readonly NetSample[]; nodes: string[] }): ReactNode {
  const values = nodes.map((n) => samples.map((s) => s.nodes[n]?.[series.id] ?? null));
  const all = values.flat().filter((v): v is number => v !== null);
  const peak = all.length ? Math.max(...all) : null;
  const fmt = (v: number | null): string => (v === null ? "—" : `${v.toFixed(series.digits)} ${series.unit}`);
  return (
    <section className="card chart-card" data-testid={`net-chart-${series.id}`} data-points={all.length} data-peak={peak ?? ""}>
      <h2>{series.title}</h2>
      <p className="readout">
        peak {fmt(peak)} · {all.length} points
      </p>
      <div className="chart-box">
        <Line
          aria-label={`${series.title} of each node`}
          role="img"
          data={{
            labels: samples.map((s) => clock(s.at)),
            datasets: nodes.map((n, i) => ({ label: n, data: values[i], borderColor: COLORS[i % COLORS.length], backgroundColor: COLORS[i % COLORS.length], pointRadius: 0, borderWidth: 2, spanGaps: true, tension: 0.2 })),
          }}
          options={{
            animation: false,
            maintainAspectRatio: false,
            interaction: { mode: "index", intersect: false },
            plugins: { legend: { display: true, position: "bottom", labels: { boxWidth: 12 } } },
            scales: { x: { ticks: { maxTicksLimit: 6, maxRotation: 0 } }, y: { beginAtZero: true, ticks: { maxTicksLimit: 5 } } },
          }}
        />
      </div>
      <p className="hint">{series.explain}</p>
    </section>
  );
}

export function NetworkCharts({ samples, nodes }: { samples: readonly NetSample[]; nodes: string[] }): ReactNode {
  return (
    <div className="grid charts" data-testid="network-charts">
      {SERIES.map((s) => (
        <NodeChart key={s.id} series={s} samples={samples} nodes={nodes} />
      ))}
    </div>
  );
}
