"""The chart of accounts' cells as the tree shows them (issue 15 moved them into Qt items, given
new balances in place): a negative balance in red and back to the normal colour when it turns
positive, an inactive account greyed whatever its balance, the balance right-aligned, the
header's explanation, and cells that cannot be edited."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from bookkeeper_desktop.core.accounts import Account, AccountType
from bookkeeper_desktop.gui.context import AppContext
from bookkeeper_desktop.gui.ledger.account_tree import (
    ACCOUNT_ID_ROLE,
    BALANCE,
    CODE,
    FULL_NAME_ROLE,
    NAME,
    TYPE,
    AccountTreeModel,
)
from bookkeeper_desktop.gui.palette import dark_palette

CHART = [
    Account("Assets", AccountType.OTHER_CURRENT_ASSET, code="1000", id=1),
    Account("Assets:Checking", AccountType.BANK, code="1010", id=2),
    Account("Expenses:Old", AccountType.EXPENSE, code="6900", id=3, active=False),
]


def colour(model: AccountTreeModel, account_id: int, column: int = BALANCE) -> str | None:
    index = model.index_of(account_id).siblingAtColumn(column)
    brush = index.data(Qt.ItemDataRole.ForegroundRole)
    return brush.color().name() if isinstance(brush, QBrush) else None


def test_a_balance_turns_red_below_zero_and_back_in_place(qapp: object) -> None:
    model = AccountTreeModel()
    model.set_accounts(CHART, {2: Decimal("10.00")})
    assert colour(model, 2) is None
    assert model.update_balances(CHART, {2: Decimal("-5.00")})
    assert model.index_of(2).siblingAtColumn(BALANCE).data() == "-5.00"
    assert colour(model, 2) == "#c0392b"
    assert colour(model, 1) == "#c0392b", "the parent sums its sub-accounts"
    assert colour(model, 2, NAME) is None, "only the balance is red"
    assert model.update_balances(CHART, {2: Decimal("7.00")})
    assert colour(model, 2) is None
    assert colour(model, 1) is None


def test_an_inactive_account_is_grey_whatever_its_balance(qapp: object) -> None:
    model = AccountTreeModel()
    model.set_accounts(CHART, {3: Decimal("-4.00")})
    model.set_show_inactive(True)
    grey = colour(model, 3, NAME)
    assert grey is not None
    assert colour(model, 3) == grey
    assert model.update_balances(CHART, {3: Decimal("-9.00")})
    assert colour(model, 3) == grey


def test_balances_are_right_aligned_and_explained_in_the_header(qapp: object) -> None:
    model = AccountTreeModel()
    model.set_accounts(CHART, {})
    alignment = model.index_of(2).siblingAtColumn(BALANCE).data(
        Qt.ItemDataRole.TextAlignmentRole)
    assert int(alignment) & int(Qt.AlignmentFlag.AlignRight)
    tip = model.headerData(BALANCE, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert "sub-accounts included" in tip
    assert model.headerData(BALANCE, Qt.Orientation.Horizontal) == "Balance"


def test_cells_cannot_be_edited(qapp: object) -> None:
    model = AccountTreeModel()
    model.set_accounts(CHART, {})
    flags = model.index_of(2).flags()
    assert flags & Qt.ItemFlag.ItemIsSelectable
    assert not flags & Qt.ItemFlag.ItemIsEditable
    assert not flags & Qt.ItemFlag.ItemIsDragEnabled


def test_inactive_accounts_follow_a_switch_to_dark_mode(qtbot: QtBot, app_ctx: AppContext
                                                         ) -> None:
    from bookkeeper_desktop.gui.ledger import LedgerPane

    pane = LedgerPane(app_ctx)
    qtbot.addWidget(pane)
    pane.show()
    pane.tree_model.set_accounts(CHART, {})
    pane.tree_model.set_show_inactive(True)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.palette()
    try:
        app.setPalette(dark_palette())
        expected = dark_palette().color(QPalette.ColorGroup.Disabled,
                                        QPalette.ColorRole.Text).name()
        qtbot.waitUntil(lambda: colour(pane.tree_model, 3, NAME) == expected, timeout=2000)
        assert colour(pane.tree_model, 3) == expected
    finally:
        app.setPalette(before)


def test_any_cell_of_a_row_gives_its_account_and_the_ids_sit_on_the_first_cell(
        qapp: object) -> None:
    """The account under a cell the user clicked in any column (the balance, say) is the row's;
    the id and path roles are on the row's first cell, where every reader looks."""
    model = AccountTreeModel()
    model.set_accounts(CHART, {2: Decimal("10.00")})
    first = model.index_of(2)
    for column in (NAME, CODE, TYPE, BALANCE):
        account = model.account(first.siblingAtColumn(column))
        assert account is not None
        assert account.id == 2
    assert first.data(ACCOUNT_ID_ROLE) == 2
    assert first.data(FULL_NAME_ROLE) == "Assets:Checking"
    for column in (CODE, TYPE, BALANCE):
        assert first.siblingAtColumn(column).data(ACCOUNT_ID_ROLE) is None
        assert first.siblingAtColumn(column).data(FULL_NAME_ROLE) is None
