/**
 * `civitas console [--port P] [--host H]`: serves the web console with its Networks page and the
 * management API (src/api/manage.ts) that creates, starts and stops networks on this machine.
 * It manages local processes, so it listens on 127.0.0.1 unless told otherwise, and its API
 * answers only requests carrying the session token printed in the console's link. Ctrl-C stops
 * the server; the networks it started keep running (`civitas network stop <name>`).
 */
import { randomBytes } from "node:crypto";
import type { Command } from "commander";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import { globals } from "../context.js";
import { fail, print } from "../output.js";

export function consoleCommand(program: Command): void {
  program
    .command("console")
    .description("serve the web console and an API to create, list, start and stop this machine's networks (loopback only by default)")
    .option("--port <port>", "port to listen on", "8700")
    .option("--host <host>", "address to listen on; anything but loopback lets others on the network start processes here", "127.0.0.1")
    .action(async (o: { port: string; host: string }, cmd: Command) => {
      try {
        const g = globals(cmd);
        if (!/^[0-9]{1,5}$/.test(o.port) || Number(o.port) < 1 || Number(o.port) > 65535) throw new CivitasError(ErrorCode.CONFIG_INVALID, `--port must be an integer in [1, 65535], got '${o.port}'`, { field: "port" });
        const port = Number(o.port);
        const { buildManageApi } = await import("../../api/manage.js");
        // A new token each launch: only whoever sees this output (the operator) can use the API.
        const token = randomBytes(24).toString("base64url");
        const app = await buildManageApi({ host: o.host, port, token });
        await app.listen({ host: o.host, port });
        const url = `http://${o.host.includes(":") ? `[${o.host}]` : o.host}:${port}/console?token=${token}#/networks`;
        print(g, { url, host: o.host, port, token }, () => `Civitas console at ${url}\nmanaging the networks of this machine (${process.env.CIVITAS_HOME ?? "~/.civitas"}); the link carries this session's token, keep it to yourself; Ctrl-C stops the console, not the networks`);
        const stop = (): void => {
          void app.close().then(() => process.exit(0));
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      } catch (e) {
        fail(e);
      }
    });
}
