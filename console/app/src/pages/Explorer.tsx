/**
 * Explorer: the latest blocks (live over the block WebSocket), block, transaction and account
 * views, and search by height, hash or address. A transaction's inclusion proof is checked in
 * the browser with the SDK, so the page does not just repeat what the node claims.
 * When the node has a PostgreSQL index (api.indexerUrl), search goes through the index and
 * account histories and events by type come from it (ExplorerIndex.tsx); without one, or while
 * it is down, the explorer reads the node alone and says so.
 */
import { useEffect, useState } from "react";
import type { FormEvent, ReactNode } from "react";
import { verifyTxInclusion } from "../../../../src/sdk/proofs.js";
import type { SuiteId } from "../../../../src/crypto/suite.js";
import { api, ApiFailure } from "../api.js";
import type { AccountJson, AccountTxs, BlockJson, Header, TxJson } from "../api.js";
import { useIndex } from "../indexer-api.js";
import type { Live } from "../live.js";
import { go } from "../router.js";
import { AccountLinks, ago, Card, Empty, ErrorBox, Facts, fmtTime, Hash, json, Loading, num } from "../ui.js";
import type { Row } from "../ui.js";
import { IndexAccountHistory, IndexBadge, IndexEvents, IndexSearch } from "./ExplorerIndex.js";

const LATEST = 20;
const HEX64 = /^(0x)?[0-9a-fA-F]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** Loads `path` whenever it changes; `undefined` path = nothing to load. */
function useApi<T>(path: string | undefined): { data?: T; error?: unknown; loading: boolean } {
  const [state, setState] = useState<{ path?: string; data?: T; error?: unknown }>({});
  useEffect(() => {
    if (!path) return;
    let live = true;
    api<T>(path).then(
      (data) => live && setState({ path, data }),
      (error: unknown) => live && setState({ path, error }),
    );
    return () => {
      live = false;
    };
  }, [path]);
  const current = state.path === path;
  return { data: current ? state.data : undefined, error: current ? state.error : undefined, loading: !!path && !current };
}

