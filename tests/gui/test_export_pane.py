"""The Export pane against a real SQLite sample company: the preview and its problems, Save As
with progress and Cancel, the export history from the export log, and Show in folder.

`CsvSource` below is a small but real export backend (it reads the entries through the services,
writes a real CSV file with progress and cancel points, and logs the export through the services),
so the pane's behaviour (progress, cancel, problems) is tested on its own; the last tests run the
pane on the real formats writers and export services.
"""

from __future__ import annotations

import csv
import datetime as dt
import threading
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt, QUrl
from pytestqt.qtbot import QtBot

from bookkeeper_desktop.core.changes import Changes
from bookkeeper_desktop.core.errors import ExportError
from bookkeeper_desktop.core.journal import EntryStatus
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.gui.context import AppContext, AppServices
from bookkeeper_desktop.gui.export import ExportPane
from bookkeeper_desktop.gui.export.models import (
    ExportHistoryModel,
    PreviewRowsModel,
    describe_filters,
)
from bookkeeper_desktop.gui.export.source import ExportOutcome, ExportPreview, ExportRequest
from bookkeeper_desktop.jobs import JobRunner
from bookkeeper_desktop.services import entries as entry_services
from bookkeeper_desktop.services import exports as export_services
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.records import EntryFilter, ExportRecord

# The sample books and a context on them (db, company_id, ctx).
pytest_plugins = ["tests.gui.test_ledger_support"]

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

END = dt.date(2026, 6, 30)
#: Longer than the pane waits after a change before reading its preview.
PREVIEW_WAIT_MS = 400
HEADERS = ("Date", "Number", "Account", "Debit", "Credit")


class CsvSource:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.problems: tuple[str, ...] = ()
        self.hold = threading.Event()
        self.hold.set()
        self.started = threading.Event()
        self.requests: list[ExportRequest] = []

    def _filter(self, request: ExportRequest) -> EntryFilter:
        return EntryFilter(statuses=request.statuses, date_from=request.date_from,
                           date_to=request.date_to)

    def _rows(self, company_id: int, request: ExportRequest) -> Iterator[tuple[str, ...]]:
        for entry in entry_services.iter_entries(self.db, company_id, self._filter(request)):
            for line in entry.lines:
                yield (entry.date.isoformat() if entry.date else "", entry.number,
                       str(line.account_id), str(line.debit or ""), str(line.credit or ""))

    def preview(self, company_id: int, request: ExportRequest, limit: int) -> ExportPreview:
        self.requests.append(request)
        rows: list[tuple[str, ...]] = []
        for row in self._rows(company_id, request):
            if len(rows) == limit:
                break
            rows.append(row)
        count = entry_services.count_entries(self.db, company_id, self._filter(request))
        return ExportPreview(HEADERS, tuple(rows), count, self.problems)

    def export(self, company_id: int, request: ExportRequest, path: Path,
               progress: Progress) -> ExportOutcome:
        self.started.set()
        if self.problems:
            raise ExportError("Nothing was written.", self.problems)
        total = entry_services.count_entries(self.db, company_id, self._filter(request))
        written = 0
        try:
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(HEADERS)
                for number, row in enumerate(self._rows(company_id, request)):
                    self.hold.wait(5)
                    progress.check_cancelled()
                    writer.writerow(row)
                    written = number
                    progress.report(min(number, total), total, "Writing")
        except BaseException:
            path.unlink(missing_ok=True)
            export_services.log_export(self.db, company_id, provider="qbd", format=request.format,
                                       filters={"status": sorted(request.statuses)},
                                       record_count=0, file_name=str(path), checksum=None,
                                       status="cancelled")
            raise
        export_services.log_export(self.db, company_id, provider="qbd", format=request.format,
                                   filters={"status": sorted(request.statuses)},
                                   record_count=total, file_name=str(path),
                                   checksum=export_services.file_checksum(path),
                                   status="succeeded")
        assert written >= 0
        return ExportOutcome((path,), total, Changes(exports=True))

    def history(self, company_id: int) -> Sequence[ExportRecord]:
        return export_services.export_history(self.db, company_id)


