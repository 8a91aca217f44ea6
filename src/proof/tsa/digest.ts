/** Synchronous, portable digests and signature checks for timestamp tokens (no node: imports, no WebCrypto). */
import { p256, p384 } from "@noble/curves/nist.js";
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha256, sha384, sha512 } from "@noble/hashes/sha2.js";
import { sha1 } from "@noble/hashes/legacy.js";
import { sm3 } from "../../crypto/portable-suites.js";
import type { DigestName } from "./oids.js";
import { DIGEST_OID_OF } from "./oids.js";

export function digest(name: DigestName, data: Uint8Array): Uint8Array {
  switch (name) {
    case "SHA-1":
      return sha1(data);
    case "SHA-256":
      return sha256(data);
    case "SHA-384":
      return sha384(data);
    case "SHA-512":
      return sha512(data);
    case "SM3":
      return sm3(data);
  }
}

export type PublicKey = { type: "ec"; curve: "P-256" | "P-384"; point: Uint8Array } | { type: "rsa"; n: bigint; e: bigint } | { type: "ed25519"; key: Uint8Array };

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return result;
}

const bytesToBig = (b: Uint8Array): bigint => {
  let x = 0n;
  for (const v of b) x = (x << 8n) | BigInt(v);
  return x;
};

/** DER of DigestInfo's AlgorithmIdentifier prefix (RFC 8017 §9.2 note 1). */
const DIGEST_INFO_PREFIX: Partial<Record<DigestName, string>> = {
  "SHA-1": "3021300906052b0e03021a05000414",
  "SHA-256": "3031300d060960864801650304020105000420",
  "SHA-384": "3041300d060960864801650304020205000430",
  "SHA-512": "3051300d060960864801650304020305000440",
};

/** RSASSA-PKCS1-v1_5 verification (RFC 8017 §8.2.2): the encoded message is rebuilt and compared whole. */
function verifyRsaPkcs1(key: { n: bigint; e: bigint }, digestName: DigestName, hash: Uint8Array, signature: Uint8Array): boolean {
  const prefix = DIGEST_INFO_PREFIX[digestName];
  if (!prefix) return false;
  const k = Math.ceil(key.n.toString(16).length / 2);
  if (k < 128 || signature.length !== k) return false; // under 1024-bit keys are refused outright
  const s = bytesToBig(signature);
  if (s >= key.n) return false;
  const m = modPow(s, key.e, key.n);
  const em = new Uint8Array(k);
  let x = m;
  for (let i = k - 1; i >= 0; i--) {
    em[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  const t = prefix + Array.from(hash, (v) => v.toString(16).padStart(2, "0")).join("");
  const tLen = t.length / 2;
  if (k < tLen + 11) return false;
  if (em[0] !== 0 || em[1] !== 1) return false;
  for (let i = 2; i < k - tLen - 1; i++) if (em[i] !== 0xff) return false;
  if (em[k - tLen - 1] !== 0) return false;
  const tail = Array.from(em.subarray(k - tLen), (v) => v.toString(16).padStart(2, "0")).join("");
  return tail === t;
}

/**
 * Checks `signature` over `message` with `key`. ECDSA signatures are DER (as in X.509 and CMS)
 * and high-S values are accepted, as OpenSSL produces them. Never throws.
 */
export function verifySignature(key: PublicKey, digestName: DigestName | undefined, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (key.type === "ed25519") return ed25519.verify(signature, message, key.key);
    if (!digestName || !(digestName in DIGEST_OID_OF)) return false;
    const hash = digest(digestName, message);
    if (key.type === "rsa") return verifyRsaPkcs1(key, digestName, hash, signature);
    const curve = key.curve === "P-256" ? p256 : p384;
    // ECDSA truncates the hash to the order's bit length (SEC 1 §4.1.4), which noble does for a prehashed input.
    return curve.verify(signature, hash, key.point, { prehash: false, lowS: false, format: "der" });
  } catch {
    return false;
  }
}
