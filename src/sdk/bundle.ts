/**
 * Building an offline proof bundle from a node (docs/spec/proof-bundle.md): the record and the
 * registering transaction with their proofs, the registration block's header and certificate,
 * the record's current status, and the validator-set changes from a trusted checkpoint (block 0
 * by default). The node is not trusted: the finished bundle is checked with the offline
 * verifier before it is returned, so a node that serves inconsistent data yields an error, not
 * a bundle. Portable (browser and Node).
 *
 *   const bundle = await buildProofBundle("http://127.0.0.1:8080", { fingerprint, receipt });
 *   checkBundle(bundle, { document }).valid  // true, anywhere, offline
 */
import { getPortableSuite } from "../crypto/portable-suites.js";
import type { SuiteId } from "../crypto/suite.js";
import type { CertifiedHeader, CommitJson, HeaderJson, InclusionJson, ProofBundle, SmtProofJson, ValidatorJson } from "../proof/bundle/format.js";
import { BUNDLE_TYPE, BUNDLE_VERSION } from "../proof/bundle/format.js";
import { BundleError } from "../proof/bundle/errors.js";
import { RECORD_PREFIX, TSA_ROOTS_KEY } from "../proof/bundle/state.js";
import { checkBundle } from "../proof/bundle/verify.js";
import type { ProofReceipt } from "../proof/receipt.js";
import { compareBytes, fromHex, toHex } from "../util/bytes.js";
import { CivitasError, ErrorCode } from "../util/errors.js";
import { CivitasClient } from "./client.js";
import type { TrustedCheckpoint } from "./light-client.js";
import type { VerifyAnswer } from "./proofs-client.js";

export interface BundleRequest {
  /** The document's fingerprint F (hex or bytes): H(document), or H(salt ‖ document) when salted. */
  fingerprint: Uint8Array | string;
  /** Salt of a salted registration (default: the receipt's). */
  salt?: Uint8Array | string | null;
  /** The registration receipt; required for a document registered in an aggregated batch (its path). */
  receipt?: ProofReceipt;
  /** Where the verifier's trust starts (default: block 0 and the genesis validator set). */
  checkpoint?: TrustedCheckpoint;
  /** Also prove the record's status at the node's head (default true). */
  status?: boolean;
}

const HEADER_PAGE = 100;

const hexOf = (v: Uint8Array | string): string => (typeof v === "string" ? v : toHex(v));

function header(j: Record<string, unknown>): HeaderJson {
  const k = ["hash", "chain", "height", "time", "prevHash", "txRoot", "receiptRoot", "stateRoot", "validatorSetHash", "nextValidatorSetHash", "proposer", "protocolVersion", "txCount", "lastCommitHash"] as const;
  return Object.fromEntries(k.map((x) => [x, j[x]])) as unknown as HeaderJson;
}

function commit(j: Record<string, unknown>): CommitJson {
  const c = j as unknown as CommitJson;
  return { height: c.height, round: c.round, blockHash: c.blockHash, signatures: c.signatures.map((s) => ({ validator: s.validator, time: s.time, signature: s.signature })) };
}

function smt(p: Record<string, unknown>): SmtProofJson {
  const t = p.terminal as { kind: string; keyHash?: string; valueHash?: string };
  return { key: p.key as string, value: (p.value as string | null) ?? null, siblings: [...(p.siblings as string[])], terminal: t.kind === "leaf" ? { kind: "leaf", keyHash: t.keyHash as string, valueHash: t.valueHash as string } : { kind: "empty" } };
}

function inclusion(p: Record<string, unknown>): InclusionJson {
  return { leafHash: p.leafHash as string, index: p.index as number, treeSize: p.treeSize as number, proof: [...(p.proof as string[])], root: p.root as string };
}

/** A validator list in address order (the order the chain hashes sets in). */
function sortedSet(suite: SuiteId, list: Array<{ publicKey: string; power: number }>): ValidatorJson[] {
  const s = getPortableSuite(suite);
  return list
    .map((v) => ({ address: fromHex(s.address(fromHex(v.publicKey))), v: { publicKey: v.publicKey, power: v.power } }))
    .sort((a, b) => compareBytes(a.address, b.address))
    .map((x) => x.v);
}

