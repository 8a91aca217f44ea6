/**
 * Networks of this machine (only when the console is served by `civitas console`, whose
 * management API is /v1/manage/*): the list with status, height and API links, polled; start and
 * stop buttons; and a form that creates a network from a spec. The node layer checks the spec:
 * its refusal names the field (`details.field`), which is shown under that input.
 */
import { useCallback, useEffect, useState } from "react";
import type { FormEvent, ReactNode } from "react";
import { api, ApiFailure } from "../api.js";
import { Card, Empty, ErrorBox, Loading } from "../ui.js";

const POLL_MS = 2_000;
/** Starting a network waits until every node answers /v1/health (the server allows 60 s). */
const START_TIMEOUT_MS = 75_000;

export interface NetworkRow {
  name: string;
  chainId: string;
  dir: string;
  nodes: number;
  validators: number;
  status: "running" | "partial" | "stopped";
  running: number;
  apis: string[];
  height?: number;
}

interface Form {
  name: string;
  chainId: string;
  validators: string;
  fullNodes: string;
  intervalMs: string;
  consensus: string;
  allowNoFaultTolerance: boolean;
  createEmptyBlocks: boolean;
  apiBase: string;
  p2pBase: string;
}

const EMPTY: Form = { name: "", chainId: "", validators: "4", fullNodes: "0", intervalMs: "200", consensus: "bft", allowNoFaultTolerance: false, createEmptyBlocks: false, apiBase: "8080", p2pBase: "26656" };

/** Spec path of each input, as the node names it in `details.field`. */
const FIELD: Record<string, keyof Form> = {
  name: "name",
  chainId: "chainId",
  "nodes.validators": "validators",
  "nodes.fullNodes": "fullNodes",
  "block.intervalMs": "intervalMs",
  "consensus.algorithm": "consensus",
  "consensus.allowNoFaultTolerance": "allowNoFaultTolerance",
  "block.createEmptyBlocks": "createEmptyBlocks",
  "ports.apiBase": "apiBase",
  "ports.p2pBase": "p2pBase",
};

/** Numbers stay strings when they are not integers, so the node's schema check names the field. */
const num = (v: string): number | string => (/^-?[0-9]+$/.test(v.trim()) ? Number(v) : v);

function toSpec(f: Form): Record<string, unknown> {
  return {
    version: 1,
    name: f.name.trim(),
    ...(f.chainId.trim() ? { chainId: f.chainId.trim() } : {}),
    consensus: { algorithm: f.consensus, allowNoFaultTolerance: f.allowNoFaultTolerance },
    block: { intervalMs: num(f.intervalMs), createEmptyBlocks: f.createEmptyBlocks },
    nodes: { validators: num(f.validators), fullNodes: num(f.fullNodes) },
    ports: { apiBase: num(f.apiBase), p2pBase: num(f.p2pBase) },
  };
}

/** Field errors from a refusal: every schema error, or the one field a later check named. */
function fieldErrors(e: ApiFailure): Partial<Record<keyof Form, string>> {
  const d = (e.details ?? {}) as { field?: string; errors?: Array<{ field: string; why: string }> };
  const out: Partial<Record<keyof Form, string>> = {};
  for (const x of d.errors ?? []) {
    const k = FIELD[x.field];
    if (k && !out[k]) out[k] = x.why;
  }
  const k = d.field !== undefined ? FIELD[d.field] : undefined;
  if (k && !out[k]) out[k] = e.message.replace(/^spec\.[^:]*: /, "");
  return out;
}

