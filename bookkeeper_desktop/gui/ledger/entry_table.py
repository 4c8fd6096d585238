"""The journal-entry table: a lazy `QAbstractTableModel` that holds ids and fetches rows in pages.

Why this shape (STYLE.md practice 9, PRODUCT.md §7 "100k entries open and scroll without a stall"):
- The model holds only the ids of the entries that match the filter, in the sort order, as a
  compact `array('q')` (100k ids ≈ 0.8 MB). Filtering and sorting run in SQL through the source.
- Rows are fetched a page at a time, in the database lane of the job runner, when the view first
  asks for one of their cells; until then the row shows "Loading…". When the page arrives the model
  emits `dataChanged` for just those rows. Widgets never open a session (practice 2).
- Requests are served newest first and only a few are kept waiting, so dragging the scroll bar from
  end to end fetches the pages the user stops on, not every page passed over.
- A bounded cache of pages keeps memory flat however far the user scrolls.
- `refresh()` (on a Changes notice) re-reads the ids: if they are the same, the cached pages are
  re-read and only rows that differ emit `dataChanged`; if not, the model resets and the view
  restores its selection by id.

Signals:
    ids_loaded(int): the ids for the current filter and sort arrived (their count).
    load_failed(object): reading ids or a page failed (the exception).
"""

from __future__ import annotations

import datetime as dt
from array import array
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from typing_extensions import override

from bookkeeper_desktop.core.journal import EntrySource, EntryStatus
from bookkeeper_desktop.core.money import format_money
from bookkeeper_desktop.core.progress import Progress

ModelIndex = QModelIndex | QPersistentModelIndex
#: `data(index, ENTRY_ID_ROLE)` is the entry id of the row, loaded or not.
ENTRY_ID_ROLE = Qt.ItemDataRole.UserRole
#: `data(index, STATUS_ROLE)` is the status value ("posted") of a loaded row (None while loading).
STATUS_ROLE = Qt.ItemDataRole.UserRole + 1
LOADING = "Loading…"


class EntryRowLike(Protocol):
    """What a row of the table shows (`storage.records.EntrySummary`)."""

    @property
    def id(self) -> int: ...
    @property
    def date(self) -> dt.date | None: ...
    @property
    def number(self) -> str: ...
    @property
    def memo(self) -> str: ...
    @property
    def status(self) -> EntryStatus: ...
    @property
    def source(self) -> EntrySource: ...
    @property
    def total(self) -> Decimal: ...
    @property
    def line_count(self) -> int: ...


class CachedRow(NamedTuple):
    """A row as the table keeps it: plain values only (int, str, date, Decimal).

    The cache stores each as a plain `tuple` (`_cached`), not as this class nor as the services'
    summary objects: CPython's garbage collector stops tracking an exact tuple of untracked values,
    so the page cache (up to 64 x 200 rows) never swells the long-lived generation a full
    collection walks; with dataclass rows, scrolling through 100k entries triggered full
    collections that paused the GUI (benchmarks/RESULTS.md, "GUI: the Ledger pane").
    """

    id: int
    date: dt.date | None
    number: str
    memo: str
    status: str  # an EntryStatus value
    source: str  # an EntrySource value
    total: Decimal
    line_count: int

    @classmethod
    def of(cls, row: EntryRowLike) -> CachedRow:
        return cls(row.id, row.date, row.number, row.memo, row.status.value, row.source.value,
                   row.total, row.line_count)


#: A cached row: the fields of `CachedRow`, in a plain tuple.
RowTuple = tuple[Any, ...]


def _cached(rows: Sequence[EntryRowLike]) -> list[RowTuple]:
    return [tuple(CachedRow.of(row)) for row in rows]


@dataclass(frozen=True)
class SortSpec:
    """Sort by `key` (a `storage.records.SortColumn` value) ascending or descending."""

    key: str = "date"
    descending: bool = True


class EntryRowSource(Protocol):
    """Where the table reads from; called only inside jobs, in the database lane."""

    def ids(self, entry_filter: Any, sort: SortSpec) -> Sequence[int]: ...

    def rows(self, ids: Sequence[int]) -> Sequence[EntryRowLike]: ...


class JobRunnerLike(Protocol):
    """The part of `jobs.JobRunner` the model uses."""

    def run(
        self, fn: Callable[[Progress], Any], *, lane: Any = ..., on_done: Any = ...,
        on_error: Any = ..., title: str = ..., owner: Any = ...,
    ) -> Any: ...


