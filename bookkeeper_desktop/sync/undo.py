"""Undo a sync run: what the run created at QBO or Xero is taken back there, what it changed is
sent back as it was, as each kind allows, and our entries return to "not sent" or "changed
since sent" (issue #12 "A way back").

A run's pushes are the outbox rows it got to the provider (`outbox.run_id`, state "sent").
**Created** by the run:
- QBO JournalEntry: deleted (`operation: delete` in a batch, with its Id and SyncToken): QBO has
  no void for a journal entry (`payloads.entry_to_qbo_void`), and a delete leaves the company as
  it was before the run;
- Xero ManualJournal: VOIDED when posted, DELETED when a draft (`xero_documents.
  journal_void_body`); Invoice VOIDED (DELETED when a draft); BankTransaction, Payment and
  BankTransfer DELETED (`xero_documents.void_body`); payments first, since Xero does not void an
  invoice with a payment applied.

**Changed** by the run (an update, or a QBO void, which is an update): the version we held before
the run (`outbox.before_image`, kept when the update was recorded: `store.keep_before_image`) is
sent back as a full update:
- QBO JournalEntry: a full update (`sparse: false`) with the current SyncToken (API_NOTES
  "concurrency");
- Xero ManualJournal: POST with its ManualJournalID and the earlier narration, date and lines
  (Xero's OpenAPI, XeroAPI/Xero-OpenAPI `xero_accounting.yaml`, operation `updateManualJournal`:
  POST /ManualJournals/{ManualJournalID}; a POSTED journal may be edited, Xero reversing and
  re-posting it, as our sandbox does: `sandbox.xero_books.save_manual_journal`). Note that
  Xero's own MCP server documents its tool for drafts only ("Only works on draft manual
  journals", XeroAPI/xero-mcp-server `update-manual-journal`): if real Xero refuses a posted
  one, the refusal is listed with Xero's words and the rest is still undone;
- Xero BankTransaction and Invoice: POST with their id (operations `updateBankTransaction`,
  `updateInvoice` of the same OpenAPI document), not for a reconciled bank transaction nor an
  invoice with a payment applied (Xero's screens refuse those edits until the reconciliation or
  payment is removed; our notes hold no API quote for it, so the words are ours). Our sandbox
  changes only the Status of an existing bank transaction or invoice, so a push never updates
  one there and these reverts are not exercised against it;
- Payments and bank transfers are never updated by a push (Xero cannot change them), and a Xero
  void cannot be taken back (VOIDED is final: API_NOTES "statuses").
Our entry keeps the user's current text; its copy of the remote object becomes the earlier one,
so the Ledger shows it "changed since sent" and the next Sync Now sends the change again.

Not undone, and said why: an object changed at the provider since the run (its SyncToken /
UpdatedDateUTC differs from what the run left: sending ours would lose that change), an entry a
later run sent again (undo that run first), an update sent before before-images were kept.

`plan_undo` is the preview: without a client it reads only our database; with one it also asks
the provider for each object's current version (in a job: it is a network read). `undo_run`
does it, then writes an audit row and marks the run in the sync log; a run with items the
provider refused stays open, so undoing it again retries those and nothing twice (what is done
is no longer "sent" in the outbox).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from bookkeeper_desktop.core.errors import RemoteError, ValidationError
from bookkeeper_desktop.core.journal import JournalEntry
from bookkeeper_desktop.core.kinds import JOURNAL_KIND, Kind
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.providers.config import Provider
from bookkeeper_desktop.services import sync_runs
from bookkeeper_desktop.services.common import default_actor
from bookkeeper_desktop.storage import repositories
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.schema import OutboxRow, RemoteObjectRow, SyncRunRow
from bookkeeper_desktop.storage.types import utc_now
from bookkeeper_desktop.sync import store
from bookkeeper_desktop.sync.clients import QboClient, XeroClient
from bookkeeper_desktop.sync.lease import Lease
from bookkeeper_desktop.sync.remote_entries import updated_at_of, version_of
from bookkeeper_desktop.sync.store import OutboxState
from bookkeeper_desktop.sync.undo_bodies import provider_kind_name, revert_blocker, revert_body
from bookkeeper_desktop.sync.undo_plan import (
    DELETE,
    REVERT,
    VOID,
    UndoItem,
    UndoPlan,
    UndoResult,
)
from bookkeeper_desktop.sync.xero_documents import journal_void_body, void_body


def plan_undo(db: Database, company_id: int, run_id: int,
              client: QboClient | XeroClient | None = None, *,
              progress: Progress | None = None) -> UndoPlan:
    """What undoing sync run `run_id` would do (nothing is changed). With `client`, each object
    is read at the provider: one changed there since the run is not undone."""
    with db.read_session() as session:
        run = session.get(SyncRunRow, run_id)
        if run is None or run.company_id != company_id:
            raise ValidationError(f"There is no sync run #{run_id} for this company.")
        if (run.details or {}).get("undone_at"):
            raise ValidationError(f"Sync run #{run_id} was already undone (on "
                                  f"{str(run.details['undone_at'])[:16].replace('T', ' ')} "
                                  "UTC): there is nothing left to take back.")
        provider = run.provider
        rows = list(session.execute(select(OutboxRow).where(
            OutboxRow.company_id == company_id, OutboxRow.provider == provider,
            OutboxRow.run_id == run_id, OutboxRow.state == OutboxState.SENT,
            OutboxRow.entry_id.is_not(None)).order_by(OutboxRow.id)).scalars())
        entry_ids = [r.entry_id for r in rows if r.entry_id]
        entries = repositories.load_entries(session, company_id, entry_ids)
        later = _later_runs(session, company_id, provider, run_id, entry_ids)
        items = []
        for row in rows:
            assert row.entry_id is not None
            kind = row.object_type or JOURNAL_KIND[provider].value
            remote = store.remote_object(session, company_id, provider, kind,
                                         row.remote_id or "")
            payload = dict(remote.payload or {}) if remote is not None else {}
            items.append(_item(provider, row, kind, entry=entries.get(row.entry_id),
                               payload=payload,
                               version=remote.version if remote is not None else None,
                               later_run=later.get(row.entry_id)))
    # Payments before the invoices they settle.
    items.sort(key=lambda i: i.kind != Kind.PAYMENT)
    if client is not None:
        items = _check_remotely(provider, items, client, progress or Progress())
    return UndoPlan(run_id, provider, tuple(items), checked_remotely=client is not None)


def _later_runs(session: Any, company_id: int, provider: str, run_id: int,
                entry_ids: list[int]) -> dict[int, int]:
    """Entry id → a later run that sent it again (its push would be lost by undoing ours)."""
    found: dict[int, int] = {}
    for start in range(0, len(entry_ids), 500):
        for entry_id, later_run in session.execute(select(OutboxRow.entry_id, OutboxRow.run_id)
                                                   .where(
                OutboxRow.company_id == company_id, OutboxRow.provider == provider,
                OutboxRow.entry_id.in_(entry_ids[start:start + 500]),
                OutboxRow.state == OutboxState.SENT, OutboxRow.run_id > run_id)):
            found[entry_id] = later_run
    return found


def _item(provider: str, row: OutboxRow, kind: str, *, entry: JournalEntry | None,
          payload: Mapping[str, Any], version: str | None, later_run: int | None) -> UndoItem:
    assert row.entry_id is not None
    action, why = _action(provider, kind, row, payload)
    if action and later_run is not None:
        action, why = "", (f"sent again by the later sync run #{later_run}: undo that one "
                           "first")
    return UndoItem(
        row.id, row.entry_id, entry.label if entry is not None else f"entry #{row.entry_id}",
        kind, row.remote_id or "", action, why, provider_kind_name(kind, payload),
        entry.date if entry is not None else None, entry.number if entry is not None else "",
        entry.total_debit if entry is not None else None,
        row.before_image if action == REVERT else None, version or "", row.refusals or 0)


def _action(provider: str, kind: str, row: OutboxRow, payload: Mapping[str, Any]
            ) -> tuple[str, str]:
    name = Provider(provider).display_name
    if row.operation == "create":
        if provider == "qbo":
            return DELETE, ""
        return (VOID, "") if kind in (Kind.MANUAL_JOURNAL, Kind.INVOICE) else (DELETE, "")
    if row.operation == "void" and provider == "xero":
        return "", "Xero does not take a void back (a voided or deleted document stays so)"
    if not row.before_image:
        return "", ("this change was sent before Bookkeeper Desktop kept the earlier version, "
                    f"so there is nothing to send back to {name}")
    blocker = revert_blocker(provider, kind, payload)
    if blocker:
        return "", blocker
    return REVERT, ""


def _check_remotely(provider: str, items: list[UndoItem], client: QboClient | XeroClient,
                    progress: Progress) -> list[UndoItem]:
    """Each doable item read at the provider: one changed there since the run is not undone
    (sending ours back would lose that change), nor one the provider no longer allows."""
    name = Provider(provider).display_name
    checked = []
    todo = [i for i in items if i.action]
    progress.phase(f"Reading what the sync left at {name}", len(todo))
    done = 0
    for item in items:
        if not item.action:
            checked.append(item)
            continue
        progress.check_cancelled()
        current = client.get(item.kind, item.remote_id, progress=progress)
        done += 1
        progress.report(done, len(todo))
        if current is None:  # already gone there: nothing to take back, ours is marked
            checked.append(item)
            continue
        if item.left_version and version_of(provider, current) != item.left_version:
            checked.append(item.with_problem(
                f"changed in {name} since this sync: undoing it would lose that change"))
            continue
        blocker = revert_blocker(provider, item.kind, current) if item.action == REVERT else ""
        checked.append(item.with_problem(blocker) if blocker else item)
    return checked


def undo_run(db: Database, company_id: int, plan: UndoPlan, client: QboClient | XeroClient,
             *, progress: Progress | None = None, actor: str | None = None) -> UndoResult:
    """Take back at the provider what `plan` lists, then mark our entries not sent (created)
    or changed since sent (reverted)."""
    # One sync (or undo) at a time per company and provider, across processes: a sync must not
    # send an entry while its earlier push is being taken back.
    lease = Lease(db, company_id, plan.provider)
    lease.take()
    try:
        return _undo_leased(db, company_id, plan, client, progress=progress or Progress(),
                            actor=actor, lease=lease)
    finally:
        lease.release()


def _undo_leased(db: Database, company_id: int, plan: UndoPlan,
                 client: QboClient | XeroClient, *, progress: Progress, actor: str | None,
                 lease: Lease) -> UndoResult:
    result = UndoResult(plan.run_id, plan.provider, not_undone=[
        line for line, item in zip(plan.describe(), plan.items, strict=True) if not item.action])
    todo = plan.doable
    progress.phase(f"Undoing sync run #{plan.run_id}", len(todo))
    for done, item in enumerate(todo, start=1):
        progress.check_cancelled()
        try:
            answer = _take_back(db, company_id, plan.provider, item, client=client,
                                progress=progress)
        except RemoteError as exc:
            if exc.status not in (400, 404, 409, 412, 422):
                raise
            result.failed.append(f"{item.entry_label} ({item.kind_name}): {exc.message}")
            _count_refusal(db, item)
            continue
        if item.action == REVERT:
            _mark_reverted(db, company_id, plan, item, answer)
            result.reverted += 1
        else:
            _mark_not_sent(db, company_id, plan, item)
        result.undone += 1
        progress.report(done, len(todo))
        lease.renew()
    _record(db, company_id, plan, result, actor)
    return result


def _record(db: Database, company_id: int, plan: UndoPlan, result: UndoResult,
            actor: str | None) -> None:
    """The run marked in the sync log (undone, or partly while the provider refused some: a
    second undo retries those) and one audit row."""
    with db.session() as session:
        # The undo is a line of its own in the sync log (direction "undo"), so that the card,
        # the status bar and the log, which show the newest run, say what was undone.
        now = utc_now()
        session.add(SyncRunRow(
            company_id=company_id, provider=plan.provider, direction=sync_runs.UNDO,
            status="attention" if result.failed or result.not_undone else "succeeded",
            started_at=now, finished_at=now, error_count=len(result.failed),
            message=result.summary,
            details={"undoes": plan.run_id, "undone": result.undone,
                     "reverted": result.reverted, "failed": result.failed,
                     "not_undone": result.not_undone}))
        run = session.get(SyncRunRow, plan.run_id)
        if run is not None:
            details = {**(run.details or {}), "undone": (run.details or {}).get("undone", 0)
                       + result.undone, "undo_failed": result.failed,
                       "undo_not_undone": result.not_undone, "undo_summary": result.summary}
            details["undone_at" if not result.failed else "undo_partly_at"] = \
                utc_now().isoformat()
            run.details = details
        repositories.add_audit(session, company_id, actor or default_actor(), "undo_sync",
                               obj=("sync_run", plan.run_id),
                               details={"provider": plan.provider, "undone": result.undone,
                                        "reverted": result.reverted, "failed": result.failed,
                                        "not_undone": result.not_undone})


def _key(item: UndoItem) -> str:
    """The request id of one take-back: the same on a retry (the provider replays its answer
    instead of acting twice: API_NOTES "idempotency")."""
    text = f"undo|{item.outbox_id}|{item.remote_id}|{item.action}|{item.refusals}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _count_refusal(db: Database, item: UndoItem) -> None:
    with db.session() as session:
        outbox = session.get(OutboxRow, item.outbox_id)
        if outbox is not None:
            outbox.refusals = (outbox.refusals or 0) + 1


def _take_back(db: Database, company_id: int, provider: str, item: UndoItem, *,
               client: QboClient | XeroClient, progress: Progress) -> dict[str, Any]:
    """Delete, void or revert `item` at the provider; the provider's answer ({} when the object
    was already gone: a take-back whose answer was lost, retried)."""
    remote = _remote(db, company_id, provider, item)
    if isinstance(client, QboClient):
        current = client.get(item.kind, item.remote_id, progress=progress)
        if current is None:
            return {}
        token = str(current.get("SyncToken", "0"))
        if item.action == REVERT:
            assert item.before is not None
            request = {"bId": "u0", "operation": "update",
                       item.kind: revert_body(provider, item.kind, item.remote_id,
                                              item.before["payload"], sync_token=token)}
        else:
            request = {"bId": "u0", "operation": "delete",
                       item.kind: {"Id": item.remote_id, "SyncToken": token}}
        answers = client.batch([request], request_id=_key(item), progress=progress)
        answer = answers[0] if answers else {}
        fault = answer.get("Fault")
        if fault:
            error = (fault.get("Error") or [{}])[0]
            raise RemoteError(str(error.get("Detail") or error.get("Message") or "refused"),
                              status=400)
        found = answer.get(item.kind)
        return dict(found) if isinstance(found, dict) else {}
    status = str(remote.get("Status") or "")
    body: dict[str, Any] | None
    if item.action == REVERT:
        assert item.before is not None
        body = revert_body(provider, item.kind, item.remote_id, item.before["payload"])
    elif item.kind == Kind.MANUAL_JOURNAL:
        body = journal_void_body({**remote, "ManualJournalID": item.remote_id}, status)
    else:
        body = void_body(item.kind, item.remote_id, status)
    assert body is not None
    [answer] = client.save(item.kind, [body], key=_key(item), progress=progress,
                           void=item.action != REVERT)
    messages = [str(v.get("Message")) for v in answer.get("ValidationErrors") or []]
    if messages or str(answer.get("StatusAttributeString") or "").upper() == "ERROR":
        raise RemoteError("; ".join(messages) or "Xero did not take it back", status=400)
    return dict(answer)


def _remote(db: Database, company_id: int, provider: str, item: UndoItem) -> dict[str, Any]:
    with db.read_session() as session:
        row = store.remote_object(session, company_id, provider, item.kind, item.remote_id)
        return {k: v for k, v in (row.payload or {}).items() if k != store.META} if row else {}


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
        _close_outbox(session, plan, item, "Taken back")
        repositories.add_audit(session, company_id, "sync", "undo_push",
                               obj=("entry", item.entry_id),
                               details={"provider": plan.provider, "kind": item.kind,
                                        "remote_id": item.remote_id, "run": plan.run_id})


def _mark_reverted(db: Database, company_id: int, plan: UndoPlan, item: UndoItem,
                   answer: Mapping[str, Any]) -> None:
    """The provider holds the earlier version again: so does our copy of it, with the earlier
    fingerprint and time, so that our entry (unchanged) shows "changed since sent" and the next
    sync sends it again (`push._Planner` compares fingerprints; the Ledger compares times)."""
    assert item.before is not None
    before = item.before
    earlier = dict(before.get("payload") or {})
    meta = earlier.get(store.META) or {}
    fetched = before.get("fetched_at")
    with db.session() as session:
        row = store.remote_object(session, company_id, plan.provider, item.kind, item.remote_id)
        entry = repositories.entry_row(session, company_id, item.entry_id)
        if answer and row is not None:
            version = version_of(plan.provider, answer)
            store.save_remote(session, company_id, plan.provider, item.kind, answer,
                              remote_id=item.remote_id, version=version,
                              updated_at=updated_at_of(plan.provider, answer),
                              entry_id=item.entry_id, local=meta.get("local"),
                              known=(row,))
            if entry is not None and plan.provider == "qbo":
                entry.qbo_sync_token = version
        if entry is not None:
            entry.remote_deleted = False
        session.flush()
        if row is not None and fetched:
            row.fetched_at = dt.datetime.fromisoformat(str(fetched))
        _close_outbox(session, plan, item, "Sent back as it was before")
        repositories.add_audit(session, company_id, "sync", "undo_update",
                               obj=("entry", item.entry_id),
                               details={"provider": plan.provider, "kind": item.kind,
                                        "remote_id": item.remote_id, "run": plan.run_id})


def _close_outbox(session: Any, plan: UndoPlan, item: UndoItem, what: str) -> None:
    outbox = session.get(OutboxRow, item.outbox_id)
    if outbox is not None:
        outbox.state = OutboxState.DONE
        outbox.last_error = f"{what} by undoing sync run #{plan.run_id}."
        # The same content sent again must get a new request id: the provider would otherwise
        # replay its first answer, the object just taken back (API_NOTES "idempotency";
        # `push._batch_key`).
        outbox.refusals = (outbox.refusals or 0) + 1
