"""The account picker: type part of a name or a code and pick from the matches (a `QCompleter`
over every postable account's "code · Parent:Child" label)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)
from typing_extensions import override

from bookkeeper_desktop.core.accounts import Account, AccountClass
from bookkeeper_desktop.gui.ledger.completer_delegate import contains_completer

ModelIndex = QModelIndex | QPersistentModelIndex


def account_label(account: Account) -> str:
    """How the picker and the lines grid name an account: `1000 · Assets:Checking`."""
    return f"{account.code} · {account.full_name}" if account.code else account.full_name


def postable(accounts: Iterable[Account]) -> list[Account]:
    """Active accounts a journal line may use (non-posting accounts are for orders and estimates),
    by code then full name."""
    return sorted(
        (a for a in accounts if a.active and a.account_class is not AccountClass.NON_POSTING),
        key=lambda a: (a.code or "~", a.full_name.lower()),
    )


def find_account(text: str, accounts: Iterable[Account]) -> Account | None:
    """The account `text` names: its label, code or full name (any case); None if none or several
    match."""
    wanted = text.strip().casefold()
    if not wanted:
        return None
    for key in (account_label, lambda a: a.code or "", lambda a: a.full_name):
        matches = [a for a in accounts if key(a).casefold() == wanted]
        if len(matches) == 1:
            return matches[0]
    return None


class AccountPicker(QComboBox):
    """An editable combo box whose completer matches anywhere in "code · Parent:Child"."""

    def __init__(self, accounts: Sequence[Account], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self._accounts = list(accounts)
        for account in self._accounts:
            self.addItem(account_label(account), account.id)
        self.setCompleter(contains_completer(self.model(), self))
        self.setCurrentIndex(-1)
        self.setPlaceholderText("Type a code or a name")

    def selected_account(self) -> Account | None:
        return find_account(self.currentText(), self._accounts)

    def select_account(self, account_id: int | None) -> None:
        position = self.findData(account_id) if account_id is not None else -1
        self.setCurrentIndex(position)
        if position < 0:
            self.setEditText("")


class AccountPickerDelegate(QStyledItemDelegate):
    """Edits the account column of the lines grid with an `AccountPicker`."""

    def __init__(self, accounts: Sequence[Account], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._accounts = postable(accounts)

    def set_accounts(self, accounts: Sequence[Account]) -> None:
        self._accounts = postable(accounts)

    @override

    def createEditor(
        self, parent: QWidget, option: QStyleOptionViewItem, index: ModelIndex,
    ) -> QWidget:
        return AccountPicker(self._accounts, parent)

    @override

    def setEditorData(self, editor: QWidget, index: ModelIndex) -> None:
        assert isinstance(editor, AccountPicker)
        editor.select_account(index.data(Qt.ItemDataRole.UserRole))

    @override

    def setModelData(
        self, editor: QWidget, model: QAbstractItemModel, index: ModelIndex,
    ) -> None:
        assert isinstance(editor, AccountPicker)
        account = editor.selected_account()
        if account is not None:
            model.setData(index, account.id, Qt.ItemDataRole.EditRole)
        elif not editor.currentText().strip():
            model.setData(index, None, Qt.ItemDataRole.EditRole)
