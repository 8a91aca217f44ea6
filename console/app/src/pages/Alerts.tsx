/**
 * Alerts: firing alerts and past transitions (GET /v1/alerts, polled), and the rule set
 * (GET|PUT /v1/alerts/rules) as an editable table. These are operator routes: every request is
 * signed with the key from the key panel; without one the node's own refusal is shown.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import type { ReactNode } from "react";
import type { Wallet } from "../../../../src/sdk/wallet.js";
import { api, ApiFailure } from "../api.js";
import type { Alert, AlertsJson, Rule, RulesJson } from "../api.js";
import { KeyPanel } from "../key.js";
import { ago, Card, Empty, ErrorBox, fmtTime, Loading } from "../ui.js";

const POLL_MS = 2_000;
const COMMON = new Set(["id", "kind", "severity", "enabled", "forSeconds"]);
const SEVERITIES = ["info", "warning", "critical"];
/** Starting parameters of a new rule of each kind (the node validates them when saved). */
const NEW_RULE: Record<string, Record<string, number>> = {
  tps_above: { tps: 1000, windowSeconds: 10 },
  tps_below: { tps: 1, windowSeconds: 60 },
  node_down: { seconds: 30 },
  height_stalled: { seconds: 60 },
  peers_below: { peers: 1 },
  disk_free_below: { percent: 10 },
  cert_expiry: { days: 30 },
};

