"""`SelectionKeeper` keeps a real QTableView's selected and current rows on the same items (by
key) across new rows, through a sorting proxy as the mapping editor and the sync log have; and
the sync log, which had its own copy, still keeps its selected run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest
from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtWidgets import QAbstractItemView, QTableView
from pytestqt.qtbot import QtBot
from typing_extensions import override

from bookkeeper_desktop.gui.integrations.pane import SyncLogView
from bookkeeper_desktop.gui.integrations.state import SyncRunRow
from bookkeeper_desktop.gui.table_model import ModelIndex, RowsTableModel, SelectionKeeper

Item = tuple[int, str]  # (id, name)


class _Items(RowsTableModel[Item]):
    @override
    def headers(self) -> Sequence[str]:
        return ["Id", "Name"]

    @override
    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        item = self.row_for(index)
        if item is None or role != Qt.ItemDataRole.DisplayRole:
            return None
        return str(item[index.column()])


class _Table:
    """A table of items sorted by name through a proxy (so rows move when names change)."""

    def __init__(self, qtbot: QtBot, items: list[Item], **options: bool) -> None:
        self.model = _Items()
        self.proxy = QSortFilterProxyModel()
        self.proxy.setSourceModel(self.model)
        self.view = QTableView()
        qtbot.addWidget(self.view)
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(1, Qt.SortOrder.AscendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.keeper = SelectionKeeper(self.view, self.id_at, **options)
        self.model.set_rows(items)

    def id_at(self, row: int) -> int:
        return int(self.proxy.index(row, 0).data())

    def row_of_id(self, item_id: int) -> int:
        return next(r for r in range(self.proxy.rowCount()) if self.id_at(r) == item_id)

    def select_ids(self, *ids: int, current: int | None = None) -> None:
        self.view.clearSelection()
        for item_id in ids:
            self.view.selectionModel().select(
                self.proxy.index(self.row_of_id(item_id), 0),
                self.view.selectionModel().SelectionFlag.Select
                | self.view.selectionModel().SelectionFlag.Rows)
        if current is not None:
            self.view.selectionModel().setCurrentIndex(
                self.proxy.index(self.row_of_id(current), 0),
                self.view.selectionModel().SelectionFlag.NoUpdate)

    def refresh(self, items: list[Item]) -> None:
        with self.keeper.kept():
            self.model.set_rows(items)

    def selected_ids(self) -> list[int]:
        return sorted(self.id_at(i.row()) for i in self.view.selectionModel().selectedRows())

    def current_id(self) -> int | None:
        current = self.view.currentIndex()
        return self.id_at(current.row()) if current.isValid() else None


ITEMS = [(1, "Bank"), (2, "Cash"), (3, "Rent"), (4, "Sales")]


def test_the_selected_and_current_items_stay_selected_where_the_sort_moved_them(
        qtbot: QtBot) -> None:
    table = _Table(qtbot, ITEMS)
    table.select_ids(2, 4, current=4)
    assert [table.row_of_id(2), table.row_of_id(4)] == [1, 3]

    # A new item sorts first and "Cash" is renamed to sort last: both selected rows moved.
    table.refresh([(5, "Accruals"), (1, "Bank"), (2, "Wages"), (3, "Rent"), (4, "Sales")])

    assert table.selected_ids() == [2, 4]
    assert [table.row_of_id(2), table.row_of_id(4)] == [4, 3]
    assert len(table.view.selectionModel().selectedRows()) == 2
    assert table.current_id() == 4
    # Whole rows, every column, as a click selects them.
    assert table.view.selectionModel().isRowSelected(table.row_of_id(2))


def test_an_item_that_vanished_is_simply_not_selected_again(qtbot: QtBot) -> None:
    table = _Table(qtbot, ITEMS)
    table.select_ids(2, 3, current=3)

    table.refresh([(1, "Bank"), (2, "Cash"), (4, "Sales"), (6, "Stock")])

    assert table.selected_ids() == [2]
    # The current item is gone: the keyboard goes on from the selected one, not from nowhere.
    assert table.current_id() == 2


def test_nothing_selected_stays_nothing_selected(qtbot: QtBot) -> None:
    table = _Table(qtbot, ITEMS)
    assert table.selected_ids() == []

    table.refresh([(5, "Accruals"), *ITEMS])

    assert table.selected_ids() == []
    assert table.current_id() is None


def test_with_select_first_the_first_row_is_chosen_when_nothing_is_left(qtbot: QtBot) -> None:
    table = _Table(qtbot, ITEMS, select_first=True)
    table.select_ids(3, current=3)

    table.refresh([(1, "Bank"), (2, "Cash")])
    assert table.selected_ids() == [1]
    assert table.current_id() == 1

    table.refresh([])  # no rows: nothing to choose, and no error
    assert table.selected_ids() == []


def test_with_keep_scroll_the_table_stays_where_the_user_scrolled(qtbot: QtBot) -> None:
    items = [(n, f"Account {n:04}") for n in range(500)]
    table = _Table(qtbot, items, keep_scroll=True)
    table.view.resize(300, 200)
    table.view.show()
    qtbot.waitExposed(table.view)
    table.select_ids(250, current=250)
    table.view.scrollTo(table.proxy.index(table.row_of_id(250), 0))
    bar = table.view.verticalScrollBar()
    bar.setValue(bar.value() + 40)  # the user scrolled on past the selected row
    where = bar.value()
    assert where > 0

    table.refresh([(n, f"Account {n:04}") for n in range(500) if n != 10])

    assert table.selected_ids() == [250]
    assert bar.value() == where


def _run(run_id: int) -> SyncRunRow:
    started = dt.datetime(2026, 12, 1, 9, run_id)
    return SyncRunRow(run_id=run_id, provider="qbo", direction="both", status="succeeded",
                      started_at=started, finished_at=started + dt.timedelta(seconds=2),
                      pulled=run_id, pushed=0, conflicts=0, errors=0, message="")


@pytest.fixture
def sync_log(qtbot: QtBot) -> SyncLogView:
    view = SyncLogView()
    qtbot.addWidget(view)
    return view


def test_the_sync_log_keeps_the_selected_run_when_a_new_run_comes_on_top(
        sync_log: SyncLogView) -> None:
    sync_log.set_rows([_run(1), _run(2), _run(3)])
    sync_log.table.selectRow(1)  # newest first: run 2
    selected = sync_log.selected_run()
    assert selected is not None
    assert selected.run_id == 2

    sync_log.set_rows([_run(1), _run(2), _run(3), _run(4)])

    selected = sync_log.selected_run()
    assert selected is not None
    assert selected.run_id == 2
    assert sync_log.table.currentIndex().row() == 2

    sync_log.set_rows([_run(1), _run(3), _run(4)])  # run 2 gone: nothing chosen for the user
    assert sync_log.selected_run() is None
