/**
 * How a transaction call becomes a Cedar request (the table is documented in
 * docs/spec/access.md):
 *  - principal: `Account::"<sender>"`;
 *  - action: `Action::"<module>.<method>"` (in `Action::"call:<module>"`, in `Action::"call"`);
 *  - resource: named by the call's arguments (below), inside `Module::"<module>"`;
 *  - context: `{ height, time, args }` with the block's height and time and the call's
 *    arguments (uints as Long when below 2^53, else as decimal strings; strings up to 1,024
 *    characters; bytes left out).
 */
import type { CedarValueJson } from "@cedar-policy/cedar-wasm/nodejs";
import type { GuardedCall } from "../execution/module.js";
import type { Uid } from "./entities.js";

type Rule = (args: GuardedCall["args"]) => Uid | undefined;

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const arg = (name: string, type: string): Rule => (a) => {
  const v = str(a[name]);
  return v === undefined ? undefined : { type, id: v };
};

/** Calls whose resource is not found by the generic rules. */
const SPECIFIC: Record<string, Rule> = {
  "access.setPolicy": arg("id", "Policy"),
  "access.removePolicy": arg("id", "Policy"),
  "access.grantRole": arg("role", "Role"),
  "access.revokeRole": arg("role", "Role"),
  "access.setRoleParents": arg("role", "Role"),
  "access.addAdmin": arg("scope", "AdminScope"),
  "access.removeAdmin": arg("scope", "AdminScope"),
  "validators.schedule": arg("publicKey", "Validator"),
};

/** In order: the first argument present names the resource. */
const GENERIC: Rule[] = [arg("did", "Did"), arg("address", "Account"), arg("to", "Account"), arg("from", "Account"), arg("namespace", "Namespace"), arg("issuer", "Did")];

export function callResource(call: GuardedCall): Uid {
  const specific = SPECIFIC[`${call.module}.${call.method}`];
  const r = specific?.(call.args);
  if (r) return r;
  for (const rule of GENERIC) {
    const g = rule(call.args);
    if (g) return g;
  }
  return { type: "Module", id: call.module };
}

const MAX_CONTEXT_STRING = 1024;

export function callContext(call: GuardedCall, height: number, time: number): Record<string, CedarValueJson> {
  const args: Record<string, CedarValueJson> = {};
  for (const k of Object.keys(call.args).sort()) {
    const v = call.args[k];
    if (typeof v === "string") {
      if (v.length <= MAX_CONTEXT_STRING) args[k] = v;
    } else if (typeof v === "bigint") {
      args[k] = v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
    }
  }
  return { height, time, args };
}
