"""The one base for the small read-only tables (export preview and history, import preview,
conflicts, sync log): rows under fixed column headers, held in memory.

Subclasses give `headers()` and `row_count()` and write their own `data()` (`RowsTableModel`
holds the rows for those that keep a list of row values); row and column
counts and the horizontal header text come from here. Flags are Qt's default for a valid index
(enabled and selectable), which is what a read-only table wants. Large tables that fetch rows on
demand (the ledger's entries) do not use this.

`SelectionKeeper` keeps a table view's selected and current rows on the same items (found again
by a key, not by row number) across new rows; every table that keeps its selection over a
refresh uses it, the ledger's lazily read entries included (`entry_table.PlaceKeeper`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtWidgets import QAbstractItemView
from typing_extensions import override

ModelIndex = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
RowT = TypeVar("RowT")
KeyT = TypeVar("KeyT", bound=Hashable)


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


@dataclass(frozen=True)
class KeptSelection(Generic[KeyT]):
    """Where the user was in a table, by the rows' keys: `SelectionKeeper.remember()`."""

    selected: list[KeyT]
    current: KeyT | None
    #: The vertical scroll bar's value, for keepers made with `keep_scroll`.
    scroll: int | None


class SelectionKeeper(Generic[KeyT]):
    """Keeps a table view's selected rows and its current row on the same items across new rows.

    A model reset (new rows after a sync, an edit, a re-read) clears the view's selection, and
    a row number means another item once rows came or went or the sort moved them; so the
    keeper remembers the rows' keys (`key_of(row)`, a row of the view's own model, so of the
    proxy where there is one) and finds them again afterwards (`row_of(key)`, by default one
    pass over the new rows). A key that is gone is simply not selected again; the current row
    stays on its item, or else goes to the first row selected again (where the keyboard goes
    on from). `select_first`: when none of the selected items is left (or none was selected),
    the first row is selected, for views whose detail pane should always show a row.
    `keep_scroll`: the scroll bar goes back where it was (after the current row moved into
    view), as a table that changed in place would have left it.

    Use `with keeper.kept(): model.set_rows(rows)`; or `remember()` before and `restore()`
    after, where the reset happens out of the caller's hands (`PlaceKeeper`)."""

    def __init__(self, view: QAbstractItemView, key_of: Callable[[int], KeyT | None],
                 row_of: Callable[[KeyT], int | None] | None = None, *,
                 select_first: bool = False, keep_scroll: bool = False) -> None:
        self._view = view
        self._key_of = key_of
        self._row_of = row_of
        self._select_first = select_first
        self._keep_scroll = keep_scroll

    @contextmanager
    def kept(self) -> Iterator[None]:
        place = self.remember()
        yield
        self.restore(place)

    def remember(self) -> KeptSelection[KeyT]:
        view = self._view
        rows: set[int] = set()
        selection = view.selectionModel().selection()
        # By ranges, not `selectedRows()`: Ctrl+A on the ledger selects every entry.
        for number in range(selection.count()):
            selected = selection.at(number)
            if not selected.parent().isValid():
                rows.update(range(selected.top(), selected.bottom() + 1))
        keys = [key for key in map(self._key_of, sorted(rows)) if key is not None]
        current = view.currentIndex()
        return KeptSelection(keys, self._key_of(current.row()) if current.isValid() else None,
                             view.verticalScrollBar().value() if self._keep_scroll else None)

    def restore(self, place: KeptSelection[KeyT]) -> None:
        view = self._view
        model = view.model()
        if model is None or model.rowCount() == 0:
            return
        if not place.selected and place.current is None and not self._select_first:
            # Nothing to find again: no pass over the rows (a Python call each) on a refresh.
            if place.scroll is not None:
                view.verticalScrollBar().setValue(place.scroll)
            return
        row_of = self._row_of or self._scanned_rows()
        rows = sorted(row for row in map(row_of, place.selected) if row is not None)
        current = row_of(place.current) if place.current is not None else None
        if not rows and self._select_first:
            rows = [0]
            current = 0
        if current is None and rows:
            current = rows[0]
        selection = QItemSelection()
        last_column = max(model.columnCount() - 1, 0)
        start = previous = -2
        for row in [*rows, -2]:  # one range per run of consecutive rows
            if row != previous + 1:
                if start >= 0:
                    selection.select(model.index(start, 0), model.index(previous, last_column))
                start = row
            previous = row
        flags = QItemSelectionModel.SelectionFlag
        chooser = view.selectionModel()
        chooser.select(selection, flags.ClearAndSelect | flags.Rows)
        if current is not None:
            chooser.setCurrentIndex(model.index(current, 0), flags.NoUpdate)
        if place.scroll is not None:
            view.verticalScrollBar().setValue(place.scroll)

    def _scanned_rows(self) -> Callable[[KeyT], int | None]:
        model = self._view.model()
        found: dict[KeyT, int] = {}
        for row in range(model.rowCount()):
            key = self._key_of(row)
            if key is not None:
                found.setdefault(key, row)
        return found.get
