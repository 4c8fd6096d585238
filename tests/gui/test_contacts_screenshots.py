"""Pictures of the contacts and tax-code work on the sample company (saved into a temporary
folder, or `$BOOKKEEPER_SCREENSHOT_DIR` to look at them): the entry editor with the Contact and
Tax code columns (a default tax code greyed), and with the notice about a payable line without a
contact; the Contacts list; the Export pane's Xero entries left out with Save bank statements.

Files: ledger-entry-editor-contacts.png, ledger-entry-editor-waiting.png, ledger-contacts.png,
export-xero-left-out.png.
"""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from bookkeeper_desktop.core.contacts import Contact
from bookkeeper_desktop.gui.context import AppContext
from bookkeeper_desktop.gui.export import ExportPane
from bookkeeper_desktop.gui.ledger.lines_model import (
    ACCOUNT,
    CONTACT,
    CREDIT,
    DEBIT,
    DESCRIPTION,
    TAX_CODE,
)
from bookkeeper_desktop.services import accounts as account_services
from bookkeeper_desktop.services import contacts as contact_services
from bookkeeper_desktop.storage.engine import Database
from tests.gui.test_ledger_pane import loaded_pane
from tests.gui.test_ledger_screenshots import distinct_colours, folder, save

pytest_plugins = ["tests.gui.test_ledger_support"]
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
__all__ = ["folder"]  # the fixture, shared with the Ledger's pictures


def test_pictures_of_contacts_and_tax_codes(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int, folder: object,
) -> None:
    from pathlib import Path

    assert isinstance(folder, Path)
    for name, customer, supplier, email in (
            ("Harbour Cafe", True, False, "accounts@harbour.test"),
            ("Hilltop Farm Supplies", False, True, ""),
            ("Harvest Market Co-op", True, True, "orders@harvest.test")):
        contact_services.add_contact(db, company_id, Contact(
            name, is_customer=customer, is_supplier=supplier, email=email))
    sales = account_services.find_account(db, company_id, "4020")
    assert sales is not None
    account_services.update_account(db, company_id, sales.with_changes(tax_code="TAX"))
    pane = loaded_pane(qtbot, ctx)
    pane.resize(1280, 760)

    with qtbot.waitSignal(pane.entry_dialog_opened, timeout=5000) as opened:
        pane.new_entry_action.trigger()
    editor = opened.args[0]
    qtbot.waitUntil(lambda: "Harbour Cafe" in editor.contact_delegate.words(), timeout=5000)
    editor.number_edit.setText("INV-1042")
    editor.memo_edit.setText("Catering for the harbour festival")
    lines = editor.lines_model
    for row, (account, column, amount, contact, tax, text) in enumerate((
            ("1100", DEBIT, "1,080.00", "Harbour Cafe", "", "Invoice 1042"),
            ("4020", CREDIT, "1,000.00", "", "", "Festival catering"),
            ("4010", CREDIT, "80.00", "", "NON", "Table hire"))):
        lines.setData(lines.index(row, ACCOUNT), account)
        lines.setData(lines.index(row, DESCRIPTION), text)
        lines.setData(lines.index(row, column), amount)
        lines.setData(lines.index(row, CONTACT), contact)
        lines.setData(lines.index(row, TAX_CODE), tax)
    assert lines.index(1, TAX_CODE).data() == "TAX"  # the account's default, greyed
    assert not editor.contact_notice.isVisible()
    qtbot.wait(50)  # let the layout settle before the picture
    assert distinct_colours(save(editor, folder, "ledger-entry-editor-contacts.png")) > 8
    editor.reject()

    with qtbot.waitSignal(pane.entry_dialog_opened, timeout=5000) as opened:
        pane.new_entry_action.trigger()
    editor = opened.args[0]
    editor.number_edit.setText("BILL-77")
    editor.memo_edit.setText("Seed and compost, March")
    lines = editor.lines_model
    lines.setData(lines.index(0, ACCOUNT), "5010")
    lines.setData(lines.index(0, DEBIT), "412.50")
    lines.setData(lines.index(1, ACCOUNT), "2000")
    lines.setData(lines.index(1, CREDIT), "412.50")
    assert editor.contact_notice.isVisible()
    qtbot.wait(50)
    assert distinct_colours(save(editor, folder, "ledger-entry-editor-waiting.png")) > 8
    editor.reject()

    pane.contacts_action.trigger()
    contacts = pane.contacts_dialog
    assert contacts is not None
    qtbot.addWidget(contacts)
    qtbot.waitUntil(lambda: contacts.model.rowCount() >= 3, timeout=5000)
    contacts.select_name("Harbour Cafe")
    assert distinct_colours(save(contacts, folder, "ledger-contacts.png")) > 8
    contacts.reject()

    export = ExportPane(ctx)
    qtbot.addWidget(export)
    export.resize(1280, 760)
    export.show()
    qtbot.waitUntil(lambda: export.preview is not None, timeout=10000)
    with qtbot.waitSignal(export.preview_loaded, timeout=10000):
        export.format_combo.setCurrentIndex(export.format_combo.findData("xero-csv"))
    assert export.statements_button.isVisible()
    assert distinct_colours(save(export, folder, "export-xero-left-out.png")) > 12
