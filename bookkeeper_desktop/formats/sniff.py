"""Recognise a dropped file from its content, never its extension, and read it as a chart.

`sniff(path)` returns the `DetectedFormat` of the four chart layouts (IIF, QBO import, QBO
Account List, Xero), in a text file or an Excel workbook, or raises `FileFormatError` saying what
the file looks like instead ("this is a QuickBooks customer list, not a chart of accounts").
`read_chart(path)` reads the whole chart; its problems carry file line numbers.
"""

from __future__ import annotations

import dataclasses
import hashlib
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from openpyxl.utils.exceptions import InvalidFileException

from bookkeeper_desktop.core.errors import FileFormatError, LineProblem
from bookkeeper_desktop.formats import iif, qbo_csv, xero_csv, xlsx
from bookkeeper_desktop.formats.common import (
    ChartLayout,
    ChartRow,
    Container,
    DetectedFormat,
    ParsedChart,
    Row,
    SkippedRow,
    csv_rows,
    decode,
    is_blank,
    split_lines,
)

#: Rows searched for a header (QBO's Account List puts company name, title and a blank first).
HEADER_SEARCH_ROWS = 12
#: A chart-of-accounts file larger than this is not one (5,000 accounts take about 1 MB).
MAX_CHART_BYTES = 64 * 1024 * 1024

SUPPORTED = ("a QuickBooks Desktop IIF chart export (!ACCNT), a QuickBooks Online chart CSV "
             "(Account Number, Account Name, Type, Detail Type) or Account List export, a Xero "
             "chart CSV (*Code,*Name,*Type,*Tax Code,...), or an Excel workbook holding one")


def _refuse(path: Path, what: str, hint: str | None = None) -> FileFormatError:
    return FileFormatError(
        f"'{path.name}' is {what}, not a chart of accounts.", path=str(path),
        hint=hint or f"Choose {SUPPORTED}.",
    )


