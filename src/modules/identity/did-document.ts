/** The W3C DID document and resolution metadata of a stored DID record. */
import { toHex } from "../../util/bytes.js";
import { encodeBase64Url } from "./base64url.js";
import type { DidRecord } from "./did.js";

const ED25519_KEY_BYTES = 32;

function verificationMethod(did: string, n: number, publicKey: Uint8Array): Record<string, unknown> {
  const id = `${did}#key-${n}`;
  // Every key of a chain is of the chain's suite: 32 bytes is Ed25519, anything else SM2 (no JOSE algorithm).
  if (publicKey.length === ED25519_KEY_BYTES) return { id, type: "JsonWebKey2020", controller: did, publicKeyJwk: { kty: "OKP", crv: "Ed25519", x: encodeBase64Url(publicKey) } };
  return { id, type: "Sm2PublicKeyHex", controller: did, publicKeyHex: toHex(publicKey) };
}

export function didDocument(did: string, r: DidRecord): Record<string, unknown> {
  const context = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"];
  if (r.deactivated) return { "@context": context, id: did };
  const methods = r.keys.map((k) => verificationMethod(did, k.n, k.publicKey));
  const ids = methods.map((m) => m.id);
  return {
    "@context": context,
    id: did,
    ...(r.controllers.length ? { controller: [did, ...r.controllers] } : {}),
    verificationMethod: methods,
    authentication: ids,
    assertionMethod: ids,
    ...(r.services.length ? { service: r.services.map((s) => ({ id: `${did}#${s.id}`, type: s.type, serviceEndpoint: s.endpoint })) } : {}),
  };
}

export function didDocumentMetadata(r: DidRecord): Record<string, unknown> {
  return { versionId: String(r.version), created: new Date(r.created).toISOString(), updated: new Date(r.updated).toISOString(), deactivated: r.deactivated, kind: r.kind };
}
