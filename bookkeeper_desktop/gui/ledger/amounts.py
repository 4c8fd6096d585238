"""Amounts typed by a bookkeeper: parsing, display and the editor delegate that validates them.

Amounts are `Decimal` through `core.money.money()` from the keyboard to the ledger; a float never
appears. Thousands separators and a leading currency-free number ("1,234.5") are accepted; fractions
of a cent are refused while typing, so nothing is rounded silently.
"""

from __future__ import annotations

import re
from decimal import Decimal

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QPersistentModelIndex,
    QRegularExpression,
    Qt,
)
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QLineEdit, QStyledItemDelegate, QStyleOptionViewItem, QWidget
from typing_extensions import override

from bookkeeper_desktop.core.money import format_money, money

#: What may be typed into an amount cell: digits with optional thousands commas and up to two
#: decimals. No sign: a credit goes in the credit column (the core refuses negative sides).
AMOUNT_PATTERN = r"^\s*(\d{1,3}(,\d{3})+|\d*)(\.\d{0,2})?\s*$"
_AMOUNT_RE = re.compile(AMOUNT_PATTERN)

ModelIndex = QModelIndex | QPersistentModelIndex


def parse_amount(text: str) -> Decimal | None:
    """`"1,234.5"` → `Decimal("1234.50")`; blank → None. Raises `ValueError` for anything else."""
    stripped = text.strip()
    if not stripped:
        return None
    if not _AMOUNT_RE.match(stripped):
        raise ValueError(f"'{text}' is not an amount; type digits with up to two decimals")
    return money(stripped.replace(",", ""))


def display_amount(value: Decimal | None) -> str:
    """Blank for no amount or zero (a line has a debit *or* a credit), else `1,234.50`."""
    if value is None or value == 0:
        return ""
    return format_money(value)


class LineEditDelegate(QStyledItemDelegate):
    """A cell edited in a `QLineEdit`: the model's edit text in, `model_text(typed)` out.
    Subclasses make the editor (validator, completer, placeholder) and may tidy the text."""

    def model_text(self, typed: str) -> str:
        return typed

    @override

    def setEditorData(self, editor: QWidget, index: ModelIndex) -> None:
        assert isinstance(editor, QLineEdit)
        editor.setText(str(index.data(Qt.ItemDataRole.EditRole) or ""))

    @override

    def setModelData(
        self, editor: QWidget, model: QAbstractItemModel, index: ModelIndex,
    ) -> None:
        assert isinstance(editor, QLineEdit)
        model.setData(index, self.model_text(editor.text()), Qt.ItemDataRole.EditRole)


class AmountDelegate(LineEditDelegate):
    """Edits a Decimal amount cell with a validating line edit.

    The validator refuses characters that cannot make an amount and more than two decimals; the
    model's `setData` parses the text with `parse_amount` and refuses what is still not an amount.
    """

    @override

    def createEditor(
        self, parent: QWidget, option: QStyleOptionViewItem, index: ModelIndex,
    ) -> QWidget:
        editor = QLineEdit(parent)
        editor.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        editor.setValidator(QRegularExpressionValidator(QRegularExpression(AMOUNT_PATTERN), editor))
        editor.setPlaceholderText("0.00")
        return editor
