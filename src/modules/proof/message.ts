/**
 * The message an owner's key signs to register a fingerprint or a batch root (docs/spec/proof.md,
 * "The signed message"). Shared by the module (verification) and the SDK/CLI (signing).
 */
import { utf8 } from "../../util/bytes.js";

export interface RegistrationFields {
  chain: string;
  kind: "document" | "batch";
  /** Lowercase hex of the fingerprint (document) or tree root (batch). */
  fingerprint: string;
  count: number;
  salted: boolean;
  owner: string;
  docType: string;
  metadata: string;
}

export const REGISTRATION_PREFIX = "civitas/proof/register/v1";

export function registrationText(f: RegistrationFields): string {
  return [
    REGISTRATION_PREFIX,
    `chain:${f.chain}`,
    `kind:${f.kind}`,
    `fingerprint:${f.fingerprint}`,
    `count:${f.count}`,
    `salted:${f.salted ? 1 : 0}`,
    `owner:${f.owner}`,
    `type:${f.docType}`,
    `metadata:${f.metadata}`,
  ].join("\n");
}

export function registrationMessage(f: RegistrationFields): Uint8Array {
  return utf8(registrationText(f));
}
