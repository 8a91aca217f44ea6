/**
 * Node processes of a local network. The implementation lives in the node layer
 * (src/node/processes.ts) so `civitas console`'s management API and the CLI share it.
 */
export { clearPids, cliEntry, isAlive, readPids, spawnNode, stopAll, waitHealthy, writePids } from "../node/processes.js";
export type { RunningNode } from "../node/processes.js";
