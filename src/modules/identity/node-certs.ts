/**
 * Node certificate revocation (HSTP-DLT-CG 9.3). Node certificates are X.509, issued by the
 * network CA to a node's DID (subjectAltName URI); the chain authority revokes one by serial
 * number, or all of a node's certificates at once by deactivating its DID. Every node consults
 * this state at each p2p handshake and after each block, so a revoked node is refused at its
 * next handshake and dropped if connected.
 */
import { decode, encode, FieldReader } from "../../codec/index.js";
import type { MethodDef } from "../../execution/module.js";
import type { IdentityRead } from "./common.js";
import { invalid, reasonArg, unauthorized } from "./common.js";
import { readDid } from "./did.js";

/** Lowercase hex serial without leading zero bytes (as node:crypto prints it, lowercased). */
const SERIAL = /^[0-9a-f]{2,64}$/;
export const nodeCertKey = (serial: string): string => `nodecert/${serial}`;

export interface NodeCertRevocation {
  reason: string;
  by: string;
  height: number;
  time: number;
}

function decodeRevocation(bytes: Uint8Array): NodeCertRevocation {
  const f = FieldReader.of(decode(bytes), "node certificate revocation").knownFields("reason", "by", "height", "time");
  return { reason: f.str("reason"), by: f.str("by"), height: f.uint("height"), time: f.uint("time") };
}

export function nodeCertRevocationJson(bytes: Uint8Array): NodeCertRevocation {
  return decodeRevocation(bytes);
}

/**
 * Why a peer presenting this certificate must be refused, or undefined. `did` is the DID in
 * the certificate (absent for certificates issued before node DIDs existed).
 */
export function nodeCertRefusal(read: IdentityRead, cert: { serial: string; did?: string }): string | undefined {
  const raw = SERIAL.test(cert.serial) ? read(nodeCertKey(cert.serial)) : undefined;
  if (raw) return `serial ${cert.serial} revoked at height ${decodeRevocation(raw).height}: ${decodeRevocation(raw).reason}`;
  if (cert.did) {
    const record = readDid(read, cert.did);
    if (record?.deactivated) return `its DID ${cert.did} is deactivated`;
  }
  return undefined;
}

export const nodeCertMethods: Record<string, MethodDef> = {
  revokeNodeCertificate: {
    doc: "Revokes a node's TLS certificate by serial number (lowercase hex); peers refuse it from their next handshake. Chain authority only.",
    gas: 1_000,
    args: { serial: { type: "string", maxLength: 64, pattern: SERIAL, doc: "certificate serial number, lowercase hex" }, reason: reasonArg },
    run(ctx, args) {
      if (ctx.sender !== ctx.authority) throw unauthorized("only the chain authority may revoke node certificates", { authority: ctx.authority });
      const serial = (args.serial as string).replace(/^(00)+(?=..)/, "");
      const key = nodeCertKey(serial);
      if (ctx.get(key)) throw invalid(`node certificate ${serial} is already revoked`);
      ctx.set(key, encode({ reason: args.reason as string, by: ctx.sender, height: ctx.height, time: ctx.time }));
      ctx.emit("NodeCertificateRevoked", { serial, reason: args.reason as string, by: ctx.sender }, [ctx.sender]);
    },
  },
};
