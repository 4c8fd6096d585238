"""The chart-of-accounts import preview: what will be added, updated (and what changes), skipped
(and why), and the errors with their file line numbers; then Apply, all or nothing.

The dialog shows a `PreviewSummary` (made from the formats layer's plan by the pane) and emits
`apply_requested`; the pane runs the import in a job and drives `show_progress()`, `finish()` or
`fail()`. Apply stays disabled while the file has errors: an import is all or nothing
(issue 3), so nothing would be imported anyway, and the reason says what to fix.

Signals:
    apply_requested(): the user pressed Apply.
    cancel_requested(): the user pressed Cancel while the import ran.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from bookkeeper_desktop.core.progress import ProgressSnapshot
from bookkeeper_desktop.gui.table_model import ReadOnlyTableModel

ModelIndex = QModelIndex | QPersistentModelIndex


class PreviewKind(StrEnum):
    ADD = "add"
    UPDATE = "update"
    SKIP = "skip"
    ERROR = "error"

    @property
    def tab_title(self) -> str:
        return {"add": "To add", "update": "To update", "skip": "Skipped",
                "error": "Errors"}[self.value]


@dataclass(frozen=True)
class PreviewItem:
    """One line of the preview: the file line it came from, the account, and what happens."""

    kind: PreviewKind
    line: int | None
    account: str
    detail: str
    account_type: str = ""
    code: str = ""


@dataclass(frozen=True)
class PreviewSummary:
    file_name: str
    format_name: str
    items: tuple[PreviewItem, ...]
    notes: tuple[str, ...] = ()

    def of(self, kind: PreviewKind) -> list[PreviewItem]:
        return [item for item in self.items if item.kind is kind]

    def count(self, kind: PreviewKind) -> int:
        return sum(1 for item in self.items if item.kind is kind)

    @property
    def has_errors(self) -> bool:
        return self.count(PreviewKind.ERROR) > 0

    @property
    def changes_anything(self) -> bool:
        return self.count(PreviewKind.ADD) + self.count(PreviewKind.UPDATE) > 0

    def done_sentence(self) -> str:
        """After the import: "105 accounts added, 3 updated, 2 skipped"."""
        add, update = self.count(PreviewKind.ADD), self.count(PreviewKind.UPDATE)
        skip = self.count(PreviewKind.SKIP)
        return (f"{add} account{'s' if add != 1 else ''} added, {update} updated, "
                f"{skip} skipped")

    def sentence(self) -> str:
        """"12 accounts to add, 3 to update, 2 skipped, 1 error"."""
        add, update = self.count(PreviewKind.ADD), self.count(PreviewKind.UPDATE)
        skip, error = self.count(PreviewKind.SKIP), self.count(PreviewKind.ERROR)
        parts = [f"{add} account{'s' if add != 1 else ''} to add", f"{update} to update",
                 f"{skip} skipped"]
        if error:
            parts.append(f"{error} error{'s' if error != 1 else ''}")
        return ", ".join(parts)


class PreviewTableModel(ReadOnlyTableModel):
    """Items of one kind: Line, Account, Code, Type, and what happens (or why not)."""

    HEADERS = ("Line", "Account", "Code", "Type", "Details")

    def __init__(self, items: Sequence[PreviewItem], detail_header: str = "Details") -> None:
        super().__init__()
        self._items = list(items)
        self._headers = (*self.HEADERS[:-1], detail_header)

    @override
    def headers(self) -> Sequence[str]:
        return self._headers

    @override
    def row_count(self) -> int:
        return len(self._items)

    @override
    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._items):
            return None
        item = self._items[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            values = ("" if item.line is None else str(item.line), item.account, item.code,
                      item.account_type, item.detail)
            return values[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and item.kind is PreviewKind.ERROR:
            return QBrush(QColor("#c0392b"))
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class ImportPreviewDialog(QDialog):
    """Preview a chart-of-accounts file and apply it."""

    #: The notes (what was read differently, warnings) scroll past this height.
    NOTES_MAX_HEIGHT = 96

    apply_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, summary: PreviewSummary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = summary
        self.setObjectName("importPreviewDialog")
        self.setWindowTitle(f"Import chart of accounts — {summary.file_name}")
        self.resize(820, 520)

        heading = QLabel(f"<b>{summary.file_name}</b> · read as {summary.format_name}")
        heading.setObjectName("headingLabel")
        self.summary_label = QLabel(summary.sentence())
        self.summary_label.setObjectName("summaryLabel")
        self.notes_label = QLabel("\n".join(summary.notes))
        self.notes_label.setObjectName("notesLabel")
        self.notes_label.setWordWrap(True)
        self.notes_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        # The notes scroll within a few lines: a long list of warnings once pushed the tabs,
        # the table and Apply below the bottom of the screen.
        self.notes_area = QScrollArea()
        self.notes_area.setObjectName("notesArea")
        self.notes_area.setWidget(self.notes_label)
        self.notes_area.setWidgetResizable(True)
        self.notes_area.setFrameShape(QFrame.Shape.NoFrame)
        self.notes_area.setMaximumHeight(self.NOTES_MAX_HEIGHT)
        self.notes_area.setVisible(bool(summary.notes))
        self.tabs = QTabWidget()
        self.models: dict[PreviewKind, PreviewTableModel] = {}
        details = {PreviewKind.ADD: "Details", PreviewKind.UPDATE: "What changes",
                   PreviewKind.SKIP: "Why", PreviewKind.ERROR: "Problem"}
        for kind in PreviewKind:
            model = PreviewTableModel(summary.of(kind), details[kind])
            self.models[kind] = model
            view = QTableView()
            view.setObjectName(f"{kind.value}View")
            view.setModel(model)
            view.verticalHeader().setVisible(False)
            view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
            view.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
            view.horizontalHeader().setSectionResizeMode(
                1, QHeaderView.ResizeMode.ResizeToContents)
            view.setWordWrap(False)
            self.tabs.addTab(view, f"{kind.tab_title} ({summary.count(kind)})")
        if summary.has_errors:
            self.tabs.setCurrentIndex(list(PreviewKind).index(PreviewKind.ERROR))

        self.reason_label = QLabel()
        self.reason_label.setObjectName("reasonLabel")
        self.reason_label.setWordWrap(True)
        self.progress_bar = QProgressBar()
        self.progress_bar.setVisible(False)
        self.apply_button = QPushButton("&Apply import")
        # Enter must not apply an import the user may not have seen: no default button here,
        # Apply is a click or Alt+A.
        self.apply_button.setAutoDefault(False)
        self.close_button = QPushButton("Cancel")
        self.close_button.setAutoDefault(False)
        self.apply_button.clicked.connect(self._apply)
        self.close_button.clicked.connect(self._close_or_cancel)

        buttons = QHBoxLayout()
        buttons.addWidget(self.progress_bar, 1)
        buttons.addStretch()
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.apply_button)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.notes_area)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.reason_label)
        layout.addLayout(buttons)
        self._running = False
        self._refresh_state()

    @property
    def running(self) -> bool:
        return self._running

    def show_progress(self, snapshot: ProgressSnapshot) -> None:
        self.progress_bar.setVisible(True)
        if snapshot.total:
            self.progress_bar.setRange(0, snapshot.total)
            self.progress_bar.setValue(min(snapshot.done, snapshot.total))
        else:
            self.progress_bar.setRange(0, 0)
        if snapshot.phase:
            self.progress_bar.setFormat(f"{snapshot.phase} %p%")

    def finish(self) -> None:
        """The import was applied: close."""
        self._running = False
        self.accept()

    def fail(self, message: str) -> None:
        """The import failed or was cancelled (nothing was imported): stay open and say so."""
        self._running = False
        self.progress_bar.setVisible(False)
        self._refresh_state()
        self.reason_label.setText(message)

    def _refresh_state(self) -> None:
        if self.summary.has_errors:
            reason = ("Nothing can be imported while the file has errors: fix the lines listed "
                      "under Errors and drop the file again.")
        elif not self.summary.changes_anything:
            reason = "Your chart already matches this file; there is nothing to import."
        else:
            reason = ""
        self.reason_label.setText(reason)
        self.apply_button.setEnabled(not reason and not self._running)
        self.apply_button.setToolTip(reason)
        self.close_button.setText("Cancel")

    def _apply(self) -> None:
        if self._running or self.summary.has_errors or not self.summary.changes_anything:
            return
        self._running = True
        self.apply_button.setEnabled(False)
        self.progress_bar.setVisible(True)
        self.progress_bar.setRange(0, 0)
        self.reason_label.setText("Importing… nothing is changed until every account is in.")
        self.apply_requested.emit()

    def _close_or_cancel(self) -> None:
        if self._running:
            self.cancel_requested.emit()
            self.reason_label.setText("Cancelling…")
        else:
            self.reject()
