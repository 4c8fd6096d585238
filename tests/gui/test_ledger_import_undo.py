"""Undo last import on the Ledger pane, through the real widgets, services, job runner and an
SQLite copy of the sample books: disabled with its reason while there is nothing to undo; the
preview lists what is removed, restored and kept; Cancel, Escape and Enter change nothing;
Undo import undoes it, the chart shows the result and the status bar says what was done."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot

from bookkeeper_desktop.core.accounts import Account
from bookkeeper_desktop.core.journal import JournalEntry, JournalLine
from bookkeeper_desktop.core.money import money
from bookkeeper_desktop.gui.context import AppContext
from bookkeeper_desktop.gui.ledger import LedgerPane
from bookkeeper_desktop.gui.ledger.import_undo import ImportUndoDialog
from bookkeeper_desktop.jobs import JobRunner
from bookkeeper_desktop.services import accounts as account_services
from bookkeeper_desktop.services import coa_undo
from bookkeeper_desktop.services import entries as entry_services
from bookkeeper_desktop.storage.engine import Database

from .test_ledger_pane import chart_file, drop_file_on, loaded_pane

pytest_plugins = ["tests.gui.test_ledger_support"]

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def _rows(dialog: ImportUndoDialog, key: str) -> list[tuple[str, str]]:
    model = dialog.models[key]
    return [(model.index(r, 0).data(), model.index(r, 3).data()) for r in range(model.rowCount())]


def _chart(db: Database, company_id: int) -> list[Account]:
    return list(account_services.list_accounts(db, company_id))


def _import(qtbot: QtBot, pane: LedgerPane, tmp_path: Path) -> None:
    dialog = drop_file_on(qtbot, pane, pane, chart_file(tmp_path))
    with qtbot.waitSignal(pane.chart_loaded, timeout=10000):
        dialog.apply_button.click()  # type: ignore[attr-defined]
    qtbot.waitUntil(pane.undo_import_action.isEnabled, timeout=5000)


def _preview(qtbot: QtBot, pane: LedgerPane) -> ImportUndoDialog:
    with qtbot.waitSignal(pane.undo_flow.preview_ready, timeout=10000) as ready:
        pane.undo_import_action.trigger()
    dialog: ImportUndoDialog = ready.args[0]
    assert dialog.isVisible()
    return dialog


def _imported_and_used(qtbot: QtBot, ctx: AppContext, db: Database, company_id: int,
                       tmp_path: Path) -> tuple[QMainWindow, LedgerPane, dict[str, int]]:
    """The pane in a 1280×800 window, the chart file imported through it, and an entry since
    on the new subaccount (so it and its parent must stay). The chart's ids by full name."""
    window = QMainWindow()
    qtbot.addWidget(window)
    pane = LedgerPane(ctx)
    window.setCentralWidget(pane)
    window.resize(1280, 800)
    window.show()
    qtbot.waitUntil(lambda: pane.tree_model.rowCount() > 0, timeout=5000)
    _import(qtbot, pane, tmp_path)
    chart = {a.full_name: a.id or 0 for a in account_services.list_accounts(db, company_id)}
    entry_services.save_draft(db, company_id, JournalEntry(dt.date(2026, 6, 30), (
        JournalLine(chart["Marketing:Online Ads"], debit=money("99.00")),
        JournalLine(chart["Checking"], credit=money("99.00")))))
    return window, pane, chart


def test_undo_is_disabled_with_its_reason_until_there_is_an_import(
        qtbot: QtBot, ctx: AppContext, tmp_path: Path) -> None:
    pane = loaded_pane(qtbot, ctx)
    action = pane.undo_import_action
    assert not action.isEnabled()
    assert "no chart import to undo" in action.toolTip()
    assert action in pane.tree.actions()  # right-click offers it too
    _import(qtbot, pane, tmp_path)
    assert action.toolTip().startswith("Undo the import of chart.csv from ")


