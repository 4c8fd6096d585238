"""Start-up: command-line flags, `--smoke-test` as packaging runs it, books that cannot open."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bookkeeper_desktop.app import parse_args

REPO = Path(__file__).resolve().parents[2]


def run_app(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "BOOKKEEPER_DATA_DIR": str(tmp_path / "data"),
           "XDG_CONFIG_HOME": str(tmp_path / "config")}
    env.pop("BOOKKEEPER_DB_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "bookkeeper_desktop", *args], cwd=REPO, env=env,
        capture_output=True, text=True, timeout=120, check=False)


def test_flags() -> None:
    args, qt_args = parse_args(["--db", "sqlite:///x.sqlite", "--company", "Acme", "--demo",
                                "--smoke-test", "-platform", "offscreen"])
    assert args.db == "sqlite:///x.sqlite"
    assert args.company == "Acme"
    assert args.demo
    assert args.smoke_test
    assert qt_args == ["-platform", "offscreen"], "Qt's own flags pass through"
    defaults, _ = parse_args([])
    assert (defaults.db, defaults.company, defaults.demo, defaults.smoke_test) == (
        None, None, False, False)


def test_smoke_test_builds_every_pane_and_exits_0(tmp_path: Path) -> None:
    result = run_app(tmp_path, "--smoke-test")
    assert result.returncode == 0, result.stderr
    assert "smoke test OK: ledger, export, integrations built" in result.stdout
    assert "placeholder" not in result.stderr
    assert not (tmp_path / "data" / "books.sqlite").exists(), \
        "the smoke test never touches the user's books"


def test_smoke_test_on_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    bogus = tmp_path / "books.sqlite"
    bogus.write_text("these are not the books you are looking for\n" * 100)
    result = run_app(tmp_path, "--smoke-test", "--db", f"sqlite:///{bogus}")
    assert result.returncode == 1
    assert "cannot be opened" in result.stderr.lower() or "not a database" in \
        result.stderr.lower(), result.stderr
    assert bogus.read_text().startswith("these are not"), "never overwritten"


def test_version(tmp_path: Path) -> None:
    result = run_app(tmp_path, "--version")
    assert result.returncode == 0
    assert "Bookkeeper Desktop" in result.stdout


def test_demo_smoke_test_starts_the_sandboxes(tmp_path: Path) -> None:
    result = run_app(tmp_path, "--smoke-test", "--demo")
    assert result.returncode == 0, result.stderr
    assert "smoke test OK" in result.stdout
    demo_folder = tmp_path / "data" / "demo"  # the demo's own folder, apart from real books
    assert (demo_folder / "demo_sandboxes.json").exists(), "demo state kept for next time"


def test_the_apps_own_wiring_connects_and_disconnects_against_the_demo_sandboxes(
        qtbot: Any, app_ctx: Any, sample_company: Any) -> None:
    """`app.integration_flows` as the window gets it, pointed at the demo sandboxes."""
    from PySide6.QtCore import Qt

    from bookkeeper_desktop.app import integration_flows
    from bookkeeper_desktop.core.journal import EntrySource
    from bookkeeper_desktop.gui.integrations import IntegrationsPane
    from bookkeeper_desktop.gui.integrations.controller import IntegrationsController
    from bookkeeper_desktop.gui.integrations.state import Phase
    from bookkeeper_desktop.providers.config import Provider, demo_environment
    from bookkeeper_desktop.providers.keychain import Keychain
    from bookkeeper_desktop.sandbox.demo import DemoSandboxes
    from bookkeeper_desktop.sandbox.qbo_server import DEMO_COMPANIES
    from bookkeeper_desktop.services import connections as connection_service
    from bookkeeper_desktop.services import entries
    from bookkeeper_desktop.storage.records import EntryFilter
    from tests.providers.conftest import MemoryKeyring, ScriptedBrowser

    with DemoSandboxes(None, port_qbo=0, port_xero=0) as sandboxes:
        endpoints = sandboxes.start()
        env = demo_environment(
            qbo_url=endpoints.qbo_url, xero_url=endpoints.xero_url,
            qbo_client_id=endpoints.qbo_client_id,
            qbo_client_secret=endpoints.qbo_client_secret,
            xero_client_id=endpoints.xero_client_id)
        # Signs in and allows at once, picking the demo company with months of history (the
        # one holding the sample's own books comes first; tests/gui/test_demo_journey.py).
        browser = ScriptedBrowser(choose=list(DEMO_COMPANIES.values()))
        flows = integration_flows(app_ctx.services, lambda: app_ctx.settings, env,
                                  keychain=Keychain(MemoryKeyring()), open_browser=browser)
        app_ctx.set_company(sample_company.id)
        pane = IntegrationsPane(app_ctx)
        qtbot.addWidget(pane)
        qtbot.waitSignal(pane.loaded, timeout=5000).wait()
        controller = IntegrationsController(pane, **flows)
        card = pane.card(Provider.QBO)
        qtbot.mouseClick(card.connect_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: card.state.phase is Phase.CONNECTED, timeout=15_000)
        db = app_ctx.services.db
        stored = connection_service.get_connection(db, sample_company.id, "qbo")
        assert stored is not None
        assert card.headline.text() == f"Connected to {stored.remote_company_name}"
        # A first sync starts on its own after connecting (QBO and Xero alike): the sandbox
        # company's transactions arrive in the ledger and the card shows the run's result.
        qtbot.waitUntil(lambda: card.state.phase is Phase.CONNECTED
                        and card.state.last_sync is not None, timeout=60_000)
        assert card.state.last_sync is not None
        assert card.state.last_sync.ok, card.state.last_sync.summary
        assert "QuickBooks Online sync" in card.state.last_sync.summary
        pulled = entries.count_entries(db, sample_company.id, EntryFilter(sources=frozenset(
            {EntrySource.QBO})))
        assert pulled > 0
        qtbot.waitUntil(lambda: not app_ctx.jobs.busy, timeout=5000)

        # Sync Now through the same wiring: nothing is pulled twice.
        first = card.state.last_sync
        qtbot.mouseClick(card.sync_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: card.state.phase is Phase.CONNECTED
                        and card.state.last_sync is not first, timeout=60_000)
        assert card.state.last_sync is not None
        assert card.state.last_sync.ok, card.state.last_sync.summary
        assert entries.count_entries(db, sample_company.id, EntryFilter(sources=frozenset(
            {EntrySource.QBO}))) == pulled
        qtbot.waitUntil(lambda: not app_ctx.jobs.busy, timeout=5000)

        qtbot.mouseClick(card.disconnect_button, Qt.MouseButton.LeftButton)
        assert controller.confirm_box is not None
        next(b for b in controller.confirm_box.buttons() if b.text() == "Disconnect").click()
        qtbot.waitUntil(lambda: card.state.phase is Phase.NOT_CONNECTED, timeout=15_000)
        qtbot.waitUntil(lambda: not app_ctx.jobs.busy, timeout=5000)
        after = connection_service.get_connection(db, sample_company.id, "qbo")
        assert after is None or after.status.value == "disconnected"


def test_company_flag_opens_that_company(tmp_path: Path) -> None:
    from bookkeeper_desktop.services import companies, open_database

    url = f"sqlite:///{tmp_path / 'books.sqlite'}"
    db = open_database(url)
    companies.create_company(db, "First Books")
    second = companies.create_company(db, "Second Books")
    db.close()
    result = run_app(tmp_path, "--db", url, "--company", "second books", "--exit-when-ready")
    assert result.returncode == 0, result.stderr
    # The window title is the company (the platform adds the app's name after it).
    assert "ready: Second Books\n" in result.stdout
    by_id = run_app(tmp_path, "--db", url, "--company", str(second.id), "--exit-when-ready")
    assert "ready: Second Books\n" in by_id.stdout
