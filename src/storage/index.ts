export { ChainStore, requireBlock } from "./chain-store.js";
export type { BlockWrite, TxLocation, IndexEntry } from "./chain-store.js";
export { u64be, u32be, readU64be, readU32be } from "./keys.js";
