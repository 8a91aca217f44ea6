/**
 * `civitas backup`: a consistent snapshot of a node's store, taken while the node runs (LMDB
 * lets another process read the environment; the copy runs under one read transaction, so it is
 * the store as of one commit whatever the node writes meanwhile), packed with the home files a
 * restore needs into one checksummed file. Everything is streamed: memory use does not grow with
 * the size of the chain. The copy needs free space next to the output for the snapshot.
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createReadStream, createWriteStream, existsSync, statSync } from "node:fs";
import { mkdir, mkdtemp, open, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { ChainStore } from "../../storage/chain-store.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import { VERSION } from "../../version.js";
import { loadHome } from "../home.js";
import type { Home } from "../home.js";
import type { BackupFile, BackupManifest } from "./format.js";
import { RULES_FILE } from "../alerts/store.js";
import { readHomeRules } from "./alert-rules.js";
import { FORMAT, STORE_FILE, headerBytes, versionFor } from "./format.js";
import { inspectStore } from "./inspect.js";

export type BackupPhase = "snapshot" | "write";

export interface BackupOptions {
  /** Also pack the validator, TLS, TSA, CA and proof-log secret keys (the file is then a secret). */
  includeKeys?: boolean;
  /** Progress in bytes of the current phase. */
  onProgress?: (phase: BackupPhase, done: number, total: number) => void;
  /** Wall clock for the manifest's createdAt (tests pin it). */
  now?: () => Date;
  /** The running node's own open store (the API route), instead of opening the home's read-only. */
  store?: ChainStore;
}

export interface BackupResult {
  file: string;
  manifest: BackupManifest;
  /** SHA-256 of the archive's content before the checksum (the trailing 32 bytes), hex. */
  checksum: string;
  bytes: number;
}

/** A file to pack: streamed from `abs`, or `data` read (and checked) beforehand. */
interface Source {
  path: string;
  abs: string;
  kind: BackupFile["kind"];
  data?: Buffer;
}

/** Home files other than the store and the alert rules, by kind; secrets only on request. */
function homeFiles(home: Home, includeKeys: boolean): Source[] {
  const c = home.config;
  const out: Source[] = [];
  const add = (rel: string, kind: BackupFile["kind"]): void => {
    const abs = resolve(home.dir, rel);
    const r = relative(home.dir, abs);
    // Only files inside the home have a place to go back to in another home.
    if (r.startsWith("..") || isAbsolute(r) || !existsSync(abs) || !statSync(abs).isFile()) return;
    if (out.some((f) => f.abs === abs)) return;
    out.push({ path: r.split(sep).join("/"), abs, kind });
  };
  add(c.genesisFile, "genesis");
  add("node.json", "config");
  for (const f of ["ca.crt", "node.crt"]) add(join(c.p2p.tlsDir, f), "certificate");
  for (const f of ["tsa.crt", "roots.pem", "tsa.json"]) add(join("tsa", f), "certificate");
  add(join("ca", "ca.crt"), "certificate");
  if (includeKeys) {
    add(c.keyFile, "key");
    add(join(c.p2p.tlsDir, "node.key"), "key");
    add(join("tsa", "tsa.key"), "key");
    add(join("ca", "ca.key"), "key");
    add(join("checkpoint", "log.key"), "key");
  }
  return out;
}

