/**
 * `kv`: namespaced key/value records owned by accounts. The first account to create a
 * namespace owns it; only the owner writes in it. Useful for tests and simple applications.
 * State: `kv/ns/<namespace>` -> {owner, created}, `kv/rec/<namespace>/<key>` -> {value, updated, by}.
 */
import { decode, encode, FieldReader } from "../../codec/index.js";
import type { CallContext, Module } from "../../execution/module.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";

const NAMESPACE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const KEY = /^[\x21-\x7e]{1,256}$/;
export const KV_MAX_VALUE_CHARS = 4096;

const nsKey = (ns: string): string => `ns/${ns}`;
const recKey = (ns: string, key: string): string => `rec/${ns}/${key}`;

function owner(ctx: CallContext, ns: string): string {
  const raw = ctx.get(nsKey(ns));
  if (!raw) throw new CivitasError(ErrorCode.EXEC_NOT_FOUND, `namespace '${ns}' does not exist; create it with kv.createNamespace`, { namespace: ns });
  return FieldReader.of(decode(raw), "kv.namespace").str("owner");
}

function requireOwner(ctx: CallContext, ns: string): void {
  const o = owner(ctx, ns);
  if (o !== ctx.sender) throw new CivitasError(ErrorCode.EXEC_UNAUTHORIZED, `namespace '${ns}' belongs to ${o}`, { namespace: ns, owner: o });
}

const nsArg = { type: "string", maxLength: 64, pattern: NAMESPACE, doc: "namespace: a-z, 0-9, '.', '_', '-'" } as const;
const keyArg = { type: "string", maxLength: 256, pattern: KEY, doc: "printable ASCII without spaces" } as const;

export const kvModule: Module = {
  name: "kv",
  doc: "Namespaced key/value records owned by accounts.",
  methods: {
    createNamespace: {
      doc: "Claims `namespace` for the sender.",
      gas: 500,
      args: { namespace: nsArg },
      run(ctx, args) {
        const ns = args.namespace as string;
        if (ctx.get(nsKey(ns))) throw new CivitasError(ErrorCode.EXEC_INVALID, `namespace '${ns}' already exists`, { namespace: ns });
        ctx.set(nsKey(ns), encode({ owner: ctx.sender, created: ctx.height }));
        ctx.emit("NamespaceCreated", { namespace: ns, owner: ctx.sender }, [ctx.sender]);
      },
    },
    transferNamespace: {
      doc: "Hands `namespace` to `to`.",
      gas: 500,
      args: { namespace: nsArg, to: { type: "address" } },
      run(ctx, args) {
        const ns = args.namespace as string;
        requireOwner(ctx, ns);
        const raw = FieldReader.of(decode(ctx.get(nsKey(ns)) as Uint8Array), "kv.namespace");
        ctx.set(nsKey(ns), encode({ owner: args.to as string, created: raw.uint("created") }));
        ctx.emit("NamespaceTransferred", { namespace: ns, from: ctx.sender, to: args.to as string }, [ctx.sender, args.to as string]);
      },
    },
    put: {
      doc: "Sets `key` to `value` in a namespace the sender owns.",
      gas: 200,
      args: { namespace: nsArg, key: keyArg, value: { type: "string", maxLength: KV_MAX_VALUE_CHARS } },
      run(ctx, args) {
        const ns = args.namespace as string;
        requireOwner(ctx, ns);
        ctx.set(recKey(ns, args.key as string), encode({ value: args.value as string, updated: ctx.height, by: ctx.sender }));
        ctx.emit("Put", { namespace: ns, key: args.key as string }, [ctx.sender]);
      },
    },
    delete: {
      doc: "Removes `key` from a namespace the sender owns.",
      gas: 200,
      args: { namespace: nsArg, key: keyArg },
      run(ctx, args) {
        const ns = args.namespace as string;
        requireOwner(ctx, ns);
        const k = recKey(ns, args.key as string);
        if (!ctx.get(k)) throw new CivitasError(ErrorCode.EXEC_NOT_FOUND, `no key '${args.key as string}' in namespace '${ns}'`);
        ctx.del(k);
        ctx.emit("Deleted", { namespace: ns, key: args.key as string }, [ctx.sender]);
      },
    },
  },
  queries: {
    get: {
      doc: "The record at `key` in `namespace` (null if absent, with a non-membership proof).",
      args: { namespace: nsArg, key: keyArg },
      run(ctx, args) {
        const key = recKey(args.namespace as string, args.key as string);
        const raw = ctx.get(key);
        return { key, value: raw ? kvModule.decodeValue?.(key, raw) : null };
      },
    },
    namespace: {
      doc: "Owner of `namespace` (null if unclaimed).",
      args: { namespace: nsArg },
      run(ctx, args) {
        const key = nsKey(args.namespace as string);
        const raw = ctx.get(key);
        return { key, value: raw ? kvModule.decodeValue?.(key, raw) : null };
      },
    },
  },
  decodeValue(_key, value) {
    return decode(value);
  },
};
