"""Pull: the chart of accounts first, then transactions incrementally from a stored cursor.

Accounts (QBO `Account` query with paging; Xero `GET Accounts`, API_NOTES.md): each remote
account is kept in `remote_objects`. Remote accounts with no mapping are matched to our unmapped
accounts with `formats.plan.propose_mappings` (number with a compatible type, then name; never
across incompatible kinds: `core.account_matching`): exact ones are confirmed on their own unless
the company's setting says otherwise (`store.AUTO_CONFIRM_EXACT`), the others stored as
**proposed** mappings for the user to confirm, with what differs; remote accounts that match
none of ours are added to our chart (source QBO/Xero) with a confirmed mapping, since there is
nothing of ours they could overwrite. An existing account or mapping is never changed by a pull.

Transactions, per entity, with a cursor per company, provider and entity (`sync_cursors`):
- QBO: Change Data Capture, one `GET /cdc?entities=A,B,…&changedSince=T` for every entity
  (inclusive; at most 1,000 objects per answer across its entities, oldest first: when full,
  the next call starts at the newest `LastUpdatedTime` seen; the next call is sent while this
  answer is committed, see `changes` for why CDC cannot do more); on the first sync or when the
  cursor is past CDC's 30-day window, a full query with paging (`full:<time>|<startposition>`
  while it runs, so a pull that dies resumes at its page). Deleted objects come as
  `{"Id","status":"Deleted"}`.
- Xero: `If-Modified-Since` + `page`/`pageSize` (always paged: unpaged lists leave out lines);
  the next cursor is the oldest answer's `DateTimeUTC` of the pass; the filter is inclusive and
  records may repeat across pages, so objects are de-duplicated by id + version
  (`UpdatedDateUTC`). `pass:<since>|<next cursor>|<page>` while a pass runs.
Pages of full queries and Xero passes (a first sync, a large If-Modified-Since catch-up) are read
`client.parallel` at a time across entities (`sync.prefetch.read_in_order`: the provider's
concurrency limit unless fewer is asked; the realm/tenant `RateBudget` still caps calls per
minute and in flight), speculatively past pages not yet known to be full. They are applied in the
caller's thread strictly in order, each page committed **with** its cursor in one transaction, so
a cursor never moves past what is stored: Cancel, an error on page k, or a crash leaves pages
before k stored and the next pull starts at the first page not committed.

Each object is stored once (`sync.pull_store`; `remote_objects`, unique on company, provider,
type, remote id) and,
where `sync.remote_entries` can post it, as one ledger entry with source QBO/Xero, updated in
place when its version changes, marked `remote_deleted` when deleted or voided remotely. An
object carrying our own `[bk:KEY]` (an entry we pushed, perhaps just before a crash) is linked to
that entry, never imported a second time. An entry changed here *and* there is a conflict
(`outbox` state "conflict"), never overwritten.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bookkeeper_desktop.core.accounts import (
    Account,
    AccountSource,
    AccountType,
    from_qbo,
    xero_account_type,
)
from bookkeeper_desktop.formats.plan import propose_mappings
from bookkeeper_desktop.providers.config import Provider
from bookkeeper_desktop.storage import repositories
from bookkeeper_desktop.storage.mapping import account_of, fill_account_row
from bookkeeper_desktop.storage.schema import (
    AccountMappingRow,
    AccountRow,
    RemoteObjectRow,
)
from bookkeeper_desktop.sync import store
from bookkeeper_desktop.sync.clients import QBO_CDC_MAX, QBO_PAGE, QboClient, XeroClient, XeroPage
from bookkeeper_desktop.sync.contacts_pull import CONTACT_TYPES
from bookkeeper_desktop.sync.context import SyncContext
from bookkeeper_desktop.sync.prefetch import (
    PageRead,
    PageReads,
    PageRun,
    prefetched,
    read_in_order,
)
from bookkeeper_desktop.sync.pull_store import apply_page
from bookkeeper_desktop.sync.remote_entries import (
    QBO_ENTITIES,
    XERO_COLLECTIONS,
    qbo_entry,
    updated_at_of,
    version_of,
    xero_entry,
)
from bookkeeper_desktop.sync.store import fingerprint

#: Remote objects kept that are not transactions (never posted, never listed as unposted).
NOT_TRANSACTIONS = ("Account", *CONTACT_TYPES)
#: CDC looks back at most 30 days (API_NOTES.md "CDC"); older cursors fall back to a query.
CDC_WINDOW = dt.timedelta(days=29, hours=12)
ACTOR = "sync"


# --- accounts ------------------------------------------------------------------------------------


def remote_account(provider: str, raw: Mapping[str, Any]) -> Account | None:
    """A remote account (QBO `Account` / Xero `Accounts` JSON) as one of ours, or None when its
    type is one we do not know."""
    if provider == "qbo":
        kind = from_qbo(str(raw.get("AccountType") or "")) or \
            from_qbo(str(raw.get("AccountSubType") or ""))
        name = str(raw.get("FullyQualifiedName") or raw.get("Name") or "")
        code = str(raw.get("AcctNum") or "") or None
        active = bool(raw.get("Active", True))
        source = AccountSource.QBO
    else:
        kind = xero_account_type(raw)
        name = str(raw.get("Name") or "")
        code = str(raw.get("Code") or "") or None
        active = str(raw.get("Status") or "ACTIVE").upper() == "ACTIVE"
        source = AccountSource.XERO
    if kind is None or not name:
        return None
    account = Account(full_name=name, type=kind, code=code, active=active, source=source,
                      original_type=str(raw.get("AccountType") or raw.get("Type") or ""))
    return account if not account.validate() else None


def pull_accounts(ctx: SyncContext, raws: Sequence[Mapping[str, Any]] | None = None) -> None:
    """Store the provider's chart (`raws`: already read, as `sync.pull_reads` does with the
    other first reads; None: read it here) and propose or confirm the mappings."""
    ctx.report(0, None, "Chart of accounts")
    provider = ctx.provider
    if raws is None:
        raws = ctx.client.accounts(progress=ctx.progress)
    with ctx.db.session() as session:
        mapped = store.mapped_accounts(session, ctx.company_id, provider, confirmed_only=False)
        by_remote_id = {row.remote_id: row for row in mapped if row.remote_id}
        by_code = {row.remote_code: row for row in mapped if row.remote_code}
        mapped_ours = {row.account_id for row in mapped}
        ours_rows = list(session.execute(select(AccountRow).where(
            AccountRow.company_id == ctx.company_id)).scalars())
        ours = [account_of(row) for row in ours_rows]
        remote: list[tuple[Account, Mapping[str, Any]]] = []
        for raw in raws:
            rid = str(raw.get("Id") if provider == "qbo" else raw.get("AccountID"))
            store.save_remote(session, ctx.company_id, provider, "Account", raw, remote_id=rid,
                              version=version_of(provider, raw),
                              updated_at=updated_at_of(provider, raw), entry_id=None, local=None)
            mapping = by_remote_id.get(rid) or (
                by_code.get(str(raw["Code"])) if provider == "xero" and raw.get("Code") else None)
            if mapping is not None:
                _follow_remote_account(session, ctx, mapping, raw)
                continue
            account = remote_account(provider, raw)
            if account is None:
                ctx.counts.errors.append(f"Remote account '{raw.get('Name')}' has a type we do "
                                         "not know; map it by hand.")
                continue
            remote.append((account, raw))
        by_identity: dict[int, Mapping[str, Any]] = {id(a): r for a, r in remote}
        proposals = propose_mappings([a for a in ours if a.id not in mapped_ours],
                                     [account for account, _ in remote], provider=provider)
        auto_confirm = store.auto_confirms_exact(session, ctx.company_id, provider)
        matched: set[int] = set()
        for proposal in proposals:
            matched_raw = by_identity[id(proposal.remote)]
            matched.add(id(proposal.remote))
            assert proposal.account.id is not None
            confirm = auto_confirm and not proposal.warning
            _add_mapping(session, ctx, proposal.account.id, matched_raw,
                         state="confirmed" if confirm else "proposed", reason=proposal.reason,
                         warning=proposal.warning)
            if confirm:
                ctx.counts.mappings_confirmed += 1
            else:
                ctx.counts.mappings_proposed += 1
        codes = {a.code for a in ours if a.code}
        names = {a.full_name.lower(): a for a in ours}
        ids = {a.full_name.lower(): a.id for a in ours}
        # A provider connected push only lends its chart to map to; none of its accounts is
        # added to ours (one company, one set of books).
        unmatched = [] if ctx.push_only else [(a, r) for a, r in remote if id(a) not in matched]
        for theirs, new_raw in sorted(unmatched, key=lambda pair: pair[0].depth):
            if theirs.full_name.lower() in names:
                continue  # a name we already use but did not match: left for the user
            account = theirs.with_changes(code=None) if theirs.code in codes else theirs
            parent = account.parent_full_name
            parent_id = ids.get(parent.lower()) if parent else None
            if parent and parent_id is None:
                ctx.counts.errors.append(f"Remote account '{account.full_name}' has a parent we "
                                         "do not have; map it by hand.")
                continue
            row = AccountRow(company_id=ctx.company_id)
            fill_account_row(row, account, parent_id)
            session.add(row)
            session.flush()
            ids[account.full_name.lower()] = row.id
            names[account.full_name.lower()] = account
            if account.code:
                codes.add(account.code)
            _add_mapping(session, ctx, row.id, new_raw, state="confirmed",
                         reason=f"created from {'QBO' if provider == 'qbo' else 'Xero'}")
            repositories.add_audit(session, ctx.company_id, ACTOR, "add_account",
                                   obj=("account", row.id),
                                   details={"from": provider, "name": account.full_name})
            ctx.counts.accounts_added += 1
    ctx.safe_point()


def _remote_ref(provider: str, raw: Mapping[str, Any]) -> tuple[str, str | None, str]:
    """A remote account's id, code (QBO AcctNum, Xero Code) and name."""
    if provider == "qbo":
        return (str(raw["Id"]), str(raw.get("AcctNum") or "") or None,
                str(raw.get("FullyQualifiedName") or raw.get("Name") or ""))
    return (str(raw["AccountID"]), str(raw.get("Code") or "") or None,
            str(raw.get("Name") or ""))


