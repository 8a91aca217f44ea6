import { test } from "node:test";
import assert from "node:assert/strict";
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as osslSign, verify as osslVerify } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import sodium from "sodium-native";
import { equalBytes, fromHex, toHex, utf8 } from "../../src/util/bytes.js";
import { CivitasError } from "../../src/util/errors.js";
import type { CryptoSuite, SuiteId } from "../../src/crypto/index.js";
import {
  SUITE_IDS,
  decryptKey,
  encryptKey,
  getNodeSuite,
  getPortableSuite,
  isValidKeyName,
  listKeyFiles,
  loadKeyFile,
  parseKeyFile,
  saveKeyFile,
} from "../../src/crypto/index.js";
import type { KeyFile } from "../../src/crypto/index.js";

const impls = (id: SuiteId): Array<[string, CryptoSuite]> => [
  ["node", getNodeSuite(id)],
  ["portable", getPortableSuite(id)],
];
const ALL: Array<[SuiteId, string, CryptoSuite]> = SUITE_IDS.flatMap((id) => impls(id).map(([n, s]) => [id, n, s] as [SuiteId, string, CryptoSuite]));
const LOW_N = 2 ** 10; // keystore tests: fast scrypt

function flipBit(b: Uint8Array, bit: number): Uint8Array {
  const out = b.slice();
  out[(bit >> 3) % out.length] ^= 1 << (bit & 7);
  return out;
}

test("suites: sizes and ids are as declared, and unknown ids are refused", () => {
  for (const [id, name, s] of ALL) {
    assert.equal(s.id, id, name);
    assert.equal(s.secretKeyLength, 32);
    assert.equal(s.signatureLength, 64);
    assert.equal(s.publicKeyLength, id === "ed25519-sha256" ? 32 : 65);
    const kp = s.generateKeyPair();
    assert.equal(kp.publicKey.length, s.publicKeyLength);
    assert.equal(kp.secretKey.length, s.secretKeyLength);
    assert.equal(s.sign(utf8("x"), kp.secretKey).length, s.signatureLength);
    assert.equal(s.hash(utf8("x")).length, 32);
    assert.ok(!Buffer.isBuffer(s.hash(utf8("x"))) && !Buffer.isBuffer(kp.publicKey), "no Buffer in the public surface");
  }
  assert.throws(() => getNodeSuite("rsa" as SuiteId), { code: "CONFIG_INVALID" });
  assert.throws(() => getPortableSuite("toString" as SuiteId), { code: "CONFIG_INVALID" });
});

test("suites: sign/verify round trips in both implementations, and across them", () => {
  for (const id of SUITE_IDS) {
    const [[, node], [, portable]] = impls(id);
    for (let i = 0; i < 8; i++) {
      const maker = i % 2 ? node : portable;
      const kp = maker.generateKeyPair();
      const msg = utf8(`message ${i} `.repeat(i * 9));
      assert.deepEqual(node.publicKeyFromSecret(kp.secretKey), kp.publicKey, `${id}: public key derivation agrees`);
      assert.deepEqual(portable.publicKeyFromSecret(kp.secretKey), kp.publicKey, `${id}: public key derivation agrees`);
      for (const signer of [node, portable]) {
        const sig = signer.sign(msg, kp.secretKey);
        assert.equal(node.verify(msg, sig, kp.publicKey), true, `${id}: node verifies`);
        assert.equal(portable.verify(msg, sig, kp.publicKey), true, `${id}: portable verifies`);
      }
      if (id === "ed25519-sha256") assert.deepEqual(node.sign(msg, kp.secretKey), portable.sign(msg, kp.secretKey), "ed25519 is deterministic");
    }
  }
});

test("suites: messages of any length, including empty and views into larger buffers", () => {
  for (const [id, name, s] of ALL) {
    const kp = s.generateKeyPair();
    const backing = new Uint8Array(300).map((_, i) => i);
    for (const msg of [new Uint8Array(0), backing.subarray(7, 8), backing.subarray(3, 250)]) {
      const sig = s.sign(msg, kp.secretKey);
      for (const [other, v] of impls(id)) assert.equal(v.verify(msg, sig, kp.publicKey), true, `${name} -> ${other}`);
      const sigView = new Uint8Array(100);
      sigView.set(sig, 13);
      assert.equal(s.verify(msg, sigView.subarray(13, 13 + 64), kp.publicKey), true, `${name}: signature as a view`);
    }
  }
});

