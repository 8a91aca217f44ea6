import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import type { SuiteId } from "../../crypto/suite.js";
import { Wallet } from "../../sdk/wallet.js";
import { verifyCommitCertificate, verifyStateProof, verifyTxInclusion } from "../../sdk/proofs.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import { client, globals } from "../context.js";
import { fail, print } from "../output.js";
import { unlockKey } from "./keys.js";

function parseJsonArg(text: string, what: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown;
    if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error("expected a JSON object");
    return v as Record<string, unknown>;
  } catch (e) {
    throw new CivitasError(ErrorCode.API_BAD_REQUEST, `${what} must be a JSON object, e.g. '{"to":"0x…","amount":"1000n"}': ${(e as Error).message}`);
  }
}

function parseKeyValues(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf("=");
    if (i <= 0) throw new CivitasError(ErrorCode.API_BAD_REQUEST, `query argument '${p}' must be name=value`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

export async function sendCalls(cmd: Command, keyName: string, calls: Array<{ module: string; method: string; args: Record<string, unknown> }>, o: { memo?: string; gasLimit?: string; nonce?: string; wait?: boolean }): Promise<void> {
  const g = globals(cmd);
  const c = client(g);
  const key = await unlockKey(g, keyName);
  const status = await c.status();
  if (status.chain.cryptoSuite !== key.suite) throw new CivitasError(ErrorCode.KEY_INVALID, `key '${keyName}' is ${key.suite} but the chain uses ${status.chain.cryptoSuite}`);
  const wallet = Wallet.fromSecretKey(key.secretKey, key.suite);
  const nonce = o.nonce !== undefined ? Number(o.nonce) : (await c.getAccount(wallet.address)).nonce;
  const tx = wallet.buildTx({ chain: status.chain.chainId, nonce, calls, memo: o.memo, gasLimit: o.gasLimit ? Number(o.gasLimit) : undefined });
  const sub = await c.submit(tx);
  if (o.wait === false) {
    print(g, sub, () => `submitted ${sub.hash} (pending)`);
    return;
  }
  const r = await c.waitForTx(sub.hash, 60_000);
  print(g, r, () => `committed ${r.hash} in block ${r.height}: ${r.receipt?.status}${r.receipt?.code ? ` ${r.receipt.code} ${r.receipt.message}` : ""} (gas ${r.receipt?.gasUsed})`);
  if (r.receipt?.status !== "ok") process.exitCode = 3;
}

export function clientCommands(program: Command): void {
  program
    .command("status")
    .description("show the node's chain, head block, consensus and mempool; with --network, every node of a local network")
    .option("--network", "show every node of the local network in --dir")
    .option("--dir <dir>", "network folder (with --network)", ".civitas")
    .action(async (o: { network?: boolean; dir: string }, cmd: Command) => {
      try {
        // Where a local network lives and no node URL was chosen, the network view is the useful one.
        const urlChosen = cmd.parent?.getOptionValueSource("url") === "cli" || process.env.CIVITAS_URL !== undefined;
        if (o.network || (!urlChosen && existsSync(join(o.dir, "network.json")))) {
          const { networkStatus } = await import("./network.js");
          await networkStatus(cmd, o.dir);
          return;
        }
        const g = globals(cmd);
        const s = await client(g).status();
        print(g, s, () => `chain     ${s.chain.chainId} (${s.chain.cryptoSuite}, ${String(s.chain.consensus)})\nheight    ${s.head.height}  ${s.head.hash}\ntime      ${new Date(s.head.time).toISOString()}\nmempool   ${(s.mempool as { pending: number }).pending} pending\nvalidators ${s.validators.map((v) => v.address).join(", ")}`);
      } catch (e) {
        fail(e);
      }
    });

  const tx = program.command("tx").description("send transactions and check their status");
  tx.command("send")
    .description("sign and submit a transaction with one call")
    .requiredOption("--key <name>", "signing key (see 'civitas keys list')")
    .requiredOption("--module <module>", "module, e.g. token or kv")
    .requiredOption("--method <method>", "method, e.g. transfer")
    .option("--args <json>", 'arguments as JSON; large integers as "123n"', "{}")
    .option("--memo <text>", "memo (at most 256 characters)")
    .option("--gas-limit <gas>", "gas limit")
    .option("--nonce <n>", "explicit nonce (default: the account's next)")
    .option("--no-wait", "return once the node accepts it, without waiting for the commit")
    .action(async (o: { key: string; module: string; method: string; args: string; memo?: string; gasLimit?: string; nonce?: string; wait?: boolean }, cmd: Command) => {
      try {
        await sendCalls(cmd, o.key, [{ module: o.module, method: o.method, args: parseJsonArg(o.args, "--args") }], o);
      } catch (e) {
        fail(e);
      }
    });
  tx.command("transfer")
    .description("send native units: shorthand for tx send --module token --method transfer")
    .requiredOption("--key <name>", "signing key")
    .requiredOption("--to <address>", "recipient address")
    .requiredOption("--amount <n>", "amount in base units")
    .option("--memo <text>", "memo")
    .option("--no-wait", "do not wait for the commit")
    .action(async (o: { key: string; to: string; amount: string; memo?: string; wait?: boolean }, cmd: Command) => {
      try {
        if (!/^[0-9]{1,20}$/.test(o.amount)) throw new CivitasError(ErrorCode.TX_BAD_ARGS, "--amount must be a non-negative integer");
        await sendCalls(cmd, o.key, [{ module: "token", method: "transfer", args: { to: o.to, amount: `${o.amount}n` } }], o);
      } catch (e) {
        fail(e);
      }
    });
  tx.command("status <hash>")
    .description("show a transaction, its receipt, and verify its inclusion proof")
    .option("--wait <ms>", "wait up to this long for the commit", "0")
    .action(async (hash: string, o: { wait: string }, cmd: Command) => {
      try {
        const g = globals(cmd);
        const c = client(g);
        const r = await c.getTx(hash, Number(o.wait) || 0);
        const status = await c.status();
        let verified: boolean | undefined;
        if (r.status === "committed" && r.tx && r.proof && r.header) {
          const block = await c.getBlock(r.height as number);
          const raw = r.raw ?? "";
          verified = verifyTxInclusion({ proof: r.proof, header: r.header }, raw, status.chain.cryptoSuite as SuiteId) && verifyCommitCertificate(block.header, block.commit, status.validators, status.chain.cryptoSuite as SuiteId).ok;
        }
        print(g, { ...r, proofVerified: verified }, () =>
          r.status === "committed"
            ? `${r.hash}\n  committed in block ${r.height} (index ${r.index})\n  receipt  ${r.receipt?.status}${r.receipt?.code ? ` ${r.receipt.code}: ${r.receipt.message}` : ""}, gas ${r.receipt?.gasUsed}\n  events   ${(r.receipt?.events ?? []).map((e) => `${e.module}.${e.type}`).join(", ") || "none"}\n  proof    ${verified ? "inclusion proof and commit certificate verified" : "VERIFICATION FAILED"}`
            : `${r.hash}\n  pending in the mempool`,
        );
        if (verified === false) process.exitCode = 4;
      } catch (e) {
        fail(e);
      }
    });

  program
    .command("query <module> <query> [args...]")
    .description("run a module query (args as name=value) and verify its state proof against the block header")
    .option("--height <h>", "query the state at this height")
    .action(async (module: string, query: string, args: string[], o: { height?: string }, cmd: Command) => {
      try {
        const g = globals(cmd);
        const c = client(g);
        const r = await c.query(module, query, parseKeyValues(args), o.height !== undefined ? Number(o.height) : undefined);
        const [block, status] = await Promise.all([c.getBlock(r.height), c.status()]);
        const suite = status.chain.cryptoSuite as SuiteId;
        const verified = block.header.stateRoot === r.stateRoot && verifyStateProof(r, r.stateRoot, suite) && verifyCommitCertificate(block.header, block.commit, status.validators, suite).ok;
        print(g, { ...r, proofVerified: verified }, () => `${JSON.stringify(r.value, null, 2)}\n  at height ${r.height}; state proof ${verified ? "verified against the committed header" : "FAILED"}`);
        if (!verified) process.exitCode = 4;
      } catch (e) {
        fail(e);
      }
    });

  program
    .command("block <id>")
    .description("show a block by height, hash or 'latest'")
    .action(async (id: string, _o: unknown, cmd: Command) => {
      try {
        const g = globals(cmd);
        const b = await client(g).getBlock(id);
        const h = b.header as Record<string, unknown>;
        print(g, b, () => `block ${String(h.height)} ${b.hash}\n  time      ${new Date(h.time as number).toISOString()}\n  txs       ${b.txs.length}\n  proposer  ${String(h.proposer)}\n  stateRoot ${String(h.stateRoot)}\n  signers   ${b.commit.signatures.length}`);
      } catch (e) {
        fail(e);
      }
    });
}

