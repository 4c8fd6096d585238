"""Table models of the Integrations pane: the account mapping and the sync log.

Both tables are small (one row per account, one per sync run kept), so they hold their rows; the
rows come from services through a job and are swapped in with `set_rows()`. A single row changed
by Confirm/Reject is updated in place with a narrow `dataChanged` (STYLE.md practice 9).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QStandardItem, QStandardItemModel
from typing_extensions import override

from bookkeeper_desktop.gui.integrations.state import MappingRow, MappingState, SyncRunRow
from bookkeeper_desktop.gui.table_model import RowsTableModel
from bookkeeper_desktop.providers.config import Provider
from bookkeeper_desktop.services.sync_runs import UNDO

ModelIndex = QModelIndex | QPersistentModelIndex

#: The row object behind an index (tests and actions read it).
RowRole = Qt.ItemDataRole.UserRole + 1
#: A value that sorts naturally (numbers as numbers, times as timestamps).
SortRole = Qt.ItemDataRole.UserRole + 2

_STATE_LABELS = {
    MappingState.PROPOSED: "Proposed",
    MappingState.CONFIRMED: "Confirmed",
    MappingState.REJECTED: "Rejected",
    MappingState.UNMAPPED: "Not mapped",
    MappingState.CONFLICT: "Conflict",
}
_STATE_COLORS = {
    MappingState.PROPOSED: QColor(242, 169, 59, 60),
    MappingState.REJECTED: QColor(200, 60, 60, 45),
    MappingState.UNMAPPED: QColor(128, 128, 128, 40),
    MappingState.CONFLICT: QColor(200, 60, 60, 90),
}


class MappingColumn(IntEnum):
    CODE = 0
    ACCOUNT = 1
    TYPE = 2
    REMOTE_CODE = 3
    REMOTE_NAME = 4
    STATE = 5
    REASON = 6
    CHECK = 7


_MAPPING_HEADERS = {
    MappingColumn.CODE: "Code",
    MappingColumn.ACCOUNT: "Our account",
    MappingColumn.TYPE: "Type",
    MappingColumn.REMOTE_CODE: "Remote no.",
    MappingColumn.REMOTE_NAME: "Remote account",
    MappingColumn.STATE: "State",
    MappingColumn.REASON: "Why",
    MappingColumn.CHECK: "Check",
}


#: Rows shown in bold: what the user has to look at.
_BOLD_STATES = frozenset({MappingState.PROPOSED, MappingState.CONFLICT})


def _mapping_texts(row: MappingRow) -> tuple[str, ...]:
    """A row's cell texts in column order, made once when the rows arrive."""
    texts = {
        MappingColumn.CODE: row.account_code,
        MappingColumn.ACCOUNT: row.account_name,
        MappingColumn.TYPE: row.account_type,
        MappingColumn.REMOTE_CODE: row.remote_code or row.remote_id,
        MappingColumn.REMOTE_NAME: row.remote_name or "—",
        MappingColumn.STATE: _STATE_LABELS[row.state],
        MappingColumn.REASON: row.reason,
        MappingColumn.CHECK: f"⚠ {row.warning}" if row.warning else "",
    }
    return tuple(str(texts[column] or "") for column in MappingColumn)


@functools.cache
def _state_brush(state: MappingState) -> QBrush:
    return QBrush(_STATE_COLORS[state])


@functools.cache
def _bold_font() -> QFont:
    font = QFont()
    font.setBold(True)
    return font


#: On column 0: "1" for the rows "Only proposals and conflicts" keeps (the proxy filters on it
#: in C++, `FILTER_WANTED`).
FilterRole = Qt.ItemDataRole.UserRole + 3
FILTER_WANTED = "1"


def wanted_when_filtered(row: MappingRow) -> bool:
    """Whether "Only proposals and conflicts" keeps this row."""
    return row.state in _BOLD_STATES


