/** Decoding of RFC 3161 responses and tokens into the parts a verifier and a report need. */
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { toHex } from "../../util/bytes.js";
import type { ParsedCert } from "./certs.js";
import { arrayBuffer, nameToString, oidString } from "./certs.js";
import { TimestampError } from "./errors.js";
import { checkStructure } from "./structure.js";
import type { DigestName } from "./oids.js";
import { DIGEST_OIDS, OID } from "./oids.js";

export interface DecodedToken {
  /** DER of the ContentInfo (the token itself, as `openssl ts -reply -token_out` writes it). */
  der: Uint8Array;
  signedData: pkijs.SignedData;
  signerInfo: pkijs.SignerInfo;
  tstInfo: pkijs.TSTInfo;
  /** The eContent bytes (DER of TSTInfo) the messageDigest attribute covers. */
  tstInfoDer: Uint8Array;
  certificates: ParsedCert[];
  digestAlgorithm: DigestName;
  hashedMessage: Uint8Array;
  genTime: number;
  serial: string;
  policy: string;
  nonce?: bigint;
  /** Accuracy in milliseconds, when the TSA states one. */
  accuracyMs?: number;
}

const fail = (why: string): never => {
  throw new TimestampError("format", why);
};

function parseDer(der: Uint8Array, what: string): asn1js.AsnType {
  const asn = asn1js.fromBER(arrayBuffer(der));
  if (asn.offset === -1) fail(`${what} is not DER: ${asn.result.error}`);
  if (asn.offset !== der.length) fail(`${what} has ${der.length - asn.offset} trailing bytes`);
  return asn.result;
}

export function intToBigint(i: asn1js.Integer): bigint {
  let x = 0n;
  for (const v of i.valueBlock.valueHexView) x = (x << 8n) | BigInt(v);
  return x;
}

/**
 * Accepts a TimeStampResp (status must be granted) or a bare token (ContentInfo), as `openssl ts`
 * writes either. Returns the token's parts; throws TimestampError("format"|"status").
 */
export function decodeToken(input: Uint8Array): DecodedToken {
  try {
    checkStructure(input);
  } catch (e) {
    fail(`malformed encoding: ${(e as Error).message}`);
  }
  const root = parseDer(input, "the token");
  let ci: pkijs.ContentInfo;
  let der = input;
  try {
    ci = new pkijs.ContentInfo({ schema: root });
  } catch {
    let resp: pkijs.TimeStampResp;
    try {
      resp = new pkijs.TimeStampResp({ schema: root });
    } catch (e) {
      return fail(`neither a TimeStampResp nor a token (${(e as Error).message})`);
    }
    if (resp.status.status !== pkijs.PKIStatus.granted && resp.status.status !== pkijs.PKIStatus.grantedWithMods) {
      const text = resp.status.statusStrings?.map((s) => s.valueBlock.value).join("; ");
      throw new TimestampError("status", `the TSA refused the request (status ${resp.status.status}${text ? `: ${text}` : ""})`, { status: resp.status.status });
    }
    if (!resp.timeStampToken) return fail("the response is granted but holds no token");
    ci = resp.timeStampToken;
    der = new Uint8Array(ci.toSchema().toBER(false));
  }
  if (ci.contentType !== OID.signedData) fail(`content type ${ci.contentType} is not signedData`);
  let sd: pkijs.SignedData;
  try {
    sd = new pkijs.SignedData({ schema: ci.content });
  } catch (e) {
    return fail(`the signedData does not decode (${(e as Error).message})`);
  }
  if (sd.encapContentInfo.eContentType !== OID.tstInfo) throw new TimestampError("contentType", `eContentType ${sd.encapContentInfo.eContentType} is not id-ct-TSTInfo`);
  if (sd.signerInfos.length !== 1) fail(`a token has exactly one signer, this one has ${sd.signerInfos.length}`);
  if (sd.version !== 3) fail(`SignedData version ${sd.version} is not 3`);
  const si = sd.signerInfos[0];
  if (si.version !== 1 && si.version !== 3) fail(`SignerInfo version ${si.version} is neither 1 nor 3`);
  // RFC 5652 §5.1: digestAlgorithms lists the signers' digest algorithms; a token has one signer.
  const digests = sd.digestAlgorithms.map((a) => a.algorithmId);
  if (digests.length !== 1 || digests[0] !== si.digestAlgorithm.algorithmId) fail(`digestAlgorithms [${digests.join(", ")}] is not the signer's ${si.digestAlgorithm.algorithmId}`);
  for (const a of [sd.digestAlgorithms[0], si.digestAlgorithm]) {
    if (a.algorithmParams !== undefined && !(a.algorithmParams instanceof asn1js.Null)) fail("digest algorithm parameters must be absent or NULL");
  }
  const eContent = sd.encapContentInfo.eContent;
  if (!eContent) return fail("the token has no TSTInfo content");
  // A constructed (BER) OCTET STRING is joined back into its bytes.
  const tstInfoDer = new Uint8Array(eContent.getValue());
  let tst: pkijs.TSTInfo;
  let policy = "";
  try {
    const tstAsn = parseDer(tstInfoDer, "TSTInfo");
    tst = new pkijs.TSTInfo({ schema: tstAsn });
    policy = oidString((tstAsn as asn1js.Sequence).valueBlock.value[1]);
  } catch (e) {
    if (e instanceof TimestampError) throw e;
    return fail(`TSTInfo does not decode (${(e as Error).message})`);
  }
  if (tst.version !== 1) fail(`TSTInfo version ${tst.version} is not 1`);
  const algOid = tst.messageImprint.hashAlgorithm.algorithmId;
  const digestAlgorithm = DIGEST_OIDS[algOid];
  if (!digestAlgorithm) fail(`unknown imprint hash algorithm ${algOid}`);
  const certificates: ParsedCert[] = [];
  for (const c of sd.certificates ?? []) {
    if (c instanceof pkijs.Certificate) {
      const cder = new Uint8Array(c.toSchema().toBER(false));
      certificates.push({ cert: c, der: cder, subject: nameToString(c.subject) });
    }
  }
  const acc = tst.accuracy;
  const accuracyMs = acc ? (acc.seconds ?? 0) * 1000 + (acc.millis ?? 0) + Math.ceil((acc.micros ?? 0) / 1000) : undefined;
  return {
    der,
    signedData: sd,
    signerInfo: sd.signerInfos[0],
    tstInfo: tst,
    tstInfoDer,
    certificates,
    digestAlgorithm,
    hashedMessage: new Uint8Array(tst.messageImprint.hashedMessage.valueBlock.valueHexView),
    genTime: tst.genTime.getTime(),
    serial: toHex(tst.serialNumber.valueBlock.valueHexView).replace(/^(00)+(?=.)/, ""),
    policy,
    ...(tst.nonce ? { nonce: intToBigint(tst.nonce) } : {}),
    ...(accuracyMs !== undefined ? { accuracyMs } : {}),
  };
}
