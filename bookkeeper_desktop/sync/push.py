"""Push: approved and posted entries become QBO JournalEntries / Xero ManualJournals.

What is pushed (per provider): entries that are approved or posted (void ones that were sent
before, to void them there), whose source is not QBO or Xero (pulled entries stay with their
provider), that were never sent or changed since they were last in step (their
`store.fingerprint` differs from the one kept with the remote object), with no open conflict. An
entry using an account with no **confirmed** mapping is skipped with a message naming the
account; the rest go on (API_NOTES.md; `payloads.UnmappedAccounts`).

**Refused pushes wait for a fix.** A push the provider refuses (QBO's per-item `Fault` of a
`ValidationFault` or a validation/business code such as 6210 "Account Period Closed" or 610 for
an inactive account, `_qbo_refused`; Xero's per-item `ValidationErrors`; a request refused as a
whole with 400/413/422, narrowed down to the one entry by halving the batch) becomes outbox
state "refused" with the provider's reason and a `basis`: a hash of the body sent and of the
mappings of its accounts (with the provider's version of each remote account, as last pulled).
It is **not sent again** while the basis stays the same: only an edit of the entry, a change of
one of its accounts' mappings, a change of one of those accounts at the provider (seen by the
pull: an archived account made active again), or the user's retry
(`services.sync.retry_refused`) sends it again. Each run counts and lists the entries waiting
(`Counts.refused`, `Counts.waiting`; the ones refused in this run are also among its `errors`)
without sending the earlier ones again.
A transient failure (no answer for an item, 5xx, a dropped connection, 429) is not a refusal: it
is retried as before (state "failed", or "sending" and reconciled). A push sent again after a
refusal gets a new request id (the refusal count is part of it), because QBO's `requestid` and
Xero's `Idempotency-Key` return the first answer to a repeated id (API_NOTES "idempotency").

**Voids.** QBO's API has no void for a JournalEntry, and a delete would lose the journal's number
and audit trail; a void is sent as the update QBO's own Void makes: same number, date and
accounts, amounts zero, "Voided - <memo>" (`payloads.entry_to_qbo_void`). Xero voids a POSTED
manual journal (`Status: VOIDED`) and deletes a DRAFT one (`Status: DELETED`; a draft cannot be
voided: api-research.md §2.2 statuses, `sandbox.xero_books` status rules).

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
   `remote_objects`, the row "sent"; a refusal "refused" (above), another fault "failed", both
   with the vendor's words; QBO's stale
   SyncToken (Fault 5010) and a Xero journal changed since we last saw it are **conflicts** for
   the user to resolve, never overwritten.
A dropped connection or a 5xx on a write goes back to step 1 for that batch before any of its
entries is sent again.

**Several at a time** (`_send_batches`, `sync.inflight`). A request carries one kind (one Xero
collection). Payments go last: every other request is settled before they are planned, so that
they find this run's invoices; the other kinds go together (below, "Planned as it goes"). Up to
`client.parallel` requests are out at once (QBO 10 per realm, Xero 5 per tenant; each call still
waits for its slot in the rate budgets first: QBO 500/min and the batch endpoint's 120/min, Xero
60/min). Only the HTTP call runs on a worker thread. The sync's own thread records a batch
("sending", committed, a safe point) and only then hands it to a worker, takes the answers back
**in the order they arrive** and applies each in its own transaction, followed by a safe point,
exactly as one batch at a time did: the batches carry different entries and none depends on
another's answer, so waiting for an earlier one would only idle a slot; SQLite keeps
one writer, and a crash or Cancel still falls between whole steps. A request refused as a whole
is halved and its halves go next; a lost answer is reconciled (step 1, its keys only) while the
other requests stay out; a 429 is waited out by the request it hit, the budget pausing the
others. A Xero document naming a contact by name alone (Xero creates the contact) does not go
while another request naming the same new contact is out. Cancel: answers that arrive within
`STOP_GRACE` are applied, the rest stay "sending" and the next run's reconciliation waits for
those requests before looking for them (`inflight`); an error waits for every answer.

**Planned as it goes** (`_Planner`, `_Streamed`). Planning five thousand entries (loading
them, building their bodies and fingerprints) takes about a second of Python and SQLite; done
whole before the first request, that second delays the first request, and with it the moment
the provider's rate window lets the requests past its limit go. So what every entry needs
(candidates, chart, mappings, contacts, the QBO company's country or Xero's currency) is read
once, then the entries are planned a part at a time: the first part makes one request's worth,
which is recorded and sent at once, and the next parts are planned on the sync's thread
whenever a slot is free with nothing to send or no answer is back yet. Every kind but payments
goes while the plan is made, each kind's batches cut as a whole plan would cut them (in the
candidates' order, `size` at a time), so request keys are the same; payments wait for the whole
plan and for every other request of the run to be settled, then are planned against the
invoices (this run's included) and sent. Each part records its own "Not sent" entries and finds
or creates the QBO customers and vendors its entries name before its journals are built.
Recording before sending, the safe points and the outbox are as before; a Cancel while planning
stops between parts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, aliased

from bookkeeper_desktop.core.accounts import AccountType
from bookkeeper_desktop.core.contacts import clean_name
from bookkeeper_desktop.core.errors import Cancelled, NetworkError, RemoteError
from bookkeeper_desktop.core.journal import EntrySource, EntryStatus, JournalEntry
from bookkeeper_desktop.core.kinds import (
    JOURNAL_KIND,
    KINDS,
    Kind,
    Role,
    Shape,
    own_role,
    qbo_role,
    shape_for,
    xero_role,
)
from bookkeeper_desktop.providers.config import Provider
from bookkeeper_desktop.services.contacts import contact_rows
from bookkeeper_desktop.storage import repositories
from bookkeeper_desktop.storage.schema import (
    AccountMappingRow,
    AccountRow,
    ContactRow,
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
from bookkeeper_desktop.sync.inflight import Window, wait_for_stragglers
from bookkeeper_desktop.sync.payloads import (
    RemoteAccountRef,
    UnmappedAccounts,
    check_refs,
    entry_to_qbo,
    entry_to_qbo_void,
    entry_to_xero,
    key_in,
)
from bookkeeper_desktop.sync.pull import organisation_currency
from bookkeeper_desktop.sync.remote_entries import updated_at_of, version_of
from bookkeeper_desktop.sync.store import NotSentReason, OutboxState, fingerprint
from bookkeeper_desktop.sync.xero_documents import (
    ID_FIELDS,
    document,
    journal_void_body,
    key_text,
    open_invoice,
    tax_check,
    tax_type,
    taxed_lines,
    void_body,
)

STALE_OBJECT = "5010"
#: How far before an outbox row's time reconciliation looks (clock skew between us and them).
RECONCILE_MARGIN = dt.timedelta(minutes=10)
SEND_ATTEMPTS = 6
#: How long a cancelled push waits for the answers of requests still out before it stops (the
#: rest are reconciled by the next run): Cancel takes effect within a second.
STOP_GRACE = 0.5


@dataclass
class Item:
    entry: JournalEntry
    operation: str  # create | update | void (older outbox rows may also say delete)
    key: str
    body: dict[str, Any]
    #: What the provider is asked, with the mappings behind it (`basis`): a refused push is sent
    #: again only when this changes.
    basis: str = ""
    #: What the entry goes as (`core.kinds.Kind` value).
    kind: str = ""
    #: A payment's contact (the `Contact` reference) and the type of invoice it settles.
    contact: dict[str, str] | None = None
    invoice_type: str = ""


def kind_of(provider: str) -> str:
    """The journal kind of `provider` (what every entry was sent as before kinds)."""
    return JOURNAL_KIND[provider].value


def entry_kind(entry: JournalEntry, provider: str) -> str:
    """The kind `entry` was sent to `provider` as."""
    return (entry.qbo_kind if provider == "qbo" else entry.xero_kind) or kind_of(provider)


#: The order in which a part's batches of several kinds are queued (payments go last, after every
#: other request is settled: an invoice before the payment that settles it).
SEND_ORDER = {Kind.JOURNAL_ENTRY: 0, Kind.MANUAL_JOURNAL: 0, Kind.BANK_TRANSACTION: 1,
              Kind.BANK_TRANSFER: 2, Kind.INVOICE: 3, Kind.PAYMENT: 4}


def make_key(provider: str, company_id: int, entry_id: int, print_: str) -> str:
    return f"{provider}{company_id}-{entry_id}-{print_}"


def push(ctx: SyncContext, *, pulled: bool) -> None:
    reconcile(ctx)
    planner = _Planner(ctx, check_remote=not pulled)
    size = QBO_BATCH_ITEMS if ctx.provider == "qbo" else XERO_WRITE_ITEMS
    done = 0

    def settled(count: int) -> None:
        nonlocal done
        done += count
        # While the plan is still being made, the total counts the entries not yet looked at
        # as if each went: "1,200 of about 5,000".
        total = planner.planned + planner.left
        ctx.report_sending(min(total, done), total, approximate=planner.left > 0)

    settled(0)
    # Everything but payments goes while the rest of the plan is made (module docstring,
    # "Planned as it goes"); payments once the plan is whole and this run's invoices are saved,
    # so that they find them.
    streamed = _Streamed(planner, size)
    _send_batches(ctx, [], settled, more=streamed)
    payments = _plan_payments(ctx, streamed.payments) if streamed.payments else []
    _send_batches(ctx, [payments[start:start + size] for start in range(0, len(payments), size)],
                  settled)


# --- choosing what to push -----------------------------------------------------------------------


def candidate_ids(session: Session, company_id: int, provider: str, *,
                  push_only: bool = False) -> list[int]:
    """Entries that may need a push: never sent, or changed here since the two sides last agreed
    (the entry's `updated_at` after its remote copy's `fetched_at`); the fingerprint then decides
    exactly. An entry synced and untouched since is not even loaded. `push_only` (a second
    provider the books are moved to): entries pulled from the other provider go too."""
    pulled = [provider] if push_only else [EntrySource.QBO.value, EntrySource.XERO.value]
    remote_column = JournalEntryRow.qbo_id if provider == "qbo" else JournalEntryRow.xero_id
    linked = aliased(RemoteObjectRow)
    return list(session.execute(select(JournalEntryRow.id).outerjoin(linked, and_(
        linked.entry_id == JournalEntryRow.id, linked.company_id == company_id,
        linked.provider == provider, linked.object_type.in_([k.value for k in KINDS[provider]]),
    )).where(
        JournalEntryRow.company_id == company_id,
        JournalEntryRow.source.not_in(pulled),
        JournalEntryRow.remote_deleted.is_(False),
        (JournalEntryRow.status.in_([EntryStatus.APPROVED.value, EntryStatus.POSTED.value])
         | ((JournalEntryRow.status == EntryStatus.VOID.value) & remote_column.is_not(None))),
        linked.id.is_(None) | (JournalEntryRow.updated_at > linked.fetched_at)
        | remote_column.is_(None),
    ).order_by(JournalEntryRow.id)).scalars().unique())


@dataclass
class _Books:
    """What planning a push reads from our books, once per run."""

    refs: dict[int, RemoteAccountRef]
    names: dict[int, str]
    roles: dict[int, Role]
    account_tax: dict[int, str | None]
    mappings: dict[int, AccountMappingRow]
    versions: dict[str, str | None]
    contacts: dict[str, dict[str, str | None]]
    #: Contacts QBO would not take (lower-cased name → its reason).
    contact_errors: dict[str, str] = field(default_factory=dict)
    #: Xero's organisation currency, the one its manual journals are booked in.
    base_currency: str | None = None
    #: The QBO company's country (`CompanyInfo.Country`): outside the US lines carry tax codes.
    qbo_country: str | None = None
    #: Xero's tax rates (TaxType → EffectiveRate), read when a document carries tax.
    tax_rates: dict[str, Decimal] | None = None


def _read_books(session: Session, ctx: SyncContext) -> _Books:
    provider = ctx.provider
    mappings = {row.account_id: row for row in store.mapped_accounts(
        session, ctx.company_id, provider, confirmed_only=True)}
    versions = store.account_versions(session, ctx.company_id, provider,
                                      [m.remote_id for m in mappings.values() if m.remote_id])
    remote_accounts = store.remote_payloads(session, ctx.company_id, provider, "Account")
    names: dict[int, str] = {}
    roles: dict[int, Role] = {}
    account_tax: dict[int, str | None] = {}
    for row in session.execute(select(AccountRow).where(
            AccountRow.company_id == ctx.company_id)).scalars():
        names[row.id] = row.full_name
        account_tax[row.id] = row.tax_code
        mapping = mappings.get(row.id)
        remote = remote_accounts.get(mapping.remote_id or "") if mapping is not None else None
        if remote is not None:
            roles[row.id] = qbo_role(remote) if provider == "qbo" else xero_role(remote)
        else:
            roles[row.id] = own_role(AccountType(row.type))
    contacts = {key: {"name": row.name, "qbo_customer": row.qbo_customer_id,
                      "qbo_vendor": row.qbo_vendor_id, "xero": row.xero_id}
                for key, row in contact_rows(session, ctx.company_id).items()}
    return _Books(store.ours_to_remote(mappings.values(), provider), names, roles, account_tax,
                  mappings, versions, contacts)


#: Entries planned at a time: the first part makes one request's worth, so that it leaves at
#: once; later parts four (a few milliseconds each, between taking answers).
FIRST_PART = 1
LATER_PARTS = 4


class _Planner:
    """What to push, planned a part at a time (`next_part`): the candidates and what every part
    needs (the chart, the mappings, the contacts, the provider's country or currency) are read
    once; each part loads its entries and builds their requests, finds or creates the QBO
    customers and vendors they name, and records the entries that cannot go ("Not sent")."""

    def __init__(self, ctx: SyncContext, *, check_remote: bool) -> None:
        self.ctx = ctx
        self.check_remote = check_remote
        provider = ctx.provider
        with ctx.db.read_session() as session:
            self.ids = candidate_ids(session, ctx.company_id, provider, push_only=ctx.push_only)
            self.blocked = set(session.execute(select(OutboxRow.entry_id).where(
                OutboxRow.company_id == ctx.company_id, OutboxRow.provider == provider,
                OutboxRow.state == OutboxState.CONFLICT)).scalars())
            self.books = _read_books(session, ctx)
        if provider == "qbo" and self.ids:
            assert isinstance(ctx.client, QboClient)
            self.books.qbo_country = ctx.client.company_country(progress=ctx.progress)
        elif self.ids:
            assert isinstance(ctx.client, XeroClient)
            self.books.base_currency = organisation_currency(ctx, ctx.client)
        self.position = 0
        #: Pushes planned so far.
        self.planned = 0

    @property
    def left(self) -> int:
        """Candidates not looked at yet."""
        return len(self.ids) - self.position

    def next_part(self, entries: int) -> list[Item]:
        """The pushes of the next `entries` candidates (fewer, or none, when some are in step
        already, wait for a fix or cannot go)."""
        chunk = self.ids[self.position:self.position + entries]
        self.position += len(chunk)
        items = self._plan(chunk)
        self.planned += len(items)
        return items

    def _plan(self, ids: list[int]) -> list[Item]:
        ctx, books, provider = self.ctx, self.books, self.ctx.provider
        with ctx.db.read_session() as session:
            entries = repositories.load_entries(session, ctx.company_id, ids)
            kept: dict[int | None, Any] = {}
            remote_status: dict[int | None, str] = {}
            for start in range(0, len(ids), 500):
                for row in session.execute(select(RemoteObjectRow).where(
                        RemoteObjectRow.company_id == ctx.company_id,
                        RemoteObjectRow.provider == provider,
                        RemoteObjectRow.object_type.in_([k.value for k in KINDS[provider]]),
                        RemoteObjectRow.entry_id.in_(ids[start:start + 500]))).scalars():
                    kept[row.entry_id] = store.meta(row).get("local")
                    remote_status[row.entry_id] = str((row.payload or {}).get("Status") or "")
            refused = {entry_id: (row.basis, row.last_error) for entry_id, row in
                       store.refused_for_entries(session, ctx.company_id, provider, ids).items()}
        # An entry deleted since the candidates were read is no longer there to push.
        ids = [i for i in ids if i in entries and i not in self.blocked]
        if provider == "qbo" and ids:
            _ensure_qbo_contacts(ctx, books, [entries[i] for i in ids])
        items: list[Item] = []
        stopped: list[tuple[Item, str]] = []
        unmapped: list[tuple[Item, str]] = []
        for entry_id in ids:
            entry = entries[entry_id]
            remote_id = entry.qbo_id if provider == "qbo" else entry.xero_id
            print_ = fingerprint(entry)
            if remote_id is not None and kept.get(entry_id) == print_:
                continue
            operation = "create" if remote_id is None else "update"
            if entry.status is EntryStatus.VOID:
                operation = "void"
            key = make_key(provider, ctx.company_id, entry_id, print_)
            try:
                item = _item_for(ctx, books, entry, operation=operation, key=key,
                                 remote_status=remote_status.get(entry_id, ""))
            except UnmappedAccounts as exc:
                message = (exc.message + " Map "
                           + ", ".join(f"'{books.names.get(a, a)}'" for a in exc.account_ids)
                           + " in Integrations → Account mapping (Map to…, or Create in "
                           f"{Provider(provider).display_name}), then sync again.")
                ctx.counts.errors.append(message)
                # Recorded (no request is built) so that the Not sent list and its counts have it.
                unmapped.append((Item(entry, operation, key, {}, basis=""), message))
                continue
            except _Stopped as exc:
                item = Item(entry, operation, key, {"stopped": exc.reason}, kind=exc.kind)
                why: str | None = exc.reason
            else:
                why = None
            item.basis = _basis(item.body, (line.account_id for line in entry.lines),
                                books.mappings, books.versions)
            earlier = refused.get(entry_id)
            if earlier is not None and earlier[0] == item.basis:
                # Refused (or stopped) before on this same basis: it waits for a fix.
                ctx.counts.refused += 1
                ctx.counts.waiting.append(earlier[1] or why or f"The {entry.label} was refused.")
            elif why is not None:
                stopped.append((item, why))
            else:
                items.append(item)
        if stopped:
            _stop(ctx, stopped)
        if unmapped:
            _stop(ctx, unmapped, reason=NotSentReason.UNMAPPED)
        if self.check_remote and provider == "xero":
            items = _xero_unchanged_remotely(ctx, items)
        return items


class _Streamed:
    """The batches of a push, made as the plan goes on (`_send_batches`' `more`): one kind to a
    request, each kind's pushes in the candidates' order `size` at a time (a kind's last batch,
    partial, once the plan is whole), as a plan made whole would cut them. Payments are kept in
    `payments`: they are planned against the invoices once this run's are saved."""

    def __init__(self, planner: _Planner, size: int) -> None:
        self.planner = planner
        self.size = size
        self.parts = 0
        self.pending: dict[str, list[Item]] = {}
        self.payments: list[Item] = []

    @property
    def more(self) -> bool:
        return self.planner.left > 0 or any(self.pending.values())

    def next_batches(self) -> list[list[Item]]:
        """Plan the next part; the batches it completes."""
        if self.planner.left:
            part = FIRST_PART if not self.parts else LATER_PARTS
            self.parts += 1
            for item in self.planner.next_part(part * self.size):
                if item.kind == Kind.PAYMENT:
                    self.payments.append(item)
                else:
                    self.pending.setdefault(item.kind, []).append(item)
        batches: list[list[Item]] = []
        for kind in sorted(self.pending, key=lambda k: SEND_ORDER.get(Kind(k), 9)):
            pending = self.pending[kind]
            whole = len(pending) if not self.planner.left else \
                len(pending) - len(pending) % self.size
            batches += [pending[start:start + self.size] for start in range(0, whole, self.size)]
            del pending[:whole]
        return batches


class _Stopped(Exception):
    """An entry that cannot go to the provider as it is: stopped before sending, with why."""

    def __init__(self, reason: str, kind: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


def _item_for(ctx: SyncContext, books: _Books, entry: JournalEntry, *, operation: str,
              key: str, remote_status: str) -> Item:
    """The push of `entry` as the kind its shape needs (`core.kinds`), or `_Stopped`."""
    provider = ctx.provider
    name = Provider(provider).display_name
    previous = entry_kind(entry, provider)
    if operation == "void":
        kind = previous
    else:
        shape = shape_for(provider, entry, books.roles, books.names)
        if shape.kind is None:
            raise _Stopped(f"The {entry.label} cannot be sent to {name}: {shape.problem}")
        kind = shape.kind.value
        if operation == "update" and kind != previous:
            raise _Stopped(
                f"The {entry.label} was sent to {name} as a {Kind(previous).label}; as it is "
                f"now it would be a {shape.kind.label}, and {name} cannot change one into the "
                "other. Void it and enter a new entry.", kind)
    if provider == "qbo":
        entities = _qbo_entities(entry, books)
        for index, line in enumerate(entry.lines):
            role = books.roles.get(line.account_id)
            if role in (Role.RECEIVABLE, Role.PAYABLE) and index not in entities:
                who = "customer" if role is Role.RECEIVABLE else "vendor"
                why = books.contact_errors.get(clean_name(line.contact).lower(), "")
                raise _Stopped(f"The {entry.label} cannot be sent to {name}: its {who} "
                               f"'{clean_name(line.contact)}' is not in {name} and could not be "
                               f"created there{': ' + why if why else ''}.", kind)
        # Journal lines carry tax codes only outside the US (QBO's US edition taxes sales on
        # the sale, not on journal lines).
        tax_codes = {} if books.qbo_country in (None, "US") else {
            i: code for i, line in enumerate(entry.lines)
            if (code := line.tax_code or books.account_tax.get(line.account_id) or "")}
        body = (entry_to_qbo_void if operation == "void" else entry_to_qbo)(
            entry, books.refs, key=key, account_names=books.names, entities=entities,
            tax_codes=tax_codes)
        return Item(entry, operation, key, body, kind=kind)
    if kind == Kind.MANUAL_JOURNAL:
        base = books.base_currency
        if base and entry.currency != base and operation != "void":
            raise _Stopped(
                f"The {entry.label} cannot be sent to Xero: it is in {entry.currency}, and a Xero "
                f"manual journal has no currency: Xero would book its amounts as {base}. Enter "
                f"it in {base}.", kind)
        body = entry_to_xero(entry, books.refs, key=key, account_names=books.names)
        if operation == "void":  # the module docstring, "Voids"
            body = journal_void_body(body, remote_status)
        return Item(entry, operation, key, body, kind=kind)
    if operation == "void":
        assert entry.xero_id is not None
        void = void_body(kind, entry.xero_id, remote_status)
        if void is None:
            raise _Stopped(f"The {entry.label} was sent to Xero as a {Kind(kind).label}, which "
                           "Xero's API cannot delete or change: delete it in Xero itself.", kind)
        return Item(entry, operation, key, void, kind=kind)
    check_refs(entry, books.refs, "Xero", books.names)
    tax_types, tax_lines = _xero_taxes(ctx, books, entry, shape, kind)
    contact = books.contacts.get(shape.contact.lower(), {})
    ref = {"ContactID": str(contact["xero"])} if contact.get("xero") else {"Name": shape.contact}
    body = document(entry, shape, books.refs, key=key, contact=ref,
                    remote_id=entry.xero_id if operation == "update" else None,
                    tax_types=tax_types, tax_lines=tax_lines)
    item = Item(entry, operation, key, body, kind=kind)
    if shape.kind is Kind.PAYMENT:
        assert shape.party_line is not None
        assert shape.bank_line is not None
        receivable = books.roles.get(entry.lines[shape.party_line].account_id) is Role.RECEIVABLE
        money_in = bool(entry.lines[shape.bank_line].debit)
        if receivable != money_in:
            raise _Stopped(f"The {entry.label} cannot be sent to Xero: it is a refund ("
                           f"money {'out to a customer' if receivable else 'in from a supplier'}"
                           "), which Xero records against a credit note; enter it in Xero.", kind)
        if operation == "update":
            raise _Stopped(f"The {entry.label} was sent to Xero as a payment, which Xero cannot "
                           "change: void it and enter a new one.", kind)
        item.contact = {**ref, "_name": shape.contact}
        item.invoice_type = "ACCREC" if receivable else "ACCPAY"
    return item


def _xero_taxes(ctx: SyncContext, books: _Books, entry: JournalEntry, shape: Shape,
                kind: str) -> tuple[dict[int, str], list[int]]:
    """The taxed lines' tax types and the lines on Xero's tax account of a document
    (`xero_documents` docstring, "Tax"), or `_Stopped` when the entry's tax is not what Xero
    will compute, or a payment or transfer carries tax (they have none in Xero)."""
    skip = [i for i in (shape.bank_line, shape.other_bank_line, shape.party_line)
            if i is not None]
    tax_lines = [i for i, line in enumerate(entry.lines)
                 if books.roles.get(line.account_id) is Role.TAX]
    taxed = taxed_lines(entry, books.account_tax, skip + tax_lines)
    if not taxed and not tax_lines:
        return {}, []
    if shape.kind in (Kind.PAYMENT, Kind.BANK_TRANSFER):
        raise _Stopped(f"The {entry.label} cannot be sent to Xero: a {Kind(kind).label} carries "
                       "no tax there. Give its lines the tax code NONE.", kind)
    if books.tax_rates is None:
        assert isinstance(ctx.client, XeroClient)
        books.tax_rates = ctx.client.tax_rates(progress=ctx.progress)
    sign = -1 if shape.subtype in ("RECEIVE", "ACCREC") else 1
    problem = tax_check(entry, sign=sign, skip=skip, tax_lines=tax_lines,
                        account_tax=books.account_tax, rates=books.tax_rates)
    if problem:
        raise _Stopped(f"The {entry.label} cannot be sent to Xero: {problem}.", kind)
    return ({n - 1: tax_type(entry.lines[n - 1], books.account_tax) for n in taxed},
            tax_lines)


def _qbo_entities(entry: JournalEntry, books: _Books) -> dict[int, dict[str, str]]:
    """Line index → QBO `Entity` for the receivable (Customer) and payable (Vendor) lines."""
    found: dict[int, dict[str, str]] = {}
    for index, line in enumerate(entry.lines):
        role = books.roles.get(line.account_id)
        if role not in (Role.RECEIVABLE, Role.PAYABLE) or not line.contact.strip():
            continue
        contact = books.contacts.get(clean_name(line.contact).lower(), {})
        which = "qbo_customer" if role is Role.RECEIVABLE else "qbo_vendor"
        if contact.get(which):
            found[index] = {"Type": "Customer" if role is Role.RECEIVABLE else "Vendor",
                            "value": str(contact[which]), "name": str(contact["name"])}
    return found


def _ensure_qbo_contacts(ctx: SyncContext, books: _Books, entries: Sequence[JournalEntry]
                         ) -> None:
    """QBO needs a Customer on receivable lines and a Vendor on payable lines (Fault 6000):
    every one the entries name is found at QBO by its DisplayName, or created there, and its id
    kept with our contact, before the journals are built."""
    wanted: dict[tuple[str, str], str] = {}
    for entry in entries:
        for line in entry.lines:
            role = books.roles.get(line.account_id)
            name = clean_name(line.contact)
            if role not in (Role.RECEIVABLE, Role.PAYABLE) or not name:
                continue
            which = "Customer" if role is Role.RECEIVABLE else "Vendor"
            column = "qbo_customer" if which == "Customer" else "qbo_vendor"
            if not books.contacts.get(name.lower(), {}).get(column):
                wanted[(which, name.lower())] = name
    if not wanted:
        return
    assert isinstance(ctx.client, QboClient)
    for (which, lowered), name in wanted.items():
        try:
            remote_id = ctx.client.find_or_create_name(which, name, progress=ctx.progress)
        except RemoteError as exc:
            if exc.status not in REFUSED_REQUEST:
                raise
            books.contact_errors[lowered] = exc.message
            continue
        column = "qbo_customer" if which == "Customer" else "qbo_vendor"
        books.contacts.setdefault(lowered, {"name": name, "qbo_customer": None,
                                            "qbo_vendor": None, "xero": None})[column] = remote_id
        with ctx.db.session() as session:
            rows = contact_rows(session, ctx.company_id)
            row = rows.get(lowered)
            if row is None:
                row = ContactRow(company_id=ctx.company_id, name=name, source="entry")
                session.add(row)
            if which == "Customer":
                row.qbo_customer_id, row.is_customer = remote_id, True
            else:
                row.qbo_vendor_id, row.is_supplier = remote_id, True
        ctx.safe_point()


def _plan_payments(ctx: SyncContext, items: list[Item]) -> list[Item]:
    """Each payment names the open invoice it settles: the contact's AUTHORISED invoice with
    that much due (pulled, or sent earlier in this run). None: the payment waits, saying so."""
    with ctx.db.read_session() as session:
        invoices = list(store.remote_payloads(session, ctx.company_id, "xero",
                                              Kind.INVOICE.value).values())
    ready: list[Item] = []
    stopped: list[tuple[Item, str]] = []
    for item in items:
        if item.operation == "void" or "Invoice" not in item.body:
            ready.append(item)
            continue
        entry, contact = item.entry, item.contact or {}
        found = open_invoice(invoices, contact_id=contact.get("ContactID"),
                             contact_name=contact.get("_name", ""),
                             invoice_type=item.invoice_type, amount=item.body["Amount"],
                             paid_on=entry.date or dt.date.max)
        if found is None:
            who = contact.get("_name") or "the contact"
            what = "invoice" if item.invoice_type == "ACCREC" else "bill"
            stopped.append((item, f"The {entry.label} is a payment, but {who} has no open {what} "
                            f"in Xero with {item.body['Amount']} due for it to settle. Send the "
                            f"{what} first (or enter it in Xero); the payment is sent once it "
                            "is there."))
            continue
        item.body["Invoice"] = {"InvoiceID": str(found["InvoiceID"])}
        # The next payment planned here sees what this one leaves due (they go in one request).
        due = Decimal(str(found.get("AmountDue", found.get("Total", "0")) or "0"))
        found["AmountDue"] = due - Decimal(str(item.body["Amount"]))
        ready.append(item)
    if stopped:
        _stop(ctx, stopped)
    return ready


def _stop(ctx: SyncContext, stopped: Sequence[tuple[Item, str]],
          reason: str = NotSentReason.STOPPED) -> None:
    """Entries that cannot be sent as they are wait in "Not sent" with the reason, as refused
    pushes do, and are looked at again when they (or their mappings) change. Unmapped ones
    (`reason` "unmapped") are planned again at every run and already are in `errors`."""
    with ctx.db.session() as session:
        rows = store.outbox_by_keys(session, [i.key for i, _ in stopped])
        for item, why in stopped:
            row = rows.get(item.key) or _new_outbox_row(session, ctx, item)
            row.state = OutboxState.REFUSED
            row.reason = reason
            row.basis = item.basis or None
            row.last_error = why
            if reason == NotSentReason.UNMAPPED:
                continue
            ctx.counts.refused += 1
            ctx.counts.errors.append(why)
            ctx.counts.waiting.append(why)


def _basis(body: Mapping[str, Any], account_ids: Iterable[int],
           mappings: Mapping[int, AccountMappingRow], versions: Mapping[str, str | None]) -> str:
    """A hash of what a push asks the provider (the body without the SyncToken, which moves on
    its own) and of what could make the provider answer differently here: the mapping of each of
    the entry's accounts (remote id, code, name, when it was last changed) and the provider's
    version of that remote account as last pulled (QBO SyncToken, Xero UpdatedDateUTC)."""
    accounts: list[list[int | str | None]] = []
    for account_id in sorted(set(account_ids)):
        row = mappings.get(account_id)
        if row is None:
            accounts.append([account_id])
            continue
        accounts.append([account_id, row.remote_id, row.remote_code, row.remote_name,
                         row.updated_at.isoformat() if row.updated_at else None,
                         versions.get(row.remote_id or "")])
    data = {"body": {k: v for k, v in body.items() if k != "SyncToken"}, "accounts": accounts}
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


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
        current = ctx.client.get(item.kind, item.entry.xero_id, progress=ctx.progress)
        with ctx.db.session() as session:
            row = store.remote_object(session, ctx.company_id, "xero", item.kind,
                                      item.entry.xero_id)
            if current is not None and row is not None and \
                    version_of("xero", current) != row.version:
                _mark_conflict(session, ctx, item, "changed here and in Xero")
                continue
        kept.append(item)
    return kept


# --- sending -------------------------------------------------------------------------------------


def _batch_key(items: Sequence[Item], refusals: Mapping[str, int] | None = None) -> str:
    """The request's idempotency key (QBO `requestid`, Xero `Idempotency-Key`): the same on
    every retry of the same send. The provider answers a repeated id with the answer it
    remembers (API_NOTES "idempotency"), so what makes a new send differ is part of it: how
    often the provider answered this push without saving it (refused, or an item that failed
    on its side), and the SyncToken an update carries (after a conflict settled with "keep
    ours" the same content goes with their newer SyncToken, and must not get the old Stale
    Object answer back)."""
    refusals = refusals or {}
    parts = []
    for item in items:
        part = item.key
        if refusals.get(item.key):
            part += f"~{refusals[item.key]}"
        if item.body.get("SyncToken") is not None:
            part += f"@{item.body['SyncToken']}"
        parts.append(part)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


@dataclass
class _Batch:
    """One request's worth of pushes of one kind, and how often it was sent and lost."""

    items: list[Item]
    attempt: int = 0


def _send_batches(ctx: SyncContext, batches: Sequence[Sequence[Item]],
                  settled: Callable[[int], None], *, more: _Streamed | None = None) -> None:
    """Send the batches, up to `ctx.client.parallel` requests in flight (module docstring,
    "Several at a time"); return once every one is settled. `more`: further batches are still
    being planned; a part is planned whenever a slot is free with nothing to
    send, or while no answer is back yet. Only the HTTP calls run on the window's worker
    threads: planning, recording, applying, reconciling and every safe point happen here, on
    the sync's thread."""
    queue = deque(_Batch(list(batch)) for batch in batches if batch)
    window: Window[_Batch] = Window(ctx.client.parallel, owner=_owner(ctx))
    try:
        while queue or len(window) or (more is not None and more.more):
            while window.free and (batch := _next_startable(ctx, queue, window)) is not None:
                refusals = _record(ctx, batch.items)
                ctx.safe_point()
                window.start(batch, partial(_send, ctx, batch.items, refusals))
            if more is not None and more.more and (window.free or not window.answered):
                queue.extend(_Batch(b) for b in more.next_batches())
                ctx.progress.check_cancelled()
                continue
            batch, outcome = window.next_done(ctx.progress)
            settled(_take_answer(ctx, queue, batch, outcome))
    except BaseException as exc:
        # Cancel within a second: answers that come back in a moment are applied now; the rest
        # stay "sending" for the next run's reconciliation (`inflight` docstring). After an
        # error every answer is awaited and applied.
        grace = STOP_GRACE if isinstance(exc, Cancelled) else None
        for batch, outcome in window.close(grace):
            if outcome.exception() is None:
                _apply_results(ctx, batch.items, outcome.result())
        raise
    window.close()


def _owner(ctx: SyncContext) -> tuple[str, str]:
    """Whose requests a `Window` sends: the realm or tenant."""
    return ctx.provider, ctx.client.tenant_id


def _next_startable(ctx: SyncContext, queue: deque[_Batch], window: Window[_Batch]
                    ) -> _Batch | None:
    """The first waiting batch that may go while the ones in flight are out: a Xero document
    naming a contact by name alone (Xero creates it on the first request naming it) does not go
    while another request naming the same new contact is out, so that two requests never both
    create it."""
    if ctx.provider != "xero":
        return queue.popleft() if queue else None
    busy = {name for batch in window.tags() for name in _new_contacts(batch.items)}
    for index, batch in enumerate(queue):
        if busy.isdisjoint(_new_contacts(batch.items)):
            del queue[index]
            return batch
    return None


def _new_contacts(items: Sequence[Item]) -> set[str]:
    """The contacts Xero documents name without a ContactID, lower-cased."""
    names = set()
    for item in items:
        contact = item.body.get("Contact")
        if isinstance(contact, Mapping) and not contact.get("ContactID") and contact.get("Name"):
            names.add(str(contact["Name"]).lower())
    return names


def _take_answer(ctx: SyncContext, queue: deque[_Batch], batch: _Batch,
                 outcome: Future[list[dict[str, Any]]]) -> int:
    """What came back for `batch`, acted on: results applied, a request refused as a whole
    halved (the halves go next), a lost answer reconciled and what did not arrive queued to go
    again. Returns how many of its pushes are settled."""
    pending = batch.items
    try:
        results = outcome.result()
    except RemoteError as exc:
        if exc.status not in REFUSED_REQUEST:
            raise
        if len(pending) > 1:
            # Over the provider's request size (Xero 3.5 MB), or one entry spoils the whole
            # request: two halves, down to the one entry that is refused.
            half = len(pending) // 2
            queue.extendleft([_Batch(pending[half:]), _Batch(pending[:half])])
            return 0
        reason = exc.message
        if exc.status == 413:
            reason = (f"it is larger than {Provider(ctx.provider).display_name} accepts in one "
                      "request (3.5 MB)")
        _refuse(ctx, pending, [(reason, exc.code)] * len(pending))
        ctx.safe_point()
        return len(pending)
    except NetworkError:
        # The answer was lost or the server failed: what did it commit?
        if batch.attempt == SEND_ATTEMPTS - 1:
            raise
        reconcile(ctx, keys={i.key for i in pending})
        ctx.safe_point()
        with ctx.db.read_session() as session:
            left = [i for i in pending if (row := store.outbox_by_key(session, i.key))
                    is not None and row.state == OutboxState.SENDING]
        if left:
            queue.appendleft(_Batch(left, batch.attempt + 1))
        return len(pending) - len(left)
    _apply_results(ctx, pending, results)
    ctx.safe_point()
    return len(pending)


def _refuse(ctx: SyncContext, items: Sequence[Item],
            reasons: Sequence[tuple[str, str | None]]) -> None:
    """The provider refused these pushes: "refused" with the reason in words, not sent again
    until their basis changes or the user retries."""
    with ctx.db.session() as session:
        rows = store.outbox_by_keys(session, [i.key for i in items])
        for item, (reason, code) in zip(items, reasons, strict=True):
            _refuse_row(ctx, rows.get(item.key), item, reason, code)


def _refuse_row(ctx: SyncContext, row: OutboxRow | None, item: Item, reason: str,
                code: str | None) -> None:
    message = refusal_message(ctx.provider, item.entry, reason, code)
    if row is not None:
        row.state = OutboxState.REFUSED
        row.reason = NotSentReason.REFUSED
        row.basis = item.basis
        row.refusals = (row.refusals or 0) + 1
        row.last_error = message
    ctx.counts.refused += 1
    ctx.counts.errors.append(message)
    ctx.counts.waiting.append(message)


def refusal_message(provider: str, entry: JournalEntry, reason: str, code: str | None) -> str:
    """Why the provider refused the entry, naming it, and what to do, in a bookkeeper's words:
    "The entry JE-7 of 2026-03-01 was refused by QuickBooks Online: the account period has
    closed … Change the entry's date or reopen the period in QuickBooks Online, then retry …"."""
    name = Provider(provider).display_name
    text = reason.strip().rstrip(".")
    lowered = text.lower()
    if code == "6210" or "lock date" in lowered or ("period" in lowered and "closed" in lowered):
        todo = (f"Its date is in a period closed in {name}: change the entry's date, or reopen "
                f"the period in {name} and then retry the refused entries.")
    elif code in ("610", "2500") or "archived" in lowered or "inactive" in lowered:
        todo = (f"An account (or name) it uses is inactive or missing in {name}: make it active "
                "there, or map the account to another one in Integrations → Account mapping. It "
                "is sent again after that.")
    elif "3.5 mb" in lowered:
        todo = "Shorten its line descriptions; it is sent again when it changes."
    else:
        todo = (f"Correct the entry (it is sent again once it changes), or retry the refused "
                f"entries after fixing the cause in {name}.")
    return f"The {entry.label} was refused by {name}: {text}. {todo}"


def _record(ctx: SyncContext, items: Sequence[Item]) -> dict[str, int]:
    """Outbox rows committed as "sending" before the request goes out; returns how often each
    was refused before (for the request's idempotency key)."""
    refusals: dict[str, int] = {}
    with ctx.db.session() as session:
        existing = store.outbox_by_keys(session, [i.key for i in items])
        open_rows: dict[int, list[OutboxRow]] = {}
        for open_row in store.open_outbox_for_entries(
                session, ctx.company_id, ctx.provider, [i.entry.id for i in items if i.entry.id]):
            open_rows.setdefault(open_row.entry_id or 0, []).append(open_row)
        for item in items:
            assert item.entry.id is not None
            # An older push of other content (failed, refused) is replaced by this one.
            for older in open_rows.get(item.entry.id, []):
                if older.state != OutboxState.CONFLICT and older.idempotency_key != item.key:
                    older.state = OutboxState.DONE
            row = existing.get(item.key) or _new_outbox_row(session, ctx, item)
            row.object_type = _object_type(ctx.provider, item.kind)
            row.state = OutboxState.SENDING
            row.basis = item.basis
            row.attempts = (row.attempts or 0) + 1
            row.updated_at = utc_now()
            refusals[item.key] = row.refusals or 0
    return refusals


def _send(ctx: SyncContext, items: Sequence[Item], refusals: Mapping[str, int]
          ) -> list[dict[str, Any]]:
    if isinstance(ctx.client, QboClient):
        # A void is an update in QBO (`payloads.entry_to_qbo_void`).
        requests = [{"bId": f"i{n}", "operation": "update" if item.operation == "void"
                     else item.operation, "JournalEntry": item.body}
                    for n, item in enumerate(items)]
        answers = ctx.client.batch(requests, request_id=_batch_key(items, refusals),
                                   progress=ctx.progress)
        by_bid = {str(a.get("bId")): a for a in answers}
        return [by_bid.get(f"i{n}", {}) for n in range(len(items))]
    assert isinstance(ctx.client, XeroClient)
    kind = items[0].kind or kind_of("xero")
    answers = ctx.client.save(kind, [i.body for i in items], key=_batch_key(items, refusals),
                              progress=ctx.progress, void=items[0].operation == "void")
    if len(answers) != len(items):
        raise NetworkError("Xero answered a different number of journals than were sent.",
                           hint="Sync will check what arrived and try again.")
    return answers


def _apply_results(ctx: SyncContext, items: Sequence[Item],
                   results: Sequence[Mapping[str, Any]]) -> None:
    with ctx.db.session() as session:
        rows = _Rows(session, ctx, [i.key for i in items])
        saved: list[RemoteObjectRow | None] = []
        for item, result in zip(items, results, strict=True):
            kind = item.kind or kind_of(ctx.provider)
            obj, fault, code, refused = _outcome(ctx.provider, kind, result)
            if obj is not None:
                saved.append(_settle(session, ctx, item.key, obj,
                                     deleted=item.operation in ("delete", "void"), rows=rows,
                                     kind=kind))
                _remember_contact(session, ctx, item, obj)
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
            if refused:
                _refuse_row(ctx, row, item, fault, code)
                continue
            if row is not None:  # transient: sent again at the next sync, with a new request id
                row.state = OutboxState.FAILED
                row.last_error = fault
                row.refusals = (row.refusals or 0) + 1
            ctx.counts.errors.append(f"The {item.entry.label} was not saved by "
                                     f"{Provider(ctx.provider).display_name} ({fault}); it is sent "
                                     "again at the next sync.")
        _stamp_after_entries(session, saved)


#: Whole requests the provider refused for what they carry (not for the moment they came).
REFUSED_REQUEST = (400, 413, 422)
#: QBO fault types that are about the moment, not the content (API_NOTES "errors"; 3xxx are
#: throttling and authorisation codes, 10000+ severe/system errors).
_QBO_PASSING = ("systemfault", "service", "authenticationfault", "authorizationfault")


def _qbo_refused(fault_type: str, code: str | None) -> bool:
    """A QBO per-item fault that will not go away by sending the same thing again: a
    `ValidationFault`, or a code among Intuit's validation and business-rule codes (500-599
    unsupported, 600-1999 general such as 610 Object Not Found, 2000-2999 validation, 6000-9999
    business validation such as 6210 Account Period Closed; API_NOTES "errors",
    reference/api-research.md "Other codes")."""
    if fault_type.lower() in _QBO_PASSING:
        return False
    if fault_type.lower() == "validationfault":
        return True
    number = int(code) if code is not None and code.isdigit() else None
    return number is not None and (500 <= number < 3000 or 5000 <= number < 10000)


def _outcome(provider: str, kind: str, result: Mapping[str, Any]
             ) -> tuple[dict[str, Any] | None, str, str | None, bool]:
    """(object, "", None, False) on success, else (None, message, vendor code, refused): refused
    when the provider turned the content down, not when the answer is missing or transient."""
    if provider == "qbo":
        if isinstance(result.get(kind), dict):
            return dict(result[kind]), "", None, False
        fault = result.get("Fault") or {}
        errors = fault.get("Error") or [{}]
        first = errors[0] if errors else {}
        message = str(first.get("Detail") or first.get("Message") or "no answer for this item")
        code = str(first["code"]) if first.get("code") is not None else None
        refused = bool(fault) and code != STALE_OBJECT and \
            _qbo_refused(str(fault.get("type") or ""), code)
        return None, message, code, refused
    validation = result.get("ValidationErrors") or []
    if str(result.get("StatusAttributeString") or "").upper() == "ERROR" or validation:
        messages = [str(v.get("Message")) for v in validation]
        return None, "; ".join(messages) or "Xero did not save it", None, bool(messages)
    if not result:
        return None, "no answer for this journal", None, False
    return dict(result), "", None, False


class _Rows:
    """The outbox, entry and remote-object rows of a batch, loaded with a few queries (not three
    per item: at 30-50 items per request the database would otherwise cost more than the
    provider's rate limit)."""

    def __init__(self, session: Session, ctx: SyncContext, keys: Sequence[str]) -> None:
        self.outbox = store.outbox_by_keys(session, keys)
        entry_ids = [r.entry_id for r in self.outbox.values() if r.entry_id is not None]
        self.entries = store.entry_rows(session, ctx.company_id, entry_ids)
        self.remotes = store.remotes_for_entries(session, ctx.company_id, ctx.provider,
                                                 [k.value for k in KINDS[ctx.provider]],
                                                 entry_ids)


def _settle(session: Session, ctx: SyncContext, key: str, obj: Mapping[str, Any], *,
            deleted: bool = False, rows: _Rows | None = None, kind: str | None = None
            ) -> RemoteObjectRow | None:
    """The remote side has `obj` (of `kind`) for our outbox row `key`: record its id and
    version."""
    rows = rows or _Rows(session, ctx, [key])
    row = rows.outbox.get(key)
    if row is None or row.entry_id is None:
        return None
    kind = kind or row.object_type or kind_of(ctx.provider)
    remote_id = str(obj["Id"] if ctx.provider == "qbo" else obj[ID_FIELDS[kind]])
    version = version_of(ctx.provider, obj)
    entry_row = rows.entries.get(row.entry_id)
    if entry_row is not None:
        store.set_remote_ref(entry_row, ctx.provider, remote_id, version,
                             kind=_object_type(ctx.provider, kind))
        if deleted:
            entry_row.remote_deleted = True
    row.state = OutboxState.SENT
    row.remote_id = remote_id
    row.last_error = ""
    row.run_id = ctx.run_id
    store.keep_before_image(row, rows.remotes.get(remote_id))  # for `sync.undo`
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


def _new_outbox_row(session: Session, ctx: SyncContext, item: Item) -> OutboxRow:
    row = OutboxRow(company_id=ctx.company_id, provider=ctx.provider, entry_id=item.entry.id,
                    operation=item.operation, idempotency_key=item.key,
                    object_type=_object_type(ctx.provider, item.kind))
    session.add(row)
    return row


def _object_type(provider: str, kind: str | None) -> str | None:
    """What `outbox.object_type` and `journal_entries.*_kind` store: None for the journal
    kind."""
    return None if not kind or kind == kind_of(provider) else kind


def _remember_contact(session: Session, ctx: SyncContext, item: Item,
                      obj: Mapping[str, Any]) -> None:
    """A Xero document names its contact by id in the answer: keep it with ours, so the next
    push sends the id, not the name."""
    contact = obj.get("Contact") if ctx.provider == "xero" else None
    if not isinstance(contact, Mapping) or not contact.get("ContactID"):
        return
    name = clean_name(str(contact.get("Name") or ""))
    row = contact_rows(session, ctx.company_id).get(name.lower()) if name else None
    if row is not None and not row.xero_id:
        row.xero_id = str(contact["ContactID"])


def _mark_conflict(session: Session, ctx: SyncContext, item: Item, why: str) -> None:
    row = store.outbox_by_key(session, item.key) or _new_outbox_row(session, ctx, item)
    row.state = OutboxState.CONFLICT
    row.last_error = f"The {item.entry.label} was {why}."
    ctx.counts.conflicts += 1


# --- reconciling ---------------------------------------------------------------------------------


def reconcile(ctx: SyncContext, keys: set[str] | None = None) -> None:
    """Settle outbox rows left "sending": find each at the provider by its key (once requests
    an earlier run of this process left in flight are back: `inflight` docstring)."""
    if keys is None:
        wait_for_stragglers(_owner(ctx), ctx.progress)
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
    kinds: dict[str, str] = {}
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
        for kind in dict.fromkeys(r.object_type or kind_of("xero") for r in rows):
            for page, _ in ctx.client.pages_since(kind, since, progress=ctx.progress):
                for obj in page:
                    key = key_in(key_text(kind, obj))
                    if key in wanted:
                        found[key], kinds[key] = obj, kind
    with ctx.db.session() as session:
        preloaded = _Rows(session, ctx, list(found))
        saved = []
        for key, obj in found.items():
            row = preloaded.outbox.get(key)
            deleted = row is not None and row.operation in ("delete", "void")
            saved.append(_settle(session, ctx, key, obj, deleted=deleted, rows=preloaded,
                                 kind=kinds.get(key)))
            ctx.counts.reconciled += 1
        _stamp_after_entries(session, saved)
