/**
 * Stateless admission checks on one raw transaction: size, canonical decoding, chain id, call
 * schemas, gas bounds and that the public key owns the `from` address. Pure, so it runs in the
 * verification workers next to the signature check and keeps the main thread free.
 */
import type { CryptoSuite } from "../crypto/suite.js";
import { intrinsicGas } from "../execution/gas.js";
import type { ModuleRegistry } from "../execution/registry.js";
import type { SignedTx } from "../ledger/tx.js";
import { decodeSignedTx } from "../ledger/tx.js";
import { toHex } from "../util/bytes.js";
import { CivitasError, ErrorCode, isCivitasError } from "../util/errors.js";

export interface AdmissionLimits {
  chain: string;
  maxTxBytes: number;
  maxTxGas: number;
}

export function precheckTx(raw: Uint8Array, limits: AdmissionLimits, suite: CryptoSuite, registry: ModuleRegistry): SignedTx {
  if (!(raw instanceof Uint8Array)) throw new CivitasError(ErrorCode.TX_MALFORMED, "transaction must be bytes");
  if (raw.length > limits.maxTxBytes) throw new CivitasError(ErrorCode.TX_TOO_LARGE, `transaction is ${raw.length} bytes; the limit is ${limits.maxTxBytes}`, { size: raw.length, limit: limits.maxTxBytes });
  let tx: SignedTx;
  try {
    tx = decodeSignedTx(raw);
  } catch (e) {
    // Transaction-level codes (too many calls, memo too large) pass through; encoding faults
    // are all TX_MALFORMED with the codec's code as the cause.
    if (isCivitasError(e) && !e.code.startsWith("TX_")) throw new CivitasError(ErrorCode.TX_MALFORMED, e.message, { cause: e.code, ...e.details });
    throw e;
  }
  if (tx.body.chain !== limits.chain) throw new CivitasError(ErrorCode.TX_WRONG_CHAIN, `transaction is for chain '${tx.body.chain}', this is '${limits.chain}'`, { expected: limits.chain, got: tx.body.chain });
  for (const call of tx.body.calls) registry.checkCall(call);
  if (tx.body.gasLimit > limits.maxTxGas) throw new CivitasError(ErrorCode.TX_GAS_LIMIT_TOO_HIGH, `gas limit ${tx.body.gasLimit} exceeds the per-transaction maximum ${limits.maxTxGas}`, { limit: limits.maxTxGas });
  const intrinsic = intrinsicGas(raw.length, tx.body.calls.length);
  if (tx.body.gasLimit < intrinsic) throw new CivitasError(ErrorCode.TX_GAS_LIMIT_TOO_LOW, `gas limit ${tx.body.gasLimit} is below the intrinsic cost ${intrinsic}`, { intrinsic });
  if (tx.publicKey.length !== suite.publicKeyLength || tx.signature.length !== suite.signatureLength) {
    throw new CivitasError(ErrorCode.TX_BAD_SIGNATURE, `public key or signature has the wrong length for ${suite.id}`);
  }
  if (suite.address(tx.publicKey) !== "0x" + toHex(tx.body.from)) throw new CivitasError(ErrorCode.TX_BAD_SENDER, "the public key does not belong to the `from` address");
  return tx;
}
