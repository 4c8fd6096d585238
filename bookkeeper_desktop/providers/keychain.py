"""Secrets in the OS keychain through keyring, and nowhere else.

Tokens: one entry per company and provider, service `bookkeeper-desktop`, username
`company-<id>/<provider>` (PRODUCT.md §3). The entry holds the refresh token, the current access
token with its expiry, a "renewal in flight" mark and a little non-secret metadata (e.g. the Xero
connection id); never the id_token or anything else of the token answer.

Why the access token too (issue #13 §3): a process that starts within the access token's hour
(every `bookkeeper sync` run) then needs no refresh at all, and a refresh is the one moment when a
crash can lose a sign-in (QBO refresh tokens are single-use, API_NOTES.md "lifetimes"). The mark
(`refresh_started_at`) is saved before a refresh request is sent and cleared with the rotated token,
so a later start that meets `invalid_grant` knows a renewal was interrupted and says so.

Size (API_NOTES.md "keyring"): Windows Credential Manager holds at most 2,560 bytes = 1,280 UTF-16
characters per entry (keyring #355, #540: error 1783 beyond that), and Xero's JWT access token
alone is over 1 KB. A value longer than `ENTRY_LIMIT` characters is split across numbered entries
rather than failing:

    company-7/xero            "bookkeeper-split:v1:<generation>:<parts>:<sha256 of the value>"
    company-7/xero#<gen>.1    first ENTRY_LIMIT characters
    company-7/xero#<gen>.2    …

New parts are written under a fresh generation first and the header last, then the previous
generation's parts are deleted, so an interrupted save leaves the old value readable. A header whose
parts are missing or do not match the checksum reads as no token (`KeychainCorrupt`).

Client secrets: one entry per provider, username `client-secret/<provider>`.

No keychain (Linux without a Secret Service, keyring's `fail.Keyring`, a locked or unreachable
service): every operation raises `KeychainUnavailable` with what to do. We never fall back to a
plaintext file (keyrings.alt's file backends are refused), so there is no connection without one.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

from bookkeeper_desktop.core.errors import KeychainUnavailable, ReconnectNeeded
from bookkeeper_desktop.providers.config import Provider

SERVICE = "bookkeeper-desktop"
#: Environment variable naming another keychain service (the demo uses its own).
SERVICE_ENV = "BOOKKEEPER_KEYCHAIN_SERVICE"
#: Windows Credential Manager's limit in characters (2,560 bytes of UTF-16).
ENTRY_LIMIT = 1_280
SPLIT_PREFIX = "bookkeeper-split:v1:"
FORMAT_VERSION = 1

#: Backends that would keep secrets in a plain or app-encrypted file, or nowhere.
_REFUSED_BACKENDS = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")

T = TypeVar("T")


class KeychainCorrupt(ReconnectNeeded):
    """The stored entry cannot be read back (missing parts, bad checksum, not our format)."""


@dataclass(frozen=True)
class StoredToken:
    """What one keychain entry holds: the refresh token, the access token with its expiry (POSIX
    seconds) when we have one, when a refresh of `refresh_token` was sent and its answer not yet
    saved (`refresh_started_at`, POSIX seconds; None: no renewal in flight), and small non-secret
    metadata."""

    refresh_token: str
    metadata: Mapping[str, Any] = field(default_factory=dict)
    access_token: str | None = None
    access_expires_at: float | None = None
    refresh_started_at: float | None = None

    def __repr__(self) -> str:
        access = f"<{len(self.access_token)} chars>" if self.access_token else None
        return f"StoredToken(refresh_token=<{len(self.refresh_token)} chars>, " \
               f"access_token={access}, refresh_started_at={self.refresh_started_at!r}, " \
               f"metadata={dict(self.metadata)!r})"

    def access_token_valid_at(self, moment: float) -> str | None:
        """The stored access token if it is still valid at `moment`, else None."""
        if self.access_token and self.access_expires_at is not None \
                and moment < self.access_expires_at:
            return self.access_token
        return None


def token_username(company_id: int, provider: Provider) -> str:
    return f"company-{company_id}/{provider.value}"


def secret_username(provider: Provider) -> str:
    return f"client-secret/{provider.value}"


_NO_KEYCHAIN_HINT = (
    "Bookkeeper Desktop keeps sign-in tokens only in the system keychain. On Linux, install and "
    "unlock a Secret Service (GNOME Keyring or KWallet) in your desktop session; on Windows and "
    "macOS the keychain is built in. Nothing was saved to a file."
)


def _unavailable(what: str, exc: BaseException | None = None) -> KeychainUnavailable:
    detail = f" ({type(exc).__name__}: {exc})" if exc is not None else ""
    return KeychainUnavailable(f"The system keychain is not available, so {what}.{detail}",
                               hint=_NO_KEYCHAIN_HINT)


class Keychain:
    """The app's entries in one keyring backend. Thread-safe as far as the backend is.

    `backend=None` uses the OS keychain keyring picks (`keyring.get_keyring()`), resolved on first
    use so constructing a `Keychain` never touches D-Bus. Tests pass a backend object.
    """

    def __init__(self, backend: KeyringBackend | None = None, *, service: str | None = None,
                 entry_limit: int = ENTRY_LIMIT) -> None:
        self._backend = backend
        # `--demo` sets SERVICE_ENV so demo tokens never replace a real connection's entry.
        self.service = service or os.environ.get(SERVICE_ENV) or SERVICE
        self.entry_limit = entry_limit

    # -- backend access with every failure turned into KeychainUnavailable ------------------------
    def backend(self) -> KeyringBackend:
        if self._backend is None:
            chosen = keyring.get_keyring()
            _refuse_plaintext(chosen)
            self._backend = chosen
        return self._backend

    def _call(self, what: str, operation: Callable[[KeyringBackend], T]) -> T:
        try:
            return operation(self.backend())
        except KeychainUnavailable:
            raise
        except keyring.errors.PasswordDeleteError:
            raise
        except Exception as exc:
            # Any failure of the OS keychain (NoKeyringError, KeyringLocked, InitError, a D-Bus
            # error from SecretStorage, Windows error 1783) means we cannot keep the secret safely.
            raise _unavailable(what, exc) from exc

    def _get(self, username: str, what: str) -> str | None:
        value: str | None = self._call(what, lambda b: b.get_password(self.service, username))
        return value

    def _set(self, username: str, value: str, what: str) -> None:
        self._call(what, lambda b: b.set_password(self.service, username, value))

    def _delete(self, username: str, what: str) -> bool:
        try:
            self._call(what, lambda b: b.delete_password(self.service, username))
        except keyring.errors.PasswordDeleteError:
            return False
        return True

    def check(self) -> None:
        """Raise `KeychainUnavailable` unless the keychain answers (a read of a missing entry)."""
        self._get("availability-check", "tokens cannot be kept")

    # -- large values split across entries --------------------------------------------------------
    def _write(self, username: str, value: str, what: str) -> None:
        old_header = self._get(username, what)
        if len(value) <= self.entry_limit:
            self._set(username, value, what)
        else:
            generation = secrets.token_hex(4)
            size = self.entry_limit
            parts = [value[i:i + size] for i in range(0, len(value), size)]
            for number, part in enumerate(parts, start=1):
                self._set(f"{username}#{generation}.{number}", part, what)
            digest = hashlib.sha256(value.encode("utf-8")).hexdigest()
            self._set(username, f"{SPLIT_PREFIX}{generation}:{len(parts)}:{digest}", what)
        if old_header is not None:
            self._delete_parts(username, old_header, what)

    def _read(self, username: str, what: str) -> str | None:
        stored = self._get(username, what)
        if stored is None or not stored.startswith(SPLIT_PREFIX):
            return stored
        try:
            generation, count_text, digest = stored[len(SPLIT_PREFIX):].split(":")
            count = int(count_text)
        except ValueError:
            raise KeychainCorrupt(f"The keychain entry {username} is damaged.",
                                  hint="Connect again to replace it.") from None
        pieces: list[str] = []
        for number in range(1, count + 1):
            piece = self._get(f"{username}#{generation}.{number}", what)
            if piece is None:
                raise KeychainCorrupt(
                    f"Part {number} of {count} of the keychain entry {username} is missing.",
                    hint="Connect again to replace it.")
            pieces.append(piece)
        value = "".join(pieces)
        if hashlib.sha256(value.encode("utf-8")).hexdigest() != digest:
            raise KeychainCorrupt(f"The keychain entry {username} does not match its checksum.",
                                  hint="Connect again to replace it.")
        return value

    def _delete_parts(self, username: str, header: str, what: str) -> None:
        if not header.startswith(SPLIT_PREFIX):
            return
        try:
            generation, count_text, _ = header[len(SPLIT_PREFIX):].split(":")
            count = int(count_text)
        except ValueError:
            return
        for number in range(1, count + 1):
            self._delete(f"{username}#{generation}.{number}", what)

    def _remove(self, username: str, what: str) -> bool:
        header = self._get(username, what)
        if header is None:
            return False
        self._delete(username, what)
        self._delete_parts(username, header, what)
        return True

    # -- tokens -----------------------------------------------------------------------------------
    def save_token(self, company_id: int, provider: Provider, token: StoredToken) -> None:
        if not token.refresh_token:
            raise ValueError("A refresh token is required")
        data: dict[str, Any] = {"v": FORMAT_VERSION, "refresh_token": token.refresh_token,
                                "meta": dict(token.metadata)}
        if token.access_token and token.access_expires_at is not None:
            data |= {"access_token": token.access_token,
                     "access_expires_at": token.access_expires_at}
        if token.refresh_started_at is not None:
            data["refresh_started_at"] = token.refresh_started_at
        value = json.dumps(data, separators=(",", ":"))
        self._write(token_username(company_id, provider), value,
                    f"the {provider.display_name} sign-in cannot be saved")

    def load_token(self, company_id: int, provider: Provider) -> StoredToken | None:
        username = token_username(company_id, provider)
        raw = self._read(username, f"the {provider.display_name} sign-in cannot be read")
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            token = str(data["refresh_token"])
            meta = data.get("meta") or {}
            access = data.get("access_token")
            expires = data.get("access_expires_at")
            started = data.get("refresh_started_at")
            stored = StoredToken(
                token, meta if isinstance(meta, dict) else {},
                access_token=str(access) if access and expires is not None else None,
                access_expires_at=float(expires) if access and expires is not None else None,
                refresh_started_at=float(started) if started is not None else None)
        except (ValueError, KeyError, TypeError):
            raise KeychainCorrupt(f"The keychain entry {username} is not in a format we know.",
                                  hint="Connect again to replace it.") from None
        return stored

    def delete_token(self, company_id: int, provider: Provider) -> bool:
        """Remove the entry and any split parts; False when there was none."""
        return self._remove(token_username(company_id, provider),
                            f"the {provider.display_name} sign-in cannot be removed")

    # -- client secrets ---------------------------------------------------------------------------
    def save_client_secret(self, provider: Provider, secret: str) -> None:
        self._write(secret_username(provider), secret,
                    f"the {provider.display_name} client secret cannot be saved")

    def client_secret(self, provider: Provider) -> str | None:
        return self._read(secret_username(provider),
                          f"the {provider.display_name} client secret cannot be read")

    def delete_client_secret(self, provider: Provider) -> bool:
        return self._remove(secret_username(provider),
                            f"the {provider.display_name} client secret cannot be removed")


def _refuse_plaintext(backend: KeyringBackend) -> None:
    """keyring falls back to `fail.Keyring` (or a user-configured keyrings.alt file) when no OS
    keychain exists; we refuse those rather than write secrets to a file (API_NOTES.md)."""
    candidates = list(getattr(backend, "backends", None) or [backend])
    usable = [b for b in candidates
              if not type(b).__module__.startswith(_REFUSED_BACKENDS)]
    if not usable:
        name = f"{type(backend).__module__}.{type(backend).__name__}"
        raise KeychainUnavailable(
            f"The system keychain is not available (keyring found only {name}).",
            hint=_NO_KEYCHAIN_HINT,
        )
