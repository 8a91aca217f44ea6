/**
 * Evidence of what validators signed, for fault tests: a ledger of signed votes (and proposals)
 * collected from every source the test can read, with each signature checked against the
 * genesis validator keys, and a check that no validator ever signed two different block hashes
 * for one (height, round, vote type), or two different proposals for one (height, round).
 *
 * Sources:
 * - each node's consensus WAL file, read without opening it for writing (the node keeps it open;
 *   FileWal itself would cut a torn tail), sampled repeatedly because committed heights are pruned;
 * - every block's commit certificate and lastCommit, as each node serves them;
 * - an observer: a p2p node in the test process with its own certificate from the network CA,
 *   connected straight to every validator (not through the fault proxies). Validators broadcast
 *   every vote and proposal they sign to all peers, so it sees them as they leave the node. It
 *   never sends anything, so it cannot carry messages across a partition.
 */
import { readFileSync } from "node:fs";
import { decode, FieldReader } from "../../../src/codec/index.js";
import type { CryptoSuite } from "../../../src/crypto/suite.js";
import type { Vote } from "../../../src/ledger/block.js";
import { decodeSignedVote, voteSigningMessage } from "../../../src/ledger/block.js";
import type { Proposal, SignedVote } from "../../../src/consensus/bft/messages.js";
import { proposalSigningMessage } from "../../../src/consensus/bft/messages.js";
import { decodeWire } from "../../../src/consensus/bft/wire.js";
import { P2PNode, issueNodeCert } from "../../../src/p2p/index.js";
import type { NetworkCa } from "../../../src/p2p/index.js";
import { fromHex, toHex } from "../../../src/util/bytes.js";

const NIL = "00".repeat(32);

export interface VoteSeen {
  validator: string;
  type: Vote["type"];
  height: number;
  round: number;
  blockHash: string;
  time: number;
  signature: string;
  /** Where it was first seen (e.g. "wal:node2", "observer", "commit@node1"). */
  source: string;
}

export interface ProposalSeen {
  proposer: string;
  height: number;
  round: number;
  valueId: string;
  validRound: number;
  signature: string;
  source: string;
}

export interface Conflict {
  key: string;
  what: "vote" | "proposal";
  items: Array<VoteSeen | ProposalSeen>;
}

export class VoteLedger {
  /** `${validator}/${height}/${round}/${type}` -> blockHash -> first vote seen with it. */
  private readonly votes = new Map<string, Map<string, VoteSeen>>();
  private readonly proposals = new Map<string, Map<string, ProposalSeen>>();
  private readonly seen = new Set<string>();
  readonly invalid: Array<{ source: string; why: string }> = [];
  /** bySource: distinct items first seen there; offered: everything each source handed in, seen before or not. */
  readonly counts = { votes: 0, proposals: 0, bySource: new Map<string, number>(), offered: new Map<string, number>() };
  /** Same (validator, height, round, type) and block hash, signed again with another time. */
  resigned = 0;

  constructor(
    private readonly suite: Pick<CryptoSuite, "verify">,
    private readonly chainId: string,
    /** Validator address (0x-less lowercase hex) -> public key. */
    private readonly keys: Map<string, Uint8Array>,
  ) {}

  private static kind(source: string): string {
    return source.replace(/@.*$/, "").replace(/:.*$/, "");
  }

  private count(source: string): void {
    const s = VoteLedger.kind(source);
    this.counts.bySource.set(s, (this.counts.bySource.get(s) ?? 0) + 1);
  }

  addVote(sv: SignedVote, source: string): void {
    const kind = VoteLedger.kind(source);
    this.counts.offered.set(kind, (this.counts.offered.get(kind) ?? 0) + 1);
    const sig = toHex(sv.signature);
    if (this.seen.has(sig)) return;
    const v = sv.vote;
    const validator = toHex(v.validator);
    const pk = this.keys.get(validator);
    if (v.chain !== this.chainId) return void this.invalid.push({ source, why: `vote for chain ${v.chain}` });
    if (!pk) return void this.invalid.push({ source, why: `vote by unknown validator ${validator}` });
    if (!this.suite.verify(voteSigningMessage(v), sv.signature, pk)) return void this.invalid.push({ source, why: `bad signature on ${v.type} ${v.height}/${v.round} by ${validator}` });
    this.seen.add(sig);
    this.counts.votes++;
    this.count(source);
    const key = `${validator}/${v.height}/${v.round}/${v.type}`;
    const hash = toHex(v.blockHash);
    let m = this.votes.get(key);
    if (!m) this.votes.set(key, (m = new Map()));
    if (m.has(hash)) this.resigned++;
    else m.set(hash, { validator, type: v.type, height: v.height, round: v.round, blockHash: hash, time: v.time, signature: sig, source });
  }

  /** A certificate as the API serves it (commitToJson): precommits for its block. */
  addCommitJson(c: { height: number; round: number; blockHash: string; signatures: Array<{ validator: string; time: number; signature: string }> } | null, source: string): void {
    if (!c) return;
    for (const s of c.signatures) {
      const vote: Vote = { chain: this.chainId, type: "precommit", height: c.height, round: c.round, blockHash: fromHex(c.blockHash), time: s.time, validator: fromHex(s.validator.replace(/^0x/, "")) };
      this.addVote({ vote, signature: fromHex(s.signature) }, source);
    }
  }

