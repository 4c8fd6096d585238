"""The QBO sandbox's v3 API through `handle`, no socket: companyinfo, the seeded company,
accounts, journal entries (create, read, update, delete, validation faults), the other
transactions, SyncToken conflicts, requestid replay, the test helpers and the state round trip."""

from __future__ import annotations

import datetime as dt
import json
import threading
from decimal import Decimal

import pytest

from bookkeeper_desktop.sandbox.http import Request
from bookkeeper_desktop.sandbox.qbo_api import QboAccountingApi, parse_stamp
from bookkeeper_desktop.sandbox.qbo_faults import QboFault
from tests.sandbox.test_qbo_api_helpers import (
    REALM,
    START,
    account_id,
    call,
    fault_of,
    je_body,
    make_api,
    parsed,
    query,
)

QBO_ACCOUNT_TYPES = {
    "Bank", "Accounts Receivable", "Other Current Asset", "Fixed Asset", "Other Asset",
    "Accounts Payable", "Credit Card", "Other Current Liability", "Long Term Liability", "Equity",
    "Income", "Cost of Goods Sold", "Expense", "Other Income", "Other Expense",
}


def _assert_bookkeeping(obj: dict[str, object]) -> None:
    assert isinstance(obj["Id"], str)
    assert isinstance(obj["SyncToken"], str)
    assert obj["domain"] == "QBO"
    assert obj["sparse"] is False
    meta = obj["MetaData"]
    assert isinstance(meta, dict)
    for key in ("CreateTime", "LastUpdatedTime"):
        moment = dt.datetime.fromisoformat(meta[key])
        assert moment.utcoffset() is not None  # ISO with an offset, as Intuit sends


# --- companyinfo and the seeded company ----------------------------------------------------------


def test_companyinfo_has_intuit_shape() -> None:
    api, _ = make_api()
    response = call(api, "GET", f"companyinfo/{REALM}?minorversion=75")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("application/json")
    payload = parsed(response)
    assert set(payload) == {"CompanyInfo", "time"}
    info = payload["CompanyInfo"]
    assert info["CompanyName"] == "Sierra Consulting"
    assert info["Country"] == "US"
    _assert_bookkeeping(info)
    assert dt.datetime.fromisoformat(payload["time"]).utcoffset() is not None


def test_companyinfo_of_another_id_is_object_not_found() -> None:
    api, _ = make_api()
    response = call(api, "GET", "companyinfo/42")
    assert response.status == 400
    assert fault_of(response)["code"] == "610"


def test_a_realm_the_token_does_not_cover_is_refused() -> None:
    api, _ = make_api()
    request = Request.from_target("GET", f"/v3/company/{REALM}/companyinfo/{REALM}",
                                  {"Accept": "application/json"})
    response = api.handle(request, "other-realm")
    assert response.status == 403
    assert fault_of(response)["type"] == "AuthorizationFault"


def test_seeded_chart_covers_every_account_type_with_subtypes_and_numbers() -> None:
    api, _ = make_api()
    accounts = api.objects(REALM, "Account")
    assert 38 <= len(accounts) <= 50
    assert {a["AccountType"] for a in accounts} == QBO_ACCOUNT_TYPES
    assert all(a["AccountSubType"] and a["AcctNum"] for a in accounts)
    assert len({a["AcctNum"] for a in accounts}) == len(accounts)
    subs = [a for a in accounts if a["SubAccount"]]
    assert subs
    for sub in subs:
        parent = next(a for a in accounts if a["Id"] == sub["ParentRef"]["value"])
        assert sub["FullyQualifiedName"] == f"{parent['Name']}:{sub['Name']}"
    classes = {a["AccountType"]: a["Classification"] for a in accounts}
    assert classes["Bank"] == "Asset"
    assert classes["Income"] == "Revenue"
    assert classes["Credit Card"] == "Liability"


def test_seeded_transactions_of_every_kind_over_the_last_months() -> None:
    api, _ = make_api()
    total = 0
    for entity in ("JournalEntry", "Purchase", "Deposit", "Transfer", "Invoice", "Payment", "Bill",
                   "BillPayment"):
        rows = api.objects(REALM, entity)
        assert rows, entity
        total += len(rows)
        for row in rows:
            _assert_bookkeeping(row)
            txn_date = dt.date.fromisoformat(row["TxnDate"])
            assert START.date() - dt.timedelta(days=130) <= txn_date < START.date()
            assert parse_stamp(row["MetaData"]["CreateTime"]) < START
    assert 30 <= total <= 80
    offsets = {row["MetaData"]["CreateTime"][-6:] for row in api.objects(REALM, "JournalEntry")}
    assert offsets == {"-07:00", "-08:00"}  # summer and winter time in California
    edited = [row for entity in ("Purchase", "Invoice", "JournalEntry")
              for row in api.objects(REALM, entity) if row["SyncToken"] == "1"]
    assert len(edited) >= 3
    assert len(api.tombstones(REALM, "JournalEntry")) == 1
    for entry in api.objects(REALM, "JournalEntry"):
        sides = {"Debit": Decimal(0), "Credit": Decimal(0)}
        for line in entry["Line"]:
            detail = line["JournalEntryLineDetail"]
            sides[detail["PostingType"]] += line["Amount"]
        assert sides["Debit"] == sides["Credit"] == entry["TotalAmt"]


def test_seeding_is_reproducible_for_the_same_seed_and_realm() -> None:
    first, _ = make_api()
    second, _ = make_api()
    assert first.objects(REALM, "Purchase") == second.objects(REALM, "Purchase")


# --- accounts ------------------------------------------------------------------------------------


def test_account_create_read_and_computed_fields() -> None:
    api, _ = make_api()
    created = call(api, "POST", "account?minorversion=75", {
        "Name": "Conference Fees", "AccountType": "Expense",
        "AccountSubType": "Travel", "AcctNum": "6075",
    })
    assert created.status == 200
    account = parsed(created)["Account"]
    _assert_bookkeeping(account)
    assert account["SyncToken"] == "0"
    assert account["Classification"] == "Expense"
    assert account["FullyQualifiedName"] == "Conference Fees"
    assert account["Active"] is True
    read = parsed(call(api, "GET", f"account/{account['Id']}"))["Account"]
    assert read == account


