/**
 * `node dist/bench/etcd-main.js`: the etcd baseline alone (see bench/etcd.ts).
 * Env: ETCD_MEMBERS (3), ETCD_CLIENTS (128), ETCD_SECONDS (10), ETCD_VALUE_BYTES (200),
 * ETCD_WARMUP_SECONDS (2). Prints a table to stderr and the JSON result to stdout.
 */
import { runEtcdBench } from "./etcd.js";

function env(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const v = Number(raw);
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${name} must be a non-negative integer (got "${raw}")`);
  return v;
}

async function main(): Promise<void> {
  const r = await runEtcdBench({
    members: env("ETCD_MEMBERS", 3),
    clients: env("ETCD_CLIENTS", 128),
    seconds: env("ETCD_SECONDS", 10),
    valueBytes: env("ETCD_VALUE_BYTES", 200),
    warmupSeconds: env("ETCD_WARMUP_SECONDS", 2),
  });
  const rows: [string, string][] = [
    ["etcd", r.etcdVersion],
    ["members", String(r.members)],
    ["clients", String(r.clients)],
    ["value bytes", String(r.valueBytes)],
    ["window", `${r.seconds.toFixed(1)} s`],
    ["puts", r.puts.toLocaleString("en-US")],
    ["puts/s", r.putsPerSec.toLocaleString("en-US")],
    ["p50", `${r.p50Ms.toFixed(2)} ms`],
    ["p99", `${r.p99Ms.toFixed(2)} ms`],
    ["errors", r.errors === 0 ? "0" : `${r.errors} (first: ${r.firstError})`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  process.stderr.write(`etcd baseline (durable puts via the v3 JSON gateway)\n${rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join("\n")}\n`);
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`etcd bench failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