def test_the_preview_cancel_escape_and_enter_change_nothing(
        qtbot: QtBot, ctx: AppContext, db: Database, company_id: int, tmp_path: Path) -> None:
    pane = loaded_pane(qtbot, ctx)
    _import(qtbot, pane, tmp_path)
    imported = _chart(db, company_id)

    dialog = _preview(qtbot, pane)
    assert dialog.summary_label.text().startswith("Undo the import of chart.csv from ")
    assert "remove 2 accounts, restore 2" in dialog.summary_label.text()
    assert [name for name, _ in _rows(dialog, "remove")] == ["Marketing:Online Ads", "Marketing"]
    restore = dict(_rows(dialog, "restore"))
    assert "name back to 'Savings' (now 'Savings Reserve')" in restore["Savings Reserve"]
    assert "Checking" in restore
    assert _rows(dialog, "keep") == []
    assert not dialog.kept_label.isVisible()
    assert dialog.tabs.tabText(0) == "To remove (2)"
    assert not dialog.undo_button.isDefault()
    assert not dialog.undo_button.autoDefault()
    dialog.cancel_button.click()
    assert not dialog.isVisible()

    dialog = _preview(qtbot, pane)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()

    dialog = _preview(qtbot, pane)
    qtbot.keyClick(dialog, Qt.Key.Key_Return)  # Enter presses Cancel, never Undo import
    assert not dialog.isVisible()
    qtbot.wait(200)  # a job would have been started by now
    assert _chart(db, company_id) == imported
    assert coa_undo.last_import(db, company_id) is not None


def test_confirming_undoes_the_import_and_the_chart_shows_it(
        qtbot: QtBot, ctx: AppContext, db: Database, company_id: int, tmp_path: Path) -> None:
    before = _chart(db, company_id)
    window, pane, chart = _imported_and_used(qtbot, ctx, db, company_id, tmp_path)

    dialog = _preview(qtbot, pane)
    assert _rows(dialog, "keep") == [("Marketing", "has the subaccount 'Marketing:Online Ads'"),
                                     ("Marketing:Online Ads", "used by 1 entry")]
    assert dialog.kept_label.isVisible()
    assert dialog.kept_label.text().startswith(
        "Kept as they are: Marketing (has the subaccount 'Marketing:Online Ads'); "
        "Marketing:Online Ads (used by 1 entry).")
    assert _rows(dialog, "remove") == []
    assert dialog.tabs.currentIndex() == 1  # the first group with anything: To restore
    with qtbot.waitSignal(pane.undo_flow.finished, timeout=10000) as finished:
        dialog.undo_button.click()
    result = finished.args[0]
    assert not dialog.isVisible()
    message = "Undid the import of chart.csv: 0 accounts removed, 2 restored, 2 kept " \
              "(used or changed since)."
    assert result.sentence() == message
    assert pane.message_label.text() == message
    assert window.statusBar().currentMessage() == message

    savings = account_services.find_account(db, company_id, "1010")
    assert savings is not None
    assert savings.full_name == "Savings"
    qtbot.waitUntil(lambda: pane.tree_model.index_of(savings.id or 0).data() == "Savings",
                    timeout=5000)
    assert pane.tree_model.index_of(chart["Marketing:Online Ads"]).isValid()
    after = {a.full_name for a in account_services.list_accounts(db, company_id)}
    assert after == {a.full_name for a in before} | {"Marketing", "Marketing:Online Ads"}
    qtbot.waitUntil(lambda: not pane.undo_import_action.isEnabled(), timeout=5000)


def test_an_undo_that_fails_keeps_the_dialog_open_and_changes_nothing(
        qtbot: QtBot, ctx: AppContext, db: Database, company_id: int, tmp_path: Path, *,
        monkeypatch: pytest.MonkeyPatch) -> None:
    pane = loaded_pane(qtbot, ctx)
    _import(qtbot, pane, tmp_path)
    imported = _chart(db, company_id)
    dialog = _preview(qtbot, pane)
    shown: list[BaseException] = []
    monkeypatch.setattr(ctx, "show_error", lambda error, _parent=None: shown.append(error))
    coa_undo.undo_last_import(db, company_id)  # someone else undid it since the preview
    changed = _chart(db, company_id)
    dialog.undo_button.click()
    qtbot.waitUntil(lambda: not dialog.running, timeout=10000)
    assert dialog.isVisible()
    assert dialog.note_label.text() == "Nothing was changed."
    assert shown
    assert "no chart import to undo" in str(shown[0])
    assert _chart(db, company_id) == changed != imported


