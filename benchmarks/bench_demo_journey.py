"""The demo as a new user walks it, timed (issue #12: "From a fresh --demo start: connect, Sync
Now, and every sample entry is at the provider … timed (clicks and seconds)").

Run by hand:
    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_demo_journey.py

What runs: a real QApplication (offscreen), the real Integrations pane and controller as the app
wires them (`app.integration_flows`), a fresh SQLite file with the sample company (as `--demo`
opens it), and the demo sandboxes in-process with their real limits. The user's clicks are
counted: Connect on the card, the organisation ticked on Xero's consent page, Allow on the
consent page (a scripted browser presses it at once; a person takes a few seconds more). Timed:
from the click on Connect until the sync that follows connecting has finished, and what it
sent. Prints a Markdown table for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import datetime as dt
import platform
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEventLoop, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bookkeeper_desktop.app import integration_flows
from bookkeeper_desktop.core.journal import EntryStatus
from bookkeeper_desktop.gui.context import AppContext, AppServices
from bookkeeper_desktop.gui.integrations import IntegrationsPane
from bookkeeper_desktop.gui.integrations.controller import IntegrationsController
from bookkeeper_desktop.gui.integrations.state import Phase
from bookkeeper_desktop.jobs import JobRunner
from bookkeeper_desktop.providers.config import Provider, demo_environment
from bookkeeper_desktop.providers.keychain import Keychain
from bookkeeper_desktop.sample_data import create_sample_company
from bookkeeper_desktop.sandbox.demo import DEMO_SAMPLE_NAME, DemoSandboxes
from bookkeeper_desktop.services import entries as entry_service
from bookkeeper_desktop.services import open_database, sync_runs
from bookkeeper_desktop.storage.records import EntryFilter
from tests.providers.conftest import MemoryKeyring, ScriptedBrowser


def _wait(condition: object, timeout: float) -> None:
    end = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > end:
            raise TimeoutError("the demo journey did not finish in time")
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


def journey(provider: Provider, folder: Path) -> tuple[int, float, int, int, int]:
    """(clicks, seconds, entries to send, sent, refused) for one provider."""
    db = open_database(f"sqlite:///{folder / f'{provider.value}.sqlite'}")
    company = create_sample_company(db, "Sample Company")
    runner = JobRunner()
    ctx = AppContext(AppServices(db), runner)
    try:
        with DemoSandboxes(None, port_qbo=0, port_xero=0) as sandboxes:
            endpoints = sandboxes.start()
            env = demo_environment(
                qbo_url=endpoints.qbo_url, xero_url=endpoints.xero_url,
                qbo_client_id=endpoints.qbo_client_id,
                qbo_client_secret=endpoints.qbo_client_secret,
                xero_client_id=endpoints.xero_client_id,
                publisher_file=folder / f"{provider.value}-publisher.toml")
            ticks = [DEMO_SAMPLE_NAME] if provider is Provider.XERO else None
            browser = ScriptedBrowser(choose=ticks)
            flows = integration_flows(ctx.services, lambda: ctx.settings, env,
                                      keychain=Keychain(MemoryKeyring()), open_browser=browser)
            ctx.set_company(company.id)
            pane = IntegrationsPane(ctx)
            pane.show()
            _wait(lambda: pane.card(provider) is not None, 10)
            IntegrationsController(pane, **flows)
            card = pane.card(provider)
            started = time.monotonic()
            QTest.mouseClick(card.connect_button, Qt.MouseButton.LeftButton)
            clicks = 1 + (1 if ticks else 0) + 1  # Connect, the tick, Allow
            _wait(lambda: card.state.phase is Phase.CONNECTED, 30)
            _wait(lambda: any(r.direction == "both" and r.status.value != "running"
                              for r in sync_runs.list_runs(db, company.id)), 120)
            seconds = time.monotonic() - started
            _wait(lambda: not ctx.jobs.busy, 30)
            [run] = [r for r in sync_runs.list_runs(db, company.id) if r.direction == "both"]
            to_send = sum(entry_service.count_entries(db, company.id,
                                                      EntryFilter.of_status(status))
                          for status in (EntryStatus.APPROVED, EntryStatus.POSTED))
            pane.close()
            return clicks, seconds, to_send, run.pushed, int(run.details.get("refused") or 0)
    finally:
        runner.shutdown()
        db.close()


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    del app
    print(f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {platform.system()} "
          f"{platform.release()} {platform.machine()}, Python {platform.python_version()}\n")
    print("| provider | clicks | seconds, Connect to synced | entries to send | sent | refused |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for provider in (Provider.QBO, Provider.XERO):
            clicks, seconds, to_send, sent, refused = journey(provider, Path(folder))
            print(f"| {provider.value} | {clicks} | {seconds:.1f} | {to_send} | {sent} | "
                  f"{refused} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
