export { Executor, BlockRun, accountKey, decodeAccount, encodeAccount } from "./executor.js";
export type { StateReader, BlockContext, StateChange, TxOutcome, AccountRecord } from "./executor.js";
export { ModuleRegistry, CORE_PREFIX } from "./registry.js";
export type { Module, MethodDef, QueryDef, CallContext, QueryContext, QueryResult, GuardContext, GuardedCall, TxGuard } from "./module.js";
export { GAS, GasMeter, intrinsicGas } from "./gas.js";
export { validateArgs, describeSchema } from "./schema.js";
export type { ArgsSchema, FieldSchema, ArgValue } from "./schema.js";
