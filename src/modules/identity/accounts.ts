/**
 * Account lifecycle: an account (address) bound to a DID, active, frozen or cancelled, each
 * change with a reason, an actor and an event. The guard refuses transactions of frozen and
 * cancelled accounts before they are included (and at mempool admission).
 */
import { decode, encode, FieldReader } from "../../codec/index.js";
import type { CallContext, GuardContext, MethodDef, TxGuard } from "../../execution/module.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import type { IdentityRead } from "./common.js";
import { checkDid, didArg, invalid, reasonArg, unauthorized } from "./common.js";
import { controls, requireActiveDid } from "./did.js";

export const accountKey = (address: string): string => `account/${address}`;

export type AccountStatus = "active" | "frozen" | "cancelled";

export interface AccountFullRecord {
  did: string;
  status: AccountStatus;
  created: number;
  updated: number;
  createdHeight: number;
  updatedHeight: number;
  reason: string;
  actor: string;
}

export function encodeAccount(r: AccountFullRecord): Uint8Array {
  return encode({ did: r.did, status: r.status, created: r.created, updated: r.updated, createdHeight: r.createdHeight, updatedHeight: r.updatedHeight, reason: r.reason, actor: r.actor });
}

export function decodeAccount(bytes: Uint8Array): AccountFullRecord {
  const f = FieldReader.of(decode(bytes), "identity.account", ErrorCode.INTERNAL).knownFields("did", "status", "created", "updated", "createdHeight", "updatedHeight", "reason", "actor");
  const status = f.str("status");
  if (status !== "active" && status !== "frozen" && status !== "cancelled") throw new CivitasError(ErrorCode.INTERNAL, `identity.account.status: unknown status '${status}'`);
  return { did: f.str("did"), status, created: f.uint("created"), updated: f.uint("updated"), createdHeight: f.uint("createdHeight"), updatedHeight: f.uint("updatedHeight"), reason: f.str("reason"), actor: f.str("actor") };
}

export function readAccount(read: IdentityRead, address: string): AccountFullRecord | undefined {
  const raw = read(accountKey(address));
  return raw ? decodeAccount(raw) : undefined;
}

/** For the access module: the DID and status of an account, if it has a record. */
export function accountRecord(read: IdentityRead, address: string): { did: string; status: AccountStatus } | undefined {
  const r = readAccount(read, address);
  return r ? { did: r.did, status: r.status } : undefined;
}

export const accountGuard: TxGuard = {
  checkSender(ctx: GuardContext): void {
    // The authority is fixed in genesis and is the only one who can unfreeze: never lock it out.
    if (ctx.sender === ctx.authority) return;
    const raw = ctx.read("identity", accountKey(ctx.sender));
    if (!raw) return;
    const r = decodeAccount(raw);
    if (r.status === "frozen") throw new CivitasError(ErrorCode.ACCOUNT_FROZEN, `account ${ctx.sender} is frozen: ${r.reason}`, { address: ctx.sender, reason: r.reason });
    if (r.status === "cancelled") throw new CivitasError(ErrorCode.ACCOUNT_CANCELLED, `account ${ctx.sender} is cancelled: ${r.reason}`, { address: ctx.sender, reason: r.reason });
  },
};

const get = (ctx: CallContext): IdentityRead => (k) => ctx.get(k);

/** Binding an account to a DID: by the authority, or by the account itself when it controls the DID. */
function requireBinder(ctx: CallContext, address: string, did: string): void {
  const record = requireActiveDid(get(ctx), did);
  if (ctx.sender === ctx.authority) return;
  if (ctx.sender !== address) throw unauthorized("only the chain authority or the account itself binds an account to a DID", { address, sender: ctx.sender });
  if (!controls(get(ctx), ctx, record)) throw unauthorized(`${ctx.sender} does not control '${did}'`, { did });
}

function event(ctx: CallContext, type: string, address: string, did: string, reason: string): void {
  ctx.emit(type, { address, did, reason, actor: ctx.sender }, ctx.sender === address ? [address] : [ctx.sender, address]);
}

