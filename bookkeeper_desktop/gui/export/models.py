"""Models of the Export pane: the preview rows (strings exactly as written) and the export log."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from typing_extensions import override

from bookkeeper_desktop.gui.table_model import ModelIndex, ReadOnlyTableModel
from bookkeeper_desktop.settings import EXPORT_FORMATS
from bookkeeper_desktop.storage.records import ExportRecord

_FORMAT_LABELS = {**dict(EXPORT_FORMATS), "xero-bank-csv": "Xero bank statement CSV"}


class PreviewRowsModel(ReadOnlyTableModel):
    """A read-only grid of text: the header row of the file and its first rows."""

    def __init__(self) -> None:
        super().__init__()
        self._headers: tuple[str, ...] = ()
        self._rows: tuple[tuple[str, ...], ...] = ()

    def set_rows(self, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.beginResetModel()
        self._headers = tuple(headers)
        width = len(self._headers)
        # Rows shorter than the header (IIF's TRNS/SPL lines under one header) are padded.
        self._rows = tuple(tuple(row[:width]) + ("",) * (width - len(row[:width])) for row in rows)
        self.endResetModel()

    @override
    def headers(self) -> Sequence[str]:
        return self._headers

    @override
    def row_count(self) -> int:
        return len(self._rows)

    @override
    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        # Rows are numbered down the side, as a spreadsheet shows the file.
        if (orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(self._rows)):
            return section + 1
        return super().headerData(section, orientation, role)

    @override
    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._rows[index.row()][index.column()]
        return None


HISTORY_HEADERS = ("When", "Format", "Entries", "Filters", "File", "Status")


#: How the export log's filter keys read in the history (`services.exporting._filters_json`).
_FILTER_WORDS = {
    "from": "from", "date_from": "from", "to": "to", "date_to": "to",
    "date_format": "dates as", "tax_rate": "tax rate",
}


def describe_filters(filters: dict[str, Any] | Any) -> str:
    """`{"statuses": ["posted"], "date_from": "2026-01-01", "include_accounts": True}` →
    "posted · from 2026-01-01 · with the chart of accounts": the words a bookkeeper uses, never
    the log's internal keys."""
    if not isinstance(filters, dict) or not filters:
        return ""
    parts: list[str] = []
    for key, value in filters.items():
        if value in (None, "", [], ()):
            continue
        shown = ", ".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value)
        if key in ("status", "statuses"):
            parts.append(shown)
        elif key == "include_accounts":
            if value is True:
                parts.append("with the chart of accounts")
        elif key in _FILTER_WORDS:
            parts.append(f"{_FILTER_WORDS[key]} {shown}")
        else:
            parts.append(f"{key.replace('_', ' ')} {shown}")
    return " · ".join(parts)


class ExportHistoryModel(ReadOnlyTableModel):
    """The export log, newest first."""

    def __init__(self) -> None:
        super().__init__()
        self._records: list[ExportRecord] = []

    def set_records(self, records: Sequence[ExportRecord]) -> None:
        self.beginResetModel()
        self._records = sorted(records, key=lambda r: (r.created_at, r.id), reverse=True)
        self.endResetModel()

    def record(self, row: int) -> ExportRecord | None:
        return self._records[row] if 0 <= row < len(self._records) else None

    @override
    def headers(self) -> Sequence[str]:
        return HISTORY_HEADERS

    @override
    def row_count(self) -> int:
        return len(self._records)

    @override
    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        record = self.record(index.row()) if index.isValid() else None
        if record is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            when = record.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
            return (when, _FORMAT_LABELS.get(record.format, record.format),
                    f"{record.record_count:,}", describe_filters(dict(record.filters)),
                    Path(record.file_name).name, record.status.capitalize())[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 4:
                return record.file_name
            if column == 5 and record.message:
                return record.message
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column == 5 and record.status != "succeeded":
            return QBrush(QColor("#c0392b"))
        return None
