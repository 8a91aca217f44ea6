/**
 * Server-side crypto suites: libsodium (sodium-native) for ed25519 and native SM3/EC from
 * node:crypto for SM2, with JavaScript only where no native path implements the standard.
 * portable-suites.ts is the second, independent implementation; both follow
 * docs/adr/0002-strict-signature-verification.md and the spec tests hold them together.
 *
 * Why SM2 verification is not OpenSSL's: through node:crypto, OpenSSL 3 computes the SM2 Z value
 * with an EMPTY signer ID (it leaves the GM/T 0009 default "1234567812345678" to callers, and Node
 * has no way to set the ID), Node-generated SM2 keys sign plain ECDSA, and no raw-digest ECDSA
 * entry point exists to rebuild the SM2 equation on. So the node suite hashes (SM3), derives
 * public keys and computes the signing point natively, and evaluates sG + tP in JavaScript
 * (noble), with decoded keys cached and precomputed for frequent signers.
 */
import { createECDH, createHash, randomBytes } from "node:crypto";
import sodium from "sodium-native";
import { weierstrass } from "@noble/curves/abstract/weierstrass.js";
import { concatBytes, equalBytes, fromHex, toHex, utf8 } from "../util/bytes.js";
import { CivitasError, ErrorCode } from "../util/errors.js";
import type { CryptoSuite, KeyPair, SuiteId } from "./suite.js";

/** Least-recently-used map; a Map keeps insertion order, so the first key is the oldest. */
class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly capacity: number) {}
  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  /** Returns the evicted value, if the insert pushed one out. */
  set(key: string, value: V): V | undefined {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size <= this.capacity) return undefined;
    const oldest = this.map.keys().next().value as string;
    const evicted = this.map.get(oldest);
    this.map.delete(oldest);
    return evicted;
  }
}

function isBytes(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array;
}

/** A cache key for raw bytes; latin1 maps each byte to one char, so it is injective and cheap. */
function byteKey(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");
}

function badKey(message: string): CivitasError {
  return new CivitasError(ErrorCode.KEY_INVALID, message);
}

function big(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt("0x" + toHex(b));
}

function be32(x: bigint): Uint8Array {
  return fromHex(x.toString(16).padStart(64, "0"));
}

/** Copies out of a Buffer: no Buffer in the public surface, and no views into pooled memory. */
function plain(b: Buffer): Uint8Array {
  return new Uint8Array(b);
}

// ---------------------------------------------------------------------------------------------
// ed25519-sha256 on libsodium
//
// crypto_sign_verify_detached (the libsodium shipped in sodium-native 5) checks S < L, rejects
// small-order R and small-order or non-canonical A, and compares encode(SB - hA) with the R bytes
// (cofactorless). It does not require A to be in the prime-order subgroup, so every verify also
// runs crypto_core_ed25519_is_valid_point on the key: that rule is ours, cached per key because
// it costs about as much as the verification itself.

const ED_VALID_KEYS = new Lru<true>(4096);

function edKeyIsValid(pk: unknown): pk is Uint8Array {
  if (!isBytes(pk) || pk.length !== 32) return false;
  const key = byteKey(pk);
  if (ED_VALID_KEYS.get(key)) return true;
  if (!sodium.crypto_core_ed25519_is_valid_point(pk)) return false;
  ED_VALID_KEYS.set(key, true);
  return true;
}

function edSeed(secretKey: Uint8Array): Uint8Array {
  if (!isBytes(secretKey) || secretKey.length !== 32) throw badKey("ed25519 secret key must be a 32-byte seed");
  return secretKey;
}

function edPublicKey(seed: Uint8Array): Uint8Array {
  const pk = new Uint8Array(32);
  const sk = new Uint8Array(64);
  sodium.crypto_sign_seed_keypair(pk, sk, edSeed(seed));
  sodium.sodium_memzero(sk);
  return pk;
}

function sha256(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  sodium.crypto_hash_sha256(out, data);
  return out;
}