@dataclass(frozen=True)
class Column:
    header: str
    sort_key: str | None
    text: Callable[[CachedRow], str]
    align_right: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("Date", "date", lambda r: r.date.isoformat() if r.date else ""),
    Column("Number", "number", lambda r: r.number),
    Column("Memo", "memo", lambda r: r.memo),
    Column("Lines", None, lambda r: str(r.line_count), align_right=True),
    Column("Amount", "total", lambda r: format_money(r.total), align_right=True),
    Column("Status", "status", lambda r: r.status.capitalize()),
    Column("Source", "source", lambda r: r.source.upper()
           if r.source in (EntrySource.QBO, EntrySource.AI) else r.source.capitalize()),
)
_STATUS_COLOURS = {
    EntryStatus.DRAFT.value: "#7f8c8d",
    EntryStatus.APPROVED.value: "#2471a3",
    EntryStatus.POSTED.value: "#1e8449",
    EntryStatus.VOID.value: "#c0392b",
}


class EntryTableModel(QAbstractTableModel):
    """Entries matching a filter, fetched on demand. See the module docstring."""

    ids_loaded = Signal(int)
    load_failed = Signal(object)

    def __init__(
        self,
        source: EntryRowSource,
        runner: JobRunnerLike,
        *,
        page_size: int = 200,
        max_cached_pages: int = 64,
        max_waiting_pages: int = 6,
    ) -> None:
        super().__init__()
        self._source = source
        self._runner = runner
        self._page_size = page_size
        self._max_cached_pages = max_cached_pages
        # Fewer pages wait than the cache holds, so pages read after the one the user stopped on
        # never push it out of the cache.
        self._max_waiting_pages = max(1, min(max_waiting_pages, max_cached_pages - 1))
        self._filter: Any = None
        self._sort = SortSpec()
        self._ids: array[int] = array("q")
        self._row_of: dict[int, int] | None = None
        self._pages: OrderedDict[int, list[RowTuple | None]] = OrderedDict()
        self._waiting: list[int] = []  # newest last
        self._in_flight: int | None = None
        self._generation = 0  # of queries: a newer query drops older answers
        self._ids_version = 0  # of the id list: pages read for older ids are dropped
        self._loading_ids = False
        self._queried = False
        # Made once: `data()` runs for every visible cell on every paint, and fresh objects there
        # are garbage the collector has to walk while the user scrolls.
        self._brushes = {status: QBrush(QColor(colour))
                         for status, colour in _STATUS_COLOURS.items()}
        self._void_font = QFont()
        self._void_font.setStrikeOut(True)

    # --- querying ------------------------------------------------------------------------------

    @property
    def entry_filter(self) -> Any:
        return self._filter

    @property
    def sort_spec(self) -> SortSpec:
        return self._sort

    @property
    def loading(self) -> bool:
        """True while the ids of the current query are being read."""
        return self._loading_ids

    def set_filter(self, entry_filter: Any) -> None:
        self._filter = entry_filter
        self._query(reset=True)

    def set_sort(self, sort: SortSpec) -> None:
        self._sort = sort
        self._query(reset=True)

    def set_query(self, entry_filter: Any, sort: SortSpec) -> None:
        """Set the filter and the sort with one query."""
        self._filter, self._sort = entry_filter, sort
        self._query(reset=True)

    def refresh(self) -> None:
        """Re-read after a change: rows that differ emit `dataChanged`; new ids reset the model."""
        if self._queried:
            self._query(reset=False)

    def _query(self, *, reset: bool) -> None:
        self._queried = True
        self._generation += 1
        generation = self._generation
        entry_filter, sort, source, size = self._filter, self._sort, self._source, self._page_size

        def read(_progress: Progress) -> tuple[array[int], list[RowTuple]]:
            # The ids become an array here, in the worker, and a fresh query brings its first
            # page along: one trip through the db lane before the table shows real rows.
            ids = array("q", source.ids(entry_filter, sort))
            first = _cached(source.rows(ids[:size].tolist())) if reset and ids else []
            return ids, first

        self._loading_ids = True
        self._runner.run(
            read, lane="db", owner=self, title="Reading journal entries",
            on_done=lambda result: self._ids_arrived(generation, *result, reset=reset),
            on_error=lambda error: self._failed(generation, error),
        )

    def _ids_arrived(
        self, generation: int, new_ids: array[int], first: list[RowTuple], *, reset: bool,
    ) -> None:
        if generation != self._generation:
            return
        self._loading_ids = False
        if not reset and new_ids == self._ids:
            self._reread_cached_pages()
        else:
            self.beginResetModel()
            self._ids_version += 1
            self._ids = new_ids
            self._row_of = None
            self._pages.clear()
            self._waiting.clear()
            if first:
                by_id = {row[0]: row for row in first}
                self._pages[0] = [by_id.get(i) for i in new_ids[:self._page_size].tolist()]
            self.endResetModel()
        self.ids_loaded.emit(len(self._ids))

    def _failed(self, generation: int, error: BaseException) -> None:
        if generation == self._generation:
            self._loading_ids = False
            self.load_failed.emit(error)

    # --- ids and rows --------------------------------------------------------------------------

    def entry_id(self, row: int) -> int:
        return self._ids[row]

    def entry_ids(self, rows: Sequence[int]) -> list[int]:
        return [self._ids[row] for row in rows if 0 <= row < len(self._ids)]

    def all_ids(self) -> list[int]:
        return self._ids.tolist()

    def row_of(self, entry_id: int) -> int | None:
        if self._row_of is None:
            self._row_of = {value: row for row, value in enumerate(self._ids)}
        return self._row_of.get(entry_id)

    def loaded_row(self, row: int) -> CachedRow | None:
        """The row's data if its page is cached (never starts a fetch)."""
        page = self._pages.get(row // self._page_size)
        offset = row % self._page_size
        cached = None if page is None or offset >= len(page) else page[offset]
        return None if cached is None else CachedRow._make(cached)

    @property
    def cached_pages(self) -> int:
        return len(self._pages)

    def _row(self, row: int) -> RowTuple | None:
        number = row // self._page_size
        page = self._pages.get(number)
        if page is not None:
            self._pages.move_to_end(number)
            offset = row % self._page_size
            return page[offset] if offset < len(page) else None
        self._want(number)
        return None

    def _want(self, number: int) -> None:
        if number == self._in_flight:
            return
        if number in self._waiting:
            self._waiting.remove(number)
        self._waiting.append(number)
        del self._waiting[: -self._max_waiting_pages]
        self._next_fetch()

    def _next_fetch(self) -> None:
        if self._in_flight is not None or not self._waiting:
            return
        number = self._waiting.pop()
        self._in_flight = number
        start = number * self._page_size
        self._fetch_page(number, self._ids[start: start + self._page_size].tolist())

    def _fetch_page(self, number: int, page_ids: list[int], *, only_changed: bool = False) -> None:
        # Pages belong to the id list they were cut from, not to the query that is running: the
        # view keeps asking for rows of the old list until the new ids arrive.
        generation = self._ids_version

        def done(rows: list[RowTuple]) -> None:
            self._page_arrived(generation, number, page_ids, rows, only_changed=only_changed)

        self._runner.run(
            lambda _p: _cached(self._source.rows(page_ids)),
            lane="db", owner=self, title="Reading journal entries",
            on_done=done,
            on_error=lambda error: self._page_failed(generation, number, error),
        )

    def _page_failed(self, generation: int, number: int, error: BaseException) -> None:
        if self._in_flight == number:
            self._in_flight = None
        if generation == self._ids_version:
            self.load_failed.emit(error)
        self._next_fetch()

    def _page_arrived(
        self, generation: int, number: int, page_ids: list[int], rows: list[RowTuple],
        *, only_changed: bool = False,
    ) -> None:
        if self._in_flight == number:
            self._in_flight = None
        if generation == self._ids_version:
            by_id = {row[0]: row for row in rows}
            page: list[RowTuple | None] = [by_id.get(entry_id) for entry_id in page_ids]
            old = self._pages.get(number)
            self._pages[number] = page
            self._pages.move_to_end(number)
            while len(self._pages) > self._max_cached_pages:
                self._pages.popitem(last=False)
            start = number * self._page_size
            if only_changed and old is not None:
                for offset, (before, after) in enumerate(zip(old, page, strict=True)):
                    if before != after:
                        self._emit_row_changed(start + offset)
            elif page:
                self.dataChanged.emit(
                    self.index(start, 0), self.index(start + len(page) - 1, len(COLUMNS) - 1),
                )
        self._next_fetch()

    def _emit_row_changed(self, row: int) -> None:
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def _reread_cached_pages(self) -> None:
        """Same ids: re-read each cached page and signal only the rows that differ."""
        for number in list(self._pages):
            start = number * self._page_size
            self._fetch_page(number, self._ids[start: start + self._page_size].tolist(),
                             only_changed=True)

    # --- Qt model ------------------------------------------------------------------------------

    @override
    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    @override
    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    @override
    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        column = COLUMNS[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.header
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and column.sort_key is None:
            return "This column cannot be sorted"
        return None

    @override
    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    @override
    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        if role == ENTRY_ID_ROLE:
            return self._ids[index.row()]
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.TextAlignmentRole,
                        Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.FontRole, STATUS_ROLE,
                        Qt.ItemDataRole.ToolTipRole):
            return None
        column = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return (int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    if column.align_right else None)
        cached = self._row(index.row())
        if cached is None:
            return LOADING if role == Qt.ItemDataRole.DisplayRole and index.column() == 0 else None
        row = CachedRow._make(cached)
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(row)
        if role == STATUS_ROLE:
            return row.status
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.memo or None
        if role == Qt.ItemDataRole.ForegroundRole and column.sort_key == "status":
            return self._brushes[row.status]
        if role == Qt.ItemDataRole.FontRole and row.status == EntryStatus.VOID.value:
            return self._void_font
        return None

    @override
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        key = COLUMNS[column].sort_key
        if key is None:
            return
        spec = SortSpec(key, order == Qt.SortOrder.DescendingOrder)
        if not self._queried:
            self._sort = spec  # a view sorts a model as soon as it is set; the query comes later
        elif spec != self._sort:
            self.set_sort(spec)

