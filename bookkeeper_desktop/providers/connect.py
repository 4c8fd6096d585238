"""Connect: from the Connect button (or `bookkeeper connect`) to a stored connection.

`ConnectFlow` runs the RFC 8252 flow for one company and provider:

1. `start()` checks the keychain answers (no keychain → `KeychainUnavailable` before the user
   consents for nothing), binds the loopback listener (`providers.loopback`; a taken port fails
   here), builds the consent URL with `state` and PKCE S256 (`providers.oauth`), and opens it in
   the **system browser** through `open_browser` (`webbrowser.open` by default; injected so tests
   drive a scripted browser). The URL is also returned (`AuthorizationRequest.url`) to show for
   copying, since `webbrowser.open` returning True does not mean a browser showed it.
2. `wait()` blocks until the redirect (or timeout / `cancel()`), exchanges the code (with the PKCE
   verifier), then finds which company the consent is for:
   - QBO: `realmId` from the redirect (it comes only there), name from
     `GET {api}/company/{realmId}/companyinfo/{realmId}` → `CompanyInfo.CompanyName`;
   - Xero: `GET /connections` lists the organisations the consent covers; with several,
     `choose_tenant` picks one (the GUI's list, the CLI's `--tenant`/prompt); name from
     `GET /api.xro/2.0/Organisation` with `xero-tenant-id` → `Organisations[0].Name`. With
     no `choose_tenant`, `wait()` raises `TenantChoiceNeeded` listing them and keeps the tokens;
     `choose(tenant)` then finishes (the GUI's "choose organisation" step), `abandon()` revokes.
3. The refresh token goes to the keychain **first**, then the connection metadata to the
   `ConnectionStore`, and the token manager gets the access token in memory.

`run()` = `start()` + `wait()`. Every step raises the typed errors of `core.errors`.
"""

from __future__ import annotations

import contextlib
import threading
import time
import webbrowser
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from bookkeeper_desktop.core.errors import (
    AuthError,
    BookkeeperError,
    Cancelled,
    ConfigurationError,
)
from bookkeeper_desktop.providers.config import Provider, ProviderConfig
from bookkeeper_desktop.providers.connections import (
    Connection,
    ConnectionState,
    ConnectionStore,
    utc_from_timestamp,
)
from bookkeeper_desktop.providers.http import QBO_MINOR_VERSION, api_error
from bookkeeper_desktop.providers.keychain import Keychain, StoredToken
from bookkeeper_desktop.providers.loopback import DEFAULT_TIMEOUT, CallbackListener
from bookkeeper_desktop.providers.oauth import (
    AuthorizationRequest,
    Clock,
    OAuthClient,
    TokenSet,
)
from bookkeeper_desktop.providers.tokens import (
    META_CONNECTION_ID,
    META_TENANT_ID,
    TokenManager,
    TokenManagers,
)

BrowserOpener = Callable[[str], Any]


@dataclass(frozen=True)
class Tenant:
    """One Xero organisation a consent covers (an item of GET /connections)."""

    tenant_id: str
    name: str
    connection_id: str
    tenant_type: str = "ORGANISATION"


TenantChooser = Callable[[Sequence[Tenant]], Tenant | None]


