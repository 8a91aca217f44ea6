/**
 * Request authentication: RFC 9421 HTTP Message Signatures made with an account key, and the
 * node's `ApiAccess` (authenticate, then decide by policy against the head state).
 *
 * A signed request carries
 *   Signature-Input: sig1=("@method" "@target-uri" "content-digest");created=…;expires=…;nonce="…";keyid="0x…";alg="ed25519"
 *   Signature: sig1=:<base64 signature>:
 *   Content-Digest: sha-256=:<base64 SHA-256 of the body>:   (RFC 9530; required with a body)
 *   Civitas-Public-Key: <hex public key>                       (optional: else looked up in identity)
 * Covered components must include `@method` and either `@target-uri` or `@path` (plus `@query`
 * when the URL has one); `created`, `expires`, `nonce` and `keyid` (the account address) are
 * required. The key must hash to `keyid`. A nonce is accepted once while its signature is valid.
 */
import { createHash } from "node:crypto";
import { Transform } from "node:stream";
import type { FastifyRequest } from "fastify";
import type { CedarValueJson } from "@cedar-policy/cedar-wasm/nodejs";
import { ANONYMOUS } from "../access/entities.js";
import type { Uid } from "../access/entities.js";
import type { CryptoSuite } from "../crypto/suite.js";
import type { AccessModule } from "../modules/access/index.js";
import { accountRecord, IDENTITY_MODULE, readDid } from "../modules/identity/index.js";
import type { Chain } from "../node/chain.js";
import { fromHex, isHex, utf8 } from "../util/bytes.js";
import { CivitasError, ErrorCode } from "../util/errors.js";
import type { ApiAccess, ApiPrincipal } from "./context.js";

export interface AuthOptions {
  /** Longest accepted `expires - created`. */
  maxValidityMs: number;
  /** Tolerated difference between the client's clock and the node's. */
  clockSkewMs: number;
  /** Most nonces remembered at once; when full of live nonces, signed requests get API_RATE_LIMITED. */
  replayCacheSize: number;
}

export const DEFAULT_AUTH_OPTIONS: AuthOptions = { maxValidityMs: 5 * 60_000, clockSkewMs: 30_000, replayCacheSize: 100_000 };

export const PUBLIC_KEY_HEADER = "civitas-public-key";
const MAX_NONCE = 128;

const authInvalid = (message: string, details: Record<string, unknown> = {}): CivitasError => new CivitasError(ErrorCode.AUTH_INVALID, message, details);

/** Nonces seen, each kept until its signature expires (plus skew). */
export class ReplayCache {
  private readonly seen = new Map<string, number>();
  constructor(private readonly max: number) {}

  get size(): number {
    return this.seen.size;
  }

  /** Records `key` until `until`; false if it is already there. */
  add(key: string, until: number, now: number): boolean {
    const prev = this.seen.get(key);
    if (prev !== undefined && prev >= now) return false;
    if (this.seen.size >= this.max) {
      for (const [k, t] of this.seen) if (t < now) this.seen.delete(k);
      if (this.seen.size >= this.max) throw new CivitasError(ErrorCode.API_RATE_LIMITED, "too many signed requests in the validity window; retry later", { replayCacheSize: this.max });
    }
    this.seen.set(key, until);
    return true;
  }
}

interface SignatureInput {
  label: string;
  components: string[];
  params: Record<string, string | number>;
  /** The serialised inner list with its parameters, as signed (`@signature-params`). */
  raw: string;
}

