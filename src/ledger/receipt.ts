/** Receipts: the outcome of one transaction, committed to by the block's receipt root. */
import { decode, encode, FieldReader } from "../codec/index.js";
import type { CborValue, Obj } from "../codec/index.js";
import { toHex } from "../util/bytes.js";
import { CivitasError, ErrorCode } from "../util/errors.js";
import { cborToJson } from "./tx.js";

export const RECEIPT_VERSION = 1;

export interface Event {
  module: string;
  type: string;
  /** Addresses the event concerns (20 bytes each): the account index keys on them. */
  accounts: Uint8Array[];
  attrs: Obj;
}

export interface Receipt {
  txHash: Uint8Array;
  status: "ok" | "failed";
  /** Stable error code when failed, else null. */
  code: string | null;
  message: string;
  gasUsed: number;
  events: Event[];
}

export function encodeReceipt(r: Receipt): Uint8Array {
  const events: CborValue[] = r.events.map((e) => ({ module: e.module, type: e.type, accounts: e.accounts, attrs: e.attrs }));
  return encode({ v: RECEIPT_VERSION, txHash: r.txHash, status: r.status, code: r.code, message: r.message, gasUsed: r.gasUsed, events });
}

export function decodeReceipt(bytes: Uint8Array): Receipt {
  const f = FieldReader.of(decode(bytes), "receipt").knownFields("v", "txHash", "status", "code", "message", "gasUsed", "events");
  if (f.uint("v") !== RECEIPT_VERSION) throw new CivitasError(ErrorCode.CODEC_BAD_VERSION, "unsupported receipt version");
  const status = f.str("status");
  if (status !== "ok" && status !== "failed") throw new CivitasError(ErrorCode.CODEC_MALFORMED, "receipt.status must be ok or failed");
  return {
    txHash: f.bytes("txHash", 32),
    status,
    code: f.nullableStr("code"),
    message: f.str("message"),
    gasUsed: f.uint("gasUsed"),
    events: f.array("events").map((e, i) => {
      const er = FieldReader.of(e, `receipt.events[${i}]`).knownFields("module", "type", "accounts", "attrs");
      return {
        module: er.str("module"),
        type: er.str("type"),
        accounts: er.array("accounts").map((a) => {
          if (!(a instanceof Uint8Array) || a.length !== 20) throw new CivitasError(ErrorCode.CODEC_MALFORMED, "event account must be 20 bytes");
          return new Uint8Array(a);
        }),
        attrs: er.map("attrs"),
      };
    }),
  };
}

export function receiptToJson(r: Receipt): Record<string, unknown> {
  return {
    txHash: toHex(r.txHash),
    status: r.status,
    code: r.code,
    message: r.message,
    gasUsed: r.gasUsed,
    events: r.events.map((e) => ({ module: e.module, type: e.type, accounts: e.accounts.map((a) => "0x" + toHex(a)), attrs: cborToJson(e.attrs) })),
  };
}
