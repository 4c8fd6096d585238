"""Shared helpers for the Xero sandbox API tests: a clock tests move by hand, and short request
builders that go through `XeroAccountingApi.handle` exactly as the server would call it."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from bookkeeper_desktop.sandbox.http import Request, Response
from bookkeeper_desktop.sandbox.xero_api import XeroAccountingApi

TENANT = "5f4c6a8e-7d1b-4c0e-9a3f-2b8d6e1c4a70"
START = dt.datetime(2026, 11, 24, 8, 0, tzinfo=dt.UTC)
JSON = {"Accept": "application/json"}


class ManualClock:
    """Aware UTC time that only moves when a test says so."""

    def __init__(self, start: dt.datetime = START) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


def make_api(*, advanced: bool = False) -> tuple[XeroAccountingApi, ManualClock]:
    clock = ManualClock()
    api = XeroAccountingApi(clock=clock)
    api.seed_organisation(TENANT, "Harbour Lights Studio", advanced=advanced)
    return api, clock


def call(api: XeroAccountingApi, method: str, target: str, body: Any = None,
         *, headers: dict[str, str] | None = None, tenant: str = TENANT) -> Response:
    raw = b"" if body is None else (body if isinstance(body, bytes) else
                                    json.dumps(body, default=str).encode("utf-8"))
    request = Request.from_target(method, f"/api.xro/2.0/{target}", {**JSON, **(headers or {})},
                                  raw)
    return api.handle(request, tenant)


def parsed(response: Response) -> Any:
    """The JSON body with amounts as Decimal (as a careful client reads it)."""
    return json.loads(response.body.decode("utf-8"), parse_float=Decimal)


def journal(narration: str = "Accrue rent", amount: str = "100.00", *, debit: str = "469",
            credit: str = "814", status: str = "POSTED", **extra: Any) -> dict[str, Any]:
    return {
        "Narration": narration, "Date": "2026-11-20", "Status": status,
        "LineAmountTypes": "NoTax",
        "JournalLines": [
            {"LineAmount": float(amount), "AccountCode": debit, "Description": "dr",
             "TaxType": "NONE"},
            {"LineAmount": -float(amount), "AccountCode": credit, "Description": "cr",
             "TaxType": "NONE"},
        ],
        **extra,
    }
