/**
 * Strict reading of an untrusted bundle: exact key sets, lowercase hex of the right lengths,
 * safe integers, bounded lists. Anything else is a `format` failure naming the JSON path, so an
 * added, dropped or re-typed field never reaches the cryptographic checks unnoticed.
 */
import { SUITE_IDS } from "../../crypto/suite.js";
import type { SuiteId } from "../../crypto/suite.js";
import { BundleError } from "./errors.js";
import type { CertifiedHeader, CommitJson, HeaderJson, InclusionJson, ProofBundle, SmtProofJson, ValidatorJson } from "./format.js";
import { BUNDLE_TYPE, BUNDLE_VERSION } from "./format.js";

/** Limits: a bundle is evidence for one document, not a chain dump. */
export const BUNDLE_LIMITS = { maxValidators: 1000, maxSignatures: 10_000, maxChanges: 10_000, maxPath: 64, maxSiblings: 256, maxHexChars: 2 * 1024 * 1024 } as const;

type Json = Record<string, unknown>;

const HEX32 = /^[0-9a-f]{64}$/;
const ADDRESS = /^0x[0-9a-f]{40}$/;
const HEX = /^(?:[0-9a-f]{2})+$/;

const fail = (path: string, why: string): never => {
  throw new BundleError("format", `${path}: ${why}`, { path });
};

function object(v: unknown, path: string, keys: readonly string[]): Json {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return fail(path, "expected an object");
  const o = v as Json;
  for (const k of Object.keys(o)) if (!keys.includes(k)) fail(`${path}.${k}`, "unknown field");
  for (const k of keys) if (!(k in o)) fail(`${path}.${k}`, "missing");
  return o;
}

function array(v: unknown, path: string, max: number): unknown[] {
  if (!Array.isArray(v)) return fail(path, "expected an array");
  if (v.length > max) fail(path, `more than ${max} items`);
  return v;
}

function uint(v: unknown, path: string): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) return fail(path, "expected a non-negative integer");
  return v;
}

function str(v: unknown, path: string, max = 256): string {
  if (typeof v !== "string" || v.length === 0 || v.length > max) return fail(path, `expected a string of 1 to ${max} characters`);
  return v;
}

function match(v: unknown, path: string, re: RegExp, what: string): string {
  if (typeof v !== "string" || v.length > BUNDLE_LIMITS.maxHexChars || !re.test(v)) return fail(path, `expected ${what}`);
  return v;
}

const hash32 = (v: unknown, path: string): string => match(v, path, HEX32, "64 lowercase hex characters");
const hex = (v: unknown, path: string): string => match(v, path, HEX, "lowercase hex bytes");
const hashes = (v: unknown, path: string, max: number): string[] => array(v, path, max).map((x, i) => hash32(x, `${path}[${i}]`));

const HEADER_KEYS = ["hash", "chain", "height", "time", "prevHash", "txRoot", "receiptRoot", "stateRoot", "validatorSetHash", "nextValidatorSetHash", "proposer", "protocolVersion", "txCount", "lastCommitHash"] as const;

export function parseHeader(v: unknown, path: string): HeaderJson {
  const o = object(v, path, HEADER_KEYS);
  return {
    hash: hash32(o.hash, `${path}.hash`),
    chain: str(o.chain, `${path}.chain`, 63),
    height: uint(o.height, `${path}.height`),
    time: uint(o.time, `${path}.time`),
    prevHash: hash32(o.prevHash, `${path}.prevHash`),
    txRoot: hash32(o.txRoot, `${path}.txRoot`),
    receiptRoot: hash32(o.receiptRoot, `${path}.receiptRoot`),
    stateRoot: hash32(o.stateRoot, `${path}.stateRoot`),
    validatorSetHash: hash32(o.validatorSetHash, `${path}.validatorSetHash`),
    nextValidatorSetHash: hash32(o.nextValidatorSetHash, `${path}.nextValidatorSetHash`),
    proposer: match(o.proposer, `${path}.proposer`, ADDRESS, "0x and 40 lowercase hex characters"),
    protocolVersion: uint(o.protocolVersion, `${path}.protocolVersion`),
    txCount: uint(o.txCount, `${path}.txCount`),
    lastCommitHash: hash32(o.lastCommitHash, `${path}.lastCommitHash`),
  };
}

function parseCommit(v: unknown, path: string): CommitJson {
  const o = object(v, path, ["height", "round", "blockHash", "signatures"]);
  return {
    height: uint(o.height, `${path}.height`),
    round: uint(o.round, `${path}.round`),
    blockHash: hash32(o.blockHash, `${path}.blockHash`),
    signatures: array(o.signatures, `${path}.signatures`, BUNDLE_LIMITS.maxSignatures).map((s, i) => {
      const p = `${path}.signatures[${i}]`;
      const so = object(s, p, ["validator", "time", "signature"]);
      return { validator: match(so.validator, `${p}.validator`, ADDRESS, "0x and 40 lowercase hex characters"), time: uint(so.time, `${p}.time`), signature: hex(so.signature, `${p}.signature`) };
    }),
  };
}

function certified(o: Json, path: string): CertifiedHeader {
  return { header: parseHeader(o.header, `${path}.header`), commit: parseCommit(o.commit, `${path}.commit`) };
}

function parseValidators(v: unknown, path: string): ValidatorJson[] {
  const list = array(v, path, BUNDLE_LIMITS.maxValidators);
  if (list.length === 0) fail(path, "an empty validator set");
  return list.map((x, i) => {
    const o = object(x, `${path}[${i}]`, ["publicKey", "power"]);
    return { publicKey: hex(o.publicKey, `${path}[${i}].publicKey`), power: uint(o.power, `${path}[${i}].power`) };
  });
}

