"""Auto-sync paused while offline (issue #6): the online monitor, the scheduler and what the card
and status bar say, against the real QBO sandbox on loopback. "Offline" is the sandbox stopped;
"back" is the same sandbox started again on the same port. The sync is the real engine over a
connection made through the real OAuth flow."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtNetwork import QNetworkInformation
from pytestqt.qtbot import QtBot

from bookkeeper_desktop.core.errors import AuthError, NetworkError
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.gui.context import AppContext
from bookkeeper_desktop.gui.integrations import IntegrationsPane
from bookkeeper_desktop.gui.integrations.autosync import AutoSync
from bookkeeper_desktop.gui.integrations.controller import IntegrationsController
from bookkeeper_desktop.gui.integrations.online import (
    OnlineMonitor,
    api_address,
    host_answers,
    monitor_for,
    os_says_offline,
)
from bookkeeper_desktop.gui.integrations.state import OFFLINE_TEXT, CardState, LastSync, Phase
from bookkeeper_desktop.gui.main_window import MainWindow
from bookkeeper_desktop.providers.config import Provider
from bookkeeper_desktop.sandbox.qbo_server import QboSandbox
from bookkeeper_desktop.sandbox.xero_server import XeroSandbox
from bookkeeper_desktop.services import ConnectionInfo
from bookkeeper_desktop.services import connections as connection_service
from bookkeeper_desktop.services.sync import run_sync
from bookkeeper_desktop.settings import Settings
from tests.gui.sandbox_books import connected
from tests.sync.conftest import Books

Reachability = QNetworkInformation.Reachability
REPO = Path(__file__).resolve().parents[2]


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture(params=["qbo", "xero"])
def either_books(request: pytest.FixtureRequest, gui_db: Any) -> Iterator[Books]:
    """Our books connected to the QBO or the Xero sandbox."""
    yield from connected(gui_db, str(request.param))


def port_of(sandbox: QboSandbox | XeroSandbox) -> int:
    return int(sandbox.base_url.rsplit(":", 1)[1])


def go_offline(sandbox: QboSandbox | XeroSandbox) -> int:
    """Stop the sandbox (the host no longer answers); returns its port for `come_back`."""
    port = port_of(sandbox)
    sandbox.stop()
    return port


def come_back(sandbox: QboSandbox | XeroSandbox, port: int) -> None:
    sandbox.port = port
    sandbox.start()
    assert port_of(sandbox) == port


class Recorder:
    """The real sync (`services.sync.run_sync`) as the app wires it (`app.integration_flows`),
    with the client's waits time-scaled like the sandbox (the retries of a refused connection
    take 0.3 s instead of 30); remembers every run's `LastSync`."""

    def __init__(self, books: Books) -> None:
        self.books = books
        self.runs: list[LastSync] = []

    def __call__(self, company_id: int, provider: Provider, progress: Progress) -> LastSync:
        assert (company_id, provider.value) == (self.books.company_id, self.books.provider)
        with self.books.client() as client:
            result = run_sync(self.books.db, company_id, provider.value, progress=progress,
                              client=client)
        last = LastSync(at=dt.datetime.now(dt.UTC), ok=result.ok, summary=result.summary,
                        result=result)
        self.runs.append(last)
        return last


def open_pane(qtbot: QtBot, app_ctx: AppContext, company_id: int) -> IntegrationsPane:
    app_ctx.set_company(company_id)
    pane = IntegrationsPane(app_ctx)
    qtbot.addWidget(pane)
    qtbot.waitSignal(pane.loaded, timeout=5000).wait()
    return pane


def test_only_disconnected_counts_as_offline() -> None:
    """No backend (None), Unknown, Local and Site never pause anything; only Disconnected."""
    assert not os_says_offline(None)
    assert not os_says_offline(Reachability.Unknown)
    assert not os_says_offline(Reachability.Local)
    assert not os_says_offline(Reachability.Site)
    assert not os_says_offline(Reachability.Online)
    assert os_says_offline(Reachability.Disconnected)


