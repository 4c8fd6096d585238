"""The sync's rows: cursors, remote objects, the outbox, and our entries' remote references.

Every function takes an open `Session` so that the engine can commit a page of pulled objects
*and* the cursor that covers them in one transaction (a pull that dies restarts where it was), or
an outbox row before the request it records is sent.

`RemoteObjectRow.payload` holds the provider's JSON as it came, plus one key of ours, `_bk`:
`{"local": <fingerprint of our entry when the two sides last agreed>, "posted": bool,
"reason": <why it is not in the ledger>}`. Comparing an entry's current fingerprint with
`_bk.local` says whether it changed here since the last sync: that, with a changed remote version,
is a conflict (never a silent overwrite).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bookkeeper_desktop.core.journal import JournalEntry
from bookkeeper_desktop.storage import bulk, repositories
from bookkeeper_desktop.storage.schema import (
    AccountMappingRow,
    IntegrationSettingRow,
    JournalEntryRow,
    OutboxRow,
    RemoteObjectRow,
    SyncCursorRow,
)
from bookkeeper_desktop.storage.types import utc_now
from bookkeeper_desktop.sync.payloads import RemoteAccountRef

META = "_bk"


class OutboxState:
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    #: A transient failure (no answer for the item, a server error): sent again next time.
    FAILED = "failed"
    #: The provider refused it (a validation fault): not sent again until its `basis` changes
    #: (the entry, a mapping or a remote account changed) or the user asks for a retry.
    REFUSED = "refused"
    CONFLICT = "conflict"
    #: A conflict the user settled, or an older push replaced by a newer one.
    DONE = "done"


class NotSentReason:
    """Why an entry is not at the provider after a run (`not_sent`), one category each so that
    the counts per reason add up to the entries not sent."""

    #: An account it uses is not mapped (and confirmed) for the provider: no request was built.
    UNMAPPED = "unmapped"
    #: Stopped before sending: no kind fits, a contact is missing, no open invoice to pay, another
    #: currency than the organisation's (`sync.push._Stopped`).
    STOPPED = "stopped"
    #: The provider refused it (a closed period, an inactive account, a validation fault).
    REFUSED = "refused"
    #: Changed here and at the provider: the user chooses which side to keep.
    CONFLICT = "conflict"
    #: Not saved for a passing reason (a server error, no answer): sent again at the next sync.
    RETRY = "retry"

    ALL = (UNMAPPED, STOPPED, REFUSED, CONFLICT, RETRY)


#: Outbox states of an entry that is not at the provider and needs something before it gets there.
#: (REFUSED, CONFLICT, FAILED: one definition, shared with the Ledger's Not sent filter.)
NOT_SENT_STATES = repositories.NOT_SENT_OUTBOX_STATES


def not_sent_reason(row: OutboxRow) -> str:
    """The `NotSentReason` of an outbox row in one of `NOT_SENT_STATES`."""
    if row.state == OutboxState.CONFLICT:
        return NotSentReason.CONFLICT
    if row.state == OutboxState.FAILED:
        return NotSentReason.RETRY
    return row.reason if row.reason in NotSentReason.ALL else NotSentReason.REFUSED


def not_sent(session: Session, company_id: int, provider: str | None = None,
             entry_ids: Sequence[int] | None = None) -> list[OutboxRow]:
    """Each entry's newest outbox row, when that row says the entry is not sent (refused,
    stopped, unmapped, conflict, failed): oldest entry first. An entry that was sent after an
    earlier refusal has a newer row ("sent"/"done") and is not listed."""
    query = select(OutboxRow).where(OutboxRow.company_id == company_id,
                                    OutboxRow.entry_id.is_not(None))
    if provider is not None:
        query = query.where(OutboxRow.provider == provider)
    if entry_ids is None:
        # The whole list in one query (the sent rows, most of them, are never loaded).
        whole = select(OutboxRow).where(*repositories.newest_not_sent(company_id))
        if provider is not None:
            whole = whole.where(OutboxRow.provider == provider)
        return list(session.execute(
            whole.order_by(OutboxRow.entry_id, OutboxRow.provider)).scalars())
    newest: dict[tuple[str, int], OutboxRow] = {}
    for start in range(0, len(entry_ids), 500):
        chunk = list(entry_ids[start:start + 500])
        for row in session.execute(query.where(OutboxRow.entry_id.in_(chunk))
                                   .order_by(OutboxRow.id)).scalars():
            assert row.entry_id is not None
            newest[(row.provider, row.entry_id)] = row
    return sorted((row for row in newest.values() if row.state in NOT_SENT_STATES),
                  key=lambda row: (row.entry_id or 0, row.provider))


def fingerprint(entry: JournalEntry) -> str:
    """What a push would send, hashed: date, number, memo, currency, status and lines (remote ids
    and times left out). Equal fingerprints = nothing to push."""
    data = [
        entry.date.isoformat() if entry.date else None, entry.number, entry.memo, entry.currency,
        entry.status.value,
        # A line's contact and tax code count only when set, so that entries sent before
        # lines had them do not all look changed.
        [[line.account_id, str(line.debit), str(line.credit), line.description,
          *([line.contact, line.tax_code] if line.contact or line.tax_code else [])]
         for line in entry.lines],
    ]
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:16]


# --- cursors -------------------------------------------------------------------------------------


def get_cursor(session: Session, company_id: int, provider: str, entity: str) -> str | None:
    row = session.execute(select(SyncCursorRow).where(
        SyncCursorRow.company_id == company_id, SyncCursorRow.provider == provider,
        SyncCursorRow.entity == entity)).scalar_one_or_none()
    return row.cursor_value if row is not None else None


def set_cursor(session: Session, company_id: int, provider: str, entity: str,
               value: str) -> None:
    row = session.execute(select(SyncCursorRow).where(
        SyncCursorRow.company_id == company_id, SyncCursorRow.provider == provider,
        SyncCursorRow.entity == entity)).scalar_one_or_none()
    if row is None:
        session.add(SyncCursorRow(company_id=company_id, provider=provider, entity=entity,
                                  cursor_value=value))
    else:
        row.cursor_value = value
        row.updated_at = utc_now()


def cursor_time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


# --- remote objects ------------------------------------------------------------------------------


def remote_object(session: Session, company_id: int, provider: str, object_type: str,
                  remote_id: str) -> RemoteObjectRow | None:
    return session.execute(select(RemoteObjectRow).where(
        RemoteObjectRow.company_id == company_id, RemoteObjectRow.provider == provider,
        RemoteObjectRow.object_type == object_type, RemoteObjectRow.remote_id == remote_id,
    )).scalar_one_or_none()


def remote_for_entry(session: Session, company_id: int, provider: str, entry_id: int
                     ) -> RemoteObjectRow | None:
    return session.execute(select(RemoteObjectRow).where(
        RemoteObjectRow.company_id == company_id, RemoteObjectRow.provider == provider,
        RemoteObjectRow.entry_id == entry_id)).scalars().first()


def remote_values(company_id: int, provider: str, object_type: str,
                  payload: Mapping[str, Any], *, remote_id: str, version: str | None,
                  updated_at: dt.datetime | None, entry_id: int | None, local: str | None,
                  deleted: bool = False, reason: str = "",
                  fetched_at: dt.datetime | None = None) -> dict[str, Any]:
    """The columns of one remote object's row (`save_remote`, `insert_remotes`); `fetched_at`
    None: now."""
    # Amounts stay Decimal: the JSON columns store them as exact text (storage.engine).
    body = {k: v for k, v in payload.items() if k != META}
    body[META] = {"local": local, "posted": entry_id is not None, "reason": reason}
    return {"company_id": company_id, "provider": provider, "object_type": object_type,
            "remote_id": remote_id, "payload": body, "version": version,
            "remote_updated_at": updated_at, "entry_id": entry_id, "deleted": deleted,
            "fetched_at": fetched_at or utc_now()}


def save_remote(session: Session, company_id: int, provider: str, object_type: str,
                payload: Mapping[str, Any], *, remote_id: str, version: str | None,
                updated_at: dt.datetime | None, entry_id: int | None, local: str | None,
                deleted: bool = False, reason: str = "",
                known: tuple[RemoteObjectRow | None] | None = None) -> RemoteObjectRow:
    """Create or update the one row of this remote object. `known=(row,)` passes a row the
    caller already loaded (or `(None,)`: there is none), saving a query per object."""
    row = known[0] if known is not None else remote_object(session, company_id, provider,
                                                           object_type, remote_id)
    values = remote_values(company_id, provider, object_type, payload, remote_id=remote_id,
                           version=version, updated_at=updated_at, entry_id=entry_id,
                           local=local, deleted=deleted, reason=reason)
    if row is None:
        row = RemoteObjectRow(**values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    return row


def keep_before_image(outbox: OutboxRow, remote: RemoteObjectRow | None) -> None:
    """Before an update the provider accepted replaces our copy of the remote object, keep that
    copy with the outbox row (once: a retry of the same push must not keep its own result), so
    that undoing the run can send it back (`sync.undo`)."""
    if remote is None or outbox.operation == "create" or outbox.before_image is not None:
        return
    outbox.before_image = {
        "payload": dict(remote.payload or {}), "version": remote.version,
        "fetched_at": remote.fetched_at.isoformat() if remote.fetched_at else None}


def insert_remotes(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert new remote objects' rows (`remote_values`) in one statement: a first pull stores
    tens of thousands, and one ORM object each would bind it to the database, not to the
    provider's limits (benchmarks/RESULTS.md, "Sync")."""
    if rows:
        columns = tuple(rows[0])  # every row has `remote_values`' columns
        bulk.insert_rows(session.connection(), RemoteObjectRow, columns,
                         (tuple(row[name] for name in columns) for row in rows))


