/**
 * The time-stamping authority (RFC 3161) a node runs for its network. It answers every request
 * with a TimeStampResp: a token (TSTInfo signed in CMS SignedData with contentType,
 * messageDigest and ESS signingCertificateV2 attributes), or a rejection naming the fault.
 * Signing uses WebCrypto; the clock is injected so tests can control it.
 */
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { compareBytes } from "../../util/bytes.js";
import type { ParsedCert } from "./certs.js";
import { arrayBuffer, pemCertificates, parseCert, publicKeyOf } from "./certs.js";
import { digest } from "./digest.js";
import type { DigestName } from "./oids.js";
import { CIVITAS_TSA_POLICY, DIGEST_OID_OF, OID } from "./oids.js";
import type { RequestFault, TimestampRequest } from "./request.js";
import { encodeInteger, parseTimestampRequest } from "./request.js";

export interface TsaOptions {
  /** PEM of the TSA certificate (extendedKeyUsage=timeStamping, critical). */
  certPem: string;
  /** PKCS#8 PEM of its P-256 or P-384 key. */
  keyPem: string;
  policy?: string;
  /** Stated accuracy of genTime (default 1000 ms): the host clock's NTP bound, not a promise of the code. */
  accuracyMs?: number;
  acceptedDigests?: DigestName[];
  now?: () => number;
  /** 16 random bytes per serial number; injectable for tests. */
  random?: (n: number) => Uint8Array;
}

/** RFC 3161 §2.4.2 PKIFailureInfo bit numbers. */
const FAIL_BITS: Record<RequestFault["failInfo"] | "systemFailure", number> = { badAlg: 0, badRequest: 2, badDataFormat: 5, unacceptedPolicy: 15, unacceptedExtension: 16, systemFailure: 25 };

let engineSet = false;
function cryptoEngine(): void {
  if (engineSet) return;
  pkijs.setEngine("webcrypto", new pkijs.CryptoEngine({ name: "webcrypto", crypto: globalThis.crypto }));
  engineSet = true;
}

