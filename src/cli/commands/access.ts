/**
 * `civitas access`: the chain's Cedar policies and role grants (the `access` module) from the
 * command line. Changes are transactions of an administrator's key and apply from the next
 * block; reads and decisions go to the node at --url.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import { client, globals } from "../context.js";
import { fail, print } from "../output.js";
import { sendCalls } from "./client.js";

const MAX_POLICY_FILE = 64 * 1024;

function readPolicy(path: string): string {
  let text: string;
  try {
    text = path === "-" ? readFileSync(0, "utf8") : readFileSync(path, "utf8");
  } catch (e) {
    throw new CivitasError(ErrorCode.API_BAD_REQUEST, `cannot read policy file '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { path });
  }
  if (text.length > MAX_POLICY_FILE) throw new CivitasError(ErrorCode.API_BAD_REQUEST, `policy file '${path}' is larger than ${MAX_POLICY_FILE} bytes`);
  return text;
}

/** `Type::"id"` or `Type::id` → {type, id}; a bare address or DID is an Account / Did. */
function parseUid(s: string, what: string): { type: string; id: string } {
  const m = /^([A-Za-z][A-Za-z0-9_]*)::"?([^"]*)"?$/.exec(s);
  if (m) return { type: m[1], id: m[2] };
  if (/^0x[0-9a-f]{40}$/.test(s)) return { type: "Account", id: s };
  if (s.startsWith("did:")) return { type: "Did", id: s };
  throw new CivitasError(ErrorCode.API_BAD_REQUEST, `${what} '${s}' is not Type::"id", an address or a DID (e.g. Account::"0x…", Module::"token")`);
}

function txOptions(cmd: Command): { wait: boolean } {
  return { wait: (cmd.opts() as { wait?: boolean }).wait !== false };
}

export function accessCommands(program: Command): void {
  const access = program.command("access").description("Cedar policies, roles and access decisions of the chain (changes apply from the next block)");

  const policy = access.command("policy").description("list, show, set and remove policies");
  policy
    .command("list")
    .description("active policy ids with their revision")
    .action(async (_o: unknown, cmd: Command) => {
      try {
        const g = globals(cmd);
        const r = await client(g).query("access", "policies");
        print(g, r.value, () => JSON.stringify(r.value, null, 2));
      } catch (e) {
        fail(e);
      }
    });
  policy
    .command("show <id>")
    .description("the current text and revision of a policy")
    .action(async (id: string, _o: unknown, cmd: Command) => {
      try {
        const g = globals(cmd);
        const r = await client(g).query("access", "policy", { id });
        if (r.value === null) throw new CivitasError(ErrorCode.EXEC_NOT_FOUND, `no policy '${id}'; see 'civitas access policy list'`);
        const v = r.value as { text?: string };
        print(g, r.value, () => (typeof v.text === "string" ? v.text : JSON.stringify(r.value, null, 2)));
      } catch (e) {
        fail(e);
      }
    });
  policy
    .command("set <id> <file>")
    .description("create or replace policy <id> with the Cedar text in <file> ('-' = stdin); text that does not parse is refused with POLICY_INVALID")
    .requiredOption("--key <name>", "an administrator's key")
    .option("--no-wait", "return once submitted")
    .action(async (id: string, file: string, o: { key: string }, cmd: Command) => {
      try {
        await sendCalls(cmd, o.key, [{ module: "access", method: "setPolicy", args: { id, text: readPolicy(file) } }], txOptions(cmd));
      } catch (e) {
        fail(e);
      }
    });
  policy
    .command("remove <id>")
    .description("deactivate policy <id> (its history stays)")
    .requiredOption("--key <name>", "an administrator's key")
    .option("--no-wait", "return once submitted")
    .action(async (id: string, o: { key: string }, cmd: Command) => {
      try {
        await sendCalls(cmd, o.key, [{ module: "access", method: "removePolicy", args: { id } }], txOptions(cmd));
      } catch (e) {
        fail(e);
      }
    });

  const role = access.command("role").description("grant and revoke roles (RBAC)");
  for (const [name, method, doc] of [
    ["grant", "grantRole", "grant <role> to <member> (an address or a DID)"],
    ["revoke", "revokeRole", "revoke <role> from <member>"],
  ] as const) {
    role
      .command(`${name} <role> <member>`)
      .description(doc)
      .requiredOption("--key <name>", "an administrator of the role")
      .option("--no-wait", "return once submitted")
      .action(async (r: string, member: string, o: { key: string }, cmd: Command) => {
        try {
          await sendCalls(cmd, o.key, [{ module: "access", method, args: { role: r, member } }], txOptions(cmd));
        } catch (e) {
          fail(e);
        }
      });
  }
  role
    .command("show <member>")
    .description("roles granted to an address or DID")
    .action(async (member: string, _o: unknown, cmd: Command) => {
      try {
        const g = globals(cmd);
        const r = await client(g).query("access", "grants", { member });
        print(g, r.value, () => JSON.stringify(r.value, null, 2));
      } catch (e) {
        fail(e);
      }
    });

  access
    .command("decide")
    .description("ask the node how the policies decide a request (as of the head block)")
    .requiredOption("--principal <p>", "address, DID or 'anonymous'")
    .requiredOption("--action <a>", "e.g. token.transfer, read.account, identity.trace")
    .requiredOption("--resource <uid>", 'e.g. Account::"0x…", Module::"token"')
    .option("--context <json>", "context record (JSON)")
    .option("--kind <kind>", "call or read (default: from the action)")
    .action(async (o: { principal: string; action: string; resource: string; context?: string; kind?: string }, cmd: Command) => {
      try {
        const g = globals(cmd);
        let context: unknown;
        if (o.context !== undefined) {
          try {
            context = JSON.parse(o.context);
          } catch (e) {
            throw new CivitasError(ErrorCode.API_BAD_REQUEST, `--context is not JSON: ${(e as Error).message}`);
          }
        }
        const body = { principal: o.principal, action: o.action, resource: parseUid(o.resource, "--resource"), ...(context !== undefined ? { context } : {}), ...(o.kind ? { kind: o.kind } : {}) };
        const out = await client(g).request<{ decision: string; reasons?: string[]; errors?: unknown[] }>("POST", "/v1/access/decide", body);
        print(g, out, () => `${out.decision}${out.reasons?.length ? ` by ${out.reasons.join(", ")}` : " (no policy permits it)"}${out.errors?.length ? `\nerrors: ${JSON.stringify(out.errors)}` : ""}`);
        if (out.decision !== "allow") process.exitCode = 4;
      } catch (e) {
        fail(e);
      }
    });

  access
    .command("history")
    .description("the log of every policy, role and administrator change")
    .option("--from <seq>", "first change", "0")
    .option("--limit <n>", "how many", "50")
    .action(async (o: { from: string; limit: string }, cmd: Command) => {
      try {
        const g = globals(cmd);
        const out = await client(g).request<Record<string, unknown>>("GET", `/v1/access/history?from=${encodeURIComponent(o.from)}&limit=${encodeURIComponent(o.limit)}`);
        print(g, out, () => JSON.stringify(out, null, 2));
      } catch (e) {
        fail(e);
      }
    });
}
