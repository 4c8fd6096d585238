"""The add/edit account dialog: the account it builds and the reasons it refuses."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from bookkeeper_desktop.core.accounts import Account, AccountType
from bookkeeper_desktop.gui.ledger.account_dialog import AccountDialog, describe_account

CHART = [
    Account("Expenses", AccountType.EXPENSE, code="6000", id=1),
    Account("Expenses:Travel", AccountType.EXPENSE, code="6100", id=2),
    Account("Expenses:Travel:Meals", AccountType.EXPENSE, code="6110", id=3),
    Account("Assets:Checking", AccountType.BANK, code="1000", id=4),
]


def test_new_account_under_a_parent(qtbot: QtBot) -> None:
    dialog = AccountDialog(CHART, parent_full_name="Expenses:Travel")
    qtbot.addWidget(dialog)
    assert dialog.parent_combo.currentData() == "Expenses:Travel"
    assert not dialog.save_button.isEnabled()
    assert dialog.problems_label.text() == ""  # no red text before typing
    dialog.name_edit.setText(" Lodging ")
    dialog.code_edit.setText("6120")
    dialog.description_edit.setText("Hotels")
    assert dialog.save_button.isEnabled()
    with qtbot.waitSignal(dialog.save_requested) as blocker:
        dialog.save_button.click()
    account = blocker.args[0]
    assert account == Account("Expenses:Travel:Lodging", AccountType.EXPENSE, code="6120",
                              description="Hotels")


def test_duplicates_and_colons_are_refused_with_the_reason(qtbot: QtBot) -> None:
    dialog = AccountDialog(CHART)
    qtbot.addWidget(dialog)
    dialog.parent_combo.setCurrentIndex(dialog.parent_combo.findData("Expenses"))
    dialog.name_edit.setText("travel")
    assert "There is already an account named 'Expenses:travel'." in dialog.problems()
    dialog.name_edit.setText("Fuel")
    dialog.code_edit.setText("1000")
    assert dialog.problems() == ["Code 1000 is already used by 'Assets:Checking'."]
    assert not dialog.save_button.isEnabled()
    assert "already used" in dialog.problems_label.text()
    dialog.name_edit.setText("Car:Fuel")
    assert "Choose the parent in the list" in dialog.problems()[0]
    with qtbot.assertNotEmitted(dialog.save_requested):
        dialog.save_button.click()


def test_editing_keeps_the_id_and_its_own_name_and_code_are_not_duplicates(qtbot: QtBot) -> None:
    dialog = AccountDialog(CHART, CHART[1])
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "Edit Expenses:Travel"
    assert dialog.name_edit.text() == "Travel"
    assert dialog.parent_combo.currentData() == "Expenses"
    # It cannot be moved under itself or its own sub-account.
    parents = [dialog.parent_combo.itemData(i) for i in range(dialog.parent_combo.count())]
    assert "Expenses:Travel" not in parents
    assert "Expenses:Travel:Meals" not in parents
    assert dialog.problems() == []
    dialog.type_combo.setCurrentIndex(dialog.type_combo.findData(AccountType.OTHER_EXPENSE.value))
    with qtbot.waitSignal(dialog.save_requested) as blocker:
        dialog.save_button.click()
    saved = blocker.args[0]
    assert saved.id == 2
    assert saved.type is AccountType.OTHER_EXPENSE
    assert saved.full_name == "Expenses:Travel"


def test_busy_disables_save(qtbot: QtBot) -> None:
    dialog = AccountDialog(CHART)
    qtbot.addWidget(dialog)
    dialog.name_edit.setText("Equipment")
    dialog.set_busy(True)
    assert not dialog.save_button.isEnabled()
    dialog.set_busy(False)
    assert dialog.save_button.isEnabled()
    assert describe_account(CHART[2]) == "6110 Meals (Expenses:Travel:Meals)"
