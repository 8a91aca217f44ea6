/**
 * Shared helpers of the proof tests: a real in-process chain (LMDB in a tmp folder, real mempool
 * and signature pool, blocks certified by the test) whose proof module limits a test may choose,
 * DID-backed owners that sign registration messages, and a ProofChainView over the chain.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Block } from "../../src/ledger/block.js";
import type { Receipt } from "../../src/ledger/receipt.js";
import type { SignedTx } from "../../src/ledger/tx.js";
import { Mempool } from "../../src/mempool/mempool.js";
import { VerifyPool } from "../../src/mempool/verify-pool.js";
import { builtinModules } from "../../src/modules/index.js";
import type { ProofLimits } from "../../src/modules/proof/index.js";
import { registrationMessage } from "../../src/modules/proof/index.js";
import { Chain } from "../../src/node/chain.js";
import type { ProofChainView } from "../../src/proof/lookup.js";
import { proofChainView } from "../../src/api/routes/proofs.js";
import type { CallInput } from "../../src/sdk/wallet.js";
import { Wallet } from "../../src/sdk/wallet.js";
import { fromHex, toHex } from "../../src/util/bytes.js";
import type { Fixture } from "../e2e/helpers/proc-chain.js";
import { certify, makeFixture, SUITE_ID } from "../e2e/helpers/proc-chain.js";
import { moduleState } from "./receipt-asserts.js";

export const CHAIN = "prooftest";

export class ProofChain {
  private readonly nonces = new Map<string, number>();
  private constructor(
    readonly f: Fixture,
    readonly chain: Chain,
    readonly mempool: Mempool,
    private readonly pool: VerifyPool,
    readonly dir: string,
  ) {}

  /** The chain's modules are built from its genesis, so proof limits come from `moduleParams.proof`. */
  static async open(dir: string, f: Fixture): Promise<ProofChain> {
    const chain = await Chain.open(dir, f.genesis, builtinModules(f.genesis));
    const pool = new VerifyPool(f.genesis.cryptoSuite, 1, f.genesis.moduleParams);
    const g = f.genesis;
    const mempool = new Mempool(
      { chain: g.chainId, maxTxBytes: g.maxTxBytes, maxTxGas: g.maxTxGas, maxTxExpiryMs: g.maxTxExpiryMs, maxPendingPerAccount: 1000, maxPendingTotal: 100_000 },
      { pool, accountNonce: (a) => chain.accountNonce(a), now: () => Date.now() },
    );
    chain.mempool = mempool;
    chain.pool = pool;
    return new ProofChain(f, chain, mempool, pool, dir);
  }

  tx(wallet: Wallet, calls: CallInput[]): SignedTx {
    const nonce = this.nonces.get(wallet.address) ?? this.chain.accountNonce(wallet.address);
    this.nonces.set(wallet.address, nonce + 1);
    return wallet.buildTx({ chain: this.f.genesis.chainId, nonce, calls, gasLimit: 2_000_000 });
  }

  /** A transaction with the next nonce that does not consume it locally (for ones admission must refuse). */
  probe(wallet: Wallet, calls: CallInput[]): SignedTx {
    const nonce = this.nonces.get(wallet.address) ?? this.chain.accountNonce(wallet.address);
    return wallet.buildTx({ chain: this.f.genesis.chainId, nonce, calls, gasLimit: 2_000_000 });
  }

  /** Admits transactions; returns the admission result of each (refusals included). */
  async admit(txs: SignedTx[]): Promise<Array<{ ok: true; hash: string } | { ok: false; code: string; message: string }>> {
    const res = await this.mempool.admit(txs.map((t) => t.bytes));
    return res.map((r) => (r.ok ? { ok: true as const, hash: r.hash } : { ok: false as const, code: r.error.code, message: r.error.message }));
  }

  async produce(time?: number): Promise<Block> {
    const head = this.chain.head();
    const proposer = fromHex(this.f.suite.address(this.f.suite.publicKeyFromSecret(this.f.validatorSecret)));
    const p = await this.chain.propose({ height: head.height + 1, time: time ?? head.time + 1000, proposer });
    const block = certify(this.f, p.header, p.txs, p.lastCommit);
    await this.chain.commit(block);
    return block;
  }

  /** One block with these transactions; their receipts in order. */
  async block(txs: SignedTx[], time?: number): Promise<Receipt[]> {
    const admitted = await this.admit(txs);
    const hashes = admitted.map((a, i) => {
      if (!a.ok) throw new Error(`tx ${i} refused: ${a.code} ${a.message}`);
      return a.hash;
    });
    const b = await this.produce(time);
    return hashes.map((h) => {
      const t = this.chain.getTx(fromHex(h));
      assert.ok(t, `transaction ${h} was included`);
      assert.equal(t.height, b.header.height);
      return t.receipt;
    });
  }

  async run(by: Wallet, method: string, args: Record<string, unknown>, time?: number): Promise<Receipt> {
    const [r] = await this.block([this.tx(by, [{ module: "proof", method, args }])], time);
    return r;
  }

  view(): ProofChainView {
    return proofChainView(this.chain);
  }


  async close(): Promise<void> {
    await this.pool.close();
    await this.chain.close();
  }
}

