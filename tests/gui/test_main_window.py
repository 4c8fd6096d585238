"""The main window on a real database: panes, menus, shortcuts, switcher, settings, geometry."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QLabel,
    QMessageBox,
    QSpinBox,
    QTableWidget,
    QWidget,
)
from pytestqt.qtbot import QtBot

from bookkeeper_desktop import __version__
from bookkeeper_desktop.core.changes import Changes
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.gui.context import AppContext, AppServices
from bookkeeper_desktop.gui.main_window import (
    PANE_KEYS,
    MainWindow,
    PlaceholderPane,
    load_pane_class,
)
from bookkeeper_desktop.gui.palette import apply_palette, is_dark
from bookkeeper_desktop.gui.settings_store import QSettingsStore
from bookkeeper_desktop.jobs import JobRunner
from bookkeeper_desktop.services import companies


@pytest.fixture
def ini(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)


#: Error dialogs opened while each window started (the smoke test fails on any; these tests
#: only need the window in front, so they close them).
STARTUP_ERRORS: list[str] = []


def build_window(qtbot: QtBot, ctx: AppContext, ini: QSettings,
                 pane_factories: dict[str, Any] | None = None) -> MainWindow:
    window = MainWindow(ctx, qsettings=ini, pane_factories=pane_factories)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.switcher.companies_loaded, timeout=5000):
        window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: not ctx.jobs.busy, timeout=10_000)
    for box in window.findChildren(QMessageBox, "errorDialog"):
        STARTUP_ERRORS.append(box.text())
        box.close()
    window.activateWindow()
    # Window shortcuts (Ctrl+1…) fire only in the active window.
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    return window


@pytest.fixture
def sample_ctx(gui_db: Any, sample_company: Any, runner: JobRunner, ini: QSettings
               ) -> AppContext:
    return AppContext(AppServices(gui_db), runner, company_id=sample_company.id,
                      settings_saver=QSettingsStore(ini))


@pytest.fixture
def window(qtbot: QtBot, sample_ctx: AppContext, ini: QSettings) -> Iterator[MainWindow]:
    win = build_window(qtbot, sample_ctx, ini)
    yield win
    win.close()


def press(qtbot: QtBot, window: MainWindow, key: Qt.Key,
          modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.ControlModifier) -> None:
    qtbot.keyClick(window, key, modifier)


def test_every_pane_is_the_real_one(window: MainWindow) -> None:
    from bookkeeper_desktop.gui.export import ExportPane
    from bookkeeper_desktop.gui.integrations import IntegrationsPane
    from bookkeeper_desktop.gui.ledger import LedgerPane

    assert isinstance(window.panes["ledger"], LedgerPane)
    assert isinstance(window.panes["export"], ExportPane)
    assert isinstance(window.panes["integrations"], IntegrationsPane)
    assert not any(isinstance(p, PlaceholderPane) for p in window.panes.values())
    assert [window.sidebar.item(i).text() for i in range(3)] == ["Ledger", "Export",
                                                                 "Integrations"]


def test_title_names_the_company(window: MainWindow) -> None:
    # The platform adds the application's display name itself: the title does not repeat it.
    assert window.windowTitle() == "Sample Company (demo data)"
    assert "Bookkeeper Desktop" not in window.windowTitle()
    assert not window.windowIcon().isNull()


def test_menus_hold_the_commands_with_their_shortcuts(window: MainWindow) -> None:
    def entries(menu_key: str) -> dict[str, str]:
        menu = window.menus[menu_key]
        return {a.text().replace("&", ""): a.shortcut().toString()
                for a in menu.actions() if not a.isSeparator()}

    file_entries = entries("file")
    assert file_entries["Import Chart of Accounts…"] == "Ctrl+I"
    assert file_entries["Export…"] == "Ctrl+E"
    assert file_entries["Quit"] == "Ctrl+Q"
    assert file_entries["New Company…"] == "Ctrl+Shift+N", "Ctrl+N is the ledger's New entry"
    assert entries("edit")["Settings…"] == "Ctrl+,"
    assert entries("view") == {"Ledger": "Ctrl+1", "Export": "Ctrl+2",
                                    "Integrations": "Ctrl+3", "Refresh": "F5"}
    assert "About Bookkeeper Desktop" in entries("help")


def test_ctrl_number_switches_panes(qtbot: QtBot, window: MainWindow) -> None:
    for number, key in zip((Qt.Key.Key_3, Qt.Key.Key_2, Qt.Key.Key_1), ("integrations",
                                                                       "export", "ledger"),
                           strict=True):
        with qtbot.waitSignal(window.pane_changed) as changed:
            press(qtbot, window, number)
        assert changed.args == [key]
        assert window.stack.currentWidget() is window.panes[key]


def test_sidebar_click_switches_panes(qtbot: QtBot, window: MainWindow) -> None:
    rect = window.sidebar.visualItemRect(window.sidebar.item(2))
    qtbot.mouseClick(window.sidebar.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.current_pane() == "integrations"


def test_ctrl_i_opens_the_ledgers_import_flow(qtbot: QtBot, window: MainWindow,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[object] = []
    ledger = window.panes["ledger"]
    # The file dialog is modal; record that the ledger asked for a file instead.
    monkeypatch.setattr(ledger, "_ask_path", lambda *args: asked.append(args) or None)
    window.show_pane("integrations")
    press(qtbot, window, Qt.Key.Key_I)
    assert window.current_pane() == "ledger"
    assert len(asked) == 1


def test_ctrl_e_goes_to_export(qtbot: QtBot, window: MainWindow,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    export = window.panes["export"]
    monkeypatch.setattr(export, "_ask_path", lambda *args: None)
    press(qtbot, window, Qt.Key.Key_E)
    assert window.current_pane() == "export"


def test_settings_dialog_round_trip_through_the_window(
        qtbot: QtBot, window: MainWindow, ini: QSettings) -> None:
    press(qtbot, window, Qt.Key.Key_Comma)
    dialog = window.settings_dialog
    assert dialog is not None
    assert dialog.isVisible()
    interval = dialog.editor("sync/auto_interval_minutes")
    assert isinstance(interval, QSpinBox)
    interval.setValue(45)
    date_combo = dialog.editor("export/date_format")
    assert isinstance(date_combo, QComboBox)
    date_combo.setCurrentIndex(date_combo.findData("DD/MM/YYYY"))
    with qtbot.waitSignal(window.ctx.settings_changed):
        dialog.accept()
    assert window.ctx.settings.auto_sync_minutes == 45
    assert window.ctx.settings.date_format == "DD/MM/YYYY"
    stored = QSettingsStore(QSettings(ini.fileName(), QSettings.Format.IniFormat)).load()
    assert stored.settings.auto_sync_minutes == 45
    qtbot.waitUntil(lambda: window.settings_dialog is None)


def test_about_names_the_version(window: MainWindow) -> None:
    dialog = window.open_about()
    assert dialog.isVisible()
    assert __version__ in dialog.text.text()
    assert "Qt " in dialog.text.text()
    dialog.accept()


def test_geometry_and_pane_are_remembered(qtbot: QtBot, sample_ctx: AppContext,
                                          ini: QSettings) -> None:
    # Small stand-in panes: the offscreen screen is 800×800 and Qt clamps a restored geometry
    # to the screen, so the window must be able to be smaller than that for this check.
    small = {key: (lambda ctx: QWidget()) for key in PANE_KEYS}
    first = build_window(qtbot, sample_ctx, ini, small)
    first.move(23, 31)
    first.resize(700, 560)
    geometry = first.geometry()
    first.show_pane("integrations")
    press(qtbot, first, Qt.Key.Key_Q)  # Quit closes the window, which saves its state
    assert not first.isVisible()
    assert ini.value("window/pane") == "integrations"

    second = build_window(qtbot, sample_ctx, ini, small)
    assert second.current_pane() == "integrations"
    assert second.geometry() == geometry


def test_new_company_through_the_name_dialog(qtbot: QtBot, window: MainWindow) -> None:
    window.new_company_action.trigger()
    dialog = window.switcher.name_dialog
    assert dialog is not None
    assert dialog.isVisible()
    dialog.setTextValue("Corner Bakery LLC")
    notices: list[Changes] = []
    window.ctx.changes.changed.connect(
        lambda changes: notices.append(changes) if changes.company else None)
    with qtbot.waitSignal(window.ctx.company_changed, timeout=5000) as changed:
        dialog.accept()
    created = companies.find_company(window.ctx.services.db, "Corner Bakery LLC")
    assert changed.args == [created.id]
    assert len(notices) == 1, "a new company is announced once: every view reads it once"
    qtbot.waitUntil(lambda: window.switcher.combo.currentText() == "Corner Bakery LLC")
    qtbot.waitUntil(lambda: window.windowTitle().startswith("Corner Bakery LLC"))
    names = [name for _id, name in window.switcher.companies()]
    assert names == sorted(names, key=str.lower)
    # Remembered for the next start (a db-lane job of its own).
    qtbot.waitUntil(lambda: companies.current_company(window.ctx.services.db) == created,
                    timeout=5000)


def test_rename_company(qtbot: QtBot, window: MainWindow) -> None:
    window.rename_company_action.trigger()
    dialog = window.switcher.name_dialog
    assert dialog is not None
    assert dialog.textValue() == "Sample Company (demo data)"
    dialog.setTextValue("Sample Books")
    with qtbot.waitSignal(window.switcher.companies_loaded, timeout=5000):
        dialog.accept()
    assert window.switcher.combo.currentText() == "Sample Books"
    assert window.windowTitle().startswith("Sample Books")


def test_duplicate_company_name_shows_what_to_do(qtbot: QtBot, window: MainWindow) -> None:
    window.new_company_action.trigger()
    dialog = window.switcher.name_dialog
    assert dialog is not None
    dialog.setTextValue("sample company (DEMO DATA)")
    with qtbot.waitSignal(window.ctx.error_presenter.dialog_opened, timeout=5000) as opened:
        dialog.accept()
    box: QMessageBox = opened.args[0]
    assert box.windowTitle() == "Already exists"
    assert "Choose another name." in box.informativeText()
    box.accept()


def test_switching_company_in_the_combo(qtbot: QtBot, window: MainWindow) -> None:
    other = companies.create_company(window.ctx.services.db, "Second Books")
    with qtbot.waitSignal(window.switcher.companies_loaded, timeout=5000):
        window.refresh()
    index = window.switcher.combo.findData(other.id)
    with qtbot.waitSignal(window.ctx.company_changed, timeout=5000) as changed:
        window.switcher.combo.setCurrentIndex(index)
    assert changed.args == [other.id]
    assert window.windowTitle().startswith("Second Books")


def test_with_no_company_the_panes_offer_to_create_or_open_one(
        qtbot: QtBot, gui_db: Any, runner: JobRunner, ini: QSettings) -> None:
    ctx = AppContext(AppServices(gui_db), runner)
    window = build_window(qtbot, ctx, ini)
    ledger = window.panes["ledger"]
    panel = ledger.no_company  # type: ignore[attr-defined]
    assert panel.isVisible()
    assert "company menu" not in panel.label.text()
    assert "Companies" in panel.label.text()  # the button's real name
    assert window.switcher.menu_button.text() == "Companies"
    qtbot.mouseClick(panel.new_button, Qt.MouseButton.LeftButton)
    dialog = window.switcher.name_dialog
    assert dialog is not None
    assert dialog.isVisible()
    dialog.reject()
    window.show_pane("export")
    export_panel = window.panes["export"].no_company  # type: ignore[attr-defined]
    with qtbot.waitSignal(ctx.company_changed, timeout=10_000):
        qtbot.mouseClick(export_panel.sample_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not export_panel.isVisible(), timeout=5000)
    window.close()


def test_open_sample_company_from_an_empty_database(qtbot: QtBot, gui_db: Any,
                                                    runner: JobRunner, ini: QSettings) -> None:
    ctx = AppContext(AppServices(gui_db), runner)
    window = build_window(qtbot, ctx, ini)
    assert window.switcher.companies() == []
    assert not window.import_action.isEnabled(), "nothing to import into yet"
    with qtbot.waitSignal(ctx.company_changed, timeout=10_000):
        window.sample_company_action.trigger()
    assert window.import_action.isEnabled()
    qtbot.waitUntil(lambda: window.switcher.combo.currentText() == "Sample Company (demo data)")
    window.close()


def test_long_jobs_show_in_the_status_bar_and_can_be_cancelled(
        qtbot: QtBot, window: MainWindow) -> None:
    release = threading.Event()

    def slow(progress: Progress) -> None:
        progress.phase("Counting", total=10)
        progress.report(3, 10)
        while not release.wait(0.01):
            progress.check_cancelled()

    job = window.ctx.jobs.run(slow, title="Slow thing")
    status = window.job_status
    assert not status.isVisible(), "quick jobs never flash"
    qtbot.waitUntil(status.isVisible, timeout=3000)
    assert status.label.text() == "Slow thing: Counting…"
    qtbot.waitUntil(lambda: status.bar.value() == 3, timeout=3000)
    assert status.bar.maximum() == 10
    with qtbot.waitSignal(job.ended, timeout=3000):
        qtbot.mouseClick(status.cancel_button, Qt.MouseButton.LeftButton)
    assert job.error is not None
    qtbot.waitUntil(lambda: not status.isVisible(), timeout=3000)
    release.set()


def test_demo_mode_is_labelled(qtbot: QtBot, gui_db: Any, sample_company: Any,
                               runner: JobRunner, ini: QSettings) -> None:
    ctx = AppContext(AppServices(gui_db, demo=True), runner, company_id=sample_company.id,
                     demo=True)
    window = build_window(qtbot, ctx, ini)
    assert window.windowTitle().endswith("[Demo sandbox]")
    badge = window.findChild(QLabel, "demoBadge")
    assert badge is not None
    assert "DEMO SANDBOX" in badge.text()
    window.close()


def test_missing_pane_packages_give_placeholders() -> None:
    assert load_pane_class("bookkeeper_desktop.gui.not_written_yet", "SomePane") is None
    with pytest.raises(ModuleNotFoundError):
        # a pane that exists but imports something missing is a bug, not a placeholder
        load_pane_class("tests.gui.broken_pane_fixture", "BrokenPane")


def test_pane_keys() -> None:
    assert PANE_KEYS == ("ledger", "export", "integrations")


def test_palette_follows_the_scheme(qapp: QApplication) -> None:
    before_style = qapp.style().name()
    before_palette = QPalette(qapp.palette())
    try:
        apply_palette(qapp, Qt.ColorScheme.Dark)
        assert is_dark()
        assert qapp.style().name().lower() == "fusion"
        assert qapp.palette().color(QPalette.ColorRole.Text).lightness() > 200
        apply_palette(qapp, Qt.ColorScheme.Light)
        assert not is_dark()
    finally:
        qapp.setStyle(before_style)
        qapp.setPalette(before_palette)


def test_status_bar_shows_the_last_sync(qtbot: QtBot, sample_ctx: AppContext,
                                        ini: QSettings) -> None:
    import datetime as dt

    from bookkeeper_desktop.gui.integrations.state import SyncRunRow
    from tests.gui.test_integrations import MemorySource

    when = dt.datetime(2026, 5, 4, 12, 0, tzinfo=dt.UTC)
    source = MemorySource(runs=[SyncRunRow(1, "xero", "push", "succeeded", when,
                                           when + dt.timedelta(seconds=2), 0, 4, 0, 0, "")])
    window = MainWindow(sample_ctx, qsettings=ini, integrations_source=source)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.last_sync_label.text() != "Not synced yet", timeout=5000)
    local = (when + dt.timedelta(seconds=2)).astimezone().strftime("%d %b %H:%M")
    assert window.last_sync_label.text() == f"Last sync: Xero, {local}, succeeded"


def test_client_secret_goes_to_the_keychain_not_the_settings(
        qtbot: QtBot, sample_ctx: AppContext, ini: QSettings) -> None:
    from bookkeeper_desktop.providers.config import Provider as ProviderKind
    from bookkeeper_desktop.providers.keychain import Keychain
    from tests.providers.conftest import MemoryKeyring

    keychain = Keychain(MemoryKeyring())
    window = MainWindow(sample_ctx, qsettings=ini, save_client_secret=lambda provider, secret:
                        keychain.save_client_secret(ProviderKind(provider), secret))
    qtbot.addWidget(window)
    dialog = window.open_settings()
    secret = dialog.secret_editors["qbo"]
    assert secret.text() == "", "a saved secret is never shown"
    assert secret.echoMode() == secret.EchoMode.Password
    qtbot.keyClicks(secret, "s3cret-from-intuit")
    interval = dialog.editor("sync/auto_interval_minutes")
    assert isinstance(interval, QSpinBox)
    interval.setValue(20)  # so the settings file is written too
    dialog.accept()
    qtbot.waitUntil(lambda: keychain.client_secret(ProviderKind.QBO) == "s3cret-from-intuit",
                    timeout=5000)
    assert keychain.client_secret(ProviderKind.XERO) is None, "untouched field, nothing saved"
    ini.sync()
    assert "s3cret" not in Path(ini.fileName()).read_text(encoding="utf-8")


def test_no_secret_fields_without_a_keychain(qtbot: QtBot, window: MainWindow) -> None:
    dialog = window.open_settings()
    assert dialog.secret_editors == {}
    dialog.reject()


def test_keyboard_shortcuts_dialog_lists_the_menus_shortcuts(qtbot: QtBot,
                                                             window: MainWindow) -> None:
    press(qtbot, window, Qt.Key.Key_Slash)
    dialog = window.findChild(QDialog, "shortcutsDialog")
    assert dialog is not None
    assert dialog.isVisible()
    shortcuts = dict(window.shortcuts())
    assert shortcuts["File → Import Chart of Accounts"] == "Ctrl+I"
    assert shortcuts["File → Export"] == "Ctrl+E"
    assert shortcuts["View → Export"] == "Ctrl+2"
    assert shortcuts["Edit → Settings"] == "Ctrl+,"
    table = dialog.findChild(QTableWidget)
    assert table is not None
    assert table.rowCount() == len(shortcuts)
    dialog.reject()


def test_status_bar_names_the_books(qtbot: QtBot, sample_ctx: AppContext, ini: QSettings
                                    ) -> None:
    label = "/home/sam/.local/share/bookkeeper-desktop/" + "very-long-folder/" * 10 + "b.sqlite"
    window = MainWindow(sample_ctx, qsettings=ini, database_label=label)
    qtbot.addWidget(window)
    books = window.findChild(QLabel, "databaseLabel")
    assert books is not None
    assert books.toolTip() == f"Books: {label}"
    assert "…" in books.text()
    assert books.text().endswith("b.sqlite")


def test_the_event_loop_keeps_running_while_the_window_loads(
        qtbot: QtBot, sample_ctx: AppContext, ini: QSettings) -> None:
    """From show() until every start-up read is done, a 10 ms timer keeps ticking: the reads
    run in the lanes. (Loose bound; no budgets in tests — a read in the GUI thread would show.)"""
    from PySide6.QtCore import QElapsedTimer, QTimer

    window = MainWindow(sample_ctx, qsettings=ini)
    qtbot.addWidget(window)
    clock = QElapsedTimer()
    gaps: list[int] = []
    last = [0]

    def tick() -> None:
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    window.show()
    clock.start()
    timer.start()
    qtbot.waitUntil(lambda: not sample_ctx.jobs.busy and len(gaps) > 5, timeout=10_000)
    for key in PANE_KEYS:
        window.show_pane(key)
        qtbot.wait(30)
    timer.stop()
    assert max(gaps) < 400, f"the event loop stalled for {max(gaps)} ms"


def test_status_bar_counts_other_running_jobs(qtbot: QtBot, window: MainWindow) -> None:
    release = threading.Event()
    first = window.ctx.jobs.run(lambda p: release.wait(5), title="Importing", lane="db")
    second = window.ctx.jobs.run(lambda p: release.wait(5), title="Syncing", lane="network")
    status = window.job_status
    qtbot.waitUntil(lambda: status.label.text() == "Importing… (+1 more)", timeout=3000)
    assert status.shown_job is first
    release.set()
    with qtbot.waitSignals([first.ended, second.ended], timeout=5000):
        pass
    qtbot.waitUntil(lambda: not status.isVisible(), timeout=3000)


def test_labels_and_titles_are_not_cut_short(qtbot: QtBot, window: MainWindow) -> None:
    ledger = window.panes["ledger"]
    tree = ledger.tree  # type: ignore[attr-defined]
    from bookkeeper_desktop.gui.ledger.account_tree import TYPE

    widest = tree.fontMetrics().horizontalAdvance("Other current liability")
    assert tree.columnWidth(TYPE) > widest, "not 'Other current li…'"
    window.new_company_action.trigger()
    dialog = window.switcher.name_dialog
    assert dialog is not None
    title = "New company — Bookkeeper Desktop"  # as the window manager shows it
    qtbot.waitUntil(lambda: dialog.width() > dialog.fontMetrics().horizontalAdvance(title) + 60,
                    timeout=2000)
    dialog.reject()
