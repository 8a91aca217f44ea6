/**
 * `civitas proof register <files or folders…>`: hashes every file (streaming), builds one RFC
 * 9162 tree over the fingerprints (one file: a single document record), registers it in one
 * transaction signed by an owner DID key, and writes one receipt per document.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { Command } from "commander";
import cliProgress from "cli-progress";
import { getNodeSuite } from "../../../crypto/node-suites.js";
import { hashFile, listFiles } from "../../../proof/file-hash.js";
import { SALT_BYTES } from "../../../proof/hash.js";
import type { ProofReceipt } from "../../../proof/receipt.js";
import type { DocumentInfo, OwnerInput } from "../../../sdk/proofs-client.js";
import { proofSigner } from "../../../sdk/proofs-client.js";
import type { ProofsClient } from "../../../sdk/proofs-client.js";
import { requestTimestamp } from "../../../sdk/tsa.js";
import { Wallet } from "../../../sdk/wallet.js";
import { toHex } from "../../../util/bytes.js";
import { CivitasError, ErrorCode } from "../../../util/errors.js";
import { globals } from "../../context.js";
import { fail, print } from "../../output.js";
import { unlockKey } from "../keys.js";
import { fastProofsClient, RECEIPT_SUFFIX } from "./shared.js";

interface Options {
  key: string;
  owner: string;
  keyId?: string;
  type: string;
  metadata: string;
  salted?: boolean;
  receiptsFile?: string;
  outDir?: string;
  tsa?: string | boolean;
}

/** The number n of `<owner>#key-n` that is this public key, from the DID record on chain. */
async function keyIdOf(proofs: ProofsClient, owner: string, publicKey: Uint8Array): Promise<number> {
  const q = await proofs.client.query("identity", "did", { did: owner });
  const rec = q.value as { keys?: Array<{ n: number; publicKey: string }>; deactivated?: boolean } | null;
  if (!rec) throw new CivitasError(ErrorCode.DID_NOT_FOUND, `owner DID ${owner} does not exist; create it with identity.createDid`, { did: owner });
  const k = rec.keys?.find((x) => x.publicKey === toHex(publicKey));
  if (!k) throw new CivitasError(ErrorCode.KEY_INVALID, `the key is not a current key of ${owner}; pass --key-id or add it with identity.updateDid`, { did: owner });
  return k.n;
}

