"""Cancel during a slow request (issue 15: "Cancel within a second"): the sandbox answers every
call after a long latency, the run is cancelled while a request is in flight, and it ends within
a second as cancelled instead of waiting for the answer; the next run (no latency) settles what
the abandoned request did, so every entry lands exactly once."""

from __future__ import annotations

import threading
import time

import pytest

from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.services.sync import SyncResult
from bookkeeper_desktop.services.sync_runs import RunStatus
from tests.sync.conftest import Books
from tests.sync.helpers import make_entries, pushed_copies, sync

#: Each request waits this long at the sandbox: far longer than Cancel may take.
SLOW_SECONDS = 3.0
#: From Cancel to the run's result (a generous bound for a shared 2-core machine; the request
#: alone would take `SLOW_SECONDS`).
CANCEL_WITHIN = 1.0


def run_in_thread(books: Books, progress: Progress, *, pull: bool = True
                  ) -> tuple[threading.Thread, list[SyncResult]]:
    results: list[SyncResult] = []
    worker = threading.Thread(
        target=lambda: results.append(sync(books, progress=progress, pull=pull)), daemon=True)
    worker.start()
    return worker, results


@pytest.mark.parametrize("which", ["qbo", "xero"])
def test_cancel_while_a_write_is_in_flight_ends_the_run_at_once(
        which: str, request: pytest.FixtureRequest) -> None:
    books: Books = request.getfixturevalue(which)
    assert sync(books, push=False).ok  # the chart and mappings, at full speed
    ids = make_entries(books, 40)
    books.sandbox.inject_latency(SLOW_SECONDS)  # every request from now on
    progress = Progress()
    worker, results = run_in_thread(books, progress, pull=False)
    # Wait until the push has started sending (a request is in flight, held by the latency).
    deadline = time.monotonic() + 60
    while (not progress.snapshot().phase.startswith("Sending entries to ")
           and time.monotonic() < deadline):
        time.sleep(0.02)
    assert progress.snapshot().phase.startswith("Sending entries to ")
    time.sleep(0.5)
    cancelled_at = time.monotonic()
    progress.cancel()
    worker.join(CANCEL_WITHIN)
    assert not worker.is_alive(), "the run waited for the request in flight"
    assert time.monotonic() - cancelled_at <= CANCEL_WITHIN
    (result,) = results
    assert result.status is RunStatus.CANCELLED
    # Whatever the abandoned requests did at the provider is settled by the next run.
    books.sandbox.clear_faults()
    time.sleep(SLOW_SECONDS + 0.5)  # the abandoned requests end (their answers dropped)
    again = sync(books)
    assert again.ok, again.message
    assert pushed_copies(books) == dict.fromkeys(ids, 1)


def test_cancel_while_a_read_is_in_flight_keeps_the_cursor_where_it_was(qbo: Books) -> None:
    books = qbo
    books.sandbox.inject_latency(SLOW_SECONDS)
    progress = Progress()
    worker, results = run_in_thread(books, progress)
    time.sleep(1.0)  # the first read is in flight
    cancelled_at = time.monotonic()
    progress.cancel()
    worker.join(CANCEL_WITHIN)
    assert not worker.is_alive(), "the run waited for the request in flight"
    assert time.monotonic() - cancelled_at <= CANCEL_WITHIN
    assert results[0].status is RunStatus.CANCELLED
    books.sandbox.clear_faults()
    again = sync(books)
    assert again.ok, again.message
