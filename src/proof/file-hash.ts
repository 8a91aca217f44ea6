/** Streaming fingerprints of files (Node only): H(file) or H(salt ‖ file) without reading a file whole. */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { CivitasError, ErrorCode } from "../util/errors.js";
import type { HashAlgorithm } from "./hash.js";

const nodeName = (alg: HashAlgorithm): string => (alg === "sm3" ? "sm3" : "sha256");

export async function hashFile(path: string, alg: HashAlgorithm, salt: Uint8Array | null = null): Promise<{ fingerprint: Uint8Array; size: number }> {
  const h = createHash(nodeName(alg));
  if (salt) h.update(salt);
  let size = 0;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
      h.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
  } catch (e) {
    throw new CivitasError(ErrorCode.API_BAD_REQUEST, `cannot read '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { path });
  }
  return { fingerprint: new Uint8Array(h.digest()), size };
}

/** Files named on the command line, folders walked recursively, in a stable (sorted) order. */
export async function listFiles(paths: string[], skip: (name: string) => boolean = () => false, maxFiles = 10_000_000): Promise<string[]> {
  const out: string[] = [];
  const walk = async (p: string): Promise<void> => {
    let s;
    try {
      s = await stat(p);
    } catch (e) {
      throw new CivitasError(ErrorCode.API_BAD_REQUEST, `cannot read '${p}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { path: p });
    }
    if (s.isDirectory()) {
      const names = (await readdir(p)).sort();
      for (const n of names) if (!skip(n)) await walk(join(p, n));
    } else if (s.isFile()) {
      if (out.length >= maxFiles) throw new CivitasError(ErrorCode.API_BAD_REQUEST, `more than ${maxFiles} files`, { maxFiles });
      out.push(p);
    }
  };
  for (const p of paths) await walk(resolve(p));
  return out;
}
