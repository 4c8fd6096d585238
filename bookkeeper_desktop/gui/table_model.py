"""The one base for the small read-only tables (export preview and history, import preview,
conflicts, sync log): rows under fixed column headers, held in memory.

Subclasses give `headers()` and `row_count()` and write their own `data()`; row and column
counts and the horizontal header text come from here. Flags are Qt's default for a valid index
(enabled and selectable), which is what a read-only table wants. Large tables that fetch rows on
demand (the ledger's entries) do not use this.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from typing_extensions import override

ModelIndex = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()


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
