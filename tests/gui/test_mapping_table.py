"""The mapping editor's table through the widget: sorting by any column, the "Only proposals and
conflicts" filter, proposals in bold on their colour, a row changed in place, the selection
kept when the rows are refreshed, and cells that cannot be edited (issue 15 moved the cells into
Qt items, sorted and filtered in C++; these pin what the user sees)."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import QItemSelectionModel, QPoint, Qt
from PySide6.QtGui import QBrush, QFont
from pytestqt.qtbot import QtBot

from bookkeeper_desktop.gui.integrations.mapping_editor import MappingEditor
from bookkeeper_desktop.gui.integrations.models import MappingColumn, MappingTableModel, RowRole
from bookkeeper_desktop.gui.integrations.state import MappingRow, MappingState
from bookkeeper_desktop.providers.config import Provider

ROWS = [
    MappingRow(1, 10, "1000", "Checking", "Bank", "35", "1000", "Checking",
               MappingState.CONFIRMED, "same number", "qbo"),
    MappingRow(2, 11, "4000", "Sales", "Income", "79", "4010", "Sales of Product Income",
               MappingState.PROPOSED, "same name", "qbo", "names differ"),
    MappingRow(3, 12, "6100", "Wages", "Expense", "", "", "", MappingState.UNMAPPED, "", "qbo"),
    MappingRow(4, 13, "2200", "GST Payable", "Other current liability", "88", "2210",
               "GST Payable (old)", MappingState.CONFLICT, "6200 also maps here", "qbo"),
    MappingRow(5, 14, "1200", "Accounts Receivable", "Accounts receivable", "90", "1200",
               "Accounts Receivable (A/R)", MappingState.REJECTED, "same number", "qbo"),
]


@pytest.fixture
def editor(qtbot: QtBot) -> MappingEditor:
    widget = MappingEditor()
    qtbot.addWidget(widget)
    widget.resize(1100, 400)
    widget.show()
    widget.set_rows({Provider.QBO: list(ROWS)})
    return widget


def shown(editor: MappingEditor, column: MappingColumn = MappingColumn.CODE) -> list[str]:
    proxy = editor.proxy
    return [proxy.index(row, column).data() for row in range(proxy.rowCount())]


def select(editor: MappingEditor, *codes: str) -> None:
    chooser = editor.table.selectionModel()
    chooser.clearSelection()
    for code in codes:
        row = shown(editor).index(code)
        index = editor.proxy.index(row, 0)
        chooser.select(index, QItemSelectionModel.SelectionFlag.Select
                       | QItemSelectionModel.SelectionFlag.Rows)
        chooser.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.NoUpdate)


def test_rows_open_sorted_by_code(editor: MappingEditor) -> None:
    assert shown(editor) == ["1000", "1200", "2200", "4000", "6100"]


@pytest.mark.parametrize("column", list(MappingColumn))
def test_clicking_any_header_sorts_by_that_column_both_ways(
        editor: MappingEditor, qtbot: QtBot, column: MappingColumn) -> None:
    header = editor.table.horizontalHeader()
    rect = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    point = QPoint(rect, header.height() // 2)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=point)
    first = shown(editor, column)
    order = header.sortIndicatorOrder()
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=point)
    second = shown(editor, column)
    assert header.sortIndicatorSection() == column
    assert header.sortIndicatorOrder() != order
    ascending, descending = (first, second) if order == Qt.SortOrder.AscendingOrder \
        else (second, first)
    assert ascending == sorted(ascending)
    assert descending == sorted(descending, reverse=True)
    # Whole rows move together: each code still sits beside its own account.
    names = {row.account_code: row.account_name for row in ROWS}
    assert [names[code] for code in shown(editor)] == shown(editor, MappingColumn.ACCOUNT)


def test_the_filter_keeps_proposals_and_conflicts_and_gives_the_rest_back(
        editor: MappingEditor) -> None:
    editor.table.sortByColumn(MappingColumn.ACCOUNT, Qt.SortOrder.DescendingOrder)
    editor.only_proposed.setChecked(True)
    assert shown(editor, MappingColumn.ACCOUNT) == ["Sales", "GST Payable"]
    assert shown(editor, MappingColumn.STATE) == ["Proposed", "Conflict"]
    editor.only_proposed.setChecked(False)
    assert shown(editor, MappingColumn.ACCOUNT) == [
        "Wages", "Sales", "GST Payable", "Checking", "Accounts Receivable"]


def test_new_rows_are_filtered_too(editor: MappingEditor) -> None:
    editor.only_proposed.setChecked(True)
    proposed = dataclasses.replace(ROWS[2], state=MappingState.PROPOSED, remote_id="91",
                                   remote_name="Wages Expense", reason="same name")
    editor.set_rows({Provider.QBO: [ROWS[0], ROWS[1], proposed]})
    assert shown(editor) == ["4000", "6100"]


def test_proposals_and_conflicts_are_bold_on_their_colour(editor: MappingEditor) -> None:
    proxy = editor.proxy
    for row in range(proxy.rowCount()):
        state = proxy.index(row, MappingColumn.STATE).data()
        for column in MappingColumn:
            index = proxy.index(row, column)
            font = index.data(Qt.ItemDataRole.FontRole)
            background = index.data(Qt.ItemDataRole.BackgroundRole)
            if state in ("Proposed", "Conflict"):
                assert isinstance(font, QFont), (state, column)
                assert font.bold(), (state, column)
            else:
                assert font is None, (state, column)
            if state == "Confirmed":
                assert background is None
            else:
                assert isinstance(background, QBrush)
                assert background.color().alpha() > 0


def test_tooltips_give_the_whole_name_and_what_to_do(editor: MappingEditor) -> None:
    row = shown(editor).index("4000")
    proxy = editor.proxy
    assert proxy.index(row, MappingColumn.REMOTE_NAME).data(
        Qt.ItemDataRole.ToolTipRole) == "Sales of Product Income"
    tip = proxy.index(row, MappingColumn.STATE).data(Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("Proposed (same name). Check: names differ.")
    confirmed = shown(editor).index("1000")
    assert proxy.index(confirmed, MappingColumn.STATE).data(Qt.ItemDataRole.ToolTipRole) is None


def test_a_row_changed_in_place_loses_its_bold_and_colour_and_leaves_the_filter(
        editor: MappingEditor) -> None:
    editor.only_proposed.setChecked(True)
    model = editor.model
    number = model.rows().index(ROWS[1])
    confirmed = dataclasses.replace(ROWS[1], state=MappingState.CONFIRMED, warning="")
    model.replace_row(number, confirmed)
    assert shown(editor) == ["2200"]
    editor.only_proposed.setChecked(False)
    row = shown(editor).index("4000")
    index = editor.proxy.index(row, MappingColumn.STATE)
    assert index.data() == "Confirmed"
    assert index.data(Qt.ItemDataRole.FontRole) is None
    assert index.data(Qt.ItemDataRole.BackgroundRole) is None
    assert editor.proxy.index(row, MappingColumn.CHECK).data() == ""
    assert index.data(RowRole) == confirmed


def test_cells_cannot_be_edited(editor: MappingEditor) -> None:
    index = editor.proxy.index(0, MappingColumn.ACCOUNT)
    flags = index.flags()
    assert flags & Qt.ItemFlag.ItemIsSelectable
    assert flags & Qt.ItemFlag.ItemIsEnabled
    assert not flags & Qt.ItemFlag.ItemIsEditable
    assert not flags & Qt.ItemFlag.ItemIsDragEnabled


def test_the_selection_stays_on_the_same_accounts_when_the_rows_change(
        editor: MappingEditor) -> None:
    editor.table.sortByColumn(MappingColumn.STATE, Qt.SortOrder.AscendingOrder)
    select(editor, "4000", "2200")
    assert {r.account_code for r in editor.selected_rows()} == {"4000", "2200"}
    # A refresh after a sync: one proposal confirmed (it moves in the sort), a new account.
    confirmed = dataclasses.replace(ROWS[1], state=MappingState.CONFIRMED, warning="")
    new = MappingRow(6, 15, "3000", "Equity", "Equity", "", "", "", MappingState.UNMAPPED, "",
                     "qbo")
    editor.set_rows({Provider.QBO: [ROWS[0], confirmed, *ROWS[2:], new]})
    assert {r.account_code for r in editor.selected_rows()} == {"4000", "2200"}
    current = editor.current_row()
    assert current is not None
    assert current.account_code == "2200"
    assert editor.confirm_button.isEnabled(), "the buttons follow the kept selection"


def test_switching_provider_does_not_carry_the_selection(editor: MappingEditor) -> None:
    select(editor, "1000")
    xero = [dataclasses.replace(row, provider="xero") for row in ROWS]
    editor.set_rows({Provider.QBO: list(ROWS), Provider.XERO: xero})
    assert [r.account_code for r in editor.selected_rows()] == ["1000"]
    editor.provider_combo.setCurrentIndex(editor.provider_combo.findData(Provider.XERO))
    assert editor.selected_rows() == []


def test_the_model_passes_the_model_tester_across_refreshes(
        qtmodeltester,  # type: ignore[no-untyped-def]
) -> None:
    model = MappingTableModel()
    qtmodeltester.check(model)
    model.set_rows(list(ROWS))
    qtmodeltester.check(model)
    model.set_rows(ROWS[:2])
    model.replace_row(0, dataclasses.replace(ROWS[0], state=MappingState.PROPOSED))
    qtmodeltester.check(model)
    assert model.rowCount() == 2
    assert model.columnCount() == len(MappingColumn)


def test_with_the_filter_on_the_columns_fit_the_rows_shown_not_the_hidden_ones(
        editor: MappingEditor, qtbot: QtBot) -> None:
    """The filter's rows are read back from the proxy: a long code on a confirmed (hidden) row
    does not widen the column; the same rows with the filter off do."""
    long_code = dataclasses.replace(ROWS[0], account_code="1000-OPERATING-CHECKING-MAIN-BRANCH")
    rows = [long_code, *ROWS[1:]]
    only_shown = MappingEditor()  # what the filtered table shows, given as its only rows
    qtbot.addWidget(only_shown)
    only_shown.resize(1100, 400)
    only_shown.show()
    only_shown.set_rows({Provider.QBO: [r for r in rows if r.state in (
        MappingState.PROPOSED, MappingState.CONFLICT)]})

    editor.only_proposed.setChecked(True)
    editor.set_rows({Provider.QBO: rows})
    assert shown(editor) == ["2200", "4000"]
    filtered = editor.table.columnWidth(MappingColumn.CODE)
    assert filtered == only_shown.table.columnWidth(MappingColumn.CODE)

    editor.only_proposed.setChecked(False)
    editor.set_rows({Provider.QBO: list(ROWS)})  # other rows, so the columns are fitted again
    editor.set_rows({Provider.QBO: rows})
    assert editor.table.columnWidth(MappingColumn.CODE) > filtered