class _NotChart(Exception):
    """Internal: a header we recognise as something other than a chart."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


def _match_rows(rows: Iterable[Row]) -> tuple[ChartLayout, int] | None:
    """The layout and header line among the first rows, or None; raises `_NotChart` for a
    journal-import header."""
    for count, (line, fields) in enumerate(rows):
        if count >= HEADER_SEARCH_ROWS:
            break
        if is_blank(fields):
            continue
        if xero_csv.match_header(fields):
            return ChartLayout.XERO, line
        layout = qbo_csv.match_header(fields)
        if layout is not None:
            return layout, line
        if xero_csv.is_journal_header(fields):
            raise _NotChart("a Xero manual-journal import file (journal lines)")
        if qbo_csv.is_journal_header(fields):
            raise _NotChart("a QuickBooks Online journal-entry import file (journal lines)")
    return None


def _read(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_CHART_BYTES:
            raise _refuse(path, f"{size // (1024 * 1024)} MB, far larger than any chart file")
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise FileFormatError(f"There is no file '{path}'.", path=str(path)) from exc
    except IsADirectoryError as exc:
        raise FileFormatError(f"'{path}' is a folder, not a file.", path=str(path)) from exc
    except PermissionError as exc:
        raise FileFormatError(f"'{path}' cannot be read: permission denied.",
                              path=str(path)) from exc


def sniff(path: Path) -> DetectedFormat:
    """What chart layout `path` holds, from its content. `FileFormatError` when it holds none."""
    data = _read(path)
    return _sniff_bytes(path, data)


def _sniff_bytes(path: Path, data: bytes) -> DetectedFormat:
    if not data.strip():
        raise FileFormatError(f"'{path.name}' is empty.", path=str(path),
                              hint="Export the chart of accounts again and choose that file.")
    if data.startswith(xlsx.XLSX_MAGIC):
        return _sniff_workbook(path)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise _refuse(path, "an Excel 97-2003 workbook (.xls) or another old Office file",
                      "Open it in Excel and save it as .xlsx or CSV, then import that.")
    if data.startswith(b"%PDF"):
        raise _refuse(path, "a PDF document", "Export the chart as CSV, IIF or Excel instead.")
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _refuse(path, "a binary file")
    text, encoding = _decode(path, data)
    first_lines = split_lines(text[:SNIFF_TEXT])[:HEADER_SEARCH_ROWS]
    if iif.looks_like_iif(first_lines):
        found = iif.survey(text)
        if found.spaces_not_tabs:
            raise FileFormatError(
                f"'{path.name}' looks like an IIF file whose tabs were turned into spaces; "
                "QuickBooks cannot read it either.", path=str(path),
                hint="Export it from QuickBooks again, without opening it in an editor.")
        if found.accounts or "ACCNT" in found.headers:
            return DetectedFormat(ChartLayout.IIF, Container.TEXT, encoding, None, 1, "\t")
        raise _refuse(path, iif.describe_non_chart(found))
    for delimiter in (",", ";", "\t"):
        try:
            match = _match_rows(csv_rows(text[:SNIFF_TEXT], delimiter))
        except _NotChart as not_chart:
            raise _refuse(path, not_chart.what) from None
        if match is not None:
            layout, line = match
            return DetectedFormat(layout, Container.TEXT, encoding, None, line, delimiter)
    first = next((line for line in first_lines if line.strip()), "")
    shown = first if len(first) <= 80 else first[:77] + "..."
    raise _refuse(path, f"a text file with columns we do not know ('{shown}')")


SNIFF_TEXT = 64 * 1024


def _sheet_layout(path: Path, sheet: str) -> tuple[ChartLayout, int] | None:
    rows = list(xlsx.sheet_rows(path, sheet, limit=HEADER_SEARCH_ROWS))
    for _, fields in rows:
        if is_blank(fields):
            continue
        if fields[0].strip().startswith("!"):
            keywords = {f[0].strip().upper() for _, f in rows if f}
            return (ChartLayout.IIF, 1) if "!ACCNT" in keywords else None
        break
    return _match_rows(rows)


def _sniff_workbook(path: Path) -> DetectedFormat:
    try:
        names = xlsx.sheet_names(path)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise _refuse(path, "a ZIP archive that is not an Excel workbook") from exc
    others: list[str] = []
    for sheet in names:
        try:
            match = _sheet_layout(path, sheet)
        except _NotChart as not_chart:
            others.append(not_chart.what)
            continue
        if match is not None:
            layout, line = match
            return DetectedFormat(layout, Container.XLSX, None, sheet, line)
    if others:
        raise _refuse(path, f"an Excel workbook holding {others[0]}")
    raise _refuse(path, "an Excel workbook with no sheet laid out as a chart of accounts")


# --- reading the whole chart ---------------------------------------------------------------------


def _decode(path: Path, data: bytes) -> tuple[str, str]:
    """`common.decode`, its refusal (a file mixing encodings) naming the file."""
    try:
        return decode(data)
    except FileFormatError as exc:
        raise FileFormatError(f"'{path.name}': {exc.message}", exc.problems, path=str(path),
                              hint=exc.hint) from None


def read_chart(path: Path, detected: DetectedFormat | None = None) -> ParsedChart:
    """Read the chart in `path` (sniffing it first unless `detected` is given)."""
    data = _read(path)
    detected = detected or _sniff_bytes(path, data)
    rows: Iterator[Row]
    if detected.container is Container.XLSX:
        rows = xlsx.sheet_rows(path, detected.sheet)
    else:
        text, _ = _decode(path, data)
        rows = (iif.iif_rows(text) if detected.layout is ChartLayout.IIF
                else csv_rows(text, detected.delimiter))
    chart = parse_rows(path.name, detected, rows)
    return dataclasses.replace(chart, sha256=hashlib.sha256(data).hexdigest())


def parse_rows(file_name: str, detected: DetectedFormat, rows: Iterable[Row]) -> ParsedChart:
    """A chart from rows already split into fields (text lines or sheet rows)."""
    source = detected.source
    skipped: list[SkippedRow] = []
    if detected.layout is ChartLayout.IIF:
        chart, problems, notes = iif.read_chart_rows(rows, source)
    elif detected.layout is ChartLayout.XERO:
        chart, problems, notes, skipped = xero_csv.read_chart_rows(rows, detected.header_line,
                                                                  source)
    else:
        chart, problems, notes = qbo_csv.read_chart_rows(rows, detected.header_line, source)
    kept, duplicates = without_duplicates(chart)
    problems.extend(duplicates)
    problems.sort(key=lambda p: (p.line or 0))
    if not kept and not problems:
        problems.append(LineProblem(None, "the file has a chart header but no accounts"))
    return ParsedChart(file_name, detected, tuple(kept), tuple(problems), tuple(notes),
                       tuple(skipped))


def without_duplicates(rows: Sequence[ChartRow]) -> tuple[list[ChartRow], list[LineProblem]]:
    """Rows whose name (any case) or code repeats an earlier row's are reported, not kept."""
    names: dict[str, int] = {}
    codes: dict[str, int] = {}
    kept: list[ChartRow] = []
    problems: list[LineProblem] = []
    for row in rows:
        name_key = row.full_name.lower()
        if name_key in names:
            problems.append(LineProblem(row.line, f"account '{row.full_name}' appears twice "
                                                  f"(first on line {names[name_key]})"))
            continue
        if row.code and row.code in codes:
            problems.append(LineProblem(row.line, f"account code {row.code} of "
                                                  f"'{row.full_name}' is already used on line "
                                                  f"{codes[row.code]}"))
            continue
        names[name_key] = row.line
        if row.code:
            codes[row.code] = row.line
        kept.append(row)
    return kept, problems
