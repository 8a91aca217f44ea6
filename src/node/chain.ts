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
import type { Block, BlockBody, BlockHeader, CommitCertificate } from "../ledger/block.js";
import { blockHash, decodeBlock, encodeBlock, lastCommitHash, NO_COMMIT_HASH, PROTOCOL_VERSION, verifyCommit } from "../ledger/block.js";
import { commitTime } from "../consensus/bft/messages.js";
import { decodeValidatorSet } from "../modules/validators/index.js";
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
import { sortValidators, validatorSetHash } from "../ledger/validators.js";
import type { StateChange } from "../execution/executor.js";
import { accountKey, decodeAccount, execCrypto, Executor } from "../execution/executor.js";
import { ModuleRegistry } from "../execution/registry.js";
import { validateArgs } from "../execution/schema.js";
import type { Module } from "../execution/module.js";
import type { Mempool } from "../mempool/mempool.js";
import type { VerifyPool } from "../mempool/verify-pool.js";
import { ChainStore, requireBlock } from "../storage/chain-store.js";
import { equalBytes, fromHex, toHex, utf8 } from "../util/bytes.js";
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
const SET_KEY = "validators/set";
const SET_KEY_BYTES = utf8(SET_KEY);

export class Chain implements Application {
  readonly suite: CryptoSuite;
  readonly registry: ModuleRegistry;
  private readonly executor: Executor;
  private readonly genesisSet: Validator[];
  /** Validator sets by the height they sign, for the last few heights. */
  private readonly setCache = new Map<number, { validators: Validator[]; hash: Uint8Array }>();
  private headHeader!: BlockHeader;
  private headHash!: Uint8Array;
  private headCommit!: CommitCertificate;
  private readonly proposals = new Map<string, Executed>();
  private readonly listeners = new Set<(b: CommittedBlock) => void>();
  mempool: Mempool | undefined;
  pool: VerifyPool | undefined;
  /** Transaction signatures checked in block validation, and skipped because admission checked the same bytes. */
  readonly verifyStats = { verified: 0, skipped: 0 };

