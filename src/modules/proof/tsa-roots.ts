/**
 * Trusted time for the proof module: the root certificates of the RFC 3161 time-stamping
 * authorities whose tokens a registration may carry live in the module's state (key
 * `tsaroots`: CBOR array of DER certificates), set from genesis (`tsaRoots`, usually the
 * network CA) and changed by the chain authority. Tokens are verified against the roots of the
 * block's state, with the block time as the reference for the allowed skew (X.1407 8.2.3),
 * so every node reaches the same verdict. A state proof of `proof/tsaroots` lets an offline
 * checker trust the same roots.
 */
import { decode, encode } from "../../codec/index.js";
import type { CallContext, ExecCrypto, MethodDef } from "../../execution/module.js";
import { certSha256Hex, parseCert, pemCertificates } from "../../proof/tsa/certs.js";
import type { DigestName } from "../../proof/tsa/oids.js";
import { verifyTimestampToken } from "../../proof/tsa/verify.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import { toHex } from "../../util/bytes.js";
import { PROOF_MODULE, proofInvalid } from "./common.js";
import type { ProofLimits } from "./limits.js";
import type { TsaTokenCheck } from "./tsa-hook.js";

export const TSA_ROOTS_KEY = "tsaroots";
const MAX_PEM_CHARS = 16_384;

export function decodeTsaRoots(raw: Uint8Array | undefined): Uint8Array[] {
  if (!raw) return [];
  const v = decode(raw);
  if (!Array.isArray(v) || !v.every((x) => x instanceof Uint8Array)) throw new CivitasError(ErrorCode.INTERNAL, "invariant violated: proof/tsaroots is not a list of certificates");
  return v as Uint8Array[];
}

export function encodeTsaRoots(roots: Uint8Array[]): Uint8Array {
  return encode(roots);
}

/** JSON view of the roots: id (SHA-256 of the DER), subject, DER hex. */
export function tsaRootsJson(raw: Uint8Array | undefined): Array<{ id: string; subject: string; der: string }> {
  return decodeTsaRoots(raw).map((der) => {
    const c = parseCert(der);
    return { id: certSha256Hex(c), subject: c.subject, der: toHex(der) };
  });
}

/** One PEM certificate → DER, refusing anything that is not exactly one parsable certificate. */
export function tsaRootFromPem(pem: string, where: string): Uint8Array {
  const ders = pem.length <= MAX_PEM_CHARS ? pemCertificates(pem) : [];
  if (ders.length !== 1) throw proofInvalid(`${where}: expected exactly one PEM certificate`, { field: where });
  try {
    parseCert(ders[0]);
  } catch (e) {
    throw proofInvalid(`${where}: not an X.509 certificate (${(e as Error).message})`, { field: where });
  }
  return ders[0];
}

/** The imprint hash of the chain's fingerprints: what a token must have been requested with. */
function imprintAlgorithm(crypto: ExecCrypto): DigestName {
  if (crypto.suite === "sm2-sm3") return "SM3";
  return "SHA-256";
}

/** Token check against the roots in the block's state. */
export function stateTsaCheck(limits: ProofLimits): TsaTokenCheck {
  return {
    verify(ctx, token, imprint) {
      const roots = decodeTsaRoots(ctx.read(PROOF_MODULE, TSA_ROOTS_KEY));
      if (roots.length === 0) throw new CivitasError(ErrorCode.TSA_UNTRUSTED, "this chain trusts no time-stamping authority yet (genesis tsaRoots or proof.addTsaRoot); register without tsaToken");
      const v = verifyTimestampToken(token, { trustedRoots: roots, imprint: { algorithm: imprintAlgorithm(ctx.crypto), hash: imprint }, referenceTime: ctx.time, maxSkewMs: limits.maxTsaSkewMs });
      if (!v.tsa.subject) throw proofInvalid("the TSA certificate has an empty subject");
      return { genTime: v.genTime, tsa: v.tsa.subject };
    },
  };
}

function requireAuthority(ctx: CallContext): void {
  if (ctx.sender !== ctx.authority) throw new CivitasError(ErrorCode.EXEC_UNAUTHORIZED, "only the chain authority may change the trusted TSA roots", { authority: ctx.authority });
}

export function tsaRootMethods(limits: ProofLimits): Record<string, MethodDef> {
  return {
    addTsaRoot: {
      doc: "Trusts the time-stamping authorities under a root certificate (PEM) for registrations from the next block on; chain authority only.",
      gas: 5_000,
      args: { certificate: { type: "string", maxLength: MAX_PEM_CHARS, doc: "one PEM certificate" }, reason: { type: "string", maxLength: limits.maxReasonChars } },
      run(ctx, args) {
        requireAuthority(ctx);
        const der = tsaRootFromPem(args.certificate as string, "certificate");
        const roots = decodeTsaRoots(ctx.get(TSA_ROOTS_KEY));
        const id = certSha256Hex(parseCert(der));
        if (roots.some((r) => certSha256Hex(parseCert(r)) === id)) throw proofInvalid(`TSA root ${id} is already trusted`);
        if (roots.length >= limits.maxTsaRoots) throw proofInvalid(`at most ${limits.maxTsaRoots} TSA roots may be trusted; remove one first`);
        ctx.set(TSA_ROOTS_KEY, encodeTsaRoots([...roots, der]));
        ctx.emit("TsaRootAdded", { id, subject: parseCert(der).subject, reason: args.reason as string }, [ctx.sender]);
      },
    },
    removeTsaRoot: {
      doc: "Stops trusting a TSA root (by id: SHA-256 of its DER, hex) for new registrations; records already registered keep their verdict. Chain authority only.",
      gas: 2_000,
      args: { id: { type: "string", maxLength: 64, pattern: /^[0-9a-f]{64}$/ }, reason: { type: "string", maxLength: limits.maxReasonChars } },
      run(ctx, args) {
        requireAuthority(ctx);
        const roots = decodeTsaRoots(ctx.get(TSA_ROOTS_KEY));
        const rest = roots.filter((r) => certSha256Hex(parseCert(r)) !== args.id);
        if (rest.length === roots.length) throw new CivitasError(ErrorCode.PROOF_NOT_FOUND, `no trusted TSA root ${args.id as string}`);
        ctx.set(TSA_ROOTS_KEY, encodeTsaRoots(rest));
        ctx.emit("TsaRootRemoved", { id: args.id as string, reason: args.reason as string }, [ctx.sender]);
      },
    },
  };
}
