/**
 * A light client: follows a chain's headers from a trusted checkpoint by checking every commit
 * certificate and every validator-set change, then verifies transactions (inclusion + receipt),
 * state entries and module queries against headers it has verified itself. The API node it
 * talks to is not trusted: whatever it answers is either proved against a verified header or
 * refused with a `LightClientError` that names the failed check and the height.
 *
 * Trust model. The client trusts its checkpoint (a header hash and the validator set that signs
 * the next block) and the assumption that more than 2/3 of the voting power of every set it
 * follows is honest. From there each header h must
 *   - hash (recomputed from its fields) to what the node claims, name the chain and height h,
 *   - link to the verified header h-1 (prevHash),
 *   - name the set the client trusts for h (validatorSetHash = nextValidatorSetHash of h-1),
 *   - carry a certificate for its hash signed by more than 2/3 of that set's power,
 *   - commit to the lastCommit the node returns (lastCommitHash) and, on BFT chains, have
 *     time = max(weighted median of the lastCommit's vote times, time of h-1 + 1),
 * and when nextValidatorSetHash changes, the new set is fetched and must hash to it (and be
 * proved by a state proof of `validators/set` against h's stateRoot).
 *
 * What it cannot do: detect a node that withholds data (answers "not found" or stops serving),
 * or a fork signed by more than 1/3 faulty power. Like every header-following client, it relies
 * on the keys of validators that have left a set staying safe: if an old set's keys leak, a
 * forged history from an old checkpoint is indistinguishable. Keep checkpoints recent (persist
 * `checkpoint()` after syncing).
 *
 * Only portable code: works in browsers through a bundler, like the rest of the SDK.
 */
import type { SuiteId, CryptoSuite } from "../crypto/suite.js";
import { SUITE_IDS } from "../crypto/suite.js";
import { getPortableSuite } from "../crypto/portable-suites.js";
import { commitTime } from "../consensus/bft/messages.js";
import type { ArgValue } from "../execution/schema.js";
import { ModuleRegistry } from "../execution/registry.js";
import { validateArgs } from "../execution/schema.js";
import type { Module } from "../execution/module.js";
import type { BlockHeader, CommitCertificate } from "../ledger/block.js";
import { blockHash, headerToJson, lastCommitHash, NO_COMMIT_HASH, PROTOCOL_VERSION, verifyCommit } from "../ledger/block.js";
import type { Genesis } from "../ledger/genesis.js";
import { genesisHash, parseGenesis } from "../ledger/genesis.js";
import { rootFromLeafHashes } from "../ledger/merkle.js";
import type { Receipt } from "../ledger/receipt.js";
import { decodeReceipt, receiptToJson } from "../ledger/receipt.js";
import type { SmtProof } from "../ledger/smt-proof.js";
import type { SignedTx } from "../ledger/tx.js";
import { decodeSignedTx, txHash } from "../ledger/tx.js";
import type { Validator } from "../ledger/validators.js";
import { sortValidators, totalPower, validatorSetHash } from "../ledger/validators.js";
import { portableModules } from "../modules/portable.js";
import { decodeValidatorSet } from "../modules/validators/index.js";
import { equalBytes, fromHex, isHex, toHex } from "../util/bytes.js";
import { CivitasError, ErrorCode } from "../util/errors.js";
import { CivitasClient } from "./client.js";
import type { HexInclusionProof } from "./proofs.js";
import { headerFromJson, merkleLeafHash, verifyInclusion, verifyStateProof, verifyTxInclusion } from "./proofs.js";

/** Headers one request may ask for; the node's limit (MAX_HEADERS_PER_REQUEST) is 100. */
export const LIGHT_CLIENT_BATCH = 100;
const VALIDATOR_SET_KEY = "validators/set";
/** Internal constructor option: the genesis document of a `fromGenesis` start. */
const GENESIS = Symbol("genesis");

/**
 * Where a light client starts. An operator obtains it from a node they run (and so trust):
 * `LightClient.fetchCheckpoint(url, height)`, or by hand from `civitas block <h> --json`
 * (`hash`) plus `civitas query validators set --height <h> --json` (`value`: the set that signs
 * h+1). For a chain's very beginning, `LightClient.fromGenesis(genesis)` needs no hash at all.
 */
export interface TrustedCheckpoint {
  chainId: string;
  height: number;
  /** Hash of the header at `height` (hex). */
  headerHash: string;
  /** The validator set that signs block height+1. */
  validators: Array<{ publicKey: string; power: number }>;
  suite: SuiteId;
  /** "bft" (default) also checks block times against the certificates' vote times. */
  consensus?: "bft" | "solo";
}

export interface LightClientOptions {
  fetch?: typeof fetch;
  timeoutMs?: number;
  /** Headers per request, 1-100 (default 100). */
  batchSize?: number;
  /** Verified headers kept in memory (default 10,000); older ones are re-verified by hash links on demand. */
  maxHeaders?: number;
  /** Modules whose queries verifyQuery can re-run locally (default: the portable built-in modules, see modules/portable.ts). */
  modules?: Module[];
}

