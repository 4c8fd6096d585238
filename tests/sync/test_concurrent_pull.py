"""Pages of a first sync read several at a time against the real sandboxes (rate limits on, latency
injected with the sandbox's fault rules): answered out of order but committed in order, never more
requests in flight than the realm/tenant allows, Cancel within a second with the requests in
flight abandoned, an error on a middle page stopping the pull with the pages before it stored, a
killed pull resumed — each with nothing lost or doubled, at QBO and at Xero."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bookkeeper_desktop.core.progress import Progress, ProgressSnapshot
from bookkeeper_desktop.providers.keychain import Keychain
from bookkeeper_desktop.sandbox.faults import Fault
from bookkeeper_desktop.sandbox.qbo_server import QboSandbox
from bookkeeper_desktop.sandbox.xero_server import XeroSandbox
from bookkeeper_desktop.services.sync import SyncResult
from bookkeeper_desktop.services.sync_runs import RunStatus
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.schema import RemoteObjectRow, SyncCursorRow
from bookkeeper_desktop.sync.clients import QboClient
from bookkeeper_desktop.sync.context import KILL_EXIT_STATUS
from bookkeeper_desktop.sync.prefetch import MOST_PAGES_HELD
from bookkeeper_desktop.sync.remote_entries import QBO_ENTITIES, XERO_COLLECTIONS
from tests.sync.conftest import Books, connect_books
from tests.sync.helpers import remote_rows, state, sync, watched_pull
from tests.sync.test_crash import _child, shared  # noqa: F401  (the fixture is used by name)

#: The first transaction entity (QBO) / collection (Xero), the one given many pages here.
FIRST = {"qbo": "JournalEntry", "xero": "ManualJournals"}
#: The pull's phase while it reads transactions (FIRST's are read first, so the phase's first
#: report is when FIRST's pages start coming in).
READING = {"qbo": "Reading transactions from QuickBooks Online",
           "xero": "Reading transactions from Xero"}
#: The sandbox paths of the transaction reads (QBO's accounts and contacts are queries too).
READS = {"qbo": r"/query$", "xero": r"/(ManualJournals|BankTransactions|Invoices|Payments|"
                                    r"BankTransfers)$"}
LIMIT = {"qbo": 10, "xero": 5}


def add_journals(books: Books, count: int) -> set[str]:
    """`count` more journals at the provider; their ids."""
    api = books.sandbox.api
    if books.provider == "qbo":
        return set(api.bulk_create_journal_entries(books.tenant, count))
    template = next(j for j in api.objects(books.tenant, "ManualJournals")
                    if j["Status"] == "POSTED")
    lines = [{"LineAmount": line["LineAmount"], "AccountCode": line["AccountCode"]}
             for line in template["JournalLines"]]
    return {api.remote_create(books.tenant, "ManualJournals", {
        "Narration": f"bulk {n}", "Date": "2026-11-04", "Status": "POSTED",
        "JournalLines": lines})["ManualJournalID"] for n in range(count)}


class Answers:
    """The order the client asked for its transaction pages and received them in (httpx request
    and response hooks on the client's real connection), with the ids each page held."""

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self.lock = threading.Lock()
        self.order: list[tuple[str, int]] = []
        #: ("asked" or "answered", page) in the order they happened.
        self.timeline: list[tuple[str, tuple[str, int]]] = []
        self.ids: dict[tuple[str, int], list[str]] = {}

    def page_of(self, url: httpx.URL) -> tuple[str, int] | None:
        """(entity, start position or page number) of a transaction page's request."""
        if self.provider == "qbo":
            text = url.params.get("query", "")
            if "startposition" not in text:
                return None
            entity = text.split(" from ", 1)[1].split()[0]
            number = int(text.split("startposition ", 1)[1].split()[0])
        else:
            entity = url.path.rsplit("/", 1)[1]
            if "page" not in url.params:
                return None
            number = int(url.params["page"])
        if entity not in QBO_ENTITIES + XERO_COLLECTIONS:
            return None  # the chart of accounts, the contacts
        return entity, number

    def ask_hook(self, request: httpx.Request) -> None:
        page = self.page_of(request.url)
        if page is not None:
            with self.lock:
                self.timeline.append(("asked", page))

    def hook(self, response: httpx.Response) -> None:
        page = self.page_of(response.request.url)
        if response.status_code != 200 or page is None:
            return
        entity, _ = page
        response.read()
        if self.provider == "qbo":
            rows = response.json().get("QueryResponse", {}).get(entity, [])
            ids = [str(r["Id"]) for r in rows]
        else:
            field = {"ManualJournals": "ManualJournalID", "BankTransactions":
                     "BankTransactionID", "Invoices": "InvoiceID", "Payments": "PaymentID"}
            if entity not in field:
                return
            ids = [str(r[field[entity]]) for r in response.json().get(entity, [])]
        with self.lock:
            self.order.append(page)
            self.timeline.append(("answered", page))
            self.ids[page] = ids


def pull(books: Books, *, progress: Progress | None = None,
         answers: Answers | None = None, parallel: int | None = None) -> SyncResult:
    if answers is None:
        return sync(books, push=False, progress=progress, parallel=parallel)
    return watched_pull(books, on_request=answers.ask_hook, on_response=answers.hook,
                        progress=progress, parallel=parallel)


@contextmanager
def most_in_flight(books: Books) -> Iterator[list[int]]:
    """The most requests the sandbox had in flight at once for the realm/tenant (its own count,
    server side), sampled while the block runs."""
    most = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            in_flight = books.sandbox.limits_snapshot()["in_flight"]
            most[0] = max([most[0], *in_flight.values()])
            time.sleep(0.002)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield most
    finally:
        done.set()
        sampler.join(5)


def row_ids(books: Books, kind: str) -> dict[str, int]:
    """Remote id → our `remote_objects` row id (rows are numbered in the order committed)."""
    with books.db.read_session() as session:
        return dict(session.execute(
            select(RemoteObjectRow.remote_id, RemoteObjectRow.id).where(
                RemoteObjectRow.company_id == books.company_id,
                RemoteObjectRow.object_type == kind)).tuples().all())


def cursor_of(books: Books, entity: str) -> str:
    """The entity's cursor ("" before its first page is stored)."""
    with books.db.read_session() as session:
        return str(session.execute(select(SyncCursorRow.cursor_value).where(
            SyncCursorRow.company_id == books.company_id,
            SyncCursorRow.entity == entity)).scalar_one_or_none() or "")


def pages_in_flight(answers: Answers) -> int:
    """The most transaction pages asked for and not yet answered at once (the client's view)."""
    most = now = 0
    for what, _ in answers.timeline:
        now += 1 if what == "asked" else -1
        most = max(most, now)
    return most


def calls(books: Books) -> int:
    return sum(state(books)["requests"]["by_path"].values())


def on_phase(phase: str, action: Callable[[], None]) -> Progress:
    """A progress that runs `action` once, when `phase` is first reported."""
    fired = threading.Event()

    def seen(snapshot: ProgressSnapshot) -> None:
        if snapshot.phase == phase and not fired.is_set():
            fired.set()
            action()

    return Progress(seen)


@pytest.fixture(params=["qbo", "xero"])
def books(request: pytest.FixtureRequest) -> Books:
    return request.getfixturevalue(str(request.param))


def test_pages_answered_out_of_order_are_committed_in_order_within_the_limit(
        books: Books) -> None:
    first = FIRST[books.provider]
    made = add_journals(books, 4500 if books.provider == "qbo" else 2100)
    books.sandbox.faults.seed(15)
    books.sandbox.add_fault(Fault("latency", count=None, path=READS[books.provider],
                                  seconds=0.1))
    books.sandbox.add_fault(Fault("latency", count=None, path=READS[books.provider],
                                  seconds=0.15, probability=0.5))
    answers = Answers(books.provider)
    with most_in_flight(books) as most:
        result = pull(books, answers=answers)
    assert result.ok, result.message
    assert result.counts["retries"] == 0  # the sandbox never refused a call as over its limit
    assert 1 < most[0] <= LIMIT[books.provider]
    # The next entity's first page was asked for before the first entity's last page was in
    # (read beside it, not after it)…
    pages = sorted(n for entity, n in answers.order if entity == first)
    second = next(entity for entity, _ in answers.order if entity != first)
    second_first = (second, min(n for e, n in answers.order if e == second))
    assert answers.timeline.index(("asked", second_first)) < \
        answers.timeline.index(("answered", (first, pages[-1])))
    # …and committed after it: our rows are numbered in commit order, page after page.
    stored = row_ids(books, first)
    assert made <= set(stored)
    blocks = [[stored[i] for i in answers.ids[(first, n)] if i in stored] for n in pages]
    blocks = [block for block in blocks if block]
    assert len(blocks) >= 3
    for earlier, later in itertools.pairwise(blocks):
        assert max(earlier) < min(later)
    assert max(stored.values()) < min(row_ids(books, second).values())
    assert all(n == 1 for n in remote_rows(books).values())


def test_cancel_mid_pull_stops_within_a_second_and_resumes_with_nothing_lost_or_doubled(
        books: Books) -> None:
    first = FIRST[books.provider]
    add_journals(books, 4500 if books.provider == "qbo" else 3100)
    books.sandbox.add_fault(Fault("latency", count=None, path=READS[books.provider],
                                  seconds=2.0))
    cancelled_at: list[float] = []

    def cancel_once_a_page_is_stored() -> None:  # the next pages are in flight by then
        while not cursor_of(books, first):
            time.sleep(0.005)
        cancelled_at.append(time.monotonic())
        progress.cancel()

    progress = on_phase(READING[books.provider], lambda: threading.Thread(
        target=cancel_once_a_page_is_stored, daemon=True).start())
    stopped = pull(books, progress=progress)
    returned = time.monotonic()
    assert stopped.status is RunStatus.CANCELLED
    assert returned - cancelled_at[0] < 1.0  # the answers in flight (2 s each) were abandoned
    asked = calls(books)
    time.sleep(2.5)  # the abandoned requests are answered by now: none asked for another
    assert calls(books) == asked
    cursor = cursor_of(books, first)
    assert cursor.startswith("full:" if books.provider == "qbo" else "pass:")
    stored_before = len(row_ids(books, first))
    if books.provider == "qbo":
        assert int(cursor.rsplit("|", 1)[1]) == stored_before + 1  # the cursor = what is stored
    books.sandbox.clear_faults()
    resumed = pull(books)
    assert resumed.ok, resumed.message
    rows = remote_rows(books)
    assert all(n == 1 for n in rows.values())
    everything = books.sandbox.api.objects(books.tenant, first)
    assert len(row_ids(books, first)) == len(everything)


def test_an_error_on_a_middle_page_keeps_the_pages_before_it(books: Books) -> None:
    first = FIRST[books.provider]
    add_journals(books, 5500 if books.provider == "qbo" else 3100)
    books.sandbox.add_fault(Fault("latency", count=None, path=READS[books.provider],
                                  seconds=0.05))

    def break_the_service() -> None:  # every read from now on fails, retries included
        books.sandbox.add_fault(Fault("error", count=None, path=READS[books.provider],
                                      status=503))

    answers = Answers(books.provider)
    # Three at a time: when the first page is in, later pages are still to be asked for (at
    # ten, with the pages QBO's counts announce all asked at once, every page could be
    # answered before the service breaks).
    failed = pull(books, progress=on_phase(READING[books.provider], break_the_service),
                  answers=answers, parallel=3)
    assert failed.status is RunStatus.FAILED
    name = "QuickBooks Online" if books.provider == "qbo" else "Xero"
    assert "had a problem answering (HTTP 503)" in failed.message
    assert name in failed.message
    # Exactly the pages before the first one that failed are stored, each whole.
    stored = set(row_ids(books, first))
    committed: set[str] = set()
    for number in sorted(n for entity, n in answers.order if entity == first):
        ids = set(answers.ids[(first, number)])
        if not ids <= stored:
            assert not ids & stored  # never half a page
            break
        committed |= ids
    assert committed
    assert stored == committed
    books.sandbox.clear_faults()
    resumed = pull(books)
    assert resumed.ok, resumed.message
    assert all(n == 1 for n in remote_rows(books).values())
    assert len(row_ids(books, first)) == len(books.sandbox.api.objects(books.tenant, first))


@pytest.mark.parametrize("provider", ["qbo", "xero"])
def test_a_pull_killed_with_pages_in_flight_resumes_where_it_was(
        provider: str, shared: tuple[Database, str, Keychain, Path],  # noqa: F811
        request: pytest.FixtureRequest) -> None:
    db, url, keychain, keyring_file = shared
    sandbox: QboSandbox | XeroSandbox = request.getfixturevalue(f"{provider}_server")
    books = connect_books(db, provider, sandbox, keychain)
    first = FIRST[provider]
    add_journals(books, 4500 if provider == "qbo" else 3100)
    sandbox.add_fault(Fault("latency", count=None, path=READS[provider], seconds=0.05))
    sandbox.add_fault(Fault("latency", count=None, path=READS[provider], seconds=0.1,
                            probability=0.5))
    kills = 0
    cursors: list[str] = []
    for kill_at in (6, 8, 10, 12):
        run = _child(books, url, keyring_file, kill_at)
        assert run.returncode in (0, KILL_EXIT_STATUS), run.stderr
        kills += run.returncode == KILL_EXIT_STATUS
        cursors.append(cursor_of(books, first))
        stored = len(row_ids(books, first))
        if provider == "qbo" and cursors[-1].startswith("full:"):
            assert int(cursors[-1].rsplit("|", 1)[1]) == stored + 1
    assert kills >= 2
    assert any(c.startswith("full:" if provider == "qbo" else "pass:") for c in cursors)
    final = _child(books, url, keyring_file, None)
    assert final.returncode == 0, final.stdout + final.stderr
    assert json.loads(final.stdout)["status"] == "succeeded"
    assert all(n == 1 for n in remote_rows(books).values())
    assert len(row_ids(books, first)) == len(sandbox.api.objects(books.tenant, first))



def test_a_sign_in_expiring_under_pages_in_flight_is_renewed_once(books: Books) -> None:
    """Pages sent at the same moment all get 401: one refresh, the others wait for it and replay
    with the new token (QBO's refresh tokens are single-use: a second refresh with the old one
    would end the connection). Through the sync client, as the concurrent pull calls it."""
    add_journals(books, 2500 if books.provider == "qbo" else 2100)
    assert pull(books).ok
    before = state(books)["requests"]["token_grants"].get("refresh_token", 0)
    books.sandbox.add_fault(Fault("latency", count=None, path=r"tokens/bearer|connect/token",
                                  seconds=0.2))
    refused: list[int] = []
    pages: list[int] = []
    errors: list[BaseException] = []
    with books.client() as client:
        default = client.api.http
        client.api.http = httpx.Client(timeout=60.0, event_hooks={"response": [
            lambda response: refused.append(1) if response.status_code == 401 else None]})
        default.close()
        assert books.sandbox.expire_access_tokens() >= 1
        barrier = threading.Barrier(8)

        def read(number: int) -> None:
            barrier.wait()
            try:
                if isinstance(client, QboClient):
                    rows, _ = client.query_page("JournalEntry", 1 + 1000 * (number % 3),
                                                progress=None)
                else:
                    rows = client.page_since("ManualJournals", None, 1 + number % 3,
                                             progress=None).rows
                pages.append(len(rows))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=read, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert errors == []
    assert len(pages) == 8
    assert all(pages)
    assert len(refused) >= 2  # several requests were refused at once…
    after = state(books)["requests"]["token_grants"].get("refresh_token", 0)
    assert after - before == 1  # …and the sign-in was renewed once


class CountHook(Answers):
    """Answers, plus the `count(*)` queries the client asked and what they said; `on_count`
    runs when the first transaction entity's count has been answered (before any of its pages
    is asked for)."""

    def __init__(self, on_count: Callable[[], None] | None = None) -> None:
        super().__init__("qbo")
        self.counts: dict[str, int] = {}
        self.on_count = on_count

    def hook(self, response: httpx.Response) -> None:
        text = response.request.url.params.get("query", "")
        if response.status_code == 200 and "count(*)" in text:
            response.read()
            entity = text.split(" from ", 1)[1].split()[0]
            with self.lock:
                self.counts[entity] = int(response.json()["QueryResponse"]["totalCount"])
            if entity == FIRST["qbo"] and self.on_count is not None:
                self.on_count()
            return
        super().hook(response)


def test_qbo_counts_first_then_asks_for_every_page_together(qbo: Books) -> None:
    """A first QBO pull asks `count(*)` of every entity and then the pages a count says, at once
    (up to the pages the reader holds), instead of growing one page at a time."""
    made = add_journals(qbo, 5500)
    qbo.sandbox.add_fault(Fault("latency", count=None, path=READS["qbo"], seconds=0.2))
    answers = CountHook()
    with most_in_flight(qbo) as most:
        result = pull(qbo, answers=answers)
    assert result.ok, result.message
    assert set(answers.counts) == set(QBO_ENTITIES)
    assert answers.counts[FIRST["qbo"]] >= 5500
    # Six pages (5,500 journals and the sample's, the page proving the end included) asked for
    # before the first is in: a slow start asks one, then one more per full page.
    first_in = answers.timeline.index(("answered", (FIRST["qbo"], 1)))
    asked_early = {page for what, page in answers.timeline[:first_in]
                   if what == "asked" and page[0] == FIRST["qbo"]}
    assert len(asked_early) == 6
    # Never more transaction pages on the wire than the reader holds (the chart's, the
    # contacts' and the counts' requests go beside them, within the realm's limit; the budget
    # caps the second check too). Pages answered and waiting are counted by the reader's own
    # test of the cap (test_read_in_order).
    assert pages_in_flight(answers) <= MOST_PAGES_HELD
    assert most[0] <= LIMIT["qbo"]
    assert made <= set(row_ids(qbo, FIRST["qbo"]))
    assert all(n == 1 for n in remote_rows(qbo).values())


def test_qbo_objects_added_after_the_count_are_pulled_too(qbo: Books) -> None:
    """The count is a hint: journals created between the count and the pages (another user at
    work) land on pages past it, which are still read; nothing is pulled twice."""
    first = add_journals(qbo, 2000)
    later: set[str] = set()
    answers = CountHook(on_count=lambda: later.update(add_journals(qbo, 1500)))
    result = pull(qbo, answers=answers)
    assert result.ok, result.message
    assert answers.counts[FIRST["qbo"]] < len(first) + len(later)
    assert later
    assert (first | later) <= set(row_ids(qbo, FIRST["qbo"]))
    assert all(n == 1 for n in remote_rows(qbo).values())


def test_one_request_at_a_time_asks_no_counts(qbo: Books) -> None:
    """With `parallel` 1 the counts would only add requests: none are asked."""
    add_journals(qbo, 1200)
    answers = CountHook()
    result = pull(qbo, answers=answers, parallel=1)
    assert result.ok, result.message
    assert answers.counts == {}
    assert len(row_ids(qbo, FIRST["qbo"])) >= 1200
