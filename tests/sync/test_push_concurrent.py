"""Pushes with several requests in flight (`sync.push`, "Several at a time"; `sync.inflight`):
counted at the sandbox, whose writes are slowed by `latency` fault rules so that requests
really overlap, with its own rate limits on (time-scaled, tests/sync/conftest.py). Every test
ends with each entry at the provider exactly once, checked through `GET /__sandbox__/state`."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from bookkeeper_desktop.core.journal import EntryStatus, JournalEntry, JournalLine
from bookkeeper_desktop.core.progress import Progress, ProgressSnapshot
from bookkeeper_desktop.providers.keychain import Keychain
from bookkeeper_desktop.sandbox.faults import Fault
from bookkeeper_desktop.sandbox.http import Request, Response
from bookkeeper_desktop.sandbox.qbo_server import QboSandbox
from bookkeeper_desktop.sandbox.xero_server import XeroSandbox
from bookkeeper_desktop.services import entries as entry_service
from bookkeeper_desktop.services.mappings import mapping_by_account
from bookkeeper_desktop.services.sync import open_client, run_sync
from bookkeeper_desktop.services.sync_runs import RunStatus
from bookkeeper_desktop.storage.engine import Database, open_database
from bookkeeper_desktop.sync import push
from bookkeeper_desktop.sync.clients import QBO_BATCH_ITEMS, XERO_WRITE_ITEMS
from bookkeeper_desktop.sync.context import KILL_EXIT_STATUS
from bookkeeper_desktop.sync.push import STOP_GRACE
from tests.sync.conftest import Books, connect_books
from tests.sync.file_keyring import FileKeyring
from tests.sync.helpers import (
    books_currency,
    local_entries,
    make_entries,
    mapped_accounts,
    pushed_copies,
    remote_rows,
    state,
    sync,
)
from tests.sync.test_crash import _child, _xero_copies

WRITES = {"qbo": r"/batch$", "xero": r"/(ManualJournals|BankTransactions)$"}
#: The providers' limits on requests in flight (API_NOTES.md "limits").
CONCURRENT = {"qbo": 10, "xero": 5}
SIZE = {"qbo": QBO_BATCH_ITEMS, "xero": XERO_WRITE_ITEMS}


class WriteWatch:
    """Seen at the sandbox: the write requests in flight at once (the most, and how many were
    out when each answer left), and the status of every answer — a 429 from the sandbox's own
    limiter is a request over the provider's concurrency or rate limit."""

    def __init__(self, sandbox: QboSandbox | XeroSandbox, path: str) -> None:
        self._lock = threading.Lock()
        self.now = 0
        self.peak = 0
        self.statuses: Counter[int] = Counter()
        #: For each answer status, the most other writes that were out when it was given.
        self.others_out: dict[int, int] = {}
        route = sandbox.route

        def watched(request: Request) -> Response:
            if request.method not in ("POST", "PUT") or not re.search(path, request.path):
                return route(request)
            with self._lock:
                self.now += 1
                self.peak = max(self.peak, self.now)
            try:
                response = route(request)
            finally:
                with self._lock:
                    self.now -= 1
                    others = self.now
            with self._lock:
                self.statuses[response.status] += 1
                self.others_out[response.status] = max(
                    others, self.others_out.get(response.status, 0))
            return response

        sandbox.route = watched  # type: ignore[method-assign]


def _ready(books: Books, count: int) -> list[int]:
    assert sync(books, push=False).ok
    return make_entries(books, count)


def _exactly_once(books: Books, ids: list[int]) -> None:
    assert pushed_copies(books) == dict.fromkeys(ids, 1)
    assert all(n == 1 for n in remote_rows(books).values())


def _watched(books: Books, latency: float) -> WriteWatch:
    """Writes slowed by `latency` seconds at the sandbox (reads are not), and watched."""
    watch = WriteWatch(books.sandbox, WRITES[books.provider])
    books.sandbox.faults.add(Fault("latency", count=None, path=WRITES[books.provider],
                                   method="POST", seconds=latency))
    return watch


