"""The Xero-compatible sandbox: Xero Identity's OAuth 2.0, connections and the Accounting API.

Paths mirror Xero's hosts folded onto one loopback server (API_NOTES.md, Xero rows):

- `GET /.well-known/openid-configuration`: identity.xero.com discovery document;
- `GET/POST /identity/connect/authorize`: login.xero.com authorize and the consent page, where
  the user ticks one or several of the organisations offered;
- `POST /connect/token`: identity.xero.com token endpoint;
- `POST /connect/revocation`: revoke — the grant's tokens die and the app's connections go;
- `GET /connections` (optional `?authEventId=`), `DELETE /connections/{id}`: api.xero.com;
- `/api.xro/2.0/…`: the Accounting API, served by the accounting API object for the tenant in
  the `xero-tenant-id` header.

Rules: token rotation per `oauth.XERO_POLICY` (30-minute grace for a refresh token whose successor
was never used, 60-day expiry of an unused refresh token, refresh token only with
`offline_access`); "Auth code with PKCE" apps have no secret and must send an S256 challenge;
confidential apps authenticate with HTTP Basic or `client_secret` in the form. Connections are
created when the user allows access (one per organisation ticked; re-consenting to an organisation
keeps its connection id and updates `authEventId`). Accounting calls: missing/unknown/expired token
→ 401, tenant not connected for the app (or no `xero-tenant-id`) → 403, scope lacking → 401
`AuthorizationUnsuccessful`, bodies in Xero's problem shape (`Title`, `Status`, `Detail`). Limits
per tenant (60/min, 5,000/day, 5 concurrent) and per app (10,000/min) with the `X-…Limit-Remaining`
headers on every Accounting response; 429 with `Retry-After` and `X-Rate-Limit-Problem`.
No `id_token` is issued (nothing here can sign one).
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs

from bookkeeper_desktop.sandbox.apis import XeroApi, load_xero_api
from bookkeeper_desktop.sandbox.clock import Clock, SystemClock, utc_datetime
from bookkeeper_desktop.sandbox.http import Request, Response
from bookkeeper_desktop.sandbox.latency import answer_json
from bookkeeper_desktop.sandbox.limits import Admission, XeroLimiter
from bookkeeper_desktop.sandbox.oauth import (
    HTML,
    XERO_POLICY,
    ClientRegistration,
    Grant,
    OAuthError,
    OAuthStore,
    consent_page,
    expired_consent,
    oauth_error,
    read_challenge,
    redirect,
    trusted_redirect,
)
from bookkeeper_desktop.sandbox.server import SandboxServer, basic_credentials, json_object

BROAD_SCOPES = frozenset({
    "accounting.transactions", "accounting.transactions.read", "accounting.reports.read",
    "accounting.journals.read", "accounting.attachments", "accounting.attachments.read",
})
GRANULAR_SCOPES = frozenset({
    "accounting.invoices", "accounting.invoices.read", "accounting.payments",
    "accounting.payments.read", "accounting.banktransactions", "accounting.banktransactions.read",
    "accounting.manualjournals", "accounting.manualjournals.read", "accounting.classicexpenses",
    "accounting.classicexpenses.read", "accounting.reports.trialbalance.read",
    "accounting.reports.profitandloss.read", "accounting.reports.balancesheet.read",
})
COMMON_SCOPES = frozenset({
    "openid", "profile", "email", "offline_access", "accounting.settings",
    "accounting.settings.read", "accounting.contacts", "accounting.contacts.read",
    "accounting.attachments", "accounting.attachments.read", "accounting.journals.read",
})
XERO_SCOPES = BROAD_SCOPES | GRANULAR_SCOPES | COMMON_SCOPES
#: An app created on or after 2 Mar 2026 may only ask for granular scopes (API_NOTES.md).
NEW_APP_SCOPES = GRANULAR_SCOPES | COMMON_SCOPES

#: The demo "Auth code with PKCE" app: no client secret.
DEMO_XERO_CLIENT = ClientRegistration(
    client_id="91E5715B1199038080D6D0296EBC1648",
    client_secret=None,
    redirect_uris=("http://localhost:{port}/callback",),
    name="Bookkeeper Desktop (demo)",
    allowed_scopes=NEW_APP_SCOPES,
)
#: A second demo app: a confidential "Web app" created before 2 Mar 2026, so it has a secret
#: and may still ask for the broad scopes (`accounting.transactions`); for testing the setting
#: for older apps.
DEMO_XERO_WEB_CLIENT = ClientRegistration(
    client_id="5B0F2A9C7E3D4B1A8C6E0F2D4A6B8C0E",
    # Public and short on purpose: only our loopback sandboxes accept it; never a real secret.
    client_secret="public-demo-web-secret",  # noqa: S106
    redirect_uris=("http://localhost:{port}/callback",),
    name="Bookkeeper Desktop (demo, web app)",
)
#: Organisations the demo user belongs to (several, so the app must let the user pick).
DEMO_ORGANISATIONS: Mapping[str, str] = {
    "3f2b7c1e-6d4a-4e8b-9f0c-2a1d5e7b8c90": "Demo Company (NZ)",
    "8a6e4d2c-1b3f-4a5e-8c7d-9e0f1a2b3c4d": "Harbourside Bakery Ltd",
    "c5d7e9f1-2a4b-4c6d-8e0f-1a3b5c7d9e2f": "Kowhai Landscaping Ltd",
}

AUTHORIZE_PATH = "/identity/connect/authorize"
TOKEN_PATH = "/connect/token"  # noqa: S105 - a path
REVOKE_PATH = "/connect/revocation"
USERINFO_PATH = "/connect/userinfo"
_CONNECTION_PATH = re.compile(r"^/connections/([^/]+)$", re.IGNORECASE)
_API_PATH = re.compile(r"^/api\.xro/2\.0(/.*)?$", re.IGNORECASE)

#: Endpoint → the scope family it needs (a GET also accepts the `.read` scope).
_ENDPOINT_SCOPES: Mapping[str, tuple[str, ...]] = {
    "organisation": ("accounting.settings",),
    "accounts": ("accounting.settings",),
    "taxrates": ("accounting.settings",),
    "trackingcategories": ("accounting.settings",),
    "currencies": ("accounting.settings",),
    "contacts": ("accounting.contacts",),
    "manualjournals": ("accounting.manualjournals", "accounting.transactions"),
    "banktransactions": ("accounting.banktransactions", "accounting.transactions"),
    # xero-python names `accounting.transactions` for BankTransfers; of the granular scopes, bank
    # transfers belong with bank transactions (an assumption: our notes list no granular scope
    # for them).
    "banktransfers": ("accounting.banktransactions", "accounting.transactions"),
    "invoices": ("accounting.invoices", "accounting.transactions"),
    "payments": ("accounting.payments", "accounting.transactions"),
    "journals": ("accounting.journals.read",),
}


def xero_timestamp(timestamp: float) -> str:
    """`2026-11-24T08:00:00.1234567`: the connections API's UTC format (no zone suffix)."""
    return utc_datetime(timestamp).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0"


