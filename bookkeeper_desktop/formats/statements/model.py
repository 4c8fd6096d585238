"""What every statement reader returns: plain frozen values, amounts as `Decimal`.

Signs: a line's `amount` is what the statement says happened to the account, money in positive
and money out negative, whether the account is a bank account or a credit card (OFX and CAMT
both say it that way). A balance is debit-positive for a bank account: what the bank owes the
business; a card statement's balance is negative when the business owes the card.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from bookkeeper_desktop.core.errors import LineProblem
from bookkeeper_desktop.formats.statements.amounts import date_format_label


class StatementFormat(StrEnum):
    OFX = "ofx"
    CAMT = "camt053"
    CSV = "csv"

    @property
    def label(self) -> str:
        return {"ofx": "OFX/QFX statement", "camt053": "CAMT.053 statement (ISO 20022)",
                "csv": "bank CSV statement"}[self.value]


@dataclass(frozen=True)
class Balance:
    amount: Decimal
    date: dt.date | None = None


@dataclass(frozen=True)
class StatementLine:
    """One line of a statement. `bank_ref` is the bank's own id for the line (OFX FITID, CAMT
    AcctSvcrRef/NtryRef) when the file has one; `line` is the 1-based line of the file."""

    line: int
    date: dt.date
    amount: Decimal
    description: str
    payee: str = ""
    reference: str = ""
    bank_ref: str = ""
    kind: str = ""

    @property
    def text(self) -> str:
        """Payee and description together, as a person would read the line."""
        if self.payee and self.payee.lower() not in self.description.lower():
            return f"{self.payee} {self.description}".strip()
        return self.description or self.payee


@dataclass(frozen=True)
class CsvMapping:
    """Which column of a bank CSV holds what (0-based indexes), as detected or confirmed."""

    delimiter: str
    header_line: int
    date: int
    date_format: str
    description: tuple[int, ...]
    amount: int | None = None
    debit: int | None = None
    credit: int | None = None
    balance: int | None = None
    reference: int | None = None
    #: A column that says which way the (unsigned) amount went: "Af"/"Bij", "D"/"C", "DR"/"CR".
    direction: int | None = None
    decimal_comma: bool = False
    headers: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {"delimiter": self.delimiter, "header_line": self.header_line, "date": self.date,
                "date_format": self.date_format, "description": list(self.description),
                "amount": self.amount, "debit": self.debit, "credit": self.credit,
                "balance": self.balance, "reference": self.reference,
                "direction": self.direction,
                "decimal_comma": self.decimal_comma, "headers": list(self.headers)}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> CsvMapping:
        def index(key: str) -> int | None:
            value = data.get(key)
            return int(str(value)) if value is not None else None

        description = data.get("description") or []
        headers = data.get("headers") or []
        assert isinstance(description, list)
        assert isinstance(headers, list)
        return cls(delimiter=str(data["delimiter"]), header_line=int(str(data["header_line"])),
                   date=int(str(data["date"])), date_format=str(data["date_format"]),
                   description=tuple(int(i) for i in description), amount=index("amount"),
                   debit=index("debit"), credit=index("credit"), balance=index("balance"),
                   reference=index("reference"), direction=index("direction"),
                   decimal_comma=bool(data.get("decimal_comma")),
                   headers=tuple(str(h) for h in headers))

    def describe(self) -> str:
        """The mapping in words: `date = "Date" (DD/MM/YYYY), amount = "Amount", ...`."""
        def name(i: int | None) -> str:
            if i is None:
                return "-"
            return f'"{self.headers[i]}"' if i < len(self.headers) else f"column {i + 1}"

        parts = [f"date = {name(self.date)} ({date_format_label(self.date_format)})",
                 "description = " + " + ".join(name(i) for i in self.description)]
        if self.amount is not None:
            parts.append(f"amount = {name(self.amount)}")
        else:
            parts.append(f"money out = {name(self.debit)}, money in = {name(self.credit)}")
        if self.direction is not None:
            parts.append(f"money in or out = {name(self.direction)}")
        if self.balance is not None:
            parts.append(f"balance = {name(self.balance)}")
        if self.reference is not None:
            parts.append(f"reference = {name(self.reference)}")
        parts.append("decimal comma" if self.decimal_comma else "decimal point")
        return ", ".join(parts)


@dataclass(frozen=True)
class Statement:
    """A statement as read from one file (one account)."""

    format: StatementFormat
    lines: tuple[StatementLine, ...]
    #: How the file names its account: "ofx:BANKID/ACCTID", "iban:NL91...", "csv:<header key>".
    account_key: str = ""
    #: The account as a person would recognise it ("IBAN NL91 ABNA …", "account …6789").
    account_label: str = ""
    currency: str = ""
    is_credit_card: bool = False
    opening: Balance | None = None
    closing: Balance | None = None
    #: Lines that could not be read, with their file line numbers.
    refused: tuple[LineProblem, ...] = ()
    csv_mapping: CsvMapping | None = None
    notes: tuple[str, ...] = field(default=())


def row_hash(account_key: str, line: StatementLine, occurrence: int) -> str:
    """A stable id for a line whose file gives none: the same row of the same account always
    hashes the same, and two identical rows on one day stay two (`occurrence` counts them)."""
    text = "|".join((account_key, line.date.isoformat(), str(line.amount),
                     " ".join(line.text.split()).lower(), line.reference, str(occurrence)))
    return "h:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def with_row_hashes(account_key: str, lines: tuple[StatementLine, ...]
                    ) -> tuple[StatementLine, ...]:
    """`lines` with `bank_ref` filled by `row_hash` where the file gave none."""
    seen: dict[tuple[dt.date, Decimal, str], int] = {}
    result: list[StatementLine] = []
    for line in lines:
        if line.bank_ref:
            result.append(line)
            continue
        key = (line.date, line.amount, line.text.lower())
        seen[key] = seen.get(key, 0) + 1
        result.append(StatementLine(line.line, line.date, line.amount, line.description,
                                    line.payee, line.reference,
                                    row_hash(account_key, line, seen[key]), line.kind))
    return tuple(result)
