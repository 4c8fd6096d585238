"""What the providers layer needs to remember about a connection outside the keychain, and the
small interface through which it does so.

A `Connection` is metadata only (PRODUCT.md §3): provider, realm/tenant id, the remote company's
name, scopes, token expiry times, status and why. Never a token. The storage layer keeps it in the
`connections` table (`services.connection_store.DatabaseConnectionStore`); tests and the sandbox
demo can use `MemoryConnectionStore`. Status values are the storage layer's
(`storage.records.ConnectionStatus`): connected, needs_attention, disconnected.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Protocol

from bookkeeper_desktop.providers.config import Provider


class ConnectionState(StrEnum):
    CONNECTED = "connected"
    NEEDS_ATTENTION = "needs_attention"
    DISCONNECTED = "disconnected"


@dataclass(frozen=True)
class Connection:
    """A company's link to one QBO realm or Xero tenant (organisation)."""

    provider: Provider
    tenant_id: str
    company_name: str
    scopes: tuple[str, ...] = ()
    access_expires_at: dt.datetime | None = None
    refresh_expires_at: dt.datetime | None = None
    status: ConnectionState = ConnectionState.CONNECTED
    reason: str = ""
    is_sandbox: bool = False


def utc_from_timestamp(seconds: float | None) -> dt.datetime | None:
    return None if seconds is None else dt.datetime.fromtimestamp(seconds, dt.UTC)


class ConnectionStore(Protocol):
    """Where connection metadata lives. Implementations must be thread-safe."""

    def get(self, company_id: int, provider: Provider) -> Connection | None: ...

    def save(self, company_id: int, connection: Connection) -> None:
        """Create or replace the company's connection to `connection.provider`."""

    def set_status(self, company_id: int, provider: Provider, status: ConnectionState,
                   reason: str = "") -> None:
        """Mark the connection (no-op when there is none)."""

    def update_expiry(self, company_id: int, provider: Provider,
                      access_expires_at: dt.datetime | None,
                      refresh_expires_at: dt.datetime | None) -> None:
        """Record new token expiry times after a refresh (no-op when there is none)."""


class MemoryConnectionStore:
    """`ConnectionStore` in a dict, for tests and the command line's sandbox runs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[tuple[int, Provider], Connection] = {}
        #: Every status change, in order: (company_id, provider, status, reason).
        self.history: list[tuple[int, Provider, ConnectionState, str]] = []

    def get(self, company_id: int, provider: Provider) -> Connection | None:
        with self._lock:
            return self._rows.get((company_id, provider))

    def save(self, company_id: int, connection: Connection) -> None:
        with self._lock:
            self._rows[(company_id, connection.provider)] = connection
            self.history.append((company_id, connection.provider, connection.status,
                                 connection.reason))

    def set_status(self, company_id: int, provider: Provider, status: ConnectionState,
                   reason: str = "") -> None:
        with self._lock:
            current = self._rows.get((company_id, provider))
            if current is None:
                return
            self._rows[(company_id, provider)] = replace(current, status=status, reason=reason)
            self.history.append((company_id, provider, status, reason))

    def update_expiry(self, company_id: int, provider: Provider,
                      access_expires_at: dt.datetime | None,
                      refresh_expires_at: dt.datetime | None) -> None:
        with self._lock:
            current = self._rows.get((company_id, provider))
            if current is None:
                return
            self._rows[(company_id, provider)] = replace(
                current, access_expires_at=access_expires_at,
                refresh_expires_at=refresh_expires_at or current.refresh_expires_at)