function AlertTable({ alerts, testid }: { alerts: Alert[]; testid: string }): ReactNode {
  return (
    <div className="table-wrap">
      <table data-testid={testid}>
        <thead>
          <tr>
            <th>Alert</th>
            <th>Severity</th>
            <th>Message</th>
            <th>Since</th>
          </tr>
        </thead>
        <tbody>
          {alerts.map((a) => (
            <tr key={a.key} data-key={a.key} className={`sev-${a.severity}`}>
              <td className="mono">{a.key}</td>
              <td>
                <span className={`badge badge-${a.severity}`}>{a.severity}</span>
              </td>
              <td>{a.message}</td>
              <td title={fmtTime(a.startsAt)}>{ago(a.startsAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RulesEditor({ wallet }: { wallet: Wallet }): ReactNode {
  const [loaded, setLoaded] = useState<RulesJson>();
  const [draft, setDraft] = useState<Rule[]>();
  const [loadError, setLoadError] = useState<unknown>();
  const [saveError, setSaveError] = useState<unknown>();
  const [saved, setSaved] = useState<string>();
  const [saving, setSaving] = useState(false);
  const [newKind, setNewKind] = useState("tps_above");

  useEffect(() => {
    let live = true;
    api<RulesJson>("/v1/alerts/rules", { wallet }).then(
      (r) => {
        if (!live) return;
        setLoaded(r);
        setDraft(r.rules.map((x) => ({ ...x })));
        setLoadError(undefined);
      },
      (e: unknown) => live && setLoadError(e),
    );
    return () => {
      live = false;
    };
  }, [wallet]);

  if (loadError !== undefined) return <ErrorBox title="Cannot read the alert rules" error={loadError} />;
  if (!loaded || !draft) return <Loading what="the alert rules" />;

  const edit = (i: number, field: string, value: unknown): void => {
    setSaved(undefined);
    setDraft((d) => d?.map((r, k) => (k === i ? { ...r, [field]: value } : r)));
  };
  const save = async (): Promise<void> => {
    setSaving(true);
    setSaveError(undefined);
    setSaved(undefined);
    try {
      const r = await api<{ rules: Rule[]; persisted: boolean }>("/v1/alerts/rules", { wallet, method: "PUT", body: { rules: draft } });
      setDraft(r.rules.map((x) => ({ ...x })));
      setLoaded({ ...loaded, rules: r.rules, persisted: r.persisted });
      setSaved(`Saved ${r.rules.length} rule(s) at ${new Date().toLocaleTimeString()}${r.persisted ? "; the node keeps them across restarts" : ""}.`);
    } catch (e) {
      setSaveError(e);
    } finally {
      setSaving(false);
    }
  };
  const fieldOf = (e: unknown): string | undefined => (e instanceof ApiFailure ? (e.details as { field?: string } | undefined)?.field : undefined);

  return (
    <>
      {draft.length === 0 ? (
        <Empty>No rules: nothing will alert. Add one below.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="rules" data-testid="rules">
            <thead>
              <tr>
                <th>Rule</th>
                <th>On</th>
                <th>Severity</th>
                <th>Thresholds</th>
                <th>For (s)</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {draft.map((r, i) => (
                <tr key={i} data-rule={r.id}>
                  <td>
                    <span className="mono">{r.id}</span>
                    <br />
                    <span className="hint">{r.kind}</span>
                  </td>
                  <td>
                    <input type="checkbox" aria-label={`${r.id} enabled`} checked={r.enabled !== false} onChange={(e) => edit(i, "enabled", e.target.checked)} />
                  </td>
                  <td>
                    <select aria-label={`${r.id} severity`} value={r.severity ?? "warning"} onChange={(e) => edit(i, "severity", e.target.value)}>
                      {SEVERITIES.map((s) => (
                        <option key={s}>{s}</option>
                      ))}
                    </select>
                  </td>
                  <td className="params">
                    {Object.keys(r)
                      .filter((k) => !COMMON.has(k))
                      .map((k) => (
                        <label key={k} className="param" title={loaded.kinds[r.kind]?.[k]}>
                          {k}
                          <input type="number" step="any" aria-label={`${r.id} ${k}`} data-param={k} value={String(r[k] ?? "")} onChange={(e) => edit(i, k, e.target.value === "" ? "" : Number(e.target.value))} />
                        </label>
                      ))}
                  </td>
                  <td>
                    <input type="number" min={0} aria-label={`${r.id} forSeconds`} value={r.forSeconds ?? 0} onChange={(e) => edit(i, "forSeconds", Number(e.target.value))} />
                  </td>
                  <td>
                    <button type="button" className="secondary" onClick={() => setDraft((d) => d?.filter((_, k) => k !== i))}>
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="row actions">
        <label className="field-label" htmlFor="new-kind">
          New rule
        </label>
        <select id="new-kind" value={newKind} onChange={(e) => setNewKind(e.target.value)}>
          {Object.keys(loaded.kinds).map((k) => (
            <option key={k}>{k}</option>
          ))}
        </select>
        <button
          type="button"
          className="secondary"
          onClick={() => {
            let n = draft.length + 1;
            while (draft.some((r) => r.id === `${newKind.replace(/_/g, "-")}-${n}`)) n++;
            setDraft([...draft, { id: `${newKind.replace(/_/g, "-")}-${n}`, kind: newKind, severity: "warning", ...(NEW_RULE[newKind] ?? {}) }]);
          }}
        >
          Add rule
        </button>
        <button type="button" data-testid="save-rules" disabled={saving} onClick={() => void save()}>
          {saving ? "Saving…" : "Save rules"}
        </button>
        <button type="button" className="secondary" onClick={() => setDraft(loaded.rules.map((x) => ({ ...x })))}>
          Undo changes
        </button>
      </div>
      {saveError !== undefined && <ErrorBox title={`The node refused the rules${fieldOf(saveError) ? ` (field ${fieldOf(saveError)})` : ""}; nothing changed`} error={saveError} />}
      {saved && (
        <p className="notice notice-ok" role="status" data-testid="rules-saved">
          {saved}
        </p>
      )}
      <p className="hint">Saving replaces the node's whole rule set (PUT /v1/alerts/rules, signed). Rule kinds and parameters: docs/spec/monitoring.md.</p>
    </>
  );
}

export function Alerts({ wallet, setWallet, suite }: { wallet?: Wallet; setWallet: (w: Wallet | undefined) => void; suite?: string }): ReactNode {
  const [data, setData] = useState<AlertsJson>();
  const [error, setError] = useState<unknown>();

  // Only the newest request may set the tables: an answer signed with the previous key can arrive last.
  const seq = useRef(0);
  const load = useCallback(async () => {
    const mine = ++seq.current;
    try {
      const r = await api<AlertsJson>("/v1/alerts?limit=50", { wallet });
      if (mine !== seq.current) return;
      setData(r);
      setError(undefined);
    } catch (e) {
      if (mine !== seq.current) return;
      setError(e);
      setData(undefined);
    }
  }, [wallet]);

  // A refusal of the previous key is not this key's answer: show "loading" until this key's comes in.
  useEffect(() => {
    setError(undefined);
    setData(undefined);
  }, [wallet]);

  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const loop = async (): Promise<void> => {
      await load();
      if (!stop) timer = setTimeout(() => void loop(), POLL_MS);
    };
    void loop();
    return () => {
      stop = true;
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [load]);

  return (
    <>
      <h1>Alerts</h1>
      <KeyPanel wallet={wallet} setWallet={setWallet} suite={suite} />
      {error !== undefined && <ErrorBox title={wallet ? "The node refused to show its alerts" : "Alerts need an operator key"} error={error} />}
      <Card title="Firing now" wide testid="alerts-firing">
        {error !== undefined ? (
          <Empty>Not available (see above).</Empty>
        ) : !data ? (
          <Loading what="alerts" />
        ) : data.firing.length === 0 ? (
          <Empty>No alert is firing. All rules hold.</Empty>
        ) : (
          <AlertTable alerts={data.firing} testid="firing-table" />
        )}
      </Card>
      <Card title="History" wide testid="alerts-history">
        {!data ? (
          error === undefined && <Loading what="the alert history" />
        ) : data.history.length === 0 ? (
          <Empty>No alert has fired since the node started.</Empty>
        ) : (
          <div className="table-wrap">
            <table data-testid="history-table">
              <thead>
                <tr>
                  <th>When</th>
                  <th>Event</th>
                  <th>Alert</th>
                  <th>Message</th>
                </tr>
              </thead>
              <tbody>
                {data.history.map((h, i) => (
                  <tr key={i} data-key={h.alert.key} data-event={h.event}>
                    <td>{fmtTime(typeof h.at === "number" ? h.at : Date.parse(h.at))}</td>
                    <td>
                      <span className={`badge badge-${h.event === "firing" ? h.alert.severity : "resolved"}`}>{h.event}</span>
                    </td>
                    <td className="mono">{h.alert.key}</td>
                    <td>{h.alert.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {data?.webhook && (
          <p className="hint">
            Webhook: {data.webhook.sent} sent, {data.webhook.failed} failed, {data.webhook.queued} queued.
          </p>
        )}
      </Card>
      <Card title="Rules and thresholds" wide testid="alert-rules">
        {wallet ? <RulesEditor key={wallet.address} wallet={wallet} /> : <Empty>Paste an operator key above to see and edit the rules.</Empty>}
      </Card>
    </>
  );
}
