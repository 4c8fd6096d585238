"""Faults from the sandboxes' fault injection, each ending with zero duplicates and zero lost
entries (checked through `GET /__sandbox__/state`): a connection dropped after the server
committed a batch, 429 storms, 5xx, an access token expiring mid-run, the daily limit, Cancel."""

from __future__ import annotations

import threading
import time

import pytest

from bookkeeper_desktop.core.progress import Progress, ProgressSnapshot
from bookkeeper_desktop.services import sync_runs
from bookkeeper_desktop.services.sync_runs import RunStatus
from bookkeeper_desktop.sync.clients import QBO_BATCH_ITEMS, XERO_WRITE_ITEMS
from bookkeeper_desktop.sync.engine import RUN_RETRY_SECONDS
from bookkeeper_desktop.sync.push import SEND_ATTEMPTS
from tests.sync.conftest import TIME_SCALE, Books
from tests.sync.helpers import local_entries, make_entries, pushed_copies, remote_rows, state, sync

BATCH_PATH = {"qbo": "/batch", "xero": "/ManualJournals"}


def _ready(books: Books, count: int) -> list[int]:
    assert sync(books, push=False).ok
    return make_entries(books, count)


def _exactly_once(books: Books, ids: list[int]) -> None:
    assert pushed_copies(books) == dict.fromkeys(ids, 1)
    assert all(n == 1 for n in remote_rows(books).values())


@pytest.mark.parametrize("provider", ["qbo", "xero"])
def test_connection_dropped_after_the_server_committed_a_batch(
        provider: str, request: pytest.FixtureRequest) -> None:
    books: Books = request.getfixturevalue(provider)
    ids = _ready(books, 70)
    if provider == "qbo":
        # Not relying on Intuit's requestid (it "does not always de-duplicate"): our outbox must
        # find what arrived by its key before sending again.
        books.sandbox.api.forget_request_ids(books.tenant)
    books.sandbox.drop_next(2, after_commit=True, path=BATCH_PATH[provider], method="POST")
    result = sync(books)
    assert result.ok, result.message
    assert result.counts["reconciled"] >= 2
    _exactly_once(books, ids)


@pytest.mark.parametrize("provider", ["qbo", "xero"])
def test_429_storm_and_5xx_are_waited_out(provider: str, request: pytest.FixtureRequest) -> None:
    books: Books = request.getfixturevalue(provider)
    ids = _ready(books, 40)
    books.sandbox.throttle_next(4, retry_after=1)
    books.sandbox.fail_next(3, status=503)
    books.sandbox.fail_next(2, status=502, path=BATCH_PATH[provider], method="POST")
    books.sandbox.drop_next(1, after_commit=False)
    result = sync(books)
    assert result.ok, result.message
    assert result.counts["retries"] >= 5
    _exactly_once(books, ids)
    assert sync(books).counts["pushed"] == 0


@pytest.mark.parametrize("provider", ["qbo", "xero"])
def test_access_token_expiring_mid_run_is_renewed_once(
        provider: str, request: pytest.FixtureRequest) -> None:
    books: Books = request.getfixturevalue(provider)
    # More batches than a push keeps in flight, so that requests still go after the first
    # answers came back (when the tokens expire).
    with books.client() as client:
        in_flight = client.parallel
    ids = _ready(books, (QBO_BATCH_ITEMS if provider == "qbo" else XERO_WRITE_ITEMS)
                 * in_flight + 40)
    grants_before = state(books)["requests"]["token_grants"].get("refresh_token", 0)
    expired: list[int] = []

    def expire_when_pushing(snapshot: ProgressSnapshot) -> None:
        if snapshot.phase.startswith("Sending entries to ") and snapshot.done > 0 and not expired:
            expired.append(books.sandbox.expire_access_tokens())

    result = sync(books, progress=Progress(expire_when_pushing))
    assert result.ok, result.message
    assert expired
    assert expired[0] >= 1
    grants = state(books)["requests"]["token_grants"].get("refresh_token", 0)
    assert grants == grants_before + 1
    _exactly_once(books, ids)


def test_xero_daily_limit_stops_with_advice_and_resumes(xero: Books) -> None:
    ids = _ready(xero, 10)
    xero.sandbox.throttle_next(1, retry_after=3600, problem="day")
    stopped = sync(xero)
    assert stopped.status is RunStatus.FAILED
    assert "daily limit" in stopped.message
    assert "tomorrow" in stopped.message
    resumed = sync(xero)
    assert resumed.ok, resumed.message
    _exactly_once(xero, ids)