def _follow_remote_account(session: Session, ctx: SyncContext, mapping: AccountMappingRow,
                           raw: Mapping[str, Any]) -> None:
    """A mapped account renamed or renumbered at the provider: the mapping follows it (a Xero
    manual journal names its accounts by code, so a stale code would make every push on that
    account fail), the audit log and the run's result say so, and our account keeps its own
    name and number (nothing of ours is overwritten silently; the mapping editor shows both)."""
    remote_id, code, name = _remote_ref(ctx.provider, raw)
    if mapping.remote_id is None:
        mapping.remote_id = remote_id  # mapped by code alone: from now on followed by id
    if ctx.provider == "xero":
        _correct_xero_type(session, ctx, mapping.account_id, raw)
    changed = {field: (old, new) for field, old, new in (
        ("name", mapping.remote_name or "", name), ("code", mapping.remote_code or "", code or ""))
        if old != new}
    if not changed:
        return
    mapping.remote_name, mapping.remote_code = name, code
    repositories.add_audit(session, ctx.company_id, ACTOR, "remote_account_changed",
                           obj=("account", mapping.account_id),
                           details={"provider": ctx.provider, "remote_id": remote_id,
                                    **{f"old_{k}": v[0] for k, v in changed.items()},
                                    **{f"new_{k}": v[1] for k, v in changed.items()}})
    what = " and ".join(f"{field} '{old}' → '{new}'" for field, (old, new) in changed.items())
    ctx.counts.accounts_renamed.append(f"{Provider.name_of(ctx.provider)} account {what}")


