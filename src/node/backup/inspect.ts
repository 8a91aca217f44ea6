/**
 * What a store holds at its head: read from a snapshot when a backup is made (so the manifest
 * describes the copy, not the live store that has moved on) and from the restored copy before it
 * replaces anything.
 */
import { getNodeSuite } from "../../crypto/node-suites.js";
import { blockHash, decodeBlock } from "../../ledger/block.js";
import type { Genesis } from "../../ledger/genesis.js";
import { genesisHash } from "../../ledger/genesis.js";
import { ChainStore } from "../../storage/chain-store.js";
import { toHex } from "../../util/bytes.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";

export interface StoreHead {
  genesisHash: string;
  height: number;
  blockHash: string;
  stateRoot: string;
  blockTime: number;
  /** The state tree's root node is in the store (an empty tree has none to find). */
  stateRootPresent: boolean;
}

/** Opens the LMDB environment at `dataPath` read-only and describes its head block. */
export async function inspectStore(dataPath: string, genesis: Genesis): Promise<StoreHead> {
  const suite = getNodeSuite(genesis.cryptoSuite);
  const store = ChainStore.open(dataPath, { readOnly: true });
  try {
    const g = store.getMeta("genesis");
    const height = store.headHeight();
    if (!g || height === undefined) throw new CivitasError(ErrorCode.CHAIN_CORRUPT, `no chain in the store at ${dataPath}`, { path: dataPath });
    const expected = toHex(genesisHash(suite, genesis));
    if (toHex(g) !== expected) throw new CivitasError(ErrorCode.BACKUP_CHAIN_MISMATCH, `the store at ${dataPath} belongs to genesis ${toHex(g)}, not ${expected}`, { store: toHex(g), genesis: expected });
    const bytes = store.getBlockBytes(height);
    if (!bytes) throw new CivitasError(ErrorCode.CHAIN_CORRUPT, `head block ${height} is missing from the store at ${dataPath}`, { height });
    const block = decodeBlock(bytes);
    const hash = blockHash(suite, block.header);
    if (store.heightOfHash(hash) !== height) throw new CivitasError(ErrorCode.CHAIN_CORRUPT, `the block-hash index does not point at head block ${height}`, { height });
    const root = block.header.stateRoot;
    return { genesisHash: expected, height, blockHash: toHex(hash), stateRoot: toHex(root), blockTime: block.header.time, stateRootPresent: root.every((b) => b === 0) || store.getSmtNode(root) !== undefined };
  } finally {
    await store.close();
  }
}
