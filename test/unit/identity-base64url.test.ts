/** The identity module's base64url (plain TS, browser-safe) against Node's, and its strictness. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { decodeBase64Url, encodeBase64Url } from "../../src/modules/identity/base64url.js";

test("base64url: same output as Buffer for every length 0..130, and decodes back", () => {
  for (let n = 0; n <= 130; n++) {
    for (let t = 0; t < 8; t++) {
      const b = randomBytes(n);
      const s = encodeBase64Url(b);
      assert.equal(s, b.toString("base64url"));
      assert.deepEqual(Buffer.from(decodeBase64Url(s)!), b);
    }
  }
});

test("base64url: non-canonical or foreign input is refused (padding, +, /, lone char, non-zero trailing bits)", () => {
  for (const bad of ["A", "AB=", "AB+C", "AB/C", "AR", "AAB", "QUJD RA", "é"]) assert.equal(decodeBase64Url(bad), undefined, bad);
  assert.deepEqual(decodeBase64Url("AQ"), new Uint8Array([1]));
  assert.deepEqual(decodeBase64Url(""), new Uint8Array(0));
});