test("suites: any flipped bit in message, signature or public key is rejected by both", () => {
  for (const id of SUITE_IDS) {
    const [[, node], [, portable]] = impls(id);
    const kp = node.generateKeyPair();
    const msg = utf8("flip me");
    const sig = node.sign(msg, kp.secretKey);
    fc.assert(
      fc.property(fc.constantFrom("message", "signature", "publicKey"), fc.nat(), (part, bit) => {
        const m = part === "message" ? flipBit(msg, bit) : msg;
        const sg = part === "signature" ? flipBit(sig, bit) : sig;
        const pk = part === "publicKey" ? flipBit(kp.publicKey, bit) : kp.publicKey;
        return node.verify(m, sg, pk) === false && portable.verify(m, sg, pk) === false;
      }),
      { numRuns: 60 },
    );
  }
});

test("suites: junk of any length or type never throws and never verifies, in both", () => {
  const junk = fc.oneof(
    fc.uint8Array({ minLength: 0, maxLength: 80 }),
    fc.constantFrom<unknown>(undefined, null, "", "00", 0, 64, [], {}, new Uint16Array(32), new ArrayBuffer(64), Buffer.alloc(64)),
  );
  for (const id of SUITE_IDS) {
    const suites = impls(id).map(([, s]) => s);
    const kp = suites[0].generateKeyPair();
    const sig = suites[0].sign(utf8("m"), kp.secretKey);
    fc.assert(
      fc.property(junk, junk, junk, (m, sg, pk) => {
        for (const s of suites) {
          assert.equal(s.verify(m as Uint8Array, sg as Uint8Array, pk as Uint8Array), false);
          assert.equal(s.verify(utf8("m"), sg as Uint8Array, kp.publicKey), false);
          assert.equal(s.verify(utf8("m"), sig, pk as Uint8Array), false);
        }
        // Random 32 bytes are a valid ed25519 key about 1 time in 16, so only agreement is asserted.
        const valid = suites.map((s) => s.isValidPublicKey(pk as Uint8Array));
        assert.equal(typeof valid[0], "boolean");
        assert.equal(valid[0], valid[1]);
        return true;
      }),
      { numRuns: 150 },
    );
    // A 64-byte prefix of a longer buffer must not pass: libsodium reads only the first 64 bytes.
    for (const s of suites) {
      const longer = new Uint8Array(65);
      longer.set(sig);
      assert.equal(s.verify(utf8("m"), longer, kp.publicKey), false);
      assert.equal(s.verify(utf8("m"), sig.subarray(0, 63), kp.publicKey), false);
      assert.equal(s.verify(utf8("m"), sig, kp.publicKey), true);
    }
  }
});

test("suites: node and portable give the same verdict on mutated valid signatures (differential fuzz)", () => {
  for (const id of SUITE_IDS) {
    const [[, node], [, portable]] = impls(id);
    const kp = portable.generateKeyPair();
    const msg = utf8("differential");
    const sig = portable.sign(msg, kp.secretKey);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: 63 }), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), (edits) => {
        const sg = sig.slice();
        for (const [i, v] of edits) sg[i] = v;
        return node.verify(msg, sg, kp.publicKey) === portable.verify(msg, sg, kp.publicKey);
      }),
      { numRuns: 60 },
    );
  }
});

test("ed25519: node and portable agree on the validity of random 32-byte keys", () => {
  const [[, node], [, portable]] = impls("ed25519-sha256");
  let valid = 0;
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.boolean(), (pk, nearP) => {
      // nearP: push y into [p - 2^16, 2^255) to exercise the canonical-encoding boundary.
      if (nearP) {
        pk.fill(0xff, 2, 31);
        pk[31] = (pk[31] & 0x80) | 0x7f;
      }
      const v = node.isValidPublicKey(pk);
      if (v) valid++;
      return v === portable.isValidPublicKey(pk);
    }),
    { numRuns: 400 },
  );
  assert.ok(valid > 0, "some random keys are valid");
});

