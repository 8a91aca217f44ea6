/**
 * Browser-safe crypto suites: pure JavaScript on @noble/curves and @noble/hashes, no Node
 * built-ins, so wallets and the SDK reach exactly the verdicts a node reaches. The node's own
 * suites (node-suites.ts) are a second, independent implementation of the same rules; the spec
 * tests hold the two together. Rules: docs/adr/0002-strict-signature-verification.md.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { weierstrass } from "@noble/curves/abstract/weierstrass.js";
import { createHmacDrbg } from "@noble/curves/utils.js";
import { HashMD } from "@noble/hashes/_md.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256, sha512 } from "@noble/hashes/sha2.js";
import { clean, createHasher, randomBytes, rotl } from "@noble/hashes/utils.js";
import { concatBytes, equalBytes, toHex, utf8 } from "../util/bytes.js";
import { CivitasError, ErrorCode } from "../util/errors.js";
import type { CryptoSuite, KeyPair, SuiteId } from "./suite.js";

// ---------------------------------------------------------------------------------------------
// SM3 (GB/T 32905-2016). Neither noble package ships it and sm-crypto's version works on number
// arrays and hex strings; built on noble's Merkle-Damgard base (same padding as SHA-256) it
// streams Uint8Arrays and is a CHash, so HMAC-SM3 can drive the SM2 nonce generator.

const SM3_IV = [0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600, 0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e];
/** T_j <<< (j mod 32), hoisted out of the compression loop. */
const SM3_TJ = new Uint32Array(64);
for (let j = 0; j < 64; j++) SM3_TJ[j] = rotl(j < 16 ? 0x79cc4519 : 0x7a879d8a, j % 32);
const SM3_W = new Uint32Array(68);

class SM3 extends HashMD<SM3> {
  // Numeric fields, not an array: V8 keeps them in registers (same trick as noble's SHA-256).
  protected A = SM3_IV[0] | 0;
  protected B = SM3_IV[1] | 0;
  protected C = SM3_IV[2] | 0;
  protected D = SM3_IV[3] | 0;
  protected E = SM3_IV[4] | 0;
  protected F = SM3_IV[5] | 0;
  protected G = SM3_IV[6] | 0;
  protected H = SM3_IV[7] | 0;

  constructor() {
    super(64, 32, 8, false);
  }
  protected get(): [number, number, number, number, number, number, number, number] {
    return [this.A, this.B, this.C, this.D, this.E, this.F, this.G, this.H];
  }
  protected set(A: number, B: number, C: number, D: number, E: number, F: number, G: number, H: number): void {
    this.A = A | 0;
    this.B = B | 0;
    this.C = C | 0;
    this.D = D | 0;
    this.E = E | 0;
    this.F = F | 0;
    this.G = G | 0;
    this.H = H | 0;
  }
  protected process(view: DataView, offset: number): void {
    const W = SM3_W;
    for (let i = 0; i < 16; i++, offset += 4) W[i] = view.getUint32(offset, false);
    for (let j = 16; j < 68; j++) {
      const x = W[j - 16] ^ W[j - 9] ^ rotl(W[j - 3], 15);
      W[j] = x ^ rotl(x, 15) ^ rotl(x, 23) ^ rotl(W[j - 13], 7) ^ W[j - 6];
    }
    let { A, B, C, D, E, F, G, H } = this;
    for (let j = 0; j < 64; j++) {
      const a12 = rotl(A, 12);
      const ss1 = rotl((a12 + E + SM3_TJ[j]) | 0, 7);
      const ss2 = ss1 ^ a12;
      const ff = j < 16 ? A ^ B ^ C : (A & B) | (A & C) | (B & C);
      const gg = j < 16 ? E ^ F ^ G : (E & F) | (~E & G);
      const tt1 = (ff + D + ss2 + (W[j] ^ W[j + 4])) | 0;
      const tt2 = (gg + H + ss1 + W[j]) | 0;
      D = C;
      C = rotl(B, 9);
      B = A;
      A = tt1;
      H = G;
      G = rotl(F, 19);
      F = E;
      E = tt2 ^ rotl(tt2, 9) ^ rotl(tt2, 17);
    }
    // SM3 feeds forward with XOR, not addition as SHA-2 does.
    this.set(A ^ this.A, B ^ this.B, C ^ this.C, D ^ this.D, E ^ this.E, F ^ this.F, G ^ this.G, H ^ this.H);
  }
  protected roundClean(): void {
    clean(SM3_W);
  }
  destroy(): void {
    this.destroyed = true;
    this.set(0, 0, 0, 0, 0, 0, 0, 0);
    clean(this.buffer);
  }
  _cloneInto(to?: SM3): SM3 {
    const t = to ?? new SM3();
    t.set(...this.get());
    return this._cloneIntoMeta(t);
  }
}