class Opened:
    def __init__(self) -> None:
        self.urls: list[QUrl] = []

    def __call__(self, url: QUrl) -> bool:
        self.urls.append(url)
        return True


def make_pane(qtbot: QtBot, ctx: AppContext, source: CsvSource, save_to: Path | None,
              opened: Opened | None = None) -> ExportPane:
    pane = ExportPane(ctx, source, open_url=opened or Opened(),
                      ask_path=lambda _parent, _suggested, _filter: save_to)
    qtbot.addWidget(pane)
    pane.resize(1100, 760)
    pane.show()
    qtbot.waitUntil(lambda: pane.preview is not None, timeout=5000)
    return pane


def test_the_preview_shows_the_first_rows_for_posted_entries_by_default(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int, tmp_path: Path,
) -> None:
    source = CsvSource(db)
    pane = make_pane(qtbot, ctx, source, tmp_path / "out.csv")
    assert source.requests[-1].statuses == {EntryStatus.POSTED}
    posted = entry_services.count_entries(db, company_id,
                                          EntryFilter.of_status(EntryStatus.POSTED))
    assert pane.preview is not None
    assert pane.preview.entry_count == posted
    model = pane.preview_model
    assert model.rowCount() == 50
    assert [model.headerData(c, Qt.Orientation.Horizontal)
            for c in range(5)] == list(HEADERS)
    assert pane.summary_label.text() == (
        f"{posted:,} entries to export. Showing the first 50 rows.")
    assert pane.save_button.isEnabled()
    assert not pane.problems_list.isVisible()


def test_changing_the_filters_reads_a_new_preview(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int, tmp_path: Path,
) -> None:
    source = CsvSource(db)
    pane = make_pane(qtbot, ctx, source, tmp_path / "out.csv")
    with qtbot.waitSignal(pane.preview_loaded, timeout=5000) as loaded:
        pane.status_combo.setCurrentIndex(pane.status_combo.findData("approved"))
    approved = entry_services.count_entries(db, company_id,
                                            EntryFilter.of_status(EntryStatus.APPROVED))
    assert loaded.args[0].entry_count == approved
    with qtbot.waitSignal(pane.preview_loaded, timeout=5000):
        pane.from_edit.setDate(dt.date(2026, 6, 1))
        pane.from_check.setChecked(True)
    assert source.requests[-1] == ExportRequest(
        "iif", frozenset({EntryStatus.APPROVED}), dt.date(2026, 6, 1), None)
    with qtbot.waitSignal(pane.preview_loaded, timeout=5000):
        pane.format_combo.setCurrentIndex(pane.format_combo.findData("xero-csv"))
    assert source.requests[-1].format == "xero-csv"
    assert pane.request().suffix == ".csv"


def test_problems_are_listed_and_block_saving(
    qtbot: QtBot, ctx: AppContext, db: Database, tmp_path: Path,
) -> None:
    source = CsvSource(db)
    source.problems = ("entry JE-000007 of 2026-01-03, line 2: account 6110 has no Xero code",
                       "entry JE-000009 of 2026-01-04: does not balance by 0.01")
    target = tmp_path / "never.csv"
    pane = make_pane(qtbot, ctx, source, target)
    assert pane.problems_list.isVisible()
    assert [pane.problems_list.item(i).text() for i in range(pane.problems_list.count())] == list(
        source.problems)
    assert pane.problems_label.text().startswith("2 problems must be fixed first")
    assert not pane.save_button.isEnabled()
    assert pane.save_button.toolTip() == "Fix the problems listed first."
    pane.save_as()
    qtbot.wait(100)
    assert not target.exists()