const ed25519Sha256: CryptoSuite = Object.freeze({
  id: "ed25519-sha256" as const,
  publicKeyLength: 32,
  secretKeyLength: 32,
  signatureLength: 64,
  hash: sha256,
  generateKeyPair(): KeyPair {
    const secretKey = new Uint8Array(32);
    sodium.randombytes_buf(secretKey);
    return { publicKey: edPublicKey(secretKey), secretKey };
  },
  publicKeyFromSecret: edPublicKey,
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
    if (!isBytes(message)) throw new TypeError("message must be a Uint8Array");
    const pk = new Uint8Array(32);
    const sk = new Uint8Array(64);
    sodium.crypto_sign_seed_keypair(pk, sk, edSeed(secretKey));
    const sig = new Uint8Array(64);
    try {
      sodium.crypto_sign_detached(sig, message, sk);
    } finally {
      sodium.sodium_memzero(sk);
    }
    return sig;
  },
  verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
    try {
      if (!isBytes(message) || !isBytes(signature) || signature.length !== 64) return false;
      if (!edKeyIsValid(publicKey)) return false;
      return sodium.crypto_sign_verify_detached(signature, message, publicKey) === true;
    } catch {
      return false;
    }
  },
  isValidPublicKey: (publicKey: Uint8Array): boolean => {
    try {
      return edKeyIsValid(publicKey);
    } catch {
      return false;
    }
  },
  address: (publicKey: Uint8Array): string => "0x" + toHex(sha256(publicKey).subarray(12)),
});

// ---------------------------------------------------------------------------------------------
// sm2-sm3

const P = 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn;
const A = 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn;
const B = 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n;
const N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;
const GX = 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n;
const GY = 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n;
const Sm2Point = weierstrass({ p: P, n: N, h: 1n, a: A, b: B, Gx: GX, Gy: GY });
type Sm2Pt = InstanceType<typeof Sm2Point>;

const DEFAULT_ID = utf8("1234567812345678");

function sm3(...parts: Uint8Array[]): Uint8Array {
  const h = createHash("sm3");
  for (const p of parts) h.update(p);
  return plain(h.digest());
}

function zPrefix(id: Uint8Array): Uint8Array {
  const entl = id.length * 8;
  if (entl > 0xffff) throw new RangeError("SM2 signer ID longer than 8191 bytes");
  return concatBytes(Uint8Array.of(entl >> 8, entl & 0xff), id, be32(A), be32(B), be32(GX), be32(GY));
}
const DEFAULT_Z_PREFIX = zPrefix(DEFAULT_ID);

function zValue(publicKey: Uint8Array, id: Uint8Array): Uint8Array {
  return sm3(equalBytes(id, DEFAULT_ID) ? DEFAULT_Z_PREFIX : zPrefix(id), publicKey.subarray(1));
}

function modP(x: bigint): bigint {
  const r = x % P;
  return r < 0n ? r + P : r;
}

/** The key rule spelt out (65 bytes, 04 prefix, X and Y < p, on the curve), independently of noble's decoder. */
function decodeSm2Key(pk: unknown): Sm2Pt | null {
  if (!isBytes(pk) || pk.length !== 65 || pk[0] !== 0x04) return null;
  const x = big(pk.subarray(1, 33));
  const y = big(pk.subarray(33, 65));
  if (x >= P || y >= P) return null;
  if (modP(y * y - (x * x * x + A * x + B)) !== 0n) return null;
  return Sm2Point.fromAffine({ x, y });
}

interface Sm2KeyEntry {
  point: Sm2Pt;
  z: Uint8Array;
  uses: number;
  hot: boolean;
}
// Decoding is cheap next to a scalar multiplication; the win is the per-key window table
// (about 116 KB, built in ~10 ms) that makes [t]P ~2.5x faster for keys that sign repeatedly,
// e.g. validators. Only the 64 keys in SM2_HOT hold a table at a time.
const SM2_KEYS = new Lru<Sm2KeyEntry>(1024);
const SM2_HOT = new Lru<Sm2KeyEntry>(64);
const HOT_AFTER_USES = 4;

function sm2Key(pk: unknown): Sm2KeyEntry | null {
  if (!isBytes(pk) || pk.length !== 65) return null;
  const key = byteKey(pk);
  let entry = SM2_KEYS.get(key);
  if (!entry) {
    const point = decodeSm2Key(pk);
    if (!point) return null;
    entry = { point, z: zValue(pk, DEFAULT_ID), uses: 0, hot: false };
    SM2_KEYS.set(key, entry);
  }
  if (++entry.uses === HOT_AFTER_USES && !entry.hot) {
    // A fresh point object: noble keys window tables by object identity, so swapping the
    // object in is how the table gets attached, and swapping it out is how it gets freed.
    const hotPoint = Sm2Point.fromAffine(entry.point.toAffine());
    hotPoint.precompute(4, false);
    entry.point = hotPoint;
    entry.hot = true;
    const cooled = SM2_HOT.set(key, entry);
    if (cooled) {
      cooled.point = Sm2Point.fromAffine(cooled.point.toAffine());
      cooled.hot = false;
      cooled.uses = 0;
    }
  }
  return entry;
}

