"""Add or edit one account: name, parent, code, type, description.

Like the entry editor, the dialog only checks and emits; the pane stores the account in a job.
It refuses, with the reason shown beside the disabled Save button, what the storage would refuse
anyway: an empty name or empty `Parent:Child` segment, a full name or code another account has.

Signals:
    save_requested(Account): the account as typed (with its id when editing).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from bookkeeper_desktop.core.accounts import (
    PATH_SEPARATOR,
    Account,
    AccountType,
    leaf_name,
    normalise_path,
)


class AccountDialog(QDialog):
    """The add/edit account dialog. `chart` is the company's chart (for parents and duplicates)."""

    save_requested = Signal(object)

    def __init__(
        self, chart: Sequence[Account], account: Account | None = None, *,
        parent_full_name: str | None = None, parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._chart = list(chart)
        self._original = account
        self.setObjectName("accountDialog")
        self.setWindowTitle(f"Edit {account.full_name}" if account else "New account")

        self.name_edit = QLineEdit(account.name if account else "")
        self.name_edit.setPlaceholderText("e.g. Office supplies")
        self.parent_combo = QComboBox()
        self.parent_combo.addItem("(top level)", None)
        own = account.full_name.casefold() if account else None
        for other in sorted(self._chart, key=lambda a: a.full_name.casefold()):
            name = other.full_name.casefold()
            # An account cannot sit under itself or under one of its own sub-accounts.
            if own is not None and (name == own or name.startswith(own + PATH_SEPARATOR)):
                continue
            self.parent_combo.addItem(other.full_name, other.full_name)
        wanted_parent = account.parent_full_name if account else parent_full_name
        if wanted_parent is not None:
            position = self.parent_combo.findData(wanted_parent)
            self.parent_combo.setCurrentIndex(max(position, 0))
        self.code_edit = QLineEdit(account.code or "" if account else "")
        self.code_edit.setPlaceholderText("optional, e.g. 6110")
        self.type_combo = QComboBox()
        for account_type in AccountType:
            self.type_combo.addItem(account_type.label, account_type.value)
        self.type_combo.setCurrentIndex(
            self.type_combo.findData((account.type if account else AccountType.EXPENSE).value))
        self.description_edit = QLineEdit(account.description if account else "")

        form = QFormLayout()
        form.addRow("&Name", self.name_edit)
        form.addRow("&Parent", self.parent_combo)
        form.addRow("&Code", self.code_edit)
        form.addRow("&Type", self.type_combo)
        form.addRow("&Description", self.description_edit)

        self.problems_label = QLabel()
        self.problems_label.setObjectName("problemsLabel")
        self.problems_label.setWordWrap(True)
        self.problems_label.setStyleSheet("color: #c0392b;")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._request)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problems_label)
        layout.addWidget(self.buttons)
        for edit in (self.name_edit, self.code_edit):
            edit.textChanged.connect(self._refresh_state)
        self.parent_combo.currentIndexChanged.connect(self._refresh_state)
        self._busy = False
        self._refresh_state()

    @property
    def save_button(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Save)

    def account(self) -> Account:
        parent_name = self.parent_combo.currentData()
        name = self.name_edit.text().strip()
        full_name = f"{parent_name}{PATH_SEPARATOR}{name}" if parent_name else name
        code = self.code_edit.text().strip() or None
        fields: dict[str, object] = {
            "full_name": normalise_path(full_name) if name else full_name,
            "type": AccountType(self.type_combo.currentData()),
            "code": code,
            "description": self.description_edit.text().strip(),
        }
        if self._original is not None:
            return self._original.with_changes(**fields)
        return Account(**fields)  # type: ignore[arg-type]

    def problems(self) -> list[str]:
        name = self.name_edit.text().strip()
        if not name:
            return ["Type a name for the account."]
        if PATH_SEPARATOR in name:
            return [f"Choose the parent in the list instead of typing '{PATH_SEPARATOR}' in the "
                    "name."]
        account = self.account()
        problems = [p[0].upper() + p[1:] + "." for p in account.validate()]
        others = [a for a in self._chart
                  if self._original is None or a.id != self._original.id]
        if any(a.full_name.casefold() == account.full_name.casefold() for a in others):
            problems.append(f"There is already an account named '{account.full_name}'.")
        if account.code and any(a.code == account.code for a in others):
            holder = next(a for a in others if a.code == account.code)
            problems.append(f"Code {account.code} is already used by '{holder.full_name}'.")
        return problems

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._refresh_state()

    def _refresh_state(self) -> None:
        problems = self.problems()
        # An empty name is not worth a red message while the dialog is still fresh.
        shown = [] if problems == ["Type a name for the account."] else problems
        self.problems_label.setText("\n".join(shown))
        self.save_button.setEnabled(not problems and not self._busy)
        self.save_button.setToolTip("\n".join(problems))

    def _request(self) -> None:
        if not self.problems() and not self._busy:
            self.save_requested.emit(self.account())


def describe_account(account: Account) -> str:
    """One line for confirmations: `6110 Meals (Expenses:Travel:Meals)`."""
    code = f"{account.code} " if account.code else ""
    return f"{code}{leaf_name(account.full_name)} ({account.full_name})"
