/** The module registry: the one place execution learns which modules exist. */
import { CivitasError, ErrorCode } from "../util/errors.js";
import type { Call } from "../ledger/tx.js";
import type { MethodDef, Module, QueryDef } from "./module.js";
import type { ArgValue } from "./schema.js";
import { describeSchema, validateArgs } from "./schema.js";

const MODULE_NAME = /^[a-z][a-z0-9]{0,31}$/;
/** Key space of the execution core itself (accounts and nonces). */
export const CORE_PREFIX = "core";

export class ModuleRegistry {
  private readonly modules = new Map<string, Module>();

  constructor(modules: Module[]) {
    for (const m of modules) {
      if (!MODULE_NAME.test(m.name) || m.name === CORE_PREFIX) throw new CivitasError(ErrorCode.INTERNAL, `invalid module name ${m.name}`);
      if (this.modules.has(m.name)) throw new CivitasError(ErrorCode.INTERNAL, `module ${m.name} registered twice`);
      this.modules.set(m.name, m);
    }
  }

  /** Modules in name order: genesis initialisation must not depend on registration order. */
  list(): Module[] {
    return [...this.modules.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Modules with a transaction guard, in name order (the order guards run in). */
  guarded(): Module[] {
    return this.list().filter((m) => m.guard);
  }

  get(name: string): Module | undefined {
    return this.modules.get(name);
  }

  method(call: Pick<Call, "module" | "method">): { module: Module; def: MethodDef } {
    const module = this.modules.get(call.module);
    if (!module) throw new CivitasError(ErrorCode.TX_UNKNOWN_MODULE, `unknown module '${call.module}'`, { module: call.module, known: [...this.modules.keys()].sort() });
    const def = Object.prototype.hasOwnProperty.call(module.methods, call.method) ? module.methods[call.method] : undefined;
    if (!def) throw new CivitasError(ErrorCode.TX_UNKNOWN_METHOD, `module '${call.module}' has no method '${call.method}'`, { module: call.module, method: call.method, known: Object.keys(module.methods).sort() });
    return { module, def };
  }

  /** Stateless check of one call: module, method and argument types. */
  checkCall(call: Call): { def: MethodDef; args: Record<string, ArgValue> } {
    const { def } = this.method(call);
    return { def, args: validateArgs(def.args, call.args, `${call.module}.${call.method}`) };
  }

  query(moduleName: string, queryName: string): { module: Module; def: QueryDef } {
    const module = this.modules.get(moduleName);
    if (!module) throw new CivitasError(ErrorCode.QUERY_UNKNOWN, `unknown module '${moduleName}'`, { module: moduleName });
    const def = Object.prototype.hasOwnProperty.call(module.queries, queryName) ? module.queries[queryName] : undefined;
    if (!def) throw new CivitasError(ErrorCode.QUERY_UNKNOWN, `module '${moduleName}' has no query '${queryName}'`, { module: moduleName, known: Object.keys(module.queries).sort() });
    return { module, def };
  }

  describe(): unknown[] {
    return this.list().map((m) => ({
      name: m.name,
      doc: m.doc,
      methods: Object.fromEntries(Object.entries(m.methods).map(([k, d]) => [k, { doc: d.doc, gas: d.gas, args: describeSchema(d.args) }])),
      queries: Object.fromEntries(Object.entries(m.queries).map(([k, d]) => [k, { doc: d.doc, args: describeSchema(d.args) }])),
    }));
  }
}
