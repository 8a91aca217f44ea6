/**
 * Gas: a deterministic price for every operation, so a transaction's cost is bounded before it
 * runs and every node charges the same. There is no fee market yet: gas caps work per
 * transaction and per block; it is not paid for in tokens.
 */
import { CivitasError, ErrorCode } from "../util/errors.js";

export const GAS = {
  txBase: 1_000,
  txPerByte: 10,
  callBase: 500,
  readBase: 100,
  readPerByte: 1,
  writeBase: 300,
  writePerByte: 10,
  deleteBase: 200,
  eventBase: 100,
  eventPerByte: 5,
} as const;

export function intrinsicGas(txBytes: number, calls: number): number {
  return GAS.txBase + GAS.txPerByte * txBytes + GAS.callBase * calls;
}

export class GasMeter {
  used = 0;
  constructor(readonly limit: number) {}
  charge(amount: number, what: string): void {
    this.used += amount;
    if (this.used > this.limit) {
      this.used = this.limit;
      throw new CivitasError(ErrorCode.EXEC_OUT_OF_GAS, `out of gas during ${what} (limit ${this.limit})`, { limit: this.limit });
    }
  }
}