def meta(row: RemoteObjectRow) -> dict[str, Any]:
    value = (row.payload or {}).get(META) or {}
    return dict(value) if isinstance(value, dict) else {}


# --- our entries ---------------------------------------------------------------------------------


def entry_by_remote_id(session: Session, company_id: int, provider: str, remote_id: str
                       ) -> JournalEntryRow | None:
    column = JournalEntryRow.qbo_id if provider == "qbo" else JournalEntryRow.xero_id
    return session.execute(select(JournalEntryRow).where(
        JournalEntryRow.company_id == company_id, column == remote_id)).scalars().first()


def load_entry(session: Session, company_id: int, entry_id: int) -> JournalEntry | None:
    return repositories.load_entries(session, company_id, [entry_id]).get(entry_id)


def set_remote_ref(row: JournalEntryRow, provider: str, remote_id: str,
                   version: str | None, *, kind: str | None = None) -> None:
    """Our entry is `remote_id` at `provider`, an object of `kind` (None: the journal kind)."""
    if provider == "qbo":
        row.qbo_id, row.qbo_sync_token, row.qbo_kind = remote_id, version, kind
    else:
        row.xero_id, row.xero_kind = remote_id, kind


# --- account mappings ----------------------------------------------------------------------------


def mapped_accounts(session: Session, company_id: int, provider: str, *,
                    confirmed_only: bool) -> list[AccountMappingRow]:
    query = select(AccountMappingRow).where(AccountMappingRow.company_id == company_id,
                                            AccountMappingRow.provider == provider)
    if confirmed_only:
        query = query.where(AccountMappingRow.state == "confirmed")
    return list(session.execute(query).scalars())


