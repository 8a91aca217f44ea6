/** `civitas proof history <fingerprint>`: every operation on a record, with its transactions (policies decide who may read it). */
import type { Command } from "commander";
import { Wallet } from "../../../sdk/wallet.js";
import { CivitasError, ErrorCode } from "../../../util/errors.js";
import { globals } from "../../context.js";
import { fail, print } from "../../output.js";
import { unlockKey } from "../keys.js";
import { proofsClient } from "./shared.js";

interface HistoryAnswer {
  record: { owner: string; status: string; kind: string; docType: string };
  history: Array<{ seq: number; op: string; timeIso: string; height: number; txHash: string | null; actor: string; owner: string; other: string; reason: string }>;
  lineage: string[];
}

export function proofHistoryCommand(proof: Command): void {
  proof
    .command("history")
    .description("the full history of a record (registration, supersede, revocation, transfers) and its lineage; a signed request")
    .argument("<fingerprint>", "document fingerprint or batch root, 64 hex")
    .option("--key <name>", "sign the request with this account key (the node's policies decide)")
    .action(async (fingerprint: string, o: { key?: string }, cmd: Command) => {
      try {
        const g = globals(cmd);
        if (!/^[0-9a-f]{64}$/.test(fingerprint)) throw new CivitasError(ErrorCode.PROOF_INVALID, "fingerprint must be 64 lowercase hex characters");
        const key = o.key ? await unlockKey(g, o.key) : undefined;
        const wallet = key ? Wallet.fromSecretKey(key.secretKey, key.suite) : undefined;
        const a = (await proofsClient(g).history(fingerprint, wallet)) as unknown as HistoryAnswer;
        print(g, a, () =>
          [
            `${a.record.kind} ${fingerprint}: ${a.record.status}, owner ${a.record.owner}, type ${a.record.docType}`,
            ...a.history.map((e) => `  #${e.seq} ${e.op.padEnd(11)} ${e.timeIso} block ${e.height} tx ${e.txHash ?? "?"} by ${e.actor}${e.other ? ` (${e.other})` : ""}${e.reason ? `: ${e.reason}` : ""}`),
            ...(a.lineage.length > 1 ? [`  lineage: ${a.lineage.join(" -> ")}`] : []),
          ].join("\n"),
        );
      } catch (e) {
        fail(e);
      }
    });
}
