"""Columns sized from font metrics (`gui.column_widths.ColumnFitter`) come out exactly as wide as
Qt's own `resizeColumnToContents` makes them, in the mapping editor, the sync log and plain
tables and trees, without the view measuring the cells through the model."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QTableView, QTreeView
from pytestqt.qtbot import QtBot

from bookkeeper_desktop.gui.column_widths import ColumnFitter
from bookkeeper_desktop.gui.integrations.mapping_editor import MappingEditor
from bookkeeper_desktop.gui.integrations.models import MappingColumn, MappingTableModel
from bookkeeper_desktop.gui.integrations.pane import SyncLogView
from bookkeeper_desktop.gui.integrations.state import MappingRow, MappingState, SyncRunRow

TEXTS = [["1000", "Checking", "Bank"],
         ["12000", "Accounts Receivable (A/R)", "Accounts receivable"],
         ["6010", "Office Supplies & Software — Very Long Name Indeed", "Expense"],
         ["", "Ünïcödé €uro ½ — ✓ check", "Other current liability"]]


def _model(bold_rows: set[int] = frozenset()) -> QStandardItemModel:  # type: ignore[assignment]
    model = QStandardItemModel(len(TEXTS), 3)
    bold = QFont()
    bold.setBold(True)
    for r, row in enumerate(TEXTS):
        for c, text in enumerate(row):
            item = QStandardItem(text)
            if r in bold_rows:
                item.setFont(bold)
            model.setItem(r, c, item)
    model.setHorizontalHeaderLabels(["No.", "Name", "Type"])
    return model


def qt_widths(view: QTableView | QTreeView, columns: Iterable[int]) -> list[int]:
    """What Qt itself sizes the columns to (then put back to a width no fit would give)."""
    widths = []
    for column in columns:
        view.resizeColumnToContents(column)
        widths.append(view.columnWidth(column))
        view.setColumnWidth(column, 7)
    return widths


@pytest.mark.parametrize("grid", [True, False])
@pytest.mark.parametrize("bold_rows", [set(), {1, 2}])
def test_a_table_is_fitted_as_qt_fits_it(qtbot: QtBot, grid: bool, bold_rows: set[int]) -> None:
    view = QTableView()
    qtbot.addWidget(view)
    view.setShowGrid(grid)
    view.setModel(_model(bold_rows))
    view.show()
    expected = qt_widths(view, range(3))
    fitter = ColumnFitter(view)
    for column in range(3):
        plain = [row[column] for r, row in enumerate(TEXTS) if r not in bold_rows]
        bold = [row[column] for r, row in enumerate(TEXTS) if r in bold_rows]
        fitter.fit(column, plain, bold=bold)
    assert [view.columnWidth(c) for c in range(3)] == expected


def test_a_tree_column_is_fitted_as_qt_fits_it_plus_the_slack(qtbot: QtBot) -> None:
    view = QTreeView()
    qtbot.addWidget(view)
    view.setModel(_model())
    view.header().setStretchLastSection(False)  # as the chart of accounts has it
    view.show()
    expected = qt_widths(view, range(1, 3))  # the first column has the indentation besides
    fitter = ColumnFitter(view, slack=4)
    for column in (1, 2):
        fitter.fit(column, [row[column] for row in TEXTS])
    assert [view.columnWidth(c) for c in (1, 2)] == [width + 4 for width in expected]


def test_the_header_is_the_least_width(qtbot: QtBot) -> None:
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(_model())
    header = view.horizontalHeader()
    fitter = ColumnFitter(view)
    fitter.fit(0, ["1"])
    assert view.columnWidth(0) == header.sectionSizeHint(0)
    fitter.fit(0, [])
    assert view.columnWidth(0) == header.sectionSizeHint(0)


def test_a_new_font_is_measured_afresh(qtbot: QtBot) -> None:
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(_model())
    fitter = ColumnFitter(view)
    fitter.fit(1, [TEXTS[2][1]])
    small = view.columnWidth(1)
    font = view.font()
    font.setPointSize(font.pointSize() * 2)
    view.setFont(font)
    fitter.fit(1, [TEXTS[2][1]])
    assert view.columnWidth(1) > small * 3 // 2
    assert view.columnWidth(1) == qt_widths(view, range(1, 2))[0]


LONG = "a much wider text than every other one in the column"


def _long_at(row: int, rows: int = 60) -> list[str]:
    return [LONG if n == row else f"row {n}" for n in range(rows)]


def _shown_table(qtbot: QtBot, texts: list[str], precision: int) -> QTableView:
    """A table of one column shown at its top, a few rows on screen: Qt reads those, then the
    rows below them, up to `precision` in all."""
    model = QStandardItemModel(len(texts), 1)
    for row, text in enumerate(texts):
        model.setItem(row, 0, QStandardItem(text))
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.horizontalHeader().setResizeContentsPrecision(precision)
    view.resize(400, 120)
    view.show()
    qtbot.waitExposed(view)
    return view


@pytest.mark.parametrize(("long_row", "precision"), [(7, 8), (8, 8), (40, -1), (59, 0)])
def test_the_rows_measured_are_those_qt_reads_at_the_top_of_the_table(
        qtbot: QtBot, long_row: int, precision: int) -> None:
    """Qt's own `resizeColumnToContents` is the expectation: a long text within the first
    `resizeContentsPrecision()` rows widens the column, one past them does not (all rows when
    it is negative); at 0 Qt reads only the rows on screen, and the fitter every text."""
    texts = _long_at(long_row)
    view = _shown_table(qtbot, texts, precision)
    assert view.rowAt(view.viewport().height() - 1) < long_row, "the long text is off screen"
    expected = qt_widths(view, [0])[0]
    ColumnFitter(view).fit(0, texts)
    if precision == 0:
        assert view.columnWidth(0) > expected, "a long text below the screen still counts"
        return
    assert view.columnWidth(0) == expected
    narrow = qt_widths(_shown_table(qtbot, _long_at(-1), precision), [0])[0]
    widened = long_row < precision or precision < 0
    assert (expected > narrow) == widened, "the long text is (not) among the rows Qt reads"


# -- the panes' tables ----------------------------------------------------------------------------

MAPPINGS = [
    MappingRow(1, 10, "1000", "Checking", "Bank", "35", "1000", "Checking", MappingState.CONFIRMED,
               "same number", "qbo"),
    MappingRow(2, 11, "4000", "Sales", "Income", "79", "", "Sales of Product Income — Services",
               MappingState.PROPOSED, "same name", "qbo",
               "parent account differs: Income:Sales here, Services:Sales of Product Income at "
               "QuickBooks Online"),
    MappingRow(3, 12, "6100", "Wages and salaries paid to the staff of the shop", "Expense", "",
               "", "", MappingState.UNMAPPED, "", "qbo"),
    MappingRow(4, 13, "2200", "GST/HST Payable", "Other current liability", "88", "2210",
               "GST/HST Payable (old)", MappingState.CONFLICT,
               "6200 Phone also maps to this account at the provider", "qbo"),
]


def _fit_as_qt_did(editor: MappingEditor) -> None:
    """The editor's fitting before: Qt measured every cell, then the caps."""
    editor.table.resizeColumnsToContents()
    header = editor.table.horizontalHeader()
    for column, most in editor.CAPPED.items():
        header.resizeSection(column, min(header.sectionSize(column), most))


