"""The Xero sandbox API: Idempotency-Key, status transitions, updates, the ledger (Journals), the
documents (Invoices, BankTransactions, Payments), the test helpers and the state round trip."""

from __future__ import annotations

import datetime as dt
import json
import threading
from decimal import Decimal
from typing import Any

import pytest

from bookkeeper_desktop.sandbox.http import Request
from bookkeeper_desktop.sandbox.xero_api import XeroAccountingApi
from tests.sandbox.test_xero_api_helpers import (
    TENANT,
    ManualClock,
    call,
    journal,
    make_api,
    parsed,
)


def created(api: XeroAccountingApi, body: dict[str, Any], **kw: Any) -> dict[str, Any]:
    response = call(api, "PUT", "ManualJournals", body, **kw)
    assert response.status == 200, response.body
    result: dict[str, Any] = parsed(response)["ManualJournals"][0]
    return result


def ledger_for(api: XeroAccountingApi, source_id: str) -> list[dict[str, Any]]:
    return [j for j in api.objects(TENANT, "Journals") if j["SourceID"] == source_id]


# --- Idempotency-Key ----------------------------------------------------------------------------


def test_replay_with_the_same_key_returns_the_first_answer_and_acts_once() -> None:
    api, clock = make_api()
    before = len(api.objects(TENANT, "ManualJournals"))
    key = {"Idempotency-Key": "bk-push-0001"}
    first = call(api, "PUT", "ManualJournals?summarizeErrors=false",
                 {"ManualJournals": [journal()]}, headers=key)
    clock.advance(minutes=1)
    again = call(api, "PUT", "ManualJournals?summarizeErrors=false",
                 {"ManualJournals": [journal()]}, headers=key)
    assert first.status == again.status == 200
    assert again.body == first.body
    assert len(api.objects(TENANT, "ManualJournals")) == before + 1
    other = call(api, "PUT", "ManualJournals", journal(), headers={"Idempotency-Key": "bk-2"})
    assert other.body != first.body
    assert len(api.objects(TENANT, "ManualJournals")) == before + 2


def test_without_a_key_a_repeat_creates_twice(api_and_clock: tuple[XeroAccountingApi,
                                                                  ManualClock]) -> None:
    api, _ = api_and_clock
    before = len(api.objects(TENANT, "ManualJournals"))
    call(api, "PUT", "ManualJournals", journal())
    call(api, "PUT", "ManualJournals", journal())
    assert len(api.objects(TENANT, "ManualJournals")) == before + 2


def test_a_validation_failure_is_replayed_too(api_and_clock: tuple[XeroAccountingApi,
                                                                  ManualClock]) -> None:
    api, _ = api_and_clock
    key = {"Idempotency-Key": "k-bad"}
    first = call(api, "PUT", "ManualJournals", journal(narration=""), headers=key)
    assert first.status == 400
    assert call(api, "PUT", "ManualJournals", journal(), headers=key).body == first.body


def test_idempotency_key_longer_than_128_is_refused(api_and_clock: tuple[XeroAccountingApi,
                                                                        ManualClock]) -> None:
    api, _ = api_and_clock
    before = len(api.objects(TENANT, "ManualJournals"))
    assert call(api, "PUT", "ManualJournals", journal(),
                headers={"Idempotency-Key": "k" * 128}).status == 200
    response = call(api, "PUT", "ManualJournals", journal(),
                    headers={"Idempotency-Key": "k" * 129})
    assert response.status == 400
    assert len(api.objects(TENANT, "ManualJournals")) == before + 1


