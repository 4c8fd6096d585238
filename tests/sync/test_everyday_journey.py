"""Issue #11's "done means", walked as a user would: three each of nine everyday transactions
posted in our books (cash sale, expense paid from the bank, customer invoice, supplier bill,
customer payment, supplier payment, transfer between bank accounts, credit-card purchase, accrual
journal); after one Sync Now each is at the provider exactly once, in the kind the real service
accepts, with its customer or supplier; a second sync sends nothing and pulls no duplicate."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from bookkeeper_desktop.core.journal import EntryStatus, JournalEntry, JournalLine
from bookkeeper_desktop.services import entries as entry_service
from bookkeeper_desktop.services.mappings import mapping_by_account
from bookkeeper_desktop.sync.payloads import key_in
from bookkeeper_desktop.sync.xero_documents import key_text
from tests.sync.conftest import Books
from tests.sync.helpers import books_currency, local_entries, state, sync

#: Remote account codes: (QBO AcctNum, Xero Code).
CODES = {"bank": ("1000", "090"), "savings": ("1010", "091"), "card": ("2100", "092"),
         "income": ("4000", "200"), "expense": ("6050", "469"), "receivable": ("1200", "610"),
         "payable": ("2000", "800"), "accrued": ("2220", "814")}
#: Each everyday kind: its lines as (account, signed amount, contact), and the Xero collection.
KINDS: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
    "cash sale": ("BankTransactions", [("bank", "+", ""), ("income", "-", "Cash Customers")]),
    "bank expense": ("BankTransactions", [("expense", "+", "City Landlord"), ("bank", "-", "")]),
    "invoice": ("Invoices", [("receivable", "+", "Customer {n}"), ("income", "-", "")]),
    "bill": ("Invoices", [("expense", "+", ""), ("payable", "-", "Supplier {n}")]),
    "customer payment": ("Payments", [("bank", "+", ""), ("receivable", "-", "Customer {n}")]),
    "supplier payment": ("Payments", [("payable", "+", "Supplier {n}"), ("bank", "-", "")]),
    "transfer": ("BankTransfers", [("savings", "+", ""), ("bank", "-", "")]),
    "card purchase": ("BankTransactions", [("expense", "+", "Office Depot"), ("card", "-", "")]),
    "accrual": ("ManualJournals", [("expense", "+", ""), ("accrued", "-", "")]),
}


def _accounts(books: Books) -> dict[str, int]:
    by_code = {m.remote_code: a for a, m in mapping_by_account(
        books.db, books.company_id, books.provider, confirmed_only=True).items()}
    column = 0 if books.provider == "qbo" else 1
    return {role: by_code[codes[column]] for role, codes in CODES.items()}


def _post_everyday(books: Books) -> dict[int, str]:
    """Three of each kind (amounts differ per kind and copy); our entry id → kind."""
    accounts = _accounts(books)
    made: dict[int, str] = {}
    for number, (kind, (_, lines)) in enumerate(KINDS.items()):
        for n in range(3):
            amount = Decimal(f"{100 + n}.{10 + number}")
            if kind in ("customer payment", "invoice"):
                amount = Decimal(f"{300 + n}.50")
            if kind in ("supplier payment", "bill"):
                amount = Decimal(f"{200 + n}.25")
            entry = JournalEntry(
                date=dt.date(2026, 11, 2 + number), number=f"{kind[:3].upper()}-{n}",
                memo=f"{kind} {n}", currency=books_currency(books), status=EntryStatus.POSTED,
                lines=tuple(JournalLine.of(accounts[role], amount if sign == "+" else -amount,
                                           contact=contact.format(n=n))
                            for role, sign, contact in lines))
            [entry_id] = entry_service.bulk_insert_entries(books.db, books.company_id, [entry])
            made[entry_id] = kind
    return made


def _copies(books: Books) -> dict[int, list[tuple[str, dict[str, Any]]]]:
    """Our entry id → the live remote objects that carry its key, with their collection."""
    found: dict[int, list[tuple[str, dict[str, Any]]]] = {}
    if books.provider == "qbo":
        objects = state(books)["api"]["realms"][books.tenant]["objects"]
        pairs = [("JournalEntry", o) for o in objects.get("JournalEntry", {}).values()]
    else:
        records = state(books)["api"]["tenants"][books.tenant]["records"]
        pairs = [(c, r) for c in ("ManualJournals", "BankTransactions", "BankTransfers",
                                  "Invoices", "Payments") for r in records[c].values()
                 if str(r.get("Status") or "").upper() not in ("DELETED", "VOIDED")]
    for collection, obj in pairs:
        text = str(obj.get("PrivateNote") or "") if books.provider == "qbo" \
            else key_text(collection, obj)
        key = key_in(text)
        if key and key.startswith(f"{books.provider}{books.company_id}-"):
            found.setdefault(int(key.split("-")[1]), []).append((collection, obj))
    return found


@pytest.mark.parametrize("provider", ["qbo", "xero"])
def test_nine_everyday_kinds_three_each_land_once_in_a_kind_the_service_takes(
        provider: str, request: pytest.FixtureRequest) -> None:
    books: Books = request.getfixturevalue(provider)
    assert sync(books, push=False).ok
    made = _post_everyday(books)
    result = sync(books)
    assert result.ok, result.message
    assert result.counts["refused"] == 0, result.counts["waiting"]
    assert result.counts["pushed"] == 27
    copies = _copies(books)
    assert {entry_id: len(found) for entry_id, found in copies.items()} == dict.fromkeys(made, 1)
    for entry_id, kind in made.items():
        [(collection, obj)] = copies[entry_id]
        if provider == "xero":
            assert collection == KINDS[kind][0], kind
            if collection in ("BankTransactions", "Invoices"):
                assert obj["Contact"]["Name"], kind
        else:
            for line in obj["Line"]:
                detail = line["JournalEntryLineDetail"]
                if kind in ("invoice", "customer payment", "bill", "supplier payment") and \
                        detail["AccountRef"]["value"] in _remote_ids(books, "receivable",
                                                                     "payable"):
                    assert detail["Entity"]["EntityRef"]["name"].startswith(
                        ("Customer", "Supplier")), kind
    before = local_entries(books)
    again = sync(books)
    assert again.ok
    assert (again.counts["pushed"], again.counts["created"], again.counts["refused"]) == (0, 0, 0)
    assert local_entries(books) == before
    assert {entry_id: len(found) for entry_id, found in _copies(books).items()} == \
        dict.fromkeys(made, 1)


def _remote_ids(books: Books, *roles: str) -> set[str]:
    mappings = mapping_by_account(books.db, books.company_id, books.provider,
                                  confirmed_only=True)
    accounts = _accounts(books)
    return {str(mappings[accounts[role]].remote_id) for role in roles}


@pytest.mark.parametrize("provider", ["qbo", "xero"])
def test_everyday_kinds_under_dropped_connections_and_5xx_land_once(
        provider: str, request: pytest.FixtureRequest) -> None:
    """The same 27 entries while the provider drops the connection after committing one write
    of every kind and answers 503 twice: each still lands exactly once (found again by its key,
    not sent twice) and the next sync sends nothing."""
    books: Books = request.getfixturevalue(provider)
    assert sync(books, push=False).ok
    made = _post_everyday(books)
    if provider == "qbo":
        books.sandbox.api.forget_request_ids(books.tenant)
        writes = [("/batch", "POST")]
    else:
        writes = [("/BankTransactions", "POST"), ("/BankTransfers", "PUT"),
                  ("/Invoices", "POST"), ("/Payments", "PUT"), ("/ManualJournals", "POST")]
    for path, method in writes:
        books.sandbox.drop_next(1, after_commit=True, path=path, method=method)
    books.sandbox.fail_next(2, status=503)
    result = sync(books)
    assert result.ok, result.message
    assert result.counts["refused"] == 0, result.counts["waiting"]
    assert result.counts["reconciled"] >= len(writes)
    assert {entry_id: len(found) for entry_id, found in _copies(books).items()} == \
        dict.fromkeys(made, 1)
    assert sync(books).counts["pushed"] == 0
