/**
 * `IdentityResolver` that does not trust the node it asks: every record it returns (the DID
 * document, the issuer registry entry, the status list and each of its chunks) is rebuilt here
 * from state entries proved against a header whose commit certificate a light client verified
 * from a trusted genesis or checkpoint. A node that lies about a key, a revocation bit or an
 * issuer's trust fails with the light client's error instead of changing the verdict.
 *
 * The module's own read functions build the records, so the result is exactly what the chain's
 * code would read. They read synchronously; the keys they ask for are fetched and proved, and
 * the function is re-run until it asks for nothing new (a record's keys are known after at most
 * a few rounds). All reads of one resolver are pinned to the first verified height, so one
 * verification sees one state.
 */
import { bitstring, didDocument, didDocumentMetadata, IDENTITY_MODULE, readDid, readIssuer, readStatusList } from "../modules/identity/index.js";
import type { IdentityRead } from "../modules/identity/index.js";
import type { LightClient } from "../sdk/light-client.js";
import { CivitasError, ErrorCode } from "../util/errors.js";
import { isCivitasDid } from "./did.js";
import type { DidDocument, DidResolution, IdentityResolver, IssuerRecord, StatusListRecord } from "./resolver.js";
import { encodeStatusList } from "./status-list.js";

/** Rounds of "run, fetch what it asked for" before a read is considered runaway. */
const MAX_ROUNDS = 8;

export class LightClientResolver implements IdentityResolver {
  private readonly proved = new Map<string, Uint8Array | null>();
  private height?: number;

  constructor(private readonly lc: LightClient) {}

  /** The verified height every answer of this resolver comes from (after the first read). */
  get provedAt(): number | undefined {
    return this.height;
  }

  private async read<T>(f: (read: IdentityRead) => T): Promise<T> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const missing = new Set<string>();
      const out = f((k) => {
        const v = this.proved.get(k);
        if (v === undefined) missing.add(k);
        return v ?? undefined;
      });
      if (missing.size === 0) return out;
      for (const k of missing) {
        const s = await this.lc.verifyState(`${IDENTITY_MODULE}/${k}`, this.height);
        this.height ??= s.height;
        this.proved.set(k, s.value);
      }
    }
    throw new CivitasError(ErrorCode.INTERNAL, `an identity read asked for new keys after ${MAX_ROUNDS} rounds`);
  }

  async resolveDid(did: string): Promise<DidResolution> {
    if (!isCivitasDid(did)) throw new CivitasError(ErrorCode.DID_INVALID, `'${did}' is not a did:civitas DID`, { did });
    const r = await this.read((read) => readDid(read, did));
    if (!r) throw new CivitasError(ErrorCode.DID_NOT_FOUND, `DID ${did} is not registered on this chain (proved absent at height ${this.height})`, { did, height: this.height });
    return { didDocument: didDocument(did, r) as DidDocument, didDocumentMetadata: didDocumentMetadata(r) };
  }

  async getIssuer(did: string): Promise<IssuerRecord | undefined> {
    const r = await this.read((read) => readIssuer(read, did));
    return r ? { did, ...r } : undefined;
  }

  async getStatusList(issuer: string, listId: string): Promise<StatusListRecord> {
    const list = await this.read((read) => readStatusList(read, issuer, listId));
    if (!list) throw new CivitasError(ErrorCode.CREDENTIAL_INVALID, `status list '${listId}' of ${issuer} does not exist (proved absent at height ${this.height})`, { issuer, listId });
    const bits = await this.read((read) => bitstring(read, issuer, listId, list.size));
    return { issuer, listId, statusPurpose: "revocation", size: list.size, revoked: list.revoked, encodedList: await encodeStatusList(bits), ...(this.height !== undefined ? { height: this.height } : {}) };
  }
}