test("suites: bad secret keys make sign and publicKeyFromSecret throw KEY_INVALID", () => {
  for (const [, name, s] of ALL) {
    for (const bad of [new Uint8Array(31), new Uint8Array(33), new Uint8Array(64)]) {
      assert.throws(() => s.sign(utf8("m"), bad), { code: "KEY_INVALID" }, name);
      assert.throws(() => s.publicKeyFromSecret(bad), { code: "KEY_INVALID" }, name);
    }
  }
});

test("sm2 node suite: hot-key precomputation and its eviction keep verdicts correct", () => {
  const [[, node], [, portable]] = impls("sm2-sm3");
  const msg = utf8("hot key");
  const keys = Array.from({ length: 66 }, (_, i) => {
    const s = i % 8 ? node : portable;
    const kp = s.generateKeyPair();
    return { pk: kp.publicKey, sig: s.sign(msg, kp.secretKey) };
  });
  // 66 keys x 4 uses: every key turns hot, and the first ones are pushed out of the 64-entry hot set.
  for (let round = 0; round < 4; round++) for (const k of keys) assert.equal(node.verify(msg, k.sig, k.pk), true);
  for (const k of [keys[0], keys[1], keys[65]]) {
    assert.equal(node.verify(msg, k.sig, k.pk), true);
    assert.equal(node.verify(utf8("other"), k.sig, k.pk), false);
    assert.equal(node.verify(msg, keys[30].sig, k.pk), false);
  }
});

test("address: 0x + 40 lowercase hex of the last 20 bytes of hash(publicKey), same in both", () => {
  for (const id of SUITE_IDS) {
    const [[, node], [, portable]] = impls(id);
    for (let i = 0; i < 5; i++) {
      const { publicKey } = node.generateKeyPair();
      const a = node.address(publicKey);
      assert.match(a, /^0x[0-9a-f]{40}$/);
      assert.equal(a, "0x" + toHex(node.hash(publicKey).subarray(12)));
      assert.equal(portable.address(publicKey), a);
    }
    // address() is a pure function of the bytes and does not throw on a malformed key.
    for (const [, s] of impls(id)) assert.match(s.address(new Uint8Array(3)), /^0x[0-9a-f]{40}$/);
  }
  // Pinned: RFC 8032 TEST 1 public key under SHA-256.
  const pk = fromHex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  assert.equal(getNodeSuite("ed25519-sha256").address(pk), getPortableSuite("ed25519-sha256").address(pk));
});

// ---------------------------------------------------------------------------------------------
// keystore

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "civitas-keys-"));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function expectCode(fn: () => unknown, code: string, message?: string): void {
  assert.throws(fn, (e: unknown) => e instanceof CivitasError && e.code === code, message ?? code);
}

test("keystore: encrypt/decrypt round trip for both suites, with the documented shape", () => {
  for (const id of SUITE_IDS) {
    const suite = getNodeSuite(id);
    const kp = suite.generateKeyPair();
    const created = new Date("2024-05-06T07:08:09.000Z");
    const file = encryptKey(suite, kp.secretKey, "correct horse", { scryptN: LOW_N, label: "validator-1", created });
    assert.equal(file.version, 1);
    assert.equal(file.suite, id);
    assert.equal(file.address, suite.address(kp.publicKey));
    assert.equal(file.publicKey, toHex(kp.publicKey));
    assert.deepEqual(Object.keys(file).sort(), ["address", "cipher", "ciphertext", "created", "kdf", "label", "publicKey", "suite", "version"]);
    assert.deepEqual({ ...file.kdf, salt: "", check: "" }, { name: "scrypt", N: LOW_N, r: 8, p: 1, salt: "", check: "" });
    assert.equal(file.cipher.name, "aes-256-gcm");
    assert.equal(fromHex(file.cipher.iv).length, 12);
    assert.equal(fromHex(file.cipher.tag).length, 16);
    assert.equal(file.label, "validator-1");
    assert.equal(file.created, created.toISOString());
    assert.ok(!file.ciphertext.includes(toHex(kp.secretKey)), "secret key is not in the clear");
    const out = decryptKey(JSON.parse(JSON.stringify(file)), "correct horse");
    assert.deepEqual(out, { suite: id, secretKey: kp.secretKey, publicKey: kp.publicKey, address: file.address });
    // The suite may also be given by id, and the passphrase as bytes.
    const byId = encryptKey(id, kp.secretKey, utf8("pw"), { scryptN: LOW_N });
    assert.ok(equalBytes(decryptKey(byId, "pw").secretKey, kp.secretKey));
  }
});

