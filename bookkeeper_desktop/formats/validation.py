"""Checks every export format shares, and how a writer refuses: the entry must have a date, at
least two lines, one positive amount of whole cents per line, accounts that exist and post, and
debits equal to credits (FORMATS.md D: "Σ = 0.00 per TRNS..ENDTRNS", "each journal must balance").

Writers run the same checks as `checks.check_export` while they stream, so a file with a bad entry
is never left behind, even when the caller skipped the pre-check.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from bookkeeper_desktop.core.accounts import Account, AccountType
from bookkeeper_desktop.core.errors import ExportError
from bookkeeper_desktop.core.journal import JournalEntry
from bookkeeper_desktop.core.money import CENT, ZERO, format_money
from bookkeeper_desktop.formats.common import ExportFormat, ExportProblem


def problem(entry: JournalEntry, message: str, line: int | None = None) -> ExportProblem:
    return ExportProblem(entry.label, message, entry.id, line)


def _whole_cents(amount: Decimal) -> bool:
    # money() gives exponent -2; only other exponents need the (slower) quantize test
    exponent = amount.as_tuple().exponent
    return (isinstance(exponent, int) and exponent >= -2) or amount == amount.quantize(CENT)


def base_problems(entry: JournalEntry, accounts: Mapping[int, Account]) -> list[ExportProblem]:
    """What no format accepts. Unlike `core.journal.validate_entry`, an inactive account is fine
    here: a posted entry stays exportable after its account is retired."""
    found: list[ExportProblem] = []
    if entry.date is None:
        found.append(problem(entry, "it has no date"))
    if len(entry.lines) < 2:
        found.append(problem(entry, f"it has {len(entry.lines)} line(s); a journal needs two"))
    for number, line in enumerate(entry.lines, start=1):
        debit, credit = line.debit, line.credit
        if debit < 0 or credit < 0 or (debit > 0) == (credit > 0):
            found.append(problem(entry, "it needs one positive debit or credit", number))
        elif not _whole_cents(debit or credit):
            found.append(problem(entry, "the amount has fractions of a cent", number))
        account = accounts.get(line.account_id)
        if account is None:
            found.append(problem(entry, f"account #{line.account_id} does not exist", number))
        elif account.type is AccountType.NON_POSTING:
            found.append(problem(entry, f"'{account.full_name}' is a non-posting account", number))
    if entry.difference != ZERO:
        found.append(problem(
            entry,
            f"it does not balance (debits {format_money(entry.total_debit)}, credits "
            f"{format_money(entry.total_credit)}, difference {format_money(entry.difference)})",
        ))
    return found


def name_required_problems(entry: JournalEntry, accounts: Mapping[int, Account],
                           format: ExportFormat) -> list[ExportProblem]:
    """QuickBooks (Desktop and Online) needs a customer on an A/R line and a vendor on an A/P
    line (FORMATS.md A2 "A line that posts to A/R needs a customer in NAME"; B1 "Name ...
    required when the line posts to A/R or A/P")."""
    found = []
    for number, line in enumerate(entry.lines, start=1):
        account = accounts.get(line.account_id)
        if account is None or line.contact.strip():
            continue
        if account.type is AccountType.ACCOUNTS_RECEIVABLE:
            found.append(problem(entry, f"'{account.full_name}' is Accounts Receivable and "
                                        f"{format.label} needs a customer name on the line",
                                 number))
        elif account.type is AccountType.ACCOUNTS_PAYABLE:
            found.append(problem(entry, f"'{account.full_name}' is Accounts Payable and "
                                        f"{format.label} needs a vendor name on the line", number))
    return found


def export_error(format: ExportFormat, problems: Iterable[ExportProblem]) -> ExportError:
    listed = [str(p) for p in problems]
    return ExportError(
        f"Nothing was exported: {len(listed)} problem(s) stop the {format.label} file.",
        listed,
        hint="Fix or leave out the entries named, then export again.",
    )
