/** Parsing of the Prometheus text exposition format for tests. */
import assert from "node:assert/strict";

/** Series of the text format: `name{labels}` -> value. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${line}`);
    // Drop the node/chain labels every series carries; keep the others in their order.
    const labels = (m[2] ?? "").replace(/(node|chain)="[^"]*",?/g, "").replace(/,}$/, "}").replace("{}", "");
    out.set(m[1] + labels, Number(m[3]));
  }
  return out;
}

