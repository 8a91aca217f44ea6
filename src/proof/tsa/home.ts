/**
 * The TSA files in a node's home: `tsa/tsa.crt` (issued by the network CA), `tsa/tsa.key`
 * (0600), `tsa/roots.pem` (roots whose tokens this node accepts: the network CA, plus any
 * external TSA roots the operator appends) and an optional `tsa/tsa.json`
 * `{policy?, accuracyMs?, maxSkewMs?}`. Node side only.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import { TimeStampAuthority } from "./authority.js";
import { pemCertificates } from "./certs.js";
import { issueTsaCert } from "./issue.js";

export const TSA_DIR = "tsa";
const FILES = { cert: "tsa.crt", key: "tsa.key", roots: "roots.pem", config: "tsa.json" } as const;
/** Default allowed distance between a token's genTime and the block time (X.1407 8.2.3). */
export const DEFAULT_MAX_SKEW_MS = 5 * 60_000;

export interface TsaConfig {
  policy?: string;
  accuracyMs?: number;
  maxSkewMs: number;
}

export interface NodeTsa {
  authority: TimeStampAuthority;
  /** PEM: the roots this node trusts (network CA first). */
  rootsPem: string;
  /** PEM of the network CA (the first root). */
  caPem: string;
  config: TsaConfig;
}

/** Issues this node's TSA certificate from the network CA and writes the TSA files into `home`. */
export async function writeTsaHome(home: string, ca: { certPem: string; keyPem: string }, opts: { name: string }): Promise<void> {
  const dir = join(home, TSA_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const cert = await issueTsaCert(ca, { name: opts.name });
  writeFileSync(join(dir, FILES.cert), cert.certPem);
  writeFileSync(join(dir, FILES.key), cert.keyPem, { mode: 0o600 });
  chmodSync(join(dir, FILES.key), 0o600);
  writeFileSync(join(dir, FILES.roots), ca.certPem);
}

/**
 * For a single-node chain (`civitas init`), which has no network CA yet: creates one in
 * `home/ca` (ca.key 0600, kept so the operator can issue more certificates) and the TSA from it.
 */
export async function initTsaWithNewCa(home: string, opts: { chainId: string; moniker: string }): Promise<void> {
  const { createNetworkCa } = await import("../../p2p/certs.js");
  await writeCaAndTsa(home, await createNetworkCa({ name: `${opts.chainId} network CA` }), opts);
}

/** Writes `ca` into `home/ca` and this node's TSA issued by it (the CA may already be in genesis tsaRoots). */
export async function writeCaAndTsa(home: string, ca: { certPem: string; keyPem: string }, opts: { chainId: string; moniker: string }): Promise<void> {
  const caDir = join(home, "ca");
  mkdirSync(caDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(caDir, "ca.crt"), ca.certPem);
  writeFileSync(join(caDir, "ca.key"), ca.keyPem, { mode: 0o600 });
  await writeTsaHome(home, ca, { name: `${opts.chainId} TSA ${opts.moniker}` });
}

export function hasTsaHome(home: string): boolean {
  return existsSync(join(home, TSA_DIR, FILES.cert)) && existsSync(join(home, TSA_DIR, FILES.key));
}

function readConfig(path: string): TsaConfig {
  if (!existsSync(path)) return { maxSkewMs: DEFAULT_MAX_SKEW_MS };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new CivitasError(ErrorCode.CONFIG_INVALID, `${path}: ${(e as Error).message}`);
  }
  const o = (raw ?? {}) as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!["policy", "accuracyMs", "maxSkewMs"].includes(k)) throw new CivitasError(ErrorCode.CONFIG_INVALID, `${path}: unknown field '${k}'`);
  if (o.policy !== undefined && (typeof o.policy !== "string" || !/^[0-2](\.(0|[1-9][0-9]*))+$/.test(o.policy))) throw new CivitasError(ErrorCode.CONFIG_INVALID, `${path}: policy must be a dotted OID`);
  const ms = (k: string, max: number): number | undefined => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > max) throw new CivitasError(ErrorCode.CONFIG_INVALID, `${path}: ${k} must be an integer in [0, ${max}]`);
    return v;
  };
  return { ...(o.policy ? { policy: o.policy as string } : {}), ...(ms("accuracyMs", 60_000) !== undefined ? { accuracyMs: ms("accuracyMs", 60_000) } : {}), maxSkewMs: ms("maxSkewMs", 86_400_000) ?? DEFAULT_MAX_SKEW_MS };
}

/** The node's TSA, or undefined when its home has no TSA files (a home made before TSAs existed). */
export async function loadTsa(home: string): Promise<NodeTsa | undefined> {
  if (!hasTsaHome(home)) return undefined;
  const dir = join(home, TSA_DIR);
  const read = (f: string): string => readFileSync(join(dir, f), "utf8");
  const rootsPem = existsSync(join(dir, FILES.roots)) ? read(FILES.roots) : "";
  const roots = pemCertificates(rootsPem);
  if (roots.length === 0) throw new CivitasError(ErrorCode.CONFIG_INVALID, `${join(dir, FILES.roots)} holds no certificate: it must start with the network CA`);
  const config = readConfig(join(dir, FILES.config));
  let authority: TimeStampAuthority;
  try {
    authority = await TimeStampAuthority.create({ certPem: read(FILES.cert), keyPem: read(FILES.key), ...(config.policy ? { policy: config.policy } : {}), ...(config.accuracyMs !== undefined ? { accuracyMs: config.accuracyMs } : {}) });
  } catch (e) {
    throw new CivitasError(ErrorCode.CONFIG_INVALID, `cannot load the TSA in ${dir}: ${(e as Error).message}`);
  }
  const caPem = rootsPem.slice(0, rootsPem.indexOf("-----END CERTIFICATE-----") + "-----END CERTIFICATE-----".length) + "\n";
  return { authority, rootsPem, caPem, config };
}
