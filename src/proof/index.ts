/**
 * Integrity-proof client library (portable parts): hash naming, RFC 9162 batch trees with all
 * inclusion paths, and receipts. Node-only helpers: file-hash.ts (streaming file hashing),
 * parallel-batch.ts (worker threads), lookup.ts (node-side record lookups for the API).
 */
export { commitment, hashAlgorithmOf, portableHash, SALT_BYTES, suiteOfHashAlgorithm } from "./hash.js";
export type { HashAlgorithm } from "./hash.js";
export { allocLevels, buildTree, fillLevel, fillRange, fillTop, hashLeaves, levelSizes, pathFromTable, pathLength, pathsOf, treeRoot } from "./batch-tree.js";
export type { Alloc, BatchTree, PathTable } from "./batch-tree.js";
export { checkReceipt, parseReceipt, RECEIPT_TYPE } from "./receipt.js";
export type { ProofReceipt, ReceiptCheck } from "./receipt.js";
export { registrationMessage, registrationText } from "../modules/proof/message.js";
export type { RegistrationFields } from "../modules/proof/message.js";