export function proofRegisterCommand(proof: Command): void {
  proof
    .command("register")
    .description("register files (or every file of folders) in one transaction: one RFC 9162 tree, one receipt per document")
    .argument("<paths...>", "files or folders (walked recursively; *.proof.json receipts are skipped)")
    .requiredOption("--key <name>", "key file of a current key of the owner DID (signs the registration and the transaction)")
    .requiredOption("--owner <did>", "owner DID (did:civitas:<chain>:<id>)")
    .option("--key-id <n>", "n of the owner's verification method #key-n (default: looked up from the DID)")
    .option("--type <type>", "document type, e.g. academic-certificate or e-invoice", "document")
    .option("--metadata <text>", "descriptive text or compact JSON recorded and signed with the registration", "")
    .option("--salted", "register H(salt ‖ document) with a fresh random salt per document (kept in its receipt only)")
    .option("--receipts-file <file>", "write all receipts into this one file instead of <file>.proof.json next to each document")
    .option("--out-dir <dir>", "write <name>.proof.json receipts into this folder")
    .option("--tsa [url]", "attach an RFC 3161 token for the fingerprint or root from this TSA (default: the node's own, POST /v1/tsa); the chain checks it against its trusted TSA roots")
    .addHelpText("after", "\nExample:\n  civitas proof register diplomas/ --key university --owner did:civitas:civitas-local:university --type academic-certificate --salted")
    .action(async (paths: string[], o: Options, cmd: Command) => {
      try {
        const g = globals(cmd);
        const proofs = await fastProofsClient(g);
        const chain = await proofs.chain();
        const key = await unlockKey(g, o.key);
        if (key.suite !== chain.suite) throw new CivitasError(ErrorCode.KEY_INVALID, `key '${o.key}' is ${key.suite} but the chain uses ${chain.suite}`);
        const suite = getNodeSuite(key.suite);
        const wallet = Wallet.fromSecretKey(key.secretKey, key.suite);
        const keyId = o.keyId !== undefined ? Number(o.keyId) : await keyIdOf(proofs, o.owner, suite.publicKeyFromSecret(key.secretKey));
        if (!Number.isSafeInteger(keyId) || keyId < 1) throw new CivitasError(ErrorCode.PROOF_INVALID, "--key-id must be a positive integer");

        const files = await listFiles(paths, (name) => name.endsWith(RECEIPT_SUFFIX) || name.startsWith("."));
        if (files.length === 0) throw new CivitasError(ErrorCode.PROOF_INVALID, "no files to register", { paths });
        const bar = g.json || !process.stderr.isTTY || files.length < 20 ? undefined : new cliProgress.SingleBar({ format: "hashing [{bar}] {value}/{total} files  {eta}s left", stream: process.stderr }, cliProgress.Presets.shades_classic);
        bar?.start(files.length, 0);
        const fingerprints: Uint8Array[] = [];
        const docs: DocumentInfo[] = [];
        for (const f of files) {
          const salt = o.salted ? new Uint8Array(randomBytes(SALT_BYTES)) : null;
          const { fingerprint, size } = await hashFile(f, chain.hashAlgorithm, salt);
          fingerprints.push(fingerprint);
          docs.push({ name: basename(f), size, salt });
          bar?.increment();
        }
        bar?.stop();

        const tsaUrl = o.tsa === undefined || o.tsa === false ? undefined : o.tsa === true ? g.url : o.tsa;
        const algorithm = chain.suite === "sm2-sm3" ? "SM3" : "SHA-256";
        const timestamp = tsaUrl === undefined ? undefined : async (imprint: Uint8Array): Promise<Uint8Array> => (await requestTimestamp(tsaUrl, { hash: imprint, algorithm })).token;
        const owner: OwnerInput = { owner: o.owner, keyId, signer: proofSigner(suite, key.secretKey), docType: o.type, metadata: o.metadata, salted: o.salted === true, ...(timestamp ? { timestamp } : {}) };
        let receipts: ProofReceipt[];
        let txHash: string;
        let height: number | undefined;
        if (files.length === 1) {
          const r = await proofs.registerDocument(wallet, fingerprints[0], owner, docs[0]);
          receipts = [r.receipt];
          txHash = r.tx.hash;
          height = r.tx.height;
        } else {
          const r = await proofs.registerBatch(wallet, fingerprints, owner, docs);
          receipts = r.receipts;
          txHash = r.tx.hash;
          height = r.tx.height;
        }

        const written: string[] = [];
        if (o.receiptsFile) {
          writeFileSync(o.receiptsFile, JSON.stringify({ receipts }, null, 2) + "\n");
          written.push(o.receiptsFile);
        } else {
          if (o.outDir) mkdirSync(o.outDir, { recursive: true });
          receipts.forEach((r, i) => {
            const out = o.outDir ? join(o.outDir, basename(files[i]) + RECEIPT_SUFFIX) : files[i] + RECEIPT_SUFFIX;
            writeFileSync(out, JSON.stringify(r, null, 2) + "\n");
            written.push(out);
          });
        }
        const root = receipts[0].root;
        print(g, { txHash, height, root, count: files.length, kind: files.length === 1 ? "document" : "batch", receipts: written }, () =>
          [`registered ${files.length} document${files.length === 1 ? "" : "s"} in block ${height} (tx ${txHash})`, `  ${files.length === 1 ? "fingerprint" : "root"} ${root}`, `  receipts: ${o.receiptsFile ?? (o.outDir ? `${o.outDir}/*${RECEIPT_SUFFIX}` : `<file>${RECEIPT_SUFFIX}`)}`].join("\n"),
        );
      } catch (e) {
        fail(e);
      }
    });
}