/** The failed check, so callers (and tests) can tell a forged certificate from a forged proof. */
export type LightClientCheck =
  | "malformed"
  | "checkpoint"
  | "genesis"
  | "headerHash"
  | "chainId"
  | "height"
  | "prevHash"
  | "validatorSetHash"
  | "proposer"
  | "commit"
  | "lastCommit"
  | "lastCommitHash"
  | "time"
  | "validatorSet"
  | "txHash"
  | "txInclusion"
  | "receiptInclusion"
  | "stateProof"
  | "queryValue";

/** A verification failure: code BLOCK_INVALID, `check` names what failed, `height` where. */
export class LightClientError extends CivitasError {
  constructor(
    readonly check: LightClientCheck,
    readonly height: number | undefined,
    message: string,
  ) {
    super(ErrorCode.BLOCK_INVALID, `light client: ${height === undefined ? "" : `height ${height}: `}${check} check failed: ${message}`, { check, ...(height === undefined ? {} : { height }) });
    this.name = "LightClientError";
  }
}

export interface VerifiedHeader {
  height: number;
  hash: string;
  header: BlockHeader;
  /** headerToJson form, for display and for the other SDK verifiers. */
  json: Record<string, unknown>;
}

export interface VerifiedTx {
  hash: string;
  height: number;
  index: number;
  blockHash: string;
  tx: SignedTx;
  /** From the receipt bytes proved against the header's receiptRoot, not from the node's JSON. */
  status: "ok" | "failed";
  code: string | null;
  receipt: Record<string, unknown>;
}

export interface VerifiedState {
  key: string;
  height: number;
  stateRoot: string;
  /** The raw stored bytes, or null when the key is absent (a proved non-membership). */
  value: Uint8Array | null;
}

export interface VerifiedQuery {
  module: string;
  query: string;
  key: string;
  height: number;
  /** Recomputed locally by the module's own query code from the proved bytes. */
  value: unknown;
  raw: Uint8Array | null;
}

export interface SyncResult {
  height: number;
  hash: string;
  /** Headers verified by this call. */
  verified: number;
  /** Validator-set changes followed by this call. */
  setChanges: number;
}

interface VSet {
  validators: Validator[];
  hash: Uint8Array;
}

/** The client's trusted state: the newest verified header and the sets around it. */
interface Anchor {
  height: number;
  hash: Uint8Array;
  header: BlockHeader;
  /** The set that signed `height`, when known (needed for the next block's BFT time). */
  set: VSet | undefined;
  /** The set that signs height+1. */
  nextSet: VSet;
}

interface HeaderItem {
  header: Record<string, unknown>;
  commit: unknown;
  lastCommit: unknown;
}

const obj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const safeUint = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/** Key-sorted JSON (bigints as decimal strings): compares values whatever their key order. */
function stableJson(v: unknown): string {
  if (typeof v === "bigint") return JSON.stringify(v.toString());
  if (Array.isArray(v)) return "[" + v.map(stableJson).join(",") + "]";
  if (v instanceof Uint8Array) return JSON.stringify(toHex(v));
  if (obj(v)) return "{" + Object.keys(v).sort().filter((k) => v[k] !== undefined).map((k) => JSON.stringify(k) + ":" + stableJson(v[k])).join(",") + "}";
  return JSON.stringify(v ?? null);
}

export class LightClient {
  readonly api: CivitasClient;
  readonly chainId: string;
  readonly suiteId: SuiteId;
  readonly consensus: "bft" | "solo";
  private readonly suite: CryptoSuite;
  private readonly checkpointHeight: number;
  private readonly checkpointHash: Uint8Array | undefined;
  private readonly checkpointSet: VSet;
  private readonly genesis: Genesis | undefined;
  private readonly batch: number;
  private readonly maxHeaders: number;
  private readonly registry: ModuleRegistry;
  private trusted: Anchor | undefined;
  private readonly headers = new Map<number, VerifiedHeader>();
  private lock: Promise<unknown> = Promise.resolve();

