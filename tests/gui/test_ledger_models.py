"""The ledger's models: the lazy entry table (ids held, rows fetched in pages in the database lane,
partial updates) and the chart-of-accounts tree; `qtmodeltester` on both."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

import pytest
from PySide6.QtCore import QModelIndex, Qt, QThread
from PySide6.QtWidgets import QTreeView
from pytestqt.qtbot import QtBot

from bookkeeper_desktop.core.accounts import Account, AccountType
from bookkeeper_desktop.core.journal import EntrySource, EntryStatus
from bookkeeper_desktop.gui.ledger.account_tree import (
    ACCOUNT_ID_ROLE,
    BALANCE,
    CODE,
    FULL_NAME_ROLE,
    NAME,
    TYPE,
    AccountTreeModel,
    AccountTreeState,
)
from bookkeeper_desktop.gui.ledger.entry_table import (
    ENTRY_ID_ROLE,
    LOADING,
    STATUS_ROLE,
    EntryTableModel,
    SortSpec,
)
from bookkeeper_desktop.jobs import JobRunner


@dataclass(frozen=True)
class Row:
    id: int
    date: dt.date | None
    number: str
    memo: str
    status: EntryStatus
    source: EntrySource
    total: Decimal
    line_count: int
    remote_deleted: bool = False


class ListSource:
    """An in-memory entry source that records which thread and which ids it was asked for."""

    def __init__(self, rows: Sequence[Row]) -> None:
        self.rows_by_id = {row.id: row for row in rows}
        self.row_requests: list[list[int]] = []
        self.threads: set[object] = set()
        self.fail_next = False

    def ids(self, entry_filter: Callable[[Row], bool] | None, sort: SortSpec) -> list[int]:
        self.threads.add(QThread.currentThread())
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("disk on fire")
        keys = {"date": lambda r: (r.date, r.id), "number": lambda r: r.number,
                "total": lambda r: r.total, "status": lambda r: r.status.value,
                "memo": lambda r: r.memo, "source": lambda r: r.source.value}
        rows = [r for r in self.rows_by_id.values() if entry_filter is None or entry_filter(r)]
        rows.sort(key=keys[sort.key], reverse=sort.descending)
        return [r.id for r in rows]

    def rows(self, ids: Sequence[int]) -> list[Row]:
        self.threads.add(QThread.currentThread())
        self.row_requests.append(list(ids))
        return [self.rows_by_id[i] for i in ids if i in self.rows_by_id]


def replace_row(source: ListSource, entry_id: int) -> tuple[object, ...]:
    """The row as the table caches it (plain values)."""
    row = source.rows_by_id[entry_id]
    return (row.id, row.date, row.number, row.memo, row.status.value, row.source.value,
            row.total, row.line_count, row.remote_deleted, "")  # no Sync text: not connected


def make_rows(count: int) -> list[Row]:
    start = dt.date(2026, 1, 1)
    statuses = list(EntryStatus)
    return [
        Row(i, start + dt.timedelta(days=i % 300), f"JE-{i:05d}", f"Entry {i}",
            statuses[i % 4], EntrySource.MANUAL, Decimal(i) + Decimal("0.50"), 2 + i % 3)
        for i in range(1, count + 1)
    ]


@pytest.fixture
def runner() -> Iterator[JobRunner]:
    jobs = JobRunner()
    yield jobs
    assert jobs.shutdown()


def loaded_model(
    qtbot: QtBot, runner: JobRunner, source: ListSource, *, entry_filter: object = None,
    page_size: int = 50,
) -> EntryTableModel:
    model = EntryTableModel(source, runner, page_size=page_size, max_cached_pages=4)
    with qtbot.waitSignal(model.ids_loaded, timeout=5000):
        model.set_filter(entry_filter)
    return model


def wait_loaded(qtbot: QtBot, model: EntryTableModel, row: int) -> None:
    model.index(row, 0).data()
    qtbot.waitUntil(lambda: model.loaded_row(row) is not None, timeout=5000)


def test_rows_are_fetched_in_pages_only_when_asked_for_in_the_db_lane(
    qtbot: QtBot, runner: JobRunner,
) -> None:
    source = ListSource(make_rows(1000))
    model = loaded_model(qtbot, runner, source)
    assert model.rowCount() == 1000
    # The first page came with the ids; nothing else is read until a cell is shown.
    assert source.row_requests == [model.all_ids()[:50]]
    first = model.loaded_row(0)
    assert first is not None
    assert model.index(0, 0).data() == first.date.isoformat()  # type: ignore[union-attr]
    assert model.index(0, 4).data() == f"{first.total:,.2f}"
    assert model.index(0, 5).data(STATUS_ROLE) == first.status
    # The id is known before the row is loaded (bulk actions need no rows).
    assert model.index(120, 0).data(ENTRY_ID_ROLE) == model.entry_id(120)
    assert model.index(120, 0).data() == LOADING
    with qtbot.waitSignal(model.dataChanged, timeout=5000) as changed:
        pass
    top_left, bottom_right = changed.args[0], changed.args[1]
    assert (top_left.row(), bottom_right.row()) == (100, 149)
    assert len(source.row_requests) == 2
    assert source.row_requests[1] == model.all_ids()[100:150]
    assert source.threads == {runner.lane_thread("db")}
    assert model.index(120, 1).data() == source.rows_by_id[model.entry_id(120)].number


def test_the_default_sort_is_newest_first_and_sorting_runs_in_the_source(
    qtbot: QtBot, runner: JobRunner,
) -> None:
    source = ListSource(make_rows(120))
    model = loaded_model(qtbot, runner, source)
    dates = [source.rows_by_id[i].date for i in model.all_ids()]
    assert dates == sorted(dates, reverse=True)
    with qtbot.waitSignal(model.ids_loaded, timeout=5000):
        model.sort(4, Qt.SortOrder.AscendingOrder)
    assert model.sort_spec == SortSpec("total", descending=False)
    assert model.all_ids()[:3] == [1, 2, 3]
    # The Lines column cannot be sorted: nothing is queried.
    with qtbot.assertNotEmitted(model.ids_loaded, wait=100):
        model.sort(3, Qt.SortOrder.AscendingOrder)
    assert model.sort_spec.key == "total"


def test_the_filter_goes_to_the_source(qtbot: QtBot, runner: JobRunner) -> None:
    source = ListSource(make_rows(200))
    model = loaded_model(qtbot, runner, source,
                         entry_filter=lambda r: r.status is EntryStatus.POSTED)
    assert model.rowCount() == 50
    assert all(source.rows_by_id[i].status is EntryStatus.POSTED for i in model.all_ids())


def test_the_page_cache_is_bounded(qtbot: QtBot, runner: JobRunner) -> None:
    source = ListSource(make_rows(1000))
    model = loaded_model(qtbot, runner, source, page_size=50)
    for row in range(0, 1000, 50):
        wait_loaded(qtbot, model, row)
    assert model.cached_pages == 4
    assert model.loaded_row(0) is None  # the oldest pages were let go
    assert model.loaded_row(999) is not None


def test_scrolling_past_many_pages_fetches_the_last_ones_asked_for_first(
    qtbot: QtBot, runner: JobRunner,
) -> None:
    source = ListSource(make_rows(5000))
    model = loaded_model(qtbot, runner, source, page_size=50)
    for row in range(0, 5000, 50):  # a fast drag over 100 pages
        model.index(row, 0).data()
    qtbot.waitUntil(lambda: model.loaded_row(4999) is not None, timeout=5000)
    qtbot.wait(50)
    # Only a handful of the pages passed over were read, not all hundred.
    assert len(source.row_requests) <= 9


def test_refresh_with_the_same_ids_signals_only_the_rows_that_changed(
    qtbot: QtBot, runner: JobRunner,
) -> None:
    source = ListSource(make_rows(100))
    model = loaded_model(qtbot, runner, source, page_size=50)
    wait_loaded(qtbot, model, 0)
    changed_id = model.entry_id(3)
    source.rows_by_id[changed_id] = replace(source.rows_by_id[changed_id], memo="Edited")
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    with qtbot.waitSignal(model.dataChanged, timeout=5000) as changed:
        model.refresh()
    assert (changed.args[0].row(), changed.args[1].row()) == (3, 3)
    assert model.index(3, 2).data() == "Edited"
    assert resets == []


def test_refresh_with_different_ids_removes_and_inserts_rows_in_place(
    qtbot: QtBot, runner: JobRunner, qtmodeltester,  # type: ignore[no-untyped-def]
) -> None:
    source = ListSource(make_rows(1000))
    model = loaded_model(qtbot, runner, source, page_size=50)
    qtmodeltester.check(model)  # stays connected: every signal below is checked by Qt's tester
    gone = [model.entry_id(row) for row in (0, 1, 2, 500)]
    for entry_id in gone:
        del source.rows_by_id[entry_id]
    new_rows = [replace(row, id=5000 + row.id) for row in make_rows(3)]
    source.rows_by_id.update({row.id: row for row in new_rows})
    resets: list[bool] = []
    removed: list[tuple[int, int]] = []
    inserted: list[tuple[int, int]] = []
    model.modelReset.connect(lambda: resets.append(True))
    model.rowsRemoved.connect(lambda _p, first, last: removed.append((first, last)))
    model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    with qtbot.waitSignal(model.ids_loaded, timeout=5000):
        model.refresh(range(0, 30))
    assert resets == []
    assert model.all_ids() == source.ids(None, SortSpec())
    assert model.rowCount() == 999
    assert removed == [(500, 500), (0, 2)]  # bottom-up, as ranges
    # The new rows sort by date among the others: each run of them is one insertion.
    assert sum(last - first + 1 for first, last in inserted) == 3
    # The visible page came with the ids: no "Loading…" on screen after a refresh.
    assert all(model.loaded_row(row) is not None for row in range(30))
    assert model.index(0, 1).data() == source.rows_by_id[model.entry_id(0)].number


def test_a_diff_too_large_to_replay_resets_once(qtbot: QtBot, runner: JobRunner) -> None:
    from bookkeeper_desktop.gui.ledger.id_diff import MAX_STEPS

    source = ListSource(make_rows(1000))
    model = loaded_model(qtbot, runner, source, page_size=50)
    # Every other row of the table: as many separate runs, one step each.
    for entry_id in [model.entry_id(row) for row in range(0, 2 * (MAX_STEPS + 1), 2)]:
        del source.rows_by_id[entry_id]
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    with qtbot.waitSignal(model.ids_loaded, timeout=5000):
        model.refresh(range(0, 30))
    assert resets == [True]
    assert model.all_ids() == source.ids(None, SortSpec())
    assert model.loaded_row(0) is not None


def test_an_entry_whose_sort_key_changed_moves_with_its_selection(
    qtbot: QtBot, runner: JobRunner, qtmodeltester,  # type: ignore[no-untyped-def]
) -> None:
    from PySide6.QtCore import QItemSelectionModel
    from PySide6.QtWidgets import QTableView

    source = ListSource(make_rows(300))
    model = loaded_model(qtbot, runner, source, page_size=50)
    qtmodeltester.check(model)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    moving = model.entry_id(40)
    view.setCurrentIndex(model.index(40, 0))
    view.selectionModel().select(model.index(40, 0), QItemSelectionModel.SelectionFlag.Rows
                                 | QItemSelectionModel.SelectionFlag.ClearAndSelect)
    # A pulled update gives it the newest date: sorted newest first, it goes to the top.
    source.rows_by_id[moving] = replace(source.rows_by_id[moving], date=dt.date(2027, 1, 1))
    moved: list[tuple[int, int]] = []
    model.rowsMoved.connect(lambda _p, first, _last, _d, to: moved.append((first, to)))
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    with qtbot.waitSignal(model.ids_loaded, timeout=5000):
        model.refresh(range(0, 30))
    assert moved == [(40, 0)]
    assert resets == []
    assert model.entry_id(0) == moving
    assert view.currentIndex().row() == 0
    assert [index.row() for index in view.selectionModel().selectedRows()] == [0]
    assert model.index(0, 0).data() == "2027-01-01"


def test_a_refresh_that_overtakes_a_new_filter_still_answers_it_with_a_reset(
    qtbot: QtBot, runner: JobRunner,
) -> None:
    source = ListSource(make_rows(200))
    model = loaded_model(qtbot, runner, source)
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    loaded: list[int] = []
    model.ids_loaded.connect(loaded.append)
    model.set_filter(lambda r: r.id > 3)  # the three oldest go: a diff of one step
    model.refresh(range(0, 30))  # a change notice right behind the user's new filter
    qtbot.waitUntil(lambda: loaded != [], timeout=5000)
    qtbot.wait(50)
    assert loaded == [197]  # the filter's query was dropped for the refresh, not lost
    assert resets == [True]  # a new filter shows its first page from the top, as ever
    assert model.all_ids() == source.ids(lambda r: r.id > 3, SortSpec())
    assert model.loaded_row(0) is not None


def test_a_page_read_for_the_old_ids_is_dropped_and_asked_for_again(
    qtbot: QtBot, runner: JobRunner,
) -> None:
    source = ListSource(make_rows(1000))
    model = loaded_model(qtbot, runner, source, page_size=50)
    del source.rows_by_id[model.entry_id(0)]
    changed: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda first, last, _roles=None: changed.append(
        (first.row(), last.row())))
    loaded: list[int] = []
    model.ids_loaded.connect(loaded.append)
    model.refresh(range(0, 30))
    model.index(600, 0).data()  # a page of the old ids, asked for after the refresh was
    # Row 600 now holds another entry: the page cut from the old list is not shown there; the
    # view is told to repaint those rows, and what it asks for then is read from the new list.
    qtbot.waitUntil(lambda: loaded != [] and (600, 649) in changed, timeout=5000)
    assert model.loaded_row(600) is None
    wait_loaded(qtbot, model, 600)
    assert model.loaded_row(600) == tuple(replace_row(source, model.entry_id(600)))


def test_an_entry_deleted_at_the_provider_is_marked_not_hidden(
    qtbot: QtBot, runner: JobRunner,
) -> None:
    rows = make_rows(3)
    rows[1] = replace(rows[1], source=EntrySource.QBO, remote_deleted=True, memo="Rent")
    model = loaded_model(qtbot, runner, ListSource(rows))
    gone = model.row_of(rows[1].id)
    kept = model.row_of(rows[0].id)
    assert gone is not None
    assert kept is not None
    status = rows[1].status.value.capitalize()
    assert model.index(gone, 5).data() == f"{status} · deleted in QBO"
    assert model.index(gone, 2).data(Qt.ItemDataRole.FontRole).strikeOut()
    assert "Deleted or voided in QBO" in model.index(gone, 2).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(gone, 2).data(Qt.ItemDataRole.ToolTipRole).startswith("Rent\n")
    assert model.index(kept, 5).data() == rows[0].status.value.capitalize()
    assert model.index(kept, 2).data(Qt.ItemDataRole.ToolTipRole) == rows[0].memo
    if rows[0].status is not EntryStatus.VOID:
        assert model.index(kept, 2).data(Qt.ItemDataRole.FontRole) is None


def test_a_failed_read_is_reported(qtbot: QtBot, runner: JobRunner) -> None:
    source = ListSource(make_rows(10))
    model = EntryTableModel(source, runner)
    source.fail_next = True
    with qtbot.waitSignal(model.load_failed, timeout=5000) as failed:
        model.set_filter(None)
    assert isinstance(failed.args[0], RuntimeError)
    assert not model.loading


def test_a_stale_query_result_is_dropped(qtbot: QtBot, runner: JobRunner) -> None:
    source = ListSource(make_rows(100))
    model = EntryTableModel(source, runner)
    model.set_filter(lambda r: r.id <= 10)
    with qtbot.waitSignal(model.ids_loaded, timeout=5000) as loaded:
        model.set_filter(lambda r: r.id <= 20)
    qtbot.wait(50)
    assert loaded.args == [20]
    assert model.rowCount() == 20


def test_entry_table_passes_the_model_tester(
    qtbot: QtBot, runner: JobRunner, qtmodeltester,  # type: ignore[no-untyped-def]
) -> None:
    source = ListSource(make_rows(300))
    model = loaded_model(qtbot, runner, source)
    qtmodeltester.check(model)
    qtbot.waitUntil(lambda: model.loaded_row(0) is not None, timeout=5000)
    qtmodeltester.check(model)


# --- chart of accounts tree -------------------------------------------------------------------

CHART = [
    Account("Assets", AccountType.OTHER_CURRENT_ASSET, code="1000", id=1),
    Account("Assets:Checking", AccountType.BANK, code="1010", id=2),
    Account("Assets:Savings", AccountType.BANK, code="1020", id=3),
    Account("Income:Sales", AccountType.INCOME, code="4000", id=4),  # parent "Income" not listed
    Account("Expenses:Rent", AccountType.EXPENSE, code="6000", id=5),
    Account("Expenses:Old", AccountType.EXPENSE, code="6900", id=6, active=False),
    Account("Expenses", AccountType.EXPENSE, code="5999", id=7),
]
BALANCES = {2: Decimal("100.00"), 3: Decimal("50.25"), 4: Decimal("-300.00"),
            5: Decimal("149.75"), 6: Decimal("0")}


def tree(accounts: Sequence[Account] = CHART) -> AccountTreeModel:
    model = AccountTreeModel()
    model.set_accounts(accounts, BALANCES)
    return model


def test_new_balances_for_the_same_chart_change_just_their_cells(
    qtmodeltester,  # type: ignore[no-untyped-def]
) -> None:
    model = tree()
    qtmodeltester.check(model)
    resets: list[bool] = []
    changed: list[tuple[str, int, int]] = []
    model.modelReset.connect(lambda: resets.append(True))
    model.dataChanged.connect(lambda first, last, _roles=None: changed.append(
        (first.siblingAtColumn(NAME).data(), first.column(), last.column())))
    # Checking got 20 more: it, and Assets that sums it, change; nothing else does.
    assert model.update_balances(CHART, {**BALANCES, 2: Decimal("120.00")})
    assert resets == []
    assert sorted(changed) == [("Assets", BALANCE, BALANCE), ("Checking", BALANCE, BALANCE)]
    assets = model.index_of(1)
    assert model.index(assets.row(), BALANCE).data() == "170.25"
    checking = model.index_of(2)
    assert model.index(checking.row(), BALANCE, checking.parent()).data() == "120.00"
    # The same chart listed in another order is the same chart.
    assert model.update_balances(list(reversed(CHART)), BALANCES)
    assert resets == []
    assert model.index(assets.row(), BALANCE).data() == "150.25"
    # Another chart is not patched: the caller rebuilds.
    renamed = [*CHART[:-1], replace(CHART[-1], code="5998")]
    assert not model.update_balances(renamed, BALANCES)
    assert model.index(1, NAME).data() == "Expenses"


def test_the_tree_follows_parent_child_paths_with_code_type_and_balance() -> None:
    model = tree()
    top = [model.index(r, NAME).data() for r in range(model.rowCount())]
    assert top == ["Assets", "Expenses", "Income"]
    assets = model.index_of_path("Assets")
    assert [model.index(r, NAME, assets).data() for r in range(model.rowCount(assets))] == [
        "Checking", "Savings"]
    checking = model.index_of(2)
    assert checking.parent() == assets
    assert model.index(checking.row(), CODE, assets).data() == "1010"
    assert model.index(checking.row(), TYPE, assets).data() == "Bank"
    # Parents include their sub-accounts; income shows credits as positive.
    assert model.index(assets.row(), BALANCE).data() == "150.25"
    assert model.index(model.index_of_path("Income").row(), BALANCE).data() == "300.00"
    sales = model.index_of(4)
    assert model.index(sales.row(), BALANCE, sales.parent()).data() == "300.00"


def test_a_parent_missing_from_the_chart_is_shown_but_is_not_an_account() -> None:
    model = tree()
    income = model.index_of_path("Income")
    assert income.isValid()
    assert income.data(ACCOUNT_ID_ROLE) is None
    assert model.account(income) is None
    assert income.data(Qt.ItemDataRole.FontRole).italic()
    assert "not an account" in income.data(Qt.ItemDataRole.ToolTipRole)


def test_inactive_accounts_are_hidden_until_asked_for() -> None:
    model = tree()
    assert not model.index_of(6).isValid()
    model.set_show_inactive(True)
    old = model.index_of(6)
    assert old.isValid()
    assert old.data(FULL_NAME_ROLE) == "Expenses:Old"
    assert "Inactive" in old.data(Qt.ItemDataRole.ToolTipRole)


def test_the_view_keeps_expanded_rows_and_selection_across_a_rebuild(qtbot: QtBot) -> None:
    model = tree()
    view = QTreeView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.setExpanded(model.index_of_path("Assets"), True)
    view.setCurrentIndex(model.index_of(3))
    state = AccountTreeState.capture(view, model)
    model.set_accounts([*CHART, Account("Assets:Petty cash", AccountType.BANK, id=8)], BALANCES)
    assert not view.isExpanded(model.index_of_path("Assets"))
    state.restore(view, model)
    assert view.isExpanded(model.index_of_path("Assets"))
    assert view.currentIndex().data(ACCOUNT_ID_ROLE) == 3
    assert model.index_of(8).isValid()


def test_tree_passes_the_model_tester(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    model = tree()
    qtmodeltester.check(model)
    model.set_show_inactive(True)
    qtmodeltester.check(model)
    empty = AccountTreeModel()
    qtmodeltester.check(empty)
    assert not empty.index(0, 0, QModelIndex()).isValid()


def test_cached_rows_are_invisible_to_the_garbage_collector(
    qtbot: QtBot, runner: JobRunner,
) -> None:
    import gc

    source = ListSource(make_rows(3000))
    model = EntryTableModel(source, runner, page_size=200, max_cached_pages=64)
    with qtbot.waitSignal(model.ids_loaded, timeout=5000):
        model.set_filter(None)
    gc.collect()
    before = len(gc.get_objects())
    for row in range(0, 3000, 200):
        wait_loaded(qtbot, model, row)
    assert model.cached_pages == 15
    gc.collect()
    # 3,000 cached rows, yet (almost) nothing more for a full collection to walk.
    assert len(gc.get_objects()) - before < 300
    row = model.loaded_row(2999)
    assert row is not None
    assert row.status in {s.value for s in EntryStatus}


def test_paths_that_differ_only_in_case_share_their_parent() -> None:
    model = AccountTreeModel()
    model.set_accounts([Account("Expenses", AccountType.EXPENSE, id=1),
                        Account("expenses:Travel", AccountType.EXPENSE, id=2),
                        Account("EXPENSES:Meals", AccountType.EXPENSE, id=3)],
                       {2: Decimal("2.00"), 3: Decimal("3.00")})
    assert model.rowCount() == 1
    top = model.index(0, NAME)
    assert [model.index(r, NAME, top).data() for r in range(model.rowCount(top))] == [
        "Meals", "Travel"]
    assert model.index(0, BALANCE).data() == "5.00"
    assert model.index_of_path("EXPENSES:travel") == model.index_of(2)