/** SM3 hash: `sm3(bytes)`, or `sm3.create().update(a).update(b).digest()` to stream. */
export const sm3 = createHasher(() => new SM3());

// ---------------------------------------------------------------------------------------------
// Shared helpers

function isBytes(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array;
}

function bytesToBigBE(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt("0x" + toHex(b));
}

function bytesToBigLE(b: Uint8Array): bigint {
  let x = 0n;
  for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]);
  return x;
}

function bigToBytes32BE(x: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

function addressOf(hash: (d: Uint8Array) => Uint8Array, publicKey: Uint8Array): string {
  return "0x" + toHex(hash(publicKey).subarray(12));
}

function badKey(message: string): CivitasError {
  return new CivitasError(ErrorCode.KEY_INVALID, message);
}

// ---------------------------------------------------------------------------------------------
// ed25519-sha256
//
// noble's own ed25519.verify checks the cofactored equation [8](SB - R - hA) = O, which accepts
// a mixed-order R that libsodium (the node implementation) rejects: a signer could then split
// the network. So verification here re-implements libsodium's cofactorless check, byte for byte:
// S < L, R not a small-order encoding, then encode(SB - hA) must equal the 32 R bytes.

const EdPoint = ed25519.Point;
const ED_L = EdPoint.Fn.ORDER;

/**
 * The y-coordinates (sign bit ignored) of all 8 small-order points, plus y = p and y = p + 1,
 * the only non-canonical encodings of small-order points: libsodium's blacklist, applied to
 * public keys and to R.
 */
const SMALL_ORDER_Y: readonly Uint8Array[] = [
  "0000000000000000000000000000000000000000000000000000000000000000", // y = 0: order 4
  "0100000000000000000000000000000000000000000000000000000000000000", // y = 1: identity
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = p - 1: order 2
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = p (= 0)
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = p + 1 (= 1)
].map((h) => Uint8Array.from(h.match(/../g)!.map((x) => parseInt(x, 16))));

function hasSmallOrderEncoding(b: Uint8Array): boolean {
  for (const y of SMALL_ORDER_Y) {
    let diff = (b[31] & 0x7f) ^ y[31];
    for (let i = 0; i < 31; i++) diff |= b[i] ^ y[i];
    if (diff === 0) return true;
  }
  return false;
}

/** y < p = 2^255 - 19, sign bit ignored. */
function isCanonicalEdY(b: Uint8Array): boolean {
  if ((b[31] & 0x7f) !== 0x7f) return true;
  for (let i = 30; i > 0; i--) if (b[i] !== 0xff) return true;
  return b[0] < 0xed;
}

/** crypto_core_ed25519_is_valid_point: canonical, on the curve, in the prime-order subgroup, not small order. */
function decodeEdPublicKey(pk: unknown): InstanceType<typeof EdPoint> | null {
  if (!isBytes(pk) || pk.length !== 32) return null;
  if (hasSmallOrderEncoding(pk) || !isCanonicalEdY(pk)) return null;
  try {
    const A = EdPoint.fromBytes(pk, false);
    return A.isTorsionFree() && !A.is0() ? A : null;
  } catch {
    return null;
  }
}

function edVerify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    if (!isBytes(message) || !isBytes(signature) || signature.length !== 64) return false;
    const A = decodeEdPublicKey(publicKey);
    if (!A) return false;
    const R = signature.subarray(0, 32);
    const S = bytesToBigLE(signature.subarray(32, 64));
    if (S >= ED_L) return false;
    if (hasSmallOrderEncoding(R)) return false;
    const h = bytesToBigLE(sha512(concatBytes(R, publicKey, message))) % ED_L;
    const check = EdPoint.BASE.multiplyUnsafe(S).subtract(A.multiplyUnsafe(h));
    return equalBytes(check.toBytes(), R);
  } catch {
    return false;
  }
}

function edSeed(secretKey: Uint8Array): Uint8Array {
  if (!isBytes(secretKey) || secretKey.length !== 32) throw badKey("ed25519 secret key must be a 32-byte seed");
  return secretKey;
}

