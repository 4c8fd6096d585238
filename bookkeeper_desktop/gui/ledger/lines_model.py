"""The lines grid of the entry editor: account, description, contact, tax code, debit, credit.

A line holds a debit *or* a credit: typing one clears the other, as the core's validation demands.
A blank line is always kept at the bottom so that typing on it adds a line. An empty tax code
means the account's own default (`JournalLine.tax_code`): the grid shows that default greyed, and
only a code typed on the line is kept on it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication
from typing_extensions import override

from bookkeeper_desktop.core.accounts import Account
from bookkeeper_desktop.core.contacts import clean_name
from bookkeeper_desktop.core.journal import JournalLine
from bookkeeper_desktop.core.money import ZERO
from bookkeeper_desktop.gui.ledger.account_picker import account_label, find_account
from bookkeeper_desktop.gui.ledger.amounts import display_amount, parse_amount

ModelIndex = QModelIndex | QPersistentModelIndex
ACCOUNT, DESCRIPTION, CONTACT, TAX_CODE, DEBIT, CREDIT = range(6)
HEADERS = ("Account", "Description", "Contact", "Tax code", "Debit", "Credit")
#: Greyed text: a tax code shown from the account's default, not typed on the line.
DEFAULT_TAX_COLOUR = QColor("#808b96")


@dataclass
class LineDraft:
    """A line being typed: any part may still be missing."""

    account_id: int | None = None
    description: str = ""
    debit: Decimal | None = None
    credit: Decimal | None = None
    contact: str = ""
    tracking: str = ""
    tax_code: str = ""

    @property
    def is_blank(self) -> bool:
        return (self.account_id is None and not self.description.strip()
                and not self.debit and not self.credit and not self.contact.strip()
                and not self.tax_code.strip())

    @classmethod
    def of(cls, line: JournalLine) -> LineDraft:
        return cls(line.account_id, line.description, line.debit or None, line.credit or None,
                   line.contact, line.tracking, line.tax_code)


class EntryLinesModel(QAbstractTableModel):
    """Editable lines of one entry. `UserRole` on the account column is the account id."""

    def __init__(
        self, accounts: Mapping[int, Account], lines: Sequence[JournalLine] = (),
        *, read_only: bool = False,
    ) -> None:
        super().__init__()
        self._accounts = dict(accounts)
        self._read_only = read_only
        self._lines = [LineDraft.of(line) for line in lines]
        if not read_only:
            while len(self._lines) < 2:
                self._lines.append(LineDraft())
            self._keep_blank_last_line()

    # --- what the dialog reads -------------------------------------------------------------

    def drafts(self) -> list[LineDraft]:
        """The lines typed so far, blank ones left out."""
        return [line for line in self._lines if not line.is_blank]

    @property
    def total_debit(self) -> Decimal:
        return sum((line.debit or ZERO for line in self._lines), ZERO)

    @property
    def total_credit(self) -> Decimal:
        return sum((line.credit or ZERO for line in self._lines), ZERO)

    def add_line(self) -> int:
        row = len(self._lines)
        self.beginInsertRows(QModelIndex(), row, row)
        self._lines.append(LineDraft())
        self.endInsertRows()
        return row

    def remove_line(self, row: int) -> None:
        if self._read_only or not 0 <= row < len(self._lines):
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._lines[row]
        self.endRemoveRows()
        self._keep_blank_last_line()

    # --- Qt model ----------------------------------------------------------------------------

    @override

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._lines)

    @override

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    @override

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(HEADERS):
            if role == Qt.ItemDataRole.DisplayRole:
                return HEADERS[section]
            if role == Qt.ItemDataRole.TextAlignmentRole and section in (DEBIT, CREDIT):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return section + 1
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if not self._read_only:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._lines):
            return None
        line, column = self._lines[index.row()], index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if column == ACCOUNT:
                account = self._accounts.get(line.account_id) if line.account_id else None
                if account is not None:
                    return account_label(account)
                return "" if line.account_id is None else f"#{line.account_id} (missing)"
            if column == DESCRIPTION:
                return line.description
            if column == CONTACT:
                return line.contact
            if column == TAX_CODE:
                if line.tax_code or role == Qt.ItemDataRole.EditRole:
                    return line.tax_code
                return self._default_tax_code(line)
            amount = line.debit if column == DEBIT else line.credit
            if role == Qt.ItemDataRole.EditRole:
                return "" if amount is None else str(amount)
            return display_amount(amount)
        if role == Qt.ItemDataRole.UserRole and column == ACCOUNT:
            return line.account_id
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (DEBIT, CREDIT):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if (role == Qt.ItemDataRole.ForegroundRole and column == TAX_CODE
                and not line.tax_code):
            return DEFAULT_TAX_COLOUR
        if role == Qt.ItemDataRole.FontRole and column == TAX_CODE and not line.tax_code:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole and column == TAX_CODE:
            default = self._default_tax_code(line)
            if line.tax_code:
                return f"This line's own tax code (the account's default: {default or 'none'})"
            return (f"The account's default tax code: {default}. Type a code to use another."
                    if default else "No tax code: type one, or give the account a default.")
        if role == Qt.ItemDataRole.ForegroundRole and column == ACCOUNT and line.account_id:
            account = self._accounts.get(line.account_id)
            if account is None or not account.active:
                return QColor("#c0392b")
        if role == Qt.ItemDataRole.ToolTipRole and column == ACCOUNT and line.account_id:
            account = self._accounts.get(line.account_id)
            if account is not None:
                inactive = "" if account.active else " (inactive)"
                return f"{account.full_name} — {account.type.label}{inactive}"
        if role == Qt.ItemDataRole.BackgroundRole and line.is_blank and not self._read_only:
            return QApplication.palette().color(QPalette.ColorRole.AlternateBase)
        return None

    @override

    def setData(
        self, index: ModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole,
    ) -> bool:
        if (self._read_only or role != Qt.ItemDataRole.EditRole or not index.isValid()
                or index.row() >= len(self._lines)):
            return False
        line, column = self._lines[index.row()], index.column()
        if column == ACCOUNT:
            if value is None or value == "":
                line.account_id = None
            elif isinstance(value, int) and value in self._accounts:
                line.account_id = value
            elif isinstance(value, str) and (found := find_account(value, self._accounts.values())):
                line.account_id = found.id
            else:
                return False
        elif column == DESCRIPTION:
            line.description = str(value)
        elif column == CONTACT:
            line.contact = clean_name(str(value))
        elif column == TAX_CODE:
            line.tax_code = str(value).strip()
        else:
            if isinstance(value, float | bool):
                return False  # amounts are Decimal or typed text, never binary floats
            try:
                amount = value if isinstance(value, Decimal) else parse_amount(str(value))
            except ValueError:
                return False
            if column == DEBIT:
                line.debit = amount or None
                if amount:
                    line.credit = None
            else:
                line.credit = amount or None
                if amount:
                    line.debit = None
        row = index.row()
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(HEADERS) - 1))
        self._keep_blank_last_line()
        return True

    def _default_tax_code(self, line: LineDraft) -> str:
        account = self._accounts.get(line.account_id) if line.account_id else None
        return account.tax_code or "" if account is not None else ""

    def _keep_blank_last_line(self) -> None:
        if not self._read_only and (not self._lines or not self._lines[-1].is_blank):
            self.add_line()
