"""The accounting API inside the real QBO sandbox server (OAuth, loopback HTTP, the shared fake
clock): what a connected client does, end to end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from bookkeeper_desktop.sandbox.browser import ConsentBrowser
from bookkeeper_desktop.sandbox.clock import FakeClock, utc_datetime
from bookkeeper_desktop.sandbox.qbo_api import QboAccountingApi, parse_stamp, stamp
from bookkeeper_desktop.sandbox.qbo_server import QboSandbox
from tests.sandbox.conftest import QBO_CLIENT
from tests.sandbox.test_qbo_oauth import REALM, connect


@pytest.fixture
def server(clock: FakeClock) -> Iterator[QboSandbox]:
    with QboSandbox(clock=clock, clients=[QBO_CLIENT], limits=False,
                    companies={REALM: "Maple Street Bakery"}) as sandbox:
        yield sandbox


def _client(server: QboSandbox, browser: ConsentBrowser, http: httpx.Client
            ) -> tuple[str, dict[str, str]]:
    tokens = connect(server, browser, http)
    base = f"{server.base_url}/v3/company/{tokens.get('realmId', REALM)}"
    headers = {"Authorization": f"Bearer {tokens['access_token']}",
               "Accept": "application/json"}
    return base, headers


def _entry(api: QboAccountingApi, amount: str) -> dict[str, Any]:
    bank = next(a["Id"] for a in api.objects(REALM, "Account") if a["AcctNum"] == "1000")
    income = next(a["Id"] for a in api.objects(REALM, "Account") if a["AcctNum"] == "4000")
    return {"TxnDate": "2026-09-20", "Line": [
        {"Amount": amount, "DetailType": "JournalEntryLineDetail",
         "JournalEntryLineDetail": {"PostingType": side, "AccountRef": {"value": account}}}
        for side, account in (("Debit", bank), ("Credit", income))]}


def test_connected_client_creates_replays_and_pulls_changes(
        server: QboSandbox, browser: ConsentBrowser, http: httpx.Client,
        clock: FakeClock) -> None:
    assert isinstance(server.api, QboAccountingApi)
    api = server.api
    base, headers = _client(server, browser, http)
    info = http.get(f"{base}/companyinfo/{REALM}?minorversion=75", headers=headers)
    assert info.json()["CompanyInfo"]["CompanyName"] == "Maple Street Bakery"

    cursor = stamp(utc_datetime(clock.now()))
    clock.advance(60)
    created = http.post(f"{base}/journalentry?requestid=e2e-1&minorversion=75",
                        headers=headers, content=json.dumps(_entry(api, "42.10")))
    assert created.status_code == 200, created.text
    entry = created.json(parse_float=Decimal)["JournalEntry"]
    assert entry["TotalAmt"] == Decimal("42.10")
    # The API's timestamps follow the server's (fake) clock.
    assert parse_stamp(entry["MetaData"]["CreateTime"]) == utc_datetime(clock.now())
    replay = http.post(f"{base}/journalentry?requestid=e2e-1&minorversion=75",
                       headers=headers, content=json.dumps(_entry(api, "42.10")))
    assert replay.content == created.content

    changes = http.get(f"{base}/cdc?entities=JournalEntry&changedSince={quote(cursor)}",
                       headers=headers).json()
    pulled = changes["CDCResponse"][0]["QueryResponse"][0]["JournalEntry"]
    assert [e["Id"] for e in pulled] == [entry["Id"]]

    state = http.get(f"{server.base_url}/__sandbox__/state").json()
    realm = state["api"]["realms"][REALM]
    assert realm["objects"]["JournalEntry"][entry["Id"]]["TotalAmt"] == 42.1
    assert "e2e-1" in realm["replies"]


def test_stale_update_and_oversized_batch_through_the_server(
        server: QboSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    assert isinstance(server.api, QboAccountingApi)
    api = server.api
    base, headers = _client(server, browser, http)
    entry = api.objects(REALM, "JournalEntry")[0]
    api.remote_edit(REALM, "JournalEntry", entry["Id"], {"PrivateNote": "changed in QBO"})
    stale = http.post(f"{base}/journalentry", headers=headers, content=json.dumps({
        "Id": entry["Id"], "SyncToken": entry["SyncToken"], "sparse": True,
        "PrivateNote": "ours"}))
    assert stale.status_code == 400
    assert stale.json()["Fault"]["Error"][0]["code"] == "5010"
    items = [{"bId": str(n), "Query": "select count(*) from Account"} for n in range(31)]
    batch = http.post(f"{base}/batch", headers=headers,
                      content=json.dumps({"BatchItemRequest": items}))
    assert batch.status_code == 400
    assert "at most 30" in batch.json()["Fault"]["Error"][0]["Detail"]
