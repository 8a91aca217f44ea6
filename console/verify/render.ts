/**
 * The result panel: the verdict, the failed part and why, the facts and every step. Every
 * string from a bundle is untrusted (a forger writes it): it only ever reaches the page as
 * text nodes, never as HTML.
 */
import type { BundleCheck, BundleFacts } from "../../src/proof/bundle/index.js";
import type { DocumentHash, Outcome } from "./check.js";
import { sizeText } from "./check.js";

type Child = Node | string | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

/** `replaceChildren` with the optional parts left out. */
function show(body: HTMLElement, ...children: Child[]): void {
  body.replaceChildren(...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false));
}

const code = (s: string): HTMLElement => el("code", { class: "hash" }, s);
const utc = (ms: number): string => `${new Date(ms).toISOString()} (UTC)`;

function fact(name: string, key: string, ...value: Child[]): HTMLElement[] {
  return [el("dt", {}, name), el("dd", { "data-fact": key }, ...value)];
}

function documentFact(doc: DocumentHash | null): Child[] {
  if (!doc) return ["Not given: only the bundle was checked. Add the document to check that it is the one registered."];
  return [`${doc.name} (${sizeText(doc.size)}) hashes to this fingerprint (${doc.algorithm}${doc.salted ? " with the bundle's salt" : ""}, computed in this browser with ${doc.by}).`];
}

function signersList(f: BundleFacts): HTMLElement {
  const list = el("ul", { class: "signers" });
  for (const s of f.block.signers) {
    list.append(el("li", {}, code(s.address), ` power ${s.power}, signed at ${utc(s.time)}`));
  }
  return el("div", {}, `${f.block.signers.length} of ${f.block.validators.length} validator(s), ${f.block.signedPower} of ${f.block.totalPower} power (more than 2/3 is needed):`, list);
}

function statusFact(f: BundleFacts): string {
  if (!f.status) return `${f.record.status} at registration (the bundle has no later status)`;
  const extra = [f.status.owner !== f.record.owner ? `now owned by ${f.status.owner}` : "", f.status.supersededBy ? `superseded by ${f.status.supersededBy}` : "", f.status.statusReason ? `reason: ${f.status.statusReason}` : ""].filter(Boolean);
  return `${f.status.status} as of block ${f.status.height} (${utc(f.status.time)})${extra.length ? `; ${extra.join("; ")}` : ""}`;
}

function trustFact(f: BundleFacts): Child[] {
  const anchor = [`block ${f.trust.height} `, code(f.trust.headerHash)];
  if (f.trust.pinned) return [...anchor, ` — pinned by the trusted hash you entered.`];
  return [...anchor, el("strong", { class: "warn" }, " — not pinned: "), "compare this hash with one you obtained independently (for example block 0 from the chain's operator), or enter it above."];
}

function factsList(f: BundleFacts, doc: DocumentHash | null): HTMLElement {
  const tsa = f.tsa ? [`${utc(f.tsa.genTime)} by ${f.tsa.tsa.subject} (${f.tsa.skewMs >= 0 ? "+" : ""}${f.tsa.skewMs} ms from block time), chained to ${f.tsa.root.subject}`] : ["none: the record carries no trusted timestamp"];
  return el(
    "dl",
    { class: "facts" },
    ...fact("Fingerprint", "fingerprint", code(f.fingerprint), ` (${f.hashAlgorithm}${f.salted ? ", salted" : ""})`),
    ...fact("Document", "document", ...documentFact(doc)),
    ...fact("Owner", "owner", code(f.record.owner), " signed with ", code(f.record.verificationMethod)),
    ...fact("Document type", "doc-type", f.record.docType),
    ...(f.record.metadata ? fact("Metadata", "metadata", code(f.record.metadata)) : []),
    ...(f.aggregation ? fact("Aggregation", "aggregation", `document ${f.aggregation.leafIndex + 1} of ${f.aggregation.treeSize} in one registration, root `, code(f.aggregation.root)) : []),
    ...fact("Block", "block", `height ${f.block.height}, hash `, code(f.block.hash)),
    ...fact("Block time", "block-time", utc(f.block.time)),
    ...fact("TSA time", "tsa-time", ...tsa),
    ...fact("Validators who signed", "signers", signersList(f)),
    ...fact("Status", "status", statusFact(f)),
    ...fact("Chain", "chain", `${f.chainId} (${f.suite})`, f.validatorChanges.length ? `, ${f.validatorChanges.length} validator-set change(s) followed` : ""),
    ...fact("Trust anchor", "trust", ...trustFact(f)),
  );
}

function stepsList(check: BundleCheck): HTMLElement {
  const list = el("ol", { class: "steps" });
  for (const s of check.steps) {
    list.append(el("li", { class: s.ok ? "ok" : "fail", "data-part": s.part }, el("span", { class: "mark", "aria-hidden": "true" }, s.ok ? "✓" : "✗"), el("strong", {}, `${s.part} `), el("span", { class: "visually-hidden" }, s.ok ? "passed: " : "failed: "), s.detail));
  }
  return el("details", check.valid ? {} : { open: "" }, el("summary", {}, `The checks (${check.steps.filter((s) => s.ok).length} passed${check.valid ? "" : ", 1 failed"})`), list);
}

export function renderOutcome(body: HTMLElement, o: Outcome): void {
  const { check } = o;
  if (check.valid && check.facts) {
    const f = check.facts;
    const what = o.document ? `“${o.document.name}”` : "the document with this fingerprint";
    show(
      body,
      el("p", { class: "verdict verdict-valid", id: "verdict" }, el("span", { "aria-hidden": "true" }, "✓ "), "VALID"),
      el("p", { class: "summary" }, `The bundle proves that ${what} was registered on chain ${f.chainId} in block ${f.block.height} at ${utc(f.block.time)} by ${f.record.owner}, certified by its validators.`),
      f.trust.pinned ? null : el("p", { class: "notice" }, "The trust anchor is not pinned: the bundle is consistent with itself, but only a trusted anchor hash ties it to the real chain. See “Trust anchor” below."),
      factsList(f, o.document),
      stepsList(check),
    );
    return;
  }
  const failed = check.failed ?? { part: "format", reason: "the check gave no reason" };
  show(
    body,
    el("p", { class: "verdict verdict-invalid", id: "verdict" }, el("span", { "aria-hidden": "true" }, "✗ "), "NOT VALID"),
    el("p", { class: "failed" }, "Failed check: ", el("strong", { id: "failed-part" }, failed.part)),
    el("p", { class: "reason", id: "failed-reason" }, failed.reason),
    o.document ? el("p", { class: "doc-hash" }, `${o.document.name} (${sizeText(o.document.size)}) hashes to `, code(o.document.fingerprint), ` (${o.document.algorithm}${o.document.salted ? ", salted" : ""}, computed in this browser).`) : null,
    stepsList(check),
  );
}

export function renderError(body: HTMLElement, message: string): void {
  body.replaceChildren(el("p", { class: "verdict verdict-error", id: "verdict" }, "Cannot check"), el("p", { class: "reason", id: "error-message", role: "alert" }, message));
}

export function renderEmpty(body: HTMLElement, haveDocument: boolean): void {
  body.replaceChildren(el("p", { class: "empty" }, haveDocument ? "Now choose the proof bundle for this document." : "Choose a proof bundle to check it. Add the document to check that it is the one registered."));
}

export function renderWorking(body: HTMLElement): void {
  body.replaceChildren(el("p", { class: "working" }, "Checking…"));
}