def test_cancel_stops_at_a_safe_point_and_a_rerun_finishes(qbo: Books) -> None:
    # More batches than a push keeps in flight: some are not sent when Cancel comes.
    with qbo.client() as client:
        total = QBO_BATCH_ITEMS * client.parallel + 35
    ids = _ready(qbo, total)
    progress = Progress()

    def cancel_after_first_batch(snapshot: ProgressSnapshot) -> None:
        if snapshot.phase.startswith("Sending entries to ") and snapshot.done >= 30:
            progress.cancel()

    progress = Progress(cancel_after_first_batch)
    cancelled = sync(qbo, progress=progress)
    assert cancelled.status is RunStatus.CANCELLED
    assert 0 < len(pushed_copies(qbo)) < total
    assert all(n == 1 for n in pushed_copies(qbo).values())
    before = local_entries(qbo)
    finished = sync(qbo)
    assert finished.ok
    _exactly_once(qbo, ids)
    assert local_entries(qbo) == before


def test_two_syncs_at_once_take_turns(qbo: Books) -> None:
    ids = _ready(qbo, 45)
    results = []

    def run() -> None:
        results.append(sync(qbo))

    workers = [threading.Thread(target=run) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert all(r.ok for r in results)
    assert sorted(r.counts["pushed"] for r in results) == [0, 45]
    _exactly_once(qbo, ids)
    newer, older = sync_runs.list_runs(qbo.db, qbo.company_id, limit=2)
    assert older.finished_at is not None
    assert older.finished_at <= newer.started_at  # one after the other, never interleaved


def test_the_callers_token_managers_are_shared(qbo: Books) -> None:
    """The GUI hands its `TokenManagers` in: the sync refreshes through that one manager."""
    from bookkeeper_desktop.providers.tokens import TokenManager, TokenManagers
    from bookkeeper_desktop.services.connection_store import DatabaseConnectionStore
    from bookkeeper_desktop.services.sync import run_sync
    made: list[TokenManager] = []

    def factory(company_id: int, provider: object) -> TokenManager:
        from bookkeeper_desktop.providers.config import load_config
        manager = TokenManager(company_id, load_config("qbo", env=qbo.env),
                               keychain=qbo.keychain, store=DatabaseConnectionStore(qbo.db))
        made.append(manager)
        return manager

    managers = TokenManagers(factory)
    result = run_sync(qbo.db, qbo.company_id, "qbo", pull=True, push=False, env=qbo.env,
                      keychain=qbo.keychain, managers=managers)
    assert result.ok, result.message
    assert len(made) == 1
    # The sync's calls went through that manager: it handed out the access token the keychain
    # holds (saved at Connect, still valid), so no refresh was needed.
    assert made[0].access_expires_at is not None
    assert made[0].refresh_requests == 0


@pytest.mark.parametrize("provider", ["qbo", "xero"])
def test_a_run_starts_again_after_failures_that_outlast_the_pushs_own_retries(
        provider: str, request: pytest.FixtureRequest) -> None:
    books: Books = request.getfixturevalue(provider)
    ids = _ready(books, 12)
    # More failed writes in a row than the push resends by itself (reconciling each time).
    books.sandbox.fail_next(SEND_ATTEMPTS + 1, status=503, path=BATCH_PATH[provider],
                            method="POST")
    result = sync(books)
    assert result.ok, result.message
    assert result.counts["retries"] >= 1
    _exactly_once(books, ids)


@pytest.mark.parametrize("provider", ["qbo", "xero"])
def test_a_run_that_gives_up_names_the_request_and_the_next_run_recovers(
        provider: str, request: pytest.FixtureRequest) -> None:
    books: Books = request.getfixturevalue(provider)
    ids = _ready(books, 5)
    books.sandbox.fail_next(None, status=502, path=BATCH_PATH[provider],  # type: ignore[arg-type]
                            method="POST")
    started = time.monotonic()
    failed = sync(books)
    took = time.monotonic() - started
    assert failed.status is RunStatus.FAILED
    assert "Gave up after" in failed.message
    assert f"POST {BATCH_PATH[provider].lstrip('/')}" in failed.message
    assert "HTTP 502" in failed.message
    assert "sync will try again" in failed.message
    assert failed.counts["retries"] >= 1
    # Bounded: RUN_RETRY_SECONDS (at the tests' time scale) from the first failure, plus the
    # last attempt's own work (generous: the machine may be busy).
    assert took + 0.5 >= RUN_RETRY_SECONDS * TIME_SCALE
    assert took < RUN_RETRY_SECONDS * TIME_SCALE + 10
    books.sandbox.clear_faults()
    recovered = sync(books)
    assert recovered.ok, recovered.message
    _exactly_once(books, ids)


def test_a_provider_that_cannot_be_reached_fails_the_run_at_once(qbo: Books) -> None:
    """Offline is not worth minutes of retries: the offline monitor takes it from there."""
    _ready(qbo, 1)
    port = int(qbo.sandbox.base_url.rsplit(":", 1)[1])
    qbo.sandbox.stop()
    try:
        started = time.monotonic()
        result = sync(qbo)
        assert result.status is RunStatus.FAILED
        assert "Cannot reach QuickBooks Online" in result.message
        assert "Gave up" not in result.message
        assert time.monotonic() - started < RUN_RETRY_SECONDS * TIME_SCALE
    finally:
        qbo.sandbox.port = port
        qbo.sandbox.start()
