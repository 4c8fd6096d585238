"""Recognise a statement file from its content (never its extension) and read it."""

from __future__ import annotations

from pathlib import Path

from bookkeeper_desktop.core.errors import FileFormatError
from bookkeeper_desktop.formats.common import decode
from bookkeeper_desktop.formats.statements.bank_csv import read_bank_csv
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
