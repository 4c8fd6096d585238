"""The token manager: one per (company, provider), the only code that refreshes or revokes.

Rules it keeps (API_NOTES.md "lifetimes", "Both"; PRODUCT.md §3):
- The access token (QBO 1 hour, Xero 30 minutes) stays **in memory**; the keychain holds only the
  refresh token (`providers.keychain`).
- It is refreshed `leeway` seconds **before** it expires, and **once** however many threads ask at
  the same moment: a lock makes refresh single-flight (authlib's sync client has none, #266), and a
  thread that waited on it finds the new token instead of refreshing again.
- Both vendors **rotate** refresh tokens (QBO's old one fails at once; Xero's after a 30-minute
  grace period): the new refresh token is **saved to the keychain before** the new access token is
  handed to anyone, so a crash can never leave us holding only a dead token.
- `invalid_grant` marks the connection "needs attention" with the reason and raises
  `ReconnectNeeded`; later calls raise it again at once, with no request (no retry loop).
- Xero: when a refresh got **no response** (the connection dropped after sending), the old refresh
  token is retried **once**; Xero keeps it valid for 30 minutes when its successor was never used.
  QBO has no such grace (the old token fails at once), so there the error is reported instead.
- The refresh token is read from the keychain at each refresh, so a rotation made by another
  process of ours (the GUI and a scheduled `bookkeeper sync`) is picked up rather than replayed.

`disconnect()` revokes at the provider (Xero: `DELETE /connections/{id}` first, then revocation,
which removes all of the user's connections anyway), deletes the keychain entry and marks the
connection disconnected; a failed revoke still clears the local secrets and says so in the result.

`TokenManagers` hands out one manager per (company, provider), so every worker of the process
shares the same lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from bookkeeper_desktop.core.errors import (
    BookkeeperError,
    KeychainUnavailable,
    NetworkError,
    ReconnectNeeded,
)
from bookkeeper_desktop.providers.config import Provider, ProviderConfig
from bookkeeper_desktop.providers.connections import (
    ConnectionState,
    ConnectionStore,
    utc_from_timestamp,
)
from bookkeeper_desktop.providers.keychain import Keychain, StoredToken
from bookkeeper_desktop.providers.oauth import (
    Clock,
    InvalidGrant,
    NoResponse,
    OAuthClient,
    TokenSet,
)

#: Refresh this many seconds before the access token expires (covers clock skew and slow calls).
DEFAULT_LEEWAY = 120.0
#: Keychain metadata key of the Xero connection id (for DELETE /connections/{id}).
META_CONNECTION_ID = "connection_id"
META_TENANT_ID = "tenant_id"


@dataclass(frozen=True)
class DisconnectResult:
    """What Disconnect managed to do. `local_cleared` is always True when this is returned."""

    provider: Provider
    revoked: bool
    connection_deleted: bool | None  # Xero only; None for QBO
    local_cleared: bool
    problems: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        title = self.provider.display_name
        if self.revoked and not self.problems:
            return f"Disconnected from {title}; access was revoked and the sign-in deleted."
        return (f"Disconnected here: the {title} sign-in was deleted from this computer, but "
                f"{title} did not confirm that access was revoked ({'; '.join(self.problems)}). "
                f"You can also remove the app in {title}'s connected apps settings.")


class TokenManager:
    """Access tokens for one company's connection to one provider. Thread-safe."""

    def __init__(self, company_id: int, config: ProviderConfig, *, keychain: Keychain,
                 store: ConnectionStore, oauth: OAuthClient | None = None,
                 clock: Clock = time.time, leeway: float = DEFAULT_LEEWAY) -> None:
        self.company_id = company_id
        self.config = config
        self.provider = config.provider
        self.keychain = keychain
        self.store = store
        self.oauth = oauth or OAuthClient(config, clock=clock)
        self.clock = clock
        self.leeway = leeway
        # Re-entrant: disconnect() holds it across the revoke and may need a fresh access token.
        self._lock = threading.RLock()
        self._access_token: str | None = None
        self._expires_at = 0.0
        self._reconnect: ReconnectNeeded | None = None
        #: How many refresh requests this manager sent (diagnostics and tests).
        self.refresh_requests = 0

    # -- after a consent -----------------------------------------------------------------------
    def install(self, tokens: TokenSet, metadata: dict[str, str] | None = None, *,
                saved: bool = False) -> None:
        """Take the tokens of a fresh consent. Saves the refresh token first unless `saved`."""
        if tokens.refresh_token is None:
            raise ReconnectNeeded(f"{self.provider.display_name} gave no refresh token.",
                                  hint="Connect again and allow offline access.")
        with self._lock:
            if not saved:
                self.keychain.save_token(self.company_id, self.provider,
                                         StoredToken(tokens.refresh_token, metadata or {}))
            self._access_token = tokens.access_token
            self._expires_at = tokens.expires_at
            self._reconnect = None

    # -- handing out access tokens -------------------------------------------------------------
    def access_token(self) -> str:
        """A valid access token, refreshed first when it expires within `leeway` seconds."""
        with self._lock:
            if self._access_token is not None and self.clock() < self._expires_at - self.leeway:
                return self._access_token
            return self._refresh_locked()

    def refresh_after_rejection(self, rejected: str) -> str:
        """The provider answered 401 to `rejected`: refresh, unless another thread already did
        (then its token is returned without a second request)."""
        with self._lock:
            if self._access_token is not None and self._access_token != rejected \
                    and self.clock() < self._expires_at - self.leeway:
                return self._access_token
            return self._refresh_locked()

    def force_refresh(self) -> str:
        with self._lock:
            return self._refresh_locked()

    @property
    def needs_reconnect(self) -> ReconnectNeeded | None:
        return self._reconnect

    @property
    def access_expires_at(self) -> float | None:
        return self._expires_at if self._access_token is not None else None

    def _refresh_locked(self) -> str:
        if self._reconnect is not None:
            raise self._reconnect
        stored = self.keychain.load_token(self.company_id, self.provider)
        if stored is None:
            raise self._mark_reconnect(ReconnectNeeded(
                f"There is no saved {self.provider.display_name} sign-in for this company.",
                hint=f"Connect to {self.provider.display_name} again."))
        try:
            tokens = self._refresh_request(stored.refresh_token)
        except InvalidGrant as exc:
            raise self._mark_reconnect(exc) from None
        new_refresh = tokens.refresh_token or stored.refresh_token
        try:
            # Persist the rotated refresh token before anything uses the new access token.
            self.keychain.save_token(self.company_id, self.provider,
                                     StoredToken(new_refresh, stored.metadata))
        except KeychainUnavailable as exc:
            self._mark_reconnect(ReconnectNeeded(
                "The renewed sign-in could not be saved in the system keychain.",
                hint=exc.hint))
            raise
        self._access_token = tokens.access_token
        self._expires_at = tokens.expires_at
        self.store.update_expiry(self.company_id, self.provider,
                                 utc_from_timestamp(tokens.expires_at),
                                 utc_from_timestamp(tokens.refresh_expires_at))
        return tokens.access_token

    def _refresh_request(self, refresh_token: str) -> TokenSet:
        self.refresh_requests += 1
        try:
            return self.oauth.refresh(refresh_token)
        except NoResponse:
            if self.provider is not Provider.XERO:
                raise
        # Xero's grace period: the old refresh token still works for 30 minutes if its successor
        # never reached us. Once only.
        self.refresh_requests += 1
        return self.oauth.refresh(refresh_token)

    def _mark_reconnect(self, error: ReconnectNeeded) -> ReconnectNeeded:
        self._reconnect = error
        self._access_token = None
        reason = error.message
        self.store.set_status(self.company_id, self.provider, ConnectionState.NEEDS_ATTENTION,
                              reason)
        return error

    # -- disconnect ----------------------------------------------------------------------------
    def disconnect(self, *, http: httpx.Client | None = None) -> DisconnectResult:
        """Revoke at the provider, delete the keychain entry, mark the connection disconnected.

        Raises `KeychainUnavailable` only when the local secret cannot be deleted; a provider that
        does not confirm the revocation is reported in the result, not raised."""
        with self._lock:  # no refresh may rotate the token while we revoke it
            return self._disconnect_locked(http)

    def _disconnect_locked(self, http: httpx.Client | None) -> DisconnectResult:
        problems: list[str] = []
        stored = self.keychain.load_token(self.company_id, self.provider)
        connection_deleted: bool | None = None
        revoked = False
        if self.provider is Provider.XERO:
            connection_deleted = False
            connection_id = str(stored.metadata.get(META_CONNECTION_ID, "")) if stored else ""
            if connection_id:
                try:
                    connection_deleted = self._delete_xero_connection(connection_id, http)
                except BookkeeperError as exc:
                    problems.append(f"removing the organisation connection failed: {exc.message}")
        if stored is not None:
            try:
                self.oauth.revoke(stored.refresh_token)
                revoked = True
            except BookkeeperError as exc:
                problems.append(exc.message)
        else:
            problems.append("no saved sign-in to revoke")
        self.keychain.delete_token(self.company_id, self.provider)
        self._access_token = None
        self._reconnect = ReconnectNeeded(
            f"Not connected to {self.provider.display_name}.",
            hint=f"Connect to {self.provider.display_name}.")
        reason = "Disconnected by the user" + ("" if revoked else "; revoke not confirmed")
        self.store.set_status(self.company_id, self.provider, ConnectionState.DISCONNECTED,
                              reason)
        return DisconnectResult(self.provider, revoked, connection_deleted, True, tuple(problems))

    def _delete_xero_connection(self, connection_id: str, http: httpx.Client | None) -> bool:
        url = f"{self.config.endpoints.connections}/{connection_id}"
        token = self.access_token()
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if http is not None:
            try:
                response = http.delete(url, headers=headers)
            except httpx.TransportError as exc:
                raise NetworkError(f"Xero could not be reached ({type(exc).__name__}).") from exc
        else:
            response = self.oauth.send("DELETE", url, headers=headers)
        if response.status_code in (200, 204, 404):
            return True
        raise NetworkError(f"Xero answered HTTP {response.status_code}.")


