"""The token manager: one per (company, provider), the only code that refreshes or revokes.

Rules it keeps (API_NOTES.md "lifetimes", "Both"; PRODUCT.md §3):
- The access token (QBO 1 hour, Xero 30 minutes) is kept in memory **and in the keychain** with its
  expiry, beside the refresh token (`providers.keychain`), so a process that starts within its
  lifetime (every `bookkeeper sync` run, the GUI after a restart) uses it and sends no refresh at
  all: a refresh is the only moment a crash can lose a sign-in (issue #13 §3).
- It is refreshed `leeway` seconds **before** it expires, and **once** however many threads ask at
  the same moment: a lock makes refresh single-flight (authlib's sync client has none, #266), and a
  thread that waited on it finds the new token instead of refreshing again.
- Both vendors **rotate** refresh tokens (QBO's old one fails at once; Xero's after a 30-minute
  grace period): the new refresh token is **saved to the keychain before** the new access token is
  handed to anyone, so a crash after the answer arrived can never leave us holding only a dead
  token.
- Before a refresh request is sent, the keychain entry is marked "renewal in flight"
  (`StoredToken.refresh_started_at`); the save of the rotated token clears the mark. A crash in
  between leaves the mark: QBO may then have rotated a token we never received, which no client can
  recover from (single-use refresh tokens), so a later `invalid_grant` on a marked entry says
  exactly that, with Reconnect, instead of the generic message (`interrupted_renewal`). Xero
  recovers by itself: the old token is retried within its grace period. A keychain that cannot
  take the mark stops the refresh before anything is sent, so the provider never rotates a token
  we could not save.
- `invalid_grant` marks the connection "needs attention" with the reason and raises
  `ReconnectNeeded`; later calls raise it again at once, with no request (no retry loop).
- Xero: when a refresh got **no response** (the connection dropped after sending), the old refresh
  token is retried **once**; Xero keeps it valid for 30 minutes when its successor was never used.
  QBO has no such grace (the old token fails at once), so there the error is reported instead.
- The refresh token is read from the keychain at each refresh, so a rotation made by another
  process of ours (the GUI and a scheduled `bookkeeper sync`) is picked up rather than replayed.

Across processes (the GUI and `bookkeeper sync --watch` sharing one keychain entry) the thread lock
is not enough: both could read the same refresh token and both send it. QBO then fails the second
at once (`invalid_grant`); Xero accepts it in its grace period but revokes the first one's
successor, and whichever process saves last may leave a dead token in the keychain (API_NOTES.md
"lifetimes"). So a refresh — read the keychain, ask the provider, save the rotated token — also
holds a `RefreshLock`: an exclusive lock (`fcntl.flock`; `msvcrt.locking` on Windows) on a file
per keychain entry in the data folder's `locks/`. The other process waits, then reads the token
just saved and rotates that one. The OS drops the lock when its holder dies, so a killed process
never blocks a refresh. As a second line (a process that could not take the lock, e.g. a
read-only data folder), an `invalid_grant` re-reads the keychain and, when another process saved a
different refresh token meanwhile, retries **once** with it. A connection marked "needs
reconnect" stays so without any request until the keychain holds a different refresh token than
the one that failed (a Connect made by another process), which is then used.

`disconnect()` revokes at the provider (Xero: `DELETE /connections/{id}` first, then revocation,
which removes all of the user's connections anyway), deletes the keychain entry and marks the
connection disconnected; a failed revoke still clears the local secrets and says so in the result.

`TokenManagers` hands out one manager per (company, provider), so every worker of the process
shares the same lock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bookkeeper_desktop.core.errors import (
    BookkeeperError,
    KeychainUnavailable,
    NetworkError,
    ReconnectNeeded,
)
from bookkeeper_desktop.paths import data_dir
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
#: How long a refresh waits for another process of ours renewing the same sign-in (two token
#: requests with their 30-second timeouts, Xero's no-response retry included).
REFRESH_LOCK_TIMEOUT = 90.0
LOCKS_FOLDER = "locks"

log = logging.getLogger(__name__)

if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # OSError while another process holds it

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(fd: int) -> None:
        # flock, not lockf: two opens of the file conflict even inside one process, so two
        # managers of one process (tests, a second window) exclude each other as well.
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def refresh_lock_path(service: str, company_id: int, provider: Provider,
                      folder: Path | None = None) -> Path:
    """The lock file of one keychain entry (service, company, provider) in the data folder."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", service)
    base = folder if folder is not None else data_dir(create=False) / LOCKS_FOLDER
    return base / f"token-{safe}-company-{company_id}-{provider.value}.lock"


