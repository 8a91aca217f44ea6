/**
 * @peculiar/x509 on node's WebCrypto, loaded once and only where certificates are made (network
 * CA, node and TSA certificates): running nodes check certificates with node:crypto alone.
 */
import { webcrypto } from "node:crypto";
import type * as X509 from "@peculiar/x509";
import { installReflectMetadataShim } from "./reflect-shim.js";

let loaded: Promise<typeof X509> | undefined;

export function loadX509(): Promise<typeof X509> {
  loaded ??= (async () => {
    installReflectMetadataShim();
    const lib = await import("@peculiar/x509");
    lib.cryptoProvider.set(webcrypto as unknown as Crypto);
    return lib;
  })();
  return loaded;
}
