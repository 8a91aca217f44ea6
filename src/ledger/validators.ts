/** Validator sets: who may sign commits, with what voting power. */
import { encode } from "../codec/index.js";
import type { CryptoSuite } from "../crypto/suite.js";
import { compareBytes } from "../util/bytes.js";
import { assert } from "../util/errors.js";

export interface Validator {
  address: Uint8Array;
  publicKey: Uint8Array;
  power: number;
}

/** Canonical order (by address) so the set hash does not depend on how genesis listed them. */
export function sortValidators(vs: Validator[]): Validator[] {
  const sorted = [...vs].sort((a, b) => compareBytes(a.address, b.address));
  for (let i = 1; i < sorted.length; i++) assert(compareBytes(sorted[i - 1].address, sorted[i].address) !== 0, "duplicate validator address");
  return sorted;
}

export function validatorSetHash(suite: Pick<CryptoSuite, "hash">, vs: Validator[]): Uint8Array {
  return suite.hash(encode({ v: 1, validators: sortValidators(vs).map((v) => ({ address: v.address, publicKey: v.publicKey, power: v.power })) }));
}

export function totalPower(vs: Validator[]): number {
  return vs.reduce((s, v) => s + v.power, 0);
}