const ed25519Sha256: CryptoSuite = Object.freeze({
  id: "ed25519-sha256" as const,
  publicKeyLength: 32,
  secretKeyLength: 32,
  signatureLength: 64,
  hash: (data: Uint8Array): Uint8Array => sha256(data),
  generateKeyPair(): KeyPair {
    const secretKey = randomBytes(32);
    return { publicKey: ed25519.getPublicKey(secretKey), secretKey };
  },
  publicKeyFromSecret: (secretKey: Uint8Array): Uint8Array => ed25519.getPublicKey(edSeed(secretKey)),
  sign: (message: Uint8Array, secretKey: Uint8Array): Uint8Array => ed25519.sign(message, edSeed(secretKey)),
  verify: edVerify,
  isValidPublicKey: (publicKey: Uint8Array): boolean => decodeEdPublicKey(publicKey) !== null,
  address: (publicKey: Uint8Array): string => addressOf(sha256, publicKey),
});

// ---------------------------------------------------------------------------------------------
// sm2-sm3 (GB/T 32918.2-2016 signatures over the recommended curve of GB/T 32918.5)

const SM2_P = 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn;
const SM2_A = 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn;
const SM2_B = 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n;
const SM2_N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;
const SM2_GX = 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n;
const SM2_GY = 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n;
const Sm2Point = weierstrass({ p: SM2_P, n: SM2_N, h: 1n, a: SM2_A, b: SM2_B, Gx: SM2_GX, Gy: SM2_GY });
const Sm2Fn = Sm2Point.Fn;

/** GM/T 0009-2012 default signer ID, the only one the sm2-sm3 suite uses. */
export const SM2_DEFAULT_ID = "1234567812345678";
// Private bytes: an exported array could be mutated and would silently change every Z value.
const DEFAULT_ID = utf8(SM2_DEFAULT_ID);

const SM2_CURVE_BYTES = concatBytes(...[SM2_A, SM2_B, SM2_GX, SM2_GY].map(bigToBytes32BE));

function zPrefix(id: Uint8Array): Uint8Array {
  const entl = id.length * 8;
  if (entl > 0xffff) throw new RangeError("SM2 signer ID longer than 8191 bytes");
  return concatBytes(Uint8Array.of(entl >> 8, entl & 0xff), id, SM2_CURVE_BYTES);
}
// Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA): the part before xA is fixed per ID, so
// the default ID's hash state is computed once and cloned.
const DEFAULT_Z_STATE = sm3.create().update(zPrefix(DEFAULT_ID));

function sm2Digest(message: Uint8Array, publicKey: Uint8Array, id: Uint8Array): bigint {
  const zState = equalBytes(id, DEFAULT_ID) ? DEFAULT_Z_STATE.clone() : sm3.create().update(zPrefix(id));
  const z = zState.update(publicKey.subarray(1)).digest();
  return bytesToBigBE(sm3.create().update(z).update(message).digest());
}

/** 65 bytes 04||X||Y, X and Y < p, on the curve (the cofactor is 1, so on the curve = in the group). */
function decodeSm2PublicKey(pk: unknown): InstanceType<typeof Sm2Point> | null {
  if (!isBytes(pk) || pk.length !== 65 || pk[0] !== 0x04) return null;
  try {
    const P = Sm2Point.fromBytes(pk);
    P.assertValidity();
    return P.is0() ? null : P;
  } catch {
    return null;
  }
}

function sm2Scalar(secretKey: Uint8Array): bigint {
  if (!isBytes(secretKey) || secretKey.length !== 32) throw badKey("sm2 secret key must be 32 bytes");
  const d = bytesToBigBE(secretKey);
  // d = n - 1 would make 1 + d non-invertible, so the standard's range is [1, n - 2].
  if (d < 1n || d > SM2_N - 2n) throw badKey("sm2 secret key out of range [1, n-2]");
  return d;
}

// Hedged nonces: k comes from HMAC-SM3-DRBG seeded with the key, the digest and fresh randomness,
// so a broken RNG degrades to RFC 6979-style determinism instead of leaking the key.
const sm3Drbg = createHmacDrbg<Uint8Array>(32, 32, (key: Uint8Array, msg: Uint8Array) => hmac(sm3, key, msg));

