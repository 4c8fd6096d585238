"""Reviewing proposed statement lines: accept (the draft entry is approved, or posted when the
user's setting says so, and goes out with the next sync), change the account/contact/tax code,
accept every line above a confidence in one step, split a line across accounts, skip a line
(remembered for re-imports), and make a rule from a line in one step.

Every acceptance teaches the company's model at once, in the same transaction (the account the
user settled on, not the one proposed), so the next proposal already knows it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bookkeeper_desktop.core.accounts import Account
from bookkeeper_desktop.core.categorise import Example, Rule, propose
from bookkeeper_desktop.core.errors import BookkeeperError, NotFound, ValidationError
from bookkeeper_desktop.core.journal import (
    EntryStatus,
    JournalEntry,
    JournalLine,
    ensure_valid,
    transition,
)
from bookkeeper_desktop.core.money import ZERO, format_money, money
from bookkeeper_desktop.core.progress import Progress, no_progress
from bookkeeper_desktop.services.common import default_actor
from bookkeeper_desktop.services.statement_model import (
    delete_rule,
    insert_rule,
    load_model,
    load_rules,
    save_changes,
)
from bookkeeper_desktop.services.statements import UNCATEGORISED, company_accounts
from bookkeeper_desktop.storage import repositories
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.mapping import entry_of
from bookkeeper_desktop.storage.schema import JournalEntryRow, StatementLineRow

#: "Accept all above" uses this confidence unless told otherwise.
DEFAULT_THRESHOLD = 90


@dataclass(frozen=True)
class ReviewLine:
    """A statement line as the review shows it, with its proposal and reason."""

    id: int
    bank_account_id: int
    bank_account: str
    date: dt.date
    amount: Decimal
    text: str
    state: str
    entry_id: int | None
    account_id: int | None
    account: str
    contact: str
    tax_code: str
    confidence: int
    source: str
    reason: str
    file_name: str
    file_line: int


@dataclass(frozen=True)
class Choice:
    """The user's account, contact and tax code for a line. `contact` None keeps the payee the
    line was proposed with (choosing an account does not forget who was paid); "" clears it."""

    account_id: int
    contact: str | None = None
    tax_code: str = ""


@dataclass(frozen=True)
class SplitPart:
    account_id: int
    amount: Decimal
    contact: str = ""
    tax_code: str = ""


@dataclass(frozen=True)
class ReviewResult:
    done: tuple[int, ...] = ()
    refused: tuple[tuple[int, str], ...] = ()
    entry_ids: tuple[int, ...] = ()


def line_text(row: StatementLineRow) -> str:
    if row.payee and row.payee.lower() not in row.description.lower():
        return f"{row.payee} {row.description}".strip()
    return row.description or row.payee


def _review_line(row: StatementLineRow, accounts: Mapping[int, Account]) -> ReviewLine:
    account = accounts.get(row.proposed_account_id) if row.proposed_account_id else None
    bank = accounts.get(row.account_id)
    return ReviewLine(
        id=row.id, bank_account_id=row.account_id, bank_account=bank.full_name if bank else "?",
        date=row.date, amount=row.amount, text=line_text(row), state=row.state,
        entry_id=row.entry_id, account_id=row.proposed_account_id,
        account=account.full_name if account else "", contact=row.proposed_contact,
        tax_code=row.proposed_tax_code, confidence=row.confidence, source=row.proposal_source,
        reason=row.reason, file_name=row.file_name, file_line=row.file_line)


def review_lines(db: Database, company_id: int, *, states: Iterable[str] = ("proposed",),
                 ids: Sequence[int] | None = None) -> list[ReviewLine]:
    """Lines in `states` (or with `ids`), by date; the proposals first by bank account."""
    with db.read_session() as session:
        accounts = company_accounts(session, company_id)
        query = select(StatementLineRow).where(StatementLineRow.company_id == company_id)
        if ids is not None:
            query = query.where(StatementLineRow.id.in_(list(ids)))
        else:
            query = query.where(StatementLineRow.state.in_(list(states)))
        rows = session.execute(query.order_by(StatementLineRow.account_id,
                                              StatementLineRow.date, StatementLineRow.id))
        return [_review_line(row, accounts) for row in rows.scalars()]


def _line_row(session: Session, company_id: int, line_id: int) -> StatementLineRow:
    row = session.get(StatementLineRow, line_id)
    if row is None or row.company_id != company_id:
        raise NotFound(f"There is no statement line #{line_id}.")
    return row


def _draft(session: Session, company_id: int, row: StatementLineRow
           ) -> tuple[JournalEntryRow, JournalEntry]:
    if row.state != "proposed":
        raise ValidationError(f"The line of {row.date.isoformat()} ({format_money(row.amount)}) "
                              f"is {row.state}, not waiting for review.")
    entry_row = repositories.entry_row(session, company_id, row.entry_id, for_update=True) \
        if row.entry_id is not None else None
    if entry_row is None:
        raise NotFound(f"The draft entry of the line of {row.date.isoformat()} was deleted.",
                       hint="Skip the line, or enter the entry by hand.")
    return entry_row, entry_of(entry_row, list(entry_row.lines))


def _with_counter(entry: JournalEntry, bank_id: int, parts: Sequence[SplitPart]) -> JournalEntry:
    bank_lines = [x for x in entry.lines if x.account_id == bank_id]
    if len(bank_lines) != 1:
        raise ValidationError(f"The {entry.label} is not the draft of one statement line.")
    bank = bank_lines[0]
    counters = tuple(JournalLine.of(p.account_id, -p.amount, description=bank.description,
                                    contact=p.contact, tax_code=p.tax_code) for p in parts)
    contact = parts[0].contact if len(parts) == 1 else bank.contact
    return entry.with_changes(lines=(JournalLine.of(bank_id, bank.signed_amount,
                                                    description=bank.description,
                                                    contact=contact), *counters))


def _counter_accounts(entry: JournalEntry, bank_id: int) -> list[JournalLine]:
    return [x for x in entry.lines if x.account_id != bank_id]


def _apply_choice(session: Session, company_id: int, row: StatementLineRow, choice: Choice,
                  accounts: Mapping[int, Account]) -> JournalEntry:
    entry_row, entry = _draft(session, company_id, row)
    contact = row.proposed_contact if choice.contact is None else choice.contact
    changed = _with_counter(entry, row.account_id,
                            [SplitPart(choice.account_id, row.amount, contact,
                                       choice.tax_code)])
    ensure_valid(changed, accounts)
    repositories.replace_entry(session, entry_row, changed)
    row.proposed_account_id = choice.account_id
    row.proposed_contact = contact
    row.proposed_tax_code = choice.tax_code
    if row.proposal_source != "user":
        row.reason = f"Changed by you (proposed: {row.reason})"
    row.proposal_source, row.confidence = "user", 100
    return changed


def change_line(db: Database, company_id: int, line_id: int, choice: Choice, *,
                actor: str | None = None) -> ReviewLine:
    """Change a waiting line's account, contact and tax code (its draft entry follows)."""
    with db.session() as session:
        accounts = company_accounts(session, company_id)
        row = _line_row(session, company_id, line_id)
        _apply_choice(session, company_id, row, choice, accounts)
        repositories.add_audit(session, company_id, actor or default_actor(), "update",
                               obj=("entry", row.entry_id),
                               details={"statement_line": line_id,
                                        "account_id": choice.account_id})
        session.flush()
        return _review_line(row, accounts)


