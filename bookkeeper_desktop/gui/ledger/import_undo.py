"""Undo the last chart import from the Ledger pane: the preview dialog and the flow around it.

`ImportUndoFlow.start(company_id)` reads what undoing the last import would do (a db-lane job),
shows `ImportUndoDialog` — accounts to remove, to restore (and what changes back), to keep (and
why) — and on **Undo import** runs the undo in a db-lane job with progress and Cancel; the GUI
thread never waits. Cancel and Escape close the dialog and change nothing; Enter never undoes (the
destructive button is not the default). After the undo the chart refreshes through
`ctx.notify` and `say` reports what was done (the pane puts it on its message line and the status
bar). The rules are in `services.coa_undo`.

Signals (ImportUndoDialog):
    confirm_requested(): the user pressed Undo import.
    cancel_requested(): the user pressed Cancel (or Escape) while the undo ran.

Signals (ImportUndoFlow):
    preview_ready(ImportUndoDialog): the preview is open.
    finished(ImportUndoResult): an undo was done.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from bookkeeper_desktop.core.errors import Cancelled
from bookkeeper_desktop.core.progress import Progress, ProgressSnapshot
from bookkeeper_desktop.gui.context import AppContext
from bookkeeper_desktop.gui.ledger.lifetime import is_alive
from bookkeeper_desktop.gui.table_model import RowsTableModel
from bookkeeper_desktop.services.coa_undo import ImportUndoPlan, ImportUndoResult, UndoItem

ModelIndex = QModelIndex | QPersistentModelIndex
#: Kept accounts named in the dialog's heading before "and N more".
KEPT_NAMED = 3


class UndoSource(Protocol):
    """What the flow needs of the pane's `LedgerSource`."""

    def plan_import_undo(self, company_id: int) -> ImportUndoPlan | None: ...

    def undo_import(self, company_id: int, import_id: int,
                    progress: Progress) -> ImportUndoResult: ...


class UndoItemsModel(RowsTableModel[UndoItem]):
    """Accounts of one group: Account, Code, Type, and what happens (or why not)."""

    def __init__(self, items: Sequence[UndoItem], detail_header: str) -> None:
        super().__init__()
        self._headers = ("Account", "Code", "Type", detail_header)
        self.set_rows(items)

    @override
    def headers(self) -> Sequence[str]:
        return self._headers

    @override
    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        item = self.row_for(index)
        if item is not None and role in (Qt.ItemDataRole.DisplayRole,
                                         Qt.ItemDataRole.ToolTipRole):
            return (item.full_name, item.code or "", item.account_type,
                    item.detail)[index.column()]
        return None


def kept_sentence(plan: ImportUndoPlan) -> str:
    """"Kept: Postage (used by 3 entries), Travel (has the subaccount 'Travel:Meals')." """
    if not plan.keep:
        return ""
    named = [f"{item.full_name} ({item.detail})" for item in plan.keep[:KEPT_NAMED]]
    more = len(plan.keep) - len(named)
    return "Kept as they are: " + "; ".join(named) + (f"; and {more} more." if more else ".")


