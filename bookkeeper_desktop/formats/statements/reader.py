"""Recognise a statement file from its content (never its extension) and read it."""

from __future__ import annotations

from pathlib import Path

from bookkeeper_desktop.core.errors import FileFormatError
from bookkeeper_desktop.formats.common import decode
from bookkeeper_desktop.formats.statements.bank_csv import detect_mapping, read_bank_csv
from bookkeeper_desktop.formats.statements.camt import looks_like_camt, read_camt
from bookkeeper_desktop.formats.statements.model import CsvMapping, Statement
from bookkeeper_desktop.formats.statements.ofx import looks_like_ofx, read_ofx

#: A statement larger than this is not one (a year of a busy account is a few MB).
MAX_STATEMENT_BYTES = 64 * 1024 * 1024


def read_statement(path: Path, csv_mapping: CsvMapping | None = None) -> list[Statement]:
    """The statements in the file at `path` (one per account; usually one)."""
    try:
        size = path.stat().st_size
        if size > MAX_STATEMENT_BYTES:
            raise FileFormatError(f"'{path.name}' is {size // (1024 * 1024)} MB, too large to "
                                  "be a bank statement.", path=str(path))
        data = path.read_bytes()
    except OSError as exc:
        raise FileFormatError(f"'{path.name}' cannot be read: {exc.strerror}.",
                              path=str(path)) from exc
    try:
        return read_statement_bytes(data, csv_mapping)
    except FileFormatError as exc:
        exc.path = str(path)
        raise


def read_statement_bytes(data: bytes, csv_mapping: CsvMapping | None = None) -> list[Statement]:
    text, _encoding = decode(data)
    if looks_like_ofx(text):
        return read_ofx(text)
    if text.lstrip().startswith("<") and looks_like_camt(text):
        return read_camt(text)
    if text.lstrip().startswith("<"):
        raise FileFormatError(
            "This XML file is neither an OFX nor a CAMT.053 statement.",
            hint="Statements can be OFX/QFX, CAMT.053 (ISO 20022) or a bank CSV.")
    return [read_bank_csv(text, csv_mapping)]


def looks_like_statement(path: Path) -> bool:
    """True when the file at `path` reads as a statement by its first 64 KB: OFX, CAMT.053, or a
    CSV with a date and an amount column (a chart of accounts has neither; IIF files, which may
    have both, start with `!`). How a dropped file is routed to the statement import."""
    try:
        with path.open("rb") as handle:
            head = handle.read(64 * 1024)
    except OSError:
        return False
    text, _encoding = decode(head)
    if looks_like_ofx(text) or looks_like_camt(text):
        return True
    stripped = text.lstrip()
    if not stripped or stripped.startswith(("!", "<", "PK")):
        return False
    try:
        detect_mapping(text)
    except FileFormatError:
        return False
    return True
