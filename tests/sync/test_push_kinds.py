"""Everyday transactions pushed as the kinds the real services take (`core.kinds`), against the
sandboxes: a Xero bank spend and receipt as BankTransactions, a sales invoice and a bill as
Invoices, a customer payment as a Payment against that invoice, an accrual as a ManualJournal;
QBO receivable lines with the customer as `Entity` (the customer created at QBO first). Each is
at the provider exactly once, a second sync pulls them back without a duplicate, and an entry
that no kind fits waits with its reason instead of being sent to be refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from bookkeeper_desktop.core.accounts import AccountType
from bookkeeper_desktop.core.journal import EntryStatus, JournalEntry, JournalLine
from bookkeeper_desktop.services import entries as entry_service
from bookkeeper_desktop.services.accounts import accounts_by_id
from bookkeeper_desktop.services.contacts import find_contact
from bookkeeper_desktop.services.mappings import mapping_by_account
from bookkeeper_desktop.services.sync import list_refused
from tests.sync.conftest import Books
from tests.sync.helpers import local_entries, state, sync


def _account(books: Books, code_or_name: str) -> int:
    """Our account mapped to the provider's account with this code (Xero) or name (QBO)."""
    for account_id, mapping in mapping_by_account(books.db, books.company_id, books.provider,
                                                  confirmed_only=True).items():
        if code_or_name in (mapping.remote_code, mapping.remote_name):
            return account_id
    raise AssertionError(f"no mapped account {code_or_name}")


def _post(books: Books, number: str, *lines: tuple[int, str, str]) -> int:
    entry = JournalEntry(date=dt.date(2026, 11, 3), number=number, memo=f"memo {number}",
                         currency="NZD" if books.provider == "xero" else "USD",
                         status=EntryStatus.POSTED, lines=tuple(
                             JournalLine.of(a, Decimal(amount), contact=contact,
                                            description=f"{number} line")
                             for a, amount, contact in lines))
    return entry_service.bulk_insert_entries(books.db, books.company_id, [entry])[0]


def _records(books: Books, collection: str) -> list[dict[str, Any]]:
    return list(state(books)["api"]["tenants"][books.tenant]["records"][collection].values())


def _money(value: Any) -> Decimal:
    """An amount from `/__sandbox__/state`, which writes Decimals as {"$decimal": "1.00"}."""
    return Decimal(value["$decimal"] if isinstance(value, dict) else str(value))


def _ours(records: list[dict[str, Any]], entry_id: int, books: Books) -> list[dict[str, Any]]:
    marker = f"[bk:xero{books.company_id}-{entry_id}-"
    return [r for r in records if marker in str(r.get("Reference") or r.get("InvoiceNumber")
                                                  or r.get("Narration") or "")]


