"""Batch (at most 30 items, bIds of at most 10 characters, per-item results, requestid up to 36
characters) and Change Data Capture (30-day window, 1,000 objects, deleted objects, the
`CDCResponse` shape) of the QBO sandbox."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pytest

from bookkeeper_desktop.sandbox.qbo_api import QboAccountingApi, parse_stamp, stamp
from tests.sandbox.test_qbo_api_helpers import (
    REALM,
    account_id,
    call,
    fault_of,
    je_body,
    make_api,
    parsed,
)

# --- batch ---------------------------------------------------------------------------------------


def _batch(api: QboAccountingApi, items: list[dict[str, Any]], params: str = "") -> Any:
    return call(api, "POST", f"batch?minorversion=75{params}", {"BatchItemRequest": items})


def test_batch_mixes_operations_and_partial_success_is_normal() -> None:
    api, _ = make_api()
    bank, income = account_id(api, "1000"), account_id(api, "4000")
    existing = api.objects(REALM, "JournalEntry")[0]
    unbalanced = je_body(bank, income)
    unbalanced["Line"][0]["Amount"] = Decimal("1.00")
    response = _batch(api, [
        {"bId": "1", "operation": "create", "JournalEntry": je_body(bank, income)},
        {"bId": "2", "operation": "create", "JournalEntry": unbalanced},
        {"bId": "3", "operation": "update", "JournalEntry": {
            "Id": existing["Id"], "SyncToken": existing["SyncToken"], "sparse": True,
            "PrivateNote": "batched edit"}},
        {"bId": "4", "operation": "delete", "JournalEntry": {"Id": "9999", "SyncToken": "0"}},
        {"bId": "5", "Query": "select count(*) from Account where AccountType = 'Bank'"},
        {"bId": "6", "operation": "create", "Account": {"Name": "Batch Account",
                                                        "AccountType": "Bank"}},
    ])
    assert response.status == 200
    payload = parsed(response)
    assert set(payload) == {"BatchItemResponse", "time"}
    items = {item["bId"]: item for item in payload["BatchItemResponse"]}
    assert [item["bId"] for item in payload["BatchItemResponse"]] == ["1", "2", "3", "4", "5",
                                                                      "6"]
    assert items["1"]["JournalEntry"]["SyncToken"] == "0"
    assert items["2"]["Fault"]["type"] == "ValidationFault"
    assert items["2"]["Fault"]["Error"][0]["code"] == "6000"
    assert items["3"]["JournalEntry"]["PrivateNote"] == "batched edit"
    assert items["4"]["Fault"]["Error"][0]["code"] == "610"
    assert items["5"]["QueryResponse"] == {"totalCount": 3}
    assert items["6"]["Account"]["Name"] == "Batch Account"
    ids = {e["Id"] for e in api.objects(REALM, "JournalEntry")}
    assert items["1"]["JournalEntry"]["Id"] in ids


def test_batch_delete_item_shape() -> None:
    api, _ = make_api()
    entry = api.objects(REALM, "JournalEntry")[-1]
    payload = parsed(_batch(api, [{"bId": "d1", "operation": "delete", "JournalEntry": {
        "Id": entry["Id"], "SyncToken": entry["SyncToken"]}}]))
    assert payload["BatchItemResponse"] == [
        {"JournalEntry": {"domain": "QBO", "status": "Deleted", "Id": entry["Id"]}, "bId": "d1"}]


def test_batch_of_30_is_fine_and_31_is_refused_whole() -> None:
    api, _ = make_api()
    bank, income = account_id(api, "1000"), account_id(api, "4000")
    before = len(api.objects(REALM, "JournalEntry"))
    items = [{"bId": str(n), "operation": "create", "JournalEntry": je_body(bank, income)}
             for n in range(31)]
    refused = _batch(api, items)
    assert refused.status == 400
    assert "at most 30" in fault_of(refused)["Detail"]
    assert len(api.objects(REALM, "JournalEntry")) == before
    accepted = _batch(api, items[:30])
    assert accepted.status == 200
    assert len(parsed(accepted)["BatchItemResponse"]) == 30
    assert len(api.objects(REALM, "JournalEntry")) == before + 30


@pytest.mark.parametrize(("items", "words"), [
    ([{"bId": "12345678901", "Query": "select * from Account"}], "limit is 10"),
    ([{"bId": "a", "Query": "select * from Account"},
      {"bId": "a", "Query": "select * from Account"}], "twice"),
    ([{"Query": "select * from Account"}], "bId"),
    ([], "BatchItemRequest"),
])
def test_batch_request_faults(items: list[dict[str, Any]], words: str) -> None:
    api, _ = make_api()
    response = _batch(api, items)
    assert response.status == 400
    assert words in fault_of(response)["Detail"]


def test_batch_item_without_a_known_operation_or_entity_faults_alone() -> None:
    api, _ = make_api()
    payload = parsed(_batch(api, [
        {"bId": "1", "operation": "upsert", "JournalEntry": {}},
        {"bId": "2", "operation": "create", "Spaceship": {}},
        {"bId": "3", "Query": "select * from Account where Name = 'x' or Name = 'y'"},
    ]))
    codes = [item["Fault"]["Error"][0]["code"] for item in payload["BatchItemResponse"]]
    assert codes == ["2010", "2010", "4000"]


def test_batch_requestid_replays_and_is_limited_to_36() -> None:
    api, _ = make_api()
    bank, income = account_id(api, "1000"), account_id(api, "4000")
    items = [{"bId": str(n), "operation": "create", "JournalEntry": je_body(bank, income)}
             for n in range(3)]
    before = len(api.objects(REALM, "JournalEntry"))
    key = "b" * 36
    first = _batch(api, items, f"&requestid={key}")
    second = _batch(api, items, f"&requestid={key}")
    assert first.status == 200
    assert first.body == second.body
    assert len(api.objects(REALM, "JournalEntry")) == before + 3
    too_long = _batch(api, items, f"&requestid={'b' * 37}")
    assert fault_of(too_long)["code"] == "2010"


def test_batch_stale_update_is_a_per_item_5010() -> None:
    api, _ = make_api()
    entry = api.objects(REALM, "JournalEntry")[0]
    api.remote_edit(REALM, "JournalEntry", entry["Id"], {"PrivateNote": "theirs"})
    payload = parsed(_batch(api, [{"bId": "u", "operation": "update", "JournalEntry": {
        "Id": entry["Id"], "SyncToken": entry["SyncToken"], "sparse": True,
        "PrivateNote": "ours"}}]))
    assert payload["BatchItemResponse"][0]["Fault"]["Error"][0]["code"] == "5010"


# --- change data capture -------------------------------------------------------------------------


def _cdc(api: QboAccountingApi, entities: str, since: str) -> Any:
    return call(api, "GET", f"cdc?entities={entities}&changedSince={quote(since)}"
                            "&minorversion=75")


def _changes(response: Any) -> dict[str, list[dict[str, Any]]]:
    payload = parsed(response)
    assert set(payload) == {"CDCResponse", "time"}
    assert len(payload["CDCResponse"]) == 1
    found: dict[str, list[dict[str, Any]]] = {}
    for block in payload["CDCResponse"][0]["QueryResponse"]:
        for key, value in block.items():
            if isinstance(value, list):
                found[key] = value
                assert block["maxResults"] == len(value)
                assert block["startPosition"] == 1
    return found


def test_cdc_reports_creates_updates_and_deletes_since_the_cursor() -> None:
    api, clock = make_api()
    cursor = clock.advance(hours=1)
    clock.advance(minutes=1)
    bank, income = account_id(api, "1000"), account_id(api, "4000")
    created = api.remote_create(REALM, "JournalEntry", je_body(bank, income))
    old = api.objects(REALM, "JournalEntry")[0]
    edited = api.remote_edit(REALM, "JournalEntry", old["Id"], {"PrivateNote": "edited"})
    doomed = api.objects(REALM, "JournalEntry")[1]
    api.remote_delete(REALM, "JournalEntry", doomed["Id"])
    account = api.remote_edit(REALM, "Account", bank, {"Description": "main account"})
    response = _cdc(api, "JournalEntry,Account,Invoice", stamp(cursor))
    assert response.status == 200
    changes = _changes(response)
    entries = {e["Id"]: e for e in changes["JournalEntry"]}
    assert set(entries) == {created["Id"], edited["Id"], doomed["Id"]}
    assert entries[edited["Id"]]["SyncToken"] == "1"
    assert entries[doomed["Id"]]["status"] == "Deleted"
    assert set(entries[doomed["Id"]]) == {"domain", "status", "Id", "MetaData"}
    assert [a["Id"] for a in changes["Account"]] == [account["Id"]]
    assert "Invoice" not in changes
    blocks = parsed(response)["CDCResponse"][0]["QueryResponse"]
    assert len(blocks) == 3
    assert blocks[2] == {}


def test_cdc_boundary_is_inclusive_and_order_is_oldest_first() -> None:
    api, clock = make_api()
    bank, income = account_id(api, "1000"), account_id(api, "4000")
    first_at = clock.advance(hours=2)
    first = api.remote_create(REALM, "JournalEntry", je_body(bank, income))
    clock.advance(seconds=10)
    second = api.remote_create(REALM, "JournalEntry", je_body(bank, income))
    since = first["MetaData"]["LastUpdatedTime"]
    assert parse_stamp(since) == first_at
    entries = _changes(_cdc(api, "JournalEntry", since))["JournalEntry"]
    assert [e["Id"] for e in entries] == [first["Id"], second["Id"]]
    after = stamp(first_at + dt.timedelta(seconds=1))
    assert [e["Id"] for e in _changes(_cdc(api, "JournalEntry", after))["JournalEntry"]] == [
        second["Id"]]


def test_cdc_accepts_utc_and_other_offsets() -> None:
    api, clock = make_api()
    cursor = clock.advance(hours=1)
    clock.advance(minutes=5)
    api.remote_create(REALM, "JournalEntry", je_body("1", "25"))
    for text in (cursor.strftime("%Y-%m-%dT%H:%M:%SZ"), cursor.isoformat(),
                 cursor.astimezone(dt.timezone(dt.timedelta(hours=5, minutes=30))).isoformat()):
        assert len(_changes(_cdc(api, "JournalEntry", text))["JournalEntry"]) == 1


def test_cdc_looks_back_at_most_30_days() -> None:
    api, clock = make_api()
    inside = clock.now - dt.timedelta(days=29, hours=23)
    assert _cdc(api, "Purchase", stamp(inside)).status == 200
    seeded = _changes(_cdc(api, "Purchase", stamp(inside))).get("Purchase", [])
    assert all(parse_stamp(p["MetaData"]["LastUpdatedTime"]) >= inside for p in seeded)
    assert seeded  # the seed has recent transactions too
    outside = clock.now - dt.timedelta(days=30, minutes=1)
    response = _cdc(api, "Purchase", stamp(outside))
    assert response.status == 400
    assert "30 days" in fault_of(response)["Detail"]


def test_cdc_returns_at_most_1000_objects_oldest_first() -> None:
    api, clock = make_api()
    cursor = clock.advance(hours=1)
    bank, income = account_id(api, "1000"), account_id(api, "4000")
    for _ in range(1005):
        clock.advance(seconds=1)
        api.remote_create(REALM, "JournalEntry", je_body(bank, income))
    changes = _changes(_cdc(api, "JournalEntry", stamp(cursor)))
    entries = changes["JournalEntry"]
    assert len(entries) == 1000
    last = entries[-1]["MetaData"]["LastUpdatedTime"]
    rest = _changes(_cdc(api, "JournalEntry", last))["JournalEntry"]
    assert len(rest) == 6  # the last one again (inclusive) and the five left over
    assert {e["Id"] for e in entries} | {e["Id"] for e in rest} == {
        e["Id"] for e in api.objects(REALM, "JournalEntry")
        if parse_stamp(e["MetaData"]["LastUpdatedTime"]) >= cursor}


@pytest.mark.parametrize(("target", "code"), [
    ("cdc?changedSince=2026-11-24T00:00:00-08:00", "2020"),
    ("cdc?entities=JournalEntry", "2020"),
    ("cdc?entities=TaxCode&changedSince=2026-11-24T00:00:00-08:00", "2010"),
    ("cdc?entities=JournalEntry&changedSince=yesterday", "2010"),
])
def test_cdc_request_faults(target: str, code: str) -> None:
    api, _ = make_api()
    response = call(api, "GET", target)
    assert response.status == 400
    assert fault_of(response)["code"] == code


def test_cdc_sees_voids_as_updates_and_payment_side_effects() -> None:
    api, clock = make_api()
    cursor = clock.advance(hours=1)
    payment = api.objects(REALM, "Payment")[0]
    invoice_id = payment["Line"][0]["LinkedTxn"][0]["TxnId"]
    api.remote_void(REALM, "Payment", payment["Id"])
    changes = _changes(_cdc(api, "Payment,Invoice", stamp(cursor)))
    assert [p["Id"] for p in changes["Payment"]] == [payment["Id"]]
    assert changes["Payment"][0]["TotalAmt"] == 0
    assert [i["Id"] for i in changes["Invoice"]] == [invoice_id]
    assert changes["Invoice"][0]["Balance"] == changes["Invoice"][0]["TotalAmt"]


def test_cdc_refuses_an_offset_whose_plus_was_not_url_encoded() -> None:
    api, clock = make_api()
    moment = clock.now.astimezone(dt.timezone(dt.timedelta(hours=2))).isoformat()
    unencoded = call(api, "GET", f"cdc?entities=JournalEntry&changedSince={moment}")
    assert fault_of(unencoded)["code"] == "2010"  # the "+" arrived as a space
    assert _cdc(api, "JournalEntry", moment).status == 200


def test_bulk_entries_spread_over_the_window_and_page_through_cdc() -> None:
    api, clock = make_api()
    ids = api.bulk_create_journal_entries(REALM, 2500, days=10)
    assert len(set(ids)) == 2500
    cursor = stamp(clock.now - dt.timedelta(days=11))
    pulled: set[str] = set()
    rounds = 0
    while True:
        rounds += 1
        entries = _changes(_cdc(api, "JournalEntry", cursor)).get("JournalEntry", [])
        new = {e["Id"] for e in entries} - pulled
        if not new:
            break
        pulled |= new
        cursor = entries[-1]["MetaData"]["LastUpdatedTime"]
    assert set(ids) <= pulled
    assert rounds >= 3  # 1,000 at most per response
    entries = api.objects(REALM, "JournalEntry")
    assert {e["DocNumber"] for e in entries if e["Id"] in set(ids[:2])} == {
        "BULK-000001", "BULK-000002"}


def test_empty_state_changes_nothing() -> None:
    api, _ = make_api()
    before = api.to_state()
    api.from_state({})
    assert api.to_state() == before
