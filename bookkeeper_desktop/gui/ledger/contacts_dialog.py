"""The company's Contacts list (Ledger → Contacts…): name, role (customer, supplier), e-mail,
active, and whether QuickBooks Online and Xero know it (linked by the sync, or by a confirmed
name-match proposal; similar names are never merged silently). Add, and edit: rename, change the
role or the e-mail, deactivate or activate again.

Every read and write runs in a db-lane job on the Ledger's source; the dialog only shows what came
back and says what went wrong in place. A rename does not rewrite the lines that used the old name
(`services.contacts.update_contact`): it is said in the edit form.

Signals:
    contacts_loaded(int): the list was (re)read; its number of contacts.
    contact_saved(Contact): an add or an edit was stored.
"""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from bookkeeper_desktop.core.changes import Changes
from bookkeeper_desktop.core.contacts import Contact, clean_name, name_problem
from bookkeeper_desktop.gui.table_model import ModelIndex, RowsTableModel, SelectionKeeper
from bookkeeper_desktop.providers.config import Provider

HEADERS = ("Name", "Role", "E-mail", "Active", Provider.QBO.display_name,
           Provider.XERO.display_name)
NAME, ROLE, EMAIL, ACTIVE, QBO, XERO = range(len(HEADERS))
_INACTIVE = QColor("#808b96")


def linked_at_qbo(contact: Contact) -> bool:
    return bool(contact.qbo_customer_id or contact.qbo_vendor_id)


class ContactsSource(Protocol):
    """What the dialog asks of the books (the Ledger's source); called only inside jobs."""

    def contacts(self, company_id: int) -> list[Contact]: ...

    def save_contact(self, company_id: int, contact: Contact) -> Contact: ...


class ContactsModel(RowsTableModel[Contact]):
    @override
    def headers(self) -> tuple[str, ...]:
        return HEADERS

    @override
    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        contact = self.row_for(index)
        if contact is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            yes = ("no", "yes")
            return (contact.name, contact.roles, contact.email, yes[contact.active],
                    yes[linked_at_qbo(contact)], yes[bool(contact.xero_id)])[column]
        if role == Qt.ItemDataRole.ForegroundRole and not contact.active:
            return _INACTIVE
        if role == Qt.ItemDataRole.ToolTipRole and column in (QBO, XERO):
            linked = linked_at_qbo(contact) if column == QBO else bool(contact.xero_id)
            where = HEADERS[column]
            return (f"Linked to its {where} contact." if linked else
                    f"Not linked yet: the next sync links it to {where}'s contact of the same "
                    "name, or creates it there when an entry naming it is sent.")
        return None


class ContactForm(QDialog):
    """Add or edit one contact. `contact()` is the contact as typed (the id kept on an edit)."""

    def __init__(self, contact: Contact | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("contactForm")
        self._original = contact
        self.setWindowTitle("Edit contact" if contact else "New contact")
        self.name_edit = QLineEdit(contact.name if contact else "")
        self.name_edit.setPlaceholderText("e.g. Acme Ltd")
        self.customer_check = QCheckBox("Customer (named on receivable lines)")
        self.supplier_check = QCheckBox("Supplier (named on payable lines)")
        self.email_edit = QLineEdit(contact.email if contact else "")
        self.active_check = QCheckBox("Active (offered when entering lines)")
        self.customer_check.setChecked(bool(contact and contact.is_customer))
        self.supplier_check.setChecked(bool(contact and contact.is_supplier))
        self.active_check.setChecked(contact.active if contact else True)
        self.problem_label = QLabel()
        self.problem_label.setObjectName("problemLabel")
        self.problem_label.setStyleSheet("color: #c0392b;")
        self.problem_label.setWordWrap(True)
        form = QFormLayout()
        form.addRow("&Name", self.name_edit)
        form.addRow("Role", self.customer_check)
        form.addRow("", self.supplier_check)
        form.addRow("&E-mail", self.email_edit)
        form.addRow("", self.active_check)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                       | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        if contact is not None:
            note = QLabel("Entries keep the name their lines were entered with; a new name is "
                          "used from now on.")
            note.setWordWrap(True)
            layout.addWidget(note)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.buttons)
        self.name_edit.textChanged.connect(self._check)
        self._check()

    def contact(self) -> Contact:
        base = self._original or Contact(name="")
        return base.with_changes(name=clean_name(self.name_edit.text()),
                                 is_customer=self.customer_check.isChecked(),
                                 is_supplier=self.supplier_check.isChecked(),
                                 email=self.email_edit.text().strip(),
                                 active=self.active_check.isChecked())

    def _check(self) -> None:
        problem = name_problem(self.name_edit.text()) if self.name_edit.text() else None
        self.problem_label.setText(problem or "")
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(problem is None and bool(clean_name(self.name_edit.text())))