def remote_to_ours(rows: Iterable[AccountMappingRow]) -> dict[str, int]:
    """Remote account id *and* code → our account id (QBO lines carry the Id; Xero journal
    lines the code, bank transactions the AccountID)."""
    found: dict[str, int] = {}
    for row in rows:
        for key in (row.remote_id, row.remote_code):
            if key:
                found.setdefault(key, row.account_id)
    return found


def ours_to_remote(rows: Iterable[AccountMappingRow], provider: str
                   ) -> dict[int, RemoteAccountRef]:
    """Our account id → what a push names it: QBO Account Id, Xero AccountCode."""
    refs: dict[int, RemoteAccountRef] = {}
    for row in rows:
        key = row.remote_id if provider == "qbo" else (row.remote_code or None)
        if key:
            refs[row.account_id] = RemoteAccountRef(key, row.remote_name or "")
    return refs


# --- outbox --------------------------------------------------------------------------------------


#: Outbox states of a push that is not finished (the entry still waits for something).
OPEN_STATES = (OutboxState.PENDING, OutboxState.SENDING, OutboxState.FAILED, OutboxState.REFUSED,
               OutboxState.CONFLICT)


def outbox_by_key(session: Session, key: str) -> OutboxRow | None:
    return session.execute(select(OutboxRow).where(OutboxRow.idempotency_key == key)
                           ).scalar_one_or_none()


