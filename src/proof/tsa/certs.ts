/** X.509 reading for token verification: parse, public key, signature, EKU and CA checks. Portable and synchronous. */
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { toHex } from "../../util/bytes.js";
import type { PublicKey } from "./digest.js";
import { digest, verifySignature } from "./digest.js";
import { OID, SIGNATURE_OIDS } from "./oids.js";

export interface ParsedCert {
  cert: pkijs.Certificate;
  der: Uint8Array;
  subject: string;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/g;

function base64ToBytes(b64: string): Uint8Array {
  const clean = b64.replace(/\s+/g, "");
  const bin = atob(clean);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function bytesToBase64(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

export function toPem(der: Uint8Array, label = "CERTIFICATE"): string {
  const b64 = bytesToBase64(der);
  return `-----BEGIN ${label}-----\n${b64.replace(/(.{64})/g, "$1\n").replace(/\n$/, "")}\n-----END ${label}-----\n`;
}

/** Every certificate in a PEM text (a bundle may hold several), as DER. */
export function pemCertificates(pem: string): Uint8Array[] {
  return [...pem.matchAll(PEM_CERT)].map((m) => base64ToBytes(m[1]));
}

/** Copies into a fresh ArrayBuffer: asn1js wants one, and a Node Buffer (whose slice() is a view) may sit in a shared pool. */
export function arrayBuffer(b: Uint8Array): ArrayBuffer {
  const out = new Uint8Array(b.length);
  out.set(b);
  return out.buffer;
}

/**
 * The dotted form of an OBJECT IDENTIFIER node, decoded here because asn1js prints arcs beyond
 * 2^53 (such as the UUID arcs under 2.25) as hex blocks.
 */
export function oidString(node: unknown): string {
  const n = node as { valueBlock?: { valueBeforeDecodeView?: Uint8Array }; valueBeforeDecodeView?: Uint8Array };
  const tlv = n?.valueBeforeDecodeView;
  if (!tlv || tlv.length < 2 || tlv[0] !== 0x06) return (node as asn1js.ObjectIdentifier)?.valueBlock?.toString?.() ?? "";
  let off = 2;
  let len = tlv[1];
  if (len & 0x80) {
    const k = len & 0x7f;
    len = 0;
    for (let i = 0; i < k; i++) len = len * 256 + tlv[2 + i];
    off = 2 + k;
  }
  const arcs: bigint[] = [];
  let cur = 0n;
  for (const b of tlv.subarray(off, off + len)) {
    cur = (cur << 7n) | BigInt(b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(cur);
      cur = 0n;
    }
  }
  if (arcs.length === 0) return "";
  const first = arcs[0] < 40n ? 0n : arcs[0] < 80n ? 1n : 2n;
  return [first, arcs[0] - first * 40n, ...arcs.slice(1)].map(String).join(".");
}

export function parseCert(der: Uint8Array): ParsedCert {
  const asn = asn1js.fromBER(arrayBuffer(der));
  if (asn.offset === -1 || asn.offset !== der.length) throw new TypeError("not a DER certificate");
  const cert = new pkijs.Certificate({ schema: asn.result });
  return { cert, der: new Uint8Array(der), subject: nameToString(cert.subject) };
}

/** Certificates from PEM text or DER bytes. */
export function readCerts(items: Array<string | Uint8Array>): ParsedCert[] {
  const out: ParsedCert[] = [];
  for (const it of items) {
    if (typeof it === "string") for (const der of pemCertificates(it)) out.push(parseCert(der));
    else out.push(parseCert(it));
  }
  return out;
}

const ATTR_NAMES: Record<string, string> = { "2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.5": "serialNumber" };

export function nameToString(n: pkijs.RelativeDistinguishedNames): string {
  return n.typesAndValues
    .map((tv) => {
      const v = tv.value.valueBlock as unknown as { value?: unknown };
      return `${ATTR_NAMES[tv.type] ?? tv.type}=${typeof v.value === "string" ? v.value : "#"}`;
    })
    .join(", ");
}

export function certSha256Hex(c: ParsedCert): string {
  return toHex(digest("SHA-256", c.der));
}

export function serialHex(c: ParsedCert): string {
  return toHex(c.cert.serialNumber.valueBlock.valueHexView).replace(/^(00)+(?=.)/, "");
}

function unsignedInt(i: asn1js.Integer): bigint {
  let x = 0n;
  for (const v of i.valueBlock.valueHexView) x = (x << 8n) | BigInt(v);
  return x;
}

export function publicKeyOf(c: ParsedCert): PublicKey | undefined {
  const spki = c.cert.subjectPublicKeyInfo;
  const alg = spki.algorithm.algorithmId;
  const bits = spki.subjectPublicKey.valueBlock.valueHexView;
  if (alg === OID.ecPublicKey) {
    const params = spki.algorithm.algorithmParams as asn1js.ObjectIdentifier | undefined;
    const curve = params instanceof asn1js.ObjectIdentifier ? params.valueBlock.toString() : "";
    if (curve === OID.p256) return { type: "ec", curve: "P-256", point: new Uint8Array(bits) };
    if (curve === OID.p384) return { type: "ec", curve: "P-384", point: new Uint8Array(bits) };
    return undefined;
  }
  if (alg === OID.rsaEncryption) {
    const asn = asn1js.fromBER(arrayBuffer(bits));
    const seq = asn.result as asn1js.Sequence;
    const [n, e] = (seq.valueBlock?.value ?? []) as asn1js.Integer[];
    if (!(n instanceof asn1js.Integer) || !(e instanceof asn1js.Integer)) return undefined;
    return { type: "rsa", n: unsignedInt(n), e: unsignedInt(e) };
  }
  if (alg === OID.ed25519) return { type: "ed25519", key: new Uint8Array(bits) };
  return undefined;
}

/** Did `issuer`'s key sign `subject`? */
export function signedBy(subject: ParsedCert, issuer: ParsedCert): boolean {
  const key = publicKeyOf(issuer);
  const alg = SIGNATURE_OIDS[subject.cert.signatureAlgorithm.algorithmId];
  if (!key || !alg || alg.key !== key.type) return false;
  return verifySignature(key, alg.digest, subject.cert.tbsView, subject.cert.signatureValue.valueBlock.valueHexView);
}

export function extension(c: ParsedCert, oid: string): pkijs.Extension | undefined {
  return c.cert.extensions?.find((e) => e.extnID === oid);
}

export function isCa(c: ParsedCert): boolean {
  const bc = extension(c, OID.extBasicConstraints)?.parsedValue as pkijs.BasicConstraints | undefined;
  return bc?.cA === true;
}

export function sameName(a: pkijs.RelativeDistinguishedNames, b: pkijs.RelativeDistinguishedNames): boolean {
  return a.isEqual(b);
}

export function validAt(c: ParsedCert, ms: number): boolean {
  return c.cert.notBefore.value.getTime() <= ms && ms <= c.cert.notAfter.value.getTime();
}
