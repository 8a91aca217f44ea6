export type { Application, ConsensusEngine, ConsensusNetwork, EngineStatus, ProposedBlock, Timers, ValidatorSigner } from "./engine.js";
export { realTimers } from "./engine.js";
export { SoloEngine } from "./solo.js";
export type { SoloOptions } from "./solo.js";
