export { Mempool } from "./mempool.js";
export type { AdmitResult, MempoolOptions, PendingTx } from "./mempool.js";
export { VerifyPool } from "./verify-pool.js";
export type { VerifyItem } from "./verify-pool.js";