def test_account_without_subtype_gets_qbo_default_and_subaccount_path() -> None:
    api, _ = make_api()
    parent = account_id(api, "6070")
    account = parsed(call(api, "POST", "account", {
        "Name": "Airfare", "AccountType": "Expense", "ParentRef": {"value": parent},
    }))["Account"]
    assert account["AccountSubType"] == "OfficeGeneralAdministrativeExpenses"
    assert account["SubAccount"] is True
    assert account["FullyQualifiedName"] == "Travel:Airfare"


@pytest.mark.parametrize(("body", "code"), [
    ({"AccountType": "Expense"}, "2020"),
    ({"Name": "Rent & Lease", "AccountType": "Expense"}, "6240"),
    ({"Name": "rent & lease", "AccountType": "Expense"}, "6240"),
    ({"Name": "A:B", "AccountType": "Expense"}, "2010"),
    ({"Name": "Fine", "AccountType": "Spaceship"}, "2010"),
    ({"Name": "Fine"}, "2020"),
    ({"Name": "Fine", "AccountType": "Non-Posting"}, "6000"),
    ({"Name": "Fine", "AccountType": "Expense", "AcctNum": "6000"}, "6000"),
    ({"Name": "Fine", "AccountType": "Expense", "ParentRef": {"value": "999"}}, "2500"),
])
def test_account_validation_faults(body: dict[str, object], code: str) -> None:
    api, _ = make_api()
    before = len(api.objects(REALM, "Account"))
    response = call(api, "POST", "account", body)
    assert response.status == 400
    error = fault_of(response)
    assert error["code"] == code
    assert error["type"] == "ValidationFault"
    assert len(api.objects(REALM, "Account")) == before


def test_account_update_bumps_sync_token_and_stale_token_is_5010() -> None:
    api, clock = make_api()
    account = parsed(call(api, "GET", f"account/{account_id(api, '6060')}"))["Account"]
    clock.advance(minutes=5)
    updated = parsed(call(api, "POST", "account", {
        **account, "Description": "Power and water",
    }))["Account"]
    assert updated["SyncToken"] == "1"
    assert updated["Description"] == "Power and water"
    assert updated["MetaData"]["CreateTime"] == account["MetaData"]["CreateTime"]
    assert parse_stamp(updated["MetaData"]["LastUpdatedTime"]) == clock.now
    stale = call(api, "POST", "account", {**account, "Description": "lost update"})
    assert stale.status == 400
    error = fault_of(stale)
    assert error["code"] == "5010"
    assert error["Message"] == "Stale Object Error"
    assert api.objects(REALM, "Account")[int(account["Id"]) - 1]["Description"] == (
        "Power and water")


def test_account_is_made_inactive_not_deleted() -> None:
    api, _ = make_api()
    account = parsed(call(api, "GET", f"account/{account_id(api, '8010')}"))["Account"]
    deleted = call(api, "POST", "account?operation=delete",
                   {"Id": account["Id"], "SyncToken": account["SyncToken"]})
    assert fault_of(deleted)["code"] == "500"
    inactive = parsed(call(api, "POST", "account", {
        "Id": account["Id"], "SyncToken": "0", "sparse": True, "Active": False,
    }))["Account"]
    assert inactive["Active"] is False
    assert inactive["Name"] == "Penalties & Settlements (deleted)"
    assert inactive["AcctNum"] == "8010"  # sparse update kept the rest
    listed = parsed(query(api, "select * from Account maxresults 1000"))["QueryResponse"]
    assert inactive["Id"] not in {a["Id"] for a in listed["Account"]}
    with_inactive = parsed(query(api, "select * from Account where Active = false"))
    assert [a["Id"] for a in with_inactive["QueryResponse"]["Account"]] == [inactive["Id"]]


def test_read_of_missing_object_is_610() -> None:
    api, _ = make_api()
    response = call(api, "GET", "account/99999")
    assert response.status == 400
    error = fault_of(response)
    assert (error["code"], error["Message"]) == ("610", "Object Not Found")


# --- journal entries -----------------------------------------------------------------------------


def test_journal_entry_create_and_read_with_exact_amounts() -> None:
    api, _ = make_api()
    bank, income = account_id(api, "1000"), account_id(api, "4000")
    body = je_body(bank, income, "0.10")
    body["Line"].append({"Amount": Decimal("0.20"), "DetailType": "JournalEntryLineDetail",
                         "JournalEntryLineDetail": {"PostingType": "Debit",
                                                    "AccountRef": {"value": bank}}})
    body["Line"][1]["Amount"] = Decimal("0.30")
    response = call(api, "POST", "journalentry?minorversion=75", body)
    assert response.status == 200
    assert b'"TotalAmt":0.30' in response.body  # a JSON number, digit for digit
    entry = parsed(response)["JournalEntry"]
    _assert_bookkeeping(entry)
    assert entry["TotalAmt"] == Decimal("0.30")
    assert [line["Id"] for line in entry["Line"]] == ["0", "1", "2"]
    assert entry["Line"][0]["JournalEntryLineDetail"]["AccountRef"] == {
        "value": bank, "name": "Business Checking"}
    assert entry["CurrencyRef"]["value"] == "USD"
    assert parsed(call(api, "GET", f"journalentry/{entry['Id']}"))["JournalEntry"] == entry


def test_journal_entry_without_date_gets_todays_company_date() -> None:
    api, clock = make_api()
    clock.now = dt.datetime(2026, 11, 25, 5, 0, tzinfo=dt.UTC)  # still the 24th in California
    body = je_body(account_id(api, "1000"), account_id(api, "4000"))
    del body["TxnDate"]
    entry = parsed(call(api, "POST", "journalentry", body))["JournalEntry"]
    assert entry["TxnDate"] == "2026-11-24"


