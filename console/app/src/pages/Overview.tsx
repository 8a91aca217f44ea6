/** Overview: this node (role, status, peers, software, platform, resources) and the validators. */
import type { ReactNode } from "react";
import { metric } from "../api.js";
import type { Live } from "../live.js";
import { ago, bytes, Card, Empty, ErrorBox, Facts, fmtTime, Loading, num } from "../ui.js";
import type { Row } from "../ui.js";

const HASH_OF_SUITE: Record<string, string> = { "ed25519-sha256": "SHA-256", "sm2-sm3": "SM3" };
const SIG_OF_SUITE: Record<string, string> = { "ed25519-sha256": "Ed25519", "sm2-sm3": "SM2" };

export function Overview({ live }: { live: Live }): ReactNode {
  const s = live.status;
  if (!s) return live.error ? <ErrorBox title="Cannot read this node's status" error={live.error} /> : <Loading what="the node's status" />;
  const c = s.consensus;
  const role = s.chain.consensus === "solo" ? "validator (solo)" : (c.role ?? "—");
  const peers = s.network?.peers ?? [];
  const m = live.metrics;
  const last = live.samples[live.samples.length - 1];
  const mb = (name: string, labels?: Record<string, string>): number | undefined => (m ? metric(m, name, labels) : undefined);
  const store = mb("civitas_disk_bytes", { kind: "store" });
  const free = mb("civitas_disk_bytes", { kind: "free" });
  const total = mb("civitas_disk_bytes", { kind: "total" });
  return (
    <>
      <h1>Overview</h1>
      {live.error && <ErrorBox title="The last status poll failed; showing the last answer" error={live.error} />}
      <div className="grid">
        <Card title="This node" testid="node-card">
          <Facts
            rows={[
              ["Name", s.node.moniker, "node-moniker"],
              ["Role", role, "node-role"],
              ["State", live.error ? <span className="bad">unreachable</span> : c.syncing ? "on, syncing from peers" : <span className="ok">{c.step === "waiting-for-txs" ? "on, idle (no transactions to commit)" : "on, committing"}</span>, "node-state"],
              ["Software", `civitas ${s.node.version}`, "node-version"],
              ["Up for", ago(Date.now() - s.node.uptimeMs).replace(" ago", "")],
              ...(s.network ? ([["Node id", <span className="mono">{s.network.nodeId}</span>], ["P2P listen", s.network.listen]] as Row[]) : []),
            ]}
          />
        </Card>
        <Card title="Status" testid="status-card">
          <Facts
            rows={[
              ["Height", num(s.head.height), "node-height"],
              ["Last block", `${fmtTime(s.head.time)} (${ago(s.head.time)})`, "node-last-block"],
              ["Round", String(c.round), "node-round"],
              ...(c.step ? ([["Step", c.step]] as Row[]) : []),
              ["Mempool", `${num(s.mempool.pending)} transactions waiting`, "node-mempool"],
              ["Peers", s.network ? String(peers.length) : "none (solo node)", "node-peers"],
            ]}
          />
        </Card>
        <Card title="Platform" testid="platform-card">
          <Facts
            rows={[
              ["Chain", s.chain.chainId, "chain-id"],
              ["Consensus", s.chain.consensus === "bft" ? "BFT (Tendermint-style)" : "solo (one validator)", "platform-consensus"],
              ["Crypto suite", `${s.chain.cryptoSuite} (${SIG_OF_SUITE[s.chain.cryptoSuite] ?? "?"} signatures)`, "platform-suite"],
              ["Hash function", HASH_OF_SUITE[s.chain.cryptoSuite] ?? "?", "platform-hash"],
              ["Block interval", `${num(s.chain.blockIntervalMs)} ms`],
              ["Block limits", `${num(s.chain.maxBlockTxs)} txs, ${bytes(s.chain.maxBlockBytes)}`, "platform-limits"],
              ["Transaction limits", `${bytes(s.chain.maxTxBytes)}, ${num(s.chain.maxTxGas)} gas`],
              ["Genesis hash", <span className="mono hash-full">{s.chain.genesisHash}</span>],
            ]}
          />
        </Card>
        <Card title="Resources" testid="resources-card">
          {live.metricsError && !m ? (
            <ErrorBox title="Metrics are not available" error={live.metricsError} />
          ) : !m ? (
            <Loading what="metrics" />
          ) : (
            <Facts
              rows={[
                ["CPU", last?.cpu != null ? `${last.cpu.toFixed(1)} % of one core` : "measuring…", "res-cpu"],
                ["Memory (RSS)", last?.rssBytes != null ? bytes(last.rssBytes) : "—", "res-memory"],
                ["Heap used", mb("nodejs_heap_size_used_bytes") !== undefined ? bytes(mb("nodejs_heap_size_used_bytes") as number) : "—"],
                ["Store size", store !== undefined ? bytes(store) : "—", "res-store"],
                ["Disk free", free !== undefined && total ? `${bytes(free)} of ${bytes(total)} (${((free / total) * 100).toFixed(0)} %)` : "—", "res-disk"],
              ]}
            />
          )}
        </Card>
      </div>

      <Card title={`Peers (${peers.length})`} wide testid="peers-card">
        {!s.network ? (
          <Empty>This is a solo node: it has no peers.</Empty>
        ) : peers.length === 0 ? (
          <Empty>No peer is connected right now. Peers connect over mutual TLS; see the node log if this lasts.</Empty>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Node id</th>
                  <th>Address</th>
                  <th>Role</th>
                  <th>Direction</th>
                  <th>Connected</th>
                </tr>
              </thead>
              <tbody>
                {peers.map((p) => (
                  <tr key={p.id}>
                    <td className="mono">{p.id}</td>
                    <td>{p.address}</td>
                    <td>{p.role || "—"}</td>
                    <td>{p.direction}</td>
                    <td>{p.connectedAt ? ago(p.connectedAt) : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>

      <Card title={`Validators (${s.validators.length})`} wide testid="validators-card">
        {s.validators.length === 0 ? (
          <Empty>No validators: the chain cannot make blocks.</Empty>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Address</th>
                  <th>Power</th>
                  <th>Public key</th>
                </tr>
              </thead>
              <tbody>
                {s.validators.map((v) => (
                  <tr key={v.address}>
                    <td>
                      <a className="mono" href={`#/explorer/account/${v.address}`}>
                        {v.address}
                      </a>
                    </td>
                    <td>{v.power}</td>
                    <td className="mono hash-full">{v.publicKey}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </>
  );
}
