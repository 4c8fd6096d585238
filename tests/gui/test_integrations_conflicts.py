"""The Conflicts tab against a real conflict: our SQLite books connected to the in-process QBO
sandbox (limits on, time-scaled), an entry pushed, then changed on both sides (the sandbox's
`remote_edit` and our entry service), a sync finding the conflict, as tests/sync/test_push.py
does. Keep ours / Take theirs go through the real job runner and services, after the real
confirmation (a `QMessageBox` found as the active modal widget and answered by its buttons)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from bookkeeper_desktop.core.changes import Changes
from bookkeeper_desktop.core.journal import EntryStatus, JournalEntry, JournalLine
from bookkeeper_desktop.gui.context import AppContext
from bookkeeper_desktop.gui.integrations import IntegrationsPane
from bookkeeper_desktop.gui.integrations.conflicts import (
    DIFFERENT,
    EMPTY_TEXT,
    ConflictColumn,
    ConflictsView,
    ConflictTableModel,
    changed_details,
    confirmation,
    differences,
    summarize_remote,
    tab_title,
)
from bookkeeper_desktop.gui.integrations.state import Phase
from bookkeeper_desktop.providers.config import Provider
from bookkeeper_desktop.services import entries as entry_service
from bookkeeper_desktop.services.sync import Conflict, list_conflicts
from bookkeeper_desktop.storage.schema import OutboxRow
from bookkeeper_desktop.sync.payloads import strip_key
from tests.gui.sandbox_books import answer, question_box
from tests.sync.conftest import Books
from tests.sync.helpers import make_entries, note, pushed_copies, remote_journals, sync


def _remote(books: Books, entry_id: int) -> dict[str, Any]:
    marker = f"[bk:{books.provider}{books.company_id}-{entry_id}-"
    (found,) = [j for j in remote_journals(books) if marker in note(books, j)]
    return found


def make_conflict(books: Books) -> int:
    """An entry pushed, then edited at QBO (memo) and here (memo); the next sync (pull finds
    their change, our change waits) records the conflict. Returns our entry id."""
    assert sync(books, push=False).ok
    (entry_id,) = make_entries(books, 1, status=EntryStatus.APPROVED)
    assert sync(books).counts["pushed"] == 1
    remote = _remote(books, entry_id)
    if books.provider == "qbo":
        books.sandbox.api.remote_edit(books.tenant, "JournalEntry", str(remote["Id"]),
                                      {"PrivateNote": f"theirs {remote['PrivateNote']}"})
    else:
        books.sandbox.api.remote_edit(books.tenant, "ManualJournals",
                                      str(remote["ManualJournalID"]),
                                      {"Narration": f"theirs {remote['Narration']}"})
    entry = entry_service.get_entry(books.db, books.company_id, entry_id)
    entry_service.update_entry(books.db, books.company_id, entry.with_changes(memo="ours"))
    entry_service.approve_entries(books.db, books.company_id, [entry_id])
    result = sync(books)
    assert result.counts["conflicts"] == 1, result.message
    assert [c.entry_id for c in list_conflicts(books.db, books.company_id)] == [entry_id]
    return entry_id


def open_view(qtbot: QtBot, app_ctx: AppContext, company_id: int) -> ConflictsView:
    app_ctx.set_company(company_id)
    view = ConflictsView(app_ctx)
    qtbot.addWidget(view)
    qtbot.waitSignal(view.loaded, timeout=5000).wait()
    return view


def click_and_confirm(qtbot: QtBot, view: ConflictsView, keep: str) -> None:
    """Click Keep ours / Take theirs and confirm the question, as a user does."""
    button = view.keep_ours_button if keep == "ours" else view.take_theirs_button
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    answer(qtbot, button.text())


def outbox_state(books: Books, entry_id: int) -> list[str]:
    with books.db.read_session() as session:
        return [row.state for row in session.execute(select(OutboxRow).where(
            OutboxRow.company_id == books.company_id, OutboxRow.entry_id == entry_id)
            .order_by(OutboxRow.id)).scalars()]


def test_shows_both_sides_and_keep_ours_pushes_ours(qtbot: QtBot, app_ctx: AppContext,
                                                     books: Books) -> None:
    entry_id = make_conflict(books)
    view = open_view(qtbot, app_ctx, books.company_id)
    assert view.stack.currentWidget() is view.splitter
    assert view.model.rowCount() == 1
    ours = entry_service.get_entry(books.db, books.company_id, entry_id)
    row = [view.model.index(0, c).data() for c in ConflictColumn]
    assert row[:3] == [ours.number, ours.date.isoformat() if ours.date else "",
                       "QuickBooks Online"]
    assert row[3]
    # Ours: our memo and our lines with account names and amounts; theirs: their memo.
    assert "ours" in view.ours.heading.text()
    lines = view.ours.line_texts()
    assert len(lines) == 2
    assert lines[0][1] == "100.25"
    assert lines[1][2] == "100.25"
    assert all(not text.startswith("account #") and text for text, *_ in lines)
    assert view.theirs.stack.currentWidget() is view.theirs.lines
    assert "theirs sync test 0" in strip_key(view.theirs.heading.text())
    assert view.theirs.title() == "Theirs (QuickBooks Online)"
    assert view.differs.text() == "<b>Differs:</b> memo"
    assert view.keep_ours_button.isEnabled()
    assert view.take_theirs_button.isEnabled()

    notices: list[Changes] = []
    app_ctx.changes.changed.connect(notices.append)
    with qtbot.waitSignal(view.resolved, timeout=5000):
        click_and_confirm(qtbot, view, "ours")
    assert Changes(entries=True, sync_runs=True) in notices
    qtbot.waitUntil(lambda: view.stack.currentWidget() is view.empty, timeout=5000)
    assert "kept ours" in view.status.text()
    assert outbox_state(books, entry_id)[-1] == "done"
    assert list_conflicts(books.db, books.company_id) == []
    # Our entry is unchanged and the next sync sends it over theirs, once.
    assert entry_service.get_entry(books.db, books.company_id, entry_id).memo == "ours"
    after = sync(books)
    assert after.ok, after.message
    assert after.counts["push_updates"] == 1
    assert strip_key(str(_remote(books, entry_id)["PrivateNote"])) == "ours"
    assert pushed_copies(books) == {entry_id: 1}


def test_take_theirs_changes_our_entry(qtbot: QtBot, app_ctx: AppContext, books: Books) -> None:
    entry_id = make_conflict(books)
    view = open_view(qtbot, app_ctx, books.company_id)
    with qtbot.waitSignal(view.resolved, timeout=5000) as resolved:
        click_and_confirm(qtbot, view, "theirs")
    assert resolved.args[0].memo.startswith("theirs")
    stored = entry_service.get_entry(books.db, books.company_id, entry_id)
    assert stored.memo.startswith("theirs")
    assert "took their version" in view.status.text()
    qtbot.waitUntil(lambda: view.model.rowCount() == 0, timeout=5000)
    final = sync(books)
    assert final.ok
    assert final.counts["push_updates"] == 0
    assert final.counts["conflicts"] == 0
    assert pushed_copies(books) == {entry_id: 1}


def test_a_conflict_settled_elsewhere_says_so(qtbot: QtBot, app_ctx: AppContext,
                                              books: Books) -> None:
    """The command line (or another window) settled it after the tab read it: the click
    reports it and the list is re-read, nothing else happens."""
    entry_id = make_conflict(books)
    view = open_view(qtbot, app_ctx, books.company_id)
    from bookkeeper_desktop.services.sync import resolve_conflict
    (conflict,) = list_conflicts(books.db, books.company_id)
    resolve_conflict(books.db, books.company_id, conflict.id, keep="theirs")
    with qtbot.waitSignal(view.loaded, timeout=5000):
        click_and_confirm(qtbot, view, "ours")
    assert f"no open conflict #{conflict.id}" in view.status.text()
    assert view.stack.currentWidget() is view.empty
    assert entry_service.get_entry(books.db, books.company_id, entry_id).memo.startswith("theirs")


def test_pane_tab_title_counts_conflicts(qtbot: QtBot, app_ctx: AppContext, books: Books,
                                         tmp_path: Path) -> None:
    make_conflict(books)
    app_ctx.set_company(books.company_id)
    pane = IntegrationsPane(app_ctx)
    qtbot.addWidget(pane)
    index = pane.tabs.indexOf(pane.conflicts)
    assert index >= 0
    qtbot.waitUntil(lambda: pane.tabs.tabText(index) == "Conflicts (1)", timeout=5000)
    qtbot.waitUntil(lambda: pane.card(Provider.QBO).state.phase is Phase.CONNECTED,
                    timeout=5000)
    pane.tabs.setCurrentIndex(index)
    pane.resize(1100, 760)
    pane.show()
    qtbot.waitExposed(pane)
    image = pane.grab().toImage()
    colours = {image.pixel(x, y) for x in range(0, image.width(), 9)
               for y in range(0, image.height(), 9)}
    assert len(colours) > 8
    folder = os.environ.get("BOOKKEEPER_SCREENSHOT_DIR")
    target = Path(folder) if folder else tmp_path
    assert pane.grab().save(str(target / "integrations-conflicts.png"))
    with qtbot.waitSignal(pane.conflicts.resolved, timeout=5000):
        pane.conflicts.resolve("ours")
        answer(qtbot, "Keep ours")
    qtbot.waitUntil(lambda: pane.tabs.tabText(index) == "Conflicts", timeout=5000)


def test_empty_state(qtbot: QtBot, app_ctx: AppContext, sample_company: Any) -> None:
    view = open_view(qtbot, app_ctx, sample_company.id)
    assert view.stack.currentWidget() is view.empty
    assert view.empty.text() == EMPTY_TEXT
    assert view.model.rowCount() == 0
    assert not view.keep_ours_button.isEnabled()
    assert not view.take_theirs_button.isEnabled()
    assert tab_title(0) == "Conflicts"
    assert tab_title(3) == "Conflicts (3)"


def test_model_passes_qtmodeltester(qtmodeltester: Any, books: Books) -> None:
    make_conflict(books)
    model = ConflictTableModel()
    model.set_rows(list_conflicts(books.db, books.company_id))
    assert model.rowCount() == 1
    qtmodeltester.check(model)
    model.set_rows([])
    qtmodeltester.check(model)


def test_theirs_unmapped_is_a_readable_summary(qtbot: QtBot, app_ctx: AppContext,
                                               books: Books) -> None:
    """Their copy that cannot become an entry (an account not mapped) is shown in words and
    Take theirs is off, with the reason in its tooltip."""
    make_conflict(books)
    (real,) = list_conflicts(books.db, books.company_id)
    assert real.theirs is not None
    unmapped = Conflict(real.id, real.provider, real.entry_id, real.message, real.ours,
                        real.theirs, None)
    view = open_view(qtbot, app_ctx, books.company_id)
    view.model.set_rows([unmapped])
    view.table.selectRow(0)
    assert view.theirs.stack.currentWidget() is view.theirs.summary
    text = view.theirs.summary.toPlainText()
    assert f"Number: {real.theirs['DocNumber']}" in text
    assert "Memo: theirs sync test 0" in text
    assert ": debit 100.25" in text
    assert ": credit 100.25" in text
    assert "not mapped" in view.theirs.heading.text()
    assert not view.take_theirs_button.isEnabled()
    assert "Map the accounts" in view.take_theirs_button.toolTip()
    assert view.keep_ours_button.isEnabled()


def test_summarize_xero_payload_and_missing_copy() -> None:
    text = summarize_remote({"Narration": "Rent", "Date": "2026-10-01", "Status": "POSTED",
                             "JournalLines": [{"AccountCode": "400", "LineAmount": "12.50"},
                                              {"AccountCode": "090", "LineAmount": "-12.50",
                                               "Description": "bank"}],
                             "ManualJournalID": "mj-1"})
    assert text.splitlines() == [
        "Date: 2026-10-01", "Narration: Rent", "Status: POSTED", "Lines:",
        "  account 400: 12.50", "  account 090: -12.50 — bank", "ManualJournalID: mj-1"]
    assert "next sync" in summarize_remote(None)


def test_differences_name_what_changed_and_mark_lines(qtbot: QtBot, app_ctx: AppContext,
                                                     books: Books) -> None:
    make_conflict(books)
    (real,) = list_conflicts(books.db, books.company_id)
    assert real.ours is not None
    assert real.theirs_entry is not None
    ours = real.ours
    first, second = ours.lines
    theirs = ours.with_changes(
        number="X-1", lines=(first, JournalLine(second.account_id, credit=second.credit,
                                                description="changed")))
    assert differences(ours, theirs) == ["number", "line 2"]
    assert differences(ours, ours) == []
    shorter = JournalEntry(date=ours.date, lines=(first,), number=ours.number, memo=ours.memo)
    assert differences(ours, shorter) == ["lines (2 here, 1 there)"]
    view = open_view(qtbot, app_ctx, books.company_id)
    view.model.set_rows([Conflict(real.id, real.provider, real.entry_id, real.message, ours,
                                  real.theirs, theirs)])
    view.table.selectRow(0)
    assert view.differs.text() == "<b>Differs:</b> number, line 2"
    marked = [r for r in range(2)
              if view.theirs.lines.item(r, 0).background().color() == DIFFERENT]
    assert marked == [1]


def test_xero_take_theirs(qtbot: QtBot, app_ctx: AppContext, xero_books: Books) -> None:
    entry_id = make_conflict(xero_books)
    view = open_view(qtbot, app_ctx, xero_books.company_id)
    assert view.model.index(0, ConflictColumn.PROVIDER).data() == "Xero"
    assert view.theirs.title() == "Theirs (Xero)"
    assert view.theirs.stack.currentWidget() is view.theirs.lines
    assert "theirs sync test 0" in view.theirs.heading.text()
    qtbot.mouseClick(view.take_theirs_button, Qt.MouseButton.LeftButton)
    box = question_box(qtbot)
    assert box.windowTitle() == "Take the Xero version?"
    assert "replaced by the Xero version" in box.text()
    with qtbot.waitSignal(view.resolved, timeout=5000):
        answer(qtbot, "Take theirs")
    stored = entry_service.get_entry(xero_books.db, xero_books.company_id, entry_id)
    assert strip_key(stored.memo).startswith("theirs")
    assert outbox_state(xero_books, entry_id)[-1] == "done"
    final = sync(xero_books)
    assert final.ok, final.message
    assert final.counts["conflicts"] == 0
    assert pushed_copies(xero_books) == {entry_id: 1}


def test_switching_company_shows_that_companys_conflicts(
        qtbot: QtBot, app_ctx: AppContext, books: Books, sample_company: Any) -> None:
    make_conflict(books)
    view = open_view(qtbot, app_ctx, books.company_id)
    assert view.model.rowCount() == 1
    with qtbot.waitSignal(view.loaded, timeout=5000):
        app_ctx.set_company(sample_company.id)
    assert view.model.rowCount() == 0
    assert view.stack.currentWidget() is view.empty
    with qtbot.waitSignal(view.loaded, timeout=5000):
        app_ctx.set_company(books.company_id)
    assert view.model.rowCount() == 1


def test_a_second_click_while_resolving_is_ignored(qtbot: QtBot, app_ctx: AppContext,
                                                   books: Books) -> None:
    entry_id = make_conflict(books)
    view = open_view(qtbot, app_ctx, books.company_id)
    started: list[object] = []
    app_ctx.jobs.job_queued.connect(lambda job: started.append(job.title))
    with qtbot.waitSignal(view.resolved, timeout=5000):
        view.resolve_now("theirs")
        assert not view.keep_ours_button.isEnabled()
        view.resolve_now("ours")
        view.resolve("ours")  # asks nothing while resolving
        assert view.confirm_box is None
    assert started.count("Resolving a sync conflict") == 1
    assert entry_service.get_entry(books.db, books.company_id, entry_id).memo.startswith(
        "theirs")


# -- the confirmation ------------------------------------------------------------------------


def remote_memo(books: Books, entry_id: int) -> str:
    return strip_key(str(_remote(books, entry_id)["PrivateNote"]))


def test_take_theirs_asks_first_and_cancel_changes_nothing(
        qtbot: QtBot, app_ctx: AppContext, books: Books) -> None:
    entry_id = make_conflict(books)
    view = open_view(qtbot, app_ctx, books.company_id)
    started: list[str] = []
    app_ctx.jobs.job_queued.connect(lambda job: started.append(job.title))
    ours = entry_service.get_entry(books.db, books.company_id, entry_id)
    theirs_before = remote_memo(books, entry_id)

    qtbot.mouseClick(view.take_theirs_button, Qt.MouseButton.LeftButton)
    box = question_box(qtbot)
    assert box is view.confirm_box
    assert box.windowTitle() == "Take the QuickBooks Online version?"
    # Our entry number, date and amount; what differs with both values; no undo.
    assert box.text() == (f"Entry {ours.number} of 2026-10-01 (100.25 USD) will be replaced by "
                          "the QuickBooks Online version (100.25 USD).")
    info = strip_key(box.informativeText())
    assert "What differs (your version is lost):" in info
    assert f"• memo: yours “ours”, theirs “{theirs_before}”" in info
    assert "This replaces your version in these books; it cannot be undone." in info
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    assert box.escapeButton() is box.button(QMessageBox.StandardButton.Cancel)
    assert box.windowModality() is Qt.WindowModality.WindowModal

    answer(qtbot, "Cancel")
    qtbot.waitUntil(lambda: view.confirm_box is None, timeout=5000)
    qtbot.wait(100)
    assert "Resolving a sync conflict" not in started
    assert entry_service.get_entry(books.db, books.company_id, entry_id).memo == "ours"
    assert outbox_state(books, entry_id)[-1] == "conflict"
    assert [c.entry_id for c in list_conflicts(books.db, books.company_id)] == [entry_id]
    assert view.take_theirs_button.isEnabled(), "the buttons work again after Cancel"

    # Enter in the question takes the default (Cancel) too: nothing is replaced by a keystroke.
    qtbot.mouseClick(view.take_theirs_button, Qt.MouseButton.LeftButton)
    box = question_box(qtbot)
    qtbot.keyClick(box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.confirm_box is None, timeout=5000)
    qtbot.wait(100)
    assert "Resolving a sync conflict" not in started
    assert entry_service.get_entry(books.db, books.company_id, entry_id).memo == "ours"

    # A later sync still finds the conflict: Cancel decided nothing.
    again = sync(books)
    assert again.counts["push_updates"] == 0
    assert remote_memo(books, entry_id) == theirs_before

    with qtbot.waitSignal(view.resolved, timeout=5000):
        click_and_confirm(qtbot, view, "theirs")
    assert started.count("Resolving a sync conflict") == 1
    assert strip_key(entry_service.get_entry(books.db, books.company_id, entry_id).memo) \
        == theirs_before


def test_keep_ours_says_it_pushes_over_theirs_and_cancel_pushes_nothing(
        qtbot: QtBot, app_ctx: AppContext, books: Books) -> None:
    entry_id = make_conflict(books)
    view = open_view(qtbot, app_ctx, books.company_id)
    theirs_before = remote_memo(books, entry_id)

    qtbot.mouseClick(view.keep_ours_button, Qt.MouseButton.LeftButton)
    box = question_box(qtbot)
    assert box.windowTitle() == "Send your version over the QuickBooks Online version?"
    assert "next sync sends it to QuickBooks Online over their version" in box.text()
    assert "100.25 USD" in box.text()
    info = strip_key(box.informativeText())
    assert "QuickBooks Online's changes are lost" in info
    assert f"memo: yours “ours”, theirs “{theirs_before}”" in info
    assert "cannot be undone" in info
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    box.reject()  # the window's close button / Escape
    qtbot.waitUntil(lambda: view.confirm_box is None, timeout=5000)
    qtbot.wait(100)
    assert outbox_state(books, entry_id)[-1] == "conflict"
    after = sync(books)
    assert after.counts["push_updates"] == 0, "nothing sent over theirs without a yes"
    assert remote_memo(books, entry_id) == theirs_before

    with qtbot.waitSignal(view.resolved, timeout=5000):
        click_and_confirm(qtbot, view, "ours")
    pushed = sync(books)
    assert pushed.counts["push_updates"] == 1
    assert remote_memo(books, entry_id) == "ours"


def test_the_question_is_answered_for_the_conflict_it_named(
        qtbot: QtBot, app_ctx: AppContext, books: Books) -> None:
    """Driven as a blocking dialog would be: the answer comes from a timer while the event loop
    runs; a second click while the question is open asks nothing more."""
    entry_id = make_conflict(books)
    view = open_view(qtbot, app_ctx, books.company_id)
    opened: list[QMessageBox] = []

    def click_take_theirs() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        opened.append(box)
        view.resolve("ours")  # another click while asked: no second question
        assert view.confirm_box is box
        (button,) = [b for b in box.buttons() if b.text() == "Take theirs"]
        button.click()

    QTimer.singleShot(0, click_take_theirs)
    with qtbot.waitSignal(view.resolved, timeout=5000) as resolved:
        view.resolve("theirs")
    assert len(opened) == 1
    assert resolved.args[0].id == entry_id
    assert resolved.args[0].memo.startswith("theirs")


def test_confirmation_names_differing_lines_with_both_values(books: Books) -> None:
    make_conflict(books)
    (real,) = list_conflicts(books.db, books.company_id)
    assert real.ours is not None
    ours = real.ours
    first, second = ours.lines
    names = {first.account_id: "6000 Rent", second.account_id: "1000 Checking"}
    theirs = ours.with_changes(lines=(first, JournalLine(second.account_id, credit=second.credit,
                                                          description="changed")))
    assert changed_details(ours, theirs, names) == [
        "line 2: yours 1000 Checking: credit 100.25; "
        "theirs 1000 Checking: credit 100.25 — changed"]
    extra = ours.with_changes(memo="", lines=(*ours.lines, JournalLine(first.account_id,
                                                                        debit=first.debit)))
    assert changed_details(ours, extra, names) == [
        "memo: yours “ours”, theirs (empty)",
        "line 3: yours (no such line); theirs 6000 Rent: debit 100.25"]
    question = confirmation(Conflict(real.id, real.provider, real.entry_id, real.message, ours,
                                     real.theirs, theirs), "theirs", names)
    assert question.button == "Take theirs"
    assert "• line 2: yours 1000 Checking: credit 100.25; theirs" in question.informative
    unmapped = confirmation(Conflict(real.id, real.provider, real.entry_id, real.message, ours,
                                     real.theirs, None), "ours", names)
    assert unmapped.button == "Keep ours"
    assert "not readable as an entry here" in unmapped.informative


def test_switching_company_closes_an_open_question_unanswered(
        qtbot: QtBot, app_ctx: AppContext, books: Books, sample_company: Any) -> None:
    entry_id = make_conflict(books)
    view = open_view(qtbot, app_ctx, books.company_id)
    qtbot.mouseClick(view.take_theirs_button, Qt.MouseButton.LeftButton)
    box = question_box(qtbot)
    assert box.isVisible()
    with qtbot.waitSignal(view.loaded, timeout=5000):
        app_ctx.set_company(sample_company.id)
    assert view.confirm_box is None
    qtbot.waitUntil(lambda: not isinstance(QApplication.activeModalWidget(), QMessageBox),
                    timeout=5000)
    assert entry_service.get_entry(books.db, books.company_id, entry_id).memo == "ours"
    assert outbox_state(books, entry_id)[-1] == "conflict"
