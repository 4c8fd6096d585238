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

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from typing_extensions import override

from bookkeeper_desktop.gui.integrations.state import MappingRow, MappingState, SyncRunRow
from bookkeeper_desktop.gui.table_model import RowsTableModel
from bookkeeper_desktop.providers.config import Provider as ProviderCode
from bookkeeper_desktop.services.sync_runs import UNDO

ModelIndex = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()

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

_MAPPING_ROLES = frozenset({
    Qt.ItemDataRole.DisplayRole, SortRole, RowRole, Qt.ItemDataRole.BackgroundRole,
    Qt.ItemDataRole.FontRole, Qt.ItemDataRole.ToolTipRole,
})


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


class MappingTableModel(QAbstractTableModel):
    """Our accounts beside the remote ones; proposals are marked (bold, amber background)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[MappingRow] = []
        self._texts: list[tuple[str, ...]] = []

    def set_rows(self, rows: list[MappingRow]) -> None:
        """Swap in `rows`; the same rows again (every refresh after a sync that changed no
        mapping) change nothing, so the table is neither reset nor repainted."""
        if rows == self._rows:
            return
        self.beginResetModel()
        self._rows = list(rows)
        self._texts = [_mapping_texts(row) for row in self._rows]
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
        """Update one row in place (after Confirm or Reject) with a narrow `dataChanged`."""
        self._rows[row] = new
        self._texts[row] = _mapping_texts(new)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(MappingColumn) - 1))

    @override
    def rowCount(self, parent: ModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    @override
    def columnCount(self, parent: ModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(MappingColumn)

    @override
    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(MappingColumn)):
            return _MAPPING_HEADERS[MappingColumn(section)]
        return None

    @override
    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        if role not in _MAPPING_ROLES:
            return None  # a repaint asks for many roles per cell; most end here
        row = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, SortRole):
            return self._texts[index.row()][index.column()]
        if role == RowRole:
            return row
        if role == Qt.ItemDataRole.BackgroundRole and row.state in _STATE_COLORS:
            return _state_brush(row.state)
        if role == Qt.ItemDataRole.FontRole and row.state in _BOLD_STATES:
            return _bold_font()
        if role == Qt.ItemDataRole.ToolTipRole:
            if index.column() in (MappingColumn.ACCOUNT, MappingColumn.REMOTE_NAME):
                return self._texts[index.row()][index.column()]  # the whole name
            return _tooltip(row)
        return None


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
            return ProviderCode.name_of(run.provider)
        if column is SyncColumn.DIRECTION:
            return run.direction.capitalize()
        if column is SyncColumn.STATUS:
            return (f"{run.outcome} — {run.undone}" if run.undone else run.outcome).capitalize()
        if column is SyncColumn.DURATION:
            seconds = run.duration_seconds
            return "running…" if seconds is None else f"{seconds:.1f} s"
        if column is SyncColumn.MESSAGE:
            return run.message
        if run.direction == UNDO and column is not SyncColumn.ERRORS:
            # An undo pulls and pushes nothing of its own: what it took back is its message
            # ("Undone: 2 entries taken back…"), never "Pushed 0" beside it.
            return "—"
        return f"{SyncLogModel._count(run, column):,}"

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
            return -1 if run.direction == UNDO and column is not SyncColumn.ERRORS \
                else SyncLogModel._count(run, column)
        return SyncLogModel._display(run, column)
