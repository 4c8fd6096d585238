"""The main window: company switcher, the Ledger / Export / Integrations panes, menus, status bar.

Panes are built from an `AppContext` (`LedgerPane(ctx)`, `ExportPane(ctx)`,
`IntegrationsPane(ctx)`). A pane package that is not importable yet shows a placeholder, so the
window always starts; `--smoke-test` and the tests check that the real panes are there.
Geometry and the last pane are remembered in QSettings under the app's organisation/name.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QToolBar,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from bookkeeper_desktop import APP_NAME
from bookkeeper_desktop.core.changes import Changes
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.gui.about import AboutDialog
from bookkeeper_desktop.gui.company_switcher import CompanySource, CompanySwitcher
from bookkeeper_desktop.gui.context import AppContext
from bookkeeper_desktop.gui.empty_state import NoCompanyPanel
from bookkeeper_desktop.gui.integrations import IntegrationsPane
from bookkeeper_desktop.gui.integrations.autosync import AutoSync
from bookkeeper_desktop.gui.integrations.controller import IntegrationsController
from bookkeeper_desktop.gui.integrations.online import monitor_for
from bookkeeper_desktop.gui.integrations.source import IntegrationsSource
from bookkeeper_desktop.gui.integrations.state import OFFLINE_TEXT, Phase
from bookkeeper_desktop.gui.resources import app_icon
from bookkeeper_desktop.gui.settings_dialog import SettingsDialog
from bookkeeper_desktop.gui.settings_store import default_qsettings
from bookkeeper_desktop.gui.status import JobStatusWidget
from bookkeeper_desktop.paths import data_dir
from bookkeeper_desktop.providers.config import Provider

log = logging.getLogger(__name__)

#: (key, label, module, class) of each pane, in sidebar order (Ctrl+1, Ctrl+2, Ctrl+3).
PANES: tuple[tuple[str, str, str, str], ...] = (
    ("ledger", "Ledger", "bookkeeper_desktop.gui.ledger", "LedgerPane"),
    ("export", "Export", "bookkeeper_desktop.gui.export", "ExportPane"),
    ("integrations", "Integrations", "bookkeeper_desktop.gui.integrations", "IntegrationsPane"),
)
PANE_KEYS = tuple(key for key, *_ in PANES)

GEOMETRY_KEY = "window/geometry"
STATE_KEY = "window/state"
PANE_KEY = "window/pane"


class PlaceholderPane(QWidget):
    """Stands in for a pane whose package is not there yet."""

    def __init__(self, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"placeholder_{label.lower()}")
        text = QLabel(f"The {label} pane is not available in this build.")
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addWidget(text)


def load_pane_class(module_name: str, class_name: str) -> Callable[[AppContext], QWidget] | None:
    """The pane class from its package (or the package's `pane` module), or None if absent."""
    for candidate in (module_name, f"{module_name}.pane"):
        try:
            module = importlib.import_module(candidate)
        except ModuleNotFoundError as error:
            if error.name and (candidate.startswith(error.name) or error.name == candidate):
                continue  # the pane is not written yet; a missing dependency inside it is a bug
            raise
        cls = getattr(module, class_name, None)
        if isinstance(cls, type) and issubclass(cls, QWidget):
            pane_class: Callable[[AppContext], QWidget] = cls
            return pane_class
    return None


class MainWindow(QMainWindow):
    """The application window.

    Signals:
        pane_changed(str): the visible pane changed (its key: ledger, export, integrations).

    Attributes:
        ctx: the `AppContext`.
        panes: pane key -> widget.
        switcher: the `CompanySwitcher`.
        integrations_controller: wires the Integrations pane's Connect / Sync Now / Disconnect.
        auto_sync: the polling scheduler (`gui.integrations.autosync.AutoSync`).
        online: the `gui.integrations.online.OnlineMonitor` that pauses it while offline.
        job_status: the status bar's `JobStatusWidget`.
        settings_dialog / about_dialog: the open dialog, or None.
    """

    pane_changed = Signal(str)

    def __init__(
        self,
        ctx: AppContext,
        *,
        qsettings: QSettings | None = None,
        database_label: str = "",
        company_source: CompanySource | None = None,
        integrations_source: IntegrationsSource | None = None,
        pane_factories: dict[str, Callable[[AppContext], QWidget]] | None = None,
        integration_flows: dict[str, Any] | None = None,
        save_client_secret: Callable[[str, str], None] | None = None,
        has_client_secret: Callable[[str], bool] | None = None,
        published_apps: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.ctx = ctx
        self.qsettings = qsettings if qsettings is not None else default_qsettings()
        self.database_label = database_label
        #: (provider, secret) -> None; puts a client secret in the OS keychain (app.py wires it).
        self.save_client_secret = save_client_secret
        #: provider -> whether a client secret is in the OS keychain (run in a worker).
        self.has_client_secret = has_client_secret
        #: Provider ("qbo"/"xero") -> the publisher whose app Connect uses for it
        #: (`providers.publisher`); providers without a published app are absent.
        self.published_apps = dict(published_apps or {})
        self.setWindowIcon(app_icon())
        ctx.error_presenter.default_parent = self
        # Bound methods, not lambdas: Qt drops the connection when this window is deleted.
        ctx.error_presenter.status_message.connect(self.show_status_message)

        self.switcher = CompanySwitcher(ctx, company_source)
        toolbar = QToolBar("Company")
        toolbar.setObjectName("companyToolbar")
        toolbar.setMovable(False)
        toolbar.addWidget(self.switcher)
        if ctx.demo:
            demo = QLabel("  DEMO SANDBOX — no real data  ")
            demo.setObjectName("demoBadge")
            demo.setStyleSheet("background: #F2A93B; color: #202020; font-weight: bold; "
                               "border-radius: 4px; padding: 2px 6px;")
            toolbar.addWidget(demo)
        self.addToolBar(toolbar)

        factories = dict(pane_factories or {})
        factories.setdefault("integrations",
                             lambda c: IntegrationsPane(c, integrations_source))
        self.panes: dict[str, QWidget] = {}
        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setIconSize(QSize(20, 20))
        self.sidebar.setFixedWidth(168)
        self.sidebar.setFrameShape(QFrame.Shape.NoFrame)
        self.stack = QStackedWidget()
        icons = {
            "ledger": QStyle.StandardPixmap.SP_FileDialogDetailedView,
            "export": QStyle.StandardPixmap.SP_DialogSaveButton,
            "integrations": QStyle.StandardPixmap.SP_BrowserReload,
        }
        for key, label, module_name, class_name in PANES:
            pane = self._build_pane(key, label, module_name, class_name, factories.get(key))
            self.panes[key] = pane
            self.stack.addWidget(pane)
            item = QListWidgetItem(self.style().standardIcon(icons[key]), label)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setSizeHint(QSize(140, 36))
            self.sidebar.addItem(item)
        self.sidebar.currentRowChanged.connect(self._row_changed)
        for pane in self.panes.values():
            no_company = getattr(pane, "no_company", None)
            if isinstance(no_company, NoCompanyPanel):
                no_company.new_company_requested.connect(self.switcher.ask_new_company)
                no_company.sample_company_requested.connect(self.switcher.open_sample_company)
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.sidebar)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.job_status = JobStatusWidget(ctx.jobs)
        self.last_sync_label = QLabel("Not synced yet")
        self.last_sync_label.setObjectName("lastSync")
        self.statusBar().addPermanentWidget(self.job_status)
        self.statusBar().addPermanentWidget(self.last_sync_label)
        if database_label:
            books = QLabel()
            books.setObjectName("databaseLabel")
            books.setText(books.fontMetrics().elidedText(
                database_label, Qt.TextElideMode.ElideMiddle, 260))
            books.setToolTip(f"Books: {database_label}")
            self.statusBar().addPermanentWidget(books)
        integrations = self.panes.get("integrations")
        self.integrations_controller: IntegrationsController | None = None
        self.auto_sync: AutoSync | None = None
        # Probes the API address the sync uses: Settings, or the sandbox URL in the environment
        # (what --demo sets); the OS backend is loaded once the event loop runs (after show).
        self.online = monitor_for(ctx.jobs, lambda: self.ctx.settings, os.environ, parent=self)
        if isinstance(integrations, IntegrationsPane):
            integrations.loaded.connect(self._update_last_sync)
            integrations.settings_requested.connect(self.open_settings_for)
            # make_flow / sync / disconnect: see gui.integrations.controller (app.py wires them).
            self.integrations_controller = IntegrationsController(
                integrations, **(integration_flows or {}))
            auto_sync = AutoSync(self.integrations_controller, online=self.online)
            auto_sync.start()
            self.auto_sync = auto_sync
            # After the scheduler's slot, which marks the card.
            self.online.provider_online_changed.connect(self._provider_online_changed)
            self.online.start()

        self.settings_dialog: SettingsDialog | None = None
        self.about_dialog: AboutDialog | None = None
        self._build_menus()
        ctx.company_changed.connect(self._company_changed)
        ctx.changes.changed.connect(self._on_changes)
        self._company_names: dict[int, str] = {}
        self.switcher.companies_loaded.connect(self._companies_loaded)
        self._update_title()
        self.resize(1200, 780)
        self.restore_state()

    # -- panes -----------------------------------------------------------------------------------
    def _build_pane(self, key: str, label: str, module_name: str, class_name: str,
                    factory: Callable[[AppContext], QWidget] | None) -> QWidget:
        if factory is not None:
            pane = factory(self.ctx)
        else:
            cls = load_pane_class(module_name, class_name)
            if cls is None:
                log.info("The %s pane is not available yet; showing a placeholder.", label)
                pane = PlaceholderPane(label)
            else:
                pane = cls(self.ctx)
        pane.setProperty("paneKey", key)
        return pane

    def show_pane(self, key: str) -> None:
        """Show the pane `key` (ledger, export, integrations)."""
        self.sidebar.setCurrentRow(PANE_KEYS.index(key))

    def open_entry(self, entry_id: int) -> None:
        """Show the Ledger with entry `entry_id` open in its editor (from another pane, e.g. an
        entry QBO/Xero refused)."""
        self.show_pane("ledger")
        ledger = self.panes.get("ledger")
        open_in_editor = getattr(ledger, "open_entry", None)  # absent on a placeholder pane
        if callable(open_in_editor):
            open_in_editor(entry_id)

    def current_pane(self) -> str:
        row = self.sidebar.currentRow()
        return PANE_KEYS[row] if 0 <= row < len(PANE_KEYS) else PANE_KEYS[0]

    def _row_changed(self, row: int) -> None:
        if 0 <= row < len(PANE_KEYS):
            self.stack.setCurrentIndex(row)
            self.pane_changed.emit(PANE_KEYS[row])

    # -- menus and shortcuts ---------------------------------------------------------------------
    def _action(self, text: str, slot: Callable[[], Any],
                shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None, *,
                tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.new_company_action = self._action(
            "&New Company…", self.switcher.ask_new_company, "Ctrl+Shift+N",
            tip="Start a new set of books")
        self.rename_company_action = self._action(
            "&Rename Company…", self.switcher.ask_rename_company)
        self.sample_company_action = self._action(
            "Open the &Sample Company", self.switcher.open_sample_company,
            tip="A company with a chart of accounts and a year of entries to try things on")
        self.import_action = self._action(
            "&Import Chart of Accounts…", self.import_chart, "Ctrl+I",
            tip="Read accounts from an IIF, CSV or Excel file")
        self.import_statement_action = self._action(
            "Import &Statement…", self.import_statement, "Ctrl+Shift+I",
            tip="Read a bank or card statement (OFX/QFX, CAMT.053, bank CSV) into draft entries")
        self.review_statements_action = self._action(
            "Re&view Statement Lines…", self.review_statements, "Ctrl+Shift+R",
            tip="Accept, change, split or skip the proposed entries of imported statements")
        self.undo_import_action = self._action(
            "&Undo Last Chart Import…", self.undo_last_import,
            tip="Remove the accounts the last chart import added that nothing uses yet and "
                "restore the ones it changed (a preview first)")
        self._follow_pane_action(self.undo_import_action, "ledger", "undo_import_action")
        self.export_action = self._action(
            "&Export…", self.start_export, "Ctrl+E",
            tip="Write journal entries for QuickBooks, Xero or Excel")
        self.settings_action = self._action("&Settings…", self.open_settings, "Ctrl+,")
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.quit_action = self._action("&Quit", self.close, "Ctrl+Q")
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.about_action = self._action(f"&About {APP_NAME}", self.open_about)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)

        file_menu = bar.addMenu("&File")
        file_menu.setObjectName("fileMenu")
        for action in (self.new_company_action, self.rename_company_action,
                       self.sample_company_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(self.import_action)
        file_menu.addAction(self.undo_import_action)
        file_menu.addAction(self.import_statement_action)
        file_menu.addAction(self.review_statements_action)
        file_menu.addAction(self.export_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

        edit_menu = bar.addMenu("&Edit")
        edit_menu.setObjectName("editMenu")
        edit_menu.addAction(self.settings_action)

        view_menu = bar.addMenu("&View")
        view_menu.setObjectName("viewMenu")
        self.pane_actions: dict[str, QAction] = {}
        for number, (key, label, *_rest) in enumerate(PANES, start=1):
            action = self._action(f"&{label}", self._pane_shower(key), f"Ctrl+{number}")
            self.pane_actions[key] = action
            view_menu.addAction(action)
        view_menu.addSeparator()
        self.refresh_action = self._action("&Refresh", self.refresh, QKeySequence.StandardKey
                                           .Refresh)
        view_menu.addAction(self.refresh_action)

        help_menu = bar.addMenu("&Help")
        help_menu.setObjectName("helpMenu")
        self.shortcuts_action = self._action("&Keyboard Shortcuts", self.open_shortcuts,
                                             "Ctrl+/")
        help_menu.addAction(self.shortcuts_action)
        help_menu.addSeparator()
        help_menu.addAction(self.about_action)
        self.menus = {"file": file_menu, "edit": edit_menu, "view": view_menu, "help": help_menu}

    def _follow_pane_action(self, action: QAction, key: str, name: str) -> None:
        """Keep a menu command enabled exactly when the pane's own action is (with its reason
        as the status tip); disabled for good when the pane has no such action."""
        pane_action = getattr(self.panes.get(key), name, None)
        if not isinstance(pane_action, QAction):
            action.setEnabled(False)
            return

        tip = action.statusTip()

        def follow() -> None:
            action.setEnabled(pane_action.isEnabled())
            action.setStatusTip(tip if pane_action.isEnabled() else pane_action.toolTip())

        pane_action.changed.connect(follow)
        follow()

    def _pane_shower(self, key: str) -> Callable[[], None]:
        return lambda: self.show_pane(key)

    # -- commands --------------------------------------------------------------------------------
    def import_chart(self) -> None:
        """File → Import: the Ledger pane's import flow (file dialog, preview, apply)."""
        self.show_pane("ledger")
        self._call_pane("ledger", "open_import_dialog", "start_import")

    def undo_last_import(self) -> None:
        """File → Undo Last Chart Import: the Ledger pane's preview, then the undo."""
        self.show_pane("ledger")
        self._call_pane("ledger", "undo_last_import")

    def import_statement(self) -> None:
        """File → Import Statement: the Ledger pane's statement import (preview, then review)."""
        self.show_pane("ledger")
        self._call_pane("ledger", "open_statement_import")

    def review_statements(self) -> None:
        """File → Review Statement Lines: the Ledger pane's review of proposed entries."""
        self.show_pane("ledger")
        self._call_pane("ledger", "open_statement_review")

    def start_export(self) -> None:
        """File → Export: the Export pane, starting its Save As flow when it has one."""
        self.show_pane("export")
        self._call_pane("export", "start_export", "save_as")

    def _call_pane(self, key: str, *names: str) -> None:
        pane = self.panes[key]
        for name in names:
            method = getattr(pane, name, None)
            if callable(method):
                method()
                return

    def refresh(self) -> None:
        """View → Refresh: every view re-reads what it shows."""
        self.ctx.changes.changed.emit(Changes(company=True))

    def open_settings(self) -> SettingsDialog:
        """Open Settings (window-modal, not blocking); OK applies and saves them."""
        if self.settings_dialog is not None:  # one at a time (it is window-modal)
            return self.settings_dialog
        dialog = SettingsDialog(self.ctx.settings, self,
                                secret_fields=self.save_client_secret is not None,
                                published_apps=self.published_apps)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._settings_accepted(dialog))
        dialog.finished.connect(lambda _result: setattr(self, "settings_dialog", None))
        self.settings_dialog = dialog
        self._show_saved_secrets(dialog)
        dialog.open()
        return dialog

    def open_settings_for(self, provider: Provider) -> SettingsDialog:
        """Open Settings at a provider's tab (a card's Open Settings)."""
        dialog = self.open_settings()
        dialog.show_group(provider.display_name)
        return dialog

    def _show_saved_secrets(self, dialog: SettingsDialog) -> None:
        """Tell the dialog which client secrets the keychain holds, read in a worker (the
        keychain may block on D-Bus or a locked collection)."""
        check = self.has_client_secret
        providers = list(dialog.secret_editors)
        if check is None or not providers:
            return

        def saved(progress: Progress) -> dict[str, bool | None]:
            found: dict[str, bool | None] = {}
            for provider in providers:
                try:
                    found[provider] = check(provider)
                except Exception:  # no keychain: say nothing rather than something wrong
                    found[provider] = None
            return found

        def show(found: dict[str, bool | None]) -> None:
            if self.settings_dialog is dialog:
                for provider, is_saved in found.items():
                    dialog.set_secret_saved(provider, is_saved)

        self.ctx.jobs.run(saved, lane="network", title="Reading the system keychain",
                          on_done=show, on_error=lambda _error: None, owner=self)

    def _settings_accepted(self, dialog: SettingsDialog) -> None:
        self.ctx.apply_settings(dialog.settings())
        save = self.save_client_secret
        changes = dialog.secret_changes()
        if save is None or not changes:
            return

        def save_all(progress: Progress) -> None:
            for provider, secret in changes.items():
                save(provider, secret)

        # The keychain may block (D-Bus, a locked collection): not in the GUI thread.
        self.ctx.jobs.run(save_all, lane="network", title="Saving the client secret",
                          on_done=lambda _r: self.statusBar().showMessage(
                              "Client secret saved in the system keychain.", 5000))

    def shortcuts(self) -> list[tuple[str, str]]:
        """("Menu → command", shortcut) of every menu command that has one, in menu order."""
        rows: list[tuple[str, str]] = []
        for menu in self.menus.values():
            title = menu.title().replace("&", "")
            for action in menu.actions():
                keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
                if keys and not action.isSeparator():
                    rows.append((f"{title} → {action.text().replace('&', '').rstrip('…')}",
                                 keys))
        return rows

    def open_shortcuts(self) -> QDialog:
        """Help → Keyboard Shortcuts: every shortcut of the menus in one table."""
        dialog = QDialog(self)
        dialog.setObjectName("shortcutsDialog")
        dialog.setWindowTitle("Keyboard Shortcuts")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        rows = self.shortcuts()
        table = QTableWidget(len(rows), 2)
        table.setHorizontalHeaderLabels(["Command", "Shortcut"])
        for row, (command, keys) in enumerate(rows):
            table.setItem(row, 0, QTableWidgetItem(command))
            table.setItem(row, 1, QTableWidgetItem(keys))
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.verticalHeader().hide()
        table.horizontalHeader().setStretchLastSection(True)
        table.resizeColumnsToContents()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(dialog.reject)
        layout = QVBoxLayout(dialog)
        layout.addWidget(table)
        layout.addWidget(buttons)
        dialog.resize(380, 420)
        dialog.open()
        return dialog

    def open_about(self) -> AboutDialog:
        dialog = AboutDialog(self, database_label=self.database_label,
                             data_folder=str(data_dir(create=False)))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _result: setattr(self, "about_dialog", None))
        self.about_dialog = dialog
        dialog.open()
        return dialog

    def show_status_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 5000)

    def _company_changed(self, _company_id: int) -> None:
        self._update_title()

    # -- status and title ------------------------------------------------------------------------
    def _companies_loaded(self, companies: list[Any]) -> None:
        self._company_names = {int(c.id): str(c.name) for c in companies}
        self._update_title()

    def _update_title(self) -> None:
        company_id = self.ctx.company_id
        name = self._company_names.get(company_id) if company_id is not None else None
        # The platform adds the application's display name (app.py sets it) after the title:
        # the title itself is the company alone, or nothing before one is open.
        title = name or ""
        if self.ctx.demo:
            title = f"{title} [Demo sandbox]".strip()
        self.setWindowTitle(title)
        has_company = company_id is not None
        for action in (self.import_action, self.export_action, self.rename_company_action):
            action.setEnabled(has_company)

    def _update_last_sync(self) -> None:
        """The status bar's last sync; led by "Offline — auto-sync paused" while a connected
        provider cannot be reached."""
        integrations = self.panes.get("integrations")
        if isinstance(integrations, IntegrationsPane):
            text = integrations.last_sync_text()
            offline = [card.state.provider.display_name for card in integrations.cards.values()
                       if card.offline and card.state.phase in (Phase.CONNECTED, Phase.SYNCING)]
            if offline:
                text = f"{OFFLINE_TEXT} · {text}"
            self.last_sync_label.setText(text)
            self.last_sync_label.setToolTip(
                f"Cannot reach {' or '.join(offline)}; auto-sync resumes when it answers."
                if offline else "")

    def _provider_online_changed(self, _provider: object, _online: bool) -> None:
        self._update_last_sync()

    def _on_changes(self, changes: Changes) -> None:
        if changes.company:
            self._update_title()

    # -- remembered geometry and pane ------------------------------------------------------------
    def save_state(self) -> None:
        self.qsettings.setValue(GEOMETRY_KEY, self.saveGeometry())
        self.qsettings.setValue(STATE_KEY, self.saveState())
        self.qsettings.setValue(PANE_KEY, self.current_pane())
        self.qsettings.sync()

    def restore_state(self) -> None:
        geometry = self.qsettings.value(GEOMETRY_KEY)
        if isinstance(geometry, QByteArray | bytes):
            self.restoreGeometry(QByteArray(geometry))
        state = self.qsettings.value(STATE_KEY)
        if isinstance(state, QByteArray | bytes):
            self.restoreState(QByteArray(state))
        pane = self.qsettings.value(PANE_KEY)
        self.show_pane(pane if isinstance(pane, str) and pane in PANE_KEYS else PANE_KEYS[0])

    @override
    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        super().closeEvent(event)
