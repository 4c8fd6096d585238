"""Statements through the real Ledger pane, real job runner and real SQLite sample books: a
statement dropped on the pane is previewed (its account chosen once), imported, and reviewed
with the keyboard (F2 picker, Ctrl+R rule, Ctrl+Shift+A accept above, Delete skip, Enter
accept)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from bookkeeper_desktop.core.journal import EntryStatus
from bookkeeper_desktop.gui.context import AppContext
from bookkeeper_desktop.gui.ledger import LedgerPane
from bookkeeper_desktop.gui.ledger.statement_import import StatementImportDialog
from bookkeeper_desktop.gui.ledger.statement_review import StatementReviewDialog
from bookkeeper_desktop.services import accounts as account_services
from bookkeeper_desktop.services import entries as entry_services
from bookkeeper_desktop.services import statement_review as review
from bookkeeper_desktop.storage.engine import Database
from tests.gui.test_ledger_pane import drag_events, loaded_pane

pytest_plugins = ["tests.gui.test_ledger_support"]
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

DATA = Path(__file__).resolve().parents[1] / "formats" / "statements" / "data"


def _account_id(db: Database, company_id: int, code: str) -> int:
    account = account_services.find_account(db, company_id, code)
    assert account is not None
    assert account.id is not None
    return account.id


def drop_statement(qtbot: QtBot, pane: LedgerPane, path: Path) -> StatementImportDialog:
    enter, drop = drag_events([QUrl.fromLocalFile(str(path))], pane)
    QApplication.sendEvent(pane, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(pane, drop)
    dialog = pane.statement_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: bool(dialog.previews), timeout=10000)
    return dialog


def imported_review(qtbot: QtBot, ctx: AppContext, db: Database, company_id: int
                    ) -> tuple[LedgerPane, StatementReviewDialog]:
    pane = loaded_pane(qtbot, ctx)
    dialog = drop_statement(qtbot, pane, DATA / "ours-checking-ofx102.ofx")
    assert not dialog.import_button.isEnabled()  # the statement's account is not linked yet
    assert "Choose the account" in dialog.summary_label.text()
    assert "line 85" in dialog.summary_label.text()  # the refused line, by its file line
    checking = dialog.account_combo.findData(_account_id(db, company_id, "1000"))
    with qtbot.waitSignal(dialog.previewed, timeout=10000):
        dialog.account_combo.setCurrentIndex(checking)
        dialog.account_combo.activated.emit(checking)
    assert dialog.import_button.isEnabled()
    assert dialog.model.rowCount() == 6
    dialog.import_button.click()
    qtbot.waitUntil(lambda: pane.review_dialog is not None, timeout=10000)
    reviewer = pane.review_dialog
    assert reviewer is not None
    qtbot.waitUntil(lambda: reviewer.model.rowCount() == 6, timeout=10000)
    reviewer.activateWindow()
    reviewer.table.setFocus()
    return pane, reviewer


def _select(reviewer: StatementReviewDialog, text: str) -> review.ReviewLine:
    for row in range(reviewer.model.rowCount()):
        line = reviewer.model.row_at(row)
        if text in line.text:
            reviewer.table.setCurrentIndex(reviewer.model.index(row, 0))
            return line
    raise AssertionError(f"no line with {text!r}")


def test_drop_choose_account_import_then_review_with_the_keyboard(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int,
) -> None:
    _pane, reviewer = imported_review(qtbot, ctx, db, company_id)
    phone = _account_id(db, company_id, "6081")
    vehicle = _account_id(db, company_id, "6100")

    # Ctrl+R: a rule from the COMCAST line, in one step.
    _select(reviewer, "COMCAST")
    qtbot.keyClick(reviewer.table, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    rule_dialog = reviewer.rule_dialog
    assert rule_dialog is not None
    assert rule_dialog.contains_edit.text() == "COMCAST BUSINESS"
    rule_dialog.account_picker.select_account(phone)
    with qtbot.waitSignal(reviewer.acted, timeout=10000) as acted:
        qtbot.keyClick(rule_dialog.contains_edit, Qt.Key.Key_Return)
    assert "1 waiting line(s) follow it" in acted.args[0]
    qtbot.waitUntil(lambda: _select(reviewer, "COMCAST").confidence == 100, timeout=10000)

    # Ctrl+Shift+A: accept everything at or above 90%.
    with qtbot.waitSignal(reviewer.acted, timeout=10000) as acted:
        qtbot.keyClick(reviewer.table, Qt.Key.Key_A,
                       Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert acted.args[0] == "1 line(s) accepted."
    qtbot.waitUntil(lambda: reviewer.model.rowCount() == 5, timeout=10000)

    # F2: the picker; type the account and press Enter to accept with it.
    shell = _select(reviewer, "SHELL")
    qtbot.keyClick(reviewer.table, Qt.Key.Key_F2)
    picker = reviewer.picker
    assert picker is not None
    picker.account_picker.setEditText("6100 · Vehicle Expenses")
    picker.contact_edit.setText("Shell")
    with qtbot.waitSignal(reviewer.acted, timeout=10000) as acted:
        qtbot.keyClick(picker.contact_edit, Qt.Key.Key_Return)
    assert acted.args[0] == "1 line(s) accepted."
    entry = entry_services.get_entry(db, company_id, shell.entry_id or 0)
    assert entry.status is EntryStatus.APPROVED
    assert vehicle in {line.account_id for line in entry.lines}

    # Delete skips the service fee; Enter on an uncategorised line says what to do.
    qtbot.waitUntil(lambda: reviewer.model.rowCount() == 4, timeout=10000)
    _select(reviewer, "SERVICE FEE")
    with qtbot.waitSignal(reviewer.acted, timeout=10000) as acted:
        qtbot.keyClick(reviewer.table, Qt.Key.Key_Delete)
    assert acted.args[0] == "1 line(s) skipped."
    qtbot.waitUntil(lambda: reviewer.model.rowCount() == 3, timeout=10000)
    _select(reviewer, "NORTHWIND")
    assert "Nothing like this line" in reviewer.reason_label.text()
    with qtbot.waitSignal(reviewer.acted, timeout=10000) as acted:
        qtbot.keyClick(reviewer.table, Qt.Key.Key_Return)
    assert "Choose its account first" in acted.args[0]
    assert reviewer.model.rowCount() == 3


def test_a_second_drop_of_the_same_statement_adds_nothing(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int,
) -> None:
    pane, reviewer = imported_review(qtbot, ctx, db, company_id)
    reviewer.close()
    again = drop_statement(qtbot, pane, DATA / "ours-checking-ofx102.ofx")
    assert again.account_combo.currentData() == _account_id(db, company_id, "1000")
    assert "0 new" in again.summary_label.text()
    assert "6 imported before" in again.summary_label.text()
    assert again.import_button.isEnabled()


def test_a_chart_file_still_goes_to_the_chart_import(
    qtbot: QtBot, ctx: AppContext, tmp_path: Path,
) -> None:
    from tests.gui.test_ledger_pane import chart_file, drop_file_on

    pane = loaded_pane(qtbot, ctx)
    dialog = drop_file_on(qtbot, pane, pane, chart_file(tmp_path))
    assert pane.statement_dialog is None
    dialog.close_button.click()  # type: ignore[attr-defined]


def test_a_bank_csvs_columns_are_confirmed_once_and_remembered(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int,
) -> None:
    pane = loaded_pane(qtbot, ctx)
    dialog = drop_statement(qtbot, pane, DATA / "ours-chase-checking.csv")
    assert dialog.columns_button.isVisible()
    assert "description = \"Description\"" in dialog.summary_label.text()
    dialog.columns_button.click()
    columns = dialog.mapping_dialog
    assert columns is not None
    assert columns.combos["date"].currentText() == "Posting Date"
    assert columns.date_format_combo.currentText() == "MM/DD/YYYY"
    details = columns.combos["description2"].findText("Details")
    columns.combos["description2"].setCurrentIndex(details)
    savings = dialog.account_combo.findData(_account_id(db, company_id, "1010"))
    dialog.account_combo.setCurrentIndex(savings)
    with qtbot.waitSignal(dialog.previewed, timeout=10000):
        columns.accept()
    texts = [dialog.model.row_at(r).line.text for r in range(dialog.model.rowCount())]
    assert "COMCAST BUSINESS 8773 DEBIT" in texts
    dialog.import_button.click()
    qtbot.waitUntil(lambda: pane.review_dialog is not None, timeout=10000)
    assert pane.review_dialog is not None
    pane.review_dialog.close()

    again = drop_statement(qtbot, pane, DATA / "ours-chase-checking.csv")
    assert again.account_combo.currentData() == _account_id(db, company_id, "1010")
    assert "description = \"Description\" + \"Details\"" in again.summary_label.text()
    assert "4 imported before" in again.summary_label.text()


def test_split_with_ctrl_l_then_enter_accepts_it(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int,
) -> None:
    _pane, reviewer = imported_review(qtbot, ctx, db, company_id)
    comcast = _select(reviewer, "COMCAST")
    qtbot.keyClick(reviewer.table, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    split = reviewer.split_dialog
    assert split is not None
    assert split.rows[0][1].text() == "-129.99"
    (first, first_amount), (second, second_amount) = split.rows
    first.select_account(_account_id(db, company_id, "6081"))
    first_amount.setText("-100.00")
    second.select_account(_account_id(db, company_id, "6040"))
    second_amount.setText("-29.99")
    with qtbot.waitSignal(reviewer.acted, timeout=10000) as acted:
        qtbot.keyClick(second_amount, Qt.Key.Key_Return)
    assert "into 2 parts" in acted.args[0]
    qtbot.waitUntil(lambda: _select(reviewer, "COMCAST").source == "user", timeout=10000)
    reviewer.table.setFocus()
    with qtbot.waitSignal(reviewer.acted, timeout=10000) as acted:
        qtbot.keyClick(reviewer.table, Qt.Key.Key_Return)
    assert acted.args[0] == "1 line(s) accepted."
    entry = entry_services.get_entry(db, company_id, comcast.entry_id or 0)
    assert entry.status is EntryStatus.APPROVED
    assert len(entry.lines) == 3
