/**
 * The forensic report (docs/spec/proof-bundle.md, "Forensic report"): one self-contained HTML
 * page (inline CSS, no scripts that run, no external resources) for litigation. It states the
 * facts a verified bundle establishes, lists the checks, tells a third party how to repeat them
 * without Civitas' servers (`civitas proof check`, `openssl ts -verify`, a plain SHA-256), and
 * carries the bundle itself (a JSON script block and a download link), the token and the TSA
 * roots. Everything embedded is escaped (escape.ts). Portable: renders in a browser too.
 */
import type { ProofBundle } from "../bundle/format.js";
import type { BundleCheck, BundleFacts } from "../bundle/verify.js";
import { bundleText } from "../bundle/parse.js";
import { base64, escapeHtml as e, safeFileName, scriptJson, shellQuote } from "./escape.js";

export interface ReportInput {
  bundle: ProofBundle;
  /** A valid check of this bundle (with the document when it was given). */
  check: BundleCheck;
  /** The document's file name as the reader knows it. */
  documentName?: string;
  /** When the report was made (ms); the caller's clock, stated as such. */
  generatedAt: number;
  /** The name the bundle download gets (default: <document>.bundle.json). */
  bundleName?: string;
}

export const REPORT_BUNDLE_ELEMENT_ID = "civitas-proof-bundle";

const iso = (ms: number): string => new Date(ms).toISOString();

function row(label: string, value: string, raw = false): string {
  return `<tr><th scope="row">${e(label)}</th><td>${raw ? value : e(value)}</td></tr>`;
}

const code = (s: string): string => `<code>${e(s)}</code>`;
const pre = (s: string): string => `<pre>${e(s)}</pre>`;

function download(name: string, mime: string, data: string | Uint8Array, label: string): string {
  return `<a download="${e(name)}" href="data:${e(mime)};base64,${base64(data)}">${e(label)}</a>`;
}

function summary(f: BundleFacts, documentName: string): string {
  const rows = [
    row("Document", documentName),
    row("Fingerprint", code(`${f.fingerprint}`) + ` (${e(f.hashAlgorithm)}${f.salted ? ", salted commitment H(salt ‖ document)" : ", H(document)"}; ${f.documentChecked ? "recomputed from the document" : "taken from the bundle: the document was not given"})`, true),
    ...(f.aggregation ? [row("Aggregated registration", `leaf ${f.aggregation.leafIndex} of ${f.aggregation.treeSize}, Merkle root ${code(f.aggregation.root)}`, true)] : []),
    row("Document type", f.record.docType),
    row("Metadata (signed)", f.record.metadata || "(none)"),
    row("Registered by (owner)", f.record.owner),
    row("Signing key", code(f.record.verificationMethod) + "<br>" + code(f.record.publicKey), true),
    row("Transaction sender", f.record.registrant),
    row("Block time", `${f.block.timeIso} (${f.block.time} ms since the Unix epoch), agreed by the validators`),
    row("Trusted timestamp (RFC 3161)", f.tsa ? `${f.tsa.genTimeIso} by ${f.tsa.tsa.subject} (serial ${f.tsa.serial}, ${f.tsa.skewMs >= 0 ? "+" : ""}${f.tsa.skewMs} ms from block time${f.tsa.accuracyMs !== undefined ? `, accuracy ${f.tsa.accuracyMs} ms` : ""})` : "none on this record"),
    row("Block", code(`${f.block.height}`) + " " + code(f.block.hash), true),
    row("Transaction", code(f.tx.hash) + ` (index ${f.tx.index} in the block)`, true),
    row("Chain", `${f.chainId} (${f.suite})`),
    row("Status", f.status ? `${f.status.status} as of block ${f.status.height} (${iso(f.status.time)})${f.status.supersededBy ? `, superseded by ${f.status.supersededBy}` : ""}${f.status.statusReason ? `: ${f.status.statusReason}` : ""}${f.status.owner !== f.record.owner ? `; owner now ${f.status.owner}` : ""}` : `${f.record.status} at registration (no later block in the bundle)`),
    row("Trust anchor", `block ${f.trust.height} with hash ${f.trust.headerHash}${f.trust.genesisDocumentHash ? ` (genesis document hash ${f.trust.genesisDocumentHash})` : ""}; ${f.trust.pinned ? `pinned by ${f.trust.pinned}` : "not pinned when this report was made: compare it with a hash obtained from a source you trust"}`),
  ];
  return `<table class="facts">${rows.join("")}</table>`;
}

