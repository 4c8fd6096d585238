"""The entry editor's Contact and Tax code columns (completers over the company's contacts and the
tax codes in use, typed and picked through the real view and delegates), the account's default tax
code shown greyed, and the live notice naming the receivable/payable lines without a contact,
which warns but never blocks a save; in the Ledger pane, the words come from the real database
off the GUI thread and approving such an entry asks first."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemDelegate, QLineEdit
from pytestqt.qtbot import QtBot

from bookkeeper_desktop.core.accounts import Account, AccountType
from bookkeeper_desktop.core.contacts import Contact
from bookkeeper_desktop.core.journal import EntryStatus, JournalEntry, JournalLine
from bookkeeper_desktop.gui.context import AppContext
from bookkeeper_desktop.gui.ledger.entry_editor import EntryEditorDialog
from bookkeeper_desktop.gui.ledger.lines_model import (
    ACCOUNT,
    CONTACT,
    CREDIT,
    DEBIT,
    DEFAULT_TAX_COLOUR,
    TAX_CODE,
)
from bookkeeper_desktop.services import accounts as account_services
from bookkeeper_desktop.services import contacts as contact_services
from bookkeeper_desktop.services import entries as entry_services
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.records import EntryFilter
from tests.gui.test_ledger_pane import Answers, loaded_pane, select_ids, wait_rows

pytest_plugins = ["tests.gui.test_ledger_support"]
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

ACCOUNTS = {
    1: Account("Checking", AccountType.BANK, code="1000", id=1),
    2: Account("Accounts Receivable", AccountType.ACCOUNTS_RECEIVABLE, code="1200", id=2),
    3: Account("Sales", AccountType.INCOME, code="4000", tax_code="GST on Income", id=3),
    4: Account("Accounts Payable", AccountType.ACCOUNTS_PAYABLE, code="2000", id=4),
}


def make_dialog(qtbot: QtBot, entry: JournalEntry | None = None) -> EntryEditorDialog:
    dialog = EntryEditorDialog(ACCOUNTS, entry, today=dt.date(2026, 3, 1))
    qtbot.addWidget(dialog)
    dialog.show()
    # a QLineEdit takes its completer's pick only once it has had the focus, as in an active
    # window
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


def open_cell_editor(dialog: EntryEditorDialog, row: int, column: int) -> QLineEdit:
    view = dialog.lines_view
    index = dialog.lines_model.index(row, column)
    view.setCurrentIndex(index)  # the grid edits on every trigger: this opens the editor
    view.edit(index, view.EditTrigger.AllEditTriggers, None)
    editor = view.indexWidget(index)
    assert isinstance(editor, QLineEdit)
    return editor


def pick_first(qtbot: QtBot, editor: QLineEdit) -> None:
    """Click the first suggestion of the editor's completer popup, as a user does."""
    completer = editor.completer()
    assert completer is not None
    qtbot.waitUntil(lambda: completer.popup().isVisible())
    popup = completer.popup()
    index = completer.completionModel().index(0, 0)
    qtbot.mouseClick(popup.viewport(), Qt.MouseButton.LeftButton,
                     pos=popup.visualRect(index).center())


def close_cell_editor(dialog: EntryEditorDialog, editor: QLineEdit) -> None:
    dialog.lines_view.commitData(editor)
    dialog.lines_view.closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)


