/**
 * Transactions.
 *
 * Wire form: CBOR array [version, bodyBytes, publicKey, signature]. The body travels as a byte
 * string so its hash and signature are over exactly the bytes received, with no re-encoding.
 * txHash = H(bodyBytes): independent of the signature, so no signature variant can make the
 * same transaction count twice. The signed message is "civitas/tx/v1\n" || bodyBytes; the body
 * names the chain, which domain-separates signatures between chains.
 */
import { decode, encode, FieldReader } from "../codec/index.js";
import type { CborValue, Obj } from "../codec/index.js";
import type { CryptoSuite } from "../crypto/suite.js";
import { concatBytes, toHex, utf8 } from "../util/bytes.js";
import { CivitasError, ErrorCode } from "../util/errors.js";

export const TX_VERSION = 1;
const SIGN_PREFIX = utf8("civitas/tx/v1\n");

export interface Call {
  module: string;
  method: string;
  args: Obj;
}

export interface TxBody {
  chain: string;
  /** 20-byte account address. */
  from: Uint8Array;
  nonce: number;
  /** Block time (ms since the Unix epoch) after which the transaction is void. */
  expires: number;
  gasLimit: number;
  calls: Call[];
  memo: string;
}

export interface SignedTx {
  body: TxBody;
  bodyBytes: Uint8Array;
  publicKey: Uint8Array;
  signature: Uint8Array;
  /** The whole wire encoding (what the tx Merkle tree commits to). */
  bytes: Uint8Array;
}

export const TX_LIMITS = { maxCalls: 16, maxMemoChars: 256, maxNameChars: 64 } as const;

export function encodeTxBody(body: TxBody): Uint8Array {
  const calls: CborValue[] = body.calls.map((c) => ({ module: c.module, method: c.method, args: c.args }));
  return encode({
    v: TX_VERSION,
    chain: body.chain,
    from: body.from,
    nonce: body.nonce,
    expires: body.expires,
    gasLimit: body.gasLimit,
    calls,
    memo: body.memo,
  });
}

export function decodeTxBody(bytes: Uint8Array): TxBody {
  const r = FieldReader.of(decode(bytes), "tx.body", ErrorCode.TX_MALFORMED).knownFields("v", "chain", "from", "nonce", "expires", "gasLimit", "calls", "memo");
  if (r.uint("v") !== TX_VERSION) throw new CivitasError(ErrorCode.CODEC_BAD_VERSION, `unsupported transaction version ${String(r.raw("v"))}`);
  const callsRaw = r.raw("calls");
  if (Array.isArray(callsRaw) && callsRaw.length > TX_LIMITS.maxCalls) throw new CivitasError(ErrorCode.TX_TOO_MANY_CALLS, `a transaction may carry at most ${TX_LIMITS.maxCalls} calls`, { limit: TX_LIMITS.maxCalls, got: callsRaw.length });
  const memoRaw = r.raw("memo");
  if (typeof memoRaw === "string" && memoRaw.length > TX_LIMITS.maxMemoChars) throw new CivitasError(ErrorCode.TX_MEMO_TOO_LARGE, `memo may be at most ${TX_LIMITS.maxMemoChars} characters`, { limit: TX_LIMITS.maxMemoChars, got: memoRaw.length });
  const rawCalls = r.array("calls", TX_LIMITS.maxCalls);
  if (rawCalls.length === 0) throw new CivitasError(ErrorCode.TX_MALFORMED, "tx.body.calls: at least one call is required", { field: "tx.body.calls" });
  const calls = rawCalls.map((c, i) => {
    const cr = FieldReader.of(c, `tx.body.calls[${i}]`, ErrorCode.TX_MALFORMED).knownFields("module", "method", "args");
    return { module: cr.str("module", TX_LIMITS.maxNameChars), method: cr.str("method", TX_LIMITS.maxNameChars), args: cr.map("args") };
  });
  return {
    chain: r.str("chain", TX_LIMITS.maxNameChars),
    from: r.bytes("from", 20),
    nonce: r.uint("nonce"),
    expires: r.uint("expires"),
    gasLimit: r.uint("gasLimit"),
    calls,
    memo: r.str("memo", TX_LIMITS.maxMemoChars),
  };
}

