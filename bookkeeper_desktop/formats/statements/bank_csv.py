"""Bank CSV statements: the columns are detected from the header (English, German, French, Dutch
and Spanish names banks use; accents ignored), the delimiter from the text (`,` `;` tab `|`),
dates in every common layout and amounts with a decimal point or comma: one signed column, an
unsigned amount with a direction column (ING's Af/Bij, D/C), or money out / money in. The
detected `CsvMapping` is shown to the user before anything changes, and remembered per bank
account once imported (`services.statements`); a remembered mapping is used as it is.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence

from bookkeeper_desktop.core.errors import FileFormatError, LineProblem
from bookkeeper_desktop.core.money import ZERO
from bookkeeper_desktop.formats.common import Row, csv_rows, header_key, is_blank
from bookkeeper_desktop.formats.statements.amounts import (
    date_format_label,
    detect_date_format,
    looks_decimal_comma,
    parse_bank_amount,
    parse_date,
)
from bookkeeper_desktop.formats.statements.model import (
    Balance,
    CsvMapping,
    Statement,
    StatementFormat,
    StatementLine,
    with_row_hashes,
)

#: Header names (reduced by `header_key`) for each column we read, most specific first.
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "date": ("transactiondate", "postingdate", "posteddate", "bookingdate", "date", "txndate",
             "datedoperation",
             "buchungstag", "buchungsdatum", "datum", "dateoperation", "fecha", "boekingsdatum",
             "valuedate", "valutadatum", "wertstellung", "dateval"),
    # Payee columns first: the first text column found is the line's payee.
    "description": ("payee", "name", "merchant", "counterparty", "counterpartyname",
                    "beguenstigterzahlungspflichtiger", "naamomschrijving", "beneficiaire",
                    "description", "transactiondescription", "narrative", "particulars",
                    "transactiondetails", "verwendungszweck", "omschrijving", "mededelingen",
                    "libelle", "libelleoperation", "concepto", "memo", "text"),
    "amount": ("amount", "transactionamount", "value", "betrag", "betrageur", "bedrag",
               "bedrageur", "montant", "importe", "amountgbp", "amounteur", "amountusd"),
    "debit": ("debit", "debitamount", "withdrawal", "withdrawals", "moneyout", "paidout",
              "outflow", "soll", "debet", "afschrijving", "out"),
    "credit": ("credit", "creditamount", "deposit", "deposits", "moneyin", "paidin", "inflow",
               "haben", "bijschrijving", "in"),
    "balance": ("balance", "runningbalance", "saldo", "solde", "kontostand", "ledgerbalance"),
    "reference": ("reference", "ref", "transactionid", "checknumber", "chequenumber", "checkno",
                  "referenz", "kundenreferenz", "fitid", "id"),
    "direction": ("afbij", "debitcredit", "creditdebit", "dc", "cd", "drcr", "sollhaben",
                  "debitcreditindicator", "cdtdbtind", "sens"),
}
#: Values of a direction column (any case) for money out and money in.
MONEY_OUT_MARKS = frozenset(("af", "d", "db", "dr", "debit", "debet", "s", "soll", "-", "out",
                             "debito", "débit"))
MONEY_IN_MARKS = frozenset(("bij", "c", "cr", "credit", "h", "haben", "+", "in", "credito",
                            "crédit"))
DELIMITERS = (",", ";", "\t", "|")
HEADER_SEARCH_ROWS = 15
SAMPLE_ROWS = 200


def _delimiter(text: str) -> str:
    head = text.splitlines()[:HEADER_SEARCH_ROWS + 5]
    counts = {d: sum(line.count(d) for line in head) for d in DELIMITERS}
    return max(DELIMITERS, key=lambda d: counts[d])


def _key(header: str) -> str:
    """`header_key` after dropping accents: "Libellé" → "libelle", "Débit" → "debit"."""
    plain = unicodedata.normalize("NFKD", header)
    return header_key("".join(c for c in plain if not unicodedata.combining(c)))


def _match_columns(headers: Sequence[str]) -> dict[str, list[int]]:
    keys = [_key(h) for h in headers]
    found: dict[str, list[int]] = {}
    taken: set[int] = set()
    for column, names in COLUMN_NAMES.items():
        for name in names:
            for index, key in enumerate(keys):
                if key == name and index not in taken:
                    found.setdefault(column, []).append(index)
                    taken.add(index)
                    if column != "description":
                        break
            if column in found and column != "description":
                break
    return found


def account_key_for(headers: Sequence[str]) -> str:
    """How a bank CSV's layout is recognised next time: a hash of its header."""
    text = "|".join(_key(h) for h in headers)
    return "csv:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def detect_mapping(text: str) -> CsvMapping:
    """The column mapping of a bank CSV, or `FileFormatError` saying what is missing."""
    delimiter = _delimiter(text)
    rows = list(csv_rows(text, delimiter))
    for line, fields in rows[:HEADER_SEARCH_ROWS]:
        found = _match_columns(fields)
        has_amount = "amount" in found or ("debit" in found and "credit" in found)
        if "date" in found and has_amount:
            data = [r for r in rows if r[0] > line and not is_blank(r[1])][:SAMPLE_ROWS]
            return _mapping(delimiter, line, fields, found, data)
    raise FileFormatError(
        "This CSV file has no header row with a date and an amount (or money in and money out) "
        "column, so it cannot be read as a bank statement.",
        hint="Export the statement as CSV from your bank's website, or as OFX or CAMT.053.")