def test_xero_everyday_entries_go_as_the_documents_xero_takes(xero: Books) -> None:
    assert sync(xero, push=False).ok
    bank, sales, rent = _account(xero, "090"), _account(xero, "200"), _account(xero, "469")
    receivable, payable = _account(xero, "610"), _account(xero, "800")
    wages_payable = _account(xero, "814")
    spend = _post(xero, "CS-1", (rent, "120.00", "City Landlord"), (bank, "-120.00", ""))
    receive = _post(xero, "CS-2", (bank, "45.50", ""), (sales, "-45.50", "Walk-in Customer"))
    invoice = _post(xero, "INV-1", (receivable, "300.00", "Bayside Club"), (sales, "-300.00", ""))
    bill = _post(xero, "BILL-1", (rent, "80.00", ""), (payable, "-80.00", "City Landlord"))
    payment = _post(xero, "PAY-1", (bank, "300.00", ""), (receivable, "-300.00", "Bayside Club"))
    accrual = _post(xero, "ACC-1", (rent, "60.00", ""), (wages_payable, "-60.00", ""))
    savings = _account(xero, "091")
    transfer = _post(xero, "TR-1", (savings, "500.00", ""), (bank, "-500.00", ""))

    result = sync(xero)
    assert result.counts["refused"] == 0, result.counts["waiting"]
    transactions = _records(xero, "BankTransactions")
    [spent] = _ours(transactions, spend, xero)
    assert (spent["Type"], spent["Contact"]["Name"], _money(spent["Total"])) == \
        ("SPEND", "City Landlord", Decimal("120.00"))
    [received] = _ours(transactions, receive, xero)
    assert (received["Type"], _money(received["Total"])) == ("RECEIVE", Decimal("45.50"))
    invoices = _records(xero, "Invoices")
    [sale] = _ours(invoices, invoice, xero)
    [purchase] = _ours(invoices, bill, xero)
    assert (sale["Type"], purchase["Type"]) == ("ACCREC", "ACCPAY")
    [paid] = _ours(_records(xero, "Payments"), payment, xero)
    assert paid["Invoice"]["InvoiceID"] == sale["InvoiceID"]
    [settled] = [i for i in _records(xero, "Invoices") if i["InvoiceID"] == sale["InvoiceID"]]
    assert settled["Status"] == "PAID"
    assert len(_ours(_records(xero, "ManualJournals"), accrual, xero)) == 1
    [moved] = _ours(_records(xero, "BankTransfers"), transfer, xero)
    assert (moved["FromBankAccount"]["Code"], moved["ToBankAccount"]["Code"],
            _money(moved["Amount"])) == ("090", "091", Decimal("500.00"))
    # The contact Xero made from the name is linked to ours, for the next push.
    landlord = find_contact(xero.db, xero.company_id, "City Landlord")
    assert landlord is not None
    assert landlord.is_supplier
    assert landlord.xero_id == spent["Contact"]["ContactID"]

    before = local_entries(xero)
    again = sync(xero)
    assert again.ok
    assert (again.counts["pushed"], again.counts["created"]) == (0, 0)
    assert local_entries(xero) == before
    for collection, entry_id in (("BankTransactions", spend), ("Invoices", invoice),
                                 ("Payments", payment), ("ManualJournals", accrual),
                                 ("BankTransfers", transfer)):
        assert len(_ours(_records(xero, collection), entry_id, xero)) == 1


def test_xero_entry_no_kind_fits_waits_with_its_reason_and_is_not_sent(xero: Books) -> None:
    assert sync(xero, push=False).ok
    bank, rent = _account(xero, "090"), _account(xero, "469")
    nameless = _post(xero, "CS-9", (rent, "10.00", ""), (bank, "-10.00", ""))
    sent_before = len(_records(xero, "BankTransactions"))
    result = sync(xero)
    assert result.counts["refused"] == 1
    assert "Xero needs a contact on a bank transaction" in result.counts["waiting"][0]
    assert len(_records(xero, "BankTransactions")) == sent_before
    [waiting] = list_refused(xero.db, xero.company_id, "xero")
    assert waiting.entry_id == nameless
    # Not sent again, and still listed, at the next sync.
    again = sync(xero)
    assert again.counts["refused"] == 1
    assert len(_records(xero, "BankTransactions")) == sent_before


def test_xero_payment_without_an_open_invoice_waits_saying_so(xero: Books) -> None:
    assert sync(xero, push=False).ok
    bank, receivable = _account(xero, "090"), _account(xero, "610")
    _post(xero, "PAY-9", (bank, "999.99", ""), (receivable, "-999.99", "Nobody Owes Us"))
    result = sync(xero)
    assert result.counts["refused"] == 1
    assert "Nobody Owes Us has no open invoice in Xero with 999.99 due" in \
        result.counts["waiting"][0]
    assert not [p for p in _records(xero, "Payments")
                if _money(p.get("Amount", "0")) == Decimal("999.99")]


def test_qbo_receivable_line_carries_the_customer_created_at_qbo(qbo: Books) -> None:
    assert sync(qbo, push=False).ok
    receivable = _account(qbo, "Accounts Receivable (A/R)")
    accounts = accounts_by_id(qbo.db, qbo.company_id)
    income = next(a for a in mapping_by_account(qbo.db, qbo.company_id, "qbo",
                                                confirmed_only=True)
                  if accounts[a].type is AccountType.INCOME and accounts[a].active)
    entry_id = _post(qbo, "INV-7", (receivable, "250.00", "Brand New Customer Ltd"),
                     (income, "-250.00", ""))
    result = sync(qbo)
    assert result.counts["refused"] == 0, result.counts["waiting"]
    objects = state(qbo)["api"]["realms"][qbo.tenant]["objects"]
    [customer] = [c for c in objects["Customer"].values()
                  if c["DisplayName"] == "Brand New Customer Ltd"]
    [journal] = [j for j in objects["JournalEntry"].values()
                 if f"[bk:qbo{qbo.company_id}-{entry_id}-" in str(j.get("PrivateNote"))]
    ar_line = next(line for line in journal["Line"]
                   if line["JournalEntryLineDetail"]["PostingType"] == "Debit")
    assert ar_line["JournalEntryLineDetail"]["Entity"]["EntityRef"]["value"] == customer["Id"]
    ours = find_contact(qbo.db, qbo.company_id, "Brand New Customer Ltd")
    assert ours is not None
    assert ours.qbo_customer_id == customer["Id"]
    # A second sync neither sends it again nor makes a second customer.
    assert sync(qbo).counts["pushed"] == 0
    objects = state(qbo)["api"]["realms"][qbo.tenant]["objects"]
    assert len([c for c in objects["Customer"].values()
                if c["DisplayName"] == "Brand New Customer Ltd"]) == 1


