/**
 * `civitas restore`: rebuilds a node home from a backup. Nothing in the target is touched until
 * the file has passed its checksum and manifest checks, the target has been found compatible
 * (same chain; no chain data unless forced), and the restored store has been opened in a staging
 * folder next to the target and found to hold the head block and state root the manifest names.
 * Only then is the staged store renamed into place (the old store, when forced, is moved aside
 * first and put back if that fails). Home files already in the target (node.json, keys, TLS
 * files, alert-rules.json, the consensus WAL) are kept: they are this machine's, and the WAL
 * guards against signing twice at a height the validator voted at before it was lost. The
 * backup's alert-rules.json has been checked with the alerts validator (checkBackup) before any
 * of this, so a restored node never fails to start on its rules.
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createWriteStream, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, mkdtemp, open, readFile, rename, rm, rmdir } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { getNodeSuite } from "../../crypto/node-suites.js";
import { genesisHash, parseGenesis } from "../../ledger/genesis.js";
import { toHex } from "../../util/bytes.js";
import { CivitasError, ErrorCode, isCivitasError } from "../../util/errors.js";
import type { NodeConfig } from "../config.js";
import { parseNodeConfig } from "../config.js";
import type { VerifyChainReport } from "../verify-chain.js";
import { verifyChain } from "../verify-chain.js";
import type { BackupManifest } from "./format.js";
import { bad } from "./format.js";
import { inspectStore } from "./inspect.js";
import type { CheckedBackup } from "./read.js";
import { checkBackup, readRange } from "./read.js";

export type RestorePhase = "checksum" | "extract" | "verify";

export interface RestoreOptions {
  /** Replace chain data already in the target (kept until the restored copy is complete). */
  force?: boolean;
  /** Replay every block of the restored store from genesis before it replaces anything. */
  verify?: boolean;
  onProgress?: (phase: RestorePhase, done: number, total: number) => void;
}

export interface RestoreResult {
  home: string;
  dataPath: string;
  manifest: BackupManifest;
  checksum: string;
  /** Home-relative paths written from the backup. */
  written: string[];
  /** Home files the target already had, kept as they were (`differs`: not the backup's copy). */
  kept: Array<{ path: string; differs: boolean }>;
  /** Chain data that was in the target and has been replaced (with --force). */
  replacedData: boolean;
  verified?: VerifyChainReport;
  /** False for a BFT validator's home without the consensus WAL its node.json names (see the double-signing note in docs/spec/backup.md). */
  walPresent: boolean;
}

function readJsonFile(path: string, code: ErrorCode): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new CivitasError(code, `${path}: ${(e as Error).message}`, { file: path });
  }
}

/** What is in the target now, and where the store goes. Refuses before anything is written. */
function planTarget(home: string, b: CheckedBackup, force: boolean): { config: NodeConfig; dataPath: string; homeIsNew: boolean; dataExists: boolean } {
  const entries = existsSync(home) ? readdirSync(home) : [];
  if (existsSync(home) && !statSync(home).isDirectory()) throw new CivitasError(ErrorCode.BACKUP_TARGET_NOT_EMPTY, `${home} is a file, not a node home folder`, { home });
  const homeIsNew = entries.length === 0;
  let config = b.config;
  if (!homeIsNew) {
    const cfgPath = join(home, "node.json");
    const own = existsSync(cfgPath);
    if (own) config = parseNodeConfig(readJsonFile(cfgPath, ErrorCode.CONFIG_INVALID));
    const gPath = resolve(home, config.genesisFile);
    if (existsSync(gPath)) {
      const g = parseGenesis(readJsonFile(gPath, ErrorCode.GENESIS_INVALID));
      const h = toHex(genesisHash(getNodeSuite(g.cryptoSuite), g));
      if (h !== b.manifest.genesisHash) {
        throw new CivitasError(ErrorCode.BACKUP_CHAIN_MISMATCH, `the backup is of chain '${b.manifest.chainId}' (genesis ${b.manifest.genesisHash}) but ${home} belongs to chain '${g.chainId}' (genesis ${h}); restore into an empty folder instead`, { home, backupChain: b.manifest.chainId, homeChain: g.chainId });
      }
    } else if (!own && !force) {
      throw new CivitasError(ErrorCode.BACKUP_TARGET_NOT_EMPTY, `${home} is not empty and is not a node home (no node.json or genesis); choose an empty folder or pass --force`, { home });
    }
  }
  const dataPath = resolve(home, config.dataDir);
  const dataExists = existsSync(dataPath) && (!statSync(dataPath).isDirectory() || readdirSync(dataPath).length > 0);
  if (dataExists && !force) throw new CivitasError(ErrorCode.BACKUP_TARGET_NOT_EMPTY, `${dataPath} already holds chain data; stop the node and pass --force to replace it (it is kept until the restored copy is complete)`, { dataPath });
  return { config, dataPath, homeIsNew, dataExists };
}

async function writeFileFrom(chunks: AsyncIterable<Buffer>, path: string, mode: number, fsync: boolean, each: (b: Buffer) => void): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const ws = createWriteStream(path, { flags: "wx", mode });
  const failed = new Promise<never>((_r, reject) => ws.once("error", reject));
  failed.catch(() => undefined);
  for await (const b of chunks) {
    each(b);
    if (!ws.write(b)) await Promise.race([once(ws, "drain"), failed]);
  }
  ws.end();
  await Promise.race([once(ws, "finish"), failed]);
  if (fsync) {
    const fh = await open(path, "r");
    await fh.sync().finally(() => fh.close());
  }
}

