/**
 * `civitas credential issue|verify|revoke`: W3C Verifiable Credentials as VC-JWT, verified
 * against the DID documents, issuer registry and status lists of the node at --url.
 * Exit codes: 0 valid/done, 1 the command could not run (bad input, no node, no key),
 * 3 the revocation transaction failed, 4 the credential is not valid.
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { Command } from "commander";
import { getNodeSuite } from "../../crypto/node-suites.js";
import type { VerifiedCredential } from "../../identity/index.js";
import { NodeApiResolver, credentialTypes, decodeCredentialUnverified, issueCredential, keyIdFor, verifyCredential, verifyCredentialSignature } from "../../identity/index.js";
import { LightClientResolver } from "../../identity/light-resolver.js";
import { revocationCall } from "../../sdk/credentials.js";
import { LightClient } from "../../sdk/light-client.js";
import { Wallet } from "../../sdk/wallet.js";
import { CivitasError, ErrorCode, isCivitasError } from "../../util/errors.js";
import { client, globals } from "../context.js";
import { fail, print } from "../output.js";
import { unlockKey } from "./keys.js";

/** Codes that mean "this credential is not valid" rather than "the check could not run". */
const VERDICT_CODES = new Set<string>([
  ErrorCode.CREDENTIAL_INVALID,
  ErrorCode.CREDENTIAL_BAD_SIGNATURE,
  ErrorCode.CREDENTIAL_EXPIRED,
  ErrorCode.CREDENTIAL_NOT_YET_VALID,
  ErrorCode.CREDENTIAL_REVOKED,
  ErrorCode.ISSUER_UNTRUSTED,
  ErrorCode.DID_NOT_FOUND,
  ErrorCode.DID_DEACTIVATED,
  ErrorCode.DID_INVALID,
]);
const MAX_FILE_BYTES = 64 * 1024;

