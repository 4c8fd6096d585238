"""A pull: its first reads asked for together, then the chart, the contacts and the transactions
stored in that order.

Before a first transaction page, a pull needs the chart of accounts (QBO `select * from Account`,
Xero `GET Accounts`), the contacts (QBO Customer and Vendor, Xero Contacts) and, for reading the
transactions, QBO's `select count(*)` of each entity queried in full (`pull.count_run`) or Xero's
organisation when its base currency is not known yet. Asked one after the other, that is four or
five round trips (0.3–1 s each at QBO) before the first transaction page is even asked for. None of
them depends on another, so here they go out together (`sync.prefetch.read_in_order`, the client's
`parallel` at a time), and the transaction pages' reader starts beside them (`pull.query_reads`,
`pull.pass_reads`): at Xero at once (the currency is needed only to convert the pages, and it is
handed over first), at QBO as soon as the first count is in, each entity's pages when its own count
is (a count says how many pages to ask for at once; before them, the 8 counts, the chart and the
contacts already fill QBO's 10 slots). Its first pages are answered while the chart and the contacts
are stored. The two readers together may want more requests than the provider allows at once for a
moment: the realm/tenant `RateBudget` holds every request (QBO 10, Xero 5 in flight), the ones asked
first get the first slots. With one request at a time (`parallel` 1) nothing overlaps: the
transaction pages are asked for after the first reads.

What is **stored** keeps its order, because the reader hands pages over in the order of its
runs: the counts and the organisation (nothing stored but the currency setting), the chart (stored,
mappings proposed or confirmed), the contacts (page by page, each entity's cursor when its pages
are in), then `pull.repost_unmapped`, then the transaction pages, each committed with its cursor
(`pull.store_query_pages`, `pull.store_pass_pages`), then QBO's CDC catch-up
(`pull.changes`). No transaction is converted before the chart is stored. An error on one of the
first reads (after the client's retries) is raised when its turn comes: what came before it is
stored, nothing after it, and the transaction reader is stopped (its answers are dropped, nothing
of them was stored). Cancel stops both readers at once.

Reads that are not needed are not made: no counts for entities that CDC catches up (or with one
request at a time, where they gain nothing), no organisation when its currency is kept, and no
transaction page before the CDC call, which cannot start before the previous answer is stored
(`pull.changes`). A push-only connection reads only its chart (`sync.engine`).
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.sync import pull as pulling
from bookkeeper_desktop.sync.clients import QboClient, XeroClient, XeroPage
from bookkeeper_desktop.sync.contacts_pull import (
    contact_cursor,
    contact_entities,
    qbo_changed_since,
    set_contact_cursor,
    store_contact_page,
)
from bookkeeper_desktop.sync.context import SyncContext
from bookkeeper_desktop.sync.full_collections import full_collections_deferred
from bookkeeper_desktop.sync.prefetch import (
    PageRead,
    PageReads,
    PageRun,
    read_in_order,
)
from bookkeeper_desktop.sync.remote_entries import QBO_ENTITIES, XERO_COLLECTIONS

R = TypeVar("R")

#: What a first read is for (the first part of its run's key; the second names the entity).
COUNT, ORGANISATION, CHART, CONTACTS = "count", "organisation", "chart", "contacts"


@dataclass(frozen=True)
class FirstAnswer:
    """One answer of a first read: rows (a page of the chart or of contacts) with the answer's
    time, or a `value` (a count, a currency)."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    stamp: dt.datetime | None = None
    last: bool = True
    page_count: int | None = None
    value: int | str | None = None


Key = tuple[str, str]


class _Transactions(ABC):
    """What a pull's transaction pages need, from their cursors (read before anything is
    stored: the chart and the contacts do not move them): the settings to read first
    (`setting_runs`, small answers taken with `take`), the pages' reader (`start`, None when no
    page is to be read) and how its pages are stored (`store`)."""

    #: The reader is shaped by the settings (QBO's counts say how many pages to ask at once),
    #: so it starts once the first is in (`take` gives it the others as they come); otherwise
    #: (Xero's currency, needed only to convert the pages, which are stored after it) it starts
    #: with the first reads.
    start_after_settings: bool = False

    @abstractmethod
    def setting_runs(self) -> list[PageRun[Key, FirstAnswer]]: ...

    @abstractmethod
    def take(self, entity: str, answer: FirstAnswer) -> None: ...

    @abstractmethod
    def start(self) -> PageReads[str, Any] | None: ...

    @abstractmethod
    def store(self, pages: PageReads[str, Any] | None) -> None: ...


