"""The Ledger pane after a sync (issue 6: no GUI stall over 50 ms during a sync): the journal-entry
table changes in place, never by a model reset, and the user keeps their place.

Each test writes to a real SQLite copy of the sample books the way `sync.pull` does (one session:
`repositories.bulk_insert_entries` for new transactions, `repositories.replace_entry` for updated
ones, `remote_deleted` set for ones deleted at the provider), then sends the change notice the
Integrations controller sends when a sync ends, and watches the real pane on the real job runner.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt
from pytestqt.qtbot import QtBot

from bookkeeper_desktop.core.changes import Changes
from bookkeeper_desktop.core.journal import EntrySource, EntryStatus, JournalEntry
from bookkeeper_desktop.gui.context import AppContext
from bookkeeper_desktop.gui.ledger import LedgerPane
from bookkeeper_desktop.services import entries as entry_services
from bookkeeper_desktop.storage import repositories
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.records import EntryFilter, EntrySort

pytest_plugins = ["tests.gui.test_ledger_support"]

#: What `IntegrationsController` notifies when a sync ends.
SYNC_CHANGES = Changes(sync_runs=True, entries=True, accounts=True, mappings=True)
#: Deleted-at-the-provider entries hidden, so that a remote delete removes a row.
NOT_DELETED = EntryFilter(include_remote_deleted=False)


class Spy:
    """Every structural signal of the entry model, in order."""

    def __init__(self, pane: LedgerPane) -> None:
        model = pane.entry_model
        self.events: list[tuple[Any, ...]] = []
        model.modelReset.connect(lambda: self.events.append(("reset",)))
        model.rowsRemoved.connect(lambda _p, a, b: self.events.append(("removed", a, b)))
        model.rowsInserted.connect(lambda _p, a, b: self.events.append(("inserted", a, b)))
        model.rowsMoved.connect(lambda _p, a, _b, _d, to: self.events.append(("moved", a, to)))
        model.dataChanged.connect(
            lambda first, last, _roles=None: self.events.append(("changed", first.row(),
                                                                  last.row())))

    def kinds(self) -> set[str]:
        return {event[0] for event in self.events}


def shown_pane(qtbot: QtBot, ctx: AppContext) -> LedgerPane:
    pane = LedgerPane(ctx)
    qtbot.addWidget(pane)
    pane.resize(1300, 760)
    pane.show()
    qtbot.waitUntil(lambda: pane.tree_model.rowCount() > 0, timeout=5000)
    with qtbot.waitSignal(pane.entry_model.ids_loaded, timeout=5000):
        pane.entry_model.set_filter(NOT_DELETED)
    return pane


def scroll_and_select(qtbot: QtBot, pane: LedgerPane, top: int, rows: list[int]) -> list[int]:
    """Scroll so that `top` is the first row shown, make rows[0] current and select `rows`;
    wait until the shown rows are loaded. Returns the selected entry ids."""
    pane.table.verticalScrollBar().setValue(top)
    model, selection = pane.entry_model, pane.table.selectionModel()
    pane.table.setCurrentIndex(model.index(rows[0], 0))
    for row in rows[1:]:
        selection.select(model.index(row, 0), QItemSelectionModel.SelectionFlag.Select
                         | QItemSelectionModel.SelectionFlag.Rows)
    visible = pane.visible_rows()
    assert top in visible
    assert len(visible) > 10
    qtbot.waitUntil(lambda: all(model.loaded_row(r) is not None for r in visible), timeout=5000)
    return [model.entry_id(row) for row in rows]


def sync_entry(template: JournalEntry, number: str, date: dt.date) -> JournalEntry:
    """A transaction as the pull stores it: posted, from QBO, with its remote id."""
    return dataclasses.replace(template, id=None, number=number, date=date, memo=f"Pulled {number}",
                               status=EntryStatus.POSTED, source=EntrySource.QBO,
                               qbo_id=number, qbo_sync_token="0", created_at=None,
                               updated_at=None)


def expected_ids(db: Database, company_id: int) -> list[int]:
    return entry_services.entry_ids(db, company_id, NOT_DELETED, EntrySort(descending=True))


def test_a_sync_adds_changes_and_removes_rows_in_place_and_the_user_keeps_their_place(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int,
) -> None:
    pane = shown_pane(qtbot, ctx)
    model = pane.entry_model
    before = model.rowCount()
    selected = scroll_and_select(qtbot, pane, 40, [50, 52, 53])
    scroll = pane.table.verticalScrollBar().value()
    visible = pane.visible_rows()
    newest = model.loaded_row(0)
    inside = model.loaded_row(visible.start + 5)
    edited_id = model.entry_id(visible.start + 2)
    deleted_above = model.entry_id(7)
    assert newest is not None
    assert newest.date
    assert inside is not None
    assert inside.date
    template = entry_services.get_entry(db, company_id, selected[0])

    with db.session() as session:  # as sync.pull stores a page
        new_ids = repositories.bulk_insert_entries(session, company_id, [
            sync_entry(template, "QBO-NEW-1", newest.date + dt.timedelta(days=1)),
            sync_entry(template, "QBO-NEW-2", inside.date),
        ])
        edited = entry_services.get_entry(db, company_id, edited_id)
        row = repositories.entry_row(session, company_id, edited_id)
        assert row is not None
        repositories.replace_entry(session, row, dataclasses.replace(edited, memo="Updated in QBO"))
        gone = repositories.entry_row(session, company_id, deleted_above)
        assert gone is not None
        gone.remote_deleted = True

    spy = Spy(pane)
    with qtbot.waitSignal(model.ids_loaded, timeout=5000):
        ctx.notify(SYNC_CHANGES)

    assert "reset" not in spy.kinds()
    assert {"inserted", "removed"} <= spy.kinds()
    assert model.rowCount() == before + 1
    assert model.all_ids() == expected_ids(db, company_id)
    # New, changed and removed entries are shown as such.
    assert model.row_of(new_ids[0]) == 0
    assert model.index(0, 1).data() == "QBO-NEW-1"
    assert model.index(0, 6).data() == "QBO"
    second = model.row_of(new_ids[1])
    assert second is not None
    assert second in pane.visible_rows()
    assert model.index(second, 2).data() == "Pulled QBO-NEW-2"
    edited_row = model.row_of(edited_id)
    assert edited_row is not None
    assert model.index(edited_row, 2).data() == "Updated in QBO"
    assert model.row_of(deleted_above) is None
    # The user's place: the same entries current and selected, the scroll bar where it was.
    assert model.entry_id(pane.table.currentIndex().row()) == selected[0]
    assert sorted(pane.selected_entry_ids()) == sorted(selected)
    assert pane.table.verticalScrollBar().value() == scroll
    # The rows on screen came with the ids: none waits for a page ("Loading…").
    assert all(model.loaded_row(r) is not None for r in pane.visible_rows())
    assert pane.count_label.text() == f"{before + 1:,} entries"


def test_a_sync_that_only_updates_repaints_just_the_rows_that_changed(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int,
) -> None:
    pane = shown_pane(qtbot, ctx)
    model = pane.entry_model
    selected = scroll_and_select(qtbot, pane, 0, [3])
    visible = pane.visible_rows()
    edited_id = model.entry_id(visible.start + 6)
    edited = entry_services.get_entry(db, company_id, edited_id)
    with db.session() as session:
        row = repositories.entry_row(session, company_id, edited_id)
        assert row is not None
        repositories.replace_entry(session, row, dataclasses.replace(edited, memo="Renamed"))

    spy = Spy(pane)
    with qtbot.waitSignal(model.ids_loaded, timeout=5000):
        ctx.notify(SYNC_CHANGES)

    row_now = visible.start + 6
    assert spy.events == [("changed", row_now, row_now)]
    assert model.index(row_now, 2).data() == "Renamed"
    assert model.entry_id(pane.table.currentIndex().row()) == selected[0]


def test_a_pulled_update_that_moves_the_selected_entry_keeps_it_selected(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int,
) -> None:
    pane = shown_pane(qtbot, ctx)
    model = pane.entry_model
    selected = scroll_and_select(qtbot, pane, 20, [30])
    newest = model.loaded_row(0)
    assert newest is not None
    assert newest.date
    moved = entry_services.get_entry(db, company_id, selected[0])
    with db.session() as session:
        row = repositories.entry_row(session, company_id, selected[0])
        assert row is not None
        repositories.replace_entry(session, row, dataclasses.replace(
            moved, date=newest.date + dt.timedelta(days=3)))

    spy = Spy(pane)
    with qtbot.waitSignal(model.ids_loaded, timeout=5000):
        ctx.notify(SYNC_CHANGES)

    assert ("moved", 30, 0) in spy.events
    assert "reset" not in spy.kinds()
    assert model.all_ids() == expected_ids(db, company_id)
    assert pane.table.currentIndex().row() == 0
    assert pane.selected_entry_ids() == selected


def test_a_sync_that_pulls_thousands_of_entries_into_an_empty_ledger_inserts_them_at_once(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int,
) -> None:
    """The benchmark's case (a first sync into new books): one insertion of every row."""
    pane = shown_pane(qtbot, ctx)
    model = pane.entry_model
    with qtbot.waitSignal(model.ids_loaded, timeout=5000):
        model.set_filter(EntryFilter(sources=frozenset({EntrySource.QBO})))
    assert model.rowCount() == 0
    template = entry_services.get_entry(db, company_id, expected_ids(db, company_id)[0])
    start = dt.date(2026, 1, 1)
    with db.session() as session:
        repositories.bulk_insert_entries(session, company_id, [
            sync_entry(template, f"QBO-{n:05d}", start + dt.timedelta(days=n % 180))
            for n in range(3000)])

    spy = Spy(pane)
    with qtbot.waitSignal(model.ids_loaded, timeout=10000):
        ctx.notify(SYNC_CHANGES)

    assert spy.events[0] == ("inserted", 0, 2999)
    assert "reset" not in spy.kinds()
    assert model.rowCount() == 3000
    assert all(model.loaded_row(r) is not None for r in pane.visible_rows())


