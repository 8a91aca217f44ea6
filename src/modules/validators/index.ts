/**
 * `validators`: the validator set as chain state, changed by the chain authority, and the
 * equivocation evidence record.
 *
 * State (under `validators/`):
 *  - `set`      -> {validators: [{publicKey, power}]} in address order: the set that signs the
 *                  NEXT block. Headers commit to it (nextValidatorSetHash), so a light client
 *                  follows set changes through signed headers.
 *  - `pending`  -> {changes: [{height, publicKey, power}]}, heights non-decreasing.
 *  - `key/<address>` -> public key of every validator that was ever in a set (evidence checks).
 *  - `evidence/<address>/<height>/<round>/<type>` -> {first, second, reporter, reportedAt}.
 *
 * A change scheduled for height H is applied at the end of block H-1, so block H is the first
 * signed by the new set. H must be at least two blocks ahead: the block that schedules it
 * and the next one are already being voted on by the old set.
 */
import { decode, encode, FieldReader } from "../../codec/index.js";
import type { CborValue } from "../../codec/index.js";
import type { CallContext, EndBlockContext, ExecCrypto, Module, QueryContext } from "../../execution/module.js";
import { decodeSignedVote, encodeVote, voteSigningMessage } from "../../ledger/block.js";
import { compareBytes, fromHex, toHex } from "../../util/bytes.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";

export const MIN_CHANGE_DELAY = 2;
export const MAX_CHANGE_DELAY = 1_000_000;
export const MAX_VALIDATORS = 1000;
/** The proposer schedule is unrolled over total power, so it is capped. */
export const MAX_TOTAL_POWER = 1_000_000;
export const MAX_PENDING_CHANGES = 1000;
/** Evidence older than this many blocks is refused: the key record may be long gone from operators' minds. */
export const MAX_EVIDENCE_AGE = 100_000;

const SET = "set";
const PENDING = "pending";
const keyKey = (address: string): string => `key/${address}`;
const evidenceKey = (address: string, height: number, round: number, type: string): string => `evidence/${address}/${height}/${round}/${type}`;

export interface SetEntry {
  publicKey: Uint8Array;
  power: number;
}

interface Change extends SetEntry {
  height: number;
}

export function decodeValidatorSet(bytes: Uint8Array | undefined): SetEntry[] {
  if (!bytes) throw new CivitasError(ErrorCode.INTERNAL, "validator set missing from state");
  return FieldReader.of(decode(bytes), "validators.set")
    .knownFields("validators")
    .array("validators", MAX_VALIDATORS)
    .map((v, i) => {
      const f = FieldReader.of(v, `validators.set[${i}]`).knownFields("publicKey", "power");
      return { publicKey: f.bytes("publicKey"), power: f.uint("power") };
    });
}

function encodeSet(crypto: ExecCrypto, set: SetEntry[]): Uint8Array {
  const sorted = [...set].sort((a, b) => compareBytes(fromHex(crypto.address(a.publicKey)), fromHex(crypto.address(b.publicKey))));
  return encode({ validators: sorted.map((v) => ({ publicKey: v.publicKey, power: v.power })) });
}

function readPending(get: (k: string) => Uint8Array | undefined): Change[] {
  const raw = get(PENDING);
  if (!raw) return [];
  return FieldReader.of(decode(raw), "validators.pending")
    .knownFields("changes")
    .array("changes", MAX_PENDING_CHANGES)
    .map((c, i) => {
      const f = FieldReader.of(c, `validators.pending[${i}]`).knownFields("height", "publicKey", "power");
      return { height: f.uint("height"), publicKey: f.bytes("publicKey"), power: f.uint("power") };
    });
}

function writePending(ctx: Pick<CallContext, "set" | "del">, changes: Change[]): void {
  if (changes.length === 0) ctx.del(PENDING);
  else ctx.set(PENDING, encode({ changes: changes.map((c) => ({ height: c.height, publicKey: c.publicKey, power: c.power })) }));
}

/** Applies one change to a set: power 0 removes, otherwise adds or re-weights. */
function applyChange(set: SetEntry[], c: SetEntry): SetEntry[] {
  const rest = set.filter((v) => compareBytes(v.publicKey, c.publicKey) !== 0);
  return c.power === 0 ? rest : [...rest, { publicKey: c.publicKey, power: c.power }];
}

