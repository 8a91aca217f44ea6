import type { Command } from "commander";
import { getNodeSuite } from "../../crypto/node-suites.js";
import type { SuiteId } from "../../crypto/suite.js";
import { SUITE_IDS } from "../../crypto/suite.js";
import { decryptKey, encryptKey, listKeyFiles, loadKeyFile, saveKeyFile } from "../../crypto/keystore.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import { globals } from "../context.js";
import { fail, print } from "../output.js";
import { getPassphrase } from "../passphrase.js";

export function keysCommand(program: Command): void {
  const keys = program.command("keys").description("manage encrypted account keys (scrypt + AES-256-GCM key files)");

  keys
    .command("new <name>")
    .description("create a new key and store it encrypted under --keys-dir")
    .option("--suite <suite>", `crypto suite: ${SUITE_IDS.join(" | ")}`, "ed25519-sha256")
    .action(async (name: string, o: { suite: string }, cmd: Command) => {
      try {
        const g = globals(cmd);
        if (!SUITE_IDS.includes(o.suite as SuiteId)) throw new CivitasError(ErrorCode.KEY_INVALID, `unknown suite '${o.suite}'; use one of ${SUITE_IDS.join(", ")}`);
        const suite = getNodeSuite(o.suite as SuiteId);
        const pass = await getPassphrase(g, `new key '${name}'`, true);
        const kp = suite.generateKeyPair();
        const file = encryptKey(suite, kp.secretKey, pass, { label: name });
        saveKeyFile(g.keysDir, name, file);
        print(g, { name, suite: suite.id, address: file.address, publicKey: file.publicKey }, () => `created key '${name}'\n  suite      ${suite.id}\n  address    ${file.address}\n  public key ${file.publicKey}\n  stored in  ${g.keysDir}/${name}.json`);
      } catch (e) {
        fail(e);
      }
    });

  keys
    .command("list")
    .description("list the keys under --keys-dir (no passphrase needed)")
    .action((_o: unknown, cmd: Command) => {
      try {
        const g = globals(cmd);
        const list = listKeyFiles(g.keysDir).map((n) => {
          const f = loadKeyFile(g.keysDir, n);
          return { name: n, suite: f.suite, address: f.address };
        });
        print(g, list, () => (list.length === 0 ? `no keys in ${g.keysDir}; create one with 'civitas keys new <name>'` : list.map((k) => `${k.name.padEnd(20)} ${k.address}  ${k.suite}`).join("\n")));
      } catch (e) {
        fail(e);
      }
    });

  keys
    .command("show <name>")
    .description("show a key's address and public key; --check decrypts it to prove the passphrase")
    .option("--check", "decrypt the key to check the passphrase")
    .action(async (name: string, o: { check?: boolean }, cmd: Command) => {
      try {
        const g = globals(cmd);
        const f = loadKeyFile(g.keysDir, name);
        if (o.check) decryptKey(f, await getPassphrase(g, `key '${name}'`));
        const info = { name, suite: f.suite, address: f.address, publicKey: f.publicKey, label: f.label, created: f.created, kdf: f.kdf.name, cipher: f.cipher.name, ...(o.check ? { passphrase: "ok" } : {}) };
        print(g, info, () => Object.entries(info).map(([k, v]) => `${k.padEnd(10)} ${String(v)}`).join("\n"));
      } catch (e) {
        fail(e);
      }
    });

  keys
    .command("export-public <name>")
    .description("print a key's public key and address (safe to share)")
    .action((name: string, _o: unknown, cmd: Command) => {
      try {
        const g = globals(cmd);
        const f = loadKeyFile(g.keysDir, name);
        print(g, { suite: f.suite, address: f.address, publicKey: f.publicKey }, () => f.publicKey);
      } catch (e) {
        fail(e);
      }
    });
}

/** Loads and decrypts a named key for signing. */
export async function unlockKey(g: { keysDir: string; passphraseFile?: string }, name: string): Promise<{ suite: SuiteId; secretKey: Uint8Array; address: string }> {
  const f = loadKeyFile(g.keysDir, name);
  const k = decryptKey(f, await getPassphrase(g, `key '${name}'`));
  return { suite: k.suite, secretKey: k.secretKey, address: k.address };
}