def split_line(db: Database, company_id: int, line_id: int, parts: Sequence[SplitPart], *,
               actor: str | None = None) -> ReviewLine:
    """Spread a waiting line across several accounts; the parts add up to the line's amount."""
    with db.session() as session:
        accounts = company_accounts(session, company_id)
        row = _line_row(session, company_id, line_id)
        total = sum((money(p.amount) for p in parts), ZERO)
        if len(parts) < 2:
            raise ValidationError("A split needs at least two parts.")
        if total != row.amount:
            raise ValidationError(
                f"The parts add up to {format_money(total)} but the line is "
                f"{format_money(row.amount)}.",
                [f"Difference {format_money(row.amount - total)}."])
        entry_row, entry = _draft(session, company_id, row)
        changed = _with_counter(entry, row.account_id, parts)
        ensure_valid(changed, accounts)
        repositories.replace_entry(session, entry_row, changed)
        largest = max(parts, key=lambda p: abs(p.amount))
        row.proposed_account_id = largest.account_id
        row.proposed_tax_code = largest.tax_code
        row.proposal_source, row.confidence = "user", 100
        row.reason = "Split by you: " + ", ".join(
            f"{format_money(p.amount)} to {accounts[p.account_id].full_name}"
            for p in parts if p.account_id in accounts) + "."
        repositories.add_audit(session, company_id, actor or default_actor(), "update",
                               obj=("entry", row.entry_id),
                               details={"statement_line": line_id, "split": len(parts)})
        session.flush()
        return _review_line(row, accounts)


