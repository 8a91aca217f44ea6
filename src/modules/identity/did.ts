/**
 * DID records: `did/<did>` holds the document's keys (numbered, never renumbered), controllers
 * and services, with version and times taken from the blocks that wrote them. Creation, update
 * (key rotation) and deactivation are transactions of the DID's controllers.
 */
import { decode, encode, FieldReader } from "../../codec/index.js";
import type { CallContext, MethodDef } from "../../execution/module.js";
import { equalBytes, fromHex, toHex } from "../../util/bytes.js";
import { CivitasError, ErrorCode } from "../../util/errors.js";
import type { DidKind, IdentityRead } from "./common.js";
import { AUTHORITY_KINDS, checkDid, didArg, didInvalid, HEX, invalid, KINDS, MAX_CONTROLLERS, MAX_DOCUMENT_CHARS, MAX_KEYS, MAX_SERVICES, reasonArg, unauthorized } from "./common.js";
import type { JsonValue } from "./json.js";
import { isJsonObject, parseStrictJson } from "./json.js";

export const didKey = (did: string): string => `did/${did}`;

export interface DidKey {
  n: number;
  publicKey: Uint8Array;
}

export interface DidService {
  id: string;
  type: string;
  endpoint: string;
}

export interface DidRecord {
  kind: DidKind;
  keys: DidKey[];
  nextKey: number;
  controllers: string[];
  services: DidService[];
  version: number;
  created: number;
  updated: number;
  createdHeight: number;
  updatedHeight: number;
  deactivated: boolean;
}

const SERVICE_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function encodeDidRecord(r: DidRecord): Uint8Array {
  return encode({
    kind: r.kind,
    keys: r.keys.map((k) => ({ n: k.n, publicKey: k.publicKey })),
    nextKey: r.nextKey,
    controllers: r.controllers,
    services: r.services.map((s) => ({ id: s.id, type: s.type, endpoint: s.endpoint })),
    version: r.version,
    created: r.created,
    updated: r.updated,
    createdHeight: r.createdHeight,
    updatedHeight: r.updatedHeight,
    deactivated: r.deactivated,
  });
}

export function decodeDidRecord(bytes: Uint8Array): DidRecord {
  const f = FieldReader.of(decode(bytes), "identity.did", ErrorCode.INTERNAL).knownFields("kind", "keys", "nextKey", "controllers", "services", "version", "created", "updated", "createdHeight", "updatedHeight", "deactivated");
  const kind = f.str("kind") as DidKind;
  return {
    kind,
    keys: f.array("keys", MAX_KEYS).map((k) => {
      const kf = FieldReader.of(k, "identity.did.keys", ErrorCode.INTERNAL).knownFields("n", "publicKey");
      return { n: kf.uint("n"), publicKey: kf.bytes("publicKey") };
    }),
    nextKey: f.uint("nextKey"),
    controllers: f.array("controllers", MAX_CONTROLLERS).map((c) => c as string),
    services: f.array("services", MAX_SERVICES).map((s) => {
      const sf = FieldReader.of(s, "identity.did.services", ErrorCode.INTERNAL).knownFields("id", "type", "endpoint");
      return { id: sf.str("id"), type: sf.str("type"), endpoint: sf.str("endpoint") };
    }),
    version: f.uint("version"),
    created: f.uint("created"),
    updated: f.uint("updated"),
    createdHeight: f.uint("createdHeight"),
    updatedHeight: f.uint("updatedHeight"),
    deactivated: f.bool("deactivated"),
  };
}

export function readDid(read: IdentityRead, did: string): DidRecord | undefined {
  const raw = read(didKey(did));
  return raw ? decodeDidRecord(raw) : undefined;
}

/** The record of an existing, active DID, or DID_NOT_FOUND / DID_DEACTIVATED. */
export function requireActiveDid(read: IdentityRead, did: string, what = "DID"): DidRecord {
  const r = readDid(read, did);
  if (!r) throw new CivitasError(ErrorCode.DID_NOT_FOUND, `${what} '${did}' does not exist`, { did });
  if (r.deactivated) throw new CivitasError(ErrorCode.DID_DEACTIVATED, `${what} '${did}' is deactivated`, { did });
  return r;
}

/** The current key numbered `n`, if the DID still has it. */
export function keyOf(r: DidRecord, n: number): DidKey | undefined {
  return r.keys.find((k) => k.n === n);
}

interface ControlCtx {
  sender: string;
  authority: string;
  crypto: { address(publicKey: Uint8Array): string };
}

/** Whether `sender` controls the DID (see docs/spec/identity.md, "Who controls a DID"). */
export function controls(read: IdentityRead, ctx: ControlCtx, record: DidRecord): boolean {
  if (record.deactivated) return false;
  if (AUTHORITY_KINDS.includes(record.kind) && ctx.sender === ctx.authority) return true;
  if (record.keys.some((k) => ctx.crypto.address(k.publicKey) === ctx.sender)) return true;
  for (const c of record.controllers) {
    const cr = readDid(read, c);
    if (cr && !cr.deactivated && cr.keys.some((k) => ctx.crypto.address(k.publicKey) === ctx.sender)) return true;
  }
  return false;
}

