"""Storing a page of pulled transactions (`apply_page`): each object once in `remote_objects`,
posted to the ledger where `sync.remote_entries` can convert it, linked to our own push when it
carries our key, updated in place when its version changed, a conflict when it changed here too.
The page and the cursor that covers it are committed in one transaction (`sync.pull` reads the
pages; the module docstring there says how cursors move).

A first pull stores tens of thousands of objects, so a page's rows are looked up with a few
queries (`Page`) and its new entries and objects are inserted together (`storage.bulk`): the pull
is bound by this storing, not by the network (benchmarks/RESULTS.md, "Sync at real-world
latency").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bookkeeper_desktop.core.journal import JournalEntry
from bookkeeper_desktop.core.kinds import JOURNAL_KIND, KINDS
from bookkeeper_desktop.providers.config import Provider
from bookkeeper_desktop.storage import repositories
from bookkeeper_desktop.storage.schema import JournalEntryRow, OutboxRow, RemoteObjectRow
from bookkeeper_desktop.storage.types import utc_now
from bookkeeper_desktop.sync import store
from bookkeeper_desktop.sync.context import SyncContext
from bookkeeper_desktop.sync.payloads import key_in
from bookkeeper_desktop.sync.remote_entries import (
    gone,
    qbo_entry,
    remote_id_of,
    updated_at_of,
    version_of,
    xero_entry,
)
from bookkeeper_desktop.sync.store import OutboxState, fingerprint
from bookkeeper_desktop.sync.xero_documents import key_text


class Page:
    """A page's rows loaded with a few queries (one per table, not several per object: a first
    pull of 20,000 transactions must be bound by the provider's limits, not by the database),
    and the new entries, inserted together at the end (`repositories.bulk_insert_entries`)."""

    def __init__(self, session: Session, ctx: SyncContext, kind: str,
                 objects: list[Mapping[str, Any]]) -> None:
        ids = [remote_id_of(ctx.provider, kind, obj) for obj in objects]
        self.remotes: dict[str, RemoteObjectRow] = {}
        for start in range(0, len(ids), 500):
            for row in session.execute(select(RemoteObjectRow).where(
                    RemoteObjectRow.company_id == ctx.company_id,
                    RemoteObjectRow.provider == ctx.provider,
                    RemoteObjectRow.object_type == kind,
                    RemoteObjectRow.remote_id.in_(ids[start:start + 500]))).scalars():
                self.remotes[row.remote_id] = row
        #: Whether objects of this kind become our entries (a push of ours makes them too).
        posts = kind in {k.value for k in KINDS[ctx.provider]}
        self.entry_ids: dict[str, int] = {}
        if posts:
            # QBO ids are unique per entity only: a JournalEntry is found by `qbo_id` (every QBO
            # push is one); Xero's ids are GUIDs, unique across its collections.
            column = JournalEntryRow.qbo_id if ctx.provider == "qbo" else JournalEntryRow.xero_id
            for start in range(0, len(ids), 500):
                for entry_id, remote_id in session.execute(
                        select(JournalEntryRow.id, column).where(
                            JournalEntryRow.company_id == ctx.company_id,
                            column.in_(ids[start:start + 500]))):
                    self.entry_ids.setdefault(str(remote_id), entry_id)
        #: Remote id → our idempotency key in the object's note (`tag_with_key`), when it has
        #: one: the objects a push of ours created (found once per object, here).
        self.keys: dict[str, str] = {}
        if posts:
            for remote_id, obj in zip(ids, objects, strict=True):
                key = key_in(key_text(kind, obj))
                if key:
                    self.keys[remote_id] = key
        self.outbox = store.outbox_by_keys(session, self.keys.values()) if self.keys else {}
        #: (entry, object, remote id, version) to insert at the end of the page.
        self.fresh: list[tuple[JournalEntry, Mapping[str, Any], str, str]] = []
        #: Rows of objects seen for the first time (`store.remote_values`), inserted together.
        self.new_remotes: list[dict[str, Any]] = []
        self.ctx = ctx
        self.kind = kind
        #: When the page's new objects were stored: one time for all (one stored form to make).
        self.fetched_at = utc_now()

    def save_remote(self, session: Session, obj: Mapping[str, Any], *, remote_id: str,
                    version: str | None, entry_id: int | None, local: str | None,
                    deleted: bool = False, reason: str = "") -> None:
        """`store.save_remote` for an object of this page; a first-seen object waits for
        `insert_new` (one statement for the page)."""
        ctx, existing = self.ctx, self.remotes.get(remote_id)
        updated_at = updated_at_of(ctx.provider, obj)
        if existing is not None:
            store.save_remote(session, ctx.company_id, ctx.provider, self.kind, obj,
                              remote_id=remote_id, version=version, updated_at=updated_at,
                              entry_id=entry_id, local=local, deleted=deleted, reason=reason,
                              known=(existing,))
            return
        self.new_remotes.append(store.remote_values(
            ctx.company_id, ctx.provider, self.kind, obj, remote_id=remote_id, version=version,
            updated_at=updated_at, entry_id=entry_id, local=local, deleted=deleted,
            reason=reason, fetched_at=self.fetched_at))

    def insert_new(self, session: Session) -> None:
        """The page's new entries, then every first-seen object's row."""
        if self.fresh:
            session.flush()
            new_ids = repositories.bulk_insert_entries(
                session, self.ctx.company_id, [entry for entry, _, _, _ in self.fresh])
            for (entry, obj, remote_id, version), entry_id in zip(self.fresh, new_ids,
                                                                  strict=True):
                self.save_remote(session, obj, remote_id=remote_id, version=version,
                                 entry_id=entry_id, local=fingerprint(entry))
            self.ctx.counts.created += len(self.fresh)
        store.insert_remotes(session, self.new_remotes)


def apply_page(ctx: SyncContext, kind: str, objects: Iterable[Mapping[str, Any]],
               cursor: str) -> None:
    """Store a page of objects and its cursor in one transaction, then a safe point."""
    unique = list({remote_id_of(ctx.provider, kind, o): o for o in objects}.values())
    with ctx.db.session() as session:
        accounts = store.remote_to_ours(store.mapped_accounts(
            session, ctx.company_id, ctx.provider, confirmed_only=False))
        page = Page(session, ctx, kind, unique)
        for obj in unique:
            apply_remote(session, ctx, kind, obj, accounts=accounts, page=page)
        page.insert_new(session)
        store.set_cursor(session, ctx.company_id, ctx.provider, kind, cursor)
    ctx.safe_point()


def apply_remote(session: Session, ctx: SyncContext, kind: str, obj: Mapping[str, Any],
                 *, accounts: Mapping[str, int], page: Page) -> None:
    provider = ctx.provider
    remote_id = remote_id_of(provider, kind, obj)
    version = version_of(provider, obj)
    is_gone = gone(provider, kind, obj)
    existing = page.remotes.get(remote_id)
    if existing is not None and existing.version == version and existing.deleted == is_gone:
        ctx.counts.unchanged += 1
        return
    ctx.counts.pulled += 1
    entry_id = existing.entry_id if existing is not None else None
    local = store.meta(existing).get("local") if existing is not None else None
    if entry_id is None:
        entry_id, local = _own_push(session, ctx, kind, obj, remote_id=remote_id,
                                     version=version, page=page)
    if entry_id is None:
        entry_id = page.entry_ids.get(remote_id)
    if is_gone:
        if entry_id is not None:
            row = repositories.entry_row(session, ctx.company_id, entry_id)
            if row is not None:
                row.remote_deleted = True
        page.save_remote(session, obj, remote_id=remote_id, version=version,
                         entry_id=entry_id, local=local, deleted=True,
                          reason="deleted or voided at the provider")
        ctx.counts.deleted += 1
        return
    converted, reason = (qbo_entry(kind, obj, accounts) if provider == "qbo"
                         else xero_entry(kind, obj, accounts, currency=ctx.remote_currency))
    if converted is None:
        page.save_remote(session, obj, remote_id=remote_id, version=version,
                         entry_id=entry_id, local=local, reason=reason)
        ctx.counts.unposted += 1
        return
    if entry_id is None:
        page.fresh.append((converted, obj, remote_id, version))
        return
    current = store.load_entry(session, ctx.company_id, entry_id)
    if current is not None and local is not None and fingerprint(current) != local:
        _conflict(session, ctx, entry_id, f"changed here and in {Provider.name_of(provider)}")
        page.save_remote(session, obj, remote_id=remote_id, version=version,
                         entry_id=entry_id, local=local)
        return
    row = repositories.entry_row(session, ctx.company_id, entry_id)
    assert row is not None
    assert current is not None
    merged = theirs(current, converted)
    repositories.replace_entry(session, row, merged)
    new_local = fingerprint(merged)
    ctx.counts.updated += 1
    page.save_remote(session, obj, remote_id=remote_id, version=version,
                     entry_id=entry_id, local=new_local)


def theirs(current: JournalEntry, remote: JournalEntry) -> JournalEntry:
    """Our entry with the remote side's content (keeps our id, source and other references)."""
    return current.with_changes(
        date=remote.date, lines=remote.lines, memo=remote.memo, currency=remote.currency,
        number=remote.number or current.number,
        qbo_id=remote.qbo_id or current.qbo_id,
        qbo_sync_token=remote.qbo_sync_token or current.qbo_sync_token,
        xero_id=remote.xero_id or current.xero_id,
    )