def _unbalanced() -> dict[str, object]:
    body = je_body("1", "25")
    body["Line"][1]["Amount"] = Decimal("100.00")
    return body


@pytest.mark.parametrize(("make_body", "code", "words"), [
    (_unbalanced, "6000", "Transaction must be balanced"),
    (lambda: {**je_body("1", "25"), "Line": je_body("1", "25")["Line"][:1]}, "6000",
     "at least two lines"),
    (lambda: {**je_body("1", "25"), "Line": []}, "2020", "Line"),
    (lambda: {"TxnDate": "2026-11-01"}, "2020", "Line"),
    (lambda: je_body("1", "777"), "2500", "777"),
    (lambda: je_body("1", "25", DocNumber="X" * 22), "2050", "Max:21"),
    (lambda: je_body("1", "25", TxnDate="24/11/2026"), "2010", "TxnDate"),
    (lambda: je_body("1", "25", "-5.00"), "6000", "negative"),
    (lambda: je_body("1", "25", "1.005"), "2010", "cents"),
    (lambda: {**je_body("1", "25"), "PrivateNote": "n" * 4001}, "2050", "Max:4000"),
    (lambda: {**je_body("1", "25"), "Line": [
        {**je_body("1", "25")["Line"][0], "Description": "d" * 4001},
        je_body("1", "25")["Line"][1]]}, "2050", "Max:4000"),
])
def test_journal_entry_validation_faults(make_body: object, code: str, words: str) -> None:
    api, _ = make_api()
    assert callable(make_body)
    before = len(api.objects(REALM, "JournalEntry"))
    response = call(api, "POST", "journalentry", make_body())
    assert response.status == 400
    error = fault_of(response)
    assert error["code"] == code
    assert words in error["Detail"]
    assert len(api.objects(REALM, "JournalEntry")) == before


def test_journal_entry_line_faults_for_posting_type_and_missing_account() -> None:
    api, _ = make_api()
    body = je_body("1", "25")
    body["Line"][0]["JournalEntryLineDetail"]["PostingType"] = "Left"
    assert fault_of(call(api, "POST", "journalentry", body))["code"] == "2010"
    body = je_body("1", "25")
    del body["Line"][0]["JournalEntryLineDetail"]["AccountRef"]
    error = fault_of(call(api, "POST", "journalentry", body))
    assert error["code"] == "6000"
    assert "account for each split line" in error["Detail"]


def test_body_that_is_not_json_is_a_validation_fault() -> None:
    api, _ = make_api()
    request = Request.from_target("POST", f"/v3/company/{REALM}/journalentry",
                                  {"Accept": "application/json"}, b"{nope")
    response = api.handle(request, REALM)
    assert response.status == 400
    assert fault_of(response)["code"] == "2010"


def _create_entry(api: QboAccountingApi) -> dict[str, object]:
    body = je_body(account_id(api, "1000"), account_id(api, "4000"))
    entry: dict[str, object] = parsed(call(api, "POST", "journalentry", body))["JournalEntry"]
    return entry


def test_journal_entry_full_update_replaces_lines() -> None:
    api, _ = make_api()
    entry = _create_entry(api)
    new_body = je_body(account_id(api, "1010"), account_id(api, "4010"), "55.55",
                       Id=entry["Id"], SyncToken=entry["SyncToken"])
    updated = parsed(call(api, "POST", "journalentry", new_body))["JournalEntry"]
    assert updated["SyncToken"] == "1"
    assert updated["TotalAmt"] == Decimal("55.55")
    assert updated["Line"][0]["JournalEntryLineDetail"]["AccountRef"]["value"] == (
        account_id(api, "1010"))
    # Full update: what the body leaves out is gone (no DocNumber was sent).
    assert "DocNumber" not in updated