def test_xero_journal_in_another_currency_waits_instead_of_being_booked_as_base(
        xero: Books) -> None:
    """Xero's manual journals have no currency (API_NOTES business rules: "a foreign amount is
    booked as base currency, silently"): a USD journal for an NZD organisation is not sent."""
    assert sync(xero, push=False).ok
    rent, wages_payable = _account(xero, "469"), _account(xero, "814")
    entry = JournalEntry(date=dt.date(2026, 11, 3), number="USD-1", currency="USD",
                         status=EntryStatus.POSTED,
                         lines=(JournalLine.of(rent, Decimal("10.00")),
                                JournalLine.of(wages_payable, Decimal("-10.00"))))
    entry_id = entry_service.bulk_insert_entries(xero.db, xero.company_id, [entry])[0]
    result = sync(xero)
    assert result.counts["refused"] == 1
    assert "it is in USD, and a Xero manual journal has no currency: Xero would book its " \
           "amounts as NZD" in result.counts["waiting"][0]
    assert _ours(_records(xero, "ManualJournals"), entry_id, xero) == []


def _post_taxed(books: Books, number: str, *lines: tuple[int, str, str, str]) -> int:
    """An entry whose lines carry (account, amount, contact, tax code)."""
    entry = JournalEntry(date=dt.date(2026, 11, 3), number=number, currency="NZD",
                         status=EntryStatus.POSTED, lines=tuple(
                             JournalLine.of(a, Decimal(v), contact=c, tax_code=t)
                             for a, v, c, t in lines))
    return entry_service.bulk_insert_entries(books.db, books.company_id, [entry])[0]


def test_xero_taxed_lines_go_with_their_tax_type_and_xero_posts_the_tax(xero: Books) -> None:
    """A cash sale of 100.00 + 15.00 GST: the bank transaction is Exclusive, its line carries
    OUTPUT2, the GST line is not sent (Xero posts 15% itself), and the totals agree with ours."""
    assert sync(xero, push=False).ok
    bank, sales, gst = _account(xero, "090"), _account(xero, "200"), _account(xero, "820")
    sale = _post_taxed(xero, "GST-1", (bank, "115.00", "", ""),
                       (sales, "-100.00", "Walk-in Customer", "OUTPUT2"), (gst, "-15.00", "", ""))
    result = sync(xero)
    assert result.counts["refused"] == 0, result.counts["waiting"]
    [received] = _ours(_records(xero, "BankTransactions"), sale, xero)
    assert received["LineAmountTypes"] == "Exclusive"
    assert [(line["AccountCode"], line["TaxType"]) for line in received["LineItems"]] == \
        [("200", "OUTPUT2")]
    assert (_money(received["SubTotal"]), _money(received["TotalTax"]),
            _money(received["Total"])) == (Decimal("100.00"), Decimal("15.00"),
                                           Decimal("115.00"))


def test_xero_tax_that_differs_from_xeros_rate_waits_with_both_figures(xero: Books) -> None:
    assert sync(xero, push=False).ok
    bank, sales, gst = _account(xero, "090"), _account(xero, "200"), _account(xero, "820")
    sent_before = len(_records(xero, "BankTransactions"))
    _post_taxed(xero, "GST-2", (bank, "114.00", "", ""),
                (sales, "-100.00", "Walk-in Customer", "OUTPUT2"), (gst, "-14.00", "", ""))
    result = sync(xero)
    assert result.counts["refused"] == 1
    assert ("its tax line comes to 14.00, but Xero computes 15.00 at its rates: 15.00 (15% "
            "OUTPUT2 on 100.00)") in result.counts["waiting"][0]
    assert len(_records(xero, "BankTransactions")) == sent_before
