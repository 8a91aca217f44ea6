/**
 * `token`: the chain's native unit. Balances are u64; the chain authority mints and burns.
 * State: `token/bal/<address>` -> CBOR uint (absent = 0), `token/supply` -> CBOR uint.
 * Event amounts are decimal strings: amounts are u64 and JSON clients must not lose precision.
 */
import { decode, encode } from "../../codec/index.js";
import { asBigInt } from "../../codec/index.js";
import type { CallContext, Module, QueryContext } from "../../execution/module.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";

const MAX_U64 = (1n << 64n) - 1n;
const balKey = (a: string): string => `bal/${a}`;
const SUPPLY = "supply";

function readUint(bytes: Uint8Array | undefined): bigint {
  if (!bytes) return 0n;
  const v = asBigInt(decode(bytes));
  if (v === undefined) throw new CivitasError(ErrorCode.INTERNAL, "corrupt token value");
  return v;
}

function writeUint(ctx: Pick<CallContext, "set" | "del">, key: string, v: bigint): void {
  if (v > MAX_U64) throw new CivitasError(ErrorCode.EXEC_OVERFLOW, "amount exceeds 2^64 - 1");
  if (v === 0n) ctx.del(key);
  else ctx.set(key, encode(v));
}

function requireAuthority(ctx: CallContext, what: string): void {
  if (ctx.sender !== ctx.authority) throw new CivitasError(ErrorCode.EXEC_UNAUTHORIZED, `only the chain authority may ${what}`, { authority: ctx.authority });
}

function debit(ctx: CallContext, from: string, amount: bigint): void {
  const bal = readUint(ctx.get(balKey(from)));
  if (bal < amount) throw new CivitasError(ErrorCode.EXEC_INSUFFICIENT_BALANCE, `balance ${bal} is less than ${amount}`, { balance: bal.toString(), amount: amount.toString() });
  writeUint(ctx, balKey(from), bal - amount);
}

function credit(ctx: CallContext, to: string, amount: bigint): void {
  writeUint(ctx, balKey(to), readUint(ctx.get(balKey(to))) + amount);
}

export const tokenModule: Module = {
  name: "token",
  doc: "Native unit: balances, transfers, mint and burn by the chain authority.",
  methods: {
    transfer: {
      doc: "Moves `amount` from the sender to `to`.",
      gas: 200,
      args: { to: { type: "address" }, amount: { type: "uint" } },
      run(ctx, args) {
        const to = args.to as string;
        const amount = args.amount as bigint;
        if (amount === 0n) throw new CivitasError(ErrorCode.EXEC_INVALID, "amount must be positive");
        debit(ctx, ctx.sender, amount);
        credit(ctx, to, amount);
        ctx.emit("Transfer", { from: ctx.sender, to, amount: amount.toString() }, ctx.sender === to ? [to] : [ctx.sender, to]);
      },
    },
    mint: {
      doc: "Creates `amount` new units for `to` (chain authority only).",
      gas: 200,
      args: { to: { type: "address" }, amount: { type: "uint" } },
      run(ctx, args) {
        requireAuthority(ctx, "mint");
        const to = args.to as string;
        const amount = args.amount as bigint;
        if (amount === 0n) throw new CivitasError(ErrorCode.EXEC_INVALID, "amount must be positive");
        writeUint(ctx, SUPPLY, readUint(ctx.get(SUPPLY)) + amount);
        credit(ctx, to, amount);
        ctx.emit("Mint", { to, amount: amount.toString() }, [to]);
      },
    },
    burn: {
      doc: "Destroys `amount` units held by `from` (chain authority only).",
      gas: 200,
      args: { from: { type: "address" }, amount: { type: "uint" } },
      run(ctx, args) {
        requireAuthority(ctx, "burn");
        const from = args.from as string;
        const amount = args.amount as bigint;
        if (amount === 0n) throw new CivitasError(ErrorCode.EXEC_INVALID, "amount must be positive");
        debit(ctx, from, amount);
        writeUint(ctx, SUPPLY, readUint(ctx.get(SUPPLY)) - amount);
        ctx.emit("Burn", { from, amount: amount.toString() }, [from]);
      },
    },
  },
  queries: {
    balance: {
      doc: "Balance of `address`.",
      args: { address: { type: "address" } },
      run(ctx: QueryContext, args) {
        const key = balKey(args.address as string);
        return { key, value: readUint(ctx.get(key)).toString() };
      },
    },
    supply: {
      doc: "Total supply.",
      args: {},
      run(ctx: QueryContext) {
        return { key: SUPPLY, value: readUint(ctx.get(SUPPLY)).toString() };
      },
    },
  },
  initGenesis(ctx, genesis) {
    let supply = 0n;
    for (const b of genesis.balances) {
      const amount = BigInt(b.amount);
      if (amount === 0n) continue;
      ctx.set(balKey(b.address), encode(amount));
      supply += amount;
    }
    if (supply > 0n) ctx.set(SUPPLY, encode(supply));
  },
  decodeValue(_key, value) {
    return readUint(value).toString();
  },
};
