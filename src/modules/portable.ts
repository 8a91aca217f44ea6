import type { Module } from "../execution/module.js";
import { identityModule } from "./identity/index.js";
import { kvModule } from "./kv/index.js";
import { tokenModule } from "./token/index.js";
import { validatorsModule } from "./validators/index.js";

/**
 * The built-in modules that run anywhere, the browser included: what the SDK's light client
 * re-runs queries with by default. `access` (Cedar's Node build) and `proof` are node-side only.
 */
export function portableModules(): Module[] {
  return [tokenModule, kvModule, validatorsModule, identityModule];
}