def _mapping(delimiter: str, line: int, headers: Sequence[str], found: dict[str, list[int]],
             data: list[Row]) -> CsvMapping:
    def column(name: str) -> int | None:
        return found[name][0] if name in found else None

    amount_columns = [c for c in (column("amount"), column("debit"), column("credit"),
                                  column("balance")) if c is not None]
    samples = [fields[c] for _, fields in data for c in amount_columns if c < len(fields)]
    decimal_comma = looks_decimal_comma(samples)
    date_col = found["date"][0]
    dates = [fields[date_col] for _, fields in data if date_col < len(fields)]
    date_format = detect_date_format(dates, day_first=decimal_comma)
    if date_format is None:
        raise FileFormatError(
            f"The dates in column \"{headers[date_col]}\" are in no layout we know.",
            [LineProblem(line + 1, f"'{dates[0] if dates else ''}' is not a date")])
    description = tuple(found.get("description", ()))
    amount = column("amount")
    return CsvMapping(
        delimiter=delimiter, header_line=line, date=date_col, date_format=date_format,
        description=description, amount=amount,
        debit=column("debit") if amount is None else None,
        credit=column("credit") if amount is None else None,
        balance=column("balance"), reference=column("reference"),
        direction=column("direction") if amount is not None else None,
        decimal_comma=decimal_comma, headers=tuple(h.strip() for h in headers),
    )


def header_of(text: str, mapping: CsvMapping) -> tuple[str, ...]:
    for line, fields in csv_rows(text, mapping.delimiter):
        if line == mapping.header_line:
            return tuple(f.strip() for f in fields)
    return ()


def read_bank_csv(text: str, mapping: CsvMapping | None = None) -> Statement:
    """The statement in `text`, read with `mapping` (detected when None)."""
    used = mapping or detect_mapping(text)
    headers = header_of(text, used) or used.headers
    key = account_key_for(headers)
    lines: list[StatementLine] = []
    balances: list[tuple[StatementLine, str]] = []
    refused: list[LineProblem] = []
    for line, fields in csv_rows(text, used.delimiter):
        if line <= used.header_line or is_blank(fields):
            continue
        try:
            statement_line = _line(line, fields, used)
        except ValueError as exc:
            refused.append(LineProblem(line, str(exc)))
            continue
        lines.append(statement_line)
        if used.balance is not None and used.balance < len(fields) and fields[used.balance]:
            balances.append((statement_line, fields[used.balance]))
    newest_first = len(lines) > 1 and lines[0].date > lines[-1].date
    opening, closing = _balances(balances, used, newest_first)
    if newest_first:
        lines.reverse()
    return Statement(
        format=StatementFormat.CSV,
        lines=with_row_hashes(key, tuple(lines)),
        account_key=key,
        account_label="CSV columns " + ", ".join(h for h in headers if h)[:80],
        opening=opening,
        closing=closing,
        refused=tuple(refused),
        csv_mapping=used.__class__(**{**used.__dict__, "headers": headers}),
        notes=(f"Columns: {used.describe()}.",),
    )


def _balances(balances: list[tuple[StatementLine, str]], mapping: CsvMapping,
              newest_first: bool) -> tuple[Balance | None, Balance | None]:
    """Opening = the first row's balance less its amount; closing = the last row's balance."""
    if not balances:
        return None, None
    ordered = list(reversed(balances)) if newest_first else balances
    try:
        first_line, first_text = ordered[0]
        last_line, last_text = ordered[-1]
        first = parse_bank_amount(first_text, decimal_comma=mapping.decimal_comma)
        last = parse_bank_amount(last_text, decimal_comma=mapping.decimal_comma)
    except ValueError:
        return None, None
    return Balance(first - first_line.amount, first_line.date), Balance(last, last_line.date)


def _cell(fields: Sequence[str], index: int | None) -> str:
    if index is None or index >= len(fields):
        return ""
    return fields[index].strip()


def _line(line: int, fields: Sequence[str], mapping: CsvMapping) -> StatementLine:
    date_text = _cell(fields, mapping.date)
    try:
        date = parse_date(date_text, mapping.date_format)
    except ValueError:
        raise ValueError(f"'{date_text}' is not a date in the layout "
                         f"{date_format_label(mapping.date_format)}") from None
    if mapping.amount is not None:
        text = _cell(fields, mapping.amount)
        if not text:
            raise ValueError("the amount is empty")
        amount = parse_bank_amount(text, decimal_comma=mapping.decimal_comma)
        if mapping.direction is not None:
            mark = _cell(fields, mapping.direction).strip()
            if mark.lower() in MONEY_OUT_MARKS:
                amount = -abs(amount)
            elif mark.lower() in MONEY_IN_MARKS:
                amount = abs(amount)
            else:
                raise ValueError(f"'{mark}' says neither money in nor money out")
    else:
        out_text, in_text = _cell(fields, mapping.debit), _cell(fields, mapping.credit)
        if not out_text and not in_text:
            raise ValueError("both money out and money in are empty")
        out = abs(parse_bank_amount(out_text, decimal_comma=mapping.decimal_comma)) \
            if out_text else ZERO
        money_in = abs(parse_bank_amount(in_text, decimal_comma=mapping.decimal_comma)) \
            if in_text else ZERO
        amount = money_in - out
    texts = [_cell(fields, i) for i in mapping.description]
    description = " ".join(" ".join(t.split()) for t in texts if t)
    return StatementLine(line=line, date=date, amount=amount + 0,
                         description=description or "(no description)",
                         payee=" ".join(texts[0].split()) if texts else "",
                         reference=_cell(fields, mapping.reference))