#: The types a pull before `xero_account_type` gave Xero's system and card accounts.
_OLD_XERO_TYPES = {AccountType.ACCOUNTS_RECEIVABLE: AccountType.OTHER_CURRENT_ASSET,
                   AccountType.ACCOUNTS_PAYABLE: AccountType.OTHER_CURRENT_LIABILITY,
                   AccountType.CREDIT_CARD: AccountType.BANK}


def _correct_xero_type(session: Session, ctx: SyncContext, account_id: int,
                       raw: Mapping[str, Any]) -> None:
    """An account created from Xero by an earlier pull, before system accounts (DEBTORS,
    CREDITORS) and credit cards got their own type, takes that type now; one of our own
    accounts, or one the user retyped, is left alone."""
    wanted = xero_account_type(raw)
    if wanted is None or wanted not in _OLD_XERO_TYPES:
        return
    row = session.get(AccountRow, account_id)
    if row is None or row.source != AccountSource.XERO.value or \
            row.type != _OLD_XERO_TYPES[wanted].value:
        return
    row.type = wanted.value
    repositories.add_audit(session, ctx.company_id, ACTOR, "retype_account",
                           obj=("account", account_id),
                           details={"from": _OLD_XERO_TYPES[wanted].value, "to": wanted.value,
                                    "why": "Xero system or credit-card account"})