test("keystore: default scrypt parameters (N = 2^15, r = 8, p = 1) work within Node's memory cap", () => {
  const suite = getNodeSuite("ed25519-sha256");
  const kp = suite.generateKeyPair();
  const file = encryptKey(suite, kp.secretKey, "pw");
  assert.deepEqual([file.kdf.N, file.kdf.r, file.kdf.p], [2 ** 15, 8, 1]);
  assert.ok(equalBytes(decryptKey(file, "pw").secretKey, kp.secretKey));
});

test("keystore: passphrases are NFKC-normalised (composed and decomposed forms open the same file)", () => {
  const suite = getNodeSuite("ed25519-sha256");
  const kp = suite.generateKeyPair();
  const file = encryptKey(suite, kp.secretKey, "caf\u00e9", { scryptN: LOW_N });
  assert.ok(equalBytes(decryptKey(file, "cafe\u0301").secretKey, kp.secretKey));
});

test("keystore: wrong passphrase is KEY_BAD_PASSPHRASE; tampering is KEY_INVALID", () => {
  for (const id of SUITE_IDS) {
    const suite = getNodeSuite(id);
    const kp = suite.generateKeyPair();
    const other = suite.generateKeyPair();
    const file = encryptKey(suite, kp.secretKey, "pw", { scryptN: LOW_N });
    expectCode(() => decryptKey(file, "Pw"), "KEY_BAD_PASSPHRASE");
    expectCode(() => decryptKey(file, ""), "KEY_BAD_PASSPHRASE");

    const tamper = (f: (k: KeyFile) => void): KeyFile => {
      const copy = JSON.parse(JSON.stringify(file)) as KeyFile;
      f(copy);
      return copy;
    };
    const flipHex = (h: string, at = 0): string => h.slice(0, at) + (h[at] === "0" ? "1" : "0") + h.slice(at + 1);
    const cases: Array<[string, KeyFile]> = [
      ["ciphertext", tamper((k) => (k.ciphertext = flipHex(k.ciphertext, 10)))],
      ["tag", tamper((k) => (k.cipher.tag = flipHex(k.cipher.tag)))],
      ["iv", tamper((k) => (k.cipher.iv = flipHex(k.cipher.iv)))],
      ["address alone", tamper((k) => (k.address = suite.address(other.publicKey)))],
      // Consistent but foreign header: only the GCM additional data catches it.
      ["public key and address", tamper((k) => ((k.publicKey = toHex(other.publicKey)), (k.address = suite.address(other.publicKey))))],
      ["suite", tamper((k) => (k.suite = id === "sm2-sm3" ? "ed25519-sha256" : "sm2-sm3"))],
      ["version", tamper((k) => ((k as unknown as { version: number }).version = 2))],
      ["uppercase address", tamper((k) => (k.address = k.address.toUpperCase().replace("0X", "0x")))],
      ["short ciphertext", tamper((k) => (k.ciphertext = k.ciphertext.slice(2)))],
      ["huge N", tamper((k) => (k.kdf.N = 2 ** 30))],
      ["N not a power of two", tamper((k) => (k.kdf.N = 1000))],
      ["missing cipher", tamper((k) => delete (k as Partial<KeyFile>).cipher)],
    ];
    for (const [label, bad] of cases) expectCode(() => decryptKey(bad, "pw"), "KEY_INVALID", `${id}: ${label}`);
    for (const bad of [null, [], "x", 42]) expectCode(() => decryptKey(bad, "pw"), "KEY_INVALID");
    // KDF inputs feed the check value, so editing them is indistinguishable from a wrong passphrase.
    expectCode(() => decryptKey(tamper((k) => (k.kdf.salt = flipHex(k.kdf.salt))), "pw"), "KEY_BAD_PASSPHRASE");
  }
});

