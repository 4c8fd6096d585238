"""The Ledger pane against a real SQLite database holding the sample company, through the real
services and the real job runner: loading, filters, the entry editor, bulk actions, accounts,
the trial balance, and dropping a file on the pane."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from bookkeeper_desktop.core.accounts import AccountType
from bookkeeper_desktop.core.journal import EntryStatus
from bookkeeper_desktop.gui.context import AppContext, AppServices
from bookkeeper_desktop.gui.ledger import LedgerPane
from bookkeeper_desktop.gui.ledger.lines_model import CREDIT, DEBIT
from bookkeeper_desktop.jobs import JobRunner
from bookkeeper_desktop.sample_data import create_sample_company
from bookkeeper_desktop.services import accounts as account_services
from bookkeeper_desktop.services import companies
from bookkeeper_desktop.services import entries as entry_services
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.records import EntryFilter, EntrySort, SortColumn

# The sample books and a context on them (db, company_id, ctx).
pytest_plugins = ["tests.gui.test_ledger_support"]

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

END = dt.date(2026, 6, 30)


class Answers:
    """What the pane's confirmation questions are answered (and what they asked)."""

    def __init__(self, answer: bool = True) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def __call__(self, _parent: QWidget, _title: str, question: str) -> bool:
        self.asked.append(question)
        return self.answer


