"""The statement preview: what a dropped (or chosen) statement file holds and what importing it
would do, before anything changes: the account it belongs to (chosen once when the statement's
account is not linked yet, then remembered), the balance checks, each line's outcome (new with its
proposal and reason, already in the books, a transfer, imported or skipped before) and the lines
refused with their file line numbers. A bank CSV's columns, as detected, are shown and can be
corrected (Columns…); the mapping used is remembered with the account at import. Import stores the
lines and drafts in one transaction.

Signals:
    previewed(object): the preview was read (a list of `StatementPreview`).
    imported(object): the import ended (`ImportOutcome`).

Attributes:
    account_combo, lines_table, import_button, summary_label, progress_bar, cancel_button: for
        tests and the keyboard. A long statement shows its progress; Cancel stops the reading or
        the import (which then changes nothing).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from bookkeeper_desktop.core.accounts import Account
from bookkeeper_desktop.core.changes import Changes
from bookkeeper_desktop.core.errors import Cancelled, ValidationError
from bookkeeper_desktop.core.money import format_money
from bookkeeper_desktop.core.progress import Progress, ProgressSnapshot
from bookkeeper_desktop.formats.statements import CsvMapping
from bookkeeper_desktop.gui.context import AppContext
from bookkeeper_desktop.gui.ledger.account_picker import account_label
from bookkeeper_desktop.gui.ledger.statement_dialogs import CsvMappingDialog
from bookkeeper_desktop.gui.status import show_progress
from bookkeeper_desktop.gui.table_model import RowsTableModel
from bookkeeper_desktop.services import statements
from bookkeeper_desktop.services.statements import Outcome, PreviewLine, StatementPreview

ModelIndex = QModelIndex | QPersistentModelIndex


class PreviewLinesModel(RowsTableModel[PreviewLine]):
    @override
    def headers(self) -> tuple[str, ...]:
        return ("Line", "Date", "Amount", "Description", "What happens", "Sure", "Why")

    @override
    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        item = self.row_for(index)
        if item is None or role != Qt.ItemDataRole.DisplayRole:
            return None
        proposal = item.proposal if item.outcome is Outcome.NEW else None
        return (str(item.line.line), item.line.date.isoformat(), format_money(item.line.amount),
                item.line.text, item.outcome.value,
                f"{proposal.percent}%" if proposal else "",
                proposal.reason if proposal else item.note)[index.column()]


class StatementImportDialog(QDialog):
    """See the module docstring. `StatementImportDialog(ctx, company_id, path)`; `start()`."""

    previewed = Signal(object)
    imported = Signal(object)

    def __init__(self, ctx: AppContext, company_id: int, path: Path,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statementImport")
        self.setWindowTitle(f"Import statement — {path.name}")
        self.ctx, self.company_id, self.path = ctx, company_id, path
        self.previews: list[StatementPreview] = []
        self.title_label = QLabel(self)
        self.account_combo = QComboBox(self)
        self.account_combo.setObjectName("statementAccount")
        self.account_combo.setPlaceholderText("Choose the bank or card account")
        self.account_combo.activated.connect(lambda _i: self._preview())
        self.summary_label = QLabel(self)
        self.summary_label.setWordWrap(True)
        self.model = PreviewLinesModel(self)
        self.lines_table = QTableView(self)
        self.lines_table.setModel(self.model)
        self.lines_table.verticalHeader().hide()
        self.lines_table.horizontalHeader().setSectionResizeMode(
            6, QHeaderView.ResizeMode.Stretch)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setVisible(False)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.cancel)
        self._job: Any = None
        #: The CSV column mapping the user chose in this dialog (None: remembered or detected).
        self.csv_mapping: CsvMapping | None = None
        self.mapping_dialog: CsvMappingDialog | None = None
        self.columns_button = QPushButton("C&olumns…", self)
        self.columns_button.setAutoDefault(False)
        self.columns_button.setVisible(False)
        self.columns_button.clicked.connect(self.edit_columns)
        self.import_button = QPushButton("&Import", self)
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self.start_import)
        close = QPushButton("Close", self)
        close.setAutoDefault(False)
        close.clicked.connect(self.reject)
        account_row = QHBoxLayout()
        account_row.addWidget(QLabel("Account in our books:", self))
        account_row.addWidget(self.account_combo, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.columns_button)
        buttons.addWidget(self.progress_bar, 1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.import_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title_label)
        layout.addLayout(account_row)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.lines_table, 1)
        layout.addLayout(buttons)
        self.resize(1000, 480)

    def start(self) -> None:
        """Read the accounts and the preview (in the database lane)."""
        db, company_id = self.ctx.services.db, self.company_id
        self.summary_label.setText(f"Reading {self.path.name}…")
        self.ctx.jobs.run(lambda _p: statements.statement_accounts(db, company_id),
                          lane="db", owner=self, title="Reading accounts",
                          on_done=self._accounts_loaded,
                          on_error=lambda error: self.ctx.show_error(error, self))

    def _accounts_loaded(self, accounts: list[Account]) -> None:
        for account in accounts:
            self.account_combo.addItem(account_label(account), account.id)
        self.account_combo.setCurrentIndex(-1)
        self._preview()

    def _chosen_account(self) -> int | None:
        data = self.account_combo.currentData()
        return int(data) if data is not None else None

    def _preview(self) -> None:
        db, company_id, path = self.ctx.services.db, self.company_id, self.path
        account_id = self._chosen_account()

        chosen = self.csv_mapping

        def read(progress: Progress) -> list[StatementPreview]:
            mapping = chosen or statements.remembered_mapping(db, company_id, path)
            return statements.preview_statement(db, company_id, path, account_id=account_id,
                                                csv_mapping=mapping, progress=progress)

        self._track(self.ctx.jobs.run(read, lane="db", owner=self, title=f"Reading {path.name}",
                                      on_done=self._show, on_error=self._failed))

    def _track(self, job: Any) -> None:
        """Show the job's progress with a Cancel button while it runs (long statements)."""
        self._job = job
        self.cancel_button.setVisible(True)
        job.progressed.connect(self._progressed)

    def _progressed(self, snapshot: ProgressSnapshot) -> None:
        self.progress_bar.setVisible(True)
        show_progress(self.progress_bar, snapshot)
        self.progress_bar.setFormat(f"{snapshot.phase} %p%")

    def _stopped(self) -> None:
        self._job = None
        self.progress_bar.setVisible(False)
        self.cancel_button.setVisible(False)

    def cancel(self) -> None:
        """Stop the reading or the import; an import cancelled changes nothing."""
        if self._job is not None:
            self._job.cancel()

    def _failed(self, error: BaseException) -> None:
        self._stopped()
        if isinstance(error, Cancelled):
            self.summary_label.setText("Cancelled; nothing was imported.")
            return
        self.summary_label.setText("The file could not be read; nothing was imported.")
        self.ctx.show_error(error, self)

    def _show(self, previews: list[StatementPreview]) -> None:
        self._stopped()
        self.previews = previews
        first = previews[0]
        statement = first.statement
        self.title_label.setText(f"{self.path.name}: {statement.format.label}, "
                                 f"{statement.account_label}"
                                 + (f", {statement.currency}" if statement.currency else ""))
        if first.account is not None:
            self.account_combo.setCurrentIndex(self.account_combo.findData(first.account.id))
        texts = [p.summary_line() for p in previews]
        for preview in previews:
            texts += [*preview.balance_checks, *preview.statement.notes, *preview.notes]
            texts += [f"Refused {problem}" for problem in preview.refused]
        if not all(p.can_apply for p in previews):
            texts.append("Choose the account this statement belongs to; it is remembered for "
                         "the next statements.")
        self.summary_label.setText("\n".join(texts))
        self.model.set_rows([line for p in previews for line in p.lines])
        self.columns_button.setVisible(statement.csv_mapping is not None)
        self.import_button.setEnabled(all(p.can_apply for p in previews))
        self.previewed.emit(previews)

    def edit_columns(self) -> None:
        """Confirm or correct a bank CSV's columns; the preview is read again with them."""
        mapping = self.previews[0].statement.csv_mapping if self.previews else None
        if mapping is None:
            return
        self.mapping_dialog = CsvMappingDialog(mapping, self)

        def chosen() -> None:
            assert self.mapping_dialog is not None
            try:
                self.csv_mapping = self.mapping_dialog.mapping()
            except ValueError as exc:
                self.ctx.show_error(ValidationError(str(exc)), self)
                return
            self._preview()

        self.mapping_dialog.accepted.connect(chosen)
        self.mapping_dialog.open()

    def start_import(self) -> None:
        db, company_id, path = self.ctx.services.db, self.company_id, self.path
        account_id = self._chosen_account()
        self.import_button.setEnabled(False)

        chosen = self.csv_mapping

        def work(progress: Progress) -> statements.ImportOutcome:
            mapping = chosen or statements.remembered_mapping(db, company_id, path)
            return statements.import_statement(db, company_id, path, account_id=account_id,
                                               csv_mapping=mapping, progress=progress)

        self._track(self.ctx.jobs.run(work, lane="db", owner=self, title=f"Importing {path.name}",
                                      on_done=self._imported, on_error=self._failed))

    def _imported(self, outcome: statements.ImportOutcome) -> None:
        self._stopped()
        self.summary_label.setText(f"Imported {len(outcome.created_line_ids)} line(s).")
        self.ctx.notify(Changes(entries=True, accounts=True))
        self.imported.emit(outcome)
        self.accept()
