/**
 * HTTP client for a Civitas node. Works wherever `fetch` exists (Node 18+, browsers).
 * Failures from the node surface as `ApiError` with the node's stable error code.
 */
import type { SmtProof } from "../ledger/smt-proof.js";
import type { SignedTx } from "../ledger/tx.js";
import { txHash } from "../ledger/tx.js";
import { toHex } from "../util/bytes.js";
import type { CallInput, Wallet } from "./wallet.js";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export interface TxResponse {
  hash: string;
  status: "pending" | "committed";
  height?: number;
  index?: number;
  blockHash?: string;
  header?: Record<string, unknown>;
  tx?: Record<string, unknown>;
  /** The signed transaction's wire bytes as hex: the leaf the inclusion proof is about. */
  raw?: string;
  receipt?: { txHash: string; status: "ok" | "failed"; code: string | null; message: string; gasUsed: number; events: Array<{ module: string; type: string; accounts: string[]; attrs: Record<string, unknown> }> };
  proof?: { leafHash: string; index: number; treeSize: number; proof: string[]; root: string };
}

export interface SubmitResult {
  hash?: string;
  error?: { code: string; message: string; details: Record<string, unknown> };
}

export class CivitasClient {
  private readonly base: string;

  constructor(
    url: string,
    private readonly opts: { fetch?: typeof fetch; timeoutMs?: number } = {},
  ) {
    this.base = url.replace(/\/+$/, "");
  }

  async request<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
    const f = this.opts.fetch ?? fetch;
    const send = (): Promise<Response> =>
      f(this.base + path, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 120_000),
      });
    let res: Response;
    try {
      res = await send();
    } catch (e) {
      // A pooled keep-alive connection the server closed just as it was reused fails the
      // request before it is sent; a GET is safe to send once more on a fresh connection.
      if (method !== "GET") throw new ApiError(0, "NETWORK_ERROR", `cannot reach ${this.base}: ${(e as Error).message}. Is the node running?`);
      try {
        res = await send();
      } catch (e2) {
        throw new ApiError(0, "NETWORK_ERROR", `cannot reach ${this.base}: ${(e2 as Error).message}. Is the node running?`);
      }
    }
    return readApiJson<T>(res);
  }

  status(): Promise<{ chain: { chainId: string; cryptoSuite: string; [k: string]: unknown }; head: { height: number; hash: string; time: number }; validators: Array<{ address: string; publicKey: string; power: number }>; [k: string]: unknown }> {
    return this.request("GET", "/v1/status");
  }

  health(): Promise<{ ok: boolean; height: number }> {
    return this.request("GET", "/v1/health");
  }

  getBlock(id: number | string): Promise<{ hash: string; header: Record<string, unknown>; txs: string[]; commit: { height: number; round: number; blockHash: string; signatures: Array<{ validator: string; time: number; signature: string }> } }> {
    return this.request("GET", `/v1/blocks/${encodeURIComponent(String(id))}`);
  }

  getTx(hash: string, waitMs = 0): Promise<TxResponse> {
    return this.request("GET", `/v1/txs/${hash}${waitMs > 0 ? `?waitMs=${waitMs}` : ""}`);
  }

  getAccount(address: string): Promise<{ address: string; nonce: number; balance: string; height: number; recentTxs: Array<{ hash: string; height: number; index: number }>; balanceProof: { key: string; value: unknown; stateRoot: string; height: number; proof: SmtProof } }> {
    return this.request("GET", `/v1/accounts/${address}`);
  }

  query(module: string, query: string, args: Record<string, string | number | bigint> = {}, height?: number): Promise<{ height: number; key: string; value: unknown; stateRoot: string; proof: SmtProof }> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(args)) q.set(k, String(v));
    if (height !== undefined) q.set("height", String(height));
    const qs = q.toString();
    return this.request("GET", `/v1/query/${module}/${query}${qs ? "?" + qs : ""}`);
  }

  /** Submits one signed transaction (bytes, hex, or SignedTx). */
  async submit(tx: SignedTx | Uint8Array | string, waitMs = 0): Promise<{ hash: string; status: string; height?: number | null }> {
    return this.request("POST", "/v1/txs", { tx: toTxHex(tx), ...(waitMs > 0 ? { waitMs } : {}) });
  }

  async submitBatch(txs: Array<SignedTx | Uint8Array | string>, waitMs = 0): Promise<{ accepted: number; rejected: number; committed?: number; results: SubmitResult[] }> {
    const f = this.opts.fetch ?? fetch;
    // A batch answers 400 when nothing was accepted; the per-item errors are still wanted.
    const res = await f(this.base + "/v1/txs", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ txs: txs.map(toTxHex), ...(waitMs > 0 ? { waitMs } : {}) }) });
    const json = (await res.json()) as { accepted?: number; code?: string; message?: string };
    if (json.accepted === undefined) throw new ApiError(res.status, json.code ?? "HTTP_" + res.status, json.message ?? "batch rejected");
    return json as never;
  }

  /** Polls (long-poll on the node side) until the transaction commits or `timeoutMs` passes. */
  async waitForTx(hash: string, timeoutMs = 30_000): Promise<TxResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      const r = await this.getTx(hash, Math.max(1, Math.min(left, 10_000)));
      if (r.status === "committed") return r;
      if (Date.now() >= deadline) throw new ApiError(0, "TIMEOUT", `transaction ${hash} not committed within ${timeoutMs} ms`);
    }
  }

  /** Reads the sender's next nonce, signs, submits and (by default) waits for the commit. */
  async send(wallet: Wallet, calls: CallInput[], o: { memo?: string; gasLimit?: number; wait?: boolean; timeoutMs?: number; nonce?: number } = {}): Promise<TxResponse> {
    const status = await this.status();
    const nonce = o.nonce ?? (await this.getAccount(wallet.address)).nonce;
    // Stay inside the chain's expiry window (default 10 minutes, less if the chain allows less).
    const window = typeof status.chain.maxTxExpiryMs === "number" ? Math.min(status.chain.maxTxExpiryMs - 1_000, 10 * 60_000) : 10 * 60_000;
    const tx = wallet.buildTx({ chain: status.chain.chainId, nonce, calls, memo: o.memo, gasLimit: o.gasLimit, expires: Date.now() + window });
    const { hash } = await this.submit(tx);
    if (hash !== toHex(txHash(wallet.suite, tx))) throw new ApiError(0, "HASH_MISMATCH", "node reported a different transaction hash");
    if (o.wait === false) return { hash, status: "pending" };
    return this.waitForTx(hash, o.timeoutMs);
  }
}

function toTxHex(tx: SignedTx | Uint8Array | string): string {
  if (typeof tx === "string") return tx;
  return toHex(tx instanceof Uint8Array ? tx : tx.bytes);
}

/** A node API response as JSON; an error status becomes an ApiError with the node's code. */
export async function readApiJson<T>(res: Response): Promise<T> {
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    throw new ApiError(res.status, "BAD_RESPONSE", `node answered ${res.status} with non-JSON: ${text.slice(0, 200)}`);
  }
  if (res.status >= 400) {
    const e = json as { code?: string; message?: string; details?: Record<string, unknown> };
    throw new ApiError(res.status, e.code ?? `HTTP_${res.status}`, e.message ?? text, e.details ?? {});
  }
  return json as T;
}
