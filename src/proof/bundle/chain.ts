/**
 * The chain half of a bundle check: from the trust anchor through every validator-set change to
 * the bundle's blocks, each header certified by more than 2/3 of the set in force at its height.
 *
 * Unlike the light client (src/sdk/light-client.ts), which walks every header, a bundle carries
 * only the headers where the set changes (skipping verification, as Tendermint light clients
 * do): set S signs every block from the one after its change header up to and including the
 * next change header, and each change header, certified by S, commits to the next set through
 * nextValidatorSetHash. A header naming a set other than the one this walk arrives at means a
 * change is missing from the bundle. Trust model as the light client's: more than 2/3 of every
 * set followed is honest, including after it left (keep checkpoints recent for old chains).
 */
import type { CryptoSuite } from "../../crypto/suite.js";
import type { BlockHeader, CommitCertificate } from "../../ledger/block.js";
import { blockHash, verifyCommit } from "../../ledger/block.js";
import type { Validator } from "../../ledger/validators.js";
import { totalPower, validatorSetHash } from "../../ledger/validators.js";
import { compareBytes, equalBytes, fromHex, toHex } from "../../util/bytes.js";
import { BundleError } from "./errors.js";
import type { BundlePart, CertifiedHeader, CommitJson, HeaderJson, ProofBundle, ValidatorJson } from "./format.js";

export interface VSet {
  validators: Validator[];
  hash: Uint8Array;
}

export interface CertifiedBlock {
  header: BlockHeader;
  hash: string;
  set: VSet;
  /** Signers of the commit certificate with their power, in certificate order. */
  signers: Array<{ address: string; publicKey: string; power: number; time: number }>;
  signedPower: number;
  totalPower: number;
  round: number;
}

const MAX_TOTAL_POWER = 1_000_000;

export function headerOf(j: HeaderJson): BlockHeader {
  return {
    chain: j.chain,
    height: j.height,
    time: j.time,
    prevHash: fromHex(j.prevHash),
    txRoot: fromHex(j.txRoot),
    receiptRoot: fromHex(j.receiptRoot),
    stateRoot: fromHex(j.stateRoot),
    validatorSetHash: fromHex(j.validatorSetHash),
    nextValidatorSetHash: fromHex(j.nextValidatorSetHash),
    proposer: fromHex(j.proposer),
    protocolVersion: j.protocolVersion,
    txCount: j.txCount,
    lastCommitHash: fromHex(j.lastCommitHash),
  };
}

function commitOf(j: CommitJson): CommitCertificate {
  return { height: j.height, round: j.round, blockHash: fromHex(j.blockHash), signatures: j.signatures.map((s) => ({ validator: fromHex(s.validator), time: s.time, signature: fromHex(s.signature) })) };
}

/** A header whose fields hash to its `hash`, on this chain. */
export function checkedHeader(suite: CryptoSuite, chainId: string, j: HeaderJson, part: BundlePart, what: string): { header: BlockHeader; hash: Uint8Array } {
  const header = headerOf(j);
  const hash = blockHash(suite, header);
  if (toHex(hash) !== j.hash) throw new BundleError(part, `${what} (height ${j.height}): its fields hash to ${toHex(hash)}, not to its hash ${j.hash}`);
  if (header.chain !== chainId) throw new BundleError(part, `${what} is for chain '${header.chain}', the bundle for '${chainId}'`);
  return { header, hash };
}

/** A validator list as hashed on chain: valid keys, powers in range, strictly in address order. */
export function makeSet(suite: CryptoSuite, list: ValidatorJson[], part: BundlePart, what: string): VSet {
  const validators = list.map((v, i) => {
    const publicKey = fromHex(v.publicKey);
    if (!suite.isValidPublicKey(publicKey)) throw new BundleError(part, `${what}[${i}].publicKey is not a valid ${suite.id} key`);
    if (v.power < 1 || v.power > MAX_TOTAL_POWER) throw new BundleError(part, `${what}[${i}].power must be in [1, ${MAX_TOTAL_POWER}]`);
    return { address: fromHex(suite.address(publicKey)), publicKey, power: v.power };
  });
  for (let i = 1; i < validators.length; i++) {
    if (compareBytes(validators[i - 1].address, validators[i].address) >= 0) throw new BundleError(part, `${what} is not strictly in address order (the order its hash is taken in)`);
  }
  if (totalPower(validators) > MAX_TOTAL_POWER) throw new BundleError(part, `${what} holds more than ${MAX_TOTAL_POWER} power`);
  return { validators, hash: validatorSetHash(suite, validators) };
}