export function parseSmtProof(v: unknown, path: string): SmtProofJson {
  const o = object(v, path, ["key", "value", "siblings", "terminal"]);
  const t = o.terminal as Json;
  const kind = typeof t === "object" && t !== null ? t.kind : undefined;
  let terminal: SmtProofJson["terminal"];
  if (kind === "empty") {
    object(t, `${path}.terminal`, ["kind"]);
    terminal = { kind: "empty" };
  } else if (kind === "leaf") {
    const to = object(t, `${path}.terminal`, ["kind", "keyHash", "valueHash"]);
    terminal = { kind: "leaf", keyHash: hash32(to.keyHash, `${path}.terminal.keyHash`), valueHash: hash32(to.valueHash, `${path}.terminal.valueHash`) };
  } else {
    return fail(`${path}.terminal.kind`, "expected empty or leaf");
  }
  return { key: hex(o.key, `${path}.key`), value: o.value === null ? null : hex(o.value, `${path}.value`), siblings: hashes(o.siblings, `${path}.siblings`, BUNDLE_LIMITS.maxSiblings), terminal };
}

function parseInclusion(v: unknown, path: string): InclusionJson {
  const o = object(v, path, ["leafHash", "index", "treeSize", "proof", "root"]);
  return { leafHash: hash32(o.leafHash, `${path}.leafHash`), index: uint(o.index, `${path}.index`), treeSize: uint(o.treeSize, `${path}.treeSize`), proof: hashes(o.proof, `${path}.proof`, BUNDLE_LIMITS.maxPath), root: hash32(o.root, `${path}.root`) };
}

/** The bundle, or a BundleError("format") naming the first field that is not as specified. */
export function parseBundle(v: unknown): ProofBundle {
  const o = object(v, "bundle", ["type", "version", "chainId", "suite", "document", "aggregation", "trust", "validatorChanges", "registration", "status"]);
  if (o.type !== BUNDLE_TYPE) fail("bundle.type", `expected ${BUNDLE_TYPE}`);
  if (o.version !== BUNDLE_VERSION) fail("bundle.version", `expected ${BUNDLE_VERSION} (this verifier reads version ${BUNDLE_VERSION} only)`);
  if (!SUITE_IDS.includes(o.suite as SuiteId)) fail("bundle.suite", `expected one of ${SUITE_IDS.join(", ")}`);
  const d = object(o.document, "bundle.document", ["fingerprint", "salt"]);
  let aggregation: ProofBundle["aggregation"] = null;
  if (o.aggregation !== null) {
    const a = object(o.aggregation, "bundle.aggregation", ["leafIndex", "treeSize", "path", "root"]);
    aggregation = { leafIndex: uint(a.leafIndex, "bundle.aggregation.leafIndex"), treeSize: uint(a.treeSize, "bundle.aggregation.treeSize"), path: hashes(a.path, "bundle.aggregation.path", BUNDLE_LIMITS.maxPath), root: hash32(a.root, "bundle.aggregation.root") };
  }
  const t = object(o.trust, "bundle.trust", ["header", "validators"]);
  const r = object(o.registration, "bundle.registration", ["header", "commit", "record", "tx", "receipt", "tsaRoots"]);
  const tx = object(r.tx, "bundle.registration.tx", ["raw", "proof"]);
  const rc = object(r.receipt, "bundle.registration.receipt", ["raw", "proof"]);
  let status: ProofBundle["status"] = null;
  if (o.status !== null) {
    const s = object(o.status, "bundle.status", ["header", "commit", "record"]);
    status = { ...certified(s, "bundle.status"), record: parseSmtProof(s.record, "bundle.status.record") };
  }
  return {
    type: BUNDLE_TYPE,
    version: BUNDLE_VERSION,
    chainId: str(o.chainId, "bundle.chainId", 63),
    suite: o.suite as SuiteId,
    document: { fingerprint: hash32(d.fingerprint, "bundle.document.fingerprint"), salt: d.salt === null ? null : match(d.salt, "bundle.document.salt", /^(?:[0-9a-f]{2}){1,64}$/, "null or 1 to 64 bytes of lowercase hex") },
    aggregation,
    trust: { header: parseHeader(t.header, "bundle.trust.header"), validators: parseValidators(t.validators, "bundle.trust.validators") },
    validatorChanges: array(o.validatorChanges, "bundle.validatorChanges", BUNDLE_LIMITS.maxChanges).map((c, i) => {
      const p = `bundle.validatorChanges[${i}]`;
      const co = object(c, p, ["header", "commit", "nextValidators"]);
      return { ...certified(co, p), nextValidators: parseValidators(co.nextValidators, `${p}.nextValidators`) };
    }),
    registration: {
      ...certified(r, "bundle.registration"),
      record: parseSmtProof(r.record, "bundle.registration.record"),
      tx: { raw: hex(tx.raw, "bundle.registration.tx.raw"), proof: parseInclusion(tx.proof, "bundle.registration.tx.proof") },
      receipt: { raw: hex(rc.raw, "bundle.registration.receipt.raw"), proof: parseInclusion(rc.proof, "bundle.registration.receipt.proof") },
      tsaRoots: r.tsaRoots === null ? null : parseSmtProof(r.tsaRoots, "bundle.registration.tsaRoots"),
    },
    status,
  };
}

/** The one text form a bundle is written in (2-space JSON and a final newline): any other byte is a change. */
export function bundleText(b: ProofBundle): string {
  return JSON.stringify(b, null, 2) + "\n";
}