def _own_push(session: Session, ctx: SyncContext, kind: str, obj: Mapping[str, Any], *,
              remote_id: str, version: str, page: Page) -> tuple[int | None, str | None]:
    """An object we pushed ourselves (our `[bk:KEY]` in its note): link it to that entry and
    settle the outbox row, so a crash between send and commit never imports it twice."""
    key = page.keys.get(remote_id)
    if key is None:
        return None, None
    outbox = page.outbox.get(key)
    if outbox is None or outbox.company_id != ctx.company_id or outbox.entry_id is None:
        return None, None
    if outbox.state == OutboxState.DONE and gone(ctx.provider, kind, obj):
        return None, None  # taken back (an undone sync): no longer that entry's copy
    row = repositories.entry_row(session, ctx.company_id, outbox.entry_id)
    if row is None:
        return None, None
    store.set_remote_ref(row, ctx.provider, remote_id, version,
                         kind=None if kind == JOURNAL_KIND[ctx.provider] else kind)
    # A refused push found at the provider after all is there: it no longer waits for a fix.
    if outbox.state in (OutboxState.PENDING, OutboxState.SENDING, OutboxState.FAILED,
                        OutboxState.REFUSED):
        outbox.state = OutboxState.SENT
        outbox.remote_id = remote_id
        outbox.run_id = ctx.run_id
        ctx.counts.reconciled += 1
    entry = store.load_entry(session, ctx.company_id, outbox.entry_id)
    return outbox.entry_id, (fingerprint(entry) if entry is not None else None)


def _conflict(session: Session, ctx: SyncContext, entry_id: int, why: str) -> None:
    for row in store.open_outbox_for_entry(session, ctx.company_id, ctx.provider, entry_id):
        if row.state == OutboxState.CONFLICT:
            return
        row.state = OutboxState.DONE
    session.add(OutboxRow(
        company_id=ctx.company_id, provider=ctx.provider, entry_id=entry_id, operation="update",
        idempotency_key=f"c{ctx.company_id}{ctx.provider}-{entry_id}-{utc_now().timestamp():.6f}",
        state=OutboxState.CONFLICT, last_error=f"The entry was {why}."))
    ctx.counts.conflicts += 1