test("keystore: encryptKey refuses wrong-length keys, empty passphrases and out-of-range scrypt costs", () => {
  const suite = getNodeSuite("sm2-sm3");
  const { secretKey } = suite.generateKeyPair();
  expectCode(() => encryptKey(suite, new Uint8Array(31), "pw", { scryptN: LOW_N }), "KEY_INVALID");
  expectCode(() => encryptKey(suite, new Uint8Array(32), "pw", { scryptN: LOW_N }), "KEY_INVALID"); // d = 0
  expectCode(() => encryptKey(suite, secretKey, "", { scryptN: LOW_N }), "KEY_BAD_PASSPHRASE");
  for (const N of [1000, 2, 2 ** 21]) expectCode(() => encryptKey(suite, secretKey, "pw", { scryptN: N }), "KEY_INVALID");
});

test("keystore: save writes mode 0600 and refuses to overwrite; load, list and name rules", () => {
  withDir((root) => {
    const dir = join(root, "keys"); // created on first save
    assert.deepEqual(listKeyFiles(dir), []);
    const suite = getNodeSuite("ed25519-sha256");
    const kp = suite.generateKeyPair();
    const file = encryptKey(suite, kp.secretKey, "pw", { scryptN: LOW_N, label: "v1" });

    const path = saveKeyFile(dir, "validator-1", file);
    assert.equal(path, join(dir, "validator-1.json"));
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o077, 0, "directory is private");
    assert.deepEqual(loadKeyFile(dir, "validator-1"), file);
    assert.ok(equalBytes(decryptKey(loadKeyFile(dir, "validator-1"), "pw").secretKey, kp.secretKey));

    const before = readFileSync(path, "utf8");
    const other = encryptKey(suite, suite.generateKeyPair().secretKey, "pw", { scryptN: LOW_N });
    expectCode(() => saveKeyFile(dir, "validator-1", other), "KEY_EXISTS");
    assert.equal(readFileSync(path, "utf8"), before, "existing file untouched");

    saveKeyFile(dir, "a.b_c-2", other);
    writeFileSync(join(dir, "notes.txt"), "not a key");
    writeFileSync(join(dir, "bad name!.json"), "{}");
    assert.deepEqual(listKeyFiles(dir), ["a.b_c-2", "validator-1"]);
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith(".tmp")), [], "no temporary files left behind");

    expectCode(() => loadKeyFile(dir, "missing"), "KEY_NOT_FOUND");
    writeFileSync(join(dir, "broken.json"), "{ not json");
    expectCode(() => loadKeyFile(dir, "broken"), "KEY_INVALID");
    writeFileSync(join(dir, "wrong.json"), JSON.stringify({ ...file, address: "0x" + "0".repeat(40) }));
    expectCode(() => loadKeyFile(dir, "wrong"), "KEY_INVALID");
    expectCode(() => saveKeyFile(dir, "fine", { ...file, ciphertext: "zz" }), "KEY_INVALID");

    for (const bad of ["", ".", "..", "...", "../x", "a/b", "a\\b", "a b", "é", "x".repeat(65), "a\u0000"]) {
      assert.equal(isValidKeyName(bad), false, JSON.stringify(bad));
      expectCode(() => saveKeyFile(dir, bad, file), "KEY_INVALID", `save ${JSON.stringify(bad)}`);
      expectCode(() => loadKeyFile(dir, bad), "KEY_INVALID", `load ${JSON.stringify(bad)}`);
    }
    for (const good of ["a", "x".repeat(64), ".hidden", "A.B-c_9"]) assert.equal(isValidKeyName(good), true, good);
  });
});

test("keystore: parseKeyFile accepts exactly what encryptKey produces", () => {
  const suite = getNodeSuite("sm2-sm3");
  const file = encryptKey(suite, suite.generateKeyPair().secretKey, "pw", { scryptN: LOW_N });
  assert.deepEqual(parseKeyFile(JSON.parse(JSON.stringify(file))), file);
  expectCode(() => parseKeyFile({ ...file, extra: undefined, publicKey: "0x" + file.publicKey }), "KEY_INVALID");
});