  constructor(api: string | CivitasClient, checkpoint: TrustedCheckpoint, opts: LightClientOptions = {}) {
    this.api = typeof api === "string" ? new CivitasClient(api, { fetch: opts.fetch, timeoutMs: opts.timeoutMs }) : api;
    const bad = (why: string): never => {
      throw new CivitasError(ErrorCode.CONFIG_INVALID, `light client checkpoint: ${why}`);
    };
    if (!obj(checkpoint)) throw new CivitasError(ErrorCode.CONFIG_INVALID, "light client checkpoint: expected an object");
    const cp = checkpoint as Partial<TrustedCheckpoint>;
    if (typeof cp.chainId !== "string" || cp.chainId.length === 0) bad("chainId must be a non-empty string");
    if (!safeUint(cp.height)) bad("height must be a non-negative integer");
    if (!SUITE_IDS.includes(cp.suite as SuiteId)) bad(`suite must be one of ${SUITE_IDS.join(", ")}`);
    if (cp.consensus !== undefined && cp.consensus !== "bft" && cp.consensus !== "solo") bad("consensus must be bft or solo");
    const g = (opts as { [GENESIS]?: Genesis })[GENESIS];
    if (cp.headerHash === undefined || cp.headerHash === "") {
      if (!g || cp.height !== 0) bad("headerHash is required (only a genesis start may omit it)");
    } else if (!isHex(cp.headerHash, 32) || cp.headerHash.startsWith("0x")) bad("headerHash must be 32 bytes of lowercase hex");
    this.chainId = cp.chainId as string;
    this.suiteId = cp.suite as SuiteId;
    this.consensus = cp.consensus ?? "bft";
    this.suite = getPortableSuite(this.suiteId);
    this.checkpointHeight = cp.height as number;
    this.checkpointHash = cp.headerHash ? fromHex(cp.headerHash) : undefined;
    this.genesis = g;
    let set: VSet | undefined;
    try {
      set = this.makeSet(cp.validators, "checkpoint.validators");
    } catch (e) {
      bad((e as Error).message);
    }
    this.checkpointSet = set as VSet;
    this.batch = Math.max(1, Math.min(LIGHT_CLIENT_BATCH, Math.floor(opts.batchSize ?? LIGHT_CLIENT_BATCH)));
    this.maxHeaders = Math.max(16, Math.floor(opts.maxHeaders ?? 10_000));
    this.registry = new ModuleRegistry(opts.modules ?? portableModules());
  }

  /**
   * Starts at a chain's genesis: the trusted set is the genesis validator set, and header 0 is
   * checked field by field against the genesis document (prevHash = genesis hash, time,
   * empty roots, set hashes). Its stateRoot (the executed genesis state) cannot be recomputed
   * cheaply, so header 0 counts as verified only once block 1, whose prevHash commits to it, is
   * certified by the genesis set. `trustedHash` pins header 0's hash when the operator has it.
   */
  static fromGenesis(api: string | CivitasClient, genesisJson: unknown, opts: LightClientOptions & { trustedHash?: string } = {}): LightClient {
    const g = parseGenesis(typeof genesisJson === "string" ? JSON.parse(genesisJson) : genesisJson);
    return new LightClient(
      api,
      { chainId: g.chainId, height: 0, headerHash: opts.trustedHash ?? "", validators: g.validators.map((v) => ({ publicKey: v.publicKey, power: v.power })), suite: g.cryptoSuite, consensus: g.consensus },
      { ...opts, [GENESIS]: g } as LightClientOptions,
    );
  }

  /**
   * Reads a checkpoint at `height` (default: the head) from a node the caller trusts (one they
   * run), checking that it hangs together: the header hashes to its hash and the set hashes to
   * its nextValidatorSetHash with a valid state proof. Persist the result and hand it to
   * `new LightClient(untrustedUrl, checkpoint)`.
   */
  static async fetchCheckpoint(trustedApi: string | CivitasClient, height?: number, opts: Pick<LightClientOptions, "fetch" | "timeoutMs"> = {}): Promise<TrustedCheckpoint> {
    const api = typeof trustedApi === "string" ? new CivitasClient(trustedApi, opts) : trustedApi;
    const status = await api.status();
    const suiteId = status.chain.cryptoSuite as SuiteId;
    const suite = getPortableSuite(suiteId);
    const block = (await api.getBlock(height ?? "latest")) as unknown as { hash: string; header: Record<string, unknown> };
    const { header } = headerFromJson(block.header);
    const hash = toHex(blockHash(suite, header));
    if (hash !== block.hash) throw new LightClientError("headerHash", header.height, "the block's header does not hash to its hash");
    const vs = await api.request<{ validators: unknown; proof: { key: string; proof: SmtProof } }>("GET", `/v1/validators?height=${header.height + 1}`);
    const set = decodeValidatorSet(fromHex(vs.proof.proof.value ?? ""));
    const validators = set.map((v) => ({ publicKey: toHex(v.publicKey), power: v.power }));
    const probe = new LightClient(api, { chainId: header.chain, height: header.height, headerHash: hash, validators, suite: suiteId });
    if (!equalBytes(probe.checkpointSet.hash, header.nextValidatorSetHash)) throw new LightClientError("validatorSet", header.height, "the set does not hash to the header's nextValidatorSetHash");
    if (vs.proof.key !== VALIDATOR_SET_KEY || !verifyStateProof(vs.proof, toHex(header.stateRoot), suiteId)) throw new LightClientError("validatorSet", header.height, "the set's state proof does not verify");
    return { chainId: header.chain, height: header.height, headerHash: hash, validators, suite: suiteId, consensus: status.chain.consensus === "solo" ? "solo" : "bft" };
  }

  /** Height of the newest verified header (the checkpoint's height before the first sync). */
  get height(): number {
    return this.trusted?.height ?? this.checkpointHeight;
  }

  /** Hash of the newest verified header; null before a genesis start has verified block 1. */
  get hash(): string | null {
    if (this.trusted) return toHex(this.trusted.hash);
    return this.checkpointHash ? toHex(this.checkpointHash) : null;
  }

