/**
 * `GET /v1/backup`: a fresh backup of this node, the same file `civitas backup <home>` writes
 * (docs/spec/backup.md), taken from the node's open store while it keeps committing and streamed
 * as `application/octet-stream`. Operators only: decided as `admin.backup` on
 * `Node::"<moniker>"` (no baseline policy grants it; the chain authority permits it to a role),
 * refused on a node without an access layer. One backup at a time per node.
 */
import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { once } from "node:events";
import type { FastifyInstance } from "fastify";
import { createBackup } from "../../node/backup/create.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import type { ApiContext } from "../context.js";

export function backupRoutes(app: FastifyInstance, ctx: ApiContext): void {
  let running = false;
  app.get(
    "/v1/backup",
    {
      schema: {
        tags: ["operations"],
        summary:
          "A consistent backup of this node taken now (store as of one commit, genesis, node.json, alert rules, certificates; never keys), streamed as application/octet-stream; headers Civitas-Backup-Checksum and Civitas-Backup-Height. Operators (admin.backup), signed request. 503 API_UNAVAILABLE while another backup runs.",
      },
    },
    async (req, reply) => {
      if (!ctx.access) throw new CivitasError(ErrorCode.ACCESS_DENIED, "this node has no access layer: operator routes are refused");
      await ctx.access.authorize(req, "admin.backup", { type: "Node", id: ctx.config.moniker });
      const home = ctx.home;
      if (!home) throw new CivitasError(ErrorCode.API_UNAVAILABLE, "this node runs without a home folder: back it up with 'civitas backup <home>' on its machine");
      if (running) throw new CivitasError(ErrorCode.API_UNAVAILABLE, "a backup of this node is being taken; retry when it is done");
      running = true;
      // Staged in the home: the file system that holds the store has room for a copy of it.
      const dir = await mkdtemp(join(home, ".api-backup-"));
      try {
        const r = await createBackup(home, join(dir, "backup.cvb"), { store: ctx.chain.store });
        const stream = createReadStream(r.file);
        await once(stream, "open");
        // The open descriptor keeps the bytes readable; the folder goes now, whatever the client does.
        await rm(dir, { recursive: true, force: true });
        const name = `${ctx.config.moniker.replace(/[^A-Za-z0-9._-]/g, "_")}-${r.manifest.height}.cvb`;
        return reply
          .type("application/octet-stream")
          .header("content-length", r.bytes)
          .header("content-disposition", `attachment; filename="${name}"`)
          .header("civitas-backup-checksum", r.checksum)
          .header("civitas-backup-height", String(r.manifest.height))
          .send(stream);
      } finally {
        running = false;
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
}