export async function createBackup(homeDir: string, outFile: string, opts: BackupOptions = {}): Promise<BackupResult> {
  const home = loadHome(homeDir);
  const out = resolve(outFile);
  if (!existsSync(join(home.dataPath, "data.mdb"))) throw new CivitasError(ErrorCode.CHAIN_CORRUPT, `no chain store in ${home.dataPath}: start the node once before backing it up`, { path: home.dataPath });
  if (existsSync(out)) throw new CivitasError(ErrorCode.BACKUP_TARGET_NOT_EMPTY, `${out} exists; choose another output file or remove it`, { file: out });
  const partial = `${out}.partial`;
  if (existsSync(partial)) throw new CivitasError(ErrorCode.BACKUP_TARGET_NOT_EMPTY, `${partial} exists (left by an interrupted backup?); remove it first`, { file: partial });
  const extras: Source[] = homeFiles(home, opts.includeKeys ?? false);
  // A restore needs the genesis (it is checked against the store); one outside the home has no
  // place in another home, so such a backup could never be restored.
  if (!extras.some((f) => f.kind === "genesis")) throw new CivitasError(ErrorCode.CONFIG_INVALID, `node.json's genesisFile ${home.config.genesisFile} is not a file inside ${home.dir}: a backup must carry the genesis; move it into the home`, { genesisFile: home.config.genesisFile });
  // Checked before the snapshot: rules the node would refuse make the backup fail at once.
  const rules = await readHomeRules(home.dir);
  await mkdir(dirname(out), { recursive: true });
  // The snapshot is staged next to the output: the same file system, which has to hold the
  // backup anyway, and not /tmp, which is often small.
  const staging = await mkdtemp(join(dirname(out), `.${basename(out)}.snapshot-`));
  try {
    const snapDir = join(staging, "data");
    await mkdir(snapDir);
    const source = opts.store ?? ChainStore.open(home.dataPath, { readOnly: true });
    const liveSize = statSync(join(home.dataPath, "data.mdb")).size;
    const poll = opts.onProgress
      ? setInterval(() => {
          const p = join(snapDir, "data.mdb");
          if (existsSync(p)) opts.onProgress?.("snapshot", Math.min(statSync(p).size, liveSize), liveSize);
        }, 200)
      : undefined;
    try {
      await source.snapshotTo(snapDir);
    } finally {
      if (poll) clearInterval(poll);
      if (!opts.store) await source.close();
    }
    const snapFile = join(snapDir, "data.mdb");
    const head = await inspectStore(snapDir, home.genesis);
    const storeSize = (await stat(snapFile)).size;
    opts.onProgress?.("snapshot", liveSize, liveSize);

    if (rules) extras.push({ path: RULES_FILE, abs: join(home.dir, RULES_FILE), kind: "alert-rules", data: rules });
    const sources: Source[] = [{ path: STORE_FILE, abs: snapFile, kind: "store" }, ...extras];
    const files: BackupFile[] = [];
    for (const s of sources) files.push({ path: s.path, size: s.data ? s.data.length : s.path === STORE_FILE ? storeSize : (await stat(s.abs)).size, kind: s.kind });
    const payloadBytes = files.reduce((n, f) => n + f.size, 0);
    const manifest: BackupManifest = {
      format: FORMAT,
      version: versionFor(files),
      chainId: home.genesis.chainId,
      cryptoSuite: home.genesis.cryptoSuite,
      genesisHash: head.genesisHash,
      height: head.height,
      blockHash: head.blockHash,
      stateRoot: head.stateRoot,
      blockTime: head.blockTime,
      createdAt: (opts.now ?? (() => new Date()))().toISOString(),
      software: VERSION,
      moniker: home.config.moniker,
      includesKeys: files.some((f) => f.kind === "key"),
      files,
      payloadBytes,
    };

    const hash = createHash("sha256");
    // 0600 whatever it holds: the chain data may be access-controlled, and with keys it is a secret.
    const ws = createWriteStream(partial, { flags: "wx", mode: 0o600 });
    const failed = new Promise<never>((_r, reject) => ws.once("error", reject));
    failed.catch(() => undefined);
    const put = async (chunk: Buffer): Promise<void> => {
      hash.update(chunk);
      if (!ws.write(chunk)) await Promise.race([once(ws, "drain"), failed]);
    };
    let done = 0;
    await put(headerBytes(Buffer.from(JSON.stringify(manifest), "utf8")));
    for (let i = 0; i < sources.length; i++) {
      let n = 0;
      const data = sources[i].data;
      for await (const chunk of data ? [data] : createReadStream(sources[i].abs, { highWaterMark: 1 << 20 })) {
        const b = chunk as Buffer;
        // A home file that grew after it was listed would shift every byte after it.
        if (n + b.length > files[i].size) throw new CivitasError(ErrorCode.BACKUP_INVALID, `${sources[i].abs} changed while the backup was written; run it again`);
        n += b.length;
        await put(b);
        done += b.length;
        opts.onProgress?.("write", done, payloadBytes);
      }
      if (n !== files[i].size) throw new CivitasError(ErrorCode.BACKUP_INVALID, `${sources[i].abs} changed while the backup was written; run it again`);
    }
    const checksum = hash.digest();
    ws.write(checksum);
    ws.end();
    await Promise.race([once(ws, "finish"), failed]);
    await syncFile(partial);
    await rename(partial, out);
    const bytes = (await stat(out)).size;
    return { file: out, manifest, checksum: checksum.toString("hex"), bytes };
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** fsync before the rename: a backup that claims to be complete must be on disk. */
async function syncFile(path: string): Promise<void> {
  const fh = await open(path, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
