"""`bookkeeper mappings …` end to end: the real CLI (in-process) against the QBO sandbox, so that
a server running `sync --watch` can map, confirm and create accounts and then push."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from bookkeeper_desktop.core.accounts import Account, AccountType
from bookkeeper_desktop.core.journal import EntryStatus, JournalEntry, JournalLine
from bookkeeper_desktop.services import accounts as account_service
from bookkeeper_desktop.services import entries as entry_service
from bookkeeper_desktop.services.mappings import AccountMapping, propose_mappings
from tests.sync.conftest import Books
from tests.sync.helpers import mapped_accounts
from tests.sync.test_cli_sync import cli_books, run

__all__ = ["cli_books"]  # the fixture, shared with test_cli_sync


def _add(books: Books, name: str, code: str) -> int:
    account = account_service.add_account(books.db, books.company_id, Account(
        full_name=name, type=AccountType.EXPENSE, code=code))
    assert account.id is not None
    return account.id


def test_unmapped_accounts_mapped_and_created_from_the_cli_then_sync_pushes(
        cli_books: tuple[Books, str]) -> None:
    books, url = cli_books
    assert run(url, "sync", "qbo", "--pull")[0] == 0
    wages = _add(books, "Wages Here", "9910")
    bonus = _add(books, "Bonuses Here", "9911")
    (other, _) = mapped_accounts(books)
    entry_service.bulk_insert_entries(books.db, books.company_id, [JournalEntry(
        date=dt.date(2026, 10, 5), status=EntryStatus.POSTED, number=f"M-{n}",
        lines=(JournalLine.of(account, Decimal("5.00")), JournalLine.of(other, Decimal("-5.00"))))
        for n, account in enumerate((wages, bonus))])
    assert run(url, "sync", "qbo", "--push")[0] == 3  # nothing to name them by yet

    code, out, _ = run(url, "mappings", "list", "qbo", "--unmapped", "--json")
    assert code == 0
    assert {r["account"] for r in json.loads(out)} == {"Wages Here", "Bonuses Here"}
    code, out, _ = run(url, "mappings", "remote", "qbo", "expense", "--json")
    remotes = json.loads(out)
    assert remotes
    assert all("expense" in f"{r['code']} {r['name']} {r['type']}".lower() for r in remotes)

    code, out, err = run(url, "mappings", "set", "qbo", "9910", remotes[0]["name"])
    assert code == 0, err
    assert out.startswith(f"Wages Here → {remotes[0]['name']} (QuickBooks Online), confirmed")

    code, out, _ = run(url, "mappings", "create-remote", "qbo", "--dry-run")
    assert code == 0
    assert out.splitlines() == [
        "1 account(s) would be created in QuickBooks Online:",
        "  9911 Bonuses Here (Expense / OfficeGeneralAdministrativeExpenses)"]
    assert not [a for a in books.sandbox.api.objects(books.tenant, "Account")
                if a.get("Name") == "Bonuses Here"]  # a dry run sends nothing
    code, out, err = run(url, "mappings", "create-remote", "qbo")
    assert code == 0, err
    assert out.strip() == "1 account(s) created in QuickBooks Online."
    code, out, err = run(url, "sync", "qbo", "--push")
    assert code == 0, err
    assert "pushed 2 new" in out


def test_confirm_asks_for_accept_warnings_on_proposals_that_differ(
        cli_books: tuple[Books, str]) -> None:
    books, url = cli_books
    utilities = _add(books, "Utilities Here", "9920")
    phone = _add(books, "Phone Here", "9921")
    propose_mappings(books.db, books.company_id, [
        AccountMapping(utilities, "qbo", "1", None, "Travel:Meals",
                       proposal_reason="number and type", warning="names differ"),
        AccountMapping(phone, "qbo", "2", None, "Phone", proposal_reason="name and type")])
    code, out, err = run(url, "mappings", "confirm", "qbo", "--all")
    assert code == 3
    assert out.strip() == "1 mapping(s) confirmed."
    assert "not confirmed: Utilities Here → Travel:Meals: names differ" in err
    code, out, _ = run(url, "mappings", "list", "qbo", "--proposed", "--json")
    assert [r["account"] for r in json.loads(out)] == ["Utilities Here"]
    code, out, _ = run(url, "mappings", "confirm", "qbo", "Utilities Here", "--accept-warnings")
    assert (code, out.strip()) == (0, "1 mapping(s) confirmed.")
    code, out, _ = run(url, "mappings", "reject", "qbo", "9920", "9921")
    assert (code, out.strip()) == (0, "2 mapping(s) removed.")


def test_unknown_account_is_an_error_a_bookkeeper_understands(
        cli_books: tuple[Books, str]) -> None:
    _, url = cli_books
    code, _, err = run(url, "mappings", "set", "qbo", "no such account", "1")
    assert code == 1
    assert "There is no account 'no such account' in this company." in err


def test_auto_confirm_can_be_turned_off_and_a_sync_then_only_proposes(
        cli_books: tuple[Books, str]) -> None:
    books, url = cli_books
    code, out, _ = run(url, "mappings", "auto-confirm", "qbo")
    assert (code, out.strip()) == (
        0, "Exact matches are confirmed on their own at each QuickBooks Online sync.")
    code, out, _ = run(url, "mappings", "auto-confirm", "qbo", "off", "--json")
    assert json.loads(out) == {"provider": "qbo", "auto_confirm_exact": False}
    remote = next(a for a in books.sandbox.api.objects(books.tenant, "Account")
                  if a.get("AccountType") == "Expense" and a.get("AcctNum"))
    ours = _add(books, str(remote["Name"]), str(remote["AcctNum"]))
    assert run(url, "sync", "qbo", "--pull")[0] == 0
    code, out, _ = run(url, "mappings", "list", "qbo", "--proposed", "--json")
    assert [(r["account_id"], r["reason"]) for r in json.loads(out)] == [
        (ours, "number, name and type")]
