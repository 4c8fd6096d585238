"""The demo as a new user walks it (issue #12 "done means"; issue #11 item 6): the sample
company, Connect (one click and the consent page), and the sync that follows sends every
approved and posted sample entry to QuickBooks Online or Xero with no mapping step and nothing
refused, driven through the real Integrations pane and checked in the sandbox's own state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from bookkeeper_desktop.app import integration_flows
from bookkeeper_desktop.core.journal import EntryStatus
from bookkeeper_desktop.gui.context import AppContext
from bookkeeper_desktop.gui.integrations import IntegrationsPane
from bookkeeper_desktop.gui.integrations.controller import IntegrationsController
from bookkeeper_desktop.gui.integrations.state import Phase
from bookkeeper_desktop.providers.config import Provider, demo_environment
from bookkeeper_desktop.providers.keychain import Keychain
from bookkeeper_desktop.sandbox.demo import (
    DEMO_SAMPLE_NAME,
    DEMO_SAMPLE_REALM,
    DEMO_SAMPLE_TENANT,
    DemoSandboxes,
)
from bookkeeper_desktop.services import entries as entry_service
from bookkeeper_desktop.services import sync_runs
from bookkeeper_desktop.storage.records import EntryFilter
from tests.providers.conftest import MemoryKeyring, ScriptedBrowser


@pytest.mark.parametrize("provider", [Provider.QBO, Provider.XERO])
def test_demo_connect_then_sync_sends_every_sample_entry(
        qtbot: QtBot, app_ctx: AppContext, sample_company: Any, tmp_path: Path,
        provider: Provider) -> None:
    with DemoSandboxes(None, port_qbo=0, port_xero=0, limits=False) as sandboxes:
        endpoints = sandboxes.start()
        env = demo_environment(
            qbo_url=endpoints.qbo_url, xero_url=endpoints.xero_url,
            qbo_client_id=endpoints.qbo_client_id, qbo_client_secret=endpoints.qbo_client_secret,
            xero_client_id=endpoints.xero_client_id,
            publisher_file=tmp_path / "demo" / "publisher.toml")
        # QBO's consent page offers the demo books' company first; on Xero's the user ticks it.
        browser = ScriptedBrowser(choose=[DEMO_SAMPLE_NAME] if provider is Provider.XERO
                                  else None)
        flows = integration_flows(app_ctx.services, lambda: app_ctx.settings, env,
                                  keychain=Keychain(MemoryKeyring()), open_browser=browser)
        app_ctx.set_company(sample_company.id)
        pane = IntegrationsPane(app_ctx)
        qtbot.addWidget(pane)
        qtbot.waitSignal(pane.loaded, timeout=5000).wait()
        IntegrationsController(pane, **flows)
        # Until the first sync the pane shows the three steps.
        assert not pane.guide.isHidden()
        assert "Connect" in pane.guide.text()
        assert "Account mapping" in pane.guide.text()
        assert "Sync Now" in pane.guide.text()
        card = pane.card(provider)
        qtbot.mouseClick(card.connect_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: card.state.phase is Phase.CONNECTED, timeout=20_000)
        # Connecting syncs once on its own; nothing more is asked of the user.
        db = app_ctx.services.db
        qtbot.waitUntil(lambda: any(run.status.value != "running" and run.direction == "both"
                                    for run in sync_runs.list_runs(db, sample_company.id)),
                        timeout=60_000)
        qtbot.waitUntil(lambda: not app_ctx.jobs.busy, timeout=10_000)
        qtbot.waitUntil(pane.guide.isHidden, timeout=5000)  # done its job
        [run] = [r for r in sync_runs.list_runs(db, sample_company.id) if r.direction == "both"]
        assert run.status.value == "succeeded", run.message
        assert run.details.get("refused") == 0, run.details.get("waiting")
        assert run.details.get("errors") == [], run.details.get("errors")
        to_send = sum(entry_service.count_entries(db, sample_company.id,
                                                  EntryFilter.of_status(status))
                      for status in (EntryStatus.APPROVED, EntryStatus.POSTED))
        assert run.pushed == to_send
        api = (sandboxes.qbo.api if provider is Provider.QBO else sandboxes.xero.api)
        marker = f"[bk:{provider.value}{sample_company.id}-"
        if provider is Provider.QBO:
            journals = api.objects(DEMO_SAMPLE_REALM, "JournalEntry")
            assert len([j for j in journals if marker in str(j.get("PrivateNote"))]) == to_send
        else:
            state = sandboxes.xero.vendor_state()["api"]["tenants"][DEMO_SAMPLE_TENANT]
            ours = [r for collection in ("ManualJournals", "BankTransactions", "BankTransfers",
                                         "Invoices", "Payments")
                    for r in state["records"][collection].values()
                    if marker in str(r.get("Reference") or r.get("InvoiceNumber")
                                     or r.get("Narration") or "")]
            assert len(ours) == to_send