class TenantChoiceNeeded(AuthError):
    """The consent covers several Xero organisations and nobody chose one. The flow keeps the
    tokens: call `ConnectFlow.choose(tenant)` with one of `tenants` to finish, or
    `ConnectFlow.abandon()` to revoke them."""

    def __init__(self, message: str, tenants: Sequence[Tenant], *, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.tenants = tuple(tenants)


@dataclass(frozen=True)
class ConnectResult:
    company_id: int
    connection: Connection
    browser_opened: bool

    @property
    def message(self) -> str:
        label = " (Demo sandbox — no real data)" if self.connection.is_sandbox else ""
        return (f"Connected to {self.connection.company_name} in "
                f"{self.connection.provider.display_name}{label}.")


def tenant_by_name(wanted: str) -> TenantChooser:
    """A chooser for `--tenant NAME`: matches the name (case-insensitive) or the tenant id."""

    def choose(tenants: Sequence[Tenant]) -> Tenant | None:
        for tenant in tenants:
            if wanted.casefold() in (tenant.name.casefold(), tenant.tenant_id.casefold()):
                return tenant
        raise ConfigurationError(
            f"The consent does not include an organisation called '{wanted}'.",
            hint="It covers: " + ", ".join(t.name for t in tenants) + ".")

    return choose


class ConnectFlow:
    """One Connect attempt. Use from a worker thread (it blocks in `wait()`); `cancel()` may be
    called from any thread."""

    def __init__(
        self,
        company_id: int,
        config: ProviderConfig,
        *,
        keychain: Keychain,
        store: ConnectionStore,
        managers: TokenManagers | None = None,
        open_browser: BrowserOpener = webbrowser.open,
        choose_tenant: TenantChooser | None = None,
        http: httpx.Client | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Clock = time.time,
    ) -> None:
        self.company_id = company_id
        self.config = config
        self.keychain = keychain
        self.store = store
        self.managers = managers
        self.open_browser = open_browser
        self.choose_tenant = choose_tenant
        self.timeout = timeout
        self.clock = clock
        self.http = http  # None: each call opens its own short-lived client (with timeouts)
        self.oauth = OAuthClient(config, http=http, clock=clock)
        self.listener: CallbackListener | None = None
        self.request: AuthorizationRequest | None = None
        self.browser_opened = False
        self.manager: TokenManager | None = None
        self._pending: tuple[TokenSet, tuple[Tenant, ...]] | None = None
        self._cancelled = threading.Event()

    # -- steps ---------------------------------------------------------------------------------
    def start(self) -> AuthorizationRequest:
        """Bind the listener, build the consent URL, open the browser. Returns the request
        (its `url` is what to show for copying)."""
        self.keychain.check()
        listener = CallbackListener(port=self.config.listen_port, path=self.config.callback_path,
                                    state=None, timeout=self.timeout)
        listener.start()
        try:
            redirect_uri = self.config.redirect_uri_for_port(listener.port)
            request = self.oauth.authorization_request(redirect_uri, listen_port=listener.port)
            listener.state = request.state
        except BaseException:
            listener.close()
            raise
        self.listener, self.request = listener, request
        if self._cancelled.is_set():
            listener.cancel()
        try:
            self.browser_opened = bool(self.open_browser(request.url))
        except Exception:  # a missing or broken browser must not stop the flow: the URL is shown
            self.browser_opened = False
        return request

    def cancel(self) -> None:
        self._cancelled.set()
        if self.listener is not None:
            self.listener.cancel()

    def wait(self) -> ConnectResult:
        if self.listener is None or self.request is None:
            raise RuntimeError("start() first")
        try:
            callback = self.listener.wait()
            self._check_cancelled()
            tokens = self.oauth.exchange_code(self.request, callback.code)
        finally:
            self.listener = None
        try:
            if tokens.refresh_token is None:
                raise AuthError(f"{self.config.provider.display_name} gave no refresh token.",
                                hint="Allow offline access on the consent page.")
            if self.config.provider is Provider.QBO:
                if not callback.realm_id:
                    raise AuthError("QuickBooks Online did not say which company was chosen "
                                    "(no realmId in the redirect).", hint="Connect again.")
                name = self._qbo_company_name(tokens, callback.realm_id)
                self._check_cancelled()
                return self._finish(tokens, callback.realm_id, name,
                                    {META_TENANT_ID: callback.realm_id})
            return self._finish_xero(tokens, self._pick_tenant(tokens))
        except TenantChoiceNeeded:
            raise  # the tokens wait for choose() or abandon()
        except BaseException:
            # Cancelled, the company lookup failed, no keychain: leave no live grant behind.
            self._revoke_quietly(tokens)
            raise

    def _revoke_quietly(self, tokens: TokenSet) -> None:
        token = tokens.refresh_token or tokens.access_token
        with contextlib.suppress(BookkeeperError):
            self.oauth.revoke(token)

    def choose(self, tenant: Tenant) -> ConnectResult:
        """Finish a flow that raised `TenantChoiceNeeded` with the organisation the user picked
        (no second consent needed: the tokens are kept until then)."""
        pending = self._pending
        if pending is None:
            raise RuntimeError("No organisation choice is pending")
        tokens, offered = pending
        if tenant not in offered:
            raise ConfigurationError(f"'{tenant.name}' is not one of the organisations offered.")
        self._pending = None
        try:
            return self._finish_xero(tokens, tenant)
        except BaseException:
            self._revoke_quietly(tokens)
            raise

    def abandon(self) -> None:
        """Give up a pending organisation choice: revoke the consent's tokens (best effort) so no
        live grant is left behind."""
        pending, self._pending = self._pending, None
        if pending is not None:
            self._revoke_quietly(pending[0])

    def _finish_xero(self, tokens: TokenSet, tenant: Tenant) -> ConnectResult:
        name = self._xero_organisation_name(tokens, tenant)
        self._check_cancelled()
        return self._finish(tokens, tenant.tenant_id, name,
                            {META_TENANT_ID: tenant.tenant_id,
                             META_CONNECTION_ID: tenant.connection_id})

    def run(self) -> ConnectResult:
        self.start()
        return self.wait()

    def _check_cancelled(self) -> None:
        if self._cancelled.is_set():
            raise Cancelled("The connection was cancelled.",
                            hint="Nothing was saved; press Connect to start again.")

    # -- finishing -----------------------------------------------------------------------------
    def _finish(self, tokens: TokenSet, tenant_id: str, name: str,
                metadata: dict[str, str]) -> ConnectResult:
        assert tokens.refresh_token is not None
        # No keychain, no connection (the caller revokes the fresh grant on the way out).
        self.keychain.save_token(self.company_id, self.config.provider,
                                 StoredToken(tokens.refresh_token, metadata))
        connection = Connection(
            provider=self.config.provider, tenant_id=tenant_id, company_name=name,
            scopes=tokens.scopes, access_expires_at=utc_from_timestamp(tokens.expires_at),
            refresh_expires_at=utc_from_timestamp(tokens.refresh_expires_at),
            status=ConnectionState.CONNECTED, is_sandbox=self.config.is_sandbox,
        )
        self.store.save(self.company_id, connection)
        manager = TokenManager(self.company_id, self.config, keychain=self.keychain,
                               store=self.store, clock=self.clock)
        manager.install(tokens, metadata, saved=True)
        if self.managers is not None:
            self.managers.put(manager)
        self.manager = manager
        return ConnectResult(self.company_id, connection, self.browser_opened)

    # -- which company -------------------------------------------------------------------------
    def _get(self, url: str, tokens: TokenSet, *, headers: dict[str, str] | None = None,
             params: dict[str, str] | None = None) -> Any:
        all_headers = {"Authorization": f"Bearer {tokens.access_token}",
                       "Accept": "application/json", **(headers or {})}
        response = self.oauth.send("GET", url, headers=all_headers, params=params)
        if response.status_code >= 400:
            raise api_error(response, self.config.provider)
        try:
            return response.json()
        except ValueError:
            raise AuthError(f"{self.config.provider.display_name} answered with something that "
                            "is not JSON.", hint="Connect again.") from None

    def _qbo_company_name(self, tokens: TokenSet, realm_id: str) -> str:
        base = self.config.endpoints.api_base
        data = self._get(f"{base}/company/{realm_id}/companyinfo/{realm_id}", tokens,
                         params={"minorversion": QBO_MINOR_VERSION})
        info = data.get("CompanyInfo", {}) if isinstance(data, dict) else {}
        return str(info.get("CompanyName") or info.get("LegalName") or f"Company {realm_id}")

    def _pick_tenant(self, tokens: TokenSet) -> Tenant:
        url = self.config.endpoints.connections
        if url is None:
            raise ConfigurationError("No Xero connections address is configured.")
        data = self._get(url, tokens)
        tenants = [
            Tenant(tenant_id=str(item.get("tenantId")), name=str(item.get("tenantName") or ""),
                   connection_id=str(item.get("id")),
                   tenant_type=str(item.get("tenantType") or "ORGANISATION"))
            for item in (data if isinstance(data, list) else [])
            if isinstance(item, dict) and item.get("tenantId")
        ]
        organisations = [t for t in tenants if t.tenant_type.upper() == "ORGANISATION"]
        if not organisations:
            raise AuthError("The Xero consent does not include any organisation.",
                            hint="Connect again and choose an organisation on the Xero page.")
        if len(organisations) == 1:
            return organisations[0]
        if self.choose_tenant is None:
            self._pending = (tokens, tuple(organisations))
            raise TenantChoiceNeeded(
                "The Xero consent covers several organisations; choose one.",
                organisations,
                hint="Organisations: " + ", ".join(t.name for t in organisations) + ".")
        chosen = self.choose_tenant(organisations)
        if chosen is None:
            raise Cancelled("No organisation was chosen.", hint="Press Connect to start again.")
        if chosen not in organisations:
            raise ConfigurationError(f"'{chosen.name}' is not one of the organisations offered.")
        return chosen

    def _xero_organisation_name(self, tokens: TokenSet, tenant: Tenant) -> str:
        data = self._get(f"{self.config.endpoints.api_base}/Organisation", tokens,
                         headers={"xero-tenant-id": tenant.tenant_id})
        organisations = data.get("Organisations", []) if isinstance(data, dict) else []
        if organisations and isinstance(organisations[0], dict):
            return str(organisations[0].get("Name") or tenant.name)
        return tenant.name
