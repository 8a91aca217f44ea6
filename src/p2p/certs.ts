/**
 * The network's TLS trust: one CA per network issues every node certificate (ADR 0007).
 * Issuance uses @peculiar/x509 on WebCrypto; everything a running node needs (identity,
 * checks) uses node:crypto only, so the library is loaded just when certificates are made.
 */
import { X509Certificate, createHash, createPrivateKey, randomBytes, webcrypto } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type * as X509 from "@peculiar/x509";
import { CivitasError, ErrorCode } from "../util/errors.js";
import { loadX509 } from "../crypto/x509.js";

export interface NetworkCa {
  certPem: string;
  /** PKCS#8 PEM. */
  keyPem: string;
}
export interface NodeCert {
  certPem: string;
  keyPem: string;
  nodeId: string;
}

/** What the handshake learns from a peer's certificate, for revocation checks. */
export interface PeerCertInfo {
  nodeId: string;
  /** Lowercase hex serial number. */
  serial: string;
  /** The node's DID from the certificate's subjectAltName URI, if it was issued to one. */
  did?: string;
}

// P-256 rather than Ed25519: every TLS 1.3 stack (OpenSSL builds, HSMs, load balancers, Java,
// Go) accepts ECDSA P-256 certificates, while Ed25519 certificate support is still patchy.
const EC = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const NODE_ID_BYTES = 20;
// Tolerates clock skew between the machine issuing and the nodes checking.
const BACKDATE_MS = 60 * 60 * 1000;

const x509 = loadX509;

function validity(validYears: number | undefined, fallback: number): { notBefore: Date; notAfter: Date; serialNumber: string } {
  const years = validYears ?? fallback;
  if (!(years > 0 && years <= 100)) throw new CivitasError(ErrorCode.CONFIG_INVALID, `validYears must be in (0, 100], got ${years}`);
  const now = Date.now();
  // Positive 128-bit serial: the top bit cleared keeps the DER INTEGER non-negative.
  const serial = randomBytes(16);
  serial[0] &= 0x7f;
  serial[0] |= 0x01;
  return { notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(now + years * 365.25 * 24 * 3600 * 1000), serialNumber: serial.toString("hex") };
}

async function pkcs8Pem(lib: typeof X509, key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey("pkcs8", key as webcrypto.CryptoKey);
  return lib.PemConverter.encode(der, "PRIVATE KEY");
}

