"""The one base for the small read-only tables (export preview and history, import preview,
conflicts, sync log): rows under fixed column headers, held in memory.

Subclasses give `headers()` and `row_count()` and write their own `data()` (`RowsTableModel`
holds the rows for those that keep a list of row values); row and column
counts and the horizontal header text come from here. Flags are Qt's default for a valid index
(enabled and selectable), which is what a read-only table wants. Large tables that fetch rows on
demand (the ledger's entries) do not use this.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from typing_extensions import override

ModelIndex = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
RowT = TypeVar("RowT")


class ReadOnlyTableModel(QAbstractTableModel):
    """Rows under fixed headers; see the module docstring."""

    def headers(self) -> Sequence[str]:
        raise NotImplementedError

    def row_count(self) -> int:
        raise NotImplementedError

    @override
    def rowCount(self, parent: ModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else self.row_count()

    @override
    def columnCount(self, parent: ModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.headers())

    @override
    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        headers = self.headers()
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(headers)):
            return headers[section]
        return None


class RowsTableModel(ReadOnlyTableModel, Generic[RowT]):
    """A read-only table of row values held in memory and swapped in whole (`set_rows`).

    The same rows again change nothing: a refresh after every sync or edit brings the same
    rows most of the time, and a reset would repaint the table and drop the user's selection.
    `ordered()` may sort the rows as they arrive. `row_for(index)` is the row behind a valid
    index, or None, for `data()`."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[RowT] = []

    def ordered(self, rows: list[RowT]) -> list[RowT]:
        return rows

    def set_rows(self, rows: Iterable[RowT]) -> None:
        new = self.ordered(list(rows))
        if new == self._rows:
            return
        self.beginResetModel()
        self._rows = new
        self.endResetModel()

    def rows(self) -> list[RowT]:
        return list(self._rows)

    def row_at(self, row: int) -> RowT:
        return self._rows[row]

    @override
    def row_count(self) -> int:
        return len(self._rows)

    def row_for(self, index: ModelIndex) -> RowT | None:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        return self._rows[index.row()]
