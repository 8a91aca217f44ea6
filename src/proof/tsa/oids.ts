/** Object identifiers of RFC 3161 / RFC 5652 / RFC 5035 / RFC 5280 used by the TSA and its verifier. */
export const OID = {
  signedData: "1.2.840.113549.1.7.2",
  tstInfo: "1.2.840.113549.1.9.16.1.4",
  attrContentType: "1.2.840.113549.1.9.3",
  attrMessageDigest: "1.2.840.113549.1.9.4",
  attrSigningTime: "1.2.840.113549.1.9.5",
  attrSigningCertificate: "1.2.840.113549.1.9.16.2.12",
  attrSigningCertificateV2: "1.2.840.113549.1.9.16.2.47",
  kpTimeStamping: "1.3.6.1.5.5.7.3.8",
  extKeyUsage: "2.5.29.37",
  extBasicConstraints: "2.5.29.19",
  extKeyUsageBits: "2.5.29.15",
  ecPublicKey: "1.2.840.10045.2.1",
  p256: "1.2.840.10045.3.1.7",
  p384: "1.3.132.0.34",
  rsaEncryption: "1.2.840.113549.1.1.1",
  ed25519: "1.3.101.112",
} as const;

export type DigestName = "SHA-1" | "SHA-256" | "SHA-384" | "SHA-512" | "SM3";

/** Digest algorithms by OID. SHA-1 is known so that ESS v1 attributes can be checked, never for imprints. */
export const DIGEST_OIDS: Record<string, DigestName> = {
  "1.3.14.3.2.26": "SHA-1",
  "2.16.840.1.101.3.4.2.1": "SHA-256",
  "2.16.840.1.101.3.4.2.2": "SHA-384",
  "2.16.840.1.101.3.4.2.3": "SHA-512",
  "1.2.156.10197.1.401": "SM3",
};

export const DIGEST_OID_OF: Record<DigestName, string> = Object.fromEntries(Object.entries(DIGEST_OIDS).map(([k, v]) => [v, k])) as Record<DigestName, string>;

export const DIGEST_LENGTH: Record<DigestName, number> = { "SHA-1": 20, "SHA-256": 32, "SHA-384": 48, "SHA-512": 64, SM3: 32 };

/** Signature algorithms: which key type and which digest (undefined: the key type decides, as for Ed25519). */
export const SIGNATURE_OIDS: Record<string, { key: "ec" | "rsa" | "ed25519"; digest?: DigestName }> = {
  "1.2.840.10045.4.3.2": { key: "ec", digest: "SHA-256" },
  "1.2.840.10045.4.3.3": { key: "ec", digest: "SHA-384" },
  "1.2.840.10045.4.3.4": { key: "ec", digest: "SHA-512" },
  "1.2.840.113549.1.1.11": { key: "rsa", digest: "SHA-256" },
  "1.2.840.113549.1.1.12": { key: "rsa", digest: "SHA-384" },
  "1.2.840.113549.1.1.13": { key: "rsa", digest: "SHA-512" },
  "1.3.101.112": { key: "ed25519" },
  // CMS allows the bare key algorithm as signatureAlgorithm; the digest is then the signer's digestAlgorithm.
  "1.2.840.113549.1.1.1": { key: "rsa" },
  "1.2.840.10045.2.1": { key: "ec" },
};

/**
 * The default TSA policy of Civitas networks. A UUID-based OID (X.667 arc 2.25) so that no
 * organisation's private arc is borrowed; a network may configure its own policy.
 */
export const CIVITAS_TSA_POLICY = "2.25.234002842175072928081571498791112733720";
