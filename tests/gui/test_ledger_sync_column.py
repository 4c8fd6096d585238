"""The Ledger's Sync column and Not sent filter (issue #12 item 3) on the real pane, after a real
sync against the QBO sandbox that sent some entries and left one unmapped and one refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from bookkeeper_desktop.core.accounts import Account, AccountType
from bookkeeper_desktop.gui.context import AppContext
from bookkeeper_desktop.gui.ledger import LedgerPane
from bookkeeper_desktop.gui.ledger.entry_table import COLUMNS
from bookkeeper_desktop.services import accounts as account_service
from tests.gui.test_integrations_refused import add_entry, refuse_in_closed_period
from tests.sync.helpers import mapped_accounts, sync

SYNC_COLUMN = [column.header for column in COLUMNS].index("Sync")


def _texts(qtbot: QtBot, pane: LedgerPane) -> dict[str, str]:
    """Entry number → its Sync cell, for every row (waiting for the pages to load)."""
    model = pane.entry_model
    rows = range(model.rowCount())
    for row in rows:
        model.index(row, 0).data()  # asks for the page
    qtbot.waitUntil(lambda: all(model.loaded_row(r) is not None for r in rows), timeout=5000)
    number = [column.header for column in COLUMNS].index("Number")
    return {model.index(r, number).data(): model.index(r, SYNC_COLUMN).data() for r in rows}


def test_sync_column_and_not_sent_filter(qtbot: QtBot, app_ctx: AppContext, books: Any) -> None:
    refuse_in_closed_period(books, "OLD-1")
    stray = account_service.add_account(books.db, books.company_id, Account(
        full_name="Stray Costs", type=AccountType.EXPENSE, code="99999"))
    debit, credit = mapped_accounts(books)
    add_entry(books, "UNM-1", dt.date(2026, 10, 3), accounts=(stray.id or 0, credit))
    add_entry(books, "OK-1", dt.date(2026, 10, 4), accounts=(debit, credit))
    assert sync(books).counts["not_sent"] == {"unmapped": 1, "refused": 1}

    app_ctx.set_company(books.company_id)
    pane = LedgerPane(app_ctx)
    qtbot.addWidget(pane)
    with qtbot.waitSignal(pane.entry_model.ids_loaded, timeout=5000):
        pane.filter_bar.search_edit.setText("-1")  # our three entries (by number)
    texts = _texts(qtbot, pane)
    assert texts["OK-1"] == "QBO: sent"
    assert texts["UNM-1"] == "QBO: not sent — account not mapped"
    assert texts["OLD-1"] == "QBO: not sent — refused by QuickBooks Online"
    assert pane.entry_model.headerData(SYNC_COLUMN, Qt.Orientation.Horizontal) == "Sync"

    # The filter bar's Sync choice: only the entries not sent.
    with qtbot.waitSignal(pane.entry_model.ids_loaded, timeout=5000):
        pane.filter_bar.sync_combo.setCurrentIndex(pane.filter_bar.sync_combo.findText("Not sent"))
    assert pane.filter_bar.current_filter().not_sent
    assert set(_texts(qtbot, pane)) == {"UNM-1", "OLD-1"}
