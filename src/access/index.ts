/** Access control with Cedar: policy text checks, entity building, the engine and its decision cache. */
export { AccessEngine } from "./engine.js";
export type { AccessRequest, Decision, EngineOptions, EngineStats } from "./engine.js";
export { parsePolicyText, policyIdOf } from "./policy-text.js";
export type { Statement } from "./policy-text.js";
export { ANONYMOUS, NO_IDENTITY, actionEntities, cedarValue, principalEntities, resourceEntities } from "./entities.js";
export type { IdentityView, StateRead, Uid, ValidClaims, EntityJson } from "./entities.js";
export { chainIdentity } from "./identity-view.js";
export { callContext, callResource } from "./call-request.js";
export * as accessState from "./state.js";