export async function withProofChain(fn: (c: ProofChain) => Promise<void>, limits?: Partial<ProofLimits>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), "civitas-proof-"));
  // Limits go into the genesis as a chain operator sets them (moduleParams.proof).
  const c = await ProofChain.open(join(root, "chain"), makeFixture({ chainId: CHAIN, wallets: 4, ...(limits ? { moduleParams: { proof: limits as Record<string, number> } } : {}) }));
  try {
    await fn(c);
  } finally {
    await c.close();
    await rm(root, { recursive: true, force: true });
  }
}

/** An owner: a key, its account wallet and a DID whose key-1 is that key. */
export interface Owner {
  did: string;
  wallet: Wallet;
  secretKey: Uint8Array;
}

export async function createOwner(c: ProofChain, id: string): Promise<Owner> {
  const kp = c.f.suite.generateKeyPair();
  const wallet = Wallet.fromSecretKey(kp.secretKey, SUITE_ID);
  const did = `did:civitas:${CHAIN}:${id}`;
  // The new account has no funds and needs none: there are no fees.
  const [r] = await c.block([c.tx(wallet, [{ module: "identity", method: "createDid", args: { did, kind: "organisation", document: JSON.stringify({ keys: [toHex(kp.publicKey)] }) } }])]);
  assert.equal(r.status, "ok", `createDid: ${r.code} ${r.message}`);
  return { did, wallet, secretKey: kp.secretKey };
}

export interface RegArgs {
  fingerprint: string;
  salted?: 0 | 1;
  docType?: string;
  metadata?: string;
  keyId?: number;
}

/** `register` arguments signed by `signer` (default: the owner's key-1). */
export function registerArgs(c: ProofChain, owner: Owner, a: RegArgs, signer: Uint8Array = owner.secretKey): Record<string, unknown> {
  const fields = { chain: CHAIN, kind: "document" as const, fingerprint: a.fingerprint, count: 1, salted: a.salted === 1, owner: owner.did, docType: a.docType ?? "academic-certificate", metadata: a.metadata ?? "" };
  return { fingerprint: a.fingerprint, salted: a.salted ?? 0, docType: fields.docType, metadata: fields.metadata, owner: owner.did, keyId: a.keyId ?? 1, signature: toHex(c.f.suite.sign(registrationMessage(fields), signer)) };
}

export function batchArgs(c: ProofChain, owner: Owner, root: string, count: number, docType = "academic-certificate"): Record<string, unknown> {
  const fields = { chain: CHAIN, kind: "batch" as const, fingerprint: root, count, salted: false, owner: owner.did, docType, metadata: "" };
  return { root, count, salted: 0, docType, metadata: "", owner: owner.did, keyId: 1, signature: toHex(c.f.suite.sign(registrationMessage(fields), owner.secretKey)) };
}

export { failed, ok } from "./receipt-asserts.js";

/** Every committed `proof/` state entry as hex: what a refused call must leave alone. */
export function proofState(c: ProofChain): Record<string, string> {
  return moduleState(c.chain, "proof/");
}
