/**
 * `civitas backup <API URL>`: fetches GET /v1/backup with a signed request, streams it to
 * `FILE.partial`, checks it as restore would (length, checksum, manifest, genesis) and only then
 * names it `FILE`. A download cut short or altered on the way never becomes a backup file.
 */
import { createWriteStream, existsSync } from "node:fs";
import { once } from "node:events";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { ApiError } from "../../sdk/client.js";
import { signedFetch } from "../../sdk/signed-fetch.js";
import type { Wallet } from "../../sdk/wallet.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import type { BackupResult } from "./create.js";
import { checkBackup } from "./read.js";

export async function downloadBackup(baseUrl: string, wallet: Wallet, outFile: string, onProgress?: (done: number, total: number) => void): Promise<BackupResult> {
  const out = resolve(outFile);
  if (existsSync(out)) throw new CivitasError(ErrorCode.BACKUP_TARGET_NOT_EMPTY, `${out} exists; choose another output file or remove it`, { file: out });
  const url = `${baseUrl.replace(/\/+$/, "")}/v1/backup`;
  let res: Response;
  try {
    res = await signedFetch(wallet, url);
  } catch (e) {
    throw new ApiError(0, ErrorCode.API_UNAVAILABLE, `cannot reach ${url}: ${(e as Error).message}`);
  }
  if (!res.ok || !res.body) {
    const body = (await res.json().catch(() => ({}))) as { code?: string; message?: string; details?: Record<string, unknown> };
    throw new ApiError(res.status, body.code ?? "API_ERROR", body.message ?? `GET ${url} answered ${res.status}`, body.details ?? {});
  }
  const total = Number(res.headers.get("content-length") ?? 0);
  await mkdir(dirname(out), { recursive: true });
  const partial = `${out}.partial`;
  try {
    const ws = createWriteStream(partial, { flags: "wx", mode: 0o600 });
    const failed = new Promise<never>((_r, reject) => ws.once("error", reject));
    failed.catch(() => undefined);
    let done = 0;
    for await (const chunk of res.body) {
      const b = chunk as Uint8Array;
      done += b.length;
      onProgress?.(done, total);
      if (!ws.write(b)) await Promise.race([once(ws, "drain"), failed]);
    }
    ws.end();
    await Promise.race([once(ws, "finish"), failed]);
    const checked = await checkBackup(partial);
    const sent = res.headers.get("civitas-backup-checksum");
    if (sent && sent !== checked.checksum) throw new CivitasError(ErrorCode.BACKUP_INVALID, `the node announced checksum ${sent} but the file hashes to ${checked.checksum}`);
    await rename(partial, out);
    return { file: out, manifest: checked.manifest, checksum: checked.checksum, bytes: (await stat(out)).size };
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  }
}
