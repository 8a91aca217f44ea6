/**
 * The record's RFC 3161 token, checked offline: imprint = the registered fingerprint or root
 * (with the chain's hash), CMS signature, ESS binding, timeStamping EKU, and a chain to one of
 * the TSA roots the chain held in state at the registration block (`proof/tsaroots`, proved by
 * the bundle). genTime must be what the module stored; its distance to block time is reported
 * (the module enforced the chain's skew limit when it accepted the token).
 */
import { decode } from "../../codec/index.js";
import type { CryptoSuite } from "../../crypto/suite.js";
import type { ProofRecord } from "../../modules/proof/record.js";
import { toHex } from "../../util/bytes.js";
import { pemCertificates, toPem } from "../tsa/certs.js";
import { decodeToken } from "../tsa/token.js";
import { verifyTimestampToken } from "../tsa/verify.js";
import type { CertifiedBlock } from "./chain.js";
import { BundleError } from "./errors.js";
import type { ProofBundle } from "./format.js";
import { provedValue, TSA_ROOTS_KEY } from "./state.js";

export interface TsaFacts {
  genTime: number;
  genTimeIso: string;
  /** genTime − block time (ms). */
  skewMs: number;
  serial: string;
  policy: string;
  digestAlgorithm: string;
  accuracyMs?: number;
  tsa: { subject: string; serial: string; sha256: string };
  chain: string[];
  root: { subject: string; sha256: string };
  /** The bare token (ContentInfo DER, hex): `openssl ts -verify -token_in -in` reads it. */
  tokenHex: string;
  /** The roots proven in state, PEM: `-CAfile` for openssl. */
  rootsPem: string;
}

/** The roots as stored: a CBOR array of DER certificates (PEM strings accepted too). */
function decodeRoots(bytes: Uint8Array): Uint8Array[] {
  let v: unknown;
  try {
    v = decode(bytes);
  } catch (e) {
    throw new BundleError("tsa", `the proved proof/tsaroots value is not CBOR: ${(e as Error).message}`);
  }
  if (!Array.isArray(v)) throw new BundleError("tsa", "the proved proof/tsaroots value is not an array of certificates");
  return v.flatMap((c, i) => {
    if (c instanceof Uint8Array) return [c];
    if (typeof c === "string") return pemCertificates(c);
    throw new BundleError("tsa", `proof/tsaroots[${i}] is neither DER bytes nor PEM`);
  });
}

export function checkTsa(suite: CryptoSuite, b: ProofBundle, rec: ProofRecord, reg: CertifiedBlock): TsaFacts | null {
  const proof = b.registration.tsaRoots;
  // Proved even when unused: every byte of a bundle is checked.
  const value = proof ? provedValue(suite, proof, TSA_ROOTS_KEY, reg.header.stateRoot, "tsa", TSA_ROOTS_KEY) : null;
  if (!rec.tsa) return null;
  if (!proof) throw new BundleError("tsa", "the record carries a timestamp token but the bundle does not prove the chain's TSA roots (proof/tsaroots)");
  if (value === null) throw new BundleError("tsa", `the state proof shows no TSA roots (proof/tsaroots) at block ${reg.header.height}`);
  const roots = decodeRoots(value);
  if (roots.length === 0) throw new BundleError("tsa", "the chain's TSA root list is empty");
  const algorithm = suite.id === "sm2-sm3" ? "SM3" : "SHA-256";
  let v;
  try {
    v = verifyTimestampToken(rec.tsa.token, { trustedRoots: roots, imprint: { algorithm, hash: rec.fingerprint } });
  } catch (e) {
    throw new BundleError("tsa", (e as Error).message, { check: (e as { check?: string }).check });
  }
  if (v.genTime !== rec.tsa.genTime) throw new BundleError("tsa", `the token's genTime ${v.genTimeIso} is not the time the record stores (${new Date(rec.tsa.genTime).toISOString()})`);
  return {
    genTime: v.genTime,
    genTimeIso: v.genTimeIso,
    skewMs: v.genTime - reg.header.time,
    serial: v.serial,
    policy: v.policy,
    digestAlgorithm: v.digestAlgorithm,
    ...(v.accuracyMs !== undefined ? { accuracyMs: v.accuracyMs } : {}),
    tsa: v.tsa,
    chain: v.chain,
    root: v.root,
    tokenHex: toHex(decodeToken(rec.tsa.token).der),
    rootsPem: roots.map((r) => toPem(r)).join(""),
  };
}
