/**
 * Talking to the node that served the console (same origin only: the page's CSP allows no other
 * host). Errors keep the node's `{code, message, details}` so pages can show the reason.
 */
import { signedFetch } from "../../../src/sdk/signed-fetch.js";
import type { Wallet } from "../../../src/sdk/wallet.js";

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** Requests that hang are abandoned: the console polls, and a stuck request would pile up. */
const TIMEOUT_MS = 8_000;

async function decode<T>(res: Response): Promise<T> {
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    if (!res.ok) throw new ApiFailure(res.status, "HTTP_" + res.status, text.slice(0, 200) || res.statusText);
    throw new ApiFailure(res.status, "BAD_RESPONSE", "the node answered with something that is not JSON");
  }
  if (!res.ok) {
    const b = body as { code?: string; message?: string; details?: unknown };
    throw new ApiFailure(res.status, b.code ?? "HTTP_" + res.status, b.message ?? res.statusText, b.details);
  }
  return body as T;
}

function unreachable(e: unknown): never {
  if (e instanceof ApiFailure) throw e;
  const timeout = e instanceof DOMException && e.name === "TimeoutError";
  throw new ApiFailure(0, timeout ? "TIMEOUT" : "UNREACHABLE", timeout ? "the node did not answer in time" : "the node cannot be reached (stopped, or the network is down)");
}

const TOKEN_KEY = "civitas-manage-token";

/**
 * The session token of `civitas console` (its printed link ends in `?token=…`): taken from the
 * URL once, kept in this tab's sessionStorage, and removed from the address bar and history.
 */
export function manageToken(): string | undefined {
  const u = new URL(location.href);
  const t = u.searchParams.get("token");
  if (t) {
    sessionStorage.setItem(TOKEN_KEY, t);
    u.searchParams.delete("token");
    history.replaceState(null, "", u.pathname + u.search + u.hash);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

/** Headers of a management request: JSON body and the session token. */
export function manageHeaders(json: boolean): Record<string, string> {
  const t = manageToken();
  return { ...(json ? { "content-type": "application/json" } : {}), ...(t ? { authorization: `Bearer ${t}` } : {}) };
}

/** GET (or another method) of a JSON route, signed when a wallet is given. */
export async function api<T>(path: string, o: { wallet?: Wallet; method?: string; body?: unknown; timeoutMs?: number } = {}): Promise<T> {
  const init: RequestInit = { method: o.method ?? "GET", signal: AbortSignal.timeout(o.timeoutMs ?? TIMEOUT_MS) };
  if (path.startsWith("/v1/manage/")) init.headers = manageHeaders(o.body !== undefined);
  else if (o.body !== undefined) init.headers = { "content-type": "application/json" };
  if (o.body !== undefined) init.body = JSON.stringify(o.body);
  try {
    const res = o.wallet ? await signedFetch(o.wallet, location.origin + path, init) : await fetch(path, init);
    return await decode<T>(res);
  } catch (e) {
    return unreachable(e);
  }
}

export async function metricsText(): Promise<string> {
  try {
    const res = await fetch("/metrics", { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!res.ok) await decode(res);
    return await res.text();
  } catch (e) {
    return unreachable(e);
  }
}

export { metric, parseMetrics } from "../../../src/util/prom-text.js";

// Shapes of the routes the console reads (docs/spec/console.md lists them).
export interface PeerInfo {
  id: string;
  address: string;
  direction: string;
  role: string;
  connectedAt?: number;
}
export interface Status {
  node: { moniker: string; version: string; uptimeMs: number };
  chain: {
    chainId: string;
    genesisHash: string;
    cryptoSuite: string;
    consensus: string;
    blockIntervalMs: number;
    maxBlockTxs: number;
    maxBlockBytes: number;
    maxTxBytes: number;
    maxTxGas: number;
    maxTxExpiryMs: number;
    authority: string;
  };
  head: { height: number; hash: string; time: number };
  consensus: { engine: string; height: number; round: number; lastBlockTime: number; step?: string; role?: string; peersAhead?: number; syncing?: boolean };
  network?: { nodeId: string; listen: string; peers: PeerInfo[] };
  mempool: { pending: number };
  validators: Array<{ address: string; publicKey: string; power: number }>;
}
export interface Header {
  hash: string;
  height: number;
  time: number;
  prevHash: string;
  txRoot: string;
  receiptRoot: string;
  stateRoot: string;
  validatorSetHash: string;
  proposer: string;
  txCount: number;
}
export interface Commit {
  height: number;
  round: number;
  signatures: Array<{ validator: string; time: number }>;
}
export interface BlockJson {
  hash: string;
  header: Header;
  txs: string[];
  commit: Commit;
}
export interface EventJson {
  module: string;
  type: string;
  accounts: string[];
  attrs: unknown;
}
export interface ReceiptJson {
  status: string;
  code: string;
  message: string;
  gasUsed: number;
  events: EventJson[];
}
export interface TxJson {
  hash: string;
  status: "committed" | "pending";
  height?: number;
  index?: number;
  header?: Header;
  tx: { from: string; nonce: number; expires: number; gasLimit: number; memo: string; calls: Array<{ module: string; method: string; args: unknown }> };
  raw: string;
  receipt?: ReceiptJson;
  proof?: { leafHash: string; index: number; treeSize: number; proof: string[]; root: string };
}
export interface AccountJson {
  address: string;
  nonce: number;
  balance: unknown;
  height: number;
}
export interface AccountTxs {
  txs: Array<{ hash: string; height: number; index: number; receipt: ReceiptJson | null }>;
}
export interface Alert {
  key: string;
  rule: string;
  kind: string;
  severity: string;
  subject: string;
  state: "firing" | "resolved";
  value: number;
  threshold: number;
  message: string;
  startsAt: number;
  endsAt?: number;
}
export interface AlertsJson {
  firing: Alert[];
  history: Array<{ event: string; alert: Alert; at: number | string }>;
  webhook?: { sent: number; failed: number; dropped: number; retries: number; queued: number };
}
export type Rule = { id: string; kind: string; severity?: string; enabled?: boolean; forSeconds?: number } & Record<string, unknown>;
export interface RulesJson {
  rules: Rule[];
  persisted: boolean;
  kinds: Record<string, Record<string, string>>;
}