@pytest.mark.parametrize("provider", ["qbo", "xero"])
def test_batches_go_several_at_a_time_within_the_limits(
        provider: str, request: pytest.FixtureRequest) -> None:
    books: Books = request.getfixturevalue(provider)
    ids = _ready(books, SIZE[provider] * CONCURRENT[provider] * 2 + 7)
    watch = _watched(books, 0.3)
    result = sync(books)
    assert result.ok, result.message
    assert result.counts["pushed"] == len(ids)
    # Several out at once (how many depends on how fast this machine records the next batch),
    # never more than the provider allows, and none was turned away.
    assert 3 <= watch.peak <= CONCURRENT[provider]
    assert watch.statuses == {200: 2 * CONCURRENT[provider] + 1}
    _exactly_once(books, ids)
    assert sync(books).counts["pushed"] == 0


@pytest.mark.parametrize("provider", ["qbo", "xero"])
def test_more_requests_than_a_minute_allows_wait_for_the_window(
        provider: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """More write requests than the provider takes in a minute (QBO's batch endpoint 120, Xero
    60; batches shrunk to a few entries so that there are many): sent several at a time, yet
    the sandbox's own limiter never has to turn one away."""
    books: Books = request.getfixturevalue(provider)
    per_request, per_minute = (1, 120) if provider == "qbo" else (2, 60)
    monkeypatch.setattr(push, "QBO_BATCH_ITEMS" if provider == "qbo" else "XERO_WRITE_ITEMS",
                        per_request)
    ids = _ready(books, per_request * (per_minute + 15))
    watch = _watched(books, 0.01)
    # A minute of 3 s on both sides: longer than these requests take to send. The calls made
    # so far (counted in Xero's one window for every call) leave it first.
    scale = 0.05
    books.sandbox.configure_limits(time_scale=scale)
    time.sleep(60 * scale)
    with open_client(books.db, books.company_id, provider, keychain=books.keychain,
                     env=books.env, time_scale=scale) as client:
        result = run_sync(books.db, books.company_id, provider, pull=False, client=client)
    assert result.ok, result.message
    assert watch.statuses == {200: per_minute + 15}
    assert 2 <= watch.peak <= CONCURRENT[provider]
    _exactly_once(books, ids)


def test_parallel_one_sends_one_request_at_a_time(qbo: Books) -> None:
    ids = _ready(qbo, QBO_BATCH_ITEMS * 3)
    watch = _watched(qbo, 0.05)
    with qbo.client() as client:
        client.parallel = 1
        assert run_sync(qbo.db, qbo.company_id, "qbo", client=client).ok
    assert watch.peak == 1
    _exactly_once(qbo, ids)


def test_xero_documents_to_a_new_contact_never_create_it_twice_at_once(xero: Books) -> None:
    """Xero creates a contact a document names without an id: two requests naming the same new
    contact are never out together (one contact, not two), while requests naming other
    contacts still overlap."""
    assert sync(xero, push=False).ok
    codes = {m.remote_code: a for a, m in mapping_by_account(
        xero.db, xero.company_id, "xero", confirmed_only=True).items()}
    bank, rent = codes["090"], codes["469"]
    payees = ["Harbour Supplies"] * 100 + [f"Payee {n}" for n in range(200)]
    ids = entry_service.bulk_insert_entries(xero.db, xero.company_id, [JournalEntry(
        date=dt.date(2026, 11, 2), number=f"SP-{n}", currency="NZD", status=EntryStatus.POSTED,
        lines=(JournalLine.of(rent, Decimal("10.00"), contact=payee),
               JournalLine.of(bank, Decimal("-10.00"))))
        for n, payee in enumerate(payees)])
    out: Counter[int] = Counter()
    peak: list[int] = [0]
    lock = threading.Lock()
    route = xero.sandbox.route

    def watched(request: Request) -> Response:
        if request.method != "POST" or not request.path.endswith("/BankTransactions"):
            return route(request)
        harbour = b"Harbour Supplies" in request.body
        with lock:
            out[harbour] += 1
            peak[0] = max(peak[0], out[True]) if harbour else peak[0]
        try:
            return route(request)
        finally:
            with lock:
                out[harbour] -= 1

    xero.sandbox.route = watched  # type: ignore[method-assign]
    watch = WriteWatch(xero.sandbox, WRITES["xero"])
    xero.sandbox.faults.add(Fault("latency", count=None, path=WRITES["xero"], method="POST",
                                  seconds=0.1))
    result = sync(xero)
    assert result.ok, result.message
    assert peak[0] == 1
    assert watch.peak >= 2
    assert _xero_copies(xero) == dict.fromkeys(ids, 1)
    contacts = [c for c in state(xero)["api"]["tenants"][xero.tenant]["records"][
        "Contacts"].values() if c.get("Name") == "Harbour Supplies"]
    assert len(contacts) == 1


def test_a_refused_request_is_halved_while_others_are_out(xero: Books) -> None:
    """One journal over Xero's 3.5 MB spoils its request (413): the request is halved down to
    that journal while the other requests are in flight; the rest land once, it waits."""
    assert sync(xero, push=False).ok
    debit, credit = mapped_accounts(xero)
    fine = make_entries(xero, XERO_WRITE_ITEMS * 3)
    entry_service.bulk_insert_entries(xero.db, xero.company_id, [JournalEntry(
        date=dt.date(2026, 10, 6), status=EntryStatus.POSTED, number="HUGE-1",
        currency=books_currency(xero),
        lines=(JournalLine.of(debit, Decimal("1.00"), description="x" * 3_600_000),
               JournalLine.of(credit, Decimal("-1.00"))))])
    fine += make_entries(xero, XERO_WRITE_ITEMS * 3 - 1, start=1000)
    # Slower than the journal's whole way down to itself (an oversized request is turned away
    # at once, but each half still carries 3.5 MB to the sandbox: seconds on a loaded machine),
    # so that the other requests are out meanwhile.
    watch = _watched(xero, 3.0)
    result = sync(xero)
    assert result.counts["pushed"] == len(fine), result.errors
    assert result.counts["refused"] == 1, result.errors
    assert "HUGE-1" in result.errors[0]
    assert watch.statuses[413] >= 6, watch.statuses  # 50 → 25 → 13 → 7 → 4 → 2 → 1
    assert watch.others_out[413] >= 1, watch.others_out
    assert pushed_copies(xero) == dict.fromkeys(fine, 1)
    assert sync(xero).counts["pushed"] == 0


@pytest.mark.parametrize("provider", ["qbo", "xero"])
def test_a_429_in_the_middle_is_waited_out(provider: str,
                                           request: pytest.FixtureRequest) -> None:
    books: Books = request.getfixturevalue(provider)
    ids = _ready(books, SIZE[provider] * CONCURRENT[provider] * 2)
    watch = _watched(books, 0.05)
    throttled: list[bool] = []

    def throttle_once_answers_come(snapshot: ProgressSnapshot) -> None:
        if snapshot.phase.startswith("Sending entries to ") and snapshot.done > 0 and not throttled:
            throttled.append(True)
            books.sandbox.throttle_next(3, retry_after=2, path=WRITES[provider])

    result = sync(books, progress=Progress(throttle_once_answers_come))
    assert result.ok, result.message
    assert throttled
    assert watch.statuses[429] == 3
    assert result.counts["retries"] >= 3
    assert watch.peak <= CONCURRENT[provider]
    _exactly_once(books, ids)
    assert sync(books).counts["pushed"] == 0


@pytest.mark.parametrize("provider", ["qbo", "xero"])
def test_cancel_with_batches_out_stops_within_a_second(
        provider: str, request: pytest.FixtureRequest) -> None:
    """Cancel while requests are out (slower than the push waits for them): the run stops
    within a second. A sync started at once finds what they carried at the provider by its key
    once they are back (it waits for them: looking earlier would find nothing and send it all
    again) and sends nothing twice."""
    books: Books = request.getfixturevalue(provider)
    ids = _ready(books, SIZE[provider] * CONCURRENT[provider] * 2)
    watch = _watched(books, STOP_GRACE + 1.0)
    progress = Progress()
    results = []
    runner = threading.Thread(target=lambda: results.append(sync(books, progress=progress)))
    runner.start()
    deadline = time.monotonic() + 30
    while watch.now < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert watch.now >= 3
    asked = time.monotonic()
    progress.cancel()
    runner.join(10)
    stopped_after = time.monotonic() - asked
    assert results
    assert results[0].status is RunStatus.CANCELLED
    assert stopped_after < 1.0
    assert watch.now >= 3  # still out
    before = local_entries(books)
    finished = sync(books, pull=False)  # the pull would also recognise our pushes by their keys
    assert finished.ok, finished.message
    assert finished.counts["reconciled"] >= 3
    _exactly_once(books, ids)
    assert local_entries(books) == before


# --- killed with requests in flight (tests/sync/test_crash.py's mechanism) -----------------------


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[tuple[Database, str, Keychain, Path]]:
    """A database file and a keyring file the sync processes share (as in test_crash.py)."""
    url = f"sqlite:///{tmp_path / 'books.sqlite'}"
    db = open_database(url)
    path = tmp_path / "keyring.json"
    yield db, url, Keychain(FileKeyring(path)), path
    db.close()


def _forget_idempotency(books: Books) -> None:
    """Wipe the provider's memory of request ids, so that only our reconciliation prevents a
    duplicate (the Xero sandbox has no call for it: its books are reached directly)."""
    if isinstance(books.sandbox, QboSandbox):
        books.sandbox.api.forget_request_ids(books.tenant)
    else:
        books.sandbox.api._books[books.tenant].idempotency.clear()


def _killed_rounds(books: Books, url: str, keyring_file: Path, kill_points: list[int],
                   make: Callable[[int], list[int]]) -> list[int]:
    assert _child(books, url, keyring_file, None).returncode == 0
    watch = _watched(books, 0.3)
    made: list[int] = []
    killed = 0
    for round_number, kill_at in enumerate(kill_points):
        made += make(round_number)
        run = _child(books, url, keyring_file, kill_at)
        assert run.returncode in (0, KILL_EXIT_STATUS), run.stderr
        killed += run.returncode == KILL_EXIT_STATUS
        time.sleep(0.5)  # requests out when the process died reach the provider meanwhile
        _forget_idempotency(books)
    assert killed >= len(kill_points) - 1
    assert watch.peak >= 3
    assert watch.peak <= CONCURRENT[books.provider]
    before = local_entries(books)
    # Push only: the pull would also recognise our pushes by their keys; here only the outbox's
    # reconciliation can keep what the last killed run had out from going twice.
    final = sync(books, pull=False)
    assert final.ok, final.message
    assert final.counts["reconciled"] >= 1
    assert all(n == 1 for n in remote_rows(books).values())
    assert local_entries(books) == before
    again = _child(books, url, keyring_file, None)
    assert '"pushed": 0' in again.stdout
    return made


@pytest.mark.slow
def test_qbo_killed_with_batches_in_flight_sends_each_once(
        shared: tuple[Database, str, Keychain, Path], qbo_server: QboSandbox) -> None:
    db, url, keychain, keyring_file = shared
    books = connect_books(db, "qbo", qbo_server, keychain)
    # About 11 safe points of pull come first, then one per batch recorded (six, sent back to
    # back), then one per answer applied: killed at an answer, the other batches are out.
    made = _killed_rounds(books, url, keyring_file, [18, 19, 20, 22, 13, 21],
                          lambda n: make_entries(books, QBO_BATCH_ITEMS * 6, start=1000 * n))
    assert pushed_copies(books) == dict.fromkeys(made, 1)


@pytest.mark.slow
def test_xero_killed_with_journals_and_bank_spends_in_flight_sends_each_once(
        shared: tuple[Database, str, Keychain, Path], xero_server: XeroSandbox) -> None:
    db, url, keychain, keyring_file = shared
    books = connect_books(db, "xero", xero_server, keychain)
    codes: dict[str | None, int] = {}

    def make(round_number: int) -> list[int]:
        if not codes:
            codes.update({m.remote_code: a for a, m in mapping_by_account(
                books.db, books.company_id, "xero", confirmed_only=True).items()})
        journals = make_entries(books, XERO_WRITE_ITEMS * 3, start=1000 * round_number)
        spends = entry_service.bulk_insert_entries(books.db, books.company_id, [JournalEntry(
            date=dt.date(2026, 11, 3), number=f"SP-{round_number}-{n}", currency="NZD",
            status=EntryStatus.POSTED, lines=(
                JournalLine.of(codes["469"], Decimal("12.00"),
                               contact=f"Payee {round_number}-{n}"),
                JournalLine.of(codes["090"], Decimal("-12.00"))))
            for n in range(XERO_WRITE_ITEMS * 2)])
        return journals + spends

    # About 13 safe points of pull, then the journals (three records, three answers), then the
    # bank spends (two records, two answers).
    made = _killed_rounds(books, url, keyring_file, [17, 18, 21, 22, 16, 19], make)
    assert _xero_copies(books) == dict.fromkeys(made, 1)
