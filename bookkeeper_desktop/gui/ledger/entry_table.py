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
- `refresh(visible)` (on a Changes notice, e.g. after a sync) changes the table in place: one job
  in the database lane re-reads the ids (as a filter or sort change does), works out the steps from
  the old ids to the new (`id_diff.id_steps`: rows removed, moved and inserted as ranges) and
  re-reads the pages under the visible rows. The GUI thread then only replays the steps
  (`beginRemoveRows`/`beginMoveRows`/`beginInsertRows`, never `beginResetModel`), so the view's
  selection, current row and scroll position stay on their entries, and emits `dataChanged` for
  the visible rows whose summaries differ. Other cached pages are let go (they may be stale) and
  are read again when scrolled to. Only a diff of more than `id_diff.MAX_STEPS` steps (e.g. 20,000
  pulled entries spread through a sorted ledger) resets instead, which costs the GUI thread less
  than replaying thousands of steps (benchmarks/RESULTS_gui_sync2.md); `refresh_reset` is True
  while it does, and `row_of` is ready for the view to find its selection again by id.

Signals:
    ids_loaded(int): the ids for the current filter and sort arrived (their count).
    load_failed(object): reading ids or a page failed (the exception).
"""

from __future__ import annotations

import datetime as dt
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QTableView
from typing_extensions import override

from bookkeeper_desktop.core.journal import EntrySource, EntryStatus
from bookkeeper_desktop.core.money import format_money
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.gui.ledger.id_diff import Move, Remove, Step, id_steps
from bookkeeper_desktop.gui.table_model import KeptSelection, SelectionKeeper

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
    @property
    def remote_deleted(self) -> bool: ...


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
    #: Deleted or voided at QuickBooks/Xero (PRODUCT.md: "marked, not lost").
    remote_deleted: bool = False
    #: Where the entry stands with each connected provider ("QBO: sent · Xero: not sent — …"),
    #: read with its page (`services.not_sent.ledger_sync_text`); "" when the source has none.
    sync: str = ""

    @classmethod
    def of(cls, row: EntryRowLike) -> CachedRow:
        return cls(row.id, row.date, row.number, row.memo, row.status.value, row.source.value,
                   row.total, row.line_count, bool(row.remote_deleted),
                   str(getattr(row, "sync", "") or ""))


def _source_label(source: str) -> str:
    return source.upper() if source in (EntrySource.QBO, EntrySource.AI) else source.capitalize()


def _status_text(row: CachedRow) -> str:
    status = row.status.capitalize()
    return f"{status} · deleted in {_source_label(row.source)}" if row.remote_deleted else status


def _tooltip(row: CachedRow) -> str | None:
    if row.remote_deleted:
        note = (f"Deleted or voided in {_source_label(row.source)}: kept here and marked, it no "
                "longer counts there.")
        return f"{row.memo}\n{note}" if row.memo else note
    return row.memo or None


#: A cached row: the fields of `CachedRow`, then the text of each column and the tooltip, in a
#: plain tuple.
RowTuple = tuple[Any, ...]


def _cached(rows: Sequence[EntryRowLike]) -> list[RowTuple]:
    """Rows as the cache keeps them: the `CachedRow` fields, then each column's text, formatted
    here, in the worker, so that painting a cell is a tuple lookup (a repaint asks for about
    seven roles of each of some 250 cells; a sync repaints the table at least once)."""
    cached = []
    for row in rows:
        fields = CachedRow.of(row)
        cached.append((*fields, *(column.text(fields) for column in COLUMNS), _tooltip(fields)))
    return cached


@dataclass(frozen=True)
class SortSpec:
    """Sort by `key` (a `storage.records.SortColumn` value) ascending or descending."""

    key: str = "date"
    descending: bool = True


@dataclass(frozen=True)
class _Reading:
    """What a query job brings back to the GUI thread."""

    ids: array[int]
    #: From the old ids to `ids`; None: reset (a new query, or too many steps).
    steps: list[Step] | None
    #: Fresh pages by number, cut from `ids` (the pages under the visible rows).
    pages: dict[int, list[RowTuple | None]]
    #: The model's `_ids_version` the steps start from.
    ids_version: int
    #: Row of each id, built in the worker when a refresh resets (the view's place is then
    #: found again by id without a 100k-entry loop on the GUI thread).
    row_of: dict[int, int] | None = None


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
    Column("Status", "status", _status_text),
    Column("Source", "source", lambda r: _source_label(r.source)),
    Column("Sync", None, lambda r: r.sync),
)
_STATUS_COLOURS = {
    EntryStatus.DRAFT.value: "#7f8c8d",
    EntryStatus.APPROVED.value: "#2471a3",
    EntryStatus.POSTED.value: "#1e8449",
    EntryStatus.VOID.value: "#c0392b",
}


_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ENTRY_ID = int(ENTRY_ID_ROLE)
_STATUS = int(STATUS_ROLE)
_ROLES = frozenset({_DISPLAY, _ALIGNMENT, _FOREGROUND, _TOOLTIP, _ENTRY_ID, _STATUS,
                    int(Qt.ItemDataRole.FontRole)})
_ALIGNMENTS = tuple(int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    if column.align_right else None for column in COLUMNS)
#: Where things are in a cached row tuple (`_cached`).
_TEXTS = len(CachedRow._fields)
_STATUS_FIELD = CachedRow._fields.index("status")
_GONE_FIELD = CachedRow._fields.index("remote_deleted")
_TOOLTIP_FIELD = _TEXTS + len(COLUMNS)
_STATUS_COLUMN = next(n for n, column in enumerate(COLUMNS) if column.sort_key == "status")
_VOID = EntryStatus.VOID.value
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


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
        self._reset_pending = False
        self._replaying = False
        #: True while a refresh resets the model (a diff past `MAX_STEPS`), False for a new
        #: filter or sort: a view keeps its place by entry id across the first, not the second.
        self.refresh_reset = False
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

    def refresh(self, visible: range | None = None) -> None:
        """Re-read after a change, in place (see the module docstring). `visible`: the rows the
        view shows, whose pages are re-read with the ids; by default the page used last."""
        if not self._queried:
            return
        if visible is None:
            last = next(reversed(self._pages), None)
            visible = (range(0) if last is None
                       else range(last * self._page_size, (last + 1) * self._page_size))
        self._query(reset=False, visible=visible)

    def _query(self, *, reset: bool, visible: range = range(0)) -> None:
        self._queried = True
        self._generation += 1
        generation = self._generation
        # A refresh that overtakes a new query still answers that query: reset as it would have.
        reset = self._reset_pending = reset or self._reset_pending
        entry_filter, sort, source, size = self._filter, self._sort, self._source, self._page_size
        if reset:
            numbers = [0]
        else:
            visible = range(max(0, visible.start), visible.stop)
            numbers = (list(range(visible.start // size, (visible.stop - 1) // size + 1))
                       if visible else [])
        # The worker diffs against a copy: 100k ids are copied in well under a millisecond, and
        # the GUI thread may edit its own list meanwhile (a page of the old list, a replay).
        old = None if reset else array("q", self._ids)
        ids_version = self._ids_version

        def read(_progress: Progress) -> _Reading:
            # The ids become an array here, in the worker; the diff and the pages under the
            # visible rows come along: one trip through the db lane, a few ms of GUI thread.
            ids = array("q", source.ids(entry_filter, sort))
            steps = None if old is None else id_steps(old, ids)
            row_of = (dict(zip(ids, range(len(ids)), strict=True))
                      if old is not None and steps is None else None)
            wanted = [ids[n * size:(n + 1) * size].tolist() for n in numbers]
            flat = [entry_id for page_ids in wanted for entry_id in page_ids]
            by_id = {row[0]: row for row in _cached(source.rows(flat))} if flat else {}
            pages = {number: [by_id.get(entry_id) for entry_id in page_ids]
                     for number, page_ids in zip(numbers, wanted, strict=True) if page_ids}
            return _Reading(ids, steps, pages, ids_version, row_of)

        self._loading_ids = True
        self._runner.run(
            read, lane="db", owner=self, title="Reading journal entries",
            on_done=lambda reading: self._ids_arrived(generation, reading),
            on_error=lambda error: self._failed(generation, error),
        )

    def _ids_arrived(self, generation: int, reading: _Reading) -> None:
        if generation != self._generation:
            return
        self._loading_ids = False
        reset_query, self._reset_pending = self._reset_pending, False
        steps = reading.steps
        if steps is not None and reading.ids_version != self._ids_version:
            steps = None  # the list changed since the diff was made (cannot happen; be safe)
        if steps is None:
            self.refresh_reset = not reset_query
            try:
                self._reset_to(reading.ids, reading.pages, reading.row_of)
            finally:
                self.refresh_reset = False
        elif steps:
            self._replay(steps, reading)
        else:
            self._update_rows(reading.pages)
        self.ids_loaded.emit(len(self._ids))

    def _reset_to(self, ids: array[int], pages: dict[int, list[RowTuple | None]],
                  row_of: dict[int, int] | None = None) -> None:
        self.beginResetModel()
        self._ids_version += 1
        self._ids = ids
        self._row_of = row_of
        self._pages.clear()
        self._pages.update(pages)
        self._waiting.clear()
        self.endResetModel()

    def _replay(self, steps: list[Step], reading: _Reading) -> None:
        """Replay the diff's steps as row removals, moves and insertions, then put the fresh
        pages in and signal the visible rows that now show something else."""
        size = self._page_size
        shown = {number * size + offset: row
                 for number in reading.pages if (page := self._pages.get(number)) is not None
                 for offset, row in enumerate(page)}
        self._ids_version += 1  # pages of the old list still on their way are dropped
        self._row_of = None
        self._pages.clear()
        self._waiting.clear()
        ids, root = self._ids, QModelIndex()
        self._replaying = True
        try:
            for step in steps:
                if isinstance(step, Remove):
                    self.beginRemoveRows(root, step.first, step.first + step.count - 1)
                    del ids[step.first: step.first + step.count]
                    self.endRemoveRows()
                elif isinstance(step, Move):
                    # Qt's destination is the row it goes before, counted before the move.
                    before = step.to if step.to < step.row else step.to + 1
                    self.beginMoveRows(root, step.row, step.row, root, before)
                    ids.insert(step.to, ids.pop(step.row))
                    self.endMoveRows()
                else:
                    self.beginInsertRows(root, step.first, step.first + len(step.ids) - 1)
                    ids[step.first: step.first] = step.ids
                    self.endInsertRows()
        finally:
            self._replaying = False
        if ids != reading.ids:  # a wrong diff must not show wrong rows (never seen; be safe)
            self.refresh_reset = True
            try:
                self._reset_to(reading.ids, reading.pages)
            finally:
                self.refresh_reset = False
            return
        self._pages.update(reading.pages)
        self._emit_changed(row for row, value in self._fresh_rows(reading.pages)
                           if shown.get(row) != value)

    def _update_rows(self, pages: dict[int, list[RowTuple | None]]) -> None:
        """Same ids: the fresh pages replace the cache (other pages may be stale: let go) and
        only the rows that differ emit `dataChanged`."""
        old = dict(self._pages)
        self._pages.clear()
        self._pages.update(pages)
        size = self._page_size
        self._emit_changed(
            row for row, value in self._fresh_rows(pages)
            if (page := old.get(row // size)) is None or page[row % size] != value)

    def _fresh_rows(self, pages: dict[int, list[RowTuple | None]]
                    ) -> Iterator[tuple[int, RowTuple | None]]:
        size = self._page_size
        for number, page in sorted(pages.items()):
            for offset, value in enumerate(page):
                yield number * size + offset, value

    def _emit_changed(self, rows: Iterable[int]) -> None:
        """One `dataChanged` per run of consecutive rows (the view repaints just those)."""
        first = last = -2
        for row in rows:
            if row != last + 1:
                if first >= 0:
                    self._emit_rows_changed(first, last)
                first = row
            last = row
        if first >= 0:
            self._emit_rows_changed(first, last)

    def _emit_rows_changed(self, first: int, last: int) -> None:
        self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))

    def _failed(self, generation: int, error: BaseException) -> None:
        if generation == self._generation:
            self._loading_ids = False
            self._reset_pending = False
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
        return None if cached is None else CachedRow._make(cached[:_TEXTS])

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
        if not self._replaying:  # rows are moving: their page numbers mean nothing yet
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

    def _fetch_page(self, number: int, page_ids: list[int]) -> None:
        # Pages belong to the id list they were cut from, not to the query that is running: the
        # view keeps asking for rows of the old list until the new ids arrive.
        generation = self._ids_version

        def done(rows: list[RowTuple]) -> None:
            self._page_arrived(generation, number, page_ids, rows)

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
    ) -> None:
        if self._in_flight == number:
            self._in_flight = None
        start = number * self._page_size
        if generation == self._ids_version:
            by_id = {row[0]: row for row in rows}
            page: list[RowTuple | None] = [by_id.get(entry_id) for entry_id in page_ids]
            self._pages[number] = page
            self._pages.move_to_end(number)
            while len(self._pages) > self._max_cached_pages:
                self._pages.popitem(last=False)
            if page:
                self._emit_rows_changed(start, start + len(page) - 1)
        elif number not in self._pages and start < len(self._ids):
            # Cut from a list that has changed since: dropped. The view showed "Loading…" for
            # these rows and asks again only when it repaints them.
            self._emit_rows_changed(start, min(len(self._ids), start + self._page_size) - 1)
        self._next_fetch()

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
        return _FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    @override
    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Most calls are for roles the table does not use (a delegate asks for seven per cell):
        # they end at the first line.
        if role not in _ROLES:
            return None
        row = index.row()
        if not 0 <= row < len(self._ids):  # an invalid index has row -1
            return None
        if role == _ENTRY_ID:
            return self._ids[row]
        column = index.column()
        if role == _ALIGNMENT:
            return _ALIGNMENTS[column]
        cached = self._row(row)
        if cached is None:
            return LOADING if role == _DISPLAY and column == 0 else None
        if role == _DISPLAY:
            return cached[_TEXTS + column]
        if role == _STATUS:
            return cached[_STATUS_FIELD]
        if role == _TOOLTIP:
            return cached[_TOOLTIP_FIELD]
        if role == _FOREGROUND:
            return self._brushes[cached[_STATUS_FIELD]] if column == _STATUS_COLUMN else None
        # FontRole: struck out when void here or deleted at the provider
        return self._void_font if cached[_STATUS_FIELD] == _VOID or cached[_GONE_FIELD] else None

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



class PlaceKeeper(QObject):
    """Keeps a table view's selected and current entries (found again by id: `row_of`, built in
    the worker for that reset) and its scroll position across a refresh that had to reset the
    model (`EntryTableModel.refresh_reset`): the same as a refresh replayed in place leaves them
    (`SelectionKeeper`, hooked to the model's reset because the reset happens inside the model).
    A new filter or sort resets without this: it starts afresh. Make one after
    `view.setModel(model)`: the view clears its selection in its own reset handler, which must
    run first."""

    def __init__(self, view: QTableView, model: EntryTableModel) -> None:
        super().__init__(view)
        self._view = view
        self._model = model
        self._keeper = SelectionKeeper(view, model.entry_id, model.row_of, keep_scroll=True)
        self._place: KeptSelection[int] | None = None
        model.modelAboutToBeReset.connect(self._remember)
        model.modelReset.connect(self._restore)

    def _remember(self) -> None:
        fresh = not self._model.refresh_reset or self._view.model() is not self._model
        self._place = None if fresh else self._keeper.remember()

    def _restore(self) -> None:
        place, self._place = self._place, None
        if place is not None:
            self._keeper.restore(place)
