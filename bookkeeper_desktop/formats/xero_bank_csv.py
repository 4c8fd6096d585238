"""Xero bank-statement CSV: the bank lines Xero's manual-journal import refuses
(`xero_csv.refusal`), one file per bank or credit-card account, to import in Xero with
Bank accounts → Manage account → Import a statement, then reconcile.

Layout (Xero's statement template; help.xero.com "Import a CSV bank statement"): a header row
`*Date,*Amount,Payee,Description,Reference`; Date as dd/mm/yyyy (Xero's own template and its
AU/NZ/UK default, the same as the manual-journal file); Amount signed, positive for money in and
negative for money out, with a `.` decimal point and no thousands separator; at most 1,000
statement lines per file (a longer statement is split into `-part2`, `-part3`... files).

A bank line's signed amount (debit positive) is already Xero's sign: money into a bank account is
a debit, and spending on a card is a credit to the card. Payee is the line's contact, else the one
contact the entry names; Description the line's description, else the entry's memo; Reference the
entry's number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from bookkeeper_desktop.core.accounts import Account
from bookkeeper_desktop.core.contacts import clean_name
from bookkeeper_desktop.core.journal import JournalEntry
from bookkeeper_desktop.formats.common import (
    CsvSink,
    HashingWriter,
    WrittenFile,
    neutralise_formula,
)
from bookkeeper_desktop.formats.xero_csv import is_bank

#: The export log's format for these files.
FORMAT_KEY = "xero-bank-csv"
HEADER = ("*Date", "*Amount", "Payee", "Description", "Reference")
#: Xero imports at most 1,000 statement lines per file.
MAX_LINES = 1000


@dataclass(frozen=True)
class StatementLine:
    date: str
    amount: Decimal
    payee: str
    description: str
    reference: str

    def cells(self) -> tuple[str, ...]:
        return (self.date, f"{self.amount:.2f}", neutralise_formula(self.payee),
                neutralise_formula(self.description), neutralise_formula(self.reference))


def statement_lines(entries: Iterable[JournalEntry], accounts: Mapping[int, Account]
                    ) -> dict[int, list[StatementLine]]:
    """Bank account id → the statement lines of `entries`' lines on it, in entry order."""
    found: dict[int, list[StatementLine]] = {}
    for entry in entries:
        if entry.date is None:
            continue
        date = f"{entry.date.day:02d}/{entry.date.month:02d}/{entry.date.year:04d}"
        named = {clean_name(line.contact) for line in entry.lines if clean_name(line.contact)}
        only_contact = next(iter(named)) if len(named) == 1 else ""
        for line in entry.lines:
            account = accounts.get(line.account_id)
            if account is None or not is_bank(account) or not line.signed_amount:
                continue
            found.setdefault(line.account_id, []).append(StatementLine(
                date, line.signed_amount, clean_name(line.contact) or only_contact,
                " ".join((line.description or entry.memo).split()), entry.number))
    return found


def file_stem(account: Account) -> str:
    """A file-name-safe form of the account's name: `Checking`, `Visa-Card`."""
    return re.sub(r"[^A-Za-z0-9]+", "-", account.full_name).strip("-") or f"account-{account.id}"


def write_statements(entries: Iterable[JournalEntry], accounts: Mapping[int, Account],
                     path: Path) -> list[WrittenFile]:
    """One statement file per bank account next to `path`: `<stem>-<account>.csv` (split past
    1,000 lines). Returns the files written; none when no entry has a bank line. A failure
    leaves none of them behind."""
    done: list[WrittenFile] = []
    try:
        for account_id, lines in statement_lines(entries, accounts).items():
            base = f"{path.stem}-{file_stem(accounts[account_id])}"
            chunks = [lines[i:i + MAX_LINES] for i in range(0, len(lines), MAX_LINES)]
            for number, chunk in enumerate(chunks, start=1):
                part = "" if number == 1 else f"-part{number}"
                target = HashingWriter(path.with_name(f"{base}{part}{path.suffix or '.csv'}"))
                try:
                    sink = CsvSink(target, "utf-8")
                    sink.row(HEADER)
                    sink.rows(line.cells() for line in chunk)
                    sink.flush()
                except BaseException:
                    target.abort()
                    raise
                target.entries = len(chunk)
                done.append(target.commit())
    except BaseException:
        for written in done:
            written.path.unlink(missing_ok=True)
        raise
    return done
