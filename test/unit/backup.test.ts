/**
 * Backup and restore in-process, on a real LMDB chain in a node home: a backup taken while blocks
 * keep committing is one consistent commit; restored, it holds the same blocks and state; keys
 * stay out unless asked for. Every refusal (a flipped byte, a truncated file, not a backup, a
 * backup of another chain, chain data already in the home) names its reason and leaves the
 * target exactly as it was, with no staging folder left behind. Alert rules set through the API
 * (the home's alert-rules.json) travel with the backup and are checked before a restore writes
 * anything; a home without them still gets a version-1 file, which this software restores.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { blockHash } from "../../src/ledger/block.js";
import { parseRules, ruleToJson } from "../../src/node/alerts/rules.js";
import { loadStoredRules, RULES_FILE, storeRules } from "../../src/node/alerts/store.js";
import { createBackup } from "../../src/node/backup/create.js";
import { CHECKSUM_BYTES, headerBytes } from "../../src/node/backup/format.js";
import type { BackupManifest } from "../../src/node/backup/format.js";
import { checkBackup } from "../../src/node/backup/read.js";
import { restoreBackup } from "../../src/node/backup/restore.js";
import { NODE_CONFIG_DEFAULTS } from "../../src/node/config.js";
import { ChainStore } from "../../src/storage/chain-store.js";
import { toHex } from "../../src/util/bytes.js";
import { CivitasError, ErrorCode } from "../../src/util/errors.js";
import type { Fixture } from "../e2e/helpers/proc-chain.js";
import { ChainDriver, makeFixture, sampleWorkload } from "../e2e/helpers/proc-chain.js";

const T = { timeout: 60_000 };
let root: string;
let fx: Fixture;
let srcHome: string;
let driver: ChainDriver;
let backupFile: string;

/** A node home as `civitas init` leaves it (fake key material: only its presence matters). */
async function writeHome(dir: string, f: Fixture, moniker: string): Promise<void> {
  await mkdir(join(dir, "tls"), { recursive: true });
  await writeFile(join(dir, "genesis.json"), JSON.stringify(f.genesis, null, 2));
  await writeFile(join(dir, "node.json"), JSON.stringify({ ...NODE_CONFIG_DEFAULTS, moniker }, null, 2));
  await writeFile(join(dir, "validator.key.json"), `{"secret":"${moniker}"}`, { mode: 0o600 });
  await writeFile(join(dir, "tls", "ca.crt"), "CA CERT");
  await writeFile(join(dir, "tls", "node.crt"), `NODE CERT ${moniker}`);
  await writeFile(join(dir, "tls", "node.key"), "NODE KEY", { mode: 0o600 });
  await writeFile(join(dir, "consensus.wal"), "wal");
}

/** Every file under `dir` (and `dir`'s siblings, to catch staging leftovers) with a hash of its content. */
async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string, rel: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(p, r);
      else out[r] = createHash("sha256").update(await readFile(p)).digest("hex");
    }
  };
  await walk(dir, "");
  return out;
}

