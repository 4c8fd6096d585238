"""The "Not sent" tab of the Integrations pane: every entry not at QuickBooks Online or Xero after
the last sync, why (`services.not_sent`: account not mapped, stopped before sending, refused by
the provider, conflict, sent again at the next sync) and **Fix**, the one action that fixes the
selected one (Map the account → the Account mapping tab; Open the entry → the Ledger; Send
again; Resolve the conflict → the Conflicts tab; Sync again). The run's summary counts the same
entries per reason, so the card, the status bar, the sync log and this list agree.

Refused pushes:

A push the provider refuses for what it carries (a closed period, an archived or inactive account,
a validation fault) is not sent again at every sync (`sync.push`): it waits until the entry is
edited, a mapping of one of its accounts changes, or the user asks for a retry
(`services.sync.retry_refused`), because the cause may have been fixed at the provider (a period
reopened) where our side cannot see it. The card only says "3 entries refused by QuickBooks
Online — fix them and sync again"; this tab lists them (`source.load_refused`): provider, entry
number, date, amount, the provider's reason in words, attempts and when it was refused, with the
whole sentence of what to do for the selected one.

- **Open entry** (or a double-click) shows the entry in the Ledger pane's editor through the main
  window (`MainWindow.open_entry`), so the user can fix it; an edit sends it again by itself at
  the next sync, and until then the row says "(edited)" (the entry was saved after the refusal).
- **Send again** (the selected rows) and **Send all again** ask once, naming the count and the
  provider and saying it only makes sense when the cause was fixed at QBO/Xero (Cancel is the
  default), then run `source.retry_refused_entries` in a db-lane job and offer **Sync now**
  (the pane's `sync_requested`, the same as the card's button); otherwise they go at the next sync.

All reads and writes run in the JobRunner's db lane; errors go to the app's error presenter
(`gui.errors`, through `AppContext.show_error`). The tab re-reads itself after a sync, an edit
(entries), a mapping or account change, and on a company switch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from bookkeeper_desktop.core.changes import Changes
from bookkeeper_desktop.core.money import format_money
from bookkeeper_desktop.gui.column_widths import ColumnFitter
from bookkeeper_desktop.gui.context import AppContext
from bookkeeper_desktop.gui.empty_state import empty_label
from bookkeeper_desktop.gui.integrations.conflicts import Confirmation
from bookkeeper_desktop.gui.integrations.source import (
    RefusedRow,
    load_refused,
    retry_refused_entries,
)
from bookkeeper_desktop.gui.table_model import ModelIndex, RowsTableModel, SelectionKeeper
from bookkeeper_desktop.providers.config import Provider

#: The `RefusedRow` behind a row.
RefusedRole = Qt.ItemDataRole.UserRole + 1

TAB_NAME = "Not sent"
EMPTY_TEXT = ("Every approved or posted entry is at QuickBooks Online or Xero: none waits for "
              "a mapping, a fix or a retry.")
HELP_TEXT = ("Fix an entry here (Open entry) and it goes again at the next sync. If the cause "
             "was fixed at QuickBooks Online or Xero (a period reopened, an account made "
             "active), use Send again.")
EDITED_TEXT = ("Edited here since it was refused: the next sync sends it again if what it "
               "sends changed.")
READ_FAILED_TEXT = "The entries waiting for a fix could not be read."
#: How many entry numbers a question names before "and N more".
NAMED = 5


def tab_title(count: int) -> str:
    """"Waiting for a fix" with the number waiting, so the user sees them from any tab."""
    return f"{TAB_NAME} ({count})" if count else TAB_NAME


def entry_label(row: RefusedRow) -> str:
    return row.number or f"#{row.entry_id}"


def reason_text(row: RefusedRow) -> str:
    """The provider's reason alone: the sentence `sync.push.refusal_message` wrote without its
    opening "The entry X of D was refused by QuickBooks Online: " (the table's other columns say
    that), the rest (reason and what to do) kept. The whole message when it reads otherwise."""
    marker = f"refused by {row.provider.display_name}: "
    at = row.message.find(marker)
    return row.message[at + len(marker):] if at >= 0 else row.message


def plural(count: int) -> str:
    """"1 entry", "3 entries"."""
    return "1 entry" if count == 1 else f"{count} entries"


def _names(rows: Sequence[RefusedRow]) -> str:
    names = [entry_label(r) for r in rows[:NAMED]]
    if len(rows) > NAMED:
        return ", ".join(names) + f" and {len(rows) - NAMED} more"
    if len(names) > 1:
        return ", ".join(names[:-1]) + f" and {names[-1]}"
    return names[0] if names else ""


def by_provider(rows: Sequence[RefusedRow]) -> dict[Provider, list[RefusedRow]]:
    grouped: dict[Provider, list[RefusedRow]] = {}
    for row in rows:
        grouped.setdefault(row.provider, []).append(row)
    return grouped


def retry_question(rows: Sequence[RefusedRow]) -> Confirmation:
    """The one question before Send again / Send all again: how many entries, to which provider,
    and that a retry only helps when the cause was fixed there (nothing here changed, so the
    provider refuses the same push again otherwise)."""
    grouped = by_provider(rows)
    providers = " or ".join(p.display_name for p in grouped)
    if len(grouped) == 1:
        (provider,) = grouped
        title = f"Send {plural(len(rows))} to {provider.display_name} again?"
        text = f"The next sync sends {_names(rows)} to {provider.display_name} once more."
    else:
        parts = " and ".join(f"{plural(len(g))} to {p.display_name}" for p, g in grouped.items())
        title = f"Send {plural(len(rows))} again?"
        text = f"The next sync sends {parts} once more ({_names(rows)})."
    informative = (
        f"Only do this when the cause was fixed at {providers}: a period reopened, an account "
        "made active again. Nothing here has changed, so otherwise they are refused again "
        "and wait here as before.\n\nAn entry that needs a change here goes again by itself "
        "once you edit it (Open entry).")
    return Confirmation(title=title, text=text, informative=informative, button="Send again")


def retried_text(counts: Mapping[Provider, int], asked: int) -> str:
    """What a retry did: "2 entries go to QuickBooks Online again at the next sync." (and how
    many of those asked for were no longer waiting)."""
    total = sum(counts.values())
    if total == 0:
        return "None of them was still waiting for a fix; nothing changed."
    where = " and ".join(f"{plural(n)} {'goes' if n == 1 else 'go'} to {p.display_name}"
                         for p, n in counts.items() if n)
    text = f"{where} again at the next sync."
    if total < asked:
        text += f" {plural(asked - total)} no longer waited."
    return text


class RefusedColumn(IntEnum):
    """The reason last: it is long, so it takes the width left and is elided (its tooltip and
    the text under the table have it whole)."""

    PROVIDER = 0
    ENTRY = 1
    DATE = 2
    AMOUNT = 3
    WHY = 4
    FIX = 5
    ATTEMPTS = 6
    REFUSED_AT = 7
    REASON = 8


_HEADERS = {RefusedColumn.PROVIDER: "Provider", RefusedColumn.ENTRY: "Entry",
            RefusedColumn.DATE: "Date", RefusedColumn.AMOUNT: "Amount",
            RefusedColumn.WHY: "Why", RefusedColumn.FIX: "Fix",
            RefusedColumn.REASON: "Reason", RefusedColumn.ATTEMPTS: "Attempts",
            RefusedColumn.REFUSED_AT: "Refused"}
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def cell_text(row: RefusedRow, column: RefusedColumn) -> str:
    if column is RefusedColumn.PROVIDER:
        return row.provider.display_name
    if column is RefusedColumn.ENTRY:
        return f"{entry_label(row)} (edited)" if row.edited else entry_label(row)
    if column is RefusedColumn.DATE:
        return row.date.isoformat() if row.date is not None else "—"
    if column is RefusedColumn.AMOUNT:
        if row.amount is None:
            return "—"
        return f"{format_money(row.amount)} {row.currency}".rstrip()
    if column is RefusedColumn.REASON:
        return reason_text(row)
    if column is RefusedColumn.WHY:
        return row.why or row.reason
    if column is RefusedColumn.FIX:
        return row.action_label
    if column is RefusedColumn.ATTEMPTS:
        return str(row.attempts)
    return (row.refused_at.astimezone().strftime("%Y-%m-%d %H:%M")
            if row.refused_at is not None else "—")


class RefusedTableModel(RowsTableModel[RefusedRow]):
    """Refused pushes, one row each (few: what the provider turned down)."""

    @override
    def headers(self) -> Sequence[str]:
        return [_HEADERS[column] for column in RefusedColumn]

    @override
    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_for(index)
        if row is None:
            return None
        column = RefusedColumn(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(row, column)
        if role == Qt.ItemDataRole.ToolTipRole and column is RefusedColumn.REASON:
            return row.message
        if role == Qt.ItemDataRole.ToolTipRole and column is RefusedColumn.ENTRY and row.edited:
            return EDITED_TEXT
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (
                RefusedColumn.AMOUNT, RefusedColumn.ATTEMPTS):
            return int(_RIGHT)
        if role == RefusedRole:
            return row
        return None


def open_in_ledger(widget: QWidget, entry_id: int) -> bool:
    """Show entry `entry_id` in the Ledger of `widget`'s main window (`MainWindow.open_entry`).
    False when `widget` is not in the main window (a tab shown on its own)."""
    open_entry = getattr(widget.window(), "open_entry", None)
    if not callable(open_entry):
        return False
    open_entry(entry_id)
    return True


class RefusedView(QWidget):
    """The "Waiting for a fix" tab (see the module docstring).

    Signals:
        count_changed(int): how many wait after a load (the tab title follows).
        loaded(): a load finished and the view shows it.
        retried(object): a retry finished; carries {Provider: how many go again}.
        open_entry_requested(int): Open entry was asked for this entry id.
        sync_requested(object): Sync now after a retry, once per `Provider` retried (and Fix
            on an entry that only waits for the next sync).
        map_requested(object): Fix on an entry with an unmapped account; carries the `Provider`.
        conflicts_requested(): Fix on an entry in conflict.
    """

    count_changed = Signal(int)
    loaded = Signal()
    retried = Signal(object)
    open_entry_requested = Signal(int)
    sync_requested = Signal(object)
    map_requested = Signal(object)
    conflicts_requested = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("refusedView")
        self.ctx = ctx
        self.model = RefusedTableModel(self)
        self.table = QTableView()
        self.table.setObjectName("refusedTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.fitter = ColumnFitter(self.table)
        #: The selected entries stay selected across a re-read; the first row when none is
        #: left, so the detail always says what to do for one.
        self._keeper = SelectionKeeper(self.table, lambda row: self.model.row_at(row).outbox_id,
                                       select_first=True)
        self.detail = QLabel()
        self.detail.setObjectName("refusedDetail")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

        self.fix_button = QPushButton("Fix")
        self.fix_button.setObjectName("notSentFix")
        self.fix_button.setToolTip("Do what fixes the selected entry (its Fix column).")
        self.open_button = QPushButton("Open entry")
        self.open_button.setToolTip("Show the entry in the Ledger to fix it; an edited entry "
                                    "goes again at the next sync.")
        self.send_again_button = QPushButton("Send again")
        self.send_again_button.setToolTip(
            "Send the selected entries again at the next sync (after fixing the cause at "
            "QuickBooks Online or Xero).")
        self.send_all_button = QPushButton("Send all again")
        self.send_all_button.setToolTip("Send every entry listed here again at the next sync.")
        self.sync_now_button = QPushButton("Sync now")
        self.sync_now_button.setObjectName("refusedSyncNow")
        self.sync_now_button.setToolTip("Sync now instead of waiting for the next sync.")
        self.sync_now_button.hide()
        self.status = QLabel(HELP_TEXT)
        self.status.setObjectName("refusedStatus")
        self.status.setWordWrap(True)

        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.sync_now_button)
        buttons.addWidget(self.fix_button)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.send_again_button)
        buttons.addWidget(self.send_all_button)
        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addWidget(self.detail, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)

        self.empty = empty_label(EMPTY_TEXT, "refusedEmpty")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.splitter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack, 1)
        layout.addLayout(buttons)

        self._generation = 0
        self._busy = False
        self._read_error_shown = False
        #: Providers whose entries the last retry sent again (Sync now syncs these).
        self._to_sync: list[Provider] = []
        #: The open "Send … again?" question, or None.
        self.confirm_box: QMessageBox | None = None
        self.fix_button.clicked.connect(self.fix_selected)
        self.open_button.clicked.connect(self.open_selected)
        self.send_again_button.clicked.connect(lambda: self.ask_retry(self.selected()))
        self.send_all_button.clicked.connect(lambda: self.ask_retry(self.model.rows()))
        self.sync_now_button.clicked.connect(self.sync_now)
        self.table.doubleClicked.connect(lambda index: self._open_row(index.row()))
        self.table.selectionModel().selectionChanged.connect(self._show_selected)
        ctx.changes.changed.connect(self._on_changes)
        self._show_selected()
        self.refresh()

    # -- tab wiring --------------------------------------------------------------------------
    def attach_to(self, tabs: QTabWidget) -> None:
        """Add this view as a tab whose title carries how many wait."""
        tabs.addTab(self, tab_title(self.model.rowCount()))
        self.count_changed.connect(
            lambda count: tabs.setTabText(tabs.indexOf(self), tab_title(count)))

    # -- data --------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read the refused pushes of the current company (db lane)."""
        company_id = self.ctx.company_id
        self._generation += 1
        generation = self._generation
        if company_id is None:
            self._apply([], generation)
            return
        db = self.ctx.services.db
        self.ctx.jobs.run(lambda progress: load_refused(db, company_id),
                          on_done=lambda rows: self._apply(rows, generation),
                          on_error=lambda error: self._load_failed(error, generation),
                          title="Reading entries waiting for a fix", owner=self)

    def _apply(self, rows: list[RefusedRow], generation: int) -> None:
        if generation != self._generation:
            return  # a newer read (another company, a later change) is on its way
        if self._read_error_shown:  # read again after a failure: the words go back to help
            self.status.setText(HELP_TEXT)
        self._read_error_shown = False
        with self._keeper.kept():
            self.model.set_rows(rows)
        self.stack.setCurrentWidget(self.splitter if rows else self.empty)
        if rows:
            for column in RefusedColumn:  # from font metrics, not by measuring every cell
                if column is not RefusedColumn.REASON:
                    self.fitter.fit(column, (cell_text(row, column) for row in rows))
        self._show_selected()
        self.count_changed.emit(len(rows))
        self.loaded.emit()

    def _load_failed(self, error: BaseException, generation: int) -> None:
        if generation != self._generation:
            return
        self.status.setText(READ_FAILED_TEXT)
        if not self._read_error_shown:  # one dialog, not one per change notice
            self._read_error_shown = True
            self.ctx.show_error(error, self)
        self.loaded.emit()

    def _on_changes(self, changes: Changes) -> None:
        if changes.company:
            if self.confirm_box is not None:
                # The question names entries of the company the user just left.
                self.confirm_box.reject()
            self._offer_sync([])
            self.status.setText(HELP_TEXT)
        if changes.company or changes.entries or changes.sync_runs or changes.mappings \
                or changes.accounts:
            self.refresh()

    # -- selection ---------------------------------------------------------------------------
    def selected(self) -> list[RefusedRow]:
        """The selected rows in table order."""
        found: list[RefusedRow] = []
        for index in sorted(self.table.selectionModel().selectedRows(), key=lambda i: i.row()):
            value = self.model.data(index, RefusedRole)
            if isinstance(value, RefusedRow):
                found.append(value)
        return found

    def _show_selected(self) -> None:
        rows = self.selected()
        idle = not self._busy
        self.open_button.setEnabled(idle and len(rows) == 1)
        self.fix_button.setEnabled(idle and len(rows) == 1)
        if len(rows) == 1:
            self.fix_button.setText(rows[0].action_label)
        self.send_again_button.setEnabled(idle and bool(rows))
        self.send_all_button.setEnabled(idle and self.model.rowCount() > 0)
        if len(rows) == 1:
            self.detail.setText(rows[0].message + (f"\n\n{EDITED_TEXT}" if rows[0].edited
                                                   else ""))
        elif rows:
            self.detail.setText(f"{plural(len(rows))} selected.")
        else:
            self.detail.setText("")

    # -- Fix ---------------------------------------------------------------------------------
    def fix_selected(self) -> None:
        """The selected entry's one fix (`services.not_sent.ACTIONS`)."""
        rows = self.selected()
        if len(rows) != 1 or self._busy:
            return
        row = rows[0]
        if row.action == "map":
            self.map_requested.emit(row.provider)
        elif row.action == "open":
            self._open(row)
        elif row.action == "retry":
            self.ask_retry([row])
        elif row.action == "resolve":
            self.conflicts_requested.emit()
        else:
            self.sync_requested.emit(row.provider)

    # -- Open entry --------------------------------------------------------------------------
    def open_selected(self) -> None:
        rows = self.selected()
        if len(rows) == 1:
            self._open(rows[0])

    def _open_row(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self._open(self.model.row_at(row))

    def _open(self, row: RefusedRow) -> None:
        self.open_entry_requested.emit(row.entry_id)
        if not open_in_ledger(self, row.entry_id):
            self.status.setText(f"Find {entry_label(row)} in the Ledger to fix it.")

    # -- Send again --------------------------------------------------------------------------
    def ask_retry(self, rows: Sequence[RefusedRow]) -> None:
        """Ask once (window-modal, Cancel the default), then send `rows` again at the next sync;
        Cancel changes nothing."""
        chosen = list(rows)
        if not chosen or self.ctx.company_id is None or self._busy \
                or self.confirm_box is not None:
            return
        question = retry_question(chosen)
        box = QMessageBox(QMessageBox.Icon.Question, question.title, question.text,
                          QMessageBox.StandardButton.Cancel, self)
        box.setObjectName("refusedConfirm")
        box.setInformativeText(question.informative)
        confirm = box.addButton(question.button, QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setEscapeButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.WindowModal)

        def answered(button: QAbstractButton) -> None:
            self.confirm_box = None
            if button is confirm:  # the rows asked about, even if the selection moved
                self.retry_now(chosen)

        box.buttonClicked.connect(answered)
        box.finished.connect(self._confirm_closed)
        self.confirm_box = box
        box.open()

    def _confirm_closed(self) -> None:
        self.confirm_box = None

    def retry_now(self, rows: Sequence[RefusedRow]) -> None:
        """Send `rows` again at the next sync without asking (`retry_refused` in the db lane)."""
        company_id = self.ctx.company_id
        chosen = {p: [r.entry_id for r in group] for p, group in by_provider(rows).items()}
        if not chosen or company_id is None or self._busy:
            return
        self._busy = True
        self._offer_sync([])
        self._show_selected()
        self.status.setText("Marking them to be sent again…")
        db = self.ctx.services.db
        asked = len(rows)
        self.ctx.jobs.run(lambda progress: retry_refused_entries(db, company_id, chosen),
                          on_done=lambda counts: self._retried(counts, asked),
                          on_error=self._retry_failed,
                          title="Sending refused entries again", owner=self)

    def _retried(self, counts: dict[Provider, int], asked: int) -> None:
        self._busy = False
        self.status.setText(retried_text(counts, asked))
        self._offer_sync([p for p, n in counts.items() if n])
        self.retried.emit(counts)
        self.refresh()

    def _retry_failed(self, error: BaseException) -> None:
        self._busy = False
        self.status.setText("Nothing was marked to be sent again.")
        self._show_selected()
        self.refresh()
        self.ctx.show_error(error, self)

    # -- Sync now ----------------------------------------------------------------------------
    def _offer_sync(self, providers: list[Provider]) -> None:
        self._to_sync = providers
        self.sync_now_button.setVisible(bool(providers))
        if providers:
            self.sync_now_button.setToolTip(
                "Sync with " + " and ".join(p.display_name for p in providers)
                + " now instead of waiting for the next sync.")

    def sync_now(self) -> None:
        """Start a sync of each provider the last retry sent entries to (the card's Sync Now)."""
        providers = self._to_sync
        self._offer_sync([])
        for provider in providers:
            self.sync_requested.emit(provider)
        if providers:
            self.status.setText("Syncing…")
