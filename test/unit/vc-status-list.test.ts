/** Bitstring Status List v1.0 encoding: bit order, multibase/gzip form, interop and hostile input. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { gunzipSync, gzipSync } from "node:zlib";
import { MAX_STATUS_LIST_BITS, createBitstring, decodeStatusList, encodeStatusList, getStatusBit, setStatusBit } from "../../src/identity/index.js";
import { isCivitasError } from "../../src/util/errors.js";

function rejectsWith(code: string, pattern?: RegExp): (e: unknown) => boolean {
  return (e) => {
    assert.ok(isCivitasError(e), `expected a CivitasError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (pattern) assert.match(e.message, pattern);
    return true;
  };
}

test("bit i is the (i mod 8)-th most significant bit of byte i/8", () => {
  const bits = createBitstring(20);
  assert.equal(bits.length, 3);
  setStatusBit(bits, 0, true);
  setStatusBit(bits, 9, true);
  setStatusBit(bits, 19, true);
  assert.deepEqual([...bits], [0x80, 0x40, 0x10]);
  assert.equal(getStatusBit(bits, 9), true);
  assert.equal(getStatusBit(bits, 8), false);
  setStatusBit(bits, 9, false);
  assert.deepEqual([...bits], [0x80, 0x00, 0x10]);
  assert.throws(() => getStatusBit(bits, 24), rejectsWith("CREDENTIAL_INVALID", /outside/));
  assert.throws(() => setStatusBit(bits, -1, true), rejectsWith("CREDENTIAL_INVALID"));
  assert.throws(() => createBitstring(0), rejectsWith("CREDENTIAL_INVALID"));
  assert.throws(() => createBitstring(MAX_STATUS_LIST_BITS + 1), rejectsWith("CREDENTIAL_INVALID"));
});

test("encode gives multibase base64url (u, no padding) of GZIP; decode inverts it", async () => {
  const bits = createBitstring(131_072);
  for (const i of [0, 7, 8, 1000, 131_071]) setStatusBit(bits, i, true);
  const encoded = await encodeStatusList(bits);
  assert.match(encoded, /^u[A-Za-z0-9_-]+$/);
  // Standard gzip on the other side: what any W3C verifier does with it.
  const raw = gunzipSync(Buffer.from(encoded.slice(1), "base64url"));
  assert.deepEqual(new Uint8Array(raw), bits);
  const back = await decodeStatusList(encoded, 131_072);
  assert.deepEqual(back, bits);
  for (const i of [0, 7, 8, 1000, 131_071]) assert.equal(getStatusBit(back, i), true);
  assert.equal(getStatusBit(back, 1), false);
});

test("the W3C Bitstring Status List example (16 KiB, all clear) decodes", async () => {
  // encodedList of the example BitstringStatusListCredential in the W3C recommendation.
  const bits = await decodeStatusList("uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA", 131_072);
  assert.equal(bits.length, 16_384);
  assert.ok(bits.every((b) => b === 0));
});

test("lists gzipped by node:zlib (as a node may serve them) decode", async () => {
  const bits = createBitstring(64);
  setStatusBit(bits, 42, true);
  const encoded = "u" + gzipSync(bits).toString("base64url");
  assert.equal(getStatusBit(await decodeStatusList(encoded, 64), 42), true);
});

test("malformed encoded lists are refused with CREDENTIAL_INVALID naming the problem", async () => {
  const good = await encodeStatusList(createBitstring(64));
  await assert.rejects(decodeStatusList("z" + good.slice(1)), rejectsWith("CREDENTIAL_INVALID", /prefix 'u'/));
  await assert.rejects(decodeStatusList(good + "="), rejectsWith("CREDENTIAL_INVALID", /base64url/));
  await assert.rejects(decodeStatusList("u" + Buffer.from("not gzip at all").toString("base64url")), rejectsWith("CREDENTIAL_INVALID", /GZIP/));
  await assert.rejects(decodeStatusList(""), rejectsWith("CREDENTIAL_INVALID"));
  await assert.rejects(decodeStatusList(42), rejectsWith("CREDENTIAL_INVALID"));
  // Truncated gzip stream.
  const truncated = "u" + Buffer.from(good.slice(1), "base64url").subarray(0, 12).toString("base64url");
  await assert.rejects(decodeStatusList(truncated), rejectsWith("CREDENTIAL_INVALID", /GZIP/));
  // The list is shorter than its declared size.
  await assert.rejects(decodeStatusList(good, 65), rejectsWith("CREDENTIAL_INVALID", /size is 65/));
});

test("a decompression bomb stops at the size limit instead of allocating it", async () => {
  const bomb = "u" + gzipSync(new Uint8Array(MAX_STATUS_LIST_BITS / 8 + 1)).toString("base64url");
  assert.ok(bomb.length < 10_000, "the bomb is small on the wire");
  await assert.rejects(decodeStatusList(bomb), rejectsWith("CREDENTIAL_INVALID", /more than/));
});
