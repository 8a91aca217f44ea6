/** RFC 3161 requests: built by clients (SDK, CLI, tests), parsed by the TSA. Portable. */
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { arrayBuffer, oidString } from "./certs.js";
import { digest } from "./digest.js";
import type { DigestName } from "./oids.js";
import { DIGEST_LENGTH, DIGEST_OID_OF, DIGEST_OIDS } from "./oids.js";
import { intToBigint } from "./token.js";

export interface TimestampRequest {
  algorithm: DigestName;
  hash: Uint8Array;
  nonce?: bigint;
  policy?: string;
  certReq: boolean;
}

function bigintToBytes(x: bigint): Uint8Array {
  let hex = x.toString(16);
  if (hex.length % 2) hex = "0" + hex;
  // A leading 1 bit would read as negative: prepend a zero byte, as DER INTEGER requires.
  if (parseInt(hex.slice(0, 2), 16) & 0x80) hex = "00" + hex;
  return Uint8Array.from(hex.match(/../g) ?? ["00"], (h) => parseInt(h, 16));
}

export function encodeInteger(x: bigint): asn1js.Integer {
  return new asn1js.Integer({ valueHex: arrayBuffer(bigintToBytes(x)) });
}

/** DER TimeStampReq for `data` (hashed here) or a given hash. */
export function buildTimestampRequest(o: { data?: Uint8Array; hash?: Uint8Array; algorithm?: DigestName; nonce?: bigint; policy?: string; certReq?: boolean }): Uint8Array {
  const algorithm = o.algorithm ?? "SHA-256";
  const hash = o.hash ?? (o.data ? digest(algorithm, o.data) : undefined);
  if (!hash || hash.length !== DIGEST_LENGTH[algorithm]) throw new TypeError(`a ${algorithm} request needs the data or its ${DIGEST_LENGTH[algorithm]}-byte hash`);
  const req = new pkijs.TimeStampReq({
    version: 1,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: DIGEST_OID_OF[algorithm], algorithmParams: new asn1js.Null() }),
      hashedMessage: new asn1js.OctetString({ valueHex: arrayBuffer(hash) }),
    }),
    ...(o.policy ? { reqPolicy: o.policy } : {}),
    ...(o.nonce !== undefined ? { nonce: encodeInteger(o.nonce) } : {}),
    certReq: o.certReq ?? true,
  });
  return new Uint8Array(req.toSchema().toBER(false));
}

export type RequestFault = { failInfo: "badAlg" | "badRequest" | "badDataFormat" | "unacceptedPolicy" | "unacceptedExtension"; text: string };

/** Parses a DER TimeStampReq; returns the fault to report instead of throwing, since every answer is a TimeStampResp. */
export function parseTimestampRequest(der: Uint8Array, accepted: DigestName[]): { ok: true; req: TimestampRequest } | { ok: false; fault: RequestFault } {
  const asn = asn1js.fromBER(arrayBuffer(der));
  if (asn.offset === -1 || asn.offset !== der.length) return { ok: false, fault: { failInfo: "badDataFormat", text: "the request is not a DER TimeStampReq" } };
  let req: pkijs.TimeStampReq;
  let policy: string | undefined;
  try {
    req = new pkijs.TimeStampReq({ schema: asn.result });
    const third = (asn.result as asn1js.Sequence).valueBlock.value[2];
    if (third instanceof asn1js.ObjectIdentifier) policy = oidString(third);
  } catch {
    return { ok: false, fault: { failInfo: "badDataFormat", text: "the request is not a TimeStampReq" } };
  }
  if (req.version !== 1) return { ok: false, fault: { failInfo: "badRequest", text: `request version ${req.version} is not 1` } };
  const algorithm = DIGEST_OIDS[req.messageImprint.hashAlgorithm.algorithmId];
  if (!algorithm || !accepted.includes(algorithm)) return { ok: false, fault: { failInfo: "badAlg", text: `hash algorithm ${req.messageImprint.hashAlgorithm.algorithmId} is not accepted (${accepted.join(", ")})` } };
  const hash = new Uint8Array(req.messageImprint.hashedMessage.valueBlock.valueHexView);
  if (hash.length !== DIGEST_LENGTH[algorithm]) return { ok: false, fault: { failInfo: "badDataFormat", text: `a ${algorithm} imprint has ${DIGEST_LENGTH[algorithm]} bytes, not ${hash.length}` } };
  if (req.extensions && req.extensions.length > 0) return { ok: false, fault: { failInfo: "unacceptedExtension", text: "request extensions are not supported" } };
  const nonce = req.nonce ? intToBigint(req.nonce) : undefined;
  if (req.nonce && req.nonce.valueBlock.valueHexView.length > 32) return { ok: false, fault: { failInfo: "badRequest", text: "the nonce is longer than 32 bytes" } };
  return { ok: true, req: { algorithm, hash, certReq: req.certReq === true, ...(nonce !== undefined ? { nonce } : {}), ...(policy ? { policy } : {}) } };
}
