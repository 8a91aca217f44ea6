/**
 * The deterministic state machine: (state, block) -> (state changes, receipts).
 *
 * Nothing here reads a clock, a random source, or iterates an unordered collection into the
 * result: the block supplies height and time, modules see only their key space, and the change
 * set is emitted sorted by key bytes. Replaying the same blocks on the same genesis state gives
 * the same state root on every node.
 */
import { decode, encode, FieldReader } from "../codec/index.js";
import type { Obj } from "../codec/index.js";
import type { Receipt, Event } from "../ledger/receipt.js";
import type { SignedTx } from "../ledger/tx.js";
import { addressHex } from "../ledger/tx.js";
import { compareBytes, fromHex, utf8 } from "../util/bytes.js";
import { assert, CivitasError, ErrorCode, isCivitasError } from "../util/errors.js";
import type { CryptoSuite } from "../crypto/suite.js";
import { GAS, GasMeter, intrinsicGas } from "./gas.js";
import type { CallContext, EndBlockContext, ExecCrypto, GenesisContext, GenesisInput, GuardContext, Module } from "./module.js";
import type { ModuleRegistry } from "./registry.js";
import { CORE_PREFIX } from "./registry.js";

export interface StateReader {
  get(key: string): Uint8Array | undefined;
}

export interface BlockContext {
  chain: string;
  height: number;
  time: number;
  authority: string;
}

export interface StateChange {
  key: Uint8Array;
  /** undefined = delete */
  value: Uint8Array | undefined;
}

export interface AccountRecord {
  nonce: number;
}

export type TxOutcome = { included: true; receipt: Receipt } | { included: false; error: CivitasError };

export function accountKey(address: string): string {
  return `${CORE_PREFIX}/acct/${address}`;
}

export function decodeAccount(bytes: Uint8Array | undefined): AccountRecord {
  if (!bytes) return { nonce: 0 };
  const f = FieldReader.of(decode(bytes), "account").knownFields("nonce");
  return { nonce: f.uint("nonce") };
}

export function encodeAccount(a: AccountRecord): Uint8Array {
  return encode({ nonce: a.nonce });
}

/** Reads through a write overlay; `null` in the overlay means deleted. */
class Overlay implements StateReader {
  readonly writes = new Map<string, Uint8Array | null>();
  constructor(private readonly parent: StateReader) {}
  get(key: string): Uint8Array | undefined {
    const w = this.writes.get(key);
    if (w !== undefined) return w ?? undefined;
    return this.parent.get(key);
  }
  set(key: string, value: Uint8Array | null): void {
    this.writes.set(key, value);
  }
}

const EVENT_TYPE = /^[A-Za-z][A-Za-z0-9]{0,63}$/;
const MAX_EVENTS_PER_TX = 256;

/** The deterministic slice of a crypto suite that modules may use. */
export function execCrypto(suite: Pick<CryptoSuite, "id" | "isValidPublicKey" | "verify" | "address">): ExecCrypto {
  return { suite: suite.id, isValidPublicKey: (pk) => suite.isValidPublicKey(pk), verify: (m, sig, pk) => suite.verify(m, sig, pk), address: (pk) => suite.address(pk) };
}

export class Executor {
  constructor(
    private readonly registry: ModuleRegistry,
    private readonly crypto: ExecCrypto,
  ) {}

  /** The state a chain starts with: every module's genesis entries. */
  genesisChanges(genesis: GenesisInput): StateChange[] {
    const writes = new Map<string, Uint8Array>();
    for (const m of this.registry.list()) {
      if (!m.initGenesis) continue;
      const ctx: GenesisContext = {
        set: (k, v) => writes.set(`${m.name}/${k}`, v),
        get: (k) => writes.get(`${m.name}/${k}`),
      };
      m.initGenesis(ctx, genesis, this.crypto);
    }
    return sortChanges([...writes].map(([k, v]) => [k, v]));
  }

  beginBlock(base: StateReader, ctx: BlockContext): BlockRun {
    return new BlockRun(this.registry, base, ctx, this.crypto);
  }