def forget_locally(company_id: int, provider: Provider, *, keychain: Keychain,
                   store: ConnectionStore, why: str) -> DisconnectResult:
    """Disconnect when the provider cannot be called at all (no client id configured any more):
    delete the keychain entry and mark the connection, and say the revoke did not happen."""
    keychain.delete_token(company_id, provider)
    store.set_status(company_id, provider, ConnectionState.DISCONNECTED,
                     "Disconnected by the user; revoke not confirmed")
    return DisconnectResult(provider, revoked=False,
                            connection_deleted=False if provider is Provider.XERO else None,
                            local_cleared=True, problems=(f"cannot revoke: {why}",))


ManagerFactory = Callable[[int, Provider], TokenManager]


class TokenManagers:
    """One `TokenManager` per (company, provider) for the whole process. Thread-safe."""

    def __init__(self, factory: ManagerFactory) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._managers: dict[tuple[int, Provider], TokenManager] = {}

    def get(self, company_id: int, provider: Provider) -> TokenManager:
        with self._lock:
            key = (company_id, provider)
            if key not in self._managers:
                self._managers[key] = self._factory(company_id, provider)
            return self._managers[key]

    def put(self, manager: TokenManager) -> None:
        """Replace the manager (after a new consent, with new configuration)."""
        with self._lock:
            self._managers[(manager.company_id, manager.provider)] = manager

    def forget(self, company_id: int, provider: Provider) -> None:
        with self._lock:
            self._managers.pop((company_id, provider), None)
