/**
 * @peculiar/x509 registers its algorithms through tsyringe, which refuses to load unless the
 * reflect-metadata API exists. tsyringe only calls these three functions (and never sees
 * decorator metadata, since @peculiar/x509 ships compiled without it), so a WeakMap stands in
 * for a whole polyfill package. Installed only when absent, so a real polyfill loaded
 * elsewhere wins; loaded only by certificate issuance, never by a running node.
 */
type Target = object;
const store = new WeakMap<Target, Map<unknown, unknown>>();

function getOwn(key: unknown, target: Target): unknown {
  return store.get(target)?.get(key);
}

export function installReflectMetadataShim(): void {
  const r = Reflect as unknown as Record<string, unknown>;
  if (typeof r.getMetadata === "function") return;
  r.defineMetadata = (key: unknown, value: unknown, target: Target): void => {
    let m = store.get(target);
    if (!m) store.set(target, (m = new Map()));
    m.set(key, value);
  };
  r.getOwnMetadata = getOwn;
  r.getMetadata = (key: unknown, target: Target): unknown => {
    for (let t: Target | null = target; t !== null; t = Object.getPrototypeOf(t) as Target | null) {
      const v = getOwn(key, t);
      if (v !== undefined) return v;
    }
    return undefined;
  };
}
