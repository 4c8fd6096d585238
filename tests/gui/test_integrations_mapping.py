"""The mapping editor's way out of "Not mapped": the searchable picker (keyboard and mouse), Map
to… on a real row, Create all missing with its preview against the real QBO sandbox and then
Sync Now sending everything, and the question before confirming a proposal that differs."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt
from pytestqt.qtbot import QtBot

from bookkeeper_desktop import sample_data
from bookkeeper_desktop.core.accounts import Account, AccountType
from bookkeeper_desktop.core.journal import EntryStatus, JournalEntry, JournalLine
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.gui.context import AppContext
from bookkeeper_desktop.gui.integrations import IntegrationsPane
from bookkeeper_desktop.gui.integrations.controller import IntegrationsController
from bookkeeper_desktop.gui.integrations.mapping_editor import MappingEditor
from bookkeeper_desktop.gui.integrations.models import MappingColumn, RowRole
from bookkeeper_desktop.gui.integrations.picker import RemoteAccountPicker
from bookkeeper_desktop.gui.integrations.state import MappingRow
from bookkeeper_desktop.gui.integrations.state import MappingState as RowState
from bookkeeper_desktop.providers.config import Provider
from bookkeeper_desktop.services import accounts as account_service
from bookkeeper_desktop.services import entries as entry_service
from bookkeeper_desktop.services import mappings as mapping_service
from bookkeeper_desktop.services import sync_runs
from bookkeeper_desktop.services.mappings import MappingState, RemoteAccount
from bookkeeper_desktop.services.remote_accounts import CreateOutcome, create_remote_accounts
from tests.gui.sandbox_books import answer
from tests.gui.test_integrations_refused import sync_function
from tests.sync.conftest import Books
from tests.sync.helpers import mapped_accounts, sync


def _remote(key: str, code: str | None, name: str, kind: AccountType) -> RemoteAccount:
    return RemoteAccount(key=key, code=code, name=name, type_label=kind.label,
                         account=Account(full_name=name, type=kind, code=code), active=True)


REMOTES = [
    _remote("1", "4000", "Sales of Product Income", AccountType.INCOME),
    _remote("2", "6010", "Office Supplies", AccountType.EXPENSE),
    _remote("3", "6020", "Office Rent", AccountType.EXPENSE),
    _remote("4", "6500", "Payroll Expenses", AccountType.EXPENSE),
]


def _picker(qtbot: QtBot) -> RemoteAccountPicker:
    picker = RemoteAccountPicker("QuickBooks Online", "Wages", REMOTES,
                                 account_type=AccountType.EXPENSE, used_by={})
    qtbot.addWidget(picker)
    picker.show()
    qtbot.waitExposed(picker)
    return picker


def _shown(picker: RemoteAccountPicker) -> list[str]:
    return [picker.model.index(r).data() for r in range(picker.model.rowCount())]


def test_picker_searches_as_you_type_and_chooses_with_the_keyboard(qtbot: QtBot) -> None:
    picker = _picker(qtbot)
    # Fitting kinds first; the income is listed last and says it is another kind.
    assert _shown(picker)[-1] == ("4000  Sales of Product Income  (Income, another kind of "
                                  "account)")
    assert picker.focusWidget() is picker.search
    qtbot.keyClicks(picker.search, "office")
    assert _shown(picker) == ["6010  Office Supplies  (Expense)", "6020  Office Rent  (Expense)"]
    qtbot.keyClick(picker.search, Qt.Key.Key_Down)
    with qtbot.waitSignal(picker.accepted, timeout=2000):
        qtbot.keyClick(picker.search, Qt.Key.Key_Return)
    assert picker.chosen() == REMOTES[2]


def test_picker_chooses_with_the_mouse_and_escape_cancels(qtbot: QtBot) -> None:
    picker = _picker(qtbot)
    qtbot.keyClicks(picker.search, "payroll")
    rect = picker.view.visualRect(picker.model.index(0))
    with qtbot.waitSignal(picker.accepted, timeout=2000):
        # Qt 6 sees a double-click only after the first click of the pair (QTBUG-5232).
        qtbot.mouseClick(picker.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(picker.view.viewport(), Qt.MouseButton.LeftButton,
                          pos=rect.center())
    assert picker.chosen() == REMOTES[3]
    other = _picker(qtbot)
    qtbot.keyClicks(other.search, "no such thing")
    assert not other.choose_button.isEnabled()
    assert other.empty.isVisibleTo(other)
    with qtbot.waitSignal(other.rejected, timeout=2000):
        qtbot.keyClick(other.search, Qt.Key.Key_Escape)


def _row_of(editor: MappingEditor, name: str) -> int:
    for r in range(editor.proxy.rowCount()):
        row = editor.proxy.data(editor.proxy.index(r, 0), RowRole)
        if isinstance(row, MappingRow) and row.account_name == name:
            return r
    raise AssertionError(f"{name} is not listed")


def _select(editor: MappingEditor, name: str) -> None:
    row = _row_of(editor, name)
    editor.table.setCurrentIndex(editor.proxy.index(row, 0))
    editor.table.selectionModel().select(
        editor.proxy.index(row, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
        | QItemSelectionModel.SelectionFlag.Rows)


def _open_pane(qtbot: QtBot, app_ctx: AppContext, company_id: int) -> IntegrationsPane:
    app_ctx.set_company(company_id)
    pane = IntegrationsPane(app_ctx)
    qtbot.addWidget(pane)
    qtbot.waitSignal(pane.loaded, timeout=5000).wait()
    return pane


def _add(books: Books, name: str, code: str, kind: AccountType = AccountType.EXPENSE) -> int:
    account = account_service.add_account(books.db, books.company_id, Account(
        full_name=name, type=kind, code=code))
    assert account.id is not None
    return account.id


def test_a_not_mapped_row_is_mapped_by_hand_with_enter(qtbot: QtBot, app_ctx: AppContext,
                                                       books: Books) -> None:
    assert sync(books, push=False).ok
    wages = _add(books, "Wages Here", "9910")
    pane = _open_pane(qtbot, app_ctx, books.company_id)
    editor = pane.mapping_editor
    row = _row_of(editor, "Wages Here")
    assert editor.proxy.index(row, MappingColumn.STATE).data() == "Not mapped"
    _select(editor, "Wages Here")
    assert editor.pick_button.isEnabled()
    assert editor.create_button.text() == "Create in QuickBooks Online…"
    editor.table.setFocus()
    qtbot.keyClick(editor.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: pane.picker is not None and pane.picker.isVisible(), timeout=5000)
    picker = pane.picker
    assert picker is not None
    qtbot.keyClicks(picker.search, "office supplies")
    chosen = picker.chosen()
    assert chosen is not None
    with qtbot.waitSignal(pane.loaded, timeout=5000):
        qtbot.keyClick(picker.search, Qt.Key.Key_Return)
    stored = mapping_service.mapping_by_account(books.db, books.company_id, "qbo")[wages]
    assert (stored.state, stored.remote_id, stored.proposal_reason) == (
        MappingState.CONFIRMED, chosen.key, "chosen by hand")
    row = _row_of(editor, "Wages Here")
    assert editor.proxy.index(row, MappingColumn.STATE).data() == "Confirmed"


def create_function(books: Books) -> Any:
    """The controller's Create in …: the real service against the sandbox, as app.py's does."""
    def run(company_id: int, provider: Provider, ids: list[int], progress: Progress
            ) -> CreateOutcome:
        with books.client() as client:
            return create_remote_accounts(books.db, company_id, provider.value, ids,
                                          progress=progress, client=client)
    return run


def test_create_all_missing_previews_creates_and_then_sync_now_sends_everything(
        qtbot: QtBot, app_ctx: AppContext, books: Books) -> None:
    assert sync(books, push=False).ok
    fees = _add(books, "Consulting Fees Here", "9920", AccountType.INCOME)
    costs = _add(books, "Subcontractors Here", "9921")
    _add(books, "Much Too Long Number", "99220000")
    (bank, _) = mapped_accounts(books)
    entry_service.bulk_insert_entries(books.db, books.company_id, [JournalEntry(
        date=dt.date(2026, 10, 5), status=EntryStatus.POSTED, number=f"C-{n}",
        lines=(JournalLine.of(account, Decimal("12.50")), JournalLine.of(bank, Decimal("-12.50"))))
        for n, account in enumerate((fees, costs))])
    pane = _open_pane(qtbot, app_ctx, books.company_id)
    controller = IntegrationsController(pane, sync=sync_function(books),
                                        create_remote=create_function(books))
    editor = pane.mapping_editor
    assert editor.create_all_button.isEnabled()
    qtbot.mouseClick(editor.create_all_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: pane.create_preview is not None, timeout=5000)
    preview = pane.create_preview
    assert preview is not None
    assert [preview.ready_list.item(i).text() for i in range(preview.ready_list.count())] == [
        "9920 Consulting Fees Here (Income / ServiceFeeIncome)",
        "9921 Subcontractors Here (Expense / OfficeGeneralAdministrativeExpenses)"]
    assert preview.blocked_list.count() == 1
    assert "longer than QuickBooks Online's 7 characters" in preview.blocked_list.item(0).text()
    assert preview.create_button.text() == "Create 2 account(s)"
    assert not preview.create_button.isDefault()  # Enter does not send anything unseen
    qtbot.mouseClick(preview.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: controller.outcome_box is not None, timeout=10000)
    box = controller.outcome_box
    assert box is not None
    # Only what the preview said could be created was sent.
    assert box.text() == "2 account(s) created in QuickBooks Online."
    assert box.informativeText() == ""
    box.accept()
    confirmed = mapping_service.mapping_by_account(books.db, books.company_id, "qbo",
                                                   confirmed_only=True)
    assert {fees, costs} <= set(confirmed)
    # Sync Now: both entries go.
    with qtbot.waitSignal(pane.loaded, timeout=10000):
        controller.sync_now(Provider.QBO)
        qtbot.waitUntil(lambda: Provider.QBO not in controller.syncing, timeout=10000)
    newest = sync_runs.list_runs(books.db, books.company_id)[0]
    assert newest.pushed == 2, newest.message


def test_confirming_a_proposal_that_differs_asks_first(qtbot: QtBot, app_ctx: AppContext,
                                                       sample_company: Any) -> None:
    db = app_ctx.services.db
    chart = {a.code: a for a in account_service.list_accounts(db, sample_company.id)}
    utilities = chart["6080"]
    assert utilities.id is not None
    mapping_service.propose_mappings(db, sample_company.id, [mapping_service.AccountMapping(
        utilities.id, "qbo", "58", "6080", "Travel:Meals", proposal_reason="number and type",
        warning="names differ")])
    pane = _open_pane(qtbot, app_ctx, sample_company.id)
    editor = pane.mapping_editor
    row = _row_of(editor, utilities.full_name)
    assert editor.proxy.index(row, MappingColumn.CHECK).data() == "⚠ names differ"
    _select(editor, utilities.full_name)
    qtbot.mouseClick(editor.confirm_button, Qt.MouseButton.LeftButton)
    box = answer(qtbot, "Cancel")
    assert "Travel:Meals: names differ" in box.informativeText()
    assert mapping_service.mapping_by_account(db, sample_company.id, "qbo")[utilities.id] \
        .state is MappingState.PROPOSED
    qtbot.mouseClick(editor.confirm_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(pane.loaded, timeout=5000):
        answer(qtbot, "Confirm anyway")
    assert mapping_service.mapping_by_account(db, sample_company.id, "qbo")[utilities.id] \
        .state is MappingState.CONFIRMED


def test_mapping_tab_and_picker_screenshots(qtbot: QtBot, app_ctx: AppContext, books: Books,
                                            tmp_path: Path) -> None:
    """The sample chart against the QBO sandbox's: exact matches confirmed, the rest proposed
    with what to check, or not mapped; then the picker for a row. With
    BOOKKEEPER_SCREENSHOT_DIR=docs/screenshots this refreshes integrations-mapping.png and
    mapping-picker.png."""
    account_service.add_accounts(books.db, books.company_id, sample_data.sample_accounts())
    assert sync(books, push=False).ok
    pane = _open_pane(qtbot, app_ctx, books.company_id)
    editor = pane.mapping_editor
    rows = editor.model.rows()
    assert {r.state for r in rows} >= {RowState.CONFIRMED, RowState.UNMAPPED}
    assert not [r for r in rows if r.state is RowState.PROPOSED and not r.warning
                and r.reason.startswith("number")], "nothing proposed by a number alone"
    pane.resize(1100, 760)
    pane.show()
    qtbot.waitExposed(pane)
    folder = os.environ.get("BOOKKEEPER_SCREENSHOT_DIR")
    target = Path(folder) if folder else tmp_path
    shot = pane.grab()
    assert not shot.isNull()
    assert shot.save(str(target / "integrations-mapping.png"))
    unmapped = next(r for r in rows if r.state is RowState.UNMAPPED)
    _select(editor, unmapped.account_name)
    qtbot.mouseClick(editor.pick_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: pane.picker is not None and pane.picker.isVisible(), timeout=5000)
    picker = pane.picker
    assert picker is not None
    qtbot.keyClicks(picker.search, unmapped.account_name.split(":")[-1].split()[0][:4])
    assert picker.grab().save(str(target / "mapping-picker.png"))
    picker.reject()


def test_the_auto_confirm_setting_is_kept_per_provider(qtbot: QtBot, app_ctx: AppContext,
                                                       sample_company: Any) -> None:
    from bookkeeper_desktop.services.connections import integration_settings
    from bookkeeper_desktop.sync.store import AUTO_CONFIRM_EXACT

    db = app_ctx.services.db
    chart = account_service.list_accounts(db, sample_company.id)
    assert chart[0].id is not None
    mapping_service.propose_mappings(db, sample_company.id, [mapping_service.AccountMapping(
        chart[0].id, "qbo", "1", None, "Checking", proposal_reason="name and type")])
    pane = _open_pane(qtbot, app_ctx, sample_company.id)
    editor = pane.mapping_editor
    assert editor.auto_confirm.isChecked(), "on by default"
    with qtbot.waitSignal(pane.loaded, timeout=5000):
        qtbot.mouseClick(editor.auto_confirm, Qt.MouseButton.LeftButton)
    assert integration_settings(db, sample_company.id, "qbo")[AUTO_CONFIRM_EXACT] == "0"
    assert not editor.auto_confirm.isChecked()
    editor.provider_combo.setCurrentIndex(editor.provider_combo.findData(Provider.XERO))
    assert editor.auto_confirm.isChecked(), "Xero keeps its own"