  /** The validator set the client trusts to sign the next block. */
  validators(): Array<{ address: string; publicKey: string; power: number }> {
    return (this.trusted?.nextSet ?? this.checkpointSet).validators.map((v) => ({ address: "0x" + toHex(v.address), publicKey: toHex(v.publicKey), power: v.power }));
  }

  /** The current trusted state as a checkpoint: persist it to resume later without re-syncing. */
  checkpoint(): TrustedCheckpoint {
    const t = this.trusted;
    if (!t) {
      if (!this.checkpointHash) throw new CivitasError(ErrorCode.STATE_NOT_AVAILABLE, "nothing verified yet: sync past block 1 first");
      return { chainId: this.chainId, height: this.checkpointHeight, headerHash: toHex(this.checkpointHash), validators: this.setJson(this.checkpointSet), suite: this.suiteId, consensus: this.consensus };
    }
    return { chainId: this.chainId, height: t.height, headerHash: toHex(t.hash), validators: this.setJson(t.nextSet), suite: this.suiteId, consensus: this.consensus };
  }

  // ---- following headers ----

  /**
   * Verifies headers from the trusted height up to `toHeight` (default: the node's head) in
   * batches. All or nothing: if any check fails (or the node cannot serve the range), it throws
   * and the trusted state is exactly what it was.
   */
  sync(toHeight?: number): Promise<SyncResult> {
    const run = this.lock.then(() => this.syncLocked(toHeight));
    this.lock = run.catch(() => undefined);
    return run;
  }

  private async syncLocked(toHeight?: number): Promise<SyncResult> {
    if (toHeight !== undefined && !safeUint(toHeight)) throw new CivitasError(ErrorCode.API_BAD_REQUEST, "toHeight must be a non-negative integer");
    let st = this.trusted;
    const staged: VerifiedHeader[] = [];
    let setChanges = 0;
    let next = st ? st.height + 1 : this.checkpointHeight;
    let target = toHeight;
    if (target === undefined) {
      // The node's head is only a target: claiming a lower one merely withholds blocks.
      const health = (await this.api.health()) as unknown;
      if (!obj(health) || !safeUint(health.height)) throw new LightClientError("malformed", undefined, "the health answer names no head height");
      target = health.height;
    }
    if (st && target <= st.height) return this.result(0, 0);
    while (next <= target) {
      const count = Math.min(this.batch, target - next + 1);
      const resp = await this.api.request<unknown>("GET", `/v1/headers?from=${next}&count=${count}`);
      if (!obj(resp) || !Array.isArray(resp.headers)) throw new LightClientError("malformed", next, "the headers answer is not {headers: [...]}");
      const items = resp.headers.slice(0, count);
      if (items.length === 0) {
        throw new CivitasError(ErrorCode.BLOCK_NOT_FOUND, `the node served no header at height ${next}`, { height: next });
      }
      for (const raw of items) {
        if (next > target) break;
        if (!obj(raw) || !obj(raw.header)) throw new LightClientError("malformed", next, "a headers entry is not {header, commit, lastCommit}");
        const item = raw as unknown as HeaderItem;
        const prevNextHash = st?.nextSet.hash;
        st = await this.step(st, item, next);
        if (prevNextHash && !equalBytes(prevNextHash, st.nextSet.hash)) setChanges++;
        staged.push(this.verified(st.header, st.hash));
        next++;
      }
    }
    if (!st) return this.result(0, 0);
    if (this.genesis && !this.checkpointHash && st.height === 0) return this.result(0, 0); // header 0 is not certified until block 1 is
    this.trusted = st;
    for (const v of staged) this.remember(v);
    return this.result(staged.length, setChanges);
  }

  private result(verified: number, setChanges: number): SyncResult {
    return { height: this.height, hash: this.hash ?? "", verified, setChanges };
  }