/** Parses one member of the Signature-Input dictionary (RFC 8941 inner list with parameters). */
export function parseSignatureInput(value: string): SignatureInput {
  const m = /^\s*([a-z*][a-z0-9_\-.*]*)=(\((?:"[^"\\]*"(?: "[^"\\]*")*)?\)((?:;[a-z*][a-z0-9_\-.*]*=(?:"[^"\\]*"|-?[0-9]{1,15}))*))\s*$/.exec(value);
  if (!m) throw authInvalid("Signature-Input is not one signature of the form sig1=(\"@method\" ...);created=...;keyid=\"...\"");
  const [, label, raw, paramText] = m;
  const components = [...raw.slice(1, raw.indexOf(")")).matchAll(/"([^"]*)"/g)].map((x) => x[1]);
  const params: Record<string, string | number> = {};
  for (const p of paramText.matchAll(/;([a-z*][a-z0-9_\-.*]*)=("[^"]*"|-?[0-9]+)/g)) {
    if (p[1] in params) throw authInvalid(`Signature-Input repeats the parameter ${p[1]}`);
    params[p[1]] = p[2].startsWith('"') ? p[2].slice(1, -1) : Number(p[2]);
  }
  if (new Set(components).size !== components.length) throw authInvalid("Signature-Input covers a component twice");
  return { label, components, params, raw };
}

function headerOf(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(", ") : v;
}

/** Value of one covered component (RFC 9421 section 2). */
function componentValue(req: FastifyRequest, name: string): string {
  const url = new URL(req.url, "http://placeholder");
  switch (name) {
    case "@method":
      return req.method.toUpperCase();
    case "@target-uri":
      return `${req.protocol}://${headerOf(req, "host") ?? ""}${req.url}`;
    case "@authority":
      return (headerOf(req, "host") ?? "").toLowerCase();
    case "@path":
      return url.pathname;
    case "@query":
      return url.search === "" ? "?" : url.search;
    default: {
      if (name.startsWith("@")) throw authInvalid(`unsupported derived component ${name}`);
      const v = headerOf(req, name);
      if (v === undefined) throw authInvalid(`covered header ${name} is missing from the request`);
      return v.trim();
    }
  }
}

export function signatureBase(components: Array<[string, string]>, signatureParams: string): string {
  return [...components.map(([n, v]) => `"${n}": ${v}`), `"@signature-params": ${signatureParams}`].join("\n");
}

const DIGEST_KEY = Symbol("civitas.contentDigest");
type WithDigest = FastifyRequest & { [DIGEST_KEY]?: Promise<string> };

/**
 * preParsing hook: hashes the body as it streams by when the request claims a Content-Digest,
 * so the digest is checked against the bytes received, not a re-serialisation.
 */
export function digestBodyHook(req: FastifyRequest, _reply: unknown, payload: NodeJS.ReadableStream): NodeJS.ReadableStream {
  if (headerOf(req, "content-digest") === undefined) return payload;
  const hash = createHash("sha256");
  let resolve!: (v: string) => void;
  (req as WithDigest)[DIGEST_KEY] = new Promise<string>((r) => (resolve = r));
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
    flush(cb) {
      resolve(hash.digest("base64"));
      cb();
    },
  });
  return payload.pipe(t);
}

function hasBody(req: FastifyRequest): boolean {
  const len = headerOf(req, "content-length");
  return (len !== undefined && len !== "0") || headerOf(req, "transfer-encoding") !== undefined;
}

async function checkDigest(req: FastifyRequest): Promise<void> {
  const header = headerOf(req, "content-digest") as string;
  const m = /(?:^|,)\s*sha-256=:([A-Za-z0-9+/]+=*):/.exec(header);
  if (!m) throw authInvalid("Content-Digest must carry a sha-256 digest (RFC 9530)");
  const computed = await ((req as WithDigest)[DIGEST_KEY] ?? Promise.resolve(createHash("sha256").digest("base64")));
  if (computed !== m[1]) throw authInvalid("Content-Digest does not match the request body");
}

export interface Authenticated {
  address: string;
  publicKey: Uint8Array;
}

/**
 * Verifies the request's signature. Returns undefined for an unsigned request; throws
 * AUTH_INVALID / AUTH_EXPIRED / AUTH_REPLAYED for a bad one.
 */
export async function authenticate(
  req: FastifyRequest,
  deps: { suite: CryptoSuite; now: () => number; replay: ReplayCache; options: AuthOptions; lookupKey: (address: string) => Uint8Array[] },
): Promise<Authenticated | undefined> {
  const input = headerOf(req, "signature-input");
  const sigHeader = headerOf(req, "signature");
  if (input === undefined && sigHeader === undefined) return undefined;
  if (input === undefined || sigHeader === undefined) throw authInvalid("a signed request needs both Signature-Input and Signature");
  const si = parseSignatureInput(input);
  const sm = /^\s*([a-z*][a-z0-9_\-.*]*)=:([A-Za-z0-9+/]+=*):\s*$/.exec(sigHeader);
  if (!sm || sm[1] !== si.label) throw authInvalid(`Signature must hold one signature labelled ${si.label} (sig=:base64:)`);
  const { created, expires, nonce, keyid, alg } = si.params;
  if (typeof created !== "number" || typeof expires !== "number") throw authInvalid("Signature-Input needs integer created and expires parameters (seconds)");
  if (typeof nonce !== "string" || nonce.length < 8 || nonce.length > MAX_NONCE) throw authInvalid(`Signature-Input needs a nonce of 8 to ${MAX_NONCE} characters`);
  if (typeof keyid !== "string" || !/^0x[0-9a-f]{40}$/.test(keyid)) throw authInvalid("keyid must be the signing account's address (0x + 40 lowercase hex)");
  if (alg !== undefined && alg !== "ed25519") throw authInvalid(`unsupported alg '${String(alg)}' (ed25519 only)`);
  const c = si.components;
  if (!c.includes("@method")) throw authInvalid("the signature must cover @method");
  if (!c.includes("@target-uri")) {
    if (!c.includes("@path")) throw authInvalid("the signature must cover @target-uri or @path");
    if (req.url.includes("?") && !c.includes("@query")) throw authInvalid("the signature must cover @query when the URL has a query");
  }
  if (hasBody(req) && !c.includes("content-digest")) throw authInvalid("a request with a body must cover content-digest");
  const now = deps.now();
  const { clockSkewMs: skew, maxValidityMs } = deps.options;
  if (expires <= created) throw authInvalid("expires must be after created");
  if ((expires - created) * 1000 > maxValidityMs) throw authInvalid(`the signature is valid for more than ${maxValidityMs / 1000} s`, { maxValiditySeconds: maxValidityMs / 1000 });
  if (created * 1000 > now + skew) throw authInvalid("created lies in the future (check the client's clock)");
  if (expires * 1000 < now - skew) throw new CivitasError(ErrorCode.AUTH_EXPIRED, "the request's signature has expired", { expires });
  if (c.includes("content-digest")) await checkDigest(req);

  const supplied = headerOf(req, PUBLIC_KEY_HEADER);
  let keys: Uint8Array[];
  if (supplied !== undefined) {
    if (!isHex(supplied) || !deps.suite.isValidPublicKey(fromHex(supplied))) throw authInvalid("Civitas-Public-Key is not a valid public key (hex)");
    keys = [fromHex(supplied)];
  } else keys = deps.lookupKey(keyid);
  keys = keys.filter((k) => deps.suite.address(k) === keyid);
  if (keys.length === 0) throw authInvalid(supplied !== undefined ? "the public key does not belong to keyid" : "no public key for keyid: send Civitas-Public-Key", { keyid });
  const base = utf8(signatureBase(c.map((n) => [n, componentValue(req, n)]), si.raw));
  const signature = new Uint8Array(Buffer.from(sm[2], "base64"));
  const key = keys.find((k) => deps.suite.verify(base, signature, k));
  if (!key) throw authInvalid("the signature does not verify", { keyid });
  if (!deps.replay.add(`${keyid}/${nonce}`, expires * 1000 + skew, now)) throw new CivitasError(ErrorCode.AUTH_REPLAYED, "this nonce was already used", { nonce });
  return { address: keyid, publicKey: key };
}

/** The node's ApiAccess: authentication + the access module's decision on the head state. */
export function createApiAccess(chain: Chain, options: Partial<AuthOptions> = {}, now: () => number = Date.now): ApiAccess & { replay: ReplayCache } {
  const opts = { ...DEFAULT_AUTH_OPTIONS, ...options };
  const replay = new ReplayCache(opts.replayCacheSize);
  const mod = chain.registry.get("access") as AccessModule | undefined;
  const read = (m: string, k: string): Uint8Array | undefined => chain.committedState.get(`${m}/${k}`);
  // Without a key header, the key is one of the account's DID keys (its own key, per identity).
  const lookupKey = (address: string): Uint8Array[] => {
    const idRead = (k: string): Uint8Array | undefined => read(IDENTITY_MODULE, k);
    const did = accountRecord(idRead, address)?.did;
    const rec = did ? readDid(idRead, did) : undefined;
    return rec && !rec.deactivated ? rec.keys.map((k) => k.publicKey) : [];
  };
  return {
    replay,
    async authorize(req: FastifyRequest, action: string, resource: { type: string; id: string }): Promise<ApiPrincipal> {
      if (!mod) throw new CivitasError(ErrorCode.ACCESS_DENIED, "this chain has no access module");
      const who = await authenticate(req, { suite: chain.suite, now, replay, options: opts, lookupKey });
      const head = chain.head();
      const principal: Uid = who ? { type: "Account", id: who.address } : ANONYMOUS;
      const context: Record<string, CedarValueJson> = { height: head.height, time: head.time, method: req.method };
      const module = action.startsWith("read.") || !action.includes(".") ? undefined : action.slice(0, action.indexOf("."));
      const d = mod.decide(read, { principal, action, kind: "read", resource, context, module, time: head.time });
      if (d.decision === "deny") {
        if (!who) throw new CivitasError(ErrorCode.AUTH_REQUIRED, `${action} needs a signed request (RFC 9421 HTTP Message Signatures with your account key)`, { action });
        throw new CivitasError(ErrorCode.ACCESS_DENIED, `${who.address} may not ${action} ${resource.type}::"${resource.id}"`, { action, resource, reasons: d.reasons, errors: d.errors });
      }
      const did = who ? mod.identity.didOf(read, who.address) : undefined;
      return did ? { address: who?.address ?? "", did } : { address: who?.address ?? "" };
    },
  };
}