/** The record of an active DID the sender controls, or the precise refusal. */
export function requireController(read: IdentityRead, ctx: ControlCtx, did: string, what = "DID"): DidRecord {
  const r = requireActiveDid(read, did, what);
  if (!controls(read, ctx, r)) throw unauthorized(`${ctx.sender} does not control ${what} '${did}'`, { did, sender: ctx.sender });
  return r;
}

export interface DocumentInput {
  keys: Uint8Array[];
  controllers: string[];
  services: DidService[];
}

/** Parses and checks the `document` argument; every defect is DID_INVALID naming the field. */
export function parseDocument(text: string, chain: string, self: string, isValidPublicKey: (pk: Uint8Array) => boolean): DocumentInput {
  if (text.length > MAX_DOCUMENT_CHARS) throw didInvalid(`document is longer than ${MAX_DOCUMENT_CHARS} characters`);
  const doc = parseStrictJson(text, ErrorCode.DID_INVALID, "document");
  if (!isJsonObject(doc)) throw didInvalid("document must be a JSON object {keys, controllers?, services?}");
  for (const k of Object.keys(doc)) if (!["keys", "controllers", "services"].includes(k)) throw didInvalid(`document: unknown member '${k.slice(0, 64)}'`, { field: k });
  const list = (name: string, max: number, required: boolean): JsonValue[] => {
    const v = doc[name];
    if (v === undefined && !required) return [];
    if (!Array.isArray(v) || v.length > max || (required && v.length === 0)) throw didInvalid(`document.${name} must be an array of ${required ? 1 : 0} to ${max} items`, { field: name });
    return v;
  };
  const keys = list("keys", MAX_KEYS, true).map((k, i) => {
    if (typeof k !== "string" || !HEX.test(k) || k.length > 512) throw didInvalid(`document.keys[${i}] must be a public key in lowercase hex`, { field: `keys[${i}]` });
    const pk = fromHex(k);
    if (!isValidPublicKey(pk)) throw didInvalid(`document.keys[${i}] is not a valid public key of the chain's suite`, { field: `keys[${i}]` });
    return pk;
  });
  for (let i = 1; i < keys.length; i++) if (keys.slice(0, i).some((k) => equalBytes(k, keys[i]))) throw didInvalid(`document.keys[${i}] repeats an earlier key`, { field: `keys[${i}]` });
  const controllers = list("controllers", MAX_CONTROLLERS, false).map((c, i) => {
    if (typeof c !== "string") throw didInvalid(`document.controllers[${i}] must be a DID string`, { field: `controllers[${i}]` });
    checkDid(c, chain, `document.controllers[${i}]`);
    if (c === self) throw didInvalid(`document.controllers[${i}]: a DID is controlled by its own keys; do not list it`, { field: `controllers[${i}]` });
    return c;
  });
  if (new Set(controllers).size !== controllers.length) throw didInvalid("document.controllers lists a DID twice", { field: "controllers" });
  const services = list("services", MAX_SERVICES, false).map((s, i) => {
    if (!isJsonObject(s)) throw didInvalid(`document.services[${i}] must be an object {id, type, serviceEndpoint}`, { field: `services[${i}]` });
    for (const k of Object.keys(s)) if (!["id", "type", "serviceEndpoint"].includes(k)) throw didInvalid(`document.services[${i}]: unknown member '${k.slice(0, 64)}'`, { field: `services[${i}].${k}` });
    const { id, type, serviceEndpoint } = s;
    if (typeof id !== "string" || !SERVICE_ID.test(id)) throw didInvalid(`document.services[${i}].id must match ${SERVICE_ID} (the fragment after '#')`, { field: `services[${i}].id` });
    if (typeof type !== "string" || type.length < 1 || type.length > 64) throw didInvalid(`document.services[${i}].type must be a string of 1 to 64 characters`, { field: `services[${i}].type` });
    if (typeof serviceEndpoint !== "string" || serviceEndpoint.length < 1 || serviceEndpoint.length > 512 || !/^[a-z][a-z0-9+.-]*:\S+$/.test(serviceEndpoint)) throw didInvalid(`document.services[${i}].serviceEndpoint must be a URI of at most 512 characters`, { field: `services[${i}].serviceEndpoint` });
    return { id, type, endpoint: serviceEndpoint };
  });
  if (new Set(services.map((s) => s.id)).size !== services.length) throw didInvalid("document.services repeats an id", { field: "services" });
  return { keys, controllers, services };
}

/** Checks that every controller DID exists and is active (DID_NOT_FOUND / DID_DEACTIVATED). */
function checkControllersExist(read: IdentityRead, controllers: string[]): void {
  for (const c of controllers) requireActiveDid(read, c, "controller");
}