class _NoFitter:
    """Stands in for a view's `ColumnFitter` where the test lets Qt measure instead."""

    def fit(self, column: int, texts: Iterable[str], *, bold: Iterable[str] = ()) -> None:
        pass


def _widths(view: QTableView) -> list[int]:
    return [view.columnWidth(c) for c in range(view.model().columnCount())]


def _counting_data(monkeypatch: pytest.MonkeyPatch, model_class: type[Any]) -> list[int]:
    """Record the role of every `data()` call the views make on models of `model_class`."""
    roles: list[int] = []
    answer: Callable[..., Any] = model_class.data

    def data(self: Any, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        roles.append(role)
        return answer(self, index, role)

    monkeypatch.setattr(model_class, "data", data)
    return roles


@pytest.mark.parametrize("only_proposed", [False, True])
def test_the_mapping_editor_fits_its_columns_as_before(qtbot: QtBot, only_proposed: bool,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Beside an editor fitting as before, with the same rows: the same width for every column
    (the last one stretched to what is left, its long text elided rather than scrolled to),
    and no cell measured through the model."""
    roles = _counting_data(monkeypatch, MappingTableModel)
    ours, before = MappingEditor(), MappingEditor()
    for editor in (ours, before):
        qtbot.addWidget(editor)
        editor.resize(1100, 500)
        editor.show()
        editor.only_proposed.setChecked(only_proposed)
    monkeypatch.setattr(before, "_fit_columns", lambda: _fit_as_qt_did(before))
    for rows in (MAPPINGS, [*MAPPINGS[:2], dataclasses.replace(MAPPINGS[2], account_name="Rent")],
                 MAPPINGS[:1]):
        before.set_rows({before.provider: rows})
        roles.clear()
        ours.set_rows({ours.provider: rows})
        # Sorting and filtering read the rows; nothing measured a cell through the model.
        measuring = {r for r in roles if r in (Qt.ItemDataRole.DisplayRole,
                                               Qt.ItemDataRole.FontRole,
                                               Qt.ItemDataRole.SizeHintRole)}
        assert measuring == set()
        assert _widths(ours.table) == _widths(before.table)
    before.set_rows({before.provider: MAPPINGS})
    roles.clear()
    before.table.resizeColumnToContents(MappingColumn.ACCOUNT)
    assert Qt.ItemDataRole.DisplayRole in roles, "the count sees Qt's own measuring"


def test_mapping_texts_come_in_plain_and_bold(qapp: object) -> None:
    model = MappingTableModel()
    model.set_rows(MAPPINGS)
    plain, bold = model.column_texts(MappingColumn.STATE, range(4))
    assert plain == ["Confirmed", "Not mapped"]
    assert bold == ["Proposed", "Conflict"], "proposals and conflicts are shown in bold"
    assert model.column_texts(MappingColumn.ACCOUNT, [0]) == (["Checking"], [])


def test_the_sync_log_fits_its_columns_as_before(qtbot: QtBot) -> None:
    now = dt.datetime(2026, 12, 3, 9, 30, tzinfo=dt.UTC)
    runs = [SyncRunRow(1, "qbo", "both", "succeeded", now, now + dt.timedelta(seconds=4), 3036,
                       0, 0, 0, "Pulled 3,036 new transactions from QuickBooks Online. " * 6),
            SyncRunRow(2, "xero", "push", "failed", now, now + dt.timedelta(seconds=1.5), 0,
                       12_345, 2, 3, "2 entries refused: account 6100 is not mapped")]
    ours, before = SyncLogView(), SyncLogView()
    for log in (ours, before):
        qtbot.addWidget(log)
        log.resize(1100, 400)
        log.show()
    before.fitter = _NoFitter()  # type: ignore[assignment]
    for rows in (runs, runs[1:]):
        before.set_rows(list(rows))
        before.table.resizeColumnsToContents()  # what the sync log did before
        ours.set_rows(list(rows))
        assert _widths(ours.table) == _widths(before.table)
