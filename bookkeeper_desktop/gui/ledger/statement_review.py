"""The review of proposed statement lines, keyboard first.

Keys (on the table): **Enter** accepts the current line (its draft is approved, or posted when
Settings say so) and moves to the next; **F2** opens the picker (account, contact, tax code) and
accepts with it; **Ctrl+Shift+A** accepts every line at or above the threshold; **Delete**
skips the line (remembered for re-imports); **Ctrl+L** splits it across accounts; **Ctrl+R**
makes a rule from it. The reason of the current line's proposal is shown under the table.

Every action runs in the database lane of the job runner (accepting many lines reports progress,
and the status bar's Cancel leaves them all as they were); the table reloads when it ends and
`ctx.notify` tells the other views that entries changed.

Signals:
    loaded(int): the waiting lines were (re)read; how many.
    acted(str): an action ended; its message (also shown in `message_label`).

Attributes:
    table, model: the lines. picker / split_dialog / rule_dialog: the dialog open, if any.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from bookkeeper_desktop.core.accounts import Account
from bookkeeper_desktop.core.changes import Changes
from bookkeeper_desktop.core.errors import ValidationError
from bookkeeper_desktop.core.money import format_money
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.gui.context import AppContext
from bookkeeper_desktop.gui.ledger.statement_dialogs import (
    LinePickerDialog,
    RuleDialog,
    SplitDialog,
)
from bookkeeper_desktop.gui.table_model import RowsTableModel
from bookkeeper_desktop.services import accounts as account_services
from bookkeeper_desktop.services import statement_review as review

ModelIndex = QModelIndex | QPersistentModelIndex
HEADERS = ("Date", "Bank account", "Amount", "Description", "Account", "Contact", "Tax",
           "Sure", "Why")
AMOUNT, SURE = 2, 7
NO_MODIFIER = Qt.KeyboardModifier.NoModifier
CTRL = Qt.KeyboardModifier.ControlModifier


class ReviewTableModel(RowsTableModel[review.ReviewLine]):
    @override
    def headers(self) -> tuple[str, ...]:
        return HEADERS

    @override
    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        line = self.row_for(index)
        if line is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return (line.date.isoformat(), line.bank_account, format_money(line.amount),
                    line.text, line.account, line.contact, line.tax_code,
                    f"{line.confidence}%", line.reason)[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{line.reason}\n{line.file_name}, line {line.file_line}"
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in (AMOUNT, SURE):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class StatementReviewDialog(QDialog):
    """See the module docstring. `StatementReviewDialog(ctx, company_id)`; `reload()` reads."""

    loaded = Signal(int)
    acted = Signal(str)

    def __init__(self, ctx: AppContext, company_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statementReview")
        self.setWindowTitle("Review statement lines")
        self.ctx = ctx
        self.company_id = company_id
        self.accounts: list[Account] = []
        self.picker: LinePickerDialog | None = None
        self.split_dialog: SplitDialog | None = None
        self.rule_dialog: RuleDialog | None = None
        self.model = ReviewTableModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("statementReviewTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(
            len(HEADERS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(self._show_reason)
        self.reason_label = QLabel(self)
        self.reason_label.setObjectName("statementReason")
        self.reason_label.setWordWrap(True)
        self.message_label = QLabel(self)
        self.message_label.setWordWrap(True)
        self.threshold = QSpinBox(self)
        self.threshold.setRange(0, 100)
        self.threshold.setSuffix("%")
        self.threshold.setValue(int(str(ctx.settings.get("statements/accept_above"))))
        self.accept_above_button = self._button("Accept all ≥", self.accept_above,
                                                "Ctrl+Shift+A")
        buttons = QHBoxLayout()
        buttons.addWidget(self._button("&Accept", self.accept_current, None,
                                       tip="Enter: accept the line as proposed"))
        buttons.addWidget(self._button("&Change…", self.change_current, "F2"))
        buttons.addWidget(self._button("&Split…", self.split_current, "Ctrl+L"))
        buttons.addWidget(self._button("S&kip", self.skip_current, "Delete"))
        buttons.addWidget(self._button("&Rule…", self.rule_from_current, "Ctrl+R"))
        buttons.addStretch(1)
        buttons.addWidget(self.accept_above_button)
        buttons.addWidget(self.threshold)
        # The keys act on the table only (an event filter, not window shortcuts), so that Enter
        # or Delete typed in a picker or split dialog never reaches the review behind it.
        self._keys: dict[tuple[int, Qt.KeyboardModifier], Callable[[], None]] = {
            (Qt.Key.Key_Return, NO_MODIFIER): self.accept_current,
            (Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier): self.accept_current,
            (Qt.Key.Key_F2, NO_MODIFIER): self.change_current,
            (Qt.Key.Key_Delete, NO_MODIFIER): self.skip_current,
            (Qt.Key.Key_L, CTRL): self.split_current,
            (Qt.Key.Key_R, CTRL): self.rule_from_current,
            (Qt.Key.Key_A, CTRL | Qt.KeyboardModifier.ShiftModifier): self.accept_above,
        }
        self.table.installEventFilter(self)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Enter accepts · F2 changes the account · Ctrl+Shift+A accepts "
                                "all at or above the threshold · Delete skips · Ctrl+L splits "
                                "· Ctrl+R makes a rule", self))
        layout.addWidget(self.table, 1)
        layout.addWidget(self.reason_label)
        layout.addLayout(buttons)
        layout.addWidget(self.message_label)
        self.resize(1100, 520)

    def _button(self, text: str, slot: Callable[[], None], key: str | None, *,
                tip: str = "") -> QPushButton:
        button = QPushButton(text, self)
        button.setAutoDefault(False)
        button.clicked.connect(slot)
        button.setToolTip(f"{tip or text.replace('&', '')}" + (f" ({key})" if key else ""))
        return button

    @override
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            action = self._keys.get((event.key(), event.modifiers()))
            if action is not None:
                action()
                return True
        return super().eventFilter(watched, event)

    # --- reading -------------------------------------------------------------------------------

    def reload(self, select_row: int | None = None) -> None:
        db, company_id = self.ctx.services.db, self.company_id

        def read(_progress: object) -> tuple[list[review.ReviewLine], list[Account]]:
            return (review.review_lines(db, company_id),
                    account_services.list_accounts(db, company_id))

        self.ctx.jobs.run(read, lane="db", owner=self, title="Reading statement lines",
                          on_done=lambda result: self._loaded(result, select_row),
                          on_error=lambda error: self.ctx.show_error(error, self))

    def _loaded(self, result: tuple[list[review.ReviewLine], list[Account]],
                select_row: int | None) -> None:
        lines, self.accounts = result
        self.model.set_rows(lines)
        if lines:
            row = min(select_row if select_row is not None else 0, len(lines) - 1)
            self.table.setCurrentIndex(self.model.index(row, 0))
        else:
            self.reason_label.setText("No statement lines wait for review.")
        self.table.setFocus()
        self.loaded.emit(len(lines))

    def _show_reason(self, current: QModelIndex, _previous: QModelIndex) -> None:
        line = self.model.row_for(current)
        if line is not None:
            self.reason_label.setText(f"Why {line.account or 'no account'} "
                                      f"({line.confidence}%): {line.reason}")

    def current_line(self) -> review.ReviewLine | None:
        return self.model.row_for(self.table.currentIndex())

    # --- actions -------------------------------------------------------------------------------

    def _run(self, title: str, work: Callable[[Progress], Any],
             message: Callable[[Any], str]) -> None:
        row = self.table.currentIndex().row()

        def done(result: Any) -> None:
            text = message(result)
            self.message_label.setText(text)
            self.ctx.notify(Changes(entries=True, accounts=True))
            self.reload(select_row=max(row, 0))
            self.acted.emit(text)

        self.ctx.jobs.run(work, lane="db", owner=self, title=title, on_done=done,
                          on_error=lambda error: self.ctx.show_error(error, self))

    def _post(self) -> bool:
        return str(self.ctx.settings.get("statements/on_accept")) == "posted"

    def _accept(self, ids: list[int], choices: dict[int, review.Choice] | None = None) -> None:
        db, company_id, post = self.ctx.services.db, self.company_id, self._post()
        self._run("Accepting statement lines",
                  lambda progress: review.accept_lines(db, company_id, ids, choices=choices,
                                                       post=post, progress=progress),
                  _result_text("accepted"))

    def accept_current(self) -> None:
        line = self.current_line()
        if line is not None:
            self._accept([line.id])

    def accept_above(self) -> None:
        db, company_id, post = self.ctx.services.db, self.company_id, self._post()
        threshold = self.threshold.value()
        self._run(f"Accepting lines at or above {threshold}%",
                  lambda progress: review.accept_above(db, company_id, threshold, post=post,
                                                       progress=progress),
                  _result_text("accepted"))

    def change_current(self) -> None:
        line = self.current_line()
        if line is None:
            return
        self.picker = LinePickerDialog(line, self.accounts, self)

        def chosen() -> None:
            assert self.picker is not None
            choice = self.picker.choice()
            if choice is not None:
                self._accept([line.id], {line.id: choice})

        self.picker.accepted.connect(chosen)
        self.picker.open()

    def skip_current(self) -> None:
        line = self.current_line()
        if line is None:
            return
        db, company_id = self.ctx.services.db, self.company_id
        self._run("Skipping a statement line",
                  lambda _progress: review.ignore_lines(db, company_id, [line.id]),
                  _result_text("skipped"))

    def split_current(self) -> None:
        line = self.current_line()
        if line is None:
            return
        self.split_dialog = SplitDialog(line, self.accounts, self)

        def chosen() -> None:
            assert self.split_dialog is not None
            try:
                parts = self.split_dialog.parts()
            except ValueError as exc:
                self.ctx.show_error(ValidationError(str(exc)), self)
                return
            db, company_id = self.ctx.services.db, self.company_id
            self._run("Splitting a statement line",
                      lambda _progress: review.split_line(db, company_id, line.id, parts),
                      lambda _r: f"Split the line of {line.date.isoformat()} into "
                                 f"{len(parts)} parts; Enter accepts it.")

        self.split_dialog.accepted.connect(chosen)
        self.split_dialog.open()

    def rule_from_current(self) -> None:
        line = self.current_line()
        if line is None:
            return
        self.rule_dialog = RuleDialog(line, self.accounts, self)

        def chosen() -> None:
            assert self.rule_dialog is not None
            rule = self.rule_dialog.rule()
            if rule is None:
                return
            db, company_id = self.ctx.services.db, self.company_id
            self._run("Saving a rule",
                      lambda _progress: review.add_rule(db, company_id, rule),
                      lambda result: f"Rule saved: description contains '{result[0].contains}';"
                                     f" {result[1]} waiting line(s) follow it.")

        self.rule_dialog.accepted.connect(chosen)
        self.rule_dialog.open()


def _result_text(verb: str) -> Callable[[review.ReviewResult], str]:
    def text(result: review.ReviewResult) -> str:
        lines = [f"{len(result.done)} line(s) {verb}."]
        lines += [f"Line #{line_id} was not: {reason}" for line_id, reason in result.refused]
        return "\n".join(lines)
    return text
