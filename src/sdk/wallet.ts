/** A signing key for one chain's suite, and transaction building. Browser-safe. */
import type { CborValue } from "../codec/index.js";
import type { CryptoSuite, SuiteId } from "../crypto/suite.js";
import { getPortableSuite } from "../crypto/portable-suites.js";
import type { SignedTx, TxBody } from "../ledger/tx.js";
import { signTx } from "../ledger/tx.js";
import { fromHex, toHex } from "../util/bytes.js";
import { jsonToArgs } from "./json.js";

export interface CallInput {
  module: string;
  method: string;
  args: Record<string, unknown>;
}

export interface TxOptions {
  chain: string;
  nonce: number;
  calls: CallInput[];
  /** Absolute expiry (ms since epoch); default now + 10 minutes. */
  expires?: number;
  gasLimit?: number;
  memo?: string;
}

export class Wallet {
  readonly suite: CryptoSuite;
  readonly publicKey: Uint8Array;
  readonly address: string;

  private constructor(suite: SuiteId, private readonly secretKey: Uint8Array) {
    this.suite = getPortableSuite(suite);
    this.publicKey = this.suite.publicKeyFromSecret(secretKey);
    this.address = this.suite.address(this.publicKey);
  }

  static generate(suite: SuiteId = "ed25519-sha256"): Wallet {
    return new Wallet(suite, getPortableSuite(suite).generateKeyPair().secretKey);
  }

  static fromSecretKey(secretKey: Uint8Array | string, suite: SuiteId = "ed25519-sha256"): Wallet {
    return new Wallet(suite, typeof secretKey === "string" ? fromHex(secretKey) : secretKey);
  }

  get publicKeyHex(): string {
    return toHex(this.publicKey);
  }

  buildTx(o: TxOptions): SignedTx {
    const body: TxBody = {
      chain: o.chain,
      from: fromHex(this.address),
      nonce: o.nonce,
      expires: o.expires ?? Date.now() + 10 * 60_000,
      gasLimit: o.gasLimit ?? 1_000_000,
      calls: o.calls.map((c) => ({ module: c.module, method: c.method, args: jsonToArgs(c.args) as Record<string, CborValue> })),
      memo: o.memo ?? "",
    };
    return signTx(this.suite, body, this.secretKey);
  }

  /**
   * Signs an RFC 9421 signature base (see signedFetch). Only text of that shape is signed, so
   * this cannot be used to sign a transaction or any other message of the key.
   */
  signHttpMessage(signatureBase: string): Uint8Array {
    const last = signatureBase.slice(signatureBase.lastIndexOf("\n") + 1);
    if (!signatureBase.startsWith('"') || !last.startsWith('"@signature-params": (')) throw new Error("not an RFC 9421 signature base");
    return this.suite.sign(new TextEncoder().encode(signatureBase), this.secretKey);
  }
}