function sm2Verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array, id: Uint8Array = DEFAULT_ID): boolean {
  try {
    if (!isBytes(message) || !isBytes(signature) || signature.length !== 64 || !isBytes(id)) return false;
    const entry = sm2Key(publicKey);
    if (!entry) return false;
    const r = big(signature.subarray(0, 32));
    const s = big(signature.subarray(32, 64));
    if (r < 1n || r >= N || s < 1n || s >= N) return false;
    const t = (r + s) % N;
    if (t === 0n) return false;
    const z = equalBytes(id, DEFAULT_ID) ? entry.z : zValue(publicKey, id);
    const e = big(sm3(z, message));
    // [s]G uses the base point's built-in table, [t]P the key's table once it is hot.
    const X = Sm2Point.BASE.multiplyUnsafe(s).add(entry.point.multiplyUnsafe(t));
    if (X.is0()) return false;
    return (e + X.toAffine().x) % N === r;
  } catch {
    return false;
  }
}

function sm2Scalar(secretKey: Uint8Array): bigint {
  if (!isBytes(secretKey) || secretKey.length !== 32) throw badKey("sm2 secret key must be 32 bytes");
  const d = big(secretKey);
  // d = n - 1 would make 1 + d non-invertible, so the standard's range is [1, n - 2].
  if (d < 1n || d > N - 2n) throw badKey("sm2 secret key out of range [1, n-2]");
  return d;
}

/** [k]G through OpenSSL's constant-time scalar multiplication. */
function mulBase(k: Uint8Array): Uint8Array {
  const ecdh = createECDH("SM2");
  ecdh.setPrivateKey(k);
  return plain(ecdh.getPublicKey(null, "uncompressed"));
}

function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1] = [((a % m) + m) % m, m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new RangeError("not invertible");
  return ((s0 % m) + m) % m;
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
  const publicKey = mulBase(secretKey);
  const e = big(sm3(zValue(publicKey, opts.id ?? DEFAULT_ID), message));
  const dInv = modInverse(d + 1n, N);
  for (let attempt = 0; attempt < 64; attempt++) {
    const kBytes = opts.k !== undefined ? be32(opts.k) : plain(randomBytes(32));
    const k = big(kBytes);
    if (k >= 1n && k < N) {
      const r = (e + big(mulBase(kBytes).subarray(1, 33))) % N;
      const s = (dInv * (((k - r * d) % N) + N)) % N;
      if (r !== 0n && r + k !== N && s !== 0n) return concatBytes(be32(r), be32(s));
    }
    if (opts.k !== undefined) throw new RangeError("unusable SM2 nonce");
  }
  throw new CivitasError(ErrorCode.INTERNAL, "SM2 signing found no usable nonce in 64 draws");
}

/**
 * SM2 with an explicit signer ID. The suite always uses the default ID; this is for interop tests
 * and for checking signatures made under another agreed ID.
 */
export const nodeSm2 = Object.freeze({
  sign: sm2Sign,
  verify: sm2Verify,
  isValidPublicKey: (publicKey: Uint8Array): boolean => sm2Key(publicKey) !== null,
});

