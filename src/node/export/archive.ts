/**
 * A network's deployment files as one .tar.gz, for the console's Export button: the same files
 * `civitas network export` writes (so the README inside applies), under one top folder
 * `<network>-<target>/`. They are written to a private temporary folder first, packed by
 * node-tar, and that folder is removed once the archive is built.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "tar";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import { exportNetwork, loadNetwork } from "../network-manager.js";

export interface ExportArchive {
  fileName: string;
  bytes: Buffer;
  files: string[];
}

export async function exportArchive(name: string, target: string): Promise<ExportArchive> {
  // Checked before the name and target become part of a path.
  loadNetwork(name);
  if (target !== "compose" && target !== "systemd") throw new CivitasError(ErrorCode.CONFIG_INVALID, `target must be compose or systemd, got '${target}'`, { field: "target" });
  const tmp = mkdtempSync(join(tmpdir(), "civitas-export-"));
  try {
    const top = `${name}-${target}`;
    const r = await exportNetwork(name, target, join(tmp, top));
    const file = join(tmp, `${top}.tar.gz`);
    // portable: no owner names or local uids in the archive; the receiving host owns the files.
    await create({ gzip: true, cwd: tmp, file, portable: true }, [top]);
    return { fileName: `${top}.tar.gz`, bytes: readFileSync(file), files: r.files };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