export async function restoreBackup(file: string, homeDir: string, opts: RestoreOptions = {}): Promise<RestoreResult> {
  const b = await checkBackup(resolve(file), (d, t) => opts.onProgress?.("checksum", d, t));
  const home = resolve(homeDir);
  const plan = planTarget(home, b, opts.force ?? false);
  const rel = relative(home, plan.dataPath);
  const dataInHome = !rel.startsWith("..") && !isAbsolute(rel) && rel !== "";
  await mkdir(dirname(home), { recursive: true });
  const homeStage = await mkdtemp(join(dirname(home), `.${basename(home)}-restore-`));
  let dataStage: string | undefined;
  let committing = false;
  try {
    // A new home is staged whole and renamed into place in one step; into an existing home only
    // the store is swapped, staged next to where it goes (same file system, so rename is atomic).
    if (plan.homeIsNew && dataInHome) {
      dataStage = join(homeStage, rel);
    } else {
      await mkdir(dirname(plan.dataPath), { recursive: true });
      dataStage = await mkdtemp(join(dirname(plan.dataPath), `.${basename(plan.dataPath)}-restore-`));
    }
    // Second pass: the bytes written are hashed again, so a file changed since the check is caught.
    const hash = createHash("sha256");
    for await (const c of readRange(b.file, 0, b.payloadOffset)) hash.update(c);
    let done = 0;
    const staged: string[] = [];
    for (const e of b.entries) {
      const dest = e.kind === "store" ? join(dataStage, "data.mdb") : join(homeStage, e.path);
      await writeFileFrom(readRange(b.file, e.offset, e.offset + e.size), dest, e.kind === "key" || e.kind === "store" ? 0o600 : 0o644, e.kind === "store", (chunk) => {
        hash.update(chunk);
        done += chunk.length;
        opts.onProgress?.("extract", done, b.manifest.payloadBytes);
      });
      if (e.kind !== "store") staged.push(e.path);
    }
    if (hash.digest("hex") !== b.checksum) bad(`${b.file} changed while it was being restored; nothing was replaced`, { file: b.file });
    // The restored store must hold exactly the head the manifest names.
    const head = await inspectStore(dataStage, b.genesis);
    const m = b.manifest;
    for (const [what, got, want] of [
      ["head height", head.height, m.height],
      ["head block hash", head.blockHash, m.blockHash],
      ["state root", head.stateRoot, m.stateRoot],
    ] as const) {
      if (got !== want) bad(`the restored store's ${what} is ${got}, the manifest says ${want}; nothing was replaced`, { what, got, want });
    }
    if (!head.stateRootPresent) bad(`the restored store lacks the state tree of root ${head.stateRoot}; nothing was replaced`);
    let verified: VerifyChainReport | undefined;
    if (opts.verify) {
      verified = await verifyChain(dataStage, b.genesis, (d, t) => opts.onProgress?.("verify", d, t));
      if (!verified.ok || verified.headHash !== m.blockHash || verified.stateRoot !== m.stateRoot) {
        bad(`replaying the restored chain failed: ${verified.problems.join("; ") || `replay ended at ${verified.headHash}/${verified.stateRoot}`}; nothing was replaced`, { problems: verified.problems });
      }
    }

    // Commit: from here on the target changes.
    committing = true;
    const written: string[] = [];
    const kept: RestoreResult["kept"] = [];
    if (plan.homeIsNew) {
      if (existsSync(home)) await rmdir(home);
      await rename(homeStage, home);
      written.push(...staged);
    } else {
      for (const p of staged) {
        const target = join(home, p);
        if (existsSync(target)) {
          kept.push({ path: p, differs: !(await readFile(target)).equals(await readFile(join(homeStage, p))) });
        } else {
          await mkdir(dirname(target), { recursive: true });
          await rename(join(homeStage, p), target);
          written.push(p);
        }
      }
    }
    if (!(plan.homeIsNew && dataInHome)) await swapIn(dataStage, plan.dataPath);
    written.push(dataInHome ? `${rel}/data.mdb` : join(plan.dataPath, "data.mdb"));
    return { home, dataPath: plan.dataPath, manifest: m, checksum: b.checksum, written, kept, replacedData: plan.dataExists, verified, walPresent: !(b.genesis.consensus === "bft" && plan.config.role === "validator") || existsSync(resolve(home, plan.config.consensus.walFile)) };
  } catch (e) {
    if (!isCivitasError(e)) throw new CivitasError(ErrorCode.BACKUP_INVALID, `restore failed${committing ? " while putting the restored files in place" : ", nothing was replaced"}: ${(e as Error).message}`, { home });
    throw e;
  } finally {
    await rm(homeStage, { recursive: true, force: true });
    if (dataStage && !dataStage.startsWith(homeStage)) await rm(dataStage, { recursive: true, force: true });
  }
}

/** Puts the staged store in place; an old one is moved aside first and back if that fails. */
async function swapIn(stage: string, dataPath: string): Promise<void> {
  if (!existsSync(dataPath)) {
    await rename(stage, dataPath);
    return;
  }
  const aside = await mkdtemp(join(dirname(dataPath), `.${basename(dataPath)}-old-`));
  await rename(dataPath, aside);
  try {
    await rename(stage, dataPath);
  } catch (e) {
    await rename(aside, dataPath);
    throw e;
  }
  await rm(aside, { recursive: true, force: true });
}
