/**
 * Frame types. The first payload byte tells the connection's own control traffic (hello,
 * bye, ping) from application frames, whose remaining bytes go to the application unchanged.
 */
import { decode, encode, FieldReader } from "../codec/index.js";
import type { CborValue } from "../codec/index.js";
import { CivitasError, ErrorCode } from "../util/errors.js";
import { HEADER_BYTES } from "./frame.js";

export const FrameType = { APP: 0, HELLO: 1, BYE: 2, PING: 3 } as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export const PROTOCOL_VERSION = 1;
export const ROLES = ["validator", "full"] as const;
export type Role = (typeof ROLES)[number];

export interface Hello {
  chainId: string;
  genesisHash: Uint8Array;
  role: Role;
  version: string;
}
export interface Bye {
  code: string;
  message: string;
}

/** A whole frame (header included) carrying `type` and an optional body. */
export function controlFrame(type: FrameType, body?: Uint8Array): Buffer {
  const n = 1 + (body?.length ?? 0);
  const f = Buffer.allocUnsafe(HEADER_BYTES + n);
  f.writeUInt32BE(n, 0);
  f[HEADER_BYTES] = type;
  if (body) f.set(body, HEADER_BYTES + 1);
  return f;
}

export function helloFrame(h: Hello): Buffer {
  return controlFrame(FrameType.HELLO, encode({ v: PROTOCOL_VERSION, chainId: h.chainId, genesisHash: h.genesisHash, role: h.role, version: h.version }));
}

export function byeFrame(b: Bye): Buffer {
  return controlFrame(FrameType.BYE, encode({ code: b.code, message: b.message.slice(0, 1024) }));
}

export const PING_FRAME = controlFrame(FrameType.PING);

function fields(body: Uint8Array, where: string): FieldReader {
  let v: CborValue;
  try {
    v = decode(body);
  } catch (e) {
    throw new CivitasError(ErrorCode.P2P_BAD_FRAME, `${where}: ${(e as Error).message}`);
  }
  return FieldReader.of(v, where, ErrorCode.P2P_BAD_FRAME);
}

/** Throws P2P_BAD_FRAME for anything malformed; P2P_HANDSHAKE_REFUSED for a protocol version we do not speak. */
export function decodeHello(body: Uint8Array): Hello {
  const r = fields(body, "hello");
  const v = r.uint("v");
  if (v !== PROTOCOL_VERSION) throw new CivitasError(ErrorCode.P2P_HANDSHAKE_REFUSED, `peer speaks p2p protocol v${v}, this node v${PROTOCOL_VERSION}`);
  r.knownFields("v", "chainId", "genesisHash", "role", "version");
  const role = r.str("role", 16);
  if (!(ROLES as readonly string[]).includes(role)) throw new CivitasError(ErrorCode.P2P_BAD_FRAME, `hello.role: unknown role '${role}'`);
  return { chainId: r.str("chainId", 128), genesisHash: r.bytes("genesisHash"), role: role as Role, version: r.str("version", 64) };
}

export function decodeBye(body: Uint8Array): Bye {
  const r = fields(body, "bye").knownFields("code", "message");
  return { code: r.str("code", 64), message: r.str("message", 1024) };
}
