/**
 * The proof log's signing key in a node's home: `checkpoint/log.key` (a C2SP signer key,
 * `PRIVATE+KEY+<origin>+<id>+<base64>`, mode 0600), made on first start. Node side only.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import type { NoteSigner } from "./note.js";
import { parseSignerKey, signerFromSeed, signerKeyString } from "./note.js";

/** Blocks between published checkpoints. */
export const DEFAULT_CHECKPOINT_EVERY_BLOCKS = 10;

export function proofLogOrigin(chainId: string): string {
  return `civitas/${chainId}/proofs`;
}

export function loadOrCreateLogKey(home: string, chainId: string): NoteSigner {
  const dir = join(home, "checkpoint");
  const path = join(dir, "log.key");
  const origin = proofLogOrigin(chainId);
  if (existsSync(path)) {
    const signer = parseSignerKey(readFileSync(path, "utf8").trim());
    if (signer.name !== origin) throw new CivitasError(ErrorCode.CONFIG_INVALID, `${path} is the key of '${signer.name}', not of this chain's proof log '${origin}'`);
    return signer;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const signer = signerFromSeed(origin, randomBytes(32));
  writeFileSync(path, signerKeyString(signer) + "\n", { mode: 0o600 });
  chmodSync(path, 0o600);
  return signer;
}