def _add_mapping(session: Session, ctx: SyncContext, account_id: int, raw: Mapping[str, Any],
                 *, state: str, reason: str, warning: str = "") -> None:
    remote_id, code, name = _remote_ref(ctx.provider, raw)
    session.add(AccountMappingRow(company_id=ctx.company_id, provider=ctx.provider,
                                  account_id=account_id, remote_id=remote_id, remote_code=code,
                                  remote_name=name, state=state, proposal_reason=reason,
                                  warning=warning))
    session.flush()


# --- transactions --------------------------------------------------------------------------------


def repost_unmapped(ctx: SyncContext) -> None:
    """Objects kept unposted because an account was not mapped are posted once it is (the
    cursor has moved past them, so without this they would wait for their next remote change)."""
    with ctx.db.session() as session:
        rows = [row for row in session.execute(select(RemoteObjectRow).where(
            RemoteObjectRow.company_id == ctx.company_id,
            RemoteObjectRow.provider == ctx.provider,
            RemoteObjectRow.entry_id.is_(None), RemoteObjectRow.deleted.is_(False),
            RemoteObjectRow.object_type.not_in(NOT_TRANSACTIONS))).scalars()
            if str(store.meta(row).get("reason") or "").startswith("accounts not mapped")]
        if not rows:
            return
        accounts = store.remote_to_ours(store.mapped_accounts(
            session, ctx.company_id, ctx.provider, confirmed_only=False))
        for row in rows:
            payload = {k: v for k, v in row.payload.items() if k != store.META}
            converted, reason = (qbo_entry if ctx.provider == "qbo" else xero_entry)(
                row.object_type, payload, accounts)
            if converted is None:
                meta = store.meta(row)
                meta["reason"] = reason
                row.payload = {**payload, store.META: meta}
                continue
            entry_row = repositories.insert_entry(session, ctx.company_id, converted)
            store.save_remote(session, ctx.company_id, ctx.provider, row.object_type, payload,
                              remote_id=row.remote_id, version=row.version,
                              updated_at=row.remote_updated_at, entry_id=entry_row.id,
                              local=fingerprint(converted), known=(row,))
            ctx.counts.created += 1
    ctx.safe_point()


def qbo_cursors(ctx: SyncContext) -> tuple[dict[str, str | None], dict[str, str]]:
    """The entities' cursors, split: entities with no cursor, a query that died (`full:`) or a
    cursor past CDC's window get a full query (the first); the others come from one CDC call
    for all of them (the second)."""
    with ctx.db.read_session() as session:
        cursors = {entity: store.get_cursor(session, ctx.company_id, "qbo", entity)
                   for entity in QBO_ENTITIES}
    now = dt.datetime.now(dt.UTC)

    def needs_query(cursor: str | None) -> bool:
        return cursor is None or cursor.startswith("full:") or \
            now - (store.cursor_time(cursor) or now) > CDC_WINDOW

    return ({e: c for e, c in cursors.items() if needs_query(c)},
            {e: c for e, c in cursors.items() if c and not needs_query(c)})


#: One CDC answer as `changes` applies it: the objects per entity and the cursor they move
#: every entity to, or None when CDC cannot page past a second (then everything is queried).
_CdcAnswer = tuple[dict[str, list[dict[str, Any]]], str] | None