/** The newest LATEST headers: loaded once, then pushed by WS /v1/events; refetched on height change while the socket is down. */
function useLatestBlocks(head: number | undefined): { blocks?: Header[]; error?: unknown; mode: "ws" | "polling" } {
  const [blocks, setBlocks] = useState<Header[]>();
  const [error, setError] = useState<unknown>();
  const [mode, setMode] = useState<"ws" | "polling">("polling");

  useEffect(() => {
    let closed = false;
    let socket: WebSocket | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const connect = (): void => {
      socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/v1/events?blocks=true`);
      socket.onopen = () => setMode("ws");
      socket.onmessage = (m) => {
        const msg = JSON.parse(String(m.data)) as { kind: string; header?: Header };
        if (msg.kind !== "block" || !msg.header) return;
        const h = msg.header;
        setBlocks((b) => [h, ...(b ?? []).filter((x) => x.height !== h.height)].slice(0, LATEST));
      };
      socket.onclose = () => {
        setMode("polling");
        if (!closed) retry = setTimeout(connect, 3_000);
      };
    };
    connect();
    return () => {
      closed = true;
      if (retry !== undefined) clearTimeout(retry);
      socket?.close();
    };
  }, []);

  // First load, and catching up whenever the socket is not delivering.
  const needFetch = head !== undefined && (blocks === undefined || (mode === "polling" && blocks[0]?.height !== head));
  useEffect(() => {
    if (!needFetch || head === undefined) return;
    const from = Math.max(0, head - LATEST + 1);
    api<{ headers: Array<{ header: Header }> }>(`/v1/headers?from=${from}&count=${LATEST}`).then(
      (r) => {
        setError(undefined);
        setBlocks((b) => {
          const byHeight = new Map<number, Header>();
          for (const h of [...r.headers.map((x) => x.header), ...(b ?? [])]) byHeight.set(h.height, h);
          return [...byHeight.values()].sort((a, z) => z.height - a.height).slice(0, LATEST);
        });
      },
      (e: unknown) => setError(e),
    );
  }, [needFetch, head]);
  return { blocks, error, mode };
}

function Search({ initial, indexed }: { initial?: string; indexed: boolean }): ReactNode {
  const [q, setQ] = useState(initial ?? "");
  const [error, setError] = useState<string>();
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const v = q.trim();
    const valid = /^[0-9]{1,15}$/.test(v) || ADDRESS.test(v) || HEX64.test(v);
    if (indexed && valid) go(`explorer/find/${v.toLowerCase()}`);
    else if (/^[0-9]{1,15}$/.test(v)) go(`explorer/block/${v}`);
    else if (ADDRESS.test(v)) go(`explorer/account/${v.toLowerCase()}`);
    else if (HEX64.test(v)) go(`explorer/search/${v.replace(/^0x/, "").toLowerCase()}`);
    else return setError("Search by block height (a number), transaction or block hash (64 hex characters) or account address (0x + 40 hex characters).");
    setError(undefined);
  };
  return (
    <form className="search" role="search" onSubmit={submit}>
      <label htmlFor="search-input" className="sr-only">
        Search
      </label>
      <input id="search-input" data-testid="search-input" type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder={indexed ? "Search the index: height, transaction or block hash, or address" : "Height, transaction or block hash, or address"} spellCheck={false} autoComplete="off" aria-describedby="search-error" />
      <button type="submit">Search</button>
      {error && (
        <p className="field-error" id="search-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

function LatestBlocks({ live }: { live: Live }): ReactNode {
  const { blocks, error, mode } = useLatestBlocks(live.status?.head.height);
  return (
    <Card title="Latest blocks" wide testid="latest-blocks">
      <p className="hint" data-testid="blocks-mode" data-mode={mode}>
        {mode === "ws" ? "Live: new blocks arrive over the node's WebSocket." : "Following the head by polling (the live socket is reconnecting)."}
      </p>
      {error !== undefined && <ErrorBox title="Cannot read the latest blocks" error={error} />}
      {!blocks ? (
        error === undefined && <Loading what="the latest blocks" />
      ) : blocks.length === 0 ? (
        <Empty>No blocks yet.</Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Height</th>
                <th>Hash</th>
                <th>Transactions</th>
                <th>Time</th>
              </tr>
            </thead>
            <tbody>
              {blocks.map((h) => (
                <tr key={h.height} data-height={h.height}>
                  <td>
                    <a href={`#/explorer/block/${h.height}`}>{num(h.height)}</a>
                  </td>
                  <td>
                    <Hash value={h.hash} to={`#/explorer/block/${h.hash}`} />
                  </td>
                  <td>{h.txCount}</td>
                  <td title={fmtTime(h.time)}>{ago(h.time)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {blocks && blocks.length > 0 && blocks.every((b) => b.txCount === 0) && <Empty>No transactions in the latest blocks. Send one with `civitas tx transfer` or the SDK.</Empty>}
    </Card>
  );
}

function BlockView({ id }: { id: string }): ReactNode {
  const { data: b, error, loading } = useApi<BlockJson>(`/v1/blocks/${encodeURIComponent(id)}`);
  if (loading) return <Loading what={`block ${id}`} />;
  if (error !== undefined || !b) return <ErrorBox title={`Block ${id}`} error={error} />;
  const h = b.header;
  return (
    <>
      <h1 data-testid="block-title">Block {num(h.height)}</h1>
      <p className="pager">
        {h.height > 0 && <a href={`#/explorer/block/${h.height - 1}`}>← block {h.height - 1}</a>} <a href={`#/explorer/block/${h.height + 1}`}>block {h.height + 1} →</a>
      </p>
      <Card title="Header" wide>
        <Facts
          rows={[
            ["Hash", <Hash value={b.hash} />, "block-hash"],
            ["Time", `${fmtTime(h.time)} (${ago(h.time)})`],
            ["Transactions", String(h.txCount), "block-txcount"],
            ["Proposer", <a className="mono" href={`#/explorer/account/${h.proposer}`}>{h.proposer}</a>],
            ["Previous block", h.height > 0 ? <Hash value={h.prevHash} to={`#/explorer/block/${h.prevHash}`} /> : "— (genesis)"],
            ["State root", <Hash value={h.stateRoot} />],
            ["Transaction root", <Hash value={h.txRoot} />],
            ["Receipt root", <Hash value={h.receiptRoot} />],
            ["Certificate", `round ${b.commit.round}, ${b.commit.signatures.length} validator signature(s)`],
          ]}
        />
      </Card>
      <Card title={`Transactions (${b.txs.length})`} wide>
        {b.txs.length === 0 ? (
          <Empty>This block holds no transactions.</Empty>
        ) : (
          <ol className="txlist" data-testid="block-txs">
            {b.txs.map((t) => (
              <li key={t}>
                <a className="mono" href={`#/explorer/tx/${t}`}>
                  {t}
                </a>
              </li>
            ))}
          </ol>
        )}
      </Card>
    </>
  );
}

function TxView({ hash, suite }: { hash: string; suite?: string }): ReactNode {
  const [tick, setTick] = useState(0);
  const { data: t, error, loading } = useApi<TxJson>(`/v1/txs/${hash}${tick ? `?waitMs=5000&r=${tick}` : ""}`);
  // A pending transaction: ask again (waiting on the node for up to 5 s) until it commits.
  useEffect(() => {
    if (t?.status === "pending") setTick((n) => n + 1);
  }, [t]);
  if (loading && !t) return <Loading what={`transaction ${hash.slice(0, 12)}…`} />;
  if (error !== undefined || !t) return <ErrorBox title="Transaction" error={error} />;
  const r = t.receipt;
  const verified = t.proof && t.header ? verifyTxInclusion({ proof: t.proof, header: t.header as unknown as Record<string, unknown> }, t.raw, (suite ?? "ed25519-sha256") as SuiteId) : undefined;
  return (
    <>
      <h1>Transaction</h1>
      <Card title="Summary" wide testid="tx-summary">
        <Facts
          rows={[
            ["Hash", <Hash value={t.hash} />, "tx-hash"],
            ["Status", t.status === "committed" ? `committed in block ${t.height} (position ${t.index})` : "pending in the mempool", "tx-status"],
            ...(t.height !== undefined ? ([["Block", <a href={`#/explorer/block/${t.height}`}>{num(t.height)}</a>]] as Row[]) : []),
            ...(t.header ? ([["Block time", fmtTime(t.header.time)]] as Row[]) : []),
            ["From", <a className="mono" href={`#/explorer/account/${t.tx.from}`}>{t.tx.from}</a>, "tx-from"],
            ["Nonce", String(t.tx.nonce)],
            ["Gas limit", num(t.tx.gasLimit)],
            ...(t.tx.memo ? ([["Memo", t.tx.memo]] as Row[]) : []),
            ...(verified !== undefined
              ? ([["Inclusion proof", verified ? <span className="ok">✓ verified in this browser against the block's txRoot and header hash</span> : <span className="bad">✗ does not verify</span>, "tx-proof"]] as Row[])
              : []),
          ]}
        />
      </Card>
      <Card title={`Calls (${t.tx.calls.length})`} wide>
        {t.tx.calls.map((c, i) => (
          <div key={i} className="call">
            <p>
              <strong className="mono">
                {c.module}.{c.method}
              </strong>
            </p>
            <pre>{json(c.args)}</pre>
          </div>
        ))}
      </Card>
      <Card title="Receipt" wide testid="receipt">
        {!r ? (
          <Empty>No receipt yet: the transaction is waiting to be committed.</Empty>
        ) : (
          <>
            <Facts
              rows={[
                ["Result", r.status === "ok" ? <span className="ok">ok</span> : <span className="bad">{`${r.status}: ${r.code} ${r.message}`}</span>, "receipt-status"],
                ["Gas used", num(r.gasUsed), "receipt-gas"],
              ]}
            />
            <h3>Events ({r.events.length})</h3>
            {r.events.length === 0 ? (
              <Empty>This transaction emitted no events.</Empty>
            ) : (
              <div className="table-wrap">
                <table data-testid="tx-events">
                  <thead>
                    <tr>
                      <th>Event</th>
                      <th>Accounts</th>
                      <th>Attributes</th>
                    </tr>
                  </thead>
                  <tbody>
                    {r.events.map((e, i) => (
                      <tr key={i}>
                        <td className="mono">
                          {e.module}.{e.type}
                        </td>
                        <td>
                          <AccountLinks accounts={e.accounts} />
                        </td>
                        <td>
                          <pre>{json(e.attrs)}</pre>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </>
        )}
      </Card>
    </>
  );
}

function AccountView({ address, indexed }: { address: string; indexed: boolean }): ReactNode {
  const a = useApi<AccountJson>(`/v1/accounts/${address}?limit=0`);
  // With an index the full history comes from it; the node's latest transactions are not asked for.
  const txs = useApi<AccountTxs>(indexed ? undefined : `/v1/accounts/${address}/txs?limit=25`);
  if (a.loading) return <Loading what="the account" />;
  if (a.error !== undefined || !a.data) return <ErrorBox title={`Account ${address}`} error={a.error} />;
  return (
    <>
      <h1>Account</h1>
      <Card title="State" wide testid="account">
        <Facts
          rows={[
            ["Address", <span className="mono hash-full">{a.data.address}</span>, "account-address"],
            ["Balance", a.data.balance === null || a.data.balance === undefined ? "0 (no balance entry)" : String(a.data.balance), "account-balance"],
            ["Nonce", String(a.data.nonce), "account-nonce"],
            ["As of block", num(a.data.height)],
          ]}
        />
      </Card>
      {indexed ? (
        <IndexAccountHistory address={address} />
      ) : (
        <Card title="Transactions" wide>
          {txs.loading ? (
            <Loading what="transactions" />
          ) : txs.error !== undefined || !txs.data ? (
            <ErrorBox title="Transactions of the account" error={txs.error} />
          ) : txs.data.txs.length === 0 ? (
            <Empty>No transaction sent by or concerning this account yet.</Empty>
          ) : (
            <div className="table-wrap">
              <table data-testid="account-txs">
                <thead>
                  <tr>
                    <th>Transaction</th>
                    <th>Block</th>
                    <th>Result</th>
                  </tr>
                </thead>
                <tbody>
                  {txs.data.txs.map((t) => (
                    <tr key={t.hash}>
                      <td>
                        <Hash value={t.hash} to={`#/explorer/tx/${t.hash}`} />
                      </td>
                      <td>
                        <a href={`#/explorer/block/${t.height}`}>{num(t.height)}</a>
                      </td>
                      <td>{t.receipt ? t.receipt.status : "—"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Card>
      )}
    </>
  );
}

/** A 64-hex search: a transaction hash first, then a block hash. */
function HashSearch({ hash }: { hash: string }): ReactNode {
  const [state, setState] = useState<{ hash: string; error?: unknown; notFound?: boolean }>();
  useEffect(() => {
    let live = true;
    (async () => {
      try {
        await api(`/v1/txs/${hash}`);
        if (live) go(`explorer/tx/${hash}`);
        return;
      } catch (e) {
        if (!(e instanceof ApiFailure && e.code === "TX_NOT_FOUND")) return live && setState({ hash, error: e });
      }
      try {
        await api(`/v1/blocks/${hash}`);
        if (live) go(`explorer/block/${hash}`);
      } catch (e) {
        if (live) setState(e instanceof ApiFailure && e.code === "BLOCK_NOT_FOUND" ? { hash, notFound: true } : { hash, error: e });
      }
    })();
    return () => {
      live = false;
    };
  }, [hash]);
  if (!state || state.hash !== hash) return <Loading what={`${hash.slice(0, 12)}…`} />;
  if (state.notFound)
    return (
      <div className="notice" data-testid="not-found">
        <p>
          <strong>Nothing found</strong> for <span className="mono hash-full">{hash}</span>: no transaction (pending or committed) and no block has this hash on this node.
        </p>
      </div>
    );
  return <ErrorBox title="Search" error={state.error} />;
}

/** A search link made while the index answered, opened when it does not: the node's own views. */
function NodeFind({ q }: { q: string }): ReactNode {
  if (/^[0-9]{1,15}$/.test(q)) return <BlockView id={q} />;
  if (ADDRESS.test(q)) return <AccountView address={q} indexed={false} />;
  if (HEX64.test(q)) return <HashSearch hash={q.replace(/^0x/, "")} />;
  return <ErrorBox title="Search" error={new Error(`“${q}” is not a height, hash or address`)} />;
}

export function Explorer({ route, live }: { route: string[]; live: Live }): ReactNode {
  const [kind, id] = route;
  const index = useIndex();
  const indexed = index.kind === "ok";
  let body: ReactNode;
  if (kind === "block" && id) body = <BlockView id={id} />;
  else if (kind === "tx" && id) body = <TxView hash={id} suite={live.status?.chain.cryptoSuite} />;
  else if (kind === "account" && id) body = index.kind === "probing" ? <Loading what="the account" /> : <AccountView address={id} indexed={indexed} />;
  else if (kind === "search" && id) body = <HashSearch hash={id} />;
  else if (kind === "find" && id) body = index.kind === "probing" ? <Loading what="the index" /> : indexed ? <IndexSearch q={id} /> : <NodeFind q={id} />;
  else if (kind === "events") body = <IndexEvents key={`${id ?? ""}/${route[2] ?? ""}`} index={index} type={id} from={route[2]} />;
  else
    body = (
      <>
        <h1>Explorer</h1>
        <LatestBlocks live={live} />
      </>
    );
  return (
    <>
      <IndexBadge index={index} />
      <Search key={id ?? ""} initial={kind === "search" || kind === "find" ? id : undefined} indexed={indexed} />
      {body}
    </>
  );
}
