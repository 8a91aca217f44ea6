/**
 * The identity module's state as the access module sees it: the DID an account is bound to,
 * and the attested claims of a DID that are in force at a given time. Validity is re-checked
 * here at every decision (period, revocation bit, issuer still active and trusted for the type),
 * because a claim attested yesterday may have expired or been revoked since.
 */
import { accountRecord, claimsOf, IDENTITY_MODULE, isRevoked, readIssuer } from "../modules/identity/index.js";
import type { IdentityView, StateRead, ValidClaims } from "./entities.js";

export const chainIdentity: IdentityView = {
  didOf(read: StateRead, address: string): string | undefined {
    return accountRecord((k) => read(IDENTITY_MODULE, k), address)?.did;
  },
  claimsOf(read: StateRead, did: string, time: number): ValidClaims[] {
    const idRead = (k: string): Uint8Array | undefined => read(IDENTITY_MODULE, k);
    return claimsOf(idRead, did)
      .filter((c) => c.validFrom <= time && (c.validUntil === null || time < c.validUntil))
      .filter((c) => {
        const issuer = readIssuer(idRead, c.issuer);
        return issuer !== undefined && issuer.status === "active" && issuer.types.includes(c.type);
      })
      .filter((c) => !isRevoked(idRead, c.issuer, c.status.listId, c.status.index))
      .map((c) => ({ type: c.type, issuer: c.issuer, claims: c.claims as Record<string, unknown> }));
  },
};