/** Checks `c` against set `set`: header hash, the set it names, and a certificate of > 2/3 of the set's power. */
function certify(suite: CryptoSuite, chainId: string, c: CertifiedHeader, set: VSet, headerPart: BundlePart, commitPart: BundlePart, what: string): CertifiedBlock {
  const { header, hash } = checkedHeader(suite, chainId, c.header, headerPart, what);
  if (!equalBytes(header.validatorSetHash, set.hash)) {
    throw new BundleError("validator-set", `${what} (height ${header.height}) names validator set ${toHex(header.validatorSetHash)}, but the set changes in the bundle lead to ${toHex(set.hash)} at that height (a set change is missing or forged)`);
  }
  const commit = commitOf(c.commit);
  if (commit.height !== header.height) throw new BundleError(commitPart, `the certificate of ${what} is for height ${commit.height}, not ${header.height}`);
  const ok = verifyCommit(suite, chainId, hash, commit, set.validators);
  if (!ok.ok) throw new BundleError(commitPart, `the certificate of ${what} (height ${header.height}) does not verify: ${ok.reason}`);
  const byAddress = new Map(set.validators.map((v) => [toHex(v.address), v]));
  const signers = commit.signatures.map((s) => {
    const v = byAddress.get(toHex(s.validator)) as Validator;
    return { address: "0x" + toHex(v.address), publicKey: toHex(v.publicKey), power: v.power, time: s.time };
  });
  return { header, hash: toHex(hash), set, signers, signedPower: signers.reduce((a, s) => a + s.power, 0), totalPower: totalPower(set.validators), round: commit.round };
}

export interface ChainCheck {
  trustHeight: number;
  trustHash: string;
  trustHeader: BlockHeader;
  trustSet: VSet;
  changes: Array<{ height: number; hash: string; from: string; to: string }>;
  /** The set that signs `height` (height > trustHeight), from the trust anchor and the changes. */
  setAt(height: number): VSet;
  certify(c: CertifiedHeader, headerPart: BundlePart, commitPart: BundlePart, what: string): CertifiedBlock;
}

/** Trust anchor and validator-set changes up to `maxHeight` (the newest block the bundle proves). */
export function checkChain(suite: CryptoSuite, b: ProofBundle, maxHeight: number): ChainCheck {
  const trust = checkedHeader(suite, b.chainId, b.trust.header, "trust", "the trust anchor's header");
  const trustSet = makeSet(suite, b.trust.validators, "trust", "trust.validators");
  if (!equalBytes(trustSet.hash, trust.header.nextValidatorSetHash)) throw new BundleError("trust", `trust.validators hash to ${toHex(trustSet.hash)}, not to the anchor's nextValidatorSetHash ${toHex(trust.header.nextValidatorSetHash)}`);
  if (maxHeight <= trust.header.height) throw new BundleError("trust", `the bundle's blocks (up to ${maxHeight}) are not after the trust anchor (height ${trust.header.height})`);
  // sets[i] signs heights in (starts[i], starts[i+1]]: after its change header, up to the next one.
  const starts = [trust.header.height];
  const sets = [trustSet];
  const changes: ChainCheck["changes"] = [];
  const setAt = (height: number): VSet => {
    let i = starts.length - 1;
    while (i > 0 && starts[i] >= height) i--;
    return sets[i];
  };
  b.validatorChanges.forEach((c, i) => {
    const what = `validator-set change ${i}`;
    const h = c.header.height;
    if (h <= starts[starts.length - 1]) throw new BundleError("validator-set", `${what} (height ${h}) is not after the previous one (height ${starts[starts.length - 1]})`);
    if (h >= maxHeight) throw new BundleError("validator-set", `${what} (height ${h}) is not below the newest block of the bundle (${maxHeight}): it proves nothing the bundle needs`);
    const cur = sets[sets.length - 1];
    const cb = certify(suite, b.chainId, c, cur, "validator-set", "validator-set", what);
    if (equalBytes(cb.header.nextValidatorSetHash, cb.header.validatorSetHash)) throw new BundleError("validator-set", `${what} (height ${h}) does not change the set`);
    const next = makeSet(suite, c.nextValidators, "validator-set", `validatorChanges[${i}].nextValidators`);
    if (!equalBytes(next.hash, cb.header.nextValidatorSetHash)) throw new BundleError("validator-set", `${what}: nextValidators hash to ${toHex(next.hash)}, not to the header's nextValidatorSetHash ${toHex(cb.header.nextValidatorSetHash)}`);
    starts.push(h);
    sets.push(next);
    changes.push({ height: h, hash: cb.hash, from: toHex(cur.hash), to: toHex(next.hash) });
  });
  return {
    trustHeight: trust.header.height,
    trustHash: toHex(trust.hash),
    trustHeader: trust.header,
    trustSet,
    changes,
    setAt,
    certify: (c, headerPart, commitPart, what) => {
      if (c.header.height <= trust.header.height) throw new BundleError(headerPart, `${what} (height ${c.header.height}) is not after the trust anchor (height ${trust.header.height})`);
      return certify(suite, b.chainId, c, setAt(c.header.height), headerPart, commitPart, what);
    },
  };
}