def changes(ctx: SyncContext, client: QboClient, cursors: Mapping[str, str]) -> None:
    """What changed since the cursors, in one `GET /cdc?entities=A,B,…` for every entity
    (one request and one round trip where there were eight). `changedSince` is the oldest of
    their cursors: what an entity's own later cursor already covers comes again and is skipped
    as unchanged. An answer holds at most 1,000 objects across its entities, oldest first
    (API_NOTES.md "CDC"): when it is full, every entity's cursor moves to the newest
    `LastUpdatedTime` in it (everything older is in the answer) and the next call starts there.

    CDC cannot page: each call's `changedSince` is the newest time of the answer before, so a
    long catch-up is a chain of calls that cannot be sent at once. What does overlap: the next
    call is sent (`prefetched`) while this answer is committed. Not done, on purpose: one call per
    entity (eight chains side by side) would cost eight calls where one answers every small
    catch-up, and a catch-up switched to paged queries on `MetaData.LastUpdatedTime` would miss
    the objects deleted meanwhile (a query never returns a deleted object; only CDC does). A
    catch-up past CDC's 30-day window is a full query, read several pages at a time."""
    if not cursors:
        return
    entities = [entity for entity in QBO_ENTITIES if entity in cursors]
    first_since = min(store.cursor_time(cursor) or dt.datetime.now(dt.UTC)
                      for cursor in cursors.values())
    ctx.report(0, len(QBO_ENTITIES), "Pulling changes")

    def answers() -> Iterator[_CdcAnswer]:
        since = first_since
        while True:
            found, server_time = client.cdc(entities, since, progress=ctx.progress)
            objects = [obj for entity in entities for obj in found[entity]]
            full = len(objects) >= QBO_CDC_MAX
            newest = max((updated_at_of("qbo", o) or since for o in objects), default=since)
            if full and newest <= since:
                yield None  # 1,000 changes inside one second: CDC cannot page past them
                return
            yield found, (newest if full else (server_time or dt.datetime.now(dt.UTC))
                          ).isoformat()
            if not full:
                return
            since = newest

    for answer in prefetched(answers(), name="sync-cdc"):
        if answer is None:
            _full_queries(ctx, client, dict.fromkeys(entities))
            return
        found, next_cursor = answer
        for number, entity in enumerate(entities):
            ctx.report(number, len(entities), f"Pulling {entity}")
            apply_page(ctx, entity, found[entity], next_cursor)


def earliest(known: dt.datetime | None, stamp: dt.datetime | None) -> dt.datetime | None:
    """The older of two answer times: pages read at once are answered in any order, and the
    next pass must start no later than the oldest of them (a change made after an early page was
    read, to an object on it, is then still picked up)."""
    if known is None or stamp is None:
        return known or stamp
    return min(known, stamp)


#: A QBO query page: its rows and the answer's `time`.
QueryAnswer = tuple[list[dict[str, Any]], dt.datetime | None]
#: Where each entity's full query starts: the oldest answer time so far (None: not started)
#: and the start position.
QueryStarts = dict[str, tuple[dt.datetime | None, int]]


def _full_queries(ctx: SyncContext, client: QboClient, cursors: Mapping[str, str | None]
                  ) -> None:
    """Every object of each entity, page by page, read `client.parallel` pages at a time across
    the entities (`sync.prefetch.read_in_order`) and committed in order; a query that died
    (`full:<time>|<position>` cursor) resumes at its page. `<time>` is the oldest answer time of
    the query's pages so far: the CDC cursor once the query is complete."""
    starts = query_starts(cursors)
    page_counts = _page_counts(ctx, client, {e: start for e, (_, start) in starts.items()})
    with closing(query_reads(ctx, client, starts, page_counts)) as pages:
        store_query_pages(ctx, starts, pages)


def query_starts(cursors: Mapping[str, str | None]) -> QueryStarts:
    """Each entity's start (`QueryStarts`) from its cursor, in `QBO_ENTITIES`' order."""
    starts: QueryStarts = {}
    for entity in [entity for entity in QBO_ENTITIES if entity in cursors]:
        cursor, started, start = cursors[entity], None, 1
        if cursor and cursor.startswith("full:"):
            started_text, start_text = cursor[5:].split("|")
            started, start = dt.datetime.fromisoformat(started_text), int(start_text)
        starts[entity] = (started, start)
    return starts


