/**
 * The contract between the state machine and its modules. A module sees only its own key
 * space (every key it touches is prefixed with its name), the caller, the block's height and
 * time, and a gas meter: nothing that could differ between nodes.
 */
import type { CborValue, Obj } from "../codec/index.js";
import type { ArgsSchema, ArgValue } from "./schema.js";

/** Deterministic cryptography of the chain's suite, for modules that check signatures or keys. */
export interface ExecCrypto {
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
  /** Decodes a stored value of this module for JSON display (proof responses). */
  decodeValue?(key: string, value: Uint8Array): unknown;
}

export type { CborValue, Obj };