def loaded_pane(qtbot: QtBot, ctx: AppContext, **kwargs: object) -> LedgerPane:
    pane = LedgerPane(ctx, **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(pane)
    pane.resize(1300, 760)
    pane.show()
    qtbot.waitUntil(lambda: pane.tree_model.rowCount() > 0, timeout=5000)
    qtbot.waitUntil(lambda: not pane.entry_model.loading and pane.entry_model.rowCount() > 0,
                    timeout=5000)
    return pane


def wait_rows(qtbot: QtBot, pane: LedgerPane, count: int) -> None:
    qtbot.waitUntil(lambda: not pane.entry_model.loading
                    and pane.entry_model.rowCount() == count, timeout=5000)


def select_ids(pane: LedgerPane, ids: list[int]) -> None:
    selection = pane.table.selectionModel()
    selection.clearSelection()
    for entry_id in ids:
        row = pane.entry_model.row_of(entry_id)
        assert row is not None
        selection.select(pane.entry_model.index(row, 0),
                         QItemSelectionModel.SelectionFlag.Select
                         | QItemSelectionModel.SelectionFlag.Rows)


def test_the_pane_shows_the_chart_and_every_entry(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int,
) -> None:
    pane = loaded_pane(qtbot, ctx)
    total = entry_services.count_entries(db, company_id)
    assert pane.entry_model.rowCount() == total
    assert pane.count_label.text() == f"{total:,} entries"
    accounts = account_services.list_accounts(db, company_id)
    assert len(pane.accounts) == len(accounts)
    checking = next(a for a in accounts if a.full_name == "Checking")
    index = pane.tree_model.index_of(checking.id or 0)
    assert index.isValid()
    balance = account_services.account_balances(db, company_id).get(checking.id or 0,
                                                                      Decimal("0"))
    assert pane.tree_model.index(index.row(), 3, index.parent()).data() == f"{balance:,.2f}"
    # Newest first, as the sort indicator shows.
    ids = entry_services.entry_ids(db, company_id, EntryFilter(), EntrySort(descending=True))
    assert pane.entry_model.all_ids() == ids
    assert not pane.empty_label.isVisible()


def test_filters_narrow_the_table_in_sql(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int,
) -> None:
    pane = loaded_pane(qtbot, ctx)
    bar = pane.filter_bar
    posted = entry_services.count_entries(db, company_id, EntryFilter.of_status(EntryStatus.POSTED))
    bar.status_combo.setCurrentIndex(bar.status_combo.findData("posted"))
    wait_rows(qtbot, pane, posted)

    bar.from_edit.setDate(dt.date(2026, 3, 1))
    bar.from_check.setChecked(True)
    bar.to_edit.setDate(dt.date(2026, 3, 31))
    bar.to_check.setChecked(True)
    march = EntryFilter(statuses=frozenset({EntryStatus.POSTED}), date_from=dt.date(2026, 3, 1),
                        date_to=dt.date(2026, 3, 31))
    wait_rows(qtbot, pane, entry_services.count_entries(db, company_id, march))

    bar.clear()
    wait_rows(qtbot, pane, entry_services.count_entries(db, company_id))
    rent = account_services.find_account(db, company_id, "Rent Expense") or next(
        a for a in account_services.list_accounts(db, company_id) if "Rent" in a.full_name)
    bar.account_picker.setCurrentIndex(bar.account_picker.findData(rent.id))
    bar.account_picker.activated.emit(bar.account_picker.currentIndex())
    with_rent = entry_services.count_entries(db, company_id, EntryFilter(account_id=rent.id))
    assert 0 < with_rent < entry_services.count_entries(db, company_id)
    wait_rows(qtbot, pane, with_rent)

    bar.clear()
    bar.source_combo.setCurrentIndex(bar.source_combo.findData("qbo"))
    wait_rows(qtbot, pane, 0)
    bar.clear()
    qtbot.keyClicks(bar.search_edit, "JE-000007")
    wait_rows(qtbot, pane, entry_services.count_entries(db, company_id,
                                                         EntryFilter(text="JE-000007")))
    qtbot.waitUntil(lambda: pane.entry_model.index(0, 1).data() == "JE-000007", timeout=5000)


def test_sorting_by_a_column_runs_in_sql(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int,
) -> None:
    pane = loaded_pane(qtbot, ctx)
    with qtbot.waitSignal(pane.entry_model.ids_loaded, timeout=5000):
        pane.table.sortByColumn(4, Qt.SortOrder.AscendingOrder)
    assert pane.entry_model.all_ids() == entry_services.entry_ids(
        db, company_id, EntryFilter(), EntrySort(SortColumn.TOTAL))


def test_a_new_balanced_entry_is_approved_and_appears(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int,
) -> None:
    pane = loaded_pane(qtbot, ctx)
    before = pane.entry_model.rowCount()
    with qtbot.waitSignal(pane.entry_dialog_opened) as opened:
        pane.new_entry_action.trigger()
    dialog = opened.args[0]
    checking = account_services.find_account(db, company_id, "1000")
    sales = account_services.find_account(db, company_id, "4000")
    assert checking is not None
    assert sales is not None
    dialog.number_edit.setText("GUI-1")
    dialog.date_edit.setDate(dt.date(2026, 6, 15))
    model = dialog.lines_model
    model.setData(model.index(0, 0), "1000")
    model.setData(model.index(0, DEBIT), "99.99")
    model.setData(model.index(1, 0), sales.id)
    model.setData(model.index(1, CREDIT), "99.98")
    assert dialog.difference_label.text() == "Out of balance by 0.01"
    assert not dialog.approve_button.isEnabled()
    model.setData(model.index(1, CREDIT), "99.99")
    assert dialog.difference_label.text() == "Balanced"
    dialog.approve_button.click()
    wait_rows(qtbot, pane, before + 1)
    assert not dialog.isVisible()
    stored = entry_services.page_entries(db, company_id, EntryFilter(text="GUI-1"), limit=5)
    assert len(stored) == 1
    assert stored[0].status is EntryStatus.APPROVED
    assert stored[0].total == Decimal("99.99")


def test_a_refused_save_keeps_the_editor_open_and_shows_the_error(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int,
) -> None:
    pane = loaded_pane(qtbot, ctx)
    posted_id = entry_services.entry_ids(db, company_id,
                                         EntryFilter.of_status(EntryStatus.POSTED))[0]
    with qtbot.waitSignal(pane.entry_dialog_opened, timeout=5000) as opened:
        pane.open_entry(posted_id)
    dialog = opened.args[0]
    assert dialog.read_only
    # The entry is voided elsewhere meanwhile; voiding it here again is refused with the reason.
    entry_services.void_entries(db, company_id, [posted_id])
    pane._confirm = Answers(True)
    with qtbot.waitSignal(ctx.error_presenter.dialog_opened, timeout=5000) as shown:
        dialog.void_button.click()
    assert "could not be voided" in shown.args[0].text()
    assert dialog.isVisible()
    assert dialog.void_button.isEnabled()
    shown.args[0].close()


def test_a_posted_entry_opens_read_only_and_can_be_voided(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int,
) -> None:
    answers = Answers(True)
    pane = loaded_pane(qtbot, ctx, confirm=answers)
    posted_id = entry_services.entry_ids(db, company_id,
                                         EntryFilter.of_status(EntryStatus.POSTED))[0]
    row = pane.entry_model.row_of(posted_id)
    assert row is not None
    pane.table.scrollTo(pane.entry_model.index(row, 0))
    qtbot.waitUntil(lambda: pane.entry_model.index(row, 5).data() == "Posted", timeout=5000)
    pane.table.setCurrentIndex(pane.entry_model.index(row, 0))
    with qtbot.waitSignal(pane.entry_dialog_opened, timeout=5000) as opened:
        qtbot.keyClick(pane.table, Qt.Key.Key_Return)  # Enter opens the entry
    dialog = opened.args[0]
    assert dialog.read_only
    assert not dialog.approve_button.isVisible()
    resets: list[bool] = []
    pane.entry_model.modelReset.connect(lambda: resets.append(True))
    with qtbot.waitSignal(pane.entry_model.dataChanged, timeout=5000) as changed:
        dialog.void_button.click()
    # Only the voided row changed, in place (no reset, the selection and scroll stay).
    assert (changed.args[0].row(), changed.args[1].row()) == (row, row)
    assert resets == []
    assert "Void entry" in answers.asked[0]
    assert entry_services.get_entry(db, company_id, posted_id).status is EntryStatus.VOID
    qtbot.waitUntil(lambda: pane.entry_model.index(row, 5).data() == "Void", timeout=5000)


def test_bulk_approve_reports_each_refusal_by_entry(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int,
) -> None:
    pane = loaded_pane(qtbot, ctx)
    drafts = entry_services.entry_ids(db, company_id, EntryFilter.of_status(EntryStatus.DRAFT))
    posted = entry_services.entry_ids(db, company_id, EntryFilter.of_status(EntryStatus.POSTED))
    assert len(drafts) >= 2
    for entry_id in (*drafts[:2], posted[0]):
        row = pane.entry_model.row_of(entry_id)
        assert row is not None
        pane.table.scrollTo(pane.entry_model.index(row, 0))
        qtbot.waitUntil(lambda r=row: pane.entry_model.loaded_row(r) is not None, timeout=5000)
    select_ids(pane, [drafts[0], drafts[1], posted[0]])
    assert pane.approve_action.isEnabled()
    with qtbot.waitSignal(pane.bulk_finished, timeout=5000) as finished:
        pane.approve_action.trigger()
    result = finished.args[0]
    assert set(result.done) == {drafts[0], drafts[1]}
    assert [r.entry_id for r in result.refused] == [posted[0]]
    number = entry_services.get_entry(db, company_id, posted[0]).number
    assert pane.bulk_report.startswith("2 entries approved.\n1 was not:\n")
    assert f"• entry {number} of " in pane.bulk_report
    assert "is posted and cannot be made approved" in pane.bulk_report
    report = pane.findChild(QWidget, "bulkReport")
    assert report is not None
    assert report.isVisible()
    for entry_id in drafts[:2]:
        assert entry_services.get_entry(db, company_id, entry_id).status is EntryStatus.APPROVED


def test_bulk_post_moves_approved_entries_to_posted(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int,
) -> None:
    pane = loaded_pane(qtbot, ctx)
    pane.filter_bar.status_combo.setCurrentIndex(
        pane.filter_bar.status_combo.findData("approved"))
    approved = entry_services.entry_ids(db, company_id,
                                        EntryFilter.of_status(EntryStatus.APPROVED))
    wait_rows(qtbot, pane, len(approved))
    pane.table.selectAll()
    with qtbot.waitSignal(pane.bulk_finished, timeout=5000) as finished:
        pane.post_action.trigger()
    assert finished.args[0].ok
    assert pane.message_label.text() == f"{len(approved)} entries posted."
    # The status filter still says approved: the posted entries left the table.
    wait_rows(qtbot, pane, 0)


def test_accounts_are_added_edited_and_deactivated_through_dialogs(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int,
) -> None:
    answers = Answers(True)
    pane = loaded_pane(qtbot, ctx, confirm=answers)
    equipment = account_services.find_account(db, company_id, "Equipment")
    assert equipment is not None
    assert equipment.id is not None
    pane.tree.setCurrentIndex(pane.tree_model.index_of(equipment.id))
    pane.add_account_action.trigger()
    dialog = pane.account_dialog
    assert dialog is not None
    assert dialog.parent_combo.currentData() == "Equipment"
    dialog.name_edit.setText("Phones")
    dialog.code_edit.setText("1550")
    dialog.type_combo.setCurrentIndex(dialog.type_combo.findData(AccountType.FIXED_ASSET.value))
    with qtbot.waitSignal(pane.chart_loaded, timeout=5000):
        dialog.save_button.click()
    phones = account_services.find_account(db, company_id, "1550")
    assert phones is not None
    assert phones.full_name == "Equipment:Phones"
    index = pane.tree_model.index_of(phones.id or 0)
    assert index.isValid()
    # The tree kept Equipment expanded and the new account shows under it.
    assert pane.tree.isExpanded(index.parent())

    pane.tree.setCurrentIndex(index)
    pane.edit_account_action.trigger()
    edit = pane.account_dialog
    assert edit is not None
    assert edit is not dialog
    edit.name_edit.setText("Mobile Phones")
    with qtbot.waitSignal(pane.chart_loaded, timeout=5000):
        edit.save_button.click()
    assert pane.tree_model.index_of(phones.id or 0).data() == "Mobile Phones"

    pane.tree.setCurrentIndex(pane.tree_model.index_of(phones.id or 0))
    with qtbot.waitSignal(pane.chart_loaded, timeout=5000):
        pane.deactivate_action.trigger()
    assert "Deactivate 1550 Mobile Phones" in answers.asked[0]
    assert not account_services.get_account(db, company_id, phones.id or 0).active
    assert not pane.tree_model.index_of(phones.id or 0).isValid()
    pane.show_inactive_check.setChecked(True)
    assert pane.tree_model.index_of(phones.id or 0).isValid()


def test_a_duplicate_account_is_refused_by_the_services_and_the_dialog_stays(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int,
) -> None:
    pane = loaded_pane(qtbot, ctx)
    pane.tree.setCurrentIndex(pane.tree.model().index(0, 0))
    pane.add_account_action.trigger()
    dialog = pane.account_dialog
    assert dialog is not None
    dialog.name_edit.setText("Brand new")
    dialog.code_edit.setText("1000-X")
    # Another user takes the code meanwhile.
    from bookkeeper_desktop.core.accounts import Account

    account_services.add_account(db, company_id, Account("Taken", AccountType.EXPENSE,
                                                         code="1000-X"))
    with qtbot.waitSignal(ctx.error_presenter.dialog_opened, timeout=5000) as shown:
        dialog.save_button.click()
    assert "already used" in shown.args[0].text() + shown.args[0].informativeText()
    assert dialog.isVisible()
    assert dialog.save_button.isEnabled()
    shown.args[0].close()


def test_deactivation_can_be_declined(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int,
) -> None:
    answers = Answers(False)
    pane = loaded_pane(qtbot, ctx, confirm=answers)
    checking = account_services.find_account(db, company_id, "1000")
    assert checking is not None
    pane.tree.setCurrentIndex(pane.tree_model.index_of(checking.id or 0))
    pane.deactivate_action.trigger()
    qtbot.wait(100)
    assert answers.asked
    assert account_services.get_account(db, company_id, checking.id or 0).active


def test_trial_balance_matches_the_services(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int,
) -> None:
    pane = loaded_pane(qtbot, ctx)
    pane.trial_balance_action.trigger()
    dialog = pane.trial_balance_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.model.rowCount() > 1, timeout=5000)
    expected = entry_services.trial_balance(db, company_id)
    assert dialog.model.total_debit == expected.total_debit
    assert dialog.model.total_credit == expected.total_credit
    assert dialog.status_label.text().startswith("Debits equal credits")
    with qtbot.waitSignal(dialog.loaded, timeout=5000):
        dialog.approved_check.setChecked(True)
    with_approved = entry_services.trial_balance(
        db, company_id, statuses=(EntryStatus.POSTED, EntryStatus.APPROVED))
    assert with_approved.total_debit != expected.total_debit
    assert dialog.model.total_debit == with_approved.total_debit


