/**
 * Signed API requests (RFC 9421 HTTP Message Signatures with the account key of a Wallet), for
 * reads the node's policies do not grant to anonymous callers. Browser-safe.
 *
 *   const res = await signedFetch(wallet, `${url}/v1/identity/trace/${address}`);
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { toHex } from "../util/bytes.js";
import type { Wallet } from "./wallet.js";

export interface SignOptions {
  /** Seconds the signature stays valid (the node accepts at most 300 by default). */
  validitySeconds?: number;
  /** Clock in ms (tests). */
  now?: () => number;
  /** Nonce (default: 16 random bytes as hex). */
  nonce?: string;
  /** Cover `@path` + `@query` instead of `@target-uri` (behind proxies that rewrite the host). */
  pathOnly?: boolean;
  /** Send the public key in `Civitas-Public-Key` (default true; without it the node looks it up in the account's DID). */
  sendPublicKey?: boolean;
}

function base64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function randomNonce(): string {
  const b = new Uint8Array(16);
  globalThis.crypto.getRandomValues(b);
  return toHex(b);
}

/** The headers that sign a request of `method` to `url` with `body` (RFC 9421 + RFC 9530). */
export function signRequestHeaders(wallet: Wallet, method: string, url: string, body?: string | Uint8Array, o: SignOptions = {}): Record<string, string> {
  const u = new URL(url);
  const created = Math.floor((o.now ?? Date.now)() / 1000);
  const expires = created + (o.validitySeconds ?? 60);
  const headers: Record<string, string> = {};
  const components: Array<[string, string]> = [["@method", method.toUpperCase()]];
  if (o.pathOnly) {
    components.push(["@path", u.pathname]);
    if (u.search) components.push(["@query", u.search]);
  } else components.push(["@target-uri", u.href]);
  if (body !== undefined && (typeof body === "string" ? body.length > 0 : body.length > 0)) {
    const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
    headers["content-digest"] = `sha-256=:${base64(sha256(bytes))}:`;
    components.push(["content-digest", headers["content-digest"]]);
  }
  const params = `(${components.map(([n]) => `"${n}"`).join(" ")});created=${created};expires=${expires};nonce="${o.nonce ?? randomNonce()}";keyid="${wallet.address}";alg="ed25519"`;
  const base = [...components.map(([n, v]) => `"${n}": ${v}`), `"@signature-params": ${params}`].join("\n");
  headers["signature-input"] = `sig1=${params}`;
  headers["signature"] = `sig1=:${base64(wallet.signHttpMessage(base))}:`;
  if (o.sendPublicKey !== false) headers["civitas-public-key"] = wallet.publicKeyHex;
  return headers;
}

/** `fetch` with the request signed by `wallet`. */
export async function signedFetch(wallet: Wallet, url: string, init: RequestInit = {}, o: SignOptions = {}): Promise<Response> {
  const method = init.method ?? "GET";
  const body = typeof init.body === "string" || init.body instanceof Uint8Array ? init.body : undefined;
  if (init.body !== undefined && init.body !== null && body === undefined) throw new Error("signedFetch signs string or Uint8Array bodies only");
  const headers = new Headers(init.headers);
  for (const [k, v] of Object.entries(signRequestHeaders(wallet, method, url, body, o))) headers.set(k, v);
  return fetch(url, { ...init, method, headers });
}
