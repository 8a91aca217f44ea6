/**
 * Offline proof bundles (docs/spec/proof-bundle.md): the format, its strict parser and the
 * network-free check. Browser-safe: no node: imports, no Buffer.
 */
export { BUNDLE_TYPE, BUNDLE_VERSION } from "./format.js";
export type { BundlePart, CertifiedHeader, CommitJson, HeaderJson, InclusionJson, ProofBundle, SmtProofJson, ValidatorJson } from "./format.js";
export { BundleError } from "./errors.js";
export { BUNDLE_LIMITS, bundleText, parseBundle } from "./parse.js";
export { checkBundle, checkBundleText } from "./verify.js";
export { RECORD_PREFIX, TSA_ROOTS_KEY } from "./state.js";
export type { BlockFacts, BundleCheck, BundleFacts, BundleStep, CheckOptions } from "./verify.js";
export type { TsaFacts } from "./tsa.js";
