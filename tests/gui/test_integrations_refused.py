"""The "Waiting for a fix" tab against real refusals: our SQLite books connected to the in-process
QBO and Xero sandboxes (limits on, time-scaled); QBO refuses an entry dated in its closed period
(`set_closing_date`), Xero one that uses an archived account, as tests/sync/test_refused.py does.
Send again goes through the real job runner, `retry_refused` and the real confirmation (a
`QMessageBox` found as the active modal widget and answered by its buttons); what reaches the
sandbox is read back from `GET /__sandbox__/state`."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QSettings, Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from bookkeeper_desktop.core.accounts import Account, AccountType
from bookkeeper_desktop.core.changes import Changes
from bookkeeper_desktop.core.journal import EntryStatus, JournalEntry, JournalLine
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.gui.context import AppContext
from bookkeeper_desktop.gui.integrations import IntegrationsPane
from bookkeeper_desktop.gui.integrations.controller import IntegrationsController
from bookkeeper_desktop.gui.integrations.models import SyncColumn
from bookkeeper_desktop.gui.integrations.refused import (
    EDITED_TEXT,
    EMPTY_TEXT,
    HELP_TEXT,
    READ_FAILED_TEXT,
    RefusedColumn,
    RefusedView,
    reason_text,
    retried_text,
    retry_question,
    tab_title,
)
from bookkeeper_desktop.gui.integrations.source import RefusedRow
from bookkeeper_desktop.gui.integrations.state import LastSync
from bookkeeper_desktop.gui.ledger.entry_editor import EntryEditorDialog
from bookkeeper_desktop.gui.main_window import MainWindow
from bookkeeper_desktop.providers.config import Provider
from bookkeeper_desktop.services import accounts as account_service
from bookkeeper_desktop.services import entries as entry_service
from bookkeeper_desktop.services import sync_runs
from bookkeeper_desktop.services.audit import audit_log
from bookkeeper_desktop.services.mappings import mapping_by_account
from bookkeeper_desktop.services.sync import list_refused
from bookkeeper_desktop.services.sync_runs import RunStatus
from tests.gui.sandbox_books import answer, question_box
from tests.gui.test_column_widths import qt_widths
from tests.sync.conftest import Books
from tests.sync.helpers import books_currency, mapped_accounts, pushed_copies, state, sync

CLOSED_UNTIL = dt.date(2026, 9, 30)


def add_entry(books: Books, number: str, day: dt.date, amount: str = "40.00",
              accounts: tuple[int, int] | None = None, *,
              status: EntryStatus = EntryStatus.POSTED) -> int:
    debit, credit = accounts or mapped_accounts(books)
    (entry_id,) = entry_service.bulk_insert_entries(books.db, books.company_id, [JournalEntry(
        date=day, number=number, memo=f"memo {number}", status=status,
        currency=books_currency(books),
        lines=(JournalLine.of(debit, Decimal(amount)), JournalLine.of(credit, -Decimal(amount))))])
    return entry_id


def refuse_in_closed_period(books: Books, *numbers: str) -> list[int]:
    """QBO's books closed until 30 September; one entry per number dated in September, pushed
    and refused by a real sync."""
    assert sync(books, push=False).ok
    books.sandbox.api.set_closing_date(books.tenant, CLOSED_UNTIL)
    ids = [add_entry(books, number, dt.date(2026, 9, 10 + n), f"{40 + n}.00")
           for n, number in enumerate(numbers)]
    result = sync(books)
    assert result.counts["refused"] == len(numbers), result.message
    return ids


def qbo_writes(books: Books) -> int:
    return sum(n for path, n in state(books)["requests"]["by_path"].items()
               if path.endswith("/batch"))


def open_view(qtbot: QtBot, app_ctx: AppContext, company_id: int) -> RefusedView:
    app_ctx.set_company(company_id)
    view = RefusedView(app_ctx)
    qtbot.addWidget(view)
    qtbot.waitSignal(view.loaded, timeout=5000).wait()
    return view


def cells(view: RefusedView, row: int = 0) -> dict[RefusedColumn, str]:
    return {c: view.model.index(row, c).data() for c in RefusedColumn}


def select_rows(view: RefusedView, *rows: int) -> None:
    chooser = view.table.selectionModel()
    chooser.clearSelection()
    for row in rows:
        chooser.select(view.model.index(row, 0), QItemSelectionModel.SelectionFlag.Select
                       | QItemSelectionModel.SelectionFlag.Rows)


def sync_function(books: Books) -> Any:
    """The controller's sync: a real pull-and-push run against the sandbox, as app.py's does."""
    def run(company_id: int, provider: Provider, progress: Progress) -> LastSync:
        assert (company_id, provider.value) == (books.company_id, books.provider)
        result = sync(books, progress=progress)
        return LastSync(dt.datetime.now(dt.UTC), result.ok, result.summary, result)
    return run


# --- listing -------------------------------------------------------------------------------------


def test_lists_a_real_refusal_with_its_reason(qtbot: QtBot, app_ctx: AppContext,
                                              books: Books) -> None:
    (entry_id,) = refuse_in_closed_period(books, "OLD-1")
    (refused,) = list_refused(books.db, books.company_id)
    view = open_view(qtbot, app_ctx, books.company_id)
    assert view.stack.currentWidget() is view.splitter
    assert view.model.rowCount() == 1
    summary = entry_service.summaries_by_id(books.db, books.company_id, [entry_id])[entry_id]
    row = cells(view)
    assert row[RefusedColumn.PROVIDER] == "QuickBooks Online"
    assert row[RefusedColumn.ENTRY] == "OLD-1"  # not edited since
    assert row[RefusedColumn.DATE] == "2026-09-10"
    assert row[RefusedColumn.AMOUNT] == f"40.00 {summary.currency}"
    # The provider's reason in words, without the "The entry … was refused by …" opening.
    reason = row[RefusedColumn.REASON]
    assert "closed" in reason
    assert "change the entry's date, or reopen the period" in reason
    assert not reason.startswith("The entry")
    assert refused.message.endswith(reason)
    assert row[RefusedColumn.ATTEMPTS] == str(refused.attempts)
    assert refused.attempts >= 1
    when = dt.datetime.strptime(row[RefusedColumn.REFUSED_AT], "%Y-%m-%d %H:%M")
    assert abs(when - dt.datetime.now()) < dt.timedelta(minutes=5)
    tip = view.model.index(0, RefusedColumn.REASON).data(Qt.ItemDataRole.ToolTipRole)
    assert tip == refused.message
    # The first row is selected; the whole sentence (which entry, why, what to do) below.
    assert [r.entry_id for r in view.selected()] == [entry_id]
    assert view.detail.text() == refused.message
    assert view.open_button.isEnabled()
    assert view.send_again_button.isEnabled()
    assert view.send_all_button.isEnabled()
    assert not view.sync_now_button.isVisible()
    # Columns as wide as Qt's own measuring makes them (fitted from the texts instead).
    fitted = [c for c in RefusedColumn if c is not RefusedColumn.REASON]
    widths = [view.table.columnWidth(c) for c in fitted]
    assert widths == qt_widths(view.table, fitted)


def test_xero_archived_account_is_listed(qtbot: QtBot, app_ctx: AppContext,
                                         xero_books: Books) -> None:
    books = xero_books
    assert sync(books, push=False).ok
    debit, credit = mapped_accounts(books)
    remote_id = mapping_by_account(books.db, books.company_id, "xero")[debit].remote_id
    assert remote_id
    books.sandbox.api.remote_edit(books.tenant, "Accounts", remote_id, {"Status": "ARCHIVED"})
    add_entry(books, "ARCH-1", dt.date(2026, 10, 12), accounts=(credit, debit))
    add_entry(books, "ARCH-2", dt.date(2026, 10, 13), accounts=(credit, debit))
    assert sync(books).counts["refused"] == 2
    view = open_view(qtbot, app_ctx, books.company_id)
    assert [cells(view, n)[RefusedColumn.ENTRY] for n in range(2)] == ["ARCH-1", "ARCH-2"]
    assert {cells(view, n)[RefusedColumn.PROVIDER] for n in range(2)} == {"Xero"}
    assert all("archived" in cells(view, n)[RefusedColumn.REASON] for n in range(2))

    qtbot.mouseClick(view.send_all_button, Qt.MouseButton.LeftButton)
    box = question_box(qtbot)
    assert box.windowTitle() == "Send 2 entries to Xero again?"
    assert "ARCH-1 and ARCH-2" in box.text()
    assert "fixed at Xero" in box.informativeText()
    with qtbot.waitSignal(view.retried, timeout=5000) as retried:
        answer(qtbot, "Send again")
    assert retried.args == [{Provider.XERO: 2}]
    assert list_refused(books.db, books.company_id) == []
    # Still archived at Xero: the next sync sends them once and they are refused again.
    again = sync(books)
    assert again.counts["refused"] == 2
    assert {r.entry_id for r in list_refused(books.db, books.company_id)} == {
        r.entry_id for r in view.model.rows()}


def test_an_edited_entry_is_marked_until_the_next_sync_sends_it(
        qtbot: QtBot, app_ctx: AppContext, books: Books) -> None:
    """Fixed here (Open entry, edit): still listed, marked as edited, until the next sync sends
    it; an edit that does not fix it is refused again and loses the mark; a fixing one leaves."""
    assert sync(books, push=False).ok
    books.sandbox.api.set_closing_date(books.tenant, CLOSED_UNTIL)
    entry_id = add_entry(books, "OLD-E", dt.date(2026, 9, 2), status=EntryStatus.APPROVED)
    assert sync(books).counts["refused"] == 1
    view = open_view(qtbot, app_ctx, books.company_id)
    assert cells(view)[RefusedColumn.ENTRY] == "OLD-E"

    def edit(**changes: Any) -> None:
        entry = entry_service.get_entry(books.db, books.company_id, entry_id)
        entry_service.update_entry(books.db, books.company_id, entry.with_changes(**changes))
        entry_service.approve_entries(books.db, books.company_id, [entry_id])
        with qtbot.waitSignal(view.loaded, timeout=5000):
            app_ctx.notify(Changes(entries=True))  # what the ledger says after a save

    edit(memo="still in September")
    assert cells(view)[RefusedColumn.ENTRY] == "OLD-E (edited)"
    assert view.detail.text().endswith(EDITED_TEXT)
    assert view.model.index(0, RefusedColumn.ENTRY).data(Qt.ItemDataRole.ToolTipRole) \
        == EDITED_TEXT
    with qtbot.waitSignal(view.loaded, timeout=5000):
        assert sync(books).counts["refused"] == 1  # sent once more, refused once more
        app_ctx.notify(Changes(sync_runs=True))
    assert cells(view)[RefusedColumn.ENTRY] == "OLD-E"
    assert not view.detail.text().endswith(EDITED_TEXT)

    edit(date=dt.date(2026, 10, 2))
    assert cells(view)[RefusedColumn.ENTRY] == "OLD-E (edited)"
    with qtbot.waitSignal(view.loaded, timeout=5000):
        assert sync(books).counts["pushed"] == 1
        app_ctx.notify(Changes(sync_runs=True))
    assert view.stack.currentWidget() is view.empty
    assert pushed_copies(books) == {entry_id: 1}


def test_empty_state(qtbot: QtBot, app_ctx: AppContext, sample_company: Any) -> None:
    view = open_view(qtbot, app_ctx, sample_company.id)
    assert view.stack.currentWidget() is view.empty
    assert view.empty.text() == EMPTY_TEXT
    assert view.model.rowCount() == 0
    assert not view.open_button.isEnabled()
    assert not view.send_again_button.isEnabled()
    assert not view.send_all_button.isEnabled()
    assert view.status.text() == HELP_TEXT


# --- Send again ----------------------------------------------------------------------------------


def test_send_again_after_the_period_reopened_then_the_next_sync_sends_it(
        qtbot: QtBot, app_ctx: AppContext, books: Books) -> None:
    (entry_id,) = refuse_in_closed_period(books, "OLD-1")
    books.sandbox.api.set_closing_date(books.tenant, None)  # reopened in QBO
    view = open_view(qtbot, app_ctx, books.company_id)
    qtbot.mouseClick(view.send_again_button, Qt.MouseButton.LeftButton)
    box = question_box(qtbot)
    assert box.windowTitle() == "Send 1 entry to QuickBooks Online again?"
    assert box.text() == "The next sync sends OLD-1 to QuickBooks Online once more."
    assert "Only do this when the cause was fixed at QuickBooks Online" in box.informativeText()
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    with qtbot.waitSignal(view.retried, timeout=5000) as retried:
        answer(qtbot, "Send again")
    assert retried.args == [{Provider.QBO: 1}]
    assert view.status.text() == ("1 entry goes to QuickBooks Online again at the next sync.")
    assert list_refused(books.db, books.company_id) == []
    qtbot.waitUntil(lambda: view.stack.currentWidget() is view.empty, timeout=5000)
    assert view.sync_now_button.isVisibleTo(view)
    retries = [r for r in audit_log(books.db, books.company_id) if r.action == "retry_refused"]
    assert [(r.object_type, r.object_id, r.details) for r in retries] == [
        ("entry", entry_id, {"provider": "qbo"})]
    # The next sync sends it, once, and QBO keeps it.
    books.sandbox.reset_counts()
    after = sync(books)
    assert after.ok, after.message
    assert after.counts["pushed"] == 1
    assert after.counts["refused"] == 0
    assert qbo_writes(books) == 1
    assert pushed_copies(books) == {entry_id: 1}


def test_cancel_changes_nothing(qtbot: QtBot, app_ctx: AppContext, books: Books) -> None:
    refuse_in_closed_period(books, "OLD-1", "OLD-2")
    before = list_refused(books.db, books.company_id)
    view = open_view(qtbot, app_ctx, books.company_id)
    qtbot.mouseClick(view.send_all_button, Qt.MouseButton.LeftButton)
    box = answer(qtbot, "Cancel")
    assert box.windowTitle() == "Send 2 entries to QuickBooks Online again?"
    qtbot.waitUntil(lambda: view.confirm_box is None, timeout=2000)
    qtbot.wait(50)
    assert not view.ctx.jobs.busy
    assert list_refused(books.db, books.company_id) == before
    assert [r.action for r in audit_log(books.db, books.company_id)
            if r.action == "retry_refused"] == []
    assert view.status.text() == HELP_TEXT
    assert not view.sync_now_button.isVisibleTo(view)
    # Nothing is sent at the next sync: the entries still wait.
    books.sandbox.reset_counts()
    assert sync(books).counts["refused"] == 2
    assert qbo_writes(books) == 0


def test_send_again_sends_only_the_selected_rows(qtbot: QtBot, app_ctx: AppContext,
                                                 books: Books) -> None:
    one, two, three = refuse_in_closed_period(books, "OLD-A", "OLD-B", "OLD-C")
    books.sandbox.api.set_closing_date(books.tenant, None)
    view = open_view(qtbot, app_ctx, books.company_id)
    select_rows(view, 0, 2)
    assert [r.entry_id for r in view.selected()] == [one, three]
    assert not view.open_button.isEnabled()  # Open entry is for one entry
    assert view.detail.text() == "2 entries selected."
    qtbot.mouseClick(view.send_again_button, Qt.MouseButton.LeftButton)
    assert "OLD-A and OLD-C" in question_box(qtbot).text()
    with qtbot.waitSignal(view.loaded, timeout=5000), \
            qtbot.waitSignal(view.retried, timeout=5000):
        answer(qtbot, "Send again")
    assert [r.entry_id for r in list_refused(books.db, books.company_id)] == [two]
    assert [r.entry_id for r in view.model.rows()] == [two]
    result = sync(books)
    assert result.counts["pushed"] == 2
    assert pushed_copies(books) == {one: 1, three: 1}


def test_an_entry_settled_meanwhile_is_not_counted(qtbot: QtBot, app_ctx: AppContext,
                                                   books: Books) -> None:
    """Retried from the command line after the tab read it: the click says none waited."""
    refuse_in_closed_period(books, "OLD-1")
    view = open_view(qtbot, app_ctx, books.company_id)
    from bookkeeper_desktop.services.sync import retry_refused
    assert retry_refused(books.db, books.company_id, "qbo") == 1
    qtbot.mouseClick(view.send_all_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(view.retried, timeout=5000) as retried:
        answer(qtbot, "Send again")
    assert retried.args == [{Provider.QBO: 0}]
    assert view.status.text() == "None of them was still waiting for a fix; nothing changed."
    assert not view.sync_now_button.isVisibleTo(view)


# --- in the pane: refresh after a sync, Sync now, company switch ---------------------------------


def test_pane_tab_refreshes_after_a_sync_and_sync_now_sends_them(
        qtbot: QtBot, app_ctx: AppContext, books: Books, tmp_path: Path) -> None:
    assert sync(books, push=False).ok
    books.sandbox.api.set_closing_date(books.tenant, CLOSED_UNTIL)
    app_ctx.set_company(books.company_id)
    pane = IntegrationsPane(app_ctx)
    qtbot.addWidget(pane)
    IntegrationsController(pane, sync=sync_function(books))
    index = pane.tabs.indexOf(pane.refused)
    assert index >= 0
    qtbot.waitUntil(lambda: not app_ctx.jobs.busy, timeout=5000)
    assert pane.tabs.tabText(index) == "Not sent"
    assert pane.refused.stack.currentWidget() is pane.refused.empty

    ids = [add_entry(books, f"OLD-{n}", dt.date(2026, 9, 20 + n)) for n in range(3)]
    pane.sync_requested.emit(Provider.QBO)  # the card's Sync Now
    qtbot.waitUntil(lambda: pane.tabs.tabText(index) == "Not sent (3)", timeout=10_000)
    assert [r.entry_id for r in pane.refused.model.rows()] == ids

    pane.tabs.setCurrentIndex(index)
    pane.resize(1100, 760)
    pane.show()
    qtbot.waitExposed(pane)
    folder = os.environ.get("BOOKKEEPER_SCREENSHOT_DIR")
    target = Path(folder) if folder else tmp_path
    assert pane.grab().save(str(target / "integrations-refused.png"))

    books.sandbox.api.set_closing_date(books.tenant, None)
    qtbot.mouseClick(pane.refused.send_all_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(pane.refused.retried, timeout=5000):
        answer(qtbot, "Send again")
    assert pane.refused.sync_now_button.isVisible()
    books.sandbox.reset_counts()
    with qtbot.waitSignal(pane.sync_requested, timeout=5000) as asked:
        qtbot.mouseClick(pane.refused.sync_now_button, Qt.MouseButton.LeftButton)
    assert asked.args == [Provider.QBO]
    assert not pane.refused.sync_now_button.isVisible()
    qtbot.waitUntil(lambda: pushed_copies(books) == dict.fromkeys(ids, 1), timeout=10_000)
    qtbot.waitUntil(lambda: pane.tabs.tabText(index) == "Not sent", timeout=10_000)
    assert pane.refused.stack.currentWidget() is pane.refused.empty
    assert qbo_writes(books) == 1


def test_company_switch_shows_the_other_company(qtbot: QtBot, app_ctx: AppContext,
                                                books: Books, sample_company: Any) -> None:
    refuse_in_closed_period(books, "OLD-1")
    view = open_view(qtbot, app_ctx, books.company_id)
    assert view.model.rowCount() == 1
    # A question open when the company changes is closed unanswered: nothing is retried.
    qtbot.mouseClick(view.send_all_button, Qt.MouseButton.LeftButton)
    question_box(qtbot)
    with qtbot.waitSignal(view.loaded, timeout=5000):
        app_ctx.set_company(sample_company.id)
    assert view.confirm_box is None
    assert not isinstance(QApplication.activeModalWidget(), QMessageBox)
    assert view.model.rowCount() == 0
    assert view.stack.currentWidget() is view.empty
    assert len(list_refused(books.db, books.company_id)) == 1
    with qtbot.waitSignal(view.count_changed, timeout=5000) as counted:
        app_ctx.set_company(books.company_id)
    assert counted.args == [1]
    assert cells(view)[RefusedColumn.ENTRY] == "OLD-1"


# --- Open entry ----------------------------------------------------------------------------------


def test_open_entry_shows_it_in_the_ledger(qtbot: QtBot, app_ctx: AppContext, books: Books,
                                           tmp_path: Path) -> None:
    (entry_id,) = refuse_in_closed_period(books, "OLD-1")
    app_ctx.set_company(books.company_id)
    window = MainWindow(app_ctx, qsettings=QSettings(str(tmp_path / "w.ini"),
                                                     QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.show_pane("integrations")
    pane = window.panes["integrations"]
    assert isinstance(pane, IntegrationsPane)
    qtbot.waitUntil(lambda: pane.refused.model.rowCount() == 1, timeout=10_000)
    ledger = window.panes["ledger"]
    with qtbot.waitSignal(ledger.entry_dialog_opened, timeout=5000) as opened, \
            qtbot.waitSignal(pane.refused.open_entry_requested) as asked:
        qtbot.mouseClick(pane.refused.open_button, Qt.MouseButton.LeftButton)
    assert asked.args == [entry_id]
    assert window.current_pane() == "ledger"
    dialog = opened.args[0]
    assert isinstance(dialog, EntryEditorDialog)
    assert dialog.entry().number == "OLD-1"
    assert dialog.entry().date == dt.date(2026, 9, 10)
    dialog.reject()
    window.close()


def test_open_entry_outside_the_main_window_says_where(qtbot: QtBot, app_ctx: AppContext,
                                                      books: Books) -> None:
    (entry_id,) = refuse_in_closed_period(books, "OLD-1")
    view = open_view(qtbot, app_ctx, books.company_id)
    view.show()
    qtbot.waitExposed(view)
    where = view.table.visualRect(view.model.index(0, 1)).center()
    # A double-click on the row (Qt's item views take it after the press of its first click).
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=where)
    with qtbot.waitSignal(view.open_entry_requested) as asked:
        qtbot.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=where)
    assert asked.args == [entry_id]
    assert view.status.text() == "Find OLD-1 in the Ledger to fix it."


# --- failures ------------------------------------------------------------------------------------


def test_a_failed_retry_is_shown_and_changes_nothing(qtbot: QtBot, app_ctx: AppContext,
                                                     books: Books) -> None:
    refuse_in_closed_period(books, "OLD-1")
    view = open_view(qtbot, app_ctx, books.company_id)
    with books.db.session() as session:  # the audit log can no longer be written
        session.execute(text("DROP TABLE audit_log"))
    qtbot.mouseClick(view.send_all_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(view.loaded, timeout=5000):
        answer(qtbot, "Send again")
    # Shown the app's one way (gui.errors): a window-modal error dialog over the tab.
    qtbot.waitUntil(lambda: bool(view.findChildren(QMessageBox, "errorDialog")), timeout=5000)
    (dialog,) = view.findChildren(QMessageBox, "errorDialog")
    assert dialog.isVisible()
    assert dialog.text()
    dialog.close()
    assert view.status.text() == "Nothing was marked to be sent again."
    assert len(list_refused(books.db, books.company_id)) == 1
    assert view.model.rowCount() == 1
    assert view.send_all_button.isEnabled()


# --- words ---------------------------------------------------------------------------------------


def _row(provider: Provider, number: str, message: str = "") -> RefusedRow:
    return RefusedRow(outbox_id=1, provider=provider, entry_id=7, operation="create",
                      number=number, date=None, amount=None, currency="", message=message,
                      attempts=1, refused_at=None)


def test_words() -> None:
    assert tab_title(0) == "Not sent"
    assert tab_title(4) == "Not sent (4)"
    odd = _row(Provider.XERO, "X-1", "Something else happened.")
    assert reason_text(odd) == "Something else happened."
    usual = _row(Provider.XERO, "X-1", "The entry X-1 of 2026-01-02 was refused by Xero: "
                                       "the account is archived. Make it active.")
    assert reason_text(usual) == "the account is archived. Make it active."
    both = retry_question([_row(Provider.QBO, "A"), _row(Provider.XERO, "B"),
                           _row(Provider.XERO, "")])
    assert both.title == "Send 3 entries again?"
    assert both.text == ("The next sync sends 1 entry to QuickBooks Online and 2 entries to "
                         "Xero once more (A, B and #7).")
    assert "fixed at QuickBooks Online or Xero" in both.informative
    many = retry_question([_row(Provider.QBO, f"N{n}") for n in range(7)])
    assert many.text.endswith("N0, N1, N2, N3, N4 and 2 more to QuickBooks Online once more.")
    assert retried_text({Provider.QBO: 2, Provider.XERO: 1}, 3) == (
        "2 entries go to QuickBooks Online and 1 entry goes to Xero again at the next sync.")
    assert retried_text({Provider.QBO: 1}, 3) == (
        "1 entry goes to QuickBooks Online again at the next sync. 2 entries no longer waited.")


def test_a_failed_read_is_shown_once(qtbot: QtBot, app_ctx: AppContext, books: Books) -> None:
    """The outbox cannot be read: one error dialog through the app's presenter, however many
    change notices ask the tab to read again, and the tab says so."""
    refuse_in_closed_period(books, "OLD-1")
    view = open_view(qtbot, app_ctx, books.company_id)
    with books.db.session() as session:
        session.execute(text("ALTER TABLE outbox RENAME TO outbox_gone"))
    for _ in range(3):
        with qtbot.waitSignal(view.loaded, timeout=5000):
            app_ctx.notify(Changes(entries=True))
    assert len(view.findChildren(QMessageBox, "errorDialog")) == 1
    assert view.status.text() == READ_FAILED_TEXT
    with books.db.session() as session:
        session.execute(text("ALTER TABLE outbox_gone RENAME TO outbox"))
    with qtbot.waitSignal(view.loaded, timeout=5000):
        app_ctx.notify(Changes(sync_runs=True))
    assert view.model.rowCount() == 1
    assert view.status.text() == HELP_TEXT


def test_model_passes_the_qt_model_tester(qtmodeltester: Any, qtbot: QtBot,
                                          app_ctx: AppContext, books: Books) -> None:
    refuse_in_closed_period(books, "OLD-1", "OLD-2")
    view = open_view(qtbot, app_ctx, books.company_id)
    assert view.model.rowCount() == 2
    qtmodeltester.check(view.model)


# --- Not sent: every reason, and its one fix ----------------------------------------------------


def test_not_sent_lists_unmapped_and_refused_entries_with_their_fix(
        qtbot: QtBot, app_ctx: AppContext, books: Books) -> None:
    (refused_id,) = refuse_in_closed_period(books, "OLD-1")
    stray = account_service.add_account(books.db, books.company_id, Account(
        full_name="Stray Costs", type=AccountType.EXPENSE, code="99999"))
    _debit, credit = mapped_accounts(books)
    unmapped_id = add_entry(books, "UNM-1", dt.date(2026, 10, 3), accounts=(stray.id or 0, credit))
    result = sync(books)
    assert result.needs_attention
    assert result.counts["not_sent"] == {"unmapped": 1, "refused": 1}

    app_ctx.set_company(books.company_id)
    pane = IntegrationsPane(app_ctx)
    qtbot.addWidget(pane)
    qtbot.waitUntil(lambda: pane.refused.model.rowCount() == 2, timeout=5000)
    view = pane.refused
    assert pane.tabs.tabText(pane.tabs.indexOf(view)) == "Not sent (2)"
    assert [r.entry_id for r in view.model.rows()] == [refused_id, unmapped_id]
    first, second = cells(view, 0), cells(view, 1)
    assert first[RefusedColumn.WHY] == "refused by QuickBooks Online"
    assert first[RefusedColumn.FIX] == "Send again"
    assert second[RefusedColumn.WHY] == "account not mapped"
    assert second[RefusedColumn.FIX] == "Map the account"
    assert "Stray Costs" in second[RefusedColumn.REASON]

    # Fix on the unmapped entry shows the Account mapping tab.
    select_rows(view, 1)
    assert view.fix_button.text() == "Map the account"
    pane.tabs.setCurrentWidget(view)
    qtbot.mouseClick(view.fix_button, Qt.MouseButton.LeftButton)
    assert pane.tabs.currentWidget() is pane.mapping_editor

    # Fix on the refused entry asks before sending it again.
    select_rows(view, 0)
    assert view.fix_button.text() == "Send again"
    qtbot.mouseClick(view.fix_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(view.retried, timeout=5000):
        answer(qtbot, "Send again")
    assert [r.entry_id for r in list_refused(books.db, books.company_id)] == [unmapped_id]


def test_card_status_bar_and_sync_log_say_the_same_thing(
        qtbot: QtBot, app_ctx: AppContext, books: Books) -> None:
    """A Sync Now that leaves an entry unsent: the card, the status bar's text and the sync log
    all say "needs attention" with the same summary the run stored (issue #12 item 3)."""
    assert sync(books, push=False).ok
    stray = account_service.add_account(books.db, books.company_id, Account(
        full_name="Stray Costs", type=AccountType.EXPENSE, code="99999"))
    _debit, credit = mapped_accounts(books)
    add_entry(books, "UNM-1", dt.date(2026, 10, 3), accounts=(stray.id or 0, credit))
    app_ctx.set_company(books.company_id)
    pane = IntegrationsPane(app_ctx)
    qtbot.addWidget(pane)
    IntegrationsController(pane, sync=sync_function(books))
    qtbot.waitUntil(lambda: not app_ctx.jobs.busy, timeout=5000)
    card = pane.card(Provider.QBO)

    pane.sync_requested.emit(Provider.QBO)  # the card's Sync Now
    qtbot.waitUntil(lambda: pane.refused.model.rowCount() == 1, timeout=10_000)
    qtbot.waitUntil(lambda: not app_ctx.jobs.busy, timeout=5000)
    (stored, *_) = sync_runs.list_runs(books.db, books.company_id)
    assert stored.status is RunStatus.NEEDS_ATTENTION
    assert "1 entry not sent (1 account not mapped) — see Not sent" in stored.message
    # A fast sync keeps "Syncing…" on the card for a moment before its result shows.
    qtbot.waitUntil(lambda: card.state.last_sync is not None
                    and card.state.last_sync.summary == stored.message, timeout=5000)
    assert card.state.last_sync is not None
    assert "— failed" not in card.state.detail
    assert card.state.detail.endswith(stored.message)
    assert pane.last_sync_text().endswith(", needs attention")  # the status bar
    log = pane.sync_log.model
    assert log.index(0, SyncColumn.STATUS).data() == "Needs attention"
    assert log.index(0, SyncColumn.MESSAGE).data() == stored.message
