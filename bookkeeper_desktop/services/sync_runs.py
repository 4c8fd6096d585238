"""The sync log (PRODUCT.md §1): every sync run with direction, counts, errors and duration.

The sync engine calls `start_run` before it begins and `finish_run` when it ends (whatever the
outcome); the Integrations card and `bookkeeper status` read `list_runs` / `last_run`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import select

from bookkeeper_desktop.core.errors import NotFound, ValidationError
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.schema import SyncRunRow
from bookkeeper_desktop.storage.types import utc_now


class RunStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    #: The run went through, but entries were left unsent (not mapped, stopped before sending,
    #: refused, in conflict, waiting to retry) or it met problems: someone has work to do.
    NEEDS_ATTENTION = "attention"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        """The status in words, as the card, the sync log and the CLI say it."""
        return "needs attention" if self is RunStatus.NEEDS_ATTENTION else self.value


DIRECTIONS = ("pull", "push", "both")
#: The direction of an undo's own line in the log (`sync.undo` writes it, never `start_run`:
#: an undo is not a sync, and it pulls and pushes nothing of its own).
UNDO = "undo"


@dataclass(frozen=True)
class SyncRun:
    id: int
    company_id: int
    provider: str
    direction: str
    status: RunStatus
    started_at: dt.datetime
    finished_at: dt.datetime | None
    pulled: int = 0
    pushed: int = 0
    conflicts: int = 0
    error_count: int = 0
    message: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def duration(self) -> dt.timedelta | None:
        return self.finished_at - self.started_at if self.finished_at else None


def _of(row: SyncRunRow) -> SyncRun:
    return SyncRun(
        id=row.id, company_id=row.company_id, provider=row.provider, direction=row.direction,
        status=RunStatus(row.status), started_at=row.started_at, finished_at=row.finished_at,
        pulled=row.pulled, pushed=row.pushed, conflicts=row.conflicts,
        error_count=row.error_count, message=row.message, details=dict(row.details or {}),
    )


def start_run(db: Database, company_id: int, provider: str, direction: str) -> SyncRun:
    problems = []
    if provider not in ("qbo", "xero"):
        problems.append(f"Unknown provider '{provider}'.")
    if direction not in DIRECTIONS:
        problems.append(f"Unknown direction '{direction}' (pull, push or both).")
    if problems:
        raise ValidationError("The sync run cannot be recorded.", problems)
    with db.session() as session:
        row = SyncRunRow(company_id=company_id, provider=provider, direction=direction,
                         status=RunStatus.RUNNING.value, started_at=utc_now())
        session.add(row)
        session.flush()
        return _of(row)


def finish_run(
    db: Database, run_id: int, status: RunStatus, *, pulled: int = 0, pushed: int = 0,
    conflicts: int = 0, error_count: int = 0, message: str = "",
    details: Mapping[str, Any] | None = None,
) -> SyncRun:
    if status is RunStatus.RUNNING:
        raise ValidationError("A finished run needs a final status.")
    with db.session() as session:
        row = session.get(SyncRunRow, run_id)
        if row is None:
            raise NotFound(f"There is no sync run #{run_id}.")
        row.status = status.value
        row.finished_at = utc_now()
        row.pulled, row.pushed, row.conflicts = pulled, pushed, conflicts
        row.error_count, row.message = error_count, message
        row.details = dict(details or {})
        session.flush()
        return _of(row)


def list_runs(db: Database, company_id: int, *, provider: str | None = None,
              limit: int = 50) -> list[SyncRun]:
    """Newest first."""
    query = select(SyncRunRow).where(SyncRunRow.company_id == company_id)
    if provider is not None:
        query = query.where(SyncRunRow.provider == provider)
    query = query.order_by(SyncRunRow.started_at.desc(), SyncRunRow.id.desc()).limit(limit)
    with db.read_session() as session:
        return [_of(row) for row in session.execute(query).scalars()]


def last_run(db: Database, company_id: int, provider: str) -> SyncRun | None:
    runs = list_runs(db, company_id, provider=provider, limit=1)
    return runs[0] if runs else None