  /** Checks one header against the state after its predecessor; returns the state after it. */
  private async step(st: Anchor | undefined, item: HeaderItem, h: number): Promise<Anchor> {
    const fail = (check: LightClientCheck, why: string): never => {
      throw new LightClientError(check, h, why);
    };
    let header: BlockHeader;
    let claimed: string;
    try {
      ({ header, hash: claimed } = headerFromJson(item.header));
    } catch (e) {
      return fail("malformed", (e as Error).message);
    }
    const hash = blockHash(this.suite, header);
    if (claimed !== "" && claimed !== toHex(hash)) fail("headerHash", `the header's fields hash to ${toHex(hash)}, not to the hash ${claimed} the node gives`);
    if (header.chain !== this.chainId) fail("chainId", `header is for chain '${header.chain}', not '${this.chainId}'`);
    if (header.height !== h) fail("height", `expected header ${h}, got ${header.height}`);

    if (!st) {
      // The checkpoint's own header: trusted by its pinned hash (or, at genesis, by its fields).
      if (this.checkpointHash && !equalBytes(hash, this.checkpointHash)) fail("checkpoint", `header hash ${toHex(hash)} is not the checkpoint's ${toHex(this.checkpointHash)}`);
      if (this.genesis) this.checkGenesisHeader(header, fail);
      if (!equalBytes(header.nextValidatorSetHash, this.checkpointSet.hash)) fail("checkpoint", "the checkpoint's validator set does not hash to the header's nextValidatorSetHash");
      const set = equalBytes(header.validatorSetHash, header.nextValidatorSetHash) ? this.checkpointSet : undefined;
      return { height: h, hash, header, set, nextSet: this.checkpointSet };
    }

    const set = st.nextSet;
    if (!equalBytes(header.prevHash, st.hash)) fail("prevHash", `prevHash ${toHex(header.prevHash)} is not the hash of verified header ${h - 1} (${toHex(st.hash)})`);
    if (!equalBytes(header.validatorSetHash, set.hash)) fail("validatorSetHash", `header names validator set ${toHex(header.validatorSetHash)}, but block ${h} must be signed by ${toHex(set.hash)} (nextValidatorSetHash of block ${h - 1})`);
    if (!set.validators.some((v) => equalBytes(v.address, header.proposer))) fail("proposer", `proposer 0x${toHex(header.proposer)} is not in the validator set`);
    const commit = this.parseCommit(item.commit, (why) => fail("commit", why));
    if (commit.height !== h) fail("commit", `certificate is for height ${commit.height}`);
    const ok = verifyCommit(this.suite, this.chainId, hash, commit, set.validators);
    if (!ok.ok) fail("commit", ok.reason);
    if (header.time <= st.header.time) fail("time", `time ${header.time} does not increase over ${st.header.time}`);

    if (item.lastCommit === undefined) fail("lastCommit", "the node did not return the block's lastCommit");
    const lc = item.lastCommit === null ? null : this.parseCommit(item.lastCommit, (why) => fail("lastCommit", why));
    if (!equalBytes(header.lastCommitHash, lastCommitHash(this.suite, lc))) fail("lastCommitHash", "the lastCommit returned does not hash to the header's lastCommitHash");
    if (h === 1 ? lc !== null : lc === null || lc.height !== h - 1 || !equalBytes(lc.blockHash, st.hash)) fail("lastCommit", `block ${h}'s lastCommit is not a certificate of block ${h - 1}`);
    if (this.consensus === "bft") {
      let expected = st.header.time + 1;
      if (lc) {
        const prevSet = st.set ?? (await this.fetchSet(h - 1, st.header.validatorSetHash, undefined, "validatorSet"));
        if (lc.signatures.length === 0 || !lc.signatures.every((s) => prevSet.validators.some((v) => equalBytes(v.address, s.validator)))) fail("lastCommit", `the lastCommit has signers outside block ${h - 1}'s validator set`);
        expected = Math.max(commitTime(lc, prevSet.validators), expected);
      }
      if (header.time !== expected) fail("time", `time ${header.time} is not max(weighted median of the lastCommit's vote times, previous time + 1) = ${expected}`);
    }

    let nextSet = set;
    if (!equalBytes(header.nextValidatorSetHash, header.validatorSetHash)) {
      nextSet = await this.fetchSet(h + 1, header.nextValidatorSetHash, header.stateRoot, "validatorSet");
    }
    return { height: h, hash, header, set, nextSet };
  }

  private checkGenesisHeader(header: BlockHeader, fail: (c: LightClientCheck, why: string) => never): void {
    const g = this.genesis as Genesis;
    const empty = rootFromLeafHashes((d) => this.suite.hash(d), []);
    if (!equalBytes(header.prevHash, genesisHash(this.suite, g))) fail("genesis", "header 0's prevHash is not the hash of the genesis document");
    if (header.time !== g.genesisTime) fail("genesis", "header 0's time is not genesisTime");
    if (header.txCount !== 0 || !equalBytes(header.txRoot, empty) || !equalBytes(header.receiptRoot, empty)) fail("genesis", "header 0 claims transactions");
    if (!equalBytes(header.validatorSetHash, this.checkpointSet.hash)) fail("genesis", "header 0's validatorSetHash is not the genesis set's");
    if (!equalBytes(header.proposer, new Uint8Array(20)) || !equalBytes(header.lastCommitHash, NO_COMMIT_HASH) || header.protocolVersion !== PROTOCOL_VERSION) fail("genesis", "header 0 has a proposer, a lastCommit or another protocol version");
  }

  private parseCommit(j: unknown, fail: (why: string) => never): CommitCertificate {
    if (!obj(j)) return fail("certificate missing or not an object");
    if (!safeUint(j.height) || !safeUint(j.round)) return fail("certificate height/round malformed");
    if (!isHex(j.blockHash, 32)) return fail("certificate blockHash malformed");
    if (!Array.isArray(j.signatures) || j.signatures.length > 10_000) return fail("certificate signatures malformed");
    const signatures = j.signatures.map((s: unknown, i: number) => {
      if (!obj(s) || !isHex(s.validator, 20) || !safeUint(s.time) || !isHex(s.signature) || (s.signature as string).length > 512) return fail(`signature ${i} malformed`);
      return { validator: fromHex(s.validator as string), time: s.time as number, signature: fromHex(s.signature as string) };
    });
    return { height: j.height, round: j.round, blockHash: fromHex(j.blockHash as string), signatures };
  }