function validatorsTable(f: BundleFacts): string {
  const signed = new Map(f.block.signers.map((s) => [s.address, s]));
  const rows = f.block.validators.map((v) => {
    const s = signed.get(v.address);
    return `<tr><td>${code(v.address)}</td><td>${code(v.publicKey)}</td><td>${v.power}</td><td>${s ? `signed (vote time ${e(iso(s.time))})` : "did not sign"}</td></tr>`;
  });
  return `<p>The block is final: validators holding ${f.block.signedPower} of ${f.block.totalPower} voting power (more than 2/3) signed its commit certificate (round ${f.block.round}).</p><table><thead><tr><th>validator address</th><th>public key</th><th>power</th><th>commit</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function changesTable(f: BundleFacts): string {
  if (f.validatorChanges.length === 0) return `<p>No validator-set change between the trust anchor (block ${f.trust.height}) and the blocks of the bundle: the anchor's set signed them.</p>`;
  const rows = f.validatorChanges.map((c) => `<tr><td>${c.height}</td><td>${code(c.hash)}</td><td>${code(c.from)}</td><td>${code(c.to)}</td></tr>`);
  return `<p>Each change header is certified by the set before it and commits to the next set.</p><table><thead><tr><th>block</th><th>header hash</th><th>set before</th><th>set after</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function repeatSteps(b: ProofBundle, f: BundleFacts, doc: string, bundleName: string): string {
  const d = shellQuote(doc);
  const hashCmd = f.hashAlgorithm === "sm3" ? "openssl dgst -sm3" : "sha256sum";
  const fingerprintCmd = b.document.salt ? `(printf '%s' ${b.document.salt} | xxd -r -p; cat ${d}) | ${hashCmd}` : `${hashCmd} ${d}`;
  const steps = [
    `<li>Recompute the fingerprint of the document; it must be ${code(f.fingerprint)}:${pre(fingerprintCmd)}</li>`,
    `<li>Check the whole bundle offline with the Civitas command-line tool (no network access is used; exit code 0 means valid, any other names the failed part):${pre(`civitas proof check ${shellQuote(bundleName)} ${d} --trusted-hash ${f.trust.headerHash}`)}The same check runs in a browser (the verifier is portable code). Instead of ${code("--trusted-hash")}, ${code("--genesis genesis.json")} pins the anchor to the chain's genesis document.</li>`,
    `<li>Obtain the hash of block ${f.trust.height} of chain ${code(f.chainId)} from a source you trust (an operator's node: ${code(`civitas block ${f.trust.height} --json`)}, or the chain's published genesis hash ${f.trust.genesisDocumentHash ? code(f.trust.genesisDocumentHash) : ""}) and compare it with ${code(f.trust.headerHash)}.</li>`,
  ];
  if (f.tsa) {
    const tokenName = `${safeFileName(doc)}.tsr`;
    const data = !f.salted && !f.aggregation ? `-data ${d}` : `-digest ${f.record.fingerprint}`;
    steps.push(
      `<li>Check the RFC 3161 timestamp with OpenSSL alone: save the token (${download(tokenName, "application/timestamp-reply", fromHexBytes(f.tsa.tokenHex), tokenName)}) and the TSA roots proven in the chain's state (${download("tsa-roots.pem", "application/x-pem-file", f.tsa.rootsPem, "tsa-roots.pem")}), then run:${pre(`openssl ts -verify -token_in -in ${shellQuote(tokenName)} ${data} -CAfile tsa-roots.pem`)}OpenSSL prints ${code("Verification: OK")}. The token stamps ${code(f.record.fingerprint)} (${f.aggregation ? "the Merkle root of the batch" : f.salted ? "the salted fingerprint" : "the document's hash"}) at ${e(f.tsa.genTimeIso)}; its chain: ${e(f.tsa.chain.join(" ← "))}.</li>`,
    );
  }
  return `<ol>${steps.join("")}</ol>`;
}

