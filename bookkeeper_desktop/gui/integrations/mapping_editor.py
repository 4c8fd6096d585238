"""The account-mapping editor of the Integrations pane: our accounts beside the provider's, with
proposals marked and what to check before confirming.

Every row can be confirmed, rejected or cleared, mapped by hand to any remote account (Map to…,
a double-click, Enter or the context menu open the picker), or sent as "Create in QuickBooks
Online / Xero"; "Create all missing" does that for every unmapped account. Confirming a proposal
with a warning (type differs, names differ) asks first. The editor only says what the user
wants (signals); the pane reads and writes through its source in jobs.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from typing import ClassVar

from PySide6.QtCore import (
    QPoint,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from bookkeeper_desktop.gui.column_widths import ColumnFitter
from bookkeeper_desktop.gui.empty_state import empty_label
from bookkeeper_desktop.gui.integrations.models import (
    FILTER_WANTED,
    FilterRole,
    MappingColumn,
    MappingTableModel,
    RowRole,
    SortRole,
)
from bookkeeper_desktop.gui.integrations.state import MappingRow, MappingState
from bookkeeper_desktop.gui.table_model import SelectionKeeper
from bookkeeper_desktop.providers.config import Provider


class _RowFilter(QSortFilterProxyModel):
    """Sorts by `SortRole`; optionally keeps only proposals and conflicts.

    Both in C++ (`FilterRole` on the model's first column): no Python call per row or cell,
    so re-sorting and repainting never wait for the GIL (see `MappingTableModel`). Which rows
    are shown is decided here only: the editor reads them back (`shown_rows`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SortRole)
        self.setFilterRole(FilterRole)
        self.setFilterKeyColumn(0)

    def set_only_proposed(self, only: bool) -> None:
        self.setFilterFixedString(FILTER_WANTED if only else "")

    def shown_rows(self) -> list[int]:
        """The model's rows the filter keeps, in the table's order."""
        return [self.mapToSource(self.index(row, 0)).row() for row in range(self.rowCount())]


class _MappingTable(QTableView):
    """Enter on a row opens the picker, as a double-click does."""

    activated_by_key = Signal()

    @override
    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.activated_by_key.emit()
            return
        super().keyPressEvent(event)


class MappingEditor(QWidget):
    """Our accounts beside the remote ones for one provider; proposals marked.

    Signals:
        state_change_requested(object, object): (MappingRow, MappingState) chosen by the user
            (Confirm of an exact proposal, Reject, Clear).
        confirm_accepted(object): a MappingRow whose proposal differs from our account, which
            the user confirmed after being asked.
        pick_requested(object): "Map to…" for this MappingRow.
        create_requested(object, object): (Provider, list of account ids, or None for every
            unmapped account) to create at the provider.
        auto_confirm_changed(object, bool): the user turned "Confirm exact matches on their
            own" on or off for this Provider.
    """

    state_change_requested = Signal(object, object)
    auto_confirm_changed = Signal(object, bool)
    confirm_accepted = Signal(object)
    pick_requested = Signal(object)
    create_requested = Signal(object, object)

    EMPTY_TEXT = ("No account mappings yet.\n\nConnect to QuickBooks Online or Xero and press "
                  "Sync Now: the remote chart of accounts is pulled and each of our accounts is "
                  "matched by number and type, then by name. Exact matches are confirmed; the "
                  "others appear here for you to check.")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.provider_combo = QComboBox()
        for provider in Provider:
            self.provider_combo.addItem(provider.display_name, provider.value)
        self.only_proposed = QCheckBox("Only proposals and conflicts")
        self.auto_confirm = QCheckBox("Confirm exact matches on their own")
        self.auto_confirm.setObjectName("autoConfirmCheck")
        self.auto_confirm.setToolTip(
            "At each sync, a proposal with the same number or name and the same type is "
            "confirmed without asking; the others wait for you here.")
        self._auto_confirm: dict[Provider, bool] = {}
        self.summary = QLabel()
        self.confirm_button = QPushButton("Confirm")
        self.confirm_button.setToolTip("Use the proposed remote account for this account")
        self.reject_button = QPushButton("Reject")
        self.reject_button.setToolTip("Do not use this proposal, or clear this mapping")
        self.pick_button = QPushButton("Map to…")
        self.pick_button.setObjectName("mapToButton")
        self.pick_button.setToolTip("Choose the remote account for this account (Enter or "
                                    "double-click a row)")
        self.create_button = QPushButton("Create in…")
        self.create_button.setObjectName("createRemoteButton")
        self.create_all_button = QPushButton("Create all missing…")
        self.create_all_button.setObjectName("createAllMissingButton")
        self.model = MappingTableModel(self)
        self.proxy = _RowFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = _MappingTable()
        self.table.setObjectName("mappingTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(MappingColumn.CODE, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        # One line per account: wrapped names made rows of uneven height, hard to scan.
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(
            MappingColumn.ACCOUNT, QHeaderView.ResizeMode.Interactive)
        self.fitter = ColumnFitter(self.table)
        #: After new rows (a sync, a Confirm), the accounts that were selected stay selected
        #: and the current one current, wherever the sort puts them now.
        self._keeper = SelectionKeeper(self.table, self._account_id_at)
        self.empty = empty_label(self.EMPTY_TEXT, "mappingEmpty")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.table)
        #: The open "confirm proposals that differ?" question, or None.
        self.confirm_box: QMessageBox | None = None

        top = QHBoxLayout()
        top.addWidget(QLabel("Provider:"))
        top.addWidget(self.provider_combo)
        top.addWidget(self.only_proposed)
        top.addWidget(self.auto_confirm)
        top.addStretch(1)
        top.addWidget(self.summary)
        actions = QHBoxLayout()
        actions.addStretch(1)
        for button in (self.confirm_button, self.reject_button, self.pick_button,
                       self.create_button, self.create_all_button):
            actions.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(actions)
        layout.addWidget(self.stack, 1)

        self._rows: dict[Provider, list[MappingRow]] = {p: [] for p in Provider}
        #: The provider whose rows the table holds.
        self._shown = self.provider
        self.provider_combo.currentIndexChanged.connect(self._show_provider)
        self.only_proposed.toggled.connect(self.proxy.set_only_proposed)
        self.auto_confirm.clicked.connect(
            lambda on: self.auto_confirm_changed.emit(self.provider, bool(on)))
        self.confirm_button.clicked.connect(self.confirm_selected)
        self.reject_button.clicked.connect(lambda: self._request(MappingState.REJECTED))
        self.pick_button.clicked.connect(self._pick_current)
        self.create_button.clicked.connect(self._create_selected)
        self.create_all_button.clicked.connect(
            lambda: self.create_requested.emit(self.provider, None))
        self.table.doubleClicked.connect(lambda _index: self._pick_current())
        self.table.activated_by_key.connect(self._pick_current)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self._show_provider()

    @property
    def provider(self) -> Provider:
        # The combo holds the code: Qt keeps a str subclass (the enum) as a plain string.
        data = self.provider_combo.currentData()
        return Provider(data) if data in tuple(Provider) else Provider.QBO

    def set_rows(self, rows: dict[Provider, list[MappingRow]],
                 auto_confirm: dict[Provider, bool] | None = None) -> None:
        self._rows = {p: list(rows.get(p, [])) for p in Provider}
        if auto_confirm is not None:
            self._auto_confirm = dict(auto_confirm)
        self._show_provider()

    def selected_rows(self) -> list[MappingRow]:
        rows: list[MappingRow] = []
        for index in self.table.selectionModel().selectedRows():
            row = self.proxy.data(index, RowRole)
            if isinstance(row, MappingRow):
                rows.append(row)
        return rows

    def current_row(self) -> MappingRow | None:
        row = self.proxy.data(self.table.currentIndex().siblingAtColumn(0), RowRole)
        return row if isinstance(row, MappingRow) else None

    def _show_provider(self) -> None:
        rows = self._rows[self.provider]
        changed = rows != self.model.rows()
        if changed:
            # The same provider's rows refreshed: the user's choice stays (not across a switch
            # of provider, where the same accounts would be another set of mappings).
            with self._keeper.kept() if self.provider is self._shown else nullcontext():
                self.model.set_rows(rows)
            if rows:
                self._fit_columns()
        self._shown = self.provider
        self.stack.setCurrentWidget(self.table if rows else self.empty)
        proposed = sum(1 for r in rows if r.state is MappingState.PROPOSED)
        confirmed = sum(1 for r in rows if r.state is MappingState.CONFIRMED)
        conflicts = sum(1 for r in rows if r.state is MappingState.CONFLICT)
        unmapped = sum(1 for r in rows if r.state is MappingState.UNMAPPED)
        text = f"{confirmed} confirmed, {proposed} proposed" if rows else ""
        if conflicts:
            text += f", {conflicts} in conflict"
        if unmapped:
            text += f", {unmapped} not mapped"
        self.summary.setText(text)
        self.auto_confirm.setChecked(self._auto_confirm.get(self.provider, True))
        title = self.provider.display_name
        self.create_button.setText(f"Create in {title}…")
        self.create_button.setToolTip(f"Create the selected accounts in {title} with our names "
                                      "and numbers, and map them (a preview comes first)")
        self.create_all_button.setToolTip(f"Create every account that is not mapped in {title} "
                                          "(a preview comes first)")
        self.create_all_button.setEnabled(bool(unmapped))
        self._update_buttons()

    def _account_id_at(self, row: int) -> int | None:
        """The account of a row as the table shows it (sorted, filtered)."""
        value = self.proxy.data(self.proxy.index(row, 0), RowRole)
        return value.account_id if isinstance(value, MappingRow) else None

    #: Widest a name column opens at (the rest is elided in the middle; the tooltip has all).
    NAME_WIDTH = 220

    #: Columns opened at most this wide, the rest elided (the tooltip has the whole text).
    CAPPED: ClassVar[dict[MappingColumn, int]] = {
        MappingColumn.ACCOUNT: NAME_WIDTH, MappingColumn.REMOTE_NAME: NAME_WIDTH,
        MappingColumn.TYPE: NAME_WIDTH * 3 // 4, MappingColumn.REMOTE_CODE: NAME_WIDTH * 3 // 4,
        MappingColumn.REASON: NAME_WIDTH * 3 // 4}

    def _fit_columns(self) -> None:
        """Every column as wide as its widest text among the rows shown (`ColumnFitter`: from
        font metrics, as the table itself would size them, but without measuring each cell
        through the model, 35–57 ms after a sync), the names and reasons capped.

        The last column stretches: as before, it takes what the others leave once a cap
        narrowed one of them (its text elided), and its own width otherwise."""
        shown = self.proxy.shown_rows()
        header = self.table.horizontalHeader()
        *columns, last = MappingColumn
        for column in columns:
            plain, bold = self.model.column_texts(column, shown)
            self.fitter.fit(column, plain, bold=bold)
        capped = False
        for column, most in self.CAPPED.items():
            if header.sectionSize(column) > most:
                header.resizeSection(column, most)
                capped = True
        if not capped:
            plain, bold = self.model.column_texts(last, shown)
            self.fitter.fit(last, plain, bold=bold)

    def _update_buttons(self) -> None:
        selected = self.selected_rows()
        self.confirm_button.setEnabled(any(
            r.state is not MappingState.CONFIRMED and r.has_remote for r in selected))
        self.reject_button.setEnabled(any(r.has_remote for r in selected))
        self.reject_button.setText("Clear" if selected and all(
            r.state is MappingState.CONFIRMED for r in selected) else "Reject")
        self.pick_button.setEnabled(len(selected) == 1)
        self.create_button.setEnabled(any(
            r.state is not MappingState.CONFIRMED for r in selected))

    def _request(self, state: MappingState) -> None:
        for row in self.selected_rows():
            if row.has_remote:
                self.state_change_requested.emit(row, state)

    def confirm_selected(self) -> None:
        """Confirm the selected proposals; those that differ from our account are confirmed
        only after the user says so (a window-modal question, not blocking)."""
        chosen = [r for r in self.selected_rows()
                  if r.state is not MappingState.CONFIRMED and r.has_remote]
        flagged = [r for r in chosen if r.warning]
        for row in chosen:
            if not row.warning:
                self.state_change_requested.emit(row, MappingState.CONFIRMED)
        if flagged:
            self._ask_to_confirm(flagged)

    def _ask_to_confirm(self, flagged: Sequence[MappingRow]) -> None:
        lines = "\n".join(f"• {r.account_name} → {r.remote_name}: {r.warning}"
                          for r in flagged[:12])
        if len(flagged) > 12:
            lines += f"\n… and {len(flagged) - 12} more"
        box = QMessageBox(QMessageBox.Icon.Warning, "Confirm mappings that differ?",
                          f"{len(flagged)} proposal(s) differ from our account:",
                          QMessageBox.StandardButton.Cancel, self)
        box.setObjectName("confirmFlagged")
        box.setInformativeText(f"{lines}\n\nEntries on these accounts will be sent to those "
                               f"{self.provider.display_name} accounts. Confirm them anyway?")
        confirm = box.addButton("Confirm anyway", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        rows = list(flagged)

        def answered(button: object) -> None:
            self.confirm_box = None
            if button is confirm:
                for row in rows:
                    self.confirm_accepted.emit(row)

        box.buttonClicked.connect(answered)
        self.confirm_box = box
        box.open()

    def _pick_current(self) -> None:
        row = self.current_row()
        if row is not None:
            self.pick_requested.emit(row)

    def _create_selected(self) -> None:
        ids = [r.account_id for r in self.selected_rows()
               if r.state is not MappingState.CONFIRMED]
        if ids:
            self.create_requested.emit(self.provider, ids)

    def _context_menu(self, position: QPoint) -> None:
        index = self.table.indexAt(position)
        if not index.isValid():
            return
        if not self.table.selectionModel().isRowSelected(index.row()):
            self.table.selectRow(index.row())
        self.table.setCurrentIndex(index)
        menu = QMenu(self)
        menu.setObjectName("mappingMenu")
        for button in (self.confirm_button, self.reject_button, self.pick_button,
                       self.create_button):
            action = QAction(button.text(), menu)
            action.setEnabled(button.isEnabled())
            action.triggered.connect(button.click)
            menu.addAction(action)
        menu.popup(self.table.viewport().mapToGlobal(position))
        self.context_menu = menu