def query_reads(ctx: SyncContext, client: QboClient, starts: QueryStarts,
                page_counts: Mapping[str, int], *, counts_to_come: bool = False
                ) -> PageReads[str, QueryAnswer]:
    """The full queries' pages, being read from now on (`read_in_order`), entity by entity.
    `counts_to_come`: the entities not in `page_counts` have their count on its way, given
    with `PageReads.know_pages` (`sync.pull_reads`); nothing of theirs is asked before it."""
    runs = [query_run(client, entity, start=start, known_pages=page_counts.get(entity),
                      count_to_come=counts_to_come and entity not in page_counts)
            for entity, (_, start) in starts.items()]
    return read_in_order(runs, parallel=client.parallel, progress=ctx.progress,
                         name="sync-query")


def query_run(client: QboClient, entity: str, *, start: int = 1, where: str = "",
              known_pages: int | None = None, count_to_come: bool = False
              ) -> PageRun[str, QueryAnswer]:
    """A QBO query's pages from position `start` (`QboClient.query_page`), ended by a short or
    empty page: the one builder of a query read, for the transactions' full queries here and
    for the chart and the contacts among a pull's first reads (`sync.pull_reads`)."""
    return PageRun(
        entity,
        fetch=lambda n, progress: client.query_page(entity, start + n * QBO_PAGE, where=where,
                                                    progress=progress),
        ends=lambda _n, answer: len(answer[0]) < QBO_PAGE,
        known_pages=known_pages, count_to_come=count_to_come)


def store_query_pages(ctx: SyncContext, starts: QueryStarts,
                      pages: Iterable[PageRead[str, QueryAnswer]]) -> None:
    """Each page committed with its `full:` cursor, in order; an entity's last page moves its
    cursor to the query's oldest answer time (where CDC takes over)."""
    current, started, read = None, None, 0
    for page in pages:
        entity, (rows, server_time) = page.key, page.answer
        if entity != current:
            current, started = entity, starts[entity][0]
            ctx.report_reading("transactions", read)
        started = earliest(started, server_time) or dt.datetime.now(dt.UTC)
        if rows:
            position = starts[entity][1] + page.number * QBO_PAGE + len(rows)
            apply_page(ctx, entity, rows, f"full:{started.isoformat()}|{position}")
            read += len(rows)
            ctx.report_reading("transactions", read)
        if page.last:
            with ctx.db.session() as session:  # the entity's query is complete
                store.set_cursor(session, ctx.company_id, "qbo", entity, started.isoformat())
            ctx.safe_point()


def _page_counts(ctx: SyncContext, client: QboClient, starts: Mapping[str, int]
                 ) -> dict[str, int]:
    """The pages each entity's query has from its start position, from one `count(*)` each,
    asked all at once: a QBO answer carries no total, so without them the pages of a large
    entity would be found one more at a time (a slow start). The page that proves the end (short
    or empty) is counted too. The counts cost one round trip (they go together); one request at a
    time (`parallel` 1) gains nothing from them."""
    if client.parallel <= 1 or not starts:
        return {}
    runs = [count_run(client, entity) for entity in starts]
    counts: dict[str, int] = {}
    with closing(read_in_order(runs, parallel=client.parallel, progress=ctx.progress,
                               name="sync-count")) as answers:
        for answer in answers:
            counts[answer.key] = pages_from(answer.answer, starts[answer.key])
    return counts


def pages_from(count: int, start: int) -> int:
    """The pages a query of `count` objects has from position `start`, the page that proves
    the end (short or empty) included."""
    return max(0, count - (start - 1)) // QBO_PAGE + 1


def count_run(client: QboClient, entity: str) -> PageRun[str, int]:
    """An entity's `select count(*)` (`QboClient.count`) as a run of one small page: the one
    builder of a count read, for `_page_counts` and a pull's first reads (`sync.pull_reads`)."""
    return PageRun(entity, fetch=lambda _n, progress: client.count(entity, progress=progress),
                   ends=lambda _n, _answer: True, small=True)


