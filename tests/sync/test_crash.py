"""The sync process killed at many points (`os._exit` at its N-th safe point, like a power cut)
and restarted: at the end, zero duplicates and zero lost entries, checked through
`GET /__sandbox__/state`. Intuit's requestid memory is wiped after every kill so that only our
outbox reconciliation can prevent a duplicate."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from bookkeeper_desktop.core.accounts import AccountType
from bookkeeper_desktop.core.journal import EntryStatus, JournalEntry, JournalLine
from bookkeeper_desktop.providers.keychain import Keychain
from bookkeeper_desktop.sandbox.qbo_server import QboSandbox
from bookkeeper_desktop.sandbox.xero_server import XeroSandbox
from bookkeeper_desktop.services import entries as entry_service
from bookkeeper_desktop.services.accounts import accounts_by_id
from bookkeeper_desktop.services.mappings import mapping_by_account
from bookkeeper_desktop.services.sync import list_refused, retry_refused
from bookkeeper_desktop.storage.engine import Database, open_database
from bookkeeper_desktop.sync.context import KILL_ENV, KILL_EXIT_STATUS
from bookkeeper_desktop.sync.payloads import key_in
from bookkeeper_desktop.sync.xero_documents import key_text
from tests.sync.conftest import Books, connect_books
from tests.sync.file_keyring import FileKeyring
from tests.sync.helpers import (
    local_entries,
    make_entries,
    mapped_accounts,
    pushed_copies,
    remote_journals,
    remote_rows,
    state,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[tuple[Database, str, Keychain, Path]]:
    url = f"sqlite:///{tmp_path / 'books.sqlite'}"
    db = open_database(url)
    path = tmp_path / "keyring.json"
    yield db, url, Keychain(FileKeyring(path)), path
    db.close()


def _child(books: Books, url: str, keyring_file: Path, kill_at: int | None
           ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ}
    env.pop(KILL_ENV, None)
    if kill_at is not None:
        env[KILL_ENV] = str(kill_at)
    return subprocess.run(
        [sys.executable, "-m", "tests.sync.sync_child", url, books.provider,
         str(books.company_id), str(keyring_file), json.dumps(books.env)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)


def _crash_and_restart(books: Books, url: str, keyring_file: Path, kill_points: list[int]
                       ) -> None:
    first = _child(books, url, keyring_file, None)
    assert first.returncode == 0, first.stderr
    made: list[int] = []
    killed = 0
    api = books.sandbox.api
    for round_number, kill_at in enumerate(kill_points):
        made += make_entries(books, 7 + 11 * (round_number % 4), start=len(made))
        journals = remote_journals(books)
        if books.provider == "qbo":
            target = journals[round_number % len(journals)]
            api.remote_edit(books.tenant, "JournalEntry", str(target["Id"]),
                            {"DocNumber": f"R{round_number}"})
        else:
            posted = [j for j in journals if j["Status"] == "POSTED"]
            target = posted[round_number % len(posted)]
            api.remote_edit(books.tenant, "ManualJournals", target["ManualJournalID"],
                            {"Narration": f"edited {round_number}"})
        run = _child(books, url, keyring_file, kill_at)
        assert run.returncode in (0, KILL_EXIT_STATUS), run.stderr
        killed += run.returncode == KILL_EXIT_STATUS
        if books.provider == "qbo":
            api.forget_request_ids(books.tenant)
    assert killed >= len(kill_points) - 2
    before = local_entries(books)
    final = _child(books, url, keyring_file, None)
    assert final.returncode == 0, final.stdout + final.stderr
    assert pushed_copies(books) == dict.fromkeys(made, 1)  # zero duplicates, zero lost
    assert all(n == 1 for n in remote_rows(books).values())
    assert local_entries(books) == before
    again = _child(books, url, keyring_file, None)
    assert json.loads(again.stdout)["counts"]["pushed"] == 0


@pytest.mark.slow
def test_qbo_sync_killed_at_21_points_and_restarted(
        shared: tuple[Database, str, Keychain, Path], qbo_server: QboSandbox) -> None:
    db, url, keychain, keyring_file = shared
    books = connect_books(db, "qbo", qbo_server, keychain)
    # Points 1-4 fall in the contacts' pull, the later ones in the transactions and the push.
    _crash_and_restart(books, url, keyring_file, [1 + (n * 5) % 16 for n in range(21)])


@pytest.mark.slow
def test_xero_sync_killed_at_6_points_and_restarted(
        shared: tuple[Database, str, Keychain, Path], xero_server: XeroSandbox) -> None:
    db, url, keychain, keyring_file = shared
    books = connect_books(db, "xero", xero_server, keychain)
    _crash_and_restart(books, url, keyring_file, [2, 4, 7, 11, 13, 8])


@pytest.mark.slow
def test_qbo_killed_with_refused_entries_in_its_batches(
        shared: tuple[Database, str, Keychain, Path], qbo_server: QboSandbox) -> None:
    """Batches mixing entries QBO takes with entries it refuses (a closed period), the process
    killed at several points and restarted: the good ones exactly once, each refused one waiting
    once and not sent at the next run, and all sent exactly once after a retry."""
    db, url, keychain, keyring_file = shared
    books = connect_books(db, "qbo", qbo_server, keychain)
    assert _child(books, url, keyring_file, None).returncode == 0
    qbo_server.api.set_closing_date(books.tenant, dt.date(2026, 9, 30))
    debit, credit = mapped_accounts(books)
    made: list[int] = []
    refused: list[int] = []
    for round_number, kill_at in enumerate([2, 3, 4, 5, 6, 8]):
        made += make_entries(books, 20, start=100 * round_number)
        refused += entry_service.bulk_insert_entries(books.db, books.company_id, [JournalEntry(
            date=dt.date(2026, 9, 10 + n), number=f"OLD-{round_number}-{n}",
            status=EntryStatus.POSTED, lines=(JournalLine.of(debit, Decimal("3.00")),
                                              JournalLine.of(credit, Decimal("-3.00"))))
            for n in range(3)])
        run = _child(books, url, keyring_file, kill_at)
        assert run.returncode in (0, KILL_EXIT_STATUS), run.stderr
        qbo_server.api.forget_request_ids(books.tenant)
    final = _child(books, url, keyring_file, None)
    assert final.returncode == 0, final.stdout + final.stderr
    assert pushed_copies(books) == dict.fromkeys(made, 1)
    assert sorted(r.entry_id for r in list_refused(books.db, books.company_id)) == refused
    qbo_server.reset_counts()
    again = _child(books, url, keyring_file, None)
    assert json.loads(again.stdout)["counts"]["refused"] == len(refused)
    batch_path = f"/v3/company/{books.tenant}/batch"
    assert batch_path not in state(books)["requests"]["by_path"]
    qbo_server.api.set_closing_date(books.tenant, None)
    assert retry_refused(books.db, books.company_id, "qbo") == len(refused)
    assert _child(books, url, keyring_file, None).returncode == 0
    assert state(books)["requests"]["by_path"][batch_path] == 1  # 18 entries: one batch
    assert pushed_copies(books) == dict.fromkeys(made + refused, 1)
    assert list_refused(books.db, books.company_id) == []


def _xero_copies(books: Books) -> dict[int, int]:
    """Our entry id → how many Xero documents of any kind carry its key (live ones)."""
    records = state(books)["api"]["tenants"][books.tenant]["records"]
    found: dict[int, int] = {}
    for collection in ("ManualJournals", "BankTransactions", "Invoices", "Payments"):
        for record in records[collection].values():
            if str(record.get("Status") or "").upper() in ("DELETED", "VOIDED"):
                continue
            key = key_in(key_text(collection, record))
            if key and key.startswith(f"xero{books.company_id}-"):
                entry_id = int(key.split("-")[1])
                found[entry_id] = found.get(entry_id, 0) + 1
    return found


@pytest.mark.slow
def test_xero_everyday_kinds_killed_and_restarted(
        shared: tuple[Database, str, Keychain, Path], xero_server: XeroSandbox) -> None:
    """Bank spends and receipts, invoices, bills, payments and journals pushed by a process
    killed at several points of the push and restarted: each is at Xero exactly once, of the
    kind its shape needs, and nothing is pulled back as a second entry."""
    db, url, keychain, keyring_file = shared
    books = connect_books(db, "xero", xero_server, keychain)
    assert _child(books, url, keyring_file, None).returncode == 0
    codes = {m.remote_code: a for a, m in mapping_by_account(
        books.db, books.company_id, "xero", confirmed_only=True).items()}
    bank, sales, rent = codes["090"], codes["200"], codes["469"]
    receivable, payable, accrued = codes["610"], codes["800"], codes["814"]
    made: list[int] = []
    killed = 0
    # A run's safe points 1-11 are the pull (accounts, contacts, four collections); from 12 on,
    # two per request of the push (recorded, then answered), one request per kind.
    for round_number, kill_at in enumerate([13, 12, 16, 15, 19, 22]):
        n = round_number

        def post(number: str, *lines: tuple[int, str, str], n: int = n) -> JournalEntry:
            return JournalEntry(date=dt.date(2026, 11, 1 + n), number=f"{number}-{n}",
                                currency="NZD", status=EntryStatus.POSTED, lines=tuple(
                                    JournalLine.of(a, Decimal(v), contact=c) for a, v, c in lines))
        made += entry_service.bulk_insert_entries(books.db, books.company_id, [
            post("SP", (rent, "12.00", "City Landlord"), (bank, "-12.00", "")),
            post("RC", (bank, "30.00", ""), (sales, "-30.00", "Cash Customers")),
            post("IN", (receivable, "70.00", f"Customer {n}"), (sales, "-70.00", "")),
            post("BI", (rent, "40.00", ""), (payable, "-40.00", "City Landlord")),
            post("PA", (bank, "70.00", ""), (receivable, "-70.00", f"Customer {n}")),
            post("AC", (rent, "5.00", ""), (accrued, "-5.00", "")),
        ])
        run = _child(books, url, keyring_file, kill_at)
        assert run.returncode in (0, KILL_EXIT_STATUS), run.stdout + run.stderr
        killed += run.returncode == KILL_EXIT_STATUS
    assert killed >= 5
    before = local_entries(books)
    final = _child(books, url, keyring_file, None)
    assert final.returncode == 0, final.stdout + final.stderr
    assert _xero_copies(books) == dict.fromkeys(made, 1)  # zero duplicates, zero lost
    assert all(n == 1 for n in remote_rows(books).values())
    assert local_entries(books) == before
    again = _child(books, url, keyring_file, None)
    assert json.loads(again.stdout)["counts"]["pushed"] == 0


@pytest.mark.slow
def test_qbo_entries_naming_new_customers_and_vendors_killed_and_restarted(
        shared: tuple[Database, str, Keychain, Path], qbo_server: QboSandbox) -> None:
    """Receivable and payable journals naming customers and vendors QBO does not have yet: the
    process is killed while it creates them and while it sends the journals; after a restart
    each journal is at QBO once, with its name, and each customer or vendor exists once."""
    db, url, keychain, keyring_file = shared
    books = connect_books(db, "qbo", qbo_server, keychain)
    assert _child(books, url, keyring_file, None).returncode == 0
    accounts = accounts_by_id(books.db, books.company_id)
    mapped = mapping_by_account(books.db, books.company_id, "qbo", confirmed_only=True)
    receivable = next(a for a in mapped if accounts[a].type is AccountType.ACCOUNTS_RECEIVABLE)
    payable = next(a for a in mapped if accounts[a].type is AccountType.ACCOUNTS_PAYABLE)
    income = next(a for a in mapped if accounts[a].type is AccountType.INCOME
                  and accounts[a].active)
    expense = next(a for a in mapped if accounts[a].type is AccountType.EXPENSE
                   and accounts[a].active)
    made: list[int] = []
    killed = 0
    # Safe points 1-11 are the pull; then one per customer or vendor made at QBO, then two per
    # batch of journals.
    for n, kill_at in enumerate([12, 13, 14, 15, 16]):
        made += entry_service.bulk_insert_entries(books.db, books.company_id, [
            JournalEntry(date=dt.date(2026, 11, 2), number=f"IN-{n}", status=EntryStatus.POSTED,
                         lines=(JournalLine.of(receivable, Decimal("70.00"),
                                               contact=f"New Customer {n}"),
                                JournalLine.of(income, Decimal("-70.00")))),
            JournalEntry(date=dt.date(2026, 11, 2), number=f"BI-{n}", status=EntryStatus.POSTED,
                         lines=(JournalLine.of(expense, Decimal("30.00")),
                                JournalLine.of(payable, Decimal("-30.00"),
                                               contact=f"New Vendor {n}"))),
        ])
        run = _child(books, url, keyring_file, kill_at)
        assert run.returncode in (0, KILL_EXIT_STATUS), run.stdout + run.stderr
        killed += run.returncode == KILL_EXIT_STATUS
        qbo_server.api.forget_request_ids(books.tenant)
    assert killed >= 4
    final = _child(books, url, keyring_file, None)
    assert final.returncode == 0, final.stdout + final.stderr
    assert pushed_copies(books) == dict.fromkeys(made, 1)
    objects = state(books)["api"]["realms"][books.tenant]["objects"]
    names = [c["DisplayName"] for c in objects["Customer"].values()] + \
        [v["DisplayName"] for v in objects["Vendor"].values()]
    for n in range(5):
        assert names.count(f"New Customer {n}") == 1
        assert names.count(f"New Vendor {n}") == 1
    for journal in remote_journals(books):
        for line in journal["Line"]:
            account = str(line["JournalEntryLineDetail"]["AccountRef"]["value"])
            if account in (mapped[receivable].remote_id, mapped[payable].remote_id) and \
                    str(journal.get("DocNumber", "")).startswith(("IN-", "BI-")):
                assert line["JournalEntryLineDetail"]["Entity"]["EntityRef"]["name"].startswith(
                    ("New Customer", "New Vendor"))
