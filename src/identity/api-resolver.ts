/** `IdentityResolver` over a Civitas node's public identity routes (see docs/spec/identity.md). */
import { ApiError, CivitasClient } from "../sdk/client.js";
import { CivitasError, ErrorCode } from "../util/errors.js";
import type { DidResolution, IdentityResolver, IssuerRecord, StatusListRecord } from "./resolver.js";

const PASS_THROUGH = new Set<string>([ErrorCode.DID_NOT_FOUND, ErrorCode.DID_INVALID, ErrorCode.DID_DEACTIVATED]);

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

export class NodeApiResolver implements IdentityResolver {
  private readonly client: CivitasClient;

  constructor(url: string | CivitasClient, opts: { fetch?: typeof fetch; timeoutMs?: number } = {}) {
    this.client = typeof url === "string" ? new CivitasClient(url, { timeoutMs: 30_000, ...opts }) : url;
  }

  async resolveDid(did: string): Promise<DidResolution> {
    let r: unknown;
    try {
      r = await this.client.request("GET", `/v1/identity/dids/${encodeURIComponent(did)}`);
    } catch (e) {
      if (e instanceof ApiError && PASS_THROUGH.has(e.code)) throw new CivitasError(e.code as ErrorCode, e.message, e.details);
      if (e instanceof ApiError && e.status === 404) throw new CivitasError(ErrorCode.DID_NOT_FOUND, `DID ${did} is not registered on this chain`, { did });
      throw e;
    }
    if (!isObject(r) || !isObject(r.didDocument) || r.didDocument.id !== did) {
      throw new CivitasError(ErrorCode.DID_INVALID, `the node returned no DID document for ${did}`, { did });
    }
    return { didDocument: r.didDocument as DidResolution["didDocument"], didDocumentMetadata: isObject(r.didDocumentMetadata) ? r.didDocumentMetadata : {} };
  }

  async getIssuer(did: string): Promise<IssuerRecord | undefined> {
    let r: unknown;
    try {
      r = await this.client.request("GET", `/v1/identity/issuers/${encodeURIComponent(did)}`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return undefined;
      throw e;
    }
    if (!isObject(r) || r.did !== did || !Array.isArray(r.types) || typeof r.status !== "string") {
      throw new CivitasError(ErrorCode.ISSUER_UNTRUSTED, `the node returned a malformed issuer record for ${did}`, { did });
    }
    return r as IssuerRecord;
  }

  async getStatusList(issuer: string, listId: string): Promise<StatusListRecord> {
    let r: unknown;
    try {
      r = await this.client.request("GET", `/v1/identity/status-lists/${encodeURIComponent(issuer)}/${encodeURIComponent(listId)}`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) throw new CivitasError(ErrorCode.CREDENTIAL_INVALID, `status list '${listId}' of ${issuer} does not exist`, { issuer, listId, cause: e.code });
      throw e;
    }
    if (!isObject(r) || typeof r.encodedList !== "string" || typeof r.size !== "number") {
      throw new CivitasError(ErrorCode.CREDENTIAL_INVALID, `the node returned a malformed status list '${listId}' of ${issuer}`, { issuer, listId });
    }
    return r as StatusListRecord;
  }
}
