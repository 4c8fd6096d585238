"""Which pulled transactions become ledger entries and with which sides (synthetic payloads in
the vendors' shapes)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from bookkeeper_desktop.core.journal import EntrySource
from bookkeeper_desktop.sync.remote_entries import gone, qbo_entry, xero_entry

ACCOUNTS = {"35": 1, "60": 2, "61": 3, "90": 4, "200": 5, "400": 6, "bank-id": 7}


def _sides(entry: object) -> list[tuple[int, Decimal]]:
    return [(line.account_id, line.signed_amount) for line in entry.lines]  # type: ignore[attr-defined]


def test_purchase_credits_the_payment_account_and_debits_each_line() -> None:
    purchase = {"Id": "7", "SyncToken": "0", "TxnDate": "2026-10-02", "AccountRef": {"value": "35"},
                "PrivateNote": "Supplies", "Line": [
                    {"Amount": "40.00", "DetailType": "AccountBasedExpenseLineDetail",
                     "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "60"}}},
                    {"Amount": 2.5, "DetailType": "AccountBasedExpenseLineDetail",
                     "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "61"}}}]}
    entry, reason = qbo_entry("Purchase", purchase, ACCOUNTS)
    assert reason == ""
    assert entry is not None
    assert _sides(entry) == [(2, Decimal("40.00")), (3, Decimal("2.50")), (1, Decimal("-42.50"))]
    assert entry.date == dt.date(2026, 10, 2)
    assert entry.source is EntrySource.QBO
    assert entry.memo == "Supplies"
    assert entry.qbo_id is None  # QBO ids are per entity: only journal entries carry it
    refund, _ = qbo_entry("Purchase", {**purchase, "Credit": True}, ACCOUNTS)
    assert refund is not None
    assert _sides(refund) == [(2, Decimal("-40.00")), (3, Decimal("-2.50")), (1, Decimal("42.50"))]


def test_purchase_with_item_lines_or_unmapped_accounts_is_not_posted() -> None:
    items = {"Id": "8", "TxnDate": "2026-10-02", "AccountRef": {"value": "35"}, "Line": [
        {"Amount": 5, "DetailType": "ItemBasedExpenseLineDetail",
         "ItemBasedExpenseLineDetail": {"ItemRef": {"value": "3"}}}]}
    assert qbo_entry("Purchase", items, ACCOUNTS)[0] is None
    assert "item" in qbo_entry("Purchase", items, ACCOUNTS)[1]
    unmapped = {"Id": "9", "TxnDate": "2026-10-02", "AccountRef": {"value": "999"}, "Line": [
        {"Amount": 5, "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "60"}}}]}
    assert qbo_entry("Purchase", unmapped, ACCOUNTS) == (None, "accounts not mapped: 999")


def test_deposit_and_transfer() -> None:
    deposit = {"Id": "3", "TxnDate": "2026-10-03", "DepositToAccountRef": {"value": "35"},
               "Line": [{"Amount": "100.00", "DetailType": "DepositLineDetail",
                         "DepositLineDetail": {"AccountRef": {"value": "90"}}}]}
    entry, _ = qbo_entry("Deposit", deposit, ACCOUNTS)
    assert entry is not None
    assert _sides(entry) == [(4, Decimal("-100.00")), (1, Decimal("100.00"))]
    linked = {**deposit, "Line": [{"Amount": "100.00", "LinkedTxn": [{"TxnId": "4"}],
                                   "DepositLineDetail": {}}]}
    assert qbo_entry("Deposit", linked, ACCOUNTS)[0] is None
    transfer = {"Id": "2", "TxnDate": "2026-10-04", "Amount": "75.10",
                "FromAccountRef": {"value": "35"}, "ToAccountRef": {"value": "90"}}
    entry, _ = qbo_entry("Transfer", transfer, ACCOUNTS)
    assert entry is not None
    assert _sides(entry) == [(4, Decimal("75.10")), (1, Decimal("-75.10"))]


def test_invoices_and_payments_are_kept_unposted_with_a_reason() -> None:
    for kind in ("Invoice", "Payment", "Bill", "BillPayment"):
        entry, reason = qbo_entry(kind, {"Id": "1", "TxnDate": "2026-10-01"}, ACCOUNTS)
        assert entry is None
        assert "A/R" in reason
    assert xero_entry("Invoices", {"InvoiceID": "x"}, ACCOUNTS)[0] is None


def test_xero_bank_transactions_spend_receive_and_tax() -> None:
    spend = {"BankTransactionID": "b1", "Type": "SPEND", "LineAmountTypes": "NoTax",
             "Date": "/Date(1790000000000+0000)/", "Reference": "REF-1",
             "BankAccount": {"AccountID": "bank-id"},
             "LineItems": [{"AccountCode": "400", "LineAmount": "30.00"}]}
    entry, reason = xero_entry("BankTransactions", spend, ACCOUNTS)
    assert reason == ""
    assert entry is not None
    assert _sides(entry) == [(6, Decimal("30.00")), (7, Decimal("-30.00"))]
    assert entry.number == "REF-1"
    assert entry.source is EntrySource.XERO
    receive, _ = xero_entry("BankTransactions", {**spend, "Type": "RECEIVE"}, ACCOUNTS)
    assert receive is not None
    assert _sides(receive) == [(6, Decimal("-30.00")), (7, Decimal("30.00"))]
    taxed = {**spend, "LineAmountTypes": "Exclusive", "TotalTax": "4.50"}
    assert xero_entry("BankTransactions", taxed, ACCOUNTS)[0] is None
    transfer = {**spend, "Type": "SPEND-TRANSFER"}
    assert xero_entry("BankTransactions", transfer, ACCOUNTS)[0] is None


def test_deleted_and_voided_are_recognised() -> None:
    assert gone("qbo", "JournalEntry", {"Id": "1", "status": "Deleted"})
    assert gone("qbo", "Invoice", {"Id": "1", "PrivateNote": "Voided", "TotalAmt": 0})
    assert not gone("qbo", "Invoice", {"Id": "1", "PrivateNote": "Voided", "TotalAmt": "10.00"})
    assert gone("xero", "ManualJournals", {"Status": "VOIDED"})
    assert gone("xero", "Payments", {"Status": "DELETED"})
    assert not gone("xero", "ManualJournals", {"Status": "POSTED"})
