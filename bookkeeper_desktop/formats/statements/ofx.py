"""OFX and QFX statements, 1.x (SGML: leaf elements have no closing tag) and 2.x (XML).

Why our own reader and not a library: the two maintained Python readers do not fit the app.
`ofxtools` is GPL-3 (the app is proprietary; bundling it would change the app's licence) and
`ofxparse` (MIT) last released in 2021 and pulls BeautifulSoup into the bundle. A statement needs
a small part of OFX: the account (BANKACCTFROM / CCACCTFROM), the transactions (STMTTRN) and the
ledger balance, which one tag scanner reads from both the SGML and the XML dialect, with file line
numbers for every problem. It is tested on ofxparse's public test files (tests/formats/statements
/data, MIT licence noted there).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from bookkeeper_desktop.core.errors import FileFormatError, LineProblem
from bookkeeper_desktop.formats.statements.amounts import looks_decimal_comma, parse_bank_amount
from bookkeeper_desktop.formats.statements.model import (
    Balance,
    Statement,
    StatementFormat,
    StatementLine,
    with_row_hashes,
)

_TAG = re.compile(r"<(/?)([A-Za-z0-9_.]+)(?:\s[^>]*)?>([^<]*)")


@dataclass
class Node:
    """An OFX aggregate (`children`) or leaf element (`text`), with its line in the file."""

    name: str
    line: int
    text: str = ""
    children: list[Node] = field(default_factory=list)

    def find(self, name: str) -> Node | None:
        for child in self.children:
            if child.name == name:
                return child
        return None

    def find_all(self, name: str) -> list[Node]:
        """Every descendant called `name`, in file order."""
        found: list[Node] = []
        for child in self.children:
            if child.name == name:
                found.append(child)
            else:
                found.extend(child.find_all(name))
        return found

    def value(self, *path: str) -> str:
        node: Node | None = self
        for name in path:
            node = node.find(name) if node else None
        return node.text.strip() if node else ""


def looks_like_ofx(text: str) -> bool:
    head = text[:4000].upper()
    return "OFXHEADER" in head or "<OFX>" in head or "<?OFX" in head


def parse_tree(text: str) -> Node:
    """The element tree of an OFX body. A tag followed by text is a leaf (SGML leaves are never
    closed; XML leaves are, and that closing tag is then skipped)."""
    start = text.upper().find("<OFX>")
    if start < 0:
        raise FileFormatError("This file has no <OFX> element, so it is not an OFX statement.")
    root = Node("ROOT", 1)
    stack = [root]
    line_at = text.count("\n", 0, start) + 1
    position = start
    for match in _TAG.finditer(text, start):
        line_at += text.count("\n", position, match.start())
        position = match.start()
        closing, name, content = match.group(1), match.group(2).upper(), match.group(3)
        if closing:
            if any(node.name == name for node in stack[1:]):
                while stack[-1].name != name:
                    stack.pop()
                stack.pop()
            continue  # the end tag of a leaf, or a stray one
        value = content.strip()
        if value:
            stack[-1].children.append(Node(name, line_at, text=_unescape(value)))
        else:
            node = Node(name, line_at)
            stack[-1].children.append(node)
            stack.append(node)
    ofx = root.find("OFX")
    if ofx is None:
        raise FileFormatError("This file has no <OFX> element, so it is not an OFX statement.")
    return ofx


def _unescape(text: str) -> str:
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&nbsp;", " ").replace("&amp;", "&"))


def ofx_date(text: str) -> dt.date:
    """`20260301`, `20260301120000.000[-5:EST]` → the date (the bank's own day)."""
    digits = text.strip()[:8]
    if len(digits) != 8 or not digits.isdigit():
        raise ValueError(f"'{text}' is not an OFX date (YYYYMMDD)")
    return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))


def read_ofx(text: str) -> list[Statement]:
    """Every bank and card statement in the file (most files hold one)."""
    ofx = parse_tree(text)
    severity = ofx.value("SIGNONMSGSRSV1", "SONRS", "STATUS", "SEVERITY")
    if severity == "ERROR":
        message = ofx.value("SIGNONMSGSRSV1", "SONRS", "STATUS", "MESSAGE")
        raise FileFormatError("The bank's OFX file reports an error instead of a statement"
                              + (f": {message}" if message else "."))
    statements = [_statement(node, card=False) for node in ofx.find_all("STMTRS")]
    statements += [_statement(node, card=True) for node in ofx.find_all("CCSTMTRS")]
    if not statements:
        raise FileFormatError(
            "This OFX file holds no bank or credit-card statement (it may be an investment "
            "statement or a sign-on reply).", hint="Download the account's transactions as OFX "
            "or QFX from the bank's website.")
    return statements


def _statement(node: Node, *, card: bool) -> Statement:
    account = node.find("CCACCTFROM" if card else "BANKACCTFROM") or Node("", node.line)
    bank_id, account_id = account.value("BANKID"), account.value("ACCTID")
    key = f"ofx:{bank_id}/{account_id}" if bank_id else f"ofx:{account_id}"
    transactions = node.find_all("STMTTRN")
    decimal_comma = looks_decimal_comma([t.value("TRNAMT") for t in transactions])
    lines: list[StatementLine] = []
    refused: list[LineProblem] = []
    for trn in transactions:
        try:
            lines.append(_line(trn, decimal_comma))
        except ValueError as exc:
            refused.append(LineProblem(trn.line, str(exc)))
    closing = None
    ledger = node.find("LEDGERBAL")
    if ledger is not None and ledger.value("BALAMT"):
        try:
            amount = parse_bank_amount(ledger.value("BALAMT"), decimal_comma=decimal_comma)
            closing = Balance(amount, _optional_date(ledger.value("DTASOF")))
        except ValueError as exc:
            refused.append(LineProblem(ledger.line, f"the ledger balance: {exc}"))
    tail = account_id[-4:] if account_id else "?"
    return Statement(
        format=StatementFormat.OFX,
        lines=with_row_hashes(key, tuple(lines)),
        account_key=key,
        account_label=("card" if card else "account") + f" …{tail}"
                      + (f" (bank {bank_id})" if bank_id else ""),
        currency=node.value("CURDEF"),
        is_credit_card=card,
        closing=closing,
        refused=tuple(refused),
    )


def _optional_date(text: str) -> dt.date | None:
    try:
        return ofx_date(text) if text else None
    except ValueError:
        return None


def _line(trn: Node, decimal_comma: bool) -> StatementLine:
    posted = trn.value("DTPOSTED")
    if not posted:
        raise ValueError("the transaction has no date (DTPOSTED)")
    amount_text = trn.value("TRNAMT")
    if not amount_text:
        raise ValueError("the transaction has no amount (TRNAMT)")
    amount: Decimal = parse_bank_amount(amount_text, decimal_comma=decimal_comma)
    name = trn.value("NAME") or trn.value("PAYEE", "NAME")
    memo = trn.value("MEMO")
    description = " ".join(part for part in (name, memo) if part) or trn.value("TRNTYPE")
    return StatementLine(
        line=trn.line,
        date=ofx_date(posted),
        amount=amount,
        description=description,
        payee=name,
        reference=trn.value("CHECKNUM") or trn.value("REFNUM"),
        bank_ref=trn.value("FITID"),
        kind=trn.value("TRNTYPE"),
    )