class ImportUndoDialog(QDialog):
    """The preview of undoing the last import, then the undo's progress."""

    confirm_requested = Signal()
    cancel_requested = Signal()

    GROUPS = (("remove", "To remove", "Why it can go"),
              ("restore", "To restore", "What changes back"),
              ("keep", "To keep", "Why it stays"))

    def __init__(self, plan: ImportUndoPlan, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plan = plan
        self.setObjectName("importUndoDialog")
        self.setWindowTitle(f"Undo chart import — {plan.record.file_name}")
        self.resize(780, 480)
        self.summary_label = QLabel(plan.summary())
        self.summary_label.setObjectName("summaryLabel")
        self.summary_label.setWordWrap(True)
        self.kept_label = QLabel(kept_sentence(plan))
        self.kept_label.setObjectName("keptLabel")
        self.kept_label.setWordWrap(True)
        self.kept_label.setVisible(bool(plan.keep))
        self.tabs = QTabWidget()
        self.models: dict[str, UndoItemsModel] = {}
        for key, title, detail in self.GROUPS:
            items: tuple[UndoItem, ...] = getattr(plan, key)
            model = UndoItemsModel(items, detail)
            self.models[key] = model
            view = QTableView()
            view.setObjectName(f"{key}View")
            view.setModel(model)
            view.verticalHeader().setVisible(False)
            view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
            view.setWordWrap(False)
            header = view.horizontalHeader()
            header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
            header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
            self.tabs.addTab(view, f"{title} ({len(items)})")
        # The first group that has anything opens first.
        first = next((n for n, (key, _, _) in enumerate(self.GROUPS) if getattr(plan, key)), 0)
        self.tabs.setCurrentIndex(first)
        self.note_label = QLabel(
            "Nothing changes until you press Undo import. After it, the import before this "
            "one (if any) becomes the last one and can be undone too.")
        self.note_label.setObjectName("noteLabel")
        self.note_label.setWordWrap(True)
        self.progress_bar = QProgressBar()
        self.progress_bar.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelButton")
        # Enter must never undo: Cancel is the default button, Undo import is a click or Alt+U.
        self.cancel_button.setDefault(True)
        self.undo_button = QPushButton("&Undo import")
        self.undo_button.setObjectName("undoButton")
        self.undo_button.setAutoDefault(False)
        if not plan.changes_anything:  # confirming lets the import before it be undone
            self.undo_button.setText("&Mark as undone")
            self.undo_button.setToolTip("Everything this import did stays (see To keep); the "
                                        "import is marked undone.")
        self.undo_button.clicked.connect(self._confirm)
        self.cancel_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.progress_bar, 1)
        buttons.addStretch()
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.undo_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.kept_label)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.note_label)
        layout.addLayout(buttons)
        self._running = False

    @property
    def running(self) -> bool:
        return self._running

    def _confirm(self) -> None:
        if self._running:
            return
        self._running = True
        self.undo_button.setEnabled(False)
        self.progress_bar.setVisible(True)
        self.progress_bar.setRange(0, 0)
        self.note_label.setText("Undoing… nothing is changed until all of it is done.")
        self.confirm_requested.emit()

    @override
    def reject(self) -> None:
        """Cancel or Escape: close (nothing was changed); while the undo runs, cancel it."""
        if self._running:
            self.cancel_requested.emit()
            self.note_label.setText("Cancelling…")
            return
        super().reject()

    def show_progress(self, snapshot: ProgressSnapshot) -> None:
        if snapshot.total:
            self.progress_bar.setRange(0, snapshot.total)
            self.progress_bar.setValue(min(snapshot.done, snapshot.total))

    def finish(self) -> None:
        self._running = False
        self.accept()

    def fail(self, message: str) -> None:
        """The undo failed or was cancelled: nothing was changed; stay open and say so."""
        self._running = False
        self.progress_bar.setVisible(False)
        self.undo_button.setEnabled(True)
        self.note_label.setText(message)


class ImportUndoFlow(QObject):
    """Preview, confirm and run the undo of a company's last chart import (module docstring)."""

    preview_ready = Signal(object)
    finished = Signal(object)

    def __init__(self, ctx: AppContext, source: UndoSource, parent: QWidget,
                 say: Callable[[str], None]) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.source = source
        self.widget = parent
        self.say = say
        self.dialog: ImportUndoDialog | None = None

    def start(self, company_id: int) -> None:
        self.say("Reading the last chart import…")
        self.ctx.jobs.run(
            lambda _p: self.source.plan_import_undo(company_id),
            lane="db", owner=self.widget, title="Reading the last chart import",
            on_done=lambda plan: self._show(company_id, plan),
            on_error=self._failed,
        )

    def _failed(self, error: BaseException) -> None:
        self.say("")
        self.ctx.show_error(error, self.widget)

    def _show(self, company_id: int, plan: ImportUndoPlan | None) -> None:
        if plan is None:
            self.say("There is no chart import to undo.")
            return
        self.say("")
        dialog = ImportUndoDialog(plan, self.widget)
        self.dialog = dialog
        dialog.confirm_requested.connect(lambda: self._run(company_id, dialog))
        dialog.open()
        self.preview_ready.emit(dialog)

    def _run(self, company_id: int, dialog: ImportUndoDialog) -> None:
        import_id = dialog.plan.record.id
        job = self.ctx.jobs.run(
            lambda progress: self.source.undo_import(company_id, import_id, progress),
            lane="db", owner=self.widget, title="Undoing the chart import",
            on_done=lambda result: self._done(dialog, result),
            on_error=lambda error: self._undo_failed(dialog, error),
        )
        job.progressed.connect(lambda snapshot: self._progress(dialog, snapshot))
        dialog.cancel_requested.connect(job.cancel)

    @staticmethod
    def _progress(dialog: ImportUndoDialog, snapshot: ProgressSnapshot) -> None:
        if is_alive(dialog):
            dialog.show_progress(snapshot)

    def _done(self, dialog: ImportUndoDialog, result: ImportUndoResult) -> None:
        if is_alive(dialog):
            dialog.finish()
        self.say(result.sentence())
        self.ctx.notify(result.changes)
        self.finished.emit(result)

    def _undo_failed(self, dialog: ImportUndoDialog, error: BaseException) -> None:
        if not is_alive(dialog):
            self.ctx.show_error(error, self.widget)
            return
        if isinstance(error, Cancelled):
            dialog.fail("Cancelled; nothing was changed.")
            return
        dialog.fail("Nothing was changed.")
        self.ctx.show_error(error, dialog)
