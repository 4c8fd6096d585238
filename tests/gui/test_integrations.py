"""The Integrations pane: every card state, the mapping editor, the sync log, the data source."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QGuiApplication
from pytestqt.qtbot import QtBot

from bookkeeper_desktop.core.changes import Changes
from bookkeeper_desktop.core.errors import NetworkError, ReconnectNeeded
from bookkeeper_desktop.core.progress import ProgressSnapshot
from bookkeeper_desktop.gui.context import AppContext
from bookkeeper_desktop.gui.integrations import IntegrationsPane, ProviderCard
from bookkeeper_desktop.gui.integrations.models import (
    MappingColumn,
    MappingTableModel,
    RowRole,
    SyncColumn,
    SyncLogModel,
)
from bookkeeper_desktop.gui.integrations.source import (
    IntegrationsSnapshot,
    ServicesSource,
    card_state_for,
)
from bookkeeper_desktop.gui.integrations.state import (
    CardState,
    LastSync,
    MappingRow,
    MappingState,
    Phase,
    SyncRunRow,
    Tenant,
)
from bookkeeper_desktop.providers.config import Provider
from bookkeeper_desktop.services import ConnectionInfo, ConnectionStatus
from bookkeeper_desktop.services import connections as connection_service

NOW = dt.datetime(2026, 3, 14, 9, 30, tzinfo=dt.UTC)
AUTH_URL = "https://appcenter.intuit.com/connect/oauth2?client_id=abc&state=xyz"


def make_card(qtbot: QtBot, state: CardState) -> ProviderCard:
    card = ProviderCard(state)
    qtbot.addWidget(card)
    return card


def shown(card: ProviderCard, *names: str) -> set[str]:
    """Which of the card's buttons a user can see."""
    buttons = {
        "connect": card.connect_button, "reconnect": card.reconnect_button,
        "retry": card.retry_button, "sync": card.sync_button, "cancel": card.cancel_button,
        "disconnect": card.disconnect_button,
    }
    return {name for name, button in buttons.items() if button.isVisibleTo(card)}


CONNECTED = CardState.connected(Provider.QBO, "Craig's Design and Landscaping",
                                last_sync=LastSync(NOW, True, "12 pulled, 3 pushed"),
                                auto_sync_minutes=15)

# -- the card, state by state --------------------------------------------------------------------


def test_not_connected(qtbot: QtBot) -> None:
    card = make_card(qtbot, CardState.not_connected(Provider.QBO))
    assert card.headline.text() == "Not connected"
    assert "QuickBooks Online" in card.detail.text()
    assert shown(card) == {"connect"}
    assert not card.url_row.isVisibleTo(card)
    with qtbot.waitSignal(card.connect_requested):
        qtbot.mouseClick(card.connect_button, Qt.MouseButton.LeftButton)