def test_the_chart_takes_new_balances_in_place_after_a_sync(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int,
) -> None:
    from decimal import Decimal

    from bookkeeper_desktop.gui.ledger.account_tree import BALANCE
    from bookkeeper_desktop.services import accounts as account_services

    pane = shown_pane(qtbot, ctx)
    tree = pane.tree_model
    posted = entry_services.entry_ids(db, company_id, EntryFilter.of_status(EntryStatus.POSTED))
    template = entry_services.get_entry(db, company_id, posted[0])
    account_id = template.lines[0].account_id
    assert account_id is not None
    index = tree.index_of(account_id)
    pane.tree.setCurrentIndex(index)
    pane.tree.collapseAll()
    pane.tree.setExpanded(index.parent(), True)
    expanded_before = [tree.index(r, 0).data() for r in range(tree.rowCount())
                       if pane.tree.isExpanded(tree.index(r, 0))]
    width_before = pane.tree.columnWidth(BALANCE)
    # A large pulled amount: the balance text grows, and its column with it.
    large = dataclasses.replace(template, lines=tuple(
        dataclasses.replace(line, debit=line.debit * 100_000, credit=line.credit * 100_000)
        for line in template.lines))
    with db.session() as session:
        repositories.bulk_insert_entries(session, company_id, [
            sync_entry(large, "QBO-BAL-1", dt.date(2026, 6, 1))])
    resets: list[bool] = []
    cells: list[tuple[int, int]] = []
    tree.modelReset.connect(lambda: resets.append(True))
    tree.dataChanged.connect(lambda first, last, _roles=None: cells.append(
        (first.column(), last.column())))

    with qtbot.waitSignal(pane.chart_loaded, timeout=5000):
        ctx.notify(SYNC_CHANGES)

    assert resets == []
    assert cells
    assert set(cells) == {(BALANCE, BALANCE)}
    balance = account_services.account_balances(db, company_id).get(account_id, Decimal(0))
    shown = tree.index(index.row(), BALANCE, index.parent()).data()
    assert shown in (f"{balance:,.2f}", f"{-balance:,.2f}")  # in the account's natural sign
    assert pane.tree.columnWidth(BALANCE) > width_before
    assert pane.tree.columnWidth(BALANCE) > pane.tree.fontMetrics().horizontalAdvance(shown)
    assert pane.tree.currentIndex().data(0) == index.data(0)
    assert [tree.index(r, 0).data() for r in range(tree.rowCount())
            if pane.tree.isExpanded(tree.index(r, 0))] == expanded_before


