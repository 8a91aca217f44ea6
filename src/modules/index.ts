import type { Module } from "../execution/module.js";
import { kvModule } from "./kv/index.js";
import { tokenModule } from "./token/index.js";
import { validatorsModule } from "./validators/index.js";

/** The modules every chain runs, in no particular order (the registry sorts them). */
export function builtinModules(): Module[] {
  return [tokenModule, kvModule, validatorsModule];
}

export { kvModule, tokenModule, validatorsModule };