// ---------------------------------------------------------------------------------------------
// Throughput, printed for the record (one core, this machine, no assertion).

function rate(fn: () => unknown, ms = 250): number {
  for (let i = 0; i < 20; i++) fn();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < 10; i++) fn();
    n += 10;
    t = performance.now();
  }
  return Math.round((n * 1000) / (t - t0));
}

test("benchmark: verifications (and SM2 signatures) per second on one core, printed not asserted", () => {
  const msg = utf8("a typical transaction signing message, about one hundred bytes long, domain-separated by the caller.");
  const rows: Array<[string, number]> = [];

  const ed = getNodeSuite("ed25519-sha256");
  const edKp = ed.generateKeyPair();
  const edSig = ed.sign(msg, edKp.secretKey);
  rows.push(["sodium-native crypto_sign_verify_detached (raw)", rate(() => sodium.crypto_sign_verify_detached(edSig, msg, edKp.publicKey))]);
  rows.push(["node suite ed25519 verify (raw + cached key check)", rate(() => ed.verify(msg, edSig, edKp.publicKey))]);
  const edCold = Array.from({ length: 400 }, () => {
    const kp = ed.generateKeyPair();
    return { pk: kp.publicKey, sig: ed.sign(msg, kp.secretKey) };
  });
  const e0 = performance.now();
  for (const k of edCold) assert.equal(ed.verify(msg, k.sig, k.pk), true);
  rows.push(["node suite ed25519 verify, first use of a key", Math.round((edCold.length * 1000) / (performance.now() - e0))]);
  const edKey: KeyObject = createPublicKey({ key: Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), edKp.publicKey]), format: "der", type: "spki" });
  rows.push(["node:crypto ed25519 verify (KeyObject cached)", rate(() => osslVerify(null, msg, edKey, edSig))]);
  rows.push(["portable ed25519 verify", rate(() => getPortableSuite("ed25519-sha256").verify(msg, edSig, edKp.publicKey), 200)]);

  // OpenSSL SM2 through node:crypto, for reference only: it hashes an empty signer ID, so it is
  // not the Civitas rule. A key made by generateKeyPairSync('ec') signs ECDSA, so re-import it.
  const gen = generateKeyPairSync("ec", { namedCurve: "SM2" });
  const smPriv = createPrivateKey({ key: gen.privateKey.export({ format: "der", type: "sec1" }), format: "der", type: "sec1" });
  const smPub = createPublicKey({ key: gen.publicKey.export({ format: "der", type: "spki" }), format: "der", type: "spki" });
  const smDer = osslSign("sm3", msg, smPriv);
  assert.equal(osslVerify("sm3", msg, smPub, smDer), true);
  rows.push(["node:crypto SM2 verify, OpenSSL (empty ID, reference only)", rate(() => osslVerify("sm3", msg, smPub, smDer))]);

  const sm = getNodeSuite("sm2-sm3");
  const smKp = sm.generateKeyPair();
  const smSig = sm.sign(msg, smKp.secretKey);
  // First use of a key (decode, Z value, no window table): one verification each for many keys.
  const coldKeys = Array.from({ length: 60 }, () => {
    const kp = sm.generateKeyPair();
    return { pk: kp.publicKey, sig: sm.sign(msg, kp.secretKey) };
  });
  const t0 = performance.now();
  for (const k of coldKeys) assert.equal(sm.verify(msg, k.sig, k.pk), true);
  rows.push(["node suite sm2 verify, first use of a key", Math.round((coldKeys.length * 1000) / (performance.now() - t0))]);
  rows.push(["node suite sm2 verify, frequent signer (hot key)", rate(() => sm.verify(msg, smSig, smKp.publicKey))]);
  rows.push(["portable sm2 verify", rate(() => getPortableSuite("sm2-sm3").verify(msg, smSig, smKp.publicKey), 200)]);
  rows.push(["node suite sm2 sign", rate(() => sm.sign(msg, smKp.secretKey), 200)]);

  const width = Math.max(...rows.map(([l]) => l.length));
  console.log("\n  operations/s, one core:\n" + rows.map(([l, r]) => `    ${l.padEnd(width)}  ${String(r).padStart(7)}`).join("\n"));
});
