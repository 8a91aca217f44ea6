/**
 * Logs: the node's recent log lines (GET /v1/logs, an operator route, signed with the key from
 * the key panel), filtered by minimum level, source and keyword on the node, newest first.
 * `LogView` is also the log browser of the Networks page, over the management server's route
 * that reads a network node's log files.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import type { FormEvent, ReactNode } from "react";
import type { Wallet } from "../../../../src/sdk/wallet.js";
import { api } from "../api.js";
import { KeyPanel } from "../key.js";
import { Card, Empty, ErrorBox, fmtTime, Loading } from "../ui.js";

const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"];
const SOURCES = ["node", "host", "system"];
const REFRESH_MS = 5_000;

interface Entry {
  source: string;
  level: string;
  time: number;
  msg: string;
  [field: string]: unknown;
}

/** Fields worth showing beside the message (the rest is in the line's JSON). */
const HIDDEN = new Set(["source", "level", "time", "msg", "node", "pid", "hostname"]);

export function Logs({ wallet, setWallet, suite }: { wallet?: Wallet; setWallet: (w: Wallet | undefined) => void; suite?: string }): ReactNode {
  return (
    <>
      <h1>Logs</h1>
      <KeyPanel wallet={wallet} setWallet={setWallet} suite={suite} />
      <LogView path="/v1/logs" wallet={wallet} sources={SOURCES} refusedTitle={wallet ? "The node refused to show its logs" : "Logs need an operator key"} />
    </>
  );
}

/** Filters and the table of lines from `path` (a /v1/logs-shaped route), refreshed every few seconds. */
export function LogView({ path, wallet, sources, refusedTitle, emptyText, children }: { path: string; wallet?: Wallet; sources: string[]; refusedTitle: string; emptyText?: string; children?: ReactNode }): ReactNode {
  const [filter, setFilter] = useState({ level: "info", source: "", keyword: "" });
  const [draft, setDraft] = useState(filter);
  const [entries, setEntries] = useState<Entry[]>();
  const [error, setError] = useState<unknown>();

  // Only the newest request may set the table: an answer for the previous filters can arrive last.
  const seq = useRef(0);
  const load = useCallback(async () => {
    const q = new URLSearchParams({ level: filter.level, limit: "200" });
    if (filter.source) q.set("source", filter.source);
    if (filter.keyword) q.set("keyword", filter.keyword);
    const mine = ++seq.current;
    try {
      const r = await api<{ entries: Entry[] }>(`${path}?${q}`, { wallet });
      if (mine !== seq.current) return;
      setEntries(r.entries);
      setError(undefined);
    } catch (e) {
      if (mine !== seq.current) return;
      setError(e);
      setEntries(undefined);
    }
  }, [filter, wallet, path]);

  // Another key or node: the previous one's lines or refusal are not this one's answer.
  useEffect(() => {
    setError(undefined);
    setEntries(undefined);
  }, [wallet, path]);

  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const loop = async (): Promise<void> => {
      await load();
      if (!stop) timer = setTimeout(() => void loop(), REFRESH_MS);
    };
    void loop();
    return () => {
      stop = true;
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [load]);

  const apply = (e: FormEvent): void => {
    e.preventDefault();
    setFilter({ ...draft, keyword: draft.keyword.trim() });
  };

  return (
    <>
      <form className="row filters" onSubmit={apply} data-testid="log-filters">
        {children}
        <label>
          Level at least{" "}
          <select value={draft.level} onChange={(e) => setDraft({ ...draft, level: e.target.value })}>
            {LEVELS.map((l) => (
              <option key={l}>{l}</option>
            ))}
          </select>
        </label>
        <label>
          Source{" "}
          <select value={draft.source} onChange={(e) => setDraft({ ...draft, source: e.target.value })}>
            <option value="">all</option>
            {sources.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label className="grow">
          Keyword{" "}
          <input type="search" maxLength={200} value={draft.keyword} onChange={(e) => setDraft({ ...draft, keyword: e.target.value })} placeholder="any text in the line" />
        </label>
        <button type="submit">Filter</button>
      </form>
      {error !== undefined && <ErrorBox title={refusedTitle} error={error} />}
      <Card title="Recent lines (newest first)" wide testid="logs">
        {error !== undefined ? (
          <Empty>Not available (see above).</Empty>
        ) : !entries ? (
          <Loading what="log lines" />
        ) : entries.length === 0 ? (
          <Empty>{emptyText ?? "No line matches these filters among the node's recent lines."}</Empty>
        ) : (
          <div className="table-wrap">
            <table data-testid="log-table">
              <thead>
                <tr>
                  <th>Time</th>
                  <th>Level</th>
                  <th>Source</th>
                  <th>Message</th>
                </tr>
              </thead>
              <tbody>
                {entries.map((e, i) => {
                  const extra = Object.entries(e).filter(([k]) => !HIDDEN.has(k));
                  return (
                    <tr key={i} data-level={e.level} data-source={e.source}>
                      <td>{e.time > 0 ? fmtTime(e.time) : "—"}</td>
                      <td>
                        <span className={`badge badge-${e.level === "error" || e.level === "fatal" ? "critical" : e.level === "warn" ? "warning" : "info"}`}>{e.level}</span>
                      </td>
                      <td>{e.source}</td>
                      <td>
                        {e.msg}
                        {extra.length > 0 && <div className="hint mono">{extra.map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(" ")}</div>}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </>
  );
}
