"""The QBO sandbox refuses what real QBO refuses (issue #11): A/R and A/P lines without a name,
closed books (6200/6210), inactive accounts and names (610), duplicate journal numbers when the
company warns (6140), DisplayNames shared by customers and vendors (6240), and Transfers as
Intuit allows them. Each test quotes where its rule is written. The last tests drive the
test-only `/__sandbox__/` endpoints of real loopback servers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from bookkeeper_desktop.sandbox.clock import FakeClock
from bookkeeper_desktop.sandbox.qbo_api import QboAccountingApi
from bookkeeper_desktop.sandbox.qbo_server import QboSandbox
from bookkeeper_desktop.sandbox.xero_server import XeroSandbox
from tests.sandbox.test_qbo_api_helpers import (
    REALM,
    account_id,
    call,
    fault_of,
    je_body,
    make_api,
    parsed,
)


def with_name(body: dict[str, Any], line: int, kind: str, object_id: str) -> dict[str, Any]:
    body["Line"][line]["JournalEntryLineDetail"]["Entity"] = {
        "Type": kind, "EntityRef": {"value": object_id}}
    return body


def created(api: QboAccountingApi, target: str, body: dict[str, Any]) -> dict[str, Any]:
    response = call(api, "POST", target, body)
    assert response.status == 200, response.body
    result: dict[str, Any] = next(iter(parsed(response).values()))
    return result


# --- A/R and A/P lines name a customer or vendor ----------------------------------------------


def test_a_receivable_line_without_a_customer_is_6000_in_intuits_words() -> None:
    """API_NOTES.md business rules, confirmed: Fault 6000 "Business Validation Error: When you
    use Accounts Receivable, you must select a customer in the Name field." (… Payable …
    vendor)."""
    api, _ = make_api()
    receivable, income = account_id(api, "1200"), account_id(api, "4000")
    payable, rent = account_id(api, "2000"), account_id(api, "6050")
    error = fault_of(call(api, "POST", "journalentry", je_body(receivable, income)))
    assert error["code"] == "6000"
    assert error["Detail"] == ("Business Validation Error: When you use Accounts Receivable, "
                               "you must select a customer in the Name field.")
    vendor_id = api.objects(REALM, "Vendor")[0]["Id"]
    wrong_kind = with_name(je_body(receivable, income), 0, "Vendor", vendor_id)
    assert fault_of(call(api, "POST", "journalentry", wrong_kind))["code"] == "6000"
    error = fault_of(call(api, "POST", "journalentry", je_body(rent, payable)))
    assert error["Detail"] == ("Business Validation Error: When you use Accounts Payable, you "
                               "must select a vendor in the Name field.")
    both = je_body(receivable, payable)  # API_NOTES: a JE may carry A/R and A/P lines together
    with_name(both, 0, "Customer", api.objects(REALM, "Customer")[0]["Id"])
    with_name(both, 1, "Vendor", vendor_id)
    assert created(api, "journalentry", both)["TotalAmt"] == Decimal("100.10")


# --- closed books -----------------------------------------------------------------------------


def test_closed_books_refuse_with_6200_and_with_6210_when_the_date_has_a_password() -> None:
    """API_NOTES.md business rules, confirmed: "closed books: 6200 'Account Period Closed'; 6210
    when the closing date has a password"; the closing date is Intuit's
    `Preferences.AccountingInfoPrefs.BookCloseDate`."""
    api, _ = make_api()
    body = je_body(account_id(api, "6050"), account_id(api, "2220"), TxnDate="2026-10-31")
    api.set_preferences(REALM, {"BookCloseDate": "2026-10-31"})
    error = fault_of(call(api, "POST", "journalentry", body))
    assert (error["code"], error["Message"]) == ("6200", "Account Period Closed")
    assert api.preferences(REALM)["AccountingInfoPrefs"]["BookCloseDate"] == "2026-10-31"
    api.set_preferences(REALM, {"BookClosePassword": True})
    error = fault_of(call(api, "POST", "journalentry", body))
    assert (error["code"], error["Message"]) == (
        "6210", "Account Period Closed, Cannot Update Through Services API")
    assert created(api, "journalentry", {**body, "TxnDate": "2026-11-01"})["Id"]
    api.set_preferences(REALM, {"BookCloseDate": None})
    assert "BookCloseDate" not in api.preferences(REALM)["AccountingInfoPrefs"]
    assert created(api, "journalentry", body)["TxnDate"] == "2026-10-31"


def test_preferences_are_served_in_intuits_shape() -> None:
    """Intuit's Preferences entity (`GET /v3/company/{realm}/preferences`): AccountingInfoPrefs
    and OtherPrefs.NameValue with WarnDuplicateCheckNumber, WarnDuplicateBillNumber and
    WarnDuplicateJournalNumber, as Intuit's answers carry them."""
    api, _ = make_api()
    prefs = parsed(call(api, "GET", "preferences"))["Preferences"]
    names = {nv["Name"]: nv["Value"] for nv in prefs["OtherPrefs"]["NameValue"]}
    assert names["WarnDuplicateJournalNumber"] == "false"
    assert "BookCloseDate" not in prefs["AccountingInfoPrefs"]
    api.set_preferences(REALM, {"WarnDuplicateJournalNumber": True,
                                "BookCloseDate": "2026-06-30"})
    prefs = parsed(call(api, "GET", "preferences"))["Preferences"]
    names = {nv["Name"]: nv["Value"] for nv in prefs["OtherPrefs"]["NameValue"]}
    assert names["WarnDuplicateJournalNumber"] == "true"
    assert prefs["AccountingInfoPrefs"]["BookCloseDate"] == "2026-06-30"
    for bad, words in (({"BookClosePassword": "yes"}, "true or false"),
                       ({"ClosingDate": "2026-01-01"}, "unknown preferences"),
                       ({"BookCloseDate": "June"}, "isoformat")):
        with pytest.raises(ValueError, match=words):
            api.set_preferences(REALM, bad)
    restored = QboAccountingApi()
    restored.from_state(api.to_state())
    assert restored.preferences(REALM)["OtherPrefs"] == prefs["OtherPrefs"]


