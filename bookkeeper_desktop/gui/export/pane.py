"""The Export pane: format, filters (posted by default, or approved; a date range), a preview of
the first rows exactly as they will be written, the problems that stop an export listed before
anything is written (PRODUCT.md §2: an unbalanced entry, an account missing from the target, a
Xero file over 300 lines), the entries a format takes another way listed as left out (Xero's
manual journals refuse bank, credit-card, receivable and payable lines) with Save bank statements
for their bank lines, Save As with progress and Cancel, and the export history with "Show in
folder".

All reading and writing runs in db-lane jobs on the pane's `ExportSource`; the preview is re-read
a moment after the format or a filter changes.

Signals:
    preview_loaded(ExportPreview): a preview arrived.
    export_finished(ExportOutcome): a file (or files) was written.
    history_loaded(int): the export log was read (its number of rows).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QStandardPaths, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from bookkeeper_desktop.core.errors import Cancelled, ValidationError
from bookkeeper_desktop.core.journal import EntryStatus
from bookkeeper_desktop.core.progress import ProgressSnapshot
from bookkeeper_desktop.gui.context import AppContext
from bookkeeper_desktop.gui.empty_state import NoCompanyPanel
from bookkeeper_desktop.gui.export.models import ExportHistoryModel, PreviewRowsModel
from bookkeeper_desktop.gui.export.services_source import ServicesExportSource
from bookkeeper_desktop.gui.export.source import (
    ExportOutcome,
    ExportPreview,
    ExportRequest,
    ExportSource,
)
from bookkeeper_desktop.gui.table_model import SelectionKeeper
from bookkeeper_desktop.settings import EXPORT_FORMATS, EXPORT_STATUSES

#: Rows shown in the preview.
PREVIEW_ROWS = 50
#: Quiet time after a change of format or filter before the preview is re-read (ms).
PREVIEW_DELAY_MS = 150

OpenUrlFn = Callable[[QUrl], bool]
AskSavePathFn = Callable[[QWidget, Path, str], Path | None]

_FILE_FILTERS = {
    "iif": "QuickBooks Desktop IIF (*.iif)",
    "qbo-csv": "CSV (*.csv)",
    "xero-csv": "CSV (*.csv)",
    "xlsx": "Excel workbook (*.xlsx)",
}


def ask_save_path(parent: QWidget, suggested: Path, file_filter: str) -> Path | None:
    name, _ = QFileDialog.getSaveFileName(parent, "Export journal entries", str(suggested),
                                          file_filter)
    return Path(name) if name else None


def statuses_of(key: str) -> frozenset[EntryStatus]:
    """A settings status choice ("posted", "approved", "approved+posted") as statuses."""
    return frozenset(EntryStatus(part) for part in key.split("+"))


class ExportPane(QWidget):
    """See the module docstring. Construct as `ExportPane(ctx)`."""

    preview_loaded = Signal(object)
    export_finished = Signal(object)
    history_loaded = Signal(int)

    def __init__(
        self,
        ctx: AppContext,
        source: ExportSource | None = None,
        *,
        open_url: OpenUrlFn = QDesktopServices.openUrl,
        ask_path: AskSavePathFn = ask_save_path,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("exportPane")
        self.ctx = ctx
        self.source: ExportSource = source or ServicesExportSource(ctx.services, ctx)
        self._open_url = open_url
        self._ask_path = ask_path
        self._preview: ExportPreview | None = None
        self._preview_generation = 0
        self._preview_stale = False
        self._job: Any = None
        self._company_id: int | None = None
        self._build()
        self._apply_settings_defaults()
        ctx.changes.changed.connect(self._on_changes)
        self._set_company(ctx.company_id)

    # --- layout ----------------------------------------------------------------------------------

    def _build(self) -> None:
        self.format_combo = QComboBox()
        self.format_combo.setObjectName("formatCombo")
        for key, label in EXPORT_FORMATS:
            self.format_combo.addItem(label, key)
        self.status_combo = QComboBox()
        self.status_combo.setObjectName("statusCombo")
        for key, label in EXPORT_STATUSES:
            self.status_combo.addItem(label, key)
        today = dt.datetime.now().astimezone().date()
        self.from_check = QCheckBox("From")
        self.from_edit = QDateEdit(QDate(today.year, 1, 1))
        self.to_check = QCheckBox("To")
        self.to_edit = QDateEdit(QDate(today.year, today.month, today.day))
        for edit in (self.from_edit, self.to_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setEnabled(False)
        self.from_check.toggled.connect(self.from_edit.setEnabled)
        self.to_check.toggled.connect(self.to_edit.setEnabled)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        form.addRow("&Format", self.format_combo)
        form.addRow("&Entries", self.status_combo)
        dates = QHBoxLayout()
        dates.addWidget(self.from_check)
        dates.addWidget(self.from_edit)
        dates.addWidget(self.to_check)
        dates.addWidget(self.to_edit)
        dates.addStretch()
        form.addRow("Dates", dates)

        self.summary_label = QLabel()
        self.summary_label.setObjectName("summaryLabel")
        self.summary_label.setWordWrap(True)
        self.preview_model = PreviewRowsModel()
        self.preview_view = QTableView()
        self.preview_view.setObjectName("previewView")
        self.preview_view.setModel(self.preview_model)
        self.preview_view.setWordWrap(False)
        self.preview_view.verticalHeader().setDefaultSectionSize(22)
        self.preview_view.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)

        self.problems_label = QLabel()
        self.problems_label.setObjectName("problemsLabel")
        self.problems_label.setWordWrap(True)
        self.problems_label.setStyleSheet("color: #c0392b;")
        self.problems_list = QListWidget()
        self.problems_list.setObjectName("problemsList")
        self.problems_list.setMaximumHeight(120)
        self.problems_list.setVisible(False)

        self.left_out_label = QLabel()
        self.left_out_label.setObjectName("leftOutLabel")
        self.left_out_label.setWordWrap(True)
        self.left_out_label.setStyleSheet("color: #b9770e;")
        self.left_out_list = QListWidget()
        self.left_out_list.setObjectName("leftOutList")
        self.left_out_list.setMaximumHeight(120)
        self.left_out_list.setWordWrap(True)
        self.left_out_list.setVisible(False)
        self.statements_button = QPushButton("Save &bank statements…")
        self.statements_button.setObjectName("statementsButton")
        self.statements_button.setToolTip(
            "The bank and credit-card lines of these entries as Xero bank-statement CSV files, "
            "one per account: import each in Xero (Bank accounts → Import a statement) and "
            "reconcile.")
        self.statements_button.setVisible(False)
        self.statements_button.clicked.connect(self.save_bank_statements)

        self.save_button = QPushButton("&Save As…")
        self.save_button.setObjectName("saveButton")
        self.save_button.clicked.connect(self.save_as)
        self.progress_bar = QProgressBar()
        self.progress_bar.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.cancel_export)
        self.result_label = QLabel()
        self.result_label.setObjectName("resultLabel")
        self.result_label.setWordWrap(True)
        actions = QHBoxLayout()
        actions.addWidget(self.result_label, 1)
        actions.addWidget(self.progress_bar)
        actions.addWidget(self.cancel_button)
        actions.addWidget(self.statements_button)
        actions.addWidget(self.save_button)

        preview_box = QGroupBox("Preview — the first rows as they will be written")
        preview_layout = QVBoxLayout(preview_box)
        preview_layout.addLayout(form)
        preview_layout.addWidget(self.summary_label)
        preview_layout.addWidget(self.preview_view, 1)
        preview_layout.addWidget(self.problems_label)
        preview_layout.addWidget(self.problems_list)
        preview_layout.addWidget(self.left_out_label)
        preview_layout.addWidget(self.left_out_list)
        preview_layout.addLayout(actions)

        self.history_model = ExportHistoryModel()
        self.history_view = QTableView()
        self.history_view.setObjectName("historyView")
        self.history_view.setModel(self.history_model)
        self.history_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.history_view.verticalHeader().setVisible(False)
        self.history_view.horizontalHeader().setSectionResizeMode(
            4, QHeaderView.ResizeMode.Stretch)
        self.history_view.doubleClicked.connect(lambda _i: self.show_in_folder())
        self.show_folder_button = QPushButton("Show in folder")
        self.show_folder_button.setObjectName("showFolderButton")
        self.show_folder_button.clicked.connect(self.show_in_folder)
        self.history_view.selectionModel().selectionChanged.connect(self._update_history_actions)
        # A new export (or another reload) keeps the user on the record they picked.
        self.history_keeper = SelectionKeeper(
            self.history_view,
            lambda row: record.id if (record := self.history_model.record(row)) else None)
        history_box = QGroupBox("Export history")
        history_layout = QVBoxLayout(history_box)
        history_layout.addWidget(self.history_view, 1)
        history_buttons = QHBoxLayout()
        history_buttons.addStretch()
        history_buttons.addWidget(self.show_folder_button)
        history_layout.addLayout(history_buttons)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(preview_box)
        self.splitter.addWidget(history_box)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        # No company open: say so, with buttons to create one or open the sample (the main
        # window connects them to the company switcher).
        self.no_company = NoCompanyPanel()
        self.empty_label = self.no_company.label
        layout = QVBoxLayout(self)
        layout.addWidget(self.no_company)
        layout.addWidget(self.splitter, 1)

        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self.reload_preview)
        for combo in (self.format_combo, self.status_combo):
            combo.currentIndexChanged.connect(self._schedule_preview)
        for check in (self.from_check, self.to_check):
            check.toggled.connect(self._schedule_preview)
        for edit in (self.from_edit, self.to_edit):
            edit.dateChanged.connect(self._schedule_preview)
        self._update_history_actions()

    def _apply_settings_defaults(self) -> None:
        settings = self.ctx.settings
        for combo, key in ((self.format_combo, settings.export_format),
                           (self.status_combo, settings.export_status)):
            position = combo.findData(key)
            if position >= 0:
                combo.blockSignals(True)
                combo.setCurrentIndex(position)
                combo.blockSignals(False)

    # --- company and changes ---------------------------------------------------------------------

    def _set_company(self, company_id: int | None) -> None:
        self._company_id = company_id
        self.no_company.setVisible(company_id is None)
        self.splitter.setVisible(company_id is not None)
        self._preview = None
        self.preview_model.set_rows((), ())
        self.history_model.set_records(())
        self._update_save_state()
        if company_id is not None:
            self.reload_preview()
            self.reload_history()

    def _on_changes(self, changes: Any) -> None:
        if changes.company and self.ctx.company_id != self._company_id:
            self._set_company(self.ctx.company_id)
            return
        if self._company_id is None:
            return
        if changes.entries or changes.accounts or changes.mappings or changes.settings:
            self._schedule_preview()
        if changes.exports:
            self.reload_history()

    @override
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._preview_stale:
            self.reload_preview()

    # --- the request and its preview -------------------------------------------------------------

    def request(self) -> ExportRequest:
        def day(edit: QDateEdit) -> dt.date:
            value = edit.date()
            return dt.date(value.year(), value.month(), value.day())

        return ExportRequest(
            format=str(self.format_combo.currentData()),
            statuses=statuses_of(str(self.status_combo.currentData())),
            date_from=day(self.from_edit) if self.from_check.isChecked() else None,
            date_to=day(self.to_edit) if self.to_check.isChecked() else None,
        )

    @property
    def preview(self) -> ExportPreview | None:
        return self._preview

    def _schedule_preview(self, *_args: object) -> None:
        self._preview = None
        self._update_save_state()
        self._preview_timer.start()

    def reload_preview(self) -> None:
        """Read the preview again, now if the pane is on screen, else when it is shown.

        The preview checks every matching entry against the format (what would be refused is
        listed before saving), which for 100k entries is real work in the one database lane: a
        hidden pane does not do it on every change made in the Ledger."""
        self._preview_timer.stop()
        company_id = self._company_id
        if company_id is None:
            return
        if not self.isVisible():
            self._preview_stale = True
            return
        self._preview_stale = False
        self._preview_generation += 1
        generation, request = self._preview_generation, self.request()
        self.summary_label.setText("Reading the entries…")
        self.ctx.jobs.run(
            lambda _p: self.source.preview(company_id, request, PREVIEW_ROWS),
            lane="db", owner=self,
            title="Preparing the export preview",
            on_done=lambda preview: self._preview_arrived(generation, preview),
            on_error=lambda error: self._preview_failed(generation, error),
        )

    def _preview_arrived(self, generation: int, preview: ExportPreview) -> None:
        if generation != self._preview_generation:
            return
        self._preview = preview
        self.preview_model.set_rows(preview.headers, preview.rows)
        count = preview.entry_count
        text = f"{count:,} entr{'y' if count == 1 else 'ies'} to export."
        if count and len(preview.rows) >= PREVIEW_ROWS:
            text += f" Showing the first {PREVIEW_ROWS} rows."
        if preview.notes:
            text += " " + " ".join(preview.notes)
        self.summary_label.setText(text)
        self.problems_list.clear()
        self.problems_list.addItems(list(preview.problems))
        self.problems_list.setVisible(bool(preview.problems))
        self.problems_label.setText(
            f"{len(preview.problems)} problem{'s' if len(preview.problems) != 1 else ''} must be "
            "fixed first; nothing is written while any entry has one."
            if preview.problems else "")
        self.left_out_list.clear()
        self.left_out_list.addItems(list(preview.left_out))
        self.left_out_list.setVisible(bool(preview.left_out))
        self.left_out_label.setText(
            "Left out of this file (Xero takes them another way):" if preview.left_out else "")
        self._update_save_state()
        self.preview_loaded.emit(preview)

    def _preview_failed(self, generation: int, error: BaseException) -> None:
        if generation != self._preview_generation:
            return
        self.preview_model.set_rows((), ())
        if isinstance(error, ValidationError):
            # Filters the export cannot take (an empty date range): said in place, no dialog.
            self.summary_label.setText(error.message)
            self.problems_list.clear()
            self.problems_list.addItems(list(error.problems))
            self.problems_list.setVisible(bool(error.problems))
            self.problems_label.setText("Change the filters above.")
            return
        self.summary_label.setText("The preview could not be prepared.")
        self.ctx.show_error(error, self)

    def _update_save_state(self) -> None:
        preview, running = self._preview, self._job is not None
        if self._company_id is None:
            reason = "Open a company first."
        elif running:
            reason = "An export is running."
        elif preview is None:
            reason = "Preparing the preview…"
        elif preview.problems:
            reason = "Fix the problems listed first."
        elif preview.entry_count == 0:
            reason = "No entries match these filters."
        else:
            reason = ""
        self.save_button.setEnabled(not reason)
        self.save_button.setToolTip(reason)
        statements = (preview is not None and preview.bank_lines
                      and self.request().format == "xero-csv")
        self.statements_button.setVisible(bool(statements))
        self.statements_button.setEnabled(bool(statements) and not running
                                          and self._company_id is not None)

    # --- exporting -------------------------------------------------------------------------------

    def suggested_path(self) -> Path:
        folder = str(self.ctx.settings.export_folder) or QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation)
        request = self.request()
        stamp = dt.datetime.now().astimezone().strftime("%Y-%m-%d")
        return Path(folder) / f"journal-{request.format}-{stamp}{request.suffix}"

    def save_as(self) -> None:
        company_id = self._company_id
        if company_id is None or not self.save_button.isEnabled():
            return
        request = self.request()
        path = self._ask_path(self, self.suggested_path(), _FILE_FILTERS.get(request.format, ""))
        if path is None:
            return
        if request.suffix and path.suffix.lower() != request.suffix:
            path = path.with_name(path.name + request.suffix)
        self._start(f"Exporting to {path.name}",
                    lambda progress: self.source.export(company_id, request, path, progress),
                    self._export_done)

    def save_bank_statements(self) -> None:
        """Write the Xero bank-statement files of the bank lines the journal file leaves out."""
        company_id = self._company_id
        if company_id is None or not self.statements_button.isEnabled():
            return
        request = self.request()
        stamp = dt.datetime.now().astimezone().strftime("%Y-%m-%d")
        suggested = self.suggested_path().with_name(f"bank-statement-{stamp}.csv")
        path = self._ask_path(self, suggested, _FILE_FILTERS["xero-csv"])
        if path is None:
            return
        self._start(f"Writing bank statements next to {path.name}",
                    lambda progress: self.source.bank_statements(company_id, request, path,
                                                                 progress),
                    self._statements_done)

    def _start(self, title: str, work: Callable[[Any], Any],
               on_done: Callable[[Any], None]) -> None:
        self.result_label.setText(title + "…")
        self.progress_bar.setRange(0, 0)
        self.progress_bar.setVisible(True)
        self.cancel_button.setVisible(True)
        self.cancel_button.setEnabled(True)
        job = self.ctx.jobs.run(work, lane="db", owner=self, title=title, on_done=on_done,
                                on_error=self._export_failed)
        job.progressed.connect(self._export_progress)
        self._job = job
        self._update_save_state()

    def _statements_done(self, outcome: ExportOutcome) -> None:
        self._export_ended()
        names = ", ".join(path.name for path in outcome.files)
        count = outcome.entry_count
        self.result_label.setText(
            f"Wrote {count:,} bank line{'' if count == 1 else 's'} to {names}." if names
            else "No bank lines to write.")
        self.ctx.notify(outcome.changes)
        self.export_finished.emit(outcome)

    def cancel_export(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self.cancel_button.setEnabled(False)
            self.result_label.setText("Cancelling…")

    @property
    def exporting(self) -> bool:
        return self._job is not None

    def _export_progress(self, snapshot: ProgressSnapshot) -> None:
        if snapshot.total:
            self.progress_bar.setRange(0, snapshot.total)
            self.progress_bar.setValue(min(snapshot.done, snapshot.total))
        # "Checking entries 40%", then "Writing the file 10%" (services.exporting's phases).
        self.progress_bar.setFormat(f"{snapshot.phase} %p%" if snapshot.phase else "%p%")

    def _export_ended(self) -> None:
        self._job = None
        self.progress_bar.setVisible(False)
        self.cancel_button.setVisible(False)
        self._update_save_state()

    def _export_done(self, outcome: ExportOutcome) -> None:
        self._export_ended()
        names = ", ".join(path.name for path in outcome.files)
        count = outcome.entry_count
        self.result_label.setText(
            f"Exported {count:,} entr{'y' if count == 1 else 'ies'} to {names}.")
        self.ctx.notify(outcome.changes)
        self.export_finished.emit(outcome)

    def _export_failed(self, error: BaseException) -> None:
        self._export_ended()
        if isinstance(error, Cancelled):
            self.result_label.setText("Export cancelled; no file was written.")
        else:
            self.result_label.setText("Nothing was exported.")
            self.ctx.show_error(error, self)
        # A failed or cancelled export is logged too.
        self.reload_history()

    # --- history ---------------------------------------------------------------------------------

    def reload_history(self) -> None:
        company_id = self._company_id
        if company_id is None:
            return
        self.ctx.jobs.run(
            lambda _p: list(self.source.history(company_id)),
            lane="db", owner=self,
            title="Reading the export history",
            on_done=self._history_arrived,
            on_error=lambda error: self.ctx.show_error(error, self),
        )

    def _history_arrived(self, records: list[Any]) -> None:
        with self.history_keeper.kept():
            self.history_model.set_records(records)
        self._update_history_actions()
        self.history_loaded.emit(len(records))

    def _update_history_actions(self, *_args: object) -> None:
        self.show_folder_button.setEnabled(self.history_view.selectionModel().hasSelection())

    def show_in_folder(self) -> bool:
        """Open the folder of the selected export in the file manager."""
        rows = self.history_view.selectionModel().selectedRows()
        record = self.history_model.record(rows[0].row()) if rows else None
        if record is None or not record.file_name:
            return False
        folder = Path(record.file_name).parent
        if not folder.is_dir():
            self.result_label.setText(f"The folder {folder} no longer exists.")
            return False
        return bool(self._open_url(QUrl.fromLocalFile(str(folder))))
