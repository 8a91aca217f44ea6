/**
 * `checkBundle`: the offline check of a proof bundle (docs/spec/proof-bundle.md). Synchronous,
 * portable (browsers included: no node: imports, no Buffer) and network-free. Every step either
 * passes and says what it established, or the check stops with a BundleError naming the part.
 *
 * Order: format → trust → validator-set → header/commit of the registration block → document →
 * aggregation → record (state proof) → owner-signature → transaction → receipt → tsa → status.
 */
import { getPortableSuite } from "../../crypto/portable-suites.js";
import type { CryptoSuite } from "../../crypto/suite.js";
import { genesisHash, genesisValidators, parseGenesis } from "../../ledger/genesis.js";
import { leafHash, verifyInclusionPath } from "../../ledger/merkle.js";
import { sortValidators, validatorSetHash } from "../../ledger/validators.js";
import { registrationMessage } from "../../modules/proof/message.js";
import type { ProofRecord } from "../../modules/proof/record.js";
import { decodeRecord } from "../../modules/proof/record.js";
import { equalBytes, fromHex, toHex } from "../../util/bytes.js";
import { commitment, hashAlgorithmOf } from "../hash.js";
import type { HashAlgorithm } from "../hash.js";
import type { CertifiedBlock } from "./chain.js";
import { checkChain } from "./chain.js";
import { BundleError } from "./errors.js";
import type { BundlePart, ProofBundle } from "./format.js";
import { parseBundle } from "./parse.js";
import { provedValue, RECORD_PREFIX } from "./state.js";
import type { TsaFacts } from "./tsa.js";
import { checkTsa } from "./tsa.js";
import { checkRegistrationTx } from "./tx.js";

export interface CheckOptions {
  /** The document's bytes: its fingerprint (with the bundle's salt) must be the bundle's. */
  document?: Uint8Array;
  /** Or the document's fingerprint as the caller computed it (streaming, with the bundle's suite and salt). */
  documentFingerprint?: Uint8Array;
  /** Pin the trust anchor: its header hash must be this (hex). */
  trustedHash?: string;
  /** Pin the trust anchor to a genesis document (JSON text or object): the anchor must be its block 0 and set. */
  genesis?: unknown;
}

export interface BlockFacts {
  height: number;
  hash: string;
  time: number;
  timeIso: string;
  stateRoot: string;
  round: number;
  signers: CertifiedBlock["signers"];
  signedPower: number;
  totalPower: number;
  validators: Array<{ address: string; publicKey: string; power: number }>;
}

export interface BundleFacts {
  chainId: string;
  suite: string;
  hashAlgorithm: HashAlgorithm;
  fingerprint: string;
  salted: boolean;
  documentChecked: boolean;
  aggregation: { leafIndex: number; treeSize: number; root: string } | null;
  record: { kind: string; fingerprint: string; count: number; docType: string; metadata: string; owner: string; keyId: number; verificationMethod: string; publicKey: string; signature: string; registrant: string; height: number; time: number; status: string };
  block: BlockFacts;
  tx: { hash: string; index: number; from: string };
  tsa: TsaFacts | null;
  status: { height: number; hash: string; time: number; status: string; owner: string; supersededBy: string | null; statusReason: string } | null;
  trust: { height: number; headerHash: string; genesisDocumentHash: string | null; pinned: "trusted-hash" | "genesis" | null };
  validatorChanges: Array<{ height: number; hash: string; from: string; to: string }>;
}

export interface BundleStep {
  part: BundlePart;
  ok: boolean;
  detail: string;
}