def test_the_contact_completer_offers_matches_anywhere_and_the_pick_is_stored(
        qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    dialog.set_lookups(["Acme Ltd", "Bob's Bakery", "Northwind Traders"], [])
    editor = open_cell_editor(dialog, 0, CONTACT)
    completer = editor.completer()
    assert completer is not None
    qtbot.keyClicks(editor, "bak")
    qtbot.waitUntil(lambda: completer.popup().isVisible())
    assert completer.completionCount() == 1
    pick_first(qtbot, editor)
    assert editor.text() == "Bob's Bakery"
    close_cell_editor(dialog, editor)
    assert dialog.lines_model.index(0, CONTACT).data() == "Bob's Bakery"
    assert dialog.entry().lines[0].contact == "Bob's Bakery"


def test_a_known_contact_typed_in_another_case_keeps_its_spelling_and_a_new_one_is_kept(
        qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    dialog.set_lookups(["Acme Ltd"], [])
    editor = open_cell_editor(dialog, 0, CONTACT)
    qtbot.keyClicks(editor, "  acme   LTD ")
    close_cell_editor(dialog, editor)
    assert dialog.lines_model.index(0, CONTACT).data() == "Acme Ltd"
    editor = open_cell_editor(dialog, 1, CONTACT)
    qtbot.keyClicks(editor, "Brand  New Co")
    close_cell_editor(dialog, editor)
    assert dialog.lines_model.index(1, CONTACT).data() == "Brand New Co"


def test_the_tax_code_shows_the_account_default_greyed_until_one_is_typed(
        qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    model = dialog.lines_model
    assert model.setData(model.index(0, ACCOUNT), 3)
    cell = model.index(0, TAX_CODE)
    assert cell.data() == "GST on Income"
    assert cell.data(Qt.ItemDataRole.ForegroundRole) == DEFAULT_TAX_COLOUR
    assert cell.data(Qt.ItemDataRole.EditRole) == ""
    assert "default tax code: GST on Income" in cell.data(Qt.ItemDataRole.ToolTipRole)
    dialog.set_lookups([], ["GST Free Income", "BAS Excluded"])
    assert dialog.tax_delegate.words() == ["BAS Excluded", "GST Free Income", "GST on Income"]
    editor = open_cell_editor(dialog, 0, TAX_CODE)
    completer = editor.completer()
    assert completer is not None
    qtbot.keyClicks(editor, "free")
    assert completer.completionCount() == 1
    pick_first(qtbot, editor)
    close_cell_editor(dialog, editor)
    assert cell.data() == "GST Free Income"
    assert cell.data(Qt.ItemDataRole.ForegroundRole) != DEFAULT_TAX_COLOUR
    assert model.setData(model.index(0, CREDIT), "10")
    assert model.setData(model.index(1, ACCOUNT), 1)
    assert model.setData(model.index(1, DEBIT), "10")
    lines = dialog.entry().lines
    assert [line.tax_code for line in lines] == ["GST Free Income", ""]  # empty = default


def test_an_existing_entry_opens_with_its_contacts_and_tax_codes(qtbot: QtBot) -> None:
    entry = JournalEntry(dt.date(2026, 2, 1), (
        JournalLine.of(2, "5.00", contact="Acme Ltd"),
        JournalLine.of(3, "-5.00", tax_code="GST Free Income")), "INV-1", id=3)
    dialog = make_dialog(qtbot, entry)
    assert dialog.lines_model.index(0, CONTACT).data() == "Acme Ltd"
    assert dialog.lines_model.index(1, TAX_CODE).data() == "GST Free Income"
    assert "Acme Ltd" in dialog.contact_delegate.words()
    assert dialog.entry().lines == entry.lines  # nothing lost on the way through the grid


def test_the_notice_names_each_receivable_or_payable_line_without_a_contact(
        qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    model = dialog.lines_model
    assert not dialog.contact_notice.isVisible()
    for row, (account, column, amount) in enumerate(
            [(2, DEBIT, "100"), (3, CREDIT, "60"), (4, CREDIT, "40")]):
        assert model.setData(model.index(row, ACCOUNT), account)
        assert model.setData(model.index(row, column), amount)
    assert dialog.contact_notice.isVisible()
    assert dialog.contact_notice.text() == (
        "Not sent to QBO or Xero until fixed (it can be saved meanwhile):\n"
        "Line 1 on 'Accounts Receivable' needs a customer: name one in its Contact column.\n"
        "Line 3 on 'Accounts Payable' needs a supplier: name one in its Contact column.")
    # a warning, not a blocker
    assert dialog.save_draft_button.isEnabled()
    assert dialog.approve_button.isEnabled()
    assert "Waiting for a fix" in dialog.approve_button.toolTip()
    with qtbot.waitSignal(dialog.save_requested) as saved:
        dialog.save_draft_button.click()
    assert saved.args[1] is EntryStatus.DRAFT
    assert model.setData(model.index(0, CONTACT), "Acme Ltd")
    assert "Line 1" not in dialog.contact_notice.text()
    assert model.setData(model.index(2, CONTACT), "Paper Co")
    assert not dialog.contact_notice.isVisible()
    assert dialog.approve_button.toolTip() == ""


def test_the_notice_also_shows_on_a_posted_entry(qtbot: QtBot) -> None:
    posted = JournalEntry(dt.date(2026, 2, 1), (
        JournalLine.of(2, "5.00"), JournalLine.of(3, "-5.00")), "P-1",
        status=EntryStatus.POSTED, id=4)
    dialog = make_dialog(qtbot, posted)
    assert dialog.read_only
    assert "Line 1 on 'Accounts Receivable' needs a customer" in dialog.contact_notice.text()


# --- in the Ledger pane, on the real database ---------------------------------------------------


def test_the_pane_loads_the_companys_contacts_and_asks_before_approving_a_nameless_line(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int,
) -> None:
    contact_services.add_contact(db, company_id, Contact("Zebra Imports", is_customer=True))
    contact_services.add_contact(db, company_id, Contact("Gone Ltd", active=False))
    answers = Answers(answer=False)
    pane = loaded_pane(qtbot, ctx, confirm=answers)
    before = pane.entry_model.rowCount()
    with qtbot.waitSignal(pane.entry_dialog_opened) as opened:
        pane.new_entry_action.trigger()
    dialog: EntryEditorDialog = opened.args[0]
    qtbot.waitUntil(lambda: "Zebra Imports" in dialog.contact_delegate.words(), timeout=5000)
    assert "Gone Ltd" not in dialog.contact_delegate.words()  # inactive contacts not offered
    receivable = account_services.find_account(db, company_id, "1100")
    assert receivable is not None
    assert receivable.type is AccountType.ACCOUNTS_RECEIVABLE
    model = dialog.lines_model
    dialog.number_edit.setText("AR-GUI-1")
    model.setData(model.index(0, ACCOUNT), receivable.id)
    model.setData(model.index(0, DEBIT), "80.00")
    model.setData(model.index(1, ACCOUNT), "4000")
    model.setData(model.index(1, CREDIT), "80.00")
    assert dialog.contact_notice.isVisible()
    dialog.approve_button.click()
    assert len(answers.asked) == 1
    assert "will not be sent to QBO or Xero until this is fixed" in answers.asked[0]
    assert "needs a customer" in answers.asked[0]
    qtbot.wait(100)
    assert dialog.isVisible()  # declined: nothing saved
    answers.answer = True
    dialog.approve_button.click()
    wait_rows(qtbot, pane, before + 1)
    stored = entry_services.page_entries(db, company_id, EntryFilter(text="AR-GUI-1"), limit=2)
    assert [s.status for s in stored] == [EntryStatus.APPROVED]
    # a line with a contact names it, and the name joins the company's list
    with qtbot.waitSignal(pane.entry_dialog_opened) as opened:
        pane.new_entry_action.trigger()
    dialog = opened.args[0]
    model = dialog.lines_model
    dialog.number_edit.setText("AR-GUI-2")
    model.setData(model.index(0, ACCOUNT), receivable.id)
    model.setData(model.index(0, DEBIT), "12.00")
    model.setData(model.index(0, CONTACT), "New Customer")
    model.setData(model.index(1, ACCOUNT), "4000")
    model.setData(model.index(1, CREDIT), "12.00")
    asked = len(answers.asked)
    dialog.approve_button.click()
    wait_rows(qtbot, pane, before + 2)
    assert len(answers.asked) == asked  # nothing to warn about
    found = contact_services.find_contact(db, company_id, "new customer")
    assert found is not None
    assert found.is_customer


def test_bulk_approve_says_which_entries_will_wait_for_a_contact(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int,
) -> None:
    receivable = account_services.find_account(db, company_id, "1100")
    sales = account_services.find_account(db, company_id, "4000")
    assert receivable is not None
    assert sales is not None
    nameless = entry_services.save_draft(db, company_id, JournalEntry(
        dt.date(2026, 6, 2), (JournalLine.of(receivable.id or 0, "15.00"),
                              JournalLine.of(sales.id or 0, "-15.00")), "AR-BULK-1"))
    named = entry_services.save_draft(db, company_id, JournalEntry(
        dt.date(2026, 6, 2), (JournalLine.of(receivable.id or 0, "9.00", contact="Acme Ltd"),
                              JournalLine.of(sales.id or 0, "-9.00")), "AR-BULK-2"))
    pane = loaded_pane(qtbot, ctx)
    qtbot.waitUntil(lambda: pane.entry_model.row_of(nameless.id or 0) is not None, timeout=5000)
    select_ids(pane, [nameless.id or 0, named.id or 0])
    with qtbot.waitSignal(pane.bulk_finished, timeout=10000) as finished:
        pane.approve_action.trigger()
    assert set(finished.args[0].done) == {nameless.id, named.id}
    assert "1 of these will not be sent to QBO or Xero until fixed:" in pane.bulk_report
    assert "AR-BULK-1" in pane.bulk_report
    assert "Line 1 on 'Accounts Receivable' needs a customer" in pane.bulk_report
    assert "AR-BULK-2" not in pane.bulk_report
    assert "will not be sent" in pane.message_label.text()