export async function buildProofBundle(api: string | CivitasClient, r: BundleRequest): Promise<ProofBundle> {
  const client = typeof api === "string" ? new CivitasClient(api) : api;
  const st = await client.status();
  const chainId = st.chain.chainId;
  const suite = st.chain.cryptoSuite as SuiteId;
  const fp = hexOf(r.fingerprint);
  const receipt = r.receipt;
  if (receipt && receipt.fingerprint !== fp) throw new CivitasError(ErrorCode.PROOF_INVALID, `the receipt is for fingerprint ${receipt.fingerprint}, not ${fp}`);
  if (receipt && receipt.chain !== chainId) throw new CivitasError(ErrorCode.PROOF_INVALID, `the receipt is for chain '${receipt.chain}', the node runs '${chainId}'`);
  const saltRaw = r.salt !== undefined ? r.salt : (receipt?.salt ?? null);
  const salt = saltRaw === null ? null : hexOf(saltRaw);
  const batch = receipt?.kind === "batch-leaf";

  const answer = await client.request<VerifyAnswer>("POST", "/v1/proofs/verify", batch ? { fingerprint: fp, leafIndex: receipt.leafIndex, treeSize: receipt.treeSize, path: receipt.path, root: receipt.root } : { fingerprint: fp });
  if (!answer.registered || !answer.registeredAt) throw new CivitasError(ErrorCode.PROOF_NOT_FOUND, `not registered: ${answer.reason ?? fp}`, { fingerprint: fp });
  const { height, txHash } = answer.registeredAt;
  if (!txHash) throw new CivitasError(ErrorCode.PROOF_NOT_FOUND, `the node cannot name the transaction that registered ${fp}`, { fingerprint: fp });
  const regHex = batch ? receipt.root : fp;

  const stateProof = async (key: string, at: number): Promise<SmtProofJson> => smt((await client.request<{ proof: Record<string, unknown> }>("GET", `/v1/proofs/state?key=${encodeURIComponent(key)}&height=${at}`)).proof);
  const certified = async (at: number | "latest"): Promise<CertifiedHeader> => {
    const b = await client.getBlock(at);
    return { header: header(b.header), commit: commit(b.commit as unknown as Record<string, unknown>) };
  };

  const reg = await certified(height);
  const tx = await client.getTx(txHash);
  const rc = await client.request<{ raw: string; proof: Record<string, unknown> }>("GET", `/v1/proofs/receipt/${txHash}`);
  if (!tx.raw || !tx.proof) throw new CivitasError(ErrorCode.TX_NOT_FOUND, `transaction ${txHash} is not committed`, { hash: txHash });
  const hasToken = (answer.record as { tsa?: unknown } | undefined)?.tsa != null;

  let status: ProofBundle["status"] = null;
  if (r.status !== false) {
    const head = await certified("latest");
    if (head.header.height > height) status = { ...head, record: await stateProof(RECORD_PREFIX + regHex, head.header.height) };
  }
  const maxHeight = status ? status.header.height : height;

  // The trust anchor.
  const trustHeight = r.checkpoint?.height ?? 0;
  if (trustHeight >= height) throw new CivitasError(ErrorCode.PROOF_INVALID, `the record (block ${height}) is not after the checkpoint (block ${trustHeight}): use an older checkpoint`);
  const anchor = (await certified(trustHeight)).header;
  if (r.checkpoint && anchor.hash !== r.checkpoint.headerHash) throw new BundleError("trust", `the node's block ${trustHeight} hashes to ${anchor.hash}, not to the checkpoint's ${r.checkpoint.headerHash}`);
  if (r.checkpoint && r.checkpoint.chainId !== chainId) throw new BundleError("trust", `the checkpoint is for chain '${r.checkpoint.chainId}'`);
  const trustSet = r.checkpoint ? r.checkpoint.validators : (await client.request<{ validators: Array<{ publicKey: string; power: number }> }>("GET", `/v1/validators?height=${trustHeight + 1}`)).validators;

  // Every set change between the anchor and the newest block (headers where the next set differs).
  const validatorChanges: ProofBundle["validatorChanges"] = [];
  for (let from = trustHeight + 1; from < maxHeight; from += HEADER_PAGE) {
    const count = Math.min(HEADER_PAGE, maxHeight - from);
    const page = await client.request<{ headers: Array<{ header: Record<string, unknown>; commit: Record<string, unknown> }> }>("GET", `/v1/headers?from=${from}&count=${count}`);
    for (const item of page.headers) {
      if (item.header.nextValidatorSetHash === item.header.validatorSetHash) continue;
      const h = item.header.height as number;
      const next = await client.request<{ validators: Array<{ publicKey: string; power: number }> }>("GET", `/v1/validators?height=${h + 1}`);
      validatorChanges.push({ header: header(item.header), commit: commit(item.commit), nextValidators: sortedSet(suite, next.validators) });
    }
  }

  const bundle: ProofBundle = {
    type: BUNDLE_TYPE,
    version: BUNDLE_VERSION,
    chainId,
    suite,
    document: { fingerprint: fp, salt },
    aggregation: batch ? { leafIndex: receipt.leafIndex as number, treeSize: receipt.treeSize as number, path: [...(receipt.path as string[])], root: receipt.root } : null,
    trust: { header: anchor, validators: sortedSet(suite, trustSet) },
    validatorChanges,
    registration: {
      ...reg,
      record: await stateProof(RECORD_PREFIX + regHex, height),
      tx: { raw: tx.raw, proof: inclusion(tx.proof as unknown as Record<string, unknown>) },
      receipt: { raw: rc.raw, proof: inclusion(rc.proof) },
      tsaRoots: hasToken ? await stateProof(TSA_ROOTS_KEY, height) : null,
    },
    status,
  };
  const check = checkBundle(bundle);
  if (!check.valid) throw new BundleError(check.failed?.part ?? "format", `the node's answers do not make a valid bundle: ${check.failed?.reason ?? "unknown"}`);
  return bundle;
}
