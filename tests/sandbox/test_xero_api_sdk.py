"""Xero's own SDK reads what the sandbox answers and the sandbox accepts what the SDK sends.

xero-python 15 is generated from Xero's OpenAPI spec, so its models are the published shapes: every
GET answer must deserialize into them (dates, enums, amounts), and the JSON its serializer writes
for a ManualJournals PUT (dates as `/Date(ms)/`, amounts as floats) must be accepted.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from xero_python.accounting import models
from xero_python.api_client import ModelFinder
from xero_python.api_client.deserializer import deserialize
from xero_python.api_client.serializer import serialize

from tests.sandbox.test_xero_api_helpers import TENANT, call, make_api

FINDER = ModelFinder(models)


def sdk_read(body: bytes, response_type: str) -> Any:
    return deserialize(response_type, json.loads(body, parse_float=Decimal), FINDER)


@pytest.mark.parametrize(("target", "response_type", "attribute"), [
    ("Organisation", "Organisations", "organisations"),
    ("Accounts", "Accounts", "accounts"),
    ("ManualJournals?page=1", "ManualJournals", "manual_journals"),
    ("Invoices?page=1", "Invoices", "invoices"),
    ("BankTransactions?page=1", "BankTransactions", "bank_transactions"),
    ("Payments?page=1", "Payments", "payments"),
    ("BankTransfers", "BankTransfers", "bank_transfers"),
    ("Contacts?page=1", "Contacts", "contacts"),
    ("Journals", "Journals", "journals"),
    ("TaxRates", "TaxRates", "tax_rates"),
    ("TrackingCategories", "TrackingCategories", "tracking_categories"),
])
def test_every_answer_deserializes_into_the_sdk_models(target: str, response_type: str,
                                                       attribute: str) -> None:
    api, _ = make_api(advanced=True)
    response = call(api, "GET", target)
    assert response.status == 200
    items = getattr(sdk_read(response.body, response_type), attribute)
    assert items
    assert all(type(item).__module__.startswith("xero_python.accounting.models")
               for item in items)
    assert all(item.to_dict() for item in items)


def test_sdk_reads_dates_enums_and_amounts() -> None:
    api, _ = make_api(advanced=True)
    journals = sdk_read(call(api, "GET", "ManualJournals?page=1").body,
                        "ManualJournals").manual_journals
    first = journals[0]
    assert isinstance(first.date, dt.date)
    assert isinstance(first.updated_date_utc, dt.datetime)
    assert first.updated_date_utc.tzinfo is not None
    assert first.line_amount_types == models.LineAmountTypes.NOTAX
    assert isinstance(first.journal_lines[0].line_amount, Decimal)
    accounts = sdk_read(call(api, "GET", "Accounts").body, "Accounts").accounts
    assert {a.type for a in accounts} >= {models.AccountType.BANK, models.AccountType.CURRLIAB,
                                          models.AccountType.EQUITY}
    assert any(a.system_account == "RETAINEDEARNINGS" for a in accounts)
    pagination = sdk_read(call(api, "GET", "Invoices?page=1&pageSize=5").body,
                          "Invoices").pagination
    assert (pagination.page, pagination.page_size) == (1, 5)


def test_sdk_reads_the_validation_error() -> None:
    api, _ = make_api()
    response = call(api, "PUT", "ManualJournals", {"Narration": "", "JournalLines": []})
    error = sdk_read(response.body, "Error")
    assert error.error_number == 10
    assert error.type == "ValidationException"
    messages = [e.message for e in error.elements[0].validation_errors]
    assert "Narration cannot be empty." in messages


def test_what_the_sdk_sends_is_accepted() -> None:
    api, _ = make_api()
    journal = models.ManualJournal(
        narration="Sent by xero-python", date=dt.date(2026, 11, 20), status="POSTED",
        line_amount_types=models.LineAmountTypes.NOTAX,
        journal_lines=[
            models.ManualJournalLine(line_amount=Decimal("10.50"), account_code="469",
                                     description="dr", tax_type="NONE"),
            models.ManualJournalLine(line_amount=Decimal("-10.50"), account_code="814",
                                     description="cr", tax_type="NONE"),
        ])
    body = serialize(models.ManualJournals(manual_journals=[journal]))
    assert body["ManualJournals"][0]["Date"].startswith("/Date(")
    response = call(api, "PUT", "ManualJournals?summarizeErrors=false", body)
    assert response.status == 200
    [saved] = sdk_read(response.body, "ManualJournals").manual_journals
    assert saved.status_attribute_string == "OK"
    assert saved.date == dt.date(2026, 11, 20)
    assert [line.line_amount for line in saved.journal_lines] == [Decimal("10.50"),
                                                                   Decimal("-10.50")]


def test_the_sdks_bank_transfer_create_and_delete_are_accepted_and_read_back() -> None:
    """xero-python 15 `BankTransfers` (PUT create), `BankTransfersDelete` (POST with
    `Status: DELETED`) and the `Organisation` lock dates deserialize as the SDK expects."""
    api, _ = make_api()
    transfer = models.BankTransfer(
        from_bank_account=models.Account(code="090"),
        to_bank_account=models.Account(code="091"), amount=Decimal("42.10"),
        date=dt.date(2026, 11, 20), reference="SDK transfer")
    response = call(api, "PUT", "BankTransfers",
                    serialize(models.BankTransfers(bank_transfers=[transfer])))
    assert response.status == 200, response.body
    [saved] = sdk_read(response.body, "BankTransfers").bank_transfers
    assert (saved.amount, saved.date, saved.status) == (Decimal("42.10"),
                                                        dt.date(2026, 11, 20), "AUTHORISED")
    assert saved.to_bank_account.code == "091"
    assert saved.created_date_utc.tzinfo is not None
    delete = serialize(models.BankTransfersDelete(bank_transfers=[
        models.BankTransferDelete(bank_transfer_id=saved.bank_transfer_id)]))
    [deleted] = sdk_read(call(api, "POST", "BankTransfers", delete).body,
                         "BankTransfers").bank_transfers
    assert deleted.status == "DELETED"
    api.set_lock_dates(TENANT, period=dt.date(2026, 10, 31))
    [org] = sdk_read(call(api, "GET", "Organisation").body, "Organisations").organisations
    assert org.period_lock_date == dt.date(2026, 10, 31)
    assert org.end_of_year_lock_date is None
