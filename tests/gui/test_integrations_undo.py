""""Undo this sync…" in the sync log, end to end against the QBO and Xero sandboxes: the button
and the context menu are enabled only for a run that sent something and is not undone; the
preview reads the plan in a network job ("Preparing…"), lists what will be deleted, voided or
sent back (date, number, amount, the provider's kind) and says the changed entries will be sent
again; Escape cancels and nothing changes at the provider; Confirm undoes the run (the sandbox's
journals are as before it), the log shows it undone and the undo's own line, the card and the
status bar say what was undone, and the Ledger's sync column shows the entries not sent or
changed since sent."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel, QPoint, Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.gui.context import AppContext
from bookkeeper_desktop.gui.integrations import IntegrationsPane
from bookkeeper_desktop.gui.integrations.controller import IntegrationsController
from bookkeeper_desktop.gui.integrations.models import RowRole, SyncColumn
from bookkeeper_desktop.gui.integrations.state import SyncRunRow
from bookkeeper_desktop.gui.integrations.undo_preview import UndoPreview
from bookkeeper_desktop.providers.config import Provider
from bookkeeper_desktop.services import entries as entry_service
from bookkeeper_desktop.services.not_sent import ledger_sync_text
from bookkeeper_desktop.services.undo import preview_undo, undo_sync
from bookkeeper_desktop.sync.undo_plan import UndoPlan, UndoResult
from tests.gui.sandbox_books import connected
from tests.sync.conftest import Books
from tests.sync.helpers import live_objects, run_with_creates_and_updates


@pytest.fixture(params=["qbo", "xero"])
def any_books(request: pytest.FixtureRequest, gui_db: Any) -> Any:
    yield from connected(gui_db, request.param)


def undo_functions(books: Books) -> dict[str, Any]:
    """The controller's plan_undo / undo: `services.undo` against the sandbox, as app.py's."""
    def plan_undo(company_id: int, provider: Provider, run_id: int, progress: Progress
                  ) -> UndoPlan:
        assert (company_id, provider.value) == (books.company_id, books.provider)
        with books.client() as client:
            return preview_undo(books.db, company_id, run_id, progress=progress, client=client)

    def undo(company_id: int, provider: Provider, plan: UndoPlan, progress: Progress
             ) -> UndoResult:
        with books.client() as client:
            return undo_sync(books.db, company_id, plan, progress=progress, client=client)
    return {"plan_undo": plan_undo, "undo": undo}


def open_pane(qtbot: QtBot, app_ctx: AppContext, books: Books) -> IntegrationsPane:
    app_ctx.set_company(books.company_id)
    pane = IntegrationsPane(app_ctx)
    qtbot.addWidget(pane)
    IntegrationsController(pane, **undo_functions(books))
    pane.tabs.setCurrentWidget(pane.sync_log)
    pane.resize(1100, 700)
    pane.show()
    qtbot.waitExposed(pane)
    qtbot.waitUntil(lambda: pane.sync_log.model.rowCount() > 0 and not app_ctx.jobs.busy,
                    timeout=5000)
    return pane


def select_run(pane: IntegrationsPane, run_id: int) -> int:
    log = pane.sync_log
    for row in range(log.proxy.rowCount()):
        run = log.proxy.data(log.proxy.index(row, 0), RowRole)
        if isinstance(run, SyncRunRow) and run.run_id == run_id:
            log.table.selectionModel().select(
                log.proxy.index(row, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows)
            log.table.setCurrentIndex(log.proxy.index(row, 0))
            return row
    raise AssertionError(f"run #{run_id} is not in the sync log")


def preview_ready(qtbot: QtBot, pane: IntegrationsPane) -> UndoPreview:
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), UndoPreview),
                    timeout=5000)
    preview = QApplication.activeModalWidget()
    assert isinstance(preview, UndoPreview)
    qtbot.waitUntil(lambda: preview.plan is not None, timeout=10_000)
    return preview


def test_undo_this_sync_from_the_sync_log(qtbot: QtBot, app_ctx: AppContext, any_books: Books,
                                          tmp_path: Path) -> None:
    books = any_books
    run_id, changed, created, before = run_with_creates_and_updates(books)
    after_run = live_objects(books)
    pane = open_pane(qtbot, app_ctx, books)
    log = pane.sync_log

    # The first run only pulled: nothing to undo there.
    runs = [log.proxy.data(log.proxy.index(r, 0), RowRole) for r in range(log.proxy.rowCount())]
    pull_only = min(runs, key=lambda r: r.run_id)
    select_run(pane, pull_only.run_id)
    assert not log.undo_button.isEnabled()
    assert not log.undo_action.isEnabled()
    select_run(pane, run_id)
    assert log.undo_button.isEnabled()

    # By keyboard: focus on the button, Space presses it.
    log.undo_button.setFocus()
    qtbot.keyClick(log.undo_button, Qt.Key.Key_Space)
    preview = preview_ready(qtbot, pane)
    provider_kind = "Journal Entry" if books.provider == "qbo" else "Manual Journal"
    taken_back = "Delete" if books.provider == "qbo" else "Void"
    rows = [[preview.table.item(r, c).text() for c in range(preview.table.columnCount())]
            for r in range(preview.table.rowCount())]
    assert sorted(r[0] for r in rows) == sorted([taken_back] * 2 + ["Send back as before"] * 2)
    assert {r[4] for r in rows} == {provider_kind}
    numbers = {e.number: e for e in entry_service.get_entries(
        books.db, books.company_id, changed + created)}
    for row in rows:
        entry = numbers[row[2]]
        assert row[1] == entry.date.isoformat()  # type: ignore[union-attr]
        assert row[3] == f"{entry.total_debit:,.2f}"
    assert f"sent back as they were before this sync: 2 {provider_kind}s" in \
        preview.summary.text()
    assert "next Sync Now sends your change" in preview.note.text()
    assert preview.undo_button.text() == f"Undo 4 at {Provider(books.provider).display_name}"
    assert preview.cancel_button.isDefault()
    assert not preview.undo_button.isDefault()
    assert not preview.undo_button.autoDefault()
    screen = QApplication.primaryScreen().availableGeometry()
    assert preview.frameGeometry().width() <= 1280
    assert preview.frameGeometry().height() <= 800
    assert screen.width() > 0
    folder = os.environ.get("BOOKKEEPER_SCREENSHOT_DIR")
    target = Path(folder) if folder else tmp_path
    assert preview.grab().save(str(target / f"undo-sync-preview-{books.provider}.png"))

    # Escape cancels: nothing changed at the provider.
    qtbot.keyClick(preview, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is None, timeout=5000)
    qtbot.waitUntil(lambda: not app_ctx.jobs.busy, timeout=5000)
    assert live_objects(books) == after_run

    # The context menu's action this time; Confirm undoes it.
    select_run(pane, run_id)
    log.table.customContextMenuRequested.emit(QPoint(5, 5))
    log.undo_action.trigger()
    preview = preview_ready(qtbot, pane)
    qtbot.mouseClick(preview.undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), QMessageBox),
                    timeout=10_000)
    outcome = QApplication.activeModalWidget()
    assert isinstance(outcome, QMessageBox)
    assert outcome.objectName() == "undoOutcome"
    title = Provider(books.provider).display_name
    assert outcome.text() == f"Undone: 2 entries taken back from {title} and 2 entries " \
        "sent back as they were before."
    outcome.accept()
    assert live_objects(books) == before

    qtbot.waitUntil(lambda: any(
        isinstance(r, SyncRunRow) and r.direction == "undo"
        for r in (log.proxy.data(log.proxy.index(n, 0), RowRole)
                  for n in range(log.proxy.rowCount()))), timeout=5000)
    # The undo's own line: what it did is its message, no "Pushed 0" beside it.
    undo_row = next(n for n in range(log.proxy.rowCount())
                    if log.proxy.data(log.proxy.index(n, 0), RowRole).direction == "undo")
    cells = {column: log.proxy.index(undo_row, column).data() for column in SyncColumn}
    assert cells[SyncColumn.DIRECTION] == "Undo"
    assert cells[SyncColumn.STATUS] == "Succeeded"
    assert [cells[SyncColumn.PULLED], cells[SyncColumn.PUSHED], cells[SyncColumn.CONFLICTS],
            cells[SyncColumn.ERRORS]] == ["—", "—", "—", "0"]
    assert cells[SyncColumn.MESSAGE].startswith("Undone: 2 entries taken back")
    row = select_run(pane, run_id)
    assert log.proxy.index(row, SyncColumn.STATUS).data().endswith("— undone")
    assert not log.undo_button.isEnabled()
    assert pane.grab().save(str(target / f"undo-sync-log-{books.provider}.png"))
    assert "Undone: 2 entries taken back" in pane.card(Provider(books.provider)).state.detail
    assert pane.last_sync_text().startswith("Undone: 2 entries taken back")
    summaries = entry_service.summaries_by_id(books.db, books.company_id, changed + created)
    texts = ledger_sync_text(books.db, books.company_id, list(summaries.values()))
    short = "QBO" if books.provider == "qbo" else "Xero"
    assert {texts[i] for i in created} == {f"{short}: not sent yet"}
    assert {texts[i] for i in changed} == {f"{short}: changed since sent"}


def test_cancel_while_preparing_changes_nothing(qtbot: QtBot, app_ctx: AppContext,
                                                xero_books: Books) -> None:
    books = xero_books
    run_id, _changed, _created, _before = run_with_creates_and_updates(books)
    after_run = live_objects(books)
    pane = open_pane(qtbot, app_ctx, books)
    books.sandbox.inject_latency(1.0, count=4)  # the plan's reads take a while
    select_run(pane, run_id)
    pane.sync_log.undo_button.click()
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), UndoPreview),
                    timeout=5000)
    preview = QApplication.activeModalWidget()
    assert isinstance(preview, UndoPreview)
    assert preview.summary.text().startswith("Preparing…")
    assert not preview.undo_button.isEnabled()
    preview.cancel_button.click()
    qtbot.waitUntil(lambda: not app_ctx.jobs.busy, timeout=10_000)
    books.sandbox.clear_faults()
    assert live_objects(books) == after_run
