"""The Conflicts tab of the Integrations pane: entries changed here and at the provider.

A conflict (an entry changed on both sides, or QBO's stale SyncToken; issue 6 "Push") waits in
the outbox until the user decides; nothing is overwritten silently. The tab lists the open ones
(`services.sync.list_conflicts`), shows both sides next to each other for the one selected, and
settles it with **Keep ours** (our entry is pushed over theirs at the next sync, with their current
SyncToken) or **Take theirs** (our entry takes the provider's content now), both through
`services.sync.resolve_conflict` in a db-lane job, followed by `Changes(entries=True,
sync_runs=True)` so the ledger and the cards refresh.

Either choice throws one version away for good, so each asks first (`confirmation`): a window-modal
question naming the entry (number, date, amount) and what differs line by line, saying which side
is replaced and that it cannot be undone, with **Cancel** as the default button (Enter or Escape
keep both versions), as Disconnect does.

Their side is shown as an entry when its accounts are mapped (`Conflict.theirs_entry`), otherwise
as a readable summary of the provider's JSON (QBO JournalEntry `Line[].JournalEntryLineDetail`,
Xero ManualJournal `JournalLines[]`; API_NOTES.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from bookkeeper_desktop.core.changes import Changes
from bookkeeper_desktop.core.errors import BookkeeperError
from bookkeeper_desktop.core.journal import JournalEntry, JournalLine
from bookkeeper_desktop.core.money import ZERO, format_money
from bookkeeper_desktop.gui.context import AppContext
from bookkeeper_desktop.gui.empty_state import empty_label
from bookkeeper_desktop.gui.table_model import ModelIndex, RowsTableModel, SelectionKeeper
from bookkeeper_desktop.providers.config import Provider
from bookkeeper_desktop.services import accounts as account_service
from bookkeeper_desktop.services.sync import Conflict, list_conflicts, resolve_conflict

#: The `Conflict` behind a row.
ConflictRole = Qt.ItemDataRole.UserRole + 1

#: Background of a line that differs between the two sides (the mapping editor's amber).
DIFFERENT = QColor(242, 169, 59, 80)
HELP_TEXT = ("Keep ours: the next sync sends our entry over theirs. "
             "Take theirs: our entry takes their version now.")
EMPTY_TEXT = ("No conflicts: no entry was changed both here and at QuickBooks Online or Xero "
              "since the last sync. Entries not sent for other reasons are under Not sent.")


def tab_title(count: int) -> str:
    """"Conflicts" with the number of open ones, so the user sees them from any tab."""
    return f"Conflicts ({count})" if count else "Conflicts"


@dataclass(frozen=True)
class ConflictsSnapshot:
    """The open conflicts of one company and the names of the accounts their entries use."""

    conflicts: list[Conflict]
    account_names: dict[int, str]


def load_conflicts(db: Any, company_id: int) -> ConflictsSnapshot:
    """Read in a db-lane job: open conflicts of every provider and the chart's names."""
    names = {}
    for account_id, account in account_service.accounts_by_id(db, company_id).items():
        names[account_id] = f"{account.code} {account.full_name}" if account.code \
            else account.full_name
    return ConflictsSnapshot(list_conflicts(db, company_id), names)


class ConflictColumn(IntEnum):
    ENTRY = 0
    DATE = 1
    PROVIDER = 2
    MESSAGE = 3


_HEADERS = {ConflictColumn.ENTRY: "Entry", ConflictColumn.DATE: "Date",
            ConflictColumn.PROVIDER: "Provider", ConflictColumn.MESSAGE: "What happened"}


def entry_label(conflict: Conflict) -> str:
    ours = conflict.ours
    if ours is not None and ours.number:
        return ours.number
    return f"#{conflict.entry_id}"


