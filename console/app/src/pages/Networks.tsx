/**
 * Networks of this machine (only when the console is served by `civitas console`, whose
 * management API is /v1/manage/*): the list with status, height and API links, polled; start and
 * stop buttons; each name opens the network's page (NetworkDetail.tsx); and a form that creates
 * a network from a spec (chain, nodes, hardware profile, BFT timeouts, accounts). The node layer checks the spec:
 * its refusal names the field (`details.field`), which is shown under that input.
 */
import { useCallback, useEffect, useState } from "react";
import type { FormEvent, ReactNode } from "react";
import type { NetworkRow } from "../../../../src/node/network-wire.js";
import { api, ApiFailure, manageHeaders } from "../api.js";
import { Card, Empty, ErrorBox, Loading } from "../ui.js";

const POLL_MS = 2_000;
/** Starting a network waits until every node answers /v1/health (the server allows 60 s). */
const START_TIMEOUT_MS = 75_000;


interface Form {
  name: string;
  chainId: string;
  cryptoSuite: string;
  validators: string;
  fullNodes: string;
  intervalMs: string;
  maxTxs: string;
  consensus: string;
  allowNoFaultTolerance: boolean;
  createEmptyBlocks: boolean;
  proposeMs: string;
  prevoteMs: string;
  precommitMs: string;
  cpus: string;
  memoryMiB: string;
  storageMiB: string;
  accounts: string;
  startNow: boolean;
  apiBase: string;
  p2pBase: string;
}

const EMPTY: Form = {
  name: "",
  chainId: "",
  cryptoSuite: "ed25519-sha256",
  validators: "4",
  fullNodes: "0",
  intervalMs: "200",
  maxTxs: "",
  consensus: "bft",
  allowNoFaultTolerance: false,
  createEmptyBlocks: false,
  proposeMs: "",
  prevoteMs: "",
  precommitMs: "",
  cpus: "",
  memoryMiB: "",
  storageMiB: "",
  accounts: "authority\nalice=5000000",
  startNow: true,
  apiBase: "8080",
  p2pBase: "26656",
};

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
  cryptoSuite: "cryptoSuite",
  "block.maxTxs": "maxTxs",
  "consensus.timeouts.proposeMs": "proposeMs",
  "consensus.timeouts.prevoteMs": "prevoteMs",
  "consensus.timeouts.precommitMs": "precommitMs",
  "nodes.hardware.cpus": "cpus",
  "nodes.hardware.memoryMiB": "memoryMiB",
  "nodes.hardware.storageMiB": "storageMiB",
};

/** The input a spec path belongs to: exact, or `accounts[…]…` → the accounts box. */
const fieldOf = (path: string): keyof Form | undefined => FIELD[path] ?? (/^accounts\b/.test(path) ? "accounts" : undefined);

/** Numbers stay strings when they are not integers, so the node's schema check names the field. */
const num = (v: string): number | string => (/^-?[0-9]+$/.test(v.trim()) ? Number(v) : v);

/** Only the inputs the operator filled in: the rest take the spec's documented defaults. */
function given(entries: Array<[string, string]>): Record<string, number | string> {
  return Object.fromEntries(entries.filter(([, v]) => v.trim() !== "").map(([k, v]) => [k, num(v)]));
}

/** One account per line: `name` (default balance) or `name=balance`. */
function accountsOf(text: string): Array<{ name: string; balance?: string }> {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [name, balance] = l.split("=").map((x) => x.trim());
      return balance !== undefined ? { name, balance } : { name };
    });
}

function toSpec(f: Form): Record<string, unknown> {
  const timeouts = given([
    ["proposeMs", f.proposeMs],
    ["prevoteMs", f.prevoteMs],
    ["precommitMs", f.precommitMs],
  ]);
  const hardware = given([
    ["cpus", f.cpus],
    ["memoryMiB", f.memoryMiB],
    ["storageMiB", f.storageMiB],
  ]);
  const accounts = accountsOf(f.accounts);
  return {
    version: 1,
    name: f.name.trim(),
    ...(f.chainId.trim() ? { chainId: f.chainId.trim() } : {}),
    cryptoSuite: f.cryptoSuite,
    consensus: { algorithm: f.consensus, allowNoFaultTolerance: f.allowNoFaultTolerance, ...(Object.keys(timeouts).length ? { timeouts } : {}) },
    block: { intervalMs: num(f.intervalMs), createEmptyBlocks: f.createEmptyBlocks, ...given([["maxTxs", f.maxTxs]]) },
    nodes: { validators: num(f.validators), fullNodes: num(f.fullNodes), ...(Object.keys(hardware).length ? { hardware } : {}) },
    ports: { apiBase: num(f.apiBase), p2pBase: num(f.p2pBase) },
    ...(accounts.length ? { accounts } : {}),
  };
}

