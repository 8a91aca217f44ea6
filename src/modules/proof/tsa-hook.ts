/**
 * The hook through which RFC 3161 timestamp tokens are checked at registration. The check is
 * provided by the trusted-time library (`src/proof/tsa`) when the module is built; without one
 * the module refuses tokens rather than store something it cannot vouch for.
 */
import type { ExecCrypto } from "../../execution/module.js";

export interface TsaCheckContext {
  readonly chain: string;
  readonly height: number;
  /** Block time (ms): the reference for the allowed skew. Never read a clock. */
  readonly time: number;
  /** Metered read of another module's state (e.g. trusted TSA roots). */
  read(module: string, key: string): Uint8Array | undefined;
  readonly crypto: ExecCrypto;
}

export interface TsaTokenCheck {
  /**
   * Verifies `token` (DER TimeStampToken or TimeStampResp) whose message imprint must be
   * `imprint` (the registered fingerprint or root, hashed with the chain's hash): signature,
   * certificate chain to a trusted root, `timeStamping` EKU, genTime within the allowed skew of
   * block time. Deterministic; throws a CivitasError naming the failed check.
   */
  verify(ctx: TsaCheckContext, token: Uint8Array, imprint: Uint8Array): { genTime: number; tsa: string };
}