  /**
   * The sender checks of every guard against `state` (the committed state, for admission):
   * throws the guard's error when the account may not send transactions.
   */
  checkSender(state: StateReader, ctx: BlockContext, sender: string): void {
    for (const m of this.registry.guarded()) m.guard?.checkSender?.(guardContext(state, ctx, sender, this.crypto));
  }
}

function guardContext(base: StateReader, ctx: BlockContext, sender: string, crypto: ExecCrypto): GuardContext {
  return {
    chain: ctx.chain,
    height: ctx.height,
    time: ctx.time,
    sender,
    authority: ctx.authority,
    crypto,
    read: (module, key) => base.get(`${module}/${key}`),
  };
}

function sortChanges(entries: Array<[string, Uint8Array | null]>): StateChange[] {
  const out = entries.map(([k, v]) => ({ key: utf8(k), value: v ?? undefined }));
  out.sort((a, b) => compareBytes(a.key, b.key));
  for (let i = 1; i < out.length; i++) assert(compareBytes(out[i - 1].key, out[i].key) < 0, "duplicate key in change set");
  return out;
}

export class BlockRun {
  private readonly state: Overlay;
  private finished = false;
  private readonly guarded: Module[];
  gasUsed = 0;

  constructor(
    private readonly registry: ModuleRegistry,
    private readonly base: StateReader,
    private readonly ctx: BlockContext,
    private readonly crypto: ExecCrypto,
  ) {
    this.state = new Overlay(base);
    this.guarded = registry.guarded();
  }

  /** Current (in-block) view, used by the proposer to check nonces while it builds. */
  get(key: string): Uint8Array | undefined {
    return this.state.get(key);
  }

  /**
   * Applies one transaction whose signature has already been verified. A transaction that
   * cannot be included at all (wrong nonce, expired, over the block's gas) changes nothing and
   * is reported as not included; one that runs and fails is included with a failed receipt,
   * its calls reverted and its nonce consumed.
   */
  applyTx(tx: SignedTx, hash: Uint8Array, maxBlockGas: number): TxOutcome {
    assert(!this.finished, "applyTx after finish");
    const sender = addressHex(tx.body.from);
    const acctKey = accountKey(sender);
    const account = decodeAccount(this.state.get(acctKey));
    if (tx.body.chain !== this.ctx.chain) return notIncluded(ErrorCode.TX_WRONG_CHAIN, `transaction is for chain '${tx.body.chain}'`);
    if (tx.body.nonce < account.nonce) return notIncluded(ErrorCode.TX_NONCE_TOO_LOW, `nonce ${tx.body.nonce} already used; next is ${account.nonce}`, { expected: account.nonce });
    if (tx.body.nonce > account.nonce) return notIncluded(ErrorCode.TX_NONCE_TOO_HIGH, `nonce ${tx.body.nonce} is ahead; next is ${account.nonce}`, { expected: account.nonce });
    if (tx.body.expires < this.ctx.time) return notIncluded(ErrorCode.TX_EXPIRED, "transaction expired before this block");
    const intrinsic = intrinsicGas(tx.bytes.length, tx.body.calls.length);
    if (tx.body.gasLimit < intrinsic) return notIncluded(ErrorCode.TX_GAS_LIMIT_TOO_LOW, `gas limit ${tx.body.gasLimit} is below the intrinsic cost ${intrinsic}`);
    if (this.gasUsed + tx.body.gasLimit > maxBlockGas) return notIncluded(ErrorCode.TX_GAS_LIMIT_TOO_HIGH, "transaction does not fit in the block's remaining gas");
    // Guards read the block's base state: a freeze or a policy change applies from the next block.
    const guardCtx = this.guarded.length ? guardContext(this.base, this.ctx, sender, this.crypto) : undefined;
    if (guardCtx) {
      try {
        for (const m of this.guarded) m.guard?.checkSender?.(guardCtx);
      } catch (e) {
        if (isCivitasError(e)) return { included: false, error: e };
        throw e;
      }
    }

    const meter = new GasMeter(tx.body.gasLimit);
    meter.charge(intrinsic, "intrinsic cost");
    const txState = new Overlay(this.state);
    const events: Event[] = [];
    let failure: CivitasError | undefined;
    try {
      for (const call of tx.body.calls) {
        const { def, args } = this.registry.checkCall(call);
        meter.charge(def.gas, `${call.module}.${call.method}`);
        if (guardCtx) {
          for (const m of this.guarded) {
            if (!m.guard?.checkCall) continue;
            meter.charge(m.guard.gasPerCall ?? 0, `${m.name} guard`);
            m.guard.checkCall(guardCtx, { module: call.module, method: call.method, args });
          }
        }
        def.run(this.callContext(call.module, sender, txState, meter, events), args);
      }
    } catch (e) {
      failure = isCivitasError(e) ? e : new CivitasError(ErrorCode.INTERNAL, `module error: ${(e as Error).message}`);
    }
    if (!failure) for (const [k, v] of txState.writes) this.state.set(k, v);
    this.state.set(acctKey, encodeAccount({ nonce: account.nonce + 1 }));
    this.gasUsed += meter.used;
    const receipt: Receipt = {
      txHash: hash,
      status: failure ? "failed" : "ok",
      code: failure ? failure.code : null,
      message: failure ? failure.message : "",
      gasUsed: meter.used,
      events: failure ? [] : events,
    };
    return { included: true, receipt };
  }

