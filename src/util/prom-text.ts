/**
 * Reading Prometheus text exposition (format 0.0.4) as prom-client writes it, for the console
 * (in the browser) and the management server (which summarises every node of a network). Only
 * what a dashboard needs: series values by `name{labels}`; comments and malformed lines are
 * skipped rather than failing the whole scrape.
 */

/** Series value by `name{labels}` (labels in the order the node writes them). */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const v = Number(m[3]);
    if (Number.isNaN(v)) continue;
    out.set(m[1] + (m[2] ?? ""), v);
  }
  return out;
}

/** The value of a series by name and optional label subset, ignoring the node/chain labels. */
export function metric(m: Map<string, number>, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const [key, v] of m) {
    const brace = key.indexOf("{");
    const n = brace < 0 ? key : key.slice(0, brace);
    if (n !== name) continue;
    if (want.every((w) => key.includes(w))) return v;
  }
  return undefined;
}
