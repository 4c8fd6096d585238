"""The preview before "Undo this sync": what will be voided, deleted or sent back as it was at
QuickBooks Online / Xero (per kind, with counts, and a line per entry: date, number, amount,
the kind as the provider calls it), and what cannot be undone and why. It opens at once in a
"Preparing…" state while the plan is read (a network job: `IntegrationsController.undo_sync`);
Cancel then stops that job. Nothing changes at the provider until the user presses the undo
button, which is never the default: Enter and Escape cancel."""

from __future__ import annotations

from collections import Counter

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QProgressBar,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bookkeeper_desktop.core.progress import ProgressSnapshot
from bookkeeper_desktop.gui.integrations.state import SyncRunRow
from bookkeeper_desktop.sync.undo_plan import DELETE, REVERT, VOID, UndoItem, UndoPlan

#: What each action is called in the list (the provider's own verbs).
_ACTION_TEXT = {DELETE: "Delete", VOID: "Void", REVERT: "Send back as before", "": "Not undone"}
HEADERS = ("What happens", "Date", "Number", "Amount", "Kind", "Why not")


class UndoPreview(QDialog):
    """Preparing…, then the plan of undoing one sync run.

    Attributes:
        plan: the plan shown (None while preparing or after a problem).
        summary: the headline (counts per action and kind).
        table: one row per push of the run.
        note: what happens to our entries afterwards.
        undo_button: "Undo N at <provider>"; enabled once there is something to undo.
    """

    def __init__(self, provider_title: str, run: SyncRunRow,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("undoSyncPreview")
        self.setWindowTitle(f"Undo sync run #{run.run_id} at {provider_title}")
        self.provider_title = provider_title
        self.run = run
        self.plan: UndoPlan | None = None
        self.summary = QLabel(f"Preparing… reading what sync run #{run.run_id} left at "
                              f"{provider_title}.")
        self.summary.setObjectName("undoSummary")
        self.summary.setWordWrap(True)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setObjectName("undoItems")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.hide()
        self.note = QLabel()
        self.note.setObjectName("undoNote")
        self.note.setWordWrap(True)
        self.note.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.undo_button = self.buttons.addButton(
            f"Undo at {provider_title}", QDialogButtonBox.ButtonRole.DestructiveRole)
        self.undo_button.setObjectName("undoConfirm")
        self.undo_button.setEnabled(False)
        # Enter must not change the provider unseen: Cancel is the default.
        self.undo_button.setAutoDefault(False)
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setDefault(True)
        self.undo_button.clicked.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.busy)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)
        # Fits a 1280×800 screen with room for the window around it.
        self.resize(820, 480)
        self.setMaximumHeight(720)

    # -- states ----------------------------------------------------------------------------------
    def show_progress(self, snapshot: ProgressSnapshot) -> None:
        """Preparing: the plan's reading at the provider, done/total."""
        if self.plan is None and snapshot.total:
            self.busy.setRange(0, snapshot.total)
            self.busy.setValue(snapshot.done)

    def show_plan(self, plan: UndoPlan) -> None:
        self.plan = plan
        self.busy.hide()
        self.summary.setText(_headline(plan, self.provider_title))
        self.table.setRowCount(len(plan.items))
        for row, item in enumerate(plan.items):
            for column, text in enumerate(_cells(item)):
                cell = QTableWidgetItem(text)
                if column == 3:
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                if column == 5 and text:
                    cell.setToolTip(text)
                self.table.setItem(row, column, cell)
        self.table.resizeColumnsToContents()
        self.table.show()
        self.note.setText(_note(plan, self.provider_title))
        self.note.show()
        count = len(plan.doable)
        self.undo_button.setText(f"Undo {count} at {self.provider_title}")
        self.undo_button.setEnabled(count > 0)
        self.table.setFocus()
        self._cancel_is_default()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self._cancel_is_default()

    def _cancel_is_default(self) -> None:
        """Enter must not change the provider unseen. (QDialogButtonBox makes its accepting
        button the default when shown, and focus moving between buttons moves the default.)"""
        self.undo_button.setDefault(False)
        self.cancel_button.setDefault(True)

    def show_problem(self, error: BaseException) -> None:
        """The plan could not be read: say why; only Cancel (Close) is left."""
        self.busy.hide()
        message = getattr(error, "message", None) or str(error)
        hint = getattr(error, "hint", None) or ""
        self.summary.setText(f"Sync run #{self.run.run_id} cannot be undone now: {message}"
                             + (f" {hint}" if hint else ""))
        self.undo_button.setEnabled(False)
        self.cancel_button.setText("Close")


def _headline(plan: UndoPlan, provider_title: str) -> str:
    parts = []
    for action, verb in ((DELETE, "deleted"), (VOID, "voided"),
                         (REVERT, "sent back as they were before this sync")):
        kinds = Counter(i.kind_name for i in plan.items if i.action == action)
        if kinds:
            parts.append(f"{verb}: " + ", ".join(f"{n} {_plural(name, n)}"
                                                  for name, n in kinds.items()))
    lines = [f"Undoing sync run #{plan.run_id} changes {provider_title}:"
             if parts else "Nothing of this sync can be undone:"]
    lines += [f"• {part}" for part in parts]
    if plan.not_doable:
        lines.append(f"• cannot be undone: {len(plan.not_doable)} (see Why not)")
    if not plan.checked_remotely:
        lines.append(f"(Not checked at {provider_title} yet.)")
    return "\n".join(lines)


def _plural(name: str, count: int) -> str:
    """"2 Manual Journals", "2 Spend Money"."""
    return name if count == 1 or name.endswith("Money") else f"{name}s"


def _cells(item: UndoItem) -> tuple[str, ...]:
    return (_ACTION_TEXT.get(item.action, item.action),
            item.date.isoformat() if item.date else "", item.number or item.entry_label,
            f"{item.amount:,.2f}" if item.amount is not None else "", item.kind_name, item.why)


def _note(plan: UndoPlan, provider_title: str) -> str:
    parts = []
    taken = plan.count(DELETE) + plan.count(VOID)
    if taken:
        parts.append(f"Entries taken back show as not sent here; the next Sync Now sends them "
                     f"to {provider_title} again unless you change or unapprove them first.")
    if plan.count(REVERT):
        parts.append(f"Entries sent back as they were keep your current text here and show "
                     f"as changed since sent: the next Sync Now sends your change to "
                     f"{provider_title} again.")
    return " ".join(parts)

