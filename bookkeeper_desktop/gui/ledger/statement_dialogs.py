"""The small dialogs of statements: the line picker (account, contact, tax code), the split (a
line across accounts), the rule ("description contains … → account") and a bank CSV's columns.
Each only collects values; the review and import dialogs run the services in jobs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from bookkeeper_desktop.core.accounts import Account
from bookkeeper_desktop.core.categorise import Rule
from bookkeeper_desktop.core.money import format_money
from bookkeeper_desktop.core.payees import normalise_payee
from bookkeeper_desktop.formats.statements import CsvMapping
from bookkeeper_desktop.formats.statements.amounts import DATE_FORMATS
from bookkeeper_desktop.gui.ledger.account_picker import AccountPicker, postable
from bookkeeper_desktop.services.statement_review import Choice, ReviewLine, SplitPart


def _buttons(dialog: QDialog) -> QDialogButtonBox:
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                           | QDialogButtonBox.StandardButton.Cancel)
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    return box


class _LineFields:
    """The account picker (every postable account but the line's own bank account), contact and
    tax code of a line, filled from its proposal: the fields the picker and the rule share."""

    def __init__(self, line: ReviewLine, accounts: Sequence[Account], parent: QWidget) -> None:
        self.account_picker = AccountPicker(
            [a for a in postable(accounts) if a.id != line.bank_account_id], parent)
        self.account_picker.select_account(line.account_id)
        self.contact_edit = QLineEdit(line.contact, parent)
        self.tax_edit = QLineEdit(line.tax_code, parent)

    def add_to(self, form: QFormLayout) -> None:
        form.addRow("&Account:", self.account_picker)
        form.addRow("C&ontact:", self.contact_edit)
        form.addRow("&Tax code:", self.tax_edit)


class LinePickerDialog(QDialog):
    """Account (type part of a code or name), contact and tax code for one line.

    Attributes:
        account_picker / contact_edit / tax_edit: the fields (tests fill them).
    """

    def __init__(self, line: ReviewLine, accounts: Sequence[Account],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Change the account")
        fields = _LineFields(line, accounts, self)
        self.account_picker = fields.account_picker
        self.account_picker.setObjectName("statementAccountPicker")
        self.contact_edit, self.tax_edit = fields.contact_edit, fields.tax_edit
        form = QFormLayout()
        form.addRow(QLabel(f"{line.date.isoformat()}  {format_money(line.amount)}  {line.text}"))
        fields.add_to(form)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(_buttons(self))
        self.account_picker.setFocus()

    def choice(self) -> Choice | None:
        account = self.account_picker.selected_account()
        if account is None or account.id is None:
            return None
        return Choice(account.id, self.contact_edit.text().strip(), self.tax_edit.text().strip())


class SplitDialog(QDialog):
    """A line across several accounts: rows of account and amount (signed as the line).

    Attributes:
        rows: (AccountPicker, QLineEdit) per part; `add_row()` adds one.
    """

    def __init__(self, line: ReviewLine, accounts: Sequence[Account],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Split the line")
        self._accounts = [a for a in postable(accounts) if a.id != line.bank_account_id]
        self.rows: list[tuple[AccountPicker, QLineEdit]] = []
        self._grid = QGridLayout()
        self._grid.addWidget(QLabel("Account"), 0, 0)
        self._grid.addWidget(QLabel("Amount"), 0, 1)
        add = QPushButton("&Add a part", self)
        add.setAutoDefault(False)
        add.clicked.connect(self.add_row)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"{line.text}: {format_money(line.amount)} in all"))
        layout.addLayout(self._grid)
        layout.addWidget(add)
        layout.addWidget(_buttons(self))
        self.add_row(line.account_id, line.amount)
        self.add_row()

    def add_row(self, account_id: int | None = None, amount: Decimal | None = None) -> None:
        picker = AccountPicker(self._accounts, self)
        picker.select_account(account_id)
        edit = QLineEdit(str(amount) if amount is not None else "", self)
        row = len(self.rows) + 1
        self._grid.addWidget(picker, row, 0)
        self._grid.addWidget(edit, row, 1)
        self.rows.append((picker, edit))

    def parts(self) -> list[SplitPart]:
        """The filled rows; `ValueError` naming the first amount that is not one."""
        parts: list[SplitPart] = []
        for picker, edit in self.rows:
            account = picker.selected_account()
            text = edit.text().strip().replace(",", "")
            if account is None or account.id is None or not text:
                continue
            try:
                parts.append(SplitPart(account.id, Decimal(text)))
            except ArithmeticError:
                raise ValueError(f"'{edit.text()}' is not an amount") from None
        return parts


class RuleDialog(QDialog):
    """A rule from a line in one step: the payee as the text to look for, the line's account."""

    def __init__(self, line: ReviewLine, accounts: Sequence[Account],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Make a rule")
        self.contains_edit = QLineEdit(normalise_payee(line.text) or line.text[:40], self)
        fields = _LineFields(line, accounts, self)
        self.account_picker = fields.account_picker
        self.contact_edit, self.tax_edit = fields.contact_edit, fields.tax_edit
        form = QFormLayout()
        form.addRow("Description &contains:", self.contains_edit)
        fields.add_to(form)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(_buttons(self))

    def rule(self) -> Rule | None:
        account = self.account_picker.selected_account()
        if account is None or account.id is None or not self.contains_edit.text().strip():
            return None
        return Rule(self.contains_edit.text().strip(), account.id,
                    self.contact_edit.text().strip(), self.tax_edit.text().strip())


class CsvMappingDialog(QDialog):
    """Which column of a bank CSV holds what, as detected; the user confirms or corrects it once
    per bank account (it is remembered with the account at import).

    Attributes:
        combos: role → QComboBox of "(none)" and the file's headers; date_format_combo;
            decimal_comma_check.
    """

    ROLES = (("date", "Date"), ("description", "Description"), ("description2", "More text"),
             ("amount", "Amount (signed)"), ("debit", "Money out"), ("credit", "Money in"),
             ("direction", "Money in or out (Af/Bij, D/C)"), ("balance", "Balance"),
             ("reference", "Reference"))

    def __init__(self, mapping: CsvMapping, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Columns of this bank's CSV")
        self._mapping = mapping
        current = {"date": mapping.date, "amount": mapping.amount, "debit": mapping.debit,
                   "credit": mapping.credit, "balance": mapping.balance,
                   "direction": mapping.direction,
                   "reference": mapping.reference,
                   "description": mapping.description[0] if mapping.description else None,
                   "description2": mapping.description[1] if len(mapping.description) > 1
                   else None}
        form = QFormLayout()
        self.combos: dict[str, QComboBox] = {}
        for role, label in self.ROLES:
            combo = QComboBox(self)
            combo.addItem("(none)", None)
            for index, header in enumerate(mapping.headers):
                combo.addItem(header or f"column {index + 1}", index)
            combo.setCurrentIndex(combo.findData(current[role]) if current[role] is not None
                                  else 0)
            self.combos[role] = combo
            form.addRow(f"{label}:", combo)
        self.date_format_combo = QComboBox(self)
        for fmt, name in DATE_FORMATS:
            self.date_format_combo.addItem(name, fmt)
        self.date_format_combo.setCurrentIndex(self.date_format_combo.findData(mapping.date_format))
        form.addRow("Dates look like:", self.date_format_combo)
        self.decimal_comma_check = QCheckBox("Amounts use a decimal comma (1.234,56)", self)
        self.decimal_comma_check.setChecked(mapping.decimal_comma)
        form.addRow(self.decimal_comma_check)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(_buttons(self))

    def _column(self, role: str) -> int | None:
        data = self.combos[role].currentData()
        return int(data) if data is not None else None

    def mapping(self) -> CsvMapping:
        """The mapping as chosen; `ValueError` saying what is missing."""
        date = self._column("date")
        amount = self._column("amount")
        debit, credit = self._column("debit"), self._column("credit")
        if date is None:
            raise ValueError("Choose the column that holds the date.")
        if amount is None and (debit is None or credit is None):
            raise ValueError("Choose the amount column, or both money out and money in.")
        description = tuple(c for c in (self._column("description"),
                                        self._column("description2")) if c is not None)
        return replace(self._mapping, date=date, amount=amount,
                       debit=None if amount is not None else debit,
                       credit=None if amount is not None else credit,
                       balance=self._column("balance"), reference=self._column("reference"),
                       direction=self._column("direction") if amount is not None else None,
                       description=description,
                       date_format=str(self.date_format_combo.currentData()),
                       decimal_comma=self.decimal_comma_check.isChecked())