# --- inactive accounts and names --------------------------------------------------------------


def test_an_inactive_account_or_name_is_610() -> None:
    """API_NOTES.md business rules, confirmed: "inactive account — 610 'Something you're trying
    to use has been made inactive'"."""
    api, _ = make_api()
    meals, bank = account_id(api, "6080"), account_id(api, "1000")
    api.remote_edit(REALM, "Account", meals, {"Active": False})
    error = fault_of(call(api, "POST", "journalentry", je_body(meals, bank)))
    assert error["code"] == "610"
    assert "Something you're trying to use has been made inactive" in error["Detail"]
    customer = api.objects(REALM, "Customer")[0]
    api.remote_edit(REALM, "Customer", customer["Id"], {"Active": False})
    body = with_name(je_body(account_id(api, "1200"), account_id(api, "4000")), 0, "Customer",
                     customer["Id"])
    error = fault_of(call(api, "POST", "journalentry", body))
    assert error["code"] == "610"
    assert error["element"] == "Line.JournalEntryLineDetail.Entity.EntityRef"


# --- duplicate journal numbers ----------------------------------------------------------------


def test_a_duplicate_journal_number_is_6140_when_the_company_warns() -> None:
    """API_NOTES.md business rules: "duplicate DocNumber when the company warns on duplicates —
    6140 'Duplicate Doc Num'"; the preference is `OtherPrefs` WarnDuplicateJournalNumber, and
    Intuit's API reference: "If a duplicate DocNumber needs to be supplied, add the query
    parameter name/value pair, `include=allowduplicatedocnum` to the URI"."""
    api, _ = make_api()
    body = je_body(account_id(api, "6050"), account_id(api, "2220"), DocNumber="BK-77")
    first = created(api, "journalentry", body)
    assert created(api, "journalentry", body)["DocNumber"] == "BK-77"  # no warning: accepted
    api.set_preferences(REALM, {"WarnDuplicateJournalNumber": True})
    error = fault_of(call(api, "POST", "journalentry", body))
    assert (error["code"], error["Message"], error["element"]) == (
        "6140", "Duplicate Doc Num", "DocNumber")
    assert f"DocNumber=BK-77 is assigned to TxnType=Journal Entry with TxnId={first['Id']}" \
        in error["Detail"]
    allowed = call(api, "POST", "journalentry?include=allowduplicatedocnum", body)
    assert allowed.status == 200
    other = created(api, "journalentry", {**body, "DocNumber": "BK-78"})
    renumbered = call(api, "POST", "journalentry", {
        "Id": other["Id"], "SyncToken": other["SyncToken"], "sparse": True, "DocNumber": "BK-77"})
    assert fault_of(renumbered)["code"] == "6140"
    same = call(api, "POST", "journalentry", {
        "Id": other["Id"], "SyncToken": other["SyncToken"], "sparse": True,
        "DocNumber": "BK-78", "PrivateNote": "its own number again"})
    assert same.status == 200
    batch = parsed(call(api, "POST", "batch", {"BatchItemRequest": [
        {"bId": "b1", "operation": "create", "JournalEntry": body}]}))
    assert batch["BatchItemResponse"][0]["Fault"]["Error"][0]["code"] == "6140"


# --- names --------------------------------------------------------------------------------------


def test_a_display_name_is_unique_across_customers_and_vendors() -> None:
    """Intuit's Customer and Vendor reference: DisplayName must be unique across all Customer,
    Vendor and Employee objects (API_NOTES.md errors / api-research: 6240 "Duplicate Name
    Exists Error")."""
    api, _ = make_api()
    vendor = api.objects(REALM, "Vendor")[0]
    error = fault_of(call(api, "POST", "customer", {"DisplayName": vendor["DisplayName"]}))
    assert (error["code"], error["Message"]) == ("6240", "Duplicate Name Exists Error")
    customer = created(api, "customer", {"DisplayName": "Harbour Cafe"})
    assert fault_of(call(api, "POST", "vendor", {"DisplayName": "harbour cafe"}))["code"] == \
        "6240"
    renamed = created(api, "customer", {"Id": customer["Id"], "SyncToken": customer["SyncToken"],
                                        "sparse": True, "DisplayName": "Harbour Cafe",
                                        "CompanyName": "Harbour Cafe Ltd"})
    assert renamed["SyncToken"] == "1"
    found = parsed(call(api, "GET", f"customer/{customer['Id']}"))["Customer"]
    assert found["DisplayName"] == "Harbour Cafe"


