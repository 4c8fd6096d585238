"""Bank and card statements: OFX/QFX (1.x SGML and 2.x XML), CAMT.053 and bank CSV, each read
into the same `Statement` (`model.py`). `read_statement(path)` recognises the file from its
content and reads it; every reader reports problems with the file's line numbers."""

from bookkeeper_desktop.formats.statements.model import (
    Balance,
    CsvMapping,
    Statement,
    StatementFormat,
    StatementLine,
)
from bookkeeper_desktop.formats.statements.reader import (
    looks_like_statement,
    read_statement,
    read_statement_bytes,
)

__all__ = [
    "Balance",
    "CsvMapping",
    "Statement",
    "StatementFormat",
    "StatementLine",
    "looks_like_statement",
    "read_statement",
    "read_statement_bytes",
]
