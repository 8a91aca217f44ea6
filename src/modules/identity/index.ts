/**
 * `identity`: DIDs, the issuer registry, revocation status lists, credential anchors, attested
 * claims of verifiable credentials, the account lifecycle (with its transaction guard) and
 * cross-chain account links. Specification: docs/spec/identity.md.
 */
import { decode } from "../../codec/index.js";
import type { CborValue } from "../../codec/index.js";
import type { Module, QueryContext } from "../../execution/module.js";
import { accountGuard, accountMethods, decodeAccount } from "./accounts.js";
import { anchorJson, anchorMethods } from "./anchors.js";
import { claimsMethods, claimsRecordJson } from "./claims.js";
import { checkDid, didArg, listIdArg } from "./common.js";
import { decodeDidRecord, didKey, didMethods, didRecordJson } from "./did.js";
import { decodeIssuer, issuerKey, issuerMethods } from "./issuers.js";
import { linkMethods, linksJson, readLinks } from "./links.js";
import { decodeStatusList, statusListKey, statusListMethods } from "./status-list.js";
import { nodeCertKey, nodeCertMethods, nodeCertRevocationJson } from "./node-certs.js";
import { toHex } from "../../util/bytes.js";

export const IDENTITY_MODULE = "identity";

/** Queries accept a DID of any chain syntax-wise; the chain is checked where state is written. */
function didOrThrow(v: unknown): string {
  const did = v as string;
  const chain = did.split(":")[2] ?? "";
  return checkDid(did, chain);
}

export const identityModule: Module = {
  name: IDENTITY_MODULE,
  doc: "DIDs, trusted issuers, credential status lists, attested claims, account lifecycle and cross-chain links.",
  methods: { ...didMethods, ...issuerMethods, ...statusListMethods, ...anchorMethods, ...claimsMethods, ...accountMethods, ...linkMethods, ...nodeCertMethods },
  queries: {
    did: {
      doc: "The stored record of a DID (null if absent).",
      args: { did: didArg },
      run(ctx: QueryContext, args) {
        const key = didKey(didOrThrow(args.did));
        const raw = ctx.get(key);
        return { key, value: raw ? didRecordJson(decodeDidRecord(raw)) : null };
      },
    },
    issuer: {
      doc: "The issuer registry entry of a DID (null if not an issuer).",
      args: { did: didArg },
      run(ctx: QueryContext, args) {
        const key = issuerKey(didOrThrow(args.did));
        const raw = ctx.get(key);
        return { key, value: raw ? decodeIssuer(raw) : null };
      },
    },
    statusList: {
      doc: "Size and revocation count of an issuer's status list (the bitstring is at /v1/identity/status-lists).",
      args: { issuer: didArg, listId: listIdArg },
      run(ctx: QueryContext, args) {
        const key = statusListKey(didOrThrow(args.issuer), args.listId as string);
        const raw = ctx.get(key);
        return { key, value: raw ? decodeStatusList(raw) : null };
      },
    },
    nodeCertificate: {
      doc: "The revocation record of a node certificate serial (null if not revoked).",
      args: { serial: { type: "string", maxLength: 64, pattern: /^[0-9a-f]{2,64}$/ } },
      run(ctx: QueryContext, args) {
        const key = nodeCertKey((args.serial as string).replace(/^(00)+(?=..)/, ""));
        const raw = ctx.get(key);
        return { key, value: raw ? nodeCertRevocationJson(raw) : null };
      },
    },
  },
  guard: accountGuard,
  decodeValue(key, value) {
    if (key.startsWith("did/")) return didRecordJson(decodeDidRecord(value));
    if (key.startsWith("issuer/")) return decodeIssuer(value);
    if (key.startsWith("account/")) return decodeAccount(value);
    if (key.startsWith("claims/")) return claimsRecordJson(value);
    if (key.startsWith("anchor/")) return anchorJson(value);
    if (key.startsWith("links/")) return linksJson(readLinks(() => value, ""));
    if (key.startsWith("nodecert/")) return nodeCertRevocationJson(value);
    if (key.startsWith("slist/")) return key.split("/").length > 3 ? toHex(value) : decodeStatusList(value);
    return decode(value) as CborValue;
  },
};

export { accountRecord, readAccount } from "./accounts.js";
export type { AccountStatus, AccountFullRecord } from "./accounts.js";
export { claimsOf } from "./claims.js";
export type { ClaimsEntry } from "./claims.js";
export type { IdentityRead } from "./common.js";
export { DID_PATTERN } from "./common.js";
export { controls, keyOf, readDid } from "./did.js";
export type { DidRecord } from "./did.js";
export { readIssuer } from "./issuers.js";
export { linkMessage, linkedDid, readLinks } from "./links.js";
export { bitstring, isRevoked, readStatusList, STATUS_LIST_MAX_BITS, STATUS_LIST_MIN_BITS } from "./status-list.js";
export { verifyVcJwt } from "./vc-jwt-sync.js";
export { didDocument, didDocumentMetadata } from "./did-document.js";
export { nodeCertRefusal } from "./node-certs.js";