def test_a_change_from_elsewhere_refreshes_the_pane(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int,
) -> None:
    from bookkeeper_desktop.core.changes import Changes

    pane = loaded_pane(qtbot, ctx)
    before = pane.entry_model.rowCount()
    drafts = entry_services.entry_ids(db, company_id, EntryFilter.of_status(EntryStatus.DRAFT))
    entry_services.delete_drafts(db, company_id, drafts[:1])
    ctx.notify(Changes(entries=True))
    wait_rows(qtbot, pane, before - 1)


def test_switching_company_reloads_and_no_company_shows_the_empty_state(
    qtbot: QtBot, ctx: AppContext, db: Database,
) -> None:
    pane = loaded_pane(qtbot, ctx)
    checking = account_services.find_account(db, ctx.company_id or 0, "1000")
    assert checking is not None
    pane.set_entry_filter(EntryFilter(account_id=checking.id))
    qtbot.waitUntil(lambda: not pane.entry_model.loading, timeout=5000)
    other = create_sample_company(db, "Other Books", entries=30, end=dt.date(2026, 6, 30))
    ctx.set_company(other.id)
    # The other company's entries, all of them: the account chosen in the first books is
    # forgotten (its id means nothing here).
    wait_rows(qtbot, pane, 30)
    qtbot.waitUntil(lambda: len(pane.accounts) > 0
                    and all(a.company_id in (None, other.id) for a in pane.accounts.values()),
                    timeout=5000)
    assert pane.filter_bar.current_filter().account_id is None
    assert pane.company_id == other.id
    empty = companies.create_company(db, "Empty Books")
    ctx.set_company(empty.id)
    qtbot.waitUntil(lambda: pane.entry_model.rowCount() == 0 and pane.tree_model.rowCount() == 0,
                    timeout=5000)

    jobs = JobRunner()
    try:
        lonely = LedgerPane(AppContext(AppServices(db), jobs))
        qtbot.addWidget(lonely)
        lonely.show()
        assert lonely.empty_label.isVisible()
        assert not lonely.new_entry_action.isEnabled()
    finally:
        assert jobs.shutdown()