async function expectRefusal(p: Promise<unknown>, code: string, reason: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof CivitasError, `expected a CivitasError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, reason);
    return true;
  });
}

/** Runs a refused restore into `home` and checks nothing in `home`'s parent changed. */
async function refusedLeavesUntouched(file: string, home: string, opts: { force?: boolean }, code: string, reason: RegExp): Promise<void> {
  const parent = join(home, "..");
  const before = await tree(parent);
  await expectRefusal(restoreBackup(file, home, opts), code, reason);
  assert.deepEqual(await tree(parent), before, "the target (and its folder) changed after a refused restore");
}

let n = 0;
/** A new empty folder. */
const fresh = (): string => {
  const d = join(root, `t${n++}`);
  mkdirSync(d);
  return d;
};

before(async () => {
  root = await mkdtemp(join(tmpdir(), "civitas-backup-test-"));
  fx = makeFixture({ chainId: "backup-test" });
  srcHome = join(root, "src-home");
  await writeHome(srcHome, fx, "node-src");
  driver = await ChainDriver.open(join(srcHome, "data"), fx);
  await sampleWorkload(driver);
  backupFile = join(root, "b0.cvb");
  await createBackup(srcHome, backupFile, { now: () => new Date(0) });
});

after(async () => {
  await driver?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

test("a backup taken while blocks keep committing is one consistent commit, and restores to the same chain", T, async () => {
  const h0 = driver.chain.head().height;
  const file = join(fresh(), "online.cvb");
  // Blocks commit on the same environment while the snapshot is copied.
  let producing = true;
  const producer = (async () => {
    let k = 0;
    while (producing || k < 3) {
      const [a, b] = fx.wallets;
      await driver.submit([driver.tx(a, [{ module: "token", method: "transfer", args: { to: b.address, amount: "1n" } }])]);
      await driver.produce();
      k++;
    }
  })();
  const r = await createBackup(srcHome, file);
  producing = false;
  await producer;
  const m = r.manifest;
  const h1 = driver.chain.head().height;
  assert.ok(m.height >= h0 && m.height <= h1, `snapshot height ${m.height} outside [${h0}, ${h1}]`);
  assert.ok(h1 >= h0 + 3, "blocks did not keep committing during the backup");
  // The manifest names the block the live chain has at that height.
  const live = driver.chain.getBlock(m.height);
  assert.ok(live);
  assert.equal(m.blockHash, toHex(blockHash(fx.suite, live.header)));
  assert.equal(m.stateRoot, toHex(live.header.stateRoot));
  assert.equal(m.chainId, "backup-test");
  assert.deepEqual(
    m.files.map((f) => [f.path, f.kind]),
    [
      ["store/data.mdb", "store"],
      ["genesis.json", "genesis"],
      ["node.json", "config"],
      ["tls/ca.crt", "certificate"],
      ["tls/node.crt", "certificate"],
    ],
    "keys are left out by default",
  );
  assert.equal(m.includesKeys, false);
  assert.equal((await stat(file)).mode & 0o777, 0o600);

  const home = fresh();
  const res = await restoreBackup(file, home);
  assert.equal(res.replacedData, false);
  assert.deepEqual(res.kept, []);
  assert.ok(!existsSync(join(home, "validator.key.json")) && !existsSync(join(home, "tls", "node.key")), "restored a key that was not in the backup");
  assert.equal(await readFile(join(home, "genesis.json"), "utf8"), await readFile(join(srcHome, "genesis.json"), "utf8"));
  // Every block up to the snapshot, and the state table, are the live chain's.
  const restored = ChainStore.open(join(home, "data"), { readOnly: true });
  try {
    assert.equal(restored.headHeight(), m.height);
    for (let h = 0; h <= m.height; h++) assert.deepEqual(restored.getBlockBytes(h), driver.chain.store.getBlockBytes(h), `block ${h}`);
    assert.equal(restored.getBlockBytes(m.height + 1), undefined, "a block after the snapshot leaked into it");
  } finally {
    await restored.close();
  }
});

test("the restored store equals the source entry for entry, and --verify replays it", T, async () => {
  // A home folder that does not exist yet (its parent does not either).
  const home = join(fresh(), "a", "home");
  const before = driver.chain.head().height;
  const file = join(fresh(), "quiet.cvb");
  const r = await createBackup(srcHome, file);
  assert.equal(r.manifest.height, before);
  const res = await restoreBackup(file, home, { verify: true });
  assert.ok(res.verified?.ok, JSON.stringify(res.verified?.problems));
  assert.equal(res.verified?.headHash, r.manifest.blockHash);
  const restored = ChainStore.open(join(home, "data"), { readOnly: true });
  try {
    const a = [...driver.chain.store.stateEntries()].map((e) => toHex(e.key) + "=" + toHex(e.value));
    const b = [...restored.stateEntries()].map((e) => toHex(e.key) + "=" + toHex(e.value));
    assert.ok(a.length > 5);
    assert.deepEqual(b, a);
  } finally {
    await restored.close();
  }
});

test("--include-keys packs the keys; restored with mode 0600", T, async () => {
  const file = join(fresh(), "keys.cvb");
  const r = await createBackup(srcHome, file, { includeKeys: true });
  assert.equal(r.manifest.includesKeys, true);
  assert.deepEqual(r.manifest.files.filter((f) => f.kind === "key").map((f) => f.path), ["validator.key.json", "tls/node.key"]);
  const home = fresh();
  await restoreBackup(file, home);
  assert.equal(await readFile(join(home, "validator.key.json"), "utf8"), '{"secret":"node-src"}');
  assert.equal((await stat(join(home, "tls", "node.key"))).mode & 0o777, 0o600);
});

test("a flipped byte in the payload is refused by the checksum; the target is untouched, even with --force", T, async () => {
  const bad = join(fresh(), "flipped.cvb");
  await cp(backupFile, bad);
  const bytes = await readFile(bad);
  const { payloadOffset } = await checkBackup(backupFile);
  bytes[payloadOffset + 5000] ^= 0x01;
  await writeFile(bad, bytes);
  await expectRefusal(checkBackup(bad), ErrorCode.BACKUP_INVALID, /checksum mismatch/);
  // Into a new home, into an existing home of the same chain, and over existing data forced.
  const parent = fresh();
  await refusedLeavesUntouched(bad, join(parent, "new-home"), {}, ErrorCode.BACKUP_INVALID, /checksum mismatch/);
  const existing = join(fresh(), "home");
  await restoreBackup(backupFile, existing);
  await refusedLeavesUntouched(bad, existing, { force: true }, ErrorCode.BACKUP_INVALID, /checksum mismatch/);
  // A flipped byte in the manifest is caught too.
  const bytes2 = await readFile(backupFile);
  bytes2[20] ^= 0x20;
  const bad2 = join(fresh(), "flipped-manifest.cvb");
  await writeFile(bad2, bytes2);
  await refusedLeavesUntouched(bad2, existing, { force: true }, ErrorCode.BACKUP_INVALID, /corrupt backup/);
});

test("a truncated backup is refused as truncated; the target is untouched", T, async () => {
  const size = (await stat(backupFile)).size;
  const existing = join(fresh(), "home");
  await restoreBackup(backupFile, existing);
  for (const keep of [size - 1, size - 40, Math.floor(size / 2)]) {
    const cut = join(fresh(), "cut.cvb");
    await cp(backupFile, cut);
    await truncate(cut, keep);
    await refusedLeavesUntouched(cut, existing, { force: true }, ErrorCode.BACKUP_INVALID, /truncated backup/);
  }
  const tiny = join(fresh(), "tiny.cvb");
  await cp(backupFile, tiny);
  await truncate(tiny, 10);
  await refusedLeavesUntouched(tiny, existing, { force: true }, ErrorCode.BACKUP_INVALID, /truncated/);
  const junk = join(fresh(), "junk.cvb");
  await writeFile(junk, Buffer.alloc(4096, 7));
  await refusedLeavesUntouched(junk, existing, { force: true }, ErrorCode.BACKUP_INVALID, /not a Civitas backup/);
  await refusedLeavesUntouched(join(root, "missing.cvb"), existing, {}, ErrorCode.BACKUP_INVALID, /cannot read the backup/);
});

test("a backup of another chain into an existing home is refused, even with --force; the home is untouched", T, async () => {
  const other = makeFixture({ chainId: "other-chain" });
  const otherHome = join(fresh(), "other");
  await writeHome(otherHome, other, "other");
  const d = await ChainDriver.open(join(otherHome, "data"), other);
  await d.produce();
  await d.close();
  await refusedLeavesUntouched(backupFile, otherHome, {}, ErrorCode.BACKUP_CHAIN_MISMATCH, /backup is of chain 'backup-test'.*belongs to chain 'other-chain'/);
  await refusedLeavesUntouched(backupFile, otherHome, { force: true }, ErrorCode.BACKUP_CHAIN_MISMATCH, /restore into an empty folder/);
  // Same when the home of the other chain has no data yet.
  await rm(join(otherHome, "data"), { recursive: true });
  await refusedLeavesUntouched(backupFile, otherHome, {}, ErrorCode.BACKUP_CHAIN_MISMATCH, /other-chain/);
  // A folder that is not a node home is refused unless forced.
  const stranger = fresh();
  await writeFile(join(stranger, "notes.txt"), "mine");
  await refusedLeavesUntouched(backupFile, stranger, {}, ErrorCode.BACKUP_TARGET_NOT_EMPTY, /not a node home/);
});

test("chain data already in the home is refused without --force; with it, replaced and the home's own files kept", T, async () => {
  // The disaster case first: a home of the same chain whose data folder was lost.
  const home = join(fresh(), "home");
  await writeHome(home, fx, "node-restored");
  const res = await restoreBackup(backupFile, home);
  assert.deepEqual(res.written, ["data/data.mdb"]);
  assert.deepEqual(
    res.kept.map((k) => [k.path, k.differs]),
    [
      ["genesis.json", false],
      ["node.json", true],
      ["tls/ca.crt", false],
      ["tls/node.crt", true],
    ],
  );
  assert.equal(res.walPresent, true);
  assert.match(await readFile(join(home, "node.json"), "utf8"), /node-restored/, "the home's node.json was overwritten");
  // Now the home has chain data: refused, then forced.
  const d = await ChainDriver.open(join(home, "data"), fx);
  const oldHead = d.chain.head().height;
  await d.close();
  await refusedLeavesUntouched(backupFile, home, {}, ErrorCode.BACKUP_TARGET_NOT_EMPTY, /already holds chain data.*--force/);
  const newer = join(fresh(), "newer.cvb");
  const nb = await createBackup(srcHome, newer);
  assert.ok(nb.manifest.height > oldHead);
  const forced = await restoreBackup(newer, home, { force: true });
  assert.equal(forced.replacedData, true);
  const s = ChainStore.open(join(home, "data"), { readOnly: true });
  try {
    assert.equal(s.headHeight(), nb.manifest.height);
  } finally {
    await s.close();
  }
  assert.deepEqual((await readdir(join(home, ".."))).sort(), ["home"], "staging or set-aside folders left behind");
  assert.equal(await readFile(join(home, "validator.key.json"), "utf8"), '{"secret":"node-restored"}');
});

test("a backup of a home without a chain, or onto an existing file, is refused", T, async () => {
  const empty = join(fresh(), "nochain");
  await writeHome(empty, fx, "x");
  await expectRefusal(createBackup(empty, join(fresh(), "x.cvb")), ErrorCode.CHAIN_CORRUPT, /start the node once/);
  await expectRefusal(createBackup(srcHome, backupFile), ErrorCode.BACKUP_TARGET_NOT_EMPTY, /exists/);
  // A genesis outside the home could not be restored into another home: refused before the copy.
  const outside = join(fresh(), "outside");
  await mkdir(outside);
  await writeFile(join(outside, "node.json"), JSON.stringify({ ...NODE_CONFIG_DEFAULTS, moniker: "outside", genesisFile: join(srcHome, "genesis.json"), dataDir: join(srcHome, "data") }));
  const out = join(fresh(), "outside.cvb");
  await expectRefusal(createBackup(outside, out), ErrorCode.CONFIG_INVALID, /genesisFile .* is not a file inside .*a backup must carry the genesis/);
  assert.deepEqual(await readdir(join(out, "..")), []);
  assert.equal((await checkBackup(backupFile)).manifest.createdAt, "1970-01-01T00:00:00.000Z", "the existing backup was rewritten");
});

/** `file` re-written with `edit` applied to its manifest, and a checksum that matches again. */
async function reManifest(file: string, edit: (m: BackupManifest) => void): Promise<string> {
  const b = await checkBackup(file);
  const bytes = await readFile(file);
  const payload = bytes.subarray(b.payloadOffset, bytes.length - CHECKSUM_BYTES);
  const m = structuredClone(b.manifest);
  edit(m);
  const body = Buffer.concat([headerBytes(Buffer.from(JSON.stringify(m))), payload]);
  const out = join(fresh(), "edited.cvb");
  await writeFile(out, Buffer.concat([body, createHash("sha256").update(body).digest()]));
  return out;
}

test("a backup whose checksum holds but whose manifest lies is refused before the target changes", T, async () => {
  const existing = join(fresh(), "home");
  await writeHome(existing, fx, "lost-data");
  // Paths that would leave the home.
  const escape = await reManifest(backupFile, (m) => {
    m.files[3].path = "../../escaped.crt";
  });
  await refusedLeavesUntouched(escape, existing, {}, ErrorCode.BACKUP_INVALID, /not a safe relative path/);
  // A head or state root the store does not have: found only once the store is staged and
  // opened, and still nothing in the home changes.
  const lie = await reManifest(backupFile, (m) => {
    m.stateRoot = "00".repeat(32);
  });
  assert.equal((await checkBackup(lie)).manifest.stateRoot, "00".repeat(32), "the edited file passes the file checks");
  await refusedLeavesUntouched(lie, existing, {}, ErrorCode.BACKUP_INVALID, /state root is [0-9a-f]{64}, the manifest says 0{64}; nothing was replaced/);
  const older = await reManifest(backupFile, (m) => {
    m.height -= 1;
  });
  await refusedLeavesUntouched(older, existing, {}, ErrorCode.BACKUP_INVALID, /head height is \d+, the manifest says \d+/);
  // Sizes that do not add up, and a genesis of another chain inside.
  const sizes = await reManifest(backupFile, (m) => {
    m.payloadBytes += 1;
  });
  await refusedLeavesUntouched(sizes, existing, {}, ErrorCode.BACKUP_INVALID, /files add up to/);
  const chain = await reManifest(backupFile, (m) => {
    m.genesisHash = "ab".repeat(32);
  });
  await refusedLeavesUntouched(chain, existing, {}, ErrorCode.BACKUP_INVALID, /its genesis .* is not the one its manifest names/);
});

/** `file` rebuilt with `edit` applied to its manifest and home files (by path), sizes and checksum fixed. */
async function rebuild(file: string, edit: (m: BackupManifest, parts: Map<string, Buffer>) => void): Promise<string> {
  const b = await checkBackup(file);
  const bytes = await readFile(file);
  const parts = new Map(b.entries.map((e) => [e.path, bytes.subarray(e.offset, e.offset + e.size)]));
  const m = structuredClone(b.manifest);
  edit(m, parts);
  m.files = m.files.map((f) => ({ ...f, size: (parts.get(f.path) as Buffer).length }));
  m.payloadBytes = m.files.reduce((k, f) => k + f.size, 0);
  const body = Buffer.concat([headerBytes(Buffer.from(JSON.stringify(m))), ...m.files.map((f) => parts.get(f.path) as Buffer)]);
  const out = join(fresh(), "rebuilt.cvb");
  await writeFile(out, Buffer.concat([body, createHash("sha256").update(body).digest()]));
  return out;
}

const RULES = parseRules([
  { id: "tps-burst", kind: "tps_above", tps: 20, windowSeconds: 3, severity: "critical" },
  { id: "stalled", kind: "height_stalled", seconds: 5, forSeconds: 2 },
  { id: "peers-low", kind: "peers_below", peers: 2, enabled: false },
]);

/** Runs `f` with RULES stored in the source home as PUT /v1/alerts/rules stores them, removed after. */
async function withSourceRules<T>(f: () => Promise<T>): Promise<T> {
  storeRules(srcHome, RULES);
  try {
    return await f();
  } finally {
    await rm(join(srcHome, RULES_FILE), { force: true });
  }
}

test("alert rules set in the home travel with the backup (version 2) and are the restored home's rules", T, async () => {
  const file = join(fresh(), "rules.cvb");
  const r = await withSourceRules(() => createBackup(srcHome, file));
  assert.equal(r.manifest.version, 2, "a backup with alert rules needs format version 2");
  const entry = r.manifest.files.find((f) => f.kind === "alert-rules");
  // The file as storeRules wrote it, byte for byte.
  assert.deepEqual(entry && [entry.path, entry.size], [RULES_FILE, Buffer.byteLength(JSON.stringify({ rules: RULES.map(ruleToJson) }, null, 2) + "\n")]);
  const checked = await checkBackup(file);
  assert.deepEqual(checked.alertRules, RULES);
  // Its bytes are covered by the checksum like every other file's.
  const bytes = await readFile(file);
  const at = checked.entries.find((e) => e.kind === "alert-rules");
  assert.ok(at);
  bytes[at.offset + 3] ^= 0x01;
  const flipped = join(fresh(), "flipped-rules.cvb");
  await writeFile(flipped, bytes);
  await expectRefusal(checkBackup(flipped), ErrorCode.BACKUP_INVALID, /checksum mismatch/);

  // Into a new home: the node reads these rules at start (loadStoredRules is what Monitoring calls).
  const home = join(fresh(), "home");
  const res = await restoreBackup(file, home);
  assert.ok(res.written.includes(RULES_FILE), `written: ${res.written.join(", ")}`);
  assert.deepEqual(loadStoredRules(home), RULES);
  // Into a home of the same chain that lost its data and its rules (the disaster case).
  const lost = join(fresh(), "lost");
  await writeHome(lost, fx, "lost");
  const res2 = await restoreBackup(file, lost);
  assert.deepEqual(res2.written.sort(), [RULES_FILE, "data/data.mdb"]);
  assert.deepEqual(loadStoredRules(lost), RULES);
  // A home that has rules of its own keeps them, like its node.json.
  const own = join(fresh(), "own");
  await writeHome(own, fx, "own");
  storeRules(own, RULES.slice(0, 1));
  const res3 = await restoreBackup(file, own);
  assert.deepEqual(res3.kept.find((k) => k.path === RULES_FILE), { path: RULES_FILE, differs: true });
  assert.deepEqual(loadStoredRules(own), RULES.slice(0, 1));
});

test("a backup whose alert-rules.json the node would refuse is refused before anything is written", T, async () => {
  const good = join(fresh(), "rules-good.cvb");
  await withSourceRules(() => createBackup(srcHome, good));
  const lost = join(fresh(), "lost");
  await writeHome(lost, fx, "lost");
  const cases: Array<[string, string, RegExp]> = [
    ["unknown kind", JSON.stringify({ rules: [{ id: "a", kind: "cpu_above", percent: 5 }] }), /alert-rules\.json rules\[0\]\.kind: expected one of/],
    ["missing parameter", JSON.stringify({ rules: [{ id: "a", kind: "peers_below" }] }), /alert-rules\.json rules\[0\]\.peers: required/],
    ["no rules list", JSON.stringify({ rule: [] }), /alert-rules\.json rules: expected an array/],
    ["not JSON", "{not json", /alert-rules\.json is not JSON/],
  ];
  for (const [what, text, reason] of cases) {
    const bad = await rebuild(good, (_m, parts) => parts.set(RULES_FILE, Buffer.from(text)));
    // The file checks pass: only the rules are wrong.
    await assert.rejects(checkBackup(bad), (e: unknown) => {
      assert.ok(e instanceof CivitasError, what);
      assert.equal(e.code, ErrorCode.BACKUP_INVALID, what);
      assert.match(e.message, /invalid backup: its alert-rules\.json is not a rule set the node accepts/, what);
      assert.match(e.message, reason, what);
      assert.equal(e.details.cause, ErrorCode.ALERT_RULES_INVALID, what);
      assert.equal(e.details.path, RULES_FILE, what);
      return true;
    });
    await refusedLeavesUntouched(bad, join(fresh(), "new-home"), {}, ErrorCode.BACKUP_INVALID, reason);
    await refusedLeavesUntouched(bad, lost, { force: true }, ErrorCode.BACKUP_INVALID, reason);
  }
  // The rules must be at the path the node reads them from.
  const moved = await rebuild(good, (m, parts) => {
    const f = m.files.find((x) => x.kind === "alert-rules") as BackupManifest["files"][number];
    parts.set("tls/alert-rules.json", parts.get(f.path) as Buffer);
    f.path = "tls/alert-rules.json";
  });
  await refusedLeavesUntouched(moved, lost, {}, ErrorCode.BACKUP_INVALID, /only alert-rules\.json is of kind alert-rules/);

  // Taking a backup of a home whose rules the node would refuse fails at once and writes nothing.
  const out = join(fresh(), "never.cvb");
  await writeFile(join(srcHome, RULES_FILE), JSON.stringify({ rules: [{ id: "x", kind: "peers_below" }] }));
  try {
    await expectRefusal(createBackup(srcHome, out), ErrorCode.ALERT_RULES_INVALID, /alert-rules\.json.*rules\[0\]\.peers: required.*fix or delete it/);
  } finally {
    await rm(join(srcHome, RULES_FILE), { force: true });
  }
  assert.deepEqual(await readdir(join(out, "..")), [], "a refused backup left a file");
});

test("format versions: a home without alert rules still gets a version-1 backup, which restores; unknown versions and kinds are refused", T, async () => {
  // backupFile was taken of a home without alert-rules.json: exactly what version-1 software wrote.
  const v1 = await checkBackup(backupFile);
  assert.equal(v1.manifest.version, 1);
  assert.deepEqual(Object.keys(v1.manifest).sort(), ["blockHash", "blockTime", "chainId", "createdAt", "cryptoSuite", "files", "format", "genesisHash", "height", "includesKeys", "moniker", "payloadBytes", "software", "stateRoot", "version"]);
  assert.deepEqual([...new Set(v1.manifest.files.map((f) => f.kind))].sort(), ["certificate", "config", "genesis", "store"]);
  assert.equal(v1.alertRules, undefined);
  const home = join(fresh(), "home");
  const res = await restoreBackup(backupFile, home, { verify: true });
  assert.ok(res.verified?.ok);
  assert.ok(!existsSync(join(home, RULES_FILE)), "a version-1 backup restored alert rules it does not carry");
  assert.equal(loadStoredRules(home), undefined);

  const v2 = join(fresh(), "v2.cvb");
  await withSourceRules(() => createBackup(srcHome, v2));
  // Version 1 does not know the alert-rules kind.
  const mislabelled = await rebuild(v2, (m) => {
    m.version = 1;
  });
  await refusedLeavesUntouched(mislabelled, join(fresh(), "h"), {}, ErrorCode.BACKUP_INVALID, /kind must be one of store, genesis, config, certificate, key in a version 1 backup/);
  // A version-2 backup without rules is still valid (version 2 only adds a kind).
  const v2Plain = await rebuild(backupFile, (m) => {
    m.version = 2;
  });
  assert.equal((await restoreBackup(v2Plain, join(fresh(), "h"))).manifest.version, 2);
  for (const version of [0, 3, "1"]) {
    const future = await rebuild(backupFile, (m) => {
      (m as { version: unknown }).version = version;
    });
    await refusedLeavesUntouched(future, join(fresh(), "h"), {}, ErrorCode.BACKUP_INVALID, /unsupported backup format version .*reads versions 1 to 2/);
  }
});
