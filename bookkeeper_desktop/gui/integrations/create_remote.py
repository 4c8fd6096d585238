"""The preview before "Create in QuickBooks Online / Xero": every account that will be created
there (name, number/code, the provider's type and detail type, parent), and every one that
cannot be and why. Nothing is sent until the user presses Create; the creating itself runs in
the network lane (`IntegrationsController.create_remote`)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QVBoxLayout,
    QWidget,
)

from bookkeeper_desktop.services.remote_accounts import PlannedAccount


class CreateRemotePreview(QDialog):
    """Lists `plan`; `account_ids()` are the accounts to create once accepted.

    Attributes:
        ready_list, blocked_list: what will be created, and what cannot be (with why).
        create_button: "Create N account(s)"; disabled when there is nothing to create.
    """

    def __init__(self, provider: str, provider_title: str, plan: Sequence[PlannedAccount],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("createRemotePreview")
        self.setWindowTitle(f"Create in {provider_title}")
        self.plan = list(plan)
        ready = [p for p in self.plan if p.ok]
        blocked = [p for p in self.plan if not p.ok]
        header = QLabel(
            f"{len(ready)} account(s) will be created in {provider_title} with our names and "
            "numbers, and mapped to ours:" if ready else
            f"Nothing can be created in {provider_title} as things stand:")
        header.setWordWrap(True)
        self.ready_list = QListWidget()
        self.ready_list.setObjectName("createReady")
        self.ready_list.addItems([p.describe(provider) for p in ready])
        self.blocked_list = QListWidget()
        self.blocked_list.setObjectName("createBlocked")
        self.blocked_list.addItems([p.describe(provider) for p in blocked])
        blocked_label = QLabel(f"Cannot be created ({len(blocked)}) — fix these first:")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.create_button = self.buttons.addButton(
            f"Create {len(ready)} account(s)", QDialogButtonBox.ButtonRole.AcceptRole)
        self.create_button.setEnabled(bool(ready))
        # Enter must not send anything to the provider unseen: Cancel is the default.
        self.create_button.setAutoDefault(False)
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(header)
        layout.addWidget(self.ready_list, 2)
        if blocked:
            layout.addWidget(blocked_label)
            layout.addWidget(self.blocked_list, 1)
        else:
            blocked_label.hide()
            self.blocked_list.hide()
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.resize(620, 420)

    def account_ids(self) -> list[int]:
        return [p.account_id for p in self.plan if p.ok]