/** Field errors from a refusal: every schema error, or the one field a later check named. */
function fieldErrors(e: ApiFailure): Partial<Record<keyof Form, string>> {
  const d = (e.details ?? {}) as { field?: string; errors?: Array<{ field: string; why: string }> };
  const out: Partial<Record<keyof Form, string>> = {};
  for (const x of d.errors ?? []) {
    const k = fieldOf(x.field);
    if (k && !out[k]) out[k] = x.why;
  }
  const k = d.field !== undefined ? fieldOf(d.field) : undefined;
  if (k && !out[k]) out[k] = e.message.replace(/^spec\.[^:]*: /, "");
  return out;
}

function CreateForm({ onCreated, onStarting }: { onCreated: () => void; onStarting: (name: string | undefined) => void }): ReactNode {
  const [f, setF] = useState<Form>(EMPTY);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Partial<Record<keyof Form, string>>>({});
  const [failure, setFailure] = useState<unknown>();
  const [startFailure, setStartFailure] = useState<unknown>();
  const [done, setDone] = useState<string>();
  const set = (k: keyof Form, v: string | boolean): void => setF((o) => ({ ...o, [k]: v }));

  const submit = async (ev: FormEvent): Promise<void> => {
    ev.preventDefault();
    setBusy(true);
    setErrors({});
    setFailure(undefined);
    setStartFailure(undefined);
    setDone(undefined);
    try {
      const r = await api<{ name: string; faultTolerance: number }>("/v1/manage/networks", { method: "POST", body: toSpec(f) });
      const created = `Created '${r.name}' (tolerates ${r.faultTolerance} faulty validator(s))`;
      setF(EMPTY);
      onCreated();
      if (f.startNow) {
        setDone(`${created}; starting its nodes…`);
        // The list's buttons wait for this start too: a second start would be refused as busy.
        onStarting(r.name);
        try {
          await api(`/v1/manage/networks/${encodeURIComponent(r.name)}/start`, { method: "POST", body: {}, timeoutMs: START_TIMEOUT_MS });
          setDone(`${created} and started it.`);
        } catch (e) {
          setDone(`${created}, but it did not start (see why above); fix that and start it from the list.`);
          setStartFailure(e);
        }
        onStarting(undefined);
        onCreated();
      } else setDone(`${created}; start it from the list.`);
    } catch (e) {
      const fe = e instanceof ApiFailure ? fieldErrors(e) : {};
      setErrors(fe);
      // A refusal not tied to an input (or the server unreachable) is shown above the form.
      if (Object.keys(fe).length === 0) setFailure(e);
    } finally {
      setBusy(false);
    }
  };

  const fieldError = (k: keyof Form): ReactNode =>
    errors[k] && (
      <span className="field-error" id={`err-${k}`} data-testid={`error-${k}`} role="alert">
        {errors[k]}
      </span>
    );
  const input = (k: keyof Form, label: string, type: "text" | "number", hint?: string, placeholder?: string): ReactNode => (
    <label className="form-field">
      <span className="field-label">{label}</span>
      <input type={type} name={k} value={f[k] as string} placeholder={placeholder} onChange={(e) => set(k, e.target.value)} aria-invalid={errors[k] ? true : undefined} aria-describedby={errors[k] ? `err-${k}` : undefined} />
      {hint && <span className="hint">{hint}</span>}
      {fieldError(k)}
    </label>
  );
  const select = (k: keyof Form, label: string, options: string[]): ReactNode => (
    <label className="form-field">
      <span className="field-label">{label}</span>
      <select name={k} value={f[k] as string} onChange={(e) => set(k, e.target.value)}>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
      {fieldError(k)}
    </label>
  );

  return (
    <form className="create-form" onSubmit={(e) => void submit(e)} data-testid="create-network" noValidate>
      {failure !== undefined && <ErrorBox title="The network was not created" error={failure} />}
      {startFailure !== undefined && <ErrorBox title="The network was created but did not start" error={startFailure} />}
      {done && (
        <p className="notice notice-ok" role="status" data-testid="created">
          {done}
        </p>
      )}
      <fieldset>
        <legend>Chain</legend>
        <div className="form-grid">
          {input("name", "Name", "text", "a-z, 0-9, '-'")}
          {input("chainId", "Chain id", "text", "defaults to the name")}
          {select("cryptoSuite", "Crypto suite", ["ed25519-sha256", "sm2-sm3"])}
          {select("consensus", "Consensus", ["bft", "solo"])}
          {input("intervalMs", "Block interval (ms)", "number")}
          {input("maxTxs", "Max transactions per block", "number", undefined, "default 10000")}
          <label className="form-field form-check">
            <input type="checkbox" name="createEmptyBlocks" checked={f.createEmptyBlocks} onChange={(e) => set("createEmptyBlocks", e.target.checked)} />
            <span>Produce empty blocks (the height grows with no transactions)</span>
          </label>
        </div>
      </fieldset>
      <fieldset>
        <legend>Nodes</legend>
        <div className="form-grid">
          {input("validators", "Validators", "number", "4 or more tolerate a faulty one")}
          {input("fullNodes", "Full nodes", "number")}
          {input("apiBase", "API base port", "number", "node i listens on base + i")}
          {input("p2pBase", "p2p base port", "number")}
          <label className="form-field form-check">
            <input type="checkbox" name="allowNoFaultTolerance" checked={f.allowNoFaultTolerance} onChange={(e) => set("allowNoFaultTolerance", e.target.checked)} />
            <span>Allow bft with 1–3 validators (no fault tolerance)</span>
          </label>
        </div>
      </fieldset>
      <fieldset>
        <legend>Hardware profile of every node</legend>
        <div className="form-grid">
          {input("cpus", "CPUs", "number", "reported, and a container limit on export", "unset")}
          {input("memoryMiB", "Memory (MiB)", "number", "the node's heap limit", "unset")}
          {input("storageMiB", "Storage (MiB)", "number", "the node refuses to commit above it", "unset")}
        </div>
      </fieldset>
      <fieldset>
        <legend>BFT timeouts (ms)</legend>
        <div className="form-grid">
          {input("proposeMs", "Propose", "number", undefined, "1000")}
          {input("prevoteMs", "Prevote", "number", undefined, "500")}
          {input("precommitMs", "Precommit", "number", undefined, "500")}
        </div>
      </fieldset>
      <fieldset>
        <legend>Accounts</legend>
        <label className="form-field">
          <span className="field-label">One per line: name or name=balance; the first is the chain authority</span>
          <textarea name="accounts" rows={3} value={f.accounts} onChange={(e) => set("accounts", e.target.value)} aria-invalid={errors.accounts ? true : undefined} />
          {fieldError("accounts")}
        </label>
      </fieldset>
      <p className="actions">
        <label className="form-check">
          <input type="checkbox" name="startNow" checked={f.startNow} onChange={(e) => set("startNow", e.target.checked)} /> Start it now
        </label>{" "}
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
                    <td className="mono">
                      <a href={`#/networks/${encodeURIComponent(r.name)}`} data-testid="network-link">
                        {r.name}
                      </a>
                    </td>
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
        <CreateForm onCreated={() => void load()} onStarting={setBusy} />
      </Card>
    </>
  );
}

/**
 * True when this page was served by `civitas console`: its management API answers, or refuses
 * for want of the session token (401; the Networks page then says how to get it). A node has no
 * such route (404).
 */
export async function probeManage(): Promise<boolean> {
  try {
    const r = await fetch("/v1/manage/networks", { headers: manageHeaders(false), signal: AbortSignal.timeout(3_000) });
    return r.ok || r.status === 401;
  } catch {
    return false;
  }
}