export interface BundleCheck {
  valid: boolean;
  /** The failed part and why (when not valid). */
  failed?: { part: BundlePart; reason: string };
  steps: BundleStep[];
  facts?: BundleFacts;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function blockFacts(c: CertifiedBlock): BlockFacts {
  return {
    height: c.header.height,
    hash: c.hash,
    time: c.header.time,
    timeIso: iso(c.header.time),
    stateRoot: toHex(c.header.stateRoot),
    round: c.round,
    signers: c.signers,
    signedPower: c.signedPower,
    totalPower: c.totalPower,
    validators: c.set.validators.map((v) => ({ address: "0x" + toHex(v.address), publicKey: toHex(v.publicKey), power: v.power })),
  };
}

function decodeProved(bytes: Uint8Array, part: BundlePart): ProofRecord {
  try {
    return decodeRecord(bytes);
  } catch (e) {
    throw new BundleError(part, `the proved record does not decode: ${(e as Error).message}`);
  }
}

function pinTrust(suite: CryptoSuite, b: ProofBundle, o: CheckOptions, anchor: { height: number; hash: string; prevHash: Uint8Array; setHash: Uint8Array }): BundleFacts["trust"]["pinned"] {
  if (o.trustedHash !== undefined && o.trustedHash.toLowerCase() !== anchor.hash) throw new BundleError("trust", `the trust anchor is block ${anchor.height} with hash ${anchor.hash}, not the pinned ${o.trustedHash}`);
  if (o.genesis === undefined) return o.trustedHash !== undefined ? "trusted-hash" : null;
  let g;
  try {
    g = parseGenesis(typeof o.genesis === "string" ? JSON.parse(o.genesis) : o.genesis);
  } catch (e) {
    throw new BundleError("trust", `the genesis document to pin against does not parse: ${(e as Error).message}`);
  }
  if (g.chainId !== b.chainId || g.cryptoSuite !== b.suite) throw new BundleError("trust", `the genesis document is for chain '${g.chainId}' (${g.cryptoSuite}), the bundle for '${b.chainId}' (${b.suite})`);
  if (anchor.height !== 0) throw new BundleError("trust", `the bundle's trust anchor is block ${anchor.height}, not block 0 of the genesis document`);
  if (!equalBytes(anchor.prevHash, genesisHash(suite, g))) throw new BundleError("trust", "the anchor block 0 does not link to this genesis document (prevHash ≠ genesis hash)");
  if (!equalBytes(anchor.setHash, validatorSetHash(suite, sortValidators(genesisValidators(suite, g))))) throw new BundleError("trust", "the anchor's validator set is not the genesis validator set");
  return "genesis";
}

function run(input: unknown, o: CheckOptions, steps: BundleStep[]): BundleFacts {
  const pass = (part: BundlePart, detail: string): void => {
    steps.push({ part, ok: true, detail });
  };
  const b = parseBundle(input);
  const suite = getPortableSuite(b.suite);
  const H = (d: Uint8Array): Uint8Array => suite.hash(d);
  pass("format", `${b.type}, chain ${b.chainId}, suite ${b.suite}`);

  // Trust and the set changes up to the newest block of the bundle.
  const regHeight = b.registration.header.height;
  const maxHeight = b.status ? b.status.header.height : regHeight;
  const chain = checkChain(suite, b, maxHeight);
  const pinned = pinTrust(suite, b, o, { height: chain.trustHeight, hash: chain.trustHash, prevHash: chain.trustHeader.prevHash, setHash: chain.trustSet.hash });
  pass("trust", `anchor block ${chain.trustHeight} ${chain.trustHash}${pinned ? ` (pinned by ${pinned})` : " (not pinned: compare this hash with one you obtained independently)"}`);
  pass("validator-set", `${chain.changes.length} validator-set change(s) followed from block ${chain.trustHeight}, each certified by the set before it`);

  const reg = chain.certify(b.registration, "header", "commit", "the registration block");
  pass("header", `registration block ${reg.header.height} hashes to ${reg.hash}`);
  pass("commit", `block ${reg.header.height} is certified by ${reg.signers.length} validator(s) holding ${reg.signedPower} of ${reg.totalPower} power (> 2/3)`);

  // Document → fingerprint → (aggregation path) → the registered key.
  const fp = fromHex(b.document.fingerprint);
  const salt = b.document.salt === null ? null : fromHex(b.document.salt);
  if (o.document || o.documentFingerprint) {
    const got = o.document ? commitment(H, o.document, salt) : (o.documentFingerprint as Uint8Array);
    if (!equalBytes(got, fp)) throw new BundleError("document", `the document${salt ? " with the bundle's salt" : ""} hashes to ${toHex(got)}, the bundle is for ${b.document.fingerprint}`);
    pass("document", `the document hashes to ${b.document.fingerprint} (${hashAlgorithmOf(b.suite)}${salt ? ", salted" : ""})`);
  }
  let registered = fp;
  if (b.aggregation) {
    const a = b.aggregation;
    if (a.leafIndex >= a.treeSize) throw new BundleError("aggregation", `leaf ${a.leafIndex} is outside a tree of ${a.treeSize}`);
    if (!verifyInclusionPath(H, leafHash(H, fp), a.leafIndex, a.treeSize, a.path.map(fromHex), fromHex(a.root))) throw new BundleError("aggregation", `the inclusion path of leaf ${a.leafIndex} of ${a.treeSize} does not lead from the fingerprint to root ${a.root}`);
    registered = fromHex(a.root);
    pass("aggregation", `leaf ${a.leafIndex} of ${a.treeSize}: the RFC 9162 path leads to root ${a.root}`);
  }
  const regHex = toHex(registered);

  // The record, proved in the registration block's state.
  const value = provedValue(suite, b.registration.record, RECORD_PREFIX + regHex, reg.header.stateRoot, "record", `record ${regHex}`);
  if (value === null) throw new BundleError("record", `the state proof shows ${regHex} is NOT registered at block ${reg.header.height}`);
  const rec = decodeProved(value, "record");
  if (!equalBytes(rec.fingerprint, registered)) throw new BundleError("record", "the proved record holds another fingerprint than its key");
  if (rec.height !== reg.header.height || rec.time !== reg.header.time) throw new BundleError("record", `the record says it was registered in block ${rec.height} at ${rec.time}, the bundle's registration block is ${reg.header.height} at ${reg.header.time}`);
  if (b.aggregation ? rec.kind !== "batch" || rec.count !== b.aggregation.treeSize : rec.kind !== "document") {
    throw new BundleError("aggregation", b.aggregation ? `the record is a ${rec.kind} of ${rec.count}, the path is for a batch of ${b.aggregation.treeSize}` : "the record is a batch root: the bundle needs the document's aggregation path");
  }
  if (rec.salted !== (salt !== null)) throw new BundleError("document", rec.salted ? "the record is salted but the bundle carries no salt" : "the bundle carries a salt but the record is not salted");
  pass("record", `${rec.kind} ${regHex} is registered in the state of block ${reg.header.height} (sparse-Merkle proof against its stateRoot)`);

  // The owner's signature over the registration message, with the key recorded at registration.
  const msg = registrationMessage({ chain: b.chainId, kind: rec.kind, fingerprint: regHex, count: rec.count, salted: rec.salted, owner: rec.owner, docType: rec.docType, metadata: rec.metadata });
  if (!suite.verify(msg, rec.signature, rec.publicKey)) throw new BundleError("owner-signature", `the owner's signature does not verify with the recorded key ${rec.owner}#key-${rec.keyId}`);
  pass("owner-signature", `signed by ${rec.owner}#key-${rec.keyId} (${toHex(rec.publicKey)})`);

  const tx = checkRegistrationTx(suite, b, reg, rec, regHex);
  pass("transaction", `transaction ${tx.hash} from ${tx.from} is transaction ${tx.index} of block ${reg.header.height} (RFC 9162 proof against txRoot) and registers ${regHex}`);
  pass("receipt", `its receipt (status ok, event proof.Registered) is in the block's receiptRoot`);

  const tsa = checkTsa(suite, b, rec, reg);
  pass("tsa", tsa ? `RFC 3161 token of ${tsa.tsa.subject} at ${tsa.genTimeIso}, chained to root ${tsa.root.subject} proven in state` : "no trusted timestamp on this record");

  let status: BundleFacts["status"] = null;
  if (b.status) {
    if (b.status.header.height <= reg.header.height) throw new BundleError("status", `the status block ${b.status.header.height} is not after the registration block ${reg.header.height}`);
    const sb = chain.certify(b.status, "status", "status", "the status block");
    const sv = provedValue(suite, b.status.record, RECORD_PREFIX + regHex, sb.header.stateRoot, "status", `record ${regHex} at the status block`);
    if (sv === null) throw new BundleError("status", `the record is absent at block ${sb.header.height}`);
    const later = decodeProved(sv, "status");
    if (!equalBytes(later.fingerprint, registered) || later.height !== rec.height || !equalBytes(later.signature, rec.signature)) throw new BundleError("status", "the record at the status block is not the registered one");
    status = { height: sb.header.height, hash: sb.hash, time: sb.header.time, status: later.status, owner: later.owner, supersededBy: later.supersededBy ? toHex(later.supersededBy) : null, statusReason: later.statusReason };
    pass("status", `as of block ${sb.header.height} (${iso(sb.header.time)}, certified) the record is ${later.status}${later.owner !== rec.owner ? `, owned by ${later.owner}` : ""}`);
  }

  return {
    chainId: b.chainId,
    suite: b.suite,
    hashAlgorithm: hashAlgorithmOf(b.suite),
    fingerprint: b.document.fingerprint,
    salted: rec.salted,
    documentChecked: o.document !== undefined || o.documentFingerprint !== undefined,
    aggregation: b.aggregation ? { leafIndex: b.aggregation.leafIndex, treeSize: b.aggregation.treeSize, root: b.aggregation.root } : null,
    record: { kind: rec.kind, fingerprint: regHex, count: rec.count, docType: rec.docType, metadata: rec.metadata, owner: rec.owner, keyId: rec.keyId, verificationMethod: `${rec.owner}#key-${rec.keyId}`, publicKey: toHex(rec.publicKey), signature: toHex(rec.signature), registrant: rec.registrant, height: rec.height, time: rec.time, status: rec.status },
    block: blockFacts(reg),
    tx,
    tsa,
    status,
    trust: { height: chain.trustHeight, headerHash: chain.trustHash, genesisDocumentHash: chain.trustHeight === 0 ? toHex(chain.trustHeader.prevHash) : null, pinned },
    validatorChanges: chain.changes,
  };
}

/**
 * Checks a bundle (parsed JSON) offline. Never throws: a bundle that does not check is
 * `{valid: false, failed: {part, reason}}` with the steps that passed before it.
 */
export function checkBundle(input: unknown, o: CheckOptions = {}): BundleCheck {
  const steps: BundleStep[] = [];
  try {
    const facts = run(input, o, steps);
    return { valid: true, steps, facts };
  } catch (e) {
    const part: BundlePart = e instanceof BundleError ? e.part : "format";
    const reason = e instanceof BundleError ? e.message : `the bundle could not be checked: ${(e as Error)?.message ?? String(e)}`;
    steps.push({ part, ok: false, detail: reason });
    return { valid: false, failed: { part, reason }, steps };
  }
}

/** Reads bundle text strictly: JSON, and exactly the text the writer produces (no re-formatting, no extra bytes). */
export function checkBundleText(text: string, o: CheckOptions = {}): BundleCheck {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const reason = `proof bundle: format check failed: not JSON: ${(e as Error).message}`;
    return { valid: false, failed: { part: "format", reason }, steps: [{ part: "format", ok: false, detail: reason }] };
  }
  const r = checkBundle(json, o);
  if (r.valid && JSON.stringify(json, null, 2) + "\n" !== text) {
    const reason = "proof bundle: format check failed: the file is not in the bundle's canonical text form (2-space JSON, one final newline): it was edited";
    return { valid: false, failed: { part: "format", reason }, steps: [...r.steps, { part: "format", ok: false, detail: reason }] };
  }
  return r;
}
