/** The forensic report of a verified proof bundle (self-contained HTML). Portable. */
export { embeddedBundle, renderReport, REPORT_BUNDLE_ELEMENT_ID } from "./html.js";
export type { ReportInput } from "./html.js";
export { escapeHtml, scriptJson } from "./escape.js";
