"""Helpers shared by the QBO sandbox API tests (no tests of its own beyond a smoke check): a
controllable clock, a seeded API, and one-line calls that go through `handle` as the server does."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from bookkeeper_desktop.sandbox.http import Request, Response
from bookkeeper_desktop.sandbox.qbo_api import QboAccountingApi

REALM = "9130357992221046"
START = dt.datetime(2026, 11, 24, 17, 0, tzinfo=dt.UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: dt.datetime = START) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


def make_api(clock: Clock | None = None, realm: str = REALM) -> tuple[QboAccountingApi, Clock]:
    clock = clock or Clock()
    api = QboAccountingApi(clock=clock, seed=7)
    api.seed_company(realm, "Sierra Consulting")
    return api, clock


def call(api: QboAccountingApi, method: str, target: str, body: Any = None, *,
         realm: str = REALM, text: str | None = None) -> Response:
    """`target` is relative to `/v3/company/{realm}/`; `body` is sent as JSON (Decimals exact)."""
    headers = {"Accept": "application/json"}
    data = b""
    if text is not None:
        data = text.encode()
        headers["Content-Type"] = "application/text"
    elif body is not None:
        data = json.dumps(body, default=str).encode() if not _has_decimal(body) else _dumps(body)
        headers["Content-Type"] = "application/json"
    request = Request.from_target(method, f"/v3/company/{realm}/{target}", headers, data)
    return api.handle(request, realm)


def _has_decimal(value: Any) -> bool:
    if isinstance(value, Decimal):
        return True
    if isinstance(value, dict):
        return any(_has_decimal(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_decimal(v) for v in value)
    return False


def _dumps(value: Any) -> bytes:
    from bookkeeper_desktop.sync.payloads import dumps
    return dumps(value)


def parsed(response: Response) -> Any:
    """The JSON body with fractional numbers as Decimal."""
    return json.loads(response.body, parse_float=Decimal)


def query(api: QboAccountingApi, text: str, realm: str = REALM) -> Response:
    return call(api, "GET", f"query?query={quote(text)}&minorversion=75", realm=realm)


def fault_of(response: Response) -> dict[str, Any]:
    """The first Error of a Fault response (and checks the shape on the way)."""
    payload = parsed(response)
    assert set(payload) == {"Fault", "time"}
    fault = payload["Fault"]
    assert isinstance(fault["type"], str)
    error: dict[str, Any] = fault["Error"][0]
    assert set(error) == {"Message", "Detail", "code", "element"}
    assert isinstance(error["code"], str)
    return {**error, "type": fault["type"]}


def account_id(api: QboAccountingApi, acct_num: str, realm: str = REALM) -> str:
    for account in api.objects(realm, "Account"):
        if account.get("AcctNum") == acct_num:
            return str(account["Id"])
    raise AssertionError(f"no account {acct_num}")


def je_body(debit_account: str, credit_account: str, amount: str = "100.10",
            **extra: Any) -> dict[str, Any]:
    return {
        "TxnDate": "2026-11-20",
        "PrivateNote": "test entry",
        "Line": [
            {"Amount": Decimal(amount), "DetailType": "JournalEntryLineDetail",
             "Description": "debit side",
             "JournalEntryLineDetail": {"PostingType": "Debit",
                                        "AccountRef": {"value": debit_account}}},
            {"Amount": Decimal(amount), "DetailType": "JournalEntryLineDetail",
             "Description": "credit side",
             "JournalEntryLineDetail": {"PostingType": "Credit",
                                        "AccountRef": {"value": credit_account}}},
        ],
        **extra,
    }


def test_helpers_reach_a_seeded_company() -> None:
    api, _ = make_api()
    assert api.company_name(REALM) == "Sierra Consulting"
    assert account_id(api, "1000")
