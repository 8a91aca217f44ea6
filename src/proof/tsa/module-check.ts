/**
 * The proof module's TsaTokenCheck (src/modules/proof/tsa-hook.ts) backed by this library:
 * deterministic, since it reads no clock (the reference is the block time) and the
 * certificates' validity is judged at the token's genTime. The roots are a consensus rule:
 * every node of a chain must be built with the same list.
 */
import type { TsaCheckContext, TsaTokenCheck } from "../../modules/proof/tsa-hook.js";
import { TimestampError } from "./errors.js";
import type { DigestName } from "./oids.js";
import { verifyTimestampToken } from "./verify.js";

export function createTsaTokenCheck(o: { trustedRoots: Array<string | Uint8Array>; maxSkewMs: number; hashFor?: (chain: TsaCheckContext) => DigestName; policies?: string[] }): TsaTokenCheck {
  if (!(Number.isInteger(o.maxSkewMs) && o.maxSkewMs >= 0)) throw new TypeError("maxSkewMs must be a non-negative integer");
  return {
    verify(ctx, token, imprint) {
      const algorithm = o.hashFor ? o.hashFor(ctx) : "SHA-256";
      const v = verifyTimestampToken(token, { trustedRoots: o.trustedRoots, imprint: { algorithm, hash: imprint }, referenceTime: ctx.time, maxSkewMs: o.maxSkewMs, ...(o.policies ? { policies: o.policies } : {}) });
      if (!v.tsa.subject) throw new TimestampError("signer", "the TSA certificate has an empty subject");
      return { genTime: v.genTime, tsa: v.tsa.subject };
    },
  };
}
