/**
 * Identity routes (docs/spec/identity.md): public DID resolution with a state proof, the issuer
 * registry and status lists; account records and address tracing only through `ctx.access`.
 */
import { gzipSync } from "node:zlib";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { bitstring, didDocument, identityModule, didDocumentMetadata, DID_PATTERN, IDENTITY_MODULE, linkedDid, readAccount, readDid, readIssuer, readLinks, readStatusList } from "../../modules/identity/index.js";
import type { DidRecord, IdentityRead } from "../../modules/identity/index.js";
import { toHex } from "../../util/bytes.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import type { ApiContext } from "../context.js";
import { addressParam, intParam } from "../params.js";

const LIST_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;

function didParam(v: unknown, name: string): string {
  if (typeof v !== "string" || v.length > 128 || !DID_PATTERN.test(v)) throw new CivitasError(ErrorCode.DID_INVALID, `${name} must be did:civitas:<chainId>:<id>`, { param: name });
  return v;
}

/** A key of the identity key space at `height`, with its proof in the shape of the state routes. */
function proved(ctx: ApiContext, key: string, height?: number): { raw: Uint8Array | undefined; proof: Record<string, unknown> } {
  const fullKey = `${IDENTITY_MODULE}/${key}`;
  const p = ctx.chain.proveState(fullKey, height);
  return { raw: p.value, proof: { height: p.height, key: fullKey, value: p.value ? identityModule.decodeValue?.(key, p.value) : null, stateRoot: toHex(p.stateRoot), proof: p.proof } };
}

function headReader(ctx: ApiContext): IdentityRead {
  return (k) => ctx.chain.committedState.get(`${IDENTITY_MODULE}/${k}`);
}

async function authorize(ctx: ApiContext, req: FastifyRequest, action: string, address: string): Promise<void> {
  // Deny by default: without an access layer nobody can be authenticated, so nobody may read.
  if (!ctx.access) throw new CivitasError(ErrorCode.ACCESS_DENIED, `${action} needs an authenticated, authorised request and this node has no access layer`, { action });
  await ctx.access.authorize(req, action, { type: "Account", id: address });
}

function resolution(did: string, r: DidRecord, proof: Record<string, unknown>): Record<string, unknown> {
  return { didDocument: didDocument(did, r), didDocumentMetadata: didDocumentMetadata(r), didResolutionMetadata: { contentType: "application/did+json" }, proof };
}

export function identityRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Params: { did: string }; Querystring: { height?: string } }>(
    "/v1/identity/dids/:did",
    { schema: { tags: ["identity"], summary: "W3C DID resolution result of a did:civitas DID, with a sparse-Merkle proof of its record (public)." } },
    async (req) => {
      const did = didParam(req.params.did, "did");
      const head = ctx.chain.head().height;
      const height = intParam(req.query.height, "height", 0, head, head);
      const { raw, proof } = proved(ctx, `did/${did}`, height);
      if (!raw) throw new CivitasError(ErrorCode.DID_NOT_FOUND, `DID '${did}' does not exist at height ${height}`, { did, height });
      return resolution(did, readDid(() => raw, did) as DidRecord, proof);
    },
  );

  app.get<{ Params: { did: string } }>("/v1/identity/issuers/:did", { schema: { tags: ["identity"], summary: "Issuer registry entry: credential types and status (public)." } }, async (req) => {
    const did = didParam(req.params.did, "did");
    const { raw, proof } = proved(ctx, `issuer/${did}`);
    if (!raw) throw new CivitasError(ErrorCode.API_NOT_FOUND, `'${did}' is not a registered issuer`, { did });
    const r = readIssuer(() => raw, did);
    return { did, ...r, height: proof.height, proof };
  });

  app.get<{ Params: { issuer: string; listId: string } }>(
    "/v1/identity/status-lists/:issuer/:listId",
    { schema: { tags: ["identity"], summary: "A revocation status list as a W3C Bitstring Status List encodedList (multibase base64url of the GZIP bitstring; public)." } },
    async (req) => {
      const issuer = didParam(req.params.issuer, "issuer");
      const listId = req.params.listId;
      if (!LIST_ID.test(listId)) throw new CivitasError(ErrorCode.API_BAD_REQUEST, "listId must be a-z, 0-9, '.', '_', '-' (at most 64)", { param: "listId" });
      const height = ctx.chain.head().height;
      const read = headReader(ctx);
      const list = readStatusList(read, issuer, listId);
      if (!list) throw new CivitasError(ErrorCode.API_NOT_FOUND, `no status list '${listId}' of '${issuer}'`, { issuer, listId });
      const bits = bitstring(read, issuer, listId, list.size);
      return { issuer, listId, statusPurpose: "revocation", size: list.size, revoked: list.revoked, encodedList: "u" + gzipSync(bits).toString("base64url"), height };
    },
  );

  app.get<{ Params: { address: string } }>("/v1/identity/accounts/:address", { schema: { tags: ["identity"], summary: "The identity record of an account (authenticated: action identity.readAccount)." } }, async (req) => {
    const address = addressParam(req.params.address, "address");
    await authorize(ctx, req, "identity.readAccount", address);
    const { raw, proof } = proved(ctx, `account/${address}`);
    if (!raw) throw new CivitasError(ErrorCode.ACCOUNT_NOT_FOUND, `account ${address} has no identity record`, { address });
    return { address, ...readAccount(() => raw, address), height: proof.height, proof };
  });

  app.get<{ Params: { address: string } }>("/v1/identity/trace/:address", { schema: { tags: ["identity"], summary: "The identity behind an address: DID, document and linked accounts (regulators: action identity.trace)." } }, async (req) => {
    const address = addressParam(req.params.address, "address");
    await authorize(ctx, req, "identity.trace", address);
    const height = ctx.chain.head().height;
    const read = headReader(ctx);
    const account = readAccount(read, address);
    const did = account?.did ?? linkedDid(read, ctx.chain.genesis.chainId, address);
    if (did === undefined) throw new CivitasError(ErrorCode.ACCOUNT_NOT_FOUND, `no identity is bound or linked to ${address}`, { address });
    const record = readDid(read, did);
    return {
      address,
      did,
      account: account ?? null,
      didDocument: record ? didDocument(did, record) : null,
      didDocumentMetadata: record ? didDocumentMetadata(record) : null,
      links: readLinks(read, did).map((l) => ({ chain: l.chain, address: l.address, publicKey: toHex(l.publicKey), height: l.height })),
      height,
    };
  });
}
