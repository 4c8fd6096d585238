"""`bookkeeper sync` end to end: the real CLI (in-process), the real sandbox, a connection made
through the real OAuth flow into the CLI's database and (in-memory) keychain."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import signal
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import keyring
import pytest

from bookkeeper_desktop.cli.main import main
from bookkeeper_desktop.cli.sync_commands import sigterm_as_interrupt
from bookkeeper_desktop.core.accounts import Account, AccountType
from bookkeeper_desktop.core.journal import EntryStatus, JournalEntry, JournalLine
from bookkeeper_desktop.providers.keychain import Keychain
from bookkeeper_desktop.sandbox.qbo_server import QboSandbox
from bookkeeper_desktop.services import accounts as account_service
from bookkeeper_desktop.services import entries as entry_service
from bookkeeper_desktop.services import sync_runs
from bookkeeper_desktop.services.sync import TIME_SCALE_ENV
from bookkeeper_desktop.storage.engine import open_database
from tests.providers.conftest import MemoryKeyring
from tests.sync.conftest import TIME_SCALE, Books, connect_books
from tests.sync.helpers import mapped_accounts


@pytest.fixture
def cli_books(tmp_path: Path, qbo_server: QboSandbox, monkeypatch: pytest.MonkeyPatch
              ) -> Iterator[tuple[Books, str]]:
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    db = open_database(url)
    books = connect_books(db, "qbo", qbo_server, Keychain(backend))
    for name, value in books.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(TIME_SCALE_ENV, str(TIME_SCALE))
    yield books, url
    db.close()
    keyring.set_keyring(previous)


def run(url: str, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--db", url, *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_sync_prints_one_line_and_json(cli_books: tuple[Books, str]) -> None:
    books, url = cli_books
    code, out, err = run(url, "sync", "qbo")
    assert code == 0, err
    assert out.count("\n") == 1
    assert out.startswith("QuickBooks Online sync succeeded; pulled ")
    code, out, _ = run(url, "sync", "qbo", "--pull", "--json")
    assert code == 0
    answer = json.loads(out)
    assert answer["status"] == "succeeded"
    assert answer["direction"] == "pull"
    assert answer["counts"]["created"] == 0
    assert [r.direction for r in sync_runs.list_runs(books.db, books.company_id)] == \
        ["pull", "both"]


def test_sync_without_provider_syncs_every_connection(cli_books: tuple[Books, str]) -> None:
    _, url = cli_books
    code, out, _ = run(url, "sync")
    assert code == 0
    assert out.startswith("QuickBooks Online sync succeeded")


def test_unmapped_account_exits_3_and_names_it(cli_books: tuple[Books, str]) -> None:
    books, url = cli_books
    assert run(url, "sync", "qbo", "--pull")[0] == 0
    stray = account_service.add_account(books.db, books.company_id, Account(
        full_name="Stray Costs", type=AccountType.EXPENSE, code="99999"))
    (other, _) = mapped_accounts(books)
    entry_service.bulk_insert_entries(books.db, books.company_id, [JournalEntry(
        date=dt.date(2026, 10, 5), status=EntryStatus.POSTED, number="X-1",
        lines=(JournalLine.of(stray.id or 0, Decimal("5.00")),
               JournalLine.of(other, Decimal("-5.00"))))])
    code, out, err = run(url, "sync", "qbo", "--push")
    assert code == 3
    assert "pushed 0 new" in out
    assert "Stray Costs" in err
    # The summary, the exit status, the list and `status` say the same thing.
    assert out.startswith("QuickBooks Online sync needs attention")
    assert "1 entry not sent (1 account not mapped) — see Not sent" in out
    code, out, _ = run(url, "not-sent")
    assert code == 3
    (line, total) = out.splitlines()
    assert line.startswith("qbo\tX-1\t2026-10-05\taccount not mapped\tMap the account\t")
    assert "Stray Costs" in line
    assert total == "1 entry not sent."
    code, out, _ = run(url, "--json", "not-sent", "qbo")
    (listed,) = json.loads(out)
    assert (listed["number"], listed["reason"], listed["fix"]) == ("X-1", "unmapped",
                                                                   "Map the account")
    code, out, _ = run(url, "status")
    assert "last sync" in out
    assert "needs attention" in out
    assert run(url, "not-sent", "xero")[0] == 0  # nothing for a provider it was not sent to


def test_revoked_consent_exits_1_saying_reconnect(cli_books: tuple[Books, str]) -> None:
    books, url = cli_books
    books.sandbox.revoke_all_grants()
    books.sandbox.expire_access_tokens()
    code, out, _ = run(url, "sync", "qbo")
    assert code == 1
    assert "Reconnect to QuickBooks Online" in out


def test_not_connected_is_an_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    assert run(url, "companies", "create", "Nobody Ltd")[0] == 0
    code, _, err = run(url, "sync")
    assert code == 1
    assert "not connected" in err


def test_watch_runs_until_max_runs(cli_books: tuple[Books, str]) -> None:
    books, url = cli_books
    code, out, _ = run(url, "sync", "qbo", "--watch", "--interval", "0.01", "--max-runs", "3")
    assert code == 0
    assert out.count("QuickBooks Online sync succeeded") == 3
    assert len(sync_runs.list_runs(books.db, books.company_id)) == 3



def test_refused_entry_exits_3_is_listed_and_retry_refused_sends_it(
        cli_books: tuple[Books, str]) -> None:
    books, url = cli_books
    assert run(url, "sync", "qbo", "--pull")[0] == 0
    debit, credit = mapped_accounts(books)
    books.sandbox.api.set_closing_date(books.tenant, dt.date(2026, 9, 30))
    entry_service.bulk_insert_entries(books.db, books.company_id, [JournalEntry(
        date=dt.date(2026, 9, 5), status=EntryStatus.POSTED, number="OLD-9",
        lines=(JournalLine.of(debit, Decimal("5.00")), JournalLine.of(credit, Decimal("-5.00"))))])
    code, out, err = run(url, "sync", "qbo")
    assert code == 3
    assert "QuickBooks Online sync needs attention" in out
    assert "1 entry not sent (1 refused by QuickBooks Online) — see Not sent" in out
    assert err.count("OLD-9") == 1  # listed once, not as a problem and again as waiting
    # Not sent again, still listed and still exit 3.
    code, out, err = run(url, "sync", "qbo", "--push")
    assert code == 3
    assert "OLD-9" in err
    books.sandbox.api.set_closing_date(books.tenant, None)
    code, out, err = run(url, "sync", "qbo", "--push", "--retry-refused")
    assert code == 0, err
    assert out.splitlines()[0] == "qbo: 1 refused entry will be sent again."
    assert "pushed 1 new" in out
    assert err == ""


def test_sigterm_stops_like_ctrl_c_and_the_handler_is_put_back() -> None:
    """What a service manager sends to stop `sync --watch` becomes the KeyboardInterrupt the
    command already turns into a stop at a safe point (a real signal to this process)."""
    before = signal.getsignal(signal.SIGTERM)

    def terminated() -> None:
        with sigterm_as_interrupt():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the signal arrives before this ends

    with pytest.raises(KeyboardInterrupt):  # unconverted, SIGTERM would end pytest itself
        terminated()
    assert signal.getsignal(signal.SIGTERM) is before


def test_sync_undo_previews_then_takes_a_run_back(cli_books: tuple[Books, str]) -> None:
    """`bookkeeper sync undo RUN_ID`: the preview names each entry, --yes takes them back, a
    second undo of the same run is refused, and without a terminal it will not ask."""
    books, url = cli_books
    assert run(url, "sync", "qbo")[0] == 0
    debit, credit = mapped_accounts(books)
    entry_service.bulk_insert_entries(books.db, books.company_id, [JournalEntry(
        date=dt.date(2026, 10, 5), status=EntryStatus.POSTED, number=f"U-{n}",
        lines=(JournalLine.of(debit, Decimal("5.00")), JournalLine.of(credit, Decimal("-5.00"))))
        for n in range(2)])
    code, out, _ = run(url, "sync", "qbo", "--json")
    assert code == 0
    run_id = json.loads(out)["run_id"]
    code, _, err = run(url, "sync", "undo", str(run_id))
    assert code == 2
    assert "add --yes" in err
    code, out, err = run(url, "sync", "undo", str(run_id), "--yes")
    assert code == 0, err
    assert f"Undo sync run #{run_id}: 2 to take back, 0 that cannot be." in out
    assert "U-0 of 2026-10-05 (journal entry): delete in QuickBooks Online" in out
    assert "Undone: 2 entries taken back from QuickBooks Online." in out
    journals = books.sandbox.api.objects(books.tenant, "JournalEntry")
    assert not [j for j in journals if str(j.get("DocNumber", "")).startswith("U-")]
    code, _, err = run(url, "sync", "undo", str(run_id), "--yes")
    assert code == 1
    assert "already undone" in err
