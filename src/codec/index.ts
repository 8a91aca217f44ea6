export { encode, decode } from "./cbor.js";
export type { CborValue } from "./cbor.js";
export { FieldReader, asBigInt } from "./fields.js";
export type { Obj } from "./fields.js";