class RefreshLock:
    """An exclusive inter-process lock on a file (see the module docstring). Re-entrant for its
    holder: the manager only takes it under its own thread lock, so the holder is one thread.

    A lock file that cannot be created (read-only data folder) is logged and the refresh goes
    on without it, relying on the keychain re-read after `invalid_grant`; a lock held by another
    process for longer than `timeout` seconds raises `NetworkError` (try again later)."""

    def __init__(self, path: Path | None, *, timeout: float = REFRESH_LOCK_TIMEOUT,
                 poll: float = 0.02) -> None:
        self.path = path
        self.timeout = timeout
        self.poll = poll
        self._depth = 0
        #: How often the lock was found held by another process (diagnostics and tests).
        self.waits = 0

    @contextmanager
    def hold(self, what: str = "the sign-in") -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        fd = self._acquire(what)
        self._depth = 1
        try:
            yield
        finally:
            self._depth = 0
            if fd is not None:
                try:
                    _unlock(fd)
                finally:
                    os.close(fd)

    def _acquire(self, what: str) -> int | None:
        if self.path is None:
            return None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            log.warning("No refresh lock file %s (%s); refreshing without it.", self.path, exc)
            return None
        deadline = time.monotonic() + self.timeout
        waited = False
        while True:
            try:
                _try_lock(fd)
                return fd
            except OSError:
                if not waited:
                    waited = True
                    self.waits += 1
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise NetworkError(
                        f"Another Bookkeeper Desktop process has been renewing {what} for over "
                        f"{self.timeout:.0f} seconds.",
                        hint="Try again in a minute. If it keeps happening, close other "
                             "Bookkeeper Desktop windows and stop scheduled syncs, then try "
                             "again.") from None
                time.sleep(self.poll)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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
                 clock: Clock = time.time, leeway: float = DEFAULT_LEEWAY,
                 refresh_lock: RefreshLock | None = None) -> None:
        """`refresh_lock`: default the lock file of this keychain entry in the data folder."""
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
        #: SHA-256 of the refresh token that failed or was revoked when `_reconnect` was set
        #: (None: there was none); a different one in the keychain is a new sign-in.
        self._dead_token: str | None = None
        self.refresh_lock = refresh_lock or RefreshLock(refresh_lock_path(
            keychain.service, company_id, config.provider))
        #: How many refresh requests this manager sent (diagnostics and tests).
        self.refresh_requests = 0

    # -- after a consent -----------------------------------------------------------------------
    def install(self, tokens: TokenSet, metadata: dict[str, str] | None = None, *,
                saved: bool = False) -> None:
        """Take the tokens of a fresh consent and keep them in the keychain (the refresh token
        with the access token; `saved`: the refresh token is there already, so a failure to add
        the access token is only logged)."""
        if tokens.refresh_token is None:
            raise ReconnectNeeded(f"{self.provider.display_name} gave no refresh token.",
                                  hint="Connect again and allow offline access.")
        with self._lock:
            stored = StoredToken(tokens.refresh_token, metadata or {},
                                 access_token=tokens.access_token,
                                 access_expires_at=tokens.expires_at)
            try:
                self.keychain.save_token(self.company_id, self.provider, stored)
            except KeychainUnavailable:
                if not saved:
                    raise
                # The refresh token is saved already; without the access token beside it the
                # next process of ours refreshes once, which is only slower.
                log.warning("The %s access token could not be kept in the keychain.",
                            self.provider.display_name)
            self._access_token = tokens.access_token
            self._expires_at = tokens.expires_at
            self._reconnect = None
            self._dead_token = None

    # -- handing out access tokens -------------------------------------------------------------
    def access_token(self) -> str:
        """A valid access token: the one in memory, else the keychain's (saved by this or another
        process of ours), refreshed first only when it expires within `leeway` seconds."""
        with self._lock:
            if self._access_token is not None and self.clock() < self._expires_at - self.leeway:
                return self._access_token
            return self._refresh_locked(rejected=None)

    def refresh_after_rejection(self, rejected: str) -> str:
        """The provider answered 401 to `rejected`: refresh, unless another thread or process
        already did (then its token is returned without a second request)."""
        with self._lock:
            if self._access_token is not None and self._access_token != rejected \
                    and self.clock() < self._expires_at - self.leeway:
                return self._access_token
            return self._refresh_locked(rejected=rejected)

    def force_refresh(self) -> str:
        """Refresh now, whatever the keychain holds."""
        with self._lock:
            return self._refresh_locked(rejected=None, reuse_stored=False)

    @property
    def needs_reconnect(self) -> ReconnectNeeded | None:
        return self._reconnect

    @property
    def access_expires_at(self) -> float | None:
        return self._expires_at if self._access_token is not None else None

    def _refresh_locked(self, *, rejected: str | None, reuse_stored: bool = True) -> str:
        with self.refresh_lock.hold(f"the {self.provider.display_name} sign-in"):
            return self._refresh_held(rejected, reuse_stored)

    def _refresh_held(self, rejected: str | None, reuse_stored: bool) -> str:
        """Under both locks: read the keychain; use its access token when it is still valid and
        not the one just `rejected`; else mark the renewal, ask the provider, save, hand out."""
        try:
            stored = self.keychain.load_token(self.company_id, self.provider)
        except KeychainUnavailable:
            if self._reconnect is not None:
                raise self._reconnect from None
            raise
        if self._reconnect is not None:
            if stored is None or _digest(stored.refresh_token) == self._dead_token:
                raise self._reconnect
            # Another process of ours connected again and saved a new sign-in: use it.
            self._reconnect = None
            self._dead_token = None
        if stored is None:
            raise self._mark_reconnect(ReconnectNeeded(
                f"There is no saved {self.provider.display_name} sign-in for this company.",
                hint=f"Connect to {self.provider.display_name} again."), None)
        if reuse_stored:
            kept = stored.access_token_valid_at(self.clock() + self.leeway)
            if kept is not None and kept != rejected:
                self._access_token = kept
                self._expires_at = stored.access_expires_at or 0.0
                return kept
        try:
            tokens = self._refresh_request(stored)
        except InvalidGrant as exc:
            # A process that refreshed without our lock may have rotated the token after we
            # read it and saved the successor since: retry once with that one.
            again = self.keychain.load_token(self.company_id, self.provider)
            if again is None or again.refresh_token == stored.refresh_token:
                raise self._mark_reconnect(self._explain(exc, stored),
                                           stored.refresh_token) from None
            stored = again
            try:
                tokens = self._refresh_request(stored)
            except InvalidGrant as second:
                raise self._mark_reconnect(self._explain(second, stored),
                                           stored.refresh_token) from None
        new_refresh = tokens.refresh_token or stored.refresh_token
        try:
            # Persist the rotated refresh token (and clear the in-flight mark) before anything
            # uses the new access token.
            self.keychain.save_token(self.company_id, self.provider, StoredToken(
                new_refresh, stored.metadata, access_token=tokens.access_token,
                access_expires_at=tokens.expires_at))
        except KeychainUnavailable as exc:
            # The provider rotated: the token still in the keychain is dead (QBO at once).
            self._mark_reconnect(ReconnectNeeded(
                "The renewed sign-in could not be saved in the system keychain.",
                hint=exc.hint), stored.refresh_token)
            raise
        self._access_token = tokens.access_token
        self._expires_at = tokens.expires_at
        self.store.update_expiry(self.company_id, self.provider,
                                 utc_from_timestamp(tokens.expires_at),
                                 utc_from_timestamp(tokens.refresh_expires_at))
        return tokens.access_token

    def _refresh_request(self, stored: StoredToken) -> TokenSet:
        """Mark the renewal in the keychain (keeping the first mark of an earlier interrupted
        one), then send the refresh."""
        current = self.keychain.load_token(self.company_id, self.provider)
        if current is not None and current.refresh_token != stored.refresh_token:
            # A process of ours that could not take the refresh lock rotated it meanwhile: the
            # mark must not overwrite the successor it saved.
            stored = current
        started = stored.refresh_started_at or self.clock()
        # Raises KeychainUnavailable before anything is sent: never rotate what we cannot save.
        self.keychain.save_token(self.company_id, self.provider, StoredToken(
            stored.refresh_token, stored.metadata, refresh_started_at=started))
        try:
            return self._send_refresh(stored.refresh_token)
        except NoResponse:
            raise  # the provider may have rotated: the mark stays
        except BookkeeperError:
            # A definite answer (or nothing reached the provider): no renewal is in flight, so
            # the mark goes, unless another process of ours saved a new sign-in meanwhile.
            if stored.refresh_started_at is None:
                self._unmark(stored)
            raise

    def _send_refresh(self, refresh_token: str) -> TokenSet:
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

    def _unmark(self, stored: StoredToken) -> None:
        try:
            current = self.keychain.load_token(self.company_id, self.provider)
            if current is not None and current.refresh_token == stored.refresh_token:
                self.keychain.save_token(self.company_id, self.provider, stored)
        except KeychainUnavailable as exc:
            log.warning("The %s renewal mark could not be cleared (%s).",
                        self.provider.display_name, exc.message)

    def _explain(self, error: InvalidGrant, stored: StoredToken) -> ReconnectNeeded:
        """`invalid_grant` for a token whose earlier renewal was interrupted gets the exact
        reason; any other keeps the provider's words."""
        if stored.refresh_started_at is None:
            return error
        return interrupted_renewal(self.provider, stored.refresh_started_at, error.description)

    def _mark_reconnect(self, error: ReconnectNeeded, dead_token: str | None
                        ) -> ReconnectNeeded:
        self._reconnect = error
        self._dead_token = _digest(dead_token) if dead_token is not None else None
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
        # No refresh, here or in another process of ours, may rotate the token while we revoke it.
        with self._lock, self.refresh_lock.hold(f"the {self.provider.display_name} sign-in"):
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
        self._dead_token = _digest(stored.refresh_token) if stored is not None else None
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


def interrupted_renewal(provider: Provider, started_at: float, detail: str = ""
                        ) -> ReconnectNeeded:
    """The message for a sign-in lost to an interrupted renewal (issue #13 §3): the refresh was
    sent at `started_at`, its answer never saved, and the provider now refuses the old token — QBO
    at once (single-use refresh tokens), Xero once its 30-minute grace period is over
    (API_NOTES.md "lifetimes")."""
    title = provider.display_name
    when = dt.datetime.fromtimestamp(started_at, dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M")
    rule = ("accepts each renewal only once" if provider is Provider.QBO
            else "accepts the previous sign-in for only 30 minutes after a renewal")
    return ReconnectNeeded(
        f"{title} no longer accepts this sign-in: its renewal at {when} was interrupted (the app "
        f"was closed or stopped) before the renewed sign-in could be saved, and {title} {rule}"
        + (f" ({detail})" if detail else "") + ".",
        hint=f"Reconnect to {title} to give access again; nothing in your books was lost.")


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