  private callContext(module: string, sender: string, state: Overlay, meter: GasMeter, events: Event[]): CallContext {
    const prefix = `${module}/`;
    return {
      chain: this.ctx.chain,
      height: this.ctx.height,
      time: this.ctx.time,
      sender,
      authority: this.ctx.authority,
      crypto: this.crypto,
      get: (key) => {
        meter.charge(GAS.readBase, `read ${key}`);
        const v = state.get(prefix + key);
        if (v) meter.charge(GAS.readPerByte * v.length, `read ${key}`);
        return v;
      },
      set: (key, value) => {
        meter.charge(GAS.writeBase + GAS.writePerByte * (key.length + value.length), `write ${key}`);
        state.set(prefix + key, value);
      },
      del: (key) => {
        meter.charge(GAS.deleteBase, `delete ${key}`);
        state.set(prefix + key, null);
      },
      read: (other, key) => {
        meter.charge(GAS.readBase, `read ${other}/${key}`);
        const v = state.get(`${other}/${key}`);
        if (v) meter.charge(GAS.readPerByte * v.length, `read ${other}/${key}`);
        return v;
      },
      emit: (type: string, attrs: Obj, accounts: string[]) => {
        if (!EVENT_TYPE.test(type)) throw new CivitasError(ErrorCode.INTERNAL, `module ${module} emitted an invalid event type '${type}'`);
        if (events.length >= MAX_EVENTS_PER_TX) throw new CivitasError(ErrorCode.EXEC_INVALID, `more than ${MAX_EVENTS_PER_TX} events in one transaction`);
        const size = encode(attrs).length;
        meter.charge(GAS.eventBase + GAS.eventPerByte * size, `event ${type}`);
        events.push({ module, type, accounts: accounts.map((a) => fromHex(a)), attrs });
      },
    };
  }

  /** Runs every module's end-of-block hook, then returns the block's state changes in canonical (byte) order. */
  finish(): StateChange[] {
    assert(!this.finished, "finish called twice");
    this.finished = true;
    for (const m of this.registry.list()) {
      if (!m.endBlock) continue;
      const prefix = `${m.name}/`;
      const ctx: EndBlockContext = {
        height: this.ctx.height,
        crypto: this.crypto,
        get: (k) => this.state.get(prefix + k),
        set: (k, v) => this.state.set(prefix + k, v),
        del: (k) => this.state.set(prefix + k, null),
      };
      m.endBlock(ctx);
    }
    return sortChanges([...this.state.writes]);
  }
}

function notIncluded(code: ErrorCode, message: string, details: Record<string, unknown> = {}): TxOutcome {
  return { included: false, error: new CivitasError(code, message, details) };
}