def outbox_by_keys(session: Session, keys: Iterable[str]) -> dict[str, OutboxRow]:
    wanted = list(keys)
    found: dict[str, OutboxRow] = {}
    for start in range(0, len(wanted), 500):
        for row in session.execute(select(OutboxRow).where(
                OutboxRow.idempotency_key.in_(wanted[start:start + 500]))).scalars():
            found[row.idempotency_key] = row
    return found


def open_outbox_for_entries(session: Session, company_id: int, provider: str,
                            entry_ids: Iterable[int]) -> list[OutboxRow]:
    return list(session.execute(select(OutboxRow).where(
        OutboxRow.company_id == company_id, OutboxRow.provider == provider,
        OutboxRow.entry_id.in_(list(entry_ids)),
        OutboxRow.state.in_(OPEN_STATES))).scalars())


def entry_rows(session: Session, company_id: int, entry_ids: Iterable[int]
               ) -> dict[int, JournalEntryRow]:
    return {row.id: row for row in session.execute(select(JournalEntryRow).where(
        JournalEntryRow.company_id == company_id,
        JournalEntryRow.id.in_(list(entry_ids)))).scalars()}


def remotes_for_entries(session: Session, company_id: int, provider: str,
                        object_types: Iterable[str], entry_ids: Iterable[int]
                        ) -> dict[str, RemoteObjectRow]:
    """Remote id → row, for the objects (of these kinds) linked to these entries."""
    return {row.remote_id: row for row in session.execute(select(RemoteObjectRow).where(
        RemoteObjectRow.company_id == company_id, RemoteObjectRow.provider == provider,
        RemoteObjectRow.object_type.in_(list(object_types)),
        RemoteObjectRow.entry_id.in_(list(entry_ids)))).scalars()}


def remote_payloads(session: Session, company_id: int, provider: str, object_type: str
                    ) -> dict[str, dict[str, Any]]:
    """Remote id → the object as last pulled (or pushed), for every object of a type that is not
    deleted: the remote accounts' types, the open invoices a payment can settle."""
    return {row.remote_id: dict(row.payload or {}) for row in session.execute(
        select(RemoteObjectRow).where(
            RemoteObjectRow.company_id == company_id, RemoteObjectRow.provider == provider,
            RemoteObjectRow.object_type == object_type,
            RemoteObjectRow.deleted.is_(False))).scalars()}


