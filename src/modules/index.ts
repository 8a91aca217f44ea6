import type { Module } from "../execution/module.js";
import { createAccessModule } from "./access/index.js";
import { identityModule } from "./identity/index.js";
import { kvModule } from "./kv/index.js";
import { createProofModule } from "./proof/index.js";
import { tokenModule } from "./token/index.js";
import { validatorsModule } from "./validators/index.js";

/** The modules every chain runs, in no particular order (the registry sorts them). */
export function builtinModules(): Module[] {
  return [tokenModule, kvModule, validatorsModule, identityModule, createAccessModule(), createProofModule()];
}

export { identityModule, kvModule, tokenModule, validatorsModule };
export { createAccessModule };
export { createProofModule };
