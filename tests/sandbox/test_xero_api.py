"""The Xero sandbox API without a socket: Organisation, Accounts, ManualJournals read and write."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from bookkeeper_desktop.sandbox.http import Request
from bookkeeper_desktop.sandbox.xero_api import XeroAccountingApi
from tests.sandbox.test_xero_api_helpers import (
    START,
    TENANT,
    ManualClock,
    call,
    journal,
    make_api,
    parsed,
)

MS_DATE = re.compile(r"/Date\(\d{13}\+0000\)/")
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


@pytest.fixture
def api() -> XeroAccountingApi:
    return make_api()[0]


# --- Organisation -------------------------------------------------------------------------------


def test_organisation_comes_in_xeros_envelope(api: XeroAccountingApi) -> None:
    response = call(api, "GET", "Organisation")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body = parsed(response)
    assert body["Status"] == "OK"
    assert GUID.fullmatch(body["Id"])
    assert body["ProviderName"]
    assert body["DateTimeUTC"] == f"/Date({int(START.timestamp() * 1000)})/"
    [org] = body["Organisations"]
    assert org["OrganisationID"] == TENANT
    assert org["Name"] == "Harbour Lights Studio"
    assert org["BaseCurrency"] == "NZD"
    assert org["CountryCode"] == "NZ"
    assert org["OrganisationType"] == "COMPANY"
    assert org["LegalName"]
    assert api.organisation_name(TENANT) == "Harbour Lights Studio"


def test_unknown_tenant_is_forbidden_in_xeros_problem_shape(api: XeroAccountingApi) -> None:
    response = call(api, "GET", "Organisation", tenant="not-connected")
    assert response.status == 403
    body = parsed(response)
    assert body["Title"] == "Forbidden"
    assert body["Status"] == 403
    assert body["Detail"] == "AuthenticationUnsuccessful"


def test_unknown_endpoint_and_record_are_404_with_xeros_text(api: XeroAccountingApi) -> None:
    for target in ("Widgets", "ManualJournals/00000000-0000-4000-8000-000000000000",
                   "Accounts/nope", "ManualJournals/a/b"):
        response = call(api, "GET", target)
        assert response.status == 404, target
        assert response.body == b"The resource you're looking for cannot be found"


def test_path_is_case_insensitive_like_xero(api: XeroAccountingApi) -> None:
    assert call(api, "GET", "manualjournals").status == 200
    assert call(api, "GET", "ACCOUNTS").status == 200


def test_without_accept_json_the_answer_is_xml(api: XeroAccountingApi) -> None:
    request = Request.from_target("GET", "/api.xro/2.0/Organisation", {})
    response = api.handle(request, TENANT)
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/xml")
    text = response.body.decode()
    assert text.startswith("<Response><Id>")
    assert "<Organisations><Organisation><OrganisationID>" in text
    assert "<Name>Harbour Lights Studio</Name>" in text


def test_delete_is_not_an_allowed_method(api: XeroAccountingApi) -> None:
    assert call(api, "DELETE", "ManualJournals").status == 405


# --- Accounts -----------------------------------------------------------------------------------


def test_chart_has_system_bank_and_archived_accounts_in_xeros_shape(
        api: XeroAccountingApi) -> None:
    body = parsed(call(api, "GET", "Accounts"))
    accounts = body["Accounts"]
    assert "pagination" not in body
    assert 40 <= len(accounts) <= 60
    systems = {a["SystemAccount"] for a in accounts if a.get("SystemAccount")}
    assert {"DEBTORS", "CREDITORS", "GST", "RETAINEDEARNINGS", "HISTORICAL", "ROUNDING",
            "TRACKINGTRANSFERS", "UNPAIDEXPCLM"} <= systems
    banks = [a for a in accounts if a["Type"] == "BANK"]
    assert len(banks) >= 2
    assert all(a["BankAccountType"] in ("BANK", "CREDITCARD") for a in banks)
    assert any(a["Status"] == "ARCHIVED" for a in accounts)
    codes = [a["Code"] for a in accounts]
    assert codes == sorted(codes)
    assert len(set(codes)) == len(codes)
    for account in accounts:
        assert GUID.fullmatch(account["AccountID"])
        assert MS_DATE.fullmatch(account["UpdatedDateUTC"])
        assert account["Class"] in ("ASSET", "LIABILITY", "EQUITY", "REVENUE", "EXPENSE")
        assert account["Status"] in ("ACTIVE", "ARCHIVED")
        assert account["TaxType"]
    debtors = next(a for a in accounts if a.get("SystemAccount") == "DEBTORS")
    assert (debtors["Type"], debtors["Class"]) == ("CURRENT", "ASSET")


def test_accounts_where_and_order(api: XeroAccountingApi) -> None:
    banks = parsed(call(api, "GET", 'Accounts?where=Type%3D%3D"BANK"'))["Accounts"]
    assert banks
    assert {a["Type"] for a in banks} == {"BANK"}
    active_expenses = parsed(call(
        api, "GET", 'Accounts?where=Class%3D%3D"EXPENSE"%20AND%20Status%3D%3D"ACTIVE"'
                    "&order=Name%20DESC"))["Accounts"]
    names = [a["Name"] for a in active_expenses]
    assert names == sorted(names, key=str.lower, reverse=True)
    assert {a["Class"] for a in active_expenses} == {"EXPENSE"}
    assert "Postage" not in names  # archived


def test_accounts_bad_where_is_a_query_parse_error(api: XeroAccountingApi) -> None:
    response = call(api, "GET", "Accounts?where=Type%20LIKE%20BANK")
    assert response.status == 400
    body = parsed(response)
    assert body["Type"] == "QueryParseException"
    assert body["ErrorNumber"] == 16


def test_accounts_if_modified_since(api: XeroAccountingApi) -> None:
    response = call(api, "PUT", "Accounts", {"Code": "426", "Name": "Courier Fees",
                                             "Type": "EXPENSE", "TaxType": "INPUT2"})
    assert response.status == 200
    since = "Tue, 24 Nov 2026 08:00:00 GMT"
    changed = parsed(call(api, "GET", "Accounts", headers={"If-Modified-Since": since}))
    assert [a["Code"] for a in changed["Accounts"]] == ["426"]


def test_put_account_creates_it(api: XeroAccountingApi) -> None:
    response = call(api, "PUT", "Accounts", {"Code": "426", "Name": "Courier Fees",
                                             "Type": "EXPENSE", "TaxType": "INPUT2"})
    assert response.status == 200
    [account] = parsed(response)["Accounts"]
    assert account["Class"] == "EXPENSE"
    assert account["Status"] == "ACTIVE"
    assert GUID.fullmatch(account["AccountID"])
    again = parsed(call(api, "GET", f"Accounts/{account['AccountID']}"))["Accounts"]
    assert again[0]["Name"] == "Courier Fees"


def test_put_account_refuses_duplicates_bad_type_and_tax(api: XeroAccountingApi) -> None:
    response = call(api, "PUT", "Accounts", {"Code": "200", "Name": "Sales",
                                             "Type": "WIDGET", "TaxType": "BOGUS"})
    assert response.status == 400
    body = parsed(response)
    assert body["Type"] == "ValidationException"
    assert body["ErrorNumber"] == 10
    messages = [e["Message"] for e in body["Elements"][0]["ValidationErrors"]]
    assert "Please enter a unique Code." in messages
    assert "Please enter a unique Name." in messages
    assert any("WIDGET" in m for m in messages)
    assert any("BOGUS" in m for m in messages)
    assert len(api.objects(TENANT, "Accounts")) == len(parsed(call(api, "GET",
                                                                   "Accounts"))["Accounts"])
    assert not any(a["Type"] == "WIDGET" for a in api.objects(TENANT, "Accounts"))


def test_post_account_archives_and_bumps_updated_date() -> None:
    api, clock = make_api()
    rent = next(a for a in api.objects(TENANT, "Accounts") if a["Code"] == "469")
    clock.advance(minutes=3)
    response = call(api, "POST", f"Accounts/{rent['AccountID']}",
                    {"Accounts": [{"Status": "ARCHIVED"}]})
    assert response.status == 200
    [account] = parsed(response)["Accounts"]
    assert account["Status"] == "ARCHIVED"
    assert account["UpdatedDateUTC"] == f"/Date({int(clock.now.timestamp() * 1000)}+0000)/"


def test_system_account_cannot_be_archived_or_retyped(api: XeroAccountingApi) -> None:
    gst = next(a for a in api.objects(TENANT, "Accounts") if a.get("SystemAccount") == "GST")
    response = call(api, "POST", f"Accounts/{gst['AccountID']}",
                    {"Status": "ARCHIVED", "Type": "EQUITY"})
    assert response.status == 400
    messages = [e["Message"] for e in parsed(response)["Elements"][0]["ValidationErrors"]]
    assert len(messages) == 2
    still = next(a for a in api.objects(TENANT, "Accounts") if a.get("SystemAccount") == "GST")
    assert (still["Status"], still["Type"]) == ("ACTIVE", "CURRLIAB")


def test_post_to_unknown_account_is_404(api: XeroAccountingApi) -> None:
    response = call(api, "POST", "Accounts/00000000-0000-4000-8000-000000000000",
                    {"Name": "x"})
    assert response.status == 404


# --- ManualJournals: reading --------------------------------------------------------------------


def test_seeded_manual_journals_have_xeros_shape(api: XeroAccountingApi) -> None:
    body = parsed(call(api, "GET", "ManualJournals?page=1"))
    journals = body["ManualJournals"]
    assert 10 <= len(journals) <= 100
    assert {j["Status"] for j in journals} >= {"POSTED", "DRAFT", "VOIDED"}
    for mj in journals:
        assert GUID.fullmatch(mj["ManualJournalID"])
        assert MS_DATE.fullmatch(mj["Date"])
        assert MS_DATE.fullmatch(mj["UpdatedDateUTC"])
        assert mj["LineAmountTypes"] == "NoTax"
        lines = mj["JournalLines"]
        assert len(lines) >= 2
        assert sum(line["LineAmount"] for line in lines) == 0
        assert all(isinstance(line["LineAmount"], Decimal) for line in lines)
    stamps = [int(mj["UpdatedDateUTC"][6:19]) for mj in journals]
    assert max(stamps) < START.timestamp() * 1000
    assert [mj["ManualJournalID"] for mj in journals] == [
        mj["ManualJournalID"] for mj in api.objects(TENANT, "ManualJournals")]


def test_amounts_are_json_numbers_with_their_cents(api: XeroAccountingApi) -> None:
    call(api, "PUT", "ManualJournals", journal(amount="1234.50"))
    text = call(api, "GET", "ManualJournals?page=1").body.decode()
    assert '"LineAmount":1234.50,' in text
    assert '"LineAmount":-1234.50,' in text


def test_list_without_page_leaves_out_journal_lines(api: XeroAccountingApi) -> None:
    journals = parsed(call(api, "GET", "ManualJournals"))
    assert "pagination" not in journals
    assert journals["ManualJournals"]
    assert all("JournalLines" not in mj for mj in journals["ManualJournals"])
    one = journals["ManualJournals"][0]["ManualJournalID"]
    [full] = parsed(call(api, "GET", f"ManualJournals/{one}"))["ManualJournals"]
    assert len(full["JournalLines"]) >= 2


def test_paging_boundaries() -> None:
    api, clock = make_api()
    seeded = len(api.objects(TENANT, "ManualJournals"))
    for index in range(250 - seeded):
        clock.advance(seconds=1)
        assert call(api, "PUT", "ManualJournals", journal(f"J{index}")).status == 200
    pages = [parsed(call(api, "GET", f"ManualJournals?page={p}")) for p in (1, 2, 3, 4)]
    assert [len(p["ManualJournals"]) for p in pages] == [100, 100, 50, 0]
    assert pages[0]["pagination"] == {"page": 1, "pageSize": 100, "pageCount": 3,
                                      "itemCount": 250}
    ids = [mj["ManualJournalID"] for p in pages for mj in p["ManualJournals"]]
    assert len(set(ids)) == 250
    small = parsed(call(api, "GET", "ManualJournals?page=3&pageSize=120"))
    assert len(small["ManualJournals"]) == 10
    assert small["pagination"]["pageCount"] == 3
    capped = parsed(call(api, "GET", "ManualJournals?page=1&pageSize=5000"))
    assert capped["pagination"]["pageSize"] == 1000
    assert len(capped["ManualJournals"]) == 250
    for bad in ("page=0", "page=x", "page=1&pageSize=0"):
        response = call(api, "GET", f"ManualJournals?{bad}")
        assert response.status == 400, bad
        assert parsed(response)["Type"] == "ValidationException"


def test_if_modified_since_is_inclusive_and_accepts_both_date_forms() -> None:
    api, clock = make_api()
    clock.advance(minutes=10)
    first = parsed(call(api, "PUT", "ManualJournals", journal("first")))["ManualJournals"][0]
    clock.advance(seconds=30)
    second = parsed(call(api, "PUT", "ManualJournals", journal("second")))["ManualJournals"][0]
    first_ms = int(first["UpdatedDateUTC"][6:19])

    def narrations(since: str) -> list[str]:
        body = parsed(call(api, "GET", "ManualJournals?page=1",
                           headers={"If-Modified-Since": since}))
        return [mj["Narration"] for mj in body["ManualJournals"]]

    assert narrations("2026-11-24T08:10:00") == ["first", "second"]
    assert narrations("2026-11-24T08:10:00Z") == ["first", "second"]
    assert narrations("Tue, 24 Nov 2026 08:10:00 GMT") == ["first", "second"]
    assert narrations("2026-11-24T08:10:00.001") == ["second"]
    assert narrations("2026-11-24T08:10:30") == ["second"]
    assert narrations("2026-11-24T08:10:31") == []
    assert first_ms == int(clock.now.timestamp() * 1000) - 30_000
    assert second["Narration"] == "second"
    bad = call(api, "GET", "ManualJournals", headers={"If-Modified-Since": "yesterday"})
    assert bad.status == 400


# --- ManualJournals: writing --------------------------------------------------------------------


def test_put_creates_a_posted_journal_and_returns_it() -> None:
    api, clock = make_api()
    before = len(api.objects(TENANT, "ManualJournals"))
    response = call(api, "PUT", "ManualJournals", {"ManualJournals": [journal()]})
    assert response.status == 200
    [mj] = parsed(response)["ManualJournals"]
    assert mj["Status"] == "POSTED"
    assert mj["Narration"] == "Accrue rent"
    assert mj["Date"] == "/Date(1795132800000+0000)/"  # 2026-11-20 midnight UTC
    assert mj["UpdatedDateUTC"] == f"/Date({int(clock.now.timestamp() * 1000)}+0000)/"
    assert [line["LineAmount"] for line in mj["JournalLines"]] == [Decimal("100.00"),
                                                                    Decimal("-100.00")]
    assert all(GUID.fullmatch(line["AccountID"]) for line in mj["JournalLines"])
    assert "StatusAttributeString" not in mj
    assert len(api.objects(TENANT, "ManualJournals")) == before + 1
    [stored] = parsed(call(api, "GET", f"ManualJournals/{mj['ManualJournalID']}")
                      )["ManualJournals"]
    assert stored == mj


def test_defaults_draft_notax_and_today() -> None:
    api, _ = make_api()
    body = journal()
    for key in ("Status", "Date", "LineAmountTypes"):
        body.pop(key)
    [mj] = parsed(call(api, "PUT", "ManualJournals", body))["ManualJournals"]
    assert mj["Status"] == "DRAFT"
    assert mj["LineAmountTypes"] == "NoTax"
    assert mj["Date"] == "/Date(1795478400000+0000)/"  # 2026-11-24, the clock's day


def test_summarized_validation_error_has_xeros_shape_and_saves_nothing(
        api: XeroAccountingApi) -> None:
    before = api.objects(TENANT, "ManualJournals")
    good = journal("good")
    bad = journal("bad")
    bad["JournalLines"][1]["LineAmount"] = -10.0
    response = call(api, "PUT", "ManualJournals", {"ManualJournals": [good, bad]})
    assert response.status == 400
    body = parsed(response)
    assert body["ErrorNumber"] == 10
    assert body["Type"] == "ValidationException"
    assert body["Message"] == "A validation exception occurred"
    [element] = body["Elements"]
    assert element["Narration"] == "bad"
    assert element["ValidationErrors"] == [
        {"Message": "The total debits (100.00) must equal total credits (-10.00)"}]
    assert api.objects(TENANT, "ManualJournals") == before


def test_summarize_errors_false_gives_per_item_results(api: XeroAccountingApi) -> None:
    before = len(api.objects(TENANT, "ManualJournals"))
    bad = journal("bad", debit="999")
    response = call(api, "PUT", "ManualJournals?summarizeErrors=false",
                    {"ManualJournals": [journal("one"), bad, journal("three")]})
    assert response.status == 200
    results = parsed(response)["ManualJournals"]
    assert [r["StatusAttributeString"] for r in results] == ["OK", "ERROR", "OK"]
    assert GUID.fullmatch(results[0]["ManualJournalID"])
    assert "ManualJournalID" not in results[1]
    assert results[1]["ValidationErrors"] == [
        {"Message": "Account code '999' is not a valid code for this document."}]
    assert "ValidationErrors" not in results[0]
    assert len(api.objects(TENANT, "ManualJournals")) == before + 2


@pytest.mark.parametrize(("change", "message"), [
    ({"Narration": ""}, "Narration cannot be empty."),
    ({"JournalLines": [{"LineAmount": 0, "AccountCode": "469"}]},
     "Journals must contain at least two individual journal lines with account codes."),
    ({"Status": "VOIDED"}, "A manual journal cannot be created with a status of VOIDED; use "
                           "DRAFT or POSTED."),
    ({"LineAmountTypes": "Gross"}, "LineAmountTypes 'Gross' is not valid; use NoTax, Exclusive "
                                   "or Inclusive."),
    ({"Date": "24/11/2026"}, "The date '24/11/2026' is not a valid date."),
])
def test_validation_messages(api: XeroAccountingApi, change: dict[str, object],
                             message: str) -> None:
    response = call(api, "PUT", "ManualJournals", journal(**change))
    assert response.status == 400
    messages = [e["Message"] for e in parsed(response)["Elements"][0]["ValidationErrors"]]
    assert message in messages


def test_archived_account_and_bad_tax_type_and_tracking_are_refused(
        api: XeroAccountingApi) -> None:
    body = journal(debit="455")
    body["JournalLines"][1]["TaxType"] = "BOGUS"
    body["JournalLines"][1]["Tracking"] = [{"Name": "Region", "Option": "North"},
                                           {"Name": "Department", "Option": "Sales"},
                                           {"Name": "Region", "Option": "South"}]
    response = call(api, "PUT", "ManualJournals", body)
    messages = [e["Message"] for e in parsed(response)["Elements"][0]["ValidationErrors"]]
    assert messages == [
        "Account code '455' has been archived, or deleted. Each line item must reference a "
        "valid account.",
        "The TaxType code 'BOGUS' does not exist or cannot be used for this type of "
        "transaction.",
        "A journal line can have at most two tracking categories.",
    ]


def test_two_tracking_categories_are_kept(api: XeroAccountingApi) -> None:
    body = journal()
    body["JournalLines"][0]["Tracking"] = [{"Name": "Region", "Option": "North"},
                                           {"Name": "Department", "Option": "Sales"}]
    [mj] = parsed(call(api, "PUT", "ManualJournals", body))["ManualJournals"]
    tracking = mj["JournalLines"][0]["Tracking"]
    assert [(t["Name"], t["Option"]) for t in tracking] == [("Region", "North"),
                                                            ("Department", "Sales")]
    unknown = journal()
    unknown["JournalLines"][0]["Tracking"] = [{"Name": "Region", "Option": "Mars"}]
    assert call(api, "PUT", "ManualJournals", unknown).status == 400


def test_body_that_is_not_json_is_post_data_invalid(api: XeroAccountingApi) -> None:
    response = call(api, "PUT", "ManualJournals", b"{not json")
    assert response.status == 400
    assert parsed(response)["Type"] == "PostDataInvalidException"
    assert call(api, "PUT", "ManualJournals", {"ManualJournals": "x"}).status == 400


def test_a_clock_is_optional() -> None:
    api = XeroAccountingApi()
    api.seed_organisation("t", "Default Clock Ltd")
    response = api.handle(Request.from_target("GET", "/api.xro/2.0/ManualJournals",
                                              {"Accept": "application/json"}), "t")
    assert response.status == 200
    assert ManualClock()() == START


# --- where ---------------------------------------------------------------------------------------


def test_where_finds_a_journal_by_text_in_its_narration(api: XeroAccountingApi) -> None:
    call(api, "PUT", "ManualJournals", journal("Rent AND rates [bk:key-42]"))
    call(api, "PUT", "ManualJournals", journal("Rent [bk:key-43]"))
    found = parsed(call(api, "GET", 'ManualJournals?where=Narration.Contains("[bk:key-42]")'))
    assert [mj["Narration"] for mj in found["ManualJournals"]] == ["Rent AND rates [bk:key-42]"]
    both = parsed(call(api, "GET", 'ManualJournals?where=Narration.StartsWith("Rent")'
                                   ' AND Status=="POSTED"'))
    assert len(both["ManualJournals"]) == 2
    lower = parsed(call(api, "GET",
                        'ManualJournals?where=Narration.ToLower().EndsWith("key-43]")'))
    assert len(lower["ManualJournals"]) == 1


def test_where_compares_dates_numbers_and_guids(api: XeroAccountingApi) -> None:
    invoices = api.objects(TENANT, "Invoices")
    big = parsed(call(api, "GET", "Invoices?where=Total>1000"))["Invoices"]
    assert {i["InvoiceID"] for i in big} == {i["InvoiceID"] for i in invoices
                                              if i["Total"] > 1000}
    recent = parsed(call(api, "GET",
                         "Invoices?where=Date>=DateTime(2026,10,01)%20AND%20Type==\"ACCREC\""))
    assert recent["Invoices"]
    assert all(int(i["Date"][6:19]) >= 1790812800000 for i in recent["Invoices"])
    one = invoices[0]
    by_guid = parsed(call(api, "GET",
                          f'Invoices?where=InvoiceID==Guid("{one["InvoiceID"].upper()}")'))
    assert [i["InvoiceID"] for i in by_guid["Invoices"]] == [one["InvoiceID"]]
    nested = parsed(call(api, "GET", f'Invoices?where=Contact.Name=="{one["Contact"]["Name"]}"'))
    assert nested["Invoices"]
    assert {i["Contact"]["Name"] for i in nested["Invoices"]} == {one["Contact"]["Name"]}
    assert call(api, "GET", "Invoices?where=Date>DateTime(2026,13,1)").status == 400


def test_a_bank_account_needs_its_number_and_no_code(api: XeroAccountingApi) -> None:
    refused = call(api, "PUT", "Accounts", {"Name": "Cheque Account", "Type": "BANK"})
    assert refused.status == 400
    assert "BankAccountNumber" in refused.body.decode()
    response = call(api, "PUT", "Accounts", {"Name": "Cheque Account", "Type": "BANK",
                                             "BankAccountNumber": "12-3456-0000001-00"})
    assert response.status == 200
    [bank] = parsed(response)["Accounts"]
    assert (bank["Class"], bank["BankAccountType"], bank["Code"]) == ("ASSET", "BANK", "")


def test_xml_lists_are_well_formed_with_singular_item_elements(api: XeroAccountingApi) -> None:
    import xml.etree.ElementTree as ET

    request = Request.from_target("GET", "/api.xro/2.0/ManualJournals?page=1", {})
    root = ET.fromstring(api.handle(request, TENANT).body)
    journals = root.findall("./ManualJournals/ManualJournal")
    assert len(journals) == len(api.objects(TENANT, "ManualJournals"))
    first = journals[0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00", first.findtext("Date") or "")
    amounts = [Decimal(line.findtext("LineAmount") or "x")
               for line in first.findall("./JournalLines/JournalLine")]
    assert len(amounts) >= 2
    assert sum(amounts) == 0
    assert root.find("pagination") is None