def accept_lines(db: Database, company_id: int, line_ids: Sequence[int], *,
                 choices: Mapping[int, Choice] | None = None, post: bool = False,
                 actor: str | None = None, progress: Progress | None = None) -> ReviewResult:
    """Approve (or post) the draft of each line, with the user's `choices` where given; a line
    still on an "Uncategorized" account is refused with the reason. The model learns each.
    All in one transaction: a cancelled `progress` leaves every line as it was."""
    who = actor or default_actor()
    progress = progress or no_progress()
    progress.phase("Accepting statement lines", len(line_ids))
    done: list[int] = []
    entries: list[int] = []
    refused: list[tuple[int, str]] = []
    with db.session() as session:
        accounts = company_accounts(session, company_id)
        uncategorised = {i for i, a in accounts.items() if a.full_name in UNCATEGORISED.values()}
        model = load_model(session, company_id)
        for count, line_id in enumerate(dict.fromkeys(line_ids), start=1):
            if count % 100 == 0:
                progress.report(count, len(line_ids))
                progress.check_cancelled()
            try:
                row = _line_row(session, company_id, line_id)
                choice = (choices or {}).get(line_id)
                if choice is not None:
                    entry = _apply_choice(session, company_id, row, choice, accounts)
                    entry_row = repositories.entry_row(session, company_id, entry.id or 0)
                else:
                    entry_row, entry = _draft(session, company_id, row)
                counters = _counter_accounts(entry, row.account_id)
                if any(c.account_id in uncategorised for c in counters):
                    raise ValidationError(
                        f"The line of {row.date.isoformat()} '{line_text(row)[:40]}' has no "
                        "account yet.", hint="Choose its account first.")
                approved = transition(entry, EntryStatus.APPROVED)
                if post:
                    approved = transition(approved, EntryStatus.POSTED)
                ensure_valid(approved, accounts)
            except BookkeeperError as exc:
                refused.append((line_id, str(exc)))
                continue
            assert entry_row is not None
            entry_row.status = approved.status.value
            repositories.add_audit(session, company_id, who,
                                   "post" if post else "approve", obj=("entry", entry_row.id),
                                   details={"from": "draft", "to": approved.status.value,
                                            "statement_line": line_id})
            _mark_accepted(session, company_id, row)
            largest = max(counters, key=lambda c: abs(c.signed_amount))
            model.learn(Example(line_text(row), row.amount, row.date, largest.account_id,
                                largest.contact, row.proposed_tax_code))
            done.append(line_id)
            entries.append(entry_row.id)
        save_changes(session, company_id, model)
    return ReviewResult(tuple(done), tuple(refused), tuple(entries))


def _mark_accepted(session: Session, company_id: int, row: StatementLineRow) -> None:
    row.state = "accepted"
    partners = session.execute(select(StatementLineRow).where(
        StatementLineRow.company_id == company_id, StatementLineRow.entry_id == row.entry_id,
        StatementLineRow.id != row.id, StatementLineRow.state == "transfer")).scalars()
    for partner in partners:
        partner.state = "accepted"