function fromHexBytes(h: string): Uint8Array {
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const STYLE = `body{font-family:Georgia,serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#111}h1{font-size:1.6rem}h2{font-size:1.2rem;border-bottom:1px solid #999;margin-top:2rem}table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #bbb;padding:.3rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}th[scope=row]{width:14rem;background:#f3f3f3}code,pre{font-family:Menlo,Consolas,monospace;font-size:.82rem;word-break:break-all}pre{white-space:pre-wrap;background:#f6f6f6;padding:.5rem;border:1px solid #ddd}.verdict{font-size:1.2rem;font-weight:bold;color:#064}.ok{color:#064}@media print{a{color:#000}}`;

/** The report page. Refuses a check that is not valid: a report never presents a failed proof as evidence. */
export function renderReport(input: ReportInput): string {
  const { bundle: b, check } = input;
  const f = check.facts;
  if (!check.valid || !f) throw new TypeError(`a report needs a valid bundle check (${check.failed?.reason ?? "no facts"})`);
  const doc = input.documentName ?? "document";
  const bundleName = input.bundleName ?? `${safeFileName(doc)}.bundle.json`;
  const text = bundleText(b);
  const steps = check.steps.map((s) => `<tr><td class="ok">${s.ok ? "passed" : "FAILED"}</td><td>${e(s.part)}</td><td>${e(s.detail)}</td></tr>`).join("");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${e(`Integrity proof report: ${doc}`)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${e(`Integrity proof report: ${doc}`)}</h1>
<p class="verdict">VALID: the document was registered unchanged on chain ${e(f.chainId)} in block ${f.block.height} at ${e(f.block.timeIso)}${f.tsa ? `, timestamped by ${e(f.tsa.tsa.subject)} at ${e(f.tsa.genTimeIso)}` : ""}.</p>
<p>Report made ${e(iso(input.generatedAt))} (clock of the machine that made it) from the proof bundle embedded below, verified offline with the checks listed under "Checks performed". Nothing in this report needs a Civitas server to be confirmed.</p>
<h2>Facts established</h2>
${summary(f, doc)}
<h2>Validators who certified the block</h2>
${validatorsTable(f)}
<h2>Validator-set changes followed</h2>
${changesTable(f)}
<h2>Checks performed</h2>
<table><thead><tr><th>result</th><th>part</th><th>what was established</th></tr></thead><tbody>${steps}</tbody></table>
<h2>How a third party repeats the verification</h2>
${repeatSteps(b, f, doc, bundleName)}
<h2>The proof bundle</h2>
<p>Download: ${download(bundleName, "application/json", text, bundleName)} (${text.length} bytes, type ${e(b.type)}). Any change to a byte of it makes ${code("civitas proof check")} fail. It is also embedded in this page's source as a JSON block with id ${code(REPORT_BUNDLE_ELEMENT_ID)}.</p>
<script type="application/json" id="${REPORT_BUNDLE_ELEMENT_ID}">${scriptJson(text)}</script>
</body>
</html>
`;
}

/** The bundle text embedded in a report (the inverse of the script-block escaping), or undefined. */
export function embeddedBundle(html: string): string | undefined {
  const m = new RegExp(`<script type="application/json" id="${REPORT_BUNDLE_ELEMENT_ID}">([\\s\\S]*?)</script>`).exec(html);
  if (!m) return undefined;
  return JSON.stringify(JSON.parse(m[1]), null, 2) + "\n";
}
