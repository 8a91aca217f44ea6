/**
 * The contract between the state machine and its modules. A module sees only its own key
 * space (every key it touches is prefixed with its name), the caller, the block's height and
 * time, and a gas meter: nothing that could differ between nodes.
 */
import type { CborValue, Obj } from "../codec/index.js";
import type { ArgsSchema, ArgValue } from "./schema.js";

/** Deterministic cryptography of the chain's suite, for modules that check signatures or keys. */
export interface ExecCrypto {
  /** The chain's suite id (e.g. "ed25519-sha256", "sm2-sm3"): names the hash fingerprints use. */
  readonly suite: string;
  isValidPublicKey(publicKey: Uint8Array): boolean;
  verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean;
  /** 0x-hex address of a public key. */
  address(publicKey: Uint8Array): string;
}

export interface CallContext {
  readonly chain: string;
  readonly height: number;
  /** Block time in ms: the only clock execution may read. */
  readonly time: number;
  /** The transaction's sender as 0x-hex. */
  readonly sender: string;
  /** The chain authority's address as 0x-hex (mint, burn, later governance). */
  readonly authority: string;
  get(key: string): Uint8Array | undefined;
  set(key: string, value: Uint8Array): void;
  del(key: string): void;
  /** Read-only, metered access to another module's key space (e.g. access reading identity). */
  read(module: string, key: string): Uint8Array | undefined;
  /** Records an event; `accounts` are the 0x addresses it concerns (indexed by account). */
  emit(type: string, attrs: Obj, accounts: string[]): void;
  readonly crypto: ExecCrypto;
}

/** What a module sees at the end of every block (no sender, no gas: protocol work only). */
export interface EndBlockContext {
  readonly height: number;
  readonly crypto: ExecCrypto;
  get(key: string): Uint8Array | undefined;
  set(key: string, value: Uint8Array): void;
  del(key: string): void;
}

export interface QueryContext {
  readonly height: number;
  get(key: string): Uint8Array | undefined;
}

/**
 * What a guard sees: the state as it was at the start of the block (so a grant, a policy or a
 * freeze takes effect at the next block, and a guard's answer can be cached for the block),
 * readable across modules but not writable.
 */
export interface GuardContext {
  readonly chain: string;
  readonly height: number;
  readonly time: number;
  readonly sender: string;
  readonly authority: string;
  /** A key of `module`'s key space in the block's base state. */
  read(module: string, key: string): Uint8Array | undefined;
  readonly crypto: ExecCrypto;
}

/** A call as a guard sees it, after its arguments passed the method's schema. */
export interface GuardedCall {
  module: string;
  method: string;
  args: Record<string, ArgValue>;
}

/**
 * Checks a module contributes to every transaction, whatever module it calls. Throwing a
 * `CivitasError` refuses: from `checkSender` the transaction is not included (the mempool
 * refuses it at admission too), from `checkCall` it is included with a failed receipt.
 */
export interface TxGuard {
  checkSender?(ctx: GuardContext): void;
  checkCall?(ctx: GuardContext, call: GuardedCall): void;
  /** Gas charged per guarded call (the guard's reads are not metered one by one). */
  readonly gasPerCall?: number;
}

export interface MethodDef {
  args: ArgsSchema;
  doc: string;
  /** Gas charged on entry, on top of reads, writes and events. */
  gas: number;
  run(ctx: CallContext, args: Record<string, ArgValue>): void;
}

export interface QueryResult {
  /** The module-relative state key whose value answers the query: proved against stateRoot. */
  key: string;
  value: unknown;
}

export interface QueryDef {
  args: ArgsSchema;
  doc: string;
  run(ctx: QueryContext, args: Record<string, ArgValue>): QueryResult;
}

export interface GenesisInput {
  authority: string;
  /** PEM certificates of the time-stamping authorities' roots the chain trusts (proof module). */
  tsaRoots?: string[];
  balances: Array<{ address: string; amount: string }>;
  validators: Array<{ publicKey: string; power: number }>;
}

export interface GenesisContext {
  set(key: string, value: Uint8Array): void;
  get(key: string): Uint8Array | undefined;
}

export interface Module {
  readonly name: string;
  readonly doc: string;
  readonly methods: Readonly<Record<string, MethodDef>>;
  readonly queries: Readonly<Record<string, QueryDef>>;
  initGenesis?(ctx: GenesisContext, genesis: GenesisInput, crypto: ExecCrypto): void;
  /** Runs after the block's last transaction, in module-name order. */
  endBlock?(ctx: EndBlockContext): void;
  /** Checks this module applies to every transaction (identity: account status; access: policies). */
  readonly guard?: TxGuard;
  /** Decodes a stored value of this module for JSON display (proof responses). */
  decodeValue?(key: string, value: Uint8Array): unknown;
}

export type { CborValue, Obj };