class _QboTransactions(_Transactions):
    """Full queries (their `count(*)` first, so that every page a count says is asked for at
    once), then the CDC catch-up of the other entities."""

    # Started before the counts, each query would grow one page at a time (and its pages would
    # take the slots the counts, the chart and the contacts need: 11 of QBO's 10 already). So
    # the reader starts with the first count, and each entity's pages go out when its own
    # count is in (`take`), not after the slowest of the eight.
    start_after_settings = True

    def __init__(self, ctx: SyncContext, client: QboClient) -> None:
        self.ctx, self.client = ctx, client
        queries, self.changes = pulling.qbo_cursors(ctx)
        self.starts = pulling.query_starts(queries)
        self.counts: dict[str, int] = {}
        self.reads: PageReads[str, Any] | None = None

    def setting_runs(self) -> list[PageRun[Key, FirstAnswer]]:
        # With one request at a time the counts would only add requests.
        return [_count_run(self.client, entity) for entity in self.starts] \
            if self.client.parallel > 1 else []

    def take(self, entity: str, answer: FirstAnswer) -> None:
        assert isinstance(answer.value, int)
        pages = pulling.pages_from(answer.value, self.starts[entity][1])
        self.counts[entity] = pages
        if self.reads is not None:
            self.reads.know_pages(entity, pages)

    def start(self) -> PageReads[str, Any] | None:
        if not self.starts:
            return None
        # The counts not in yet are on their way (`setting_runs`), except with one request at
        # a time, which asks none.
        self.reads = pulling.query_reads(self.ctx, self.client, self.starts, self.counts,
                                         counts_to_come=self.client.parallel > 1)
        return self.reads

    def store(self, pages: PageReads[str, Any] | None) -> None:
        if pages is not None:
            pulling.store_query_pages(self.ctx, self.starts, pages)
        pulling.changes(self.ctx, self.client, self.changes)
        self.ctx.report(len(QBO_ENTITIES), len(QBO_ENTITIES), "Pulled")


class _XeroTransactions(_Transactions):
    """Each collection's If-Modified-Since pass, after the organisation's currency (asked
    first when no earlier sync kept it: the pages are converted in it)."""

    def __init__(self, ctx: SyncContext, client: XeroClient) -> None:
        self.ctx, self.client = ctx, client
        self.starts = pulling.pass_starts(ctx)
        ctx.remote_currency = pulling.known_currency(ctx, client)

    def setting_runs(self) -> list[PageRun[Key, FirstAnswer]]:
        return [] if self.ctx.remote_currency else [_organisation_run(self.client)]

    def take(self, entity: str, answer: FirstAnswer) -> None:
        currency = answer.value if isinstance(answer.value, str) else None
        pulling.keep_currency(self.ctx, self.client, currency)
        self.ctx.remote_currency = currency

    def start(self) -> PageReads[str, Any] | None:
        return pulling.pass_reads(self.ctx, self.client, self.starts)

    def store(self, pages: PageReads[str, Any] | None) -> None:
        assert pages is not None
        pulling.store_pass_pages(self.ctx, self.starts, pages)
        self.ctx.report(len(XERO_COLLECTIONS), len(XERO_COLLECTIONS), "Pulled")


def pull(ctx: SyncContext) -> None:
    """The chart, the contacts and the transactions (see the module docstring), with the
    garbage collector's full collections held off while pages are read ahead
    (`full_collections.full_collections_deferred`)."""
    with full_collections_deferred():
        _pull(ctx)


def pull_transactions(ctx: SyncContext) -> None:
    """The transactions alone, the chart and the contacts as they are: `pull` without their
    reads."""
    with full_collections_deferred():
        _pull(ctx, chart_and_contacts=False)


def _plan(ctx: SyncContext) -> _Transactions:
    client = ctx.client
    return _QboTransactions(ctx, client) if isinstance(client, QboClient) \
        else _XeroTransactions(ctx, client)


