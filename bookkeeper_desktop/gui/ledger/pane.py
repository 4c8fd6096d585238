"""The Ledger pane: the chart of accounts (tree with balances; add, edit, deactivate; import by
dropping a file anywhere on the pane or File → Import, and undo the last import (`import_undo`);
a dropped bank or card statement goes to the statement import and review instead), the
journal-entry table (lazy, filtered and sorted in SQL, by contact too), the details of the current
entry under it (its contacts, and why it waits in "Waiting for a fix"), the entry editor, bulk
approve and post, the trial balance, and the company's Contacts list.

Everything that reads or writes the books runs through `ctx.jobs.run` in the database lane, on the
pane's `LedgerSource`; results come back by callback and every change goes out through
`ctx.notify`, which is also how the pane learns that something else changed the books (the tree and
table refresh in place, keeping what the user had expanded and selected).

Signals:
    chart_loaded(int): the chart of accounts was (re)read; its number of accounts.
    import_preview_ready(ImportPreviewDialog): a dropped or chosen file was read and its preview
        opened.
    bulk_finished(BulkResult): a bulk approve or post ended.
    entry_dialog_opened(EntryEditorDialog): an entry editor opened.
    details_loaded(EntryDetails): the details of the current entry were read and shown.

Attributes:
    import_dialog / entry_dialog / account_dialog / trial_balance_dialog / statement_dialog /
        review_dialog: the dialog currently open, if any (tests drive them).
    bulk_report: the message of the last bulk action (every refusal named by entry).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTableView,
    QToolBar,
    QTreeView,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from bookkeeper_desktop.core.accounts import Account, AccountType
from bookkeeper_desktop.core.changes import Changes
from bookkeeper_desktop.core.errors import Cancelled
from bookkeeper_desktop.core.journal import EntryStatus, JournalEntry
from bookkeeper_desktop.core.progress import ProgressSnapshot
from bookkeeper_desktop.formats.statements import looks_like_statement
from bookkeeper_desktop.gui.column_widths import ColumnFitter
from bookkeeper_desktop.gui.context import AppContext
from bookkeeper_desktop.gui.empty_state import NoCompanyPanel
from bookkeeper_desktop.gui.ledger.account_dialog import AccountDialog, describe_account
from bookkeeper_desktop.gui.ledger.account_tree import (
    BALANCE,
    CODE,
    FULL_NAME_ROLE,
    NAME,
    TYPE,
    AccountTreeModel,
    AccountTreeState,
)
from bookkeeper_desktop.gui.ledger.contacts_dialog import ContactsDialog
from bookkeeper_desktop.gui.ledger.entry_details import EntryDetailsLabel, held_message
from bookkeeper_desktop.gui.ledger.entry_editor import EntryEditorDialog
from bookkeeper_desktop.gui.ledger.entry_table import (
    COLUMNS,
    EntryTableModel,
    PlaceKeeper,
    SortSpec,
)
from bookkeeper_desktop.gui.ledger.filters import EntryFilterBar
from bookkeeper_desktop.gui.ledger.help import show_ledger_help
from bookkeeper_desktop.gui.ledger.import_dialog import ImportPreviewDialog
from bookkeeper_desktop.gui.ledger.import_undo import ImportUndoFlow
from bookkeeper_desktop.gui.ledger.lifetime import is_alive
from bookkeeper_desktop.gui.ledger.services_source import ServicesLedgerSource
from bookkeeper_desktop.gui.ledger.source import (
    BulkAction,
    ChartSnapshot,
    CompanyEntrySource,
    EntryDetails,
    LedgerSource,
    PreparedImport,
)
from bookkeeper_desktop.gui.ledger.statement_import import StatementImportDialog
from bookkeeper_desktop.gui.ledger.statement_review import StatementReviewDialog
from bookkeeper_desktop.gui.ledger.trial_balance import TrialBalanceDialog
from bookkeeper_desktop.storage.records import BulkResult, EntryFilter

#: File name patterns offered by File → Import (the format is sniffed from the content anyway).
#: Quiet time after the current entry changes before its details are read (ms): moving down the
#: table with the arrow keys reads only the entry the user stops on.
DETAILS_DELAY_MS = 150
CHART_FILE_FILTER = ("Chart of accounts (*.iif *.IIF *.csv *.CSV *.xlsx *.XLSX *.txt);;"
                     "All files (*)")
STATEMENT_FILE_FILTER = ("Bank or card statement (*.ofx *.OFX *.qfx *.QFX *.xml *.XML *.csv "
                         "*.CSV *.txt);;All files (*)")

ConfirmFn = Callable[[QWidget, str, str], bool]
AskPathFn = Callable[[QWidget], Path | None]


def ask_yes_no(parent: QWidget, title: str, question: str) -> bool:
    """A modal Yes/No question (the pane's default `confirm`; tests inject their own)."""
    answer = QMessageBox.question(parent, title, question)
    return answer == QMessageBox.StandardButton.Yes


def ask_chart_file(parent: QWidget) -> Path | None:
    name, _ = QFileDialog.getOpenFileName(parent, "Import chart of accounts", "",
                                          CHART_FILE_FILTER)
    return Path(name) if name else None


def ask_statement_file(parent: QWidget) -> Path | None:
    name, _ = QFileDialog.getOpenFileName(parent, "Import bank or card statement", "",
                                          STATEMENT_FILE_FILTER)
    return Path(name) if name else None


def dropped_file(event: QDragEnterEvent | QDragMoveEvent | QDropEvent) -> Path | None:
    """The one local file a drag carries, or None (several files, a folder, a web link)."""
    mime = event.mimeData()
    if mime is None or not mime.hasUrls():
        return None
    files = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
    if len(files) != 1 or not Path(files[0]).is_file():
        return None
    return Path(files[0])


def bulk_message(action: BulkAction, result: BulkResult, labels: dict[int, str]) -> str:
    """"3 entries posted. 1 was not: entry JE-7 of 2026-03-01: …" — every refusal named."""
    verb = "approved" if action == "approve" else "posted"
    done = len(result.done)
    lines = [f"{done} entr{'y' if done == 1 else 'ies'} {verb}."]
    if result.refused:
        count = len(result.refused)
        lines.append(f"{count} {'was' if count == 1 else 'were'} not:")
        lines.extend(f"• {labels.get(r.entry_id, f'entry #{r.entry_id}')}: {r.reason}"
                     for r in result.refused)
    return "\n".join(lines)


class LedgerPane(QWidget):
    """See the module docstring. Construct as `LedgerPane(ctx)`."""

    chart_loaded = Signal(int)
    import_preview_ready = Signal(object)
    bulk_finished = Signal(object)
    entry_dialog_opened = Signal(object)
    details_loaded = Signal(object)

    def __init__(
        self,
        ctx: AppContext,
        source: LedgerSource | None = None,
        *,
        confirm: ConfirmFn = ask_yes_no,
        ask_path: AskPathFn = ask_chart_file,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("ledgerPane")
        self.ctx = ctx
        self.source: LedgerSource = source or ServicesLedgerSource(ctx.services)
        self._confirm = confirm
        self._ask_path = ask_path
        self._accounts: dict[int, Account] = {}
        self._company_id: int | None = None
        self.import_dialog: ImportPreviewDialog | None = None
        self.entry_dialog: EntryEditorDialog | None = None
        self.contacts_dialog: ContactsDialog | None = None
        self.help_dialog: QDialog | None = None
        self.account_dialog: AccountDialog | None = None
        self.trial_balance_dialog: TrialBalanceDialog | None = None
        self.statement_dialog: StatementImportDialog | None = None
        self.review_dialog: StatementReviewDialog | None = None
        self.bulk_report = ""
        self._read_error_shown = False
        self.setAcceptDrops(True)
        self._build()
        ctx.changes.changed.connect(self._on_changes)
        self._set_company(ctx.company_id)

    # --- layout ----------------------------------------------------------------------------------

    def _build(self) -> None:
        self.tree_model = AccountTreeModel()
        self.tree = QTreeView()
        self.tree.setObjectName("accountTree")
        self.tree.setModel(self.tree_model)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        # Code and balance are sized to their contents when the chart or a balance changes
        # (`_fit_tree_columns`), not by the header's ResizeToContents: that re-measures every
        # row on each `dataChanged`, 20 ms for a 45-account chart after a sync.
        header.setSectionResizeMode(CODE, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(BALANCE, QHeaderView.ResizeMode.Interactive)
        # The type column is fixed (names stay readable in a narrow window) but as wide as the
        # longest type label: at 112 px "Other current liability" read "Other current li…".
        header.setSectionResizeMode(TYPE, QHeaderView.ResizeMode.Interactive)
        metrics = self.tree.fontMetrics()
        self.tree.setColumnWidth(TYPE, max(metrics.horizontalAdvance(kind.label)
                                           for kind in AccountType) + 24)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.tree_fitter = ColumnFitter(self.tree, slack=4)  # the italic parents lean past
        self.tree.doubleClicked.connect(lambda _i: self.edit_selected_account())

        tree_bar = QToolBar()
        self.add_account_action = self._action(tree_bar, "Add account…", self.add_account,
                                               tip="Add an account under the selected one")
        self.edit_account_action = self._action(tree_bar, "Edit…", self.edit_selected_account)
        self.deactivate_action = self._action(tree_bar, "Deactivate",
                                              self.deactivate_selected_account)
        self.undo_import_action = self._action(tree_bar, "Undo last import…",
                                               self.undo_last_import)
        self.undo_import_action.setObjectName("undoImportAction")
        self._set_last_import("")
        self.undo_flow = ImportUndoFlow(self.ctx, self.source, self, self._say)
        self.show_inactive_check = QCheckBox("Show inactive")
        self.show_inactive_check.toggled.connect(self._show_inactive)
        tree_bar.addWidget(self.show_inactive_check)
        self.tree.selectionModel().currentChanged.connect(self._update_actions)
        # Right-click offers what the tool bar offers.
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.tree.addActions([self.add_account_action, self.edit_account_action,
                              self.deactivate_action, self.undo_import_action])

        chart_title = QLabel("<b>Chart of accounts</b>")
        self.drop_hint = QLabel("Drop a chart of accounts file (IIF, CSV or Excel) anywhere here "
                                "to import it.")
        self.drop_hint.setObjectName("dropHint")
        self.drop_hint.setWordWrap(True)
        self.drop_hint.setEnabled(False)
        left = QWidget()
        left.setMinimumWidth(400)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(chart_title)
        left_layout.addWidget(tree_bar)
        left_layout.addWidget(self.tree, 1)
        left_layout.addWidget(self.drop_hint)

        self.entry_model = EntryTableModel(
            CompanyEntrySource(self.source, 0), self.ctx.jobs)
        self.table = QTableView()
        self.table.setObjectName("entryTable")
        self.table.setModel(self.entry_model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.DescendingOrder)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for column, width in enumerate((96, 96, 0, 48, 110, 84, 78)):
            if width:
                self.table.setColumnWidth(column, width)
        # Double-click, Enter or Return opens the entry.
        self.table.activated.connect(self._open_index)
        self.entry_model.ids_loaded.connect(self._entries_loaded)
        self.entry_model.load_failed.connect(self._entries_failed)
        self._place_keeper = PlaceKeeper(self.table, self.entry_model)

        entry_bar = QToolBar()
        self.new_entry_action = self._action(entry_bar, "New entry…", self.new_entry,
                                             shortcut=QKeySequence.StandardKey.New)
        self.open_entry_action = self._action(entry_bar, "Open", self.open_selected_entry)
        entry_bar.addSeparator()
        self.approve_action = self._action(entry_bar, "Approve selected",
                                           lambda: self.bulk_selected("approve"),
                                           tip="Approve the selected draft entries",
                                           shortcut=QKeySequence("Ctrl+Shift+A"))
        self.post_action = self._action(entry_bar, "Post selected",
                                        lambda: self.bulk_selected("post"),
                                        tip="Post the selected approved entries",
                                        shortcut=QKeySequence("Ctrl+Shift+P"))
        entry_bar.addSeparator()
        self.trial_balance_action = self._action(entry_bar, "Trial balance",
                                                 self.open_trial_balance,
                                                 shortcut=QKeySequence("Ctrl+T"))
        self.find_action = QAction("Find entries", self)
        self.find_action.setShortcut(QKeySequence.StandardKey.Find)
        self.find_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.find_action.triggered.connect(lambda _checked=False: self._focus_search())
        self.addAction(self.find_action)
        self.import_action = self._action(entry_bar, "Import chart…",
                                          self.open_import_dialog)
        self.contacts_action = self._action(entry_bar, "Contacts…", self.open_contacts,
                                            tip="The company's customers and suppliers")
        self.help_action = self._action(entry_bar, "Help", self.show_help,
                                        tip="What each entry becomes at QBO and Xero, and why "
                                            "one may wait")
        self.table.selectionModel().selectionChanged.connect(self._update_actions)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.table.addActions([self.open_entry_action, self.approve_action, self.post_action])

        self.filter_bar = EntryFilterBar()
        self.filter_bar.filter_changed.connect(self.entry_model.set_filter)
        self.count_label = QLabel()
        self.count_label.setObjectName("countLabel")
        self.message_label = QLabel()
        self.message_label.setObjectName("messageLabel")
        self.message_label.setWordWrap(True)
        self.details_label = EntryDetailsLabel()
        self._details_timer = QTimer(self)
        self._details_timer.setSingleShot(True)
        self._details_timer.setInterval(DETAILS_DELAY_MS)
        self._details_timer.timeout.connect(self.read_details)
        self.table.selectionModel().currentRowChanged.connect(self._details_timer.start)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        title_row = QHBoxLayout()
        title_row.addWidget(QLabel("<b>Journal entries</b>"))
        title_row.addStretch()
        title_row.addWidget(self.count_label)
        right_layout.addLayout(title_row)
        right_layout.addWidget(entry_bar)
        right_layout.addWidget(self.filter_bar)
        right_layout.addWidget(self.table, 1)
        right_layout.addWidget(self.details_label)
        right_layout.addWidget(self.message_label)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([440, 760])
        # No company open: say so, with buttons to create one or open the sample (the main
        # window connects them to the company switcher).
        self.no_company = NoCompanyPanel()
        self.empty_label = self.no_company.label
        layout = QVBoxLayout(self)
        layout.addWidget(self.no_company)
        layout.addWidget(self.splitter, 1)

    def _action(
        self, bar: QToolBar, text: str, slot: Callable[[], object], *, tip: str = "",
        shortcut: QKeySequence | QKeySequence.StandardKey | None = None,
    ) -> QAction:
        action = QAction(text, self)
        action.triggered.connect(lambda _checked=False: slot())
        if tip:
            action.setToolTip(tip)
        if shortcut is not None:
            action.setShortcut(shortcut)
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            action.setToolTip(f"{tip or text} ({keys})")
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)
        bar.addAction(action)
        return action

    # --- company and changes ---------------------------------------------------------------------

    @property
    def company_id(self) -> int | None:
        return self._company_id

    def _set_company(self, company_id: int | None) -> None:
        self._company_id = company_id
        has_company = company_id is not None
        self.no_company.setVisible(not has_company)
        self.splitter.setVisible(has_company)
        for action in (self.new_entry_action, self.trial_balance_action, self.import_action,
                       self.add_account_action, self.contacts_action):
            action.setEnabled(has_company)
        self._accounts = {}
        self._set_last_import("")  # until the company's chart says
        self.filter_bar.forget_accounts()
        if company_id is None:
            self.tree_model.set_accounts([])
            return
        self.entry_model = self._new_entry_model(company_id)
        self.reload_chart()

    def _new_entry_model(self, company_id: int) -> EntryTableModel:
        old = self.entry_model
        model = EntryTableModel(CompanyEntrySource(self.source, company_id), self.ctx.jobs)
        model.ids_loaded.connect(self._entries_loaded)
        model.load_failed.connect(self._entries_failed)
        self.filter_bar.filter_changed.disconnect(old.set_filter)
        self.filter_bar.filter_changed.connect(model.set_filter)
        self.table.setModel(model)
        self.table.selectionModel().selectionChanged.connect(self._update_actions)
        self.table.selectionModel().currentRowChanged.connect(self._details_timer.start)
        self.details_label.show_details(None)
        self._place_keeper.deleteLater()
        self._place_keeper = PlaceKeeper(self.table, model)
        old.deleteLater()
        header = self.table.horizontalHeader()
        model.set_query(self.filter_bar.current_filter(),
                        self._sort_from_header(header.sortIndicatorSection(),
                                               header.sortIndicatorOrder()))
        return model

    @staticmethod
    def _sort_from_header(section: int, order: Qt.SortOrder) -> SortSpec:
        key = COLUMNS[section].sort_key if 0 <= section < len(COLUMNS) else None
        return SortSpec(key or "date", order == Qt.SortOrder.DescendingOrder)

    def _on_changes(self, changes: Changes) -> None:
        if changes.company:
            if self.ctx.company_id != self._company_id:
                self._set_company(self.ctx.company_id)
            return
        if self._company_id is None:
            return
        if changes.accounts or changes.entries:
            self.reload_chart()  # balances follow the entries
        if changes.entries or changes.accounts:
            self.entry_model.refresh(self.visible_rows())
        if changes.contacts and not (changes.accounts or changes.entries):
            self.reload_chart()  # it brings the contact filter's names
        if changes.entries or changes.sync_runs:
            self._details_timer.start()  # its contacts or its waiting reason may have changed

    def visible_rows(self) -> range:
        """The entry rows the table has room for from its first row shown (whether or not the
        pane is on screen; rows past the end count too: after a refresh there may be rows
        there). A refresh re-reads their pages with the ids, so they never flash "Loading…"."""
        top = max(0, self.table.rowAt(0))
        room = self.table.viewport().height() // max(1, self.table.verticalHeader()
                                                      .defaultSectionSize())
        return range(top, top + room + 1)

    # --- chart of accounts -----------------------------------------------------------------------

    def reload_chart(self) -> None:
        company_id = self._company_id
        if company_id is None:
            return
        self.ctx.jobs.run(
            lambda _p: self.source.chart(company_id),
            lane="db", owner=self,
            title="Reading the chart of accounts",
            on_done=lambda chart: self._chart_arrived(company_id, chart),
            on_error=lambda error: self.ctx.show_error(error, self),
        )

    def _chart_arrived(self, company_id: int, chart: ChartSnapshot) -> None:
        if company_id != self._company_id:
            return
        self.filter_bar.set_contacts(chart.contacts)
        self._set_last_import(chart.last_import)
        first = not self._accounts
        if not first and self.tree_model.update_balances(chart.accounts, chart.balances):
            self._fit_tree_columns(BALANCE)
            self.chart_loaded.emit(len(chart.accounts))  # the same chart: nothing else to redo
            return
        state = AccountTreeState.capture(self.tree, self.tree_model)
        self._accounts = {a.id: a for a in chart.accounts if a.id is not None}
        self.tree_model.set_accounts(chart.accounts, chart.balances)
        if first:  # the top level opened (parents only: see `AccountTreeState.restore`)
            for row in range(self.tree_model.rowCount()):
                index = self.tree_model.index(row, 0)
                if self.tree_model.hasChildren(index):
                    self.tree.setExpanded(index, True)
        else:
            state.restore(self.tree, self.tree_model)
        self._fit_tree_columns()
        self.filter_bar.set_accounts([a for a in chart.accounts if a.active])
        self._update_actions()
        self.chart_loaded.emit(len(chart.accounts))

    @property
    def accounts(self) -> dict[int, Account]:
        return dict(self._accounts)

    def selected_account(self) -> Account | None:
        return self.tree_model.account(self.tree.currentIndex())

    def _show_inactive(self, show: bool) -> None:
        state = AccountTreeState.capture(self.tree, self.tree_model)
        self.tree_model.set_show_inactive(show)
        state.restore(self.tree, self.tree_model)
        self._fit_tree_columns()

    def _fit_tree_columns(self, *columns: int) -> None:
        """Size the code and balance columns (or `columns`) to their widest text, from font
        metrics: a few µs a row, where the view's own measuring (`resizeColumnToContents`, or
        the header's ResizeToContents) asks the model for every role of every row, 10-20 ms
        for a 45-account chart, which after a sync ran beside the entry table's repaint."""
        for column in columns or (CODE, BALANCE):
            self.tree_fitter.fit(column, self.tree_model.column_texts(column))

    def add_account(self) -> None:
        if self._company_id is None:
            return
        current = self.tree.currentIndex()
        parent_name = current.siblingAtColumn(0).data(FULL_NAME_ROLE) if current.isValid() else None
        self._open_account_dialog(AccountDialog(list(self._accounts.values()),
                                                parent_full_name=parent_name, parent=self))

    def edit_selected_account(self) -> None:
        account = self.selected_account()
        if account is not None:
            self._open_account_dialog(AccountDialog(list(self._accounts.values()), account,
                                                    parent=self))

    def _open_account_dialog(self, dialog: AccountDialog) -> None:
        self.account_dialog = dialog
        company_id = self._company_id
        assert company_id is not None

        def save(account: Account) -> None:
            dialog.set_busy(True)
            self.ctx.jobs.run(
                lambda _p: self.source.save_account(company_id, account),
                lane="db", owner=self,
                title="Saving the account",
                on_done=lambda changes: self._dialog_done(dialog, changes),
                on_error=lambda error: self._dialog_failed(dialog, error),
            )

        dialog.save_requested.connect(save)
        dialog.open()

    def deactivate_selected_account(self) -> None:
        account, company_id = self.selected_account(), self._company_id
        if account is None or account.id is None or company_id is None or not account.active:
            return
        account_id = account.id
        if not self._confirm(self, "Deactivate account",
                             f"Deactivate {describe_account(account)}? It stays in past entries "
                             "but cannot be used in new ones."):
            return
        self.ctx.jobs.run(
            lambda _p: self.source.deactivate_account(company_id, account_id),
            lane="db", owner=self,
            title="Deactivating the account", on_done=self.ctx.notify,
            on_error=lambda error: self.ctx.show_error(error, self),
        )

    # --- undoing the last chart import -----------------------------------------------------------

    def _set_last_import(self, label: str) -> None:
        """Enable Undo last import for `label` ("chart.iif from 3 Dec 14:02"), or disable it
        with the reason when there is no import to undo."""
        self.undo_import_action.setEnabled(bool(label) and self._company_id is not None)
        self.undo_import_action.setToolTip(
            f"Undo the import of {label}: remove the accounts it added that nothing uses yet "
            "and restore the ones it changed" if label
            else "There is no chart import to undo (imports are undone newest first)")

    def undo_last_import(self) -> None:
        """Preview undoing the last chart import, then undo it if the user confirms. The main
        window's File → Undo Last Chart Import calls this."""
        if self._company_id is not None:
            self.undo_flow.start(self._company_id)

    def _say(self, text: str) -> None:
        """What was done, on the pane's message line and in the window's status bar."""
        self.message_label.setText(text)
        window = self.window()
        if isinstance(window, QMainWindow):
            if text:
                window.statusBar().showMessage(text, 10000)
            else:  # a "Reading…" of a moment ago must not stay after the preview opens
                window.statusBar().clearMessage()

    # --- chart import ----------------------------------------------------------------------------

    @override
    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:  # light or dark mode switched
            self.tree_model.follow_palette()
        super().changeEvent(event)

    @override
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._company_id is not None and dropped_file(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    @override
    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._company_id is not None and dropped_file(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    @override
    def dropEvent(self, event: QDropEvent) -> None:
        path = dropped_file(event)
        if self._company_id is None or path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        if looks_like_statement(path):
            self.open_statement_import(path)
        else:
            self.open_import_dialog(path)

    # --- statements ------------------------------------------------------------------------------

    def open_statement_import(self, path: Path | str | None = None) -> None:
        """Preview a bank or card statement (asking for one when `path` is None), import it,
        then open the review. The main window's File → Import Statement calls this."""
        company_id = self._company_id
        if company_id is None:
            return
        chosen = Path(path) if path is not None else ask_statement_file(self)
        if chosen is None:
            return
        dialog = StatementImportDialog(self.ctx, company_id, chosen, self)
        self.statement_dialog = dialog
        dialog.imported.connect(lambda _outcome: self.open_statement_review())
        dialog.open()
        dialog.start()

    def open_statement_review(self) -> None:
        """The review of the statement lines waiting for the user (keyboard first)."""
        company_id = self._company_id
        if company_id is None:
            return
        dialog = StatementReviewDialog(self.ctx, company_id, self)
        self.review_dialog = dialog
        dialog.open()
        dialog.reload()

    def open_import_dialog(self, path: Path | str | None = None) -> None:
        """Read a chart-of-accounts file (asking for one when `path` is None) and show its preview.
        The main window's File → Import calls this."""
        company_id = self._company_id
        if company_id is None:
            return
        chosen = Path(path) if path is not None else self._ask_path(self)
        if chosen is None:
            return
        self.message_label.setText(f"Reading {chosen.name}…")
        self.ctx.jobs.run(
            lambda _p: self.source.preview_import(company_id, chosen),
            lane="db", owner=self,
            title=f"Reading {chosen.name}",
            on_done=lambda preview: self._show_preview(company_id, preview),
            on_error=self._preview_failed,
        )

    def _preview_failed(self, error: BaseException) -> None:
        self.message_label.setText("")
        self.ctx.show_error(error, self)

    def _show_preview(self, company_id: int, preview: PreparedImport) -> None:
        self.message_label.setText("")
        dialog = ImportPreviewDialog(preview.summary, self)
        self.import_dialog = dialog

        def apply() -> None:
            job = self.ctx.jobs.run(
                lambda progress: self.source.apply_import(company_id, preview, progress),
                lane="db", owner=self, title="Importing the chart of accounts",
                on_done=lambda changes: self._import_done(dialog, changes),
                on_error=lambda error: self._import_failed(dialog, error),
            )
            job.progressed.connect(lambda snapshot: self._import_progress(dialog, snapshot))
            dialog.cancel_requested.connect(job.cancel)

        dialog.apply_requested.connect(apply)
        dialog.open()
        self.import_preview_ready.emit(dialog)

    @staticmethod
    def _import_progress(dialog: ImportPreviewDialog, snapshot: ProgressSnapshot) -> None:
        if is_alive(dialog):
            dialog.show_progress(snapshot)

    def _import_done(self, dialog: ImportPreviewDialog, changes: Changes) -> None:
        summary = dialog.summary
        if is_alive(dialog):
            dialog.finish()
        self.message_label.setText(f"Imported {summary.file_name}: {summary.done_sentence()}.")
        self.ctx.notify(changes)

    def _import_failed(self, dialog: ImportPreviewDialog, error: BaseException) -> None:
        if not is_alive(dialog):
            self.ctx.show_error(error, self)
            return
        if isinstance(error, Cancelled):
            dialog.fail("Cancelled; nothing was imported.")
            return
        dialog.fail("Nothing was imported.")
        self.ctx.show_error(error, dialog)

    # --- entries ---------------------------------------------------------------------------------

    def _entries_loaded(self, count: int) -> None:
        self._read_error_shown = False
        self.count_label.setText(f"{count:,} entr{'y' if count == 1 else 'ies'}")
        self._update_actions()

    def _entries_failed(self, error: BaseException) -> None:
        """One dialog per failing read, not one per page the view asks for while the database
        is locked or gone; the next successful read re-arms it."""
        self.count_label.setText("Entries could not be read")
        if not self._read_error_shown:
            self._read_error_shown = True
            self.ctx.show_error(error, self)

    def selected_entry_ids(self) -> list[int]:
        """Ids of the selected rows, in table order, loaded or not. Read from the selection's
        ranges: select-all on 100k rows is one range, not 100k indexes."""
        rows: set[int] = set()
        selection = self.table.selectionModel().selection()
        for number in range(selection.count()):
            selected = selection.at(number)
            rows.update(range(selected.top(), selected.bottom() + 1))
        return self.entry_model.entry_ids(sorted(rows))

    def _open_index(self, index: QModelIndex | QPersistentModelIndex) -> None:
        if index.isValid():
            self.open_entry(self.entry_model.entry_id(index.row()))

    def open_selected_entry(self) -> None:
        ids = self.selected_entry_ids()
        if ids:
            self.open_entry(ids[0])

    def new_entry(self) -> None:
        if self._company_id is not None:
            self._open_entry_dialog(None)

    def open_entry(self, entry_id: int) -> None:
        company_id = self._company_id
        if company_id is None:
            return
        self.ctx.jobs.run(
            lambda _p: self.source.entry(company_id, entry_id),
            lane="db", owner=self,
            title="Opening the entry", on_done=self._open_entry_dialog,
            on_error=lambda error: self.ctx.show_error(error, self),
        )

    def _open_entry_dialog(self, entry: JournalEntry | None) -> None:
        company_id = self._company_id
        if company_id is None:
            return
        dialog = EntryEditorDialog(self._accounts, entry, parent=self)
        self.entry_dialog = dialog

        def save(edited: JournalEntry, status: EntryStatus) -> None:
            waiting = dialog.contact_problems()
            if status is EntryStatus.APPROVED and waiting and not self._confirm(
                    dialog, "Approve entry", "Approve it anyway? It will not be sent to QBO or "
                    "Xero until this is fixed:\n\n" + "\n".join(waiting)):
                return
            dialog.set_busy(True)
            self.ctx.jobs.run(
                lambda _p: self.source.save_entry(company_id, edited, status),
                lane="db", owner=self,
                title="Saving the entry",
                on_done=lambda changes: self._dialog_done(dialog, changes),
                on_error=lambda error: self._dialog_failed(dialog, error),
            )

        def void(original: JournalEntry) -> None:
            if original.id is None or not self._confirm(
                    dialog, "Void entry", f"Void {original.label}? It stays in the books as "
                    "void and no longer counts in any balance."):
                return
            entry_id = original.id
            dialog.set_busy(True)
            self.ctx.jobs.run(
                lambda _p: self.source.void_entry(company_id, entry_id),
                lane="db", owner=self,
                title="Voiding the entry",
                on_done=lambda changes: self._dialog_done(dialog, changes),
                on_error=lambda error: self._dialog_failed(dialog, error),
            )

        dialog.save_requested.connect(save)
        dialog.void_requested.connect(void)
        dialog.open()
        if not dialog.read_only:
            self.ctx.jobs.run(
                lambda _p: self.source.entry_lookups(company_id),
                lane="db", owner=dialog, title="Reading contacts and tax codes",
                on_done=lambda found: dialog.set_lookups(found.contacts, found.tax_codes),
                on_error=lambda _error: None,  # the completers stay as they are; typing works
            )
        self.entry_dialog_opened.emit(dialog)

    def _dialog_done(self, dialog: EntryEditorDialog | AccountDialog, changes: Changes) -> None:
        if is_alive(dialog):
            dialog.set_busy(False)
            dialog.accept()
        self.ctx.notify(changes)

    def _dialog_failed(self, dialog: EntryEditorDialog | AccountDialog,
                       error: BaseException) -> None:
        if is_alive(dialog):
            dialog.set_busy(False)
        self.ctx.show_error(error, dialog if is_alive(dialog) else self)

    def bulk_selected(self, action: BulkAction) -> None:
        """Approve or post every selected entry; each refusal is reported by entry."""
        company_id, ids = self._company_id, self.selected_entry_ids()
        if company_id is None or not ids:
            return
        labels = self._labels(ids)
        verb = "Approving" if action == "approve" else "Posting"
        self.message_label.setText(f"{verb} {len(ids):,} entries…")
        source = self.source

        def run(_progress: object) -> tuple[BulkResult, dict[int, list[str]]]:
            result = source.bulk(company_id, action, ids)
            return result, source.contact_problems(company_id, result.done)

        self.ctx.jobs.run(
            run, lane="db", owner=self,
            title=f"{verb} {len(ids):,} entries",
            on_done=lambda done: self._bulk_done(action, done[0], labels, done[1]),
            on_error=self._bulk_failed,
        )

    def _labels(self, ids: Sequence[int]) -> dict[int, str]:
        """How each entry is named in a report: its number and date when its row is loaded."""
        labels: dict[int, str] = {}
        for entry_id in ids:
            row_number = self.entry_model.row_of(entry_id)
            row = self.entry_model.loaded_row(row_number) if row_number is not None else None
            if row is not None:
                name = f"entry {row.number}" if row.number else f"entry #{entry_id}"
                labels[entry_id] = f"{name} of {row.date.isoformat()}" if row.date else name
        return labels

    def _bulk_done(self, action: BulkAction, result: BulkResult, labels: dict[int, str],
                   held: dict[int, list[str]] | None = None) -> None:
        self.bulk_report = bulk_message(action, result, labels)
        waiting = held_message(held or {}, labels)
        self.message_label.setText(
            (self.bulk_report.splitlines()[0] if result.ok
             else self.bulk_report.replace("\n", "  "))
            + ("  " + waiting.replace("\n", "  ") if waiting else ""))
        if waiting:
            self.bulk_report += "\n" + waiting
        if not result.ok:
            box = QMessageBox(QMessageBox.Icon.Warning, "Some entries were not changed",
                              self.bulk_report, QMessageBox.StandardButton.Ok, self)
            box.setObjectName("bulkReport")
            box.open()
        self.ctx.notify(result.changes)
        self.bulk_finished.emit(result)

    def _bulk_failed(self, error: BaseException) -> None:
        self.message_label.setText("")
        self.ctx.show_error(error, self)

    def open_trial_balance(self) -> None:
        company_id = self._company_id
        if company_id is None:
            return
        source = self.source

        def load(as_of: dt.date | None, approved: bool) -> Any:
            return source.trial_balance(company_id, as_of, include_approved=approved)

        dialog = TrialBalanceDialog(self.ctx.jobs, load,
                                    on_error=lambda error: self.ctx.show_error(error, dialog),
                                    parent=self)
        self.trial_balance_dialog = dialog
        dialog.open()

    def _focus_search(self) -> None:
        self.filter_bar.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_bar.search_edit.selectAll()

    def set_entry_filter(self, entry_filter: EntryFilter) -> None:
        """Show entries matching `entry_filter` (the filter bar follows)."""
        self.filter_bar.set_filter(entry_filter)

    # --- enabling ---------------------------------------------------------------------------------

    def open_contacts(self) -> None:
        """The company's Contacts list."""
        if self._company_id is None:
            return
        dialog = ContactsDialog(self.ctx, self.source, self._company_id, parent=self)
        self.contacts_dialog = dialog
        dialog.open()

    def show_help(self) -> None:
        self.help_dialog = show_ledger_help(self)

    def read_details(self) -> None:
        """Read the details of the current entry (its contacts, why it waits) in a job."""
        company_id = self._company_id
        index = self.table.currentIndex()
        if company_id is None or not index.isValid():
            self.details_label.show_details(None)
            return
        entry_id = self.entry_model.entry_id(index.row())

        def arrived(details: EntryDetails) -> None:
            current = self.table.currentIndex()
            if current.isValid() and self.entry_model.entry_id(current.row()) == entry_id:
                self.details_label.show_details(details)
                self.details_loaded.emit(details)

        self.ctx.jobs.run(
            lambda _p: self.source.entry_details(company_id, entry_id),
            lane="db", owner=self, title="Reading the entry's details",
            on_done=arrived,
            on_error=lambda _error: self.details_label.show_details(None),
        )

    def _update_actions(self, *_args: object) -> None:
        account = self.selected_account()
        self.edit_account_action.setEnabled(account is not None)
        self.deactivate_action.setEnabled(account is not None and account.active)
        selected = bool(self._company_id is not None and self.table.selectionModel()
                        and self.table.selectionModel().hasSelection())
        for action in (self.open_entry_action, self.approve_action, self.post_action):
            action.setEnabled(selected)
