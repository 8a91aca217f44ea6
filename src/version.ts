/** The software version, reported by the CLI, the API and the node's status. */
export const VERSION = "0.1.0";
