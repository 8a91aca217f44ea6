/**
 * Consensus and block-sync messages between nodes: canonical CBOR with a short type tag, decoded
 * field by field so a peer's malformed message is a typed error (and a penalty), never a crash.
 */
import { decode, encode, FieldReader } from "../../codec/index.js";
import { decodeSignedVote, encodeSignedVote } from "../../ledger/block.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import type { SignedProposal, SignedVote } from "./messages.js";

/** Most blocks in one sync response; the byte budget is the frame limit. */
export const MAX_SYNC_BLOCKS = 64;

export type WireMessage =
  | { t: "proposal"; proposal: SignedProposal; value: Uint8Array }
  | { t: "vote"; vote: SignedVote }
  | { t: "status"; height: number; round: number }
  | { t: "getBlocks"; from: number; count: number }
  | { t: "blocks"; blocks: Uint8Array[] };

export function encodeWire(m: WireMessage): Uint8Array {
  switch (m.t) {
    case "proposal": {
      const p = m.proposal.proposal;
      return encode({ t: "p", chain: p.chain, height: p.height, round: p.round, validRoundPlusOne: p.validRound + 1, valueId: p.valueId, proposer: p.proposer, signature: m.proposal.signature, value: m.value });
    }
    case "vote":
      return encode({ t: "v", sv: encodeSignedVote(m.vote) });
    case "status":
      return encode({ t: "s", height: m.height, round: m.round });
    case "getBlocks":
      return encode({ t: "g", from: m.from, count: m.count });
    case "blocks":
      return encode({ t: "b", blocks: m.blocks });
  }
}

export function decodeWire(bytes: Uint8Array): WireMessage {
  const root = decode(bytes);
  const t = FieldReader.of(root, "message").str("t");
  switch (t) {
    case "p": {
      const f = FieldReader.of(root, "proposal").knownFields("t", "chain", "height", "round", "validRoundPlusOne", "valueId", "proposer", "signature", "value");
      const signature = f.bytes("signature");
      if (signature.length > 128) throw new CivitasError(ErrorCode.CODEC_MALFORMED, "proposal.signature too long");
      return {
        t: "proposal",
        proposal: {
          proposal: { chain: f.str("chain"), height: f.uint("height"), round: f.uint("round"), validRound: f.uint("validRoundPlusOne") - 1, valueId: f.bytes("valueId", 32), proposer: f.bytes("proposer", 20) },
          signature,
        },
        value: f.bytes("value"),
      };
    }
    case "v": {
      const f = FieldReader.of(root, "vote").knownFields("t", "sv");
      return { t: "vote", vote: decodeSignedVote(f.bytes("sv")) };
    }
    case "s": {
      const f = FieldReader.of(root, "status").knownFields("t", "height", "round");
      return { t: "status", height: f.uint("height"), round: f.uint("round") };
    }
    case "g": {
      const f = FieldReader.of(root, "getBlocks").knownFields("t", "from", "count");
      return { t: "getBlocks", from: f.uint("from"), count: f.uint("count", MAX_SYNC_BLOCKS) };
    }
    case "b": {
      const f = FieldReader.of(root, "blocks").knownFields("t", "blocks");
      const blocks = f.array("blocks", MAX_SYNC_BLOCKS).map((b) => {
        if (!(b instanceof Uint8Array)) throw new CivitasError(ErrorCode.CODEC_MALFORMED, "blocks items must be byte strings");
        return b;
      });
      return { t: "blocks", blocks };
    }
    default:
      throw new CivitasError(ErrorCode.CODEC_MALFORMED, `unknown consensus message type '${t}'`);
  }
}