@dataclass
class Connection:
    id: str
    client_id: str
    auth_event_id: str
    tenant_id: str
    tenant_name: str
    created_at: float
    updated_at: float

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "authEventId": self.auth_event_id, "tenantId": self.tenant_id,
                "tenantType": "ORGANISATION", "tenantName": self.tenant_name,
                "createdDateUtc": xero_timestamp(self.created_at),
                "updatedDateUtc": xero_timestamp(self.updated_at)}


#: A page's `pagination` as the accounting API writes it (xero_api), for counting its records.
_PAGINATION = re.compile(
    rb'"pagination":\{"page":(\d+),"pageSize":(\d+),"pageCount":\d+,"itemCount":(\d+)\}')


class XeroSandbox(SandboxServer):
    """A Xero-compatible server on 127.0.0.1.

    Args:
        port: 0 for a free one.
        clock: time source (a `FakeClock` in tests).
        clients: registered apps (default: the PKCE `DEMO_XERO_CLIENT` and the confidential
            `DEMO_XERO_WEB_CLIENT`).
        organisations: tenant id → name offered on the consent page (default: three); seeded into
            the API object.
        sample_organisations: tenant ids of `organisations` seeded with the sample company's own
            chart and contacts (`sample_seed`, for `--demo`) instead of the usual organisation.
        api: the accounting API (default: `xero_api.XeroAccountingApi` when present).
        limits: enforce Xero's rate limits; `time_scale` shrinks their windows.
        on_change: called after each state-changing request.
        latency: the modelled latency, as `configure_latency` takes it ("realistic"; default off).
    """

    vendor = "xero"

    def __init__(self, *, port: int = 0, clock: Clock | None = None,
                 clients: Iterable[ClientRegistration] = (DEMO_XERO_CLIENT,
                                                          DEMO_XERO_WEB_CLIENT),
                 organisations: Mapping[str, str] | None = None, api: XeroApi | None = None,
                 limits: bool = True, time_scale: float = 1.0,
                 on_change: Callable[[bool], None] | None = None,
                 latency: str | dict[str, Any] | None = None,
                 sample_organisations: Iterable[str] = ()) -> None:
        clock = clock or SystemClock()
        super().__init__(OAuthStore(XERO_POLICY, clock, XERO_SCOPES), port=port, clock=clock,
                         on_change=on_change, latency=latency)
        for client in clients:
            self.oauth.register(client)
        self._initial_organisations = dict(
            DEMO_ORGANISATIONS if organisations is None else organisations)
        self.organisations: dict[str, str] = dict(self._initial_organisations)
        self.api: XeroApi = api if api is not None else load_xero_api(clock)
        self._api_loaded = api is None
        self.api_lock = threading.RLock()
        self.sample_organisations = frozenset(sample_organisations)
        for tenant_id, name in self.organisations.items():
            self._seed(tenant_id, name)
        self.connections: dict[str, Connection] = {}
        self.connections_lock = threading.RLock()
        self.limiter = XeroLimiter(clock, enabled=limits, time_scale=time_scale)

    def register_client(self, client: ClientRegistration) -> None:
        self.oauth.register(client)

    def _seed(self, tenant_id: str, name: str) -> None:
        if tenant_id in self.sample_organisations:
            self.api.seed_organisation(tenant_id, name, sample=True)
        else:
            self.api.seed_organisation(tenant_id, name)

    def add_organisation(self, tenant_id: str, name: str) -> None:
        with self.api_lock:
            self.organisations[tenant_id] = name
            self.api.seed_organisation(tenant_id, name)

    def connections_of(self, client_id: str) -> list[Connection]:
        with self.connections_lock:
            return sorted((c for c in self.connections.values() if c.client_id == client_id),
                          key=lambda c: (c.created_at, c.tenant_name))

    # -- state ---------------------------------------------------------------------------------

    def vendor_state(self) -> dict[str, Any]:
        with self.api_lock, self.connections_lock:
            return {"organisations": dict(self.organisations),
                    "connections": {k: asdict(c) for k, c in self.connections.items()},
                    "api": self.api.to_state()}

    def load_vendor_state(self, state: dict[str, Any]) -> None:
        with self.api_lock, self.connections_lock:
            self.organisations = dict(state.get("organisations", {}))
            self.connections = {k: Connection(**v)
                                for k, v in state.get("connections", {}).items()}
            self.api.from_state(state.get("api", {}))

    def reset_vendor(self) -> None:
        with self.api_lock, self.connections_lock:
            self.connections.clear()
            self.organisations = dict(self._initial_organisations)
            self.api = load_xero_api(self.clock) if self._api_loaded else type(self.api)()
            for tenant_id, name in self.organisations.items():
                self._seed(tenant_id, name)

    def is_api_path(self, path: str) -> bool:
        return _API_PATH.match(path) is not None

    def limits_snapshot(self) -> dict[str, Any]:
        return self.limiter.snapshot()

    def configure_limits(self, *, enabled: bool | None = None,
                         time_scale: float | None = None) -> None:
        self.limiter.configure(enabled=enabled, time_scale=time_scale)

    def vendor_test_endpoint(self, name: str, request: Request) -> Response | None:
        """`POST /__sandbox__/lock_dates` with `{"tenant_id", "PeriodLockDate",
        "EndOfYearLockDate"}` (ISO dates; null clears one; a key left out keeps its date) sets
        an organisation's lock dates, as an adviser does in Xero's financial settings; answers
        both dates. Test-only: Xero's API cannot set lock dates."""
        if name != "lock_dates":
            return None
        if request.method != "POST":
            return Response.json({"error": "use POST"}, 405)
        setter = getattr(self.api, "set_lock_dates", None)
        try:
            body = json_object(request)
            tenant_id = str(body.get("tenant_id") or "")
            if tenant_id not in self.organisations:
                raise ValueError(f"no organisation {tenant_id!r}; give tenant_id")
            if setter is None:
                raise ValueError("this accounting API has no lock dates")
            current = self.api.lock_dates(tenant_id)  # type: ignore[attr-defined]
            dates = {key: body.get(key, current[key])
                     for key in ("PeriodLockDate", "EndOfYearLockDate")}
            with self.api_lock:
                answer = setter(tenant_id, **{
                    arg: None if dates[key] is None else date.fromisoformat(str(dates[key]))
                    for key, arg in (("PeriodLockDate", "period"),
                                     ("EndOfYearLockDate", "end_of_year"))})
        except (ValueError, TypeError) as exc:
            return Response.json({"error": str(exc)}, 400)
        return Response.json(answer)

    def after_revoke_all(self) -> None:
        with self.connections_lock:
            self.connections.clear()

    # -- vendor shapes -------------------------------------------------------------------------

    def problem(self, status: int, title: str, detail: str,
                headers: Mapping[str, str] | None = None) -> Response:
        return Response.json({"Type": None, "Title": title, "Status": status, "Detail": detail,
                              "Instance": str(uuid.uuid4()), "Extensions": {}}, status, headers)

    def error_response(self, status: int) -> Response:
        titles = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
                  504: "Gateway Timeout"}
        return self.problem(status, titles.get(status, "Server Error"),
                            "The sandbox was told to fail this request")

    def throttled_response(self, retry_after: float | None, problem: str,
                           remaining: Mapping[str, int] | None = None) -> Response:
        headers = {"Retry-After": str(max(1, round(60 if retry_after is None else retry_after))),
                   "X-Rate-Limit-Problem": problem}
        headers.update(_remaining_headers(remaining))
        return self.problem(429, "Too Many Requests", f"Rate limit exceeded: {problem}", headers)

    def decorate(self, response: Response) -> Response:
        if "xero-correlation-id" in {k.lower() for k in response.headers}:
            return response
        return Response(response.status, response.body,
                        {**response.headers, "Xero-Correlation-Id": str(uuid.uuid4())})

    def unauthorized(self, detail: str) -> Response:
        return self.problem(401, "Unauthorized", detail,
                            {"WWW-Authenticate": 'Bearer error="invalid_token"'})

    # -- routing -------------------------------------------------------------------------------

    def route(self, request: Request) -> Response:
        path, method = request.path, request.method
        if path == "/.well-known/openid-configuration" and method == "GET":
            return self.serve(request, self._discovery)
        if path == AUTHORIZE_PATH and method == "GET":
            return self.serve(request, lambda: self._authorize(request))
        if path == AUTHORIZE_PATH and method == "POST":
            return self.serve(request, lambda: self._decide(request))
        if path == TOKEN_PATH and method == "POST":
            return self.serve(request, lambda: self._token(request))
        if path == REVOKE_PATH and method == "POST":
            return self.serve(request, lambda: self._revoke(request))
        if path == USERINFO_PATH and method == "GET":
            return self.serve(request, lambda: self._userinfo(request))
        # Xero's paths are case-insensitive: xero-python asks for `/Connections`.
        if path.rstrip("/").lower() == "/connections" and method == "GET":
            return self.serve(request, lambda: self._list_connections(request))
        match = _CONNECTION_PATH.match(path)
        if match and method == "DELETE":
            connection_id = match.group(1)
            return self.serve(request,
                              lambda: self._delete_connection(request, connection_id))
        if _API_PATH.match(path):
            return self._api(request)
        return self.serve(request, lambda: Response.text("Not Found", 404))

    def _discovery(self) -> Response:
        base = self.base_url
        return Response.json({
            "issuer": base, "authorization_endpoint": base + AUTHORIZE_PATH,
            "token_endpoint": base + TOKEN_PATH, "userinfo_endpoint": base + USERINFO_PATH,
            "revocation_endpoint": base + REVOKE_PATH,
            "jwks_uri": f"{base}/.well-known/openid-configuration/jwks",
            "scopes_supported": sorted(XERO_SCOPES), "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                      "client_secret_post", "none"],
        })

    # -- authorize -----------------------------------------------------------------------------

    def _authorize(self, request: Request) -> Response:
        trusted = trusted_redirect(self.oauth, request, mismatch_title="Invalid redirect_uri")
        if isinstance(trusted, Response):
            return trusted
        client, redirect_uri = trusted
        state = request.arg("state")
        try:
            if request.arg("response_type") != "code":
                raise OAuthError("unsupported_response_type", "response_type must be code")
            scopes = self.oauth.parse_scopes(client, request.arg("scope"))
            challenge = read_challenge(request)
            if client.public and challenge is None:
                raise OAuthError("invalid_request", "code_challenge is required")
        except OAuthError as exc:
            return redirect(redirect_uri, {"error": exc.error, "state": state})
        consent = self.oauth.begin_consent(client, redirect_uri, scopes, state, challenge)
        return self._consent_page(client, consent.consent_id, scopes)

    def _consent_page(self, client: ClientRegistration, consent_id: str,
                      scopes: Iterable[str], error: str | None = None) -> Response:
        page = consent_page(
            vendor="Xero", app_name=client.name, action=AUTHORIZE_PATH, consent_id=consent_id,
            scopes=scopes, choice_name="tenant",
            choices=sorted(self.organisations.items(), key=lambda kv: kv[1]), multiple=True,
            error=error)
        return Response.text(page, 400 if error else 200, HTML)

    def _decide(self, request: Request) -> Response:
        fields = request.form()
        consent = self.oauth.take_consent(fields.get("consent_id", ""))
        if consent is None:
            return expired_consent()
        if fields.get("decision") != "allow":
            return redirect(consent.redirect_uri,
                            {"error": "access_denied", "state": consent.state})
        chosen = [t for t in dict.fromkeys(
            v for k, values in _multi_form(request).items() if k == "tenant" for v in values)
            if t in self.organisations]
        if not chosen:
            client, renewed = self.oauth.renew_consent(consent)
            return self._consent_page(client, renewed.consent_id, consent.scopes,
                                      "Choose at least one organisation.")
        auth_event_id = str(uuid.uuid4())
        self._connect(consent.client_id, auth_event_id, chosen)
        code = self.oauth.issue_code(consent, {"auth_event_id": auth_event_id,
                                               "tenants": chosen})
        return redirect(consent.redirect_uri, {"code": code, "state": consent.state})

    def _connect(self, client_id: str, auth_event_id: str, tenants: list[str]) -> None:
        now = self.clock.now()
        with self.connections_lock:
            existing = {c.tenant_id: c for c in self.connections.values()
                        if c.client_id == client_id}
            for tenant_id in tenants:
                connection = existing.get(tenant_id)
                if connection is None:
                    connection = Connection(str(uuid.uuid4()), client_id, auth_event_id,
                                            tenant_id, self.organisations[tenant_id], now, now)
                    self.connections[connection.id] = connection
                else:
                    connection.auth_event_id = auth_event_id
                    connection.updated_at = now

    # -- token, revoke, userinfo ---------------------------------------------------------------

    def _client(self, request: Request, fields: Mapping[str, str]) -> ClientRegistration:
        return self.oauth.authenticate_client(basic_credentials(request.header("authorization")),
                                              fields, allow_post=True, allow_public=True)

    def _token(self, request: Request) -> Response:
        fields = request.form()
        grant_type = fields.get("grant_type", "")
        self.count_grant(grant_type or "(none)")
        try:
            client = self._client(request, fields)
            tokens = self.oauth.token_for(client, fields)
        except OAuthError as exc:
            if exc.error == "invalid_client":
                exc.status = 400
            return oauth_error(exc)
        return Response.json(tokens.to_json(XERO_POLICY, include_scope=True),
                             headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    def _revoke(self, request: Request) -> Response:
        fields = request.form()
        try:
            client = self._client(request, fields)
        except OAuthError as exc:
            exc.status = 400
            return oauth_error(exc)
        token = fields.get("token")
        if not token:
            return oauth_error(OAuthError("invalid_request", "token is required"))
        grant = self.oauth.grant_for_token(token)
        if grant is not None and grant.client_id == client.client_id:
            self.oauth.revoke_grant(grant.grant_id)
            with self.connections_lock:
                for connection in self.connections_of(client.client_id):
                    del self.connections[connection.id]
        return Response(200)

    def _bearer(self, request: Request) -> Grant | Response:
        check = self.oauth.check_access(request.header("authorization"))
        if check.grant is not None:
            return check.grant
        if check.problem == "expired" and check.expired_at is not None:
            moment = datetime.fromtimestamp(check.expired_at, tz=UTC)
            return self.unauthorized(
                f"TokenExpired: token expired at {moment:%m/%d/%Y %H:%M:%S}")
        return self.unauthorized("AuthenticationUnsuccessful")

    def _userinfo(self, request: Request) -> Response:
        grant = self._bearer(request)
        if isinstance(grant, Response):
            return grant
        return Response.json({"sub": grant.grant_id, "email": "demo.user@example.com",
                              "given_name": "Demo", "family_name": "User"})

    def _list_connections(self, request: Request) -> Response:
        grant = self._bearer(request)
        if isinstance(grant, Response):
            return grant
        auth_event = request.arg("authEventId")
        return Response.json([c.to_json() for c in self.connections_of(grant.client_id)
                              if auth_event is None or c.auth_event_id == auth_event])

    def _delete_connection(self, request: Request, connection_id: str) -> Response:
        grant = self._bearer(request)
        if isinstance(grant, Response):
            return grant
        with self.connections_lock:
            connection = self.connections.get(connection_id)
            if connection is None or connection.client_id != grant.client_id:
                return self.problem(404, "Not Found", "Connection not found")
            del self.connections[connection_id]
        return Response(204)

    # -- the Accounting API --------------------------------------------------------------------

    def _api(self, request: Request) -> Response:
        grant = self._bearer(request)
        if isinstance(grant, Response):
            return grant
        tenant_id = (request.header("xero-tenant-id") or "").strip().lower()
        connected = {c.tenant_id.lower(): c.tenant_id for c in self.connections_of(grant.client_id)}
        if tenant_id not in connected:
            return self.problem(403, "Forbidden", "AuthenticationUnsuccessful")
        tenant_id = connected[tenant_id]
        if not _scope_allows(grant.scopes, request):
            return self.unauthorized("AuthorizationUnsuccessful")
        admission: Admission = self.limiter.admit(grant.client_id, tenant_id)
        if not admission.admitted:
            return self.throttled_response(admission.retry_after, admission.problem or "",
                                           admission.remaining)
        try:
            response = self.serve(request, lambda: self._call_api(request, tenant_id))
        finally:
            admission.release()
        return Response(response.status, response.body,
                        {**response.headers, **_remaining_headers(admission.remaining)})

    def objects_in(self, request: Request, response: Response) -> int:
        """The records of a list page or an array write (`{"ManualJournals": [...]}`); else 1.
        A page's `pagination` says how many it holds, so a large page is not parsed again just
        to be counted."""
        if response.status >= 400:
            return 1
        paged = _PAGINATION.search(response.body)
        if paged is not None:
            page, size, items = (int(n) for n in paged.groups())
            return max(1, min(size, items - (page - 1) * size))
        body = answer_json(response)
        if not isinstance(body, dict):
            return 1
        return max([1, *(len(v) for v in body.values() if isinstance(v, list))])

    def _call_api(self, request: Request, tenant_id: str) -> Response:
        with self.api_lock:
            return self.api.handle(request, tenant_id)


def _remaining_headers(remaining: Mapping[str, int] | None) -> dict[str, str]:
    if not remaining:
        return {}
    return {"X-MinLimit-Remaining": str(remaining["minute"]),
            "X-DayLimit-Remaining": str(remaining["day"]),
            "X-AppMinLimit-Remaining": str(remaining["appminute"])}


def _multi_form(request: Request) -> dict[str, list[str]]:
    return parse_qs(request.body.decode("utf-8"), keep_blank_values=True)


def _scope_allows(scopes: Iterable[str], request: Request) -> bool:
    parts = request.path.split("/api.xro/2.0/", 1)
    endpoint = parts[1].split("/", 1)[0].lower() if len(parts) == 2 else ""
    families = _ENDPOINT_SCOPES.get(endpoint)
    if families is None:
        return True
    granted = set(scopes)
    for family in families:
        if family in granted:
            return True
        if request.method in ("GET", "HEAD") and f"{family}.read" in granted:
            return True
    return False