#: Where each collection's pass starts: its `If-Modified-Since` (ISO text, "" for none), the
#: oldest answer time so far (None: not started) and the page.
PassStarts = dict[str, tuple[str, dt.datetime | None, int]]


def pass_starts(ctx: SyncContext) -> PassStarts:
    """Each collection's start (`PassStarts`) from its cursor, in `XERO_COLLECTIONS`' order."""
    starts: PassStarts = {}
    with ctx.db.read_session() as session:
        for collection in XERO_COLLECTIONS:
            cursor = store.get_cursor(session, ctx.company_id, "xero", collection)
            since_text, next_cursor, first = cursor or "", None, 1
            if cursor and cursor.startswith("pass:"):
                since_text, next_text, page_text = cursor[5:].split("|")
                next_cursor, first = dt.datetime.fromisoformat(next_text), int(page_text)
            starts[collection] = (since_text, next_cursor, first)
    return starts


def pass_reads(ctx: SyncContext, client: XeroClient, starts: PassStarts
               ) -> PageReads[str, XeroPage]:
    """The passes' pages, being read from now on (`read_in_order`), collection by collection."""
    runs = [pass_run(client, collection,
                     dt.datetime.fromisoformat(since_text) if since_text else None, first)
            for collection, (since_text, _, first) in starts.items()]
    return read_in_order(runs, parallel=client.parallel, progress=ctx.progress,
                         name="sync-pages")


def pass_run(client: XeroClient, collection: str, since: dt.datetime | None, first: int = 1
             ) -> PageRun[str, XeroPage]:
    """A Xero collection's `If-Modified-Since` pages from page `first` (`XeroClient.page_since`;
    the answers say how many pages there are): the one builder of a pass read, for the
    transactions here and for the contacts among a pull's first reads (`sync.pull_reads`)."""
    return PageRun(
        collection,
        fetch=lambda n, progress: client.page_since(collection, since, first + n,
                                                    progress=progress),
        ends=lambda _n, answer: answer.last,
        page_count=lambda answer: None if answer.page_count is None
        else answer.page_count - first + 1)


def store_pass_pages(ctx: SyncContext, starts: PassStarts,
                     pages: Iterable[PageRead[str, XeroPage]]) -> None:
    """Each page committed with its `pass:` cursor, in order; a collection's last page moves
    its cursor to the pass's oldest answer time (the next pass's `If-Modified-Since`)."""
    current, next_cursor, read = None, None, 0
    for page in pages:
        collection, answer = page.key, page.answer
        since_text = starts[collection][0]
        if collection != current:
            current, next_cursor = collection, starts[collection][1]
            ctx.report_reading("transactions", read)
        next_cursor = earliest(next_cursor, answer.stamp) or dt.datetime.now(dt.UTC)
        apply_page(ctx, collection, answer.rows,
                    f"pass:{since_text}|{next_cursor.isoformat()}|{answer.page + 1}")
        read += len(answer.rows)
        ctx.report_reading("transactions", read)
        if page.last:
            with ctx.db.session() as session:
                store.set_cursor(session, ctx.company_id, "xero", collection,
                                 next_cursor.isoformat())
            ctx.safe_point()


def organisation_currency(ctx: SyncContext, client: XeroClient) -> str | None:
    """The Xero organisation's base currency, asked once per organisation and kept with the
    connection's settings (Xero does not let it change once there are transactions)."""
    known = known_currency(ctx, client)
    if known:
        return known
    currency = client.base_currency(progress=ctx.progress)
    keep_currency(ctx, client, currency)
    return currency


def known_currency(ctx: SyncContext, client: XeroClient) -> str | None:
    """The organisation's base currency as kept by an earlier sync (None: not asked yet)."""
    with ctx.db.read_session() as session:
        return store.integration_value(session, ctx.company_id, "xero",
                                       f"{store.BASE_CURRENCY}:{client.tenant_id}")


def keep_currency(ctx: SyncContext, client: XeroClient, currency: str | None) -> None:
    if currency:
        with ctx.db.session() as session:
            store.keep_integration_value(session, ctx.company_id, "xero",
                                         f"{store.BASE_CURRENCY}:{client.tenant_id}", currency)
