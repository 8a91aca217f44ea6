/**
 * The operator key: a hex secret key the user pastes or loads from a file, turned into a Wallet
 * that signs operator requests (RFC 9421). It lives in this page's memory only: never stored,
 * never sent (only signatures are), gone on reload.
 */
import { useState } from "react";
import type { ReactNode } from "react";
import { Wallet } from "../../../src/sdk/wallet.js";
import type { SuiteId } from "../../../src/crypto/suite.js";

const HEX = /^(0x)?([0-9a-fA-F]{2})+$/;

export function KeyPanel({ wallet, setWallet, suite }: { wallet?: Wallet; setWallet: (w: Wallet | undefined) => void; suite?: string }): ReactNode {
  const [text, setText] = useState("");
  const [error, setError] = useState<string>();

  const use = (raw: string): void => {
    const hex = raw.trim();
    if (!HEX.test(hex)) {
      setError("A secret key is hex (for example 64 hex characters). Key files from `civitas keys new` are encrypted: export the secret key as hex first.");
      return;
    }
    try {
      setWallet(Wallet.fromSecretKey(hex.replace(/^0x/, "").toLowerCase(), (suite ?? "ed25519-sha256") as SuiteId));
      setText("");
      setError(undefined);
    } catch (e) {
      setError(`Not a usable ${suite ?? ""} secret key: ${(e as Error).message}`);
    }
  };

  if (wallet)
    return (
      <div className="keypanel" data-testid="key-panel" data-state="set">
        <p>
          Signing as <span className="mono" data-testid="key-address">{wallet.address}</span> (kept in this page's memory only).
        </p>
        <button type="button" className="secondary" onClick={() => setWallet(undefined)}>
          Forget key
        </button>
      </div>
    );
  return (
    <form
      className="keypanel"
      data-testid="key-panel"
      data-state="none"
      onSubmit={(e) => {
        e.preventDefault();
        use(text);
      }}
    >
      <label htmlFor="key-input" className="field-label">
        Operator key
      </label>
      <p className="hint" id="key-hint">
        Alerts and rule changes are signed requests. Paste the hex secret key of an account with the operator role, or load a file holding it. It stays in this page's memory.
      </p>
      <div className="row">
        <input id="key-input" type="password" autoComplete="off" spellCheck={false} value={text} onChange={(e) => setText(e.target.value)} placeholder="hex secret key" aria-describedby="key-hint key-error" aria-invalid={error ? true : undefined} />
        <button type="submit">Use key</button>
        <label className="file-button">
          Load file…
          <input
            type="file"
            data-testid="key-file"
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) void f.text().then(use);
              e.target.value = "";
            }}
          />
        </label>
      </div>
      {error && (
        <p className="field-error" id="key-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
