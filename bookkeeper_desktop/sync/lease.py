"""One sync at a time per company and provider, across processes: the app's auto-sync and a
scheduled `bookkeeper sync` (or two app windows on a shared PostgreSQL database) must never push
the same entries at once.

The lease is a row of `integration_settings` (key `sync_lease`): who holds it (host, process id,
a random token) and until when. Taking it is one write transaction (SQLite serialises writers;
PostgreSQL locks the row with `FOR UPDATE`). A lease is free when it is expired, or when its holder
was a process on this computer that no longer exists (a sync killed mid-run must not block the
next one for the lease's lifetime; POSIX only: elsewhere the expiry decides). The holder renews it
at safe points and gives it back at the end.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import uuid
from typing import Any

from sqlalchemy import select

from bookkeeper_desktop.core.errors import BookkeeperError
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.schema import IntegrationSettingRow
from bookkeeper_desktop.storage.types import utc_now

LEASE_KEY = "sync_lease"
LEASE_TIME = dt.timedelta(minutes=10)
RENEW_EVERY = dt.timedelta(minutes=1)


class SyncBusy(BookkeeperError):
    """Another process is syncing this company with this provider right now."""


def _alive_here(holder: dict[str, Any]) -> bool:
    """False when the holder was a process on this computer that has gone."""
    if os.name != "posix" or holder.get("host") != socket.gethostname():
        return True
    try:
        os.kill(int(holder.get("pid", 0)), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError, OverflowError):
        return True
    return True


class Lease:
    def __init__(self, db: Database, company_id: int, provider: str) -> None:
        self.db = db
        self.company_id = company_id
        self.provider = provider
        self.token = uuid.uuid4().hex
        self._renewed = utc_now()

    def _row(self, session: Any) -> IntegrationSettingRow | None:
        query = select(IntegrationSettingRow).where(
            IntegrationSettingRow.company_id == self.company_id,
            IntegrationSettingRow.provider == self.provider,
            IntegrationSettingRow.key == LEASE_KEY)
        if not self.db.is_sqlite:
            query = query.with_for_update()
        row: IntegrationSettingRow | None = session.execute(query).scalar_one_or_none()
        return row

    def _value(self) -> str:
        return json.dumps({"token": self.token, "host": socket.gethostname(), "pid": os.getpid(),
                           "expires": (utc_now() + LEASE_TIME).isoformat()})

    def take(self) -> None:
        """Hold the lease, or `SyncBusy` naming who has it."""
        with self.db.session() as session:
            row = self._row(session)
            if row is not None and row.value:
                try:
                    holder: dict[str, Any] = json.loads(row.value)
                    expires = dt.datetime.fromisoformat(str(holder["expires"]))
                except (ValueError, KeyError, TypeError):
                    holder, expires = {}, utc_now()
                if expires > utc_now() and _alive_here(holder) and \
                        holder.get("token") != self.token:
                    raise SyncBusy(
                        "Another sync of this company is running "
                        f"(on {holder.get('host', 'another computer')}, process "
                        f"{holder.get('pid', '?')}).",
                        hint="It finishes by itself; sync again afterwards.")
            if row is None:
                row = IntegrationSettingRow(company_id=self.company_id, provider=self.provider,
                                            key=LEASE_KEY)
                session.add(row)
            row.value = self._value()
        self._renewed = utc_now()

    def renew(self) -> None:
        """Push the expiry on (at most once a minute)."""
        if utc_now() - self._renewed < RENEW_EVERY:
            return
        with self.db.session() as session:
            row = self._row(session)
            if row is not None and self.token in (row.value or ""):
                row.value = self._value()
        self._renewed = utc_now()

    def release(self) -> None:
        with self.db.session() as session:
            row = self._row(session)
            if row is not None and self.token in (row.value or ""):
                row.value = ""
