/** A hash router: #/path/segments. The node serves one page at /console; routes never reach it. */
import { useEffect, useState } from "react";

export function useRoute(): string[] {
  const read = (): string[] => decodeURIComponent(location.hash.replace(/^#\/?/, "")).split("/").filter(Boolean);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = (): void => setRoute(read());
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return route;
}

export function go(path: string): void {
  location.hash = "#/" + path.replace(/^\/+/, "");
}