def test_pictures_of_the_undo_preview_fit_a_1280_by_800_screen(
        qtbot: QtBot, ctx: AppContext, db: Database, company_id: int, tmp_path: Path) -> None:
    """Saved as ledger-undo-import.png (the window) and ledger-undo-import-dialog.png into
    $BOOKKEEPER_SCREENSHOT_DIR when set, to look at."""
    import os

    from .test_ledger_screenshots import distinct_colours, save

    folder = Path(os.environ.get("BOOKKEEPER_SCREENSHOT_DIR") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    window, pane, _chart_ids = _imported_and_used(qtbot, ctx, db, company_id, tmp_path)
    assert (window.width(), window.height()) == (1280, 800)  # its minimum size fits
    # The chart's tool bar shows the action itself, not behind an overflow arrow.
    bar_button = next(w for w in pane.undo_import_action.associatedObjects()
                      if hasattr(w, "isVisible") and w is not pane.undo_import_action
                      and w.__class__.__name__ == "QToolButton")
    assert bar_button.isVisible()  # type: ignore[attr-defined]
    dialog = _preview(qtbot, pane)
    qtbot.wait(100)
    assert dialog.width() <= 1280
    assert dialog.height() <= 800
    assert dialog.rect().contains(dialog.undo_button.geometry())
    assert window.statusBar().currentMessage() == ""  # no "Reading…" left behind
    image = save(window, folder, "ledger-undo-import.png")
    assert distinct_colours(image) > 10
    dialog_image = save(dialog, folder, "ledger-undo-import-dialog.png")
    assert distinct_colours(dialog_image) > 10
    dialog.reject()


def test_the_file_menu_command_follows_the_panes_action(
        qtbot: QtBot, gui_db: Database, sample_company: Any, runner: JobRunner,
        tmp_path: Path) -> None:
    from PySide6.QtCore import QSettings

    from bookkeeper_desktop.core.changes import Changes
    from bookkeeper_desktop.gui.context import AppServices
    from bookkeeper_desktop.services import coa_import

    from .test_main_window import build_window

    ini = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    ctx = AppContext(AppServices(gui_db), runner, company_id=sample_company.id)
    window = build_window(qtbot, ctx, ini)
    command = window.undo_import_action
    assert command in window.menus["file"].actions()
    assert not command.isEnabled()
    assert "no chart import to undo" in command.statusTip()

    coa_import.import_chart(gui_db, sample_company.id, chart_file(tmp_path), actor="tester")
    ctx.notify(Changes(accounts=True))  # as the import dialog does after its job
    qtbot.waitUntil(command.isEnabled, timeout=5000)
    assert command.statusTip().startswith("Remove the accounts the last chart import added")
    pane = window.panes["ledger"]
    assert isinstance(pane, LedgerPane)
    with qtbot.waitSignal(pane.undo_flow.preview_ready, timeout=10000) as ready:
        command.trigger()
    dialog: ImportUndoDialog = ready.args[0]
    assert dialog.plan.record.file_name == "chart.csv"
    dialog.reject()
    window.close()


def test_cancelling_a_running_undo_changes_nothing(
        qtbot: QtBot, ctx: AppContext, db: Database, company_id: int, tmp_path: Path) -> None:
    from bookkeeper_desktop.services import coa_import

    rows = "".join(f"{20000 + n},Undo test {n},Expenses,Other Miscellaneous Service Cost\n"
                   for n in range(1500))
    coa_import.import_chart(db, company_id, chart_file(
        tmp_path, "Account Number,Account Name,Type,Detail Type\n" + rows), actor="tester")
    pane = loaded_pane(qtbot, ctx)
    qtbot.waitUntil(pane.undo_import_action.isEnabled, timeout=5000)
    imported = _chart(db, company_id)
    dialog = _preview(qtbot, pane)
    assert "remove 1500 accounts" in dialog.summary_label.text()
    dialog.undo_button.click()
    assert dialog.running
    dialog.cancel_button.click()  # Cancel while it runs: the job stops, the dialog stays
    qtbot.waitUntil(lambda: not dialog.running, timeout=20000)
    assert dialog.isVisible()
    assert dialog.note_label.text() == "Cancelled; nothing was changed."
    assert _chart(db, company_id) == imported
    assert coa_undo.last_import(db, company_id) is not None