export function txSigningMessage(bodyBytes: Uint8Array): Uint8Array {
  return concatBytes(SIGN_PREFIX, bodyBytes);
}

export function signTx(suite: CryptoSuite, body: TxBody, secretKey: Uint8Array): SignedTx {
  const bodyBytes = encodeTxBody(body);
  const publicKey = suite.publicKeyFromSecret(secretKey);
  const signature = suite.sign(txSigningMessage(bodyBytes), secretKey);
  const bytes = encode([TX_VERSION, bodyBytes, publicKey, signature]);
  return { body, bodyBytes, publicKey, signature, bytes };
}

/** Structural decoding only; signature and state checks belong to admission. */
export function decodeSignedTx(bytes: Uint8Array): SignedTx {
  const v = decode(bytes);
  if (!Array.isArray(v) || v.length !== 4) throw new CivitasError(ErrorCode.TX_MALFORMED, "transaction must be [version, body, publicKey, signature]");
  const [version, bodyBytes, publicKey, signature] = v;
  if (version !== TX_VERSION) throw new CivitasError(ErrorCode.CODEC_BAD_VERSION, `unsupported transaction version ${String(version)}`);
  if (!(bodyBytes instanceof Uint8Array) || !(publicKey instanceof Uint8Array) || !(signature instanceof Uint8Array)) {
    throw new CivitasError(ErrorCode.TX_MALFORMED, "transaction body, publicKey and signature must be byte strings");
  }
  const body = decodeTxBody(bodyBytes);
  return { body, bodyBytes: new Uint8Array(bodyBytes), publicKey: new Uint8Array(publicKey), signature: new Uint8Array(signature), bytes };
}

export function txHash(suite: Pick<CryptoSuite, "hash">, tx: Pick<SignedTx, "bodyBytes">): Uint8Array {
  return suite.hash(tx.bodyBytes);
}

/** The hash of a transaction's wire bytes, reading only the outer array (no body decoding). */
export function txHashOfWire(suite: Pick<CryptoSuite, "hash">, bytes: Uint8Array): Uint8Array {
  const v = decode(bytes);
  if (!Array.isArray(v) || v.length !== 4 || !(v[1] instanceof Uint8Array)) throw new CivitasError(ErrorCode.TX_MALFORMED, "transaction must be [version, body, publicKey, signature]");
  return suite.hash(v[1]);
}

export function addressHex(a: Uint8Array): string {
  return "0x" + toHex(a);
}

/** JSON view of a transaction for the API and CLI (amounts and bigints as decimal strings). */
export function txToJson(tx: SignedTx, hash: Uint8Array): Record<string, unknown> {
  return {
    hash: toHex(hash),
    chain: tx.body.chain,
    from: addressHex(tx.body.from),
    nonce: tx.body.nonce,
    expires: tx.body.expires,
    gasLimit: tx.body.gasLimit,
    calls: tx.body.calls.map((c) => ({ module: c.module, method: c.method, args: cborToJson(c.args) })),
    memo: tx.body.memo,
    publicKey: toHex(tx.publicKey),
    signature: toHex(tx.signature),
  };
}

/**
 * A lossless, readable JSON view: bytes become 0x-hex strings; integers are JSON numbers when
 * they are safe integers and decimal strings beyond 2^53 (the same rule whether the value was
 * built as a bigint or decoded from storage, so every API path shows one form).
 */
export function cborToJson(v: CborValue): unknown {
  if (v instanceof Uint8Array) return "0x" + toHex(v);
  if (typeof v === "bigint") return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map(cborToJson);
  if (v !== null && typeof v === "object") {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = cborToJson(x);
    return o;
  }
  return v;
}