class MappingTableModel(QStandardItemModel):
    """Our accounts beside the remote ones; proposals are marked (bold, amber background).

    The cells are Qt's own items, filled once when the rows change: painting the table, and
    the sort/filter proxy over it, then run in C++ without calling back into Python. With a
    Python `data()` each painted cell cost about twenty calls into Python (seven roles, and
    the proxy asking `rowCount`/`columnCount` for every index), and each call waited for the
    GIL while the db lane re-read the panes after a sync: 8 ms of the GUI thread's time for
    one repaint, 40–65 ms beside a thread busy in Python (benchmarks/RESULTS.md, issue 15)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(0, len(MappingColumn), parent)
        self.setHorizontalHeaderLabels([_MAPPING_HEADERS[column] for column in MappingColumn])
        # Cells the model makes itself (`setItemData` on an empty cell) are read-only, as a
        # read-only table's are (the default item is editable and draggable).
        prototype = QStandardItem()
        prototype.setFlags(Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
                           | Qt.ItemFlag.ItemNeverHasChildren)
        self.setItemPrototype(prototype)
        self._rows: list[MappingRow] = []
        self._texts: list[tuple[str, ...]] = []

    def set_rows(self, rows: list[MappingRow]) -> None:
        """Swap in `rows`; the same rows again (every refresh after a sync that changed no
        mapping) change nothing, so the table is neither reset nor repainted."""
        if rows == self._rows:
            return
        self.beginResetModel()
        # One reset for the views, not a signal per cell filled.
        blocked = self.blockSignals(True)
        try:
            self._rows = list(rows)
            self._texts = [_mapping_texts(row) for row in self._rows]
            self.setRowCount(0)
            self.setRowCount(len(self._rows))
            for number in range(len(self._rows)):
                self._fill(number)
        finally:
            self.blockSignals(blocked)
            self.endResetModel()

    def rows(self) -> list[MappingRow]:
        return list(self._rows)

    def row_at(self, row: int) -> MappingRow:
        return self._rows[row]

    def column_texts(self, column: int, rows: Iterable[int]) -> tuple[list[str], list[str]]:
        """The texts of `column` in `rows`: those shown in the table's font, and those shown
        in bold (proposals and conflicts), to size the column from font metrics."""
        plain: list[str] = []
        bold: list[str] = []
        for row in rows:
            (bold if self._rows[row].state in _BOLD_STATES else plain).append(
                self._texts[row][column])
        return plain, bold

    def replace_row(self, row: int, new: MappingRow) -> None:
        """Update one row in place (after Confirm or Reject): its cells' `dataChanged`, no
        reset."""
        self._rows[row] = new
        self._texts[row] = _mapping_texts(new)
        self._fill(row)

    def _fill(self, number: int) -> None:
        """Every role of every cell of row `number`; a role the row does not use is cleared
        (None), so a row that changed state loses its old colour and weight."""
        row, texts = self._rows[number], self._texts[number]
        shared: dict[int, Any] = {
            RowRole: row,
            Qt.ItemDataRole.BackgroundRole: _state_brush(row.state)
            if row.state in _STATE_COLORS else None,
            Qt.ItemDataRole.FontRole: _bold_font() if row.state in _BOLD_STATES else None,
        }
        tooltip = _tooltip(row)
        for column in MappingColumn:
            text = texts[column]
            roles = {**shared, Qt.ItemDataRole.DisplayRole: text, SortRole: text,
                     Qt.ItemDataRole.ToolTipRole: text if column in _WHOLE_NAME_TIPS
                     else tooltip}
            if column == 0:
                roles[FilterRole] = FILTER_WANTED if wanted_when_filtered(row) else ""
            self.setItemData(self.index(number, column), roles)


#: Name columns whose tooltip is the whole name (elided in the cell); the others explain the row.
_WHOLE_NAME_TIPS = frozenset({MappingColumn.ACCOUNT, MappingColumn.REMOTE_NAME})


def _tooltip(row: MappingRow) -> str | None:
    check = f" Check: {row.warning}." if row.warning else ""
    if row.state is MappingState.PROPOSED:
        return (f"Proposed ({row.reason or 'automatic match'}).{check} Confirm it, reject it, "
                "or double-click to choose another account.")
    if row.state is MappingState.CONFLICT:
        return f"Conflict: {row.reason or 'resolve it before syncing'}"
    if row.state is MappingState.UNMAPPED:
        return ("Not mapped: double-click (or Map to…) to choose the remote account, or "
                "Create it there.")
    if row.warning:
        return check.strip()
    return None


class SyncColumn(IntEnum):
    STARTED = 0
    PROVIDER = 1
    DIRECTION = 2
    STATUS = 3
    PULLED = 4
    PUSHED = 5
    CONFLICTS = 6
    ERRORS = 7
    DURATION = 8
    MESSAGE = 9


_SYNC_HEADERS = {
    SyncColumn.STARTED: "Started",
    SyncColumn.PROVIDER: "Provider",
    SyncColumn.DIRECTION: "Direction",
    SyncColumn.STATUS: "Result",
    SyncColumn.PULLED: "Pulled",
    SyncColumn.PUSHED: "Pushed",
    SyncColumn.CONFLICTS: "Conflicts",
    SyncColumn.ERRORS: "Errors",
    SyncColumn.DURATION: "Took",
    SyncColumn.MESSAGE: "Message",
}
_NUMERIC = {SyncColumn.PULLED, SyncColumn.PUSHED, SyncColumn.CONFLICTS, SyncColumn.ERRORS,
            SyncColumn.DURATION}


class SyncLogModel(RowsTableModel[SyncRunRow]):
    """Every sync run, newest first: direction, counts, errors, duration."""

    @override
    def ordered(self, rows: list[SyncRunRow]) -> list[SyncRunRow]:
        return sorted(rows, key=lambda r: r.started_at, reverse=True)

    @override
    def headers(self) -> Sequence[str]:
        return [_SYNC_HEADERS[column] for column in SyncColumn]

    def column_texts(self, column: SyncColumn) -> list[str]:
        """What `column` shows in every row (to size it from font metrics)."""
        return [self._display(run, column) for run in self._rows]

    @override
    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        run = self.row_for(index)
        if run is None:
            return None
        column = SyncColumn(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(run, column)
        if role == SortRole:
            return self._sort_value(run, column)
        if role == RowRole:
            return run
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column is SyncColumn.STATUS \
                and run.status in ("failed", "error"):
            return QBrush(QColor("#C0392B"))
        if role == Qt.ItemDataRole.ToolTipRole and column is SyncColumn.MESSAGE and run.message:
            return "\n".join([run.message, *run.notes])
        return None

    @staticmethod
    def _display(run: SyncRunRow, column: SyncColumn) -> str:
        if column is SyncColumn.STARTED:
            return run.started_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        if column is SyncColumn.PROVIDER:
            return Provider.name_of(run.provider)
        if column is SyncColumn.DIRECTION:
            return run.direction.capitalize()
        if column is SyncColumn.STATUS:
            return (f"{run.outcome} — {run.undone}" if run.undone else run.outcome).capitalize()
        if column is SyncColumn.DURATION:
            seconds = run.duration_seconds
            return "running…" if seconds is None else f"{seconds:.1f} s"
        if column is SyncColumn.MESSAGE:
            return run.message
        if SyncLogModel._no_count(run, column):
            return "—"
        return f"{SyncLogModel._count(run, column):,}"

    @staticmethod
    def _no_count(run: SyncRunRow, column: SyncColumn) -> bool:
        """An undo pulls and pushes nothing of its own: what it took back is its message
        ("Undone: 2 entries taken back…"), never "Pushed 0" beside it."""
        return run.direction == UNDO and column is not SyncColumn.ERRORS

    @staticmethod
    def _count(run: SyncRunRow, column: SyncColumn) -> int:
        return {SyncColumn.PULLED: run.pulled, SyncColumn.PUSHED: run.pushed,
                SyncColumn.CONFLICTS: run.conflicts, SyncColumn.ERRORS: run.errors}[column]

    @staticmethod
    def _sort_value(run: SyncRunRow, column: SyncColumn) -> Any:
        if column is SyncColumn.STARTED:
            return run.started_at.timestamp()
        if column is SyncColumn.DURATION:
            return run.duration_seconds if run.duration_seconds is not None else -1.0
        if column in _NUMERIC:
            return -1 if SyncLogModel._no_count(run, column) \
                else SyncLogModel._count(run, column)
        return SyncLogModel._display(run, column)