/** Keys of the new document numbered: kept keys keep their number, new ones get the next ones. */
function numberKeys(previous: DidKey[], keys: Uint8Array[], nextKey: number): { keys: DidKey[]; nextKey: number } {
  let next = nextKey;
  const out = keys.map((pk) => {
    const old = previous.find((k) => equalBytes(k.publicKey, pk));
    return old ? { n: old.n, publicKey: pk } : { n: next++, publicKey: pk };
  });
  return { keys: out, nextKey: next };
}

const get = (ctx: CallContext): IdentityRead => (k) => ctx.get(k);
const documentArg = { type: "string", maxLength: MAX_DOCUMENT_CHARS, doc: 'JSON {"keys": [hex], "controllers"?: [did], "services"?: [{id, type, serviceEndpoint}]}' } as const;

export const didMethods: Record<string, MethodDef> = {
  createDid: {
    doc: "Creates a DID document. node/chain kinds: chain authority only; others: an account of one of the document's keys or a controller of a listed controller DID.",
    gas: 3_000,
    args: { did: didArg, kind: { type: "string", maxLength: 16, doc: KINDS.join(" | ") }, document: documentArg },
    run(ctx, args) {
      const did = checkDid(args.did as string, ctx.chain);
      const kind = args.kind as string;
      if (!(KINDS as readonly string[]).includes(kind)) throw didInvalid(`kind must be one of ${KINDS.join(", ")}`, { kind });
      const doc = parseDocument(args.document as string, ctx.chain, did, ctx.crypto.isValidPublicKey);
      if (ctx.get(didKey(did))) throw invalid(`DID '${did}' already exists`, { did });
      checkControllersExist(get(ctx), doc.controllers);
      if (AUTHORITY_KINDS.includes(kind as DidKind)) {
        if (ctx.sender !== ctx.authority) throw unauthorized(`only the chain authority creates DIDs of kind '${kind}'`, { authority: ctx.authority });
      } else {
        const ownKey = doc.keys.some((k) => ctx.crypto.address(k) === ctx.sender);
        const viaController = doc.controllers.some((c) => controls(get(ctx), ctx, readDid(get(ctx), c) as DidRecord));
        if (!ownKey && !viaController) throw unauthorized("the sender must be the account of one of the document's keys or control one of its controllers", { sender: ctx.sender });
      }
      const numbered = numberKeys([], doc.keys, 1);
      const record: DidRecord = { kind: kind as DidKind, keys: numbered.keys, nextKey: numbered.nextKey, controllers: doc.controllers, services: doc.services, version: 1, created: ctx.time, updated: ctx.time, createdHeight: ctx.height, updatedHeight: ctx.height, deactivated: false };
      ctx.set(didKey(did), encodeDidRecord(record));
      ctx.emit("DidCreated", { did, kind, version: 1, actor: ctx.sender }, [ctx.sender]);
    },
  },
  updateDid: {
    doc: "Replaces the keys (rotation), controllers and services of a DID; by a controller.",
    gas: 3_000,
    args: { did: didArg, document: documentArg },
    run(ctx, args) {
      const did = checkDid(args.did as string, ctx.chain);
      const doc = parseDocument(args.document as string, ctx.chain, did, ctx.crypto.isValidPublicKey);
      const old = requireController(get(ctx), ctx, did);
      checkControllersExist(get(ctx), doc.controllers);
      const numbered = numberKeys(old.keys, doc.keys, old.nextKey);
      const record: DidRecord = { ...old, keys: numbered.keys, nextKey: numbered.nextKey, controllers: doc.controllers, services: doc.services, version: old.version + 1, updated: ctx.time, updatedHeight: ctx.height };
      ctx.set(didKey(did), encodeDidRecord(record));
      ctx.emit("DidUpdated", { did, version: record.version, keys: record.keys.map((k) => `${did}#key-${k.n}`), actor: ctx.sender }, [ctx.sender]);
    },
  },
  deactivateDid: {
    doc: "Deactivates a DID for good (keys, controllers and services are dropped); by a controller.",
    gas: 2_000,
    args: { did: didArg, reason: reasonArg },
    run(ctx, args) {
      const did = checkDid(args.did as string, ctx.chain);
      const old = requireController(get(ctx), ctx, did);
      const record: DidRecord = { ...old, keys: [], controllers: [], services: [], version: old.version + 1, updated: ctx.time, updatedHeight: ctx.height, deactivated: true };
      ctx.set(didKey(did), encodeDidRecord(record));
      ctx.emit("DidDeactivated", { did, reason: args.reason as string, actor: ctx.sender }, [ctx.sender]);
    },
  },
};

/** JSON form of a stored record (proof responses, queries). */
export function didRecordJson(r: DidRecord): Record<string, unknown> {
  return { ...r, keys: r.keys.map((k) => ({ n: k.n, publicKey: toHex(k.publicKey) })) };
}
