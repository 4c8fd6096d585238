"""The entry editor: live balance figure, reasons that block saving, the account picker, amount
validation, and read-only posted entries with Void."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemDelegate, QLineEdit
from pytestqt.qtbot import QtBot

from bookkeeper_desktop.core.accounts import Account, AccountType
from bookkeeper_desktop.core.journal import EntryStatus, JournalEntry, JournalLine
from bookkeeper_desktop.gui.ledger.account_picker import AccountPicker, find_account, postable
from bookkeeper_desktop.gui.ledger.amounts import parse_amount
from bookkeeper_desktop.gui.ledger.entry_editor import EntryEditorDialog
from bookkeeper_desktop.gui.ledger.lines_model import (
    ACCOUNT,
    CREDIT,
    DEBIT,
    DESCRIPTION,
    EntryLinesModel,
)

# The offscreen platform says so whenever a top-level window is shown; it is not our warning.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

ACCOUNTS = {
    1: Account("Assets:Checking", AccountType.BANK, code="1000", id=1),
    2: Account("Income:Sales", AccountType.INCOME, code="4000", id=2),
    3: Account("Expenses:Travel:Meals", AccountType.EXPENSE, code="6110", id=3),
    4: Account("Expenses:Old rent", AccountType.EXPENSE, code="6900", active=False, id=4),
    5: Account("Purchase Orders", AccountType.NON_POSTING, id=5),
}


def make_dialog(qtbot: QtBot, entry: JournalEntry | None = None) -> EntryEditorDialog:
    dialog = EntryEditorDialog(ACCOUNTS, entry, today=dt.date(2026, 3, 1))
    qtbot.addWidget(dialog)
    return dialog


def type_line(model: EntryLinesModel, row: int, account: object, debit: str = "",
              credit: str = "") -> None:
    assert model.setData(model.index(row, ACCOUNT), account)
    if debit:
        assert model.setData(model.index(row, DEBIT), debit)
    if credit:
        assert model.setData(model.index(row, CREDIT), credit)


def test_balanced_entry_can_be_approved_and_emits_the_entry(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    dialog.number_edit.setText("JE-7")
    dialog.memo_edit.setText("Cash sale")
    type_line(dialog.lines_model, 0, 1, debit="1,250.50")
    type_line(dialog.lines_model, 1, "4000", credit="1250.5")

    assert dialog.difference_label.text() == "Balanced"
    assert dialog.approve_button.isEnabled()
    assert dialog.save_draft_button.isEnabled()
    with qtbot.waitSignal(dialog.save_requested) as blocker:
        dialog.approve_button.click()
    entry, status = blocker.args
    assert status is EntryStatus.APPROVED
    assert entry.status is EntryStatus.APPROVED
    assert entry.date == dt.date(2026, 3, 1)
    assert (entry.number, entry.memo) == ("JE-7", "Cash sale")
    assert entry.lines == (
        JournalLine(1, debit=Decimal("1250.50")),
        JournalLine(2, credit=Decimal("1250.50")),
    )


def test_unbalanced_entry_shows_the_difference_and_blocks_saving_with_the_reason(
    qtbot: QtBot,
) -> None:
    dialog = make_dialog(qtbot)
    type_line(dialog.lines_model, 0, 1, debit="100.00")
    type_line(dialog.lines_model, 1, 2, credit="87.66")

    assert dialog.difference_label.text() == "Out of balance by 12.34"
    assert not dialog.approve_button.isEnabled()
    assert not dialog.save_draft_button.isEnabled()
    assert "does not balance: debits exceed credits by 12.34" in dialog.approve_button.toolTip()
    assert "does not balance" in dialog.problems_label.text()
    with qtbot.assertNotEmitted(dialog.save_requested):
        dialog.approve_button.click()

    # Fixing the credit makes it balance live.
    assert dialog.lines_model.setData(dialog.lines_model.index(1, CREDIT), "100")
    assert dialog.difference_label.text() == "Balanced"
    assert dialog.approve_button.isEnabled()
    assert dialog.problems_label.text() == ""


def test_credits_exceeding_debits_are_named(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    type_line(dialog.lines_model, 0, 1, debit="5")
    type_line(dialog.lines_model, 1, 2, credit="10")
    assert dialog.difference_label.text() == "Out of balance by 5.00"
    assert "credits exceed debits by 5.00" in dialog.problems_label.text()


def test_missing_inactive_and_non_posting_accounts_are_reasons(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    model = dialog.lines_model
    assert model.setData(model.index(0, DEBIT), "10")
    type_line(model, 1, 4, credit="10")
    problems = dialog.problems()
    assert "Line 1 has no account; pick one." in problems
    assert "Line 2: account 'Expenses:Old rent' is inactive." in problems
    assert not any("#0" in p for p in problems)
    assert not dialog.approve_button.isEnabled()
    type_line(model, 0, 5)
    assert "Line 1: account 'Purchase Orders' is non-posting." in dialog.problems()


def test_a_single_line_is_not_enough(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    type_line(dialog.lines_model, 0, 1, debit="10")
    assert "An entry needs at least two lines; it has 1." in dialog.problems()


def test_typing_a_debit_clears_the_credit_and_a_blank_line_stays_last() -> None:
    model = EntryLinesModel(ACCOUNTS)
    assert model.rowCount() == 2
    type_line(model, 0, 1, credit="3")
    assert model.setData(model.index(0, DEBIT), "7.25")
    assert model.index(0, CREDIT).data() == ""
    assert model.index(0, DEBIT).data() == "7.25"
    type_line(model, 1, 2, credit="7.25")
    # Typing on the last line added a fresh blank one.
    assert model.rowCount() == 3
    assert model.index(2, ACCOUNT).data() == ""
    assert model.total_debit == model.total_credit == Decimal("7.25")
    assert [d.account_id for d in model.drafts()] == [1, 2]


def test_amount_cells_refuse_what_is_not_an_amount() -> None:
    model = EntryLinesModel(ACCOUNTS)
    for bad in ("12.345", "abc", "1.2.3", "-5", "1e3", 1.5, True):
        assert not model.setData(model.index(0, DEBIT), bad), bad
    assert model.index(0, DEBIT).data() == ""
    assert parse_amount(" 1,234.5 ") == Decimal("1234.50")
    assert parse_amount("") is None
    with pytest.raises(ValueError, match="not an amount"):
        parse_amount("12,34")


def test_the_amount_delegate_validates_while_typing(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    dialog.show()
    view = dialog.lines_view
    index = dialog.lines_model.index(0, DEBIT)
    assert view.edit(index, view.EditTrigger.AllEditTriggers, None)
    editor = view.indexWidget(index) or view.focusWidget()
    assert isinstance(editor, QLineEdit)
    qtbot.keyClicks(editor, "12.3456x")
    # The validator kept two decimals and no letters.
    assert editor.text() == "12.34"
    view.commitData(editor)
    view.closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)
    assert dialog.lines_model.index(0, DEBIT).data() == "12.34"
    assert dialog.difference_label.text() == "Out of balance by 12.34"


def test_the_account_picker_finds_by_code_or_part_of_the_name(qtbot: QtBot) -> None:
    picker = AccountPicker(postable(ACCOUNTS.values()))
    qtbot.addWidget(picker)
    # Inactive and non-posting accounts are not offered.
    labels = [picker.itemText(i) for i in range(picker.count())]
    assert labels == [
        "1000 · Assets:Checking", "4000 · Income:Sales", "6110 · Expenses:Travel:Meals"]
    completer = picker.completer()
    completer.setCompletionPrefix("meal")
    assert completer.completionCount() == 1
    assert completer.currentCompletion() == "6110 · Expenses:Travel:Meals"
    completer.setCompletionPrefix("40")
    assert completer.currentCompletion() == "4000 · Income:Sales"
    picker.setEditText("6110")
    selected = picker.selected_account()
    assert selected is not None
    assert selected.id == 3
    picker.setEditText("expenses:travel:meals")
    assert picker.selected_account() == ACCOUNTS[3]
    picker.setEditText("Expenses")
    assert picker.selected_account() is None
    assert find_account("1000 · Assets:Checking", ACCOUNTS.values()) == ACCOUNTS[1]


def test_the_account_delegate_writes_the_picked_account(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    dialog.show()
    view = dialog.lines_view
    index = dialog.lines_model.index(0, ACCOUNT)
    assert view.edit(index, view.EditTrigger.AllEditTriggers, None)
    editor = view.indexWidget(index) or view.focusWidget().parentWidget()
    assert isinstance(editor, AccountPicker)
    editor.setEditText("4000")
    view.commitData(editor)
    view.closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)
    assert index.data(Qt.ItemDataRole.UserRole) == 2
    assert index.data() == "4000 · Income:Sales"


def test_posted_entries_open_read_only_with_void(qtbot: QtBot) -> None:
    posted = JournalEntry(
        date=dt.date(2026, 2, 1), number="JE-1", status=EntryStatus.POSTED, id=9,
        lines=(JournalLine(1, debit=Decimal("5.00")), JournalLine(2, credit=Decimal("5.00"))),
    )
    dialog = make_dialog(qtbot, posted)
    assert dialog.read_only
    assert dialog.windowTitle() == "View entry JE-1 of 2026-02-01"
    assert not dialog.approve_button.isVisibleTo(dialog)
    assert not dialog.save_draft_button.isVisibleTo(dialog)
    assert dialog.void_button.isVisibleTo(dialog)
    assert not dialog.number_edit.isEnabled()
    model = dialog.lines_model
    assert model.rowCount() == 2  # no blank line to type on
    assert not model.flags(model.index(0, DEBIT)) & Qt.ItemFlag.ItemIsEditable
    assert not model.setData(model.index(0, DEBIT), "6")
    with qtbot.waitSignal(dialog.void_requested) as blocker:
        dialog.void_button.click()
    assert blocker.args == [posted]


def test_void_entries_have_no_actions(qtbot: QtBot) -> None:
    void = JournalEntry(
        date=dt.date(2026, 2, 1), status=EntryStatus.VOID, id=9,
        lines=(JournalLine(1, debit=Decimal("5.00")), JournalLine(2, credit=Decimal("5.00"))),
    )
    dialog = make_dialog(qtbot, void)
    assert not dialog.void_button.isVisibleTo(dialog)
    assert not dialog.approve_button.isVisibleTo(dialog)


def test_editing_a_draft_keeps_its_id_and_can_send_it_back_to_draft(qtbot: QtBot) -> None:
    draft = JournalEntry(
        date=dt.date(2026, 1, 5), number="JE-2", memo="Rent", status=EntryStatus.APPROVED, id=4,
        lines=(JournalLine(3, debit=Decimal("40.00")), JournalLine(1, credit=Decimal("40.00"))),
    )
    dialog = make_dialog(qtbot, draft)
    assert dialog.lines_model.index(0, ACCOUNT).data() == "6110 · Expenses:Travel:Meals"
    assert dialog.lines_model.setData(dialog.lines_model.index(0, DESCRIPTION), "Lunch")
    with qtbot.waitSignal(dialog.save_requested) as blocker:
        dialog.save_draft_button.click()
    entry, status = blocker.args
    assert status is EntryStatus.DRAFT
    assert entry.id == 4
    assert entry.lines[0].description == "Lunch"


def test_busy_disables_the_actions(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    type_line(dialog.lines_model, 0, 1, debit="1")
    type_line(dialog.lines_model, 1, 2, credit="1")
    dialog.set_busy(True)
    assert not dialog.approve_button.isEnabled()
    dialog.set_busy(False)
    assert dialog.approve_button.isEnabled()


def test_lines_model_passes_the_model_tester(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    model = EntryLinesModel(ACCOUNTS, (JournalLine(1, debit=Decimal("2.00")),
                                       JournalLine(4, credit=Decimal("2.00"))))
    qtmodeltester.check(model)
    read_only = EntryLinesModel(ACCOUNTS, (JournalLine(1, debit=Decimal("2.00")),), read_only=True)
    qtmodeltester.check(read_only)
    assert QModelIndex().isValid() is False


# The completer's popup asks the offscreen platform for things it cannot do; not our warnings.
@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints",
                           "This plugin does not support raise",
                           "This plugin does not support grabbing the keyboard")
def test_typing_part_of_a_name_and_picking_the_completion(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    dialog.show()
    view = dialog.lines_view
    index = dialog.lines_model.index(0, ACCOUNT)
    assert view.edit(index, view.EditTrigger.AllEditTriggers, None)
    editor = view.indexWidget(index) or view.focusWidget().parentWidget()
    assert isinstance(editor, AccountPicker)
    line_edit = editor.lineEdit()
    assert line_edit is not None
    qtbot.keyClicks(line_edit, "meal")
    popup = editor.completer().popup()
    qtbot.waitUntil(popup.isVisible, timeout=2000)
    assert popup.model().rowCount() == 1
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert line_edit.text() == "6110 · Expenses:Travel:Meals"
    qtbot.waitUntil(lambda: not popup.isVisible(), timeout=2000)
    view.commitData(editor)
    view.closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)
    assert index.data(Qt.ItemDataRole.UserRole) == 3
    dialog.close()
    qtbot.wait(20)  # let the editor and its completer go before the next test


def test_escape_with_typed_changes_asks_before_discarding(qtbot: QtBot) -> None:
    from tests.gui.sandbox_books import answer

    dialog = make_dialog(qtbot)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.memo_edit.setText("Typed and not saved")
    type_line(dialog.lines_model, 0, 1, debit="10.00")
    assert dialog.has_changes()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    box = answer(qtbot, "Keep editing")
    assert "not saved" in box.text()
    assert dialog.isVisible()
    assert dialog.memo_edit.text() == "Typed and not saved"
    dialog.close_button.click()  # Cancel asks the same
    with qtbot.waitSignal(dialog.rejected, timeout=2000):
        answer(qtbot, "Discard changes")
    assert not dialog.isVisible()


def test_escape_without_changes_closes_at_once(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert not dialog.has_changes()
    with qtbot.waitSignal(dialog.rejected, timeout=2000):
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.discard_box is None