def outbox_rows(session: Session, company_id: int, provider: str, states: Iterable[str]
                ) -> list[OutboxRow]:
    return list(session.execute(select(OutboxRow).where(
        OutboxRow.company_id == company_id, OutboxRow.provider == provider,
        OutboxRow.state.in_(list(states))).order_by(OutboxRow.id)).scalars())


def open_outbox_for_entry(session: Session, company_id: int, provider: str, entry_id: int
                          ) -> list[OutboxRow]:
    return list(session.execute(select(OutboxRow).where(
        OutboxRow.company_id == company_id, OutboxRow.provider == provider,
        OutboxRow.entry_id == entry_id,
        OutboxRow.state.in_(OPEN_STATES))).scalars())


def refused_for_entries(session: Session, company_id: int, provider: str,
                        entry_ids: Iterable[int] | None = None) -> dict[int, OutboxRow]:
    """Entry id → its refused outbox row (the newest one, should there be several)."""
    query = select(OutboxRow).where(
        OutboxRow.company_id == company_id, OutboxRow.provider == provider,
        OutboxRow.state == OutboxState.REFUSED, OutboxRow.entry_id.is_not(None))
    found: dict[int, OutboxRow] = {}
    if entry_ids is None:
        rows = list(session.execute(query.order_by(OutboxRow.id)).scalars())
    else:
        wanted = list(entry_ids)
        rows = []
        for start in range(0, len(wanted), 500):
            rows += session.execute(query.where(
                OutboxRow.entry_id.in_(wanted[start:start + 500]))).scalars()
        rows.sort(key=lambda row: row.id)
    for row in rows:
        assert row.entry_id is not None
        found[row.entry_id] = row
    return found


def account_versions(session: Session, company_id: int, provider: str,
                     remote_ids: Iterable[str]) -> dict[str, str | None]:
    """Remote account id → the version (QBO SyncToken, Xero UpdatedDateUTC) last pulled."""
    wanted = list(dict.fromkeys(remote_ids))
    found: dict[str, str | None] = {}
    for start in range(0, len(wanted), 500):
        for remote_id, version in session.execute(select(
                RemoteObjectRow.remote_id, RemoteObjectRow.version).where(
                RemoteObjectRow.company_id == company_id, RemoteObjectRow.provider == provider,
                RemoteObjectRow.object_type == "Account",
                RemoteObjectRow.remote_id.in_(wanted[start:start + 500]))):
            found[remote_id] = version
    return found


#: `integration_settings` key: "1" (the default) confirms exact mapping proposals (same number
#: or name, same type: no warning) on their own, so that a company whose charts agree syncs with
#: one click; "0" leaves every proposal for the user.
AUTO_CONFIRM_EXACT = "auto_confirm_exact_mappings"


def auto_confirms_exact(session: Session, company_id: int, provider: str) -> bool:
    value = integration_value(session, company_id, provider, AUTO_CONFIRM_EXACT)
    return value is None or value.strip().lower() not in ("0", "false", "no", "off")


#: `integration_settings` key: the Xero organisation's `BaseCurrency`, read once (Xero does not
#: let an organisation change it once it has transactions), the currency of every manual journal.
BASE_CURRENCY = "base_currency"


def integration_value(session: Session, company_id: int, provider: str, key: str) -> str | None:
    return session.execute(select(IntegrationSettingRow.value).where(
        IntegrationSettingRow.company_id == company_id,
        IntegrationSettingRow.provider == provider,
        IntegrationSettingRow.key == key)).scalar_one_or_none()


def keep_integration_value(session: Session, company_id: int, provider: str, key: str,
                           value: str) -> None:
    row = session.execute(select(IntegrationSettingRow).where(
        IntegrationSettingRow.company_id == company_id,
        IntegrationSettingRow.provider == provider,
        IntegrationSettingRow.key == key)).scalar_one_or_none()
    if row is None:
        row = IntegrationSettingRow(company_id=company_id, provider=provider, key=key)
        session.add(row)
    row.value = value
    row.updated_at = utc_now()
