"""The QBO-compatible sandbox: Intuit's OAuth 2.0 endpoints and the v3 API of its companies.

Paths mirror Intuit's hosts folded onto one loopback server (API_NOTES.md, QuickBooks rows):

- `GET /.well-known/openid_configuration` (also `…/openid_sandbox_configuration`): Intuit's
  discovery document (intuitlib's `AuthClient(environment=<url>)` fetches it);
- `GET/POST /connect/oauth2`: appcenter.intuit.com authorize and the consent page;
- `POST /oauth2/v1/tokens/bearer`: the token endpoint (HTTP Basic client auth);
- `POST /v2/oauth2/tokens/revoke`: revoke (`{"token": …}`, Basic auth);
- `GET /v1/openid_connect/userinfo`: userinfo;
- `/v3/company/{realmId}/…`: the v3 API, served by the accounting API object.

Rules: token rotation per `oauth.QBO_POLICY` (single-use refresh tokens, `invalid_grant` on reuse);
the callback carries `code`, `state` and `realmId`; `state` is required; PKCE S256 is verified when
a `code_challenge` was sent (Intuit does not document PKCE; accepting it is harmless). A Bearer
token that is missing, unknown, expired or revoked gets 401 `AuthenticationFailed` (code 3200); a
valid token used on another realm gets 403 `ApplicationAuthorizationFailed` (code 3100). Limits:
500/min and 10 concurrent per app and realm, batch 120/min, reports 200/min; over them a 429 with
Intuit's **XML** `ThrottleExceeded` fault (errorCode 003001), as Intuit sends even to JSON
clients. Every response carries an `intuit_tid` header. No `id_token` is issued (nothing here
can sign one).
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from bookkeeper_desktop.sandbox.apis import QboApi, load_qbo_api
from bookkeeper_desktop.sandbox.clock import Clock, SystemClock, iso_utc
from bookkeeper_desktop.sandbox.http import Request, Response
from bookkeeper_desktop.sandbox.latency import answer_json
from bookkeeper_desktop.sandbox.limits import Admission, QboLimiter
from bookkeeper_desktop.sandbox.oauth import (
    HTML,
    QBO_POLICY,
    AccessCheck,
    ClientRegistration,
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

ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"
QBO_SCOPES = frozenset({ACCOUNTING_SCOPE, "com.intuit.quickbooks.payment", "openid", "profile",
                        "email", "phone", "address", "intuit_name"})

#: The demo app every QBO sandbox knows (a development key: `http://localhost` redirects allowed).
DEMO_QBO_CLIENT = ClientRegistration(
    client_id="ABdemoBookkeeperSandboxClientIdForQuickBooksOnline01",
    # Public and short on purpose: only our loopback sandboxes accept it; never a real secret.
    client_secret="public-demo-secret",  # noqa: S106
    redirect_uris=("http://localhost:{port}/callback",),
    name="Bookkeeper Desktop (demo)",
)
#: Intuit's sample company name, so the demo looks like the QBO sandbox company users know.
DEMO_COMPANIES: Mapping[str, str] = {"9341453050071366": "Craig's Design and Landscaping Services"}

AUTHORIZE_PATH = "/connect/oauth2"
TOKEN_PATH = "/oauth2/v1/tokens/bearer"  # noqa: S105 - a path
REVOKE_PATH = "/v2/oauth2/tokens/revoke"
USERINFO_PATH = "/v1/openid_connect/userinfo"
_API_PATH = re.compile(r"^/v3/company/([^/]+)(/.*)?$")

THROTTLE_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="{time}">'
    '<Fault type="SERVICE"><Error code="3001" element="">'
    "<Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>"
    "<Detail>The request limit was reached.  Try again later</Detail>"
    "</Error></Fault></IntuitResponse>"
)


#: The rows a query page (or each entity's part of a CDC answer) holds, as QBO states them.
_MAX_RESULTS = re.compile(rb'"maxResults":(\d+)')


class QboSandbox(SandboxServer):
    """A QBO-compatible server on 127.0.0.1.

    Args:
        port: 0 for a free one.
        clock: time source (a `FakeClock` in tests).
        clients: registered apps (default: `DEMO_QBO_CLIENT`); more with `register_client`.
        companies: realm id → company name offered on the consent page (default: one demo
            company); seeded into the API object.
        sample_companies: realm ids of `companies` seeded with the sample company's own chart
            and contacts (`sample_seed`, for `--demo`) instead of the usual company.
        api: the accounting API (default: `qbo_api.QboAccountingApi` when present).
        limits: enforce Intuit's rate limits; `time_scale` shrinks their windows.
        on_change: called after each state-changing request (see `SandboxServer`).
        latency: the modelled latency, as `configure_latency` takes it ("realistic"; default off).
    """

    vendor = "qbo"

    def __init__(self, *, port: int = 0, clock: Clock | None = None,
                 clients: Iterable[ClientRegistration] = (DEMO_QBO_CLIENT,),
                 companies: Mapping[str, str] | None = None, api: QboApi | None = None,
                 limits: bool = True, time_scale: float = 1.0,
                 on_change: Callable[[bool], None] | None = None,
                 latency: str | dict[str, Any] | None = None,
                 sample_companies: Iterable[str] = ()) -> None:
        clock = clock or SystemClock()
        super().__init__(OAuthStore(QBO_POLICY, clock, QBO_SCOPES), port=port, clock=clock,
                         on_change=on_change, latency=latency)
        for client in clients:
            self.oauth.register(client)
        self._initial_companies = dict(DEMO_COMPANIES if companies is None else companies)
        self.companies: dict[str, str] = dict(self._initial_companies)
        self.api: QboApi = api if api is not None else load_qbo_api(clock)
        self._api_loaded = api is None
        self.api_lock = threading.RLock()
        self.sample_companies = frozenset(sample_companies)
        for realm_id, name in self.companies.items():
            self._seed(realm_id, name)
        self.limiter = QboLimiter(clock, enabled=limits, time_scale=time_scale)

    def register_client(self, client: ClientRegistration) -> None:
        self.oauth.register(client)

    def _seed(self, realm_id: str, name: str) -> None:
        if realm_id in self.sample_companies:
            self.api.seed_company(realm_id, name, sample=True)
        else:
            self.api.seed_company(realm_id, name)

    def add_company(self, realm_id: str, name: str) -> None:
        """Offer one more company on the consent page and seed it in the API."""
        with self.api_lock:
            self.companies[realm_id] = name
            self.api.seed_company(realm_id, name)

    # -- state ---------------------------------------------------------------------------------

    def vendor_state(self) -> dict[str, Any]:
        with self.api_lock:
            return {"companies": dict(self.companies), "api": self.api.to_state()}

    def load_vendor_state(self, state: dict[str, Any]) -> None:
        with self.api_lock:
            self.companies = dict(state.get("companies", {}))
            self.api.from_state(state.get("api", {}))

    def reset_vendor(self) -> None:
        with self.api_lock:
            self.companies = dict(self._initial_companies)
            self.api = load_qbo_api(self.clock) if self._api_loaded else type(self.api)()
            for realm_id, name in self.companies.items():
                self._seed(realm_id, name)

    def is_api_path(self, path: str) -> bool:
        return _API_PATH.match(path) is not None

    def limits_snapshot(self) -> dict[str, Any]:
        return self.limiter.snapshot()

    def configure_limits(self, *, enabled: bool | None = None,
                         time_scale: float | None = None) -> None:
        self.limiter.configure(enabled=enabled, time_scale=time_scale)

    def vendor_test_endpoint(self, name: str, request: Request) -> Response | None:
        """`POST /__sandbox__/preferences` with `{"realm_id", "BookCloseDate",
        "BookClosePassword", "WarnDuplicateJournalNumber"}` (keys left out keep their value)
        changes what a QBO user sets in Account and Settings; answers the Preferences object
        (also served, read-only, at the API's `preferences`). Test-only."""
        if name != "preferences":
            return None
        if request.method != "POST":
            return Response.json({"error": "use POST"}, 405)
        setter = getattr(self.api, "set_preferences", None)
        try:
            changes = json_object(request)
            realm_id = str(changes.pop("realm_id", "") or "")
            if realm_id not in self.companies:
                raise ValueError(f"no company {realm_id!r}; give realm_id")
            if setter is None:
                raise ValueError("this accounting API has no preferences")
            with self.api_lock:
                answer = setter(realm_id, changes)
        except (ValueError, TypeError) as exc:
            return Response.json({"error": str(exc)}, 400)
        return Response.json(answer)

    # -- vendor shapes -------------------------------------------------------------------------

    def fault(self, status: int, code: str, message: str, kind: str, detail: str = "") -> Response:
        error: dict[str, str] = {"Message": message, "code": code}
        if detail:
            error["Detail"] = detail
        return Response.json({"Fault": {"Error": [error], "type": kind},
                              "time": iso_utc(self.clock.now())}, status)

    def error_response(self, status: int) -> Response:
        return self.fault(status, "10000", "An application error has occurred while processing "
                          "your request", "SystemFault", "System Failure Error: sandbox fault")

    def throttled_response(self, retry_after: float | None, problem: str) -> Response:
        """Intuit's XML ThrottleExceeded. Intuit names neither the limit nor a wait; only an
        injected fault that asks for one gets a `Retry-After` header (for client tests)."""
        del problem
        headers = {} if retry_after is None else {"Retry-After": str(round(retry_after))}
        return Response.text(THROTTLE_XML.format(time=iso_utc(self.clock.now())), 429,
                             content_type="application/xml", headers=headers)

    def decorate(self, response: Response) -> Response:
        if "intuit_tid" in {k.lower() for k in response.headers}:
            return response
        tid = f"1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]}"
        return Response(response.status, response.body, {**response.headers, "intuit_tid": tid})

    # -- routing -------------------------------------------------------------------------------

    def route(self, request: Request) -> Response:
        path, method = request.path, request.method
        if path.rstrip("/") in ("/.well-known/openid_configuration",
                                "/.well-known/openid_sandbox_configuration") and method == "GET":
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
        if path == "/op/v1/jwks" and method == "GET":
            return self.serve(request, lambda: Response.json({"keys": []}))
        match = _API_PATH.match(path)
        if match:
            return self._api(request, match.group(1))
        return self.serve(request, lambda: Response.text("Not Found", 404))

    def _discovery(self) -> Response:
        base = self.base_url
        return Response.json({
            "issuer": f"{base}/op/v1",
            "authorization_endpoint": base + AUTHORIZE_PATH,
            "token_endpoint": base + TOKEN_PATH,
            "userinfo_endpoint": base + USERINFO_PATH,
            "revocation_endpoint": base + REVOKE_PATH,
            "jwks_uri": f"{base}/op/v1/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile", "address", "phone"],
            "token_endpoint_auth_methods_supported": ["client_secret_post",
                                                      "client_secret_basic"],
            "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
        })

    # -- authorize -----------------------------------------------------------------------------

    def _authorize(self, request: Request) -> Response:
        trusted = trusted_redirect(self.oauth, request, mismatch_title="Redirect URI mismatch")
        if isinstance(trusted, Response):
            return trusted
        client, redirect_uri = trusted
        state = request.arg("state")
        try:
            if request.arg("response_type") != "code":
                raise OAuthError("unsupported_response_type", "response_type must be code")
            scopes = self.oauth.parse_scopes(client, request.arg("scope"))
            if not state:
                raise OAuthError("invalid_request", "state is required")
            challenge = read_challenge(request)
        except OAuthError as exc:
            return redirect(redirect_uri, {"error": exc.error, "state": state})
        consent = self.oauth.begin_consent(client, redirect_uri, scopes, state, challenge)
        return self._consent_page(client, consent.consent_id, scopes)

    def _consent_page(self, client: ClientRegistration, consent_id: str,
                      scopes: Iterable[str], error: str | None = None) -> Response:
        page = consent_page(
            vendor="QuickBooks Online", app_name=client.name, action=AUTHORIZE_PATH,
            consent_id=consent_id, scopes=scopes, choice_name="realm",
            # In the order the sandbox was given them: the demo offers the company holding the
            # sample company's books first, and the page pre-selects the first.
            choices=list(self.companies.items()), multiple=False,
            error=error)
        return Response.text(page, 400 if error else 200, HTML)

    def _decide(self, request: Request) -> Response:
        form = request.form()
        consent = self.oauth.take_consent(form.get("consent_id", ""))
        if consent is None:
            return expired_consent()
        decision = form.get("decision")
        if decision != "allow":
            return redirect(consent.redirect_uri,
                            {"error": "access_denied", "state": consent.state})
        realm_id = form.get("realm", "")
        if realm_id not in self.companies:
            client, renewed = self.oauth.renew_consent(consent)
            return self._consent_page(client, renewed.consent_id, consent.scopes,
                                      "Choose a company to connect.")
        code = self.oauth.issue_code(consent, {"realm_id": realm_id})
        return redirect(consent.redirect_uri,
                        {"code": code, "state": consent.state, "realmId": realm_id})

    # -- token, revoke, userinfo ---------------------------------------------------------------

    def _token(self, request: Request) -> Response:
        form = request.form()
        grant_type = form.get("grant_type", "")
        self.count_grant(grant_type or "(none)")
        try:
            client = self.oauth.authenticate_client(
                basic_credentials(request.header("authorization")), form,
                allow_post=False, allow_public=False)
            tokens = self.oauth.token_for(client, form)
        except OAuthError as exc:
            return oauth_error(exc)
        return Response.json(tokens.to_json(QBO_POLICY, include_scope=False),
                             headers={"Cache-Control": "no-cache, no-store", "Pragma": "no-cache"})

    def _revoke(self, request: Request) -> Response:
        try:
            client = self.oauth.authenticate_client(
                basic_credentials(request.header("authorization")), {},
                allow_post=False, allow_public=False)
        except OAuthError as exc:
            return oauth_error(exc)
        token: Any = None
        if "json" in (request.header("content-type") or ""):
            try:
                body = request.json()
                token = body.get("token") if isinstance(body, dict) else None
            except ValueError:
                token = None
        else:
            token = request.form().get("token")
        if not isinstance(token, str) or not token:
            return oauth_error(OAuthError("invalid_request", "token is required"))
        grant = self.oauth.grant_for_token(token)
        if grant is not None and grant.client_id == client.client_id:
            self.oauth.revoke_grant(grant.grant_id)
        return Response(200)

    def _userinfo(self, request: Request) -> Response:
        check = self.oauth.check_access(request.header("authorization"))
        if check.grant is None or "openid" not in check.grant.scopes:
            return self.auth_failed()
        return Response.json({"sub": check.grant.grant_id, "email": "demo.user@example.com",
                              "emailVerified": True, "givenName": "Demo",
                              "familyName": "User"})

    # -- the v3 API ----------------------------------------------------------------------------

    def auth_failed(self) -> Response:
        return Response.json({
            "Fault": {"Error": [{
                "Message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                "code": "3200"}], "type": "AUTHENTICATION"},
            "time": iso_utc(self.clock.now()),
        }, 401, headers={"WWW-Authenticate": 'Bearer realm="Intuit", error="invalid_token"'})

    def authorization_failed(self) -> Response:
        return Response.json({
            "Fault": {"Error": [{
                "Message": "message=ApplicationAuthorizationFailed; errorCode=003100; "
                           "statusCode=403",
                "code": "3100"}], "type": "AUTHORIZATION"},
            "time": iso_utc(self.clock.now()),
        }, 403)

    def _api(self, request: Request, realm_id: str) -> Response:
        check: AccessCheck = self.oauth.check_access(request.header("authorization"))
        grant = check.grant
        if grant is None:
            return self.auth_failed()
        if grant.subject.get("realm_id") != realm_id or ACCOUNTING_SCOPE not in grant.scopes:
            return self.authorization_failed()
        rest = request.path[len(f"/v3/company/{realm_id}"):].strip("/").lower()
        admission: Admission = self.limiter.admit(grant.client_id, realm_id,
                                                  batch=rest == "batch",
                                                  reports=rest.startswith("reports/"))
        if not admission.admitted:
            return self.throttled_response(None, admission.problem or "")
        try:
            return self.serve(request, lambda: self._call_api(request, realm_id))
        finally:
            admission.release()

    def objects_in(self, request: Request, response: Response) -> int:
        """Objects in a query page (every entity of a CDC answer), the items of a batch; else 1.
        A page says how many rows it holds (`maxResults`, per entity in CDC), so a 1,000-object
        page is not parsed again just to be counted."""
        if response.status >= 400:
            return 1
        pages = _MAX_RESULTS.findall(response.body)
        if pages:
            return max(1, sum(int(n) for n in pages))
        body = answer_json(response)
        if isinstance(body, dict) and isinstance(body.get("BatchItemResponse"), list):
            return max(1, len(body["BatchItemResponse"]))
        return 1

    def _call_api(self, request: Request, realm_id: str) -> Response:
        with self.api_lock:
            return self.api.handle(request, realm_id)
