"""Whatever a client sends, the QBO sandbox answers with a result or an Intuit fault (never a
crash), and a fault changes nothing. Bodies are generated from the real property names."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookkeeper_desktop.sandbox.http import Request
from bookkeeper_desktop.sandbox.qbo_entities import PROPERTIES
from bookkeeper_desktop.sandbox.qbo_json import dumps
from tests.sandbox.test_qbo_api_helpers import REALM, make_api

NAMES = sorted({name for names in PROPERTIES.values() for name in names} | {
    "Id", "SyncToken", "sparse", "Amount", "DetailType", "JournalEntryLineDetail", "PostingType",
    "AccountRef", "value", "name", "Entity", "Type", "EntityRef", "LinkedTxn", "TxnId",
    "TxnType", "AccountBasedExpenseLineDetail", "DepositLineDetail", "SalesItemLineDetail",
    "ItemRef", "BankAccountRef", "CCAccountRef", "bId", "operation", "Query",
    "BatchItemRequest"})
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 40), st.sampled_from(["1", "2", "25", "0", ""]),
    st.decimals(min_value=-1000, max_value=1000, places=3, allow_nan=False),
    st.sampled_from(["Debit", "Credit", "JournalEntryLineDetail", "Bank", "Expense", "Invoice",
                     "Customer", "2026-11-01", "x" * 30, "Check", "CreditCard", "create",
                     "update", "delete", "select * from Account"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(NAMES), inner, max_size=6)),
    max_leaves=12,
)
BODIES = st.dictionaries(st.sampled_from(NAMES), VALUES, max_size=8)
TARGETS = st.sampled_from([
    "journalentry", "journalentry?operation=delete", "account", "purchase", "deposit",
    "transfer", "invoice", "invoice?operation=void", "payment",
    "payment?operation=update&include=void", "bill", "billpayment", "customer", "vendor",
    "item", "batch", "query",
])

API, _ = make_api()


def _encode(body: Any) -> bytes:
    if isinstance(body, dict):
        return dumps(body)
    return json.dumps(body).encode()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(target=TARGETS, body=BODIES)
def test_any_body_gets_a_result_or_a_fault_and_faults_change_nothing(
        target: str, body: dict[str, Any]) -> None:
    api = API  # shared: what succeeds stays, which only makes later examples richer
    before = api.to_state()["realms"]
    request = Request.from_target("POST", f"/v3/company/{REALM}/{target}",
                                  {"Accept": "application/json"}, _encode(body))
    response = api.handle(request, REALM)
    payload = json.loads(response.body, parse_float=Decimal)
    assert "time" in payload
    if response.status == 200:
        assert "Fault" not in payload
    else:
        assert response.status in (400, 404)
        assert payload["Fault"]["Error"][0]["code"]
        assert api.to_state()["realms"] == before


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=80) | st.builds(
    lambda a, b, c: f"select {a} from {b} {c}",
    st.sampled_from(["*", "count(*)", "Name", "Id, Name", ""]),
    st.sampled_from(["Account", "JournalEntry", "account", "Nothing", "", "Invoice"]),
    st.sampled_from(["", "where", "where Name = 'a'", "where Id in ('1', 2)", "orderby Id desc",
                     "startposition 0 maxresults 0", "where TxnDate > '2026-13-45'",
                     "where Name like '%'", "where Active = true and", "maxresults -1"])))
def test_any_query_gets_rows_or_a_fault(text: str) -> None:
    request = Request.from_target("POST", f"/v3/company/{REALM}/query",
                                  {"Accept": "application/json"}, text.encode())
    response = API.handle(request, REALM)
    payload = json.loads(response.body)
    if response.status == 200:
        assert "QueryResponse" in payload
    else:
        assert response.status == 400
        assert payload["Fault"]["Error"][0]["code"] in {"2020", "4000", "4001", "2010"}


def test_body_that_is_not_a_json_object_or_not_utf8() -> None:
    api, _ = make_api()
    for raw in (b"[1, 2]", b"\xff\xfe", b'"text"', b"null"):
        for target in ("journalentry", "batch", "query"):
            request = Request.from_target("POST", f"/v3/company/{REALM}/{target}",
                                          {"Accept": "application/json"}, raw)
            response = api.handle(request, REALM)
            assert response.status in (200, 400), (raw, target)
