export { P2PNode } from "./p2p-node.js";
export type { P2POptions, PeerInfo, Refusal } from "./options.js";
export { createNetworkCa, issueNodeCert, nodeIdOfCert, checkNodeTls, writeNodeTls, readNodeTls } from "./certs.js";
export type { NetworkCa, NodeCert } from "./certs.js";
export { FrameDecoder } from "./frame.js";
export type { Role } from "./messages.js";