function sm2Verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array, id: Uint8Array = DEFAULT_ID): boolean {
  try {
    if (!isBytes(message) || !isBytes(signature) || signature.length !== 64 || !isBytes(id)) return false;
    const P = decodeSm2PublicKey(publicKey);
    if (!P) return false;
    const r = bytesToBigBE(signature.subarray(0, 32));
    const s = bytesToBigBE(signature.subarray(32, 64));
    if (r < 1n || r >= SM2_N || s < 1n || s >= SM2_N) return false;
    const t = (r + s) % SM2_N;
    if (t === 0n) return false;
    const e = sm2Digest(message, publicKey, id);
    const X = Sm2Point.BASE.mulAddUnsafe(s, P, t);
    if (X.is0()) return false;
    return (e + X.toAffine().x) % SM2_N === r;
  } catch {
    return false;
  }
}

interface Sm2SignOptions {
  /** Signer ID; defaults to "1234567812345678". */
  id?: Uint8Array;
  /** Fixed nonce, for reproducing published test vectors only. */
  k?: bigint;
}

function sm2Sign(message: Uint8Array, secretKey: Uint8Array, opts: Sm2SignOptions = {}): Uint8Array {
  if (!isBytes(message)) throw new TypeError("message must be a Uint8Array");
  const d = sm2Scalar(secretKey);
  const publicKey = Sm2Point.BASE.multiply(d).toBytes(false);
  const e = sm2Digest(message, publicKey, opts.id ?? DEFAULT_ID);
  const dInv = Sm2Fn.inv(d + 1n);
  const attempt = (k: bigint): Uint8Array | undefined => {
    if (k < 1n || k >= SM2_N) return undefined;
    const r = (e + Sm2Point.BASE.multiply(k).toAffine().x) % SM2_N;
    if (r === 0n || r + k === SM2_N) return undefined;
    const s = Sm2Fn.mul(dInv, Sm2Fn.sub(k, Sm2Fn.mul(r, d)));
    if (s === 0n) return undefined;
    return concatBytes(bigToBytes32BE(r), bigToBytes32BE(s));
  };
  if (opts.k !== undefined) {
    const sig = attempt(opts.k);
    if (!sig) throw new RangeError("unusable SM2 nonce");
    return sig;
  }
  return sm3Drbg(concatBytes(secretKey, bigToBytes32BE(e), randomBytes(32)), (kb) => attempt(bytesToBigBE(kb)));
}

/**
 * SM2 with an explicit signer ID. The suite always uses the default ID; this is for interop tests
 * and for checking signatures made under another agreed ID.
 */
export const portableSm2 = Object.freeze({
  sign: sm2Sign,
  verify: sm2Verify,
  isValidPublicKey: (publicKey: Uint8Array): boolean => decodeSm2PublicKey(publicKey) !== null,
});

const sm2Sm3: CryptoSuite = Object.freeze({
  id: "sm2-sm3" as const,
  publicKeyLength: 65,
  secretKeyLength: 32,
  signatureLength: 64,
  hash: (data: Uint8Array): Uint8Array => sm3(data),
  generateKeyPair(): KeyPair {
    for (;;) {
      const secretKey = randomBytes(32);
      const d = bytesToBigBE(secretKey);
      if (d >= 1n && d <= SM2_N - 2n) return { publicKey: Sm2Point.BASE.multiply(d).toBytes(false), secretKey };
    }
  },
  publicKeyFromSecret: (secretKey: Uint8Array): Uint8Array => Sm2Point.BASE.multiply(sm2Scalar(secretKey)).toBytes(false),
  sign: (message: Uint8Array, secretKey: Uint8Array): Uint8Array => sm2Sign(message, secretKey),
  verify: (message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean => sm2Verify(message, signature, publicKey),
  isValidPublicKey: (publicKey: Uint8Array): boolean => decodeSm2PublicKey(publicKey) !== null,
  address: (publicKey: Uint8Array): string => addressOf(sm3, publicKey),
});

const SUITES: Readonly<Record<SuiteId, CryptoSuite>> = { "ed25519-sha256": ed25519Sha256, "sm2-sm3": sm2Sm3 };

/** The pure-JavaScript implementation of a suite; same verdicts as getNodeSuite. */
export function getPortableSuite(id: SuiteId): CryptoSuite {
  const suite = Object.prototype.hasOwnProperty.call(SUITES, id) ? SUITES[id] : undefined;
  if (!suite) throw new CivitasError(ErrorCode.CONFIG_INVALID, `unknown crypto suite: ${String(id)}`, { suite: id });
  return suite;
}
