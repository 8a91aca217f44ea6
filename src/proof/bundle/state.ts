/** State proofs inside a bundle: a key's value (or its absence) against a certified stateRoot. */
import type { CryptoSuite } from "../../crypto/suite.js";
import { verifySmtProof } from "../../ledger/smt-proof.js";
import { fromHex, toHex, utf8 } from "../../util/bytes.js";
import { BundleError } from "./errors.js";
import type { BundlePart, SmtProofJson } from "./format.js";

/** Full state key of a record: `proof/rec/<fingerprint or root hex>`. */
export const RECORD_PREFIX = "proof/rec/";
/** Full state key of the TSA roots the proof module trusts (CBOR array of DER certificates). */
export const TSA_ROOTS_KEY = "proof/tsaroots";

/** Verifies a state proof of `key` against `stateRoot`; returns the proved value (null = proved absent). */
export function provedValue(suite: CryptoSuite, p: SmtProofJson, key: string, stateRoot: Uint8Array, part: BundlePart, what: string): Uint8Array | null {
  if (p.key !== toHex(utf8(key))) throw new BundleError(part, `the state proof of ${what} is for another key than ${key}`);
  if (!verifySmtProof((d) => suite.hash(d), stateRoot, p)) throw new BundleError(part, `the state proof of ${what} does not verify against the stateRoot ${toHex(stateRoot)}`);
  return p.value === null ? null : fromHex(p.value);
}
