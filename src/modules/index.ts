import type { Module } from "../execution/module.js";
import type { Genesis } from "../ledger/genesis.js";
import { CivitasError, ErrorCode } from "../util/errors.js";
import { createAccessModule } from "./access/index.js";
import { identityModule } from "./identity/index.js";
import { kvModule } from "./kv/index.js";
import { createProofModule, PROOF_LIMITS, PROOF_MODULE } from "./proof/index.js";
import { tokenModule } from "./token/index.js";
import { validatorsModule } from "./validators/index.js";

/** Modules that take parameters from genesis `moduleParams`, with the names they accept. */
const PARAMETERISED: Record<string, readonly string[]> = { [PROOF_MODULE]: Object.keys(PROOF_LIMITS) };

/**
 * The modules every chain runs, in no particular order (the registry sorts them), built with the
 * chain's genesis `moduleParams`. A module or parameter name no module takes is GENESIS_INVALID
 * naming it, so a typo cannot silently leave a default in force.
 */
export function builtinModules(genesis: Pick<Genesis, "moduleParams"> = {}): Module[] {
  const params = genesis.moduleParams ?? {};
  for (const [m, p] of Object.entries(params)) {
    const names = PARAMETERISED[m];
    if (!names) throw new CivitasError(ErrorCode.GENESIS_INVALID, `genesis.moduleParams.${m}: no module takes parameters by that name (parameterised: ${Object.keys(PARAMETERISED).join(", ")})`, { field: `moduleParams.${m}` });
    for (const k of Object.keys(p)) if (!names.includes(k)) throw new CivitasError(ErrorCode.GENESIS_INVALID, `genesis.moduleParams.${m}.${k}: module ${m} has no parameter ${k} (it has ${names.join(", ")})`, { field: `moduleParams.${m}.${k}` });
  }
  return [tokenModule, kvModule, validatorsModule, identityModule, createAccessModule(), createProofModule({ limits: params[PROOF_MODULE] })];
}

export { identityModule, kvModule, tokenModule, validatorsModule };
export { createAccessModule };
export { createProofModule };
