/**
 * Issues a TSA certificate from the network CA (node side: @peculiar/x509 on node's WebCrypto).
 * RFC 3161 §2.3: extendedKeyUsage = timeStamping only, critical; keyUsage digitalSignature
 * (and nonRepudiation, since tokens serve as evidence).
 */
import { createPrivateKey, randomBytes, webcrypto } from "node:crypto";
import { loadX509 } from "../../crypto/x509.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";

const EC = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const BACKDATE_MS = 60 * 60 * 1000;

const x509 = loadX509;

export interface TsaCertificate {
  certPem: string;
  /** PKCS#8 PEM. */
  keyPem: string;
}

export async function issueTsaCert(ca: { certPem: string; keyPem: string }, opts: { name: string; validYears?: number; now?: number }): Promise<TsaCertificate> {
  const years = opts.validYears ?? 10;
  if (!(years > 0 && years <= 100)) throw new CivitasError(ErrorCode.CONFIG_INVALID, `validYears must be in (0, 100], got ${years}`);
  const lib = await x509();
  const caCert = new lib.X509Certificate(ca.certPem);
  const caDer = createPrivateKey(ca.keyPem).export({ type: "pkcs8", format: "der" });
  const caKey = (await webcrypto.subtle.importKey("pkcs8", caDer, EC, false, ["sign"])) as CryptoKey;
  const keys = (await webcrypto.subtle.generateKey(EC, true, ["sign", "verify"])) as CryptoKeyPair;
  const serial = randomBytes(16);
  serial[0] = (serial[0] & 0x7f) | 0x01;
  const now = opts.now ?? Date.now();
  const cert = await lib.X509CertificateGenerator.create({
    serialNumber: serial.toString("hex"),
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + years * 365.25 * 24 * 3600 * 1000),
    subject: [{ CN: [opts.name] }],
    issuer: caCert.subjectName,
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: EC,
    extensions: [
      new lib.BasicConstraintsExtension(false, undefined, true),
      new lib.KeyUsagesExtension(lib.KeyUsageFlags.digitalSignature | lib.KeyUsageFlags.nonRepudiation, true),
      new lib.ExtendedKeyUsageExtension([lib.ExtendedKeyUsage.timeStamping], true),
      await lib.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
      await lib.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const der = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey as webcrypto.CryptoKey);
  return { certPem: cert.toString("pem"), keyPem: lib.PemConverter.encode(der, "PRIVATE KEY") };
}
