"""The plug-in contract between the sandbox servers and the accounting APIs behind them.

The servers own sockets, OAuth, limits and faults; the accounting data lives in API objects that
only see requests already authenticated for one company:

- QBO: `bookkeeper_desktop.sandbox.qbo_api.QboAccountingApi()` with
  `handle(request, realm_id) -> Response`, `seed_company(realm_id, name)`, `to_state()`,
  `from_state(state)`;
- Xero: `bookkeeper_desktop.sandbox.xero_api.XeroAccountingApi()` with
  `handle(request, tenant_id) -> Response`, `seed_organisation(tenant_id, name)`, `to_state()`,
  `from_state(state)`.

`load_qbo_api()` / `load_xero_api()` build the real object when its module imports, else (logging
a warning when the module exists but fails to import) a tiny built-in stand-in that serves only
the company record (`CompanyInfo` / `Organisation`) in the vendor's JSON shape, so the OAuth side
works on its own.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import uuid
from typing import Any, Protocol, cast

from bookkeeper_desktop.sandbox.clock import Clock, SystemClock, iso_utc, utc_datetime
from bookkeeper_desktop.sandbox.http import Request, Response

_log = logging.getLogger(__name__)


class QboApi(Protocol):
    def handle(self, request: Request, realm_id: str) -> Response: ...
    def seed_company(self, realm_id: str, name: str, *, sample: bool = False) -> None: ...
    def to_state(self) -> dict[str, Any]: ...
    def from_state(self, state: dict[str, Any]) -> None: ...


class XeroApi(Protocol):
    def handle(self, request: Request, tenant_id: str) -> Response: ...
    def seed_organisation(self, tenant_id: str, name: str, *, sample: bool = False) -> None: ...
    def to_state(self) -> dict[str, Any]: ...
    def from_state(self, state: dict[str, Any]) -> None: ...


def _load(module_name: str, class_name: str, clock: Clock | None) -> Any | None:
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        if exc.name != module_name:
            # The module exists but cannot be imported yet (a module it needs is missing):
            # serve the stand-in rather than no sandbox at all, and say so.
            _log.warning("sandbox: %s cannot be imported (%s); using the built-in stand-in",
                         module_name, exc)
        return None
    factory = getattr(module, class_name, None)
    if factory is None:
        return None
    if clock is not None and "clock" in inspect.signature(factory).parameters:
        # Same "now" as the server's OAuth and limits, so a FakeClock moves the data's
        # timestamps too (the APIs take a callable returning an aware datetime).
        return factory(clock=lambda: utc_datetime(clock.now()))
    return factory()


def load_qbo_api(clock: Clock | None = None) -> QboApi:
    """The real QBO accounting API (sharing `clock` when it accepts one), else the stand-in."""
    api = _load("bookkeeper_desktop.sandbox.qbo_api", "QboAccountingApi", clock)
    return cast(QboApi, api) if api is not None else FallbackQboApi()


def load_xero_api(clock: Clock | None = None) -> XeroApi:
    """The real Xero accounting API (sharing `clock` when it accepts one), else the stand-in."""
    api = _load("bookkeeper_desktop.sandbox.xero_api", "XeroAccountingApi", clock)
    return cast(XeroApi, api) if api is not None else FallbackXeroApi()


def _qbo_fault(status: int, code: str, message: str, detail: str, kind: str) -> Response:
    return Response.json({
        "Fault": {"Error": [{"Message": message, "Detail": detail, "code": code}], "type": kind},
        "time": iso_utc(SystemClock().now()),
    }, status)


class FallbackQboApi:
    """Serves `GET companyinfo/{realmId}` only (Intuit's CompanyInfo shape)."""

    def __init__(self) -> None:
        self.companies: dict[str, str] = {}

    def seed_company(self, realm_id: str, name: str, *, sample: bool = False) -> None:
        self.companies[realm_id] = name

    def to_state(self) -> dict[str, Any]:
        return {"companies": dict(self.companies)}

    def from_state(self, state: dict[str, Any]) -> None:
        self.companies = dict(state.get("companies", {}))

    def handle(self, request: Request, realm_id: str) -> Response:
        rest = request.path.split(f"/v3/company/{realm_id}/", 1)[-1].strip("/").lower()
        if request.method == "GET" and rest == f"companyinfo/{realm_id}":
            return Response.json({"CompanyInfo": company_info(realm_id,
                                                              self.companies.get(realm_id, "")),
                                  "time": iso_utc(SystemClock().now())})
        return _qbo_fault(400, "2010", "Request has invalid or unsupported property",
                          f"Unsupported in the built-in sandbox API: {request.method} {rest}",
                          "ValidationFault")


def company_info(realm_id: str, name: str) -> dict[str, Any]:
    """A CompanyInfo object as Intuit returns it (fields of the published entity)."""
    address = {"Id": "1", "Line1": "123 Sierra Way", "City": "San Pablo",
               "CountrySubDivisionCode": "CA", "PostalCode": "87999",
               "Lat": "36.6788345", "Long": "-116.0266264"}
    return {
        "CompanyName": name, "LegalName": name, "CompanyAddr": address,
        "CustomerCommunicationAddr": address, "LegalAddr": address,
        "PrimaryPhone": {"FreeFormNumber": "(650) 944-4444"},
        "CompanyStartDate": "2024-01-01", "FiscalYearStartMonth": "January", "Country": "US",
        "Email": {"Address": "noreply@quickbooks.com"}, "WebAddr": {},
        "SupportedLanguages": "en",
        "NameValue": [{"Name": "NeoEnabled", "Value": "true"},
                      {"Name": "IndustryType", "Value": "Landscaping Services"},
                      {"Name": "SubscriptionStatus", "Value": "SUBSCRIBED"},
                      {"Name": "OfferingSku", "Value": "QuickBooks Online Plus"}],
        "domain": "QBO", "sparse": False, "Id": "1", "SyncToken": "0",
        "MetaData": {"CreateTime": "2024-01-01T09:00:00-08:00",
                     "LastUpdatedTime": "2024-01-01T09:00:00-08:00"},
        "realmId": realm_id,
    }


class FallbackXeroApi:
    """Serves `GET Organisation` only (Xero's Organisation shape)."""

    def __init__(self) -> None:
        self.organisations: dict[str, str] = {}

    def seed_organisation(self, tenant_id: str, name: str, *, sample: bool = False) -> None:
        self.organisations[tenant_id] = name

    def to_state(self) -> dict[str, Any]:
        return {"organisations": dict(self.organisations)}

    def from_state(self, state: dict[str, Any]) -> None:
        self.organisations = dict(state.get("organisations", {}))

    def handle(self, request: Request, tenant_id: str) -> Response:
        rest = request.path.split("/api.xro/2.0/", 1)[-1].strip("/").lower()
        if request.method == "GET" and rest == "organisation":
            now_ms = int(SystemClock().now() * 1000)
            return Response.json({
                "Id": str(uuid.uuid4()), "Status": "OK",
                "ProviderName": "Bookkeeper Desktop", "DateTimeUTC": f"/Date({now_ms})/",
                "Organisations": [organisation(tenant_id,
                                               self.organisations.get(tenant_id, ""))],
            })
        return Response.text("The resource you're looking for cannot be found", 404)


def organisation(tenant_id: str, name: str) -> dict[str, Any]:
    """An Organisation object as Xero returns it (fields of xero-python's `Organisation`)."""
    return {
        "APIKey": "", "Name": name, "LegalName": name, "PaysTax": True, "Version": "NZ",
        "OrganisationType": "COMPANY", "BaseCurrency": "NZD", "CountryCode": "NZ",
        "IsDemoCompany": False, "OrganisationStatus": "ACTIVE",
        "FinancialYearEndDay": 31, "FinancialYearEndMonth": 3,
        "SalesTaxBasis": "PAYMENTS", "SalesTaxPeriod": "TWOMONTHS",
        "DefaultSalesTax": "Tax Exclusive", "DefaultPurchasesTax": "Tax Exclusive",
        "CreatedDateUTC": "/Date(1704067200000)/", "OrganisationEntityType": "COMPANY",
        "Timezone": "NEWZEALANDSTANDARDTIME", "ShortCode": "!" + tenant_id[:5],
        "OrganisationID": tenant_id, "Edition": "BUSINESS", "Class": "STANDARD",
        "Addresses": [], "Phones": [], "ExternalLinks": [], "PaymentTerms": {},
    }
