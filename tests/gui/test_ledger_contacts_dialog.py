"""The Contacts list (Ledger → Contacts…) on the real database through the real job runner: the
columns, add, rename, change the role, deactivate and activate, a duplicate refused with the
contact list unchanged, the link columns after a link is confirmed, and the Ledger's contact
filter learning the new names; the add/edit form's own checks. Also the Ledger's help."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QTextBrowser
from pytestqt.qtbot import QtBot

from bookkeeper_desktop.core.contacts import Contact
from bookkeeper_desktop.gui.context import AppContext
from bookkeeper_desktop.gui.ledger import LedgerPane
from bookkeeper_desktop.gui.ledger.contacts_dialog import (
    ACTIVE,
    EMAIL,
    HEADERS,
    NAME,
    QBO,
    ROLE,
    XERO,
    ContactForm,
    ContactsDialog,
)
from bookkeeper_desktop.gui.ledger.help import KINDS_HELP, TITLE
from bookkeeper_desktop.services import contacts as contact_services
from bookkeeper_desktop.storage.engine import Database
from tests.gui.test_ledger_pane import loaded_pane

pytest_plugins = ["tests.gui.test_ledger_support"]
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


class FormAnswers:
    """Stands in for the user at the add/edit form: fills the real `ContactForm` and presses OK
    (or Cancel)."""

    def __init__(self, **fields: object) -> None:
        self.fields = fields
        self.forms: list[ContactForm] = []

    def __call__(self, contact: Contact | None) -> Contact | None:
        form = ContactForm(contact)
        self.forms.append(form)
        if "name" in self.fields:
            form.name_edit.setText(str(self.fields["name"]))
        for key, check in (("customer", form.customer_check), ("supplier", form.supplier_check),
                           ("active", form.active_check)):
            if key in self.fields:
                check.setChecked(bool(self.fields[key]))
        if "email" in self.fields:
            form.email_edit.setText(str(self.fields["email"]))
        if not self.fields.get("ok", True):
            return None
        ok = form.buttons.button(QDialogButtonBox.StandardButton.Ok)
        assert ok.isEnabled()
        return form.contact()


def open_contacts(qtbot: QtBot, pane: LedgerPane) -> ContactsDialog:
    pane.contacts_action.trigger()
    dialog = pane.contacts_dialog
    assert dialog is not None
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.summary_label.text() != "Reading the contacts…",
                    timeout=5000)
    return dialog


def cells(dialog: ContactsDialog, name: str) -> list[str]:
    for row, contact in enumerate(dialog.model.rows()):
        if contact.name == name:
            return [dialog.model.index(row, column).data() for column in range(len(HEADERS))]
    raise AssertionError(f"{name} is not listed")


def test_add_edit_deactivate_and_the_link_columns(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int,
) -> None:
    pane = loaded_pane(qtbot, ctx)
    dialog = open_contacts(qtbot, pane)
    assert [dialog.model.headerData(c, Qt.Orientation.Horizontal) for c in range(6)] == [
        "Name", "Role", "E-mail", "Active", "QuickBooks Online", "Xero"]
    before = len(dialog.model.rows())
    assert not dialog.edit_button.isEnabled()  # nothing selected yet

    dialog.ask = FormAnswers(name="  Harbour   Cafe ", customer=True,  # type: ignore[method-assign]
                             email="accounts@harbour.test")
    with qtbot.waitSignal(dialog.contacts_loaded, timeout=5000):
        dialog.add_button.click()
    assert cells(dialog, "Harbour Cafe") == ["Harbour Cafe", "Customer", "accounts@harbour.test",
                                             "yes", "no", "no"]
    qtbot.waitUntil(lambda: dialog.selected() is not None, timeout=5000)
    selected = dialog.selected()
    assert selected is not None
    assert selected.name == "Harbour Cafe"  # the new one is selected
    stored = contact_services.find_contact(db, company_id, "harbour cafe")
    assert stored is not None
    assert (stored.is_customer, stored.is_supplier, stored.source) == (True, False, "manual")
    # the Ledger's contact filter learns the new name
    qtbot.waitUntil(lambda: "Harbour Cafe" in pane.filter_bar.contact_names.stringList(),
                    timeout=5000)

    dialog.ask = FormAnswers(name="Harbour Café", supplier=True)  # type: ignore[method-assign]
    with qtbot.waitSignal(dialog.contacts_loaded, timeout=5000):
        dialog.edit_button.click()
    assert cells(dialog, "Harbour Café")[NAME:ACTIVE + 1] == [
        "Harbour Café", "Customer and supplier", "accounts@harbour.test", "yes"]
    assert len(dialog.model.rows()) == before + 1  # renamed, not added

    assert dialog.toggle_button.text() == "&Deactivate"
    with qtbot.waitSignal(dialog.contacts_loaded, timeout=5000):
        dialog.toggle_button.click()
    assert cells(dialog, "Harbour Café")[ACTIVE] == "no"
    row = [c.name for c in dialog.model.rows()].index("Harbour Café")
    assert dialog.model.index(row, NAME).data(Qt.ItemDataRole.ForegroundRole) is not None
    qtbot.waitUntil(lambda: dialog.toggle_button.text() == "&Activate", timeout=5000)
    found = contact_services.find_contact(db, company_id, "Harbour Café")
    assert found is not None
    assert not found.active

    contact_services.link(db, company_id, found.id or 0, provider="xero", role="customer",
                          remote_id="b1a2c3")
    contact_services.link(db, company_id, found.id or 0, provider="qbo", role="supplier",
                          remote_id="58")
    with qtbot.waitSignal(dialog.contacts_loaded, timeout=5000):
        dialog.reload()
    assert cells(dialog, "Harbour Café")[QBO:XERO + 1] == ["yes", "yes"]
    row = [c.name for c in dialog.model.rows()].index("Harbour Café")
    assert "Linked" in dialog.model.index(row, XERO).data(Qt.ItemDataRole.ToolTipRole)
    assert ROLE == 1
    assert EMAIL == 2


def test_a_duplicate_name_is_refused_and_nothing_changes(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int,
) -> None:
    contact_services.add_contact(db, company_id, Contact("Acme Ltd", is_customer=True))
    shown: list[BaseException] = []
    ctx.show_error = lambda error, _parent=None: shown.append(error)  # type: ignore[method-assign]
    pane = loaded_pane(qtbot, ctx)
    dialog = open_contacts(qtbot, pane)
    names = [c.name for c in dialog.model.rows()]
    dialog.ask = FormAnswers(name="ACME LTD")  # type: ignore[method-assign]
    dialog.add_button.click()
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    assert "There is already a contact named 'ACME LTD'." in str(shown[0])
    qtbot.waitUntil(dialog.add_button.isEnabled, timeout=5000)
    assert [c.name for c in dialog.model.rows()] == names
    assert len(contact_services.list_contacts(db, company_id)) == len(names)
    # a cancelled form changes nothing either
    dialog.ask = FormAnswers(name="Other", ok=False)  # type: ignore[method-assign]
    dialog.add_button.click()
    qtbot.wait(100)
    assert len(contact_services.list_contacts(db, company_id)) == len(names)


def test_the_form_checks_the_name_as_it_is_typed(qtbot: QtBot) -> None:
    form = ContactForm()
    qtbot.addWidget(form)
    ok = form.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()
    form.name_edit.setText("   ")
    assert not ok.isEnabled()
    assert form.problem_label.text() == "A contact needs a name."
    form.name_edit.setText("x" * 201)
    assert "at most 200 characters" in form.problem_label.text()
    assert not ok.isEnabled()
    form.name_edit.setText("Fine Name")
    assert ok.isEnabled()
    assert form.problem_label.text() == ""
    assert form.contact() == Contact("Fine Name")


def test_the_ledger_help_explains_the_kinds_and_the_readme_says_the_same(
    qtbot: QtBot, ctx: AppContext,
) -> None:
    pane = loaded_pane(qtbot, ctx)
    pane.help_action.trigger()
    dialog = pane.help_dialog
    assert dialog is not None
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == TITLE
    text = dialog.findChild(QTextBrowser, "helpText").toPlainText()
    for words in ("spend money", "bank transfer", "sales invoice", "bill", "payment",
                  "manual journal", "Waiting for a fix", "Save bank statements"):
        assert words in text
    readme = Path(__file__).resolve().parents[2] / "README.md"
    section = readme.read_text(encoding="utf-8").split(f"## {TITLE}\n\n", 1)[1]
    assert section.startswith(KINDS_HELP)
