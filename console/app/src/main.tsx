/** The Civitas web console: one page at /console, pages chosen by the URL's hash. */
import { StrictMode, useEffect, useState } from "react";
import type { ReactNode } from "react";
import { createRoot } from "react-dom/client";
import type { Wallet } from "../../../src/sdk/wallet.js";
import { useLive } from "./live.js";
import { useRoute } from "./router.js";
import { ErrorBox } from "./ui.js";
import { Overview } from "./pages/Overview.js";
import { Charts } from "./pages/Charts.js";
import { Explorer } from "./pages/Explorer.js";
import { Alerts } from "./pages/Alerts.js";
import { Logs } from "./pages/Logs.js";
import { Networks, probeManage } from "./pages/Networks.js";
import { NetworkDetail } from "./pages/NetworkDetail.js";
import "./style.css";

const NAV: Array<[string, string]> = [
  ["", "Overview"],
  ["charts", "Live charts"],
  ["explorer", "Explorer"],
  ["alerts", "Alerts"],
  ["logs", "Logs"],
];

/** Served by `civitas console` (no node behind it): only the Networks page of this machine. */
function ManageApp(): ReactNode {
  const route = useRoute();
  const body = route[0] === "networks" && route[1] ? <NetworkDetail key={route[1]} name={route[1]} /> : <Networks />;
  return (
    <>
      <header className="top">
        <a className="brand" href="#/networks">
          Civitas <span className="brand-sub">console</span>
        </a>
        <nav aria-label="Pages">
          <a href="#/networks" aria-current="page">
            Networks
          </a>
          <a href="/console/verify">Verify a proof</a>
        </nav>
        <p className="top-status" data-testid="top-status" data-state="manage">
          ● managing the networks of this machine
        </p>
      </header>
      <main id="main">{body}</main>
      <footer className="foot">
        <p>Served by `civitas console` on this machine: it starts and stops local node processes. See docs/spec/console.md.</p>
      </footer>
    </>
  );
}

function Root(): ReactNode {
  // undefined while probing: neither app polls until the answer is in.
  const [managed, setManaged] = useState<boolean>();
  useEffect(() => {
    void probeManage().then(setManaged);
  }, []);
  if (managed === undefined) return null;
  return managed ? <ManageApp /> : <App />;
}

function App(): ReactNode {
  const route = useRoute();
  const live = useLive();
  // The operator key is held here, above the pages, so it survives page changes but not a reload.
  const [wallet, setWallet] = useState<Wallet>();
  const page = route[0] ?? "";
  let body: ReactNode;
  if (page === "charts") body = <Charts live={live} />;
  else if (page === "explorer") body = <Explorer route={route.slice(1)} live={live} />;
  else if (page === "alerts") body = <Alerts wallet={wallet} setWallet={setWallet} suite={live.status?.chain.cryptoSuite} />;
  else if (page === "logs") body = <Logs wallet={wallet} setWallet={setWallet} suite={live.status?.chain.cryptoSuite} />;
  else if (page === "") body = <Overview live={live} />;
  else body = <ErrorBox title="No such page" error={new Error(`#/${route.join("/")} is not a page of the console; use the menu above`)} />;
  const s = live.status;
  return (
    <>
      <header className="top">
        <a className="brand" href="#/">
          Civitas <span className="brand-sub">console</span>
        </a>
        <nav aria-label="Pages">
          {NAV.map(([p, label]) => (
            <a key={p} href={`#/${p}`} aria-current={page === p ? "page" : undefined}>
              {label}
            </a>
          ))}
          <a href="/console/verify">Verify a proof</a>
        </nav>
        <p className="top-status" data-testid="top-status" data-state={live.error ? "down" : s ? "up" : "loading"}>
          {live.error ? "● node unreachable" : s ? `● ${s.node.moniker} · ${s.chain.chainId} · height ${s.head.height}` : "connecting…"}
        </p>
      </header>
      <main id="main">{body}</main>
      <footer className="foot">
        <p>
          Served by this node at /console; it reads this node's API only. See docs/spec/console.md.{s && ` Software ${s.node.version}.`}
        </p>
      </footer>
    </>
  );
}

const root = document.getElementById("root");
if (root)
  createRoot(root).render(
    <StrictMode>
      <Root />
    </StrictMode>,
  );
