/**
 * Networks created on this machine by `civitas network create <spec>`: one small JSON entry per
 * network in $CIVITAS_HOME/networks (default ~/.civitas/networks) pointing at the network's
 * folder, so list/start/stop/delete/export work by name from any directory.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { CivitasError, ErrorCode } from "../util/errors.js";

export interface RegistryEntry {
  name: string;
  chainId: string;
  /** Absolute path of the network folder (network.json, node homes, CA, keys). */
  dir: string;
  /** ISO time the network was created (for display only). */
  createdAt: string;
}

/** Inside a network folder: the normalized spec it was created from, and the node passphrase. */
export const SPEC_FILE = "spec.json";
export const PASSPHRASE_FILE = "passphrase";

export function civitasHome(): string {
  return resolve(process.env.CIVITAS_HOME ?? join(homedir(), ".civitas"));
}

export function registryDir(): string {
  return join(civitasHome(), "networks");
}

/** Folder a network gets when its creator names none. */
export function defaultNetworkDir(name: string): string {
  return join(registryDir(), name);
}

function entryPath(name: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(name)) throw new CivitasError(ErrorCode.CONFIG_INVALID, `'${name}' is not a network name (a-z, 0-9, '-')`, { field: "name" });
  return join(registryDir(), `${name}.json`);
}

export function listNetworks(): RegistryEntry[] {
  const dir = registryDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .flatMap((f) => {
      try {
        return [JSON.parse(readFileSync(join(dir, f), "utf8")) as RegistryEntry];
      } catch {
        return []; // a half-written or foreign file is not a network
      }
    });
}

export function findNetwork(name: string): RegistryEntry | undefined {
  const p = entryPath(name);
  return existsSync(p) ? (JSON.parse(readFileSync(p, "utf8")) as RegistryEntry) : undefined;
}

export function getNetwork(name: string): RegistryEntry {
  const e = findNetwork(name);
  if (!e) throw new CivitasError(ErrorCode.CONFIG_INVALID, `no network named '${name}' on this machine; see 'civitas network list'`, { field: "name", name });
  return e;
}

export function registerNetwork(e: RegistryEntry): void {
  const p = entryPath(e.name);
  if (existsSync(p)) throw new CivitasError(ErrorCode.CONFIG_INVALID, `a network named '${e.name}' already exists on this machine (${findNetwork(e.name)?.dir}); delete it or choose another name`, { field: "name", name: e.name });
  mkdirSync(registryDir(), { recursive: true });
  writeFileSync(p, JSON.stringify(e, null, 2) + "\n");
}

export function unregisterNetwork(name: string): void {
  rmSync(entryPath(name), { force: true });
}
