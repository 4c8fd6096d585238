"""Undo a sync run, for the GUI and the command line alike (`sync.undo` does the work): the
preview reads our database first (no such run, already undone: refused before any network
call), then each object at the provider; the undo itself opens its own client unless given one.
`client_options` are `services.sync.open_client`'s (keychain, env, settings, managers)."""

from __future__ import annotations

from typing import Any

from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.services.sync import open_client
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.sync.clients import QboClient, XeroClient
from bookkeeper_desktop.sync.undo import plan_undo, undo_run
from bookkeeper_desktop.sync.undo_plan import UndoPlan, UndoResult


def preview_undo(db: Database, company_id: int, run_id: int, *,
                 progress: Progress | None = None,
                 client: QboClient | XeroClient | None = None,
                 **client_options: Any) -> UndoPlan:
    """What undoing run `run_id` would do, checked at the provider (nothing is changed)."""
    plan = plan_undo(db, company_id, run_id)
    if not plan.doable:
        return plan
    api = client or open_client(db, company_id, plan.provider, **client_options)
    try:
        return plan_undo(db, company_id, run_id, api, progress=progress)
    finally:
        if client is None:
            api.close()


def undo_sync(db: Database, company_id: int, plan: UndoPlan, *,
              progress: Progress | None = None, client: QboClient | XeroClient | None = None,
              actor: str | None = None, **client_options: Any) -> UndoResult:
    """Carry out `plan` (the preview the user confirmed)."""
    api = client or open_client(db, company_id, plan.provider, **client_options)
    try:
        return undo_run(db, company_id, plan, api, progress=progress, actor=actor)
    finally:
        if client is None:
            api.close()
