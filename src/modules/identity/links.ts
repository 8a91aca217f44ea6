/**
 * Unified identity: one DID linked to accounts on other chains (and this one), each link proven
 * by a signature of the linked account's key over a domain-separated message.
 */
import { decode, encode, FieldReader } from "../../codec/index.js";
import type { CallContext, MethodDef } from "../../execution/module.js";
import { fromHex, toHex, utf8 } from "../../util/bytes.js";
import { ErrorCode } from "../../util/errors.js";
import type { IdentityRead } from "./common.js";
import { checkDid, didArg, HEX, invalid, LINK_CHAIN, MAX_LINKS_PER_DID, reasonArg, unauthorized } from "./common.js";
import { requireController } from "./did.js";

export const linksKey = (did: string): string => `links/${did}`;
export const linkedKey = (chain: string, address: string): string => `linked/${chain}/${address}`;

export interface AccountLink {
  chain: string;
  address: string;
  publicKey: Uint8Array;
  height: number;
  time: number;
}

/** The exact bytes the linked key signs (docs/spec/identity.md, "Account links"). */
export function linkMessage(hostChain: string, did: string, chain: string, address: string): Uint8Array {
  return utf8(`civitas/identity/link/v1\nhost-chain:${hostChain}\ndid:${did}\nchain:${chain}\naddress:${address}`);
}

function decodeLinks(bytes: Uint8Array): AccountLink[] {
  return FieldReader.of(decode(bytes), "identity.links", ErrorCode.INTERNAL)
    .knownFields("links")
    .array("links", MAX_LINKS_PER_DID)
    .map((l) => {
      const f = FieldReader.of(l, "identity.links.links", ErrorCode.INTERNAL).knownFields("chain", "address", "publicKey", "height", "time");
      return { chain: f.str("chain"), address: f.str("address"), publicKey: f.bytes("publicKey"), height: f.uint("height"), time: f.uint("time") };
    });
}

function writeLinks(ctx: CallContext, did: string, links: AccountLink[]): void {
  if (links.length === 0) ctx.del(linksKey(did));
  else ctx.set(linksKey(did), encode({ links: links.map((l) => ({ chain: l.chain, address: l.address, publicKey: l.publicKey, height: l.height, time: l.time })) }));
}

export function readLinks(read: IdentityRead, did: string): AccountLink[] {
  const raw = read(linksKey(did));
  return raw ? decodeLinks(raw) : [];
}

/** The DID an address on `chain` is linked to, if any. */
export function linkedDid(read: IdentityRead, chain: string, address: string): string | undefined {
  const raw = read(linkedKey(chain, address));
  return raw ? (decode(raw) as string) : undefined;
}

export function linksJson(links: AccountLink[]): unknown {
  return links.map((l) => ({ chain: l.chain, address: l.address, publicKey: toHex(l.publicKey), height: l.height, time: l.time }));
}

const chainArg = { type: "string", maxLength: 64, pattern: LINK_CHAIN, doc: "id of the chain the account lives on" } as const;
const hexArg = (doc: string) => ({ type: "string", maxLength: 512, pattern: HEX, doc }) as const;
const get = (ctx: CallContext): IdentityRead => (k) => ctx.get(k);
const compareLinks = (a: AccountLink, b: AccountLink): number => (a.chain < b.chain ? -1 : a.chain > b.chain ? 1 : a.address < b.address ? -1 : a.address > b.address ? 1 : 0);

export const linkMethods: Record<string, MethodDef> = {
  linkAccount: {
    doc: "Links account `address` on chain `chain` to a DID, proven by the account key's `signature` over the link message; by a controller of the DID.",
    gas: 4_000,
    args: { did: didArg, chain: chainArg, address: { type: "address" }, publicKey: hexArg("public key of the linked account, hex"), signature: hexArg("signature over the link message, hex") },
    run(ctx, args) {
      const did = checkDid(args.did as string, ctx.chain);
      const chain = args.chain as string;
      const address = args.address as string;
      requireController(get(ctx), ctx, did);
      const publicKey = fromHex(args.publicKey as string);
      if (!ctx.crypto.isValidPublicKey(publicKey)) throw invalid("publicKey is not a valid key of the chain's suite");
      if (ctx.crypto.address(publicKey) !== address) throw unauthorized(`publicKey is not the key of ${address}`, { address });
      if (!ctx.crypto.verify(linkMessage(ctx.chain, did, chain, address), fromHex(args.signature as string), publicKey)) throw unauthorized("the link signature does not verify for this DID, chain and address", { did, chain, address });
      const other = linkedDid(get(ctx), chain, address);
      if (other !== undefined) throw invalid(other === did ? "this account is already linked to the DID" : `this account is already linked to '${other}'`, { did: other, chain, address });
      const links = readLinks(get(ctx), did);
      if (links.length >= MAX_LINKS_PER_DID) throw invalid(`a DID has at most ${MAX_LINKS_PER_DID} links`, { did });
      writeLinks(ctx, did, [...links, { chain, address, publicKey, height: ctx.height, time: ctx.time }].sort(compareLinks));
      ctx.set(linkedKey(chain, address), encode(did));
      ctx.emit("AccountLinked", { did, chain, address, actor: ctx.sender }, chain === ctx.chain ? [ctx.sender, address] : [ctx.sender]);
    },
  },
  unlinkAccount: {
    doc: "Removes the link of `address` on `chain` from a DID; by a controller of the DID.",
    gas: 2_000,
    args: { did: didArg, chain: chainArg, address: { type: "address" }, reason: reasonArg },
    run(ctx, args) {
      const did = checkDid(args.did as string, ctx.chain);
      const chain = args.chain as string;
      const address = args.address as string;
      requireController(get(ctx), ctx, did);
      const links = readLinks(get(ctx), did);
      const rest = links.filter((l) => !(l.chain === chain && l.address === address));
      if (rest.length === links.length) throw invalid(`no link of ${address} on '${chain}' in '${did}'`, { did, chain, address });
      writeLinks(ctx, did, rest);
      ctx.del(linkedKey(chain, address));
      ctx.emit("AccountUnlinked", { did, chain, address, reason: args.reason as string, actor: ctx.sender }, [ctx.sender]);
    },
  },
};