# --- dropping a file ---------------------------------------------------------------------------

def drag_events(path_urls: list[QUrl], target: QWidget) -> tuple[QDragEnterEvent, QDropEvent]:
    mime = QMimeData()
    mime.setUrls(path_urls)
    point = QPoint(target.width() // 2, target.height() // 2)
    enter = QDragEnterEvent(point, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    drop = QDropEvent(QPointF(point), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    enter.mime_data_keepalive = mime  # type: ignore[attr-defined]
    return enter, drop


def test_dragging_something_that_is_not_one_file_is_refused(
    qtbot: QtBot, ctx: AppContext, tmp_path: Path,
) -> None:
    pane = loaded_pane(qtbot, ctx)
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("x")
    second.write_text("y")
    for urls in ([QUrl.fromLocalFile(str(first)), QUrl.fromLocalFile(str(second))],
                 [QUrl("https://example.com/chart.csv")],
                 [QUrl.fromLocalFile(str(tmp_path))]):
        enter, _drop = drag_events(urls, pane)
        QApplication.sendEvent(pane, enter)
        assert not enter.isAccepted(), urls


# --- the streamed id reader (without its fallback to the service) ---------------------------

@pytest.mark.parametrize("column", list(SortColumn))
@pytest.mark.parametrize("descending", [False, True])
def test_streamed_ids_equal_the_service_for_every_sort(
    db: Database, company_id: int, column: object, descending: bool,
) -> None:
    from bookkeeper_desktop.gui.ledger.services_source import read_entry_ids

    sort = EntrySort(column, descending)  # type: ignore[arg-type]
    assert read_entry_ids(db, company_id, EntryFilter(), sort) == entry_services.entry_ids(
        db, company_id, EntryFilter(), sort)


def test_streamed_ids_equal_the_service_for_every_filter(db: Database, company_id: int) -> None:
    from bookkeeper_desktop.core.journal import EntrySource
    from bookkeeper_desktop.gui.ledger.services_source import read_entry_ids

    rent = account_services.find_account(db, company_id, "6050")
    assert rent is not None
    filters = [
        EntryFilter.of_status(EntryStatus.POSTED, EntryStatus.APPROVED),
        EntryFilter(date_from=dt.date(2026, 2, 1), date_to=dt.date(2026, 2, 28)),
        EntryFilter(account_id=rent.id),
        EntryFilter(sources=frozenset({EntrySource.SAMPLE})),
        EntryFilter(sources=frozenset({EntrySource.QBO})),
        EntryFilter(text="payroll"), EntryFilter(text="JE-00012"), EntryFilter(text="100%"),
        EntryFilter(text="o'brien_"), EntryFilter(include_remote_deleted=False),
    ]
    for flt in filters:
        expected = entry_services.entry_ids(db, company_id, flt, EntrySort())
        assert read_entry_ids(db, company_id, flt, EntrySort()) == expected, flt
    assert entry_services.entry_ids(db, company_id, filters[5], EntrySort())  # not vacuous


# --- importing a chart by dropping it on the pane ------------------------------------------------

CHART_CSV = (
    "Account Number,Account Name,Type,Detail Type\n"
    "1000,Checking,Bank,Checking\n"
    "1010,Savings Reserve,Bank,Savings\n"
    "6500,Marketing,Expenses,Advertising/Promotional\n"
    "6510,Marketing:Online Ads,Expenses,Advertising/Promotional\n"
)
BROKEN_LINE = "7000,Mystery,Expences,Other\n"


def chart_file(tmp_path: Path, text: str = CHART_CSV, name: str = "chart.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def drop_file_on(qtbot: QtBot, pane: LedgerPane, target: QWidget, path: Path) -> object:
    enter, drop = drag_events([QUrl.fromLocalFile(str(path))], target)
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    with qtbot.waitSignal(pane.import_preview_ready, timeout=10000) as ready:
        QApplication.sendEvent(target, drop)
    assert drop.isAccepted()
    return ready.args[0]


def test_dropping_a_chart_on_the_pane_previews_and_imports_it(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int, tmp_path: Path,
) -> None:
    from bookkeeper_desktop.gui.ledger.import_dialog import PreviewKind

    pane = loaded_pane(qtbot, ctx)
    before = len(account_services.list_accounts(db, company_id))
    dialog = drop_file_on(qtbot, pane, pane, chart_file(tmp_path))
    assert dialog.isVisible()
    adds = dialog.models[PreviewKind.ADD]
    assert [adds.index(r, 1).data() for r in range(adds.rowCount())] == [
        "Marketing", "Marketing:Online Ads"]
    assert [adds.index(r, 0).data() for r in range(adds.rowCount())] == ["4", "5"]
    updates = dialog.models[PreviewKind.UPDATE]
    # The sample accounts become the file's (their source changes); Savings is also renamed.
    assert [updates.index(r, 0).data() for r in range(updates.rowCount())] == ["2", "3"]
    assert updates.index(1, 4).data().startswith("full name: 'Savings' → 'Savings Reserve'")
    assert dialog.apply_button.isEnabled()

    with qtbot.waitSignal(pane.chart_loaded, timeout=10000):
        dialog.apply_button.click()
    assert not dialog.isVisible()
    assert len(account_services.list_accounts(db, company_id)) == before + 2
    # The tree shows the new accounts in place, without reopening anything.
    online = account_services.find_account(db, company_id, "6510")
    assert online is not None
    assert online.full_name == "Marketing:Online Ads"
    index = pane.tree_model.index_of(online.id or 0)
    assert index.isValid()
    assert index.parent().data() == "Marketing"
    savings = account_services.find_account(db, company_id, "1010")
    assert savings is not None
    assert pane.tree_model.index_of(savings.id or 0).data() == "Savings Reserve"
    assert "Imported chart.csv" in pane.message_label.text()
    assert " added, " in pane.message_label.text()

    # The same file again changes nothing: every line is skipped and Apply is off.
    again = drop_file_on(qtbot, pane, pane, chart_file(tmp_path))
    skips = again.models[PreviewKind.SKIP]
    assert skips.rowCount() == 4
    assert not again.apply_button.isEnabled()
    assert "already matches" in again.reason_label.text()
    again.close_button.click()


def test_a_file_dropped_on_a_child_widget_reaches_the_pane(
    qtbot: QtBot, ctx: AppContext, tmp_path: Path,
) -> None:
    pane = loaded_pane(qtbot, ctx)
    for target in (pane.table.viewport(), pane.tree.viewport(), pane.count_label,
                   pane.filter_bar.search_edit):
        dialog = drop_file_on(qtbot, pane, target, chart_file(tmp_path))
        dialog.close_button.click()
        assert not dialog.isVisible()
    # A text box passes the file on instead of typing its path.
    assert pane.filter_bar.search_edit.text() == ""


def test_a_chart_with_errors_cannot_be_applied_and_cancel_imports_nothing(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int, tmp_path: Path,
) -> None:
    from bookkeeper_desktop.gui.ledger.import_dialog import PreviewKind

    pane = loaded_pane(qtbot, ctx)
    before = account_services.list_accounts(db, company_id)
    dialog = drop_file_on(qtbot, pane, pane, chart_file(tmp_path, CHART_CSV + BROKEN_LINE))
    errors = dialog.models[PreviewKind.ERROR]
    assert errors.rowCount() >= 1
    assert errors.index(0, 0).data() == "6"
    assert "Expences" in errors.index(0, 4).data()
    assert dialog.tabs.tabText(dialog.tabs.currentIndex()).startswith("Errors")
    assert not dialog.apply_button.isEnabled()
    dialog.close_button.click()
    qtbot.wait(100)
    assert account_services.list_accounts(db, company_id) == before


def test_file_import_asks_for_a_file_and_a_non_chart_is_refused_with_its_reason(
    qtbot: QtBot, ctx: AppContext, tmp_path: Path,
) -> None:
    asked: list[bool] = []
    not_a_chart = chart_file(tmp_path, "Customer,Balance\nAcme,10.00\n", "customers.csv")

    def ask(_parent: QWidget) -> Path:
        asked.append(True)
        return not_a_chart

    pane = loaded_pane(qtbot, ctx, ask_path=ask)
    with qtbot.waitSignal(ctx.error_presenter.dialog_opened, timeout=10000) as shown:
        pane.import_action.trigger()
    assert asked == [True]
    box = shown.args[0]
    assert box.windowTitle() == "Cannot read this file"
    assert pane.import_dialog is None
    box.close()


def test_file_import_that_is_declined_does_nothing(qtbot: QtBot, ctx: AppContext) -> None:
    pane = loaded_pane(qtbot, ctx, ask_path=lambda _parent: None)
    with qtbot.assertNotEmitted(pane.import_preview_ready, wait=200):
        pane.open_import_dialog()


def test_cancelling_a_running_import_imports_nothing(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int, tmp_path: Path,
) -> None:
    rows = "".join(f"{20000 + n},Import test {n},Expenses,Other Miscellaneous Service Cost\n"
                   for n in range(1500))
    path = chart_file(tmp_path, "Account Number,Account Name,Type,Detail Type\n" + rows)
    pane = loaded_pane(qtbot, ctx)
    before = account_services.list_accounts(db, company_id)
    dialog = drop_file_on(qtbot, pane, pane, path)
    assert dialog.summary_label.text().startswith("1500 accounts to add")
    dialog.apply_button.click()
    assert dialog.running
    dialog.close_button.click()  # Cancel while it runs
    qtbot.waitUntil(lambda: not dialog.running, timeout=20000)
    assert dialog.isVisible()
    assert dialog.reason_label.text() == "Cancelled; nothing was imported."
    assert account_services.list_accounts(db, company_id) == before


@pytest.mark.postgres
def test_streamed_ids_equal_the_service_on_postgresql(pg_books: tuple[Database, int]) -> None:
    from bookkeeper_desktop.core.journal import EntrySource
    from bookkeeper_desktop.gui.ledger.services_source import read_entry_ids

    database, company = pg_books
    filters = [EntryFilter(), EntryFilter.of_status(EntryStatus.POSTED, EntryStatus.DRAFT),
               EntryFilter(date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 4, 30)),
               EntryFilter(sources=frozenset({EntrySource.SAMPLE})), EntryFilter(text="payroll"),
               EntryFilter(text="50%_x")]
    for flt in filters:
        for sort in (EntrySort(), EntrySort(SortColumn.TOTAL, True), EntrySort(SortColumn.MEMO)):
            assert read_entry_ids(database, company, flt, sort) == entry_services.entry_ids(
                database, company, flt, sort), (flt, sort)


@pytest.mark.postgres
def test_the_pane_on_a_shared_postgresql_database(
    qtbot: QtBot, pg_books: tuple[Database, int],
) -> None:
    database, company = pg_books
    jobs = JobRunner()
    try:
        pane = loaded_pane(qtbot, AppContext(AppServices(database), jobs, company_id=company))
        assert pane.entry_model.rowCount() == entry_services.count_entries(database, company)
        pane.filter_bar.status_combo.setCurrentIndex(
            pane.filter_bar.status_combo.findData("draft"))
        wait_rows(qtbot, pane, entry_services.count_entries(
            database, company, EntryFilter.of_status(EntryStatus.DRAFT)))
        assert len(pane.accounts) == len(account_services.list_accounts(database, company))
    finally:
        assert jobs.shutdown()


def test_an_import_refused_at_apply_keeps_the_dialog_open_and_imports_nothing(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int, tmp_path: Path,
) -> None:
    from bookkeeper_desktop.core.accounts import Account

    pane = loaded_pane(qtbot, ctx)
    dialog = drop_file_on(qtbot, pane, pane, chart_file(tmp_path))
    # Someone else takes code 6510 between the preview and Apply.
    account_services.add_account(db, company_id, Account("Elsewhere", AccountType.EXPENSE,
                                                         code="6510"))
    before = account_services.list_accounts(db, company_id)
    with qtbot.waitSignal(ctx.error_presenter.dialog_opened, timeout=10000) as shown:
        dialog.apply_button.click()
    box = shown.args[0]
    assert "6510" in box.text() + box.informativeText()
    assert dialog.isVisible()
    assert not dialog.running
    assert dialog.reason_label.text() == "Nothing was imported."
    assert account_services.list_accounts(db, company_id) == before
    box.close()


def test_right_click_offers_the_tool_bar_actions(qtbot: QtBot, ctx: AppContext) -> None:
    pane = loaded_pane(qtbot, ctx)
    assert [a.text() for a in pane.table.actions()] == ["Open", "Approve selected",
                                                        "Post selected"]
    assert [a.text() for a in pane.tree.actions()] == ["Add account…", "Edit…", "Deactivate",
                                                       "Undo last import…"]
    assert pane.table.contextMenuPolicy() == Qt.ContextMenuPolicy.ActionsContextMenu


def test_bulk_post_names_the_entry_whose_account_was_deactivated(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int,
) -> None:
    approved = entry_services.entry_ids(db, company_id,
                                        EntryFilter.of_status(EntryStatus.APPROVED))
    assert len(approved) >= 2
    victim = entry_services.get_entry(db, company_id, approved[0])
    account_id = victim.lines[0].account_id
    account_services.deactivate_account(db, company_id, account_id)
    blocked = {entry_id for entry_id in approved
               if any(line.account_id == account_id
                      for line in entry_services.get_entry(db, company_id, entry_id).lines)}
    pane = loaded_pane(qtbot, ctx)
    pane.filter_bar.status_combo.setCurrentIndex(
        pane.filter_bar.status_combo.findData("approved"))
    wait_rows(qtbot, pane, len(approved))
    qtbot.waitUntil(lambda: all(pane.entry_model.loaded_row(r) is not None
                                for r in range(len(approved))), timeout=5000)
    pane.table.selectAll()
    with qtbot.waitSignal(pane.bulk_finished, timeout=10000) as finished:
        pane.post_action.trigger()
    result = finished.args[0]
    assert {r.entry_id for r in result.refused} == blocked
    assert set(result.done) == set(approved) - blocked
    name = account_services.get_account(db, company_id, account_id).full_name
    assert f"entry {victim.number} of {victim.date.isoformat()}" in pane.bulk_report  # type: ignore[union-attr]
    assert f"account '{name}' is inactive" in pane.bulk_report


def test_notes_of_the_reader_are_shown_above_the_preview(
    qtbot: QtBot, ctx: AppContext, tmp_path: Path,
) -> None:
    xero = ("*Code,*Name,*Type,*Tax Code,Description,Dashboard,Expense Claims,Enable Payments,"
            "Balance\n"
            "905,Admin: Postage,Overhead,No VAT,,No,No,No,\n")
    pane = loaded_pane(qtbot, ctx)
    dialog = drop_file_on(qtbot, pane, pane, chart_file(tmp_path, xero, "xero.csv"))
    assert dialog.notes_label.isVisible()
    assert "'Admin: Postage' is read as 'Admin - Postage'" in dialog.notes_label.text()
    assert "line 2" in dialog.notes_label.text()
    dialog.close_button.click()


def test_a_failing_read_shows_one_dialog_not_one_per_page(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int,
) -> None:
    from collections.abc import Sequence

    from bookkeeper_desktop.core.errors import DatabaseLocked
    from bookkeeper_desktop.gui.ledger.services_source import ServicesLedgerSource
    from bookkeeper_desktop.storage.records import EntrySummary

    class LockedAfterOpening(ServicesLedgerSource):
        """The real source, whose page reads fail once `locked` is set (another program holds
        the database)."""

        locked = False

        def entry_rows(self, company: int, ids: Sequence[int]) -> Sequence[EntrySummary]:
            if self.locked:
                raise DatabaseLocked("The books are in use by another program.")
            return super().entry_rows(company, ids)

    from bookkeeper_desktop.sample_data import generate_entries

    chart = account_services.list_accounts(db, company_id)
    entry_services.bulk_insert_entries(db, company_id, generate_entries(
        1200, chart, seed=7, end=dt.date(2026, 6, 30), number_prefix="BIG-"))
    source = LockedAfterOpening(ctx.services)
    pane = loaded_pane(qtbot, ctx, source=source)
    failures: list[BaseException] = []
    pane.entry_model.load_failed.connect(failures.append)
    source.locked = True
    shown: list[object] = []
    ctx.error_presenter.dialog_opened.connect(shown.append)
    bar = pane.table.verticalScrollBar()
    for position in (bar.maximum() // 3, bar.maximum() // 2, bar.maximum()):
        bar.setValue(position)
        qtbot.wait(150)
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    shown[0].close()  # type: ignore[attr-defined]
    # The user closed it; the view keeps asking for rows that still cannot be read.
    seen = len(failures)
    for position in (bar.maximum() // 4, bar.maximum() * 3 // 4):
        bar.setValue(position)
        qtbot.wait(150)
    qtbot.waitUntil(lambda: len(failures) > seen, timeout=5000)
    qtbot.wait(200)
    assert len(shown) == 1  # not one dialog per failing page
    assert pane.count_label.text() == "Entries could not be read"