function checkSet(set: SetEntry[], when: string): void {
  if (set.length === 0) throw new CivitasError(ErrorCode.EXEC_INVALID, `the change leaves no validators ${when}`);
  if (set.length > MAX_VALIDATORS) throw new CivitasError(ErrorCode.EXEC_INVALID, `more than ${MAX_VALIDATORS} validators ${when}`);
  const total = set.reduce((s, v) => s + v.power, 0);
  if (total > MAX_TOTAL_POWER) throw new CivitasError(ErrorCode.EXEC_INVALID, `total voting power ${total} exceeds ${MAX_TOTAL_POWER} ${when}`);
}

export const validatorsModule: Module = {
  name: "validators",
  doc: "The validator set (changed by the chain authority at a later height) and equivocation evidence.",
  methods: {
    schedule: {
      doc: "Adds, re-weights (power > 0) or removes (power 0) the validator with `publicKey` (hex) from block `atHeight` on (chain authority only; at least 2 blocks ahead).",
      gas: 2_000,
      args: {
        publicKey: { type: "string", maxLength: 256, pattern: /^[0-9a-f]+$/, doc: "validator public key, lowercase hex" },
        power: { type: "uint", doc: "voting power; 0 removes" },
        atHeight: { type: "uint", doc: "first block signed by the changed set" },
      },
      run(ctx, args) {
        if (ctx.sender !== ctx.authority) throw new CivitasError(ErrorCode.EXEC_UNAUTHORIZED, "only the chain authority may change the validator set", { authority: ctx.authority });
        const publicKey = fromHex(args.publicKey as string);
        if (!ctx.crypto.isValidPublicKey(publicKey)) throw new CivitasError(ErrorCode.EXEC_INVALID, "publicKey is not a valid key of the chain's suite");
        const power = args.power as bigint;
        const atHeight = args.atHeight as bigint;
        if (power > BigInt(MAX_TOTAL_POWER)) throw new CivitasError(ErrorCode.EXEC_INVALID, `power must be at most ${MAX_TOTAL_POWER}`);
        if (atHeight < BigInt(ctx.height + MIN_CHANGE_DELAY) || atHeight > BigInt(ctx.height + MAX_CHANGE_DELAY)) {
          throw new CivitasError(ErrorCode.EXEC_INVALID, `atHeight must be between ${ctx.height + MIN_CHANGE_DELAY} and ${ctx.height + MAX_CHANGE_DELAY} (this block is ${ctx.height})`);
        }
        const pending = readPending(ctx.get);
        const last = pending.length ? pending[pending.length - 1].height : 0;
        if (Number(atHeight) < last) throw new CivitasError(ErrorCode.EXEC_INVALID, `a change is already scheduled for height ${last}; changes must be scheduled in height order`);
        if (pending.length >= MAX_PENDING_CHANGES) throw new CivitasError(ErrorCode.EXEC_INVALID, `${MAX_PENDING_CHANGES} changes are already pending`);
        const change: Change = { height: Number(atHeight), publicKey, power: Number(power) };
        // Every intermediate set must be usable, so check the projection after each pending change.
        let set = decodeValidatorSet(ctx.get(SET));
        for (const c of [...pending, change]) {
          if (c.power === 0 && !set.some((v) => compareBytes(v.publicKey, c.publicKey) === 0)) {
            throw new CivitasError(ErrorCode.EXEC_INVALID, `the key to remove is not in the validator set at height ${c.height}`);
          }
          set = applyChange(set, c);
          checkSet(set, `at height ${c.height}`);
        }
        writePending(ctx, [...pending, change]);
        const address = ctx.crypto.address(publicKey);
        ctx.emit("ChangeScheduled", { address, publicKey: args.publicKey as string, power: power.toString(), atHeight: atHeight.toString() }, [address]);
      },
    },
    reportEvidence: {
      doc: "Records two conflicting signed votes of one validator (equivocation). Anyone may report.",
      gas: 5_000,
      args: { first: { type: "bytes", maxLength: 1024 }, second: { type: "bytes", maxLength: 1024 } },
      run(ctx, args) {
        const bad = (why: string): never => {
          throw new CivitasError(ErrorCode.EXEC_INVALID, `evidence rejected: ${why}`);
        };
        let a, b;
        try {
          a = decodeSignedVote(args.first as Uint8Array);
          b = decodeSignedVote(args.second as Uint8Array);
        } catch (e) {
          return bad(`a vote does not decode (${(e as Error).message})`);
        }
        const va = a.vote;
        const vb = b.vote;
        if (va.chain !== ctx.chain || vb.chain !== ctx.chain) bad("votes are for another chain");
        if (compareBytes(va.validator, vb.validator) !== 0 || va.height !== vb.height || va.round !== vb.round || va.type !== vb.type) bad("votes are not for the same validator, height, round and type");
        if (compareBytes(encodeVote(va), encodeVote(vb)) === 0) bad("the two votes are identical");
        // Votes for one block that differ only in their time are a re-signed copy, not a fork.
        if (compareBytes(va.blockHash, vb.blockHash) === 0) bad("the two votes are for the same block");
        if (va.height > ctx.height || va.height + MAX_EVIDENCE_AGE < ctx.height) bad(`vote height ${va.height} is outside the accepted window`);
        const address = "0x" + toHex(va.validator);
        const publicKey = ctx.get(keyKey(address));
        if (!publicKey) return bad(`${address} has never been a validator`);
        if (!ctx.crypto.verify(voteSigningMessage(va), a.signature, publicKey) || !ctx.crypto.verify(voteSigningMessage(vb), b.signature, publicKey)) bad("a signature does not verify");
        const key = evidenceKey(address, va.height, va.round, va.type);
        if (ctx.get(key)) bad("this equivocation is already recorded");
        // Stored in a fixed order so two reports of the same pair are the same record.
        const [first, second] = compareBytes(args.first as Uint8Array, args.second as Uint8Array) < 0 ? [args.first, args.second] : [args.second, args.first];
        ctx.set(key, encode({ first: first as Uint8Array, second: second as Uint8Array, reporter: ctx.sender, reportedAt: ctx.height }));
        ctx.emit("Equivocation", { validator: address, height: va.height, round: va.round, type: va.type, reporter: ctx.sender }, [address, ctx.sender]);
      },
    },
  },
  queries: {
    set: {
      doc: "The validator set that signs the next block.",
      args: {},
      run(ctx: QueryContext) {
        return { key: SET, value: setToJson(ctx.get(SET)) };
      },
    },
    pending: {
      doc: "Scheduled validator-set changes.",
      args: {},
      run(ctx: QueryContext) {
        return { key: PENDING, value: readPending(ctx.get).map((c) => ({ height: c.height, publicKey: toHex(c.publicKey), power: c.power })) };
      },
    },
    evidence: {
      doc: "The recorded equivocation of `address` at (height, round, type), if any.",
      args: { address: { type: "address" }, height: { type: "uint" }, round: { type: "uint" }, type: { type: "string", maxLength: 9, pattern: /^(prevote|precommit)$/ } },
      run(ctx: QueryContext, args) {
        const key = evidenceKey(args.address as string, Number(args.height), Number(args.round), args.type as string);
        const raw = ctx.get(key);
        return { key, value: raw ? evidenceToJson(raw) : null };
      },
    },
  },
  initGenesis(ctx, genesis, crypto) {
    const set = genesis.validators.map((v) => ({ publicKey: fromHex(v.publicKey), power: v.power }));
    ctx.set(SET, encodeSet(crypto, set));
    for (const v of set) ctx.set(keyKey(crypto.address(v.publicKey)), v.publicKey);
  },
  endBlock(ctx: EndBlockContext) {
    const pending = readPending(ctx.get);
    const due = pending.filter((c) => c.height === ctx.height + 1);
    if (due.length === 0) return;
    let set = decodeValidatorSet(ctx.get(SET));
    for (const c of due) {
      set = applyChange(set, c);
      if (c.power > 0) ctx.set(keyKey(ctx.crypto.address(c.publicKey)), c.publicKey);
    }
    ctx.set(SET, encodeSet(ctx.crypto, set));
    writePending(ctx, pending.filter((c) => c.height !== ctx.height + 1));
  },
  decodeValue(key, value) {
    if (key === SET) return setToJson(value);
    if (key.startsWith("evidence/")) return evidenceToJson(value);
    if (key.startsWith("key/")) return toHex(value);
    return decode(value) as CborValue;
  },
};

function setToJson(raw: Uint8Array | undefined): unknown {
  return decodeValidatorSet(raw).map((v) => ({ publicKey: toHex(v.publicKey), power: v.power }));
}

function evidenceToJson(raw: Uint8Array): unknown {
  const f = FieldReader.of(decode(raw), "validators.evidence").knownFields("first", "second", "reporter", "reportedAt");
  return { first: toHex(f.bytes("first")), second: toHex(f.bytes("second")), reporter: f.str("reporter"), reportedAt: f.uint("reportedAt") };
}
