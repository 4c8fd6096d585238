"""What every format module shares: the parsed-chart values, decoding of real-world text files,
amounts as real exports write them, text made safe for spreadsheets and for QuickBooks Desktop,
and the atomic, hashing file writer the journal exporters stream into.

Pure Python: no Qt, no SQLAlchemy (STYLE.md practice 1).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from bookkeeper_desktop.core.accounts import Account, AccountSource, AccountType, type_key
from bookkeeper_desktop.core.errors import FileFormatError, LineProblem
from bookkeeper_desktop.core.money import CENT

# --- formats -----------------------------------------------------------------------------------


class ChartLayout(StrEnum):
    """The chart-of-accounts layouts we read (FORMATS.md A3, B2, B3, C1)."""

    IIF = "iif"
    QBO_IMPORT = "qbo_import"  # Account Number, Account Name, Type, Detail Type
    QBO_ACCOUNT_LIST = "qbo_account_list"  # the Account List report export
    XERO = "xero"  # *Code,*Name,*Type,*Tax Code,...

    @property
    def label(self) -> str:
        return {
            "iif": "QuickBooks Desktop IIF chart of accounts",
            "qbo_import": "QuickBooks Online chart-of-accounts import CSV",
            "qbo_account_list": "QuickBooks Online Account List export",
            "xero": "Xero chart-of-accounts CSV",
        }[self.value]


class Container(StrEnum):
    TEXT = "text"
    XLSX = "xlsx"


@dataclass(frozen=True)
class DetectedFormat:
    """What `sniff` found: the layout, inside a text file or an Excel workbook.

    `encoding` is the text encoding used (None for a workbook); `sheet` the worksheet holding
    the chart; `header_line` the 1-based line (or sheet row) of the header; `delimiter` of a CSV.
    """

    layout: ChartLayout
    container: Container = Container.TEXT
    encoding: str | None = None
    sheet: str | None = None
    header_line: int = 1
    delimiter: str = ","

    @property
    def label(self) -> str:
        if self.container is Container.XLSX:
            return f"{self.layout.label} (Excel workbook, sheet '{self.sheet}')"
        return self.layout.label

    @property
    def source(self) -> AccountSource:
        if self.container is Container.XLSX:
            return AccountSource.XLSX
        return {
            ChartLayout.IIF: AccountSource.IIF,
            ChartLayout.QBO_IMPORT: AccountSource.QBO_CSV,
            ChartLayout.QBO_ACCOUNT_LIST: AccountSource.QBO_CSV,
            ChartLayout.XERO: AccountSource.XERO_CSV,
        }[self.layout]

    @property
    def provider(self) -> str | None:
        """The system whose accounts the chart lists ("qbo", "xero"; None for QuickBooks
        Desktop): imported QBO and Xero charts propose account mappings for that provider."""
        if self.layout in (ChartLayout.QBO_IMPORT, ChartLayout.QBO_ACCOUNT_LIST):
            return "qbo"
        if self.layout is ChartLayout.XERO:
            return "xero"
        return None


@dataclass(frozen=True)
class ChartRow:
    """One account read from a file, with the 1-based line (or sheet row) it came from.

    `type` is our normalised type; `original_type` the label exactly as the file wrote it;
    `opening_balance` the file's figure, signed as the file signs it (IIF: debit positive).
    `extra` holds what has no column of its own (IIF `EXTRA` flag, Xero system account, ...).
    """

    line: int
    full_name: str
    type: AccountType
    original_type: str
    source: AccountSource
    code: str | None = None
    detail_type: str | None = None
    description: str = ""
    tax_code: str | None = None
    opening_balance: Decimal | None = None
    active: bool = True
    extra: Mapping[str, str] = field(default_factory=dict)

    def to_account(self) -> Account:
        extra = dict(self.extra)
        if self.opening_balance is not None:
            extra["opening_balance"] = str(self.opening_balance)
        return Account(
            full_name=self.full_name,
            type=self.type,
            code=self.code,
            description=self.description,
            tax_code=self.tax_code,
            detail_type=self.detail_type,
            original_type=self.original_type,
            source=self.source,
            active=self.active,
            extra=extra,
        )


@dataclass(frozen=True)
class SkippedRow:
    """A row read but deliberately not imported, and why."""

    line: int
    full_name: str
    reason: str


@dataclass(frozen=True)
class ParsedChart:
    """A chart file read: its rows, the `problems` that stop an import (each with its line), and
    `notes` worth telling the user that do not (a colon in a Xero name, transactions ignored)."""

    file_name: str
    detected: DetectedFormat
    rows: tuple[ChartRow, ...]
    problems: tuple[LineProblem, ...] = ()
    notes: tuple[LineProblem, ...] = ()
    skipped: tuple[SkippedRow, ...] = ()
    #: SHA-256 of the file's bytes as read (for the audit log of the import).
    sha256: str | None = None

    @property
    def source(self) -> AccountSource:
        return self.detected.source


# --- decoding ----------------------------------------------------------------------------------

#: Bytes read to sniff a file; more than enough for any header and preamble.
SNIFF_BYTES = 64 * 1024


def decode(data: bytes) -> tuple[str, str]:
    """Bytes of a text file → (text, encoding). UTF-8 with or without BOM, UTF-16 with a BOM
    (Excel's "Unicode text"), else Windows-1252, which is what QuickBooks Desktop writes
    (FORMATS.md A1). Never fails: bytes cp1252 leaves undefined come through as Latin-1."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    mixed = mixed_encoding_problems(data)
    if mixed:
        raise FileFormatError(
            "The file mixes two text encodings (UTF-8 and Windows-1252), so some names would be "
            "stored garbled; nothing was imported.", mixed,
            hint="Open the file in a text editor or Excel, save it as CSV UTF-8, and import it "
                 "again.")
    return data.decode("cp1252", errors=_LATIN1_FALLBACK), "cp1252"


_BYTE_LINES = re.compile(rb"\r\n|\r|\n")


def mixed_encoding_problems(data: bytes) -> list[LineProblem]:
    """The lines of a file that is not all UTF-8 whose bytes do not fit the encoding of the rest
    (issue #13 §5: one Windows-1252 line "Café" among UTF-8 ones made the whole file read as
    Windows-1252 and stored "CafÃ© rÃ©sumÃ© â‚¬"). Lines with non-ASCII bytes vote: valid UTF-8
    or not; the minority is named (a tie names the Windows-1252 lines: UTF-8 is what Xero and
    today's spreadsheets write). Empty when no line is valid, non-ASCII UTF-8 (a plain
    Windows-1252 file)."""
    utf8: list[tuple[int, bytes]] = []
    other: list[tuple[int, bytes]] = []
    for number, line in enumerate(_BYTE_LINES.split(data), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            other.append((number, line))
        else:
            utf8.append((number, line))
    if not utf8 or not other:
        return []
    if len(utf8) >= len(other):
        return [LineProblem(number, "its bytes are not UTF-8 like the rest of the file (read as "
                            f"Windows-1252 it says {_shown(line.decode('cp1252', 'replace'))})")
                for number, line in other]
    return [LineProblem(number, "its bytes are UTF-8 while the rest of the file is Windows-1252 "
                        f"(it says {_shown(line.decode('utf-8'))}; read as Windows-1252 it would "
                        f"be {_shown(line.decode('cp1252', 'replace'))})")
            for number, line in utf8]


def _shown(text: str, limit: int = 60) -> str:
    text = text.strip()
    return f'"{text if len(text) <= limit else text[: limit - 3] + "..."}"'


def _latin1_fallback(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    bad = error.object[error.start : error.end]
    return bytes(bad).decode("latin-1"), error.end


_LATIN1_FALLBACK = "bookkeeper-latin1"
codecs.register_error(_LATIN1_FALLBACK, _latin1_fallback)

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """CRLF, LF or CR; a final line break (or its absence) makes no extra line."""
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


Row = tuple[int, list[str]]
"""A row of fields with its 1-based line number (physical line of a text file, or sheet row)."""


def csv_rows(text: str, delimiter: str = ",") -> Iterator[Row]:
    """CSV records with the line each starts on (a quoted field may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    line = 1
    for record in reader:
        yield line, record
        line = reader.line_num + 1


def is_blank(fields: Sequence[str]) -> bool:
    return not any(f.strip() for f in fields)


def cell(fields: Sequence[str], index: int | None) -> str:
    """The field at `index`, trimmed; "" when the row is shorter than its header."""
    if index is None or index >= len(fields):
        return ""
    return fields[index].strip()


def header_key(text: str) -> str:
    """A header cell reduced for matching: `*Tax Code` → `taxcode`, `Account #` → `account#`."""
    return re.sub(r"[^a-z0-9#]", "", text.lower())


# --- amounts -----------------------------------------------------------------------------------

_AMOUNT_JUNK = re.compile(r"[\s$£€¤,]")


def parse_amount(text: str) -> Decimal | None:
    """An amount as exports write it: `1,230.40`, `"-151,970.07"`, `(300.00)`, `85.0`, `-650`,
    `$1,000`. None for an empty field; `ValueError` for anything else."""
    raw = text.strip().strip('"').strip()
    if not raw:
        return None
    negative = False
    if raw.startswith("(") and raw.endswith(")"):
        negative, raw = True, raw[1:-1]
    if raw.endswith("-") and not raw.startswith("-"):  # "300.00-" (some report exports)
        negative, raw = True, raw[:-1]
    cleaned = _AMOUNT_JUNK.sub("", raw)
    if not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)", cleaned):
        raise ValueError(f"'{text.strip()}' is not an amount")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:  # pragma: no cover - the regex already guards this
        raise ValueError(f"'{text.strip()}' is not an amount") from exc
    value = value.quantize(CENT, rounding=ROUND_HALF_UP) + 0
    return -value if negative else value


# --- text made safe ------------------------------------------------------------------------------

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(text: str) -> str:
    """Text a spreadsheet would run as a formula gets a leading `'` (OWASP CSV injection).
    Applied to text cells only; amounts are written as numbers and never pass through here."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


_CP1252_SUBSTITUTES = {
    "\u2212": "-", "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2015": "-",
    "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u2009": " ", "\u200b": "",
    "\u2032": "'", "\u2033": '"',
    # letters with a stroke do not decompose into a base letter and an accent
    "\u0141": "L", "\u0142": "l", "\u0110": "D", "\u0111": "d", "\u0131": "i",
    "\u0126": "H", "\u0127": "h",
}


_IIF_BREAKS = re.compile(r"[\t\r\n\v\f\u2028\u2029\x85]+")


def cp1252_safe(text: str) -> str:
    """`text` with nothing QuickBooks Desktop's cp1252 files cannot carry (FORMATS.md A1, D):
    tabs and line breaks become spaces; characters outside cp1252 become their closest ASCII
    form (accents dropped, dashes and spaces simplified) or `?`; control characters go."""
    if text.isascii() and text.isprintable():
        return text  # the common case, and most of an export's fields
    text = _IIF_BREAKS.sub(" ", text)
    out: list[str] = []
    for char in text:
        if char.isascii():
            if char.isprintable():
                out.append(char)
            continue
        if char in _CP1252_SUBSTITUTES:
            out.append(_CP1252_SUBSTITUTES[char])
            continue
        try:
            char.encode("cp1252")
        except UnicodeEncodeError:
            pass
        else:
            if unicodedata.category(char)[0] != "C":
                out.append(char)
            continue
        decomposed = unicodedata.normalize("NFKD", char)
        ascii_form = decomposed.encode("ascii", "ignore").decode("ascii")
        out.append(ascii_form if ascii_form.isprintable() and ascii_form else "?")
    return "".join(out)


def cp1252_problems(text: str) -> str | None:
    """Why `text` cannot go into an IIF file unchanged, or None (used by the export check for
    account names, which must match QuickBooks exactly and so are never silently altered)."""
    if re.search(r"[\t\r\n]", text):
        return "it contains a tab or a line break"
    try:
        text.encode("cp1252")
    except UnicodeEncodeError as exc:
        return f"the character '{text[exc.start]}' cannot be written in a QuickBooks Desktop file"
    if '"' in text:
        return "it contains a double quote, which IIF cannot carry"
    return None


def iif_field(text: str) -> str:
    """A text field for an IIF row: cp1252-safe, no double quotes unless quoting a comma
    (FORMATS.md A1: "write no quotes unless the field contains a comma"; inner quotes are
    never escaped, so they are turned into single quotes)."""
    safe = cp1252_safe(text)
    if '"' in safe:
        safe = safe.replace('"', "'")
    return f'"{safe}"' if "," in safe else safe


# --- export values -------------------------------------------------------------------------------


class ExportFormat(StrEnum):
    """The export formats; values are the CLI's `--format` keys and the settings' choices."""

    IIF = "iif"
    QBO_CSV = "qbo-csv"
    XERO_CSV = "xero-csv"
    XLSX = "xlsx"

    @property
    def label(self) -> str:
        return {
            "iif": "QuickBooks Desktop IIF",
            "qbo-csv": "QuickBooks Online journal CSV",
            "xero-csv": "Xero manual-journal CSV",
            "xlsx": "Excel workbook",
        }[self.value]

    @property
    def provider(self) -> str:
        """The export log's provider for this format (services.exports)."""
        return {"iif": "qbd", "qbo-csv": "qbo", "xero-csv": "xero", "xlsx": "excel"}[self.value]

    @property
    def suffix(self) -> str:
        return ".xlsx" if self is ExportFormat.XLSX else (".iif" if self is ExportFormat.IIF
                                                          else ".csv")


#: Xero refuses a manual-journal file over 300 lines (FORMATS.md C2).
XERO_MAX_LINES = 300
#: The Xero TaxRate written when the settings give none: the name the settings schema uses
#: ("export/xero_tax_rate"); it must match a tax rate of the organisation exactly.
DEFAULT_XERO_TAX_RATE = "Tax Exempt"


@dataclass(frozen=True)
class ExportOptions:
    """How to write.

    `date_format`: QBO's company date format, "MM/DD/YYYY" (US) or "DD/MM/YYYY" (AU/UK);
    IIF is always MM/DD/YYYY and Xero always dd/mm/yyyy (FORMATS.md D). `xero_tax_rate`: the
    full tax-rate name for every Xero line. `xero_codes`: our account id → Xero account code
    (the confirmed mapping); accounts missing from it use their own code. `include_accounts`: IIF
    only, write an `!ACCNT` block of the accounts used before the transactions.
    `xero_max_lines`: lines per Xero file before splitting.
    """

    date_format: str = "MM/DD/YYYY"
    xero_tax_rate: str = DEFAULT_XERO_TAX_RATE
    xero_codes: Mapping[int, str] = field(default_factory=dict)
    include_accounts: bool = False
    xero_max_lines: int = XERO_MAX_LINES

    def qbo_date(self, date: dt.date) -> str:
        if self.date_format.upper().startswith("DD"):
            return f"{date.day:02d}/{date.month:02d}/{date.year:04d}"
        return f"{date.month:02d}/{date.day:02d}/{date.year:04d}"


@dataclass(frozen=True)
class ExportProblem:
    """Why one entry (or the whole export) cannot go into the format: `entry` names it as
    `JournalEntry.label` does, `line` is the entry's 1-based line when it is about one line."""

    entry: str
    message: str
    entry_id: int | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.entry}, line {self.line}" if self.line else self.entry
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class WrittenFile:
    path: Path
    sha256: str
    rows: int
    entries: int


@dataclass(frozen=True)
class ExportResult:
    """What a writer wrote: every file (more than one for a split Xero export) with its SHA-256,
    and the totals."""

    format: ExportFormat
    files: tuple[WrittenFile, ...]
    entry_count: int
    line_count: int
    row_count: int
    #: Entries the format takes another way and so were not written, each with why (Xero's
    #: manual journals leave out bank and locked-account entries).
    left_out: tuple[ExportProblem, ...] = ()

    @property
    def paths(self) -> tuple[Path, ...]:
        return tuple(f.path for f in self.files)


# --- the streaming, hashing, atomic writer ------------------------------------------------------


class HashingWriter:
    """A binary file written under a temporary name and hashed as it is written; `commit()` moves
    it into place, leaving the previous file untouched if anything fails before that. This is
    how writers "refuse rather than write a bad file" while still streaming: a problem found
    mid-stream aborts the temporary file."""

    def __init__(self, path: Path, *, external: bool = False) -> None:
        """`external`: another library writes `partial` itself (openpyxl); `commit_file()`
        hashes it from disk."""
        self.path = path
        self.partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        self._handle: IO[bytes] | None = None if external else self.partial.open("wb")
        self._digest = hashlib.sha256()
        self.rows = 0
        self.entries = 0

    def write(self, data: bytes) -> None:
        assert self._handle is not None
        self._digest.update(data)
        self._handle.write(data)

    def commit(self) -> WrittenFile:
        if self._handle is not None:
            self._handle.close()
        self.partial.replace(self.path)
        return WrittenFile(self.path, self._digest.hexdigest(), self.rows, self.entries)

    def commit_file(self) -> WrittenFile:
        """Commit a partial file written by someone else, hashing it from disk."""
        with self.partial.open("rb") as handle:
            while block := handle.read(1 << 20):
                self._digest.update(block)
        return self.commit()

    def abort(self) -> None:
        if self._handle is not None:
            self._handle.close()
        self.partial.unlink(missing_ok=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is not None:
            self.abort()


class CsvSink:
    """CSV rows into a `HashingWriter` in blocks (the csv module writes to a buffer that is
    flushed every few hundred rows, so memory stays flat however long the export)."""

    FLUSH_ROWS = 512

    def __init__(self, target: HashingWriter, encoding: str, *, bom: bool = False) -> None:
        self.target = target
        self.encoding = encoding
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\r\n")
        self.pending = 0
        if bom:
            target.write(codecs.BOM_UTF8)

    def row(self, values: Sequence[object]) -> None:
        self.writer.writerow(values)
        self.target.rows += 1
        self.pending += 1
        if self.pending >= self.FLUSH_ROWS:
            self.flush()

    def rows(self, rows: Iterable[Sequence[object]]) -> None:
        for values in rows:
            self.row(values)

    def flush(self) -> None:
        data = self.buffer.getvalue()
        if data:
            self.target.write(data.encode(self.encoding))
        self.buffer.seek(0)
        self.buffer.truncate()
        self.pending = 0


def decimal_text(value: Decimal) -> str:
    """A plain amount for CSV/IIF: `1234.50`, `-0.25`; no thousands separators."""
    return f"{value:.2f}"


def normalised_name_key(name: str) -> str:
    """Names compared for mapping proposals and duplicate checks: case, spaces and punctuation
    ignored (`type_key`), so "Bank Charges" matches "bank-charges"."""
    return type_key(name)