function CreateForm({ onCreated }: { onCreated: () => void }): ReactNode {
  const [f, setF] = useState<Form>(EMPTY);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Partial<Record<keyof Form, string>>>({});
  const [failure, setFailure] = useState<unknown>();
  const [done, setDone] = useState<string>();
  const set = (k: keyof Form, v: string | boolean): void => setF((o) => ({ ...o, [k]: v }));

  const submit = async (ev: FormEvent): Promise<void> => {
    ev.preventDefault();
    setBusy(true);
    setErrors({});
    setFailure(undefined);
    setDone(undefined);
    try {
      const r = await api<{ name: string; faultTolerance: number }>("/v1/manage/networks", { method: "POST", body: toSpec(f) });
      setDone(`Created '${r.name}' (tolerates ${r.faultTolerance} faulty validator(s)); start it below.`);
      setF(EMPTY);
      onCreated();
    } catch (e) {
      const fe = e instanceof ApiFailure ? fieldErrors(e) : {};
      setErrors(fe);
      // A refusal not tied to an input (or the server unreachable) is shown above the form.
      if (Object.keys(fe).length === 0) setFailure(e);
    } finally {
      setBusy(false);
    }
  };

  const input = (k: keyof Form, label: string, type: "text" | "number", hint?: string): ReactNode => (
    <label className="form-field">
      <span className="field-label">{label}</span>
      <input type={type} name={k} value={f[k] as string} onChange={(e) => set(k, e.target.value)} aria-invalid={errors[k] ? true : undefined} aria-describedby={errors[k] ? `err-${k}` : undefined} />
      {hint && <span className="hint">{hint}</span>}
      {errors[k] && (
        <span className="field-error" id={`err-${k}`} data-testid={`error-${k}`} role="alert">
          {errors[k]}
        </span>
      )}
    </label>
  );

  return (
    <form className="create-form" onSubmit={(e) => void submit(e)} data-testid="create-network" noValidate>
      {failure !== undefined && <ErrorBox title="The network was not created" error={failure} />}
      {done && (
        <p className="notice notice-ok" role="status" data-testid="created">
          {done}
        </p>
      )}
      <div className="form-grid">
        {input("name", "Name", "text", "a-z, 0-9, '-'")}
        {input("chainId", "Chain id", "text", "defaults to the name")}
        {input("validators", "Validators", "number", "4 or more tolerate a faulty one")}
        {input("fullNodes", "Full nodes", "number")}
        {input("intervalMs", "Block interval (ms)", "number")}
        <label className="form-field">
          <span className="field-label">Consensus</span>
          <select name="consensus" value={f.consensus} onChange={(e) => set("consensus", e.target.value)}>
            <option value="bft">bft</option>
            <option value="solo">solo</option>
          </select>
          {errors.consensus && (
            <span className="field-error" data-testid="error-consensus" role="alert">
              {errors.consensus}
            </span>
          )}
        </label>
        {input("apiBase", "API base port", "number", "node i listens on base + i")}
        {input("p2pBase", "p2p base port", "number")}
        <label className="form-field form-check">
          <input type="checkbox" name="allowNoFaultTolerance" checked={f.allowNoFaultTolerance} onChange={(e) => set("allowNoFaultTolerance", e.target.checked)} />
          <span>Allow bft with 1–3 validators (no fault tolerance)</span>
        </label>
        <label className="form-field form-check">
          <input type="checkbox" name="createEmptyBlocks" checked={f.createEmptyBlocks} onChange={(e) => set("createEmptyBlocks", e.target.checked)} />
          <span>Produce empty blocks (the height grows with no transactions)</span>
        </label>
      </div>
      <p className="actions">
        <button type="submit" disabled={busy}>
          {busy ? "Creating…" : "Create network"}
        </button>
      </p>
    </form>
  );
}

export function Networks(): ReactNode {
  const [rows, setRows] = useState<NetworkRow[]>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState<string>();
  const [actionError, setActionError] = useState<unknown>();

  const load = useCallback(async (): Promise<void> => {
    try {
      setRows((await api<{ networks: NetworkRow[] }>("/v1/manage/networks")).networks);
      setError(undefined);
    } catch (e) {
      setError(e);
    }
  }, []);

  useEffect(() => {
    void load();
    const t = setInterval(() => void load(), POLL_MS);
    return () => clearInterval(t);
  }, [load]);

  const act = async (name: string, what: "start" | "stop"): Promise<void> => {
    setBusy(name);
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

  return (
    <>
      <Card title="Networks on this machine" wide testid="networks">
        {error !== undefined && <ErrorBox title="Cannot list the networks" error={error} />}
        {actionError !== undefined && <ErrorBox title="The action failed" error={actionError} />}
        {rows === undefined && error === undefined && <Loading what="networks" />}
        {rows?.length === 0 && <Empty>No networks yet: create one below.</Empty>}
        {rows !== undefined && rows.length > 0 && (
          <div className="table-wrap">
            <table data-testid="network-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Chain</th>
                  <th>Nodes</th>
                  <th>Status</th>
                  <th>Height</th>
                  <th>APIs</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.name} data-name={r.name} data-status={r.status}>
                    <td className="mono">{r.name}</td>
                    <td className="mono">{r.chainId}</td>
                    <td>
                      {r.nodes} ({r.validators} validators)
                    </td>
                    <td data-testid="status">{r.status === "partial" ? `${r.running}/${r.nodes} up` : r.status}</td>
                    <td data-testid="height">{r.height ?? "–"}</td>
                    <td>
                      {r.apis.map((a) => (
                        <a key={a} className="mono api-link" href={`${a}/v1/status`} target="_blank" rel="noreferrer">
                          {a.replace(/^https?:\/\//, "")}
                        </a>
                      ))}
                    </td>
                    <td>
                      {r.status === "stopped" ? (
                        <button type="button" disabled={busy !== undefined} onClick={() => void act(r.name, "start")}>
                          {busy === r.name ? "Starting…" : "Start"}
                        </button>
                      ) : (
                        <button type="button" className="secondary" disabled={busy !== undefined} onClick={() => void act(r.name, "stop")}>
                          {busy === r.name ? "Stopping…" : "Stop"}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <Card title="Create a network" wide testid="create-card">
        <CreateForm onCreated={() => void load()} />
      </Card>
    </>
  );
}

/** True when this page was served by `civitas console` (its management API answers). */
export async function probeManage(): Promise<boolean> {
  try {
    const r = await fetch("/v1/manage/networks", { signal: AbortSignal.timeout(3_000) });
    return r.ok;
  } catch {
    return false;
  }
}
