/**
 * Shared helpers of the identity tests: a real in-process chain (ChainDriver on tmp LMDB),
 * key-backed accounts, DID documents, and VC-JWTs signed the way an issuer would sign them.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Receipt } from "../../src/ledger/receipt.js";
import type { SignedTx } from "../../src/ledger/tx.js";
import type { CallInput } from "../../src/sdk/wallet.js";
import { Wallet } from "../../src/sdk/wallet.js";
import { fromHex, toHex, utf8 } from "../../src/util/bytes.js";
import type { Fixture } from "../e2e/helpers/proc-chain.js";
import { ChainDriver, makeFixture, SUITE_ID } from "../e2e/helpers/proc-chain.js";
import { moduleState } from "./receipt-asserts.js";

export const CHAIN = "idtest";

export interface KeyAccount {
  wallet: Wallet;
  secretKey: Uint8Array;
  publicKey: Uint8Array;
  address: string;
}

export function keyAccount(f: Fixture): KeyAccount {
  const kp = f.suite.generateKeyPair();
  const wallet = Wallet.fromSecretKey(kp.secretKey, SUITE_ID);
  return { wallet, secretKey: kp.secretKey, publicKey: kp.publicKey, address: wallet.address };
}

export const did = (id: string): string => `did:civitas:${CHAIN}:${id}`;

export function documentJson(keys: Uint8Array[], extra: { controllers?: string[]; services?: Array<{ id: string; type: string; serviceEndpoint: string }> } = {}): string {
  return JSON.stringify({ keys: keys.map(toHex), ...extra });
}

export const call = (method: string, args: Record<string, unknown>): CallInput => ({ module: "identity", method, args });

export async function withChain(fn: (d: ChainDriver, f: Fixture, dir: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), "civitas-identity-"));
  const f = makeFixture({ chainId: CHAIN, wallets: 3 });
  const d = await ChainDriver.open(join(root, "chain"), f);
  try {
    await fn(d, f, join(root, "chain"));
  } finally {
    await d.close();
    await rm(root, { recursive: true, force: true });
  }
}

/** Submits, produces one block and returns the receipts in submission order. */
export async function block(d: ChainDriver, txs: SignedTx[], time?: number): Promise<Receipt[]> {
  const hashes = txs.length ? await d.submit(txs) : [];
  const b = await d.produce(time);
  return hashes.map((h) => {
    const t = d.chain.getTx(fromHex(h));
    assert.ok(t, `transaction ${h} was included`);
    assert.equal(t.height, b.header.height);
    return t.receipt;
  });
}

/** One transaction of one call in its own block: its receipt. */
export async function run(d: ChainDriver, by: Wallet | KeyAccount, method: string, args: Record<string, unknown>, time?: number): Promise<Receipt> {
  const w = by instanceof Wallet ? by : by.wallet;
  const [r] = await block(d, [d.tx(w, [call(method, args)])], time);
  return r;
}

export { failed, ok } from "./receipt-asserts.js";

/** Every committed identity/ entry as hex: what a refused call must leave alone. */
export function identityState(d: ChainDriver): Record<string, string> {
  return moduleState(d.chain, "identity/");
}

/** Reads the committed identity key space (module-relative keys). */
export function reader(d: ChainDriver): (k: string) => Uint8Array | undefined {
  return (k) => d.chain.committedState.get(`identity/${k}`);
}

const b64 = (s: string | Uint8Array): string => Buffer.from(typeof s === "string" ? utf8(s) : s).toString("base64url");

export interface VcOptions {
  issuer: string;
  keyNumber: number;
  secretKey: Uint8Array;
  subject: string;
  types?: string[];
  claims?: Record<string, unknown>;
  validFrom?: string;
  validUntil?: string;
  listId?: string;
  index?: number;
  /** Replaces the header or payload text wholesale (malformed-input tests). */
  header?: Record<string, unknown>;
  payloadOverride?: (p: Record<string, unknown>) => Record<string, unknown>;
}

export function vcPayload(o: VcOptions): Record<string, unknown> {
  return {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    id: "urn:uuid:0b7a6c3e-7d5b-4a0e-9a57-1c2f3e4d5a6b",
    type: ["VerifiableCredential", ...(o.types ?? ["RoleCredential"])],
    issuer: o.issuer,
    validFrom: o.validFrom ?? "2023-01-01T00:00:00Z",
    ...(o.validUntil ? { validUntil: o.validUntil } : {}),
    credentialSubject: { id: o.subject, ...(o.claims ?? { role: "inspector", level: 3 }) },
    credentialStatus: {
      id: `https://node.example/v1/identity/status-lists/${o.issuer}/${o.listId ?? "rl1"}#${o.index ?? 7}`,
      type: "BitstringStatusListEntry",
      statusPurpose: "revocation",
      statusListIndex: String(o.index ?? 7),
      statusListCredential: `https://node.example/v1/identity/status-lists/${o.issuer}/${o.listId ?? "rl1"}`,
    },
  };
}

/** A compact JWS over raw header and payload text, signed with the chain suite (Ed25519). */
export function signJws(f: Fixture, headerText: string, payloadText: string, secretKey: Uint8Array): string {
  const signingInput = `${b64(headerText)}.${b64(payloadText)}`;
  return `${signingInput}.${b64(f.suite.sign(utf8(signingInput), secretKey))}`;
}

export function vcJwt(f: Fixture, o: VcOptions): string {
  const header = o.header ?? { alg: "EdDSA", typ: "vc+jwt", kid: `${o.issuer}#key-${o.keyNumber}` };
  const payload = o.payloadOverride ? o.payloadOverride(vcPayload(o)) : vcPayload(o);
  return signJws(f, JSON.stringify(header), JSON.stringify(payload), o.secretKey);
}

export const STATUS_LIST_SIZE = 131_072;
