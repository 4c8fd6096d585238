"""One sync at a time per company and provider across processes (the cross-process lease)."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys

from bookkeeper_desktop.services.connections import integration_settings, set_integration_setting
from bookkeeper_desktop.services.sync_runs import RunStatus
from bookkeeper_desktop.storage.types import utc_now
from bookkeeper_desktop.sync.lease import LEASE_KEY
from tests.sync.conftest import Books
from tests.sync.helpers import make_entries, pushed_copies, sync


def _hold(books: Books, *, pid: int, host: str | None = None,
          expires: dt.datetime | None = None) -> None:
    set_integration_setting(books.db, books.company_id, books.provider, LEASE_KEY, json.dumps({
        "token": "someone-else", "host": host or socket.gethostname(), "pid": pid,
        "expires": (expires or utc_now() + dt.timedelta(minutes=5)).isoformat()}))


def _dead_pid() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    return int(child.stdout)


def test_a_live_holder_makes_the_sync_wait(qbo: Books) -> None:
    assert sync(qbo, push=False).ok
    make_entries(qbo, 3)
    _hold(qbo, pid=os.getppid())
    busy = sync(qbo)
    assert busy.status is RunStatus.FAILED
    assert "Another sync of this company is running" in busy.message
    assert pushed_copies(qbo) == {}
    # Another computer's unexpired lease blocks too.
    _hold(qbo, pid=1, host="some-other-host")
    assert sync(qbo).status is RunStatus.FAILED


def test_a_dead_or_expired_holder_is_taken_over_and_the_lease_given_back(qbo: Books) -> None:
    assert sync(qbo, push=False).ok
    ids = make_entries(qbo, 3)
    _hold(qbo, pid=_dead_pid())
    result = sync(qbo)
    assert result.ok, result.message
    assert pushed_copies(qbo) == dict.fromkeys(ids, 1)
    assert integration_settings(qbo.db, qbo.company_id, "qbo")[LEASE_KEY] == ""
    _hold(qbo, pid=1, host="some-other-host", expires=utc_now() - dt.timedelta(seconds=1))
    assert sync(qbo).ok
