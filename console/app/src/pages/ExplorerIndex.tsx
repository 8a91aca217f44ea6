/**
 * The explorer's PostgreSQL-index views, shown when the node has an index configured
 * (api.indexerUrl; see indexer-api.ts): the "indexed by PostgreSQL" badge, search through the
 * index, an account's full transaction history paged back with `before`, and events searched by
 * type. Details of a block or transaction still open from the node, which proves them.
 */
import { useEffect, useState } from "react";
import type { FormEvent, ReactNode } from "react";
import { indexApi, nextPage } from "../indexer-api.js";
import type { IndexAccount, IndexEvent, IndexSearchResult, IndexState, IndexTx } from "../indexer-api.js";
import { go } from "../router.js";
import { AccountLinks, ago, Card, Empty, ErrorBox, Facts, fmtTime, Hash, json, Loading, num } from "../ui.js";

export const HISTORY_PAGE = 20;
export const EVENTS_PAGE = 20;
export const DEFAULT_EVENT_TYPE = "token.Transfer";
const EVENT_TYPE = /^[a-z][a-z0-9]{0,31}\.[A-Za-z][A-Za-z0-9]{0,63}$/;

/** Where the explorer's data comes from: the index (with its height) or the node alone, and why. */
export function IndexBadge({ index }: { index: IndexState }): ReactNode {
  if (index.kind === "probing" || index.kind === "none") return null;
  if (index.kind === "down")
    return (
      <p className="index-bar" data-testid="index-badge" data-state="down" role="status">
        <span className="badge badge-warning">PostgreSQL index unavailable</span> Showing this node's data only; search, account histories and events need the index. ({index.error.code}: {index.error.message})
      </p>
    );
  const s = index.status;
  const behind = s.height === null ? 0 : Math.max(0, s.nodeHeight - s.height);
  return (
    <p className="index-bar" data-testid="index-badge" data-state="ok" data-height={s.height ?? -1}>
      <span className="badge badge-info">Indexed by PostgreSQL, up to height {s.height === null ? "— (empty)" : num(s.height)}</span>{" "}
      <span className="hint">
        {num(s.transactions)} transactions, {num(s.events)} events, {num(s.accounts)} accounts{behind > 0 ? ` · ${num(behind)} block(s) behind this node` : ""} ·{" "}
        <a href="#/explorer/events" data-testid="events-link">
          events by type
        </a>
      </span>
    </p>
  );
}

/** A search through the index: a transaction or block is shown here, an account opens its page. */
export function IndexSearch({ q }: { q: string }): ReactNode {
  const [state, setState] = useState<{ q: string; result?: IndexSearchResult; error?: unknown }>();
  useEffect(() => {
    let live = true;
    indexApi<IndexSearchResult>(`/search?q=${encodeURIComponent(q)}`).then(
      (result) => {
        if (!live) return;
        // Replaced, not pushed: "back" from the account page returns to where the search was made.
        if (result.kind === "account") location.replace(`#/explorer/account/${result.account.address}`);
        else setState({ q, result });
      },
      (error: unknown) => live && setState({ q, error }),
    );
    return () => {
      live = false;
    };
  }, [q]);
  if (!state || state.q !== q) return <Loading what={`“${q.length > 20 ? q.slice(0, 16) + "…" : q}” in the index`} />;
  if (state.error !== undefined || !state.result) return <ErrorBox title="Search in the index" error={state.error} />;
  const r = state.result;
  if (r.kind === "tx") return <TxFound tx={r.tx} />;
  if (r.kind === "block")
    return (
      <Card title={`Block ${num(r.block.height)} (from the index)`} wide testid="index-result">
        <Facts
          rows={[
            ["Hash", <Hash value={r.block.hash} />, "index-block-hash"],
            ["Time", `${fmtTime(r.block.time)} (${ago(r.block.time)})`],
            ["Transactions", String(r.block.txCount)],
          ]}
        />
        {r.block.txs && r.block.txs.length > 0 && (
          <ol className="txlist">
            {r.block.txs.map((t) => (
              <li key={t.hash}>
                <a className="mono" href={`#/explorer/tx/${t.hash}`}>
                  {t.hash}
                </a>{" "}
                <span className="hint">{t.status}</span>
              </li>
            ))}
          </ol>
        )}
        <p>
          <a href={`#/explorer/block/${r.block.height}`}>Open block {num(r.block.height)} with its header and certificate (from the node) →</a>
        </p>
      </Card>
    );
  const hex = /^(0x)?[0-9a-fA-F]{64}$/.test(q);
  return (
    <div className="notice" data-testid="not-found" data-source="index">
      <p>
        <strong>Nothing found in the index</strong> for <span className="mono hash-full">{q}</span>.
      </p>
      <p className="hint">
        The index holds committed blocks only, up to its height.{" "}
        {hex && (
          <a href={`#/explorer/search/${q.replace(/^0x/, "").toLowerCase()}`} data-testid="search-node">
            Ask the node (pending transactions too) →
          </a>
        )}
      </p>
    </div>
  );
}