def accept_above(db: Database, company_id: int, threshold: int = DEFAULT_THRESHOLD, *,
                 post: bool = False, actor: str | None = None,
                 progress: Progress | None = None) -> ReviewResult:
    """Accept every waiting line whose proposal is at least `threshold` percent sure."""
    with db.read_session() as session:
        ids = list(session.execute(select(StatementLineRow.id).where(
            StatementLineRow.company_id == company_id, StatementLineRow.state == "proposed",
            StatementLineRow.confidence >= threshold,
            StatementLineRow.proposed_account_id.is_not(None))
            .order_by(StatementLineRow.date, StatementLineRow.id)).scalars())
    return accept_lines(db, company_id, ids, post=post, actor=actor, progress=progress)


def ignore_lines(db: Database, company_id: int, line_ids: Sequence[int], *,
                 actor: str | None = None) -> ReviewResult:
    """Skip lines: their drafts are deleted and a re-import of the file keeps them skipped."""
    who = actor or default_actor()
    done: list[int] = []
    refused: list[tuple[int, str]] = []
    with db.session() as session:
        for line_id in dict.fromkeys(line_ids):
            try:
                row = _line_row(session, company_id, line_id)
                entry_row, _entry = _draft(session, company_id, row)
            except NotFound:  # its draft was deleted in the ledger: skipping is all that is left
                entry_row = None
            except BookkeeperError as exc:
                refused.append((line_id, str(exc)))
                continue
            if entry_row is not None:
                repositories.add_audit(session, company_id, who, "delete",
                                       obj=("entry", entry_row.id),
                                       details={"statement_line": line_id,
                                                "note": "line skipped"})
                session.delete(entry_row)
            row.state, row.entry_id = "ignored", None
            done.append(line_id)
    return ReviewResult(tuple(done), tuple(refused))


def list_rules(db: Database, company_id: int) -> list[Rule]:
    with db.read_session() as session:
        return load_rules(session, company_id)


def remove_rule(db: Database, company_id: int, rule_id: int, *, actor: str | None = None) -> None:
    """Delete one of the user's rules (lines it proposed keep their accounts)."""
    with db.session() as session:
        if not any(r.id == rule_id for r in load_rules(session, company_id)):
            raise NotFound(f"There is no rule #{rule_id}.")
        delete_rule(session, company_id, rule_id)
        repositories.add_audit(session, company_id, actor or default_actor(), "delete",
                               obj=("statement_rule", rule_id))


def add_rule(db: Database, company_id: int, rule: Rule, *, actor: str | None = None
             ) -> tuple[Rule, int]:
    """Save the user's rule and propose again every waiting line it matches (their drafts
    follow); returns the rule and how many lines it changed."""
    if len(rule.contains.strip()) < 2:
        raise ValidationError("A rule needs at least two characters of text to look for.")
    with db.session() as session:
        accounts = company_accounts(session, company_id)
        if rule.account_id not in accounts:
            raise NotFound(f"There is no account #{rule.account_id}.")
        saved = insert_rule(session, company_id, rule)
        rules = load_rules(session, company_id)
        model = load_model(session, company_id)
        names = {i: a.full_name for i, a in accounts.items()}
        changed = 0
        waiting = session.execute(select(StatementLineRow).where(
            StatementLineRow.company_id == company_id, StatementLineRow.state == "proposed",
            StatementLineRow.proposal_source != "user")).scalars().all()
        for row in waiting:
            if not saved.matches(line_text(row), row.amount):
                continue
            proposal = propose(model, rules, line_text(row), row.amount, names)
            if proposal.account_id is None:
                continue
            _apply_choice(session, company_id, row,
                          Choice(proposal.account_id, proposal.contact, proposal.tax_code),
                          accounts)
            row.proposal_source, row.confidence = proposal.source.value, proposal.percent
            row.reason = proposal.reason
            changed += 1
        repositories.add_audit(session, company_id, actor or default_actor(), "create",
                               obj=("statement_rule", saved.id),
                               details={"contains": saved.contains, "lines": changed})
        return saved, changed