def test_a_change_too_large_to_replay_resets_once_and_the_user_keeps_their_place(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int,
) -> None:
    from bookkeeper_desktop.gui.ledger.id_diff import MAX_STEPS

    pane = shown_pane(qtbot, ctx)
    model = pane.entry_model
    selected = scroll_and_select(qtbot, pane, 61, [71, 73, 75])
    scroll = pane.table.verticalScrollBar().value()
    # Every other entry from the top deleted at the provider (the selected rows are odd ones):
    # one step each, too many.
    gone = [model.entry_id(row) for row in range(0, 2 * (MAX_STEPS + 5), 2)]
    with db.session() as session:
        for entry_id in gone:
            row = repositories.entry_row(session, company_id, entry_id)
            assert row is not None
            row.remote_deleted = True

    spy = Spy(pane)
    with qtbot.waitSignal(model.ids_loaded, timeout=5000):
        ctx.notify(SYNC_CHANGES)

    assert [event for event in spy.events if event[0] != "changed"] == [("reset",)]
    assert model.all_ids() == expected_ids(db, company_id)
    assert sorted(pane.selected_entry_ids()) == sorted(selected)
    assert model.entry_id(pane.table.currentIndex().row()) == selected[0]
    assert pane.table.verticalScrollBar().value() == scroll


