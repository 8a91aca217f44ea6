/**
 * One network of this machine (`#/networks/<name>`, served by `civitas console`): every node's
 * role, health, height, peers, last block, CPU, memory and disk against its hardware profile,
 * and software version, polled; the platform (consensus, suite, hash, block limits); the
 * accounts; start, stop, export (a .tar.gz of compose or systemd files) and delete (the name must
 * be typed, as with `--yes`); and each node's log files, read by the management server from the
 * node's home, so a stopped or crashed node's last lines can be read too.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import type { ReactNode } from "react";
import type { NetworkDetail as Detail, NodeHealth } from "../../../../src/node/network-wire.js";
import { api, ApiFailure, manageHeaders } from "../api.js";
import { go } from "../router.js";
import { ago, bytes, Card, Empty, ErrorBox, Facts, Loading, num } from "../ui.js";
import { Ring } from "../ring.js";
import { LogView } from "./Logs.js";
import { NetworkCharts } from "./NetworkCharts.js";
import type { NetSample } from "./NetworkCharts.js";

const POLL_MS = 2_000;
/** Chart history kept while the page is open: 5 minutes of polls. */
const SAMPLES = 150;
const START_TIMEOUT_MS = 75_000;
const HASH_OF_SUITE: Record<string, string> = { "ed25519-sha256": "SHA-256", "sm2-sm3": "SM3" };
const LOG_SOURCES = ["node", "host", "system", "process"];

const HEALTH_CLASS: Record<NodeHealth, string> = { healthy: "badge-resolved", idle: "badge-resolved", syncing: "badge-info", starting: "badge-info", lagging: "badge-warning", unreachable: "badge-critical", stopped: "badge-muted" };
const MiB = 1024 * 1024;

/** A measured value against its profile limit, e.g. "212 MiB of 1 GiB". */
const ofLimit = (v: number | undefined, limitMiB: number): string => (v === undefined ? "—" : limitMiB > 0 ? `${bytes(v)} of ${bytes(limitMiB * MiB)}` : bytes(v));