def test_save_as_writes_the_file_logs_it_and_shows_it_in_the_history(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int, tmp_path: Path,
) -> None:
    source = CsvSource(db)
    target = tmp_path / "exports" / "journal"
    target.parent.mkdir()
    opened = Opened()
    pane = make_pane(qtbot, ctx, source, target, opened)
    with qtbot.waitSignal(pane.export_finished, timeout=5000) as finished:
        pane.save_button.click()
    qtbot.waitUntil(lambda: pane.history_model.rowCount() == 1, timeout=5000)
    outcome = finished.args[0]
    written = target.with_name("journal.iif")  # the format's suffix was added
    assert outcome.files == (written,)
    with written.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == HEADERS
    assert len(rows) > 50
    assert pane.result_label.text() == f"Exported {outcome.entry_count:,} entries to journal.iif."
    assert not pane.progress_bar.isVisible()
    assert pane.history_model.rowCount() == 1
    assert pane.history_model.index(0, 4).data() == "journal.iif"
    assert pane.history_model.index(0, 5).data() == "Succeeded"
    assert pane.history_model.index(0, 3).data() == "posted"

    assert not pane.show_folder_button.isEnabled()
    pane.history_view.selectionModel().select(
        pane.history_model.index(0, 0),
        QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
    assert pane.show_folder_button.isEnabled()
    pane.show_folder_button.click()
    assert opened.urls == [QUrl.fromLocalFile(str(target.parent))]


def test_the_history_keeps_the_picked_export_selected_when_a_new_one_is_logged(
    qtbot: QtBot, ctx: AppContext, db: Database, tmp_path: Path,
) -> None:
    answers = [tmp_path / "first", tmp_path / "second"]  # what the Save dialog answers, in turn
    pane = ExportPane(ctx, CsvSource(db), open_url=Opened(),
                      ask_path=lambda _parent, _suggested, _filter: answers.pop(0))
    qtbot.addWidget(pane)
    pane.show()
    qtbot.waitUntil(lambda: pane.preview is not None, timeout=5000)
    with qtbot.waitSignal(pane.export_finished, timeout=5000):
        pane.save_button.click()
    qtbot.waitUntil(lambda: pane.history_model.rowCount() == 1, timeout=5000)
    pane.history_view.selectRow(0)
    picked = pane.history_model.record(0)
    assert picked is not None

    with qtbot.waitSignal(pane.export_finished, timeout=5000):
        pane.save_button.click()
    qtbot.waitUntil(lambda: pane.history_model.rowCount() == 2, timeout=5000)
    # Newest first: the new export is row 0, the one the user picked moved to row 1 and is
    # still the one selected, so Show in folder still opens its folder.
    assert pane.history_model.index(0, 4).data() == "second.iif"
    rows = pane.history_view.selectionModel().selectedRows()
    assert [pane.history_model.record(index.row()) for index in rows] == [picked]
    assert pane.history_view.currentIndex().row() == 1
    assert pane.show_folder_button.isEnabled()


def test_a_large_export_shows_progress_and_can_be_cancelled(
    qtbot: QtBot, ctx: AppContext, db: Database, tmp_path: Path,
) -> None:
    source = CsvSource(db)
    target = tmp_path / "big.iif"
    pane = make_pane(qtbot, ctx, source, target)
    source.hold.clear()  # the writer waits at each row until released
    pane.save_as()
    assert pane.exporting
    assert pane.cancel_button.isVisible()
    assert pane.progress_bar.isVisible()
    assert not pane.save_button.isEnabled()
    qtbot.waitUntil(source.started.is_set, timeout=5000)
    pane.cancel_button.click()
    assert pane.result_label.text() == "Cancelling…"
    source.hold.set()
    qtbot.waitUntil(lambda: pane.history_model.index(0, 5).data() == "Cancelled", timeout=5000)
    assert not pane.exporting
    assert pane.result_label.text() == "Export cancelled; no file was written."
    assert not target.exists()
    assert pane.save_button.isEnabled()


def test_progress_is_shown_while_writing(
    qtbot: QtBot, ctx: AppContext, db: Database, tmp_path: Path,
) -> None:
    source = CsvSource(db)
    pane = make_pane(qtbot, ctx, source, tmp_path / "p.iif")
    finished: list[ExportOutcome] = []
    pane.export_finished.connect(finished.append)
    source.hold.clear()
    pane.save_as()
    qtbot.waitUntil(source.started.is_set, timeout=5000)
    assert pane.progress_bar.maximum() == 0  # busy until the writer knows its total
    gate = threading.Timer(0.3, source.hold.set)
    gate.start()
    qtbot.waitUntil(lambda: bool(finished), timeout=5000)
    gate.join()
    assert pane.progress_bar.maximum() == finished[0].entry_count
    assert pane.progress_bar.format() == "Writing %p%"


def test_a_declined_save_dialog_writes_nothing(
    qtbot: QtBot, ctx: AppContext, db: Database,
) -> None:
    pane = make_pane(qtbot, ctx, CsvSource(db), None)
    with qtbot.assertNotEmitted(pane.export_finished, wait=200):
        pane.save_as()
    assert not pane.exporting


def test_show_in_folder_for_a_folder_that_is_gone(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int, tmp_path: Path,
) -> None:
    export_services.log_export(db, company_id, provider="xero", format="xero-csv",
                               filters={}, record_count=3,
                               file_name=str(tmp_path / "gone" / "x.csv"), checksum=None,
                               status="succeeded")
    opened = Opened()
    pane = make_pane(qtbot, ctx, CsvSource(db), None, opened)
    qtbot.waitUntil(lambda: pane.history_model.rowCount() == 1, timeout=5000)
    pane.history_view.selectRow(0)
    assert pane.show_in_folder() is False
    assert opened.urls == []
    assert "no longer exists" in pane.result_label.text()


def test_the_pane_follows_the_company_and_export_changes(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int, tmp_path: Path,
) -> None:
    pane = make_pane(qtbot, ctx, CsvSource(db), None)
    export_services.log_export(db, company_id, provider="excel", format="xlsx", filters={},
                               record_count=1, file_name=str(tmp_path / "a.xlsx"),
                               checksum=None, status="failed", message="disk full")
    ctx.notify(Changes(exports=True))
    qtbot.waitUntil(lambda: pane.history_model.index(0, 5).data() == "Failed", timeout=5000)
    assert pane.history_model.index(0, 5).data(
        Qt.ItemDataRole.ToolTipRole) == "disk full"
    from bookkeeper_desktop.services import companies

    other = companies.create_company(db, "Other")
    with qtbot.waitSignal(pane.preview_loaded, timeout=5000) as loaded:
        ctx.set_company(other.id)
    assert loaded.args[0].entry_count == 0
    assert pane.history_model.rowCount() == 0
    assert not pane.save_button.isEnabled()
    assert pane.save_button.toolTip() == "No entries match these filters."


def test_export_models_pass_the_model_tester(qtmodeltester, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    preview = PreviewRowsModel()
    qtmodeltester.check(preview)
    preview.set_rows(("!TRNS", "DATE", "ACCNT"), [("TRNS", "01/02/2026"), ("SPL", "x", "y", "z")])
    qtmodeltester.check(preview)
    assert preview.index(0, 2).data() == ""  # short rows are padded
    assert preview.columnCount() == 3
    history = ExportHistoryModel()
    qtmodeltester.check(history)
    history.set_records([ExportRecord(
        1, 1, "qbo", "qbo-csv", {"status": ["posted"], "from": "2026-01-01"}, 4,
        str(tmp_path / "a.csv"), None, "succeeded", "",
        dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC))])
    qtmodeltester.check(history)
    assert history.index(0, 1).data() == "QuickBooks Online (CSV)"
    assert describe_filters({"status": ["posted"], "from": "2026-01-01", "to": None}) == (
        "posted · from 2026-01-01")
    # What the export services log (services.exporting), in words.
    assert describe_filters({"statuses": ["approved", "posted"], "date_from": "2026-01-01",
                             "date_to": "2026-03-31", "include_accounts": True}) == (
        "approved, posted · from 2026-01-01 · to 2026-03-31 · with the chart of accounts")
    assert describe_filters({"statuses": ["posted"], "date_from": None, "date_to": None,
                             "tax_rate": "Tax Exempt", "include_accounts": False}) == (
        "posted · tax rate Tax Exempt")
    assert describe_filters({"statuses": ["posted"], "date_format": "MM/DD/YYYY"}) == (
        "posted · dates as MM/DD/YYYY")


# --- on the real formats writers and the export services -----------------------------------------

def real_pane(qtbot: QtBot, ctx: AppContext, save_to: Path | None,
              opened: Opened | None = None) -> ExportPane:
    pane = ExportPane(ctx, open_url=opened or Opened(),
                      ask_path=lambda _parent, _suggested, _filter: save_to)
    qtbot.addWidget(pane)
    pane.resize(1100, 760)
    pane.show()
    qtbot.waitUntil(lambda: pane.preview is not None, timeout=10000)
    return pane


def test_real_iif_export_from_the_pane(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int, tmp_path: Path,
) -> None:
    pane = real_pane(qtbot, ctx, tmp_path / "books.iif")
    preview = pane.preview
    assert preview is not None
    assert preview.problems == ()
    posted = entry_services.count_entries(db, company_id,
                                          EntryFilter.of_status(EntryStatus.POSTED))
    assert preview.entry_count == posted
    assert pane.preview_model.rowCount() > 0
    assert pane.save_button.isEnabled()
    with qtbot.waitSignal(pane.export_finished, timeout=20000) as finished:
        pane.save_button.click()
    outcome = finished.args[0]
    assert outcome.files == (tmp_path / "books.iif",)
    assert pane.progress_bar.format() == "Writing the file %p%"
    assert pane.progress_bar.value() == pane.progress_bar.maximum() == posted
    text = (tmp_path / "books.iif").read_bytes().decode("cp1252")
    assert "!TRNS" in text
    assert text.count("\r\nENDTRNS") == posted
    qtbot.waitUntil(lambda: pane.history_model.rowCount() == 1, timeout=10000)
    record = export_services.export_history(db, company_id)[0]
    assert record.status == "succeeded"
    assert record.record_count == posted
    assert record.checksum == export_services.file_checksum(tmp_path / "books.iif")


def test_real_xero_export_lists_what_xero_would_refuse(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int, tmp_path: Path,
) -> None:
    from bookkeeper_desktop.core.accounts import Account, AccountType
    from bookkeeper_desktop.core.journal import JournalEntry, JournalLine
    from bookkeeper_desktop.services import accounts as account_services

    uncoded = account_services.add_account(db, company_id,
                                           Account("Suspense", AccountType.EXPENSE))
    prepaid = account_services.find_account(db, company_id, "1210")  # not a bank: see below
    assert prepaid is not None
    entry = entry_services.save_draft(db, company_id, JournalEntry(
        date=dt.date(2026, 6, 1), number="NOCODE-1", lines=(
            JournalLine(uncoded.id or 0, debit=Decimal("5.00")),
            JournalLine(prepaid.id or 0, credit=Decimal("5.00")))))
    entry_services.approve_entries(db, company_id, [entry.id or 0])
    entry_services.post_entries(db, company_id, [entry.id or 0])

    target = tmp_path / "xero.csv"
    pane = real_pane(qtbot, ctx, target)
    with qtbot.waitSignal(pane.preview_loaded, timeout=10000) as loaded:
        pane.format_combo.setCurrentIndex(pane.format_combo.findData("xero-csv"))
    preview = loaded.args[0]
    assert any("NOCODE-1" in problem for problem in preview.problems)
    assert pane.problems_list.count() == len(preview.problems)
    assert not pane.save_button.isEnabled()
    pane.save_as()
    qtbot.wait(200)
    assert not target.exists()
    assert pane.preview_model.headerData(0, Qt.Orientation.Horizontal) == "*Narration"


def test_xero_export_lists_the_entries_it_leaves_out_and_saves_their_bank_statements(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int, tmp_path: Path,
) -> None:
    target = tmp_path / "statement.csv"
    pane = real_pane(qtbot, ctx, target)
    assert not pane.statements_button.isVisible()  # IIF takes bank lines
    with qtbot.waitSignal(pane.preview_loaded, timeout=10000) as loaded:
        pane.format_combo.setCurrentIndex(pane.format_combo.findData("xero-csv"))
    preview = loaded.args[0]
    assert preview.left_out
    assert pane.left_out_list.count() == len(preview.left_out)
    texts = [pane.left_out_list.item(i).text() for i in range(pane.left_out_list.count())]
    assert any("is a bank account, and Xero's manual journals cannot post to bank accounts" in t
               for t in texts)
    assert all(", line " in t for t in texts)  # the entry and its line are named
    assert "Xero takes them another way" in pane.left_out_label.text()
    assert pane.statements_button.isVisible()
    assert pane.statements_button.isEnabled()
    with qtbot.waitSignal(pane.export_finished, timeout=20000) as finished:
        qtbot.mouseClick(pane.statements_button, Qt.MouseButton.LeftButton)
    outcome = finished.args[0]
    assert outcome.files
    assert {path.name for path in outcome.files} >= {"statement-Checking.csv"}
    first = (tmp_path / "statement-Checking.csv").read_text(encoding="utf-8").splitlines()
    assert first[0] == "*Date,*Amount,Payee,Description,Reference"
    assert "bank line" in pane.result_label.text()
    qtbot.waitUntil(lambda: pane.history_model.rowCount() == len(outcome.files), timeout=10000)


def test_an_empty_date_range_is_said_in_place(
    qtbot: QtBot, ctx: AppContext, tmp_path: Path,
) -> None:
    pane = real_pane(qtbot, ctx, tmp_path / "x.iif")
    with qtbot.assertNotEmitted(ctx.error_presenter.dialog_opened, wait=1500):
        pane.from_edit.setDate(dt.date(2026, 5, 1))
        pane.to_edit.setDate(dt.date(2026, 4, 1))
        pane.from_check.setChecked(True)
        pane.to_check.setChecked(True)
    qtbot.waitUntil(lambda: pane.summary_label.text() == "The date range is empty.",
                    timeout=5000)
    assert not pane.save_button.isEnabled()
    assert pane.problems_list.count() == 1


def test_without_a_company_the_pane_says_so(qtbot: QtBot, db: Database) -> None:
    jobs = JobRunner()
    try:
        pane = ExportPane(AppContext(AppServices(db), jobs))
        qtbot.addWidget(pane)
        pane.show()
        assert pane.empty_label.isVisible()
        assert not pane.splitter.isVisible()
        assert not pane.save_button.isEnabled()
        assert pane.save_button.toolTip() == "Open a company first."
        assert pane.show_in_folder() is False
    finally:
        assert jobs.shutdown()


def test_a_hidden_pane_reads_its_preview_only_when_shown(
    qtbot: QtBot, ctx: AppContext, db: Database,
) -> None:
    source = CsvSource(db)
    pane = ExportPane(ctx, source, open_url=Opened(), ask_path=lambda *_args: None)
    qtbot.addWidget(pane)
    ctx.notify(Changes(entries=True))
    qtbot.wait(PREVIEW_WAIT_MS)
    assert source.requests == []  # hidden: nothing read on changes
    with qtbot.waitSignal(pane.preview_loaded, timeout=5000):
        pane.show()
    assert len(source.requests) == 1