def test_concurrent_replays_create_exactly_one_journal() -> None:
    api, _ = make_api()
    before = len(api.objects(TENANT, "ManualJournals"))
    bodies: list[bytes] = []

    def push(key: str) -> None:
        bodies.append(call(api, "PUT", "ManualJournals", journal(),
                           headers={"Idempotency-Key": key}).body)

    threads = [threading.Thread(target=push, args=(f"key-{i % 4}",)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(api.objects(TENANT, "ManualJournals")) == before + 4
    assert len(set(bodies)) == 4


# --- updates and status transitions -------------------------------------------------------------


@pytest.fixture
def api_and_clock() -> tuple[XeroAccountingApi, ManualClock]:
    return make_api()


def test_post_without_id_creates_and_with_id_updates(
        api_and_clock: tuple[XeroAccountingApi, ManualClock]) -> None:
    api, clock = api_and_clock
    response = call(api, "POST", "ManualJournals", {"ManualJournals": [journal(status="DRAFT")]})
    [mj] = parsed(response)["ManualJournals"]
    clock.advance(minutes=2)
    update = {"ManualJournalID": mj["ManualJournalID"], "Narration": "Accrue rent (Nov)",
              "Status": "POSTED"}
    [after] = parsed(call(api, "POST", "ManualJournals", {"ManualJournals": [update]})
                     )["ManualJournals"]
    assert after["ManualJournalID"] == mj["ManualJournalID"]
    assert after["Narration"] == "Accrue rent (Nov)"
    assert after["Status"] == "POSTED"
    assert after["JournalLines"] == mj["JournalLines"]
    assert after["UpdatedDateUTC"] != mj["UpdatedDateUTC"]
    [by_path] = parsed(call(api, "POST", f"ManualJournals/{mj['ManualJournalID']}",
                            {"ManualJournals": [{"Narration": "Rent accrual"}]})
                       )["ManualJournals"]
    assert by_path["Narration"] == "Rent accrual"


def test_post_new_lines_replace_the_old_ones(
        api_and_clock: tuple[XeroAccountingApi, ManualClock]) -> None:
    api, _ = api_and_clock
    mj = created(api, journal())
    lines = [{"LineAmount": 250, "AccountCode": "453"}, {"LineAmount": -200, "AccountCode": "814"},
             {"LineAmount": -50, "AccountCode": "850"}]
    [after] = parsed(call(api, "POST", f"ManualJournals/{mj['ManualJournalID']}",
                          {"JournalLines": lines}))["ManualJournals"]
    assert [(ln["AccountCode"], ln["LineAmount"]) for ln in after["JournalLines"]] == [
        ("453", Decimal("250.00")), ("814", Decimal("-200.00")), ("850", Decimal("-50.00"))]


@pytest.mark.parametrize(("start", "to", "allowed"), [
    ("DRAFT", "POSTED", True), ("DRAFT", "DELETED", True), ("POSTED", "VOIDED", True),
    ("POSTED", "DELETED", False), ("POSTED", "DRAFT", False), ("DRAFT", "VOIDED", False),
])
def test_status_transitions(api_and_clock: tuple[XeroAccountingApi, ManualClock], start: str,
                            to: str, allowed: bool) -> None:
    api, _ = api_and_clock
    mj = created(api, journal(status=start))
    response = call(api, "POST", "ManualJournals?summarizeErrors=false",
                    {"ManualJournals": [{"ManualJournalID": mj["ManualJournalID"],
                                         "Status": to}]})
    [result] = parsed(response)["ManualJournals"]
    assert result["StatusAttributeString"] == ("OK" if allowed else "ERROR")
    stored = next(m for m in api.objects(TENANT, "ManualJournals")
                  if m["ManualJournalID"] == mj["ManualJournalID"])
    assert stored["Status"] == (to if allowed else start)
    if not allowed:
        assert result["ValidationErrors"][0]["Message"] == (
            f"The status '{to}' cannot be applied to the document")  # API_NOTES statuses row


def test_voided_and_deleted_journals_cannot_change(
        api_and_clock: tuple[XeroAccountingApi, ManualClock]) -> None:
    api, _ = api_and_clock
    for status, end in (("POSTED", "VOIDED"), ("DRAFT", "DELETED")):
        mj = created(api, journal(status=status))
        api.remote_void(TENANT, "ManualJournals", mj["ManualJournalID"]) if end == "VOIDED" \
            else api.remote_delete(TENANT, "ManualJournals", mj["ManualJournalID"])
        response = call(api, "POST", f"ManualJournals/{mj['ManualJournalID']}",
                        {"Narration": "again"})
        assert response.status == 400
        assert parsed(response)["Elements"][0]["ValidationErrors"][0]["Message"] == (
            f"The status '{end}' cannot be applied to the document")  # API_NOTES statuses row


def test_put_with_an_existing_id_and_post_with_an_unknown_id_fail_per_item(
        api_and_clock: tuple[XeroAccountingApi, ManualClock]) -> None:
    api, _ = api_and_clock
    mj = created(api, journal())
    unknown = "00000000-0000-4000-8000-000000000000"
    results = parsed(call(api, "POST", "ManualJournals?summarizeErrors=false", {
        "ManualJournals": [{"ManualJournalID": unknown, "Narration": "x"}]}))["ManualJournals"]
    assert results[0]["StatusAttributeString"] == "ERROR"
    assert unknown in results[0]["ValidationErrors"][0]["Message"]
    again = call(api, "PUT", "ManualJournals", {**journal(),
                                                 "ManualJournalID": mj["ManualJournalID"]})
    assert again.status == 400
    assert call(api, "POST", f"ManualJournals/{unknown}", journal()).status == 404


def test_validation_error_in_xml_when_json_was_not_asked_for(
        api_and_clock: tuple[XeroAccountingApi, ManualClock]) -> None:
    api, _ = api_and_clock
    request = Request.from_target("PUT", "/api.xro/2.0/ManualJournals", {},
                                  json.dumps(journal(narration="")).encode())
    response = api.handle(request, TENANT)
    assert response.status == 400
    text = response.body.decode()
    assert text.startswith("<ApiException><ErrorNumber>10</ErrorNumber>")
    assert "<ValidationError><Message>Narration cannot be empty.</Message>" in text


# --- the ledger (Journals) ----------------------------------------------------------------------


def test_journals_need_the_advanced_tier() -> None:
    api, _ = make_api()
    response = call(api, "GET", "Journals")
    assert response.status == 401
    body = parsed(response)
    assert (body["Title"], body["Status"], body["Detail"]) == (
        "Unauthorized", 401, "AuthorizationUnsuccessful")
    api.set_advanced(TENANT, True)
    assert call(api, "GET", "Journals").status == 200


def test_journals_offset_paging_of_100() -> None:
    api, clock = make_api(advanced=True)
    for _ in range(230 - len(api.objects(TENANT, "Journals"))):
        clock.advance(seconds=1)
        created(api, journal())  # each posted journal adds one ledger journal
    total = len(api.objects(TENANT, "Journals"))
    seen: list[int] = []
    offset = 0
    while True:
        batch = parsed(call(api, "GET", f"Journals?offset={offset}"))["Journals"]
        if not batch:
            break
        assert len(batch) <= 100
        seen.extend(j["JournalNumber"] for j in batch)
        offset = batch[-1]["JournalNumber"]
    assert seen == list(range(1, total + 1))
    first = parsed(call(api, "GET", "Journals?offset=0"))["Journals"]
    assert len(first) == 100
    assert call(api, "GET", "Journals?offset=-1").status == 400


def test_every_journal_balances_and_a_void_reverses_the_posting() -> None:
    api, clock = make_api(advanced=True)
    for entry in api.objects(TENANT, "Journals"):
        assert sum(line["NetAmount"] for line in entry["JournalLines"]) == 0, entry
    mj = created(api, journal(amount="640.00"))
    [posting] = ledger_for(api, mj["ManualJournalID"])
    assert posting["SourceType"] == "MANJOURNAL"
    assert posting["Reference"] == "Accrue rent"
    assert [(ln["AccountCode"], ln["NetAmount"]) for ln in posting["JournalLines"]] == [
        ("469", Decimal("640.00")), ("814", Decimal("-640.00"))]
    clock.advance(minutes=5)
    api.remote_void(TENANT, "ManualJournals", mj["ManualJournalID"])
    posting, reversal = ledger_for(api, mj["ManualJournalID"])
    assert reversal["JournalNumber"] == posting["JournalNumber"] + 1
    assert [ln["NetAmount"] for ln in reversal["JournalLines"]] == [Decimal("-640.00"),
                                                                     Decimal("640.00")]
    since = parsed(call(api, "GET", "Journals", headers={
        "If-Modified-Since": clock.now.isoformat()}))["Journals"]
    assert [j["JournalNumber"] for j in since] == [reversal["JournalNumber"]]


def test_drafts_do_not_reach_the_ledger_until_posted() -> None:
    api, _ = make_api(advanced=True)
    mj = created(api, journal(status="DRAFT"))
    assert ledger_for(api, mj["ManualJournalID"]) == []
    call(api, "POST", f"ManualJournals/{mj['ManualJournalID']}", {"Status": "POSTED"})
    assert len(ledger_for(api, mj["ManualJournalID"])) == 1


def test_editing_a_posted_journal_reverses_and_reposts() -> None:
    api, _ = make_api(advanced=True)
    mj = created(api, journal())
    call(api, "POST", f"ManualJournals/{mj['ManualJournalID']}", {"JournalLines": [
        {"LineAmount": 80, "AccountCode": "469"}, {"LineAmount": -80, "AccountCode": "814"}]})
    entries = ledger_for(api, mj["ManualJournalID"])
    assert [e["JournalLines"][0]["NetAmount"] for e in entries] == [
        Decimal("100.00"), Decimal("-100.00"), Decimal("80.00")]
    call(api, "POST", f"ManualJournals/{mj['ManualJournalID']}", {"Narration": "Accrue rent"})
    assert len(ledger_for(api, mj["ManualJournalID"])) == 3  # nothing that reaches the ledger


# --- invoices, bank transactions, payments ------------------------------------------------------


def invoice(**extra: Any) -> dict[str, Any]:
    return {"Type": "ACCREC", "Contact": {"Name": "Ridgeway University"},
            "Date": "2026-11-23", "DueDate": "2026-12-20", "Status": "AUTHORISED",
            "LineAmountTypes": "Exclusive",
            "LineItems": [{"Description": "Design work", "Quantity": 2, "UnitAmount": 150.5,
                           "AccountCode": "200", "TaxType": "OUTPUT2"}], **extra}


def test_invoice_totals_tax_and_number() -> None:
    api, _ = make_api(advanced=True)
    [inv] = parsed(call(api, "PUT", "Invoices", {"Invoices": [invoice()]}))["Invoices"]
    assert inv["InvoiceNumber"].startswith("INV-")
    assert (inv["SubTotal"], inv["TotalTax"], inv["Total"]) == (
        Decimal("301.00"), Decimal("45.15"), Decimal("346.15"))
    assert inv["AmountDue"] == Decimal("346.15")
    assert inv["DateString"] == "2026-11-23T00:00:00"
    assert inv["Contact"]["Name"] == "Ridgeway University"
    [gl] = ledger_for(api, inv["InvoiceID"])
    assert gl["SourceType"] == "ACCREC"
    assert sorted((ln["AccountCode"], ln["NetAmount"]) for ln in gl["JournalLines"]) == [
        ("200", Decimal("-301.00")), ("610", Decimal("346.15")), ("820", Decimal("-45.15"))]
    [by_number] = parsed(call(api, "GET", f"Invoices/{inv['InvoiceNumber']}"))["Invoices"]
    assert by_number["InvoiceID"] == inv["InvoiceID"]


def test_invoice_to_a_new_contact_creates_it_only_when_saved() -> None:
    api, _ = make_api()
    contacts = len(api.objects(TENANT, "Contacts"))
    bad = invoice(Contact={"Name": "Brand New Ltd"}, LineItems=[{"AccountCode": "999",
                                                                  "UnitAmount": 1}])
    assert call(api, "PUT", "Invoices", bad).status == 400
    assert len(api.objects(TENANT, "Contacts")) == contacts
    assert call(api, "PUT", "Invoices", invoice(Contact={"Name": "Brand New Ltd"})).status == 200
    names = [c["Name"] for c in api.objects(TENANT, "Contacts")]
    assert names.count("Brand New Ltd") == 1


def test_payment_settles_an_invoice_and_cannot_overpay() -> None:
    api, clock = make_api(advanced=True)
    [inv] = parsed(call(api, "PUT", "Invoices", invoice()))["Invoices"]
    clock.advance(minutes=1)
    over = {"Invoice": {"InvoiceID": inv["InvoiceID"]}, "Account": {"Code": "090"},
            "Date": "2026-11-24", "Amount": 1000}
    response = call(api, "PUT", "Payments", over)
    assert response.status == 400
    assert "exceeds the amount outstanding" in response.body.decode()
    [pay] = parsed(call(api, "PUT", "Payments", {**over, "Amount": 346.15}))["Payments"]
    assert pay["PaymentType"] == "ACCRECPAYMENT"
    assert pay["Status"] == "AUTHORISED"
    [paid] = parsed(call(api, "GET", f"Invoices/{inv['InvoiceID']}"))["Invoices"]
    assert paid["Status"] == "PAID"
    assert paid["AmountDue"] == 0
    assert paid["AmountPaid"] == Decimal("346.15")
    assert paid["UpdatedDateUTC"] == pay["UpdatedDateUTC"]
    assert [p["PaymentID"] for p in paid["Payments"]] == [pay["PaymentID"]]
    [gl] = ledger_for(api, pay["PaymentID"])
    assert sorted((ln["AccountCode"], ln["NetAmount"]) for ln in gl["JournalLines"]) == [
        ("090", Decimal("346.15")), ("610", Decimal("-346.15"))]
    clock.advance(minutes=1)
    api.remote_delete(TENANT, "Payments", pay["PaymentID"])
    [reopened] = parsed(call(api, "GET", f"Invoices/{inv['InvoiceID']}"))["Invoices"]
    assert (reopened["Status"], reopened["AmountDue"]) == ("AUTHORISED", Decimal("346.15"))


def test_payment_to_a_non_bank_account_and_to_a_draft_is_refused() -> None:
    api, _ = make_api()
    [draft] = parsed(call(api, "PUT", "Invoices", invoice(Status="DRAFT")))["Invoices"]
    response = call(api, "PUT", "Payments?summarizeErrors=false", {"Payments": [
        {"Invoice": {"InvoiceID": draft["InvoiceID"]}, "Account": {"Code": "200"},
         "Amount": 10}]})
    [result] = parsed(response)["Payments"]
    assert result["StatusAttributeString"] == "ERROR"
    assert len(result["ValidationErrors"]) == 2


def test_bank_transaction_spend_inclusive_of_gst() -> None:
    api, _ = make_api(advanced=True)
    body = {"Type": "SPEND", "Contact": {"Name": "Central Copiers"},
            "BankAccount": {"Code": "090"}, "Date": "2026-11-23",
            "LineAmountTypes": "Inclusive",
            "LineItems": [{"Description": "Paper", "Quantity": 1, "UnitAmount": 115,
                           "AccountCode": "461"}]}
    [txn] = parsed(call(api, "PUT", "BankTransactions", body))["BankTransactions"]
    assert (txn["SubTotal"], txn["TotalTax"], txn["Total"]) == (
        Decimal("100.00"), Decimal("15.00"), Decimal("115.00"))
    assert txn["Status"] == "AUTHORISED"
    assert txn["BankAccount"]["Code"] == "090"
    [gl] = ledger_for(api, txn["BankTransactionID"])
    assert gl["SourceType"] == "CASHPAID"
    assert sorted((ln["AccountCode"], ln["NetAmount"]) for ln in gl["JournalLines"]) == [
        ("090", Decimal("-115.00")), ("461", Decimal("100.00")), ("820", Decimal("15.00"))]
    not_bank = call(api, "PUT", "BankTransactions", {**body, "BankAccount": {"Code": "200"}})
    assert not_bank.status == 400


@pytest.mark.parametrize("collection", ["Invoices", "BankTransactions", "Payments", "Contacts"])
def test_documents_page_and_filter_by_modified_date(collection: str) -> None:
    api, clock = make_api()
    everything = parsed(call(api, "GET", f"{collection}?page=1"))
    assert everything[collection]
    assert everything["pagination"]["itemCount"] == len(api.objects(TENANT, collection))
    clock.advance(hours=1)
    record = api.objects(TENANT, collection)[0]
    id_field = {"Invoices": "InvoiceID", "BankTransactions": "BankTransactionID",
                "Payments": "PaymentID", "Contacts": "ContactID"}[collection]
    api.remote_edit(TENANT, collection, record[id_field], {"Reference": "edited in Xero"})
    changed = parsed(call(api, "GET", f"{collection}?page=1",
                          headers={"If-Modified-Since": clock.now.isoformat()}))
    assert [r[id_field] for r in changed[collection]] == [record[id_field]]
    one = parsed(call(api, "GET", f"{collection}/{record[id_field]}"))[collection]
    assert one[0]["Reference"] == "edited in Xero"


def test_seeded_documents_are_realistic() -> None:
    api, _ = make_api()
    invoices = api.objects(TENANT, "Invoices")
    assert {i["Status"] for i in invoices} >= {"PAID", "AUTHORISED", "DRAFT", "VOIDED"}
    assert {i["Type"] for i in invoices} == {"ACCREC", "ACCPAY"}
    for inv in invoices:
        assert inv["Total"] == inv["SubTotal"] + inv["TotalTax"]
        assert inv["AmountDue"] == inv["Total"] - inv["AmountPaid"]
    statuses = {t["Status"] for t in api.objects(TENANT, "BankTransactions")}
    assert statuses == {"AUTHORISED", "DELETED"}
    assert len(api.objects(TENANT, "Payments")) >= 10
    assert 2 <= len(api.objects(TENANT, "Contacts")) <= 12
    total = sum(len(api.objects(TENANT, c)) for c in
                ("ManualJournals", "Invoices", "BankTransactions", "Payments"))
    assert 40 <= total <= 120


# --- test helpers and state ---------------------------------------------------------------------


def test_remote_edit_of_a_journal_is_validated_and_bumps_updated_date() -> None:
    api, clock = make_api()
    mj = created(api, journal())
    clock.advance(hours=2)
    edited = api.remote_edit(TENANT, "ManualJournals", mj["ManualJournalID"],
                             {"Narration": "Changed in Xero"})
    assert edited["Narration"] == "Changed in Xero"
    assert edited["UpdatedDateUTC"] == f"/Date({int(clock.now.timestamp() * 1000)}+0000)/"
    with pytest.raises(ValueError, match="total debits"):
        api.remote_edit(TENANT, "ManualJournals", mj["ManualJournalID"], {"JournalLines": [
            {"LineAmount": 1, "AccountCode": "469"}, {"LineAmount": -2, "AccountCode": "814"}]})
    with pytest.raises(ValueError, match="cannot be applied to the document"):
        api.remote_delete(TENANT, "ManualJournals", mj["ManualJournalID"])  # posted
    with pytest.raises(KeyError):
        api.remote_edit(TENANT, "ManualJournals", "missing", {})
    with pytest.raises(KeyError):
        api.objects(TENANT, "Widgets")


def test_remote_create_and_void_show_up_in_an_incremental_pull() -> None:
    api, clock = make_api()
    clock.advance(hours=1)
    cursor = clock.now.isoformat()
    new = api.remote_create(TENANT, "ManualJournals", journal("Made in Xero"))
    old = next(m for m in api.objects(TENANT, "ManualJournals") if m["Status"] == "POSTED"
               and m["ManualJournalID"] != new["ManualJournalID"])
    clock.advance(minutes=1)
    api.remote_void(TENANT, "ManualJournals", old["ManualJournalID"])
    pulled = parsed(call(api, "GET", "ManualJournals?page=1",
                         headers={"If-Modified-Since": cursor}))["ManualJournals"]
    assert [(m["ManualJournalID"], m["Status"]) for m in pulled] == [
        (old["ManualJournalID"], "VOIDED"), (new["ManualJournalID"], "POSTED")]  # created order
    with pytest.raises(ValueError, match="Narration"):
        api.remote_create(TENANT, "ManualJournals", journal(narration=""))


def test_remote_void_of_a_paid_invoice_is_refused_and_of_an_open_one_works() -> None:
    api, _ = make_api()
    paid = next(i for i in api.objects(TENANT, "Invoices") if i["Status"] == "PAID")
    with pytest.raises(ValueError, match="has a payment or credit note allocated"):
        api.remote_void(TENANT, "Invoices", paid["InvoiceID"])
    [open_one] = parsed(call(api, "PUT", "Invoices", invoice()))["Invoices"]
    assert api.remote_void(TENANT, "Invoices", open_one["InvoiceID"])["Status"] == "VOIDED"


def test_state_round_trips_through_json() -> None:
    api, clock = make_api(advanced=True)
    created(api, journal(), headers={"Idempotency-Key": "persisted-key"})
    state = json.loads(json.dumps(api.to_state()))
    copy = XeroAccountingApi(clock=clock)
    copy.from_state(state)
    for collection in ("Accounts", "Contacts", "ManualJournals", "Invoices", "BankTransactions",
                       "Payments", "Journals"):
        assert copy.objects(TENANT, collection) == api.objects(TENANT, collection), collection
    assert copy.organisation_name(TENANT) == "Harbour Lights Studio"
    assert call(copy, "GET", "Journals").status == 200
    before = len(copy.objects(TENANT, "ManualJournals"))
    replay = call(copy, "PUT", "ManualJournals", journal(),
                  headers={"Idempotency-Key": "persisted-key"})
    assert replay.status == 200
    assert len(copy.objects(TENANT, "ManualJournals")) == before
    assert copy.to_state() == api.to_state()


def test_seeding_is_reproducible_for_a_tenant() -> None:
    first, _ = make_api()
    second, _ = make_api()
    assert first.to_state() == second.to_state()
    assert first.tenant_ids() == [TENANT]


def test_contact_names_are_unique_even_within_one_request() -> None:
    api, _ = make_api()
    before = len(api.objects(TENANT, "Contacts"))
    pair = {"Contacts": [{"Name": "Twin Peaks Ltd"}, {"Name": "twin peaks ltd"}]}
    assert call(api, "PUT", "Contacts", pair).status == 400
    assert len(api.objects(TENANT, "Contacts")) == before
    results = parsed(call(api, "PUT", "Contacts?summarizeErrors=false", pair))["Contacts"]
    assert [r["StatusAttributeString"] for r in results] == ["OK", "ERROR"]
    assert [c["Name"] for c in api.objects(TENANT, "Contacts")].count("Twin Peaks Ltd") == 1
    assert len(api.objects(TENANT, "Contacts")) == before + 1


def test_empty_state_changes_nothing_and_a_foreign_state_is_refused() -> None:
    api, _ = make_api()
    before = api.to_state()
    api.from_state({})
    assert api.to_state() == before
    with pytest.raises(ValueError, match="version"):
        api.from_state({"version": 99, "tenants": {}})
    assert api.to_state() == before


def test_post_status_changes_of_documents() -> None:
    api, clock = make_api(advanced=True)
    [inv] = parsed(call(api, "PUT", "Invoices", invoice()))["Invoices"]
    [pay] = parsed(call(api, "PUT", "Payments", {
        "Invoice": {"InvoiceID": inv["InvoiceID"]}, "Account": {"Code": "090"},
        "Amount": 100}))["Payments"]
    clock.advance(minutes=1)
    refused = call(api, "POST", f"Invoices/{inv['InvoiceID']}", {"Status": "VOIDED"})
    assert refused.status == 400
    assert "has a payment or credit note allocated to it" in refused.body.decode()
    [deleted] = parsed(call(api, "POST", f"Payments/{pay['PaymentID']}",
                            {"Payments": [{"Status": "DELETED"}]}))["Payments"]
    assert deleted["Status"] == "DELETED"
    assert deleted["UpdatedDateUTC"] == f"/Date({int(clock.now.timestamp() * 1000)}+0000)/"
    results = parsed(call(api, "POST", "Invoices?summarizeErrors=false", {"Invoices": [
        {"InvoiceID": inv["InvoiceID"], "Status": "VOIDED"},
        {"InvoiceID": inv["InvoiceID"], "Status": "DRAFT"},
        {"InvoiceID": inv["InvoiceID"]}]}))["Invoices"]
    assert [r["StatusAttributeString"] for r in results] == ["OK", "ERROR", "ERROR"]
    assert results[0]["Status"] == "VOIDED"
    assert [len(ledger_for(api, i)) for i in (inv["InvoiceID"], pay["PaymentID"])] == [2, 2]
    txn = next(t for t in api.objects(TENANT, "BankTransactions") if t["Status"] == "AUTHORISED")
    assert parsed(call(api, "POST", "BankTransactions", {"BankTransactions": [
        {"BankTransactionID": txn["BankTransactionID"], "Status": "DELETED"}]})
                  )["BankTransactions"][0]["Status"] == "DELETED"
    assert call(api, "POST", "Contacts", {"Name": "x"}).status == 405
    assert call(api, "PUT", f"Invoices/{inv['InvoiceID']}", {"Status": "VOIDED"}).status == 405


def test_a_write_over_3_5_mb_is_refused() -> None:
    api, _ = make_api()
    before = len(api.objects(TENANT, "ManualJournals"))
    huge = {"ManualJournals": [journal("x" * 4000) for _ in range(900)]}
    response = call(api, "PUT", "ManualJournals", huge)
    assert response.status == 413
    assert len(api.objects(TENANT, "ManualJournals")) == before


def test_remote_create_of_an_account_and_a_contact() -> None:
    api, clock = make_api()
    clock.advance(minutes=1)
    account = api.remote_create(TENANT, "Accounts", {"Code": "427", "Name": "Couriers",
                                                     "Type": "OVERHEADS"})
    assert (account["Class"], account["Status"]) == ("EXPENSE", "ACTIVE")
    changed = parsed(call(api, "GET", "Accounts", headers={
        "If-Modified-Since": clock.now.isoformat()}))["Accounts"]
    assert [a["Code"] for a in changed] == ["427"]
    with pytest.raises(ValueError, match="unique Code"):
        api.remote_create(TENANT, "Accounts", {"Code": "427", "Name": "Other", "Type": "EXPENSE"})
    contact = api.remote_create(TENANT, "Contacts", {"Name": "Kiwi Couriers"})
    assert contact["ContactStatus"] == "ACTIVE"
    assert api.remote_delete(TENANT, "Contacts", contact["ContactID"])["ContactStatus"] == \
        "ARCHIVED"
    with pytest.raises(KeyError):
        api.remote_create(TENANT, "Journals", {})


def test_paging_while_xero_changes_records_skips_nothing_with_a_pass_start_cursor() -> None:
    """Records keep their place when they change, so a change during a paged pass never moves an
    unread record onto a page already read; the pass-start cursor (`DateTimeUTC`) catches what
    changed during the pass."""
    api, clock = make_api()
    for index in range(240):
        clock.advance(seconds=1)
        created(api, journal(f"J{index:03d}"))
    clock.advance(minutes=5)
    cursor = "2026-11-24T08:00:00"
    first = parsed(call(api, "GET", "ManualJournals?page=1",
                        headers={"If-Modified-Since": cursor}))
    pass_start = first["DateTimeUTC"]
    seen = [m["ManualJournalID"] for m in first["ManualJournals"]]
    clock.advance(seconds=1)
    api.remote_edit(TENANT, "ManualJournals", seen[3], {"Narration": "edited mid-pass"})
    old_seeded = next(m for m in api.objects(TENANT, "ManualJournals") if m["Status"] == "DRAFT"
                      and m["Narration"].startswith("Accrual"))
    api.remote_edit(TENANT, "ManualJournals", old_seeded["ManualJournalID"],
                    {"Narration": "old one edited mid-pass"})
    page = 2
    while True:
        batch = parsed(call(api, "GET", f"ManualJournals?page={page}",
                            headers={"If-Modified-Since": cursor}))["ManualJournals"]
        if not batch:
            break
        seen.extend(m["ManualJournalID"] for m in batch)
        page += 1
    created_ids = {m["ManualJournalID"] for m in api.objects(TENANT, "ManualJournals")
                   if m["Narration"].startswith("J")}
    assert created_ids <= set(seen)
    pass_start_ms = int(pass_start[6:-2])
    again = parsed(call(api, "GET", "ManualJournals?page=1", headers={
        "If-Modified-Since": dt.datetime.fromtimestamp(pass_start_ms / 1000, dt.UTC).isoformat()}))
    assert {m["Narration"] for m in again["ManualJournals"]} == {
        "edited mid-pass", "old one edited mid-pass"}