def test_what_the_os_says_without_a_backend_or_unknown_keeps_us_online(
        qtbot: QtBot, app_ctx: AppContext) -> None:
    monitor = OnlineMonitor(app_ctx.jobs, lambda provider: None, use_system=False)
    monitor.start()
    qtbot.wait(20)
    assert monitor.backend is None
    assert monitor.reachability is None
    assert monitor.online, "no backend: not offline"
    changes: list[bool] = []
    monitor.online_changed.connect(changes.append)
    for unsure in (Reachability.Unknown, Reachability.Local, Reachability.Site):
        monitor.set_reachability(unsure)
        assert monitor.online, unsure
    assert changes == []
    monitor.set_reachability(Reachability.Disconnected)
    assert not monitor.online
    assert monitor.offline_providers == frozenset(Provider)
    assert monitor.probe_timer.isActive(), "probing while offline"
    monitor.set_reachability(Reachability.Unknown)  # the backend lost track: not offline
    assert monitor.online
    monitor.set_reachability(Reachability.Disconnected)
    monitor.set_reachability(Reachability.Online)
    assert monitor.online
    assert not monitor.probe_timer.isActive()
    assert changes == [False, True, False, True]


def test_the_system_backend_never_claims_offline_on_a_guess(qtbot: QtBot,
                                                            app_ctx: AppContext) -> None:
    """Whatever this machine has (NetworkManager, GLib, or no backend at all on a bare CI box),
    the monitor is offline only if the OS really reports Disconnected."""
    monitor = OnlineMonitor(app_ctx.jobs, lambda provider: None)
    loaded = monitor.load_system_backend()
    if not loaded:
        assert monitor.backend is None
        assert monitor.reachability is None
    else:
        assert monitor.backend
        assert monitor.reachability is not None
    assert monitor.online is not os_says_offline(monitor.reachability)


def test_api_address_is_where_the_sync_goes() -> None:
    settings = Settings()
    assert api_address(Provider.QBO, settings, {}) == ("sandbox-quickbooks.api.intuit.com", 443)
    assert api_address(Provider.XERO, settings, {}) == ("api.xero.com", 443)
    env = {"BOOKKEEPER_SANDBOX_QBO_URL": "http://127.0.0.1:8123",
           "BOOKKEEPER_SANDBOX_XERO_URL": "http://localhost"}
    assert api_address(Provider.QBO, settings, env) == ("127.0.0.1", 8123)
    assert api_address(Provider.XERO, settings, env) == ("localhost", 80)
    assert api_address(Provider.QBO, settings,
                       {"BOOKKEEPER_SANDBOX_QBO_URL": "http://127.0.0.1:notaport"}) is None


def test_host_answers_only_while_something_listens() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        address = listener.getsockname()[:2]
        assert host_answers(address, 2.0)
    assert not host_answers(address, 2.0), "closed: refused"


def test_auto_sync_pauses_while_the_host_is_down_and_resumes_when_it_answers(
        qtbot: QtBot, app_ctx: AppContext, either_books: Books) -> None:
    books = either_books
    provider = Provider(books.provider)
    other = Provider.XERO if provider is Provider.QBO else Provider.QBO
    sync = Recorder(books)
    pane = open_pane(qtbot, app_ctx, books.company_id)
    controller = IntegrationsController(pane, sync=sync)
    monitor = monitor_for(app_ctx.jobs, lambda: app_ctx.settings, books.env,
                          probe_every_ms=50, use_system=False)
    assert monitor.address(provider) == ("127.0.0.1", port_of(books.sandbox))
    start = dt.datetime.now(dt.UTC)
    clock = Clock(start)
    auto = AutoSync(controller, clock=clock, check_every_ms=20, online=monitor)
    card = pane.card(provider)
    assert auto.due() == [provider], "never synced: due at once"

    port = go_offline(books.sandbox)
    auto.start()
    qtbot.waitUntil(lambda: monitor.is_offline(provider), timeout=10_000)
    assert len(sync.runs) == 1
    assert not sync.runs[0].ok
    assert f"Cannot reach {provider.display_name}" in sync.runs[0].summary
    qtbot.waitUntil(lambda: card.detail.text().startswith(f"{OFFLINE_TEXT}. Last sync"),
                    timeout=5000)
    assert "Check the internet connection" in card.detail.text(), "what the last run did"
    assert not monitor.is_offline(other), "only the provider that failed"

    # Hours pass, far beyond the interval and the failure back-off: the host is probed every
    # 50 ms, and no timer-driven sync starts.
    clock.now = start + dt.timedelta(hours=3)
    probes = monitor.probes
    qtbot.waitUntil(lambda: monitor.probes >= probes + 4, timeout=5000)
    assert auto.due() == []
    assert len(sync.runs) == 1
    assert len(auto.started) == 1

    # Sync Now by hand still runs, and says why it failed.
    clock.now = start + dt.timedelta(minutes=1)
    qtbot.mouseClick(card.sync_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(sync.runs) == 2 and provider not in controller.syncing,
                    timeout=10_000)
    assert not sync.runs[1].ok
    qtbot.waitUntil(lambda: f"Cannot reach {provider.display_name}" in card.detail.text(),
                    timeout=5000)
    assert card.detail.text().startswith(OFFLINE_TEXT)
    assert monitor.is_offline(provider)
    assert len(auto.started) == 1

    # Back: the next probe finds the host and the failed sync runs at once, although the
    # clock says only a minute passed (the failure back-off would have waited 30), and
    # without waiting for the scheduler's next check (made a minute away here).
    auto.timer.setInterval(60_000)
    come_back(books.sandbox, port)
    qtbot.waitUntil(lambda: len(sync.runs) == 3, timeout=10_000)
    assert monitor.online
    assert sync.runs[2].ok, sync.runs[2].summary
    assert len(auto.started) == 2
    # The card shows the successful run: its summary, or (once the pane has re-read the sync
    # log) the stored run's counts; either way no longer offline or failing.
    qtbot.waitUntil(lambda: card.state.phase is Phase.CONNECTED
                    and card.detail.text().startswith("Last sync")
                    and "Cannot reach" not in card.detail.text(), timeout=10_000)
    assert card.detail.text().startswith("Last sync"), "the normal last-run text again"
    assert not monitor.probe_timer.isActive()
    auto.stop()


