/**
 * The rows the index answers (`civitas indexer query`, its HTTP API, the node's explorer proxy),
 * as JSON. Kept free of imports so the browser console can use the same types.
 */

export interface IndexStatusRow {
  chainId: string | null;
  height: number | null;
  hash: string | null;
  updatedAt: string | null;
  blocks: number;
  transactions: number;
  events: number;
  accounts: number;
}

export interface BlockRow {
  height: number;
  hash: string;
  prevHash: string;
  time: number;
  proposer: string;
  txCount: number;
  stateRoot: string;
}

export interface TxRow {
  hash: string;
  height: number;
  index: number;
  from: string;
  nonce: number;
  status: string;
  code: string | null;
  message: string;
  gasUsed: number;
  gasLimit: number;
  memo: string;
  calls: unknown;
  time?: number;
  events?: EventRow[];
}

export interface EventRow {
  height: number;
  txIndex: number;
  eventIndex: number;
  txHash: string;
  module: string;
  type: string;
  accounts: string[];
  attrs: unknown;
}

export interface AccountRow {
  address: string;
  nextNonce: number;
  firstSeenHeight: number;
  lastSeenHeight: number;
  balance: string | null;
  balanceHeight: number | null;
  txCount: number;
}

export type SearchResult = { kind: "block"; block: BlockRow } | { kind: "tx"; tx: TxRow } | { kind: "account"; account: AccountRow } | { kind: "none"; query: string };
