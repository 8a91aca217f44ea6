export { buildApi } from "./server.js";
export type { ApiContext } from "./context.js";
export { CommitWaiters } from "./waiters.js";
