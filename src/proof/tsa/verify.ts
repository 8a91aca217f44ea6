/**
 * Verification of RFC 3161 timestamp tokens, synchronous and portable (browser, node, and
 * deterministic module code alike): the CMS signature over the signed attributes, the
 * messageDigest of the TSTInfo, the ESS signing-certificate(-v2) binding, the message imprint,
 * extendedKeyUsage=timeStamping (critical, alone), a chain to a trusted root valid at genTime,
 * and genTime within a configured skew of a reference time (X.1407 8.2.3).
 */
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { equalBytes, toHex } from "../../util/bytes.js";
import type { ParsedCert } from "./certs.js";
import { certSha256Hex, extension, isCa, nameToString, publicKeyOf, readCerts, sameName, serialHex, signedBy, validAt } from "./certs.js";
import { digest, verifySignature } from "./digest.js";
import { TimestampError } from "./errors.js";
import type { DigestName } from "./oids.js";
import { DIGEST_OIDS, OID, SIGNATURE_OIDS } from "./oids.js";
import type { DecodedToken } from "./token.js";
import { decodeToken } from "./token.js";

export interface VerifyTimestampOptions {
  /** Trusted roots (PEM text, possibly several certificates, or DER): the network CA and configured external TSA roots. */
  trustedRoots: Array<string | Uint8Array>;
  /** Untrusted certificates that may help build the chain (the TSA certificate when the token omits it). */
  certificates?: Array<string | Uint8Array>;
  /** The timestamped data: the imprint must be its hash under the token's algorithm. */
  data?: Uint8Array;
  /** Or the expected hashed message itself (with the algorithm it was made with). */
  imprint?: { algorithm: DigestName; hash: Uint8Array };
  /** Imprint algorithms accepted (default SHA-256, SHA-384, SHA-512, SM3; never SHA-1). */
  acceptedDigests?: DigestName[];
  nonce?: bigint;
  /** Accepted TSA policy OIDs (default: any). */
  policies?: string[];
  /** ms since the epoch; with maxSkewMs, genTime must lie within referenceTime ± maxSkewMs. */
  referenceTime?: number;
  maxSkewMs?: number;
}

export interface VerifiedTimestamp {
  genTime: number;
  genTimeIso: string;
  serial: string;
  policy: string;
  digestAlgorithm: DigestName;
  hashedMessage: string;
  nonce?: string;
  accuracyMs?: number;
  tsa: { subject: string; serial: string; sha256: string };
  /** Subjects from the TSA certificate up to the trusted root. */
  chain: string[];
  root: { subject: string; sha256: string };
}

const DEFAULT_DIGESTS: DigestName[] = ["SHA-256", "SHA-384", "SHA-512", "SM3"];
const MAX_CHAIN = 8;

function attribute(si: pkijs.SignerInfo, oid: string): pkijs.Attribute | undefined {
  const found = si.signedAttrs?.attributes.filter((a) => a.type === oid) ?? [];
  if (found.length > 1) throw new TimestampError("format", `signed attribute ${oid} appears ${found.length} times`);
  return found[0];
}

/** Byte equality of two names: stricter than RFC 5280's matching rules, as a signed token should name its signer exactly. */
function sameNameDer(a: pkijs.RelativeDistinguishedNames, b: pkijs.RelativeDistinguishedNames): boolean {
  return equalBytes(new Uint8Array(a.toSchema().toBER(false)), new Uint8Array(b.toSchema().toBER(false)));
}

function findSigner(si: pkijs.SignerInfo, pool: ParsedCert[]): ParsedCert | undefined {
  const sid = si.sid as unknown;
  if (sid instanceof pkijs.IssuerAndSerialNumber) {
    const serial = toHex(sid.serialNumber.valueBlock.valueHexView);
    return pool.find((c) => sameNameDer(c.cert.issuer, sid.issuer) && toHex(c.cert.serialNumber.valueBlock.valueHexView) === serial);
  }
  // subjectKeyIdentifier [0]
  const ski = sid as asn1js.Primitive;
  const want = ski?.valueBlock?.valueHexView ? toHex(ski.valueBlock.valueHexView) : "";
  return pool.find((c) => {
    const ext = extension(c, "2.5.29.14")?.parsedValue as asn1js.OctetString | undefined;
    return ext ? toHex(ext.valueBlock.valueHexView) === want : false;
  });
}

