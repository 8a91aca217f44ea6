/**
 * verify-chain: re-checks a node's stored chain from genesis. Every block is decoded, its
 * link to the previous block, its commit certificate and every transaction signature are
 * checked, it is re-executed into a fresh store, and the header's tx, receipt and state roots
 * must come out the same. Finally the stored receipts and the node's current-state table are
 * compared with the replay, so a corrupted index or state table is caught too.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { blockHash, decodeBlock } from "../ledger/block.js";
import type { Genesis } from "../ledger/genesis.js";
import { txHashOfWire } from "../ledger/tx.js";
import { builtinModules } from "../modules/index.js";
import { ChainStore } from "../storage/chain-store.js";
import { equalBytes, fromUtf8, toHex } from "../util/bytes.js";
import { CivitasError, ErrorCode } from "../util/errors.js";
import { VerifyPool } from "../mempool/verify-pool.js";
import { Chain } from "./chain.js";

export interface VerifyChainReport {
  ok: boolean;
  blocks: number;
  txs: number;
  headHeight: number;
  headHash: string;
  stateRoot: string;
  stateEntries: number;
  problems: string[];
}

export async function verifyChain(dataPath: string, genesis: Genesis, onProgress?: (done: number, total: number) => void): Promise<VerifyChainReport> {
  const source = ChainStore.open(dataPath);
  const scratch = await mkdtemp(join(tmpdir(), "civitas-verify-"));
  const problems: string[] = [];
  let replay: Chain | undefined;
  const pool = new VerifyPool(genesis.cryptoSuite, undefined, genesis.moduleParams);
  try {
    const head = source.headHeight();
    if (head === undefined) throw new CivitasError(ErrorCode.CHAIN_CORRUPT, `no chain at ${dataPath}: run 'civitas init' and start the node first`);
    replay = await Chain.open(scratch, genesis, builtinModules(genesis));
    replay.pool = pool;
    const g0 = source.getBlockBytes(0);
    const r0 = replay.getBlock(0);
    if (!g0 || !r0 || !equalBytes(blockHash(replay.suite, decodeBlock(g0).header), blockHash(replay.suite, r0.header))) {
      throw new CivitasError(ErrorCode.CHAIN_CORRUPT, "block 0 does not match the genesis file: wrong genesis or a corrupted store");
    }
    let txs = 0;
    for (let h = 1; h <= head; h++) {
      const bytes = source.getBlockBytes(h);
      if (!bytes) throw new CivitasError(ErrorCode.CHAIN_CORRUPT, `block ${h} is missing`);
      let block: ReturnType<typeof decodeBlock>;
      try {
        block = decodeBlock(bytes);
      } catch (e) {
        throw new CivitasError(ErrorCode.CHAIN_CORRUPT, `block ${h} cannot be decoded: ${(e as Error).message}`, { height: h });
      }
      try {
        await replay.commit(block);
      } catch (e) {
        throw new CivitasError(ErrorCode.CHAIN_CORRUPT, `block ${h} fails verification: ${(e as Error).message}`, { height: h });
      }
      const hash = blockHash(replay.suite, block.header);
      if (source.heightOfHash(hash) !== h) problems.push(`block ${h}: hash index does not point at it`);
      for (let i = 0; i < block.txs.length; i++) {
        const th = txHashOfWire(replay.suite, block.txs[i]);
        const stored = source.getReceiptBytes(th);
        const replayed = replay.store.getReceiptBytes(th);
        if (!stored || !replayed || !equalBytes(stored, replayed)) problems.push(`block ${h} tx ${i}: stored receipt differs from the replay`);
        const loc = source.txLocation(th);
        if (!loc || loc.height !== h || loc.index !== i) problems.push(`block ${h} tx ${i}: transaction index is wrong`);
      }
      txs += block.txs.length;
      onProgress?.(h, head);
    }
    // The current-state table must equal the replayed state, entry for entry.
    let entries = 0;
    const a = source.stateEntries();
    const b = replay.store.stateEntries();
    for (;;) {
      const x = a.next();
      const y = b.next();
      if (x.done && y.done) break;
      if (x.done || y.done || !equalBytes(x.value.key, y.value.key) || !equalBytes(x.value.value, y.value.value)) {
        const k = !x.done ? fromUtf8(x.value.key) : !y.done ? fromUtf8(y.value.key) : "?";
        problems.push(`state table differs from the replay at key '${k}'`);
        break;
      }
      entries++;
    }
    const last = replay.head();
    const stored = decodeBlock(source.getBlockBytes(head) as Uint8Array);
    return { ok: problems.length === 0, blocks: head + 1, txs, headHeight: last.height, headHash: toHex(last.hash), stateRoot: toHex(stored.header.stateRoot), stateEntries: entries, problems };
  } finally {
    await replay?.close();
    await pool.close();
    await source.close();
    await rm(scratch, { recursive: true, force: true });
  }
}
