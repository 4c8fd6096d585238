"""Journal entries: immutable values, validation that lists every problem at once, and the
draft → approved → posted workflow (posted entries are voided, never edited in place)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum

from bookkeeper_desktop.core.accounts import Account
from bookkeeper_desktop.core.errors import ValidationError, WorkflowError
from bookkeeper_desktop.core.money import ZERO, format_money, money


class EntryStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    POSTED = "posted"
    VOID = "void"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class EntrySource(StrEnum):
    MANUAL = "manual"
    IMPORT = "import"
    AI = "ai"
    SAMPLE = "sample"
    QBO = "qbo"
    XERO = "xero"


#: The workflow: which status may follow which. Approved entries may be sent back to draft.
ALLOWED_TRANSITIONS: Mapping[EntryStatus, frozenset[EntryStatus]] = {
    EntryStatus.DRAFT: frozenset({EntryStatus.APPROVED}),
    EntryStatus.APPROVED: frozenset({EntryStatus.DRAFT, EntryStatus.POSTED}),
    EntryStatus.POSTED: frozenset({EntryStatus.VOID}),
    EntryStatus.VOID: frozenset(),
}
EDITABLE_STATUSES = frozenset({EntryStatus.DRAFT, EntryStatus.APPROVED})


#: An entry's currency when nothing says otherwise.
DEFAULT_CURRENCY = "USD"


@dataclass(frozen=True)
class JournalLine:
    """One line: an account and a debit *or* a credit (the other is zero)."""

    account_id: int
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    description: str = ""
    contact: str = ""
    tracking: str = ""
    #: Xero TaxType / QBO TaxCode; empty means the account's own default tax code.
    tax_code: str = ""

    @classmethod
    def of(
        cls, account_id: int, amount: Decimal | int | str, *, description: str = "",
        contact: str = "", tracking: str = "", tax_code: str = "",
    ) -> JournalLine:
        """A line from a signed amount: positive is a debit, negative a credit."""
        value = money(amount)
        return cls(
            account_id=account_id,
            debit=value if value > 0 else ZERO,
            credit=-value if value < 0 else ZERO,
            description=description, contact=contact, tracking=tracking, tax_code=tax_code,
        )

    @property
    def signed_amount(self) -> Decimal:
        """Debit positive, credit negative: the sign convention of IIF and Xero."""
        return self.debit - self.credit


@dataclass(frozen=True)
class JournalEntry:
    """A journal entry. `id` is None until stored."""

    date: dt.date | None
    lines: tuple[JournalLine, ...]
    number: str = ""
    memo: str = ""
    currency: str = DEFAULT_CURRENCY
    status: EntryStatus = EntryStatus.DRAFT
    source: EntrySource = EntrySource.MANUAL
    id: int | None = None
    company_id: int | None = None
    qbo_id: str | None = None
    qbo_sync_token: str | None = None
    xero_id: str | None = None
    #: What the entry became at each provider (`core.kinds.Kind` value); None for the journal
    #: kinds (QBO JournalEntry, Xero ManualJournals).
    qbo_kind: str | None = None
    xero_kind: str | None = None
    created_at: dt.datetime | None = field(default=None, compare=False)
    updated_at: dt.datetime | None = field(default=None, compare=False)

    @property
    def total_debit(self) -> Decimal:
        return sum((line.debit for line in self.lines), ZERO)

    @property
    def total_credit(self) -> Decimal:
        return sum((line.credit for line in self.lines), ZERO)

    @property
    def difference(self) -> Decimal:
        """Debits minus credits; zero when the entry balances."""
        return self.total_debit - self.total_credit

    @property
    def is_balanced(self) -> bool:
        return self.difference == ZERO

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def label(self) -> str:
        """How messages name the entry: "entry JE-0042 of 2026-03-01"."""
        name = f"entry {self.number}" if self.number else f"entry #{self.id or '(new)'}"
        return f"{name} of {self.date.isoformat()}" if self.date else name

    def with_changes(self, **changes: object) -> JournalEntry:
        return replace(self, **changes)  # type: ignore[arg-type]


def validate_entry(entry: JournalEntry, accounts: Mapping[int, Account]) -> list[str]:
    """Every problem with `entry`, in words a bookkeeper understands; empty when it is valid.

    `accounts` maps account id → account for the company (inactive ones included, so that we can
    say an account is inactive rather than missing).
    """
    problems: list[str] = []
    if entry.date is None:
        problems.append("The entry has no date.")
    if len(entry.lines) < 2:
        problems.append(f"An entry needs at least two lines; it has {len(entry.lines)}.")
    for number, line in enumerate(entry.lines, start=1):
        problems.extend(_line_problems(number, line, accounts))
    difference = entry.difference
    if difference != ZERO:
        side = "debits exceed credits" if difference > 0 else "credits exceed debits"
        debits, credits = format_money(entry.total_debit), format_money(entry.total_credit)
        problems.append(
            f"The entry does not balance: {side} by {format_money(abs(difference))} "
            f"(debits {debits}, credits {credits})."
        )
    return problems


def _line_problems(number: int, line: JournalLine, accounts: Mapping[int, Account]) -> list[str]:
    problems: list[str] = []
    where = f"Line {number}"
    for side, amount in (("debit", line.debit), ("credit", line.credit)):
        if amount < 0:
            problems.append(f"{where}: the {side} is negative; put it in the other column.")
        elif amount != amount.quantize(Decimal("0.01")):
            problems.append(f"{where}: the {side} {amount} has fractions of a cent.")
    if line.debit and line.credit:
        problems.append(f"{where} has both a debit and a credit; use one line for each.")
    if not line.debit and not line.credit:
        problems.append(f"{where} has no amount.")
    account = accounts.get(line.account_id)
    if account is None:
        problems.append(f"{where}: account #{line.account_id} does not exist.")
    elif not account.active:
        problems.append(f"{where}: account '{account.full_name}' is inactive.")
    elif account.type.account_class.value == "non_posting":
        problems.append(f"{where}: account '{account.full_name}' is non-posting.")
    return problems


def ensure_valid(entry: JournalEntry, accounts: Mapping[int, Account]) -> None:
    """Raise `ValidationError` listing every problem, or return when the entry is valid."""
    problems = validate_entry(entry, accounts)
    if problems:
        raise ValidationError(f"The {entry.label} cannot be saved.", problems)


def transition(entry: JournalEntry, target: EntryStatus) -> JournalEntry:
    """`entry` moved to `target`, or `WorkflowError` if the workflow does not allow it."""
    if target not in ALLOWED_TRANSITIONS[entry.status]:
        raise WorkflowError(
            f"The {entry.label} is {entry.status.value} and cannot be made {target.value}.",
            hint=_transition_hint(entry.status, target),
        )
    return replace(entry, status=target)


def _transition_hint(current: EntryStatus, target: EntryStatus) -> str | None:
    if current is EntryStatus.DRAFT and target is EntryStatus.POSTED:
        return "Approve it first."
    if current is EntryStatus.POSTED:
        return "A posted entry can only be voided; enter a new entry to change it."
    if current is EntryStatus.VOID:
        return "A voided entry stays void."
    return None


def ensure_editable(entry: JournalEntry) -> None:
    if not entry.is_editable:
        raise WorkflowError(
            f"The {entry.label} is {entry.status.value} and cannot be edited.",
            hint="Void it and enter a corrected entry.",
        )


def balance_by_account(entries: Iterable[JournalEntry]) -> dict[int, Decimal]:
    """Debit-positive balance per account id over `entries` (void entries excluded)."""
    totals: dict[int, Decimal] = {}
    for entry in entries:
        if entry.status is EntryStatus.VOID:
            continue
        for line in entry.lines:
            totals[line.account_id] = totals.get(line.account_id, ZERO) + line.signed_amount
    return totals