class ContactsDialog(QDialog):
    """See the module docstring. `ctx` gives `jobs`, `notify` and `show_error`; `ask` opens the
    add/edit form (tests answer it)."""

    contacts_loaded = Signal(int)
    contact_saved = Signal(object)

    def __init__(self, ctx: Any, source: ContactsSource, company_id: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("contactsDialog")
        self.setWindowTitle("Contacts")
        self.resize(860, 460)
        self.ctx = ctx
        self.source = source
        self.company_id = company_id
        self.model = ContactsModel(self)
        self.view = QTableView()
        self.view.setObjectName("contactsView")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.verticalHeader().setVisible(False)
        self.view.setAlternatingRowColors(True)
        self.view.horizontalHeader().setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        for column, width in ((ROLE, 150), (EMAIL, 170), (ACTIVE, 60), (QBO, 140), (XERO, 60)):
            self.view.setColumnWidth(column, width)
        self.view.doubleClicked.connect(lambda _index: self.edit_selected())
        #: The selected contact stays selected across a re-read (found by name, as after a save).
        self._keeper = SelectionKeeper(self.view, lambda row: self.model.row_at(row).name)
        self.summary_label = QLabel("Reading the contacts…")
        self.summary_label.setObjectName("summaryLabel")
        self.add_button = QPushButton("&Add…")
        self.edit_button = QPushButton("&Edit…")
        self.toggle_button = QPushButton("&Deactivate")
        close = QPushButton("Close")
        self.add_button.clicked.connect(self.add_contact)
        self.edit_button.clicked.connect(self.edit_selected)
        self.toggle_button.clicked.connect(self.toggle_selected)
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.edit_button)
        buttons.addWidget(self.toggle_button)
        buttons.addStretch()
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        self.view.selectionModel().selectionChanged.connect(self._update_buttons)
        self._busy = False
        self._update_buttons()
        self.reload()

    # --- what the pane and tests use ---------------------------------------------------------

    def selected(self) -> Contact | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def select_name(self, name: str) -> bool:
        for row, contact in enumerate(self.model.rows()):
            if contact.name == name:
                self.view.selectRow(row)
                return True
        return False

    def reload(self) -> None:
        company_id = self.company_id
        self.ctx.jobs.run(lambda _p: self.source.contacts(company_id), lane="db", owner=self,
                          title="Reading the contacts", on_done=self._arrived,
                          on_error=lambda error: self.ctx.show_error(error, self))

    def ask(self, contact: Contact | None) -> Contact | None:
        """The add/edit form; the contact as typed, or None when cancelled."""
        form = ContactForm(contact, self)
        return form.contact() if form.exec() == QDialog.DialogCode.Accepted else None

    def add_contact(self) -> None:
        typed = self.ask(None)
        if typed is not None:
            self._save(typed)

    def edit_selected(self) -> None:
        contact = self.selected()
        if contact is None:
            return
        typed = self.ask(contact)
        if typed is not None and typed != contact:
            self._save(typed)

    def toggle_selected(self) -> None:
        contact = self.selected()
        if contact is not None:
            self._save(contact.with_changes(active=not contact.active))

    # --- internals -------------------------------------------------------------------------------

    def _arrived(self, contacts: list[Contact]) -> None:
        with self._keeper.kept():
            self.model.set_rows(contacts)
        customers = sum(c.is_customer for c in contacts)
        suppliers = sum(c.is_supplier for c in contacts)
        inactive = sum(not c.active for c in contacts)
        self.summary_label.setText(
            f"{len(contacts)} contacts: {customers} customers, {suppliers} suppliers"
            + (f", {inactive} inactive" if inactive else "") + "." if contacts else
            "No contacts yet. Names typed in an entry's Contact column are added when it is "
            "saved; Add… makes one now.")
        self._update_buttons()
        self.contacts_loaded.emit(len(contacts))

    def _save(self, contact: Contact) -> None:
        company_id = self.company_id
        self._busy = True
        self._update_buttons()

        def saved(stored: Contact) -> None:
            self._busy = False
            self.ctx.notify(Changes(contacts=True))
            self.contact_saved.emit(stored)
            self.reload()
            self._select_when_loaded(stored.name)

        def failed(error: BaseException) -> None:
            self._busy = False
            self._update_buttons()
            self.ctx.show_error(error, self)

        self.ctx.jobs.run(lambda _p: self.source.save_contact(company_id, contact), lane="db",
                          owner=self, title="Saving the contact", on_done=saved,
                          on_error=failed)

    def _select_when_loaded(self, name: str) -> None:
        def select(_count: int) -> None:
            self.contacts_loaded.disconnect(select)
            self.select_name(name)
        self.contacts_loaded.connect(select)

    def _update_buttons(self, *_args: object) -> None:
        contact = self.selected()
        self.add_button.setEnabled(not self._busy)
        self.edit_button.setEnabled(contact is not None and not self._busy)
        self.toggle_button.setEnabled(contact is not None and not self._busy)
        self.toggle_button.setText("&Activate" if contact is not None and not contact.active
                                   else "&Deactivate")