function NodesTable({ d }: { d: Detail }): ReactNode {
  return (
    <div className="table-wrap">
      <table data-testid="node-table">
        <thead>
          <tr>
            <th>Node</th>
            <th>Role</th>
            <th>Health</th>
            <th>Height</th>
            <th>Peers</th>
            <th>Last block</th>
            <th>CPU</th>
            <th>Memory</th>
            <th>Store</th>
            <th>Disk free</th>
            <th>Version</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {d.nodes.map((n) => (
            <tr key={n.name} data-node={n.name} data-health={n.health}>
              <td className="mono">{n.name}</td>
              <td>{n.role}</td>
              <td>
                <span className={`badge ${HEALTH_CLASS[n.health]}`} data-testid="health">
                  {n.health}
                </span>
                {n.reason && <div className="hint">{n.reason}</div>}
              </td>
              <td data-testid="node-height">{n.height !== undefined ? num(n.height) : "—"}</td>
              <td>{n.peers ?? "—"}</td>
              <td>{n.lastBlockTime ? ago(n.lastBlockTime) : "—"}</td>
              <td data-testid="node-cpu">
                {n.cpuPercent !== undefined ? `${n.cpuPercent.toFixed(1)} %` : n.process === "running" ? "measuring…" : "—"}
                {n.hardware.cpus > 0 && <div className="hint">of {n.hardware.cpus} core(s)</div>}
              </td>
              <td data-testid="node-memory">{ofLimit(n.rssBytes, n.hardware.memoryMiB)}</td>
              <td data-testid="node-store">{ofLimit(n.storeBytes, n.hardware.storageMiB)}</td>
              <td>{n.diskFreeBytes !== undefined && n.diskTotalBytes ? `${((n.diskFreeBytes / n.diskTotalBytes) * 100).toFixed(0)} %` : "—"}</td>
              <td>{n.version ?? "—"}</td>
              <td>
                {n.process === "running" && (
                  <a className="api-link" href={`${n.api}/console`} target="_blank" rel="noreferrer" data-testid="node-console">
                    console
                  </a>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Export buttons: the archive comes back as a file download. */
function ExportButtons({ name, onError }: { name: string; onError: (e: unknown) => void }): ReactNode {
  const [busy, setBusy] = useState<string>();
  const [done, setDone] = useState<string>();
  const run = async (target: "compose" | "systemd"): Promise<void> => {
    setBusy(target);
    setDone(undefined);
    try {
      const res = await fetch(`/v1/manage/networks/${encodeURIComponent(name)}/export`, { method: "POST", headers: manageHeaders(true), body: JSON.stringify({ target }), signal: AbortSignal.timeout(60_000) });
      if (!res.ok) {
        const b = (await res.json().catch(() => ({}))) as { code?: string; message?: string; details?: unknown };
        throw new ApiFailure(res.status, b.code ?? `HTTP_${res.status}`, b.message ?? res.statusText, b.details);
      }
      const blob = await res.blob();
      const file = /filename="([^"]+)"/.exec(res.headers.get("content-disposition") ?? "")?.[1] ?? `${name}-${target}.tar.gz`;
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = file;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      setDone(`${file} (${bytes(blob.size)}, ${res.headers.get("x-civitas-files") ?? "?"} entries): unpack it and read its README.md`);
    } catch (e) {
      onError(e);
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <>
      <button type="button" className="secondary" disabled={busy !== undefined} onClick={() => void run("compose")}>
        {busy === "compose" ? "Exporting…" : "Export for docker compose"}
      </button>
      <button type="button" className="secondary" disabled={busy !== undefined} onClick={() => void run("systemd")}>
        {busy === "systemd" ? "Exporting…" : "Export for systemd"}
      </button>
      {done && (
        <span className="notice notice-ok" role="status" data-testid="exported">
          Downloaded {done}
        </span>
      )}
      <span className="hint">The archive holds the network&apos;s passphrase and private keys: keep it as you keep the keys.</span>
    </>
  );
}

function DeleteBox({ name, onError, onDeleting }: { name: string; onError: (e: unknown) => void; onDeleting: (on: boolean) => void }): ReactNode {
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState("");
  const [busy, setBusy] = useState(false);
  if (!open)
    return (
      <button type="button" className="danger" onClick={() => setOpen(true)}>
        Delete…
      </button>
    );
  const run = async (): Promise<void> => {
    setBusy(true);
    // The page stops polling the network (and its logs) that is about to disappear.
    onDeleting(true);
    try {
      await api(`/v1/manage/networks/${encodeURIComponent(name)}/delete`, { method: "POST", body: { confirm: typed }, timeoutMs: 30_000 });
      go("networks");
    } catch (e) {
      onDeleting(false);
      onError(e);
      setBusy(false);
    }
  };
  return (
    <div className="delete-box" data-testid="delete-box" role="group" aria-label="Delete the network">
      <p>
        Deleting stops the nodes and removes the network folder: all blocks, validator keys and the network CA. It cannot be undone. Type <b className="mono">{name}</b> to confirm.
      </p>
      <input aria-label="Network name to confirm" value={typed} onChange={(e) => setTyped(e.target.value)} />
      <button type="button" className="danger" disabled={busy || typed !== name} onClick={() => void run()}>
        {busy ? "Deleting…" : "Delete this network"}
      </button>
      <button type="button" className="secondary" onClick={() => setOpen(false)}>
        Cancel
      </button>
    </div>
  );
}

export function NetworkDetail({ name }: { name: string }): ReactNode {
  const [d, setD] = useState<Detail>();
  const [error, setError] = useState<unknown>();
  const [actionError, setActionError] = useState<unknown>();
  const [busy, setBusy] = useState<string>();
  const [logNode, setLogNode] = useState<string>();
  const ring = useRef(new Ring<NetSample>(SAMPLES));
  const [samples, setSamples] = useState<readonly NetSample[]>([]);

  // Only the newest poll may set the page (an older answer can arrive last), and none once a delete began.
  const seq = useRef(0);
  const [deleting, setDeleting] = useState(false);
  const deletingRef = useRef(false);
  const load = useCallback(async (): Promise<void> => {
    if (deletingRef.current) return;
    const mine = ++seq.current;
    try {
      const next = await api<Detail>(`/v1/manage/networks/${encodeURIComponent(name)}`);
      if (mine !== seq.current || deletingRef.current) return;
      setD(next);
      setError(undefined);
      const nodes: NetSample["nodes"] = {};
      for (const n of next.nodes) if (n.process === "running") nodes[n.name] = { tps: n.tps, blockTime: n.blockTimeSeconds, latency: n.commitLatencySeconds, mempool: n.mempool };
      ring.current.push({ at: Date.now(), nodes });
      setSamples(ring.current.toArray().slice());
    } catch (e) {
      if (mine !== seq.current || deletingRef.current) return;
      setError(e);
    }
  }, [name]);
  const startDelete = (on: boolean): void => {
    deletingRef.current = on;
    setDeleting(on);
  };

  useEffect(() => {
    void load();
    const t = setInterval(() => void load(), POLL_MS);
    return () => clearInterval(t);
  }, [load]);

  const act = async (what: "start" | "stop"): Promise<void> => {
    setBusy(what);
    setActionError(undefined);
    try {
      await api(`/v1/manage/networks/${encodeURIComponent(name)}/${what}`, { method: "POST", body: {}, timeoutMs: START_TIMEOUT_MS });
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(undefined);
      void load();
    }
  };

  if (!d) {
    return (
      <>
        <p>
          <a href="#/networks">← All networks</a>
        </p>
        {error !== undefined ? <ErrorBox title={`Cannot read network '${name}'`} error={error} /> : <Loading what={`network '${name}'`} />}
      </>
    );
  }
  const healthy = d.nodes.filter((n) => n.health === "healthy" || n.health === "idle").length;
  const p = d.platform;
  const node = logNode ?? d.nodes[0]?.name;
  return (
    <>
      <p>
        <a href="#/networks">← All networks</a>
      </p>
      <h1>
        Network <span className="mono">{d.name}</span>
      </h1>
      {error !== undefined && <ErrorBox title="The last poll failed; showing the last answer" error={error} />}
      {actionError !== undefined && <ErrorBox title="The action failed" error={actionError} />}
      <div className="grid">
        <Card title="Network" testid="network-card">
          <Facts
            rows={[
              ["Chain", d.chainId],
              ["Status", <span data-testid="network-status">{d.status}</span>],
              ["Healthy nodes", <span data-testid="healthy-count">{`${healthy} of ${d.nodes.length}`}</span>],
              ["Fault tolerance", d.faultTolerance !== undefined ? `${d.faultTolerance} faulty validator(s)` : "—"],
              ["Folder", <span className="mono">{d.dir}</span>],
            ]}
          />
          <p className="actions">
            {d.status === "stopped" ? (
              <button type="button" disabled={busy !== undefined} onClick={() => void act("start")}>
                {busy === "start" ? "Starting…" : "Start"}
              </button>
            ) : (
              <button type="button" className="secondary" disabled={busy !== undefined} onClick={() => void act("stop")}>
                {busy === "stop" ? "Stopping…" : "Stop"}
              </button>
            )}
            <ExportButtons name={d.name} onError={setActionError} />
          </p>
          <DeleteBox name={d.name} onError={setActionError} onDeleting={startDelete} />
        </Card>
        <Card title="Platform" testid="network-platform">
          {!p ? (
            <Empty>Start the network to read its platform facts from a node.</Empty>
          ) : (
            <Facts
              rows={[
                ["Consensus", p.consensus === "bft" ? "BFT (Tendermint-style)" : "solo (one validator)", "net-consensus"],
                ["Crypto suite", p.cryptoSuite, "net-suite"],
                ["Hash function", HASH_OF_SUITE[p.cryptoSuite] ?? "?"],
                ["Block interval", `${num(p.blockIntervalMs)} ms`],
                ["Block limits", `${num(p.maxBlockTxs)} txs, ${bytes(p.maxBlockBytes)}`],
                ["Transaction limits", `${bytes(p.maxTxBytes)}, ${num(p.maxTxGas)} gas`],
              ]}
            />
          )}
        </Card>
        <Card title={`Accounts (${d.accounts.length})`} testid="network-accounts">
          {d.accounts.length === 0 ? (
            <Empty>No account keys in this network&apos;s folder.</Empty>
          ) : (
            <Facts rows={d.accounts.map((a, i) => [i === 0 ? `${a.name} (authority)` : a.name, <span className="mono hash-full">{a.address}</span>])} />
          )}
        </Card>
      </div>
      <Card title={`Nodes (${d.nodes.length})`} wide testid="network-nodes">
        <NodesTable d={d} />
      </Card>
      <h2>Live charts, per node</h2>
      {d.status === "stopped" ? <Empty>The network is stopped: start it to see its nodes&apos; figures.</Empty> : <NetworkCharts samples={samples} nodes={d.nodes.map((n) => n.name)} />}
      <Card title="Node logs" wide testid="network-logs">
        {node === undefined ? (
          <Empty>This network has no nodes.</Empty>
        ) : deleting ? (
          <Empty>Deleting the network…</Empty>
        ) : (
          <LogView path={`/v1/manage/networks/${encodeURIComponent(d.name)}/nodes/${encodeURIComponent(node)}/logs`} sources={LOG_SOURCES} refusedTitle="Cannot read the logs" emptyText="No line matches these filters in this node's log files (a node that never ran has none yet).">
            <label>
              Node{" "}
              <select aria-label="Node" value={node} onChange={(e) => setLogNode(e.target.value)}>
                {d.nodes.map((n) => (
                  <option key={n.name}>{n.name}</option>
                ))}
              </select>
            </label>
          </LogView>
        )}
      </Card>
    </>
  );
}