function readText(path: string, what: string): string {
  let text: string;
  try {
    text = path === "-" ? readFileSync(0, "utf8") : readFileSync(path, "utf8");
  } catch (e) {
    throw new CivitasError(ErrorCode.API_BAD_REQUEST, `cannot read ${what} '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { path });
  }
  if (text.length > MAX_FILE_BYTES) throw new CivitasError(ErrorCode.API_BAD_REQUEST, `${what} '${path}' is larger than ${MAX_FILE_BYTES} bytes`, { path });
  return text.trim();
}

/** `--claims '{"a":1}'` or `--claims @file.json`. */
function parseClaims(arg: string): Record<string, unknown> {
  const text = arg.startsWith("@") ? readText(arg.slice(1), "claims file") : arg;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new CivitasError(ErrorCode.CREDENTIAL_INVALID, `--claims must be a JSON object or @file.json: ${(e as Error).message}`);
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new CivitasError(ErrorCode.CREDENTIAL_INVALID, "--claims must be a JSON object, e.g. '{\"role\":\"inspector\"}'");
  return v as Record<string, unknown>;
}

function parseTime(value: string, flag: string): number {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || !Number.isFinite(ms)) throw new CivitasError(ErrorCode.CREDENTIAL_INVALID, `${flag} must be an ISO 8601 date or date-time, e.g. 2030-12-31T00:00:00Z`, { [flag]: value });
  return ms;
}

function parseIndex(value: string): number {
  if (!/^(0|[1-9][0-9]{0,9})$/.test(value) || Number(value) > 0xffffffff) throw new CivitasError(ErrorCode.CREDENTIAL_INVALID, `--status-index must be a non-negative integer, got '${value}'`);
  return Number(value);
}

function summary(v: VerifiedCredential): string {
  const claims = Object.entries(v.credential.credentialSubject).filter(([k]) => k !== "id");
  return [
    `valid ${v.types.join(", ")} credential${v.credential.id ? ` ${v.credential.id}` : ""}`,
    `  issuer   ${v.issuer} (key ${v.kid.slice(v.kid.indexOf("#"))}, trusted for ${v.trustedTypes.join(", ")})`,
    `  subject  ${v.subject}`,
    `  valid    ${v.credential.validFrom} .. ${v.credential.validUntil ?? "no end"}`,
    `  status   ${v.status ? `not revoked (list '${v.status.listId}' index ${v.status.index})` : "no status entry (cannot be revoked)"}`,
    ...claims.map(([k, val]) => `  claim    ${k} = ${JSON.stringify(val)}`),
  ].join("\n");
}

export function credentialCommand(program: Command): void {
  const cred = program.command("credential").description("issue, verify and revoke W3C Verifiable Credentials (VC-JWT, EdDSA) against the ledger's DIDs, issuer registry and status lists");

  cred
    .command("issue")
    .description("sign a credential with an issuer DID's key and write the VC-JWT")
    .requiredOption("--issuer <did>", "issuer DID (did:civitas:<chain>:<id>), registered for --type")
    .requiredOption("--key <name>", "key file of one of the issuer DID's keys (see 'civitas keys list')")
    .requiredOption("--type <type>", "credential type name, e.g. ResidentCredential")
    .requiredOption("--subject <did>", "subject DID")
    .option("--claims <json|@file>", "subject claims as a JSON object, or @file.json", "{}")
    .option("--valid-from <time>", "ISO 8601 start of validity (default: now)")
    .option("--valid-until <time>", "ISO 8601 end of validity (default: none)")
    .option("--status-list <id>", "the issuer's status list holding the revocation bit (needed for revoke and identity.attestClaims)")
    .option("--status-index <n>", "index of the credential's bit in --status-list")
    .option("--kid <kid>", "verification method to sign with (default: the DID document's method for --key)")
    .option("--id <uri>", "credential id (default: a random urn:uuid)")
    .option("-o, --output <file>", "write the VC-JWT here (default: print it)")
    .addHelpText("after", "\nExample:\n  civitas credential issue --issuer did:civitas:civitas-local:city --key authority --type ResidentCredential \\\n    --subject did:civitas:civitas-local:alice --claims '{\"district\":\"north\"}' --valid-until 2031-01-01T00:00:00Z \\\n    --status-list main --status-index 7 -o alice.jwt")
    .action(async (o: { issuer: string; key: string; type: string; subject: string; claims: string; validFrom?: string; validUntil?: string; statusList?: string; statusIndex?: string; kid?: string; id?: string; output?: string }, cmd: Command) => {
      try {
        const g = globals(cmd);
        if ((o.statusList === undefined) !== (o.statusIndex === undefined)) throw new CivitasError(ErrorCode.CREDENTIAL_INVALID, "--status-list and --status-index go together");
        const claims = parseClaims(o.claims);
        const validFrom = o.validFrom !== undefined ? parseTime(o.validFrom, "--valid-from") : undefined;
        const validUntil = o.validUntil !== undefined ? parseTime(o.validUntil, "--valid-until") : undefined;
        const index = o.statusIndex !== undefined ? parseIndex(o.statusIndex) : undefined;
        const key = await unlockKey(g, o.key);
        if (key.suite !== "ed25519-sha256") throw new CivitasError(ErrorCode.KEY_INVALID, `key '${o.key}' is ${key.suite}; VC-JWT credentials are EdDSA (Ed25519) only`, { suite: key.suite });
        const resolver = new NodeApiResolver(client(g));
        // Refuse what would never verify: a key the DID does not list, a list that does not exist.
        const { didDocument, didDocumentMetadata } = await resolver.resolveDid(o.issuer);
        if (didDocumentMetadata.deactivated === true) throw new CivitasError(ErrorCode.DID_DEACTIVATED, `issuer DID ${o.issuer} is deactivated`, { did: o.issuer });
        const kid = o.kid ?? keyIdFor(didDocument, getNodeSuite("ed25519-sha256").publicKeyFromSecret(key.secretKey));
        if (!kid) throw new CivitasError(ErrorCode.KEY_INVALID, `key '${o.key}' (${key.address}) is not a key of ${o.issuer}; add it with identity.updateDid`, { issuer: o.issuer, address: key.address });
        if (o.statusList !== undefined && index !== undefined) {
          const list = await resolver.getStatusList(o.issuer, o.statusList);
          if (index >= list.size) throw new CivitasError(ErrorCode.CREDENTIAL_INVALID, `--status-index ${index} is outside status list '${o.statusList}' (size ${list.size})`, { index, size: list.size });
        }
        const { jwt, credential } = await issueCredential({
          issuer: o.issuer,
          kid,
          secretKey: key.secretKey,
          type: o.type,
          subject: o.subject,
          claims,
          ...(validFrom !== undefined ? { validFrom } : {}),
          ...(validUntil !== undefined ? { validUntil } : {}),
          ...(o.statusList !== undefined && index !== undefined ? { status: { nodeUrl: g.url, listId: o.statusList, index } } : {}),
          ...(o.id !== undefined ? { id: o.id } : {}),
        });
        const issuer = await resolver.getIssuer(o.issuer);
        const warning = !issuer ? `${o.issuer} is not a registered issuer yet` : issuer.status !== "active" ? `issuer ${o.issuer} is ${issuer.status}` : !issuer.types.includes(o.type) ? `${o.issuer} is not registered for ${o.type}` : undefined;
        if (warning) process.stderr.write(`warning: ${warning}: the credential will not verify until the chain authority registers it (identity.registerIssuer)\n`);
        if (o.output !== undefined) writeFileSync(o.output, jwt + "\n", { mode: 0o644 });
        print(g, { jwt, credential, kid, ...(o.output !== undefined ? { file: o.output } : {}), ...(warning ? { warning } : {}) }, () =>
          o.output !== undefined ? `issued ${credentialTypes(credential).join(", ")} credential ${credential.id}\n  issuer   ${credential.issuer} (${kid.slice(kid.indexOf("#"))})\n  subject  ${credential.credentialSubject.id}\n  valid    ${credential.validFrom} .. ${credential.validUntil ?? "no end"}\n  status   ${credential.credentialStatus ? `list '${o.statusList}' index ${index}` : "none (cannot be revoked)"}\n  written  ${o.output}` : jwt,
        );
      } catch (e) {
        fail(e);
      }
    });

  cred
    .command("verify <file>")
    .description("verify a VC-JWT file ('-' for stdin): signature, issuer trust, validity period, revocation; exit 4 if it is not valid")
    .option("--at <time>", "verify as of this ISO 8601 time (default: now)")
    .option("--type <type>", "also require this credential type")
    .option("--no-status", "skip the revocation check")
    .option("--genesis <file>", "do not trust the node: prove every record read (DID document, issuer entry, status list) against headers a light client verifies from this genesis.json")
    .action(async (file: string, o: { at?: string; type?: string; status: boolean; genesis?: string }, cmd: Command) => {
      const g = globals(cmd);
      let jwt: string;
      let now: number;
      try {
        jwt = readText(file, "credential file");
        now = o.at !== undefined ? parseTime(o.at, "--at") : Date.now();
      } catch (e) {
        fail(e);
      }
      try {
        const resolver = o.genesis !== undefined ? new LightClientResolver(LightClient.fromGenesis(client(g), readText(o.genesis, "--genesis file"))) : new NodeApiResolver(client(g));
        const v = await verifyCredential(jwt, { resolver, now, checkStatus: o.status, ...(o.type !== undefined ? { expectedType: o.type } : {}) });
        const proved = resolver instanceof LightClientResolver ? { provedAtHeight: resolver.provedAt ?? null } : {};
        print(g, { valid: true, issuer: v.issuer, subject: v.subject, kid: v.kid, types: v.types, trustedTypes: v.trustedTypes, status: v.status ?? null, verifiedAt: new Date(now).toISOString(), ...proved, credential: v.credential }, () => summary(v) + (resolver instanceof LightClientResolver ? `\n  proved   every record against the light-client-verified header at height ${resolver.provedAt}` : ""));
      } catch (e) {
        if (!isCivitasError(e) || !VERDICT_CODES.has(e.code)) fail(e);
        if (g.json) print(g, { valid: false, error: e.toJSON() }, () => "");
        else {
          process.stderr.write(`invalid ${e.code}: ${e.message}\n`);
          if (Object.keys(e.details).length > 0) process.stderr.write(`  details: ${JSON.stringify(e.details)}\n`);
        }
        process.exitCode = 4;
      }
    });

  cred
    .command("revoke <file>")
    .description("revoke a credential: set its bit in the issuer's status list (identity.setCredentialStatus); --key must control the issuer DID")
    .requiredOption("--key <name>", "key of an account that controls the issuer DID")
    .option("--reason <text>", "reason recorded in the event (at most 256 characters)", "")
    .option("--no-wait", "return once the node accepts the transaction")
    .action(async (file: string, o: { key: string; reason: string; wait: boolean }, cmd: Command) => {
      try {
        const g = globals(cmd);
        const jwt = readText(file, "credential file");
        const c = client(g);
        // Only a credential the issuer really signed names a bit worth setting: a forged one
        // could point at another holder's bit.
        const { credential } = await verifyCredentialSignature(jwt, new NodeApiResolver(c));
        const call = revocationCall(jwt, o.reason);
        const key = await unlockKey(g, o.key);
        const status = await c.status();
        if (status.chain.cryptoSuite !== key.suite) throw new CivitasError(ErrorCode.KEY_INVALID, `key '${o.key}' is ${key.suite} but the chain uses ${status.chain.cryptoSuite}`);
        const r = await c.send(Wallet.fromSecretKey(key.secretKey, key.suite), [call], { wait: o.wait, timeoutMs: 60_000 });
        const target = `list '${String(call.args.listId)}' index ${String(call.args.index)} of ${credential.issuer}`;
        if (r.status !== "committed") {
          print(g, { hash: r.hash, status: r.status, credential: credential.id ?? null }, () => `submitted ${r.hash} (pending): revokes ${target}`);
          return;
        }
        print(g, { ...r, credential: credential.id ?? null }, () => (r.receipt?.status === "ok" ? `revoked ${credential.id ?? "credential"} (${target}) in block ${r.height}, tx ${r.hash}` : `revocation failed in block ${r.height}: ${r.receipt?.code} ${r.receipt?.message}`));
        if (r.receipt?.status !== "ok") process.exitCode = 3;
      } catch (e) {
        fail(e);
      }
    });

  cred
    .command("show <file>")
    .description("print the credential inside a VC-JWT file WITHOUT verifying it")
    .action((file: string, _o: unknown, cmd: Command) => {
      try {
        const g = globals(cmd);
        const { kid, credential } = decodeCredentialUnverified(readText(file, "credential file"));
        print(g, { verified: false, kid, credential }, () => `UNVERIFIED (run 'civitas credential verify' to check it)\nkid ${kid}\n${JSON.stringify(credential, null, 2)}`);
      } catch (e) {
        fail(e);
      }
    });
}