function TxFound({ tx }: { tx: IndexTx }): ReactNode {
  return (
    <Card title="Transaction (from the index)" wide testid="index-result">
      <Facts
        rows={[
          ["Hash", <Hash value={tx.hash} />, "index-tx-hash"],
          ["Block", <a href={`#/explorer/block/${tx.height}`}>{`${num(tx.height)} (position ${tx.index})`}</a>, "index-tx-height"],
          ["Result", tx.status === "ok" ? <span className="ok">ok</span> : <span className="bad">{`${tx.status}: ${tx.code ?? ""} ${tx.message}`}</span>, "index-tx-status"],
          ["From", <a className="mono" href={`#/explorer/account/${tx.from}`}>{tx.from}</a>],
          ...(tx.memo ? ([["Memo", tx.memo, "index-tx-memo"]] as Array<[string, ReactNode, string]>) : []),
          ["Events", (tx.events ?? []).map((e) => `${e.module}.${e.type}`).join(", ") || "none"],
          ...(tx.time !== undefined ? ([["Block time", fmtTime(tx.time)]] as Array<[string, ReactNode]>) : []),
        ]}
      />
      <p>
        <a href={`#/explorer/tx/${tx.hash}`} data-testid="open-tx">
          Open with its receipt and the inclusion proof checked in this browser (from the node) →
        </a>
      </p>
    </Card>
  );
}

interface Paged<T> {
  rows?: T[];
  more: boolean;
  busy: boolean;
  error?: unknown;
  loadMore: () => void;
}

/** A list loaded by pages: `first` when `id` changes, then `following(rows shown)` on demand. */
function usePaged<T>(id: string, page: number, first: () => Promise<T[]>, following: (shown: T[]) => Promise<{ rows: T[]; more: boolean }>): Paged<T> {
  const [s, setS] = useState<{ id: string; rows?: T[]; more: boolean; busy: boolean; error?: unknown }>({ id, more: false, busy: true });
  useEffect(() => {
    let live = true;
    setS({ id, more: false, busy: true });
    first().then(
      (rows) => live && setS({ id, rows, more: rows.length === page, busy: false }),
      (error: unknown) => live && setS({ id, more: false, busy: false, error }),
    );
    return () => {
      live = false;
    };
    // `first` is a new closure each render; what it loads is named by `id`.
  }, [id]);
  const cur = s.id === id ? s : { id, more: false, busy: true };
  const loadMore = (): void => {
    const shown = cur.rows;
    if (!shown || cur.busy) return;
    setS({ ...cur, busy: true, error: undefined });
    following(shown).then(
      (r) => setS((c) => (c.id === id ? { ...c, rows: [...shown, ...r.rows], more: r.more, busy: false } : c)),
      (error: unknown) => setS((c) => (c.id === id ? { ...c, busy: false, error } : c)),
    );
  };
  return { ...cur, loadMore };
}

const txKey = (t: IndexTx): string => t.hash;
const eventKey = (e: IndexEvent): string => `${e.height}/${e.txIndex}/${e.eventIndex}`;

