"""The Xero sandbox edits a bank transaction or an invoice as Xero's API does (POST with its id
and new fields: `xero_books.EDITABLE`, with its sources): the document keeps its id, its totals
and the ledger follow the new lines (the old posting reversed), and it is refused while the bank
transaction is reconciled or the invoice has a payment applied."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bookkeeper_desktop.sandbox.xero_api import XeroAccountingApi
from tests.sandbox.test_xero_api_helpers import TENANT, call, make_api, parsed
from tests.sandbox.test_xero_api_workflow import invoice, ledger_for


def spend(**extra: Any) -> dict[str, Any]:
    return {"Type": "SPEND", "Contact": {"Name": "Central Copiers"},
            "BankAccount": {"Code": "090"}, "Date": "2026-11-23", "LineAmountTypes": "NoTax",
            "Reference": "paper",
            "LineItems": [{"Description": "Paper", "Quantity": 1, "UnitAmount": 40,
                           "AccountCode": "461"}], **extra}


def posted_lines(api: XeroAccountingApi, source_id: str) -> list[tuple[str, Decimal]]:
    """The ledger's net effect of a document, per account (reversed postings cancel out)."""
    totals: dict[str, Decimal] = {}
    for journal in ledger_for(api, source_id):
        for line in journal["JournalLines"]:
            totals[line["AccountCode"]] = totals.get(line["AccountCode"], Decimal(0)) \
                + line["NetAmount"]
    return sorted((code, amount) for code, amount in totals.items() if amount)


def test_an_unreconciled_bank_transaction_is_edited_in_place() -> None:
    api, clock = make_api()
    [txn] = parsed(call(api, "PUT", "BankTransactions", spend()))["BankTransactions"]
    clock.advance(minutes=1)
    edit = {"BankTransactionID": txn["BankTransactionID"], "Reference": "paper and toner",
            "LineItems": [{"Description": "Paper and toner", "Quantity": 1, "UnitAmount": 65,
                           "AccountCode": "461"}]}
    response = call(api, "POST", "BankTransactions?summarizeErrors=false",
                    {"BankTransactions": [edit]})
    [edited] = parsed(response)["BankTransactions"]
    assert edited["StatusAttributeString"] == "OK", edited
    assert edited["BankTransactionID"] == txn["BankTransactionID"]
    assert (edited["Reference"], edited["Total"]) == ("paper and toner", Decimal("65.00"))
    assert edited["Contact"]["ContactID"] == txn["Contact"]["ContactID"]  # kept
    assert edited["UpdatedDateUTC"] != txn["UpdatedDateUTC"]
    ids = [t["BankTransactionID"] for t in api.objects(TENANT, "BankTransactions")]
    assert ids.count(txn["BankTransactionID"]) == 1
    assert posted_lines(api, txn["BankTransactionID"]) == [
        ("090", Decimal("-65.00")), ("461", Decimal("65.00"))]


def test_a_reconciled_bank_transaction_is_not_edited() -> None:
    api, _ = make_api()
    [txn] = parsed(call(api, "PUT", "BankTransactions",
                        spend(IsReconciled=True)))["BankTransactions"]
    response = call(api, "POST", "BankTransactions?summarizeErrors=false", {"BankTransactions": [
        {"BankTransactionID": txn["BankTransactionID"], "Reference": "changed"}]})
    [answer] = parsed(response)["BankTransactions"]
    assert answer["StatusAttributeString"] == "ERROR"
    assert "reconciled" in answer["ValidationErrors"][0]["Message"]
    [stored] = parsed(call(api, "GET", f"BankTransactions/{txn['BankTransactionID']}"))[
        "BankTransactions"]
    assert stored["Reference"] == "paper"


def test_an_unpaid_invoice_is_edited_and_a_paid_one_is_not() -> None:
    api, clock = make_api()
    [inv] = parsed(call(api, "PUT", "Invoices", invoice(LineAmountTypes="NoTax", LineItems=[
        {"Description": "Design", "Quantity": 1, "UnitAmount": 100, "AccountCode": "200"}])))[
        "Invoices"]
    clock.advance(minutes=1)
    lines = [{"Description": "Design, revised", "Quantity": 1, "UnitAmount": 120,
              "AccountCode": "200"}]
    response = call(api, "POST", f"Invoices/{inv['InvoiceID']}",
                    {"Invoices": [{"InvoiceID": inv["InvoiceID"], "LineItems": lines}]})
    assert response.status == 200, response.body
    [edited] = parsed(response)["Invoices"]
    assert (edited["InvoiceNumber"], edited["Total"], edited["AmountDue"]) == (
        inv["InvoiceNumber"], Decimal("120.00"), Decimal("120.00"))
    assert posted_lines(api, inv["InvoiceID"]) == [
        ("200", Decimal("-120.00")), ("610", Decimal("120.00"))]
    call(api, "PUT", "Payments", {"Invoice": {"InvoiceID": inv["InvoiceID"]},
                                  "Account": {"Code": "090"}, "Date": "2026-11-24",
                                  "Amount": 20})
    refused = call(api, "POST", f"Invoices/{inv['InvoiceID']}",
                   {"Invoices": [{"InvoiceID": inv["InvoiceID"], "LineItems": lines[:1]}]})
    assert refused.status == 400
    assert "payment or credit note allocated" in refused.body.decode()


def test_a_payment_still_changes_only_its_status() -> None:
    api, _ = make_api()
    payment = api.objects(TENANT, "Payments")[0]
    response = call(api, "POST", "Payments?summarizeErrors=false", {"Payments": [
        {"PaymentID": payment["PaymentID"], "Reference": "changed"}]})
    [answer] = parsed(response)["Payments"]
    assert answer["StatusAttributeString"] == "ERROR"
