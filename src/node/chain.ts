/**
 * The chain: genesis, execution, the state tree and the store joined into one object that
 * implements the consensus `Application` (propose, validate, commit) and answers reads.
 *
 * A proposal is executed once; its results (state changes, new tree nodes, receipts) are kept
 * until the block commits, so committing one's own block does not execute it twice.
 */
import type { CryptoSuite } from "../crypto/suite.js";
import { getNodeSuite } from "../crypto/node-suites.js";
import type { Application, ProposedBlock } from "../consensus/engine.js";
import type { Block, BlockHeader } from "../ledger/block.js";
import { blockHash, decodeBlock, encodeBlock, PROTOCOL_VERSION, verifyCommit } from "../ledger/block.js";
import type { Genesis } from "../ledger/genesis.js";
import { genesisHash, genesisValidators } from "../ledger/genesis.js";
import { inclusionPath, leafHash, rootFromLeafHashes } from "../ledger/merkle.js";
import type { Receipt } from "../ledger/receipt.js";
import { decodeReceipt, encodeReceipt } from "../ledger/receipt.js";
import type { SmtNodeStore, SmtProof } from "../ledger/smt.js";
import { EMPTY_ROOT, SparseMerkleTree } from "../ledger/smt.js";
import type { SignedTx } from "../ledger/tx.js";
import { decodeSignedTx, txSigningMessage } from "../ledger/tx.js";
import type { Validator } from "../ledger/validators.js";
import { validatorSetHash } from "../ledger/validators.js";
import type { StateChange } from "../execution/executor.js";
import { accountKey, decodeAccount, Executor } from "../execution/executor.js";
import { ModuleRegistry } from "../execution/registry.js";
import { validateArgs } from "../execution/schema.js";
import type { Module } from "../execution/module.js";
import type { Mempool } from "../mempool/mempool.js";
import type { VerifyPool } from "../mempool/verify-pool.js";
import { ChainStore, requireBlock } from "../storage/chain-store.js";
import { equalBytes, toHex, utf8 } from "../util/bytes.js";
import { assert, CivitasError, ErrorCode } from "../util/errors.js";

export interface CommittedBlock {
  block: Block;
  hash: Uint8Array;
  txHashes: Uint8Array[];
  receipts: Receipt[];
}

interface Executed {
  header: BlockHeader;
  hash: Uint8Array;
  txs: Uint8Array[];
  txHashes: Uint8Array[];
  /** Sender address of each transaction (for the account index). */
  senders: Uint8Array[];
  receipts: Receipt[];
  /** Canonical encodings of `receipts` (committed by receiptRoot, stored as they are). */
  receiptBytes: Uint8Array[];
  changes: StateChange[];
  nodes: Map<string, [Uint8Array, Uint8Array]>;
}

/** Buffers new tree nodes in memory until their block commits. */
class BufferedNodes implements SmtNodeStore {
  readonly added = new Map<string, [Uint8Array, Uint8Array]>();
  constructor(private readonly store: ChainStore) {}
  get(hash: Uint8Array): Uint8Array | undefined {
    return this.added.get(Buffer.from(hash).toString("hex"))?.[1] ?? this.store.getSmtNode(hash);
  }
  put(hash: Uint8Array, encoded: Uint8Array): void {
    this.added.set(Buffer.from(hash).toString("hex"), [hash, encoded]);
  }
}

const GENESIS_META = "genesis";

export class Chain implements Application {
  readonly suite: CryptoSuite;
  readonly registry: ModuleRegistry;
  private readonly executor: Executor;
  private readonly validators: Validator[];
  private readonly valSetHash: Uint8Array;
  private headHeader!: BlockHeader;
  private headHash!: Uint8Array;
  private readonly proposals = new Map<string, Executed>();
  private readonly listeners = new Set<(b: CommittedBlock) => void>();
  mempool: Mempool | undefined;
  pool: VerifyPool | undefined;

  private constructor(
    readonly genesis: Genesis,
    readonly store: ChainStore,
    modules: Module[],
  ) {
    this.suite = getNodeSuite(genesis.cryptoSuite);
    this.registry = new ModuleRegistry(modules);
    this.executor = new Executor(this.registry);
    this.validators = genesisValidators(this.suite, genesis);
    this.valSetHash = validatorSetHash(this.suite, this.validators);
  }

  /** Opens the store, writing the genesis block if the store is new and checking it otherwise. */
  static async open(path: string, genesis: Genesis, modules: Module[]): Promise<Chain> {
    const store = ChainStore.open(path);
    try {
      const chain = new Chain(genesis, store, modules);
      await chain.init();
      return chain;
    } catch (e) {
      await store.close();
      throw e;
    }
  }