/** The certHash and issuerSerial of the first ESSCertID(v2): RFC 2634 §5.4 / RFC 5035 §3 say it names the signer. */
function essBinding(si: pkijs.SignerInfo): { algorithm: DigestName; hash: Uint8Array; serial?: string } {
  const v2 = attribute(si, OID.attrSigningCertificateV2);
  const v1 = attribute(si, OID.attrSigningCertificate);
  const attr = v2 ?? v1;
  if (!attr) throw new TimestampError("ess", "the token has no signing-certificate(-v2) attribute binding the TSA certificate");
  const bad = (why: string): never => {
    throw new TimestampError("ess", why);
  };
  const value = attr.values[0] as asn1js.Sequence;
  const certs = value?.valueBlock?.value?.[0] as asn1js.Sequence | undefined;
  const first = certs?.valueBlock?.value?.[0] as asn1js.Sequence | undefined;
  const parts = first?.valueBlock?.value;
  if (!parts || parts.length === 0) return bad("the signing-certificate attribute lists no certificate");
  let i = 0;
  let algorithm: DigestName = v2 ? "SHA-256" : "SHA-1";
  if (v2 && parts[0] instanceof asn1js.Sequence) {
    const oid = (parts[0].valueBlock.value[0] as asn1js.ObjectIdentifier | undefined)?.valueBlock.toString() ?? "";
    const d = DIGEST_OIDS[oid];
    if (!d) bad(`unknown ESSCertIDv2 hash algorithm ${oid}`);
    algorithm = d;
    i = 1;
  }
  const hash = parts[i];
  if (!(hash instanceof asn1js.OctetString)) return bad("the ESSCertID has no certHash");
  const issuerSerial = parts[i + 1] as asn1js.Sequence | undefined;
  const serialInt = issuerSerial?.valueBlock?.value?.[1];
  return { algorithm, hash: new Uint8Array(hash.valueBlock.valueHexView), ...(serialInt instanceof asn1js.Integer ? { serial: toHex(serialInt.valueBlock.valueHexView).replace(/^(00)+(?=.)/, "") } : {}) };
}

/** RFC 3161 §2.3: the TSA certificate carries extendedKeyUsage with timeStamping only, marked critical. */
function checkEku(c: ParsedCert): void {
  const ext = extension(c, OID.extKeyUsage);
  if (!ext) throw new TimestampError("eku", `the TSA certificate (${c.subject}) has no extendedKeyUsage extension`);
  if (!ext.critical) throw new TimestampError("eku", "the TSA certificate's extendedKeyUsage is not critical");
  const eku = ext.parsedValue as pkijs.ExtKeyUsage | undefined;
  const purposes = eku?.keyPurposes ?? [];
  if (purposes.length !== 1 || purposes[0] !== OID.kpTimeStamping) throw new TimestampError("eku", `the TSA certificate's extendedKeyUsage is [${purposes.join(", ")}], not timeStamping alone`);
}

function buildChain(signer: ParsedCert, pool: ParsedCert[], roots: ParsedCert[], at: number): ParsedCert[] {
  const chain = [signer];
  const isRoot = (c: ParsedCert): ParsedCert | undefined => roots.find((r) => equalBytes(r.der, c.der));
  let cur = signer;
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    if (!validAt(cur, at)) throw new TimestampError("validity", `certificate ${cur.subject} is not valid at genTime ${new Date(at).toISOString()}`);
    const root = isRoot(cur);
    if (root) return chain;
    const issuer = [...roots, ...pool].find((c) => c !== cur && sameName(c.cert.subject, cur.cert.issuer) && isCa(c) && signedBy(cur, c));
    if (!issuer) throw new TimestampError("chain", `no trusted certificate issued ${cur.subject} (its issuer ${nameToString(cur.cert.issuer)} is not a trusted root or a CA chaining to one)`, { subject: cur.subject });
    chain.push(issuer);
    cur = issuer;
  }
  throw new TimestampError("chain", `no trusted root within ${MAX_CHAIN} certificates`);
}

/** Verifies a token (or a granted TimeStampResp). Throws TimestampError naming the failed check. */
export function verifyTimestampToken(input: Uint8Array, opts: VerifyTimestampOptions): VerifiedTimestamp {
  try {
    return verifyDecoded(decodeToken(input), opts);
  } catch (e) {
    // The ASN.1 and X.509 parsers throw plain errors on damaged input: still a refused token.
    if (e instanceof TimestampError) throw e;
    throw new TimestampError("format", `the token does not decode: ${(e as Error).message}`);
  }
}

