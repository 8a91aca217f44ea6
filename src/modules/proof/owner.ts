/**
 * Owner checks against the identity module's state, through its exported helpers only: the
 * owner DID must exist and be active, the signing key must be one of its current keys, and
 * lifecycle operations need a controller of the DID.
 */
import type { CallContext } from "../../execution/module.js";
import { controls, DID_PATTERN, IDENTITY_MODULE, keyOf, readDid } from "../identity/index.js";
import type { DidRecord, IdentityRead } from "../identity/index.js";
import { fromHex } from "../../util/bytes.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";

const identityRead = (ctx: CallContext): IdentityRead => (k) => ctx.read(IDENTITY_MODULE, k);

/** The record of an existing, active DID of this chain, or DID_INVALID / DID_NOT_FOUND / DID_DEACTIVATED. */
export function activeDid(ctx: CallContext, did: string, what: string): DidRecord {
  if (did.length > 128 || !DID_PATTERN.test(did)) throw new CivitasError(ErrorCode.DID_INVALID, `${what} '${did.slice(0, 140)}' is not did:civitas:<chainId>:<id>`, { did: did.slice(0, 140) });
  if (did.split(":")[2] !== ctx.chain) throw new CivitasError(ErrorCode.DID_INVALID, `${what} '${did}' belongs to another chain than '${ctx.chain}'`, { did, chain: ctx.chain });
  const r = readDid(identityRead(ctx), did);
  if (!r) throw new CivitasError(ErrorCode.DID_NOT_FOUND, `${what} '${did}' does not exist`, { did });
  if (r.deactivated) throw new CivitasError(ErrorCode.DID_DEACTIVATED, `${what} '${did}' is deactivated`, { did });
  return r;
}

/**
 * Checks the owner's signature over `message` with key `<owner>#key-<keyId>` as the DID lists
 * it now, and returns that key (stored with the record so the signature stays checkable after
 * the key is rotated out).
 */
export function verifyOwnerSignature(ctx: CallContext, owner: string, keyId: number, signatureHex: string, message: Uint8Array): { publicKey: Uint8Array; signature: Uint8Array } {
  const did = activeDid(ctx, owner, "owner");
  const key = keyOf(did, keyId);
  if (!key) throw new CivitasError(ErrorCode.PROOF_BAD_SIGNATURE, `owner ${owner} has no current key #key-${keyId}`, { owner, keyId, keys: did.keys.map((k) => k.n) });
  const signature = fromHex(signatureHex);
  if (!ctx.crypto.verify(message, signature, key.publicKey)) {
    throw new CivitasError(ErrorCode.PROOF_BAD_SIGNATURE, `the signature does not verify with ${owner}#key-${keyId} over the registration message`, { owner, keyId });
  }
  return { publicKey: key.publicKey, signature };
}

/** Refuses unless the sender controls `owner` (identity's rule, docs/spec/identity.md). */
export function requireOwnerControl(ctx: CallContext, owner: string): void {
  const did = activeDid(ctx, owner, "owner");
  if (!controls(identityRead(ctx), ctx, did)) throw new CivitasError(ErrorCode.EXEC_UNAUTHORIZED, `${ctx.sender} does not control owner ${owner}`, { owner, sender: ctx.sender });
}
