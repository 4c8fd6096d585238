"""The Integrations cards driven by the real connect flow against the QBO and Xero sandboxes on
loopback (a scripted browser plays the user), and by real sync/disconnect jobs."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from bookkeeper_desktop.core.errors import RemoteError
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.gui.context import AppContext
from bookkeeper_desktop.gui.integrations import IntegrationsPane
from bookkeeper_desktop.gui.integrations.controller import IntegrationsController
from bookkeeper_desktop.gui.integrations.state import LastSync, Phase
from bookkeeper_desktop.providers.config import Provider, ProviderConfig, load_config
from bookkeeper_desktop.providers.connect import ConnectFlow
from bookkeeper_desktop.providers.keychain import Keychain
from bookkeeper_desktop.sandbox.qbo_server import QboSandbox
from bookkeeper_desktop.sandbox.xero_server import DEMO_ORGANISATIONS, XeroSandbox
from bookkeeper_desktop.services import ConnectionInfo, ConnectionStatus
from bookkeeper_desktop.services import connections as connection_service
from bookkeeper_desktop.services import sync_runs as sync_run_service
from bookkeeper_desktop.services.connection_store import DatabaseConnectionStore
from tests.providers.conftest import MemoryKeyring, ScriptedBrowser, sandbox_env

NOW = dt.datetime(2026, 3, 14, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def qbo_sandbox() -> Iterator[QboSandbox]:
    with QboSandbox(limits=False) as sandbox:
        yield sandbox


@pytest.fixture
def xero_sandbox() -> Iterator[XeroSandbox]:
    with XeroSandbox(limits=False) as sandbox:
        yield sandbox


@pytest.fixture
def configs(qbo_sandbox: QboSandbox, xero_sandbox: XeroSandbox
            ) -> dict[Provider, ProviderConfig]:
    return {Provider.QBO: load_config("qbo", env=sandbox_env(qbo=qbo_sandbox)),
            Provider.XERO: load_config("xero", env=sandbox_env(xero=xero_sandbox))}


@pytest.fixture
def browser() -> ScriptedBrowser:
    """Records the URL the app opens; the test plays the user when it wants to."""
    return ScriptedBrowser(act=False)


@pytest.fixture
def pane(qtbot: QtBot, app_ctx: AppContext, sample_company: Any,
         configs: dict[Provider, ProviderConfig], browser: ScriptedBrowser
         ) -> IntegrationsPane:
    app_ctx.set_company(sample_company.id)
    keychain = Keychain(MemoryKeyring())
    store = DatabaseConnectionStore(app_ctx.services.db)

    def make_flow(company_id: int, provider: Provider, choose: Any) -> ConnectFlow:
        return ConnectFlow(company_id, configs[provider], keychain=keychain, store=store,
                           open_browser=browser, choose_tenant=choose, timeout=20)

    widget = IntegrationsPane(app_ctx)
    qtbot.addWidget(widget)
    qtbot.waitSignal(widget.loaded, timeout=5000).wait()
    IntegrationsController(widget, make_flow=make_flow)
    return widget


def wait_for_url(qtbot: QtBot, pane: IntegrationsPane, provider: Provider) -> str:
    card = pane.card(provider)
    qtbot.waitUntil(lambda: card.state.phase is Phase.WAITING_FOR_BROWSER
                    and bool(card.state.auth_url), timeout=5000)
    assert card.url_edit.text() == card.state.auth_url
    return card.state.auth_url


def test_connect_to_qbo_through_the_card(qtbot: QtBot, pane: IntegrationsPane,
                                         browser: ScriptedBrowser, app_ctx: AppContext,
                                         sample_company: Any) -> None:
    card = pane.card(Provider.QBO)
    qtbot.mouseClick(card.connect_button, Qt.MouseButton.LeftButton)
    url = wait_for_url(qtbot, pane, Provider.QBO)
    assert browser.opened == [url], "the system browser was asked to open the consent page"
    assert "code_challenge_method=S256" in url
    assert card.cancel_button.isVisibleTo(card)

    ScriptedBrowser()._run(url)  # the user signs in and allows access
    qtbot.waitUntil(lambda: card.state.phase is Phase.CONNECTED, timeout=10_000)
    assert card.headline.text() == "Connected to Craig's Design and Landscaping Services"
    stored = connection_service.get_connection(app_ctx.services.db, sample_company.id, "qbo")
    assert stored is not None
    assert stored.remote_company_name == "Craig's Design and Landscaping Services"
    with qtbot.waitSignal(pane.loaded, timeout=5000):
        pane.refresh()
    assert card.state.phase is Phase.CONNECTED, "the database agrees after a refresh"


def test_xero_with_several_organisations_asks_which(qtbot: QtBot, pane: IntegrationsPane,
                                                    app_ctx: AppContext,
                                                    sample_company: Any) -> None:
    card = pane.card(Provider.XERO)
    qtbot.mouseClick(card.connect_button, Qt.MouseButton.LeftButton)
    url = wait_for_url(qtbot, pane, Provider.XERO)
    ScriptedBrowser(choose=list(DEMO_ORGANISATIONS))._run(url)  # consents to all three
    qtbot.waitUntil(lambda: card.state.phase is Phase.CHOOSE_TENANT, timeout=10_000)
    names = [card.tenant_combo.itemText(i) for i in range(card.tenant_combo.count())]
    assert sorted(names) == sorted(DEMO_ORGANISATIONS.values())
    # The status bar says what is awaited now: the card's chooser, not the browser.
    phases = [job.snapshot().phase for job in app_ctx.jobs.active_jobs()]
    assert "Choose the organisation on the Xero card" in phases
    assert "Waiting for the browser" not in phases
    card.tenant_combo.setCurrentIndex(names.index("Kowhai Landscaping Ltd"))
    qtbot.mouseClick(card.choose_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: card.state.phase is Phase.CONNECTED, timeout=10_000)
    assert card.headline.text() == "Connected to Kowhai Landscaping Ltd"
    stored = connection_service.get_connection(app_ctx.services.db, sample_company.id, "xero")
    assert stored is not None
    assert stored.tenant_id == "c5d7e9f1-2a4b-4c6d-8e0f-1a3b5c7d9e2f"


def test_cancel_while_waiting_for_the_browser(qtbot: QtBot, pane: IntegrationsPane,
                                              app_ctx: AppContext, sample_company: Any) -> None:
    card = pane.card(Provider.QBO)
    qtbot.mouseClick(card.connect_button, Qt.MouseButton.LeftButton)
    wait_for_url(qtbot, pane, Provider.QBO)
    qtbot.mouseClick(card.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: card.state.phase is Phase.NOT_CONNECTED, timeout=5000)
    qtbot.waitUntil(lambda: not app_ctx.jobs.busy, timeout=5000)
    assert connection_service.get_connection(app_ctx.services.db, sample_company.id,
                                             "qbo") is None
    # Connect works again afterwards.
    qtbot.mouseClick(card.connect_button, Qt.MouseButton.LeftButton)
    wait_for_url(qtbot, pane, Provider.QBO)


def test_a_refused_consent_shows_what_happened_and_try_again(
        qtbot: QtBot, pane: IntegrationsPane) -> None:
    card = pane.card(Provider.QBO)
    qtbot.mouseClick(card.connect_button, Qt.MouseButton.LeftButton)
    url = wait_for_url(qtbot, pane, Provider.QBO)
    ScriptedBrowser(decision="deny")._run(url)
    qtbot.waitUntil(lambda: card.state.phase is Phase.ERROR, timeout=10_000)
    assert card.retry_button.isVisibleTo(card)
    assert card.detail.text()
    qtbot.mouseClick(card.retry_button, Qt.MouseButton.LeftButton)
    wait_for_url(qtbot, pane, Provider.QBO)


def test_sync_now_and_disconnect_run_as_jobs(qtbot: QtBot, app_ctx: AppContext,
                                             sample_company: Any) -> None:
    db = app_ctx.services.db
    connection_service.save_connection(db, sample_company.id, ConnectionInfo(
        provider="xero", tenant_id="t-1", remote_company_name="Bakery Ltd"))
    app_ctx.set_company(sample_company.id)
    pane = IntegrationsPane(app_ctx)
    qtbot.addWidget(pane)
    qtbot.waitSignal(pane.loaded, timeout=5000).wait()
    proceed = threading.Event()
    calls: list[tuple[int, Provider]] = []

    def sync(company_id: int, provider: Provider, progress: Progress) -> LastSync:
        """Like the sync engine: records its run in the sync log."""
        calls.append((company_id, provider))
        run = sync_run_service.start_run(db, company_id, provider.value, "push")
        progress.phase("Pushing entries", total=3)
        progress.report(1, 3)
        proceed.wait(5)
        finished = sync_run_service.finish_run(db, run.id, sync_run_service.RunStatus.SUCCEEDED,
                                               pushed=3, message="3 pushed")
        return LastSync(finished.finished_at or NOW, True, "3 pushed")

    def disconnect(company_id: int, provider: Provider) -> None:
        connection_service.remove_connection(db, company_id, provider.value)

    controller = IntegrationsController(pane, sync=sync, disconnect=disconnect)
    card = pane.card(Provider.XERO)
    qtbot.mouseClick(card.sync_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: card.progress_label.text() == "Pushing entries: 1 of 3",
                    timeout=5000)
    proceed.set()
    qtbot.waitUntil(lambda: card.state.phase is Phase.CONNECTED, timeout=5000)
    assert "3 pushed" in card.detail.text()
    # The refresh after the sync reads the run back from the log.
    qtbot.waitUntil(lambda: pane.sync_log.model.rowCount() == 1, timeout=5000)
    assert "3 pushed" in card.detail.text()
    assert calls == [(sample_company.id, Provider.XERO)]

    qtbot.mouseClick(card.disconnect_button, Qt.MouseButton.LeftButton)
    box = controller.confirm_box
    assert box is not None
    assert box.isVisible()
    assert box.text() == "Disconnect these books from Bakery Ltd?"
    assert "keychain" in box.informativeText()
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.wait(50)
    assert card.state.phase is Phase.CONNECTED, "Cancel keeps the connection"
    assert connection_service.get_connection(db, sample_company.id, "xero") is not None

    qtbot.mouseClick(card.disconnect_button, Qt.MouseButton.LeftButton)
    box = controller.confirm_box
    assert box is not None
    confirm = next(b for b in box.buttons() if b.text() == "Disconnect")
    confirm.click()
    qtbot.waitUntil(lambda: card.state.phase is Phase.NOT_CONNECTED, timeout=5000)
    assert connection_service.get_connection(db, sample_company.id, "xero") is None


def test_a_sync_that_fails_says_what_to_do(qtbot: QtBot, app_ctx: AppContext,
                                           sample_company: Any) -> None:
    connection_service.save_connection(app_ctx.services.db, sample_company.id, ConnectionInfo(
        provider="qbo", tenant_id="9130", remote_company_name="Craig's"))
    app_ctx.set_company(sample_company.id)
    pane = IntegrationsPane(app_ctx)
    qtbot.addWidget(pane)
    qtbot.waitSignal(pane.loaded, timeout=5000).wait()

    def failing(company_id: int, provider: Provider, progress: Progress) -> LastSync:
        raise RemoteError("QuickBooks refused entry JE-7: the account is inactive.",
                          hint="Reactivate the account in QuickBooks, then sync again.")

    IntegrationsController(pane, sync=failing)
    card = pane.card(Provider.QBO)
    qtbot.mouseClick(card.sync_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: card.state.phase is Phase.ERROR, timeout=5000)
    assert "Reactivate the account in QuickBooks" in card.detail.text()


def test_buttons_without_a_flow_say_so(qtbot: QtBot, app_ctx: AppContext,
                                       sample_company: Any) -> None:
    app_ctx.set_company(sample_company.id)
    pane = IntegrationsPane(app_ctx)
    qtbot.addWidget(pane)
    qtbot.waitSignal(pane.loaded, timeout=5000).wait()
    IntegrationsController(pane)
    card = pane.card(Provider.QBO)
    qtbot.mouseClick(card.connect_button, Qt.MouseButton.LeftButton)
    assert card.state.phase is Phase.ERROR
    assert "not set up in this build" in card.detail.text()


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def test_auto_sync_runs_when_the_interval_has_passed(qtbot: QtBot, app_ctx: AppContext,
                                                     sample_company: Any) -> None:
    from bookkeeper_desktop.gui.integrations.autosync import AutoSync

    db = app_ctx.services.db
    for provider in ("qbo", "xero"):
        connection_service.save_connection(db, sample_company.id, ConnectionInfo(
            provider=provider, tenant_id="t", remote_company_name=f"{provider} books"))
    connection_service.set_integration_setting(db, sample_company.id, "xero",
                                               "auto_sync_minutes", "0")  # off for Xero
    run = sync_run_service.start_run(db, sample_company.id, "qbo", "pull")
    finished = sync_run_service.finish_run(db, run.id, sync_run_service.RunStatus.SUCCEEDED)
    assert finished.finished_at is not None
    app_ctx.set_company(sample_company.id)
    pane = IntegrationsPane(app_ctx)
    qtbot.addWidget(pane)
    qtbot.waitSignal(pane.loaded, timeout=5000).wait()
    synced: list[Provider] = []

    def sync(company_id: int, provider: Provider, progress: Progress) -> LastSync:
        synced.append(provider)
        return LastSync(clock.now, True, "done")

    controller = IntegrationsController(pane, sync=sync)
    clock = Clock(finished.finished_at + dt.timedelta(minutes=14))
    auto = AutoSync(controller, clock=clock, check_every_ms=20)
    assert auto.due() == [], "QBO synced 14 min ago (interval 15); Xero's auto-sync is off"
    clock.now += dt.timedelta(minutes=2)
    assert auto.due() == [Provider.QBO]
    auto.start()
    qtbot.waitUntil(lambda: synced == [Provider.QBO], timeout=5000)
    qtbot.waitUntil(lambda: Provider.QBO not in controller.syncing, timeout=5000)
    qtbot.wait(100)  # several more checks: the fresh sync is not due again
    auto.stop()
    assert synced == [Provider.QBO]
    assert [p for p, _ in auto.started] == [Provider.QBO]


def test_auto_sync_leaves_a_card_in_trouble_alone(qtbot: QtBot, app_ctx: AppContext,
                                                  sample_company: Any) -> None:
    from bookkeeper_desktop.gui.integrations.autosync import AutoSync

    connection_service.save_connection(app_ctx.services.db, sample_company.id, ConnectionInfo(
        provider="qbo", tenant_id="t", remote_company_name="Books",
        status=ConnectionStatus.NEEDS_ATTENTION, status_reason="Consent revoked."))
    app_ctx.set_company(sample_company.id)
    pane = IntegrationsPane(app_ctx)
    qtbot.addWidget(pane)
    qtbot.waitSignal(pane.loaded, timeout=5000).wait()
    controller = IntegrationsController(pane, sync=lambda c, p, pr: LastSync(NOW, True, ""))
    assert pane.card(Provider.QBO).state.phase is Phase.NEEDS_RECONNECT
    assert AutoSync(controller).due() == []
    assert AutoSync(IntegrationsController(pane)).due() == [], "no sync wired: nothing due"


@pytest.mark.parametrize(
    ("outcome", "expected_minutes"),
    [("idle", 30), ("busy", 15), ("throttled", 120), ("failed", 30)],
)
def test_auto_sync_backs_off_while_idle_or_throttled(
        qtbot: QtBot, app_ctx: AppContext, sample_company: Any, outcome: str,
        expected_minutes: int) -> None:
    """After a run it started, the next automatic run waits as `bookkeeper sync --watch` does:
    doubled after an idle run, at least Retry-After (or twice the interval) after a failure."""
    from bookkeeper_desktop.gui.integrations.autosync import AutoSync
    from bookkeeper_desktop.services.sync_runs import RunStatus
    from bookkeeper_desktop.sync.engine import SyncResult

    connection_service.save_connection(app_ctx.services.db, sample_company.id, ConnectionInfo(
        provider="qbo", tenant_id="t", remote_company_name="Books"))
    connection_service.set_integration_setting(app_ctx.services.db, sample_company.id, "xero",
                                               "auto_sync_minutes", "0")
    app_ctx.set_company(sample_company.id)
    pane = IntegrationsPane(app_ctx)
    qtbot.addWidget(pane)
    qtbot.waitSignal(pane.loaded, timeout=5000).wait()
    status = RunStatus.FAILED if outcome in ("throttled", "failed") else RunStatus.SUCCEEDED
    result = SyncResult(
        run_id=1, company_id=sample_company.id, provider="qbo", direction="both",
        status=status, message="", counts={"created": 3} if outcome == "busy" else {},
        retry_after=7200.0 if outcome == "throttled" else None)
    clock = Clock(NOW)

    def sync(company_id: int, provider: Provider, progress: Progress) -> LastSync:
        return LastSync(clock.now, result.ok, "done", result=result)

    controller = IntegrationsController(pane, sync=sync)
    auto = AutoSync(controller, clock=clock)
    assert auto.due() == [Provider.QBO], "never synced: due at once"
    auto.check()
    qtbot.waitUntil(lambda: Provider.QBO not in controller.syncing, timeout=5000)
    key = (sample_company.id, Provider.QBO)
    qtbot.waitUntil(lambda: key in auto.next_due, timeout=5000)
    # The card shows "Syncing…" a moment longer (IntegrationsPane.MIN_SYNCING_SHOWN_MS).
    qtbot.waitUntil(lambda: pane.card(Provider.QBO).state.phase is not Phase.SYNCING,
                    timeout=5000)
    assert auto.next_due[key] == NOW + dt.timedelta(minutes=expected_minutes)
    clock.now = NOW + dt.timedelta(minutes=expected_minutes) - dt.timedelta(seconds=1)
    assert auto.due() == []
    clock.now += dt.timedelta(seconds=1)
    assert auto.due() == [Provider.QBO]


@pytest.mark.parametrize("provider", [Provider.QBO, Provider.XERO])
def test_both_providers_sync_once_right_after_connecting(
        qtbot: QtBot, app_ctx: AppContext, sample_company: Any,
        configs: dict[Provider, ProviderConfig], provider: Provider) -> None:
    app_ctx.set_company(sample_company.id)
    keychain = Keychain(MemoryKeyring())
    store = DatabaseConnectionStore(app_ctx.services.db)
    synced: list[Provider] = []

    def make_flow(company_id: int, which: Provider, choose: Any) -> ConnectFlow:
        return ConnectFlow(company_id, configs[which], keychain=keychain, store=store,
                           open_browser=ScriptedBrowser(), choose_tenant=choose, timeout=20)

    def sync(company_id: int, which: Provider, progress: Any) -> LastSync:
        synced.append(which)
        return LastSync(dt.datetime.now(dt.UTC), True, "synced")

    pane = IntegrationsPane(app_ctx)
    qtbot.addWidget(pane)
    qtbot.waitSignal(pane.loaded, timeout=5000).wait()
    IntegrationsController(pane, make_flow=make_flow, sync=sync)
    qtbot.mouseClick(pane.card(provider).connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: synced == [provider], timeout=10_000)
    qtbot.waitUntil(lambda: not app_ctx.jobs.busy, timeout=5000)
    assert synced == [provider]

def test_a_second_provider_is_connected_push_only_after_asking(
        qtbot: QtBot, pane: IntegrationsPane, browser: ScriptedBrowser, app_ctx: AppContext,
        sample_company: Any) -> None:
    controller = pane.findChild(IntegrationsController)
    assert controller is not None
    qbo_card, xero_card = pane.card(Provider.QBO), pane.card(Provider.XERO)
    qtbot.mouseClick(qbo_card.connect_button, Qt.MouseButton.LeftButton)
    ScriptedBrowser()._run(wait_for_url(qtbot, pane, Provider.QBO))
    qtbot.waitUntil(lambda: qbo_card.state.phase is Phase.CONNECTED, timeout=10_000)
    assert controller.confirm_box is None  # the first provider is not asked about
    opened = len(browser.opened)

    # Xero asks first; Cancel leaves it unconnected and opens nothing.
    qtbot.mouseClick(xero_card.connect_button, Qt.MouseButton.LeftButton)
    box = controller.confirm_box
    assert box is not None
    assert box.windowTitle() == "Connect Xero push only?"
    assert "kept in step with QuickBooks Online" in box.text()
    assert "nothing is pulled from it" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.wait(200)
    assert xero_card.state.phase is Phase.NOT_CONNECTED
    assert len(browser.opened) == opened
    assert not connection_service.is_push_only(app_ctx.services.db, sample_company.id, "xero")

    qtbot.mouseClick(xero_card.connect_button, Qt.MouseButton.LeftButton)
    box = controller.confirm_box
    assert box is not None
    next(b for b in box.buttons() if b.text() == "Connect push only").click()
    url = wait_for_url(qtbot, pane, Provider.XERO)
    assert connection_service.is_push_only(app_ctx.services.db, sample_company.id, "xero")
    ScriptedBrowser(choose=list(DEMO_ORGANISATIONS))._run(url)
    qtbot.waitUntil(lambda: xero_card.state.phase is Phase.CHOOSE_TENANT, timeout=10_000)
    qtbot.mouseClick(xero_card.choose_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: xero_card.state.phase is Phase.CONNECTED, timeout=10_000)
    assert xero_card.headline.text().endswith(" — push only")
    with qtbot.waitSignal(pane.loaded, timeout=5000):
        pane.refresh()
    assert xero_card.state.push_only, "the database agrees after a refresh"
    assert xero_card.state.detail.startswith("Push only: your entries are sent to Xero")
    assert not qbo_card.state.push_only
    assert qbo_card.headline.text() == "Connected to Craig's Design and Landscaping Services"
