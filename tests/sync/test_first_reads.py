"""A pull's first reads — the chart, the contacts, QBO's counts or Xero's organisation — asked for
together, and the first transaction pages asked for while the chart and the contacts are still
on their way (`sync.pull_reads`), against the real sandboxes with latency injected: stored in the
same order as before (chart, contacts, transactions), Cancel during them within a second with
nothing stored, a failure of one of them ending the run as before with nothing half stored, and
no such read made when it is not needed."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from sqlalchemy import func, select

from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.sandbox.faults import Fault
from bookkeeper_desktop.services.sync import SyncResult
from bookkeeper_desktop.services.sync_runs import RunStatus
from bookkeeper_desktop.storage.schema import RemoteObjectRow, SyncCursorRow
from bookkeeper_desktop.sync.remote_entries import QBO_ENTITIES, XERO_COLLECTIONS
from tests.sync.conftest import Books
from tests.sync.helpers import remote_rows, sync, watched_pull
from tests.sync.test_concurrent_pull import FIRST, LIMIT, add_journals, calls, row_ids

#: The transaction reads' paths, and the first reads' (Xero names each; QBO's share `/query`).
XERO_READS = r"/(Organisation|Accounts|Contacts|ManualJournals|BankTransactions|Invoices|" \
             r"Payments|BankTransfers)$"
READS = {"qbo": r"/query$", "xero": XERO_READS}
#: The chart's and the contacts' reads, answered later than the others in the timing test.
CHART_AND_CONTACTS = {"qbo": ("/query$", r"from (Account|Customer|Vendor) "),
                      "xero": (r"/(Accounts|Contacts)$", None)}
CONTACTS = {"qbo": ("Customer", "Vendor"), "xero": ("Contacts",)}


class Timeline:
    """When each read was asked for and answered (httpx hooks on the client's connection),
    named: "count:Entity", "organisation", "chart", "contacts:Entity", "page:Entity"."""

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self.lock = threading.Lock()
        self.events: list[tuple[float, str, str]] = []

    def name(self, url: httpx.URL) -> str | None:
        if self.provider == "qbo":
            text = url.params.get("query", "")
            if " from " not in text:
                return None
            entity = text.split(" from ", 1)[1].split()[0]
            if "count(*)" in text:
                return f"count:{entity}"
        else:
            entity = url.path.rsplit("/", 1)[1]
            if entity == "Organisation":
                return "organisation"
        if entity in ("Account", "Accounts"):
            return "chart"
        if entity in ("Customer", "Vendor", "Contacts"):
            return f"contacts:{entity}"
        return f"page:{entity}" if entity in QBO_ENTITIES + XERO_COLLECTIONS else None

    def record(self, what: str, url: httpx.URL) -> None:
        name = self.name(url)
        if name is not None:
            with self.lock:
                self.events.append((time.monotonic(), what, name))

    def ask(self, request: httpx.Request) -> None:
        self.record("asked", request.url)

    def answer(self, response: httpx.Response) -> None:
        self.record("answered", response.request.url)

    def times(self, what: str, prefix: str) -> list[float]:
        return [at for at, kind, name in self.events if kind == what and name.startswith(prefix)]

    def names(self) -> set[str]:
        return {name for _, _, name in self.events}


def pull(books: Books, timeline: Timeline | None = None, *,
         progress: Progress | None = None) -> SyncResult:
    if timeline is None:
        return sync(books, push=False, progress=progress)
    return watched_pull(books, on_request=timeline.ask, on_response=timeline.answer,
                        progress=progress)


def ids_of(books: Books, kinds: tuple[str, ...]) -> list[int]:
    """Our `remote_objects` row ids (numbered in commit order) of those object types."""
    with books.db.read_session() as session:
        return list(session.execute(select(RemoteObjectRow.id).where(
            RemoteObjectRow.company_id == books.company_id,
            RemoteObjectRow.object_type.in_(kinds))).scalars())


def cursors(books: Books) -> set[str]:
    with books.db.read_session() as session:
        return set(session.execute(select(SyncCursorRow.entity).where(
            SyncCursorRow.company_id == books.company_id)).scalars())


def transactions(provider: str) -> tuple[str, ...]:
    return QBO_ENTITIES if provider == "qbo" else XERO_COLLECTIONS


@pytest.fixture(params=["qbo", "xero"])
def books(request: pytest.FixtureRequest) -> Books:
    return request.getfixturevalue(str(request.param))


def test_the_first_reads_go_out_together_and_the_pages_before_the_chart_is_in(
        books: Books) -> None:
    provider = books.provider
    made = add_journals(books, 2500 if provider == "qbo" else 2100)
    # Long enough for every first read to be sent before the first answer on a busy machine.
    books.sandbox.add_fault(Fault("latency", count=None, path=READS[provider], seconds=0.5))
    path, query = CHART_AND_CONTACTS[provider]
    books.sandbox.add_fault(Fault("latency", count=None, path=path, query=query, seconds=1.0))
    timeline = Timeline(provider)
    result = pull(books, timeline)
    assert result.ok, result.message
    # The chart, the contacts and the counts (QBO) or the organisation (Xero) were in flight
    # together: all asked for before the first answer (QBO's 11 are more than its 10 at once:
    # the last contacts query goes when the first count is in).
    first_answer = min(timeline.times("answered", ""))
    together = {name for at, kind, name in timeline.events
                if kind == "asked" and at < first_answer}
    wanted = {"chart", f"contacts:{CONTACTS[provider][0]}"} | (
        {f"count:{entity}" for entity in QBO_ENTITIES} if provider == "qbo"
        else {"organisation"})
    assert wanted <= together
    if provider == "qbo":
        # The realm's 10 at once (that the pages wait for their own counts, the budget hides
        # here: test_qbo_pages_go_out_when_their_own_count_is_in_not_after_the_slowest).
        assert len(together) == LIMIT["qbo"]
    else:  # the pages need the currency only to be converted: asked beside it
        assert f"page:{FIRST[provider]}" in together
        assert len(together) == LIMIT["xero"]
    # The first transaction page was asked for, and answered, before the chart came in…
    chart_in = timeline.times("answered", "chart")[0]
    page = f"page:{FIRST[provider]}"
    assert timeline.times("asked", page)[0] < chart_in
    assert timeline.times("answered", page)[0] < chart_in
    # …and stored after it and after the contacts: rows are numbered in commit order.
    chart = ids_of(books, ("Account",))
    contacts = ids_of(books, CONTACTS[provider])
    pulled = ids_of(books, transactions(provider))
    assert chart
    assert contacts
    assert pulled
    assert max(chart) < min(contacts)
    assert max(contacts) < min(pulled)
    assert made <= set(row_ids(books, FIRST[provider]))
    assert result.counts["created"] >= len(made)  # converted with the chart's mappings
    assert all(n == 1 for n in remote_rows(books).values())


def test_qbo_pages_go_out_when_their_own_count_is_in_not_after_the_slowest(
        qbo: Books) -> None:
    """The eight counts come back one by one: the journal entries' pages are asked for once
    their count is in, while a slow count of another entity is still on its way; that entity's
    pages wait for its own count."""
    made = add_journals(qbo, 2500)
    qbo.sandbox.add_fault(Fault("latency", count=None, path=READS["qbo"], seconds=0.1))
    qbo.sandbox.add_fault(Fault("latency", count=None, path=READS["qbo"],
                                query=r"count\(\*\) from Payment", seconds=1.5))
    timeline = Timeline("qbo")
    result = pull(qbo, timeline)
    assert result.ok, result.message
    payments_counted = timeline.times("answered", "count:Payment")[0]
    journals_asked = timeline.times("asked", f"page:{FIRST['qbo']}")
    assert len(journals_asked) >= 3  # 2,500 journals and the sample's: three pages and more
    assert min(journals_asked) > timeline.times("answered", f"count:{FIRST['qbo']}")[0]
    assert sum(at < payments_counted for at in journals_asked) >= 3, \
        "every journal page the count announced, asked before the slowest count came back"
    assert min(timeline.times("asked", "page:Payment")) > payments_counted
    assert made <= set(row_ids(qbo, FIRST["qbo"]))
    assert all(n == 1 for n in remote_rows(qbo).values())


def test_cancel_during_the_first_reads_stops_within_a_second_with_nothing_stored(
        books: Books) -> None:
    add_journals(books, 1500 if books.provider == "qbo" else 1100)
    books.sandbox.add_fault(Fault("latency", count=None, path=READS[books.provider],
                                  seconds=2.0))
    cancelled_at: list[float] = []

    def cancel_soon() -> None:
        time.sleep(0.3)  # the first reads are in flight (2 s each)
        cancelled_at.append(time.monotonic())
        progress.cancel()

    progress = Progress()
    threading.Thread(target=cancel_soon, daemon=True).start()
    stopped = pull(books, progress=progress)
    returned = time.monotonic()
    assert stopped.status is RunStatus.CANCELLED
    assert returned - cancelled_at[0] < 1.0
    asked = calls(books)
    time.sleep(2.5)  # the abandoned reads are answered by now: none asked for another
    assert calls(books) == asked
    with books.db.read_session() as session:
        assert session.execute(select(func.count()).select_from(RemoteObjectRow).where(
            RemoteObjectRow.company_id == books.company_id)).scalar_one() == 0
    assert cursors(books) == set()
    books.sandbox.clear_faults()
    resumed = pull(books)
    assert resumed.ok, resumed.message
    assert all(n == 1 for n in remote_rows(books).values())
    assert len(row_ids(books, FIRST[books.provider])) == \
        len(books.sandbox.api.objects(books.tenant, FIRST[books.provider]))


@pytest.mark.parametrize(("provider", "kind", "entity"), [
    ("qbo", "error", "Customer"), ("qbo", "drop_before", "Vendor"),
    ("xero", "error", "Contacts"), ("xero", "drop_before", "Accounts")])
def test_a_first_read_that_fails_ends_the_run_with_nothing_half_stored(
        provider: str, kind: str, entity: str, request: pytest.FixtureRequest) -> None:
    books: Books = request.getfixturevalue(provider)
    add_journals(books, 1500 if provider == "qbo" else 1100)
    if provider == "qbo":
        fault = Fault("error" if kind == "error" else "drop_before", count=None,
                      path="/query$", query=f"from {entity} ", status=500)
    else:
        fault = Fault("error" if kind == "error" else "drop_before", count=None,
                      path=f"/{entity}$", status=500)
    books.sandbox.add_fault(fault)
    failed = pull(books)
    # As any read that keeps failing: the run's retries, then a failure naming the request.
    assert failed.status is RunStatus.FAILED
    assert "Gave up after" in failed.message
    assert entity in failed.message or (provider == "qbo" and "query" in failed.message)
    # What comes before the failed read is stored whole, nothing from it or after it: no
    # transaction, no transaction cursor.
    assert ids_of(books, transactions(provider)) == []
    assert not cursors(books) & set(transactions(provider))
    before = {"Customer": ("Account",), "Vendor": ("Account", "Customer"),
              "Contacts": ("Account",), "Accounts": ()}[entity]
    for stored in before:
        assert ids_of(books, (stored,))
    assert ids_of(books, (entity if entity != "Accounts" else "Account",)) == []
    books.sandbox.clear_faults()
    resumed = pull(books)
    assert resumed.ok, resumed.message
    assert all(n == 1 for n in remote_rows(books).values())
    assert len(row_ids(books, FIRST[provider])) == \
        len(books.sandbox.api.objects(books.tenant, FIRST[provider]))


def test_a_pull_with_everything_fresh_asks_no_count_query_page_or_organisation(
        books: Books) -> None:
    add_journals(books, 1200 if books.provider == "qbo" else 1100)
    assert pull(books).ok
    timeline = Timeline(books.provider)
    again = pull(books, timeline)
    assert again.ok, again.message
    asked = timeline.names()
    assert "chart" in asked  # the chart and the contacts are read at every pull
    # QBO catches up with one CDC call (no count, no query page); Xero's catch-up is each
    # collection's If-Modified-Since pass, and its currency is kept from the first pull.
    unneeded = ("count:", "page:") if books.provider == "qbo" else ("organisation",)
    assert not {name for name in asked if name.startswith(unneeded)}