  private async init(): Promise<void> {
    const gHash = genesisHash(this.suite, this.genesis);
    const stored = this.store.getMeta(GENESIS_META);
    if (stored) {
      if (!equalBytes(stored, gHash)) throw new CivitasError(ErrorCode.GENESIS_INVALID, `the store at ${this.store.path} belongs to another genesis (hash ${toHex(stored)}, given ${toHex(gHash)})`);
    } else {
      await this.store.putMeta(GENESIS_META, gHash);
    }
    if (this.store.headHeight() === undefined) {
      const changes = this.executor.genesisChanges(this.genesis);
      const nodes = new BufferedNodes(this.store);
      const stateRoot = new SparseMerkleTree(this.hashFn, nodes).update(EMPTY_ROOT, changes);
      const empty = rootFromLeafHashes(this.hashFn, []);
      const header: BlockHeader = {
        chain: this.genesis.chainId,
        height: 0,
        time: this.genesis.genesisTime,
        prevHash: gHash,
        txRoot: empty,
        receiptRoot: empty,
        stateRoot,
        validatorSetHash: this.valSetHash,
        nextValidatorSetHash: this.valSetHash,
        proposer: new Uint8Array(20),
        protocolVersion: PROTOCOL_VERSION,
        txCount: 0,
      };
      const hash = blockHash(this.suite, header);
      const block: Block = { header, txs: [], commit: { height: 0, round: 0, blockHash: hash, signatures: [] } };
      await this.write({ header, hash, txs: [], txHashes: [], senders: [], receipts: [], receiptBytes: [], changes, nodes: nodes.added }, block);
    }
    const head = decodeBlock(requireBlock(this.store, this.store.headHeight() as number));
    this.headHeader = head.header;
    this.headHash = blockHash(this.suite, head.header);
  }

  readonly hashFn = (d: Uint8Array): Uint8Array => this.suite.hash(d);

  // ---- Application ----

  head(): { height: number; hash: Uint8Array; time: number } {
    return { height: this.headHeader.height, hash: this.headHash, time: this.headHeader.time };
  }

  headBlockHeader(): BlockHeader {
    return this.headHeader;
  }

  validatorsAt(_height: number): Validator[] {
    return this.validators;
  }

  pendingTxs(): number {
    return this.mempool?.size ?? 0;
  }

  async propose(args: { height: number; time: number; proposer: Uint8Array }): Promise<ProposedBlock> {
    assert(args.height === this.headHeader.height + 1, "proposal must extend the head");
    const mempool = this.mempool;
    const run = this.executor.beginBlock(this.committedState, { chain: this.genesis.chainId, height: args.height, time: args.time, authority: this.genesis.authority });
    const txs: Uint8Array[] = [];
    const txHashes: Uint8Array[] = [];
    const senders: Uint8Array[] = [];
    const receipts: Receipt[] = [];
    let bytes = 0;
    if (mempool) {
      for (const p of mempool.candidates()) {
        if (txs.length >= this.genesis.maxBlockTxs) break;
        if (bytes + p.tx.bytes.length > this.genesis.maxBlockBytes) break;
        const out = run.applyTx(p.tx, p.hash, this.genesis.maxBlockGas);
        if (out.included) {
          txs.push(p.tx.bytes);
          txHashes.push(p.hash);
          senders.push(p.tx.body.from);
          receipts.push(out.receipt);
          bytes += p.tx.bytes.length;
        } else if (out.error.code === ErrorCode.TX_NONCE_TOO_LOW || out.error.code === ErrorCode.TX_EXPIRED) {
          // Can never be included any more: drop it rather than carry it forever.
          mempool.remove(p.hashHex);
        }
      }
    }
    const executed = this.finishBlock(run, args, txs, txHashes, senders, receipts);
    this.proposals.set(toHex(executed.hash), executed);
    return { header: executed.header, hash: executed.hash, txs };
  }

  private finishBlock(run: ReturnType<Executor["beginBlock"]>, args: { height: number; time: number; proposer: Uint8Array }, txs: Uint8Array[], txHashes: Uint8Array[], senders: Uint8Array[], receipts: Receipt[]): Executed {
    const changes = run.finish();
    const receiptBytes = receipts.map(encodeReceipt);
    const nodes = new BufferedNodes(this.store);
    const stateRoot = new SparseMerkleTree(this.hashFn, nodes).update(this.headHeader.stateRoot, changes);
    const header: BlockHeader = {
      chain: this.genesis.chainId,
      height: args.height,
      time: args.time,
      prevHash: this.headHash,
      txRoot: rootFromLeafHashes(this.hashFn, txs.map((t) => leafHash(this.hashFn, t))),
      receiptRoot: rootFromLeafHashes(this.hashFn, receiptBytes.map((r) => leafHash(this.hashFn, r))),
      stateRoot,
      validatorSetHash: this.valSetHash,
      nextValidatorSetHash: this.valSetHash,
      proposer: args.proposer,
      protocolVersion: PROTOCOL_VERSION,
      txCount: txs.length,
    };
    return { header, hash: blockHash(this.suite, header), txs, txHashes, senders, receipts, receiptBytes, changes, nodes: nodes.added };
  }

