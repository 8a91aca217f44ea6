/**
 * Ed25519 keys as JSON Web Keys (RFC 8037 OKP): how Civitas keys (32-byte seed, 32-byte public
 * key) meet jose and DID documents. Ed25519 only: VC-JOSE here is EdDSA.
 */
import { base64url } from "jose";
import { getPortableSuite } from "../crypto/portable-suites.js";
import { CivitasError, ErrorCode } from "../util/errors.js";

export interface Ed25519PublicJwk {
  kty: "OKP";
  crv: "Ed25519";
  x: string;
}

export interface Ed25519PrivateJwk extends Ed25519PublicJwk {
  d: string;
}

const ed25519 = getPortableSuite("ed25519-sha256");

export function ed25519PublicJwk(publicKey: Uint8Array): Ed25519PublicJwk {
  if (publicKey.length !== 32) throw new CivitasError(ErrorCode.KEY_INVALID, `an Ed25519 public key has 32 bytes, got ${publicKey.length}`);
  return { kty: "OKP", crv: "Ed25519", x: base64url.encode(publicKey) };
}

/** The private JWK of a 32-byte Ed25519 seed (the secret key format of Civitas key files). */
export function ed25519PrivateJwk(secretKey: Uint8Array): Ed25519PrivateJwk {
  if (secretKey.length !== 32) throw new CivitasError(ErrorCode.KEY_INVALID, `an Ed25519 secret key (seed) has 32 bytes, got ${secretKey.length}`);
  return { ...ed25519PublicJwk(ed25519.publicKeyFromSecret(secretKey)), d: base64url.encode(secretKey) };
}

/** The raw public key of an OKP/Ed25519 JWK, or undefined when it is anything else. */
export function ed25519PublicKeyFromJwk(jwk: unknown): Uint8Array | undefined {
  if (jwk === null || typeof jwk !== "object") return undefined;
  const j = jwk as Record<string, unknown>;
  if (j.kty !== "OKP" || j.crv !== "Ed25519" || typeof j.x !== "string" || !/^[A-Za-z0-9_-]{43}$/.test(j.x)) return undefined;
  try {
    const key = base64url.decode(j.x);
    return key.length === 32 ? key : undefined;
  } catch {
    return undefined;
  }
}
