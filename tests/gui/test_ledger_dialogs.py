"""The import preview dialog, the trial balance dialog and the entry filter bar."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from PySide6.QtCore import QDate, Qt
from pytestqt.qtbot import QtBot

from bookkeeper_desktop.core.accounts import Account, AccountType
from bookkeeper_desktop.core.journal import EntrySource, EntryStatus
from bookkeeper_desktop.core.progress import ProgressSnapshot
from bookkeeper_desktop.gui.ledger.filters import SEARCH_DELAY_MS, EntryFilterBar, is_empty
from bookkeeper_desktop.gui.ledger.import_dialog import (
    ImportPreviewDialog,
    PreviewItem,
    PreviewKind,
    PreviewSummary,
)
from bookkeeper_desktop.gui.ledger.trial_balance import TrialBalanceDialog, TrialBalanceModel
from bookkeeper_desktop.jobs import JobRunner
from bookkeeper_desktop.storage.records import EntryFilter, TrialBalance, TrialBalanceRow

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def runner() -> Iterator[JobRunner]:
    jobs = JobRunner()
    yield jobs
    assert jobs.shutdown()


def summary(*items: PreviewItem) -> PreviewSummary:
    return PreviewSummary("chart.iif", "QuickBooks Desktop IIF", items)


ADD = PreviewItem(PreviewKind.ADD, 3, "Expenses:Meals", "new Expense account", "Expense", "6110")
UPDATE = PreviewItem(PreviewKind.UPDATE, 4, "Assets:Checking", "code 1000 → 1010", "Bank", "1010")
SKIP = PreviewItem(PreviewKind.SKIP, 5, "Sales", "already the same")
ERROR = PreviewItem(PreviewKind.ERROR, 7, "Mystery", "unknown account type 'WIDGET'")


# --- import preview ----------------------------------------------------------------------------

def test_preview_lists_each_kind_with_line_numbers_and_applies(qtbot: QtBot) -> None:
    dialog = ImportPreviewDialog(summary(ADD, UPDATE, SKIP))
    qtbot.addWidget(dialog)
    assert dialog.summary_label.text() == "1 account to add, 1 to update, 1 skipped"
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())] == [
        "To add (1)", "To update (1)", "Skipped (1)", "Errors (0)"]
    update_model = dialog.models[PreviewKind.UPDATE]
    assert update_model.headerData(4, Qt.Orientation.Horizontal) == "What changes"
    assert [update_model.index(0, c).data() for c in range(5)] == [
        "4", "Assets:Checking", "1010", "Bank", "code 1000 → 1010"]
    assert dialog.models[PreviewKind.SKIP].index(0, 4).data() == "already the same"
    assert dialog.apply_button.isEnabled()
    with qtbot.waitSignal(dialog.apply_requested):
        dialog.apply_button.click()
    assert dialog.running
    assert not dialog.apply_button.isEnabled()
    dialog.show_progress(ProgressSnapshot("Adding accounts", 1, 2))
    assert dialog.progress_bar.value() == 1
    dialog.finish()
    assert dialog.result() == dialog.DialogCode.Accepted


def test_a_long_list_of_notes_scrolls_and_enter_does_not_apply(qtbot: QtBot) -> None:
    notes = tuple(f"line {n}: 'Admin: Postage {n}' is read as 'Admin - Postage {n}'"
                  for n in range(300))
    dialog = ImportPreviewDialog(PreviewSummary("chart.csv", "QuickBooks Online CSV",
                                                (ADD,), notes))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    # It used to grow to 1784 px: the tabs, the table and Apply stay within a small screen.
    assert dialog.sizeHint().height() < 700
    assert dialog.height() < 700
    assert dialog.notes_area.height() <= dialog.NOTES_MAX_HEIGHT
    assert dialog.tabs.isVisible()
    assert dialog.apply_button.isVisible()
    with qtbot.assertNotEmitted(dialog.apply_requested):
        qtbot.keyClick(dialog, Qt.Key.Key_Return)
        qtbot.keyClick(dialog.tabs.currentWidget(), Qt.Key.Key_Enter)
    assert not dialog.running


def test_after_the_import_the_sentence_says_what_was_done() -> None:
    assert summary(ADD, ADD, UPDATE, SKIP).done_sentence() == \
        "2 accounts added, 1 updated, 1 skipped"


def test_errors_block_apply_and_are_shown_first(qtbot: QtBot) -> None:
    dialog = ImportPreviewDialog(summary(ADD, ERROR))
    qtbot.addWidget(dialog)
    assert dialog.summary_label.text() == "1 account to add, 0 to update, 0 skipped, 1 error"
    assert dialog.tabs.tabText(dialog.tabs.currentIndex()) == "Errors (1)"
    errors = dialog.models[PreviewKind.ERROR]
    assert errors.index(0, 0).data() == "7"
    assert errors.index(0, 4).data() == "unknown account type 'WIDGET'"
    assert not dialog.apply_button.isEnabled()
    assert "fix the lines listed under Errors" in dialog.reason_label.text()
    with qtbot.assertNotEmitted(dialog.apply_requested):
        dialog.apply_button.click()


def test_nothing_to_do_blocks_apply(qtbot: QtBot) -> None:
    dialog = ImportPreviewDialog(summary(SKIP))
    qtbot.addWidget(dialog)
    assert not dialog.apply_button.isEnabled()
    assert "already matches" in dialog.reason_label.text()


def test_cancel_before_apply_closes_and_during_apply_asks_to_cancel(qtbot: QtBot) -> None:
    dialog = ImportPreviewDialog(summary(ADD))
    qtbot.addWidget(dialog)
    dialog.apply_button.click()
    with qtbot.waitSignal(dialog.cancel_requested):
        dialog.close_button.click()
    assert dialog.isVisible() is False
    assert dialog.result() != dialog.DialogCode.Accepted
    dialog.fail("Cancelled; nothing was imported.")
    assert not dialog.running
    assert dialog.apply_button.isEnabled()
    assert dialog.reason_label.text() == "Cancelled; nothing was imported."
    dialog.show()
    dialog.close_button.click()
    assert dialog.result() == dialog.DialogCode.Rejected


def test_preview_models_pass_the_model_tester(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    dialog = ImportPreviewDialog(summary(ADD, UPDATE, SKIP, ERROR))
    for model in dialog.models.values():
        qtmodeltester.check(model)
    dialog.deleteLater()


# --- trial balance -----------------------------------------------------------------------------

ZERO = Decimal("0.00")
TB_ROWS = (
    TrialBalanceRow(2, "4000", "Income:Sales", "income", ZERO, Decimal("2000.00")),
    TrialBalanceRow(1, "1000", "Assets:Checking", "bank", Decimal("1500.00"), ZERO),
    TrialBalanceRow(3, "6000", "Expenses:Rent", "expense", Decimal("500.00"), ZERO),
    TrialBalanceRow(4, "6900", "Expenses:Unused", "expense", ZERO, ZERO),
)
TB = TrialBalance(TB_ROWS, None, frozenset({EntryStatus.POSTED}))


def test_trial_balance_reads_in_a_job_and_totals_agree(qtbot: QtBot, runner: JobRunner) -> None:
    asked: list[tuple[dt.date | None, bool]] = []

    def load(as_of: dt.date | None, approved: bool) -> TrialBalance:
        asked.append((as_of, approved))
        return TB

    dialog = TrialBalanceDialog(runner, load)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 4, timeout=5000)
    model = dialog.model
    assert [model.index(r, 1).data() for r in range(4)] == [
        "Assets:Checking", "Income:Sales", "Expenses:Rent", "Total"]
    assert model.index(1, 4).data() == "2,000.00"
    assert model.index(1, 3).data() == ""
    assert model.index(1, 2).data() == "Income"
    assert (model.index(3, 3).data(), model.index(3, 4).data()) == ("2,000.00", "2,000.00")
    assert dialog.status_label.text() == "Debits equal credits: 2,000.00."
    assert asked == [(None, False)]
    with qtbot.waitSignal(dialog.loaded, timeout=5000):
        dialog.as_of_edit.setDate(QDate(2026, 6, 30))
        dialog.as_of_check.setChecked(True)
    assert asked[-1] == (dt.date(2026, 6, 30), False)
    with qtbot.waitSignal(dialog.loaded, timeout=5000):
        dialog.approved_check.setChecked(True)
    assert asked[-1] == (dt.date(2026, 6, 30), True)


def test_trial_balance_that_does_not_agree_says_so(qtbot: QtBot, runner: JobRunner) -> None:
    dialog = TrialBalanceDialog(runner, lambda _d, _a: TrialBalance(TB_ROWS[:2], None, frozenset()))
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 3, timeout=5000)
    assert "differ by 500.00" in dialog.status_label.text()


def test_trial_balance_errors_go_to_the_error_handler(qtbot: QtBot, runner: JobRunner) -> None:
    errors: list[BaseException] = []

    def load(_as_of: dt.date | None, _approved: bool) -> TrialBalance:
        raise RuntimeError("no books")

    dialog = TrialBalanceDialog(runner, load, on_error=errors.append)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert dialog.status_label.text() == "The trial balance could not be read."


def test_trial_balance_model_passes_the_model_tester(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    model = TrialBalanceModel()
    qtmodeltester.check(model)
    model.set_lines(TB.rows)
    qtmodeltester.check(model)


# --- filter bar --------------------------------------------------------------------------------

ACCOUNTS = [Account("Assets:Checking", AccountType.BANK, code="1000", id=1),
            Account("Income:Sales", AccountType.INCOME, code="4000", id=2)]


def test_each_filter_control_changes_the_filter(qtbot: QtBot) -> None:
    bar = EntryFilterBar(today=dt.date(2026, 5, 20))
    qtbot.addWidget(bar)
    bar.set_accounts(ACCOUNTS)
    assert is_empty(bar.current_filter())
    with qtbot.waitSignal(bar.filter_changed) as changed:
        bar.status_combo.setCurrentIndex(bar.status_combo.findData("posted"))
    assert changed.args[0] == EntryFilter.of_status(EntryStatus.POSTED)
    with qtbot.waitSignal(bar.filter_changed) as changed:
        bar.from_check.setChecked(True)
    assert changed.args[0].date_from == dt.date(2026, 1, 1)
    with qtbot.waitSignal(bar.filter_changed) as changed:
        bar.to_edit.setDate(QDate(2026, 3, 31))
        bar.to_check.setChecked(True)
    assert changed.args[0].date_to == dt.date(2026, 3, 31)
    with qtbot.waitSignal(bar.filter_changed) as changed:
        bar.source_combo.setCurrentIndex(bar.source_combo.findData("qbo"))
    assert changed.args[0].sources == {EntrySource.QBO}
    with qtbot.waitSignal(bar.filter_changed) as changed:
        bar.account_picker.setCurrentIndex(bar.account_picker.findData(2))
        bar.account_picker.activated.emit(bar.account_picker.currentIndex())
    assert changed.args[0].account_id == 2


def test_text_search_waits_for_a_pause_in_typing(qtbot: QtBot) -> None:
    bar = EntryFilterBar()
    qtbot.addWidget(bar)
    emitted: list[EntryFilter] = []
    bar.filter_changed.connect(emitted.append)
    qtbot.keyClicks(bar.search_edit, "rent")
    assert emitted == []  # not one query per keystroke
    qtbot.waitUntil(lambda: bool(emitted), timeout=SEARCH_DELAY_MS * 8)
    assert emitted == [EntryFilter(text="rent")]


def test_set_filter_and_clear(qtbot: QtBot) -> None:
    bar = EntryFilterBar()
    qtbot.addWidget(bar)
    bar.set_accounts(ACCOUNTS)
    wanted = EntryFilter(frozenset({EntryStatus.DRAFT}), dt.date(2026, 2, 1),
                         dt.date(2026, 2, 28), 1, frozenset({EntrySource.XERO}), "lunch")
    with qtbot.waitSignal(bar.filter_changed) as changed:
        bar.set_filter(wanted)
    assert changed.args[0] == wanted
    assert bar.current_filter() == wanted
    with qtbot.waitSignal(bar.filter_changed) as changed:
        bar.clear_button.click()
    assert changed.args[0] == EntryFilter()
    # Reloading the accounts keeps the chosen account.
    bar.set_filter(EntryFilter(account_id=2))
    bar.set_accounts([*ACCOUNTS, Account("Expenses:Rent", AccountType.EXPENSE, id=3)])
    assert bar.current_filter().account_id == 2
