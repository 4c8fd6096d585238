"""Push: approved and posted entries become QBO JournalEntries / Xero ManualJournals.

What is pushed (per provider): entries that are approved or posted (void ones that were sent
before, to void/delete them there), whose source is not QBO or Xero (pulled entries stay with
their provider), that were never sent or changed since they were last in step (their
`store.fingerprint` differs from the one kept with the remote object), with no open conflict. An
entry using an account with no **confirmed** mapping is skipped with a message naming the
account; the rest go on (API_NOTES.md; `payloads.UnmappedAccounts`).

How (API_NOTES.md "batch", "ManualJournals", "idempotency"):
1. **Reconcile first.** Outbox rows left "sending" by a run that died (or a request whose answer
   was lost) are looked up at the provider by our key, which every payload carries as `[bk:KEY]`
   in `PrivateNote` / `Narration`: QBO `select * from JournalEntry where
   MetaData.LastUpdatedTime >= …`, Xero `ManualJournals` with `If-Modified-Since`. Found: the
   remote id and version come back into our entry and the row is "sent". Not found: it is sent
   again, with the same key.
2. **Record, then send.** A batch's outbox rows (key = provider, company, entry and fingerprint:
   the same on every retry of the same content) are committed as "sending" *before* the request;
   QBO `POST /batch` of ≤ 30 items (bIds `i0`…`i29`, ≤ 10 characters) with `requestid`, Xero
   `POST ManualJournals?summarizeErrors=false` of ≤ 50 with `Idempotency-Key` (both: a hash of
   the batch's keys, ≤ 36 characters).
3. **Per-item results** are committed together: remote id and version into our entry and
   `remote_objects`, the row "sent"; a fault "failed" with the vendor's words; QBO's stale
   SyncToken (Fault 5010) and a Xero journal changed since we last saw it are **conflicts** for
   the user to resolve, never overwritten.
A dropped connection or a 5xx on a write goes back to step 1 for that batch before anything is
sent again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, aliased

from bookkeeper_desktop.core.errors import NetworkError, RemoteError
from bookkeeper_desktop.core.journal import EntrySource, EntryStatus, JournalEntry
from bookkeeper_desktop.storage import repositories
from bookkeeper_desktop.storage.schema import (
    AccountRow,
    JournalEntryRow,
    OutboxRow,
    RemoteObjectRow,
)
from bookkeeper_desktop.storage.types import utc_now
from bookkeeper_desktop.sync import store
from bookkeeper_desktop.sync.clients import (
    QBO_BATCH_ITEMS,
    XERO_WRITE_ITEMS,
    QboClient,
    XeroClient,
)
from bookkeeper_desktop.sync.context import SyncContext
from bookkeeper_desktop.sync.payloads import (
    UnmappedAccounts,
    entry_to_qbo,
    entry_to_xero,
    key_in,
)
from bookkeeper_desktop.sync.remote_entries import updated_at_of, version_of
from bookkeeper_desktop.sync.store import OutboxState, fingerprint

STALE_OBJECT = "5010"
#: How far before an outbox row's time reconciliation looks (clock skew between us and them).
RECONCILE_MARGIN = dt.timedelta(minutes=10)
SEND_ATTEMPTS = 6


@dataclass
class Item:
    entry: JournalEntry
    operation: str  # create | update | delete | void
    key: str
    body: dict[str, Any]


def kind_of(provider: str) -> str:
    return "JournalEntry" if provider == "qbo" else "ManualJournals"


def make_key(provider: str, company_id: int, entry_id: int, print_: str) -> str:
    return f"{provider}{company_id}-{entry_id}-{print_}"


def push(ctx: SyncContext, *, pulled: bool) -> None:
    reconcile(ctx)
    items = _plan(ctx, check_remote=not pulled)
    size = QBO_BATCH_ITEMS if ctx.provider == "qbo" else XERO_WRITE_ITEMS
    total = len(items)
    ctx.report(0, total, "Pushing entries")
    for start in range(0, total, size):
        _send_batch(ctx, items[start:start + size])
        ctx.report(min(total, start + size), total, "Pushing entries")


# --- choosing what to push -----------------------------------------------------------------------


def candidate_ids(session: Session, company_id: int, provider: str) -> list[int]:
    """Entries that may need a push: never sent, or changed here since the two sides last agreed
    (the entry's `updated_at` after its remote copy's `fetched_at`); the fingerprint then decides
    exactly. An entry synced and untouched since is not even loaded."""
    remote_column = JournalEntryRow.qbo_id if provider == "qbo" else JournalEntryRow.xero_id
    linked = aliased(RemoteObjectRow)
    return list(session.execute(select(JournalEntryRow.id).outerjoin(linked, and_(
        linked.entry_id == JournalEntryRow.id, linked.company_id == company_id,
        linked.provider == provider, linked.object_type == kind_of(provider),
    )).where(
        JournalEntryRow.company_id == company_id,
        JournalEntryRow.source.not_in([EntrySource.QBO.value, EntrySource.XERO.value]),
        JournalEntryRow.remote_deleted.is_(False),
        (JournalEntryRow.status.in_([EntryStatus.APPROVED.value, EntryStatus.POSTED.value])
         | ((JournalEntryRow.status == EntryStatus.VOID.value) & remote_column.is_not(None))),
        linked.id.is_(None) | (JournalEntryRow.updated_at > linked.fetched_at)
        | remote_column.is_(None),
    ).order_by(JournalEntryRow.id)).scalars().unique())


def _plan(ctx: SyncContext, *, check_remote: bool) -> list[Item]:
    provider = ctx.provider
    with ctx.db.read_session() as session:
        ids = candidate_ids(session, ctx.company_id, provider)
        entries = repositories.load_entries(session, ctx.company_id, ids)
        kept: dict[int | None, Any] = {}
        for start in range(0, len(ids), 500):
            for row in session.execute(select(RemoteObjectRow).where(
                    RemoteObjectRow.company_id == ctx.company_id,
                    RemoteObjectRow.provider == provider,
                    RemoteObjectRow.object_type == kind_of(provider),
                    RemoteObjectRow.entry_id.in_(ids[start:start + 500]))).scalars():
                kept[row.entry_id] = store.meta(row).get("local")
        blocked = set(session.execute(select(OutboxRow.entry_id).where(
            OutboxRow.company_id == ctx.company_id, OutboxRow.provider == provider,
            OutboxRow.state == OutboxState.CONFLICT)).scalars())
        refs = store.ours_to_remote(store.mapped_accounts(
            session, ctx.company_id, provider, confirmed_only=True), provider)
        names: dict[int, str] = {}
        for account_id, name in session.execute(select(AccountRow.id, AccountRow.full_name)
                                                .where(AccountRow.company_id == ctx.company_id)):
            names[account_id] = name
    items: list[Item] = []
    for entry_id in ids:
        entry = entries[entry_id]
        if entry_id in blocked:
            continue
        remote_id = entry.qbo_id if provider == "qbo" else entry.xero_id
        print_ = fingerprint(entry)
        if remote_id is not None and kept.get(entry_id) == print_:
            continue
        operation = "create" if remote_id is None else "update"
        if entry.status is EntryStatus.VOID:
            operation = "delete" if provider == "qbo" else "void"
        key = make_key(provider, ctx.company_id, entry_id, print_)
        try:
            body = (entry_to_qbo(entry, refs, key=key, account_names=names) if provider == "qbo"
                    else entry_to_xero(entry, refs, key=key, account_names=names))
        except UnmappedAccounts as exc:
            ctx.counts.errors.append(exc.message + " Map and confirm "
                                     + ", ".join(f"'{names.get(a, a)}'" for a in exc.account_ids)
                                     + " in Integrations → Mappings.")
            continue
        if operation == "delete":
            body = {"Id": entry.qbo_id, "SyncToken": entry.qbo_sync_token or "0"}
        elif operation == "void":
            body = {"ManualJournalID": entry.xero_id, "Status": "VOIDED"}
        items.append(Item(entry, operation, key, body))
    if check_remote and provider == "xero":
        items = _xero_unchanged_remotely(ctx, items)
    return items


def _xero_unchanged_remotely(ctx: SyncContext, items: list[Item]) -> list[Item]:
    """Xero has no SyncToken: before updating a journal, read it and compare its
    `UpdatedDateUTC` with the version we last saw; a difference is a conflict. (When this run
    pulled first, the pull has already done this.)"""
    assert isinstance(ctx.client, XeroClient)
    kept: list[Item] = []
    for item in items:
        if item.operation == "create":
            kept.append(item)
            continue
        assert item.entry.xero_id is not None
        current = ctx.client.get("ManualJournals", item.entry.xero_id, progress=ctx.progress)
        with ctx.db.session() as session:
            row = store.remote_object(session, ctx.company_id, "xero", "ManualJournals",
                                      item.entry.xero_id)
            if current is not None and row is not None and \
                    version_of("xero", current) != row.version:
                _mark_conflict(session, ctx, item, "changed here and in Xero")
                continue
        kept.append(item)
    return kept


# --- sending -------------------------------------------------------------------------------------


def _batch_key(items: Sequence[Item]) -> str:
    return hashlib.sha256("|".join(i.key for i in items).encode()).hexdigest()[:32]


def _send_batch(ctx: SyncContext, items: list[Item]) -> None:
    pending = list(items)
    for attempt in range(SEND_ATTEMPTS):
        _record(ctx, pending)
        ctx.safe_point()
        try:
            results = _send(ctx, pending)
        except RemoteError as exc:
            if exc.status == 413 and len(pending) > 1:
                # Over the provider's request size (Xero 3.5 MB): send it in two halves.
                half = len(pending) // 2
                _send_batch(ctx, pending[:half])
                _send_batch(ctx, pending[half:])
                return
            if exc.status in (400, 413, 422):  # the request as a whole was refused
                _fail(ctx, pending, exc.message)
                ctx.safe_point()
                return
            raise
        except NetworkError:
            # The answer was lost or the server failed: what did it commit?
            if attempt == SEND_ATTEMPTS - 1:
                raise
            reconcile(ctx, keys={i.key for i in pending})
            ctx.safe_point()
            with ctx.db.read_session() as session:
                pending = [i for i in pending if (row := store.outbox_by_key(session, i.key))
                           is not None and row.state == OutboxState.SENDING]
            if not pending:
                return
            continue
        _apply_results(ctx, pending, results)
        ctx.safe_point()
        return


def _fail(ctx: SyncContext, items: Sequence[Item], message: str) -> None:
    with ctx.db.session() as session:
        rows = store.outbox_by_keys(session, [i.key for i in items])
        for item in items:
            row = rows.get(item.key)
            if row is not None:
                row.state = OutboxState.FAILED
                row.last_error = message
            ctx.counts.errors.append(f"The {item.entry.label} was not accepted: {message}")


def _record(ctx: SyncContext, items: Sequence[Item]) -> None:
    """Outbox rows committed as "sending" before the request goes out."""
    with ctx.db.session() as session:
        existing = store.outbox_by_keys(session, [i.key for i in items])
        open_rows: dict[int, list[OutboxRow]] = {}
        for open_row in store.open_outbox_for_entries(
                session, ctx.company_id, ctx.provider,
                [i.entry.id for i in items if i.key not in existing and i.entry.id]):
            open_rows.setdefault(open_row.entry_id or 0, []).append(open_row)
        for item in items:
            assert item.entry.id is not None
            row = existing.get(item.key)
            if row is None:
                for older in open_rows.get(item.entry.id, []):
                    if older.state != OutboxState.CONFLICT:
                        older.state = OutboxState.DONE
                row = OutboxRow(company_id=ctx.company_id, provider=ctx.provider,
                                entry_id=item.entry.id, operation=item.operation,
                                idempotency_key=item.key)
                session.add(row)
            row.state = OutboxState.SENDING
            row.attempts = (row.attempts or 0) + 1
            row.updated_at = utc_now()


def _send(ctx: SyncContext, items: Sequence[Item]) -> list[dict[str, Any]]:
    if isinstance(ctx.client, QboClient):
        requests = [{"bId": f"i{n}", "operation": item.operation, "JournalEntry": item.body}
                    for n, item in enumerate(items)]
        answers = ctx.client.batch(requests, request_id=_batch_key(items), progress=ctx.progress)
        by_bid = {str(a.get("bId")): a for a in answers}
        return [by_bid.get(f"i{n}", {}) for n in range(len(items))]
    assert isinstance(ctx.client, XeroClient)
    answers = ctx.client.save_manual_journals([i.body for i in items], key=_batch_key(items),
                                              progress=ctx.progress)
    if len(answers) != len(items):
        raise NetworkError("Xero answered a different number of journals than were sent.",
                           hint="Sync will check what arrived and try again.")
    return answers


def _apply_results(ctx: SyncContext, items: Sequence[Item],
                   results: Sequence[Mapping[str, Any]]) -> None:
    kind = kind_of(ctx.provider)
    with ctx.db.session() as session:
        rows = _Rows(session, ctx, [i.key for i in items])
        saved: list[RemoteObjectRow | None] = []
        for item, result in zip(items, results, strict=True):
            obj, fault, code = _outcome(ctx.provider, kind, result)
            if obj is not None:
                saved.append(_settle(session, ctx, item.key, obj,
                                     deleted=item.operation in ("delete", "void"), rows=rows))
                if item.operation == "create":
                    ctx.counts.pushed += 1
                else:
                    ctx.counts.push_updates += 1
                continue
            if code == STALE_OBJECT:
                _mark_conflict(session, ctx, item, "changed in QuickBooks Online since the last "
                               "sync (stale SyncToken)")
                continue
            row = rows.outbox.get(item.key)
            if row is not None:
                row.state = OutboxState.FAILED
                row.last_error = fault
            ctx.counts.errors.append(f"The {item.entry.label} was not accepted: {fault}")
        _stamp_after_entries(session, saved)


def _outcome(provider: str, kind: str, result: Mapping[str, Any]
             ) -> tuple[dict[str, Any] | None, str, str | None]:
    """(object, "", None) on success, else (None, message, vendor code)."""
    if provider == "qbo":
        if isinstance(result.get(kind), dict):
            return dict(result[kind]), "", None
        fault = result.get("Fault") or {}
        errors = fault.get("Error") or [{}]
        first = errors[0] if errors else {}
        message = str(first.get("Detail") or first.get("Message") or "no answer for this item")
        return None, message, (str(first["code"]) if first.get("code") is not None else None)
    if str(result.get("StatusAttributeString") or "").upper() == "ERROR" or \
            result.get("ValidationErrors"):
        messages = [str(v.get("Message")) for v in result.get("ValidationErrors") or []]
        return None, "; ".join(messages) or "Xero refused it", None
    return dict(result), "", None


class _Rows:
    """The outbox, entry and remote-object rows of a batch, loaded with a few queries (not three
    per item: at 30-50 items per request the database would otherwise cost more than the
    provider's rate limit)."""

    def __init__(self, session: Session, ctx: SyncContext, keys: Sequence[str]) -> None:
        self.outbox = store.outbox_by_keys(session, keys)
        entry_ids = [r.entry_id for r in self.outbox.values() if r.entry_id is not None]
        self.entries = store.entry_rows(session, ctx.company_id, entry_ids)
        self.remotes = store.remotes_for_entries(session, ctx.company_id, ctx.provider,
                                                 kind_of(ctx.provider), entry_ids)


def _settle(session: Session, ctx: SyncContext, key: str, obj: Mapping[str, Any], *,
            deleted: bool = False, rows: _Rows | None = None) -> RemoteObjectRow | None:
    """The remote side has `obj` for our outbox row `key`: record its id and version."""
    rows = rows or _Rows(session, ctx, [key])
    row = rows.outbox.get(key)
    if row is None or row.entry_id is None:
        return None
    kind = kind_of(ctx.provider)
    remote_id = str(obj["Id"] if ctx.provider == "qbo" else obj["ManualJournalID"])
    version = version_of(ctx.provider, obj)
    entry_row = rows.entries.get(row.entry_id)
    if entry_row is not None:
        store.set_remote_ref(entry_row, ctx.provider, remote_id, version)
        if deleted:
            entry_row.remote_deleted = True
    row.state = OutboxState.SENT
    row.remote_id = remote_id
    row.last_error = ""
    return store.save_remote(session, ctx.company_id, ctx.provider, kind, obj,
                             remote_id=remote_id, version=version,
                             updated_at=updated_at_of(ctx.provider, obj), entry_id=row.entry_id,
                             local=key.rsplit("-", 1)[-1], deleted=deleted,
                             known=(rows.remotes.get(remote_id),))


def _stamp_after_entries(session: Session, saved: Sequence[RemoteObjectRow | None]) -> None:
    """Writing the remote id into an entry bumps its `updated_at` at flush: stamp the remote
    copies after that, so the entry does not look changed here at the next push."""
    session.flush()
    now = utc_now()
    for row in saved:
        if row is not None:
            row.fetched_at = now


def _mark_conflict(session: Session, ctx: SyncContext, item: Item, why: str) -> None:
    row = store.outbox_by_key(session, item.key)
    if row is None:
        row = OutboxRow(company_id=ctx.company_id, provider=ctx.provider,
                        entry_id=item.entry.id, operation=item.operation,
                        idempotency_key=item.key)
        session.add(row)
    row.state = OutboxState.CONFLICT
    row.last_error = f"The {item.entry.label} was {why}."
    ctx.counts.conflicts += 1


# --- reconciling ---------------------------------------------------------------------------------


def reconcile(ctx: SyncContext, keys: set[str] | None = None) -> None:
    """Settle outbox rows left "sending": find each at the provider by its key."""
    with ctx.db.read_session() as session:
        rows = [r for r in store.outbox_rows(session, ctx.company_id, ctx.provider,
                                             [OutboxState.SENDING])
                if keys is None or r.idempotency_key in keys]
    if not rows:
        return
    ctx.report(0, len(rows), "Checking earlier pushes")
    since = min(r.updated_at for r in rows) - RECONCILE_MARGIN
    wanted = {r.idempotency_key for r in rows}
    found: dict[str, dict[str, Any]] = {}
    if isinstance(ctx.client, QboClient):
        stamp = since.astimezone(dt.UTC).isoformat(timespec="seconds")
        for page, _ in ctx.client.query_pages(
                "JournalEntry", where=f"MetaData.LastUpdatedTime >= '{stamp}'",
                progress=ctx.progress):
            for obj in page:
                key = key_in(str(obj.get("PrivateNote") or ""))
                if key in wanted:
                    found[key] = obj
    else:
        assert isinstance(ctx.client, XeroClient)
        for page, _ in ctx.client.pages_since("ManualJournals", since, progress=ctx.progress):
            for obj in page:
                key = key_in(str(obj.get("Narration") or ""))
                if key in wanted:
                    found[key] = obj
    with ctx.db.session() as session:
        preloaded = _Rows(session, ctx, list(found))
        saved = []
        for key, obj in found.items():
            row = preloaded.outbox.get(key)
            deleted = row is not None and row.operation in ("delete", "void")
            saved.append(_settle(session, ctx, key, obj, deleted=deleted, rows=preloaded))
            ctx.counts.reconciled += 1
        _stamp_after_entries(session, saved)