  async validate(block: { header: BlockHeader; txs: Uint8Array[] }): Promise<{ ok: true } | { ok: false; reason: string }> {
    try {
      await this.execute(block);
      return { ok: true };
    } catch (e) {
      return { ok: false, reason: (e as Error).message };
    }
  }

  /** Re-executes a block received from elsewhere and checks every header commitment. */
  private async execute(block: { header: BlockHeader; txs: Uint8Array[] }): Promise<Executed> {
    const h = block.header;
    const fail = (why: string): never => {
      throw new CivitasError(ErrorCode.BLOCK_INVALID, `block ${h.height}: ${why}`, { height: h.height });
    };
    if (h.chain !== this.genesis.chainId) fail(`chain '${h.chain}' is not '${this.genesis.chainId}'`);
    if (h.height !== this.headHeader.height + 1) fail(`expected height ${this.headHeader.height + 1}`);
    if (!equalBytes(h.prevHash, this.headHash)) fail("prevHash does not match the head");
    if (h.time <= this.headHeader.time) fail("time does not increase");
    if (h.protocolVersion !== PROTOCOL_VERSION) fail(`protocol version ${h.protocolVersion} is not supported`);
    if (!equalBytes(h.validatorSetHash, this.valSetHash)) fail("validator set hash mismatch");
    if (!this.validators.some((v) => equalBytes(v.address, h.proposer))) fail("proposer is not a validator");
    if (h.txCount !== block.txs.length) fail("txCount does not match the transactions");
    if (block.txs.length > this.genesis.maxBlockTxs) fail("too many transactions");
    if (block.txs.reduce((s, t) => s + t.length, 0) > this.genesis.maxBlockBytes) fail("block too large");
    const decoded: SignedTx[] = [];
    for (const raw of block.txs) {
      if (raw.length > this.genesis.maxTxBytes) fail("transaction over the size limit");
      const tx = decodeSignedTx(raw);
      if (this.suite.address(tx.publicKey) !== "0x" + toHex(tx.body.from)) fail("transaction sender does not match its key");
      decoded.push(tx);
    }
    const items = decoded.map((tx) => ({ message: txSigningMessage(tx.bodyBytes), signature: tx.signature, publicKey: tx.publicKey }));
    const valid = this.pool ? await this.pool.verify(items) : items.map((i) => this.suite.verify(i.message, i.signature, i.publicKey));
    valid.forEach((ok, i) => ok || fail(`transaction ${i} has a bad signature`));
    const run = this.executor.beginBlock(this.committedState, { chain: this.genesis.chainId, height: h.height, time: h.time, authority: this.genesis.authority });
    const receipts: Receipt[] = [];
    const txHashes: Uint8Array[] = [];
    for (const tx of decoded) {
      const hash = this.suite.hash(tx.bodyBytes);
      const out = run.applyTx(tx, hash, this.genesis.maxBlockGas);
      if (!out.included) fail(`transaction ${toHex(hash)} cannot be included: ${out.error.code}`);
      else receipts.push(out.receipt);
      txHashes.push(hash);
    }
    const executed = this.finishBlock(run, { height: h.height, time: h.time, proposer: h.proposer }, block.txs, txHashes, decoded.map((t) => t.body.from), receipts);
    if (!equalBytes(executed.header.txRoot, h.txRoot)) fail("txRoot mismatch");
    if (!equalBytes(executed.header.receiptRoot, h.receiptRoot)) fail("receiptRoot mismatch");
    if (!equalBytes(executed.header.stateRoot, h.stateRoot)) fail("stateRoot mismatch");
    assert(equalBytes(executed.hash, blockHash(this.suite, h)), "re-executed header differs from the received one");
    this.proposals.set(toHex(executed.hash), executed);
    return executed;
  }

  async commit(block: Block): Promise<void> {
    const hash = blockHash(this.suite, block.header);
    const check = verifyCommit(this.suite, this.genesis.chainId, hash, block.commit, this.validators);
    if (!check.ok) throw new CivitasError(ErrorCode.BLOCK_INVALID, `block ${block.header.height}: commit certificate invalid: ${check.reason}`);
    const executed = this.proposals.get(toHex(hash)) ?? (await this.execute(block));
    this.proposals.clear();
    await this.write(executed, block);
    this.headHeader = block.header;
    this.headHash = hash;
    if (this.mempool) for (const h of executed.txHashes) this.mempool.remove(toHex(h));
    const committed: CommittedBlock = { block, hash, txHashes: executed.txHashes, receipts: executed.receipts };
    for (const l of this.listeners) l(committed);
  }