/** The account as the index knows it and its whole history, newest first, paged back with “Older”. */
export function IndexAccountHistory({ address }: { address: string }): ReactNode {
  const [acct, setAcct] = useState<{ address: string; data?: IndexAccount; error?: unknown }>();
  useEffect(() => {
    let live = true;
    indexApi<IndexAccount>(`/accounts/${address}`).then(
      (data) => live && setAcct({ address, data }),
      (error: unknown) => live && setAcct({ address, error }),
    );
    return () => {
      live = false;
    };
  }, [address]);
  const path = (q: string): Promise<IndexTx[]> => indexApi<{ txs: IndexTx[] }>(`/accounts/${address}/txs?${q}`).then((r) => r.txs);
  const list = usePaged<IndexTx>(
    address,
    HISTORY_PAGE,
    () => path(`limit=${HISTORY_PAGE}`),
    (shown) => {
      const last = shown[shown.length - 1];
      return nextPage((before, limit) => path(`limit=${limit}&before=${before}`), {
        inclusive: last.height + 1,
        exclusive: last.height,
        sameBlock: shown.filter((t) => t.height === last.height).length,
        seen: new Set(shown.map(txKey)),
        key: txKey,
        page: HISTORY_PAGE,
      });
    },
  );
  const a = acct?.address === address ? acct : undefined;
  const notIndexed = a?.error !== undefined && (a.error as { code?: string }).code === "ACCOUNT_NOT_FOUND";
  return (
    <Card title="Full history (from the PostgreSQL index)" wide testid="index-history">
      {a?.data && (
        <p className="hint" data-testid="index-account-summary">
          {num(a.data.txCount)} transaction(s) from block {num(a.data.firstSeenHeight)} to {num(a.data.lastSeenHeight)}
          {a.data.balance !== null && a.data.balanceHeight !== null ? ` · balance ${a.data.balance} as of block ${num(a.data.balanceHeight)}` : ""}
        </p>
      )}
      {a?.error !== undefined && !notIndexed && <ErrorBox title="The account in the index" error={a.error} />}
      {!list.rows ? (
        list.error !== undefined ? <ErrorBox title="History from the index" error={list.error} /> : <Loading what="the history from the index" />
      ) : list.rows.length === 0 ? (
        <Empty>No indexed transaction sent by or concerning this account{notIndexed ? " (the index has not seen it yet)" : ""}.</Empty>
      ) : (
        <>
          <div className="table-wrap">
            <table data-testid="index-account-txs" data-rows={list.rows.length}>
              <thead>
                <tr>
                  <th>Transaction</th>
                  <th>Block</th>
                  <th>Direction</th>
                  <th>Result</th>
                  <th>Memo</th>
                  <th>Time</th>
                </tr>
              </thead>
              <tbody>
                {list.rows.map((t) => (
                  <tr key={t.hash} data-tx={t.hash}>
                    <td>
                      <Hash value={t.hash} to={`#/explorer/tx/${t.hash}`} />
                    </td>
                    <td>
                      <a href={`#/explorer/block/${t.height}`}>{num(t.height)}</a>
                    </td>
                    <td>{t.from === address ? "sent" : "received / named"}</td>
                    <td>{t.status === "ok" ? <span className="ok">ok</span> : <span className="bad">{t.code ?? t.status}</span>}</td>
                    <td>{t.memo}</td>
                    <td title={t.time !== undefined ? fmtTime(t.time) : undefined}>{t.time !== undefined ? ago(t.time) : ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager list={list} what="older transactions" label="Older" testid="history-older" end="This is the account's first transaction." />
        </>
      )}
    </Card>
  );
}

function Pager<T>({ list, what, label, testid, end }: { list: Paged<T>; what: string; label: string; testid: string; end: string }): ReactNode {
  return (
    <div className="row actions">
      {list.more ? (
        <button type="button" className="secondary" data-testid={testid} onClick={list.loadMore} disabled={list.busy}>
          {list.busy ? `Loading ${what}…` : label}
        </button>
      ) : (
        <span className="hint" data-testid={`${testid}-end`}>
          {end}
        </span>
      )}
      {list.rows && list.rows.length > 0 && list.error !== undefined && <ErrorBox title={`Loading ${what}`} error={list.error} />}
    </div>
  );
}

/** Events searched by type (module.Type) through the index, oldest first from a height. */
export function IndexEvents({ index, type, from }: { index: IndexState; type?: string; from?: string }): ReactNode {
  const [t, setT] = useState(type ?? DEFAULT_EVENT_TYPE);
  const [h, setH] = useState(from ?? "");
  const [error, setError] = useState<string>();
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const ty = t.trim();
    const fh = h.trim();
    if (!EVENT_TYPE.test(ty)) return setError("An event type is module.Type, for example token.Transfer or access.RoleGranted.");
    if (fh !== "" && !/^[0-9]{1,15}$/.test(fh)) return setError("From height is a block height (a number), or empty for the first block.");
    setError(undefined);
    go(`explorer/events/${ty}${fh ? `/${fh}` : ""}`);
  };
  let body: ReactNode;
  if (index.kind === "probing") body = <Loading what="whether this node has an index" />;
  else if (index.kind === "none")
    body = (
      <div className="notice" data-testid="index-none">
        <p>
          <strong>Searching events by type needs a PostgreSQL index</strong>, and this node has none configured.
        </p>
        <p className="hint">Run `civitas indexer --pg postgres://… --node &lt;this node&gt; --serve 8090`, set "api.indexerUrl": "http://127.0.0.1:8090" in this node's node.json and restart it (docs/spec/indexer.md).</p>
      </div>
    );
  else if (index.kind === "down") body = <ErrorBox title="The PostgreSQL index" error={index.error} />;
  else if (type) body = <EventList key={`${type}/${from ?? ""}`} type={type} from={from} />;
  else body = <Empty>Choose an event type and search.</Empty>;
  return (
    <>
      <h1>Events by type</h1>
      <form className="filters row" onSubmit={submit} data-testid="events-form">
        <label className="grow">
          <span className="field-label">Type</span>
          <input type="text" data-testid="events-type" value={t} onChange={(e) => setT(e.target.value)} placeholder={DEFAULT_EVENT_TYPE} spellCheck={false} autoComplete="off" />
        </label>
        <label className="grow">
          <span className="field-label">From height</span>
          <input type="text" inputMode="numeric" data-testid="events-from" value={h} onChange={(e) => setH(e.target.value)} placeholder="0" autoComplete="off" />
        </label>
        <button type="submit">Search events</button>
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
      </form>
      {body}
    </>
  );
}

function EventList({ type, from }: { type: string; from?: string }): ReactNode {
  const path = (fromHeight: number | undefined, limit: number): Promise<IndexEvent[]> =>
    indexApi<{ events: IndexEvent[] }>(`/events?type=${encodeURIComponent(type)}&limit=${limit}${fromHeight !== undefined ? `&fromHeight=${fromHeight}` : ""}`).then((r) => r.events);
  const list = usePaged<IndexEvent>(
    `${type}/${from ?? ""}`,
    EVENTS_PAGE,
    () => path(from ? Number(from) : undefined, EVENTS_PAGE),
    (shown) => {
      const last = shown[shown.length - 1];
      return nextPage((fh, limit) => path(fh, limit), {
        inclusive: last.height,
        exclusive: last.height + 1,
        sameBlock: shown.filter((e) => e.height === last.height).length,
        seen: new Set(shown.map(eventKey)),
        key: eventKey,
        page: EVENTS_PAGE,
      });
    },
  );
  return (
    <Card title={`${type} events${from ? ` from block ${num(Number(from))}` : ""}, oldest first`} wide testid="index-events">
      {!list.rows ? (
        list.error !== undefined ? <ErrorBox title={`${type} events`} error={list.error} /> : <Loading what={`${type} events from the index`} />
      ) : list.rows.length === 0 ? (
        <Empty>No {type} event in the index{from ? ` from block ${from} on` : ""}. Check the spelling: module and type are case-sensitive (token.Transfer).</Empty>
      ) : (
        <>
          <div className="table-wrap">
            <table data-testid="index-events-table" data-rows={list.rows.length}>
              <thead>
                <tr>
                  <th>Block</th>
                  <th>Transaction</th>
                  <th>Accounts</th>
                  <th>Attributes</th>
                </tr>
              </thead>
              <tbody>
                {list.rows.map((e) => (
                  <tr key={eventKey(e)} data-tx={e.txHash}>
                    <td>
                      <a href={`#/explorer/block/${e.height}`}>{num(e.height)}</a>
                    </td>
                    <td>
                      <Hash value={e.txHash} to={`#/explorer/tx/${e.txHash}`} />
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
          <Pager list={list} what="more events" label="More" testid="events-more" end="No more events of this type in the index." />
        </>
      )}
    </Card>
  );
}
