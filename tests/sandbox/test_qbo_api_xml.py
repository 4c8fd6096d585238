"""Without `Accept: application/json` the QBO sandbox answers in Intuit's XML, as QBO does."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

from bookkeeper_desktop.sandbox.http import Request
from tests.sandbox.test_qbo_api_helpers import REALM, make_api

NS = {"i": "http://schema.intuit.com/finance/v3"}


def _get(target: str, headers: dict[str, str]) -> tuple[int, str, ET.Element]:
    api, _ = make_api()
    request = Request.from_target("GET", f"/v3/company/{REALM}/{target}", headers)
    response = api.handle(request, REALM)
    return response.status, response.headers["Content-Type"], ET.fromstring(response.body)


@pytest.mark.parametrize("headers", [{}, {"Accept": "*/*"}, {"Accept": "application/xml"}])
def test_companyinfo_in_xml_unless_json_is_asked_for(headers: dict[str, str]) -> None:
    status, content_type, root = _get(f"companyinfo/{REALM}", headers)
    assert status == 200
    assert content_type.startswith("application/xml")
    assert root.tag == "{http://schema.intuit.com/finance/v3}IntuitResponse"
    assert root.get("time")
    info = root.find("i:CompanyInfo", NS)
    assert info is not None
    assert info.get("domain") == "QBO"
    assert info.get("sparse") == "false"
    assert info.findtext("i:CompanyName", namespaces=NS) == "Sierra Consulting"
    assert info.findtext("i:Id", namespaces=NS) == "1"


def test_query_response_and_references_in_xml() -> None:
    status, _, root = _get("query?query=select%20*%20from%20JournalEntry%20maxresults%202", {})
    assert status == 200
    response = root.find("i:QueryResponse", NS)
    assert response is not None
    assert (response.get("startPosition"), response.get("maxResults")) == ("1", "2")
    entries = response.findall("i:JournalEntry", NS)
    assert len(entries) == 2
    ref = entries[0].find("i:Line/i:JournalEntryLineDetail/i:AccountRef", NS)
    assert ref is not None
    assert ref.text == "1"
    assert ref.get("name") == "Business Checking"
    amount = entries[0].findtext("i:Line/i:Amount", namespaces=NS)
    assert amount == "25000.00"


def test_fault_in_xml() -> None:
    status, _, root = _get("account/99999", {"Accept": "application/xml"})
    assert status == 400
    fault = root.find("i:Fault", NS)
    assert fault is not None
    assert fault.get("type") == "ValidationFault"
    error = fault.find("i:Error", NS)
    assert error is not None
    assert error.get("code") == "610"
    assert error.findtext("i:Message", namespaces=NS) == "Object Not Found"


def test_json_when_accept_names_it_among_others() -> None:
    _, content_type, _ = _get_json(f"companyinfo/{REALM}")
    assert content_type.startswith("application/json")


def _get_json(target: str) -> tuple[int, str, bytes]:
    api, _ = make_api()
    request = Request.from_target("GET", f"/v3/company/{REALM}/{target}",
                                  {"Accept": "text/html, application/json;q=0.9"})
    response = api.handle(request, REALM)
    return response.status, response.headers["Content-Type"], response.body


def test_batch_and_cdc_in_xml() -> None:
    import json

    from bookkeeper_desktop.sandbox.qbo_api import stamp

    api, clock = make_api()
    cursor = stamp(clock.now)
    clock.advance(minutes=1)
    api.remote_delete(REALM, "JournalEntry", api.objects(REALM, "JournalEntry")[0]["Id"])
    body = json.dumps({"BatchItemRequest": [
        {"bId": "q", "Query": "select count(*) from Account"},
        {"bId": "bad", "operation": "create", "JournalEntry": {"Line": []}},
    ]}).encode()
    batch = api.handle(Request.from_target("POST", f"/v3/company/{REALM}/batch", {}, body), REALM)
    root = ET.fromstring(batch.body)
    items = root.findall("i:BatchItemResponse", NS)
    assert [item.get("bId") for item in items] == ["q", "bad"]
    assert items[1].find("i:Fault/i:Error", NS).get("code") == "2020"  # type: ignore[union-attr]
    changed = api.handle(Request.from_target(
        "GET", f"/v3/company/{REALM}/cdc?entities=JournalEntry&changedSince="
        + cursor.replace("+", "%2B")), REALM)
    assert changed.status == 200
    cdc = ET.fromstring(changed.body)
    deleted = cdc.find("i:CDCResponse/i:QueryResponse/i:JournalEntry", NS)
    assert deleted is not None
    assert deleted.get("status") == "Deleted"
