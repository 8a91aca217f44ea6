export type { CryptoSuite, KeyPair, SuiteId } from "./suite.js";
export { SUITE_IDS } from "./suite.js";
export { getNodeSuite, nodeSm2 } from "./node-suites.js";
export { getPortableSuite, portableSm2, sm3, SM2_DEFAULT_ID } from "./portable-suites.js";
export type { DecryptedKey, EncryptKeyOptions, KeyFile } from "./keystore.js";
export { DEFAULT_SCRYPT, decryptKey, encryptKey, isValidKeyName, listKeyFiles, loadKeyFile, parseKeyFile, saveKeyFile } from "./keystore.js";
