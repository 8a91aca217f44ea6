/**
 * A crypto suite fixes, for one chain, the hash, the signature scheme and the address rule.
 * It is chosen in genesis and never changes for the life of the chain.
 *
 * Every implementation must be strict and identical on every node: the same (message,
 * signature, public key) triple is accepted everywhere or rejected everywhere. The exact rules
 * are in docs/adr/0002-strict-signature-verification.md.
 */
export type SuiteId = "ed25519-sha256" | "sm2-sm3";
export const SUITE_IDS: readonly SuiteId[] = ["ed25519-sha256", "sm2-sm3"];

export interface KeyPair {
  publicKey: Uint8Array;
  /** ed25519: the 32-byte seed; sm2: the 32-byte private scalar (big-endian). */
  secretKey: Uint8Array;
}

export interface CryptoSuite {
  readonly id: SuiteId;
  /** 32-byte digest (SHA-256 or SM3). */
  hash(data: Uint8Array): Uint8Array;
  generateKeyPair(): KeyPair;
  publicKeyFromSecret(secretKey: Uint8Array): Uint8Array;
  /** Deterministic for ed25519; sm2 signatures are randomised but verify the same everywhere. */
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array;
  /** Strict verification; never throws, returns false for anything malformed. */
  verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean;
  /** Canonical encoding, on the curve, not of small order (ed25519), not the identity. */
  isValidPublicKey(publicKey: Uint8Array): boolean;
  /** "0x" + 40 lowercase hex: the last 20 bytes of hash(publicKey). */
  address(publicKey: Uint8Array): string;
  readonly publicKeyLength: number;
  readonly secretKeyLength: number;
  readonly signatureLength: number;
}