# --- transfers ----------------------------------------------------------------------------------


def test_a_transfer_is_created_updated_and_deleted() -> None:
    """API_NOTES.md / issue #11: money between two bank accounts goes to QBO as a Transfer
    (python-quickbooks 0.9.12 `Transfer`: FromAccountRef, ToAccountRef, Amount, TxnDate;
    Intuit allows create, read, update and delete, and no void)."""
    api, _ = make_api()
    checking, savings = account_id(api, "1000"), account_id(api, "1010")
    made = created(api, "transfer", {"Amount": Decimal("300.00"), "TxnDate": "2026-11-20",
                                     "FromAccountRef": {"value": checking},
                                     "ToAccountRef": {"value": savings}})
    assert made["FromAccountRef"] == {"value": checking, "name": "Business Checking"}
    changed = created(api, "transfer", {"Id": made["Id"], "SyncToken": made["SyncToken"],
                                        "sparse": True, "Amount": Decimal("325.00")})
    assert (changed["Amount"], changed["SyncToken"]) == (Decimal("325.00"), "1")
    assert fault_of(call(api, "POST", "transfer?operation=void", {
        "Id": made["Id"], "SyncToken": "1"}))["code"] == "500"
    gone = parsed(call(api, "POST", "transfer?operation=delete",
                       {"Id": made["Id"], "SyncToken": "1"}))["Transfer"]
    assert gone["status"] == "Deleted"
    api.set_closing_date(REALM, dt.date(2026, 11, 30))
    assert fault_of(call(api, "POST", "transfer", {
        "Amount": Decimal("5.00"), "TxnDate": "2026-11-20", "FromAccountRef": {"value": checking},
        "ToAccountRef": {"value": savings}}))["code"] == "6200"


# --- the test-only endpoints on real servers ----------------------------------------------------

XERO_TENANT = "0c2b6f4e-1a3d-4e5f-8a7b-9c0d1e2f3a4b"
QBO_REALM = "4620816365"


@pytest.fixture
def servers() -> Iterator[tuple[QboSandbox, XeroSandbox]]:
    clock = FakeClock()
    with QboSandbox(clock=clock, companies={QBO_REALM: "Maple Street Bakery"}) as qbo, \
            XeroSandbox(clock=clock, organisations={XERO_TENANT: "Kea Coffee Ltd"}) as xero:
        yield qbo, xero


def test_lock_dates_and_preferences_are_set_through_the_sandbox_endpoints(
        servers: tuple[QboSandbox, XeroSandbox], http: httpx.Client) -> None:
    """The `/__sandbox__/` endpoints stand in for the settings screens of Xero (lock dates) and
    QBO (closing date, duplicate warning); neither API can set them."""
    qbo, xero = servers
    answer = http.post(f"{xero.base_url}/__sandbox__/lock_dates", json={
        "tenant_id": XERO_TENANT, "PeriodLockDate": "2026-10-31"})
    assert answer.status_code == 200
    assert answer.json() == {"PeriodLockDate": "2026-10-31", "EndOfYearLockDate": None}
    answer = http.post(f"{xero.base_url}/__sandbox__/lock_dates", json={
        "tenant_id": XERO_TENANT, "EndOfYearLockDate": "2026-03-31"})
    assert answer.json() == {"PeriodLockDate": "2026-10-31", "EndOfYearLockDate": "2026-03-31"}
    assert http.post(f"{xero.base_url}/__sandbox__/lock_dates",
                     json={"tenant_id": "nobody"}).status_code == 400
    assert http.post(f"{xero.base_url}/__sandbox__/lock_dates", json={
        "tenant_id": XERO_TENANT, "PeriodLockDate": "last month"}).status_code == 400
    assert http.get(f"{xero.base_url}/__sandbox__/lock_dates").status_code == 405
    org = xero.state_snapshot()
    assert "PeriodLockDate" in str(org)
    answer = http.post(f"{qbo.base_url}/__sandbox__/preferences", json={
        "realm_id": QBO_REALM, "BookCloseDate": "2026-09-30", "BookClosePassword": True,
        "WarnDuplicateJournalNumber": True})
    assert answer.status_code == 200
    prefs = answer.json()
    assert prefs["AccountingInfoPrefs"]["BookCloseDate"] == "2026-09-30"
    assert {"Name": "WarnDuplicateJournalNumber", "Value": "true"} in \
        prefs["OtherPrefs"]["NameValue"]
    assert http.post(f"{qbo.base_url}/__sandbox__/preferences", json={
        "realm_id": QBO_REALM, "Colour": "blue"}).status_code == 400
    assert http.post(f"{qbo.base_url}/__sandbox__/lock_dates", json={}).status_code == 404