  addProposal(p: Proposal, signature: Uint8Array, source: string): void {
    const sig = toHex(signature);
    if (this.seen.has(sig)) return;
    const proposer = toHex(p.proposer);
    const pk = this.keys.get(proposer);
    if (p.chain !== this.chainId) return void this.invalid.push({ source, why: `proposal for chain ${p.chain}` });
    if (!pk) return void this.invalid.push({ source, why: `proposal by unknown validator ${proposer}` });
    if (!this.suite.verify(proposalSigningMessage(p), signature, pk)) return void this.invalid.push({ source, why: `bad signature on proposal ${p.height}/${p.round} by ${proposer}` });
    this.seen.add(sig);
    this.counts.proposals++;
    this.count(source);
    const key = `${proposer}/${p.height}/${p.round}/proposal`;
    const id = toHex(p.valueId);
    let m = this.proposals.get(key);
    if (!m) this.proposals.set(key, (m = new Map()));
    if (!m.has(id)) m.set(id, { proposer, height: p.height, round: p.round, valueId: id, validRound: p.validRound, signature: sig, source });
  }

  /** Two different block hashes (nil included) signed for one slot, or two proposals for one round. */
  conflicts(): Conflict[] {
    const out: Conflict[] = [];
    for (const [key, m] of this.votes) if (m.size > 1) out.push({ key, what: "vote", items: [...m.values()] });
    for (const [key, m] of this.proposals) if (m.size > 1) out.push({ key, what: "proposal", items: [...m.values()] });
    return out;
  }

  /** Non-nil precommits seen for `height`, by validator. */
  precommitsAt(height: number): Map<string, string> {
    const out = new Map<string, string>();
    for (const m of this.votes.values())
      for (const v of m.values()) if (v.height === height && v.type === "precommit" && v.blockHash !== NIL) out.set(v.validator, v.blockHash);
    return out;
  }

  summary(): string {
    return `${this.counts.votes} distinct signed votes and ${this.counts.proposals} proposals (${[...this.counts.bySource].map(([k, n]) => `${k} ${n}`).join(", ")}; ${this.resigned} re-signed with another time; ${this.invalid.length} invalid)`;
  }
}

/**
 * Reads a consensus WAL (u32 big-endian length + CBOR record, repeated) without writing to it.
 * A torn or half-written tail is ignored. Calls back for every signed vote (own votes and the
 * prevotes of a persisted polka) and own proposal.
 */
export function readWal(path: string, onVote: (sv: SignedVote) => void, onProposal: (p: Proposal, signature: Uint8Array) => void): { records: number; bytes: number } {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch {
    return { records: 0, bytes: 0 };
  }
  let pos = 0;
  let records = 0;
  while (pos + 4 <= buf.length) {
    const len = buf.readUInt32BE(pos);
    if (pos + 4 + len > buf.length) break;
    const body = new Uint8Array(buf.buffer, buf.byteOffset + pos + 4, len);
    try {
      const root = decode(body);
      const f = FieldReader.of(root, "wal");
      const k = f.str("k");
      if (k === "v") onVote(decodeSignedVote(f.bytes("sv")));
      else if (k === "p" || k === "k") {
        const p: Proposal = { chain: f.str("chain"), height: f.uint("height"), round: f.uint("round"), validRound: f.uint("validRoundPlusOne") - 1, valueId: f.bytes("valueId", 32), proposer: f.bytes("proposer", 20) };
        onProposal(p, f.bytes("signature"));
        if (k === "k") for (const x of f.array("prevotes")) if (x instanceof Uint8Array) onVote(decodeSignedVote(x));
      }
    } catch {
      break;
    }
    records++;
    pos += 4 + len;
  }
  return { records, bytes: pos };
}

/** The passive p2p observer: records every vote and proposal validators broadcast to it. */
export class VoteObserver {
  private constructor(
    private readonly p2p: P2PNode,
    readonly nodeId: string,
  ) {}

  /** Votes seen per validator, for tests that act on a validator's vote the moment it is sent. */
  onVote?: (sv: SignedVote) => void;

  static async start(o: { ca: NetworkCa; peers: string[]; chainId: string; genesisHash: Uint8Array; version: string; ledger: VoteLedger }): Promise<VoteObserver> {
    const cert = await issueNodeCert(o.ca, { nodeName: "fault-test-observer" });
    const p2p = await P2PNode.start({
      listen: { host: "127.0.0.1", port: 0 },
      peers: o.peers,
      tls: { caPem: o.ca.certPem, certPem: cert.certPem, keyPem: cert.keyPem },
      hello: { chainId: o.chainId, genesisHash: o.genesisHash, role: "full", version: o.version },
      maxFrameBytes: 64 * 1024 * 1024,
    });
    const obs = new VoteObserver(p2p, cert.nodeId);
    p2p.onMessage((_peer, payload) => {
      if (payload[0] !== 1) return; // channel 1 = consensus (see src/node/node.ts)
      try {
        const m = decodeWire(payload.subarray(1));
        if (m.t === "vote") {
          const sv = { vote: { ...m.vote.vote, blockHash: new Uint8Array(m.vote.vote.blockHash), validator: new Uint8Array(m.vote.vote.validator) }, signature: new Uint8Array(m.vote.signature) };
          o.ledger.addVote(sv, "observer");
          obs.onVote?.(sv);
        } else if (m.t === "proposal") {
          o.ledger.addProposal(m.proposal.proposal, m.proposal.signature, "observer");
        }
      } catch {
        // not ours to judge here; the validators penalise malformed messages themselves
      }
    });
    return obs;
  }

  peers(): number {
    return this.p2p.peers().length;
  }

  async stop(): Promise<void> {
    await this.p2p.stop();
  }
}