  /** Builds a set from [{publicKey, power}] (addresses derived here, never taken from the node). */
  private makeSet(list: unknown, what: string): VSet {
    if (!Array.isArray(list) || list.length === 0 || list.length > 1000) throw new TypeError(`${what} must list 1 to 1000 validators`);
    const vs = list.map((v: unknown, i: number) => {
      if (!obj(v) || typeof v.publicKey !== "string" || !isHex(v.publicKey) || v.publicKey.startsWith("0x")) throw new TypeError(`${what}[${i}].publicKey must be lowercase hex`);
      const publicKey = fromHex(v.publicKey);
      if (!this.suite.isValidPublicKey(publicKey)) throw new TypeError(`${what}[${i}].publicKey is not a valid ${this.suiteId} key`);
      if (!safeUint(v.power) || v.power < 1 || v.power > 1_000_000) throw new TypeError(`${what}[${i}].power must be an integer in [1, 1000000]`);
      return { address: fromHex(this.suite.address(publicKey)), publicKey, power: v.power };
    });
    let sorted: Validator[];
    try {
      sorted = sortValidators(vs);
    } catch {
      throw new TypeError(`${what} lists a validator twice`);
    }
    if (totalPower(sorted) > 1_000_000) throw new TypeError(`${what} has more than 1000000 total power`);
    return { validators: sorted, hash: validatorSetHash(this.suite, sorted) };
  }

  private setJson(s: VSet): Array<{ publicKey: string; power: number }> {
    return s.validators.map((v) => ({ publicKey: toHex(v.publicKey), power: v.power }));
  }

  /**
   * Fetches the set that signs `height` and requires it to hash to `expectedHash` (a hash from a
   * verified header). With `stateRoot` (that of block height-1), the node's state proof of
   * `validators/set` must verify against it and hold the same set.
   */
  private async fetchSet(height: number, expectedHash: Uint8Array, stateRoot: Uint8Array | undefined, check: LightClientCheck): Promise<VSet> {
    const at = height - 1; // the header the failure is about
    const fail = (why: string): never => {
      throw new LightClientError(check, at, why);
    };
    const r = await this.api.request<unknown>("GET", `/v1/validators?height=${height}`);
    if (!obj(r) || r.height !== height) return fail(`the node's validator set answer is not for height ${height}`);
    let set: VSet;
    try {
      set = this.makeSet(
        Array.isArray(r.validators) ? r.validators.map((v: unknown) => (obj(v) ? { publicKey: v.publicKey, power: v.power } : v)) : r.validators,
        "validators",
      );
    } catch (e) {
      return fail(`the node's validator set is malformed: ${(e as Error).message}`);
    }
    if (!equalBytes(set.hash, expectedHash)) fail(`the validator set the node gives for block ${height} hashes to ${toHex(set.hash)}, not to ${toHex(expectedHash)} (committed by verified header ${at}${stateRoot ? " as nextValidatorSetHash" : ""})`);
    if (stateRoot) {
      const p = r.proof;
      if (!obj(p) || p.key !== VALIDATOR_SET_KEY || !obj(p.proof)) return fail("the validator set comes without a state proof of validators/set");
      if (!verifyStateProof({ key: VALIDATOR_SET_KEY, proof: p.proof as unknown as SmtProof }, toHex(stateRoot), this.suiteId)) fail(`the state proof of validators/set does not verify against header ${at}'s stateRoot`);
      let proved: VSet;
      try {
        const raw = (p.proof as unknown as SmtProof).value;
        proved = this.makeSet(decodeValidatorSet(raw ? fromHex(raw) : undefined).map((v) => ({ publicKey: toHex(v.publicKey), power: v.power })), "validators/set");
      } catch (e) {
        return fail(`the proved validators/set does not decode: ${(e as Error).message}`);
      }
      if (!equalBytes(proved.hash, set.hash)) fail("the proved validators/set differs from the set the node lists");
    }
    return set;
  }

  private verified(header: BlockHeader, hash: Uint8Array): VerifiedHeader {
    return { height: header.height, hash: toHex(hash), header, json: headerToJson(header, hash) };
  }

  private remember(v: VerifiedHeader): void {
    this.headers.set(v.height, v);
    if (this.headers.size <= this.maxHeaders) return;
    // Evict the lowest heights; the trusted head always stays (it anchors backward checks).
    const keep = this.trusted?.height;
    for (const h of [...this.headers.keys()].sort((a, b) => a - b)) {
      if (this.headers.size <= this.maxHeaders) break;
      if (h !== keep) this.headers.delete(h);
    }
  }

