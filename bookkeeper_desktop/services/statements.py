"""Statements in: read a bank or card statement, match it to one of our accounts, set aside what
is already in the books, check its balances, and show all that before anything changes
(`preview_statement`); then store its new lines with draft entries and their proposals
(`import_statement`), all in one transaction.

What happens to each line of the file:
- **duplicate**: the same bank id (OFX FITID, CAMT reference, else a hash of the row) was imported
  before for this account; **ignored**: the same, and the user had skipped it (stays skipped);
- **matched**: an entry already in the books (typed, or pulled from QBO/Xero) has a line on this
  account with the same amount within 3 days of the line's date: that entry is this line;
- **transfer**: a line of one of our other accounts, waiting for review, is the other side of
  this line (the opposite amount within 3 days): its draft becomes one transfer entry between the
  two accounts;
- **new**: a draft entry (the bank line and the proposed counter-account, contact and reason),
  or, with no proposal, the counter-account "Uncategorized Expense" / "Uncategorized Income"
  (QuickBooks Online's names, so that the mapping finds them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bookkeeper_desktop.core.accounts import Account, AccountClass, AccountType
from bookkeeper_desktop.core.categorise import Model, Proposal, Rule, propose
from bookkeeper_desktop.core.errors import BookkeeperError, LineProblem, NotFound, ValidationError
from bookkeeper_desktop.core.journal import (
    EntrySource,
    EntryStatus,
    JournalEntry,
    JournalLine,
    ensure_valid,
)
from bookkeeper_desktop.core.money import ZERO, format_money
from bookkeeper_desktop.core.progress import Progress, no_progress
from bookkeeper_desktop.formats.statements import (
    CsvMapping,
    Statement,
    StatementLine,
    read_statement,
)
from bookkeeper_desktop.services.common import default_actor
from bookkeeper_desktop.services.statement_model import (
    STATEMENT_ACCOUNT_TYPES,
    load_model,
    load_rules,
    seed_from_ledger,
)
from bookkeeper_desktop.storage import repositories
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.mapping import account_of, entry_of
from bookkeeper_desktop.storage.schema import (
    AccountRow,
    CompanyRow,
    JournalEntryRow,
    JournalLineRow,
    StatementAccountRow,
    StatementLineRow,
)

#: An entry within this many days of a statement line, for the same amount, is that line.
MATCH_DAYS = 3
UNCATEGORISED = {AccountClass.EXPENSE: "Uncategorized Expense",
                 AccountClass.INCOME: "Uncategorized Income"}


class Outcome(StrEnum):
    NEW = "new"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    MATCHED = "matched"
    TRANSFER = "transfer"


@dataclass(frozen=True)
class PreviewLine:
    line: StatementLine
    outcome: Outcome
    proposal: Proposal | None = None
    #: The entry this line matched, or the statement line of the transfer's other side.
    entry_id: int | None = None
    other_line_id: int | None = None
    note: str = ""


@dataclass(frozen=True)
class StatementPreview:
    """What importing one statement would do; nothing has changed yet."""

    file_name: str
    statement: Statement
    account: Account | None
    #: How the account was found: "remembered", "chosen", "its number is in the account's
    #: description", or "" when the user must choose.
    account_how: str
    lines: tuple[PreviewLine, ...] = ()
    balance_checks: tuple[str, ...] = ()
    balance_differences: tuple[Decimal, ...] = ()
    #: Things the user should know before importing (a currency other than the company's).
    notes: tuple[str, ...] = ()

    @property
    def refused(self) -> tuple[LineProblem, ...]:
        return self.statement.refused

    def count(self, outcome: Outcome) -> int:
        return sum(1 for line in self.lines if line.outcome is outcome)

    @property
    def can_apply(self) -> bool:
        return self.account is not None

    def summary_line(self) -> str:
        parts = [f"{self.count(Outcome.NEW)} new", f"{self.count(Outcome.MATCHED)} already in "
                 "the books", f"{self.count(Outcome.TRANSFER)} transfers",
                 f"{self.count(Outcome.DUPLICATE)} imported before",
                 f"{self.count(Outcome.IGNORED)} skipped before"]
        if self.refused:
            parts.append(f"{len(self.refused)} refused")
        return ", ".join(parts) + "."


@dataclass(frozen=True)
class ImportOutcome:
    previews: tuple[StatementPreview, ...]
    created_line_ids: tuple[int, ...] = ()
    entry_ids: tuple[int, ...] = ()
    applied: bool = False
    seeded: int = 0
    extra: Mapping[str, int] = field(default_factory=dict)


# --- reading and matching the account ------------------------------------------------------------


def company_accounts(session: Session, company_id: int) -> dict[int, Account]:
    """Every account of the company (inactive ones too) by id, in an open session."""
    rows = session.execute(select(AccountRow).where(AccountRow.company_id == company_id))
    return {row.id: account_of(row) for row in rows.scalars()}


def statement_accounts(db: Database, company_id: int) -> list[Account]:
    """The accounts a statement can belong to: active bank and credit-card accounts."""
    with db.read_session() as session:
        return [a for a in company_accounts(session, company_id).values()
                if a.type.value in STATEMENT_ACCOUNT_TYPES and a.active]


def remembered_mapping(db: Database, company_id: int, path: Path) -> CsvMapping | None:
    """The confirmed column mapping of a bank CSV whose header we have seen before."""
    try:
        statements = read_statement(path)
    except BookkeeperError:  # the preview reports an unreadable file in full
        return None
    key = statements[0].account_key if statements else ""
    if not key.startswith("csv:"):
        return None
    with db.read_session() as session:
        row = _link(session, company_id, key)
        if row is None or not row.csv_mapping:
            return None
        return CsvMapping.from_json(row.csv_mapping)


def _link(session: Session, company_id: int, key: str) -> StatementAccountRow | None:
    return session.execute(select(StatementAccountRow).where(
        StatementAccountRow.company_id == company_id,
        StatementAccountRow.account_key == key)).scalar_one_or_none()


def _find_account(session: Session, company_id: int, statement: Statement,
                  accounts: Mapping[int, Account], chosen: int | None
                  ) -> tuple[Account | None, str]:
    if chosen is not None:
        account = accounts.get(chosen)
        if account is None or account.type.value not in STATEMENT_ACCOUNT_TYPES:
            raise ValidationError("A statement can only go to a bank or credit-card account.")
        return account, "chosen"
    link = _link(session, company_id, statement.account_key)
    if link is not None and link.account_id in accounts:
        return accounts[link.account_id], "remembered"
    number = statement.account_key.split(":", 1)[-1].rsplit("/", 1)[-1].replace(" ", "")
    if len(number) >= 4 and not statement.account_key.startswith("csv:"):
        for account in accounts.values():
            if account.type.value not in STATEMENT_ACCOUNT_TYPES or not account.active:
                continue
            haystack = f"{account.description} {account.full_name}".replace(" ", "").upper()
            if number.upper() in haystack or (account.code or "") == number:
                return account, "its number is in the account's description"
    return None, ""


# --- balances ------------------------------------------------------------------------------------

_OPEN_STATUSES = (EntryStatus.DRAFT, EntryStatus.APPROVED, EntryStatus.POSTED)


def _balance(session: Session, company_id: int, account_id: int, as_of: dt.date) -> Decimal:
    balances = repositories.account_balances(session, company_id, _OPEN_STATUSES, as_of)
    return balances.get(account_id, ZERO)


def _balance_checks(session: Session, company_id: int, statement: Statement, account: Account,
                    lines: Sequence[PreviewLine]) -> tuple[tuple[str, ...], tuple[Decimal, ...]]:
    checks: list[str] = []
    differences: list[Decimal] = []
    first_date = min((line.line.date for line in lines), default=None)
    if statement.opening is not None and first_date is not None:
        ours = _balance(session, company_id, account.id or 0, first_date - dt.timedelta(days=1))
        differences.append(statement.opening.amount - ours)
        checks.append(_check_text("Opening", statement.opening.amount, ours))
    if statement.closing is not None:
        last_date = max((line.line.date for line in lines), default=None)
        as_of = statement.closing.date or last_date or first_date or dt.date.min
        adding = sum((line.line.amount for line in lines
                      if line.outcome in (Outcome.NEW, Outcome.TRANSFER)
                      and line.line.date <= as_of), ZERO)
        ours = _balance(session, company_id, account.id or 0, as_of) + adding
        differences.append(statement.closing.amount - ours)
        checks.append(_check_text("Closing", statement.closing.amount, ours))
    return tuple(checks), tuple(differences)


def _check_text(which: str, theirs: Decimal, ours: Decimal) -> str:
    if theirs == ours:
        return f"{which} balance {format_money(theirs)} agrees with our books."
    return (f"{which} balance: the statement says {format_money(theirs)}, our books "
            f"{format_money(ours)} after this import (difference {format_money(theirs - ours)}).")


# --- what each line is ---------------------------------------------------------------------------


def _known_refs(session: Session, company_id: int, account_id: int) -> dict[str, str]:
    rows = session.execute(select(StatementLineRow.bank_ref, StatementLineRow.state).where(
        StatementLineRow.company_id == company_id, StatementLineRow.account_id == account_id))
    return dict(rows.tuples().all())


def _candidate_entries(session: Session, company_id: int, account_id: int, start: dt.date,
                       end: dt.date) -> list[tuple[int, dt.date, Decimal]]:
    """(entry id, date, signed amount on the account) of live entries near the statement's dates
    that no statement line of this account stands for yet: one entry is one bank line, so two
    coffees of the same price on consecutive statements stay two (the price of this: the same
    line downloaded again in another format, OFX then CSV, has another bank id and is new)."""
    linked = select(StatementLineRow.entry_id).where(
        StatementLineRow.company_id == company_id, StatementLineRow.entry_id.is_not(None),
        StatementLineRow.account_id == account_id)
    rows = session.execute(
        select(JournalEntryRow.id, JournalEntryRow.date, JournalLineRow.debit,
               JournalLineRow.credit)
        .join(JournalLineRow, JournalLineRow.entry_id == JournalEntryRow.id)
        .where(JournalEntryRow.company_id == company_id,
               JournalEntryRow.status != EntryStatus.VOID.value,
               JournalEntryRow.remote_deleted.is_(False),
               JournalLineRow.account_id == account_id,
               JournalEntryRow.date.between(start - dt.timedelta(days=MATCH_DAYS),
                                            end + dt.timedelta(days=MATCH_DAYS)),
               JournalEntryRow.id.not_in(linked))
        .order_by(JournalEntryRow.date, JournalEntryRow.id))
    return [(entry_id, date, debit - credit) for entry_id, date, debit, credit in rows]


def _waiting_other_sides(session: Session, company_id: int, account_id: int, start: dt.date,
                         end: dt.date) -> list[StatementLineRow]:
    """Lines of our other bank and card accounts still waiting for review (transfer sides)."""
    return list(session.execute(select(StatementLineRow).where(
        StatementLineRow.company_id == company_id,
        StatementLineRow.account_id != account_id,
        StatementLineRow.state == "proposed",
        StatementLineRow.entry_id.is_not(None),
        StatementLineRow.date.between(start - dt.timedelta(days=MATCH_DAYS),
                                      end + dt.timedelta(days=MATCH_DAYS)))).scalars())


def _near(a: dt.date, b: dt.date) -> bool:
    return abs((a - b).days) <= MATCH_DAYS


@dataclass
class _Context:
    """What proposing needs, loaded once per import."""

    model: Model
    rules: list[Rule]
    names: dict[int, str]
    allowed: set[int]


def _proposal_context(session: Session, company_id: int, accounts: Mapping[int, Account],
                      bank_id: int) -> tuple[_Context, int]:
    model = load_model(session, company_id)
    seeded = seed_from_ledger(session, company_id, model)
    allowed = {i for i, a in accounts.items() if a.active and i != bank_id
               and a.type is not AccountType.NON_POSTING}
    return _Context(model, load_rules(session, company_id),
                    {i: a.full_name for i, a in accounts.items()}, allowed), seeded


def _classify(session: Session, company_id: int, statement: Statement, account: Account,
              context: _Context, *, progress: Progress) -> list[PreviewLine]:
    assert account.id is not None
    lines = statement.lines
    if not lines:
        return []
    start, end = min(x.date for x in lines), max(x.date for x in lines)
    known = _known_refs(session, company_id, account.id)
    # Indexed by amount: a statement of 10,000 lines meets thousands of entries.
    candidates: dict[Decimal, list[tuple[int, dt.date, Decimal]]] = {}
    for candidate in _candidate_entries(session, company_id, account.id, start, end):
        candidates.setdefault(candidate[2], []).append(candidate)
    others: dict[Decimal, list[StatementLineRow]] = {}
    for other_row in _waiting_other_sides(session, company_id, account.id, start, end):
        others.setdefault(other_row.amount, []).append(other_row)
    used_entries: set[int] = set()
    used_others: set[int] = set()
    result: list[PreviewLine] = []
    for done, line in enumerate(lines, start=1):
        if done % 200 == 0:
            progress.report(done, len(lines))
            progress.check_cancelled()
        state = known.get(line.bank_ref)
        if state is not None:
            outcome = Outcome.IGNORED if state == "ignored" else Outcome.DUPLICATE
            result.append(PreviewLine(line, outcome, note="imported before"))
            continue
        match = next((c for c in candidates.get(line.amount, ()) if c[0] not in used_entries
                      and _near(c[1], line.date)), None)
        if match is not None:
            used_entries.add(match[0])
            result.append(PreviewLine(line, Outcome.MATCHED, entry_id=match[0],
                                      note=f"entry #{match[0]} of {match[1].isoformat()}"))
            continue
        other = next((o for o in others.get(-line.amount, ()) if o.id not in used_others
                      and _near(o.date, line.date)), None)
        if other is not None:
            used_others.add(other.id)
            result.append(PreviewLine(
                line, Outcome.TRANSFER, entry_id=other.entry_id, other_line_id=other.id,
                note=f"the other side of a line of {context.names.get(other.account_id, '?')}"))
            continue
        proposal = propose(context.model, context.rules, line.text, line.amount, context.names,
                           allowed=context.allowed)
        result.append(PreviewLine(line, Outcome.NEW, proposal=proposal))
    return result


# --- preview and import --------------------------------------------------------------------------


def _previews(session: Session, company_id: int, path: Path, account_id: int | None,
              csv_mapping: CsvMapping | None, *, progress: Progress,
              store: Callable[[StatementPreview], None] | None = None,
              ) -> tuple[list[StatementPreview], int]:
    """A preview per statement of the file. With `store`, each is stored before the next is
    matched, so that a file holding two of our accounts (a multi-account OFX) pairs the two
    sides of a transfer between them."""
    progress.phase(f"Reading {path.name}")
    statements = read_statement(path, csv_mapping)
    progress.phase("Matching and proposing", sum(len(s.lines) for s in statements))
    accounts = company_accounts(session, company_id)
    previews: list[StatementPreview] = []
    seeded = 0
    for statement in statements:
        account, how = _find_account(session, company_id, statement, accounts,
                                     account_id if len(statements) == 1 else None)
        if account is None or account.id is None:
            previews.append(StatementPreview(path.name, statement, None, ""))
            if store is not None:
                store(previews[-1])
            continue
        context, learned = _proposal_context(session, company_id, accounts, account.id)
        seeded += learned
        lines = _classify(session, company_id, statement, account, context, progress=progress)
        checks, differences = _balance_checks(session, company_id, statement, account, lines)
        previews.append(StatementPreview(path.name, statement, account, how, tuple(lines),
                                         checks, differences,
                                         _currency_notes(session, company_id, statement)))
        if store is not None:
            store(previews[-1])
    return previews, seeded


def preview_statement(db: Database, company_id: int, path: Path, *,
                      account_id: int | None = None, csv_mapping: CsvMapping | None = None,
                      progress: Progress | None = None) -> list[StatementPreview]:
    """What importing `path` would do, one preview per statement in the file; nothing changes
    (not even the model's first learning from the ledger, which is rolled back)."""
    with db.session() as session:
        previews, _ = _previews(session, company_id, path, account_id, csv_mapping,
                                progress=progress or no_progress())
        session.rollback()
    return previews


def import_statement(db: Database, company_id: int, path: Path, *,
                     account_id: int | None = None, csv_mapping: CsvMapping | None = None,
                     actor: str | None = None, progress: Progress | None = None
                     ) -> ImportOutcome:
    """Import every statement of `path` whose account is known, in one transaction; a statement
    whose account is not known yet raises `ValidationError` and nothing is imported, and so does
    a cancelled `progress` (`Cancelled`)."""
    who = actor or default_actor()
    progress = progress or no_progress()
    created: list[int] = []
    entries: list[int] = []
    with db.session() as session:
        accounts = company_accounts(session, company_id)

        def store(preview: StatementPreview) -> None:
            if preview.account is None:
                raise ValidationError(
                    f"'{path.name}' is a statement of {preview.statement.account_label}, which "
                    "is not linked to one of your accounts yet.",
                    hint="Choose the bank or card account it belongs to (--account CODE); it is "
                         "remembered for the next statements.")
            progress.phase("Saving the lines and their drafts", len(preview.lines))
            _remember_account(session, company_id, preview)
            made, made_entries = _store_lines(session, company_id, preview, accounts, who,
                                              progress=progress)
            created.extend(made)
            entries.extend(made_entries)

        previews, seeded = _previews(session, company_id, path, account_id, csv_mapping,
                                     progress=progress, store=store)
        repositories.add_audit(session, company_id, who, "import_statement",
                               obj=("statement", None),
                               details={"file": path.name, "lines": len(created)})
    return ImportOutcome(tuple(previews), tuple(created), tuple(entries), True, seeded)


def _remember_account(session: Session, company_id: int, preview: StatementPreview) -> None:
    assert preview.account is not None
    assert preview.account.id is not None
    statement = preview.statement
    row = _link(session, company_id, statement.account_key)
    if row is None:
        row = StatementAccountRow(company_id=company_id, account_key=statement.account_key,
                                  account_id=preview.account.id, label=statement.account_label)
        session.add(row)
    row.account_id = preview.account.id
    if statement.csv_mapping is not None:
        row.csv_mapping = statement.csv_mapping.to_json()
    session.flush()


def uncategorised_account(session: Session, company_id: int, income: bool,
                          accounts: dict[int, Account]) -> int:
    """The id of "Uncategorized Income" / "Uncategorized Expense", made when missing."""
    account_class = AccountClass.INCOME if income else AccountClass.EXPENSE
    name = UNCATEGORISED[account_class]
    for account_id, account in accounts.items():
        if account.full_name == name:
            return account_id
    row = AccountRow(company_id=company_id, full_name=name, name=name,
                     type=(AccountType.INCOME if income else AccountType.EXPENSE).value,
                     original_type=None, source="manual", description="Statement lines not "
                     "categorised yet", active=True, extra={})
    session.add(row)
    session.flush()
    accounts[row.id] = account_of(row)
    return row.id


def statement_entry(line: StatementLine, bank_id: int, counter_id: int, *, currency: str,
                    contact: str = "", tax_code: str = "") -> JournalEntry:
    """The draft entry of one statement line: the bank line and its counter line (which carries
    the proposed tax code; empty means the account's own default)."""
    text = line.text[:500]
    return JournalEntry(
        date=line.date,
        lines=(JournalLine.of(bank_id, line.amount, description=text, contact=contact),
               JournalLine.of(counter_id, -line.amount, description=text, contact=contact,
                              tax_code=tax_code)),
        memo=text, currency=currency, status=EntryStatus.DRAFT, source=EntrySource.IMPORT,
    )


def _store_lines(session: Session, company_id: int, preview: StatementPreview,
                 accounts: dict[int, Account], actor: str, *, progress: Progress
                 ) -> tuple[list[int], list[int]]:
    """Store the preview's lines and the drafts of its new ones (in bulk: a statement may have
    10,000 lines; one audit row names them all)."""
    account = preview.account
    assert account is not None
    assert account.id is not None
    currency = preview.statement.currency or _company_currency(session, company_id)
    rows: list[StatementLineRow] = []
    drafts: list[tuple[StatementLineRow, JournalEntry]] = []
    for done, item in enumerate(preview.lines, start=1):
        if done % 200 == 0:
            progress.report(done, len(preview.lines))
            progress.check_cancelled()
        if item.outcome in (Outcome.DUPLICATE, Outcome.IGNORED):
            continue
        line = item.line
        row = StatementLineRow(
            company_id=company_id, account_id=account.id, bank_ref=line.bank_ref,
            date=line.date, amount=line.amount, description=line.description[:2000],
            payee=line.payee[:200], reference=line.reference[:100],
            file_name=preview.file_name[:400], file_line=line.line, proposed_contact="",
            proposed_tax_code="", confidence=0, proposal_source="none", reason="",
        )
        if item.outcome is Outcome.MATCHED:
            row.state, row.entry_id = "matched", item.entry_id
            row.proposal_source, row.confidence = "match", 100
            row.reason = f"Already in the books: {item.note}."
        elif item.outcome is Outcome.TRANSFER:
            _make_transfer(session, company_id, item, account, accounts)
            row.state, row.entry_id = "transfer", item.entry_id
            row.proposal_source, row.confidence = "transfer", 100
            row.proposed_account_id = account.id
            row.reason = f"A transfer: {item.note}."
        else:
            drafts.append((row, _draft_of(session, company_id, item, account.id, accounts,
                                          currency=currency, row=row)))
        rows.append(row)
    entry_ids = repositories.bulk_insert_entries(session, company_id,
                                                 (entry for _row, entry in drafts))
    for (row, _entry), entry_id in zip(drafts, entry_ids, strict=True):
        row.entry_id = entry_id
    session.add_all(rows)
    session.flush()
    if entry_ids:
        repositories.add_audit(session, company_id, actor, "bulk_create", obj=("entry", None),
                               details={"count": len(entry_ids), "status": "draft",
                                        "source": "import", "statement": preview.file_name})
    return [row.id for row in rows], entry_ids


def _draft_of(session: Session, company_id: int, item: PreviewLine, bank_id: int,
              accounts: dict[int, Account], *, currency: str, row: StatementLineRow
              ) -> JournalEntry:
    """The draft entry of a new line (checked), with its proposal written on `row`."""
    proposal = item.proposal
    counter = proposal.account_id if proposal and proposal.account_id else \
        uncategorised_account(session, company_id, item.line.amount > 0, accounts)
    entry = statement_entry(item.line, bank_id, counter, currency=currency,
                            contact=proposal.contact if proposal else "",
                            tax_code=proposal.tax_code if proposal else "")
    ensure_valid(entry, accounts)
    row.state = "proposed"
    row.proposed_account_id = counter
    if proposal is not None:
        row.proposed_contact = proposal.contact
        row.proposed_tax_code = proposal.tax_code or accounts[counter].tax_code or ""
        row.confidence = proposal.percent
        row.proposal_source = proposal.source.value
        row.reason = proposal.reason
    return entry


def _make_transfer(session: Session, company_id: int, item: PreviewLine, account: Account,
                   accounts: Mapping[int, Account]) -> None:
    """The other side's draft becomes a transfer: its counter line moves to `account`."""
    assert item.entry_id is not None
    assert account.id is not None
    row = repositories.entry_row(session, company_id, item.entry_id, for_update=True)
    other = session.get(StatementLineRow, item.other_line_id) if item.other_line_id else None
    if row is None or other is None:
        raise NotFound("The other side of the transfer disappeared; import the file again.")
    entry = entry_of(row, list(row.lines))
    bank_line = next(x for x in entry.lines if x.account_id == other.account_id)
    text = f"Transfer: {other.description}"[:500]
    moved = entry.with_changes(lines=(
        JournalLine.of(other.account_id, bank_line.signed_amount, description=text),
        JournalLine.of(account.id, -bank_line.signed_amount, description=text)), memo=text)
    ensure_valid(moved, accounts)
    repositories.replace_entry(session, row, moved)
    other.proposed_account_id = account.id
    other.proposed_contact = ""
    other.confidence = 100
    other.proposal_source = "transfer"
    other.reason = (f"A transfer to/from {account.full_name}: its statement has the opposite "
                    f"line within {MATCH_DAYS} days.")


def _currency_notes(session: Session, company_id: int, statement: Statement) -> tuple[str, ...]:
    books = _company_currency(session, company_id)
    if statement.currency and statement.currency.upper() != books.upper():
        return (f"The statement is in {statement.currency}, the books in {books}: its entries "
                f"are made in {statement.currency}.",)
    return ()


def _company_currency(session: Session, company_id: int) -> str:
    company = session.get(CompanyRow, company_id)
    return company.currency if company else "USD"