const sm2Sm3: CryptoSuite = Object.freeze({
  id: "sm2-sm3" as const,
  publicKeyLength: 65,
  secretKeyLength: 32,
  signatureLength: 64,
  hash: (data: Uint8Array): Uint8Array => sm3(data),
  generateKeyPair(): KeyPair {
    for (;;) {
      const secretKey = plain(randomBytes(32));
      const d = big(secretKey);
      if (d >= 1n && d <= N - 2n) return { publicKey: mulBase(secretKey), secretKey };
    }
  },
  publicKeyFromSecret(secretKey: Uint8Array): Uint8Array {
    sm2Scalar(secretKey);
    return mulBase(secretKey);
  },
  sign: (message: Uint8Array, secretKey: Uint8Array): Uint8Array => sm2Sign(message, secretKey),
  verify: (message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean => sm2Verify(message, signature, publicKey),
  isValidPublicKey(publicKey: Uint8Array): boolean {
    try {
      return decodeSm2Key(publicKey) !== null;
    } catch {
      return false;
    }
  },
  address: (publicKey: Uint8Array): string => "0x" + toHex(sm3(publicKey).subarray(12)),
});

// ---------------------------------------------------------------------------------------------
// Known-answer self-test, once per process (and per worker thread). The rules above lean on what
// the bundled libsodium and OpenSSL do today; if an upgrade changes a verdict (the cofactored-style
// verifier in newer libsodium code would accept the mixed-order-R vector below), a node must refuse
// to start rather than silently fork from the rest of the network.

const KAT = {
  // RFC 8032 7.1 TEST 2.
  edSeed: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
  edPk: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
  edMsg: "72",
  edSig: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
  // R = rB + T8 (T8 of order 8), S = r + hA: valid under the cofactored equation only.
  edMixedRPk: "2152f8d19b791d24453242e15f2eab6cb7cffa7b6a5ed30097960e069881db12",
  edMixedRMsg: "636976697461733a206d697865642d6f726465722052",
  edMixedRSig: "50159f8cea8eef4fedacbe5b942a3e50fe6712de0babaff53c47ab9e1d34bdb026e2a61375953143e95f7cb671b511673c5ed13d9c39a837a3fd0b8835582a03",
  // ed25519-speccheck case 3: A has a torsion component; plain libsodium verify accepts it.
  edMixedAPk: "cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d",
  edMixedAMsg: "9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79",
  edMixedASig: "9046a64750444938de19f227bb80485e92b83fdb4b6506c160484c016cc1852f87909e14428a7a1d62e9f22f3d3ad7802db02eb2e688b6c52fcd6648a98bd009",
  // GM/T 0003.5-2012 A.2 (ID "1234567812345678", message "message digest").
  sm2Pk: "0409f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13",
  sm2Sig: "f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa",
};

const selfTested = new Set<SuiteId>();

function selfTest(id: SuiteId): void {
  if (selfTested.has(id)) return;
  const fail = (what: string): never => {
    throw new CivitasError(ErrorCode.INTERNAL, `crypto self-test failed for ${id}: ${what}`, { suite: id });
  };
  if (id === "ed25519-sha256") {
    const s = ed25519Sha256;
    const msg = fromHex(KAT.edMsg);
    if (toHex(s.publicKeyFromSecret(fromHex(KAT.edSeed))) !== KAT.edPk) fail("RFC 8032 public key");
    if (toHex(s.sign(msg, fromHex(KAT.edSeed))) !== KAT.edSig) fail("RFC 8032 signature");
    if (!s.verify(msg, fromHex(KAT.edSig), fromHex(KAT.edPk))) fail("RFC 8032 verification");
    if (s.verify(fromHex(KAT.edMixedRMsg), fromHex(KAT.edMixedRSig), fromHex(KAT.edMixedRPk))) fail("accepted a mixed-order R");
    if (s.isValidPublicKey(fromHex(KAT.edMixedAPk))) fail("accepted a mixed-order public key");
    if (s.verify(fromHex(KAT.edMixedAMsg), fromHex(KAT.edMixedASig), fromHex(KAT.edMixedAPk))) fail("accepted a mixed-order A");
  } else {
    const s = sm2Sm3;
    if (toHex(s.hash(utf8("abc"))) !== "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0") fail("SM3 vector");
    if (!s.verify(utf8("message digest"), fromHex(KAT.sm2Sig), fromHex(KAT.sm2Pk))) fail("GM/T 0003.5 signature");
    if (s.verify(utf8("message digesT"), fromHex(KAT.sm2Sig), fromHex(KAT.sm2Pk))) fail("accepted a wrong message");
  }
  selfTested.add(id);
}

const SUITES: Readonly<Record<SuiteId, CryptoSuite>> = { "ed25519-sha256": ed25519Sha256, "sm2-sm3": sm2Sm3 };

/** The native-backed implementation of a suite; same verdicts as getPortableSuite. */
export function getNodeSuite(id: SuiteId): CryptoSuite {
  const suite = Object.prototype.hasOwnProperty.call(SUITES, id) ? SUITES[id] : undefined;
  if (!suite) throw new CivitasError(ErrorCode.CONFIG_INVALID, `unknown crypto suite: ${String(id)}`, { suite: id });
  selfTest(id);
  return suite;
}
