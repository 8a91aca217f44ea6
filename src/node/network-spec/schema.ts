/**
 * JSON Schema (draft 2020-12 subset that ajv's default draft-07 engine accepts) of a network
 * spec. The same object is published as docs/spec/network-spec.schema.json; a unit test keeps
 * the two identical, so editors and the CLI validate against one definition.
 */
import { SUITE_IDS } from "../../crypto/suite.js";
import { ENGINE_IDS } from "../../ledger/genesis.js";

const NAME = "^[a-z0-9][a-z0-9-]{0,62}$";
const ms = (min: number): Record<string, unknown> => ({ type: "integer", minimum: min, maximum: 600000 });
const port = { type: "integer", minimum: 1, maximum: 65535 };

const hardware = {
  type: "object",
  additionalProperties: false,
  description: "Hardware profile of a node; 0 or absent means no limit.",
  properties: {
    cpus: { type: "integer", minimum: 0, maximum: 1024, description: "CPU cores (reported; a container/unit limit in exports)" },
    memoryMiB: { type: "integer", minimum: 0, maximum: 16777216, description: "memory in MiB (V8 heap limit locally; container/unit limit in exports)" },
    storageMiB: { type: "integer", minimum: 0, maximum: 1073741824, description: "data folder size in MiB; the node refuses to commit beyond it" },
  },
};

export const NETWORK_SPEC_SCHEMA = {
  $id: "https://civitas.dev/schemas/network-spec.schema.json",
  title: "Civitas network spec",
  type: "object",
  additionalProperties: false,
  required: ["name", "nodes"],
  properties: {
    version: { const: 1 },
    name: { type: "string", pattern: NAME, description: "network name on this machine (a-z, 0-9, '-')" },
    chainId: { type: "string", pattern: NAME, description: "chain identifier (default: the name)" },
    cryptoSuite: { enum: [...SUITE_IDS], description: "signature and hash suite" },
    consensus: {
      type: "object",
      additionalProperties: false,
      properties: {
        algorithm: { enum: [...ENGINE_IDS], description: "bft (Tendermint-style, n >= 3f + 1) or solo (one validator)" },
        allowNoFaultTolerance: { type: "boolean", description: "accept bft with fewer than 4 validators (tolerates no faulty validator)" },
        timeouts: {
          type: "object",
          additionalProperties: false,
          properties: {
            proposeMs: ms(10),
            proposeDeltaMs: ms(0),
            prevoteMs: ms(10),
            prevoteDeltaMs: ms(0),
            precommitMs: ms(10),
            precommitDeltaMs: ms(0),
            gossipMs: ms(10),
            statusMs: ms(10),
          },
        },
      },
    },
    block: {
      type: "object",
      additionalProperties: false,
      properties: {
        intervalMs: { type: "integer", minimum: 10, maximum: 3600000 },
        createEmptyBlocks: { type: "boolean" },
        maxBytes: { type: "integer", minimum: 1024, maximum: 268435456 },
        maxTxs: { type: "integer", minimum: 1, maximum: 1000000 },
        maxGas: { type: "integer", minimum: 1000, maximum: 9007199254740991 },
        maxTxBytes: { type: "integer", minimum: 256, maximum: 16777216 },
      },
    },
    nodes: {
      type: "object",
      additionalProperties: false,
      required: ["validators"],
      properties: {
        validators: { type: "integer", minimum: 1, maximum: 100 },
        fullNodes: { type: "integer", minimum: 0, maximum: 100 },
        host: { type: "string", minLength: 1, maxLength: 253, pattern: "^[A-Za-z0-9.:-]+$", description: "address the nodes listen on and dial each other at" },
        hardware,
        overrides: {
          type: "object",
          description: "per-node settings, keyed by node name (node0 .. node<n-1>; validators first)",
          propertyNames: { pattern: "^node[0-9]{1,3}$" },
          additionalProperties: {
            type: "object",
            additionalProperties: false,
            properties: { hardware, apiPort: port, p2pPort: port },
          },
        },
      },
    },
    ports: {
      type: "object",
      additionalProperties: false,
      properties: {
        apiBase: { ...port, description: "API port of node0; node i uses apiBase + i" },
        p2pBase: { ...port, description: "p2p port of node0; node i uses p2pBase + i" },
      },
    },
    accounts: {
      type: "array",
      minItems: 1,
      maxItems: 1000,
      description: "funded accounts; keys are written to <network>/keys; the first is the chain authority",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name"],
        properties: {
          name: { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" },
          balance: { anyOf: [{ type: "string", pattern: "^(0|[1-9][0-9]{0,19})$" }, { type: "integer", minimum: 0, maximum: 9007199254740991 }] },
        },
      },
    },
    logLevel: { enum: ["fatal", "error", "warn", "info", "debug", "trace", "silent"] },
    moduleParams: {
      type: "object",
      description: "genesis moduleParams: module parameters that are consensus rules, e.g. {proof: {maxTsaSkewMs: 300000}} (docs/spec/proof.md)",
      maxProperties: 32,
      propertyNames: { pattern: "^[a-z][a-z0-9]{0,31}$" },
      additionalProperties: {
        type: "object",
        maxProperties: 64,
        propertyNames: { pattern: "^[a-zA-Z][a-zA-Z0-9]{0,63}$" },
        additionalProperties: { type: "integer", minimum: 1, maximum: 9007199254740991 },
      },
    },
  },
} as const;
