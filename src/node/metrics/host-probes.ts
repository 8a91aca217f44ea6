/**
 * What the node measures about its host for metrics and alerts: the filesystem holding the data
 * directory (statfs), the size of the store files, and the expiry of the node's certificates.
 */
import { X509Certificate } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statfsSync, statSync } from "node:fs";
import { join } from "node:path";

export interface DiskUsage {
  /** Bytes of the store's files in the data directory. */
  storeBytes: number;
  /** Filesystem of the data directory: bytes available to the node, and its size. */
  freeBytes: number;
  totalBytes: number;
}

export function diskUsage(dataDir: string): DiskUsage | undefined {
  try {
    const fs = statfsSync(dataDir);
    let storeBytes = 0;
    for (const f of readdirSync(dataDir)) {
      const s = statSync(join(dataDir, f), { throwIfNoEntry: false });
      if (s?.isFile()) storeBytes += s.size;
    }
    return { storeBytes, freeBytes: fs.bavail * fs.bsize, totalBytes: fs.blocks * fs.bsize };
  } catch {
    return undefined;
  }
}

export interface CertExpiry {
  /** `node-tls` or `tsa`. */
  name: string;
  subject: string;
  /** ms since the epoch. */
  notAfter: number;
}

/** Expiry of a PEM certificate file (the first certificate in it); undefined when absent or unreadable. */
export function certExpiry(name: string, pemFile: string): CertExpiry | undefined {
  if (!existsSync(pemFile)) return undefined;
  try {
    const c = new X509Certificate(readFileSync(pemFile));
    return { name, subject: c.subject.replace(/\n/g, ", "), notAfter: Date.parse(c.validTo) };
  } catch {
    return undefined;
  }
}

/** Expiry of a PEM certificate held in memory (the node's TSA). */
export function certExpiryOfPem(name: string, pem: string): CertExpiry | undefined {
  try {
    const c = new X509Certificate(pem);
    return { name, subject: c.subject.replace(/\n/g, ", "), notAfter: Date.parse(c.validTo) };
  } catch {
    return undefined;
  }
}
