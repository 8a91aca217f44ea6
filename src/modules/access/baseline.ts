/**
 * The policy set every chain starts with. It keeps the behaviour the ledger had before access
 * control: any account may send any call (modules still apply their own rules, e.g. only the
 * authority mints or changes validators) and anyone may read public chain data. A network
 * tightens it by replacing or removing these policies; deny by default applies to everything
 * no policy permits (e.g. `identity.trace`, which only the `regulator` role may use).
 */
export const BASELINE_POLICIES: ReadonlyArray<{ id: string; text: string }> = [
  {
    id: "baseline-calls",
    text: `// Any account may send any transaction call; modules check their own rules.
permit (principal, action in Action::"call", resource);`,
  },
  {
    id: "baseline-public-reads",
    text: `// Public by design: node status, blocks and headers, validator sets, proofs, module
// descriptions, DID documents, issuers and status lists, and policy decisions.
permit (
  principal,
  action in [Action::"read.status", Action::"read.blocks", Action::"read.proofs", Action::"read.modules", Action::"identity.resolve", Action::"access.decide"],
  resource
);`,
  },
  {
    id: "baseline-chain-data-reads",
    text: `// Transactions, account state and history, module queries and events stay readable by
// anyone, as before access control. Remove this policy to require signed requests for them.
permit (
  principal,
  action in [Action::"read.txs", Action::"read.account", Action::"read.query", Action::"read.events"],
  resource
);`,
  },
  {
    id: "baseline-regulator",
    text: `// Regulators trace addresses to identities and read account records.
permit (
  principal in Role::"regulator",
  action in [Action::"identity.trace", Action::"identity.readAccount"],
  resource
);`,
  },
  {
    id: "baseline-provenance",
    text: `// Provenance of integrity proofs (X.1407 9.3.1 b, no anonymous reads): an account bound to
// the owner DID reads the history and list of its records; regulators and auditors read all.
// Verifying a document one holds (POST /v1/proofs/verify) needs no decision.
permit (principal, action in [Action::"proof.history", Action::"proof.list"], resource is Did)
when { principal in resource };
permit (principal, action in [Action::"proof.history", Action::"proof.list"], resource)
when { principal in Role::"regulator" || principal in Role::"auditor" };`,
  },
  {
    id: "baseline-operator",
    text: `// Node operations (docs/spec/monitoring.md, backup.md). Prometheus metrics are public like
// the node status (scrapers do not sign requests); alerts, alert rules, logs and backups are for
// the accounts the chain authority grants Role::"operator".
permit (principal, action == Action::"read.metrics", resource);
permit (principal in Role::"operator", action in [Action::"read.alerts", Action::"read.logs", Action::"admin.alerts", Action::"admin.backup"], resource);`,
  },
  {
    id: "baseline-own-account",
    text: `// An account may read its own identity record.
permit (principal is Account, action == Action::"identity.readAccount", resource is Account)
when { principal == resource };`,
  },
];