export async function createNetworkCa(opts: { name: string; validYears?: number }): Promise<NetworkCa> {
  const lib = await x509();
  const keys = (await webcrypto.subtle.generateKey(EC, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await lib.X509CertificateGenerator.createSelfSigned({
    ...validity(opts.validYears, 20),
    name: [{ CN: [opts.name] }],
    keys,
    signingAlgorithm: EC,
    extensions: [
      new lib.BasicConstraintsExtension(true, 0, true),
      new lib.KeyUsagesExtension(lib.KeyUsageFlags.keyCertSign | lib.KeyUsageFlags.cRLSign, true),
      await lib.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: await pkcs8Pem(lib, keys.privateKey) };
}

export async function issueNodeCert(ca: NetworkCa, opts: { nodeName: string; validYears?: number; did?: string }): Promise<NodeCert> {
  if (opts.did !== undefined && !/^did:[a-z0-9]+:[A-Za-z0-9._:%-]+$/.test(opts.did)) throw new CivitasError(ErrorCode.DID_INVALID, `'${opts.did}' is not a DID`);
  const lib = await x509();
  const caCert = new lib.X509Certificate(ca.certPem);
  const caDer = createPrivateKey(ca.keyPem).export({ type: "pkcs8", format: "der" });
  const caKey = (await webcrypto.subtle.importKey("pkcs8", caDer, EC, false, ["sign"])) as CryptoKey;
  const keys = (await webcrypto.subtle.generateKey(EC, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await lib.X509CertificateGenerator.create({
    ...validity(opts.validYears, 5),
    subject: [{ CN: [opts.nodeName] }],
    issuer: caCert.subjectName,
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: EC,
    extensions: [
      new lib.BasicConstraintsExtension(false, undefined, true),
      new lib.KeyUsagesExtension(lib.KeyUsageFlags.digitalSignature, true),
      // Every node is both a TLS server (accepting) and a TLS client (dialling).
      new lib.ExtendedKeyUsageExtension([lib.ExtendedKeyUsage.serverAuth, lib.ExtendedKeyUsage.clientAuth]),
      await lib.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
      await lib.SubjectKeyIdentifierExtension.create(keys.publicKey),
      // The node's DID: revocation on chain names it (HSTP-DLT-CG 9.3 node identity).
      ...(opts.did ? [new lib.SubjectAlternativeNameExtension([{ type: "url", value: opts.did }])] : []),
    ],
  });
  const certPem = cert.toString("pem");
  return { certPem, keyPem: await pkcs8Pem(lib, keys.privateKey), nodeId: nodeIdOfCert(certPem) };
}

/** Stable node identity: lowercase hex SHA-256 of the certificate's SubjectPublicKeyInfo DER, first 20 bytes (40 hex chars). */
export function nodeIdOfCert(certPemOrDer: string | Uint8Array): string {
  const cert = new X509Certificate(typeof certPemOrDer === "string" ? certPemOrDer : Buffer.from(certPemOrDer.buffer, certPemOrDer.byteOffset, certPemOrDer.byteLength));
  const spki = cert.publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(spki).digest().subarray(0, NODE_ID_BYTES).toString("hex");
}

/** Node id, serial and DID (subjectAltName URI starting with `did:`) of a certificate. */
export function peerCertInfo(certPemOrDer: string | Uint8Array): PeerCertInfo {
  const cert = new X509Certificate(typeof certPemOrDer === "string" ? certPemOrDer : Buffer.from(certPemOrDer.buffer, certPemOrDer.byteOffset, certPemOrDer.byteLength));
  // node:crypto renders SANs as "URI:did:civitas:..., DNS:..."; a DID has no ", " in it.
  const did = (cert.subjectAltName ?? "")
    .split(", ")
    .filter((e) => e.startsWith("URI:did:"))
    .map((e) => e.slice(4))[0];
  // Serials are compared without leading zero bytes (DER may add one to keep them positive).
  const serial = cert.serialNumber.toLowerCase().replace(/^(00)+(?=..)/, "");
  return { nodeId: nodeIdOfCert(certPemOrDer), serial, ...(did ? { did } : {}) };
}

/**
 * Checks what TLS would otherwise report obscurely, or only when the first peer connects:
 * the certificate chains to the CA, is in its validity period and matches the key.
 */
export function checkNodeTls(tls: { caPem: string; certPem: string; keyPem: string }): string {
  const fail = (what: string): never => {
    throw new CivitasError(ErrorCode.P2P_TLS_INVALID, `node TLS: ${what}`);
  };
  let ca: X509Certificate, cert: X509Certificate;
  try {
    ca = new X509Certificate(tls.caPem);
    cert = new X509Certificate(tls.certPem);
  } catch (e) {
    return fail(`unreadable certificate (${(e as Error).message})`);
  }
  if (!ca.ca) fail("the CA certificate is not a CA (basicConstraints cA=false)");
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) fail(`the node certificate (${cert.subject}) is not issued by the network CA (${ca.subject})`);
  const now = Date.now();
  if (Date.parse(cert.validTo) < now) fail(`the node certificate expired on ${cert.validTo}`);
  if (Date.parse(cert.validFrom) > now) fail(`the node certificate is not valid before ${cert.validFrom}`);
  let matches = false;
  try {
    matches = cert.checkPrivateKey(createPrivateKey(tls.keyPem));
  } catch (e) {
    fail(`unreadable private key (${(e as Error).message})`);
  }
  if (!matches) fail("the private key does not belong to the node certificate");
  return nodeIdOfCert(tls.certPem);
}

const FILES = { ca: "ca.crt", caKey: "ca.key", cert: "node.crt", key: "node.key" } as const;

/** Writes ca.crt (and ca.key only if `withCaKey`), node.crt, node.key (mode 0600) into dir; readNodeTls reads them back. */
export function writeNodeTls(dir: string, ca: NetworkCa, node: NodeCert, withCaKey = false): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const write = (name: string, data: string, secret: boolean): void => {
    const p = join(dir, name);
    writeFileSync(p, data, { mode: secret ? 0o600 : 0o644 });
    // The mode option only applies when the file is created; an existing key file keeps its old mode.
    if (secret) chmodSync(p, 0o600);
  };
  write(FILES.ca, ca.certPem, false);
  if (withCaKey) write(FILES.caKey, ca.keyPem, true);
  write(FILES.cert, node.certPem, false);
  write(FILES.key, node.keyPem, true);
}

export function readNodeTls(dir: string): { caPem: string; certPem: string; keyPem: string; nodeId: string } {
  const read = (name: string): string => {
    const p = join(dir, name);
    if (!existsSync(p)) throw new CivitasError(ErrorCode.P2P_TLS_INVALID, `node TLS: ${p} is missing`, { path: p });
    return readFileSync(p, "utf8");
  };
  const files = { caPem: read(FILES.ca), certPem: read(FILES.cert), keyPem: read(FILES.key) };
  return { ...files, nodeId: checkNodeTls(files) };
}
