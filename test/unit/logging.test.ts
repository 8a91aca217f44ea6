/**
 * Node logging: node, host and system lines go to separate files in the log directory, each
 * rotated by size by pino-roll with a bounded count, and a ring of recent lines answers
 * filters by level, keyword and source.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogging, LogRing, startHostSampler } from "../../src/node/logging.js";

test("sources go to their own files, rotate by size, and keep a bounded count", { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "civitas-logs-"));
  try {
    const logging = await createLogging({ level: "info", moniker: "n0", dir: join(dir, "logs"), maxFileBytes: 2048, maxFiles: 2, ringSize: 50, stdout: false });
    logging.system.info({ rules: 3 }, "monitoring started");
    const stopSampler = startHostSampler(logging.host, 60_000, () => ({ freeBytes: 1 }));
    stopSampler();
    const filler = "x".repeat(200);
    for (let i = 0; i < 60; i++) {
      logging.node.info({ i, filler }, `block ${i}`);
      // Let each write reach the file so pino-roll sees the size and rolls.
      await new Promise((r) => setTimeout(r, 3));
    }
    logging.node.debug("below the level: dropped");
    await logging.close();
    const files = readdirSync(join(dir, "logs")).sort();
    const nodeFiles = files.filter((f) => f.startsWith("node."));
    // About 16 KiB written in 2 KiB files: pino-roll rolled several times and kept the newest 3
    // (the current one and 2 rotated).
    assert.equal(nodeFiles.length, 3, `node files: ${nodeFiles.join(", ")}`);
    for (const f of nodeFiles) assert.match(f, /^node\.\d+\.log$/);
    const numbers = nodeFiles.map((f) => Number(f.split(".")[1])).sort((a, b) => a - b);
    assert.ok(numbers[0] > 1, `the oldest files were deleted: ${numbers.join(",")}`);
    for (const f of nodeFiles.slice(0, -1)) assert.ok(statSync(join(dir, "logs", f)).size <= 2048 + 400);
    assert.deepEqual(files.filter((f) => !f.startsWith("node.")), ["host.1.log", "system.1.log"]);
    const sys = readFileSync(join(dir, "logs", "system.1.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(sys.map((l) => [l.source, l.node, l.msg, l.rules]), [["system", "n0", "monitoring started", 3]]);
    const host = JSON.parse(readFileSync(join(dir, "logs", "host.1.log"), "utf8").trim());
    assert.equal(host.source, "host");
    assert.equal(host.msg, "host sample");
    assert.ok(host.memTotalBytes > 0 && Array.isArray(host.loadavg));
    assert.deepEqual(host.disk, { freeBytes: 1 });
    // The last node line is in the newest file; nothing below the level was written anywhere.
    const newest = readFileSync(join(dir, "logs", nodeFiles.sort((a, b) => Number(a.split(".")[1]) - Number(b.split(".")[1])).at(-1) as string), "utf8");
    assert.match(newest, /"msg":"block 59"/);
    assert.ok(!files.some((f) => readFileSync(join(dir, "logs", f), "utf8").includes("below the level")));
    // The ring kept the newest 50 lines of all sources.
    const recent = logging.ring.query({ limit: 1000 });
    assert.equal(recent.length, 50);
    assert.equal(recent[0].msg, "block 59");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the ring filters by minimum level, keyword and source, newest first", async () => {
  const logging = await createLogging({ level: "debug", moniker: "n1", maxFileBytes: 1 << 20, maxFiles: 1, ringSize: 5, stdout: false });
  logging.node.debug({ height: 1 }, "committed block");
  logging.node.warn({ peer: "abc" }, "peer penalised");
  logging.system.error({ alert: "height-stalled" }, "alert firing: height 7 has not advanced");
  logging.host.info("host sample");
  logging.node.info({ height: 2 }, "Committed Block");
  const q = logging.ring.query.bind(logging.ring);
  assert.deepEqual(q().map((e) => e.msg), ["Committed Block", "host sample", "alert firing: height 7 has not advanced", "peer penalised", "committed block"]);
  assert.deepEqual(q({ level: "warn" }).map((e) => [e.level, e.source]), [["error", "system"], ["warn", "node"]]);
  assert.deepEqual(q({ keyword: "COMMITTED" }).map((e) => e.height), [2, 1]);
  assert.deepEqual(q({ keyword: "abc" }).map((e) => e.msg), ["peer penalised"], "keywords match fields too");
  assert.deepEqual(q({ source: "system" }).map((e) => e.alert), ["height-stalled"]);
  assert.deepEqual(q({ source: "node", level: "info" }).map((e) => e.msg), ["Committed Block", "peer penalised"]);
  assert.deepEqual(q({ limit: 2 }).map((e) => e.msg), ["Committed Block", "host sample"]);
  assert.equal(q({ keyword: "nothing like this" }).length, 0);
  logging.node.info("sixth");
  assert.deepEqual(q().map((e) => e.msg), ["sixth", "Committed Block", "host sample", "alert firing: height 7 has not advanced", "peer penalised"], "the oldest line left the ring");
  assert.equal(typeof q()[0].time, "number");
  await logging.close();
});

test("a ring line that is not JSON is still served", () => {
  const ring = new LogRing(2);
  ring.push("node", "plain text\n");
  assert.deepEqual(ring.query(), [{ msg: "plain text", source: "node", level: "info", time: 0 }]);
});