def test_the_first_sync_after_connect_teaches_the_monitor_too(
        qtbot: QtBot, app_ctx: AppContext, either_books: Books) -> None:
    """The sync a Connect starts on its own (no button, no timer: `controller.sync_now`, as
    `_connected` calls it) is watched like Sync Now: its "Cannot reach" pauses auto-sync."""
    books = either_books
    provider = Provider(books.provider)
    sync = Recorder(books)
    pane = open_pane(qtbot, app_ctx, books.company_id)
    controller = IntegrationsController(pane, sync=sync)
    monitor = monitor_for(app_ctx.jobs, lambda: app_ctx.settings, books.env,
                          probe_every_ms=50, use_system=False)
    auto = AutoSync(controller, check_every_ms=60_000, online=monitor)
    go_offline(books.sandbox)
    controller.sync_now(provider)
    qtbot.waitUntil(lambda: len(sync.runs) == 1 and provider not in controller.syncing,
                    timeout=10_000)
    assert not sync.runs[0].ok
    qtbot.waitUntil(lambda: monitor.is_offline(provider), timeout=5000)
    assert auto.started == [], "the scheduler started nothing itself"
    assert auto.due() == [], "paused while the host is down"


def test_a_failure_the_probe_contradicts_is_not_an_outage(
        qtbot: QtBot, app_ctx: AppContext, books: Books) -> None:
    """A failed run whose host still answers (an expired consent, a 500) does not pause
    auto-sync; the usual back-off (twice the interval) applies."""
    pane = open_pane(qtbot, app_ctx, books.company_id)
    clock = Clock(dt.datetime(2026, 3, 14, 9, 30, tzinfo=dt.UTC))

    def failing(company_id: int, provider: Provider, progress: Progress) -> LastSync:
        return LastSync(clock.now, False, "QuickBooks Online sync failed: server error.")

    controller = IntegrationsController(pane, sync=failing)
    monitor = monitor_for(app_ctx.jobs, lambda: app_ctx.settings, books.env,
                          probe_every_ms=50, use_system=False)
    auto = AutoSync(controller, clock=clock, online=monitor)
    changes: list[tuple[Provider, bool]] = []
    monitor.provider_online_changed.connect(lambda p, online: changes.append((p, online)))
    auto.check()
    qtbot.waitUntil(lambda: monitor.probes == 1 and not app_ctx.jobs.busy, timeout=5000)
    assert monitor.online
    assert changes == []
    assert not pane.card(Provider.QBO).detail.text().startswith(OFFLINE_TEXT)
    # The same failure with the host gone is an outage.
    go_offline(books.sandbox)
    monitor.run_failed(Provider.QBO)
    qtbot.waitUntil(lambda: monitor.is_offline(Provider.QBO), timeout=5000)
    assert changes == [(Provider.QBO, False)]


