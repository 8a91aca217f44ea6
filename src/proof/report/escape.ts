/** Escaping for everything the forensic report embeds: HTML text and attributes, and JSON inside a script block. */

const HTML: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text or attribute value: no character can open a tag, end an attribute or start an entity. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML[c]);
}

/**
 * JSON for `<script type="application/json">`: `<`, `>` and `&` as \u escapes (so no `</script>`
 * or `<!--` can appear) and the two line separators JavaScript once treated as newlines. The
 * result still parses to the same value.
 */
export function scriptJson(text: string): string {
  return text.replace(/[<>&\u2028\u2029]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}

/** Base64 of UTF-8 text or bytes (portable: btoa). */
export function base64(data: string | Uint8Array): string {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** A file name safe to offer as a download name. */
export function safeFileName(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 100);
  return clean.length > 0 && !/^\.+$/.test(clean) ? clean : "document";
}

/** A single-quoted POSIX shell word (for command lines the reader copies). */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
