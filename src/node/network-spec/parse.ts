/**
 * Reading a network spec: YAML or JSON text → schema check (ajv) → defaults. Every refusal is a
 * CONFIG_INVALID whose details.field is the path of the offending field ("nodes.validators",
 * "accounts[1].balance") so the CLI and the console can point at it.
 */
import { Ajv } from "ajv";
import type { ErrorObject } from "ajv";
import { parse as parseYaml } from "yaml";
import { GENESIS_DEFAULTS } from "../../ledger/genesis.js";
import { builtinModules } from "../../modules/index.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import { LOCAL_CONSENSUS } from "../network.js";
import { NETWORK_SPEC_SCHEMA } from "./schema.js";
import type { NetworkSpec } from "./types.js";

const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(NETWORK_SPEC_SCHEMA);

export const DEFAULT_ACCOUNT_BALANCE = "1000000000000";

export function specError(field: string, why: string, extra: Record<string, unknown> = {}): CivitasError {
  return new CivitasError(ErrorCode.CONFIG_INVALID, `spec.${field}: ${why}`, { field, ...extra });
}

/** Text of a spec file; JSON when it looks like JSON, YAML otherwise (YAML is a superset anyway). */
export function parseSpecText(text: string, source = "spec"): unknown {
  try {
    return /^\s*[{[]/.test(text) ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 100 });
  } catch (e) {
    throw new CivitasError(ErrorCode.CONFIG_INVALID, `${source} is neither valid YAML nor JSON: ${(e as Error).message}`, { field: "" });
  }
}

/** "/accounts/1/balance" → "accounts[1].balance". */
function fieldPath(pointer: string, extra?: string): string {
  const parts = pointer.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (extra !== undefined) parts.push(extra);
  return parts.reduce((acc, p) => (/^[0-9]+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), "");
}

function describe(e: ErrorObject): { field: string; why: string } {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "required":
      return { field: fieldPath(e.instancePath, String(p.missingProperty)), why: "required field is missing" };
    case "additionalProperties":
      return { field: fieldPath(e.instancePath, String(p.additionalProperty)), why: "unknown field" };
    case "propertyNames":
      return { field: fieldPath(e.instancePath, String(p.propertyName)), why: "not a node name (node0, node1, ...)" };
    case "enum":
      return { field: fieldPath(e.instancePath), why: `expected one of ${(p.allowedValues as unknown[]).map(String).join(", ")}` };
    case "const":
      return { field: fieldPath(e.instancePath), why: `expected ${JSON.stringify(p.allowedValue)}` };
    case "anyOf":
      return { field: fieldPath(e.instancePath), why: "expected a non-negative integer (a decimal string for amounts above 2^53)" };
    default:
      return { field: fieldPath(e.instancePath), why: e.message ?? e.keyword };
  }
}

/** Schema check, then defaults. Semantic checks (shapes, ports) are in validate.ts. */
export function normalizeSpec(input: unknown): NetworkSpec {
  if (input === null || typeof input !== "object" || Array.isArray(input)) throw specError("", "expected an object (a YAML mapping or a JSON object)");
  if (!validate(input)) {
    // anyOf and propertyNames report their branches too: keep the most specific, one per field.
    const seen = new Set<string>();
    const errors = (validate.errors ?? [])
      .filter((e) => !(e.keyword === "pattern" && e.propertyName !== undefined))
      .filter((e) => !(e.schemaPath.includes("/anyOf/") && e.keyword !== "anyOf"))
      .map(describe)
      .filter((e) => (seen.has(e.field) ? false : (seen.add(e.field), true)));
    const first = errors[0] ?? { field: "", why: "does not match the schema" };
    throw specError(first.field, first.why, { errors });
  }
  const o = input as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- shape checked by the schema above
  const t = o.consensus?.timeouts ?? {};
  const lc = LOCAL_CONSENSUS as Required<typeof LOCAL_CONSENSUS>;
  const hw = o.nodes.hardware ?? {};
  return {
    version: 1,
    name: o.name,
    chainId: o.chainId ?? o.name,
    cryptoSuite: o.cryptoSuite ?? GENESIS_DEFAULTS.cryptoSuite,
    consensus: {
      algorithm: o.consensus?.algorithm ?? "bft",
      allowNoFaultTolerance: o.consensus?.allowNoFaultTolerance ?? false,
      timeouts: {
        proposeMs: t.proposeMs ?? lc.timeoutProposeMs,
        proposeDeltaMs: t.proposeDeltaMs ?? lc.timeoutProposeDeltaMs,
        prevoteMs: t.prevoteMs ?? lc.timeoutPrevoteMs,
        prevoteDeltaMs: t.prevoteDeltaMs ?? lc.timeoutPrevoteDeltaMs,
        precommitMs: t.precommitMs ?? lc.timeoutPrecommitMs,
        precommitDeltaMs: t.precommitDeltaMs ?? lc.timeoutPrecommitDeltaMs,
        gossipMs: t.gossipMs ?? lc.gossipMs,
        statusMs: t.statusMs ?? lc.statusMs,
      },
    },
    block: {
      intervalMs: o.block?.intervalMs ?? GENESIS_DEFAULTS.blockIntervalMs,
      createEmptyBlocks: o.block?.createEmptyBlocks ?? GENESIS_DEFAULTS.createEmptyBlocks,
      maxBytes: o.block?.maxBytes ?? GENESIS_DEFAULTS.maxBlockBytes,
      maxTxs: o.block?.maxTxs ?? GENESIS_DEFAULTS.maxBlockTxs,
      maxGas: o.block?.maxGas ?? GENESIS_DEFAULTS.maxBlockGas,
      maxTxBytes: o.block?.maxTxBytes ?? GENESIS_DEFAULTS.maxTxBytes,
    },
    nodes: {
      validators: o.nodes.validators,
      fullNodes: o.nodes.fullNodes ?? 0,
      host: o.nodes.host ?? "127.0.0.1",
      hardware: { cpus: hw.cpus ?? 0, memoryMiB: hw.memoryMiB ?? 0, storageMiB: hw.storageMiB ?? 0 },
      overrides: o.nodes.overrides ?? {},
    },
    ports: { apiBase: o.ports?.apiBase ?? 8080, p2pBase: o.ports?.p2pBase ?? 26656 },
    accounts: ((o.accounts as Array<{ name: string; balance?: string | number }> | undefined) ?? [{ name: "authority" }]).map((a) => ({ name: a.name, balance: a.balance === undefined ? DEFAULT_ACCOUNT_BALANCE : String(a.balance) })),
    logLevel: o.logLevel ?? "info",
    ...(o.moduleParams ? { moduleParams: checkedModuleParams(o.moduleParams as Record<string, Record<string, number>>) } : {}),
  };
}

/** Names the modules take, checked by the modules themselves (as genesis is at init and start). */
function checkedModuleParams(p: Record<string, Record<string, number>>): Record<string, Record<string, number>> {
  try {
    builtinModules({ moduleParams: p });
  } catch (e) {
    if (e instanceof CivitasError && e.code === ErrorCode.GENESIS_INVALID) throw specError(String(e.details.field), e.message.replace(/^genesis\.[^:]*: /, ""));
    throw e;
  }
  return p;
}