  /**
   * A verified header. Above the trusted height: syncs up to it. Below it (before the checkpoint
   * or evicted): fetched and checked by hash links back from the nearest verified header above.
   */
  async header(height: number): Promise<VerifiedHeader> {
    if (!safeUint(height)) throw new CivitasError(ErrorCode.API_BAD_REQUEST, "height must be a non-negative integer");
    const known = this.headers.get(height);
    if (known) return known;
    // A genesis start has nothing verified until block 1 certifies header 0.
    if (!this.trusted) await this.sync(Math.max(height, this.checkpointHeight + (this.checkpointHash ? 0 : 1)));
    if (this.trusted && height > this.trusted.height) await this.sync(height);
    const again = this.headers.get(height);
    if (again) return again;
    const t = this.trusted;
    if (!t || height > t.height) throw new CivitasError(ErrorCode.BLOCK_NOT_FOUND, `header ${height} is not verified`, { height });
    let above = t.height;
    for (const h of this.headers.keys()) if (h > height && h < above) above = h;
    const anchor = above === t.height ? this.verified(t.header, t.hash) : (this.headers.get(above) as VerifiedHeader);
    // Collect [height, above) ascending, then check the links from the top down.
    const got: BlockHeader[] = [];
    for (let from = height; from < above; ) {
      const count = Math.min(this.batch, above - from);
      const resp = await this.api.request<unknown>("GET", `/v1/headers?from=${from}&count=${count}`);
      if (!obj(resp) || !Array.isArray(resp.headers) || resp.headers.length === 0) throw new LightClientError("malformed", from, "the node served no headers");
      for (const item of resp.headers.slice(0, count)) {
        try {
          got.push(headerFromJson((item as HeaderItem).header).header);
        } catch (e) {
          throw new LightClientError("malformed", from, (e as Error).message);
        }
        from++;
      }
    }
    let link = anchor.header.prevHash;
    const out: VerifiedHeader[] = [];
    for (let i = got.length - 1; i >= 0; i--) {
      const h = above - (got.length - i);
      const hd = got[i];
      if (hd.height !== h) throw new LightClientError("height", h, `expected header ${h}, got ${hd.height}`);
      if (hd.chain !== this.chainId) throw new LightClientError("chainId", h, `header is for chain '${hd.chain}'`);
      const hash = blockHash(this.suite, hd);
      if (!equalBytes(hash, link)) throw new LightClientError("prevHash", h, `header ${h} hashes to ${toHex(hash)}, but verified header ${h + 1} links to ${toHex(link)}`);
      out.push(this.verified(hd, hash));
      link = hd.prevHash;
    }
    for (const v of out) this.remember(v);
    return out[out.length - 1];
  }

  /** Syncs once if nothing is verified yet; returns the trusted height. */
  private async ensureTrusted(): Promise<number> {
    if (!this.trusted) await this.sync();
    if (!this.trusted) throw new CivitasError(ErrorCode.BLOCK_NOT_FOUND, "no certified header yet: the chain has not produced block 1");
    return this.trusted.height;
  }

  // ---- verifying answers ----

  /**
   * Fetches a committed transaction and proves it: its bytes hash to `hash`, sit in the txRoot
   * of the verified header at its height, and its receipt (the bytes, not the node's JSON) sits
   * at the same index in that header's receiptRoot. Returns the receipt's verified status.
   */
  async verifyTx(hash: string): Promise<VerifiedTx> {
    const want = hash.replace(/^0x/, "");
    if (!isHex(want, 32)) throw new CivitasError(ErrorCode.API_BAD_REQUEST, "hash must be 32 bytes of hex");
    const r = await this.api.getTx(want);
    if (r.status !== "committed") throw new CivitasError(ErrorCode.TX_NOT_FOUND, `transaction ${want} is not committed (the node says ${String(r.status)})`, { hash: want });
    if (!safeUint(r.height) || !safeUint(r.index) || typeof r.raw !== "string" || !obj(r.proof)) throw new LightClientError("malformed", undefined, "the transaction answer lacks height, index, raw bytes or proof");
    const height = r.height;
    const fail = (check: LightClientCheck, why: string): never => {
      throw new LightClientError(check, height, why);
    };
    let tx: SignedTx;
    try {
      tx = decodeSignedTx(fromHex(r.raw));
    } catch (e) {
      return fail("txHash", `the transaction bytes do not decode: ${(e as Error).message}`);
    }
    if (toHex(txHash(this.suite, tx)) !== want) fail("txHash", "the transaction bytes the node returns do not hash to the requested hash");
    const vh = await this.header(height);
    const proof = r.proof as HexInclusionProof;
    if (proof.root !== toHex(vh.header.txRoot)) fail("txInclusion", `the proof's root is not the txRoot of verified header ${height}`);
    if (proof.index !== r.index) fail("txInclusion", "the proof's index is not the transaction's index");
    if (!verifyTxInclusion({ proof, header: vh.json }, r.raw, this.suiteId)) fail("txInclusion", `the inclusion proof does not verify against verified header ${height}'s txRoot (${vh.header.txCount} transactions)`);

    const rr = await this.api.request<unknown>("GET", `/v1/proofs/receipt/${want}`);
    if (!obj(rr) || typeof rr.raw !== "string" || !obj(rr.proof)) return fail("receiptInclusion", "the receipt answer is malformed");
    const rp = rr.proof as unknown as HexInclusionProof;
    if (rr.height !== height || rr.index !== r.index || rp.index !== r.index) fail("receiptInclusion", "the receipt is not at the transaction's height and index");
    if (rp.root !== toHex(vh.header.receiptRoot) || rp.treeSize !== vh.header.txCount) fail("receiptInclusion", `the receipt proof is not against verified header ${height}'s receiptRoot`);
    let receiptLeaf: string;
    try {
      receiptLeaf = merkleLeafHash(rr.raw, this.suiteId);
    } catch {
      return fail("receiptInclusion", "the receipt bytes are not hex");
    }
    if (rp.leafHash !== receiptLeaf || !verifyInclusion(rp, this.suiteId)) fail("receiptInclusion", "the receipt inclusion proof does not verify");
    let receipt: Receipt;
    try {
      receipt = decodeReceipt(fromHex(rr.raw));
    } catch (e) {
      return fail("receiptInclusion", `the receipt bytes do not decode: ${(e as Error).message}`);
    }
    if (toHex(receipt.txHash) !== want) fail("receiptInclusion", "the proved receipt belongs to another transaction");
    return { hash: want, height, index: r.index, blockHash: vh.hash, tx, status: receipt.status, code: receipt.code, receipt: receiptToJson(receipt) };
  }

