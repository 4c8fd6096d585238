"""A text column edited with a completer: the entry editor's Contact and Tax code columns.

Typing part of a word offers every known word containing it, in any case; a word typed in
another case than the known one is stored in the known spelling ("acme ltd" → "Acme Ltd"), so
that one contact is not listed twice. A word not known yet is kept as typed: a new contact is
added to the company's list when the entry is saved (`services.contacts.ensure_named`).
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QPersistentModelIndex,
    QStringListModel,
    Qt,
)
from PySide6.QtWidgets import (
    QCompleter,
    QLineEdit,
    QStyleOptionViewItem,
    QWidget,
)
from typing_extensions import override

from bookkeeper_desktop.gui.ledger.amounts import LineEditDelegate

ModelIndex = QModelIndex | QPersistentModelIndex


def contains_completer(model: QAbstractItemModel, parent: QWidget) -> QCompleter:
    """The Ledger's one kind of completer: a popup of every item containing the typed text, in
    any case (the account picker, the contact filter, the Contact and Tax code columns)."""
    completer = QCompleter(model, parent)
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
    return completer


class CompleterDelegate(LineEditDelegate):
    """Edits a text column with a `QLineEdit` whose completer offers `words`."""

    def __init__(self, words: Iterable[str] = (), parent: QWidget | None = None,
                 *, placeholder: str = "") -> None:
        super().__init__(parent)
        self._placeholder = placeholder
        self.words_model = QStringListModel()
        self.set_words(words)

    def set_words(self, words: Iterable[str]) -> None:
        unique = {w.strip().casefold(): w.strip() for w in words if w.strip()}
        self.words_model.setStringList(sorted(unique.values(), key=str.casefold))

    def words(self) -> list[str]:
        return list(self.words_model.stringList())

    def known_spelling(self, text: str) -> str:
        """`text` in the spelling of the known word it matches in any case, else as typed."""
        wanted = " ".join(text.split())
        for word in self.words_model.stringList():
            if word.casefold() == wanted.casefold():
                return word
        return wanted

    @override

    def createEditor(
        self, parent: QWidget, option: QStyleOptionViewItem, index: ModelIndex,
    ) -> QWidget:
        editor = QLineEdit(parent)
        editor.setPlaceholderText(self._placeholder)
        editor.setCompleter(contains_completer(self.words_model, editor))
        return editor

    @override

    def model_text(self, typed: str) -> str:
        return self.known_spelling(typed)