def test_a_new_filter_still_starts_with_nothing_selected(
    qtbot: QtBot, ctx: AppContext,
) -> None:
    pane = shown_pane(qtbot, ctx)
    scroll_and_select(qtbot, pane, 100, [110])
    with qtbot.waitSignal(pane.entry_model.ids_loaded, timeout=5000):
        pane.entry_model.set_filter(EntryFilter(include_remote_deleted=True))
    assert pane.selected_entry_ids() == []
    assert not pane.table.currentIndex().isValid()


def test_an_entry_deleted_at_the_provider_stays_in_place_marked(
    qtbot: QtBot, ctx: AppContext, db: Database, company_id: int,
) -> None:
    """With the default filter, deleted-at-the-provider entries are shown (marked, not lost):
    the sync's change is one row's `dataChanged`, nothing moves."""
    pane = LedgerPane(ctx)
    qtbot.addWidget(pane)
    pane.resize(1300, 760)
    pane.show()
    model = pane.entry_model
    qtbot.waitUntil(lambda: not model.loading and model.rowCount() > 0, timeout=5000)
    scroll_and_select(qtbot, pane, 0, [2])
    entry_id = model.entry_id(4)
    with db.session() as session:
        row = repositories.entry_row(session, company_id, entry_id)
        assert row is not None
        row.remote_deleted = True

    spy = Spy(pane)
    with qtbot.waitSignal(model.ids_loaded, timeout=5000):
        ctx.notify(SYNC_CHANGES)

    assert spy.events == [("changed", 4, 4)]
    assert model.entry_id(4) == entry_id
    assert "· deleted in" in model.index(4, 5).data()
    assert model.index(4, 1).data(Qt.ItemDataRole.FontRole).strikeOut()