  /**
   * A raw state entry (full key, e.g. `token/bal/0x...`) at `height` (default: the trusted
   * height), proved against that verified header's stateRoot. null means proved absent.
   */
  async verifyState(key: string, height?: number): Promise<VerifiedState> {
    const h = height ?? (await this.ensureTrusted());
    const vh = await this.header(h);
    const fail = (why: string): never => {
      throw new LightClientError("stateProof", h, why);
    };
    const a = await this.api.request<unknown>("GET", `/v1/proofs/state?key=${encodeURIComponent(key)}&height=${h}`);
    if (!obj(a) || !obj(a.proof)) return fail("the state answer is malformed");
    const proof = a.proof as unknown as SmtProof;
    if (a.height !== h || a.key !== key) fail(`the answer is for ${String(a.key)} at ${String(a.height)}`);
    if (a.stateRoot !== toHex(vh.header.stateRoot)) fail(`the node's stateRoot is not the stateRoot of verified header ${h}`);
    if (!verifyStateProof({ key, proof }, toHex(vh.header.stateRoot), this.suiteId)) fail(`the proof of ${key} does not verify against verified header ${h}'s stateRoot`);
    if ((a.value ?? null) !== proof.value) fail("the value the node gives is not the value its proof proves");
    return { key, height: h, stateRoot: toHex(vh.header.stateRoot), value: proof.value === null ? null : fromHex(proof.value) };
  }

  /**
   * A module query at `height` (default: the trusted height): the proof of the key it read must
   * verify against the verified header's stateRoot, and the module's query code, re-run here on
   * the proved bytes, must give the value the node gave. Returns the locally computed value.
   */
  async verifyQuery(module: string, query: string, args: Record<string, string | number | bigint> = {}, height?: number): Promise<VerifiedQuery> {
    const { def } = this.registry.query(module, query);
    const typed: Record<string, bigint | string | number> = {};
    for (const [k, v] of Object.entries(args)) typed[k] = def.args[k]?.type === "uint" && typeof v === "string" && /^[0-9]{1,20}$/.test(v) ? BigInt(v) : v;
    const parsed: Record<string, ArgValue> = validateArgs(def.args, typed, `${module}.${query}`);
    const h = height ?? (await this.ensureTrusted());
    const vh = await this.header(h);
    const fail = (check: LightClientCheck, why: string): never => {
      throw new LightClientError(check, h, why);
    };
    const a = (await this.api.query(module, query, args, h)) as unknown;
    if (!obj(a) || typeof a.key !== "string" || !obj(a.proof)) return fail("stateProof", "the query answer is malformed");
    const proof = a.proof as unknown as SmtProof;
    if (a.height !== h) fail("stateProof", `the answer is for height ${String(a.height)}`);
    if (!a.key.startsWith(module + "/")) fail("stateProof", `the proved key ${a.key} is outside module ${module}`);
    if (!verifyStateProof({ key: a.key, proof }, toHex(vh.header.stateRoot), this.suiteId)) fail("stateProof", `the proof of ${a.key} does not verify against verified header ${h}'s stateRoot`);
    const raw = proof.value === null ? null : fromHex(proof.value);
    const proved = a.key;
    let local: { key: string; value: unknown };
    try {
      local = def.run(
        {
          height: h,
          get: (k) => {
            if (`${module}/${k}` !== proved) throw new LightClientError("queryValue", h, `the query reads ${module}/${k}, which the node did not prove`);
            return raw ?? undefined;
          },
        },
        parsed,
      );
    } catch (e) {
      if (e instanceof LightClientError) throw e;
      return fail("queryValue", `the proved bytes do not decode: ${(e as Error).message}`);
    }
    if (`${module}/${local.key}` !== proved) fail("queryValue", `the node proved ${proved}, but the query answers from ${module}/${local.key}`);
    if (stableJson(local.value) !== stableJson(a.value)) fail("queryValue", `the node's value ${stableJson(a.value)} is not the proved value ${stableJson(local.value)}`);
    return { module, query, key: proved, height: h, value: local.value, raw };
  }
}