def _pull(ctx: SyncContext, *, chart_and_contacts: bool = True) -> None:
    client = ctx.client
    plan = _plan(ctx)
    settings = plan.setting_runs()
    runs = [*settings, *_chart_runs(client), *_contact_runs(ctx, client)] \
        if chart_and_contacts else settings
    # One request at a time (`parallel` 1) means that: the transaction pages wait for the rest.
    early = client.parallel > 1
    pages: PageReads[str, Any] | None = None
    try:
        with closing(read_in_order(runs, parallel=client.parallel, progress=ctx.progress,
                                   name="sync-first")) as first:
            if early and not (settings and plan.start_after_settings):
                pages = plan.start()
            chart: list[dict[str, Any]] = []
            stamps: dict[str, dt.datetime | None] = {}
            for page in first:
                (what, entity), answer = page.key, page.answer
                if what in (COUNT, ORGANISATION):
                    plan.take(entity, answer)
                    if early and pages is None:
                        # The first setting is in (QBO: the first entity's count; the others'
                        # pages go out as their counts come, `take`): the transaction pages
                        # go out now, answered while the chart and the contacts are stored.
                        pages = plan.start()
                elif what == CHART:
                    chart.extend(answer.rows)
                    if page.last:
                        pulling.pull_accounts(ctx, chart)
                        ctx.report(0, None, "Customers and suppliers")
                else:
                    _store_contacts(ctx, entity, page, stamps)
        if not early:
            pages = plan.start()
        pulling.repost_unmapped(ctx)
        plan.store(pages)
    finally:
        if pages is not None:
            pages.close()  # stopped early (an error, Cancel): its answers are dropped


def _store_contacts(ctx: SyncContext, entity: str, page: PageRead[Key, FirstAnswer],
                    stamps: dict[str, dt.datetime | None]) -> None:
    """A page of contacts stored; after the entity's last, its cursor: the oldest answer time
    of its pages (read together, they may be answered in any order)."""
    answer = page.answer
    # A QBO query's empty last page holds nothing to store (nor its time: with no contact
    # changed, the cursor is now, as it always was); each Xero page's time counts.
    if answer.rows or isinstance(ctx.client, XeroClient):
        stamps[entity] = pulling.earliest(stamps.get(entity), answer.stamp)
    if answer.rows:
        store_contact_page(ctx, entity, answer.rows)
    if page.last:
        set_contact_cursor(ctx, entity, stamps.get(entity))


def _first_read(what: str, run: PageRun[str, R], answer_of: Callable[[R], FirstAnswer]
                ) -> PageRun[Key, FirstAnswer]:
    """`run` (built where its reads are made on their own: `pull.query_run`, `pull.count_run`,
    `pull.pass_run`) as a first read: keyed by what it is for, each answer a `FirstAnswer` that
    carries whether it ends the run and the pages the run has, as `run` says."""
    def fetch(n: int, progress: Progress) -> FirstAnswer:
        answer = run.fetch(n, progress)
        return replace(answer_of(answer), last=run.ends(n, answer),
                       page_count=run.page_count(answer))

    return PageRun((what, run.key), fetch=fetch, ends=_last,
                   page_count=lambda answer: answer.page_count, known_pages=run.known_pages,
                   small=run.small)


def _rows(answer: pulling.QueryAnswer | XeroPage) -> FirstAnswer:
    """A page of a query or a pass: its rows and the answer's time."""
    if isinstance(answer, XeroPage):
        return FirstAnswer(answer.rows, answer.stamp)
    rows, stamp = answer
    return FirstAnswer(rows, stamp)


def _value(value: int | str | None) -> FirstAnswer:
    return FirstAnswer(value=value)


def _count_run(client: QboClient, entity: str) -> PageRun[Key, FirstAnswer]:
    return _first_read(COUNT, pulling.count_run(client, entity), _value)


def _organisation_run(client: XeroClient) -> PageRun[Key, FirstAnswer]:
    return PageRun((ORGANISATION, ""), small=True, ends=_one_page, fetch=lambda _n, progress:
                   FirstAnswer(value=client.base_currency(progress=progress)))


def _chart_runs(client: QboClient | XeroClient) -> list[PageRun[Key, FirstAnswer]]:
    if isinstance(client, QboClient):
        return [_first_read(CHART, pulling.query_run(client, "Account"), _rows)]
    return [PageRun((CHART, "Accounts"), ends=_one_page, fetch=lambda _n, progress:
                    FirstAnswer(client.accounts(progress=progress)))]


def _contact_runs(ctx: SyncContext, client: QboClient | XeroClient
                  ) -> list[PageRun[Key, FirstAnswer]]:
    if isinstance(client, QboClient):
        return [_first_read(CONTACTS, pulling.query_run(
                    client, entity, where=qbo_changed_since(contact_cursor(ctx, entity))), _rows)
                for entity in contact_entities(client)]
    return [_first_read(CONTACTS, pulling.pass_run(client, "Contacts",
                                                   contact_cursor(ctx, "Contacts")), _rows)]


def _one_page(_n: int, _answer: FirstAnswer) -> bool:
    return True


def _last(_n: int, answer: FirstAnswer) -> bool:
    return answer.last
