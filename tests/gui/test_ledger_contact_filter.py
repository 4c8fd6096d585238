"""The Ledger's contact filter (entries with a line naming the contact, in SQL, any case) and the
details under the table (the current entry's contacts and, for one the sync holds in "Waiting for
a fix", the reason): our books connected to the in-process Xero sandbox, a real sync refusing a
bank spend that names nobody, and the real Ledger pane, job runner and services."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelectionModel
from pytestqt.qtbot import QtBot

from bookkeeper_desktop.gui.context import AppContext
from bookkeeper_desktop.gui.ledger import LedgerPane
from bookkeeper_desktop.gui.ledger.entry_details import details_text
from bookkeeper_desktop.gui.ledger.source import EntryDetails
from bookkeeper_desktop.services import entries as entry_services
from bookkeeper_desktop.storage.records import EntryFilter
from tests.sync.conftest import Books
from tests.sync.helpers import sync
from tests.sync.test_push_kinds import _account, _post

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def open_ledger(qtbot: QtBot, ctx: AppContext, company_id: int, *, rows: bool = True
                ) -> LedgerPane:
    ctx.set_company(company_id)
    pane = LedgerPane(ctx)
    qtbot.addWidget(pane)
    pane.resize(1300, 760)
    pane.show()
    qtbot.waitUntil(lambda: pane.tree_model.rowCount() > 0, timeout=10000)
    qtbot.waitUntil(lambda: not pane.entry_model.loading
                    and (pane.entry_model.rowCount() > 0 or not rows), timeout=10000)
    return pane


def shown_ids(pane: LedgerPane) -> set[int]:
    return set(pane.entry_model.all_ids())


def make_current(qtbot: QtBot, pane: LedgerPane, entry_id: int) -> EntryDetails:
    row = pane.entry_model.row_of(entry_id)
    assert row is not None
    with qtbot.waitSignal(pane.details_loaded, timeout=10000) as loaded:
        pane.table.selectionModel().setCurrentIndex(
            pane.entry_model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows)
    details: EntryDetails = loaded.args[0]
    assert details.entry_id == entry_id
    return details


def test_filter_by_contact_and_the_waiting_reason_of_a_held_entry(
        qtbot: QtBot, app_ctx: AppContext, xero_books: Books) -> None:
    books = xero_books
    assert sync(books, push=False).ok
    bank, sales, rent = _account(books, "090"), _account(books, "200"), _account(books, "469")
    landlord = _post(books, "CS-1", (rent, "120.00", "City Landlord"), (bank, "-120.00", ""))
    landlord_too = _post(books, "CS-2", (rent, "80.00", ""),
                         (bank, "-80.00", "CITY LANDLORD"))
    walk_in = _post(books, "CS-3", (bank, "45.50", ""), (sales, "-45.50", "Walk-in Customer"))
    nameless = _post(books, "CS-9", (rent, "10.00", ""), (bank, "-10.00", ""))
    result = sync(books)
    assert result.counts["refused"] == 1

    pane = open_ledger(qtbot, app_ctx, books.company_id)
    every = shown_ids(pane)
    assert {landlord, landlord_too, walk_in, nameless} <= every
    # the completer offers the company's contacts, the names the entries brought in included
    qtbot.waitUntil(lambda: "City Landlord" in pane.filter_bar.contact_names.stringList(),
                    timeout=5000)
    with qtbot.waitSignal(pane.entry_model.ids_loaded, timeout=10000):
        pane.filter_bar.contact_edit.setText("City Landlord")
        pane.filter_bar.contact_edit.editingFinished.emit()
    assert shown_ids(pane) == {landlord, landlord_too}  # in any case
    assert entry_services.entry_ids(books.db, books.company_id,
                                    EntryFilter(contact="city landlord")) != []
    with qtbot.waitSignal(pane.entry_model.ids_loaded, timeout=10000):
        pane.filter_bar.contact_edit.clear()  # the clear button: every entry again
    assert shown_ids(pane) == every

    details = make_current(qtbot, pane, walk_in)
    assert details.contacts == ("Walk-in Customer",)
    assert details.waiting == ()
    assert pane.details_label.text() == "Contacts: Walk-in Customer"

    details = make_current(qtbot, pane, nameless)
    assert details.contacts == ()
    [(provider, reason)] = details.waiting
    assert provider == "xero"
    assert "Xero needs a contact on a bank transaction" in reason
    text = pane.details_label.text()
    assert text.startswith("Contacts: none named on its lines\nWaiting for a fix at Xero "
                           "(not sent until fixed): ")
    assert "Xero needs a contact on a bank transaction" in text
    assert text == details_text(details)


def test_the_contact_filter_is_part_of_the_filter_and_survives_set_filter(
        qtbot: QtBot, app_ctx: AppContext, xero_books: Books) -> None:
    assert sync(xero_books, push=False).ok  # the chart
    pane = open_ledger(qtbot, app_ctx, xero_books.company_id, rows=False)
    with qtbot.waitSignal(pane.filter_bar.filter_changed) as changed:
        pane.filter_bar.set_filter(EntryFilter(contact="Nobody At All"))
    assert changed.args[0].contact == "Nobody At All"
    assert pane.filter_bar.contact_edit.text() == "Nobody At All"
    qtbot.waitUntil(lambda: not pane.entry_model.loading, timeout=10000)
    assert pane.entry_model.rowCount() == 0