function pemBody(pem: string, label: string): Uint8Array {
  const m = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`).exec(pem);
  if (!m) throw new TypeError(`no ${label} in the PEM text`);
  const bin = atob(m[1].replace(/\s+/g, ""));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function attr(type: string, value: asn1js.AsnType): pkijs.Attribute {
  return new pkijs.Attribute({ type, values: [value] });
}

/** DER SET OF orders its elements by their encodings (X.690 §11.6); OpenSSL re-encodes before verifying, so order matters. */
function sortAttributes(list: pkijs.Attribute[]): pkijs.Attribute[] {
  return list
    .map((a) => ({ a, der: new Uint8Array(a.toSchema().toBER(false)) }))
    .sort((x, y) => compareBytes(x.der, y.der))
    .map((x) => x.a);
}

function failInfoBits(bit: number): asn1js.BitString {
  const bytes = new Uint8Array(Math.floor(bit / 8) + 1);
  bytes[Math.floor(bit / 8)] = 0x80 >> bit % 8;
  return new asn1js.BitString({ valueHex: arrayBuffer(bytes), unusedBits: 7 - (bit % 8) });
}

export class TimeStampAuthority {
  readonly policy: string;
  readonly acceptedDigests: DigestName[];
  private lastSerialTime = 0;

  private constructor(
    readonly cert: ParsedCert,
    private readonly key: CryptoKey,
    private readonly hashName: "SHA-256" | "SHA-384",
    private readonly opts: TsaOptions,
  ) {
    this.policy = opts.policy ?? CIVITAS_TSA_POLICY;
    this.acceptedDigests = opts.acceptedDigests ?? ["SHA-256", "SHA-384", "SHA-512", "SM3"];
  }

  static async create(opts: TsaOptions): Promise<TimeStampAuthority> {
    cryptoEngine();
    const [der] = pemCertificates(opts.certPem);
    if (!der) throw new TypeError("the TSA certificate PEM holds no certificate");
    const cert = parseCert(der);
    const pub = publicKeyOf(cert);
    if (!pub || pub.type !== "ec") throw new TypeError("the TSA key must be ECDSA P-256 or P-384");
    const key = await globalThis.crypto.subtle.importKey("pkcs8", arrayBuffer(pemBody(opts.keyPem, "PRIVATE KEY")), { name: "ECDSA", namedCurve: pub.curve }, false, ["sign"]);
    return new TimeStampAuthority(cert, key, pub.curve === "P-256" ? "SHA-256" : "SHA-384", opts);
  }

  get certPem(): string {
    return this.opts.certPem;
  }

  /** Answers a DER TimeStampReq with a DER TimeStampResp; malformed requests get a rejection, never an exception. */
  async respond(requestDer: Uint8Array): Promise<Uint8Array> {
    const parsed = parseTimestampRequest(requestDer, this.acceptedDigests);
    if (!parsed.ok) return this.reject(parsed.fault.failInfo, parsed.fault.text);
    if (parsed.req.policy !== undefined && parsed.req.policy !== this.policy) return this.reject("unacceptedPolicy", `this TSA issues tokens under policy ${this.policy} only`);
    const token = await this.stamp(parsed.req);
    const resp = new pkijs.TimeStampResp({ status: new pkijs.PKIStatusInfo({ status: pkijs.PKIStatus.granted }), timeStampToken: token });
    return new Uint8Array(resp.toSchema().toBER(false));
  }

  reject(fault: RequestFault["failInfo"] | "systemFailure", text: string): Uint8Array {
    const resp = new pkijs.TimeStampResp({
      status: new pkijs.PKIStatusInfo({ status: pkijs.PKIStatus.rejection, statusStrings: [new asn1js.Utf8String({ value: text })], failInfo: failInfoBits(FAIL_BITS[fault]) }),
    });
    return new Uint8Array(resp.toSchema().toBER(false));
  }

  /** Serial numbers: 64 bits of time in µs-resolution order plus 64 random bits, so they are unique without shared state. */
  private serial(now: number): bigint {
    const t = Math.max(now, this.lastSerialTime + 1);
    this.lastSerialTime = t;
    const rnd = (this.opts.random ?? ((n) => globalThis.crypto.getRandomValues(new Uint8Array(n))))(8);
    let r = 0n;
    for (const b of rnd) r = (r << 8n) | BigInt(b);
    return (BigInt(t) << 64n) | r;
  }

  /** The token (ContentInfo) for a parsed request. */
  async stamp(req: TimestampRequest): Promise<pkijs.ContentInfo> {
    const now = (this.opts.now ?? Date.now)();
    const accuracyMs = this.opts.accuracyMs ?? 1000;
    const tst = new pkijs.TSTInfo({
      version: 1,
      policy: this.policy,
      messageImprint: new pkijs.MessageImprint({
        hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: DIGEST_OID_OF[req.algorithm], algorithmParams: new asn1js.Null() }),
        hashedMessage: new asn1js.OctetString({ valueHex: arrayBuffer(req.hash) }),
      }),
      serialNumber: encodeInteger(this.serial(now)),
      genTime: new Date(now),
      accuracy: new pkijs.Accuracy({ ...(accuracyMs >= 1000 ? { seconds: Math.floor(accuracyMs / 1000) } : {}), ...(accuracyMs % 1000 ? { millis: accuracyMs % 1000 } : {}) }),
      ...(req.nonce !== undefined ? { nonce: encodeInteger(req.nonce) } : {}),
    });
    const tstDer = new Uint8Array(tst.toSchema().toBER(false));
    const c = this.cert.cert;
    const essCertId = new asn1js.Sequence({
      value: [
        // hashAlgorithm omitted: SHA-256 is the DEFAULT, and DER leaves defaults out.
        new asn1js.OctetString({ valueHex: arrayBuffer(digest("SHA-256", this.cert.der)) }),
        new asn1js.Sequence({
          value: [new asn1js.Sequence({ value: [new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 4 }, value: [c.issuer.toSchema()] })] }), new asn1js.Integer({ valueHex: arrayBuffer(c.serialNumber.valueBlock.valueHexView) })],
        }),
      ],
    });
    const signedAttrs = sortAttributes([
      attr(OID.attrContentType, new asn1js.ObjectIdentifier({ value: OID.tstInfo })),
      attr(OID.attrMessageDigest, new asn1js.OctetString({ valueHex: arrayBuffer(digest(this.hashName, tstDer)) })),
      attr(OID.attrSigningCertificateV2, new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [essCertId] })] })),
    ]);
    const eci = new pkijs.EncapsulatedContentInfo({ eContentType: OID.tstInfo });
    // Set after construction: the constructor would split it into a constructed (BER) OCTET STRING.
    eci.eContent = new asn1js.OctetString({ valueHex: arrayBuffer(tstDer) });
    const sd = new pkijs.SignedData({
      version: 3,
      encapContentInfo: eci,
      signerInfos: [
        new pkijs.SignerInfo({
          version: 1,
          sid: new pkijs.IssuerAndSerialNumber({ issuer: c.issuer, serialNumber: c.serialNumber }),
          signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes: signedAttrs }),
        }),
      ],
      // RFC 3161 §2.4.1: the TSA certificate only when certReq asks for it.
      ...(req.certReq ? { certificates: [c] } : {}),
    });
    await sd.sign(this.key, 0, this.hashName);
    return new pkijs.ContentInfo({ contentType: OID.signedData, content: sd.toSchema(true) });
  }

  /** Token DER for a request, without the TimeStampResp wrapper. */
  async token(req: TimestampRequest): Promise<Uint8Array> {
    return new Uint8Array((await this.stamp(req)).toSchema().toBER(false));
  }
}