def test_what_a_failure_says_about_the_network(qtbot: QtBot, app_ctx: AppContext,
                                               books: Books) -> None:
    """A NetworkError is probed; a bug or a revoked consent says nothing about the network, a
    throttled run (a 429, the daily limit) means the host answered, and a cancelled one was
    stopped on purpose: none of those is probed."""
    from bookkeeper_desktop.services.sync_runs import RunStatus
    from bookkeeper_desktop.sync.engine import SyncResult

    monitor = monitor_for(app_ctx.jobs, lambda: app_ctx.settings, books.env,
                          use_system=False)
    monitor.run_failed(Provider.QBO, AuthError("The consent was revoked."))
    monitor.run_failed(Provider.QBO, ValueError("a bug"))
    assert monitor.probes == 0
    pane = open_pane(qtbot, app_ctx, books.company_id)
    throttled = SyncResult(run_id=1, company_id=books.company_id, provider="qbo",
                           direction="both", status=RunStatus.FAILED, message="busy",
                           retry_after=60.0)
    cancelled = SyncResult(run_id=2, company_id=books.company_id, provider="qbo",
                           direction="both", status=RunStatus.CANCELLED, message="Cancelled")
    results = [throttled, cancelled]
    controller = IntegrationsController(
        pane, sync=lambda c, p, pr: LastSync(dt.datetime.now(dt.UTC), False, "not ok",
                                             result=results.pop(0)))
    auto = AutoSync(controller, online=monitor)
    auto.check()
    qtbot.waitUntil(lambda: not app_ctx.jobs.busy, timeout=5000)
    assert len(auto.started) == 1
    qtbot.mouseClick(pane.card(Provider.QBO).sync_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not results and not app_ctx.jobs.busy, timeout=5000)
    assert monitor.probes == 0, "neither a throttled nor a cancelled run is probed"
    go_offline(books.sandbox)
    monitor.run_failed(Provider.QBO, NetworkError("Cannot reach QuickBooks Online."))
    assert monitor.probes == 1
    qtbot.waitUntil(lambda: monitor.is_offline(Provider.QBO), timeout=5000)


def test_the_os_saying_disconnected_pauses_until_the_host_answers(
        qtbot: QtBot, app_ctx: AppContext, books: Books) -> None:
    """Disconnected takes every provider offline at once; the probe brings back the one whose
    host answers (the loopback demo sandbox does, with no network at all)."""
    pane = open_pane(qtbot, app_ctx, books.company_id)
    controller = IntegrationsController(
        pane, sync=lambda c, p, pr: LastSync(dt.datetime.now(dt.UTC), True, "done"))
    monitor = monitor_for(app_ctx.jobs, lambda: app_ctx.settings,
                          {**books.env, "BOOKKEEPER_SANDBOX_XERO_URL": "http://127.0.0.1:1"},
                          probe_every_ms=50, use_system=False)
    auto = AutoSync(controller, online=monitor)
    monitor.set_reachability(Reachability.Disconnected)
    assert not monitor.online
    assert auto.due() == [], "offline: nothing due"
    assert pane.card(Provider.QBO).detail.text().startswith(OFFLINE_TEXT)
    qtbot.waitUntil(lambda: not monitor.is_offline(Provider.QBO), timeout=5000)
    assert monitor.is_offline(Provider.XERO), "nothing listens on port 1"
    assert auto.due() == [Provider.QBO]
    assert pane.card(Provider.QBO).detail.text().startswith("Not synced yet")


def test_card_text_offline() -> None:
    connected = CardState.connected(Provider.XERO, "Bakery Ltd", last_sync=LastSync(
        dt.datetime(2026, 3, 14, 9, 30, tzinfo=dt.UTC), True, "Xero sync succeeded."))
    assert connected.detail_while(offline=False) == connected.detail
    assert connected.detail_while(offline=True) == f"{OFFLINE_TEXT}. {connected.detail}"
    off = CardState.connected(Provider.XERO, "Bakery Ltd", auto_sync_minutes=0)
    assert off.detail_while(offline=True) == "Offline. Not synced yet."
    not_connected = CardState.not_connected(Provider.XERO)
    assert not_connected.detail_while(offline=True) == not_connected.detail