export function verifyDecoded(t: DecodedToken, opts: VerifyTimestampOptions): VerifiedTimestamp {
  let roots: ParsedCert[];
  let extra: ParsedCert[];
  try {
    roots = readCerts(opts.trustedRoots);
    extra = readCerts(opts.certificates ?? []);
  } catch (e) {
    throw new TimestampError("chain", `a configured certificate does not parse: ${(e as Error).message}`);
  }
  if (roots.length === 0) throw new TimestampError("chain", "no trusted roots configured");

  // What was stamped.
  const accepted = opts.acceptedDigests ?? DEFAULT_DIGESTS;
  if (!accepted.includes(t.digestAlgorithm)) throw new TimestampError("imprint", `imprint algorithm ${t.digestAlgorithm} is not accepted (${accepted.join(", ")})`);
  if (opts.data) {
    if (!equalBytes(digest(t.digestAlgorithm, opts.data), t.hashedMessage)) throw new TimestampError("imprint", `the token stamps ${t.digestAlgorithm} ${toHex(t.hashedMessage)}, not the hash of the given data`);
  }
  if (opts.imprint) {
    if (opts.imprint.algorithm !== t.digestAlgorithm || !equalBytes(opts.imprint.hash, t.hashedMessage)) throw new TimestampError("imprint", `the token stamps ${t.digestAlgorithm} ${toHex(t.hashedMessage)}, not ${opts.imprint.algorithm} ${toHex(opts.imprint.hash)}`);
  }
  if (opts.nonce !== undefined && t.nonce !== opts.nonce) throw new TimestampError("nonce", `the token's nonce ${t.nonce ?? "(none)"} is not the request's ${opts.nonce}`);
  if (opts.policies && !opts.policies.includes(t.policy)) throw new TimestampError("policy", `TSA policy ${t.policy} is not accepted`);

  // Who signed it, and that the signature covers this TSTInfo.
  const si = t.signerInfo;
  // A token that carries certificates must carry its signer's: a copy given out of band does not excuse a damaged one.
  const signer = findSigner(si, t.certificates.length > 0 ? t.certificates : [...extra, ...roots]);
  if (!signer) throw new TimestampError("signer", t.certificates.length > 0 ? "no certificate in the token matches the signer" : "the TSA certificate is neither in the token nor among the given certificates");
  if (!si.signedAttrs || si.signedAttrs.attributes.length === 0) throw new TimestampError("format", "the signer has no signed attributes");
  const ct = attribute(si, OID.attrContentType);
  const ctOid = (ct?.values[0] as asn1js.ObjectIdentifier | undefined)?.valueBlock?.toString();
  if (ctOid !== OID.tstInfo) throw new TimestampError("contentType", "the signed contentType attribute is not id-ct-TSTInfo");
  const siDigest = DIGEST_OIDS[si.digestAlgorithm.algorithmId];
  if (!siDigest || siDigest === "SHA-1") throw new TimestampError("messageDigest", `signer digest algorithm ${si.digestAlgorithm.algorithmId} is not accepted`);
  const md = attribute(si, OID.attrMessageDigest)?.values[0] as asn1js.OctetString | undefined;
  if (!(md instanceof asn1js.OctetString) || !equalBytes(new Uint8Array(md.valueBlock.valueHexView), digest(siDigest, t.tstInfoDer))) {
    throw new TimestampError("messageDigest", "the signed messageDigest does not match the TSTInfo (the token's content was altered)");
  }
  const key = publicKeyOf(signer);
  const sigAlg = SIGNATURE_OIDS[si.signatureAlgorithm.algorithmId];
  if (!key || !sigAlg || sigAlg.key !== key.type) throw new TimestampError("signature", `unsupported signature algorithm ${si.signatureAlgorithm.algorithmId} for the TSA key`);
  const signedBytes = new Uint8Array(si.signedAttrs.encodedValue);
  if (!verifySignature(key, sigAlg.digest ?? siDigest, signedBytes, si.signature.valueBlock.valueHexView)) throw new TimestampError("signature", `the signature does not verify with the key of ${signer.subject}`);

  const ess = essBinding(si);
  if (!equalBytes(ess.hash, digest(ess.algorithm, signer.der))) throw new TimestampError("ess", "the signing-certificate attribute names another certificate than the signer's");
  if (ess.serial !== undefined && ess.serial !== serialHex(signer)) throw new TimestampError("ess", "the signing-certificate attribute's issuerSerial is not the signer's");
  checkEku(signer);

  // Whether the TSA is trusted, at the time it claims.
  const chain = buildChain(signer, [...t.certificates, ...extra], roots, t.genTime);
  if (opts.referenceTime !== undefined && opts.maxSkewMs !== undefined) {
    const skew = t.genTime - opts.referenceTime;
    if (Math.abs(skew) > opts.maxSkewMs) {
      throw new TimestampError("time", `genTime ${new Date(t.genTime).toISOString()} is ${Math.abs(skew)} ms ${skew > 0 ? "after" : "before"} the reference time ${new Date(opts.referenceTime).toISOString()} (allowed ${opts.maxSkewMs} ms)`, { skewMs: skew, maxSkewMs: opts.maxSkewMs });
    }
  }
  for (const c of t.certificates) {
    if (!chain.some((x) => equalBytes(x.der, c.der))) throw new TimestampError("chain", `the token carries a certificate (${c.subject}) outside the TSA's chain`);
  }
  const root = chain[chain.length - 1];
  return {
    genTime: t.genTime,
    genTimeIso: new Date(t.genTime).toISOString(),
    serial: t.serial,
    policy: t.policy,
    digestAlgorithm: t.digestAlgorithm,
    hashedMessage: toHex(t.hashedMessage),
    ...(t.nonce !== undefined ? { nonce: t.nonce.toString() } : {}),
    ...(t.accuracyMs !== undefined ? { accuracyMs: t.accuracyMs } : {}),
    tsa: { subject: signer.subject, serial: serialHex(signer), sha256: certSha256Hex(signer) },
    chain: chain.map((c) => c.subject),
    root: { subject: root.subject, sha256: certSha256Hex(root) },
  };
}