function transition(ctx: CallContext, args: Record<string, unknown>, from: AccountStatus[], to: AccountStatus, type: string, verb: string): void {
  if (ctx.sender !== ctx.authority) throw unauthorized(`only the chain authority may ${verb} accounts`, { authority: ctx.authority });
  const address = args.address as string;
  const reason = args.reason as string;
  if (address === ctx.authority && to !== "active") throw invalid(`the chain authority's account cannot be ${to}: nobody could undo it`, { address });
  const r = readAccount(get(ctx), address);
  if (!r) throw new CivitasError(ErrorCode.ACCOUNT_NOT_FOUND, `account ${address} has no identity record; create it with identity.createAccount`, { address });
  if (r.status === "cancelled") throw new CivitasError(ErrorCode.ACCOUNT_CANCELLED, `account ${address} is cancelled`, { address });
  if (!from.includes(r.status)) throw invalid(`account ${address} is ${r.status}; ${verb} needs ${from.join(" or ")}`, { address, status: r.status });
  ctx.set(accountKey(address), encodeAccount({ ...r, status: to, updated: ctx.time, updatedHeight: ctx.height, reason, actor: ctx.sender }));
  event(ctx, type, address, r.did, reason);
}

/** A status change of the chain authority (freeze, unfreeze, cancel): same arguments, gas and checks. */
function transitionMethod(doc: string, from: AccountStatus[], to: AccountStatus, type: string, verb: string): MethodDef {
  return {
    doc,
    gas: 1_000,
    args: { address: { type: "address" }, reason: reasonArg },
    run(ctx, args) {
      transition(ctx, args, from, to, type, verb);
    },
  };
}

export const accountMethods: Record<string, MethodDef> = {
  createAccount: {
    doc: "Binds account `address` to an active DID (chain authority, or the account itself controlling the DID).",
    gas: 2_000,
    args: { address: { type: "address" }, did: didArg, reason: reasonArg },
    run(ctx, args) {
      const address = args.address as string;
      const did = checkDid(args.did as string, ctx.chain);
      const reason = args.reason as string;
      const existing = readAccount(get(ctx), address);
      if (existing) throw invalid(`account ${address} already has an identity record (${existing.status})`, { address, status: existing.status });
      requireBinder(ctx, address, did);
      ctx.set(accountKey(address), encodeAccount({ did, status: "active", created: ctx.time, updated: ctx.time, createdHeight: ctx.height, updatedHeight: ctx.height, reason, actor: ctx.sender }));
      event(ctx, "AccountCreated", address, did, reason);
    },
  },
  updateAccount: {
    doc: "Rebinds an account to another active DID (chain authority, or the account itself controlling the new DID).",
    gas: 2_000,
    args: { address: { type: "address" }, did: didArg, reason: reasonArg },
    run(ctx, args) {
      const address = args.address as string;
      const did = checkDid(args.did as string, ctx.chain);
      const reason = args.reason as string;
      const r = readAccount(get(ctx), address);
      if (!r) throw new CivitasError(ErrorCode.ACCOUNT_NOT_FOUND, `account ${address} has no identity record`, { address });
      if (r.status === "cancelled") throw new CivitasError(ErrorCode.ACCOUNT_CANCELLED, `account ${address} is cancelled`, { address });
      requireBinder(ctx, address, did);
      ctx.set(accountKey(address), encodeAccount({ ...r, did, updated: ctx.time, updatedHeight: ctx.height, reason, actor: ctx.sender }));
      event(ctx, "AccountUpdated", address, did, reason);
    },
  },
  freezeAccount: transitionMethod("Freezes an active account: it cannot send transactions from the next block on; chain authority only.", ["active"], "frozen", "AccountFrozen", "freeze"),
  unfreezeAccount: transitionMethod("Unfreezes a frozen account; chain authority only.", ["frozen"], "active", "AccountUnfrozen", "unfreeze"),
  cancelAccount: transitionMethod("Cancels an account for good; chain authority only.", ["active", "frozen"], "cancelled", "AccountCancelled", "cancel"),
};
