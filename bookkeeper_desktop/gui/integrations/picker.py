"""The remote-account picker ("Map to…"): the provider's chart as the last sync saw it, searched
as you type, chosen with the keyboard or the mouse.

Typing filters by number, name and type (every word must appear); Down/Up move through the list
even while the search field has the focus; Enter or a double-click chooses; Escape cancels.
Accounts of a kind ours cannot stand for (an expense for an income) stay listed — the user may
know better — but come last and say so; those another of our accounts already uses say which.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListView,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from bookkeeper_desktop.core.account_matching import compatible
from bookkeeper_desktop.core.accounts import AccountType
from bookkeeper_desktop.services.mappings import RemoteAccount

ModelIndex = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
#: The `RemoteAccount` behind an index.
RemoteRole = Qt.ItemDataRole.UserRole + 1


def _label(remote: RemoteAccount, ours: AccountType | None, used_by: str | None) -> str:
    number = f"{remote.code}  " if remote.code else ""
    notes = [remote.type_label or "unknown type"]
    if not remote.active:
        notes.append("archived")
    if ours is not None and remote.account is not None and not compatible(ours,
                                                                          remote.account.type):
        notes.append("another kind of account")
    if used_by:
        notes.append(f"used by {used_by}")
    return f"{number}{remote.name}  ({', '.join(notes)})"


class RemoteAccountModel(QAbstractListModel):
    """The remote accounts that match the search, the fitting kinds first."""

    def __init__(self, remotes: Sequence[RemoteAccount], ours: AccountType | None,
                 used_by: dict[int, str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ours = ours
        self._used_by = used_by

        def misfit(remote: RemoteAccount) -> bool:
            return ours is not None and remote.account is not None and not compatible(
                ours, remote.account.type)

        self._all = sorted(remotes, key=lambda r: (misfit(r), not r.active))
        self._shown = list(self._all)

    def set_search(self, text: str) -> None:
        self.beginResetModel()
        self._shown = [r for r in self._all if r.matches(text)]
        self.endResetModel()

    @override
    def rowCount(self, parent: ModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._shown)

    @override
    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._shown):
            return None
        remote = self._shown[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            used = self._used_by.get(remote.mapped_to) if remote.mapped_to else None
            return _label(remote, self._ours, used)
        if role == RemoteRole:
            return remote
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.data(index, Qt.ItemDataRole.DisplayRole)
        if role == Qt.ItemDataRole.ForegroundRole and (
                not remote.active or (self._ours is not None and remote.account is not None
                                      and not compatible(self._ours, remote.account.type))):
            return QBrush(QColor(128, 128, 128))
        return None


class RemoteAccountPicker(QDialog):
    """Choose the remote account for one of ours. `chosen()` after `accepted`.

    Attributes:
        search: the search field (has the focus when the dialog opens).
        view: the list of remote accounts.
    """

    def __init__(self, provider_title: str, account_name: str, remotes: Sequence[RemoteAccount],
                 *, account_type: AccountType | None, used_by: dict[int, str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("remoteAccountPicker")
        self.setWindowTitle(f"Map to a {provider_title} account")
        self.model = RemoteAccountModel(remotes, account_type, used_by, self)
        intro = QLabel(f"Choose the {provider_title} account for <b>{account_name}</b>:")
        intro.setWordWrap(True)
        self.search = QLineEdit()
        self.search.setObjectName("pickerSearch")
        self.search.setPlaceholderText("Search by number, name or type")
        self.search.setClearButtonEnabled(True)
        self.view = QListView()
        self.view.setObjectName("pickerList")
        self.view.setModel(self.model)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setUniformItemSizes(True)
        self.empty = QLabel("No account matches. Sync first to fetch the chart, or use "
                            f"Create in {provider_title}.")
        self.empty.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.choose_button = self.buttons.addButton("Map", QDialogButtonBox.ButtonRole.AcceptRole)
        self.choose_button.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.search)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.buttons)
        self.resize(640, 420)

        self.search.textChanged.connect(self._filter)
        self.search.installEventFilter(self)
        self.view.doubleClicked.connect(lambda _index: self.accept())
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self._filter("")
        self.search.setFocus()

    def chosen(self) -> RemoteAccount | None:
        index = self.view.currentIndex()
        value = self.model.data(index, RemoteRole) if index.isValid() else None
        return value if isinstance(value, RemoteAccount) else None

    @override
    def accept(self) -> None:
        if self.chosen() is not None:  # Enter with nothing listed does nothing
            super().accept()

    @override
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Up/Down in the search field move through the list and Enter chooses, so typing and
        # choosing need no mouse and no Tab.
        if watched is self.search and event.type() == QEvent.Type.KeyPress \
                and isinstance(event, QKeyEvent) \
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.accept()
            return True
        if watched is self.search and event.type() == QEvent.Type.KeyPress \
                and isinstance(event, QKeyEvent) \
                and event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up):
            row = self.view.currentIndex().row()
            step = 1 if event.key() == Qt.Key.Key_Down else -1
            target = max(0, min(self.model.rowCount() - 1, row + step))
            if self.model.rowCount():
                self.view.setCurrentIndex(self.model.index(target))
            return True
        return super().eventFilter(watched, event)

    def _filter(self, text: str) -> None:
        self.model.set_search(text)
        has_rows = self.model.rowCount() > 0
        self.empty.setVisible(not has_rows)
        self.choose_button.setEnabled(has_rows)
        if has_rows:
            self.view.setCurrentIndex(self.model.index(0))
