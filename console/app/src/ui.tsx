/** Small shared pieces: loading, error and empty states, formatting, links. */
import type { ReactNode } from "react";
import { ApiFailure } from "./api.js";

export function Loading({ what }: { what: string }): ReactNode {
  return (
    <p className="loading" role="status" data-testid="loading">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  );
}

/** What an error means for the user, with the node's code and what to do next. */
function advice(e: ApiFailure): string {
  switch (e.code) {
    case "AUTH_REQUIRED":
      return "This is operator data: paste an operator's secret key under “Operator key” to sign the request.";
    case "ACCESS_DENIED":
      return "The key you gave is not allowed to do this. The chain authority grants the operator role: civitas access role grant operator <address> --key authority.";
    case "AUTH_INVALID":
    case "AUTH_EXPIRED":
      return "The signature was refused: check the key and that this computer's clock is right.";
    case "UNREACHABLE":
    case "TIMEOUT":
      return "Check that the node is running; the console retries by itself.";
    default:
      return "";
  }
}

export function ErrorBox({ error, title }: { error: unknown; title?: string }): ReactNode {
  const e = error instanceof ApiFailure ? error : new ApiFailure(0, "ERROR", error instanceof Error ? error.message : String(error));
  const a = advice(e);
  return (
    <div className="notice notice-bad" role="alert" data-testid="error" data-code={e.code}>
      <p>
        <strong>{title ?? "Something went wrong"}</strong>
        {e.status ? ` (HTTP ${e.status} ${e.code})` : ` (${e.code})`}: {e.message}
      </p>
      {a && <p className="hint">{a}</p>}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }): ReactNode {
  return <p className="empty">{children}</p>;
}

export function Card({ title, children, wide, testid }: { title: string; children: ReactNode; wide?: boolean; testid?: string }): ReactNode {
  return (
    <section className={wide ? "card card-wide" : "card"} data-testid={testid}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

export type Row = [string, ReactNode, string?];

export function Facts({ rows }: { rows: Row[] }): ReactNode {
  return (
    <dl className="facts">
      {rows.map(([k, v, id]) => (
        <div key={k} className="fact">
          <dt>{k}</dt>
          <dd data-testid={id}>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

export const short = (h: string, n = 10): string => (h.length > 2 * n + 1 ? `${h.slice(0, n)}…${h.slice(-6)}` : h);

export function Hash({ value, to }: { value: string; to?: string }): ReactNode {
  return to ? (
    <a className="mono" href={to} title={value}>
      {short(value)}
    </a>
  ) : (
    <span className="mono hash-full">{value}</span>
  );
}

/** An event's accounts, one link to the explorer's account view per line. */
export function AccountLinks({ accounts }: { accounts: string[] }): ReactNode {
  return accounts.map((a) => (
    <div key={a}>
      <a className="mono" href={`#/explorer/account/${a}`}>
        {a}
      </a>
    </div>
  ));
}

export const fmtTime = (ms: number): string => new Date(ms).toISOString().replace("T", " ").replace(/\.\d{3}Z$/, " UTC");

export function ago(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

export function bytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

export const num = (n: number): string => n.toLocaleString("en-US");

export function json(v: unknown): string {
  return JSON.stringify(v, null, 2);
}