class ConflictTableModel(RowsTableModel[Conflict]):
    """Open conflicts: entry number, date, provider, message. Small (one row per conflict)."""

    @override
    def headers(self) -> Sequence[str]:
        return [_HEADERS[column] for column in ConflictColumn]

    @override
    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        conflict = self.row_for(index)
        if conflict is None:
            return None
        column = ConflictColumn(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            if column is ConflictColumn.ENTRY:
                return entry_label(conflict)
            if column is ConflictColumn.DATE:
                date = conflict.ours.date if conflict.ours is not None else None
                return date.isoformat() if date is not None else "—"
            if column is ConflictColumn.PROVIDER:
                return Provider.name_of(conflict.provider)
            return conflict.message
        if role == Qt.ItemDataRole.ToolTipRole and column is ConflictColumn.MESSAGE:
            return conflict.message
        if role == ConflictRole:
            return conflict
        return None


# -- the two sides -------------------------------------------------------------------------------

def entry_lines(entry: JournalEntry, names: Mapping[int, str]) -> list[tuple[str, str, str, str]]:
    """(account, debit, credit, description) per line, account names from our chart."""
    return [(names.get(line.account_id, f"account #{line.account_id}"),
             format_money(line.debit) if line.debit != ZERO else "",
             format_money(line.credit) if line.credit != ZERO else "",
             line.description) for line in entry.lines]


def entry_heading(entry: JournalEntry) -> str:
    parts = [entry.number or "(no number)",
             entry.date.isoformat() if entry.date is not None else "(no date)"]
    if entry.memo:
        parts.append(entry.memo)
    return " · ".join(parts)


def changed_fields(ours: JournalEntry, theirs: JournalEntry
                   ) -> list[tuple[str, object, object]]:
    """(label, ours, theirs) of each header field (number, date, memo, currency) that differs."""
    fields = (("number", ours.number, theirs.number), ("date", ours.date, theirs.date),
              ("memo", ours.memo, theirs.memo), ("currency", ours.currency, theirs.currency))
    return [(label, mine, other) for label, mine, other in fields if mine != other]


def differences(ours: JournalEntry, theirs: JournalEntry) -> list[str]:
    """What differs between the two versions, in the words of the ledger ("memo", "line 2")."""
    found = [label for label, _, _ in changed_fields(ours, theirs)]
    if len(ours.lines) != len(theirs.lines):
        found.append(f"lines ({len(ours.lines)} here, {len(theirs.lines)} there)")
    else:
        pairs = zip(ours.lines, theirs.lines, strict=True)
        found += [f"line {n}" for n, (a, b) in enumerate(pairs, 1)
                  if (a.account_id, a.debit, a.credit, a.description)
                  != (b.account_id, b.debit, b.credit, b.description)]
    return found


def describe_line(line: JournalLine, names: Mapping[int, str]) -> str:
    """One line in words: "6000 Rent: debit 100.25 — March"."""
    account = names.get(line.account_id, f"account #{line.account_id}")
    side = f"debit {format_money(line.debit)}" if line.debit != ZERO \
        else f"credit {format_money(line.credit)}"
    return f"{account}: {side}" + (f" — {line.description}" if line.description else "")


def changed_details(ours: JournalEntry, theirs: JournalEntry, names: Mapping[int, str]
                    ) -> list[str]:
    """What differs, with both values: "memo: yours “rent”, theirs “Rent March”" and one item
    per differing line (`differences` names them; this says what they hold)."""
    def shown(value: object) -> str:
        return f"“{value}”" if value not in (None, "") else "(empty)"

    found = [f"{label}: yours {shown(mine)}, theirs {shown(other)}"
             for label, mine, other in changed_fields(ours, theirs)]
    count = max(len(ours.lines), len(theirs.lines))
    for n in range(count):
        mine_line = ours.lines[n] if n < len(ours.lines) else None
        other_line = theirs.lines[n] if n < len(theirs.lines) else None
        if mine_line is not None and other_line is not None and (
                (mine_line.account_id, mine_line.debit, mine_line.credit, mine_line.description)
                == (other_line.account_id, other_line.debit, other_line.credit,
                    other_line.description)):
            continue
        yours = describe_line(mine_line, names) if mine_line is not None else "(no such line)"
        their = describe_line(other_line, names) if other_line is not None else "(no such line)"
        found.append(f"line {n + 1}: yours {yours}; theirs {their}")
    return found


@dataclass(frozen=True)
class Confirmation:
    """The question asked before a conflict is settled (see the module docstring)."""

    title: str
    text: str
    informative: str
    button: str


def confirmation(conflict: Conflict, keep: str, names: Mapping[int, str]) -> Confirmation:
    """The question before Keep ours / Take theirs: which entry (number, date, amount), what the
    replaced side loses, and that it cannot be undone.

    Take theirs replaces our entry in these books now (`resolve_conflict(keep="theirs")`); Keep
    ours sends our entry over theirs at the next sync with their current SyncToken (QBO) or as an
    update of their ManualJournal (Xero), so their change is lost at the provider."""
    provider = Provider.name_of(conflict.provider)
    ours, theirs = conflict.ours, conflict.theirs_entry
    if ours is not None:
        name = ours.label[0].upper() + ours.label[1:]
        amount = f"{format_money(ours.total_debit)} {ours.currency}"
    else:
        name, amount = f"Entry #{conflict.entry_id}", "amount unknown"
    if ours is not None and theirs is not None:
        changes = changed_details(ours, theirs, names)
        what = ("\n".join(f"• {change}" for change in changes) if changes
                else "• nothing visible: the two versions read the same")
    else:
        what = (f"• {provider}'s version is not readable as an entry here "
                "(see the Theirs panel)")
    if keep == "theirs":
        their_amount = (f"{format_money(theirs.total_debit)} {theirs.currency}"
                        if theirs is not None else "unknown")
        return Confirmation(
            title=f"Take the {provider} version?",
            text=f"{name} ({amount}) will be replaced by the {provider} version "
                 f"({their_amount}).",
            informative=f"What differs (your version is lost):\n{what}\n\n"
                        "This replaces your version in these books; it cannot be undone.",
            button="Take theirs")
    return Confirmation(
        title=f"Send your version over the {provider} version?",
        text=f"{name} ({amount}) stays as it is here, and the next sync sends it to {provider} "
             f"over their version.",
        informative=f"What differs ({provider}'s changes are lost):\n{what}\n\n"
                    f"This replaces the {provider} version at the next sync; it cannot be "
                    "undone from here.",
        button="Keep ours")


def summarize_remote(payload: Mapping[str, Any] | None) -> str:
    """The provider's copy in words when it cannot be shown as an entry (an unmapped account):
    QBO `DocNumber`/`TxnDate`/`PrivateNote` and `Line[]` with `JournalEntryLineDetail`
    (`PostingType`, `AccountRef.name`); Xero `Narration`/`Date` and `JournalLines[]`
    (`AccountCode`, signed `LineAmount`). Anything else is listed as key: value."""
    if payload is None:
        return ("The provider's copy has not been read yet; the next sync (pull) fetches it.")
    out: list[str] = []
    shown = set()
    for key, label in (("DocNumber", "Number"), ("TxnDate", "Date"), ("Date", "Date"),
                       ("PrivateNote", "Memo"), ("Narration", "Narration"),
                       ("Status", "Status"), ("SyncToken", "Version (SyncToken)")):
        if payload.get(key) not in (None, ""):
            out.append(f"{label}: {payload[key]}")
            shown.add(key)
    lines = payload.get("Line") or payload.get("JournalLines") or []
    if isinstance(lines, list) and lines:
        out.append("Lines:")
        for line in lines:
            if not isinstance(line, Mapping):
                continue
            detail = line.get("JournalEntryLineDetail")
            if isinstance(detail, Mapping):
                account = detail.get("AccountRef") or {}
                name = account.get("name") or account.get("value") if isinstance(
                    account, Mapping) else account
                side = "debit" if detail.get("PostingType") == "Debit" else "credit"
                out.append(f"  {name}: {side} {line.get('Amount', '')}"
                           + (f" — {line['Description']}" if line.get("Description") else ""))
            else:
                amount = line.get("LineAmount", line.get("Amount", ""))
                out.append(f"  account {line.get('AccountCode', '?')}: {amount}"
                           + (f" — {line['Description']}" if line.get("Description") else ""))
        shown.update(("Line", "JournalLines"))
    for key, value in payload.items():
        if key not in shown and not isinstance(value, (dict, list)) and value not in (None, ""):
            out.append(f"{key}: {value}")
    return "\n".join(out)


class SideView(QGroupBox):
    """One side of a conflict: a heading, then the entry's lines or a text summary."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.lines = QTableWidget(0, 4)
        self.lines.setHorizontalHeaderLabels(["Account", "Debit", "Credit", "Description"])
        self.lines.verticalHeader().hide()
        self.lines.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.lines.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.summary = QPlainTextEdit()
        self.summary.setReadOnly(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.lines)
        self.stack.addWidget(self.summary)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.stack, 1)

    def show_entry(self, entry: JournalEntry, names: Mapping[int, str],
                   marked: frozenset[int] = frozenset()) -> None:
        """The entry's heading and lines; line numbers (1-based) in `marked` differ from the
        other side and are highlighted."""
        self.heading.setText(entry_heading(entry))
        rows = entry_lines(entry, names)
        self.lines.setRowCount(len(rows))
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                if c in (1, 2):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                if r + 1 in marked:
                    item.setBackground(QBrush(DIFFERENT))
                self.lines.setItem(r, c, item)
        self.lines.resizeColumnToContents(1)
        self.lines.resizeColumnToContents(2)
        self.stack.setCurrentWidget(self.lines)

    def show_text(self, heading: str, text: str) -> None:
        self.heading.setText(heading)
        self.summary.setPlainText(text)
        self.stack.setCurrentWidget(self.summary)

    def line_texts(self) -> list[tuple[str, ...]]:
        """What the lines table shows (tests read it)."""
        rows: list[tuple[str, ...]] = []
        for r in range(self.lines.rowCount()):
            items = [self.lines.item(r, c) for c in range(4)]
            rows.append(tuple(item.text() if item is not None else "" for item in items))
        return rows


class ConflictsView(QWidget):
    """The Conflicts tab: the list, both sides of the selected one, Keep ours / Take theirs.

    Reads its data itself (db lane) on creation and whenever entries, sync runs, mappings,
    accounts or the company change.

    Signals:
        count_changed(int): the number of open conflicts after a load (the tab title follows).
        loaded(): a load finished and the view shows it.
        resolved(object): a conflict was settled; carries our entry as it now stands.
    """

    count_changed = Signal(int)
    loaded = Signal()
    resolved = Signal(object)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conflictsView")
        self.ctx = ctx
        self.model = ConflictTableModel(self)
        self.table = QTableView()
        self.table.setObjectName("conflictTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        #: The selected conflict stays selected across a re-read; the first row when it is gone
        #: (resolved), so the sides always show one.
        self._keeper = SelectionKeeper(self.table, lambda row: self.model.row_at(row).id,
                                       select_first=True)
        self.ours = SideView("Ours (these books)")
        self.theirs = SideView("Theirs")
        self.keep_ours_button = QPushButton("Keep ours")
        self.keep_ours_button.setToolTip(
            "Our entry stays; the next sync sends it over the provider's copy.")
        self.take_theirs_button = QPushButton("Take theirs")
        self.take_theirs_button.setToolTip("Our entry takes the provider's version now.")
        self.differs = QLabel()
        self.differs.setObjectName("conflictDiffers")
        self.differs.setWordWrap(True)
        self.status = QLabel(HELP_TEXT)
        self.status.setWordWrap(True)
        self.status.setObjectName("conflictStatus")

        sides = QHBoxLayout()
        sides.addWidget(self.ours, 1)
        sides.addWidget(self.theirs, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.keep_ours_button)
        buttons.addWidget(self.take_theirs_button)
        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addWidget(self.differs)
        detail_layout.addLayout(sides, 1)
        detail_layout.addLayout(buttons)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(detail)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 3)

        self.empty = empty_label(EMPTY_TEXT, "conflictsEmpty")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.splitter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

        self._names: dict[int, str] = {}
        self._generation = 0
        self._busy = False
        #: The open "Take the … version?" / "Send your version …?" question, or None.
        self.confirm_box: QMessageBox | None = None
        self.keep_ours_button.clicked.connect(lambda: self.resolve("ours"))
        self.take_theirs_button.clicked.connect(lambda: self.resolve("theirs"))
        self.table.selectionModel().selectionChanged.connect(self._show_selected)
        ctx.changes.changed.connect(self._on_changes)
        self._show_selected()
        self.refresh()

    # -- tab wiring --------------------------------------------------------------------------
    def attach_to(self, tabs: QTabWidget) -> None:
        """Add this view as a tab whose title carries the count of open conflicts."""
        tabs.addTab(self, tab_title(self.model.rowCount()))
        self.count_changed.connect(
            lambda count: tabs.setTabText(tabs.indexOf(self), tab_title(count)))

    # -- data --------------------------------------------------------------------------------
    def refresh(self) -> None:
        company_id = self.ctx.company_id
        self._generation += 1
        generation = self._generation
        if company_id is None:
            self._apply(ConflictsSnapshot([], {}), generation)
            return
        db = self.ctx.services.db
        self.ctx.jobs.run(lambda progress: load_conflicts(db, company_id),
                          on_done=lambda snapshot: self._apply(snapshot, generation),
                          title="Reading sync conflicts", owner=self)

    def _apply(self, snapshot: ConflictsSnapshot, generation: int) -> None:
        if generation != self._generation:
            return
        self._names = snapshot.account_names
        with self._keeper.kept():
            self.model.set_rows(snapshot.conflicts)
        self.stack.setCurrentWidget(self.splitter if snapshot.conflicts else self.empty)
        if snapshot.conflicts:
            self.table.resizeColumnsToContents()
        self._show_selected()
        self.count_changed.emit(len(snapshot.conflicts))
        self.loaded.emit()

    def _on_changes(self, changes: Changes) -> None:
        if changes.company and self.confirm_box is not None:
            # The question names an entry of the company the user just left: close it unanswered.
            self.confirm_box.reject()
        if changes.company or changes.entries or changes.sync_runs or changes.mappings \
                or changes.accounts:
            self.refresh()

    # -- selection and detail ----------------------------------------------------------------
    def selected(self) -> Conflict | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        value = self.model.data(rows[0], ConflictRole)
        return value if isinstance(value, Conflict) else None

    def _show_selected(self) -> None:
        conflict = self.selected()
        enabled = conflict is not None and not self._busy
        self.keep_ours_button.setEnabled(enabled and conflict is not None
                                         and conflict.ours is not None)
        self.take_theirs_button.setEnabled(enabled and conflict is not None
                                           and conflict.theirs_entry is not None)
        if conflict is None:
            self.differs.setText("")
            self.ours.show_text("", "")
            self.theirs.show_text("", "")
            return
        provider = Provider.name_of(conflict.provider)
        self.theirs.setTitle(f"Theirs ({provider})")
        ours, theirs = conflict.ours, conflict.theirs_entry
        changed = differences(ours, theirs) if ours is not None and theirs is not None else []
        marked = frozenset(int(d.split()[1]) for d in changed if d.startswith("line "))
        self.differs.setText(
            f"<b>Differs:</b> {', '.join(changed)}" if changed
            else "The two versions read the same; keep either." if theirs is not None
            else "")
        if ours is not None:
            self.ours.show_entry(ours, self._names, marked)
        else:
            self.ours.show_text("(entry not found)", "")
        if theirs is not None:
            self.theirs.show_entry(theirs, self._names, marked)
        else:
            heading = ("Not shown as an entry: an account it uses is not mapped."
                       if conflict.theirs is not None else "Not read yet")
            self.theirs.show_text(heading, summarize_remote(conflict.theirs))
        self.take_theirs_button.setToolTip(
            "Our entry takes the provider's version now." if conflict.theirs_entry is not None
            else "Map the accounts their version uses (Account mapping tab) or sync to read it "
                 "first; then it can be taken.")

    # -- resolving ---------------------------------------------------------------------------
    def resolve(self, keep: str) -> None:
        """Ask first (window-modal, Cancel the default), then settle the selected conflict
        (`keep` is "ours" or "theirs"); Cancel leaves both versions as they are."""
        conflict = self.selected()
        if conflict is None or self.ctx.company_id is None or self._busy \
                or self.confirm_box is not None:
            return
        question = confirmation(conflict, keep, self._names)
        box = QMessageBox(QMessageBox.Icon.Warning, question.title, question.text,
                          QMessageBox.StandardButton.Cancel, self)
        box.setObjectName("conflictConfirm")
        box.setInformativeText(question.informative)
        confirm = box.addButton(question.button, QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setEscapeButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.WindowModal)

        def answered(button: QAbstractButton) -> None:
            self.confirm_box = None
            # The conflict asked about, even if the selection moved while the box was open.
            if button is confirm:
                self.resolve_now(keep, conflict)

        box.buttonClicked.connect(answered)
        box.finished.connect(self._confirm_closed)
        self.confirm_box = box
        box.open()

    def _confirm_closed(self) -> None:
        self.confirm_box = None

    def resolve_now(self, keep: str, conflict: Conflict | None = None) -> None:
        """Settle `conflict` (default: the selected one) without asking, in a db-lane job."""
        chosen = conflict or self.selected()
        company_id = self.ctx.company_id
        if chosen is None or company_id is None or self._busy:
            return
        self._busy = True
        self._show_selected()
        self.status.setText("Keeping ours…" if keep == "ours" else "Taking theirs…")
        db = self.ctx.services.db
        self.ctx.jobs.run(
            lambda progress: resolve_conflict(db, company_id, chosen.id, keep=keep),
            on_done=lambda entry: self._resolved(entry, keep),
            on_error=self._failed,
            title="Resolving a sync conflict", owner=self)

    def _resolved(self, entry: JournalEntry, keep: str) -> None:
        self._busy = False
        self.status.setText(
            f"{entry.number or 'The entry'}: kept ours; the next sync sends it."
            if keep == "ours" else f"{entry.number or 'The entry'}: took their version.")
        self.resolved.emit(entry)
        self.ctx.notify(Changes(entries=True, sync_runs=True))

    def _failed(self, error: BaseException) -> None:
        """An expected error (no such conflict any more, their version not convertible) is shown
        beside the buttons; a bug goes to the app's error presenter."""
        self._busy = False
        self._show_selected()
        self.refresh()
        if isinstance(error, BookkeeperError):
            self.status.setText(str(error))
        else:
            self.status.setText("Resolving failed.")
            self.ctx.show_error(error, self)
