/**
 * The proof-verification page of the web console (GET /console/verify): pick or drop a bundle
 * and optionally the document, and the offline check runs here, in the browser, with no network
 * request (the route's Content-Security-Policy also sets connect-src 'none').
 */
import { checkFiles, InputError, parseTrustedHash } from "./check.js";
import { renderEmpty, renderError, renderOutcome, renderWorking } from "./render.js";

type Slot = "bundle" | "document";

function byId<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the page has no #${id}`);
  return e as T;
}

const files: Record<Slot, File | null> = { bundle: null, document: null };
const form = byId<HTMLFormElement>("form");
const result = byId<HTMLElement>("result");
const body = byId<HTMLElement>("result-body");
const trusted = byId<HTMLInputElement>("trusted-hash");
const trustedError = byId<HTMLElement>("trusted-hash-error");
/** Only the newest run may draw: a slow read of an earlier choice must not overwrite a later verdict. */
let runId = 0;

function setState(state: "empty" | "working" | "valid" | "invalid" | "error", documentChecked = false): void {
  result.dataset.state = state;
  result.dataset.document = documentChecked ? "checked" : "none";
  result.setAttribute("aria-busy", state === "working" ? "true" : "false");
}

function showFieldError(message: string | null): void {
  trustedError.hidden = message === null;
  trustedError.textContent = message ?? "";
  if (message === null) trusted.removeAttribute("aria-invalid");
  else trusted.setAttribute("aria-invalid", "true");
}

function bringIntoView(): void {
  const r = result.getBoundingClientRect();
  if (r.top > window.innerHeight - 80) result.scrollIntoView({ block: "start" });
}

async function run(): Promise<void> {
  const id = ++runId;
  showFieldError(null);
  const bundle = files.bundle;
  if (!bundle) {
    setState("empty");
    renderEmpty(body, files.document !== null);
    try {
      parseTrustedHash(trusted.value);
    } catch (e) {
      showFieldError((e as Error).message);
    }
    return;
  }
  setState("working");
  renderWorking(body);
  try {
    const outcome = await checkFiles(bundle, files.document, trusted.value);
    if (id !== runId) return;
    setState(outcome.check.valid ? "valid" : "invalid", outcome.document !== null);
    renderOutcome(body, outcome);
  } catch (e) {
    if (id !== runId) return;
    const message = e instanceof InputError ? e.message : `The check could not run: ${(e as Error)?.message ?? String(e)}`;
    if (e instanceof InputError && e.field === "trusted-hash") showFieldError(message);
    setState("error");
    renderError(body, message);
  }
  bringIntoView();
}

function choose(slot: Slot, file: File | null): void {
  files[slot] = file;
  byId(`${slot}-chosen`).textContent = file ? `Chosen: ${file.name}` : "";
  byId(`${slot}-clear`).hidden = file === null;
  if (!file) byId<HTMLInputElement>(`${slot}-input`).value = "";
  void run();
}

for (const slot of ["bundle", "document"] as const) {
  const input = byId<HTMLInputElement>(`${slot}-input`);
  const zone = byId(`${slot}-drop`);
  input.addEventListener("change", () => choose(slot, input.files?.[0] ?? null));
  byId(`${slot}-clear`).addEventListener("click", () => {
    choose(slot, null);
    input.focus();
  });
  zone.addEventListener("dragover", (ev) => {
    ev.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (ev) => {
    ev.preventDefault();
    zone.classList.remove("over");
    const dropped = ev.dataTransfer?.files;
    if (!dropped || dropped.length === 0) return;
    // Show the dropped file in the native control too, so the page reads the same either way.
    if (dropped.length === 1) input.files = dropped;
    choose(slot, dropped[0]);
  });
}

// A file dropped outside the two zones would make the browser open it instead of this page.
for (const type of ["dragover", "drop"] as const) window.addEventListener(type, (ev) => ev.preventDefault());

trusted.addEventListener("change", () => void run());
form.addEventListener("submit", (ev) => {
  ev.preventDefault();
  void run();
});
setState("empty");