  private constructor(
    readonly genesis: Genesis,
    readonly store: ChainStore,
    modules: Module[],
  ) {
    this.suite = getNodeSuite(genesis.cryptoSuite);
    this.registry = new ModuleRegistry(modules);
    this.executor = new Executor(this.registry, execCrypto(this.suite));
    this.genesisSet = sortValidators(genesisValidators(this.suite, genesis));
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
      const setHash = validatorSetHash(this.suite, this.genesisSet);
      const header: BlockHeader = {
        chain: this.genesis.chainId,
        height: 0,
        time: this.genesis.genesisTime,
        prevHash: gHash,
        txRoot: empty,
        receiptRoot: empty,
        stateRoot,
        validatorSetHash: setHash,
        nextValidatorSetHash: setHash,
        proposer: new Uint8Array(20),
        protocolVersion: PROTOCOL_VERSION,
        txCount: 0,
        lastCommitHash: NO_COMMIT_HASH,
      };
      const hash = blockHash(this.suite, header);
      const block: Block = { header, txs: [], lastCommit: null, commit: { height: 0, round: 0, blockHash: hash, signatures: [] } };
      await this.write({ header, hash, txs: [], txHashes: [], senders: [], receipts: [], receiptBytes: [], changes, nodes: nodes.added }, block);
    }
    const head = decodeBlock(requireBlock(this.store, this.store.headHeight() as number));
    this.headHeader = head.header;
    this.headHash = blockHash(this.suite, head.header);
    this.headCommit = head.commit;
  }

  readonly hashFn = (d: Uint8Array): Uint8Array => this.suite.hash(d);

  // ---- Application ----

  head(): { height: number; hash: Uint8Array; time: number } {
    return { height: this.headHeader.height, hash: this.headHash, time: this.headHeader.time };
  }

  headBlockHeader(): BlockHeader {
    return this.headHeader;
  }

  /** The commit certificate this node stored with its head block. */
  headCertificate(): CommitCertificate {
    return this.headCommit;
  }

  /**
   * The validator set that signs block `height` (1 <= height <= head + 1): the `validators/set`
   * entry of the state after block height-1, so it is known one block ahead and proved by state.
   */
  validatorsAt(height: number): Validator[] {
    return this.validatorSet(height).validators;
  }

  validatorSet(height: number): { validators: Validator[]; hash: Uint8Array } {
    if (height <= 0) return { validators: this.genesisSet, hash: validatorSetHash(this.suite, this.genesisSet) };
    const cached = this.setCache.get(height);
    if (cached) return cached;
    if (height > this.headHeader.height + 1) throw new CivitasError(ErrorCode.BLOCK_NOT_FOUND, `the validator set of height ${height} is not known yet (head is ${this.headHeader.height})`, { height });
    const raw =
      height === this.headHeader.height + 1
        ? this.committedState.get(SET_KEY)
        : new SparseMerkleTree(this.hashFn, new BufferedNodes(this.store)).get(this.requireHeader(height - 1).stateRoot, utf8(SET_KEY));
    const validators = this.toValidators(raw);
    const entry = { validators, hash: validatorSetHash(this.suite, validators) };
    this.setCache.set(height, entry);
    for (const h of this.setCache.keys()) if (h < height - 8 || h > height + 8) this.setCache.delete(h);
    return entry;
  }

  private toValidators(raw: Uint8Array | undefined): Validator[] {
    return sortValidators(decodeValidatorSet(raw).map((v) => ({ address: fromHex(this.suite.address(v.publicKey)), publicKey: v.publicKey, power: v.power })));
  }

  private requireHeader(height: number): BlockHeader {
    return decodeBlock(requireBlock(this.store, height)).header;
  }

  pendingTxs(): number {
    return this.mempool?.size ?? 0;
  }

  /**
   * Block time. BFT chains take the power-weighted median of the previous block's commit vote
   * times (bounded by honest validators' clocks, so no single proposer moves time); solo chains
   * take the proposer's clock. Either way strictly increasing.
   */
  private blockTime(lastCommit: CommitCertificate | null, proposerTime: number): number {
    const floor = this.headHeader.time + 1;
    if (this.genesis.consensus !== "bft") return Math.max(proposerTime, floor);
    if (!lastCommit) return floor;
    return Math.max(commitTime(lastCommit, this.validatorsAt(this.headHeader.height)), floor);
  }

  async propose(args: { height: number; time: number; proposer: Uint8Array; empty?: boolean }): Promise<ProposedBlock> {
    assert(args.height === this.headHeader.height + 1, "proposal must extend the head");
    const mempool = args.empty ? undefined : this.mempool;
    const lastCommit = this.headHeader.height === 0 ? null : this.headCommit;
    const time = this.blockTime(lastCommit, args.time);
    const run = this.executor.beginBlock(this.committedState, { chain: this.genesis.chainId, height: args.height, time, authority: this.genesis.authority });
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
    const executed = this.finishBlock(run, { height: args.height, time, proposer: args.proposer, lastCommit }, txs, txHashes, senders, receipts);
    this.proposals.set(toHex(executed.hash), executed);
    return { header: executed.header, hash: executed.hash, txs, lastCommit };
  }

  private finishBlock(
    run: ReturnType<Executor["beginBlock"]>,
    args: { height: number; time: number; proposer: Uint8Array; lastCommit: CommitCertificate | null },
    txs: Uint8Array[],
    txHashes: Uint8Array[],
    senders: Uint8Array[],
    receipts: Receipt[],
  ): Executed {
    const changes = run.finish();
    const setChange = changes.find((c) => c.key.length === SET_KEY_BYTES.length && equalBytes(c.key, SET_KEY_BYTES));
    const current = this.validatorSet(args.height);
    const nextHash = setChange ? validatorSetHash(this.suite, this.toValidators(setChange.value)) : current.hash;
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
      validatorSetHash: current.hash,
      nextValidatorSetHash: nextHash,
      proposer: args.proposer,
      protocolVersion: PROTOCOL_VERSION,
      txCount: txs.length,
      lastCommitHash: lastCommitHash(this.suite, args.lastCommit),
    };
    return { header, hash: blockHash(this.suite, header), txs, txHashes, senders, receipts, receiptBytes, changes, nodes: nodes.added };
  }

  async validate(block: BlockBody): Promise<{ ok: true } | { ok: false; reason: string }> {
    try {
      // This node's own proposal (or a block it already validated) was executed here with
      // exactly these header commitments; the body must still be the one that was executed.
      const known = this.proposals.get(toHex(blockHash(this.suite, block.header)));
      if (known && sameBody(known, block, this.suite)) return { ok: true };
      await this.execute(block);
      return { ok: true };
    } catch (e) {
      return { ok: false, reason: (e as Error).message };
    }
  }

  /** Re-executes a block received from elsewhere and checks every header commitment. */
  private async execute(block: BlockBody): Promise<Executed> {
    const h = block.header;
    const fail = (why: string): never => {
      throw new CivitasError(ErrorCode.BLOCK_INVALID, `block ${h.height}: ${why}`, { height: h.height });
    };
    if (h.chain !== this.genesis.chainId) fail(`chain '${h.chain}' is not '${this.genesis.chainId}'`);
    if (h.height !== this.headHeader.height + 1) fail(`expected height ${this.headHeader.height + 1}`);
    if (!equalBytes(h.prevHash, this.headHash)) fail("prevHash does not match the head");
    if (h.time <= this.headHeader.time) fail("time does not increase");
    if (h.protocolVersion !== PROTOCOL_VERSION) fail(`protocol version ${h.protocolVersion} is not supported`);
    const set = this.validatorSet(h.height);
    if (!equalBytes(h.validatorSetHash, set.hash)) fail("validator set hash mismatch");
    if (!set.validators.some((v) => equalBytes(v.address, h.proposer))) fail("proposer is not a validator");
    if (!equalBytes(h.lastCommitHash, lastCommitHash(this.suite, block.lastCommit))) fail("lastCommitHash does not match the block's lastCommit");
    if (h.height === 1) {
      if (block.lastCommit) fail("block 1 carries no lastCommit");
    } else {
      const lc = block.lastCommit;
      if (!lc) return fail("lastCommit missing");
      if (lc.height !== this.headHeader.height) fail(`lastCommit is for height ${lc.height}, not ${this.headHeader.height}`);
      const check = verifyCommit(this.suite, this.genesis.chainId, this.headHash, lc, this.validatorsAt(this.headHeader.height));
      if (!check.ok) fail(`lastCommit invalid: ${check.reason}`);
    }
    if (this.genesis.consensus === "bft" && h.time !== this.blockTime(block.lastCommit, h.time)) fail(`time ${h.time} is not the median of the lastCommit's vote times (${this.blockTime(block.lastCommit, h.time)})`);
    if (h.txCount !== block.txs.length) fail("txCount does not match the transactions");
    if (block.txs.length > this.genesis.maxBlockTxs) fail("too many transactions");
    if (block.txs.reduce((s, t) => s + t.length, 0) > this.genesis.maxBlockBytes) fail("block too large");
    const decoded: SignedTx[] = [];
    const txHashes: Uint8Array[] = [];
    // Signatures to check: those of transactions this node has not admitted byte for byte
    // (admission verified those already; see Mempool.admittedExactly).
    const unverified: number[] = [];
    for (let i = 0; i < block.txs.length; i++) {
      const raw = block.txs[i];
      if (raw.length > this.genesis.maxTxBytes) fail("transaction over the size limit");
      const tx = decodeSignedTx(raw);
      if (this.suite.address(tx.publicKey) !== "0x" + toHex(tx.body.from)) fail("transaction sender does not match its key");
      const hash = this.suite.hash(tx.bodyBytes);
      decoded.push(tx);
      txHashes.push(hash);
      if (!this.mempool?.admittedExactly(toHex(hash), raw)) unverified.push(i);
    }
    this.verifyStats.skipped += decoded.length - unverified.length;
    this.verifyStats.verified += unverified.length;
    const items = unverified.map((i) => ({ message: txSigningMessage(decoded[i].bodyBytes), signature: decoded[i].signature, publicKey: decoded[i].publicKey }));
    const valid = this.pool ? await this.pool.verify(items) : items.map((it) => this.suite.verify(it.message, it.signature, it.publicKey));
    valid.forEach((ok, k) => ok || fail(`transaction ${unverified[k]} has a bad signature`));
    const run = this.executor.beginBlock(this.committedState, { chain: this.genesis.chainId, height: h.height, time: h.time, authority: this.genesis.authority });
    const receipts: Receipt[] = [];
    for (let i = 0; i < decoded.length; i++) {
      const out = run.applyTx(decoded[i], txHashes[i], this.genesis.maxBlockGas);
      if (!out.included) fail(`transaction ${toHex(txHashes[i])} cannot be included: ${out.error.code}`);
      else receipts.push(out.receipt);
    }
    const executed = this.finishBlock(run, { height: h.height, time: h.time, proposer: h.proposer, lastCommit: block.lastCommit }, block.txs, txHashes, decoded.map((t) => t.body.from), receipts);
    if (!equalBytes(executed.header.txRoot, h.txRoot)) fail("txRoot mismatch");
    if (!equalBytes(executed.header.receiptRoot, h.receiptRoot)) fail("receiptRoot mismatch");
    if (!equalBytes(executed.header.stateRoot, h.stateRoot)) fail("stateRoot mismatch");
    if (!equalBytes(executed.header.nextValidatorSetHash, h.nextValidatorSetHash)) fail("nextValidatorSetHash mismatch");
    if (!equalBytes(executed.hash, blockHash(this.suite, h))) fail("header does not match re-execution");
    this.proposals.set(toHex(executed.hash), executed);
    return executed;
  }

  async commit(block: Block): Promise<void> {
    const hash = blockHash(this.suite, block.header);
    if (block.commit.height !== block.header.height) throw new CivitasError(ErrorCode.BLOCK_INVALID, `block ${block.header.height}: commit certificate is for height ${block.commit.height}`);
    const check = verifyCommit(this.suite, this.genesis.chainId, hash, block.commit, this.validatorsAt(block.header.height));
    if (!check.ok) throw new CivitasError(ErrorCode.BLOCK_INVALID, `block ${block.header.height}: commit certificate invalid: ${check.reason}`);
    const executed = this.proposals.get(toHex(hash)) ?? (await this.execute(block));
    this.proposals.clear();
    await this.write(executed, block);
    this.headHeader = block.header;
    this.headHash = hash;
    this.headCommit = block.commit;
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

  /** Throws the guard's error (ACCOUNT_FROZEN, ...) when `address` may not send transactions in the next block. */
  checkSender(address: string): void {
    const head = this.head();
    this.executor.checkSender(this.committedState, { chain: this.genesis.chainId, height: head.height + 1, time: head.time, authority: this.genesis.authority }, address);
  }

  accountNonce(address: string): number {
    return decodeAccount(this.committedState.get(accountKey(address))).nonce;
  }

  blockBytes(height: number): Uint8Array | undefined {
    return this.store.getBlockBytes(height);
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

function sameBody(e: Executed, block: BlockBody, suite: CryptoSuite): boolean {
  if (e.txs.length !== block.txs.length) return false;
  for (let i = 0; i < e.txs.length; i++) if (!equalBytes(e.txs[i], block.txs[i])) return false;
  return equalBytes(lastCommitHash(suite, block.lastCommit), e.header.lastCommitHash);
}
