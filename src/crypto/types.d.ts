// Minimal ambient types for the two untyped crypto packages: only what Civitas calls.

declare module "sodium-native" {
  type Bytes = Uint8Array;
  interface Sodium {
    crypto_sign_seed_keypair(pk: Bytes, sk: Bytes, seed: Bytes): void;
    crypto_sign_detached(sig: Bytes, message: Bytes, sk: Bytes): void;
    /** Accepts a signature longer than 64 bytes (reads the first 64): callers check the length. */
    crypto_sign_verify_detached(sig: Bytes, message: Bytes, pk: Bytes): boolean;
    crypto_core_ed25519_is_valid_point(p: Bytes): boolean;
    crypto_hash_sha256(out: Bytes, input: Bytes): void;
    randombytes_buf(buf: Bytes): void;
    sodium_memzero(buf: Bytes): void;
  }
  const sodium: Sodium;
  export default sodium;
}

declare module "sm-crypto" {
  interface SmCryptoSm2 {
    /** Hex r||s (or DER with `der`); message bytes as a number array or a UTF-8 string. */
    doSignature(
      message: string | number[],
      privateKeyHex: string,
      opts?: { hash?: boolean; der?: boolean; publicKey?: string; userId?: string },
    ): string;
    doVerifySignature(
      message: string | number[],
      signatureHex: string,
      publicKeyHex: string,
      opts?: { hash?: boolean; der?: boolean; userId?: string },
    ): boolean;
    getPublicKeyFromPrivateKey(privateKeyHex: string): string;
  }
  interface SmCrypto {
    sm2: SmCryptoSm2;
    /** Hex digest. */
    sm3(input: string | number[]): string;
  }
  const smCrypto: SmCrypto;
  export default smCrypto;
}
