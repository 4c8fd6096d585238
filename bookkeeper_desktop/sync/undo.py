"""Undo a sync run: everything the run created at QBO or Xero is taken back there, as each kind
allows, and our entries return to "not sent" (issue #12 "A way back").

A run's pushes are the outbox rows it got to the provider (`outbox.run_id`, state "sent"). For
each one it *created*:
- QBO JournalEntry: deleted (`operation: delete` in a batch, with its Id and SyncToken): QBO has
  no void for a journal entry (`payloads.entry_to_qbo_void`), and a delete leaves the company as
  it was before the run;
- Xero ManualJournal: VOIDED when posted, DELETED when a draft (Xero's status rules; the whole
  journal is sent, as its schema requires Narration and lines); Invoice VOIDED (DELETED when a
  draft); BankTransaction and Payment DELETED; payments first, since Xero does not void an
  invoice with a payment applied;
- Xero BankTransfer: DELETED (it cannot be changed, only deleted: xero-python's
  `delete_bank_transfer`).
Updates and voids the run sent are not reverted (the provider keeps no earlier version we could
send back): listed as not undone. `plan_undo` is the preview (no network); `undo_run` does it,
then writes an audit row and marks the run in the sync log. An entry taken back is sent again
by the next sync unless it is changed or its mapping is, which is the point: fix, then sync.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from bookkeeper_desktop.core.errors import RemoteError, ValidationError
from bookkeeper_desktop.core.kinds import JOURNAL_KIND, Kind
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.services.common import default_actor
from bookkeeper_desktop.storage import repositories
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.schema import OutboxRow, RemoteObjectRow, SyncRunRow
from bookkeeper_desktop.storage.types import utc_now
from bookkeeper_desktop.sync import store
from bookkeeper_desktop.sync.clients import QboClient, XeroClient
from bookkeeper_desktop.sync.store import OutboxState
from bookkeeper_desktop.sync.xero_documents import void_body

#: Xero's ManualJournal fields sent back with its new status.
_JOURNAL_FIELDS = ("ManualJournalID", "Narration", "Date", "LineAmountTypes", "JournalLines")


@dataclass(frozen=True)
class UndoItem:
    outbox_id: int
    entry_id: int
    entry_label: str
    kind: str
    remote_id: str
    #: "delete", "void", or "" when it cannot be undone (then `why` says so).
    action: str
    why: str = ""


@dataclass(frozen=True)
class UndoPlan:
    run_id: int
    provider: str
    items: tuple[UndoItem, ...]

    @property
    def doable(self) -> list[UndoItem]:
        return [i for i in self.items if i.action]

    @property
    def not_doable(self) -> list[UndoItem]:
        return [i for i in self.items if not i.action]

    def describe(self) -> list[str]:
        """The preview, a line an item: "JE-7 (journal entry): delete in QuickBooks Online"."""
        name = "QuickBooks Online" if self.provider == "qbo" else "Xero"
        return [f"{i.entry_label} ({Kind(i.kind).label}): "
                + (f"{i.action} in {name}" if i.action else f"not undone — {i.why}")
                for i in self.items]


@dataclass
class UndoResult:
    run_id: int
    undone: int = 0
    failed: list[str] = field(default_factory=list)
    not_undone: list[str] = field(default_factory=list)


def plan_undo(db: Database, company_id: int, run_id: int) -> UndoPlan:
    """What undoing sync run `run_id` would do (nothing is changed)."""
    with db.read_session() as session:
        run = session.get(SyncRunRow, run_id)
        if run is None or run.company_id != company_id:
            raise ValidationError(f"There is no sync run #{run_id} for this company.")
        if (run.details or {}).get("undone_at"):
            raise ValidationError(f"Sync run #{run_id} was already undone.")
        provider = run.provider
        rows = list(session.execute(select(OutboxRow).where(
            OutboxRow.company_id == company_id, OutboxRow.provider == provider,
            OutboxRow.run_id == run_id, OutboxRow.state == OutboxState.SENT,
            OutboxRow.entry_id.is_not(None)).order_by(OutboxRow.id)).scalars())
        entries = repositories.load_entries(session, company_id,
                                            [r.entry_id for r in rows if r.entry_id])
        items = []
        for row in rows:
            assert row.entry_id is not None
            kind = row.object_type or JOURNAL_KIND[provider].value
            entry = entries.get(row.entry_id)
            label = entry.label if entry is not None else f"entry #{row.entry_id}"
            action, why = _action(provider, kind, row.operation)
            items.append(UndoItem(row.id, row.entry_id, label, kind, row.remote_id or "",
                                  action, why))
    # Payments before the invoices they settle.
    items.sort(key=lambda i: i.kind != Kind.PAYMENT)
    return UndoPlan(run_id, provider, tuple(items))


def _action(provider: str, kind: str, operation: str) -> tuple[str, str]:
    if operation != "create":
        return "", "a change to something already there is not reverted (the provider keeps " \
                   "no earlier version to send back)"
    if provider == "qbo":
        return "delete", ""
    if kind in (Kind.MANUAL_JOURNAL, Kind.INVOICE):
        return "void", ""
    return "delete", ""


def undo_run(db: Database, company_id: int, plan: UndoPlan, client: QboClient | XeroClient,
             *, progress: Progress | None = None, actor: str | None = None) -> UndoResult:
    """Take back at the provider what `plan` lists, then mark our entries not sent."""
    progress = progress or Progress()
    result = UndoResult(plan.run_id, not_undone=[
        line for line, item in zip(plan.describe(), plan.items, strict=True) if not item.action])
    todo = plan.doable
    progress.phase("Undoing the sync", len(todo))
    for done, item in enumerate(todo, start=1):
        progress.check_cancelled()
        try:
            _take_back(db, company_id, plan.provider, item, client=client, progress=progress)
        except RemoteError as exc:
            if exc.status not in (400, 404, 422):
                raise
            result.failed.append(f"{item.entry_label}: {exc.message}")
            continue
        _mark_not_sent(db, company_id, plan, item)
        result.undone += 1
        progress.report(done, len(todo))
    with db.session() as session:
        run = session.get(SyncRunRow, plan.run_id)
        if run is not None:
            run.details = {**(run.details or {}), "undone_at": utc_now().isoformat(),
                           "undone": result.undone, "undo_failed": result.failed}
        repositories.add_audit(session, company_id, actor or default_actor(), "undo_sync",
                               obj=("sync_run", plan.run_id),
                               details={"provider": plan.provider, "undone": result.undone,
                                        "failed": result.failed,
                                        "not_undone": result.not_undone})
    return result


def _remote(db: Database, company_id: int, provider: str, item: UndoItem) -> dict[str, Any]:
    with db.read_session() as session:
        row = store.remote_object(session, company_id, provider, item.kind, item.remote_id)
        return {k: v for k, v in (row.payload or {}).items() if k != store.META} if row else {}


def _take_back(db: Database, company_id: int, provider: str, item: UndoItem, *,
               client: QboClient | XeroClient, progress: Progress) -> None:
    remote = _remote(db, company_id, provider, item)
    key = hashlib.sha256(f"undo|{item.outbox_id}|{item.remote_id}".encode()).hexdigest()[:32]
    if isinstance(client, QboClient):
        current = client.get(item.kind, item.remote_id, progress=progress) or remote
        answers = client.batch([{"bId": "u0", "operation": "delete", item.kind: {
            "Id": item.remote_id, "SyncToken": str(current.get("SyncToken", "0"))}}],
            request_id=key, progress=progress)
        fault = (answers[0] if answers else {}).get("Fault")
        if fault:
            error = (fault.get("Error") or [{}])[0]
            raise RemoteError(str(error.get("Detail") or error.get("Message") or "refused"),
                              status=400)
        return
    status = str(remote.get("Status") or "")
    if item.kind == Kind.MANUAL_JOURNAL:
        body: dict[str, Any] | None = {k: remote[k] for k in _JOURNAL_FIELDS if k in remote}
        assert body is not None
        body["ManualJournalID"] = item.remote_id
        body["Status"] = "DELETED" if status.upper() == "DRAFT" else "VOIDED"
    else:
        body = void_body(item.kind, item.remote_id, status)
    assert body is not None
    [answer] = client.save(item.kind, [body], key=key, progress=progress, void=True)
    messages = [str(v.get("Message")) for v in answer.get("ValidationErrors") or []]
    if messages or str(answer.get("StatusAttributeString") or "").upper() == "ERROR":
        raise RemoteError("; ".join(messages) or "Xero did not take it back", status=400)


def _mark_not_sent(db: Database, company_id: int, plan: UndoPlan, item: UndoItem) -> None:
    with db.session() as session:
        entry = repositories.entry_row(session, company_id, item.entry_id)
        if entry is not None:
            if plan.provider == "qbo":
                entry.qbo_id = entry.qbo_sync_token = entry.qbo_kind = None
            else:
                entry.xero_id = entry.xero_kind = None
            entry.remote_deleted = False
        for row in session.execute(select(RemoteObjectRow).where(
                RemoteObjectRow.company_id == company_id,
                RemoteObjectRow.provider == plan.provider,
                RemoteObjectRow.object_type == item.kind,
                RemoteObjectRow.remote_id == item.remote_id)).scalars():
            row.deleted, row.entry_id = True, None
        outbox = session.get(OutboxRow, item.outbox_id)
        if outbox is not None:
            outbox.state = OutboxState.DONE
            outbox.last_error = f"Taken back by undoing sync run #{plan.run_id}."
            # The same content sent again must get a new request id: the provider would
            # otherwise replay its first answer, the object just taken back (API_NOTES
            # "idempotency"; `push._batch_key`).
            outbox.refusals = (outbox.refusals or 0) + 1
        repositories.add_audit(session, company_id, "sync", "undo_push",
                               obj=("entry", item.entry_id),
                               details={"provider": plan.provider, "kind": item.kind,
                                        "remote_id": item.remote_id, "run": plan.run_id})
