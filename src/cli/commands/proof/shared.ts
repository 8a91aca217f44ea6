/** Pieces shared by the `civitas proof` subcommands. */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { HashFn } from "../../../ledger/merkle.js";
import type { HashAlgorithm } from "../../../proof/hash.js";
import type { ProofReceipt } from "../../../proof/receipt.js";
import { parseReceipt } from "../../../proof/receipt.js";
import { ProofsClient } from "../../../sdk/proofs-client.js";
import { CivitasError, ErrorCode } from "../../../util/errors.js";
import type { GlobalOptions } from "../../context.js";

/** Exit codes of `proof verify` (and later `proof check`): 1 = the check could not run. */
export const EXIT_NOT_REGISTERED = 4;
export const EXIT_NOT_ACTIVE = 5;

export const RECEIPT_SUFFIX = ".proof.json";
const MAX_RECEIPT_BYTES = 1 << 20;

/** The node's hash through OpenSSL (much faster than the portable one for large batches). */
export function nodeHash(alg: HashAlgorithm): HashFn {
  const name = alg === "sm3" ? "sm3" : "sha256";
  return (d) => new Uint8Array(createHash(name).update(d).digest());
}

/** A client of the node at --url; with `hash`, trees are built with that (faster) implementation. */
export function proofsClient(g: GlobalOptions, hash?: HashFn): ProofsClient {
  return new ProofsClient(g.url, { timeoutMs: 120_000, hash });
}

/** A client whose hash is the chain's, through OpenSSL. */
export async function fastProofsClient(g: GlobalOptions): Promise<ProofsClient> {
  const chain = await proofsClient(g).chain();
  return proofsClient(g, nodeHash(chain.hashAlgorithm));
}

export function readReceipt(path: string): ProofReceipt {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new CivitasError(ErrorCode.API_BAD_REQUEST, `cannot read receipt '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { path });
  }
  if (text.length > MAX_RECEIPT_BYTES) throw new CivitasError(ErrorCode.PROOF_INVALID, `receipt '${path}' is larger than ${MAX_RECEIPT_BYTES} bytes`, { path });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CivitasError(ErrorCode.PROOF_INVALID, `receipt '${path}' is not JSON: ${(e as Error).message}`, { path });
  }
  const { receipt, error } = parseReceipt(json);
  if (!receipt) throw new CivitasError(ErrorCode.PROOF_INVALID, `receipt '${path}': ${error}`, { path });
  return receipt;
}
