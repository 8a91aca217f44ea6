/** Credential anchors: an issuer records the hash of a credential it issued (no personal data). */
import { decode, encode, FieldReader } from "../../codec/index.js";
import type { MethodDef } from "../../execution/module.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import type { IdentityRead } from "./common.js";
import { checkDid, invalid } from "./common.js";
import { requireController } from "./did.js";
import { readIssuer } from "./issuers.js";

export const anchorKey = (hash: string): string => `anchor/${hash}`;

export function anchorJson(bytes: Uint8Array): unknown {
  const f = FieldReader.of(decode(bytes), "identity.anchor", ErrorCode.INTERNAL).knownFields("issuer", "by", "height", "time");
  return { issuer: f.str("issuer"), by: f.str("by"), height: f.uint("height"), time: f.uint("time") };
}

export const anchorMethods: Record<string, MethodDef> = {
  anchorCredential: {
    doc: "Records the SHA-256 `hash` (hex) of a credential `issuer` issued; by a controller of the issuer DID.",
    gas: 1_000,
    args: { issuer: { type: "string", maxLength: 128, doc: "issuer DID" }, hash: { type: "string", maxLength: 64, pattern: /^[0-9a-f]{64}$/, doc: "SHA-256 of the compact JWS, 64 lowercase hex" } },
    run(ctx, args) {
      const read: IdentityRead = (k) => ctx.get(k);
      const issuer = checkDid(args.issuer as string, ctx.chain, "issuer");
      const hash = args.hash as string;
      requireController(read, ctx, issuer, "issuer DID");
      if (!readIssuer(read, issuer)) throw new CivitasError(ErrorCode.ISSUER_UNTRUSTED, `'${issuer}' is not a registered issuer`, { issuer });
      if (ctx.get(anchorKey(hash))) throw invalid("this credential hash is already anchored", { hash });
      ctx.set(anchorKey(hash), encode({ issuer, by: ctx.sender, height: ctx.height, time: ctx.time }));
      ctx.emit("CredentialAnchored", { issuer, hash, actor: ctx.sender }, [ctx.sender]);
    },
  },
};
