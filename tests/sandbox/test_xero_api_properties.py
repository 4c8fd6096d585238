"""Properties of the Xero sandbox under random sequences of writes (hypothesis): whatever clients
and Xero users do, the books stay consistent, every answer has a Xero status and shape, and the
state survives a JSON round trip."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookkeeper_desktop.sandbox.xero_api import XeroAccountingApi
from tests.sandbox.test_xero_api_helpers import TENANT, call, make_api, parsed

CODES = ["469", "814", "453", "200", "455", "999", "090", "820"]
STATUSES = ["DRAFT", "POSTED", "VOIDED", "DELETED", "ARCHIVED", "bogus", None]

amounts = st.decimals(min_value=Decimal("-5000"), max_value=Decimal("5000"), places=2)
lines = st.lists(st.fixed_dictionaries({"LineAmount": amounts.map(float),
                                        "AccountCode": st.sampled_from(CODES)}),
                 min_size=0, max_size=4)
create = st.fixed_dictionaries({
    "op": st.just("create"), "Narration": st.sampled_from(["", "Rent", "Wages", " "]),
    "Status": st.sampled_from(STATUSES), "JournalLines": lines,
    "balance": st.booleans(), "summarize": st.booleans()})
update = st.fixed_dictionaries({
    "op": st.just("update"), "pick": st.integers(0, 50), "Status": st.sampled_from(STATUSES),
    "Narration": st.sampled_from([None, "Edited", ""])})
remote = st.fixed_dictionaries({
    "op": st.sampled_from(["void", "delete", "edit"]), "pick": st.integers(0, 50)})
operations = st.lists(st.one_of(create, update, remote), min_size=1, max_size=12)


def balanced(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    total = sum(Decimal(str(line["LineAmount"])) for line in raw)
    if raw and total:
        return [*raw, {"LineAmount": float(-total), "AccountCode": "850"}]
    return raw


def apply(api: XeroAccountingApi, op: dict[str, Any]) -> None:
    journals = api.objects(TENANT, "ManualJournals")
    if op["op"] == "create":
        body = {"Narration": op["Narration"], "Status": op["Status"],
                "JournalLines": balanced(op["JournalLines"]) if op["balance"]
                else op["JournalLines"]}
        query = "" if op["summarize"] else "?summarizeErrors=false"
        before = len(journals)
        response = call(api, "PUT", f"ManualJournals{query}", {"ManualJournals": [body]})
        assert response.status in (200, 400)
        answer = parsed(response)
        after = len(api.objects(TENANT, "ManualJournals"))
        if response.status == 400:
            assert answer["Type"] == "ValidationException"
            assert answer["Elements"][0]["ValidationErrors"]
            assert after == before
        else:
            [item] = answer["ManualJournals"]
            ok = item.get("StatusAttributeString", "OK") == "OK"
            assert after == before + (1 if ok else 0)
            assert ok or item["ValidationErrors"]
        return
    target = journals[op["pick"] % len(journals)]
    journal_id = target["ManualJournalID"]
    if op["op"] == "update":
        change = {k: op[k] for k in ("Status", "Narration") if op[k] is not None}
        response = call(api, "POST", f"ManualJournals/{journal_id}", change)
        assert response.status in (200, 400)
        stored = next(j for j in api.objects(TENANT, "ManualJournals")
                      if j["ManualJournalID"] == journal_id)
        if response.status == 400:
            assert stored == target
        return
    try:
        if op["op"] == "void":
            api.remote_void(TENANT, "ManualJournals", journal_id)
        elif op["op"] == "delete":
            api.remote_delete(TENANT, "ManualJournals", journal_id)
        else:
            api.remote_edit(TENANT, "ManualJournals", journal_id, {"Narration": "In Xero"})
    except ValueError:
        stored = next(j for j in api.objects(TENANT, "ManualJournals")
                      if j["ManualJournalID"] == journal_id)
        assert stored == target


def check_books(api: XeroAccountingApi) -> None:
    ledger = api.objects(TENANT, "Journals")
    assert [j["JournalNumber"] for j in ledger] == list(range(1, len(ledger) + 1))
    net_by_source: dict[str, Decimal] = {}
    for entry in ledger:
        assert sum(line["NetAmount"] for line in entry["JournalLines"]) == 0
        for line in entry["JournalLines"]:
            key = f"{entry['SourceID']}|{line['AccountCode']}"
            net_by_source[key] = net_by_source.get(key, Decimal(0)) + line["NetAmount"]
    for journal in api.objects(TENANT, "ManualJournals"):
        assert journal["Status"] in ("DRAFT", "POSTED", "VOIDED", "DELETED")
        assert sum(line["LineAmount"] for line in journal["JournalLines"]) == 0
        assert journal["Narration"].strip()
        expected: dict[str, Decimal] = {}
        if journal["Status"] == "POSTED":
            for line in journal["JournalLines"]:
                key = f"{journal['ManualJournalID']}|{line['AccountCode']}"
                expected[key] = expected.get(key, Decimal(0)) + line["LineAmount"]
        actual = {k: v for k, v in net_by_source.items()
                  if k.startswith(journal["ManualJournalID"] + "|") and v}
        assert actual == {k: v for k, v in expected.items() if v}, journal


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations)
def test_random_writes_keep_the_books_consistent(ops: list[dict[str, Any]]) -> None:
    api, clock = make_api(advanced=True)
    for op in ops:
        clock.advance(seconds=7)
        apply(api, op)
    check_books(api)
    copy = XeroAccountingApi(clock=clock)
    copy.from_state(json.loads(json.dumps(api.to_state())))
    assert copy.to_state() == api.to_state()
    assert call(copy, "GET", "ManualJournals?page=1").body.split(b'"DateTimeUTC"')[1] == \
        call(api, "GET", "ManualJournals?page=1").body.split(b'"DateTimeUTC"')[1]


def test_the_same_key_in_two_organisations_acts_in_each() -> None:
    api, _ = make_api()
    api.seed_organisation("other-tenant", "Other Ltd")
    body = {"Narration": "x", "Status": "POSTED", "JournalLines": [
        {"LineAmount": 5, "AccountCode": "469"}, {"LineAmount": -5, "AccountCode": "814"}]}
    before = {t: len(api.objects(t, "ManualJournals")) for t in (TENANT, "other-tenant")}
    for tenant in (TENANT, "other-tenant", TENANT):
        assert call(api, "PUT", "ManualJournals", body, headers={"Idempotency-Key": "same"},
                    tenant=tenant).status == 200
    assert {t: len(api.objects(t, "ManualJournals")) for t in before} == {
        t: n + 1 for t, n in before.items()}