def test_journal_entry_sparse_update_keeps_what_it_does_not_send() -> None:
    api, _ = make_api()
    entry = _create_entry(api)
    updated = parsed(call(api, "POST", "journalentry", {
        "Id": entry["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "edited",
    }))["JournalEntry"]
    assert updated["PrivateNote"] == "edited"
    assert updated["Line"] == entry["Line"]
    assert updated["SyncToken"] == "1"


def test_sparse_update_that_unbalances_is_refused_and_changes_nothing() -> None:
    api, _ = make_api()
    entry = _create_entry(api)
    lines = json.loads(json.dumps(entry["Line"], default=str))
    lines[0]["Amount"] = "1.00"
    response = call(api, "POST", "journalentry", {
        "Id": entry["Id"], "SyncToken": "0", "sparse": True, "Line": lines,
    })
    assert fault_of(response)["code"] == "6000"
    assert parsed(call(api, "GET", f"journalentry/{entry['Id']}"))["JournalEntry"] == entry


def test_update_needs_sync_token_and_an_existing_id() -> None:
    api, _ = make_api()
    entry = _create_entry(api)
    missing = call(api, "POST", "journalentry", {"Id": entry["Id"], "sparse": True})
    assert fault_of(missing)["code"] == "2020"
    unknown = call(api, "POST", "journalentry",
                   {"Id": "9999", "SyncToken": "0", "sparse": True, "PrivateNote": "x"})
    assert fault_of(unknown)["code"] == "610"


def test_journal_entry_delete_with_sync_token_checks() -> None:
    api, _ = make_api()
    entry = _create_entry(api)
    call(api, "POST", "journalentry", {"Id": entry["Id"], "SyncToken": "0", "sparse": True,
                                        "PrivateNote": "moved on"})
    stale = call(api, "POST", "journalentry?operation=delete",
                 {"Id": entry["Id"], "SyncToken": "0"})
    assert fault_of(stale)["code"] == "5010"
    deleted = call(api, "POST", "journalentry?operation=delete",
                   {"Id": entry["Id"], "SyncToken": "1"})
    assert deleted.status == 200
    assert parsed(deleted)["JournalEntry"] == {"domain": "QBO", "status": "Deleted",
                                               "Id": entry["Id"]}
    assert fault_of(call(api, "GET", f"journalentry/{entry['Id']}"))["code"] == "610"
    again = call(api, "POST", "journalentry?operation=delete",
                 {"Id": entry["Id"], "SyncToken": "1"})
    assert fault_of(again)["code"] == "610"
    assert entry["Id"] not in {e["Id"] for e in api.objects(REALM, "JournalEntry")}
    assert api.tombstones(REALM, "JournalEntry")[-1]["Id"] == entry["Id"]


def test_ids_are_never_reused_after_a_delete() -> None:
    api, _ = make_api()
    first = _create_entry(api)
    call(api, "POST", "journalentry?operation=delete", {"Id": first["Id"], "SyncToken": "0"})
    second = _create_entry(api)
    assert int(str(second["Id"])) > int(str(first["Id"]))


# --- the other transactions ----------------------------------------------------------------------


def test_purchase_deposit_transfer_create_and_totals() -> None:
    api, _ = make_api()
    purchase = parsed(call(api, "POST", "purchase", {
        "PaymentType": "CreditCard", "AccountRef": {"value": account_id(api, "2100")},
        "Line": [
            {"Amount": Decimal("19.99"), "DetailType": "AccountBasedExpenseLineDetail",
             "AccountBasedExpenseLineDetail": {"AccountRef": {"value": account_id(api, "6040")}}},
            {"Amount": Decimal("0.01"), "DetailType": "AccountBasedExpenseLineDetail",
             "AccountBasedExpenseLineDetail": {"AccountRef": {"value": account_id(api, "6010")}}},
        ],
    }))["Purchase"]
    assert purchase["TotalAmt"] == Decimal("20.00")
    deposit = parsed(call(api, "POST", "deposit", {
        "DepositToAccountRef": {"value": account_id(api, "1000")},
        "Line": [{"Amount": Decimal("12.34"), "DetailType": "DepositLineDetail",
                  "DepositLineDetail": {"AccountRef": {"value": account_id(api, "7000")}}}],
    }))["Deposit"]
    assert deposit["TotalAmt"] == Decimal("12.34")
    transfer = call(api, "POST", "transfer", {
        "Amount": Decimal("250.00"), "FromAccountRef": {"value": account_id(api, "1000")},
        "ToAccountRef": {"value": account_id(api, "1000")},
    })
    assert fault_of(transfer)["code"] == "6000"
    purchase_without_account = call(api, "POST", "purchase", {"PaymentType": "Cash", "Line": []})
    assert fault_of(purchase_without_account)["code"] == "2020"


def test_invoice_payment_and_void_move_the_invoice_balance() -> None:
    api, clock = make_api()
    customer = api.objects(REALM, "Customer")[0]["Id"]
    item = api.objects(REALM, "Item")[0]
    invoice = parsed(call(api, "POST", "invoice", {
        "CustomerRef": {"value": customer},
        "Line": [{"Amount": Decimal("300.00"), "DetailType": "SalesItemLineDetail",
                  "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}, "Qty": 2,
                                          "UnitPrice": Decimal("150.00")}}],
    }))["Invoice"]
    assert invoice["Balance"] == invoice["TotalAmt"] == Decimal("300.00")
    assert invoice["Line"][-1]["DetailType"] == "SubTotalLineDetail"  # as QBO returns it
    assert invoice["Line"][0]["SalesItemLineDetail"]["ItemAccountRef"]["value"] == (
        item["IncomeAccountRef"]["value"])
    clock.advance(minutes=1)
    payment = parsed(call(api, "POST", "payment", {
        "CustomerRef": {"value": customer}, "TotalAmt": Decimal("120.00"),
        "Line": [{"Amount": Decimal("100.00"),
                  "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
    }))["Payment"]
    assert payment["UnappliedAmt"] == Decimal("20.00")
    assert payment["DepositToAccountRef"]["value"] == account_id(api, "1300")
    paid = parsed(call(api, "GET", f"invoice/{invoice['Id']}"))["Invoice"]
    assert paid["Balance"] == Decimal("200.00")
    assert paid["SyncToken"] == "1"  # the payment changed it, so CDC sees it
    assert paid["LinkedTxn"] == [{"TxnId": payment["Id"], "TxnType": "Payment"}]
    clock.advance(minutes=1)
    voided = call(api, "POST", "payment?operation=update&include=void",
                  {"Id": payment["Id"], "SyncToken": payment["SyncToken"], "sparse": True})
    assert voided.status == 200
    voided_payment = parsed(voided)["Payment"]
    assert voided_payment["TotalAmt"] == Decimal(0)
    assert voided_payment["PrivateNote"].startswith("Voided")
    unpaid = parsed(call(api, "GET", f"invoice/{invoice['Id']}"))["Invoice"]
    assert unpaid["Balance"] == Decimal("300.00")
    assert unpaid["LinkedTxn"] == []  # a voided payment no longer pays it
    wrong_way = call(api, "POST", "payment?operation=void",
                     {"Id": payment["Id"], "SyncToken": "1"})
    assert fault_of(wrong_way)["code"] == "500"
    invoice_now = parsed(call(api, "GET", f"invoice/{invoice['Id']}"))["Invoice"]
    voided_invoice = parsed(call(api, "POST", "invoice?operation=void", {
        "Id": invoice["Id"], "SyncToken": invoice_now["SyncToken"]}))["Invoice"]
    assert voided_invoice["TotalAmt"] == voided_invoice["Balance"] == Decimal(0)


def test_bill_and_bill_payment() -> None:
    api, _ = make_api()
    vendor = api.objects(REALM, "Vendor")[0]["Id"]
    bill = parsed(call(api, "POST", "bill", {
        "VendorRef": {"value": vendor}, "TxnDate": "2026-11-02",
        "Line": [{"Amount": Decimal("80.00"), "DetailType": "AccountBasedExpenseLineDetail",
                  "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "34"}}}],
    }))["Bill"]
    assert bill["DueDate"] == "2026-12-02"
    assert bill["APAccountRef"]["value"] == account_id(api, "2000")
    pay = parsed(call(api, "POST", "billpayment", {
        "VendorRef": {"value": vendor}, "PayType": "Check", "TotalAmt": Decimal("80.00"),
        "CheckPayment": {"BankAccountRef": {"value": account_id(api, "1000")}},
        "Line": [{"Amount": Decimal("80.00"),
                  "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}],
    }))["BillPayment"]
    assert parsed(call(api, "GET", f"bill/{bill['Id']}"))["Bill"]["Balance"] == Decimal(0)
    call(api, "POST", "billpayment?operation=delete", {"Id": pay["Id"], "SyncToken": "0"})
    assert parsed(call(api, "GET", f"bill/{bill['Id']}"))["Bill"]["Balance"] == Decimal("80.00")
    no_type = call(api, "POST", "billpayment", {"VendorRef": {"value": vendor},
                                                "TotalAmt": Decimal("1.00")})
    assert fault_of(no_type)["code"] == "2020"


# --- requestid -----------------------------------------------------------------------------------


def test_requestid_replays_the_first_response_and_acts_once() -> None:
    api, clock = make_api()
    body = je_body(account_id(api, "1000"), account_id(api, "4000"))
    before = len(api.objects(REALM, "JournalEntry"))
    first = call(api, "POST", "journalentry?requestid=push-0001&minorversion=75", body)
    clock.advance(seconds=30)
    second = call(api, "POST", "journalentry?requestid=push-0001&minorversion=75",
                  je_body(account_id(api, "1000"), account_id(api, "4000"), "9.99"))
    assert second.status == first.status == 200
    assert second.body == first.body
    assert len(api.objects(REALM, "JournalEntry")) == before + 1
    other = call(api, "POST", "journalentry?requestid=push-0002", body)
    assert parsed(other)["JournalEntry"]["Id"] != parsed(first)["JournalEntry"]["Id"]


def test_requestid_after_a_fault_may_be_retried() -> None:
    api, _ = make_api()
    bad = call(api, "POST", "journalentry?requestid=retry-1", _unbalanced())
    assert bad.status == 400
    good = call(api, "POST", "journalentry?requestid=retry-1",
                je_body(account_id(api, "1000"), account_id(api, "4000")))
    assert good.status == 200


def test_requestid_is_per_realm_and_limited_to_50_characters() -> None:
    api, _ = make_api()
    api.seed_company("222", "Other Co")
    body = je_body(account_id(api, "1000"), account_id(api, "4000"))
    one = parsed(call(api, "POST", "journalentry?requestid=same", body))
    two = parsed(call(api, "POST", "journalentry?requestid=same",
                      je_body(account_id(api, "1000", "222"), account_id(api, "4000", "222")),
                      realm="222"))
    assert one["JournalEntry"]["MetaData"] == two["JournalEntry"]["MetaData"]
    assert len(api.objects("222", "JournalEntry")) == len(api.objects(REALM, "JournalEntry"))
    too_long = call(api, "POST", f"journalentry?requestid={'r' * 51}", body)
    assert fault_of(too_long)["code"] == "2010"
    assert call(api, "POST", f"journalentry?requestid={'r' * 50}", body).status == 200


def test_low_minorversion_is_accepted_as_75() -> None:
    api, _ = make_api()
    response = call(api, "GET", f"companyinfo/{REALM}?minorversion=4")
    assert response.status == 200


# --- someone working in QBO ----------------------------------------------------------------------


def test_remote_edit_bumps_sync_token_so_our_stale_update_conflicts() -> None:
    api, clock = make_api()
    entry = _create_entry(api)
    clock.advance(minutes=3)
    edited = api.remote_edit(REALM, "JournalEntry", str(entry["Id"]),
                             {"PrivateNote": "changed in QBO"})
    assert edited["SyncToken"] == "1"
    assert parse_stamp(edited["MetaData"]["LastUpdatedTime"]) == clock.now
    ours = call(api, "POST", "journalentry", {"Id": entry["Id"], "SyncToken": "0",
                                               "sparse": True, "PrivateNote": "ours"})
    assert fault_of(ours)["code"] == "5010"
    with pytest.raises(QboFault) as raised:
        api.remote_edit(REALM, "JournalEntry", str(entry["Id"]), {"Line": []})
    assert raised.value.code == "2020"


def test_remote_create_and_delete() -> None:
    api, _ = make_api()
    created = api.remote_create(REALM, "journalentry",
                                je_body(account_id(api, "1000"), account_id(api, "4000")))
    assert created["Id"] in {e["Id"] for e in api.objects(REALM, "JournalEntry")}
    api.remote_delete(REALM, "JournalEntry", created["Id"])
    assert created["Id"] not in {e["Id"] for e in api.objects(REALM, "JournalEntry")}
    with pytest.raises(QboFault):
        api.remote_delete(REALM, "JournalEntry", created["Id"])
    with pytest.raises(KeyError):
        api.objects(REALM, "Spaceship")


# --- state and threads ---------------------------------------------------------------------------


def test_state_round_trip_keeps_behaviour() -> None:
    api, clock = make_api()
    entry = _create_entry(api)
    call(api, "POST", "journalentry?requestid=kept", je_body("1", "25", "7.07"))
    api.remote_delete(REALM, "JournalEntry", "2")
    state = api.to_state()
    text = json.dumps(state)  # JSON-serialisable as it is
    restored = QboAccountingApi(clock=clock, seed=7)
    restored.from_state(json.loads(text))
    assert restored.to_state() == state
    assert restored.company_name(REALM) == "Sierra Consulting"
    for entity in ("Account", "JournalEntry", "Invoice", "Payment"):
        assert restored.objects(REALM, entity) == api.objects(REALM, entity)
    assert restored.tombstones(REALM, "JournalEntry") == api.tombstones(REALM, "JournalEntry")
    replay = call(restored, "POST", "journalentry?requestid=kept", je_body("1", "25"))
    original = call(api, "POST", "journalentry?requestid=kept", je_body("1", "25"))
    assert replay.body == original.body
    stale = call(restored, "POST", "journalentry", {"Id": entry["Id"], "SyncToken": "5",
                                                    "sparse": True})
    assert fault_of(stale)["code"] == "5010"
    next_new = parsed(call(restored, "POST", "journalentry", je_body("1", "25")))
    same_next = parsed(call(api, "POST", "journalentry", je_body("1", "25")))
    assert next_new == same_next


def test_unknown_state_version_is_refused() -> None:
    api, _ = make_api()
    with pytest.raises(ValueError, match="version"):
        api.from_state({"version": 99, "realms": {}})


def test_concurrent_creates_get_distinct_ids() -> None:
    api, _ = make_api()
    bank, income = account_id(api, "1000"), account_id(api, "4000")
    before = len(api.objects(REALM, "JournalEntry"))
    ids: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            response = call(api, "POST", "journalentry", je_body(bank, income))
            with lock:
                ids.append(parsed(response)["JournalEntry"]["Id"])

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 80
    assert len(api.objects(REALM, "JournalEntry")) == before + 80


def test_unknown_resource_and_method() -> None:
    api, _ = make_api()
    assert call(api, "GET", "spaceship/1").status == 404
    assert fault_of(call(api, "DELETE", "journalentry/1"))["code"] == "500"


def test_state_of_the_servers_stand_in_seeds_its_companies() -> None:
    api = QboAccountingApi()
    api.from_state({"companies": {"555": "Stand-in Co"}})
    assert api.company_name("555") == "Stand-in Co"
    assert api.objects("555", "Account")


def test_naive_clock_is_refused() -> None:
    api = QboAccountingApi(clock=lambda: dt.datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="aware"):
        api.seed_company("1", "Naive")


def test_a_journal_entry_voided_in_qbo_keeps_its_id_with_zero_amounts() -> None:
    api, clock = make_api()
    entry = _create_entry(api)
    api_void = call(api, "POST", "journalentry?operation=void",
                    {"Id": entry["Id"], "SyncToken": "0"})
    assert fault_of(api_void)["code"] == "500"  # the API has no void for journal entries
    clock.advance(minutes=1)
    voided = api.remote_void(REALM, "JournalEntry", str(entry["Id"]))  # the QBO screen does
    assert voided["SyncToken"] == "1"
    assert voided["TotalAmt"] == 0
    assert all(line["Amount"] == 0 for line in voided["Line"])
    assert voided["PrivateNote"] == "Voided - test entry"
    assert parse_stamp(voided["MetaData"]["LastUpdatedTime"]) == clock.now


def test_helpers_and_state_hand_out_copies() -> None:
    api, _ = make_api()
    rows = api.objects(REALM, "Account")
    rows[0]["Name"] = "Scribbled"
    state = api.to_state()
    state["realms"][REALM]["objects"]["Account"]["1"]["Name"] = "Scribbled too"
    assert api.objects(REALM, "Account")[0]["Name"] == "Business Checking"
    restored = QboAccountingApi()
    restored.from_state(api.to_state())
    restored.remote_edit(REALM, "Account", "1", {"Description": "only in the copy"})
    assert "Description" not in api.objects(REALM, "Account")[0]


def test_a_reference_to_an_inactive_account_is_610() -> None:
    api, _ = make_api()
    meals = account_id(api, "6080")
    api.remote_edit(REALM, "Account", meals, {"Active": False})
    response = call(api, "POST", "journalentry", je_body(meals, account_id(api, "1000")))
    error = fault_of(response)
    assert error["code"] == "610"
    assert "made inactive" in error["Detail"]
    assert error["element"] == "Line.JournalEntryLineDetail.AccountRef"


def test_receivable_and_payable_lines_need_a_customer_or_vendor() -> None:
    api, _ = make_api()
    receivable, income = account_id(api, "1200"), account_id(api, "4000")
    payable, rent = account_id(api, "2000"), account_id(api, "6050")
    no_customer = fault_of(call(api, "POST", "journalentry", je_body(receivable, income)))
    assert no_customer["code"] == "6000"
    assert "you must select a customer in the Name field" in no_customer["Detail"]
    no_vendor = fault_of(call(api, "POST", "journalentry", je_body(rent, payable)))
    assert "you must select a vendor" in no_vendor["Detail"]
    body = je_body(receivable, income)
    customer = api.objects(REALM, "Customer")[0]
    body["Line"][0]["JournalEntryLineDetail"]["Entity"] = {
        "Type": "Customer", "EntityRef": {"value": customer["Id"]}}
    entry = parsed(call(api, "POST", "journalentry", body))["JournalEntry"]
    assert entry["Line"][0]["JournalEntryLineDetail"]["Entity"] == {
        "Type": "Customer", "EntityRef": {"value": customer["Id"],
                                          "name": customer["DisplayName"]}}
    body["Line"][0]["JournalEntryLineDetail"]["Entity"] = {
        "Type": "Customer", "EntityRef": {"value": "4040"}}
    assert fault_of(call(api, "POST", "journalentry", body))["code"] == "2500"
    body["Line"][0]["JournalEntryLineDetail"]["Entity"] = {
        "Type": "Planet", "EntityRef": {"value": customer["Id"]}}
    assert fault_of(call(api, "POST", "journalentry", body))["code"] == "2010"


def test_renaming_a_parent_renames_its_subaccounts_paths() -> None:
    api, clock = make_api()
    travel = parsed(call(api, "GET", f"account/{account_id(api, '6070')}"))["Account"]
    clock.advance(minutes=2)
    call(api, "POST", "account", {"Id": travel["Id"], "SyncToken": travel["SyncToken"],
                                  "sparse": True, "Name": "Travel & Meals"})
    meals = parsed(call(api, "GET", f"account/{account_id(api, '6080')}"))["Account"]
    assert meals["FullyQualifiedName"] == "Travel & Meals:Meals"
    assert meals["SyncToken"] == "1"
    assert parse_stamp(meals["MetaData"]["LastUpdatedTime"]) == clock.now


def test_forgotten_request_ids_let_a_retry_act_again() -> None:
    api, _ = make_api()
    body = je_body(account_id(api, "1000"), account_id(api, "4000"))
    first = parsed(call(api, "POST", "journalentry?requestid=flaky", body))
    assert api.forget_request_ids(REALM) == 1
    second = parsed(call(api, "POST", "journalentry?requestid=flaky", body))
    assert second["JournalEntry"]["Id"] != first["JournalEntry"]["Id"]  # a duplicate, as reported


def test_only_the_latest_request_ids_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    from bookkeeper_desktop.sandbox import qbo_api
    monkeypatch.setattr(qbo_api, "REPLIES_KEPT", 3)
    api, _ = make_api()
    body = je_body(account_id(api, "1000"), account_id(api, "4000"))
    ids = [parsed(call(api, "POST", f"journalentry?requestid=k{n}", body))["JournalEntry"]["Id"]
           for n in range(4)]
    assert parsed(call(api, "POST", "journalentry?requestid=k3", body))["JournalEntry"]["Id"] == (
        ids[3])
    again = parsed(call(api, "POST", "journalentry?requestid=k0", body))["JournalEntry"]["Id"]
    assert again not in ids  # k0 was the oldest and was forgotten


def test_line_ids_stay_unique_when_an_update_mixes_old_and_new_lines() -> None:
    api, _ = make_api()
    entry = _create_entry(api)
    old_lines = entry["Line"]
    assert isinstance(old_lines, list)
    new_line = {"Amount": Decimal("0.00"), "DetailType": "JournalEntryLineDetail",
                "Description": "added",
                "JournalEntryLineDetail": {"PostingType": "Debit",
                                           "AccountRef": {"value": account_id(api, "1010")}}}
    updated = parsed(call(api, "POST", "journalentry", {
        "Id": entry["Id"], "SyncToken": "0", "sparse": True,
        "Line": [new_line, *json.loads(json.dumps(old_lines, default=str))],
    }))["JournalEntry"]
    ids = [line["Id"] for line in updated["Line"]]
    assert len(set(ids)) == 3
    assert ids[1:] == ["0", "1"]
    assert [line["LineNum"] for line in updated["Line"]] == [1, 2, 3]
    twice = json.loads(json.dumps(old_lines, default=str))
    twice[1]["Id"] = twice[0]["Id"]
    duplicate = call(api, "POST", "journalentry", {"Id": entry["Id"], "SyncToken": "1",
                                                    "sparse": True, "Line": twice})
    assert fault_of(duplicate)["code"] == "2010"


# --- account balances derived from the transactions ---------------------------------------------


class _AccountLookup:
    """The accounts of a realm, for calling `postings` from a test."""

    def __init__(self, api: QboAccountingApi) -> None:
        self.accounts = {a["Id"]: a for a in api.objects(REALM, "Account")}

    def get(self, entity: str, object_id: str) -> dict[str, object] | None:
        return self.accounts.get(object_id) if entity == "Account" else None

    def all(self, entity: str) -> list[dict[str, object]]:
        return list(self.accounts.values()) if entity == "Account" else []

    def today(self) -> dt.date:
        return START.date()


def _all_postings(api: QboAccountingApi) -> list[tuple[str, Decimal]]:
    from bookkeeper_desktop.sandbox.qbo_entities import TRANSACTIONS, postings

    lookup = _AccountLookup(api)
    return [posting for entity in TRANSACTIONS for obj in api.objects(REALM, entity)
            for posting in postings(entity, obj, lookup)]


def test_every_seeded_transaction_posts_balanced_debits_and_credits() -> None:
    from bookkeeper_desktop.sandbox.qbo_entities import TRANSACTIONS, postings

    api, _ = make_api()
    lookup = _AccountLookup(api)
    for entity in TRANSACTIONS:
        for obj in api.objects(REALM, entity):
            posted = postings(entity, obj, lookup)
            assert posted, (entity, obj["Id"])
            assert sum(value for _, value in posted) == 0, (entity, obj["Id"])
            assert all(account in lookup.accounts for account, _ in posted)


def _balance(api: QboAccountingApi, acct_num: str) -> tuple[Decimal, Decimal, str]:
    account = parsed(call(api, "GET", f"account/{account_id(api, acct_num)}"))["Account"]
    return (account["CurrentBalance"], account["CurrentBalanceWithSubAccounts"],
            account["SyncToken"])


def test_current_balances_follow_transactions_without_new_sync_tokens() -> None:
    api, _ = make_api()
    card_before, _, card_token = _balance(api, "2100")
    checking_before, _, _ = _balance(api, "1000")
    savings_before, _, _ = _balance(api, "1010")
    call(api, "POST", "purchase", {
        "PaymentType": "CreditCard", "AccountRef": {"value": account_id(api, "2100")},
        "Line": [{"Amount": Decimal("20.00"), "DetailType": "AccountBasedExpenseLineDetail",
                  "AccountBasedExpenseLineDetail": {
                      "AccountRef": {"value": account_id(api, "6040")}}}]})
    call(api, "POST", "transfer", {
        "Amount": Decimal("100.00"), "FromAccountRef": {"value": account_id(api, "1000")},
        "ToAccountRef": {"value": account_id(api, "1010")}})
    card_after, _, card_token_after = _balance(api, "2100")
    assert card_after - card_before == Decimal("20.00")  # a card balance owed is positive
    assert card_token_after == card_token
    assert _balance(api, "1000")[0] == checking_before - Decimal("100.00")
    assert _balance(api, "1010")[0] == savings_before + Decimal("100.00")
    assert _balance(api, "6040")[0] == 0  # income and expense accounts show no balance


def test_balance_with_sub_accounts_rolls_up_and_the_sheet_balances() -> None:
    api, _ = make_api()
    parent = account_id(api, "1000")
    sub = parsed(call(api, "POST", "account", {
        "Name": "Payroll Account", "AccountType": "Bank", "ParentRef": {"value": parent},
    }))["Account"]
    call(api, "POST", "journalentry", je_body(sub["Id"], account_id(api, "3100"), "500.00"))
    own, with_subs, _ = _balance(api, "1000")
    assert with_subs - own == Decimal("500.00")
    accounts = api.objects(REALM, "Account")
    by_class = {"Asset": Decimal(0), "Liability": Decimal(0), "Equity": Decimal(0)}
    for account in accounts:
        if account["Classification"] in by_class:
            by_class[account["Classification"]] += account["CurrentBalance"]
    # The profit so far, from the income and expense postings alone (credits positive).
    pnl = {a["Id"] for a in accounts if a["Classification"] in ("Revenue", "Expense")}
    profit = -sum((value for account, value in _all_postings(api) if account in pnl),
                  Decimal(0))
    assert profit != 0
    assert by_class["Asset"] == by_class["Liability"] + by_class["Equity"] + profit
    rich = parsed(query(api, "select * from Account where CurrentBalance > 20000"))
    assert {a["AcctNum"] for a in rich["QueryResponse"]["Account"]} == {
        a["AcctNum"] for a in accounts if a["CurrentBalance"] > 20000}


def test_closed_books_with_a_password_refuse_older_transactions_with_6210() -> None:
    """API_NOTES.md business rules: "closed books: 6200 'Account Period Closed'; 6210 when the
    closing date has a password"."""
    api, _ = make_api()
    old = api.objects(REALM, "JournalEntry")[0]
    api.set_closing_date(REALM, dt.date(2026, 10, 31), password=True)
    body = je_body(account_id(api, "1000"), account_id(api, "4000"), TxnDate="2026-10-31")
    refused = call(api, "POST", "journalentry", body)
    assert refused.status == 400
    error = fault_of(refused)
    assert error["code"] == "6210"
    assert "2026-10-31" in error["Detail"]
    later = call(api, "POST", "journalentry", {**body, "TxnDate": "2026-11-01"})
    assert later.status == 200
    moved_back = call(api, "POST", "journalentry", {
        "Id": parsed(later)["JournalEntry"]["Id"], "SyncToken": "0", "sparse": True,
        "TxnDate": "2026-10-15"})
    assert fault_of(moved_back)["code"] == "6210"
    for target in ("journalentry?operation=delete", "journalentry"):
        response = call(api, "POST", target, {"Id": old["Id"], "SyncToken": old["SyncToken"],
                                               "sparse": True, "PrivateNote": "late"})
        assert fault_of(response)["code"] == "6210"
    restored = QboAccountingApi(clock=lambda: START)
    restored.from_state(api.to_state())
    assert fault_of(call(restored, "POST", "journalentry", body))["code"] == "6210"
    api.set_closing_date(REALM, None)
    assert call(api, "POST", "journalentry", body).status == 200


def test_company_zone_without_a_time_zone_database_is_pacific_standard_time(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from zoneinfo import ZoneInfoNotFoundError

    from bookkeeper_desktop.sandbox import qbo_api

    def missing(key: str) -> dt.tzinfo:
        raise ZoneInfoNotFoundError(key)

    assert qbo_api.company_zone().utcoffset(dt.datetime(2026, 7, 1)) == dt.timedelta(hours=-7)
    monkeypatch.setattr(qbo_api, "ZoneInfo", missing)
    zone = qbo_api.company_zone()
    assert zone.utcoffset(dt.datetime(2026, 7, 1)) == dt.timedelta(hours=-8)


def test_inactive_customers_vendors_and_items_are_named_deleted() -> None:
    api, _ = make_api()
    customer = api.objects(REALM, "Customer")[0]
    gone = api.remote_edit(REALM, "Customer", customer["Id"], {"Active": False})
    assert gone["DisplayName"] == f"{customer['DisplayName']} (deleted)"
    back = api.remote_edit(REALM, "Customer", customer["Id"], {"Active": True})
    assert back["DisplayName"] == customer["DisplayName"]
    item = api.objects(REALM, "Item")[0]
    assert api.remote_edit(REALM, "Item", item["Id"], {"Active": False})["Name"].endswith(
        " (deleted)")
    vendor = api.objects(REALM, "Vendor")[0]
    not_bool = call(api, "POST", "vendor", {"Id": vendor["Id"], "SyncToken": "0",
                                            "sparse": True, "Active": "false"})
    assert fault_of(not_bool)["code"] == "2010"
    listed = parsed(query(api, "select * from Customer"))["QueryResponse"]["Customer"]
    assert customer["Id"] in {c["Id"] for c in listed}


def test_deposit_of_payments_must_name_existing_payments() -> None:
    api, _ = make_api()
    payment = api.objects(REALM, "Payment")[0]
    good = call(api, "POST", "deposit", {
        "DepositToAccountRef": {"value": account_id(api, "1000")},
        "Line": [{"Amount": payment["TotalAmt"],
                  "LinkedTxn": [{"TxnId": payment["Id"], "TxnType": "Payment"}]}]})
    assert good.status == 200
    bad = call(api, "POST", "deposit", {
        "DepositToAccountRef": {"value": account_id(api, "1000")},
        "Line": [{"Amount": Decimal("5.00"),
                  "LinkedTxn": [{"TxnId": "999", "TxnType": "Payment"}]}]})
    assert fault_of(bad)["code"] == "2010"


def test_iter_objects_reads_a_state_snapshot() -> None:
    from bookkeeper_desktop.sandbox.qbo_api import iter_objects

    api, _ = make_api()
    state = json.loads(json.dumps(api.to_state()))
    ids = [obj["Id"] for obj in iter_objects(state, REALM, "JournalEntry")]
    assert ids == [e["Id"] for e in api.objects(REALM, "JournalEntry")]
    assert list(iter_objects(state, REALM, "Spaceship")) == []
