/**
 * The hash of a chain's suite as the proof service names and uses it (docs/spec/proof.md, "Hash
 * algorithm"). Portable: no node: imports.
 */
import { getPortableSuite } from "../crypto/portable-suites.js";
import type { SuiteId } from "../crypto/suite.js";
import type { HashFn } from "../ledger/merkle.js";

export type HashAlgorithm = "sha-256" | "sm3";

export function hashAlgorithmOf(suite: SuiteId): HashAlgorithm {
  return suite === "sm2-sm3" ? "sm3" : "sha-256";
}

export function suiteOfHashAlgorithm(alg: string): SuiteId | undefined {
  return alg === "sha-256" ? "ed25519-sha256" : alg === "sm3" ? "sm2-sm3" : undefined;
}

/** The suite's 32-byte hash (portable implementation). */
export function portableHash(suite: SuiteId): HashFn {
  const s = getPortableSuite(suite);
  return (d) => s.hash(d);
}

/** H(salt ‖ document): the salted commitment of a document held in memory. */
export function commitment(h: HashFn, document: Uint8Array, salt: Uint8Array | null): Uint8Array {
  if (!salt) return h(document);
  const buf = new Uint8Array(salt.length + document.length);
  buf.set(salt, 0);
  buf.set(document, salt.length);
  return h(buf);
}

export const SALT_BYTES = 32;