  private async write(e: Executed, block: Block): Promise<void> {
    const accountIndex: Array<{ address: Uint8Array; txIndex: number }> = [];
    const eventIndex: Array<{ type: string; txIndex: number; eventIndex: number }> = [];
    e.receipts.forEach((r, i) => {
      // A transaction concerns a handful of accounts: a linear scan beats hashing them.
      const seen: Uint8Array[] = [];
      const add = (a: Uint8Array): void => {
        if (seen.some((x) => equalBytes(x, a))) return;
        seen.push(a);
        accountIndex.push({ address: a, txIndex: i });
      };
      add(e.senders[i]);
      for (const ev of r.events) for (const a of ev.accounts) add(a);
      r.events.forEach((ev, j) => eventIndex.push({ type: `${ev.module}.${ev.type}`, txIndex: i, eventIndex: j }));
    });
    await this.store.commitBlock({
      height: block.header.height,
      hash: e.hash,
      blockBytes: encodeBlock(block),
      txHashes: e.txHashes,
      receipts: e.receiptBytes,
      stateChanges: e.changes,
      smtNodes: [...e.nodes.values()],
      accountIndex,
      eventIndex,
    });
  }

  onCommit(listener: (b: CommittedBlock) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- reads ----

  readonly committedState = {
    get: (key: string): Uint8Array | undefined => this.store.getState(utf8(key)),
  };

  accountNonce(address: string): number {
    return decodeAccount(this.committedState.get(accountKey(address))).nonce;
  }

  getBlock(height: number): Block | undefined {
    const b = this.store.getBlockBytes(height);
    return b ? decodeBlock(b) : undefined;
  }

  getBlockByHash(hash: Uint8Array): Block | undefined {
    const h = this.store.heightOfHash(hash);
    return h === undefined ? undefined : this.getBlock(h);
  }

  getTx(hash: Uint8Array): { tx: SignedTx; height: number; index: number; receipt: Receipt; proof: { leafHash: string; index: number; treeSize: number; proof: string[]; root: string } } | undefined {
    const loc = this.store.txLocation(hash);
    if (!loc) return undefined;
    const block = decodeBlock(requireBlock(this.store, loc.height));
    const leaves = block.txs.map((t) => leafHash(this.hashFn, t));
    const receiptBytes = this.store.getReceiptBytes(hash);
    assert(receiptBytes !== undefined, "committed transaction without receipt", { hash: toHex(hash) });
    return {
      tx: decodeSignedTx(block.txs[loc.index]),
      height: loc.height,
      index: loc.index,
      receipt: decodeReceipt(receiptBytes),
      proof: { leafHash: toHex(leaves[loc.index]), index: loc.index, treeSize: leaves.length, proof: inclusionPath(this.hashFn, leaves, loc.index).map(toHex), root: toHex(block.header.txRoot) },
    };
  }

  /** A state value at a height (default: head) with its proof against that block's stateRoot. */
  proveState(key: string, height = this.headHeader.height): { height: number; stateRoot: Uint8Array; value: Uint8Array | undefined; proof: SmtProof } {
    const block = this.getBlock(height);
    if (!block) throw new CivitasError(ErrorCode.BLOCK_NOT_FOUND, `no block at height ${height}`, { height });
    const tree = new SparseMerkleTree(this.hashFn, new BufferedNodes(this.store));
    const k = utf8(key);
    const value = tree.get(block.header.stateRoot, k);
    return { height, stateRoot: block.header.stateRoot, value, proof: tree.prove(block.header.stateRoot, k) };
  }

  /** Module query answered from the state at `height`, with a proof of the key it read. */
  query(moduleName: string, queryName: string, args: Record<string, unknown>, height?: number): { height: number; value: unknown; key: string; stateRoot: string; proof: SmtProof } {
    const { module, def } = this.registry.query(moduleName, queryName);
    const parsed = validateArgs(def.args, args as never, `${moduleName}.${queryName}`);
    const h = height ?? this.headHeader.height;
    const block = this.getBlock(h);
    if (!block) throw new CivitasError(ErrorCode.BLOCK_NOT_FOUND, `no block at height ${h}`, { height: h });
    const tree = new SparseMerkleTree(this.hashFn, new BufferedNodes(this.store));
    const prefix = `${module.name}/`;
    const result = def.run({ height: h, get: (k) => tree.get(block.header.stateRoot, utf8(prefix + k)) }, parsed);
    const fullKey = prefix + result.key;
    return { height: h, value: result.value, key: fullKey, stateRoot: toHex(block.header.stateRoot), proof: tree.prove(block.header.stateRoot, utf8(fullKey)) };
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}