def test_waiting_for_browser_shows_the_url_to_copy(qtbot: QtBot) -> None:
    card = make_card(qtbot, CardState.waiting_for_browser(Provider.QBO, AUTH_URL))
    assert card.headline.text() == "Waiting for your browser…"
    assert card.url_row.isVisibleTo(card)
    assert card.url_edit.text() == AUTH_URL
    assert card.url_edit.isReadOnly()
    assert shown(card) == {"cancel"}
    qtbot.mouseClick(card.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == AUTH_URL
    assert card.copy_button.text() == "Copied ✓"  # it says so
    qtbot.waitUntil(lambda: card.copy_button.text() == "Copy",
                    timeout=card.COPIED_MS + 2000)
    with qtbot.waitSignal(card.cancel_requested):
        qtbot.mouseClick(card.cancel_button, Qt.MouseButton.LeftButton)


def test_choose_tenant(qtbot: QtBot) -> None:
    tenants = [Tenant("t-1", "Demo Company (AU)"), Tenant("t-2", "Bakery Ltd")]
    card = make_card(qtbot, CardState.choose_tenant(Provider.XERO, tenants))
    assert card.tenant_row.isVisibleTo(card)
    assert "organisations" in card.detail.text()
    assert [card.tenant_combo.itemText(i) for i in range(2)] == ["Demo Company (AU)",
                                                                 "Bakery Ltd"]
    card.tenant_combo.setCurrentIndex(1)
    with qtbot.waitSignal(card.tenant_chosen) as chosen:
        qtbot.mouseClick(card.choose_button, Qt.MouseButton.LeftButton)
    assert chosen.args == ["t-2"]


def test_connected_with_last_sync_and_auto_sync(qtbot: QtBot) -> None:
    card = make_card(qtbot, CONNECTED)
    assert card.headline.text() == "Connected to Craig's Design and Landscaping"
    assert "Last sync" in card.detail.text()
    assert "12 pulled, 3 pushed" in card.detail.text()
    assert shown(card) == {"sync", "disconnect"}
    assert card.auto_row.isVisibleTo(card)
    assert card.auto_sync.value() == 15
    with qtbot.waitSignal(card.auto_sync_changed) as changed:
        card.auto_sync.setValue(30)
    assert changed.args == [30]
    with qtbot.waitSignal(card.sync_requested):
        qtbot.mouseClick(card.sync_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(card.disconnect_requested):
        qtbot.mouseClick(card.disconnect_button, Qt.MouseButton.LeftButton)


def test_setting_a_state_does_not_echo_auto_sync_changed(qtbot: QtBot) -> None:
    card = make_card(qtbot, CONNECTED)
    echoed: list[int] = []
    card.auto_sync_changed.connect(echoed.append)
    card.set_state(CardState.connected(Provider.QBO, "X", auto_sync_minutes=45))
    assert echoed == []
    assert card.auto_sync.value() == 45


def test_syncing_shows_phase_done_total_and_cancel(qtbot: QtBot) -> None:
    card = make_card(qtbot, CONNECTED.syncing(ProgressSnapshot("Pulling accounts", 40, 120)))
    assert shown(card) == {"cancel"}
    assert card.progress_bar.isVisibleTo(card)
    assert card.progress_bar.maximum() == 120
    assert card.progress_bar.value() == 40
    assert card.progress_label.text() == "Pulling accounts: 40 of 120"
    assert card.time_left_label.text() == "Estimating the time left…"
    card.set_state(card.state.syncing(ProgressSnapshot("Sending entries", 1200, 5000,
                                                       seconds_left=130)))
    assert card.progress_label.text() == "Sending entries: 1,200 of 5,000"
    assert card.time_left_label.text() == "About 2 minutes left"
    card.set_state(card.state.syncing(ProgressSnapshot("Reading transactions from Xero", 4000,
                                                       None)))
    assert card.progress_bar.maximum() == 0, "busy indicator until a total is known"
    assert card.progress_label.text() == "Reading transactions from Xero: 4,000 so far"
    assert card.time_left_label.text() == "No time estimate: the total is not known"
    with qtbot.waitSignal(card.cancel_requested):
        qtbot.mouseClick(card.cancel_button, Qt.MouseButton.LeftButton)
    done = card.state.sync_finished(LastSync(NOW, True, "5 pushed"))
    card.set_state(done)
    assert shown(card) == {"sync", "disconnect"}
    assert "5 pushed" in card.detail.text()


def test_needs_reconnect_says_why(qtbot: QtBot) -> None:
    card = make_card(qtbot, CONNECTED.after_error(
        ReconnectNeeded("The refresh token expired after 100 days.")))
    assert card.state.phase is Phase.NEEDS_RECONNECT
    assert card.headline.text() == "Reconnect needed"
    assert "The refresh token expired after 100 days." in card.detail.text()
    assert shown(card) == {"reconnect", "disconnect"}
    with qtbot.waitSignal(card.connect_requested):
        qtbot.mouseClick(card.reconnect_button, Qt.MouseButton.LeftButton)


def test_error_says_what_to_do(qtbot: QtBot) -> None:
    state = CardState.not_connected(Provider.XERO).after_error(
        NetworkError("identity.xero.com did not answer.", hint="Check your connection."))
    card = make_card(qtbot, state)
    assert card.headline.text() == "Something went wrong"
    assert card.detail.text() == "identity.xero.com did not answer. Check your connection."
    assert shown(card) == {"retry"}, "no Disconnect when nothing is connected"
    with qtbot.waitSignal(card.retry_requested):
        qtbot.mouseClick(card.retry_button, Qt.MouseButton.LeftButton)


def test_unexpected_error_state() -> None:
    state = CONNECTED.after_error(KeyError("x"))
    assert state.phase is Phase.ERROR
    assert "Unexpected problem" in state.detail


def test_a_card_refuses_another_providers_state(qtbot: QtBot) -> None:
    card = make_card(qtbot, CONNECTED)
    with pytest.raises(ValueError, match="QuickBooks Online card"):
        card.set_state(CardState.not_connected(Provider.XERO))


def test_card_state_for_a_stored_connection() -> None:
    info = ConnectionInfo(provider="xero", tenant_id="t-1", remote_company_name="Bakery Ltd",
                          last_sync_at=NOW)
    run = SyncRunRow(1, "xero", "both", "succeeded", NOW, NOW + dt.timedelta(seconds=3),
                     10, 2, 1, 0, "")
    state = card_state_for(Provider.XERO, info, [run], 20)
    assert state.phase is Phase.CONNECTED
    assert state.company_name == "Bakery Ltd"
    assert state.auto_sync_minutes == 20
    assert state.last_sync is not None
    assert state.last_sync.summary == "10 pulled, 2 pushed, 1 conflicts"
    attention = ConnectionInfo(provider="xero", tenant_id="t-1",
                               status=ConnectionStatus.NEEDS_ATTENTION,
                               status_reason="Consent was revoked in Xero.")
    assert card_state_for(Provider.XERO, attention, [], 15).phase is Phase.NEEDS_RECONNECT
    gone = ConnectionInfo(provider="xero", tenant_id=None, status=ConnectionStatus.DISCONNECTED)
    assert card_state_for(Provider.XERO, gone, [], 15).phase is Phase.NOT_CONNECTED
    assert card_state_for(Provider.QBO, None, [], 15).phase is Phase.NOT_CONNECTED


# -- models ---------------------------------------------------------------------------------------

MAPPINGS = [
    MappingRow(1, 10, "1000", "Checking", "bank", "35", "", "Checking", MappingState.CONFIRMED),
    MappingRow(2, 11, "4000", "Sales", "income", "79", "", "Sales of Product Income",
               MappingState.PROPOSED, "same number"),
    MappingRow(None, 12, "6100", "Rent", "expense", "", "", "", MappingState.UNMAPPED),
    MappingRow(4, 13, "6200", "Phone", "expense", "58", "", "Telephone",
               MappingState.REJECTED, "similar name"),
    MappingRow(5, 14, "6210", "Mobile", "expense", "58", "", "Telephone",
               MappingState.CONFLICT, "6200 Phone also maps to Telephone"),
]

RUNS = [
    SyncRunRow(1, "qbo", "pull", "succeeded", NOW - dt.timedelta(days=1),
               NOW - dt.timedelta(days=1) + dt.timedelta(seconds=4), 120, 0, 0, 0, ""),
    SyncRunRow(2, "xero", "push", "failed", NOW, NOW + dt.timedelta(seconds=1.5), 0, 3, 0, 2,
               "2 entries refused: account 6100 is not mapped"),
    SyncRunRow(3, "qbo", "both", "running", NOW + dt.timedelta(minutes=5), None, 7, 0, 0, 0,
               ""),
]


def test_mapping_model_passes_the_model_tester(qtmodeltester: Any) -> None:
    model = MappingTableModel()
    model.set_rows(MAPPINGS)
    qtmodeltester.check(model)


def test_mapping_model_marks_proposals(qapp: object) -> None:
    model = MappingTableModel()
    model.set_rows(MAPPINGS)
    proposed = model.index(1, MappingColumn.STATE)
    assert model.data(proposed) == "Proposed"
    font = model.data(proposed, Qt.ItemDataRole.FontRole)
    assert isinstance(font, QFont)
    assert font.bold()
    assert model.data(proposed, Qt.ItemDataRole.BackgroundRole) is not None
    assert "same number" in model.data(proposed, Qt.ItemDataRole.ToolTipRole)
    confirmed = model.index(0, MappingColumn.STATE)
    assert model.data(confirmed, Qt.ItemDataRole.FontRole) is None
    assert model.data(model.index(2, MappingColumn.REMOTE_NAME)) == "—"
    assert model.data(model.index(0, 0), RowRole) is MAPPINGS[0]
    conflict = model.index(4, MappingColumn.STATE)
    assert model.data(conflict) == "Conflict"
    assert "6200 Phone also maps" in model.data(conflict, Qt.ItemDataRole.ToolTipRole)


def test_mapping_model_updates_one_row_narrowly(qtbot: QtBot) -> None:
    model = MappingTableModel()
    model.set_rows(MAPPINGS)
    with qtbot.waitSignal(model.dataChanged) as changed:
        model.replace_row(1, MappingRow(2, 11, "4000", "Sales", "income", "79", "",
                                        "Sales of Product Income", MappingState.CONFIRMED))
    top, bottom = changed.args[0], changed.args[1]
    assert (top.row(), bottom.row()) == (1, 1)
    assert model.data(model.index(1, MappingColumn.STATE)) == "Confirmed"


def test_the_same_rows_again_do_not_reset_the_tables(qtbot: QtBot) -> None:
    """A refresh after a sync that changed no mapping (the usual case) must not reset and repaint
    the mapping table or the sync log; new rows do."""
    mappings, runs = MappingTableModel(), SyncLogModel()
    mappings.set_rows(MAPPINGS)
    runs.set_rows(RUNS)
    resets: list[str] = []
    mappings.modelReset.connect(lambda: resets.append("mappings"))
    runs.modelReset.connect(lambda: resets.append("runs"))
    mappings.set_rows(list(MAPPINGS))
    runs.set_rows(list(reversed(RUNS)))  # the same runs in another order
    assert resets == []
    renamed = [*MAPPINGS[:1], dataclasses.replace(MAPPINGS[1], remote_name="Sales (renamed)"),
               *MAPPINGS[2:]]
    mappings.set_rows(renamed)
    runs.set_rows(RUNS[:2])
    assert resets == ["mappings", "runs"]
    assert mappings.data(mappings.index(1, MappingColumn.REMOTE_NAME)) == "Sales (renamed)"
    assert runs.rowCount() == 2


def test_sync_log_model(qtmodeltester: Any) -> None:
    model = SyncLogModel()
    model.set_rows(RUNS)
    qtmodeltester.check(model)
    assert [model.row_at(i).run_id for i in range(3)] == [3, 2, 1], "newest first"
    assert model.data(model.index(0, SyncColumn.DURATION)) == "running…"
    assert model.data(model.index(1, SyncColumn.DURATION)) == "1.5 s"
    assert model.data(model.index(1, SyncColumn.PROVIDER)) == "Xero"
    assert model.data(model.index(1, SyncColumn.STATUS)) == "Failed"
    assert model.data(model.index(1, SyncColumn.STATUS),
                      Qt.ItemDataRole.ForegroundRole) is not None
    assert model.data(model.index(2, SyncColumn.PULLED)) == "120"
    assert "not mapped" in model.data(model.index(1, SyncColumn.MESSAGE),
                                      Qt.ItemDataRole.ToolTipRole)


def test_rows_adapt_from_service_records() -> None:
    record = {"id": 9, "account_id": 3, "account_code": "1200", "account_name": "AR",
              "remote_id": "84", "remote_name": "Accounts Receivable (A/R)",
              "state": "proposed", "proposal_reason": "same name"}
    row = MappingRow.from_record(record)
    assert row.mapping_id == 9
    assert row.state is MappingState.PROPOSED
    assert row.reason == "same name"
    assert MappingRow.from_record({**record, "state": "weird"}).state is MappingState.PROPOSED
    run = SyncRunRow.from_record({"id": 4, "provider": "qbo", "direction": "pull",
                                  "status": "succeeded", "started_at": NOW,
                                  "finished_at": NOW, "pulled": 5, "error_count": 1})
    assert (run.run_id, run.pulled, run.errors) == (4, 5, 1)


# -- the pane -------------------------------------------------------------------------------------


class MemorySource:
    """An `IntegrationsSource` over lists, for the views (real services cover the database)."""

    def __init__(self, connections: dict[Provider, Any] | None = None,
                 mappings: dict[Provider, list[MappingRow]] | None = None,
                 runs: list[SyncRunRow] | None = None) -> None:
        self.connections = connections or {}
        self.mappings = mappings or {}
        self.runs = runs or []
        self.changes: list[tuple[int, int | None, MappingState]] = []

    def load(self, company_id: int) -> IntegrationsSnapshot:
        return IntegrationsSnapshot(dict(self.connections),
                                    {p: list(self.mappings.get(p, [])) for p in Provider},
                                    list(self.runs))

    def set_mapping_state(self, company_id: int, row: MappingRow,
                          state: MappingState) -> Changes:
        self.changes.append((company_id, row.mapping_id, state))
        self.mappings[Provider.QBO] = [
            MappingRow(r.mapping_id, r.account_id, r.account_code, r.account_name,
                       r.account_type, r.remote_id, r.remote_code, r.remote_name,
                       state if r.mapping_id == row.mapping_id else r.state, r.reason)
            for r in self.mappings[Provider.QBO]]
        return Changes(mappings=True)

    def set_auto_sync(self, company_id: int, provider: Provider, minutes: int) -> Changes:
        return Changes(connections=True)

    def set_push_only(self, company_id: int, provider: Provider, push_only: bool) -> Changes:
        return Changes(connections=True)


def make_pane(qtbot: QtBot, ctx: AppContext, source: Any) -> IntegrationsPane:
    pane = IntegrationsPane(ctx, source)
    qtbot.addWidget(pane)
    return pane


def test_empty_states_before_any_data(qtbot: QtBot, app_ctx: AppContext,
                                      sample_company: Any) -> None:
    app_ctx.set_company(sample_company.id)
    pane = make_pane(qtbot, app_ctx, MemorySource())
    qtbot.waitSignal(pane.loaded, timeout=5000).wait()
    editor = pane.mapping_editor
    assert editor.stack.currentWidget() is editor.empty
    assert "No account mappings yet" in editor.empty.text()
    assert pane.sync_log.stack.currentWidget() is pane.sync_log.empty
    assert "No syncs yet" in pane.sync_log.empty.text()
    assert all(card.state.phase is Phase.NOT_CONNECTED for card in pane.cards.values())
    assert pane.last_sync_text() == "Not synced yet"
    assert not pane.banner.isVisibleTo(pane)


def test_demo_banner(qtbot: QtBot, app_ctx: AppContext) -> None:
    app_ctx.demo = True
    pane = make_pane(qtbot, app_ctx, MemorySource())
    assert pane.banner.isVisibleTo(pane)
    assert "Demo sandbox — no real data" in pane.banner.text()


def test_pane_shows_connections_mappings_and_log(qtbot: QtBot, app_ctx: AppContext,
                                                 sample_company: Any) -> None:
    app_ctx.set_company(sample_company.id)
    source = MemorySource(
        connections={Provider.QBO: ConnectionInfo(provider="qbo", tenant_id="9130",
                                                  remote_company_name="Craig's Landscaping")},
        mappings={Provider.QBO: list(MAPPINGS)}, runs=list(RUNS))
    pane = IntegrationsPane(app_ctx, source)
    qtbot.addWidget(pane)
    qtbot.waitSignal(pane.loaded, timeout=5000).wait()
    qbo = pane.card(Provider.QBO)
    assert qbo.state.phase is Phase.CONNECTED
    assert qbo.headline.text() == "Connected to Craig's Landscaping"
    assert pane.card(Provider.XERO).state.phase is Phase.NOT_CONNECTED
    editor = pane.mapping_editor
    assert editor.stack.currentWidget() is editor.table
    assert editor.model.rowCount() == 5
    assert editor.summary.text() == "1 confirmed, 1 proposed, 1 in conflict, 1 not mapped"
    editor.only_proposed.setChecked(True)
    assert editor.proxy.rowCount() == 2
    editor.only_proposed.setChecked(False)
    assert [editor.provider_combo.itemText(i) for i in range(2)] == ["QuickBooks Online", "Xero"]
    editor.provider_combo.setCurrentIndex(1)  # Xero has none
    assert editor.provider is Provider.XERO, "the enum, back from the combo's plain string"
    assert editor.stack.currentWidget() is editor.empty
    editor.provider_combo.setCurrentIndex(0)
    assert pane.sync_log.model.rowCount() == 3
    assert pane.last_sync_text().startswith("Last sync: QuickBooks Online")


class CountingSource(MemorySource):
    """A MemorySource that counts the reads the pane makes."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.loads = 0

    def load(self, company_id: int) -> IntegrationsSnapshot:
        self.loads += 1
        return super().load(company_id)


def test_one_sync_end_makes_one_read(qtbot: QtBot, app_ctx: AppContext,
                                     sample_company: Any) -> None:
    """Sync Now through the controller, as the app runs it: the sync's end re-reads the pane
    once (through the controller's change notice, which every view hears), not once for the
    job ending and once more for the notice."""
    from bookkeeper_desktop.core.progress import Progress
    from bookkeeper_desktop.gui.integrations.controller import IntegrationsController

    app_ctx.set_company(sample_company.id)
    source = CountingSource(connections={Provider.QBO: ConnectionInfo(
        provider="qbo", tenant_id="9130", remote_company_name="Craig's Landscaping")},
        runs=list(RUNS))
    pane = IntegrationsPane(app_ctx, source)
    qtbot.addWidget(pane)
    qtbot.waitSignal(pane.loaded, timeout=5000).wait()
    notices: list[Changes] = []
    app_ctx.changes.changed.connect(notices.append)

    def sync(company_id: int, provider: Provider, progress: Progress) -> LastSync:
        return LastSync(NOW, True, "2 pushed")

    controller = IntegrationsController(pane, sync=sync)
    reads_before = source.loads
    with qtbot.waitSignal(pane.loaded, timeout=5000):
        qtbot.mouseClick(pane.card(Provider.QBO).sync_button, Qt.MouseButton.LeftButton)
    assert Provider.QBO not in controller.syncing, "the sync has ended"
    assert [n for n in notices if n.sync_runs] == [
        Changes(sync_runs=True, entries=True, accounts=True, mappings=True)]
    qtbot.wait(300)  # a second read, had one been asked for, would have ended by now
    assert source.loads == reads_before + 1
    qtbot.waitUntil(lambda: pane.card(Provider.QBO).state.phase is Phase.CONNECTED,
                    timeout=pane.MIN_SYNCING_SHOWN_MS + 2000)
    assert "2 pushed" in pane.card(Provider.QBO).detail.text()


def test_notices_of_one_turn_make_one_read(qtbot: QtBot, app_ctx: AppContext,
                                           sample_company: Any) -> None:
    """Several change notices in one turn (the QBO and Xero syncs ending together, a mapping
    saved beside a sync's end) make one read; a notice in a later turn reads again; an explicit
    refresh() reads at once and covers a notice of the same turn; a notice of nothing the pane
    shows reads nothing."""
    app_ctx.set_company(sample_company.id)
    source = CountingSource(mappings={Provider.QBO: list(MAPPINGS)}, runs=list(RUNS))
    pane = IntegrationsPane(app_ctx, source)
    qtbot.addWidget(pane)
    qtbot.waitSignal(pane.loaded, timeout=5000).wait()
    assert source.loads == 1
    with qtbot.waitSignal(pane.loaded, timeout=5000):
        app_ctx.notify(Changes(company=True))
        app_ctx.notify(Changes(company=True, mappings=True))
    qtbot.wait(200)  # a second read, had one been asked for, would have ended by now
    assert source.loads == 2
    with qtbot.waitSignal(pane.loaded, timeout=5000):
        app_ctx.notify(Changes(sync_runs=True))
    assert source.loads == 3
    with qtbot.waitSignal(pane.loaded, timeout=5000):
        app_ctx.notify(Changes(mappings=True))
        pane.refresh()  # reads now, and covers the notice before it
    qtbot.wait(200)
    assert source.loads == 4
    app_ctx.notify(Changes(entries=True))  # nothing the pane shows
    qtbot.wait(200)
    assert source.loads == 4


def test_confirming_a_proposal_goes_through_a_job_and_refreshes(
        qtbot: QtBot, app_ctx: AppContext, sample_company: Any) -> None:
    app_ctx.set_company(sample_company.id)
    source = MemorySource(mappings={Provider.QBO: list(MAPPINGS)})
    pane = IntegrationsPane(app_ctx, source)
    qtbot.addWidget(pane)
    qtbot.waitSignal(pane.loaded, timeout=5000).wait()
    editor = pane.mapping_editor
    editor.only_proposed.setChecked(True)
    editor.table.selectRow(0)
    assert editor.confirm_button.isEnabled()
    assert editor.reject_button.isEnabled()
    notified: list[Changes] = []
    app_ctx.changes.changed.connect(notified.append)
    with qtbot.waitSignal(pane.loaded, timeout=5000):
        qtbot.mouseClick(editor.confirm_button, Qt.MouseButton.LeftButton)
    assert source.changes == [(sample_company.id, 2, MappingState.CONFIRMED)]
    assert Changes(mappings=True) in notified
    assert editor.proxy.rowCount() == 1, "the proposal is confirmed; the conflict remains"
    assert editor.summary.text() == "2 confirmed, 0 proposed, 1 in conflict, 1 not mapped"


def test_flows_drive_cards_and_a_refresh_leaves_a_running_flow_alone(
        qtbot: QtBot, app_ctx: AppContext, sample_company: Any) -> None:
    app_ctx.set_company(sample_company.id)
    pane = IntegrationsPane(app_ctx, MemorySource())
    qtbot.addWidget(pane)
    qtbot.waitSignal(pane.loaded, timeout=5000).wait()
    with qtbot.waitSignal(pane.connect_requested) as requested:
        qtbot.mouseClick(pane.card(Provider.XERO).connect_button, Qt.MouseButton.LeftButton)
    assert requested.args == [Provider.XERO]
    pane.set_card_state(CardState.waiting_for_browser(Provider.XERO, AUTH_URL))
    with qtbot.waitSignal(pane.loaded, timeout=5000):
        app_ctx.notify(Changes(connections=True))
    assert pane.card(Provider.XERO).state.phase is Phase.WAITING_FOR_BROWSER
    with qtbot.waitSignal(pane.cancel_requested) as cancelled:
        qtbot.mouseClick(pane.card(Provider.XERO).cancel_button, Qt.MouseButton.LeftButton)
    assert cancelled.args == [Provider.XERO]


def test_services_source_reads_real_connections(qtbot: QtBot, app_ctx: AppContext,
                                                sample_company: Any) -> None:
    db = app_ctx.services.db
    connection_service.save_connection(db, sample_company.id, ConnectionInfo(
        provider="qbo", tenant_id="9130", remote_company_name="Sandbox Company_US_1"))
    snapshot = ServicesSource(app_ctx.services).load(sample_company.id)
    assert set(snapshot.connections) == {Provider.QBO}
    assert snapshot.connections[Provider.QBO].remote_company_name == "Sandbox Company_US_1"

    app_ctx.set_company(sample_company.id)
    pane = IntegrationsPane(app_ctx)
    qtbot.addWidget(pane)
    qtbot.waitSignal(pane.loaded, timeout=5000).wait()
    assert pane.card(Provider.QBO).headline.text() == "Connected to Sandbox Company_US_1"
    connection_service.set_connection_status(db, sample_company.id, "qbo",
                                             ConnectionStatus.NEEDS_ATTENTION,
                                             "Consent was revoked.")
    with qtbot.waitSignal(pane.loaded, timeout=5000):
        app_ctx.notify(Changes(connections=True))
    assert pane.card(Provider.QBO).state.phase is Phase.NEEDS_RECONNECT
    assert "Consent was revoked." in pane.card(Provider.QBO).detail.text()


def test_auto_sync_interval_is_saved_per_company_and_provider(
        qtbot: QtBot, app_ctx: AppContext, sample_company: Any) -> None:
    db = app_ctx.services.db
    connection_service.save_connection(db, sample_company.id, ConnectionInfo(
        provider="xero", tenant_id="t-1", remote_company_name="Bakery Ltd"))
    app_ctx.set_company(sample_company.id)
    pane = IntegrationsPane(app_ctx)
    qtbot.addWidget(pane)
    qtbot.waitSignal(pane.loaded, timeout=5000).wait()
    card = pane.card(Provider.XERO)
    assert card.auto_sync.value() == 15, "the app setting until the company sets its own"
    with qtbot.waitSignal(pane.loaded, timeout=5000):
        card.auto_sync.setValue(60)
    assert connection_service.integration_settings(db, sample_company.id, "xero") == {
        "auto_sync_minutes": "60"}
    assert card.auto_sync.value() == 60
    again = IntegrationsPane(app_ctx)
    qtbot.addWidget(again)
    qtbot.waitSignal(again.loaded, timeout=5000).wait()
    assert again.card(Provider.XERO).auto_sync.value() == 60


def connected_pane(qtbot: QtBot, ctx: AppContext, company: Any) -> IntegrationsPane:
    ctx.set_company(company.id)
    source = MemorySource(connections={Provider.QBO: ConnectionInfo(
        provider="qbo", tenant_id="9130", remote_company_name="Craig's Landscaping")})
    pane = IntegrationsPane(ctx, source)
    qtbot.addWidget(pane)
    qtbot.waitSignal(pane.loaded, timeout=5000).wait()
    return pane


def test_a_sync_job_drives_the_card_to_its_result(qtbot: QtBot, app_ctx: AppContext,
                                                  sample_company: Any) -> None:
    import threading

    from bookkeeper_desktop.core.progress import Progress

    pane = connected_pane(qtbot, app_ctx, sample_company)
    card = pane.card(Provider.QBO)
    step = threading.Event()

    def sync(progress: Progress) -> int:
        progress.phase("Pulling accounts", total=4)
        progress.report(2, 4)
        step.wait(5)
        return 7

    job = app_ctx.jobs.run(sync, lane="network", title="Syncing with QuickBooks Online")
    pane.follow_sync_job(Provider.QBO, job, lambda n: LastSync(NOW, True, f"{n} pushed"))
    assert card.state.phase is Phase.SYNCING
    qtbot.waitUntil(lambda: card.progress_label.text() == "Pulling accounts: 2 of 4",
                    timeout=3000)
    assert card.progress_bar.value() == 2
    with qtbot.waitSignal(job.ended, timeout=5000):
        step.set()
    qtbot.waitUntil(lambda: card.state.phase is Phase.CONNECTED,
                    timeout=pane.MIN_SYNCING_SHOWN_MS + 2000)
    assert "7 pushed" in card.detail.text()


def test_the_status_bars_cancel_shows_cancelling_on_the_card_too(
        qtbot: QtBot, app_ctx: AppContext, sample_company: Any) -> None:
    import threading

    from bookkeeper_desktop.core.progress import Progress
    from bookkeeper_desktop.gui.status import JobStatusWidget

    pane = connected_pane(qtbot, app_ctx, sample_company)
    card = pane.card(Provider.QBO)
    status = JobStatusWidget(app_ctx.jobs)
    qtbot.addWidget(status)
    step = threading.Event()

    def sync(progress: Progress) -> int:
        progress.phase("Sending entries", total=300)
        while not step.wait(0.05):
            progress.check_cancelled()
        return 7

    job = app_ctx.jobs.run(sync, lane="network", title="Syncing with QuickBooks Online")
    pane.follow_sync_job(Provider.QBO, job, lambda n: LastSync(NOW, True, f"{n} pushed"))
    qtbot.waitUntil(lambda: status.shown_job is job, timeout=3000)
    with qtbot.waitSignal(job.ended, timeout=5000):
        qtbot.mouseClick(status.cancel_button, Qt.MouseButton.LeftButton)
        assert card.progress_label.text().startswith("Cancelling…")
        assert not card.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: card.state.phase is Phase.CONNECTED, timeout=3000)
    assert card.cancel_button.isEnabled()


def test_a_fast_sync_still_shows_syncing_then_its_counts(qtbot: QtBot, app_ctx: AppContext,
                                                         sample_company: Any) -> None:
    import time

    from bookkeeper_desktop.core.progress import Progress

    pane = connected_pane(qtbot, app_ctx, sample_company)
    card = pane.card(Provider.QBO)

    def quick(progress: Progress) -> str:
        progress.phase("Pulling accounts")
        return "pulled 3 new, 0 changed; pushed 2 new"

    started = time.monotonic()
    job = app_ctx.jobs.run(quick, lane="network", title="Syncing with QuickBooks Online")
    pane.follow_sync_job(Provider.QBO, job, lambda text: LastSync(NOW, True, text))
    qtbot.waitSignal(job.ended, timeout=5000).wait()
    assert card.state.phase is Phase.SYNCING, "still showing that it syncs"
    assert card.headline.text().startswith("Syncing")
    assert card.progress_bar.isVisibleTo(card)
    qtbot.waitUntil(lambda: card.state.phase is Phase.CONNECTED, timeout=5000)
    assert time.monotonic() - started >= pane.MIN_SYNCING_SHOWN_MS / 1000 - 0.05
    assert "pulled 3 new, 0 changed; pushed 2 new" in card.detail.text()


def test_cancel_on_the_card_cancels_the_sync_job(qtbot: QtBot, app_ctx: AppContext,
                                                 sample_company: Any) -> None:
    from bookkeeper_desktop.core.progress import Progress

    pane = connected_pane(qtbot, app_ctx, sample_company)
    card = pane.card(Provider.QBO)

    def endless(progress: Progress) -> None:
        while True:
            progress.check_cancelled()
            qtbot_sleep()

    job = app_ctx.jobs.run(endless, lane="network")
    pane.follow_sync_job(Provider.QBO, job, lambda r: LastSync(NOW, True, "never"))
    assert card.cancel_button.isVisibleTo(card)
    with qtbot.waitSignal(job.ended, timeout=5000):
        qtbot.mouseClick(card.cancel_button, Qt.MouseButton.LeftButton)
    assert card.state.phase is Phase.CONNECTED
    assert "never" not in card.detail.text()


def test_a_revoked_consent_during_sync_asks_to_reconnect(
        qtbot: QtBot, app_ctx: AppContext, sample_company: Any) -> None:
    from bookkeeper_desktop.core.progress import Progress

    pane = connected_pane(qtbot, app_ctx, sample_company)

    def revoked(progress: Progress) -> None:
        raise ReconnectNeeded("QuickBooks says access was revoked.")

    job = app_ctx.jobs.run(revoked, lane="network", on_error=lambda e: None)
    pane.follow_sync_job(Provider.QBO, job, lambda r: LastSync(NOW, True, ""))
    # What the sync flow does when its job ends (the controller's change notice).
    job.ended.connect(lambda: app_ctx.notify(Changes(sync_runs=True)))
    with qtbot.waitSignal(pane.loaded, timeout=5000):  # the refresh after the job
        qtbot.waitSignal(job.ended, timeout=5000).wait()
    card = pane.card(Provider.QBO)
    assert card.state.phase is Phase.NEEDS_RECONNECT, "a refresh keeps what the flow said"
    assert "access was revoked" in card.detail.text()
    with qtbot.waitSignal(pane.connect_requested):
        qtbot.mouseClick(card.reconnect_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(pane.loaded, timeout=5000):
        pane.refresh()
    assert card.state.phase is Phase.CONNECTED, "after the user acts, the database decides"


def qtbot_sleep() -> None:
    import time

    time.sleep(0.01)


def test_real_mappings_and_sync_log_from_the_services(
        qtbot: QtBot, app_ctx: AppContext, sample_company: Any) -> None:
    from bookkeeper_desktop.services import accounts as account_service
    from bookkeeper_desktop.services import mappings as mapping_service
    from bookkeeper_desktop.services import sync_runs as sync_run_service

    db = app_ctx.services.db
    chart = {a.code: a for a in account_service.list_accounts(db, sample_company.id)
             if a.active}
    checking, sales = chart["1000"], chart["4000"]
    assert checking.id is not None
    assert sales.id is not None
    mapping_service.propose_mappings(db, sample_company.id, [
        mapping_service.AccountMapping(checking.id, "qbo", "35", None, "Checking",
                                       proposal_reason="same number"),
        mapping_service.AccountMapping(sales.id, "qbo", "79", None, "Sales of Product Income",
                                       proposal_reason="same name"),
    ])
    run = sync_run_service.start_run(db, sample_company.id, "qbo", "pull")
    sync_run_service.finish_run(db, run.id, sync_run_service.RunStatus.SUCCEEDED, pulled=42)

    app_ctx.set_company(sample_company.id)
    pane = IntegrationsPane(app_ctx)
    qtbot.addWidget(pane)
    qtbot.waitSignal(pane.loaded, timeout=5000).wait()
    editor = pane.mapping_editor
    assert editor.stack.currentWidget() is editor.table
    assert editor.model.rowCount() == len(chart), "every account of ours, mapped or not"
    assert editor.summary.text() == f"0 confirmed, 2 proposed, {len(chart) - 2} not mapped"
    assert pane.sync_log.model.rowCount() == 1
    assert pane.sync_log.model.data(pane.sync_log.model.index(0, SyncColumn.PULLED)) == "42"

    editor.only_proposed.setChecked(True)
    rows = {editor.proxy.data(editor.proxy.index(r, 0), RowRole).account_code: r
            for r in range(editor.proxy.rowCount())}
    editor.table.selectRow(rows["1000"])
    with qtbot.waitSignal(pane.loaded, timeout=5000):
        qtbot.mouseClick(editor.confirm_button, Qt.MouseButton.LeftButton)
    stored = mapping_service.mapping_by_account(db, sample_company.id, "qbo")
    assert stored[checking.id].state == mapping_service.MappingState.CONFIRMED

    rows = {editor.proxy.data(editor.proxy.index(r, 0), RowRole).account_code: r
            for r in range(editor.proxy.rowCount())}
    assert list(rows) == ["4000"]
    editor.table.selectRow(rows["4000"])
    with qtbot.waitSignal(pane.loaded, timeout=5000):
        qtbot.mouseClick(editor.reject_button, Qt.MouseButton.LeftButton)
    assert sales.id not in mapping_service.mapping_by_account(db, sample_company.id, "qbo")
    assert editor.summary.text() == f"1 confirmed, 0 proposed, {len(chart) - 1} not mapped"


def test_mapping_filter_proxy_passes_the_model_tester(qtmodeltester: Any, qapp: object) -> None:
    from bookkeeper_desktop.gui.integrations.pane import MappingEditor

    editor = MappingEditor()
    editor.set_rows({Provider.QBO: list(MAPPINGS)})
    editor.only_proposed.setChecked(True)
    qtmodeltester.check(editor.proxy)
    assert editor.proxy.rowCount() == 2
    editor.only_proposed.setChecked(False)
    qtmodeltester.check(editor.proxy)
    assert editor.proxy.rowCount() == len(MAPPINGS)


def test_the_card_keeps_its_height_whatever_it_says(qtbot: QtBot) -> None:
    card = make_card(qtbot, CardState.not_connected(Provider.QBO))
    card.show()
    qtbot.waitExposed(card)
    heights = {card.height()}
    long_message = "; ".join(f"{n} account mapping(s) proposed — check them" for n in range(40))
    for state in (CONNECTED, CONNECTED.syncing(),
                  CONNECTED.sync_finished(LastSync(NOW, True, long_message)),
                  CardState.waiting_for_browser(Provider.QBO, AUTH_URL),
                  CONNECTED.after_error(RuntimeError(long_message))):
        card.set_state(state)
        heights.add(card.height())
    assert len(heights) == 1, "the tabs below do not jump"
    assert long_message in card.detail.text()  # all of it, scrolling within the card


def test_the_badge_is_green_only_when_connected(qtbot: QtBot) -> None:
    card = make_card(qtbot, CardState.not_connected(Provider.QBO))
    assert card.badge_colour == "#9E9E9E"
    assert card.badge.toolTip() == "Not connected"
    card.set_state(CONNECTED)
    assert card.badge_colour == "#2E9E44"
    card.set_state(CONNECTED.after_error(RuntimeError("boom")))
    assert card.badge_colour == "#C0392B"
    xero = make_card(qtbot, CardState.not_connected(Provider.XERO))
    assert xero.badge_colour == "#9E9E9E"