def test_status_bar_says_offline_and_then_the_last_run(
        qtbot: QtBot, app_ctx: AppContext, books: Books, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The main window as the app builds it: its monitor probes the address in the environment
    (what --demo sets), its scheduler pauses, its status bar says so."""
    monkeypatch.setenv("BOOKKEEPER_SANDBOX_QBO_URL", books.sandbox.base_url)
    app_ctx.set_company(books.company_id)
    sync = Recorder(books)
    window = MainWindow(app_ctx, qsettings=QSettings(str(tmp_path / "w.ini"),
                                                      QSettings.Format.IniFormat),
                        integration_flows={"sync": sync})
    qtbot.addWidget(window)
    window.show()
    assert window.auto_sync is not None
    window.auto_sync.stop()  # the test drives the checks
    window.online.probe_timer.setInterval(50)
    qtbot.waitUntil(lambda: not app_ctx.jobs.busy, timeout=10_000)
    port = go_offline(books.sandbox)
    window.auto_sync.check()
    qtbot.waitUntil(lambda: window.last_sync_label.text().startswith(OFFLINE_TEXT)
                    and window.last_sync_label.text().endswith("failed"), timeout=10_000)
    assert "QuickBooks Online" in window.last_sync_label.toolTip()
    come_back(books.sandbox, port)
    qtbot.waitUntil(lambda: window.online.online, timeout=10_000)
    window.auto_sync.check()
    qtbot.waitUntil(lambda: window.last_sync_label.text().endswith("succeeded"),
                    timeout=10_000)
    assert window.last_sync_label.text().startswith("Last sync: QuickBooks Online, ")
    assert window.last_sync_label.toolTip() == ""
    assert [last.ok for last in sync.runs] == [False, True]
    qtbot.waitUntil(lambda: not app_ctx.jobs.busy, timeout=10_000)
    window.close()


def test_the_window_does_not_load_qtnetwork_before_it_is_shown(tmp_path: Path) -> None:
    """Start-up budget (PRODUCT.md §7): QtNetwork is imported by the monitor once the event
    loop runs, after the window is on screen."""
    script = textwrap.dedent("""
        import sys
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication
        from bookkeeper_desktop.gui.context import AppContext, AppServices
        from bookkeeper_desktop.gui.main_window import MainWindow
        from bookkeeper_desktop.jobs import JobRunner
        from bookkeeper_desktop.services import open_database

        app = QApplication([])
        db = open_database(sys.argv[1])
        runner = JobRunner()
        window = MainWindow(AppContext(AppServices(db), runner))
        window.show()
        print("before loop:", "PySide6.QtNetwork" in sys.modules)
        QTimer.singleShot(200, app.quit)
        app.exec()
        print("after loop:", "PySide6.QtNetwork" in sys.modules)
        runner.shutdown(5000)
        db.close()
    """)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "BOOKKEEPER_DATA_DIR": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", script, f"sqlite:///{tmp_path / 'b.sqlite'}"],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "before loop: False" in result.stdout
    assert "after loop: True" in result.stdout


def test_connected_cards_stay_offline_across_database_refreshes(
        qtbot: QtBot, app_ctx: AppContext, sample_company: Any) -> None:
    connection_service.save_connection(app_ctx.services.db, sample_company.id, ConnectionInfo(
        provider="xero", tenant_id="t", remote_company_name="Bakery Ltd"))
    pane = open_pane(qtbot, app_ctx, sample_company.id)
    card = pane.card(Provider.XERO)
    card.set_offline(True)
    with qtbot.waitSignal(pane.loaded, timeout=5000):
        pane.refresh()
    assert card.detail.text() == f"{OFFLINE_TEXT}. Not synced yet."
    card.set_offline(False)
    assert card.detail.text() == "Not synced yet."


def test_closing_the_app_does_not_wait_for_a_hanging_probe(
        qtbot: QtBot, app_ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    """A name lookup while offline can hang for seconds with no timeout of its own; the probe
    job still stops at once when the app shuts its lanes down. (The hang is simulated: a real
    resolver cannot be made to hang on demand here.)"""
    from bookkeeper_desktop.gui.integrations import online

    release = threading.Event()
    entered = threading.Event()

    def hanging_lookup(address: tuple[str, int], timeout: float = 0.0) -> bool:
        entered.set()
        release.wait(30)
        return False

    monkeypatch.setattr(online, "host_answers", hanging_lookup)
    monitor = OnlineMonitor(app_ctx.jobs, lambda provider: ("api.example.invalid", 443),
                            probe_timeout=30.0, use_system=False)
    monitor.probe([Provider.XERO])
    assert entered.wait(5)
    started = time.monotonic()
    try:
        assert app_ctx.jobs.shutdown(3000), "the network lane stopped"
        assert time.monotonic() - started < 2.0
    finally:
        release.set()
