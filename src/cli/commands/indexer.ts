import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { globals } from "../context.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import { fail, print } from "../output.js";
import type { IndexerQueries } from "../../indexer/queries.js";

const DEFAULT_PG = process.env.CIVITAS_INDEXER_PG;

interface RunOpts {
  pg?: string;
  node?: string;
  batch: string;
  pollMs: string;
  once?: boolean;
  follow: boolean;
  genesis?: string;
  balances: boolean;
  serve?: string;
  host: string;
}

function int(v: string, name: string, min: number, max: number): number {
  const n = Number(v);
  if (!/^[0-9]+$/.test(v) || n < min || n > max) throw new CivitasError(ErrorCode.CONFIG_INVALID, `${name} must be an integer from ${min} to ${max}`, { option: name, got: v });
  return n;
}

function needPg(pg: string | undefined): string {
  if (!pg) throw new CivitasError(ErrorCode.CONFIG_INVALID, "--pg <url> is required (or set CIVITAS_INDEXER_PG), e.g. postgres://user:pass@127.0.0.1:5432/civitas", { option: "--pg" });
  return pg;
}

export function indexerCommand(program: Command): void {
  const cmd = program
    .command("indexer")
    .description("follow a node's committed blocks into PostgreSQL (blocks, transactions, events, accounts); see docs/spec/indexer.md")
    .option("--pg <url>", "PostgreSQL connection URL (env CIVITAS_INDEXER_PG)", DEFAULT_PG)
    .option("--node <url>", "node API to follow (default: --url)")
    .option("--batch <n>", "blocks fetched ahead of the writer, at most", "16")
    .option("--poll-ms <ms>", "poll interval when the block stream is quiet", "1000")
    .option("--once", "index up to the node's current head and exit")
    .option("--no-follow", "do not index; only serve the existing index (with --serve)")
    .option("--genesis <file>", "also verify every block's commit certificate with a light client trusting this genesis.json")
    .option("--no-balances", "do not read account balances from the node")
    .option("--serve <port>", "serve the read-only query API on this port (0 = any free port)")
    .option("--host <host>", "address for --serve", "127.0.0.1")
    .action(async (o: RunOpts, c: Command) => {
      try {
        const g = globals(c);
        const pgUrl = needPg(o.pg);
        const node = o.node ?? g.url;
        const { Indexer } = await import("../../indexer/indexer.js");
        let lightClient;
        if (o.genesis) {
          const { LightClient } = await import("../../sdk/light-client.js");
          let text: string;
          try {
            text = readFileSync(o.genesis, "utf8");
          } catch (e) {
            throw new CivitasError(ErrorCode.CONFIG_INVALID, `cannot read --genesis ${o.genesis}: ${(e as Error).message}`, { option: "--genesis" });
          }
          lightClient = LightClient.fromGenesis(node, text);
        }
        const indexer = new Indexer({
          node,
          pg: pgUrl,
          batchSize: int(o.batch, "--batch", 1, 1000),
          pollMs: int(o.pollMs, "--poll-ms", 10, 600_000),
          balances: o.balances,
          lightClient,
          log: (m) => process.stderr.write(`indexer: ${m}\n`),
          onProgress: (p) => {
            if (!g.json) process.stderr.write(`indexer: height ${p.height}/${p.head}, ${p.blocks} blocks and ${p.txs} transactions added\n`);
          },
        });
        const stop = (): void => indexer.stop();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
        if (o.serve !== undefined) {
          const { IndexerQueries } = await import("../../indexer/queries.js");
          const { serveQueries } = await import("../../indexer/http.js");
          const { url } = await serveQueries(new IndexerQueries(indexer.pool), int(o.serve, "--serve", 0, 65535), o.host);
          process.stderr.write(`indexer: query API on ${url}/v1/indexer/status\n`);
          if (!o.follow) {
            // Serve until a signal; the pool stays open for the queries.
            await new Promise<void>((resolve) => {
              process.once("SIGINT", resolve);
              process.once("SIGTERM", resolve);
            });
            await indexer.close();
            process.exit(0);
          }
        }
        if (!o.follow) throw new CivitasError(ErrorCode.CONFIG_INVALID, "--no-follow only makes sense with --serve", { option: "--no-follow" });
        const r = await indexer.run(o.once === true);
        await indexer.close();
        print(g, r, () => `indexed up to height ${r.height}: ${r.blocks} blocks and ${r.txs} transactions added by this run`);
        process.exit(0);
      } catch (e) {
        const { asIndexerError } = await import("../../indexer/queries.js");
        fail(asIndexerError(e));
      }
    });

  const q = cmd.command("query").description("query the index (read-only); prints JSON; --pg as above");
  q.command("status").description("chain, last indexed height and hash, table counts").action((_o: unknown, c: Command) => query(c, (qs) => qs.status()));
  q.command("blocks")
    .description("newest blocks first")
    .option("--limit <n>", "how many (1-200)", "20")
    .option("--before <height>", "only blocks below this height")
    .action((o: { limit: string; before?: string }, c: Command) => query(c, (qs) => qs.latestBlocks(o.limit, o.before)));
  q.command("block <id>").description("a block by height or hash, with its transactions").action((id: string, _o: unknown, c: Command) => query(c, (qs) => qs.block(id)));
  q.command("tx <hash>").description("a transaction with its receipt and events").action((h: string, _o: unknown, c: Command) => query(c, (qs) => qs.tx(h)));
  q.command("account <address>").description("an account: next nonce, balance, transaction count").action((a: string, _o: unknown, c: Command) => query(c, (qs) => qs.account(a)));
  q.command("account-txs <address>")
    .description("transactions that concern an account, newest first")
    .option("--limit <n>", "how many (1-200)", "20")
    .option("--before <height>", "only below this height")
    .action((a: string, o: { limit: string; before?: string }, c: Command) => query(c, (qs) => qs.txsByAccount(a, o.limit, o.before)));
  q.command("events <type>")
    .description("events of one type, e.g. token.Transfer, oldest first")
    .option("--limit <n>", "how many (1-200)", "20")
    .option("--from-height <h>", "from this height")
    .action((t: string, o: { limit: string; fromHeight?: string }, c: Command) => query(c, (qs) => qs.eventsByType(t, o.limit, o.fromHeight)));
  q.command("search <q>").description("a height, block or transaction hash, or address").action((s: string, _o: unknown, c: Command) => query(c, (qs) => qs.search(s)));
}

async function query(c: Command, f: (qs: IndexerQueries) => Promise<unknown>): Promise<void> {
  try {
    const pgUrl = needPg((c.optsWithGlobals() as { pg?: string }).pg);
    const pg = (await import("pg")).default;
    const { IndexerQueries } = await import("../../indexer/queries.js");
    const pool = new pg.Pool({ connectionString: pgUrl, max: 1 });
    try {
      print({ json: true }, await f(new IndexerQueries(pool)), () => "");
    } finally {
      await pool.end();
    }
  } catch (e) {
    const { asIndexerError } = await import("../../indexer/queries.js");
    fail(asIndexerError(e));
  }
}
